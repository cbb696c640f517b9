"""Lean message views: the codec's ``Message`` API, built with less work per message.

A dump of 100,000 routes makes 100,000 messages, so what one message costs matters:

* construction sets four slots; the per-type constants (message type, fixed header,
  attribute table) are class attributes of one small subclass per message type, and
  flags / seq / pid are read from the buffer when asked for;
* the attribute index is shared: messages of one kind whose attribute headers sit at the
  same places (every route of a big dump) share one ``layout.Layout``, from the codec's one
  cache of layouts. Recognising a known layout is one ``struct.unpack_from`` and a tuple
  compare, instead of a walk and a dict per message. An unknown layout is learnt.

Everything else (nested values, ``attrs()``, ``dump()``, repr) is the codec's own code.
Decoding errors are the codec's ``DecodeError``, raised at the same moments.
"""

from __future__ import annotations

import _socket as socket  # the C module: socket.py imports enum (start-up time)
import struct

from . import constants as C
from . import layout, nla
from .errors import DecodeError
from .message import (
    PSEUDO_FIELDS,
    SCHEMAS,
    ByType,
    Message,
    family_entry,
    load_family,
    on_family_load,
    parse,
)
from .views import AttrSet

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from typing import Any

_NLH = struct.Struct("=IHHII")
_unpack_nlh = _NLH.unpack_from
_unpack_len_type = struct.Struct("=IH").unpack_from
_unpack_len = struct.Struct("=I").unpack_from
_DATA = 16  # message types below this are netlink control messages

_SCALAR, _COMPOSITE, _HEADER, _ABSENT = "scalar", "composite", "header", "absent"
_UNPACK, _IPV4, _SLICE, _COMPUTED = "unpack", "ipv4", "slice", "computed"
_ABSENT_ENTRY = (None, 0, 0, _ABSENT)
# the memo of a view whose layout is not looked up yet: empty, so the hot path's one
# ``memo.get`` misses and the miss path looks the layout up (never written to)
_UNSET: dict = {}

# scalar kinds read by one C call, when the span is long enough for them (a short one
# goes through the codec's decoder, which raises its DecodeError): kind -> (size, reader)
_INT_FORMATS = {"u8": "=B", "u16": "=H", "u32": "=I", "u64": "=Q", "s8": "=b", "s16": "=h",
                "s32": "=i", "s64": "=q", "be16": ">H", "be32": ">I", "be64": ">Q"}
_SIZES = {kind: struct.calcsize(fmt) for kind, fmt in _INT_FORMATS.items()}
_AT: dict[tuple[str, int], Any] = {}  # (kind, offset) -> unpack_from of that kind there


def _at(kind: str, a: int) -> Any:
    """unpack_from of a ``kind`` integer at offset ``a`` of what it is given (the offset
    in the format: one addition less on every read)."""
    got = _AT.get((kind, a))
    if got is None:
        fmt = _INT_FORMATS[kind]
        got = _AT[kind, a] = struct.Struct(f"{fmt[0]}{a}x{fmt[1:]}").unpack_from
    return got
_IP_TEXT = {4: socket.inet_ntoa, 16: lambda raw: socket.inet_ntop(socket.AF_INET6, raw)}
# an IPv4 address as text: its four octets (one unpack) through a table of their decimal
# texts into one f-string, 40% cheaper than slicing the bytes out for inet_ntoa (route
# destinations are read 100,000 at a time)
_DECIMAL = [str(i) for i in range(256)]
_OCTETS: dict[int, Any] = {}  # offset -> unpack_from of the four octets there


def _octets(a: int) -> Any:
    got = _OCTETS.get(a)
    if got is None:
        got = _OCTETS[a] = struct.Struct(f"={a}x4B").unpack_from
    return got


def _fast_entry(row: Any, a: int, b: int) -> tuple:
    """The memo entry of attribute ``row`` at span a..b (relative to the message)."""
    if not row.scalar:
        return (row.dec, a, b, _COMPOSITE)
    size = _SIZES.get(row.kind)
    if size is not None and b - a >= size:
        return (_at(row.kind, a), a, b, _UNPACK)
    if row.kind == "ipaddr" and b - a == 4:
        return (_octets(a), a, b, _IPV4)
    if row.kind == "ipaddr" and b - a in _IP_TEXT:
        return (_IP_TEXT[b - a], a, b, _SLICE)
    return (row.dec, a, b, _SCALAR)


class LeanMessage(Message):
    """Base of the per-type lean classes. Class attributes shadow the codec's slots for
    the constants; only ``_buf``, ``_start`` and ``_idx`` (its layout's memo) live
    in the object."""

    __slots__ = ()
    _depth = 0
    _fields = None  # header fields are unpacked when read, never cached
    nsid = None  # lean messages come from sockets that do not tag namespaces
    _rows: dict = {}
    _hdr: dict = {}
    _schema: Any = None
    _by_size: dict = {}  # the schema's part of the layout cache
    _min = 0

    def __init__(self, buf: Any, start: int, end: int) -> None:
        # (buf, start, end) of the payload after the 16-byte netlink header
        _check_frame(type(self), buf, start - 16, end)
        self._buf = buf
        self._start = start
        self._idx = _UNSET

    @property
    def _end(self) -> int:  # type: ignore[override]
        # where the message ends is in its own netlink header: not kept in the view (one
        # int object less to make and free per view of a 100,000-route dump)
        start = self._start
        return start - 16 + _unpack_len(self._buf, start - 16)[0]

    @property
    def flags(self) -> int:  # type: ignore[override]
        return _unpack_nlh(self._buf, self._start - 16)[2]

    @property
    def seq(self) -> int:  # type: ignore[override]
        return _unpack_nlh(self._buf, self._start - 16)[3]

    @property
    def pid(self) -> int:  # type: ignore[override]
        return _unpack_nlh(self._buf, self._start - 16)[4]

    def raw(self) -> bytes:
        """The message's bytes, header included: its header is in the buffer, just before
        the payload (one copy, where packing the header again read it three times)."""
        return bytes(self._buf[self._start - 16:self._end])

    # --- the shared layout -----------------------------------------------------------
    #
    # ``_idx`` is the ``memo`` of the message's ``Layout`` (shared by every message of that
    # shape; the layout itself is under ``layout.LAYOUT``), or ``_UNSET`` until looked up.
    # The memo is keyed by the names asked for: name -> (read, a, b, how). An attribute at
    # span a..b (relative to _start) is read by one C call (_UNPACK: an integer; _IPV4,
    # _SLICE: an address) or by the codec's decoder (_SCALAR, _COMPOSITE); a header field
    # (_HEADER) is item b of the header struct; _ABSENT: neither.

    def _memo(self) -> dict:
        buf, start = self._buf, self._start
        known = self._by_size.get(self._end - start)
        if known is not None:  # layout.find's check, without its call
            for lay in known:
                if lay.check(buf, start) == lay.expect:
                    return lay.memo
        return _find(self._schema, buf, start, self._end).memo

    def _layout(self) -> layout.Layout:
        memo = self._idx
        if memo is _UNSET:
            memo = self._idx = self._memo()
        return memo[_LAYOUT]

    def _entry(self, lay: layout.Layout, key: Any) -> tuple:
        row = self._rows.get(key)
        if row is not None:
            span = layout.first_span(lay.index, row.type)
            if span is not None:
                entry = _fast_entry(row, span[0], span[1])
                lay.memo[key] = entry
                return entry
        i = self._spec.index.get(key)
        if i is not None:
            entry = (self._spec.st.unpack_from, 0, i, _HEADER)
        else:
            pseudo = PSEUDO_FIELDS.get(self.type, {}).get(key)
            entry = _ABSENT_ENTRY if pseudo is None else (pseudo, 0, 0, _COMPUTED)
        lay.memo[key] = entry
        return entry

    def _index(self) -> dict:
        """The codec's absolute-span index (for code that asks for it)."""
        return nla.walk(self._buf, self._start + self._spec.size, self._end)

    def _span_value(self, row: Any, span: tuple[int, int]) -> Any:
        s = self._start
        if row.scalar:
            return row.dec(self._buf, s + span[0], s + span[1])
        return row.dec(self, self._buf, s + span[0], s + span[1])

    # --- the Message API, on the shared layout ----------------------------------------

    def get(self, key: Any, default: Any = None) -> Any:
        entry = self._idx.get(key)
        if entry is None:
            if key.__class__ is tuple:
                return AttrSet.get(self, key, default)
            memo = self._idx
            if memo is _UNSET:
                memo = self._idx = self._memo()
                entry = memo.get(key)
            if entry is None:
                entry = self._entry(memo[_LAYOUT], key)
        how = entry[3]
        if how is _UNPACK:
            return entry[0](self._buf, self._start)[0]
        if how is _IPV4:
            p, q, r, s = entry[0](self._buf, self._start)
            d = _DECIMAL
            return f"{d[p]}.{d[q]}.{d[r]}.{d[s]}"
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
        if how is _COMPUTED:
            return entry[0](self)
        return default

    def get_attr(self, name: str, default: Any = None) -> Any:
        row = self._rows.get(name)
        if row is None:
            return default
        span = layout.first_span(self._layout().index, row.type)
        if span is None:
            return default
        return self._span_value(row, span)

    def get_attrs(self, name: str) -> list:
        row = self._rows.get(name)
        if row is None:
            return []
        span = self._layout().index.get(row.type)
        if span is None:
            return []
        spans = span if span.__class__ is list else [span]
        return [self._span_value(row, s) for s in spans]

    def header_tuple(self) -> tuple:
        return self._spec.st.unpack_from(self._buf, self._start)

    def whole(self) -> tuple[tuple, dict[str, Any]]:
        memo = self._idx
        lay = memo[_LAYOUT] if memo is not _UNSET else self._layout()
        return layout.whole(self._schema, lay, self, self._buf, self._start)

    def wire_values(self, names: tuple[str, ...]) -> tuple:
        memo = self._idx
        buf, start = self._buf, self._start
        if memo is _UNSET:
            # a fresh message (the cache loading a dump): try the readers of ``names`` of
            # the layouts of its length; one unpack both recognises the layout and reads
            known = self._by_size.get(self._end - start)
            if known is not None:
                key = id(names)
                for lay in known:
                    w = lay.wire.get(key)
                    if w is not None and w[0] is names:
                        vals = w[1](buf, start)
                        if w[2](vals) == lay.expect:
                            self._idx = lay.memo
                            return w[3](vals + _ABSENT)
            memo = self._idx = self._memo()
        w = memo[_WIRE].get(id(names))
        if w is not None and w[0] is names:
            return w[3](w[1](buf, start) + _ABSENT)
        return layout.wire(self._schema, memo[_LAYOUT], names, buf, start)

    def _field(self, name: str) -> Any:
        get = self._hdr.get(name)
        if get is None:
            return Message._field(self, name)  # a pseudo-field, or KeyError
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


def _item_reader(hdr: dict[str, Any]) -> Any:
    """A family's ``__getitem__``: its header readers held by the closure, not read from
    the class on every call (a class attribute read through an instance is the slow kind
    of attribute read on Python 3.11)."""
    header_reader = hdr.get
    message_item = Message.__getitem__

    def __getitem__(self: LeanMessage, key: str) -> Any:
        get = header_reader(key)
        if get is not None:
            return get(self._buf, self._start)[0]
        return message_item(self, key)

    return __getitem__


def _lean_class(mtype: int, spec: Any, table: Any, hdr: dict[str, Any],
                item: Any) -> type[LeanMessage]:
    schema = SCHEMAS[mtype]
    name = C.MESSAGE_NAMES.get(mtype, f"Type{mtype}")
    return type(f"Lean_{name}", (LeanMessage,), {
        "__slots__": (),
        "type": mtype,
        "_spec": spec,
        "_table": table,
        "_rows": schema.rows,
        "_hdr": hdr,
        "__getitem__": item,
        "_schema": schema,
        "_by_size": schema.layouts,
        "_min": spec.size,
    })


def _add_lean_classes(family: Any) -> None:
    hdr = _field_readers(family.HEADER)  # one set for the family: its types share a header
    item = _item_reader(hdr)
    for mtype in family.TYPES:
        dict.__setitem__(LEAN_CLASSES, mtype,
                         _lean_class(mtype, family.HEADER, family.ATTRS, hdr, item))


# msg type -> its lean class, made as its family loads (see message.load_family: making
# them all cost start-up time). ``.get`` sees the loaded families only: ``lean_class``.
LEAN_CLASSES: dict[int, type[LeanMessage]] = ByType()
on_family_load(_add_lean_classes)


def lean_class(mtype: int) -> type[LeanMessage] | None:
    """``LEAN_CLASSES.get(mtype)``, loading the type's family first if need be."""
    cls = LEAN_CLASSES.get(mtype)
    if cls is None and load_family(mtype):
        cls = LEAN_CLASSES.get(mtype)
    return cls


_new = object.__new__
_find = layout.find
_LAYOUT = layout.LAYOUT
_WIRE = layout.WIRE
_ABSENT = (None,)


def _check_frame(cls: type[LeanMessage], data: Any, off: int, end: int) -> None:
    """DecodeError unless ``data[off:end]`` (netlink header included) can be a ``cls``
    view: room for its fixed header, and the end its own length field says (views read
    their end from there)."""
    if end - off - 16 < cls._min:
        raise DecodeError(f"{C.MESSAGE_NAMES.get(cls.type, cls.type)} needs {cls._min} bytes"
                          f" of header, has {end - off - 16}", off + 16)
    said = _unpack_len(data, off)[0]
    if said != end - off:
        raise DecodeError(f"{C.MESSAGE_NAMES.get(cls.type, cls.type)} ends at {end}, its "
                          f"header says {off + said}", off)


def lean_view(cls: type[LeanMessage], data: Any, off: int, end: int) -> LeanMessage:
    """The message at ``data[off:end]`` (netlink header included) as a ``cls`` view."""
    if end - off - 16 < cls._min or _unpack_len(data, off)[0] != end - off:
        _check_frame(cls, data, off, end)  # raises; the test above inline: one call less
    m = _new(cls)
    m._buf = data
    m._start = off + 16
    m._idx = _UNSET
    return m


def one_message(data: Any, off: int, end: int) -> Message:
    """The message at ``data[off:end]`` as the codec builds it (errors, acks, events)."""
    ln, mtype, flags, seq, pid = _unpack_nlh(data, off)
    entry = family_entry(mtype)
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
        cls = classes.get(mtype) or lean_class(mtype)
        append(lean_view(cls, data, off, end) if cls is not None
               else one_message(data, off, end))
        off = (end + 3) & ~3
    if off < n:
        raise DecodeError(f"{n - off} trailing bytes after the last message", off)
    return out


def dump_views(data: Any, off: int, seq: int, pid: int, append: Any, full: bool = False
               ) -> tuple[int, bool]:
    """Views of the messages of dump (``seq``, ``pid``) in ``data`` from ``off`` on, passed
    to ``append`` one by one, until a message that is not one (a control message, an event,
    another request's reply) or the end of the datagram: (its offset, whether any message
    read carried NLM_F_DUMP_INTR). Lean views, or the codec's messages with ``full``.
    Raises DecodeError on malformed framing."""
    n = len(data)
    unpack = _unpack_nlh
    classes = {} if full else LEAN_CLASSES
    new = _new
    intr = C.NLM_F_DUMP_INTR
    interrupted = False
    # a big datagram: look for runs of one shape (after a failed look, only again
    # _SHAPE_MIN messages later)
    calm = 0 if n - off >= _SHAPE_BYTES else n
    while off + 16 <= n:
        ln, mtype, flags, mseq, mpid = unpack(data, off)
        end = off + ln
        if ln < 16 or end > n:
            raise DecodeError(f"message length {ln} does not fit in {n - off} bytes", off)
        if mseq != seq or mpid != pid or mtype < _DATA:
            return off, interrupted
        cls = classes.get(mtype)
        if not calm and cls is not None and ln - 16 >= cls._min:
            k, memo = _same_shape(data, off, ln, cls)
            if k:
                # k messages framed like this one (netlink header, attribute layout):
                # their views share its layout's memo from the start
                start, stride = off + 16, (ln + 3) & ~3
                for s in range(start, start + k * stride, stride):
                    m = new(cls)
                    m._buf = data
                    m._start = s
                    m._idx = memo
                    append(m)
                if flags & intr:
                    interrupted = True
                off += k * stride
                continue
            calm = _SHAPE_MIN
        elif calm:
            calm -= 1
        if cls is not None and ln - 16 >= cls._min:
            m = new(cls)  # lean_view(), inlined: this line runs per message
            m._buf = data
            m._start = off + 16
            m._idx = _UNSET
            append(m)
        else:
            append(lean_view(cls, data, off, end) if cls is not None
                   else one_message(data, off, end))
        if flags & intr:
            interrupted = True
        off = (end + 3) & ~3
    return off, interrupted


_SHAPE_BYTES = 4096  # smaller datagrams (a few links, one route) gain nothing from it
_SHAPE_MIN = 8  # shorter runs: the column compares cost more than they save


def _same_shape(data: Any, off: int, ln: int, cls: type[LeanMessage]) -> tuple[int, Any]:
    """(how many messages from ``off`` on share this one's netlink header and attribute
    layout, that layout's memo), or (0, None) when fewer than ``_SHAPE_MIN`` do."""
    stride = (ln + 3) & ~3
    most = (len(data) - off) // stride
    if most < _SHAPE_MIN:
        return 0, None
    lay = _find(cls._schema, data, off + 16, off + ln)
    if lay.check is None:  # a one-off layout (a link): not kept, not shared
        return 0, None
    from .runs import same_shape  # big dumps only: the module costs start-up time

    k = same_shape(data, off, stride, cls, lay, most)
    return (k, lay.memo) if k >= _SHAPE_MIN else (0, None)


__all__ = ["LEAN_CLASSES", "LeanMessage", "dump_views", "lean_class", "lean_parse",
           "lean_view", "one_message"]
