"""Attribute layouts: where each attribute of a message sits, learnt once per shape.

The messages of a big dump come in a handful of shapes: every route of a 100,000-route dump
has its attribute headers at the same offsets. A ``Layout`` describes one shape: the span of
each attribute (relative to the payload, after the netlink header), one ``struct`` that reads
every attribute header of the shape (recognising a message is one ``unpack_from`` and a tuple
compare), and readers compiled from it on first use:

- ``memo``: name -> how ``get(name)`` reads it (the lean views of ``dump.py``);
- ``whole``: the fixed header and every attribute in one ``unpack_from`` (``Message.whole``);
- ``wire``: names -> the header fields and attributes asked for, integers decoded and
  everything else as its payload bytes, in one ``unpack_from`` (``Message.wire_values``).

There is one cache of layouts, bounded as a whole (``LAYOUTS_MAX`` shapes; emptied when
full), keyed by message schema and payload length (each ``Schema`` holds its part). Blocks of more than ``LAYOUT_MAX_ATTRS`` attributes (links)
are rarely alike: they get a layout that is used once and not kept.
"""

from __future__ import annotations

import _socket as socket  # the C module: socket.py imports enum (start-up time)
import struct
from _operator import itemgetter  # the C module (start-up time)

from .constants import NLA_TYPE_MASK
from .errors import DecodeError

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Reader = Callable[[Any, Any, int], Any]  # (owner view, buffer, payload start) -> value

_unpack_hh = struct.Struct("=HH").unpack_from

LAYOUT_MAX_ATTRS = 24
LAYOUTS_PER_SIZE = 4
LAYOUTS_MAX = 2048
WIRE_READERS_MAX = 64  # per layout

# scalar kinds one struct code reads (native byte order, as the kernel sends them)
NATIVE_CODES = {"u8": "B", "u16": "H", "u32": "I", "u64": "Q", "s8": "b", "s16": "h",
                "s32": "i", "s64": "q"}
_CODE_SIZE = {code: struct.calcsize("=" + code) for code in NATIVE_CODES.values()}
_ntoa = socket.inet_ntoa
_AF6 = socket.AF_INET6


def _ntop6(raw: bytes) -> str:
    return socket.inet_ntop(_AF6, raw)


_IP_TEXT = {4: _ntoa, 16: _ntop6}


class Schema:
    """One kind of message, compiled: its fixed header (a ``StructSpec``) and attribute table.

    Message types that share both (RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE) share one schema,
    and so share their layouts.
    """

    __slots__ = ("spec", "table", "rows", "by_type", "hsize", "head_fmt", "layouts")

    def __init__(self, spec: Any, table: Any) -> None:
        self.layouts: dict[int, list[Layout]] = {}  # its part of the cache, by payload length
        _schemas.append(self)
        self.spec = spec
        self.table = table
        table.lookup("")  # compile the table
        self.rows = table._by_name
        self.by_type = table.by_type
        self.hsize = spec.size
        fmt = spec.st.format
        self.head_fmt = fmt[1:] if fmt[:1] in "=<>!@" else fmt


LAYOUT = object()  # the key under which a memo keeps its own layout (no name can be it)
WIRE = object()  # ... and its wire readers


class Layout:
    """One shape of attribute block (see the module docstring). Its ``memo`` is a plain
    dict (the hot path of lean views is one ``dict.get``) that holds the layout itself
    under ``LAYOUT``."""

    __slots__ = ("index", "check", "expect", "memo", "whole", "wire")

    def __init__(self, index: dict, check: Any, expect: tuple) -> None:
        self.index = index  # {attribute type: (a, b) or [(a, b), ...]}, relative spans
        self.check = check  # unpack_from of every attribute header, or None (not kept)
        self.expect = expect
        self.whole: Whole | None = None
        # id(names) -> (names, reader(buf, start)): the names tuple is kept, so its id
        # stays its own
        self.wire: dict[int, tuple[tuple, Callable]] = {}
        self.memo: dict = {LAYOUT: self, WIRE: self.wire}


_schemas: list[Schema] = []
_kept = [0]  # layouts kept, all schemas together (the cache's bound)
_learnt = [0]


def clear() -> None:
    """Forget every layout (the cache starts over)."""
    for schema in _schemas:
        schema.layouts.clear()
    _kept[0] = 0


def learnt() -> int:
    """How many layouts were learnt so far (a big dump learns each shape once)."""
    return _learnt[0]


def learn(schema: Schema, buf: Any, start: int, end: int) -> Layout:
    """Walk the attribute block of the payload ``buf[start:end]``; DecodeError if malformed."""
    index: dict[int, Any] = {}
    fmt = ["="]
    expect: list[int] = []
    off = start + schema.hsize
    pos = start
    mask = NLA_TYPE_MASK
    while off + 4 <= end:
        ln, t = _unpack_hh(buf, off)
        nxt = off + ln
        if ln < 4 or nxt > end:
            raise DecodeError(f"attribute length {ln} does not fit", off)
        fmt.append(f"{off - pos}xHH")
        expect += (ln, t)
        pos = off + 4
        t &= mask
        span = (off + 4 - start, nxt - start)
        old = index.get(t)
        if old is None:
            index[t] = span
        elif old.__class__ is list:
            old.append(span)
        else:
            index[t] = [old, span]
        off = (nxt + 3) & ~3
    _learnt[0] += 1
    if len(expect) > 2 * LAYOUT_MAX_ATTRS:
        return Layout(index, None, ())
    return Layout(index, struct.Struct("".join(fmt)).unpack_from, tuple(expect))


def find(schema: Schema, buf: Any, start: int, end: int) -> Layout:
    """The layout of the payload ``buf[start:end]``: a known one, else learnt (and kept)."""
    known = schema.layouts.get(end - start)
    if known is not None:
        for lay in known:
            if lay.check(buf, start) == lay.expect:
                return lay
    lay = learn(schema, buf, start, end)
    if lay.check is not None:
        if _kept[0] >= LAYOUTS_MAX:
            clear()
            known = None
        if known is None:
            known = schema.layouts.setdefault(end - start, [])
        if len(known) >= LAYOUTS_PER_SIZE:
            del known[0]
        else:
            _kept[0] += 1
        known.append(lay)
    return lay


def first_span(index: dict, atype: int) -> tuple[int, int] | None:
    span = index.get(atype)
    if span is not None and span.__class__ is list:
        return span[0]
    return span


# --- the whole message at once -------------------------------------------------------------



def _reader(row: Any, a: int, b: int) -> Reader:
    dec = row.dec
    if row.scalar:
        return lambda m, buf, s: dec(buf, s + a, s + b)
    return lambda m, buf, s: dec(m, buf, s + a, s + b)


def _raw_reader(a: int, b: int) -> Reader:
    return lambda m, buf, s: bytes(buf[s + a:s + b])


def _value_code(row: Any, size: int) -> str | None:
    """The struct code that reads this attribute's value whole, if one does."""
    if not row.scalar:
        return None
    kind = row.kind
    if kind == "uint":
        kind = {4: "u32", 8: "u64"}.get(size)
    code = NATIVE_CODES.get(kind)
    if code is not None and size >= _CODE_SIZE[code]:
        return code
    return None


class Whole:
    """Reads the fixed header and every attribute (first of repeats) of one layout."""

    __slots__ = ("values", "nhead", "names", "convert", "others")

    def __init__(self, schema: Schema, lay: Layout) -> None:
        fmt = ["=", schema.head_fmt]
        pos = schema.hsize
        names: list[str] = []
        convert: list[tuple[str, Callable]] = []
        others: list[tuple[str, Reader]] = []
        by_type = schema.by_type
        spans = sorted((first_span(lay.index, t), t) for t in lay.index)
        for (a, b), t in spans:
            row = by_type.get(t)
            if row is None:
                others.append((f"UNKNOWN_{t}", _raw_reader(a, b)))
                continue
            code = _value_code(row, b - a)
            if code is not None:
                fmt.append(f"{a - pos}x{code}")
                pos = a + _CODE_SIZE[code]
                names.append(row.name)
            elif row.kind == "ipaddr" and b - a in _IP_TEXT:
                fmt.append(f"{a - pos}x{b - a}s")
                pos = b
                names.append(row.name)
                convert.append((row.name, _IP_TEXT[b - a]))
            else:
                others.append((row.name, _reader(row, a, b)))
        self.values = struct.Struct("".join(fmt)).unpack_from
        self.nhead = len(schema.spec.names)
        self.names = tuple(names)
        self.convert = tuple(convert)
        self.others = tuple(others)

    def read(self, m: Any, buf: Any, start: int) -> tuple[tuple, dict[str, Any]]:
        vals = self.values(buf, start)
        n = self.nhead
        attrs = dict(zip(self.names, vals[n:], strict=False))
        for name, fn in self.convert:
            attrs[name] = fn(attrs[name])
        for name, read in self.others:
            attrs[name] = read(m, buf, start)
        return vals[:n], attrs


def whole(schema: Schema, lay: Layout, m: Any, buf: Any, start: int
          ) -> tuple[tuple, dict[str, Any]]:
    w = lay.whole
    if w is None:
        w = Whole(schema, lay)
        if lay.check is not None:
            lay.whole = w
    return w.read(m, buf, start)


# --- chosen fields in wire form ------------------------------------------------------------


_ABSENT = (None,)


def _all_spans(index: dict) -> list[tuple[int, int, int]]:
    out = []
    for t, span in index.items():
        for a, b in (span if span.__class__ is list else [span]):
            out.append((a, b, t))
    return sorted(out)


def wire_reader(schema: Schema, lay: Layout, names: tuple[str, ...]
                ) -> tuple[tuple, Callable, Callable, Callable]:
    """``(names, unpack, headers, pick)`` for ``Message.wire_values``: named header fields
    and attributes of one layout, integers decoded, anything else as its payload bytes,
    absent attributes as None.

    ``unpack(buf, start)`` reads, in one call, the fixed header, every attribute header of
    the layout and the values asked for; ``headers(vals)`` are the attribute headers (equal
    to ``lay.expect`` when a message has this layout: one read both recognises a fresh
    message and reads it); ``pick(vals + (None,))`` puts the values in the order of names.
    """
    nhead = len(schema.spec.names)
    want: dict[int, tuple[str, int]] = {}  # span start -> (struct code, position in names)
    where: list[int | None] = []
    for i, name in enumerate(names):
        h = schema.spec.index.get(name)
        if h is not None:
            where.append(h)
            continue
        row = schema.table.lookup(name)
        if row is None:
            raise ValueError(f"{name!r} is neither a header field nor an attribute of"
                             f" the {schema.table.prefix}* table")
        where.append(None)
        span = first_span(lay.index, row.type)
        if span is not None:
            a, b = span
            want.setdefault(a, (_value_code(row, b - a) or f"{b - a}s", i))
    fmt = ["=", schema.head_fmt]
    pos, n = schema.hsize, nhead
    headers: list[int] = []
    values: dict[int, int] = {}  # position in names -> item of the unpacked tuple
    for a, _b, _t in _all_spans(lay.index):
        fmt.append(f"{a - 4 - pos}xHH")
        headers += (n, n + 1)
        n += 2
        pos = a
        got = want.get(a)
        if got is not None:
            code, i = got
            fmt.append(code)
            values[i] = n
            n += 1
            pos = a + struct.calcsize("=" + code)
    unpack = struct.Struct("".join(fmt)).unpack_from
    picks = [values.get(i, n) if w is None else w for i, w in enumerate(where)]
    get = itemgetter(*picks)  # item n: the None appended
    pick = get if len(picks) > 1 else (lambda vals: (get(vals),))
    if not headers:
        return names, unpack, (lambda vals: ()), pick
    hget = itemgetter(*headers)
    return names, unpack, hget, pick


def wire(schema: Schema, lay: Layout, names: tuple[str, ...], buf: Any, start: int) -> tuple:
    """``Message.wire_values``: the reader of ``names`` for this layout, compiled once."""
    if lay.check is None:  # a one-off layout (a link): read directly, compile nothing
        return wire_direct(schema, lay, names, buf, start)
    w = lay.wire.get(id(names))
    if w is None or w[0] is not names:
        w = wire_reader(schema, lay, names)
        if lay.check is not None:
            if len(lay.wire) >= WIRE_READERS_MAX:  # callers that build names every time
                lay.wire.clear()
            lay.wire[id(names)] = w
    return w[3](w[1](buf, start) + _ABSENT)


_UNPACKERS: dict[str, Callable] = {}


def wire_direct(schema: Schema, lay: Layout, names: tuple[str, ...], buf: Any, start: int
                ) -> tuple:
    """``wire`` for a layout seen once: each value read by itself, no struct compiled (a
    compiled reader costs more than it saves when it is used once)."""
    head = None
    out = []
    for name in names:
        h = schema.spec.index.get(name)
        if h is not None:
            if head is None:
                head = schema.spec.st.unpack_from(buf, start)
            out.append(head[h])
            continue
        row = schema.table.lookup(name)
        if row is None:
            raise ValueError(f"{name!r} is neither a header field nor an attribute of"
                             f" the {schema.table.prefix}* table")
        span = first_span(lay.index, row.type)
        if span is None:
            out.append(None)
            continue
        a, b = span
        code = _value_code(row, b - a)
        if code is None:
            out.append(bytes(buf[start + a:start + b]))
            continue
        unpack = _UNPACKERS.get(code)
        if unpack is None:
            unpack = _UNPACKERS[code] = struct.Struct("=" + code).unpack_from
        out.append(unpack(buf, start + a)[0])
    return tuple(out)
