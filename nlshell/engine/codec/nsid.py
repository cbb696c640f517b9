"""Namespace ids: struct rtgenmsg and NETNSA_*."""

from .constants import FAMILY_TYPES
from .views import StructSpec, Table

TYPES = FAMILY_TYPES["nsid"]

HEADER = StructSpec("=Bxxx", ("family",))

ATTRS = Table("NETNSA_", {
    1: ("NETNSA_NSID", "s32"),
    2: ("NETNSA_PID", "u32"),
    3: ("NETNSA_FD", "u32"),
    4: ("NETNSA_TARGET_NSID", "s32"),
    5: ("NETNSA_CURRENT_NSID", "s32"),
})
