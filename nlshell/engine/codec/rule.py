"""Policy routing rules: struct fib_rule_hdr and FRA_*."""

from .constants import FAMILY_TYPES
from .views import Struct, StructSpec, Table

TYPES = FAMILY_TYPES["rule"]

HEADER = StructSpec("=BBBBBxxBI", ("family", "dst_len", "src_len", "tos", "table", "action",
                                  "flags"))

_RANGE32 = Struct("=II", ("start", "end"))
_RANGE16 = Struct("=HH", ("start", "end"))

ATTRS = Table("FRA_", {
    1: ("FRA_DST", "ipaddr"),
    2: ("FRA_SRC", "ipaddr"),
    3: ("FRA_IIFNAME", "asciiz"),
    4: ("FRA_GOTO", "u32"),
    6: ("FRA_PRIORITY", "u32"),
    10: ("FRA_FWMARK", "u32"),
    11: ("FRA_FLOW", "u32"),
    12: ("FRA_TUN_ID", "be64"),
    13: ("FRA_SUPPRESS_IFGROUP", "u32"),
    14: ("FRA_SUPPRESS_PREFIXLEN", "u32"),
    15: ("FRA_TABLE", "u32"),
    16: ("FRA_FWMASK", "u32"),
    17: ("FRA_OIFNAME", "asciiz"),
    18: ("FRA_PAD", "binary"),
    19: ("FRA_L3MDEV", "u8"),
    20: ("FRA_UID_RANGE", _RANGE32),
    21: ("FRA_PROTOCOL", "u8"),
    22: ("FRA_IP_PROTO", "u8"),
    23: ("FRA_SPORT_RANGE", _RANGE16),
    24: ("FRA_DPORT_RANGE", _RANGE16),
    25: ("FRA_DSCP", "u8"),
    26: ("FRA_FLOWLABEL", "be32"),
    27: ("FRA_FLOWLABEL_MASK", "be32"),
})
