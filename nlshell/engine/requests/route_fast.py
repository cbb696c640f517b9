"""The common route requests encoded straight to bytes: bulk adds of 100,000 routes.

`fast_route` takes route add/replace/append/change/del with only dst (a prefix string),
oif, gateway (same family), table, priority (and family, when it is the destination's) and
gives exactly the bytes the general path (`route.route_request` + the codec's encoder)
would, or None to say "use the general path". Attribute numbers come from the codec's
route table by name; ip's defaults from `route_defaults`.
"""

from __future__ import annotations

import _socket as socket  # the C module: socket.py imports enum (start-up time)
import struct
from typing import Any

from ..codec import constants as C
from ..codec import route as route_tables
from ..codec.message import NLMSGHDR
from ..names import decimal_of
from . import route_defaults as defaults
from .base import VERBS

# nlmsghdr + rtmsg, packed in one go
_RTMSG = struct.Struct("=" + NLMSGHDR.format.lstrip("=")
                       + route_tables.HEADER.st.format.lstrip("="))
_HDR_LEN = _RTMSG.size
_ATTR_U32 = struct.Struct("=HHI")
_ATTR_HDR = struct.Struct("=HH")


def _rta(name: str) -> int:
    row = route_tables.ATTRS.lookup(name)
    if row is None:
        raise LookupError(f"the codec's route table has no {name}")  # wiring bug: loud
    return row.type


_RTA_DST, _RTA_GATEWAY, _RTA_TABLE, _RTA_OIF, _RTA_PRIORITY = (
    _rta("RTA_DST"), _rta("RTA_GATEWAY"), _rta("RTA_TABLE"), _rta("RTA_OIF"),
    _rta("RTA_PRIORITY"))
_DST4 = _ATTR_HDR.pack(8, _RTA_DST)
_DST6 = _ATTR_HDR.pack(20, _RTA_DST)
_FAST_ROUTE_KEYS = frozenset(("dst", "oif", "index", "gateway", "table", "priority",
                              "metric", "family"))


def _verb_header(cmd: str, face: defaults.Face) -> tuple[int, int, int, int, int, int, int, int]:
    """verb -> (message type, header flags, proto, type, table, IPv4 scope without a
    gateway, with one, IPv6 scope), from the face's defaults."""
    action, flags = VERBS[cmd]
    rtype = None if action == "del" else defaults.ADD_TYPE
    return ((C.RTM_DELROUTE if action == "del" else C.RTM_NEWROUTE), flags | C.NLM_F_REQUEST,
            defaults.default_proto(action, face),
            rtype or 0, defaults.default_table(rtype),
            defaults.default_scope(action, C.AF_INET, rtype, True, face),
            defaults.default_scope(action, C.AF_INET, rtype, False, face),
            defaults.default_scope(action, C.AF_INET6, rtype, True, face))


# face -> verb -> header (see route_defaults)
_FAST_ROUTE_VERBS = {face: {cmd: _verb_header(cmd, face) for cmd in
                            ("add", "replace", "append", "change", "prepend", "del",
                             "delete", "remove")}
                     for face in (defaults.IP_FACE, defaults.LIBRARY_FACE)}
_NO_VERBS: dict = {}
_inet_pton = socket.inet_pton
_AF4, _AF6 = socket.AF_INET, socket.AF_INET6
_COMPAT = C.RT_TABLE_COMPAT


def _fast_ip(text: Any) -> tuple[bytes, int] | None:
    if type(text) is not str:
        return None
    try:
        if ":" in text:
            return _inet_pton(_AF6, text), C.AF_INET6
        return _inet_pton(_AF4, text), C.AF_INET
    except OSError:
        return None


def _u32_attr(atype: int, v: Any) -> bytes | None:
    if type(v) is not int or not 0 <= v <= 0xFFFFFFFF:
        return None
    return _ATTR_U32.pack(8, atype, v)


def fast_route(cmd: str, kw: dict, face: defaults.Face = defaults.IP_FACE) -> bytes | None:
    """The request for route add/replace/append/change/del with only dst (a prefix
    string), oif, gateway (same family), table, priority, as one encoded message with seq
    0, NLM_F_REQUEST set; None when the keywords need the general path. The bytes equal
    ``encode(*route_request(cmd, kw, face).as_tuple())`` with NLM_F_REQUEST added."""
    verb = _FAST_ROUTE_VERBS.get(face, _NO_VERBS).get(cmd)
    if verb is None or not _FAST_ROUTE_KEYS.issuperset(kw) or None in kw.values():
        return None
    dst = kw.get("dst")
    if type(dst) is not str:
        return None
    addr, _, plen = dst.partition("/")
    try:
        if ":" in addr:
            raw, fam, maxlen, body = _inet_pton(_AF6, addr), C.AF_INET6, 128, _DST6
        else:
            raw, fam, maxlen, body = _inet_pton(_AF4, addr), C.AF_INET, 32, _DST4
    except OSError:
        return None
    if "family" in kw and kw["family"] != fam:
        return None  # another family than the destination's: the general path decides
    if plen:
        dst_len = decimal_of(plen, maxlen)  # ASCII digits only
        if dst_len is None:
            return None  # the general path explains what is wrong
    else:
        dst_len = maxlen
    body += raw
    gateway = kw.get("gateway")
    if gateway is not None:
        got = _fast_ip(gateway)
        if got is None or got[1] != fam:
            return None
        body += _ATTR_HDR.pack(4 + len(got[0]), _RTA_GATEWAY) + got[0]
    mtype, flags, proto, rtype, hdr_table, scope, gw_scope, scope6 = verb
    table = kw.get("table")
    if table is not None:
        attr = _u32_attr(_RTA_TABLE, table)
        if attr is None:
            return None
        hdr_table = table if table < 256 else _COMPAT
        body += attr
    if "index" in kw:
        if "oif" in kw:
            return None  # both: the general path packs both
        oif = kw["index"]
    else:
        oif = kw.get("oif")
    if oif is not None:
        attr = _u32_attr(_RTA_OIF, oif)
        if attr is None:
            return None
        body += attr
    prio = kw.get("priority")
    if "metric" in kw:
        if prio is not None:
            return None
        prio = kw["metric"]
    if prio is not None:
        attr = _u32_attr(_RTA_PRIORITY, prio)
        if attr is None:
            return None
        body += attr
    if fam == C.AF_INET6:
        scope = scope6
    elif gateway is not None:
        scope = gw_scope
    return _RTMSG.pack(_HDR_LEN + len(body), mtype, flags, 0, 0, fam, dst_len, 0, 0,
                       hdr_table, proto, scope, rtype, 0) + body
