"""Lean message views: the codec's ``Message`` API, built with less work per message.

A dump of 100,000 routes makes 100,000 messages, so what one message costs matters:

* construction sets four slots; the per-type constants (message type, fixed header,
  attribute table) are class attributes of one small subclass per message type, and
  flags / seq / pid are read from the buffer when asked for;
* the attribute index is shared: messages of one type whose attribute headers sit at the
  same places (every route of a big dump) share one index of spans relative to the
  message. Recognising a known layout is one ``struct.unpack_from`` and a tuple compare,
  instead of a walk and a dict per message. An unknown layout is walked as usual.

Everything else (nested values, ``attrs()``, ``dump()``, repr) is the codec's own code.
Decoding errors are the codec's ``DecodeError``, raised at the same moments.
"""

from __future__ import annotations

import functools
import socket
import struct
from typing import Any

from .codec import constants as C
from .codec import nla
from .codec.errors import DecodeError
from .codec.message import MESSAGE_TYPES, Message, parse
from .codec.views import AttrSet

_NLH = struct.Struct("=IHHII")
_unpack_nlh = _NLH.unpack_from
_unpack_len_type = struct.Struct("=IH").unpack_from
_unpack_hh = struct.Struct("=HH").unpack_from
_MASK = C.NLA_TYPE_MASK

_TYPES = object()  # the memo key of the type index (no caller can pass it)
_SCALAR, _COMPOSITE, _HEADER, _ABSENT = "scalar", "composite", "header", "absent"
_UNPACK, _SLICE = "unpack", "slice"
_ABSENT_ENTRY = (None, 0, 0, _ABSENT)

# scalar kinds read by one C call, when the span is long enough for them (a short one
# goes through the codec's decoder, which raises its DecodeError): kind -> (size, reader)
_INT_FORMATS = {"u8": "=B", "u16": "=H", "u32": "=I", "u64": "=Q", "s8": "=b", "s16": "=h",
                "s32": "=i", "s64": "=q", "be16": ">H", "be32": ">I", "be64": ">Q"}
_DIRECT = {kind: (struct.calcsize(fmt), struct.Struct(fmt).unpack_from)
           for kind, fmt in _INT_FORMATS.items()}
_IP_TEXT = {4: socket.inet_ntoa, 16: functools.partial(socket.inet_ntop, socket.AF_INET6)}


def _fast_entry(row: Any, a: int, b: int) -> tuple:
    """The memo entry of attribute ``row`` at span a..b (relative to the message)."""
    if not row.scalar:
        return (row.dec, a, b, _COMPOSITE)
    direct = _DIRECT.get(row.kind)
    if direct is not None and b - a >= direct[0]:
        return (direct[1], a, b, _UNPACK)
    if row.kind == "ipaddr" and b - a in _IP_TEXT:
        return (_IP_TEXT[b - a], a, b, _SLICE)
    return (row.dec, a, b, _SCALAR)


LAYOUT_MAX_ATTRS = 24  # longer blocks (links) are rarely alike: walk them, cache nothing
LAYOUTS_PER_LENGTH = 4
LAYOUTS_MAX = 512  # per message type; the cache is emptied when it grows past this


def _learn(buf: Any, start: int, off: int, end: int) -> tuple[dict, struct.Struct | None, tuple]:
    """Walk an attribute block: (index of spans relative to ``start``, a struct that reads
    every attribute header of this layout, the header values it must find)."""
    index: dict[int, Any] = {}
    fmt = ["="]
    expect: list[int] = []
    pos = start
    while off + 4 <= end:
        ln, t = _unpack_hh(buf, off)
        nxt = off + ln
        if ln < 4 or nxt > end:
            raise DecodeError(f"attribute length {ln} does not fit", off)
        fmt.append(f"{off - pos}xHH")
        expect += (ln, t)
        pos = off + 4
        t &= _MASK
        span = (off + 4 - start, nxt - start)
        old = index.get(t)
        if old is None:
            index[t] = span
        elif type(old) is list:
            old.append(span)
        else:
            index[t] = [old, span]
        off = (nxt + 3) & ~3
    if len(expect) > 2 * LAYOUT_MAX_ATTRS:
        return index, None, ()
    return index, struct.Struct("".join(fmt)), tuple(expect)


class LeanMessage(Message):
    """Base of the per-type lean classes. Class attributes shadow the codec's slots for
    the constants; only ``_buf``, ``_start``, ``_end`` and ``_idx`` live in the object."""

    __slots__ = ()
    _depth = 0
    _fields = None  # header fields are unpacked when read, never cached
    nsid = None  # lean messages come from sockets that do not tag namespaces
    _rows: dict = {}
    _hdr: dict = {}
    _layouts: dict = {}
    _min = 0

    def __init__(self, buf: Any, start: int, end: int) -> None:
        # (buf, start, end) of the payload after the 16-byte netlink header
        if end - start < self._min:
            raise DecodeError(f"{self.event} needs {self._min} bytes of header, "
                              f"has {end - start}", start)
        self._buf = buf
        self._start = start
        self._end = end
        self._idx = None

    @property
    def flags(self) -> int:  # type: ignore[override]
        return _unpack_nlh(self._buf, self._start - 16)[2]

    @property
    def seq(self) -> int:  # type: ignore[override]
        return _unpack_nlh(self._buf, self._start - 16)[3]

    @property
    def pid(self) -> int:  # type: ignore[override]
        return _unpack_nlh(self._buf, self._start - 16)[4]

    # --- the shared attribute index --------------------------------------------------
    #
    # ``_idx`` is a memo keyed by the names asked for: name -> (read, a, b, how). An
    # attribute at span a..b (relative to _start) is read by one C call (_UNPACK: an
    # integer, _SLICE: an address) or by the codec's decoder (_SCALAR, _COMPOSITE); a
    # header field (_HEADER) is item b of the header struct; _ABSENT: neither. Under
    # _TYPES it keeps the {attribute type: relative span} index. Messages with one
    # layout share one memo.

    def _rel_index(self) -> dict:
        buf = self._buf
        start = self._start
        cache = self._layouts
        size = self._end - start
        known = cache.get(size)
        if known is not None:
            for st, expect, memo in known:
                if st.unpack_from(buf, start) == expect:
                    self._idx = memo
                    return memo
        index, st, expect = _learn(buf, start, start + self._spec.size, self._end)
        memo = {_TYPES: index}
        if st is not None:
            if len(cache) >= LAYOUTS_MAX:
                cache.clear()
            known = cache.setdefault(size, [])
            if len(known) >= LAYOUTS_PER_LENGTH:
                del known[0]
            known.append((st, expect, memo))
        self._idx = memo
        return memo

    def _entry(self, memo: dict, key: Any) -> tuple:
        row = self._rows.get(key)
        if row is not None:
            span = memo[_TYPES].get(row.type)
            if span is not None:
                if span.__class__ is list:
                    span = span[0]
                entry = _fast_entry(row, span[0], span[1])
                memo[key] = entry
                return entry
        i = self._spec.index.get(key)
        entry = _ABSENT_ENTRY if i is None else (self._spec.st.unpack_from, 0, i, _HEADER)
        memo[key] = entry
        return entry

    def _index(self) -> dict:
        """The codec's absolute-span index (for code that asks for it)."""
        return nla.walk(self._buf, self._start + self._spec.size, self._end)

    def _span_value(self, row: Any, span: tuple[int, int]) -> Any:
        s = self._start
        if row.scalar:
            return row.dec(self._buf, s + span[0], s + span[1])
        return row.dec(self, self._buf, s + span[0], s + span[1])

    # --- the Message API, on the shared index -----------------------------------------

    def get(self, key: Any, default: Any = None) -> Any:
        memo = self._idx
        if memo is None:
            memo = self._rel_index()
        entry = memo.get(key)
        if entry is None:
            if key.__class__ is tuple:
                return AttrSet.get(self, key, default)
            entry = self._entry(memo, key)
        how = entry[3]
        if how is _UNPACK:
            return entry[0](self._buf, self._start + entry[1])[0]
        if how is _SLICE:
            s = self._start
            return entry[0](self._buf[s + entry[1]:s + entry[2]])
        if how is _SCALAR:
            s = self._start
            return entry[0](self._buf, s + entry[1], s + entry[2])
        if how is _HEADER:
            return entry[0](self._buf, self._start)[entry[2]]
        if how is _COMPOSITE:
            s = self._start
            return entry[0](self, self._buf, s + entry[1], s + entry[2])
        return default

    def get_attr(self, name: str, default: Any = None) -> Any:
        row = self._rows.get(name)
        if row is None:
            return default
        memo = self._idx
        if memo is None:
            memo = self._rel_index()
        span = memo[_TYPES].get(row.type)
        if span is None:
            return default
        if span.__class__ is list:
            span = span[0]
        return self._span_value(row, span)

    def get_attrs(self, name: str) -> list:
        row = self._rows.get(name)
        if row is None:
            return []
        memo = self._idx
        if memo is None:
            memo = self._rel_index()
        span = memo[_TYPES].get(row.type)
        if span is None:
            return []
        spans = span if span.__class__ is list else [span]
        return [self._span_value(row, s) for s in spans]

    def _field(self, name: str) -> Any:
        get = self._hdr.get(name)
        if get is None:
            raise KeyError(name)
        return get(self._buf, self._start)[0]

    def __getitem__(self, key: str) -> Any:
        get = self._hdr.get(key)
        if get is not None:
            return get(self._buf, self._start)[0]
        return Message.__getitem__(self, key)

    def __reduce__(self) -> Any:
        # pickling/copying: rebuild from the raw bytes
        return (_rebuild, (self.raw(),))


def _rebuild(raw: bytes) -> Message:
    return lean_parse(raw)[0]


def _one_field(st: struct.Struct, i: int) -> Any:
    def read(buf: Any, off: int) -> tuple:
        return (st.unpack_from(buf, off)[i],)

    return read


def _field_readers(spec: Any) -> dict[str, Any]:
    """{field name: unpack_from of a struct that reads only that field}."""
    fmt = spec.st.format
    order, codes = fmt[0], fmt[1:]
    if order not in "=<>!":  # native alignment: let struct place the fields
        return {n: _one_field(spec.st, i) for i, n in enumerate(spec.names)}
    out = {}
    offset = 0
    names = iter(spec.names)
    for code in codes:
        size = struct.calcsize(order + code)
        if code != "x":
            out[next(names)] = struct.Struct(f"{order}{offset}x{code}").unpack_from
        offset += size
    return out


def _lean_class(mtype: int, spec: Any, table: Any) -> type[LeanMessage]:
    table.lookup("")  # compile the table: its name index is read directly below
    name = C.MESSAGE_NAMES.get(mtype, f"Type{mtype}")
    return type(f"Lean_{name}", (LeanMessage,), {
        "__slots__": (),
        "type": mtype,
        "_spec": spec,
        "_table": table,
        "_rows": table._by_name,
        "_hdr": _field_readers(spec),
        "_layouts": {},
        "_min": spec.size,
    })


LEAN_CLASSES: dict[int, type[LeanMessage]] = {
    mtype: _lean_class(mtype, spec, table)
    for mtype, (cls, spec, table) in MESSAGE_TYPES.items()
    if cls is Message
}

_new = object.__new__


def lean_view(cls: type[LeanMessage], data: Any, off: int, end: int) -> LeanMessage:
    """The message at ``data[off:end]`` (netlink header included) as a ``cls`` view."""
    if end - off - 16 < cls._min:
        raise DecodeError(f"{C.MESSAGE_NAMES.get(cls.type, cls.type)} needs {cls._min} bytes"
                          f" of header, has {end - off - 16}", off + 16)
    m = _new(cls)
    m._buf = data
    m._start = off + 16
    m._end = end
    m._idx = None
    return m


def one_message(data: Any, off: int, end: int) -> Message:
    """The message at ``data[off:end]`` as the codec builds it (errors, acks, events)."""
    ln, mtype, flags, seq, pid = _unpack_nlh(data, off)
    entry = MESSAGE_TYPES.get(mtype)
    if entry is None or (mtype == C.NLMSG_DONE and ln < 20):
        return parse(bytes(data[off:end]))[0]  # rare: let the codec deal with it
    cls, spec, table = entry
    return cls(data, off + 16, end, spec, table, mtype, flags, seq, pid)


def lean_parse(data: Any) -> list[Message]:
    """Split one datagram like ``codec.parse``; object messages come out lean."""
    out: list[Message] = []
    append = out.append
    off = 0
    n = len(data)
    classes = LEAN_CLASSES
    while off + 16 <= n:
        ln, mtype = _unpack_len_type(data, off)
        end = off + ln
        if ln < 16 or end > n:
            raise DecodeError(f"message length {ln} does not fit in {n - off} bytes", off)
        cls = classes.get(mtype)
        append(lean_view(cls, data, off, end) if cls is not None
               else one_message(data, off, end))
        off = (end + 3) & ~3
    if off < n:
        raise DecodeError(f"{n - off} trailing bytes after the last message", off)
    return out


__all__ = ["LEAN_CLASSES", "LeanMessage", "lean_parse", "lean_view", "one_message"]
