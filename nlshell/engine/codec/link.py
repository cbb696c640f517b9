"""Links: struct ifinfomsg and the IFLA_* tables, with per-kind IFLA_INFO_DATA tables."""

from .constants import FAMILY_TYPES, MACVLAN_MODES
from .nla import SCALARS
from .views import Enum, Headed, ListOf, Nested, Select, Struct, StructSpec, Table

TYPES = FAMILY_TYPES["link"]

# struct ifinfomsg: family, pad, type, index, flags, change
HEADER = StructSpec("=BxHiII", ("family", "ifi_type", "index", "flags", "change"))

_STATS_NAMES = (
    "rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors",
    "rx_dropped", "tx_dropped", "multicast", "collisions", "rx_length_errors",
    "rx_over_errors", "rx_crc_errors", "rx_frame_errors", "rx_fifo_errors",
    "rx_missed_errors", "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors",
    "tx_heartbeat_errors", "tx_window_errors", "rx_compressed", "tx_compressed",
    "rx_nohandler",
)
STATS64 = Struct("=" + "Q" * 24, _STATS_NAMES)
STATS32 = Struct("=" + "I" * 24, _STATS_NAMES)
IFMAP = Struct("=QQQHBBxxxx", ("mem_start", "mem_end", "base_addr", "irq", "dma", "port"))

VETH_DATA = Table("VETH_INFO_", {})  # filled below: the peer is a whole link message

BRIDGE_DATA = Table("IFLA_", {
    1: ("IFLA_BR_FORWARD_DELAY", "u32"),
    2: ("IFLA_BR_HELLO_TIME", "u32"),
    3: ("IFLA_BR_MAX_AGE", "u32"),
    4: ("IFLA_BR_AGEING_TIME", "u32"),
    5: ("IFLA_BR_STP_STATE", "u32"),
    6: ("IFLA_BR_PRIORITY", "u16"),
    7: ("IFLA_BR_VLAN_FILTERING", "u8"),
    8: ("IFLA_BR_VLAN_PROTOCOL", "be16"),
    9: ("IFLA_BR_GROUP_FWD_MASK", "u16"),
    10: ("IFLA_BR_ROOT_ID", "binary"),
    11: ("IFLA_BR_BRIDGE_ID", "binary"),
    12: ("IFLA_BR_ROOT_PORT", "u16"),
    13: ("IFLA_BR_ROOT_PATH_COST", "u32"),
    14: ("IFLA_BR_TOPOLOGY_CHANGE", "u8"),
    15: ("IFLA_BR_TOPOLOGY_CHANGE_DETECTED", "u8"),
    16: ("IFLA_BR_HELLO_TIMER", "u64"),
    17: ("IFLA_BR_TCN_TIMER", "u64"),
    18: ("IFLA_BR_TOPOLOGY_CHANGE_TIMER", "u64"),
    19: ("IFLA_BR_GC_TIMER", "u64"),
    20: ("IFLA_BR_GROUP_ADDR", "lladdr"),
    21: ("IFLA_BR_FDB_FLUSH", "flag"),
    22: ("IFLA_BR_MCAST_ROUTER", "u8"),
    23: ("IFLA_BR_MCAST_SNOOPING", "u8"),
    24: ("IFLA_BR_MCAST_QUERY_USE_IFADDR", "u8"),
    25: ("IFLA_BR_MCAST_QUERIER", "u8"),
    26: ("IFLA_BR_MCAST_HASH_ELASTICITY", "u32"),
    27: ("IFLA_BR_MCAST_HASH_MAX", "u32"),
    28: ("IFLA_BR_MCAST_LAST_MEMBER_CNT", "u32"),
    29: ("IFLA_BR_MCAST_STARTUP_QUERY_CNT", "u32"),
    30: ("IFLA_BR_MCAST_LAST_MEMBER_INTVL", "u64"),
    31: ("IFLA_BR_MCAST_MEMBERSHIP_INTVL", "u64"),
    32: ("IFLA_BR_MCAST_QUERIER_INTVL", "u64"),
    33: ("IFLA_BR_MCAST_QUERY_INTVL", "u64"),
    34: ("IFLA_BR_MCAST_QUERY_RESPONSE_INTVL", "u64"),
    35: ("IFLA_BR_MCAST_STARTUP_QUERY_INTVL", "u64"),
    36: ("IFLA_BR_NF_CALL_IPTABLES", "u8"),
    37: ("IFLA_BR_NF_CALL_IP6TABLES", "u8"),
    38: ("IFLA_BR_NF_CALL_ARPTABLES", "u8"),
    39: ("IFLA_BR_VLAN_DEFAULT_PVID", "u16"),
    40: ("IFLA_BR_PAD", "binary"),
    41: ("IFLA_BR_VLAN_STATS_ENABLED", "u8"),
    42: ("IFLA_BR_MCAST_STATS_ENABLED", "u8"),
    43: ("IFLA_BR_MCAST_IGMP_VERSION", "u8"),
    44: ("IFLA_BR_MCAST_MLD_VERSION", "u8"),
    45: ("IFLA_BR_VLAN_STATS_PER_PORT", "u8"),
    46: ("IFLA_BR_MULTI_BOOLOPT", "binary"),
    47: ("IFLA_BR_MCAST_QUERIER_STATE", "binary"),
    48: ("IFLA_BR_FDB_N_LEARNED", "u32"),
    49: ("IFLA_BR_FDB_MAX_LEARNED", "u32"),
})

BRIDGE_PORT_DATA = Table("IFLA_", {
    1: ("IFLA_BRPORT_STATE", "u8"),
    2: ("IFLA_BRPORT_PRIORITY", "u16"),
    3: ("IFLA_BRPORT_COST", "u32"),
    4: ("IFLA_BRPORT_MODE", "u8"),
    5: ("IFLA_BRPORT_GUARD", "u8"),
    6: ("IFLA_BRPORT_PROTECT", "u8"),
    7: ("IFLA_BRPORT_FAST_LEAVE", "u8"),
    8: ("IFLA_BRPORT_LEARNING", "u8"),
    9: ("IFLA_BRPORT_UNICAST_FLOOD", "u8"),
    10: ("IFLA_BRPORT_PROXYARP", "u8"),
    11: ("IFLA_BRPORT_LEARNING_SYNC", "u8"),
    12: ("IFLA_BRPORT_PROXYARP_WIFI", "u8"),
    13: ("IFLA_BRPORT_ROOT_ID", "binary"),
    14: ("IFLA_BRPORT_BRIDGE_ID", "binary"),
    15: ("IFLA_BRPORT_DESIGNATED_PORT", "u16"),
    16: ("IFLA_BRPORT_DESIGNATED_COST", "u16"),
    17: ("IFLA_BRPORT_ID", "u16"),
    18: ("IFLA_BRPORT_NO", "u16"),
    19: ("IFLA_BRPORT_TOPOLOGY_CHANGE_ACK", "u8"),
    20: ("IFLA_BRPORT_CONFIG_PENDING", "u8"),
    21: ("IFLA_BRPORT_MESSAGE_AGE_TIMER", "u64"),
    22: ("IFLA_BRPORT_FORWARD_DELAY_TIMER", "u64"),
    23: ("IFLA_BRPORT_HOLD_TIMER", "u64"),
    24: ("IFLA_BRPORT_FLUSH", "flag"),
    25: ("IFLA_BRPORT_MULTICAST_ROUTER", "u8"),
    26: ("IFLA_BRPORT_PAD", "binary"),
    27: ("IFLA_BRPORT_MCAST_FLOOD", "u8"),
    28: ("IFLA_BRPORT_MCAST_TO_UCAST", "u8"),
    29: ("IFLA_BRPORT_VLAN_TUNNEL", "u8"),
    30: ("IFLA_BRPORT_BCAST_FLOOD", "u8"),
    31: ("IFLA_BRPORT_GROUP_FWD_MASK", "u16"),
    32: ("IFLA_BRPORT_NEIGH_SUPPRESS", "u8"),
    33: ("IFLA_BRPORT_ISOLATED", "u8"),
    34: ("IFLA_BRPORT_BACKUP_PORT", "u32"),
    35: ("IFLA_BRPORT_MRP_RING_OPEN", "u8"),
    36: ("IFLA_BRPORT_MRP_IN_OPEN", "u8"),
    37: ("IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT", "u32"),
    38: ("IFLA_BRPORT_MCAST_EHT_HOSTS_CNT", "u32"),
    39: ("IFLA_BRPORT_LOCKED", "u8"),
    40: ("IFLA_BRPORT_MAB", "u8"),
    41: ("IFLA_BRPORT_MCAST_N_GROUPS", "u32"),
    42: ("IFLA_BRPORT_MCAST_MAX_GROUPS", "u32"),
})

# the same rows as IFLA_PROTINFO of AF_BRIDGE messages, short names as pyroute2's brport
# keywords: 'cost', 'unicast_flood' (IFLA_INFO_SLAVE_DATA keeps 'brport_cost')
BRPORT = Table("IFLA_BRPORT_", BRIDGE_PORT_DATA.rows)

VXLAN_DATA = Table("IFLA_", {
    1: ("IFLA_VXLAN_ID", "u32"),
    2: ("IFLA_VXLAN_GROUP", "ipaddr"),
    3: ("IFLA_VXLAN_LINK", "u32"),
    4: ("IFLA_VXLAN_LOCAL", "ipaddr"),
    5: ("IFLA_VXLAN_TTL", "u8"),
    6: ("IFLA_VXLAN_TOS", "u8"),
    7: ("IFLA_VXLAN_LEARNING", "u8"),
    8: ("IFLA_VXLAN_AGEING", "u32"),
    9: ("IFLA_VXLAN_LIMIT", "u32"),
    10: ("IFLA_VXLAN_PORT_RANGE", Struct(">HH", ("low", "high"))),
    11: ("IFLA_VXLAN_PROXY", "u8"),
    12: ("IFLA_VXLAN_RSC", "u8"),
    13: ("IFLA_VXLAN_L2MISS", "u8"),
    14: ("IFLA_VXLAN_L3MISS", "u8"),
    15: ("IFLA_VXLAN_PORT", "be16"),
    16: ("IFLA_VXLAN_GROUP6", "ipaddr"),
    17: ("IFLA_VXLAN_LOCAL6", "ipaddr"),
    18: ("IFLA_VXLAN_UDP_CSUM", "u8"),
    19: ("IFLA_VXLAN_UDP_ZERO_CSUM6_TX", "u8"),
    20: ("IFLA_VXLAN_UDP_ZERO_CSUM6_RX", "u8"),
    21: ("IFLA_VXLAN_REMCSUM_TX", "u8"),
    22: ("IFLA_VXLAN_REMCSUM_RX", "u8"),
    23: ("IFLA_VXLAN_GBP", "flag"),
    24: ("IFLA_VXLAN_REMCSUM_NOPARTIAL", "flag"),
    25: ("IFLA_VXLAN_COLLECT_METADATA", "u8"),
    26: ("IFLA_VXLAN_LABEL", "be32"),
    27: ("IFLA_VXLAN_GPE", "flag"),
    28: ("IFLA_VXLAN_TTL_INHERIT", "u8flag"),
    29: ("IFLA_VXLAN_DF", "u8"),
    30: ("IFLA_VXLAN_VNIFILTER", "u8"),
    31: ("IFLA_VXLAN_LOCALBYPASS", "u8"),
})

MACVLAN_DATA = Table("IFLA_", {
    1: ("IFLA_MACVLAN_MODE", Enum("u32", MACVLAN_MODES)),
    2: ("IFLA_MACVLAN_FLAGS", "u16"),
    3: ("IFLA_MACVLAN_MACADDR_MODE", "u32"),
    4: ("IFLA_MACVLAN_MACADDR", "lladdr"),
    5: ("IFLA_MACVLAN_MACADDR_DATA", ListOf("lladdr", item_type=4)),  # each IFLA_MACVLAN_MACADDR
    6: ("IFLA_MACVLAN_MACADDR_COUNT", "u32"),
    7: ("IFLA_MACVLAN_BC_QUEUE_LEN", "u32"),
    8: ("IFLA_MACVLAN_BC_QUEUE_LEN_USED", "u32"),
    9: ("IFLA_MACVLAN_BC_CUTOFF", "s32"),
})

VLAN_DATA = Table("IFLA_", {
    1: ("IFLA_VLAN_ID", "u16"),
    2: ("IFLA_VLAN_FLAGS", Struct("=II", ("flags", "mask"))),
    3: ("IFLA_VLAN_EGRESS_QOS", "binary"),
    4: ("IFLA_VLAN_INGRESS_QOS", "binary"),
    5: ("IFLA_VLAN_PROTOCOL", "be16"),
})

BOND_DATA = Table("IFLA_", {
    1: ("IFLA_BOND_MODE", "u8"),
    2: ("IFLA_BOND_ACTIVE_SLAVE", "u32"),
    3: ("IFLA_BOND_MIIMON", "u32"),
    4: ("IFLA_BOND_UPDELAY", "u32"),
    5: ("IFLA_BOND_DOWNDELAY", "u32"),
    6: ("IFLA_BOND_USE_CARRIER", "u8"),
    7: ("IFLA_BOND_ARP_INTERVAL", "u32"),
    8: ("IFLA_BOND_ARP_IP_TARGET", ListOf("ipaddr")),
    9: ("IFLA_BOND_ARP_VALIDATE", "u32"),
    10: ("IFLA_BOND_ARP_ALL_TARGETS", "u32"),
    11: ("IFLA_BOND_PRIMARY", "u32"),
    12: ("IFLA_BOND_PRIMARY_RESELECT", "u8"),
    13: ("IFLA_BOND_FAIL_OVER_MAC", "u8"),
    14: ("IFLA_BOND_XMIT_HASH_POLICY", "u8"),
    15: ("IFLA_BOND_RESEND_IGMP", "u32"),
    16: ("IFLA_BOND_NUM_PEER_NOTIF", "u8"),
    17: ("IFLA_BOND_ALL_SLAVES_ACTIVE", "u8"),
    18: ("IFLA_BOND_MIN_LINKS", "u32"),
    19: ("IFLA_BOND_LP_INTERVAL", "u32"),
    20: ("IFLA_BOND_PACKETS_PER_SLAVE", "u32"),
    21: ("IFLA_BOND_AD_LACP_RATE", "u8"),
    22: ("IFLA_BOND_AD_SELECT", "u8"),
    23: ("IFLA_BOND_AD_INFO", "binary"),
    24: ("IFLA_BOND_AD_ACTOR_SYS_PRIO", "u16"),
    25: ("IFLA_BOND_AD_USER_PORT_KEY", "u16"),
    26: ("IFLA_BOND_AD_ACTOR_SYSTEM", "lladdr"),
    27: ("IFLA_BOND_TLB_DYNAMIC_LB", "u8"),
    28: ("IFLA_BOND_PEER_NOTIF_DELAY", "u32"),
    29: ("IFLA_BOND_AD_LACP_ACTIVE", "u8"),
    30: ("IFLA_BOND_MISSED_MAX", "u8"),
})

VRF_DATA = Table("IFLA_", {1: ("IFLA_VRF_TABLE", "u32")})

TUN_DATA = Table("IFLA_", {
    1: ("IFLA_TUN_OWNER", "u32"),
    2: ("IFLA_TUN_GROUP", "u32"),
    3: ("IFLA_TUN_TYPE", Enum("u8", {1: "tun", 2: "tap"})),
    4: ("IFLA_TUN_PI", "u8"),
    5: ("IFLA_TUN_VNET_HDR", "u8"),
    6: ("IFLA_TUN_PERSIST", "u8"),
    7: ("IFLA_TUN_MULTI_QUEUE", "u8"),
    8: ("IFLA_TUN_NUM_QUEUES", "u32"),
    9: ("IFLA_TUN_NUM_DISABLED_QUEUES", "u32"),
})

MACVLAN_SLAVE = MACVLAN_DATA

LINKINFO = Table("IFLA_INFO_", {
    1: ("IFLA_INFO_KIND", "asciiz"),
    2: ("IFLA_INFO_DATA", Select("kind", {
        "veth": Nested(VETH_DATA),
        "bridge": Nested(BRIDGE_DATA),
        "vxlan": Nested(VXLAN_DATA),
        "macvlan": Nested(MACVLAN_DATA),
        "macvtap": Nested(MACVLAN_DATA),
        "vlan": Nested(VLAN_DATA),
        "bond": Nested(BOND_DATA),
        "vrf": Nested(VRF_DATA),
        "tun": Nested(TUN_DATA),
    })),
    3: ("IFLA_INFO_XSTATS", "binary"),
    4: ("IFLA_INFO_SLAVE_KIND", "asciiz"),
    5: ("IFLA_INFO_SLAVE_DATA", Select("slave_kind", {
        "bridge": Nested(BRIDGE_PORT_DATA),
    })),
})

INET_SPEC = Table("IFLA_INET_", {1: ("IFLA_INET_CONF", "binary")})
INET6_SPEC = Table("IFLA_INET6_", {
    1: ("IFLA_INET6_FLAGS", "u32"),
    2: ("IFLA_INET6_CONF", "binary"),
    3: ("IFLA_INET6_STATS", "binary"),
    4: ("IFLA_INET6_MCAST", "binary"),
    5: ("IFLA_INET6_CACHEINFO", Struct("=IIII", ("max_reasm_len", "tstamp",
                                                  "reachable_time", "retrans_time"))),
    6: ("IFLA_INET6_ICMP6STATS", "binary"),
    7: ("IFLA_INET6_TOKEN", "ipaddr"),
    8: ("IFLA_INET6_ADDR_GEN_MODE", "u8"),
    9: ("IFLA_INET6_RA_MTU", "u32"),
})
AF_SPEC = Table("", {2: ("AF_INET", Nested(INET_SPEC)), 10: ("AF_INET6", Nested(INET6_SPEC)),
                     7: ("AF_BRIDGE", "binary")})

_BINARY_ENC = SCALARS["binary"][1]

# in AF_BRIDGE link messages IFLA_AF_SPEC holds bridge attributes, not per-family blocks
BRIDGE_VLAN_TUNNEL_INFO = Table("IFLA_BRIDGE_VLAN_TUNNEL_", {
    1: ("IFLA_BRIDGE_VLAN_TUNNEL_ID", "u32"),
    2: ("IFLA_BRIDGE_VLAN_TUNNEL_VID", "u16"),
    3: ("IFLA_BRIDGE_VLAN_TUNNEL_FLAGS", "u16"),
})
BRIDGE_AF_SPEC = Table("IFLA_BRIDGE_", {
    0: ("IFLA_BRIDGE_FLAGS", "u16"),
    1: ("IFLA_BRIDGE_MODE", "u16"),
    2: ("IFLA_BRIDGE_VLAN_INFO", Struct("=HH", ("flags", "vid"))),  # repeated; ranges by flags
    3: ("IFLA_BRIDGE_VLAN_TUNNEL_INFO", Nested(BRIDGE_VLAN_TUNNEL_INFO)),
    4: ("IFLA_BRIDGE_MRP", "binary"),
    5: ("IFLA_BRIDGE_CFM", "binary"),
    6: ("IFLA_BRIDGE_MST", "binary"),
})


class ByFamily(Nested):
    """A nested block whose table depends on the message header's family.

    Decoding reads the family (``by_family``, else ``default``: a table, or None for the
    payload's bytes). Encoding has no header to read: it takes the first table, the
    default's then the families', that knows every name given (their names do not
    overlap: ``AF_INET6`` vs ``vlan_info``); bytes go out as they are.
    """

    def __init__(self, tables: dict[int, Table], default: Table | None) -> None:
        super().__init__(default if default is not None else Table("", {}))
        self.default = default
        self.by_family = {fam: Nested(t) for fam, t in tables.items()}

    def decode(self, owner, buf, start, end):
        try:
            kind = self.by_family.get(owner._field("family"))
        except KeyError:
            kind = None
        if kind is not None:
            return kind.decode(owner, buf, start, end)
        if self.default is None:
            return bytes(buf[start:end])
        return Nested.decode(self, owner, buf, start, end)

    def encode(self, value, siblings) -> bytes:
        if isinstance(value, (bytes, bytearray, str)):
            return _BINARY_ENC(value)  # (a str: the hex of dump())
        if not isinstance(value, (list, tuple, dict)) and not hasattr(value, "attrs"):
            raise ValueError(f"{value!r} is not a list of (name, value) pairs or a dict")
        pairs = value.attrs() if hasattr(value, "attrs") else (
            list(value.items()) if isinstance(value, dict) else list(value))
        names = [p[0] for p in pairs if isinstance(p, (tuple, list)) and len(p) == 2]
        tables = [t.table for t in self.by_family.values()]
        if self.default is not None:
            tables.insert(0, self.default)
        for table in tables:
            if all(isinstance(n, str) and table.lookup(n) is not None for n in names):
                return table.encode(pairs)
        return tables[0].encode(pairs)  # raises, naming the unknown attribute


PROP_LIST = Table("IFLA_", {53: ("IFLA_ALT_IFNAME", "asciiz")})

ATTRS = Table("IFLA_", {
    1: ("IFLA_ADDRESS", "lladdr"),
    2: ("IFLA_BROADCAST", "lladdr"),
    3: ("IFLA_IFNAME", "asciiz"),
    4: ("IFLA_MTU", "u32"),
    5: ("IFLA_LINK", "u32"),
    6: ("IFLA_QDISC", "asciiz"),
    7: ("IFLA_STATS", STATS32),
    8: ("IFLA_COST", "binary"),
    9: ("IFLA_PRIORITY", "binary"),
    10: ("IFLA_MASTER", "u32"),
    11: ("IFLA_WIRELESS", "binary"),
    # nested IFLA_BRPORT_* in AF_BRIDGE messages, IFLA_INET6_* in AF_INET6 ones
    12: ("IFLA_PROTINFO", ByFamily({7: BRPORT, 10: INET6_SPEC}, None)),
    13: ("IFLA_TXQLEN", "u32"),
    14: ("IFLA_MAP", IFMAP),
    15: ("IFLA_WEIGHT", "u32"),
    16: ("IFLA_OPERSTATE", "operstate"),
    17: ("IFLA_LINKMODE", "u8"),
    18: ("IFLA_LINKINFO", Nested(LINKINFO)),
    19: ("IFLA_NET_NS_PID", "u32"),
    20: ("IFLA_IFALIAS", "string"),
    21: ("IFLA_NUM_VF", "u32"),
    22: ("IFLA_VFINFO_LIST", "binary"),
    23: ("IFLA_STATS64", STATS64),
    24: ("IFLA_VF_PORTS", "binary"),
    25: ("IFLA_PORT_SELF", "binary"),
    26: ("IFLA_AF_SPEC", ByFamily({7: BRIDGE_AF_SPEC}, AF_SPEC)),
    27: ("IFLA_GROUP", "u32"),
    28: ("IFLA_NET_NS_FD", "u32"),
    29: ("IFLA_EXT_MASK", "u32"),
    30: ("IFLA_PROMISCUITY", "u32"),
    31: ("IFLA_NUM_TX_QUEUES", "u32"),
    32: ("IFLA_NUM_RX_QUEUES", "u32"),
    33: ("IFLA_CARRIER", "u8"),
    34: ("IFLA_PHYS_PORT_ID", "binary"),
    35: ("IFLA_CARRIER_CHANGES", "u32"),
    36: ("IFLA_PHYS_SWITCH_ID", "binary"),
    37: ("IFLA_LINK_NETNSID", "s32"),
    38: ("IFLA_PHYS_PORT_NAME", "asciiz"),
    39: ("IFLA_PROTO_DOWN", "u8"),
    40: ("IFLA_GSO_MAX_SEGS", "u32"),
    41: ("IFLA_GSO_MAX_SIZE", "u32"),
    42: ("IFLA_PAD", "binary"),
    43: ("IFLA_XDP", "binary"),
    44: ("IFLA_EVENT", "u32"),
    45: ("IFLA_NEW_NETNSID", "s32"),
    46: ("IFLA_TARGET_NETNSID", "s32"),
    47: ("IFLA_CARRIER_UP_COUNT", "u32"),
    48: ("IFLA_CARRIER_DOWN_COUNT", "u32"),
    49: ("IFLA_NEW_IFINDEX", "s32"),
    50: ("IFLA_MIN_MTU", "u32"),
    51: ("IFLA_MAX_MTU", "u32"),
    52: ("IFLA_PROP_LIST", Nested(PROP_LIST)),
    53: ("IFLA_ALT_IFNAME", "asciiz"),
    54: ("IFLA_PERM_ADDRESS", "lladdr"),
    55: ("IFLA_PROTO_DOWN_REASON", "binary"),
    56: ("IFLA_PARENT_DEV_NAME", "asciiz"),
    57: ("IFLA_PARENT_DEV_BUS_NAME", "asciiz"),
    58: ("IFLA_GRO_MAX_SIZE", "u32"),
    59: ("IFLA_TSO_MAX_SIZE", "u32"),
    60: ("IFLA_TSO_MAX_SEGS", "u32"),
    61: ("IFLA_ALLMULTI", "u32"),
    62: ("IFLA_DEVLINK_PORT", "binary"),
    63: ("IFLA_GSO_IPV4_MAX_SIZE", "u32"),
    64: ("IFLA_GRO_IPV4_MAX_SIZE", "u32"),
    65: ("IFLA_DPLL_PIN", "binary"),
    66: ("IFLA_MAX_PACING_OFFLOAD_HORIZON", "uint"),  # nsec, 4 or 8 bytes
    67: ("IFLA_NETNS_IMMUTABLE", "u8"),
    68: ("IFLA_HEADROOM", "u16"),
    69: ("IFLA_TAILROOM", "u16"),
})

# the veth peer is a full link description: ifinfomsg + IFLA_* (tables refer to each other)
VETH_DATA.rows[1] = ("VETH_INFO_PEER", Headed(HEADER, ATTRS))
