"""Declarative attribute tables and the lazy views that read bytes through them.

A ``Table`` maps attribute numbers to rows ``(FULL_NAME, kind)``; a kind is a scalar name
from ``nla.SCALARS`` or one of the composite kinds below (``Nested``, ``Select``,
``Headed``, ``Multipath``, ``Struct``). Views keep a reference to the datagram and decode
an attribute only when asked for it; walking the block happens once, on first access.
"""

from __future__ import annotations

import struct

from . import nla
from .constants import NLA_F_NESTED
from .errors import DecodeError

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

MAX_DEPTH = 12  # nesting deeper than any real message; stops hostile recursion


class Row:
    """One attribute of a table, compiled."""

    __slots__ = ("type", "name", "short", "kind", "dec", "enc", "scalar", "nested")

    def __init__(self, atype: int, name: str, short: str, kind: Any) -> None:
        self.type = atype
        self.name = name
        self.short = short
        self.kind = kind
        if isinstance(kind, str):
            self.dec, self.enc = nla.SCALARS[kind]
            self.scalar = True
            self.nested = False
        else:
            self.dec, self.enc = kind.decode, kind.encode
            self.scalar = False
            self.nested = getattr(kind, "nested_flag", False)


class Table:
    """An attribute table: {number: (FULL_NAME, kind)} with a common name prefix.

    Short names drop the prefix and are lower case: IFLA_IFNAME -> 'ifname'.
    """

    def __init__(self, prefix: str, rows: dict[int, tuple[str, Any]]) -> None:
        self.prefix = prefix
        self.rows = rows
        self._by_type: dict[int, Row] | None = None
        self._by_name: dict[str, Row] = {}

    def _compile(self) -> dict[int, Row]:
        by_type = {}
        for atype, (name, kind) in self.rows.items():
            short = name[len(self.prefix):].lower() if name.startswith(self.prefix) else name
            row = Row(atype, name, short, kind)
            by_type[atype] = row
            for key in (name, name.lower(), short):
                self._by_name.setdefault(key, row)
        self._by_type = by_type
        return by_type

    @property
    def by_type(self) -> dict[int, Row]:
        return self._by_type or self._compile()

    def lookup(self, name: str) -> Row | None:
        if self._by_type is None:
            self._compile()
        return self._by_name.get(name)

    def encode(self, attrs: Any) -> bytes:
        """Pack (name, value) pairs (or a dict); None values are left out."""
        if attrs is None:
            return b""
        if isinstance(attrs, (str, bytes)) or not hasattr(attrs, "__iter__"):
            raise ValueError(f"{attrs!r} is not a list of (name, value) pairs or a dict")
        items = list(attrs.items()) if isinstance(attrs, dict) else list(attrs)
        siblings = {}
        for item in items:
            if not (isinstance(item, (tuple, list)) and len(item) == 2):
                raise ValueError(f"attribute {item!r} is not a (name, value) pair")
            row = self.lookup(item[0]) if isinstance(item[0], str) else None
            if row is None:
                raise ValueError(f"unknown attribute {item[0]!r} in {self.prefix}* table")
            siblings[row.short] = item[1]
        out = []
        for name, value in items:
            row = self.lookup(name)
            if value is None or (value is False and row.kind == "flag"):
                continue  # left out (a false flag is an absent flag)
            try:
                payload = row.enc(value) if row.scalar else row.enc(value, siblings)
                out.append(nla.pack_attr(row.type | (NLA_F_NESTED if row.nested else 0),
                                         payload))
            # wrong-typed values surface as any of these from int()/struct/iteration
            except (ValueError, TypeError, OverflowError, KeyError, AttributeError,
                    struct.error) as exc:
                raise ValueError(f"{row.name}: {exc}") from None
        return b"".join(out)


class StructSpec:
    """A fixed C header: struct format (with 'x' for padding) and its field names."""

    def __init__(self, fmt: str, names: tuple[str, ...]) -> None:
        self.st = struct.Struct(fmt)
        self.size = self.st.size
        self.names = names
        self.index = {n: i for i, n in enumerate(names)}

    def pack(self, fields: dict | None) -> bytes:
        fields = fields or {}
        if not isinstance(fields, dict):
            raise ValueError(f"header fields {fields!r} are not a dict")
        unknown = set(fields) - set(self.names)
        if unknown:
            raise ValueError(f"unknown header field(s) {', '.join(sorted(map(str, unknown)))}")
        try:
            return self.st.pack(*(int(fields.get(n, 0) or 0) for n in self.names))
        except (struct.error, TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"bad header field value: {exc}") from None


class AttrSet:
    """A lazy view of an attribute block."""

    __slots__ = ("_buf", "_start", "_end", "_table", "_idx", "_depth")

    def __init__(self, buf: bytes, start: int, end: int, table: Table, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise DecodeError("attributes nested too deeply", start)
        self._buf = buf
        self._start = start
        self._end = end
        self._table = table
        self._idx = None
        self._depth = depth

    # the index of attribute spans, built once
    def _index(self) -> dict:
        idx = self._idx
        if idx is None:
            idx = self._idx = nla.walk(self._buf, self._attr_start(), self._end)
        return idx

    def _attr_start(self) -> int:
        return self._start

    def _value(self, row: Row, span: tuple[int, int]) -> Any:
        if row.scalar:
            return row.dec(self._buf, span[0], span[1])
        return row.dec(self, self._buf, span[0], span[1])

    def get_attr(self, name: str, default: Any = None) -> Any:
        row = self._table.lookup(name)
        if row is None:
            return default
        span = self._index().get(row.type)
        if span is None:
            return default
        if type(span) is list:
            span = span[0]
        return self._value(row, span)

    def get_attrs(self, name: str) -> list:
        row = self._table.lookup(name)
        if row is None:
            return []
        span = self._index().get(row.type)
        if span is None:
            return []
        spans = span if type(span) is list else [span]
        return [self._value(row, s) for s in spans]

    def _field(self, name: str) -> Any:
        raise KeyError(name)

    def get(self, key: Any, default: Any = None) -> Any:
        """An attribute (short or full name), else a header field; a tuple is a path."""
        if type(key) is tuple:
            node: Any = self
            for part in key:
                if node is None or not hasattr(node, "get"):
                    return default
                node = node.get(part)
            return default if node is None else node
        # the hot path of every reader: lookups and the decode inlined (no helper calls)
        table = self._table
        row = table._by_name.get(key)
        if row is None and table._by_type is None:
            row = table.lookup(key)
        if row is not None:
            idx = self._idx
            if idx is None:
                idx = self._idx = nla.walk(self._buf, self._attr_start(), self._end)
            span = idx.get(row.type)
            if span is not None:
                if type(span) is list:
                    span = span[0]
                if row.scalar:
                    return row.dec(self._buf, span[0], span[1])
                return row.dec(self, self._buf, span[0], span[1])
        try:
            return self._field(key)
        except KeyError:
            return default

    def __getitem__(self, key: str) -> Any:
        if key == "attrs":
            return self.attrs()
        return self._field(key)

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def attrs(self) -> list[tuple[str, Any]]:
        """All attributes in order as (FULL_NAME, value); unknown ones as ('UNKNOWN_<n>', bytes)."""
        out = []
        by_type = self._table.by_type
        for atype, s, e in nla.walk_list(self._buf, self._attr_start(), self._end):
            row = by_type.get(atype)
            if row is None:
                out.append((f"UNKNOWN_{atype}", bytes(self._buf[s:e])))
            else:
                out.append((row.name, self._value(row, (s, e))))
        return out

    def attr_dict(self) -> dict[str, Any]:
        """Every attribute at once as {FULL_NAME: value}; a repeated one gives its first
        value (as ``get``); unknown ones as 'UNKNOWN_<n>': bytes (as ``attrs``)."""
        out: dict[str, Any] = {}
        for name, value in self.attrs():
            if name not in out:
                out[name] = value
        return out

    def wire_attrs(self) -> list[tuple[int, bytes]]:
        """Every attribute in order as (number, payload bytes), undecoded; stops at the
        first attribute that does not fit (for byte-level comparisons)."""
        return nla.wire_attrs(self._buf, self._attr_start(), self._end)

    def dump(self) -> dict:
        """Everything decoded into plain dicts and lists (for JSON and tests)."""
        out: dict[str, Any] = {}
        for name, value in self.attrs():
            value = _plain(value)
            if name in out:
                prev = out[name]
                if not isinstance(prev, _Multi):  # (_Multi + list would be a plain list)
                    prev = out[name] = _Multi([prev])
                prev.append(value)
            else:
                out[name] = value
        return {k: list(v) if isinstance(v, _Multi) else v for k, v in out.items()}

    def __repr__(self) -> str:
        try:
            return f"<{type(self).__name__} {self.dump()!r}>"
        except DecodeError as exc:
            return f"<{type(self).__name__} undecodable: {exc}>"


class _Multi(list):
    pass


def _plain(value: Any) -> Any:
    if isinstance(value, AttrSet):
        return value.dump()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return value


class StructView(AttrSet):
    """A fixed header followed by attributes (ifinfomsg + IFLA_*, rtnexthop + RTA_*)."""

    __slots__ = ("_spec", "_fields")

    def __init__(self, buf, start, end, spec: StructSpec, table: Table, depth: int = 0):
        if end - start < spec.size:
            raise DecodeError(f"header needs {spec.size} bytes, has {end - start}", start)
        AttrSet.__init__(self, buf, start, end, table, depth)
        self._spec = spec
        self._fields = None

    def _attr_start(self) -> int:
        return self._start + self._spec.size

    def _field(self, name: str) -> Any:
        fields = self._fields
        if fields is None:
            fields = self._fields = self._spec.st.unpack_from(self._buf, self._start)
        i = self._spec.index.get(name)
        if i is None:
            raise KeyError(name)
        return fields[i]

    def fields(self) -> dict[str, Any]:
        return {n: self._field(n) for n in self._spec.names}

    def header_tuple(self) -> tuple:
        """The fixed header's fields as a tuple, in the header's order (``fields()``'s keys)."""
        return self._spec.st.unpack_from(self._buf, self._start)

    def whole(self) -> tuple[tuple, dict[str, Any]]:
        """``(header_tuple(), attr_dict())`` in one call."""
        return self.header_tuple(), self.attr_dict()

    def dump(self) -> dict:
        out = self.fields()
        out["attrs"] = AttrSet.dump(self)
        return out


# --- composite kinds --------------------------------------------------------------


class Nested:
    """An attribute whose payload is another attribute block."""

    nested_flag = True

    def __init__(self, table: Table) -> None:
        self.table = table

    def decode(self, owner: AttrSet, buf, start, end):
        return AttrSet(buf, start, end, self.table, owner._depth + 1)

    def encode(self, value, siblings) -> bytes:
        if isinstance(value, AttrSet):
            value = value.attrs()
        return self.table.encode(value)


class Select:
    """A nested block whose table depends on a sibling's value (IFLA_INFO_DATA by KIND)."""

    nested_flag = True

    def __init__(self, key: str, tables: dict[str, Any]) -> None:
        self.key = key
        self.tables = tables

    def _kind(self, kind_name):
        return self.tables.get(kind_name) if isinstance(kind_name, str) else None

    def decode(self, owner: AttrSet, buf, start, end):
        kind = self._kind(owner.get_attr(self.key))
        if kind is None:
            return bytes(buf[start:end])
        return kind.decode(owner, buf, start, end)

    def encode(self, value, siblings) -> bytes:
        kind = self._kind(siblings.get(self.key))
        if kind is None:
            if isinstance(value, (bytes, bytearray)):
                return bytes(value)
            raise ValueError(f"no data table for {self.key}={siblings.get(self.key)!r}")
        return kind.encode(value, siblings)


class Headed:
    """A nested payload made of a fixed header and attributes (VETH_INFO_PEER)."""

    nested_flag = False

    def __init__(self, spec: StructSpec, table: Table) -> None:
        self.spec = spec
        self.table = table

    def decode(self, owner: AttrSet, buf, start, end):
        return StructView(buf, start, end, self.spec, self.table, owner._depth + 1)

    def encode(self, value, siblings) -> bytes:
        if isinstance(value, StructView):
            return self.spec.pack(value.fields()) + self.table.encode(value.attrs())
        if not isinstance(value, dict):
            raise ValueError(f"{value!r} is not a dict")
        fields = {k: v for k, v in value.items() if k in self.spec.index}
        attrs = value.get("attrs")
        if attrs is None:
            attrs = [(k, v) for k, v in value.items() if k not in self.spec.index]
        return self.spec.pack(fields) + self.table.encode(attrs)


class Multipath:
    """RTA_MULTIPATH: a packed list of (struct rtnexthop + attributes)."""

    nested_flag = False
    _len = struct.Struct("=H")

    def __init__(self, spec: StructSpec, table: Table) -> None:
        self.spec = spec
        self.table = table
        self.headed = Headed(spec, table)

    def decode(self, owner: AttrSet, buf, start, end):
        out = []
        off = start
        while off + self.spec.size <= end:
            ln = self._len.unpack_from(buf, off)[0]
            if ln < self.spec.size or off + ln > end:
                raise DecodeError(f"nexthop length {ln} does not fit", off)
            out.append(StructView(buf, off, off + ln, self.spec, self.table, owner._depth + 1))
            off += (ln + 3) & ~3
        return out

    def encode(self, value: Iterable, siblings) -> bytes:
        out = []
        for hop in value:
            body = self.headed.encode(dict(hop), siblings)
            ln = len(body)
            body = self._len.pack(ln) + body[2:]
            out.append(body + b"\0" * (-ln & 3))
        return b"".join(out)


class Struct:
    """A fixed struct payload decoded to a dict (IFLA_STATS64, IFA_CACHEINFO...)."""

    nested_flag = False

    def __init__(self, fmt: str, names: tuple[str, ...]) -> None:
        self._dec, self._enc = nla.struct_kind(fmt, names)

    def decode(self, owner, buf, start, end):
        return self._dec(buf, start, end)

    def encode(self, value, siblings) -> bytes:
        return self._enc(value)


class Enum:
    """An integer shown by name (a scalar kind plus a {number: name} map)."""

    nested_flag = False

    def __init__(self, base: str, names: dict[int, str]) -> None:
        self._dec, self._enc = nla.SCALARS[base]
        self.names = names
        self.numbers = {v: k for k, v in names.items()}

    def decode(self, owner, buf, start, end):
        v = self._dec(buf, start, end)
        return self.names.get(v, v)

    def encode(self, value, siblings) -> bytes:
        if isinstance(value, str):
            if value not in self.numbers:
                raise ValueError(f"unknown value {value!r} (one of {', '.join(self.numbers)})")
            value = self.numbers[value]
        return self._enc(value)


class ListOf:
    """A nested block of same-kind items keyed by position (bond ARP targets, alt names)."""

    nested_flag = True

    def __init__(self, kind: str, item_type: int | None = None) -> None:
        self._dec, self._enc = nla.SCALARS[kind]
        self.item_type = item_type  # None: items are numbered 0, 1, ... (bond ARP targets)

    def decode(self, owner, buf, start, end):
        return [self._dec(buf, s, e) for _t, s, e in nla.walk_list(buf, start, end)]

    def encode(self, value, siblings) -> bytes:
        t = self.item_type
        return b"".join(nla.pack_attr(i if t is None else t, self._enc(v))
                        for i, v in enumerate(value))
