"""Numbers from the kernel's netlink and rtnetlink headers, and names for them.

Only numbers live here; the attribute tables are in the per-object modules.
"""

# netlink protocols and socket options (SOL_NETLINK)
NETLINK_ROUTE = 0
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_DROP_MEMBERSHIP = 2
NETLINK_BROADCAST_ERROR = 4
NETLINK_NO_ENOBUFS = 5
NETLINK_LISTEN_ALL_NSID = 8
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NETLINK_GET_STRICT_CHK = 12

# message types common to all netlink families
NLMSG_NOOP = 1
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSG_OVERRUN = 4

# header flags
NLM_F_REQUEST = 0x01
NLM_F_MULTI = 0x02
NLM_F_ACK = 0x04
NLM_F_ECHO = 0x08
NLM_F_DUMP_INTR = 0x10
NLM_F_DUMP_FILTERED = 0x20
# modifiers of GET
NLM_F_ROOT = 0x100
NLM_F_MATCH = 0x200
NLM_F_ATOMIC = 0x400
NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH
# modifiers of NEW
NLM_F_REPLACE = 0x100
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLM_F_APPEND = 0x800
# flags of an ACK (NLMSG_ERROR)
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200

# extended ack attributes (after struct nlmsgerr)
NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2
NLMSGERR_ATTR_COOKIE = 3
NLMSGERR_ATTR_POLICY = 4
NLMSGERR_ATTR_MISS_TYPE = 5
NLMSGERR_ATTR_MISS_NEST = 6

NLA_F_NESTED = 0x8000
NLA_F_NET_BYTEORDER = 0x4000
NLA_TYPE_MASK = 0x3FFF

# rtnetlink message types
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK = 16, 17, 18, 19
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE = 24, 25, 26
RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH = 28, 29, 30
RTM_NEWRULE, RTM_DELRULE, RTM_GETRULE = 32, 33, 34
RTM_NEWNSID, RTM_DELNSID, RTM_GETNSID = 88, 89, 90
RTM_NEWSTATS, RTM_GETSTATS = 92, 94

MESSAGE_NAMES = {
    NLMSG_NOOP: "NLMSG_NOOP",
    NLMSG_ERROR: "NLMSG_ERROR",
    NLMSG_DONE: "NLMSG_DONE",
    NLMSG_OVERRUN: "NLMSG_OVERRUN",
    RTM_NEWLINK: "RTM_NEWLINK",
    RTM_DELLINK: "RTM_DELLINK",
    RTM_GETLINK: "RTM_GETLINK",
    RTM_SETLINK: "RTM_SETLINK",
    RTM_NEWADDR: "RTM_NEWADDR",
    RTM_DELADDR: "RTM_DELADDR",
    RTM_GETADDR: "RTM_GETADDR",
    RTM_NEWROUTE: "RTM_NEWROUTE",
    RTM_DELROUTE: "RTM_DELROUTE",
    RTM_GETROUTE: "RTM_GETROUTE",
    RTM_NEWNEIGH: "RTM_NEWNEIGH",
    RTM_DELNEIGH: "RTM_DELNEIGH",
    RTM_GETNEIGH: "RTM_GETNEIGH",
    RTM_NEWRULE: "RTM_NEWRULE",
    RTM_DELRULE: "RTM_DELRULE",
    RTM_GETRULE: "RTM_GETRULE",
    RTM_NEWNSID: "RTM_NEWNSID",
    RTM_DELNSID: "RTM_DELNSID",
    RTM_GETNSID: "RTM_GETNSID",
    RTM_NEWSTATS: "RTM_NEWSTATS",
    RTM_GETSTATS: "RTM_GETSTATS",
}

# multicast groups, by number (for add_membership) ...
RTNLGRP_LINK = 1
RTNLGRP_NOTIFY = 2
RTNLGRP_NEIGH = 3
RTNLGRP_TC = 4
RTNLGRP_IPV4_IFADDR = 5
RTNLGRP_IPV4_MROUTE = 6
RTNLGRP_IPV4_ROUTE = 7
RTNLGRP_IPV4_RULE = 8
RTNLGRP_IPV6_IFADDR = 9
RTNLGRP_IPV6_MROUTE = 10
RTNLGRP_IPV6_ROUTE = 11
RTNLGRP_IPV6_IFINFO = 12
RTNLGRP_IPV6_PREFIX = 18
RTNLGRP_IPV6_RULE = 19
RTNLGRP_NSID = 28
RTNLGRP_NEXTHOP = 32

# ... and as the legacy bind() bitmask (group n is bit n-1)
RTMGRP_LINK = 1 << (RTNLGRP_LINK - 1)
RTMGRP_NEIGH = 1 << (RTNLGRP_NEIGH - 1)
RTMGRP_IPV4_IFADDR = 1 << (RTNLGRP_IPV4_IFADDR - 1)
RTMGRP_IPV4_ROUTE = 1 << (RTNLGRP_IPV4_ROUTE - 1)
RTMGRP_IPV4_RULE = 1 << (RTNLGRP_IPV4_RULE - 1)
RTMGRP_IPV6_IFADDR = 1 << (RTNLGRP_IPV6_IFADDR - 1)
RTMGRP_IPV6_ROUTE = 1 << (RTNLGRP_IPV6_ROUTE - 1)
RTMGRP_IPV6_IFINFO = 1 << (RTNLGRP_IPV6_IFINFO - 1)
RTMGRP_IPV6_RULE = 1 << (RTNLGRP_IPV6_RULE - 1)
RTMGRP_NSID = 1 << (RTNLGRP_NSID - 1)
RTMGRP_DEFAULTS = (
    RTMGRP_LINK
    | RTMGRP_NEIGH
    | RTMGRP_IPV4_IFADDR
    | RTMGRP_IPV4_ROUTE
    | RTMGRP_IPV4_RULE
    | RTMGRP_IPV6_IFADDR
    | RTMGRP_IPV6_ROUTE
    | RTMGRP_IPV6_RULE
)

# address families
AF_UNSPEC = 0
AF_INET = 2
AF_BRIDGE = 7
AF_INET6 = 10
AF_MPLS = 28
FAMILY_NAMES = {AF_UNSPEC: "unspec", AF_INET: "inet", AF_INET6: "inet6", AF_BRIDGE: "bridge",
                AF_MPLS: "mpls"}

# IFLA_EXT_MASK bits
RTEXT_FILTER_VF = 1
RTEXT_FILTER_BRVLAN = 2
RTEXT_FILTER_SKIP_STATS = 8

# interface flags (net/if.h)
IFF_FLAGS = {
    0x1: "UP", 0x2: "BROADCAST", 0x4: "DEBUG", 0x8: "LOOPBACK", 0x10: "POINTOPOINT",
    0x20: "NOTRAILERS", 0x40: "RUNNING", 0x80: "NOARP", 0x100: "PROMISC",
    0x200: "ALLMULTI", 0x400: "MASTER", 0x800: "SLAVE", 0x1000: "MULTICAST",
    0x2000: "PORTSEL", 0x4000: "AUTOMEDIA", 0x8000: "DYNAMIC", 0x10000: "LOWER_UP",
    0x20000: "DORMANT", 0x40000: "ECHO",
}
IFF_UP = 0x1
IFF_LOWER_UP = 0x10000

OPERSTATES = ("UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP")

# route table ids, protocols, scopes, types
RT_TABLE_UNSPEC, RT_TABLE_COMPAT, RT_TABLE_DEFAULT, RT_TABLE_MAIN, RT_TABLE_LOCAL = (
    0, 252, 253, 254, 255)
TABLE_NAMES = {RT_TABLE_DEFAULT: "default", RT_TABLE_MAIN: "main", RT_TABLE_LOCAL: "local"}

RTPROT_NAMES = {
    0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 8: "gated", 9: "ra",
    10: "mrt", 11: "zebra", 12: "bird", 13: "dnrouted", 14: "xorp", 15: "ntk", 16: "dhcp",
    17: "mrouted", 18: "keepalived", 42: "babel", 99: "openr", 186: "bgp", 187: "isis",
    188: "ospf", 189: "rip", 192: "eigrp",
}
RT_SCOPE_NAMES = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}
RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RT_SCOPE_HOST, RT_SCOPE_NOWHERE = 0, 253, 254, 255
RTN_NAMES = {
    0: "unspec", 1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast",
    6: "blackhole", 7: "unreachable", 8: "prohibit", 9: "throw", 10: "nat", 11: "xresolve",
}
RTN_UNICAST = 1
RTM_F_NOTIFY = 0x100
RTM_F_CLONED = 0x200
RTM_F_LOOKUP_TABLE = 0x1000
RTM_F_FIB_MATCH = 0x2000
RTNH_F_DEAD, RTNH_F_PERVASIVE, RTNH_F_ONLINK, RTNH_F_OFFLOAD, RTNH_F_LINKDOWN = 1, 2, 4, 8, 16
RTNH_F_UNRESOLVED, RTNH_F_TRAP = 32, 64
RTNH_FLAG_NAMES = {1: "dead", 2: "pervasive", 4: "onlink", 8: "offload", 16: "linkdown",
                   32: "unresolved", 64: "trap"}

# neighbour states and flags
NUD_NAMES = {
    0x01: "INCOMPLETE", 0x02: "REACHABLE", 0x04: "STALE", 0x08: "DELAY", 0x10: "PROBE",
    0x20: "FAILED", 0x40: "NOARP", 0x80: "PERMANENT",
}
NUD_NONE = 0
NTF_NAMES = {0x01: "use", 0x02: "self", 0x04: "master", 0x08: "proxy",
             0x10: "extern_learn", 0x20: "offload", 0x40: "sticky", 0x80: "router"}

# address flags (IFA_F_*)
IFA_F_NAMES = {
    0x01: "secondary", 0x02: "nodad", 0x04: "optimistic", 0x08: "dadfailed",
    0x10: "home", 0x20: "deprecated", 0x40: "tentative", 0x80: "permanent",
    0x100: "managetempaddr", 0x200: "noprefixroute", 0x400: "mcautojoin",
    0x800: "stable-privacy",
}
IFA_F_SECONDARY = 0x01
IFA_F_NODAD = 0x02
IFA_F_PERMANENT = 0x80
INFINITY_LIFE_TIME = 0xFFFFFFFF

# fib rule actions
FR_ACT_NAMES = {0: "unspec", 1: "to_tbl", 2: "goto", 3: "nop", 6: "blackhole",
                7: "unreachable", 8: "prohibit"}
FIB_RULE_INVERT = 0x2

# link kinds' enumerations
MACVLAN_MODES = {1: "private", 2: "vepa", 4: "bridge", 8: "passthru", 16: "source"}

# --- added by h4 ---
AF_PACKET = 17  # the link-layer family (-0, -f link)
