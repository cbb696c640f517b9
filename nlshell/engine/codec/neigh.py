"""Neighbours: struct ndmsg and NDA_*."""

from .constants import FAMILY_TYPES
from .views import Struct, StructSpec, Table

TYPES = FAMILY_TYPES["neigh"]

HEADER = StructSpec("=BxxxiHBB", ("family", "ifindex", "state", "flags", "ndm_type"))

ATTRS = Table("NDA_", {
    1: ("NDA_DST", "ipaddr"),
    2: ("NDA_LLADDR", "lladdr"),
    3: ("NDA_CACHEINFO", Struct("=IIII", ("ndm_confirmed", "ndm_used", "ndm_updated",
                                         "ndm_refcnt"))),
    4: ("NDA_PROBES", "u32"),
    5: ("NDA_VLAN", "u16"),
    6: ("NDA_PORT", "be16"),
    7: ("NDA_VNI", "u32"),
    8: ("NDA_IFINDEX", "u32"),
    9: ("NDA_MASTER", "u32"),
    10: ("NDA_LINK_NETNSID", "s32"),
    11: ("NDA_SRC_VNI", "u32"),
    12: ("NDA_PROTOCOL", "u8"),
    13: ("NDA_NH_ID", "u32"),
    14: ("NDA_FDB_EXT_ATTRS", "binary"),
    15: ("NDA_FLAGS_EXT", "u32"),
    16: ("NDA_NDM_STATE_MASK", "u16"),
    17: ("NDA_NDM_FLAGS_MASK", "u8"),
})
