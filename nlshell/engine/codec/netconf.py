"""Per-device IP settings events (netconf): struct netconfmsg and NETCONFA_*."""

from .constants import FAMILY_TYPES
from .views import StructSpec, Table

TYPES = FAMILY_TYPES["netconf"]

HEADER = StructSpec("=Bxxx", ("family",))

ATTRS = Table("NETCONFA_", {
    1: ("NETCONFA_IFINDEX", "s32"),
    2: ("NETCONFA_FORWARDING", "s32"),
    3: ("NETCONFA_RP_FILTER", "s32"),
    4: ("NETCONFA_MC_FORWARDING", "s32"),
    5: ("NETCONFA_PROXY_NEIGH", "s32"),
    6: ("NETCONFA_IGNORE_ROUTES_WITH_LINKDOWN", "s32"),
    7: ("NETCONFA_INPUT", "s32"),
    8: ("NETCONFA_BC_FORWARDING", "s32"),
})
# NETCONFA_IFINDEX values that name no device
NETCONFA_IFINDEX_ALL, NETCONFA_IFINDEX_DEFAULT = -1, -2
