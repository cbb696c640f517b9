"""Filters for the cache's readers: ``routes(table=254)``, ``addresses(index=3)``, ...

A filter name is read like ``Message.get`` reads it (an attribute by short or full name,
else a header field), so the same words work as with ``IPRoute.get_routes(**filters)``.
Fields that are part of an object's identity are read from its key, and attributes are
decoded without keeping a decoded index on the message: filtering 100,000 cached routes
must not grow them.

Two readings differ from ``Message.get``, on purpose: ``routes(oif=N)`` matches every
route with a nexthop on N (multipath hops included), and ``routes(priority=0)`` matches
IPv4 routes that carry no RTA_PRIORITY (the kernel's metric 0). ``routes(dst='10.0.0.0/24')``
matches dst and dst_len together. A callable value is a predicate on the field's value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import cache_keys as K
from .codec import addr as _addr
from .codec import link as _link
from .codec import neigh as _neigh
from .codec import nexthop as _nexthop
from .codec import route as _route
from .codec import rule as _rule
from .codec import tc as _tc
from .codec.message import Message
from .names import decimal_of

Getter = Callable[[Any, Message], Any]  # (key, message) -> value

_CODEC = {"link": _link, "address": _addr, "route": _route, "neighbour": _neigh,
          "rule": _rule, "nexthop": _nexthop, "fdb": _neigh, "qdisc": _tc, "class": _tc}

# identity fields: name -> position in the key (None: the key itself)
_KEY_FIELDS: dict[str, dict[str, int | None]] = {
    "link": {"index": None},
    "address": {"index": 0, "family": 1, "prefixlen": 3},
    "route": {"family": 0, "table": 1, "dst_len": 3, "tos": 4, "priority": 5, "type": 6},
    "neighbour": {"ifindex": 0, "family": 1},
    "rule": {"family": 0, "priority": 1},
    "nexthop": {"id": None},
    "fdb": {},
    "qdisc": {"index": 0, "parent": 1, "handle": 2},
    "class": {"index": 0, "handle": 1},
}


def _key_getter(pos: int | None) -> Getter:
    if pos is None:
        return lambda key, msg: key
    return lambda key, msg: key[pos]


def _field_getter(kind: str, name: str) -> Getter | None:
    i = _CODEC[kind].HEADER.index.get(name)
    if i is None:
        return None

    def get(key: Any, msg: Message) -> Any:
        return msg.header_tuple()[i]
    return get


def _attr_getter(kind: str, name: str, fallback: Getter | None) -> Getter | None:
    row = _CODEC[kind].ATTRS.lookup(name)
    if row is None:
        return None
    if not row.scalar:
        # nested kinds need their owner view: let the message decode them
        def get_nested(key: Any, msg: Message) -> Any:
            value = msg.get(name)
            return fallback(key, msg) if value is None and fallback else value
        return get_nested
    # a scalar: its payload in wire form through the message's shared layout, then the
    # codec's decoder (no decoded index kept on the message)
    pick, dec = (row.name,), row.dec

    def get(key: Any, msg: Message) -> Any:
        raw = msg.wire_values(pick)[0]
        if raw is None:
            return fallback(key, msg) if fallback else None
        if raw.__class__ is int:
            return raw
        return dec(raw, 0, len(raw))
    return get


def _route_oifs(key: Any, msg: Message) -> tuple[int, ...]:
    return K.route_info(msg)[1]


def getter(kind: str, name: Any) -> Getter:
    """How to read filter ``name`` from a ``kind`` object; ValueError for unknown names."""
    if isinstance(name, tuple):  # a path into nested attributes, as Message.get takes
        return lambda key, msg: msg.get(name)
    if not isinstance(name, str):
        raise ValueError(f"{kind} filter {name!r} is not a name")
    pos = _KEY_FIELDS[kind].get(name, -1)
    if pos != -1:
        return _key_getter(pos)
    field = _field_getter(kind, name)
    attr = _attr_getter(kind, name, field)
    if attr is not None:
        return attr
    if field is not None:
        return field
    raise ValueError(f"unknown {kind} filter {name!r}")


KeyTest = Callable[[Any], bool]
Test = Callable[[Any, Message], bool]


def predicates(kind: str, filters: dict[str, Any]) -> tuple[KeyTest | None, Test | None]:
    """``filters`` as two tests (None: nothing to test): one on the key alone (the
    identity fields), one on (key, message) for the rest. Routes are kept as bytes and
    made into messages on access: only those whose key passes need one."""
    on_key: list[KeyTest] = []
    on_both: list[Test] = []
    for name, want in filters.items():
        if want is None:
            continue
        if kind == "route" and name == "oif":
            on_both.append(_oif_test(want))
            continue
        if kind == "route" and name == "dst" and isinstance(want, str) and "/" in want:
            dst, _, plen = want.partition("/")
            length = decimal_of(plen, 128)
            if length is None:
                raise ValueError(f"route filter dst={want!r}: prefix length is not a number")
            on_key.append(_key_test(_KEY_FIELDS[kind]["dst_len"], length))
            want = dst
        pos = _KEY_FIELDS[kind].get(name, -1) if isinstance(name, str) else -1
        if pos != -1:
            on_key.append(_key_test(pos, want))
        else:
            on_both.append(_test(getter(kind, name), want))
    return _every(on_key), _every_pair(on_both)


def predicate(kind: str, filters: dict[str, Any]) -> Test | None:
    """One test for all ``filters`` (None values are ignored); None when nothing to test."""
    return joined(*predicates(kind, filters))


def joined(on_key: KeyTest | None, on_both: Test | None) -> Test | None:
    """The two tests of ``predicates`` as one on (key, message)."""
    if on_key is None:
        return on_both
    if on_both is None:
        return lambda key, msg: on_key(key)
    return lambda key, msg: on_key(key) and on_both(key, msg)


def _every(tests: list[KeyTest]) -> KeyTest | None:
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]
    return lambda key: all(t(key) for t in tests)


def _every_pair(tests: list[Test]) -> Test | None:
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]
    return lambda key, msg: all(t(key, msg) for t in tests)


def _key_test(pos: int | None, want: Any) -> KeyTest:
    if pos is None:
        return (lambda key: bool(want(key))) if callable(want) else (lambda key: key == want)
    if callable(want):
        return lambda key: bool(want(key[pos]))
    return lambda key: key[pos] == want


def _test(get: Getter, want: Any) -> Callable[[Any, Message], bool]:
    if callable(want):
        return lambda key, msg: bool(want(get(key, msg)))
    return lambda key, msg: get(key, msg) == want


def _oif_test(want: Any) -> Callable[[Any, Message], bool]:
    if callable(want):
        return lambda key, msg: any(want(o) for o in _route_oifs(key, msg))
    return lambda key, msg: want in _route_oifs(key, msg)
