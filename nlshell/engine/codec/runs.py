"""Runs of same-shape messages in a dump datagram, read column by column.

A big table's dump is a few shapes repeated: every message of a run has the same length,
the same netlink header (type, flags, seq, pid) and the same attribute layout, and differs
only in a few values (the destination, at times its length, a gateway...). ``skim`` splits
the dump's part of a datagram into such ``Run``\\ s without a Python object per message:

- it first supposes the rest of the datagram is one run of the first message's shape and
  checks that with one C-level compare per 32-bit column (the netlink header's and every
  attribute header's column must equal the first message's, so the framing is checked by
  the same compare); a datagram that is not one run is walked message by message;
- a ``Run`` says which fields vary (``varying``: header field and attribute names) and
  reads one field's values for the whole run in one pass (``column``); ``views()`` gives
  the codec's ordinary lean views, for whoever reads a run the general way.

A message that is not a data message of the dump (a control message, an event, another
request's reply) ends the skim: the socket deals with it.
"""

from __future__ import annotations

import _socket as socket  # the C module: socket.py imports enum (start-up time)
import struct

from . import constants as C
from . import layout
from .dump import LEAN_CLASSES, lean_view, one_message
from .errors import DecodeError

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from typing import Any

_unpack_nlh = struct.Struct("=IHHII").unpack_from
_DATA = 16
MIN_RUN = 4  # shorter runs are read message by message: the column checks cost more
_ntoa = socket.inet_ntoa
_DECIMAL = [str(i) for i in range(256)]
_OCTETS = struct.Struct("4B").iter_unpack
_AF6 = socket.AF_INET6


def _ntop6(raw: bytes) -> str:
    return socket.inet_ntop(_AF6, raw)


def _header_spans(spec: Any) -> dict[str, tuple[int, int]]:
    """{header field: (offset, size)} of a fixed header with explicit byte order."""
    fmt = spec.st.format
    order, codes = fmt[0], fmt[1:]
    out: dict[str, tuple[int, int]] = {}
    if order not in "=<>!":
        return out
    offset = 0
    names = iter(spec.names)
    for code in codes:
        size = struct.calcsize(order + code)
        if code != "x":
            out[next(names)] = (offset, size)
        offset += size
    return out


_SPANS: dict[int, dict[str, tuple[int, int]]] = {}  # id(schema) -> header field spans


class Run:
    """``n`` messages of one shape at ``data[off:]``, ``stride`` bytes apart (see the module
    docstring). ``varying``: the fields whose values differ between them (empty for a run
    of one)."""

    __slots__ = ("data", "off", "n", "stride", "length", "cls", "lay", "varying")

    def __init__(self, data: Any, off: int, n: int, stride: int, length: int, cls: Any,
                 lay: Any, varying: frozenset[str]) -> None:
        self.data, self.off, self.n, self.stride, self.length = data, off, n, stride, length
        self.cls, self.lay, self.varying = cls, lay, varying

    def first(self) -> Any:
        """The first message (its values are every message's for the fields that do not
        vary)."""
        return self._view(self.off)

    def alone(self) -> Any:
        """The first message, over a copy of its own bytes (it does not keep the
        datagram alive)."""
        raw = bytes(self.data[self.off:self.off + self.length])
        if self.cls is None:
            return one_message(raw, 0, len(raw))
        return lean_view(self.cls, raw, 0, len(raw))

    def _view(self, off: int) -> Any:
        if self.cls is None:
            return one_message(self.data, off, off + self.length)
        return lean_view(self.cls, self.data, off, off + self.length)

    def views(self) -> list[Any]:
        """Every message of the run, as the codec's views."""
        return [self._view(o) for o in range(self.off, self.off + self.n * self.stride,
                                             self.stride)]

    def key(self) -> bytes:
        """The first message's payload with the varying fields' bytes zeroed: equal for
        two runs exactly when every field that does not vary has the same value in both
        (a renderer's template for one is then the other's)."""
        start = self.off + 16
        raw = bytearray(self.data[start:self.off + self.length])
        if self.varying:
            spans = _spans(self.cls._schema)
            rows = self.cls._rows
            for name in self.varying:
                span = spans.get(name)
                if span is None:
                    row = rows.get(name)
                    where = None if row is None else layout.first_span(self.lay.index,
                                                                       row.type)
                    if where is None:
                        continue
                    span = (where[0], where[1] - where[0])
                o, size = span
                raw[o:o + size] = bytes(size)
        return bytes(raw)

    def keys(self, name: str) -> list[Any]:
        """Like ``column``, but an address comes as a cheap key (its 32-bit word, or its
        bytes) to be turned into text by ``value`` once per distinct key: for fields with
        few distinct values (gateways, sources)."""
        where = self._where(name)
        if where is not None and where[2] == 4 and where[1] % 4 == 0 and self.stride % 4 == 0:
            rel, n, stride = where[1], self.n, self.stride
            return memoryview(self.data)[self.off:self.off + n * stride].cast("I")[
                rel // 4::stride // 4].tolist()
        return self.column(name)

    def value(self, name: str, key: Any) -> Any:
        """The value (as ``column`` gives it) of a key from ``keys``."""
        where = self._where(name)
        if where is not None and where[2] == 4 and key.__class__ is int:
            return _ntoa(struct.pack("=I", key))
        return key

    def _where(self, name: str) -> tuple[Any, int, int] | None:
        """(row, offset from the message's start, size) of an IPv4/IPv6 address attribute."""
        if self.cls is None:
            return None
        row = self.cls._rows.get(name)
        if row is None or row.kind != "ipaddr":
            return None
        span = layout.first_span(self.lay.index, row.type)
        if span is None or span[1] - span[0] not in (4, 16):
            return None
        return row, 16 + span[0], span[1] - span[0]

    def column(self, name: str) -> list[Any]:
        """The values of header field or attribute ``name``, one per message: integers,
        addresses as text; None for an attribute the shape lacks."""
        data, off, n, stride = self.data, self.off, self.n, self.stride
        cls = self.cls
        span = _spans(cls._schema).get(name)
        if span is not None:
            o, size = span
            base = off + 16 + o
            if size == 1:
                return list(data[base:off + n * stride:stride])
            return [cls._schema.spec.st.unpack_from(data, s + 16)[
                cls._schema.spec.index[name]] for s in range(off, off + n * stride, stride)]
        row = cls._rows.get(name)
        where = None if row is None else layout.first_span(self.lay.index, row.type)
        if where is None:
            return [None] * n
        a, b = where
        size = b - a
        rel = 16 + a  # from the message's start
        if row.kind == "ipaddr" and size in (4, 16):
            fn = _ntoa if size == 4 else _ntop6
            if rel % 4 == 0 and stride % 4 == 0 and size == 4:
                raw = memoryview(data)[off:off + n * stride].cast("I")[rel // 4::stride // 4]
                d = _DECIMAL  # four octets' texts in one f-string: no call per address
                return [f"{d[p]}.{d[q]}.{d[r]}.{d[s]}" for p, q, r, s in _OCTETS(raw.tobytes())]
            st = struct.Struct(f"={rel}x{size}s{stride - rel - size}x")
            return [fn(v) for (v,) in st.iter_unpack(memoryview(data)[off:off + n * stride])]
        if row.kind in ("u32", "s32") and size == 4 and rel % 4 == 0 and stride % 4 == 0:
            code = "I" if row.kind == "u32" else "i"
            return memoryview(data)[off:off + n * stride].cast(code)[rel // 4::stride // 4
                                                                    ].tolist()
        dec = row.dec
        if row.scalar:
            return [dec(data, s + rel, s + rel + size)
                    for s in range(off, off + n * stride, stride)]
        return [v.get(name) for v in self.views()]


def _spans(schema: Any) -> dict[str, tuple[int, int]]:
    spans = _SPANS.get(id(schema))
    if spans is None:
        spans = _SPANS[id(schema)] = _header_spans(schema.spec)
    return spans


def _varying(data: Any, off: int, n: int, stride: int, cls: Any, lay: Any) -> frozenset[str] | None:
    """The fields that vary in ``n`` messages of ``lay``'s shape from ``off`` on; None when
    they are not all of that shape (a netlink or attribute header differs)."""
    words = memoryview(data)[off:off + n * stride].cast("I")
    per = stride // 4
    first = words[:per].tobytes()
    fixed = _fixed_words(cls, lay, stride)
    varying: set[str] = set()
    for w in range(per):
        if words[w::per].tobytes() == first[4 * w:4 * w + 4] * n:
            continue
        names = fixed.get(w)
        if names is None:
            return None  # a header: not one shape
        if len(names) == 1:
            varying.update(names)
            continue
        for name, (o, size) in names.items():  # header fields sharing the word
            base = off + o
            if size == 1:
                if data[base:off + n * stride:stride] != data[base:base + 1] * n:
                    varying.add(name)
            else:
                varying.add(name)
    return frozenset(varying)


_FIXED: dict[tuple[int, int], dict[int, Any]] = {}  # (id(layout), stride) -> word map


def _fixed_words(cls: Any, lay: Any, stride: int) -> dict[int, Any]:
    """Word index -> the fields in it ({name: (offset from the message, size)}) for words
    that may vary; the netlink header's and attribute headers' words are absent (they
    must not vary)."""
    key = (id(lay), stride)
    got = _FIXED.get(key)
    if got is not None and got[0] is lay:
        return got[1]
    out: dict[int, Any] = {}
    schema = cls._schema
    for name, (o, size) in _spans(schema).items():
        for w in range((16 + o) // 4, (16 + o + size + 3) // 4):
            out.setdefault(w, {})[name] = (16 + o, size)
    by_type = schema.by_type
    for t, spans in lay.index.items():
        row = by_type.get(t)
        name = row.name if row is not None else f"UNKNOWN_{t}"
        for a, b in (spans if spans.__class__ is list else [spans]):
            for w in range((16 + a) // 4, (16 + b + 3) // 4):
                out.setdefault(w, {})[name] = (16 + a, b - a)
    if len(_FIXED) > 256:
        _FIXED.clear()
    _FIXED[key] = (lay, out)
    return out


def skim(data: Any, off: int, seq: int, pid: int, out: list[Run], full: bool = False
         ) -> tuple[int, bool]:
    """Runs of the messages of dump (``seq``, ``pid``) in ``data`` from ``off`` on, appended
    to ``out``, until a message that is not one (or the datagram's end): (its offset,
    whether a message read carried NLM_F_DUMP_INTR). DecodeError on malformed framing.
    ``full``: every message a run of its own, read as the codec's full message."""
    end = len(data)
    interrupted = False
    while off + 16 <= end:
        ln, mtype, flags, mseq, mpid = _unpack_nlh(data, off)
        if ln < 16 or off + ln > end:
            raise DecodeError(f"message length {ln} does not fit in {end - off} bytes", off)
        if mseq != seq or mpid != pid or mtype < _DATA:
            return off, interrupted
        if flags & C.NLM_F_DUMP_INTR:
            interrupted = True
        stride = (ln + 3) & ~3
        cls = None if full else LEAN_CLASSES.get(mtype)
        if cls is None or ln - 16 < cls._min:
            out.append(Run(data, off, 1, stride, ln, cls if cls is not None and
                           ln - 16 >= cls._min else None, None, frozenset()))
            off += stride
            continue
        lay = layout.find(cls._schema, data, off + 16, off + ln)
        n = (end - off) // stride
        if n >= MIN_RUN and lay.check is not None and stride % 4 == 0:
            varying = _varying(data, off, n, stride, cls, lay)
            if varying is None:
                n = _walk(data, off, stride, lay, n)
                varying = _varying(data, off, n, stride, cls, lay) if n >= MIN_RUN else None
            if varying is not None:
                out.append(Run(data, off, n, stride, ln, cls, lay, varying))
                off += n * stride
                continue
        out.append(Run(data, off, 1, stride, ln, cls, lay, frozenset()))
        off += stride
    return off, interrupted


def same_shape(data: Any, off: int, stride: int, cls: Any, lay: Any, most: int) -> int:
    """How many messages from ``off`` on (at most ``most``, ``stride`` bytes apart) have the
    first one's netlink header and attribute layout ``lay``: the longest such prefix,
    found with column compares (no Python step per message)."""
    per = stride // 4
    fixed = _fixed_words(cls, lay, stride)
    frame = [w for w in range(per) if w not in fixed]  # netlink and attribute headers
    words = memoryview(data)[off:off + most * stride].cast("I")
    first = [words[w:w + 1].tobytes() for w in range(per)]

    def framed(k: int) -> bool:
        # a strided column against the first message's word repeated, compared as two
        # memoryviews of one format (no copy of the column)
        top = k * per
        return all(words[w:top:per] == memoryview(first[w] * k).cast("I") for w in frame)

    if framed(most):
        return most
    good, bad = 1, most  # bisect: the first k messages are framed alike, k+1 are not
    while bad - good > 1:
        mid = (good + bad) // 2
        if framed(mid):
            good = mid
        else:
            bad = mid
    return good


def _walk(data: Any, off: int, stride: int, lay: Any, most: int) -> int:
    """How many messages from ``off`` on have the first one's netlink header and layout."""
    head = data[off:off + 16]
    check, expect = lay.check, lay.expect
    n = 1
    o = off + stride
    while n < most and data[o:o + 16] == head and check(data, o + 16) == expect:
        n += 1
        o += stride
    return n


__all__ = ["MIN_RUN", "Run", "same_shape", "skim"]
