"""A route's identity, nexthop links and preferred source, read from its bytes quickly.

Reading these is most of the work of loading 100,000 routes, so it is done two ways:

- ``walk``: one pass over the attributes, for any message;
- compiled layouts: routes of one dump mostly have their attributes at the same places.
  A layout learnt from a walk becomes one ``struct`` format that reads the fixed header, every
  attribute header and the values we want in a single ``unpack_from``; a message fits the
  layout when its attribute headers are the ones expected. No walk, no slicing.

The result is ``(key, oifs, prefsrc)``, or None for routes the cache does not keep (other
families, cloned exception routes). Keys are documented in ``cache_keys``.
"""

from __future__ import annotations

import struct
from operator import itemgetter
from typing import Any

from .codec import constants as C

_HH = struct.Struct("=HH")
_I = struct.Struct("=I")
_H = struct.Struct("=H")
_i = struct.Struct("=i")
_RT_HDR = struct.Struct("=BBBBBBBBI")
_unpack_hh = _HH.unpack_from
_unpack_i = _I.unpack_from
_MASK = C.NLA_TYPE_MASK

RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC = 1, 4, 5, 6, 7
RTA_MULTIPATH, RTA_TABLE, RTA_NH_ID = 9, 15, 30
RTPROT_RA = 9
KEPT_FAMILIES = (C.AF_INET, C.AF_INET6)

Info = tuple[tuple, tuple[int, ...], "bytes | None"]


def _ipv6_via(oifs: tuple[int, ...], gateway: bytes | None, solo: bool, proto: int
              ) -> tuple | None:
    # IPv6 keeps routes differing only in their nexthop, except those that merge into
    # multipath: a gateway, not from a router advert, no nexthop object
    if solo or gateway is None or proto == RTPROT_RA:
        return (oifs[0] if oifs else 0, gateway or b"")
    return None


def walk(buf: Any, start: int, end: int) -> tuple[Info | None, list | None]:
    """(info, attribute list for learning a layout -- None if it has multipath)."""
    family, dst_len, _sl, tos, table, proto, _sc, rtype, flags = _RT_HDR.unpack_from(buf, start)
    if family not in KEPT_FAMILIES or flags & C.RTM_F_CLONED:
        return None, None
    dst = b""
    priority = 0
    oifs: tuple[int, ...] = ()
    prefsrc = gateway = None
    solo = False
    seen: list | None = []
    off = start + 12
    while off + 4 <= end:
        ln, t = _unpack_hh(buf, off)
        nxt = off + ln
        if ln < 4 or nxt > end:
            seen = None  # malformed tail: take what we have, learn nothing
            break
        if seen is not None:
            seen.append((off - start, ln, t))
        t &= _MASK
        if t == RTA_DST:
            dst = bytes(buf[off + 4:nxt])
        elif t == RTA_OIF:
            oifs = (_unpack_i(buf, off + 4)[0],)
        elif t == RTA_PRIORITY:
            priority = _unpack_i(buf, off + 4)[0]
        elif t == RTA_TABLE:
            table = _unpack_i(buf, off + 4)[0]
        elif t == RTA_PREFSRC:
            prefsrc = bytes(buf[off + 4:nxt])
        elif t == RTA_GATEWAY:
            gateway = bytes(buf[off + 4:nxt])
        elif t == RTA_MULTIPATH:
            oifs = multipath_oifs(buf, off + 4, nxt)
            gateway = b"*"
            seen = None
        elif t == RTA_NH_ID:
            solo = True
        off = (nxt + 3) & ~3
    key: tuple = (family, table, dst, dst_len, tos, priority, rtype)
    if family == C.AF_INET6:
        key += (_ipv6_via(oifs, gateway, solo, proto),)
    return (key, oifs, prefsrc if family == C.AF_INET else None), seen


def multipath_oifs(buf: Any, off: int, end: int) -> tuple[int, ...]:
    """The ifindex of each struct rtnexthop in an RTA_MULTIPATH payload."""
    out = []
    while off + 8 <= end:
        ln = _H.unpack_from(buf, off)[0]
        if ln < 8:
            break
        out.append(_i.unpack_from(buf, off + 4)[0])
        off += (ln + 3) & ~3
    return tuple(out)


# --- compiled layouts --------------------------------------------------------------------

_WORDS = {RTA_OIF, RTA_PRIORITY, RTA_TABLE}  # u32 values read into the tuple
_BYTES = {RTA_DST, RTA_PREFSRC, RTA_GATEWAY}  # addresses read as bytes
LAYOUTS_PER_LENGTH = 4
LAYOUTS_MAX = 1024
_layouts: dict[int, list] = {}
_count = 0


def _compile(attrs: list[tuple[int, int, int]]) -> tuple:
    """A layout from ``walk``'s attribute list: (unpack, headers getter, expected headers,
    reader of the values)."""
    fmt = ["=BBBBBBBBI"]
    pos, n = 12, 9  # bytes consumed, items produced
    headers, expect = [], []
    where: dict[int, int] = {}
    for off, ln, t in attrs:
        if off > pos:
            fmt.append(f"{off - pos}x")
        fmt.append("HH")
        headers += (n, n + 1)
        expect += (ln, t)
        n += 2
        size = ln - 4
        base = t & _MASK
        if base in _WORDS and size == 4:
            fmt.append("I")
            where[base] = n
            n += 1
        elif base in _BYTES:
            fmt.append(f"{size}s")
            where[base] = n
            n += 1
        elif size:
            fmt.append(f"{size}x")
        pos = off + ln
    const_empty, const_zero, const_none = n, n + 1, n + 2
    consts = (b"", 0, None)
    table = where.get(RTA_TABLE, 4)
    pick_key = itemgetter(0, table, where.get(RTA_DST, const_empty), 1, 3,
                          where.get(RTA_PRIORITY, const_zero), 7)
    oif = where.get(RTA_OIF)
    gateway = where.get(RTA_GATEWAY)
    prefsrc = where.get(RTA_PREFSRC, const_none)
    solo = any(t & _MASK == RTA_NH_ID for _o, _l, t in attrs)

    def read(vals: tuple) -> Info | None:
        family = vals[0]
        if family not in KEPT_FAMILIES or vals[8] & C.RTM_F_CLONED:
            return None
        vals += consts
        key = pick_key(vals)
        oifs = (vals[oif],) if oif is not None else ()
        if family == C.AF_INET6:
            gw = vals[gateway] if gateway is not None else None
            return key + (_ipv6_via(oifs, gw, solo, vals[5]),), oifs, None
        return key, oifs, vals[prefsrc]

    return (struct.Struct("".join(fmt)).unpack_from, itemgetter(*headers), tuple(expect),
            read)


def route_info(buf: Any, start: int, end: int) -> Info | None:
    """(key, oifs, prefsrc) of the route in ``buf[start:end]``; None if not kept."""
    global _count
    known = _layouts.get(end - start)
    if known is not None:
        for unpack, headers, expect, read in known:
            vals = unpack(buf, start)
            if headers(vals) == expect:
                return read(vals)
    info, attrs = walk(buf, start, end)
    if attrs:  # learn it (the cache of layouts is bounded: start over when full)
        if _count >= LAYOUTS_MAX:
            _layouts.clear()
            _count = 0
        slot = _layouts.setdefault(end - start, [])
        if len(slot) < LAYOUTS_PER_LENGTH:
            slot.append(_compile(attrs))
            _count += 1
    return info
