"""Link statistics: struct if_stats_msg and the IFLA_STATS_* table (RTM_GETSTATS).

A dump with ``filter_mask`` asks only for the blocks named by its bits (bit n-1 for
IFLA_STATS_* number n); ``1`` (IFLA_STATS_LINK_64 alone) is the cheap way to read every
link's counters. The reply's IFLA_STATS_LINK_64 is the same rtnl_link_stats64 as the link
table's IFLA_STATS64; the other blocks are nested per driver and stay raw bytes.
"""

from .constants import RTM_GETSTATS, RTM_NEWSTATS
from .link import STATS64
from .views import StructSpec, Table

TYPES = (RTM_NEWSTATS, RTM_GETSTATS)

# struct if_stats_msg: family, pad1 (u8), pad2 (u16), ifindex, filter_mask
HEADER = StructSpec("=BxxxII", ("family", "ifindex", "filter_mask"))

IFLA_STATS_LINK_64 = 1


def filter_bit(attr: int) -> int:
    """The filter_mask bit that asks for IFLA_STATS_* number ``attr``."""
    return 1 << (attr - 1)


ATTRS = Table("IFLA_STATS_", {
    1: ("IFLA_STATS_LINK_64", STATS64),
    2: ("IFLA_STATS_LINK_XSTATS", "binary"),
    3: ("IFLA_STATS_LINK_XSTATS_SLAVE", "binary"),
    4: ("IFLA_STATS_LINK_OFFLOAD_XSTATS", "binary"),
    5: ("IFLA_STATS_AF_SPEC", "binary"),
})
