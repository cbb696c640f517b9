"""Reading a whole message at once: its fixed header as a tuple, its attributes as a dict.

The ``Message`` API reads one field or attribute per call: the right shape for most code,
but ~10 µs per route when a renderer wants all of them. ``decode(m)`` instead takes the
message's bytes (``m.raw()``) and reads them through the codec's own tables, remembering
each attribute layout it has seen: the routes of a big dump share a handful of layouts,
so recognising one is a single ``struct.unpack_from`` and a tuple compare. Objects that
are not whole messages (nested blocks, nexthops) go through the public API.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from typing import Any

from nlshell.engine.codec.message import MESSAGE_TYPES

_HH = struct.Struct("=HH").unpack_from
_MASK = 0x3FFF
LAYOUT_MAX_ATTRS = 24  # longer blocks (links) are rarely alike: walk them, remember nothing
_LAYOUTS_MAX = 1024

_ntoa = socket.inet_ntoa
_ntop = socket.inet_ntop
_AF6 = socket.AF_INET6

Reader = Callable[[Any, Any, int], Any]  # (owner, buffer, offset of the nlmsghdr) -> value
_NATIVE = {"u8": "B", "u16": "H", "u32": "I", "u64": "Q", "s32": "i"}


class _Layout:
    """How to read one attribute layout: the fixed-size values of the whole message in one
    unpack (header fields first), the others with one reader each."""

    __slots__ = ("check", "expect", "values", "names", "convert", "others", "nhead")

    def __init__(self, check: struct.Struct, expect: tuple, values: struct.Struct,
                 names: tuple[str, ...], convert: tuple, others: tuple, nhead: int) -> None:
        self.check = check
        self.expect = expect
        self.values = values
        self.names = names
        self.convert = convert
        self.others = others
        self.nhead = nhead

    def read(self, m: Any, buf: Any, base: int) -> tuple[tuple, dict[str, Any]]:
        vals = self.values.unpack_from(buf, base)
        n = self.nhead
        attrs = dict(zip(self.names, vals[n:], strict=False))
        for name, fn in self.convert:
            attrs[name] = fn(attrs[name])
        for name, read in self.others:
            attrs[name] = read(m, buf, base)
        return vals[:n], attrs


# (message type, length) -> [layouts]
_layouts: dict[tuple[int, int], list[_Layout]] = {}
_headers: dict[int, tuple[Any, Any, int, str]] = {}


def _reader(row: Any, b: int, e: int) -> Reader:
    """A decoder of one attribute at fixed offsets (the kinds one struct cannot read)."""
    dec = row.dec
    if row.scalar:
        return lambda m, buf, base: dec(buf, base + b, base + e)
    return lambda m, buf, base: dec(m, buf, base + b, base + e)


def _ip6(v: bytes) -> str:
    return _ntop(_AF6, v)


def _learn(raw: bytes, spec: tuple) -> _Layout | None:
    """Walk an attribute block once and describe its layout; None if it is malformed."""
    hspec, by_type, off, head_fmt = spec
    check_fmt = ["="]
    expect: list[int] = []
    value_fmt = ["=16x", head_fmt]
    names: list[str] = []
    convert: list[tuple[str, Callable[[bytes], str]]] = []
    others: list[tuple[str, Reader]] = []
    seen: set[int] = set()
    pos = vpos = off
    end = len(raw)
    while off + 4 <= end:
        ln, t = _HH(raw, off)
        nxt = off + ln
        if ln < 4 or nxt > end:
            return None  # malformed: the public API reports where
        check_fmt.append(f"{off - pos}xHH")
        expect += (ln, t)
        pos = off + 4
        t &= _MASK
        row = by_type.get(t)
        b, n = off + 4, ln - 4
        if row is not None and t not in seen:
            seen.add(t)
            code = _NATIVE.get(row.kind) if row.scalar else None
            if code is not None and n >= struct.calcsize("=" + code):
                value_fmt.append(f"{b - vpos}x{code}")
                vpos = b + struct.calcsize("=" + code)
                names.append(row.name)
            elif row.kind == "ipaddr" and n in (4, 16):
                value_fmt.append(f"{b - vpos}x{n}s")
                vpos = b + n
                names.append(row.name)
                convert.append((row.name, _ntoa if n == 4 else _ip6))
            else:
                others.append((row.name, _reader(row, b, nxt)))
        off = (nxt + 3) & ~3
    nhead = len(hspec.names)
    return _Layout(struct.Struct("".join(check_fmt)), tuple(expect),
                   struct.Struct("".join(value_fmt)), tuple(names), tuple(convert),
                   tuple(others), nhead)


def _spec(mtype: int) -> tuple[Any, Any, int, str] | None:
    got = _headers.get(mtype)
    if got is None:
        entry = MESSAGE_TYPES.get(mtype)
        if entry is None:
            return None
        _cls, spec, table = entry
        fmt = spec.st.format
        fmt = fmt[1:] if fmt[:1] in "=<>!@" else fmt
        got = _headers[mtype] = (spec, table.by_type, 16 + spec.size, fmt)
    return got


def _where(m: Any) -> tuple[Any, int, int]:
    """(buffer, offset of the nlmsghdr, length) of a whole message.

    The codec's views keep their datagram and payload offset (``_buf``, ``_start``,
    ``_end``); reading there saves the copy ``m.raw()`` makes. Each view class is checked
    once against ``m.raw()`` and uses the copy from then on if the two disagree.
    """
    cls = m.__class__
    ok = _direct.get(cls)
    if ok is None:
        try:
            buf, start, end = m._buf, m._start, m._end
            ok = bytes(buf[start - 12:end]) == m.raw()[4:]
        except (AttributeError, TypeError, ValueError, IndexError):
            ok = False
        _direct[cls] = ok
    if ok:
        buf, start = m._buf, m._start
        # the netlink header must sit right before the payload (it does after parse())
        if start >= 16 and buf[start - 12] | buf[start - 11] << 8 == m.type:
            return buf, start - 16, m._end - start + 16
    raw = m.raw()
    return raw, 0, len(raw)


_direct: dict[type, bool] = {}


def decode(m: Any, names: tuple[str, ...]) -> tuple[tuple, dict[str, Any]]:
    """(header fields `names` -- all of them, in order --, {FULL_NAME: value}) of `m`.

    A repeated attribute gives its first value, as ``Message.get``.
    """
    spec = _spec(m.type) if hasattr(m, "raw") else None
    if spec is None or spec[0].names != names:
        return tuple(m[n] for n in names), attr_dict(m)
    buf, base, length = _where(m)
    key = (m.type, length)
    known = _layouts.get(key)
    if known is not None:
        start = base + spec[2]
        for lay in known:
            if lay.check.unpack_from(buf, start) == lay.expect:
                return lay.read(m, buf, base)
    raw = bytes(buf[base:base + length])
    lay = _learn(raw, spec)
    if lay is None:
        return tuple(m[n] for n in names), attr_dict(m)
    if len(lay.expect) <= 2 * LAYOUT_MAX_ATTRS:
        if len(_layouts) >= _LAYOUTS_MAX:
            _layouts.clear()
        _layouts.setdefault(key, []).append(lay)
    return lay.read(m, buf, base)


def attr_dict(m: Any) -> dict[str, Any]:
    """{FULL_NAME: value} of any view (message, nested block, nexthop); first of repeats."""
    out: dict[str, Any] = {}
    for name, value in m.attrs():
        if name not in out:
            out[name] = value
    return out


def header(m: Any, names: tuple[str, ...]) -> tuple:
    """The fixed-header fields `names` as a tuple (selectors: no attribute decoding)."""
    spec = _spec(m.type) if hasattr(m, "raw") else None
    if spec is None or spec[0].names != names:
        return tuple(m[n] for n in names)
    buf, base, _len = _where(m)
    return spec[0].st.unpack_from(buf, base + 16)
