"""Kernel identities and change fingerprints of cached objects, read through the codec.

The cache holds up to hundreds of thousands of routes, so keys are read with the codec's
``Message.wire_values``: the fields and attributes a key needs, in one read through the
message's (shared) layout, without building a decoded index per message. Addresses inside
keys stay raw bytes: cheap and exact.

Identities (what the kernel itself treats as "the same object"):

- link: ifindex
- address: (index, family, IFA_LOCAL or else IFA_ADDRESS, prefixlen)
- route: (family, table, dst, dst_len, tos, priority, type); IPv6 adds the nexthop, because
  IPv6 keeps routes that differ only in their device (every link has its own fe80::/64):
  ``None`` for routes that merge into multipath (a gateway, not learnt from router
  adverts, no nexthop object), else ``(oif, gateway)``
- neighbour: (ifindex, family, dst) -- ARP and NDP entries; not bridge FDB entries, and not
  the NOARP entries the kernel makes for multicast groups without an event
- rule: (family, priority, the header's fields, every other attribute as (number, bytes))
- nexthop: its id (NHA_ID)
- fdb: a bridge forwarding entry (AF_BRIDGE neighbour naming its bridge in NDA_MASTER) is
  the bridge's:
  ("master", bridge ifindex, lladdr, vlan) -- a learnt MAC moving to another port is the
  same entry, announced once with its new port; an entry of the device itself (NTF_SELF,
  e.g. vxlan's remotes) is ("self", ifindex, lladdr, vlan, dst, vni). The device address
  lists that ``bridge fdb show`` also prints as "self permanent" (a veth's multicast MACs)
  change without any event, so the cache does not keep them: only entries of a bridge
  (NDA_MASTER), with a remote (NDA_DST) or with a VNI
- qdisc: (ifindex, parent, handle) -- the default qdiscs all have handle 0:
- class: (ifindex, classid)
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from . import cache_route as _route
from .codec import constants as C
from .codec.errors import DecodeError
from .codec.message import Message
from .codec.nla import wire_attrs
from .codec.numbers import attr_number as _n
from .codec.route import split_nexthops

KINDS = ("link", "address", "route", "neighbour", "rule", "nexthop", "fdb", "qdisc", "class")

# message type -> (kind, is a deletion)
MSG_KINDS: dict[int, tuple[str, bool]] = {
    C.RTM_NEWLINK: ("link", False), C.RTM_DELLINK: ("link", True),
    C.RTM_NEWADDR: ("address", False), C.RTM_DELADDR: ("address", True),
    C.RTM_NEWROUTE: ("route", False), C.RTM_DELROUTE: ("route", True),
    C.RTM_NEWNEIGH: ("neighbour", False), C.RTM_DELNEIGH: ("neighbour", True),
    C.RTM_NEWRULE: ("rule", False), C.RTM_DELRULE: ("rule", True),
    C.RTM_NEWNEXTHOP: ("nexthop", False), C.RTM_DELNEXTHOP: ("nexthop", True),
    C.RTM_NEWQDISC: ("qdisc", False), C.RTM_DELQDISC: ("qdisc", True),
    C.RTM_NEWTCLASS: ("class", False), C.RTM_DELTCLASS: ("class", True),
}

# (kind by message type, the header's family) -> the kind it really is: neighbour messages
# of family AF_BRIDGE are forwarding entries
FAMILY_KINDS: dict[tuple[str, int], str] = {("neighbour", C.AF_BRIDGE): "fdb"}


def kind_of(msg: Message) -> tuple[str, bool] | None:
    """(kind, is a deletion) of an event; None for a message the cache does not keep."""
    entry = MSG_KINDS.get(msg.type)
    if entry is None:
        return None
    if FAMILY_KINDS:
        try:
            family = msg.header_tuple()[0]
        except DecodeError:
            return entry
        other = FAMILY_KINDS.get((entry[0], family))
        if other is not None:
            return other, entry[1]
    return entry

# kind -> (dump request type, families to dump one by one)
DUMPS: dict[str, tuple[int, tuple[int, ...]]] = {
    "link": (C.RTM_GETLINK, (C.AF_UNSPEC,)),
    "address": (C.RTM_GETADDR, (C.AF_INET, C.AF_INET6)),
    "route": (C.RTM_GETROUTE, (C.AF_INET, C.AF_INET6)),
    "neighbour": (C.RTM_GETNEIGH, (C.AF_INET, C.AF_INET6)),
    "rule": (C.RTM_GETRULE, (C.AF_INET, C.AF_INET6)),
    "nexthop": (C.RTM_GETNEXTHOP, (C.AF_UNSPEC,)),
    "fdb": (C.RTM_GETNEIGH, (C.AF_BRIDGE,)),
    "qdisc": (C.RTM_GETQDISC, (C.AF_UNSPEC,)),
    "class": (C.RTM_GETTCLASS, (C.AF_UNSPEC,)),  # one device at a time (see Cache)
}

_TC_STATS = frozenset(map(_n, ("TCA_STATS", "TCA_STATS2", "TCA_XSTATS")))

# attributes that tick on their own (counters, timers, ages): not part of "changed"
VOLATILE_ATTRS: dict[str, frozenset[int]] = {
    "link": frozenset(map(_n, ("IFLA_STATS", "IFLA_STATS64", "IFLA_EVENT"))),  # (events only)
    "address": frozenset({_n("IFA_CACHEINFO")}),
    "route": frozenset(map(_n, ("RTA_CACHEINFO", "RTA_EXPIRES"))),
    "neighbour": frozenset(map(_n, ("NDA_CACHEINFO", "NDA_PROBES"))),
    "rule": frozenset(),
    "nexthop": frozenset(),
    "fdb": frozenset({_n("NDA_CACHEINFO")}),
    "qdisc": _TC_STATS,
    "class": _TC_STATS,
}

# a header field that differs between an event and a dump of the same object:
# (its position in the header, mask of the bits to keep) -- ifi_change is set in events
# only; RTM_F_NOTIFY too
_HEADER_NOISE: dict[str, tuple[int, int]] = {"link": (4, 0), "route": (8, ~C.RTM_F_NOTIFY),
                                             "qdisc": (4, 0)}
# (a qdisc's tcm_info is its reference count: in dumps, not in events; a class's is the
# handle of its leaf qdisc, which is state)


# --- keys ---------------------------------------------------------------------------------


def link_key(msg: Message) -> int:
    return msg["index"]


_ADDRESS = ("index", "family", "prefixlen", "IFA_LOCAL", "IFA_ADDRESS")


def address_key(msg: Message) -> tuple:
    index, family, prefixlen, local, address = msg.wire_values(_ADDRESS)
    # IFA_LOCAL: the interface's own address (IFA_ADDRESS may be the peer)
    return (index, family, local or address or b"", prefixlen)


# (key, ifindexes of its nexthops, IPv4 preferred source or None) in one read; None for
# routes the cache does not keep (see ``cache_route``)
route_info = _route.route_info


def route_key(msg: Message) -> tuple | None:
    info = _route.route_info(msg)
    return info[0] if info is not None else None


_NEIGHBOUR = ("ifindex", "family", "NDA_DST")


def neighbour_key(msg: Message) -> tuple:
    ifindex, family, dst = msg.wire_values(_NEIGHBOUR)
    return (ifindex, family, dst or b"")


_FRA_PRIORITY = _n("FRA_PRIORITY")


def rule_key(msg: Message) -> tuple:
    head = msg.header_tuple()
    priority = 0
    rest = []
    for t, value in msg.wire_attrs():
        if t == _FRA_PRIORITY and len(value) >= 4:
            priority = struct.unpack_from("=I", value)[0]
        else:
            rest.append((t, value))
    return (head[0], priority, head, tuple(rest))


_NHA_ID = ("NHA_ID",)


def nexthop_key(msg: Message) -> int:
    return msg.wire_values(_NHA_ID)[0] or 0


_FDB = ("ifindex", "NDA_LLADDR", "NDA_VLAN", "NDA_MASTER", "NDA_DST", "NDA_VNI")


def fdb_key(msg: Message) -> tuple:
    ifindex, lladdr, vlan, master, dst, vni = msg.wire_values(_FDB)
    if master:  # (the bridge's entries carry NDA_MASTER; ndm_flags need not say NTF_MASTER)
        return ("master", master, lladdr or b"", vlan or 0)
    return ("self", ifindex, lladdr or b"", vlan or 0, dst or b"", vni or 0)


_FDB_LINKS = ("ifindex", "NDA_MASTER")


def fdb_links(msg: Message) -> tuple[int, int]:
    """(port or device, bridge or 0): the links whose deletion takes the entry."""
    ifindex, master = msg.wire_values(_FDB_LINKS)
    return ifindex, master or 0


_TC = ("index", "parent", "handle")


def qdisc_key(msg: Message) -> tuple:
    return msg.wire_values(_TC)


def class_key(msg: Message) -> tuple:
    index, _parent, handle = msg.wire_values(_TC)
    return (index, handle)


KEY_FUNCS: dict[str, Callable[[Message], Any]] = {
    "link": link_key, "address": address_key, "route": route_key,
    "neighbour": neighbour_key, "rule": rule_key, "nexthop": nexthop_key,
    "fdb": fdb_key, "qdisc": qdisc_key, "class": class_key,
}


def key_of(kind: str, msg: Message) -> Any:
    """The kernel identity of ``msg`` as a ``kind`` object (see the module docstring)."""
    try:
        return KEY_FUNCS[kind](msg)
    except KeyError:
        raise ValueError(f"unknown object kind {kind!r} (one of {', '.join(KINDS)})") from None


# --- which messages are objects we keep ------------------------------------------------------


def _wanted_link(head: tuple) -> bool:
    return head[0] == C.AF_UNSPEC  # AF_BRIDGE link messages describe bridge ports


def _wanted_inet(head: tuple) -> bool:
    return head[0] in (C.AF_INET, C.AF_INET6)


def _wanted_route(head: tuple) -> bool:
    # cached/cloned exception routes are not in a normal dump, and other families (ipmr,
    # mpls) are not kept
    return head[0] in _route.KEPT_FAMILIES and not head[8] & C.RTM_F_CLONED


def _wanted_neighbour(head: tuple) -> bool:
    # (family, ifindex, state, flags, type): proxy entries only appear in dumps that ask
    # for them; NOARP entries are the ones the kernel makes for multicast without telling
    # anyone (`ip neigh` hides them too)
    return (head[0] in (C.AF_INET, C.AF_INET6) and not head[3] & C.NTF_PROXY
            and not head[2] & 0xFF & C.NUD_NOARP)


def _wanted_any(head: tuple) -> bool:
    return True


def _wanted_fdb_head(head: tuple) -> bool:
    return head[0] == C.AF_BRIDGE


_WANTED = {"link": _wanted_link, "address": _wanted_inet, "route": _wanted_route,
           "neighbour": _wanted_neighbour, "rule": _wanted_inet, "nexthop": _wanted_any,
           "fdb": _wanted_fdb_head, "qdisc": _wanted_any, "class": _wanted_any}

_FDB_KEPT = ("NDA_MASTER", "NDA_DST", "NDA_VNI")


def _wanted_fdb(msg: Message) -> bool:
    # see the module docstring: the silent device address lists are left out
    return any(v is not None for v in msg.wire_values(_FDB_KEPT))


def wanted(kind: str, msg: Message) -> bool:
    try:
        if not _WANTED[kind](msg.header_tuple()):
            return False
        return kind != "fdb" or _wanted_fdb(msg)
    except DecodeError:
        return False


# --- change detection -----------------------------------------------------------------------


# bridges count and time things inside IFLA_LINKINFO without telling: (IFLA_INFO_* naming
# the kind, the INFO_DATA-like attribute, what ticks in it), for a bridge and a bridge port
IFLA_LINKINFO = _n("IFLA_LINKINFO")
_LINKINFO_TIMERS = (
    (_n("IFLA_INFO_KIND"), _n("IFLA_INFO_DATA"), frozenset(map(_n, (
        "IFLA_BR_HELLO_TIMER", "IFLA_BR_TCN_TIMER", "IFLA_BR_TOPOLOGY_CHANGE_TIMER",
        "IFLA_BR_GC_TIMER", "IFLA_BR_MCAST_QUERIER_STATE", "IFLA_BR_FDB_N_LEARNED")))),
    (_n("IFLA_INFO_SLAVE_KIND"), _n("IFLA_INFO_SLAVE_DATA"), frozenset(map(_n, (
        "IFLA_BRPORT_MESSAGE_AGE_TIMER", "IFLA_BRPORT_FORWARD_DELAY_TIMER",
        "IFLA_BRPORT_HOLD_TIMER", "IFLA_BRPORT_MCAST_N_GROUPS")))),
)
_HH = struct.Struct("=HH")


def _attr_bytes(t: int, value: bytes) -> bytes:
    return _HH.pack(len(value) + 4, t) + value


def _strip(data: bytes, drop: frozenset[int]) -> bytes:
    return b"".join(_attr_bytes(t, v) for t, v in wire_attrs(data) if t not in drop)


IFLA_AF_SPEC = _n("IFLA_AF_SPEC")
# IFLA_AF_SPEC/AF_INET6: RS sent, RA received, ready (announced on the IPv6 ifinfo group
# only), and the counters
_AF_SPEC_TICKING = {C.AF_INET6: frozenset(map(_n, (
    "IFLA_INET6_FLAGS", "IFLA_INET6_STATS", "IFLA_INET6_CACHEINFO", "IFLA_INET6_ICMP6STATS")))}


def _af_spec_print(data: bytes) -> bytes:
    """IFLA_AF_SPEC without the IPv6 counters and state flags (configuration stays)."""
    parts = []
    for t, value in wire_attrs(data):
        drop = _AF_SPEC_TICKING.get(t)
        parts.append(_attr_bytes(t, value if drop is None else _strip(value, drop)))
    return b"".join(parts)


def _linkinfo_print(data: bytes) -> bytes:
    """IFLA_LINKINFO without the bridge (port) timers, which count on their own."""
    found = dict(wire_attrs(data))
    drop_inner: dict[int, frozenset[int]] = {}
    for kind_attr, data_attr, timers in _LINKINFO_TIMERS:
        kind = found.get(kind_attr)
        if kind is not None and kind.rstrip(b"\0") == b"bridge":
            drop_inner[data_attr] = timers
    parts = []
    for t, value in wire_attrs(data):
        inner = drop_inner.get(t)
        parts.append(_attr_bytes(t, value if inner is None else _strip(value, inner)))
    return b"".join(parts)


RTA_MULTIPATH = _n("RTA_MULTIPATH")


def _hops_print(data: bytes) -> bytes:
    """RTA_MULTIPATH with its nexthops in a fixed order: an IPv6 event lists the hop just
    appended first, a dump lists hops in the order they came."""
    return b"MP" + b"".join(sorted(split_nexthops(data)))


_NESTED_PRINTS: dict[tuple[str, int], Callable[[bytes], bytes]] = {
    ("link", IFLA_LINKINFO): _linkinfo_print,
    ("link", IFLA_AF_SPEC): _af_spec_print,
    ("route", RTA_MULTIPATH): _hops_print,
}


TCA_OPTIONS = _n("TCA_OPTIONS")
_TCA_KIND = ("TCA_KIND",)
_HTB_INIT = _n("TCA_HTB_INIT")
_DIRECT_PKTS = slice(16, 20)  # struct tc_htb_glob's direct_pkts: a counter


def _htb_print(data: bytes) -> bytes:
    """An htb qdisc's TCA_OPTIONS without the count of packets sent unclassified."""
    parts = []
    for t, value in wire_attrs(data):
        if t == _HTB_INIT and len(value) >= _DIRECT_PKTS.stop:
            value = value[:_DIRECT_PKTS.start] + value[_DIRECT_PKTS.stop:]
        parts.append(_attr_bytes(t, value))
    return b"".join(parts)


# (kind, TCA_KIND) -> {attribute: print} for what ticks inside a tc kind's options
_TC_PRINTS: dict[tuple[str, bytes], dict[int, Callable[[bytes], bytes]]] = {
    ("qdisc", b"htb"): {TCA_OPTIONS: _htb_print},
}


def fingerprint(kind: str, msg: Message) -> tuple:
    """The message minus what ticks on its own: equal fingerprints, same object state."""
    head = list(msg.header_tuple())
    noise = _HEADER_NOISE.get(kind)
    if noise is not None:
        i, keep = noise
        head[i] &= keep
    parts: list[Any] = [tuple(head)]
    volatile = VOLATILE_ATTRS[kind]
    prints = None
    if kind in ("qdisc", "class"):
        tc_kind = msg.wire_values(_TCA_KIND)[0]
        prints = _TC_PRINTS.get((kind, (tc_kind or b"").rstrip(b"\0")))
    for t, value in msg.wire_attrs():
        if t in volatile:
            continue
        nested = prints.get(t) if prints else None
        nested = nested or _NESTED_PRINTS.get((kind, t))
        parts.append((t, value if nested is None else nested(value)))
    return tuple(parts)


def same_state(kind: str, old: Message, new: Message) -> bool:
    """True when ``new`` says nothing that ``old`` did not (raw bytes first: the fast path)."""
    if old.payload() == new.payload():
        return True
    return fingerprint(kind, old) == fingerprint(kind, new)
