"""A route's identity, nexthop links and preferred source, read in one go.

Reading these is most of the work of loading 100,000 routes. The codec's
``Message.wire_values`` reads the fields and attributes named in ``_PICK`` in one
``unpack_from`` per message, through the layout the codec learnt for that shape of route
(every route of a big dump has one of a handful): addresses stay bytes, integers come
decoded. Multipath routes (rare) read their nexthops through the codec's views.

The result is ``(key, oifs, prefsrc, nh_id)``, or None for routes the cache does not keep
(other families, cloned exception routes, undecodable messages); ``nh_id`` is the nexthop
object the route uses (RTA_NH_ID), else None. Keys are documented in ``cache_keys``.
"""

from __future__ import annotations

from typing import Any

from .codec import constants as C
from .codec.errors import DecodeError

KEPT_FAMILIES = (C.AF_INET, C.AF_INET6)

Info = tuple[tuple, tuple[int, ...], "bytes | None", "int | None"]

_PICK = ("family", "table", "dst_len", "tos", "proto", "type", "flags",
         "RTA_DST", "RTA_OIF", "RTA_PRIORITY", "RTA_TABLE", "RTA_PREFSRC", "RTA_GATEWAY",
         "RTA_NH_ID", "RTA_MULTIPATH")


def _ipv6_via(oifs: tuple[int, ...], gateway: bytes | None, solo: bool, proto: int
              ) -> tuple | None:
    # IPv6 keeps routes differing only in their nexthop, except those that merge into
    # multipath: a gateway, not from a router advert, no nexthop object
    if solo or gateway is None or proto == C.RTPROT_RA:
        return (oifs[0] if oifs else 0, gateway or b"")
    return None


def _hop_links(msg: Any) -> tuple[int, ...]:
    try:
        return tuple(hop["oif"] for hop in msg.get("RTA_MULTIPATH") or ())
    except DecodeError:
        return ()


def route_info(msg: Any) -> Info | None:
    """(key, oifs, prefsrc, nh_id) of route message ``msg``; None if not kept."""
    try:
        (family, table, dst_len, tos, proto, rtype, flags, dst, oif, priority, rtable,
         prefsrc, gateway, nh_id, multipath) = msg.wire_values(_PICK)
    except DecodeError:
        return None
    if family not in KEPT_FAMILIES or flags & C.RTM_F_CLONED:
        return None
    if rtable is not None:
        table = rtable
    key: tuple = (family, table, dst or b"", dst_len, tos, priority or 0, rtype)
    if multipath is not None:
        oifs = _hop_links(msg)
        gateway = b"*"
    else:
        oifs = (oif,) if oif is not None else ()
    if family == C.AF_INET6:
        return key + (_ipv6_via(oifs, gateway, nh_id is not None, proto),), oifs, None, nh_id
    return key, oifs, prefsrc, nh_id
