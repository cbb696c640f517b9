"""Addresses: struct ifaddrmsg and IFA_*."""

from .constants import FAMILY_TYPES
from .views import Struct, StructSpec, Table

TYPES = FAMILY_TYPES["addr"]

HEADER = StructSpec("=BBBBI", ("family", "prefixlen", "flags", "scope", "index"))

CACHEINFO = Struct("=IIII", ("ifa_preferred", "ifa_valid", "cstamp", "tstamp"))

ATTRS = Table("IFA_", {
    1: ("IFA_ADDRESS", "ipaddr"),
    2: ("IFA_LOCAL", "ipaddr"),
    3: ("IFA_LABEL", "asciiz"),
    4: ("IFA_BROADCAST", "ipaddr"),
    5: ("IFA_ANYCAST", "ipaddr"),
    6: ("IFA_CACHEINFO", CACHEINFO),
    7: ("IFA_MULTICAST", "ipaddr"),
    8: ("IFA_FLAGS", "u32"),
    9: ("IFA_RT_PRIORITY", "u32"),
    10: ("IFA_TARGET_NETNSID", "s32"),
    11: ("IFA_PROTO", "u8"),
})
