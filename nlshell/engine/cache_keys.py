"""Kernel identities and change fingerprints of cached objects, read from message bytes.

The cache holds up to hundreds of thousands of routes, so keys are read straight from each
message's bytes with one pass over its attributes. Going through ``Message.get`` would build
(and keep) a decoded index per message and cost memory. Addresses inside keys stay raw
bytes: cheap and exact.

Identities (what the kernel itself treats as "the same object"):

- link: ifindex
- address: (index, family, IFA_LOCAL or else IFA_ADDRESS, prefixlen)
- route: (family, table, dst, dst_len, tos, priority, type); IPv6 adds the nexthop, because
  IPv6 keeps routes that differ only in their device (every link has its own fe80::/64):
  ``None`` for routes that merge into multipath (a gateway, not learnt from router
  adverts, no nexthop object), else ``(oif, gateway)``
- neighbour: (ifindex, family, dst) -- ARP and NDP entries; not bridge FDB entries, and not
  the NOARP entries the kernel makes for multicast groups without an event
- rule: (family, priority, every other selector and action byte)
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import Any

from . import cache_route as _route
from .codec import constants as C
from .codec.message import Message

KINDS = ("link", "address", "route", "neighbour", "rule")

_HH = struct.Struct("=HH")
_I = struct.Struct("=I")
_unpack_hh = _HH.unpack_from
_unpack_i = _I.unpack_from
_MASK = C.NLA_TYPE_MASK

# message type -> (kind, is a deletion)
MSG_KINDS: dict[int, tuple[str, bool]] = {
    C.RTM_NEWLINK: ("link", False), C.RTM_DELLINK: ("link", True),
    C.RTM_NEWADDR: ("address", False), C.RTM_DELADDR: ("address", True),
    C.RTM_NEWROUTE: ("route", False), C.RTM_DELROUTE: ("route", True),
    C.RTM_NEWNEIGH: ("neighbour", False), C.RTM_DELNEIGH: ("neighbour", True),
    C.RTM_NEWRULE: ("rule", False), C.RTM_DELRULE: ("rule", True),
}

# kind -> (dump request type, families to dump one by one)
DUMPS: dict[str, tuple[int, tuple[int, ...]]] = {
    "link": (C.RTM_GETLINK, (C.AF_UNSPEC,)),
    "address": (C.RTM_GETADDR, (C.AF_INET, C.AF_INET6)),
    "route": (C.RTM_GETROUTE, (C.AF_INET, C.AF_INET6)),
    "neighbour": (C.RTM_GETNEIGH, (C.AF_INET, C.AF_INET6)),
    "rule": (C.RTM_GETRULE, (C.AF_INET, C.AF_INET6)),
}

# fixed header size per kind (ifinfomsg, ifaddrmsg, rtmsg, ndmsg, fib_rule_hdr)
HEADER_SIZE = {"link": 16, "address": 8, "route": 12, "neighbour": 12, "rule": 12}

# attributes that tick on their own (counters, timers, ages): not part of "changed"
VOLATILE_ATTRS: dict[str, frozenset[int]] = {
    "link": frozenset({7, 23, 44}),  # IFLA_STATS, IFLA_STATS64, IFLA_EVENT (events only)
    "address": frozenset({6}),  # IFA_CACHEINFO
    "route": frozenset({12, 23}),  # RTA_CACHEINFO, RTA_EXPIRES
    "neighbour": frozenset({3, 4}),  # NDA_CACHEINFO, NDA_PROBES
    "rule": frozenset(),
}

# a u32 of the fixed header that differs between an event and a dump of the same object:
# (offset, mask of the bits to keep) -- ifi_change is set in events only; RTM_F_NOTIFY too
_HEADER_NOISE: dict[str, tuple[int, int]] = {"link": (12, 0), "route": (8, ~C.RTM_F_NOTIFY)}

NTF_PROXY = 0x08
NUD_NOARP = 0x40  # in the low byte of ndm_state


def span(msg: Message) -> tuple[Any, int, int]:
    """(buffer, start, end) of the message's payload (after the netlink header).

    Reads the lazy view's own slots: the one place this module leans on codec internals.
    """
    return msg._buf, msg._start, msg._end


def payload(msg: Message) -> bytes:
    buf, start, end = span(msg)
    return bytes(buf[start:end])


def attrs(buf: Any, off: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(type, start, end) of each attribute; stops at the first malformed one."""
    while off + 4 <= end:
        ln, t = _unpack_hh(buf, off)
        nxt = off + ln
        if ln < 4 or nxt > end:
            return
        yield t & _MASK, off + 4, nxt
        off = (nxt + 3) & ~3


# --- keys ---------------------------------------------------------------------------------


def link_key(msg: Message) -> int:
    buf, start, _end = span(msg)
    return struct.unpack_from("=i", buf, start + 4)[0]


_ADDR_HDR = struct.Struct("=BBBBI")


def address_key(msg: Message) -> tuple:
    buf, start, end = span(msg)
    family, prefixlen, _flags, _scope, index = _ADDR_HDR.unpack_from(buf, start)
    local = address = b""
    for t, s, e in attrs(buf, start + 8, end):
        if t == 2:  # IFA_LOCAL: the interface's own address (IFA_ADDRESS may be the peer)
            local = bytes(buf[s:e])
        elif t == 1:
            address = bytes(buf[s:e])
    return (index, family, local or address, prefixlen)


def route_info(msg: Message) -> tuple[tuple, tuple[int, ...], bytes | None] | None:
    """(key, ifindexes of its nexthops, IPv4 preferred source or None) in one pass; None
    for routes the cache does not keep (see ``cache_route``)."""
    buf, start, end = span(msg)
    return _route.route_info(buf, start, end)


def route_key(msg: Message) -> tuple | None:
    info = route_info(msg)
    return info[0] if info is not None else None


_ND_HDR = struct.Struct("=BxxxiHBB")


def neighbour_key(msg: Message) -> tuple:
    buf, start, end = span(msg)
    family, ifindex, _state, _flags, _type = _ND_HDR.unpack_from(buf, start)
    dst = b""
    for t, s, e in attrs(buf, start + 12, end):
        if t == 1:  # NDA_DST
            dst = bytes(buf[s:e])
            break
    return (ifindex, family, dst)


def rule_key(msg: Message) -> tuple:
    buf, start, end = span(msg)
    family = buf[start]
    priority = 0
    rest = [bytes(buf[start:start + 12])]
    for t, s, e in attrs(buf, start + 12, end):
        if t == 6:  # FRA_PRIORITY
            priority = _unpack_i(buf, s)[0]
        else:
            rest.append(bytes(buf[s - 4:e]))
    return (family, priority, b"".join(rest))


KEY_FUNCS: dict[str, Callable[[Message], Any]] = {
    "link": link_key, "address": address_key, "route": route_key,
    "neighbour": neighbour_key, "rule": rule_key,
}


def key_of(kind: str, msg: Message) -> Any:
    """The kernel identity of ``msg`` as a ``kind`` object (see the module docstring)."""
    try:
        return KEY_FUNCS[kind](msg)
    except KeyError:
        raise ValueError(f"unknown object kind {kind!r} (one of {', '.join(KINDS)})") from None


# --- which messages are objects we keep ------------------------------------------------------


def _wanted_link(buf: Any, start: int) -> bool:
    return buf[start] == C.AF_UNSPEC  # AF_BRIDGE link messages describe bridge ports


def _wanted_inet(buf: Any, start: int) -> bool:
    return buf[start] in (C.AF_INET, C.AF_INET6)


def _wanted_route(buf: Any, start: int) -> bool:
    # cached/cloned exception routes are not in a normal dump, and other families (ipmr,
    # mpls) are not kept
    return buf[start] in _route.KEPT_FAMILIES and not (
        _unpack_i(buf, start + 8)[0] & C.RTM_F_CLONED)


def _wanted_neighbour(buf: Any, start: int) -> bool:
    # proxy entries only appear in dumps that ask for them; NOARP entries are the ones the
    # kernel makes for multicast without telling anyone (`ip neigh` hides them too)
    return (buf[start] in (C.AF_INET, C.AF_INET6) and not buf[start + 10] & NTF_PROXY
            and not buf[start + 8] & NUD_NOARP)


_WANTED = {"link": _wanted_link, "address": _wanted_inet, "route": _wanted_route,
           "neighbour": _wanted_neighbour, "rule": _wanted_inet}


def wanted(kind: str, msg: Message) -> bool:
    buf, start, end = span(msg)
    if end - start < HEADER_SIZE[kind]:
        return False  # too short to be one of ours; the codec would refuse it too
    return _WANTED[kind](buf, start)


# --- change detection -----------------------------------------------------------------------


# bridges count and time things inside IFLA_LINKINFO without telling: (IFLA_INFO_* naming
# the kind, the INFO_DATA-like attribute, what ticks in it), for a bridge and a bridge port
IFLA_LINKINFO = 18
_LINKINFO_TIMERS = (
    # IFLA_BR_*_TIMER (16-19), _MCAST_QUERIER_STATE (47), _FDB_N_LEARNED (48)
    (1, 2, frozenset({16, 17, 18, 19, 47, 48})),
    # IFLA_BRPORT_*_TIMER (21-23), _MCAST_N_GROUPS (41)
    (4, 5, frozenset({21, 22, 23, 41})),
)


def _strip(buf: Any, off: int, end: int, drop: frozenset[int]) -> bytes:
    return b"".join(bytes(buf[s - 4:e]) for t, s, e in attrs(buf, off, end) if t not in drop)


IFLA_AF_SPEC = 26
# IFLA_AF_SPEC/AF_INET6: IFLA_INET6_FLAGS (RS sent, RA received, ready: announced on the
# IPv6 ifinfo group only), _STATS, _CACHEINFO, _ICMP6STATS
_AF_SPEC_TICKING = {C.AF_INET6: frozenset({1, 3, 5, 6})}


def _af_spec_print(buf: Any, off: int, end: int) -> bytes:
    """IFLA_AF_SPEC without the IPv6 counters and state flags (configuration stays)."""
    parts = []
    for t, s, e in attrs(buf, off, end):
        drop = _AF_SPEC_TICKING.get(t)
        parts.append(bytes(buf[s - 4:e]) if drop is None else _strip(buf, s, e, drop))
    return b"".join(parts)


def _linkinfo_print(buf: Any, off: int, end: int) -> bytes:
    """IFLA_LINKINFO without the bridge (port) timers, which count on their own."""
    found = {t: (s, e) for t, s, e in attrs(buf, off, end)}
    drop_inner: dict[int, frozenset[int]] = {}
    for kind_attr, data_attr, timers in _LINKINFO_TIMERS:
        kspan = found.get(kind_attr)
        if kspan and bytes(buf[kspan[0]:kspan[1]]).rstrip(b"\0") == b"bridge":
            drop_inner[data_attr] = timers
    parts = []
    for t, s, e in attrs(buf, off, end):
        inner = drop_inner.get(t)
        parts.append(bytes(buf[s - 4:e]) if inner is None else _strip(buf, s, e, inner))
    return b"".join(parts)


RTA_MULTIPATH = 9


def _hops_print(buf: Any, off: int, end: int) -> bytes:
    """RTA_MULTIPATH with its nexthops in a fixed order: an IPv6 event lists the hop just
    appended first, a dump lists hops in the order they came."""
    hops = []
    while off + 8 <= end:
        ln = struct.unpack_from("=H", buf, off)[0]
        if ln < 8:
            break
        hops.append(bytes(buf[off:off + ln]))
        off += (ln + 3) & ~3
    return b"MP" + b"".join(sorted(hops))


def fingerprint(kind: str, msg: Message) -> bytes:
    """The message's bytes minus what ticks on its own: equal fingerprints, same object state."""
    buf, start, end = span(msg)
    size = HEADER_SIZE[kind]
    head = bytearray(buf[start:start + size])
    noise = _HEADER_NOISE.get(kind)
    if noise is not None:
        off, keep = noise
        value = _unpack_i(head, off)[0] & keep & 0xFFFFFFFF
        _I.pack_into(head, off, value)
    parts = [bytes(head)]
    volatile = VOLATILE_ATTRS[kind]
    for t, s, e in attrs(buf, start + size, end):
        if t in volatile:
            continue
        if kind == "link" and t == IFLA_LINKINFO:
            parts.append(_linkinfo_print(buf, s, e))
        elif kind == "link" and t == IFLA_AF_SPEC:
            parts.append(_af_spec_print(buf, s, e))
        elif kind == "route" and t == RTA_MULTIPATH:
            parts.append(_hops_print(buf, s, e))
        else:
            parts.append(bytes(buf[s - 4:e]))
    return b"".join(parts)


def same_state(kind: str, old: Message, new: Message) -> bool:
    """True when ``new`` says nothing that ``old`` did not (raw bytes first: the fast path)."""
    if payload(old) == payload(new):
        return True
    return fingerprint(kind, old) == fingerprint(kind, new)
