"""Bridge VLAN database messages (per-VLAN options): struct br_vlan_msg and
BRIDGE_VLANDB_* (linux/if_bridge.h). ``bridge vlan set`` sends RTM_NEWVLAN."""

from .constants import FAMILY_TYPES
from .views import Nested, Struct, StructSpec, Table

TYPES = FAMILY_TYPES["brvlan"]

# struct br_vlan_msg: family, reserved1 (u8), reserved2 (u16), ifindex
HEADER = StructSpec("=BxxxI", ("family", "ifindex"))

TUNNEL_INFO = Table("BRIDGE_VLANDB_TINFO_", {
    1: ("BRIDGE_VLANDB_TINFO_ID", "u32"),
    2: ("BRIDGE_VLANDB_TINFO_CMD", "u32"),
})

ENTRY = Table("BRIDGE_VLANDB_ENTRY_", {
    1: ("BRIDGE_VLANDB_ENTRY_INFO", Struct("=HH", ("flags", "vid"))),
    2: ("BRIDGE_VLANDB_ENTRY_RANGE", "u16"),
    3: ("BRIDGE_VLANDB_ENTRY_STATE", "u8"),
    4: ("BRIDGE_VLANDB_ENTRY_TUNNEL_INFO", Nested(TUNNEL_INFO)),
    5: ("BRIDGE_VLANDB_ENTRY_STATS", "binary"),
    6: ("BRIDGE_VLANDB_ENTRY_MCAST_ROUTER", "u8"),
    7: ("BRIDGE_VLANDB_ENTRY_MCAST_N_GROUPS", "u32"),
    8: ("BRIDGE_VLANDB_ENTRY_MCAST_MAX_GROUPS", "u32"),
    9: ("BRIDGE_VLANDB_ENTRY_NEIGH_SUPPRESS", "u8"),
})

ATTRS = Table("BRIDGE_VLANDB_", {
    1: ("BRIDGE_VLANDB_ENTRY", Nested(ENTRY)),  # repeated: one per VLAN (or range)
    2: ("BRIDGE_VLANDB_GLOBAL_OPTIONS", "binary"),
})
