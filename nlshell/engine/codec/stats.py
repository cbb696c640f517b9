"""Link statistics: struct if_stats_msg and the IFLA_STATS_* table (RTM_GETSTATS).

A dump with ``filter_mask`` asks only for the blocks named by its bits (bit n-1 for
IFLA_STATS_* number n); ``1`` (IFLA_STATS_LINK_64 alone) is the cheap way to read every
link's counters. The reply's IFLA_STATS_LINK_64 is the same rtnl_link_stats64 as the link
table's IFLA_STATS64; the other blocks are nested per driver and stay raw bytes.
"""

from .constants import FAMILY_TYPES
from .link import STATS64
from .views import Nested, Struct, StructSpec, Table

TYPES = FAMILY_TYPES["stats"]

# struct if_stats_msg: family, pad1 (u8), pad2 (u16), ifindex, filter_mask
HEADER = StructSpec("=BxxxII", ("family", "ifindex", "filter_mask"))

IFLA_STATS_LINK_64 = 1
IFLA_STATS_LINK_XSTATS, IFLA_STATS_LINK_XSTATS_SLAVE = 2, 3

# struct br_mcast_stats: per-direction counters ([0] received, [1] sent) and two totals
_MCAST_FIELDS: list[str] = []
for _name in ("igmp_v1queries", "igmp_v2queries", "igmp_v3queries", "igmp_leaves",
              "igmp_v1reports", "igmp_v2reports", "igmp_v3reports", "igmp_parse_errors",
              "mld_v1queries", "mld_v2queries", "mld_leaves", "mld_v1reports",
              "mld_v2reports", "mld_parse_errors", "mcast_bytes", "mcast_packets"):
    _MCAST_FIELDS += [_name] if _name.endswith("errors") else [_name + "_rx", _name + "_tx"]
BRIDGE_MCAST_STATS = Struct("=" + "Q" * len(_MCAST_FIELDS), tuple(_MCAST_FIELDS))
BRIDGE_STP_STATS = Struct("=QQQQQQ", ("transition_blk", "transition_fwd", "rx_bpdu", "tx_bpdu",
                                  "rx_tcn", "tx_tcn"))
BRIDGE_XSTATS = Table("BRIDGE_XSTATS_", {
    1: ("BRIDGE_XSTATS_VLAN", "binary"),
    2: ("BRIDGE_XSTATS_MCAST", BRIDGE_MCAST_STATS),
    3: ("BRIDGE_XSTATS_PAD", "binary"),
    4: ("BRIDGE_XSTATS_STP", BRIDGE_STP_STATS),
})
# IFLA_STATS_LINK_XSTATS(_SLAVE): one block per driver kind
LINK_XSTATS = Table("LINK_XSTATS_TYPE_", {
    1: ("LINK_XSTATS_TYPE_BRIDGE", Nested(BRIDGE_XSTATS)),
    2: ("LINK_XSTATS_TYPE_BOND", "binary"),
})


def filter_bit(attr: int) -> int:
    """The filter_mask bit that asks for IFLA_STATS_* number ``attr``."""
    return 1 << (attr - 1)


ATTRS = Table("IFLA_STATS_", {
    1: ("IFLA_STATS_LINK_64", STATS64),
    2: ("IFLA_STATS_LINK_XSTATS", Nested(LINK_XSTATS)),
    3: ("IFLA_STATS_LINK_XSTATS_SLAVE", Nested(LINK_XSTATS)),
    4: ("IFLA_STATS_LINK_OFFLOAD_XSTATS", "binary"),
    5: ("IFLA_STATS_AF_SPEC", "binary"),
})
