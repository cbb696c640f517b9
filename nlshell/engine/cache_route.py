"""A route's identity, nexthop links and preferred source, read in one go.

Reading these is most of the work of loading 100,000 routes. The codec's
``Message.wire_values`` reads the fields and attributes named in ``_PICK`` in one
``unpack_from`` per message, through the layout the codec learnt for that shape of route
(every route of a big dump has one of a handful): addresses stay bytes, integers come
decoded. Multipath routes (rare) read their nexthops through the codec's views.

The result is ``(key, oifs, prefsrc, nh_id)``, or None for routes the cache does not keep
(other families, cloned exception routes, undecodable messages); ``nh_id`` is the nexthop
object the route uses (RTA_NH_ID), else None. Keys are documented in ``cache_keys``.

Then how the cache keeps a million of them (issue 13: at most 250 bytes a route):
``RouteTable`` holds each route as a packed key and the message's own bytes, and makes
messages on access; ``LinkIndex`` lists the routes through each link.
"""

from __future__ import annotations

import ast
import struct
from collections.abc import (
    Callable,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    ValuesView,
)
from typing import Any

from .codec import constants as C
from .codec.dump import LEAN_CLASSES, lean_view
from .codec.errors import DecodeError
from .codec.message import Message, parse

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


# --- routes kept compact -----------------------------------------------------------------
#
# A million routes as message objects over their datagrams cost ~500 bytes each. The cache
# keeps each route as two ``bytes``: its identity key packed (15 bytes for an IPv4 route),
# and the message's own bytes (netlink header included, so the message made from them is
# the one received). Messages are made again on access: one ``parse`` of ~60-120 bytes.
#
# Packed keys: a plain IPv4 key is exactly 15 bytes (no tag); every other form starts
# with a tag byte and is never 15 bytes long, so one packed key names one tuple key.

_V4 = struct.Struct("=I4sBBIB")  # table, dst, dst_len, tos, priority, type
_TAGGED = {  # tag -> (layout after the tag, family)
    1: (struct.Struct("=IBBIB"), C.AF_INET),  # IPv4 without RTA_DST
    2: (struct.Struct("=I16sBBIB"), C.AF_INET6),  # IPv6, merges into multipath
    3: (struct.Struct("=I16sBBIBI"), C.AF_INET6),  # IPv6 through a device
    4: (struct.Struct("=I16sBBIBI16s"), C.AF_INET6),  # IPv6 through a gateway
}
_GENERIC = 0xFF  # anything else: the tuple's repr (rare: odd lengths, multipath v6 '*')
_S1, _S2, _S3, _S4 = (_TAGGED[t][0] for t in (1, 2, 3, 4))


def pack_key(key: tuple) -> bytes:
    """The compact form of a route's identity key (see ``unpack_key``)."""
    try:
        if len(key) == 7 and key[0] == C.AF_INET:
            _f, table, dst, dst_len, tos, priority, rtype = key
            if len(dst) == 4:
                return _V4.pack(table, dst, dst_len, tos, priority, rtype)
            if not dst:
                return b"\x01" + _S1.pack(table, dst_len, tos, priority, rtype)
        elif len(key) == 8 and key[0] == C.AF_INET6 and len(key[2]) == 16:
            _f, table, dst, dst_len, tos, priority, rtype, via = key
            if via is None:
                return b"\x02" + _S2.pack(table, dst, dst_len, tos, priority, rtype)
            oif, gateway = via
            if not gateway:
                return b"\x03" + _S3.pack(table, dst, dst_len, tos, priority, rtype, oif)
            if len(gateway) == 16:
                return b"\x04" + _S4.pack(table, dst, dst_len, tos, priority, rtype, oif,
                                          gateway)
    except (struct.error, TypeError):
        pass  # a value out of the packed ranges: the generic form
    return bytes((_GENERIC,)) + repr(key).encode()


def unpack_key(packed: bytes) -> tuple:
    """The route identity key (a tuple, as ``route_info`` makes it) of a packed key."""
    if len(packed) == 15:
        table, dst, dst_len, tos, priority, rtype = _V4.unpack(packed)
        return (C.AF_INET, table, dst, dst_len, tos, priority, rtype)
    tag = packed[0]
    if tag == 1:
        table, dst_len, tos, priority, rtype = _S1.unpack_from(packed, 1)
        return (C.AF_INET, table, b"", dst_len, tos, priority, rtype)
    if tag == 2:
        return (C.AF_INET6, *_S2.unpack_from(packed, 1), None)
    if tag == 3:
        *head, oif = _S3.unpack_from(packed, 1)
        return (C.AF_INET6, *head, (oif, b""))
    if tag == 4:
        *head, oif, gateway = _S4.unpack_from(packed, 1)
        return (C.AF_INET6, *head, (oif, gateway))
    return ast.literal_eval(packed[1:].decode())


def key_family(packed: bytes) -> int:
    """The address family of a packed route key, without unpacking it."""
    if len(packed) == 15 or packed[0] == 1:
        return C.AF_INET
    if packed[0] in _TAGGED:
        return C.AF_INET6
    return unpack_key(packed)[0]


_TYPE = struct.Struct("=H")
_VIEW = LEAN_CLASSES[C.RTM_NEWROUTE]  # what a dump gives: the class the cache always kept


def message(raw: bytes) -> Message:
    """The route message kept as ``raw`` (its bytes, netlink header included): the codec's
    lean view over them (a third of the time ``parse`` takes, and a smaller object)."""
    if _TYPE.unpack_from(raw, 4)[0] == C.RTM_NEWROUTE:
        return lean_view(_VIEW, raw, 0, len(raw))
    return parse(raw)[0]


class RouteTable(Mapping):
    """Routes by identity key, kept compact: ``{packed key: message bytes}`` inside, a
    mapping of tuple keys to messages outside (messages are made on each access).

    The store mutates it through the ``*_raw`` methods; ``copy()`` is a frozen view of
    the moment (a copy of the inner dict: cheap, no message made)."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[bytes, bytes] | None = None) -> None:
        self._data: dict[bytes, bytes] = {} if data is None else data

    # --- the mapping of tuple keys to messages ------------------------------------------------

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[tuple]:
        return map(unpack_key, self._data)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and pack_key(key) in self._data

    def __getitem__(self, key: tuple) -> Message:
        raw = self._data.get(pack_key(key)) if isinstance(key, tuple) else None
        if raw is None:
            raise KeyError(key)
        return message(raw)

    def get(self, key: Any, default: Any = None) -> Any:
        raw = self._data.get(pack_key(key)) if isinstance(key, tuple) else None
        return default if raw is None else message(raw)

    def keys(self) -> KeysView:
        return _Keys(self)

    def items(self) -> ItemsView:
        return _Items(self)

    def values(self) -> ValuesView:
        return _Values(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RouteTable):
            return self._data == other._data
        return Mapping.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]  # (mutable, as a dict)

    def __repr__(self) -> str:
        return f"<RouteTable of {len(self._data)} routes>"

    def copy(self) -> RouteTable:
        return RouteTable(dict(self._data))

    # --- the store's side: packed keys and bytes ----------------------------------------------

    def raw(self, packed: bytes) -> bytes | None:
        return self._data.get(packed)

    def set_raw(self, packed: bytes, raw: bytes) -> None:
        self._data[packed] = raw

    def clear(self) -> None:
        self._data.clear()

    def pop_raw(self, packed: bytes) -> bytes | None:
        return self._data.pop(packed, None)

    def packed_keys(self) -> KeysView:
        return self._data.keys()

    def select(self, on_key: Callable[[tuple], bool] | None,
               on_both: Callable[[tuple, Message], bool] | None) -> list[Message]:
        """The messages whose key passes ``on_key`` and then (key, message) ``on_both``
        (None: no test): messages are made only for keys that pass."""
        if on_key is None and on_both is None:
            return [message(raw) for raw in self._data.values()]
        out = []
        for packed, raw in self._data.items():
            key = unpack_key(packed)
            if on_key is not None and not on_key(key):
                continue
            msg = message(raw)
            if on_both is None or on_both(key, msg):
                out.append(msg)
        return out

    def subset(self, packed: Iterable[bytes]) -> RouteTable:
        """A frozen view of the routes with these packed keys (those still here)."""
        data = self._data
        return RouteTable({k: data[k] for k in packed if k in data})


class _Keys(KeysView):
    __slots__ = ()

    def __iter__(self) -> Iterator[tuple]:
        return map(unpack_key, self._mapping._data)


class _Items(ItemsView):
    __slots__ = ()

    def __iter__(self) -> Iterator[tuple[tuple, Message]]:
        for packed, raw in self._mapping._data.items():
            yield unpack_key(packed), message(raw)


class _Values(ValuesView):
    __slots__ = ()

    def __iter__(self) -> Iterator[Message]:
        for raw in self._mapping._data.values():
            yield message(raw)


class LinkIndex:
    """ifindex -> packed keys of the routes through it, as plain lists (8 bytes a route,
    where sets took ~30). Adding appends; a route leaving a link (deleted, or now through
    other links) is only noted in the link's *gone* set, and a list with gone keys is
    checked when next read, or when they pile up: entries not gone are valid as they are
    (a dict lookup each); a gone key is kept once, if its route is back through the link.
    A list with nothing gone is exact: each route through the link, once. Unread lists are
    checked too, when half their entries may be gone or repeated (routes coming and going
    on a link would otherwise grow its list for ever): the work stays proportional to the
    changes."""

    __slots__ = ("lists", "gone", "checked", "table")

    PILE = 64  # gone keys tolerated before a list is checked even unread

    def __init__(self, table: RouteTable) -> None:
        self.lists: dict[int, list[bytes]] = {}
        self.gone: dict[int, set[bytes]] = {}
        self.checked: dict[int, int] = {}  # a list's length after its last check
        self.table = table

    def add(self, oif: int, packed: bytes) -> None:
        keys = self.lists.get(oif)
        if keys is None:
            self.lists[oif] = [packed]
            return
        keys.append(packed)
        if oif in self.gone and len(keys) > 2 * self.checked.get(oif, 0) + self.PILE:
            self._check(oif)  # repeats may be piling up

    def drop(self, oif: int, packed: bytes) -> None:
        """The route ``packed`` left ``oif``."""
        gone = self.gone.get(oif)
        if gone is None:
            gone = self.gone[oif] = set()
        gone.add(packed)
        if len(gone) > self.PILE and 2 * len(gone) > len(self.lists.get(oif, ())):
            self._check(oif)

    def get(self, oif: int) -> list[bytes]:
        """The packed keys of the routes through ``oif`` now (do not modify the list)."""
        if oif in self.gone:
            self._check(oif)
        return self.lists.get(oif) or []

    def _check(self, oif: int) -> None:
        gone = self.gone.pop(oif, set())
        raw_of = self.table.raw
        kept: list[bytes] = []
        back: set[bytes] = set()
        for packed in self.lists.get(oif, ()):
            if packed in gone:
                if packed in back:
                    continue  # appended again when it came back: once is enough
                raw = raw_of(packed)
                info = None if raw is None else route_info(message(raw))
                if info is None or oif not in info[1]:
                    continue
                back.add(packed)
            kept.append(packed)
        if kept:
            self.lists[oif] = kept
            self.checked[oif] = len(kept)
        else:
            self.lists.pop(oif, None)
            self.checked.pop(oif, None)
