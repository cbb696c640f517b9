"""Netlink messages: splitting a datagram, the lazy Message view, and encoding."""

from __future__ import annotations

import errno as _errno
import os
import struct
import sys
from _thread import allocate_lock

from . import layout
from .constants import (
    FAMILY_TYPES,
    IFF_UP,
    MESSAGE_NAMES,
    NLM_F_ACK_TLVS,
    NLM_F_CAPPED,
    NLMSG_DONE,
    NLMSG_ERROR,
)
from .errors import DecodeError
from .views import StructSpec, StructView, Table

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from typing import Any

NLMSGHDR = struct.Struct("=IHHII")
_unpack_nlh = NLMSGHDR.unpack_from
_pack_nlh = NLMSGHDR.pack


class Message(StructView):
    """One netlink message: nlmsghdr fields, the object's fixed header, lazy attributes."""

    __slots__ = ("type", "flags", "seq", "pid", "nsid")

    def __init__(self, buf, start, end, spec, table, mtype=0, flags=0, seq=0, pid=0):
        # set slots directly: this runs once per message of every dump
        if end - start < spec.size:
            raise DecodeError(f"{MESSAGE_NAMES.get(mtype, mtype)} needs {spec.size} bytes"
                              f" of header, has {end - start}", start)
        self._buf = buf
        self._start = start
        self._end = end
        self._table = table
        self._idx = None
        self._depth = 0
        self._spec = spec
        self._fields = None
        self.type = mtype
        self.flags = flags
        self.seq = seq
        self.pid = pid
        self.nsid = None  # set by sockets listening to all namespaces

    @property
    def length(self) -> int:
        return self._end - self._start + NLMSGHDR.size

    @property
    def event(self) -> str:
        return MESSAGE_NAMES.get(self.type, f"NLMSG_{self.type}")

    def header(self) -> dict:
        return {"length": self.length, "type": self.type, "flags": self.flags,
                "sequence_number": self.seq, "pid": self.pid}

    def __getitem__(self, key: str) -> Any:
        i = self._spec.index.get(key)
        if i is not None:  # a header field: the common case, read without a helper call
            fields = self._fields
            if fields is None:
                fields = self._fields = self._spec.st.unpack_from(self._buf, self._start)
            return fields[i]
        if key == "event":
            return self.event
        if key == "header":
            return self.header()
        if key == "attrs":
            return self.attrs()
        return self._field(key)

    # --- the Mapping protocol (pyroute2's messages are dicts) ----------------------------
    #
    # Keys are pyroute2's: 'attrs', 'header', the fixed header's fields, pseudo-fields
    # ('state' of a link) and 'event'. Values are read when asked for (the view stays lazy).
    # ``in`` is wider than the keys: a present attribute (short or full name) is in too.

    def keys(self) -> list[str]:
        return ["attrs", "header", *self._spec.names, *PSEUDO_FIELDS.get(self.type, ()), "event"]

    def __iter__(self) -> Any:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._spec.names) + len(PSEUDO_FIELDS.get(self.type, ())) + 3

    def values(self) -> list[Any]:
        return [self[k] for k in self.keys()]

    def items(self) -> list[tuple[str, Any]]:
        return [(k, self[k]) for k in self.keys()]

    def __contains__(self, key: Any) -> bool:
        if key in ("attrs", "header", "event") or key in self._spec.index:
            return True
        if key in PSEUDO_FIELDS.get(self.type, ()):
            return True
        return self.get(key) is not None

    def get_nested(self, *names: str) -> Any:
        """The value at a path of nested attributes (pyroute2's get_nested):
        ``msg.get_nested('IFLA_LINKINFO', 'IFLA_INFO_KIND')``; None when absent."""
        return self.get(names) if names else None

    def _field(self, name: str) -> Any:
        i = self._spec.index.get(name)
        if i is not None:
            return StructView._field(self, name)
        pseudo = PSEUDO_FIELDS.get(self.type)
        if pseudo is not None and name in pseudo:
            return pseudo[name](self)
        raise KeyError(name)

    # --- the whole message at once (see layout.py) ---------------------------------------

    def header_tuple(self) -> tuple:
        """The fixed header's fields as a tuple, in the header's order."""
        fields = self._fields
        if fields is None:
            fields = self._fields = self._spec.st.unpack_from(self._buf, self._start)
        return fields

    def whole(self) -> tuple[tuple, dict[str, Any]]:
        """``(header_tuple(), attr_dict())``: every field and attribute in one read."""
        sch = SCHEMAS.get(self.type) or _schema_of(self.type)
        if sch is None or sch.spec is not self._spec:
            return StructView.whole(self)
        buf, start = self._buf, self._start
        lay = layout.find(sch, buf, start, self._end)
        return layout.whole(sch, lay, self, buf, start)

    def attr_dict(self) -> dict[str, Any]:
        """Every attribute as {FULL_NAME: value}, the first of repeats (as ``get``)."""
        return self.whole()[1]

    def wire_values(self, names: tuple[str, ...]) -> tuple:
        """The named header fields and attributes (FULL names) in one read, in wire form:
        integers decoded, any other attribute as its payload bytes (an integer too short
        for its kind too), None for an absent attribute. For keys and byte-exact checks.
        The reader is compiled once per layout and ``names`` tuple: pass one that lives on
        (a module constant), not one built per call."""
        sch = SCHEMAS.get(self.type) or _schema_of(self.type)
        if sch is None or sch.spec is not self._spec:
            raise ValueError(f"{self.event} has no attribute table")
        buf, start = self._buf, self._start
        lay = layout.find(sch, buf, start, self._end)
        return layout.wire(sch, lay, names, buf, start)

    def payload(self) -> bytes:
        """The message's bytes after the netlink header (fixed header and attributes)."""
        return bytes(self._buf[self._start:self._end])

    def dump(self) -> dict:
        out = {"event": self.event}
        out.update(StructView.dump(self))
        return out

    def raw(self) -> bytes:
        """The message's bytes, header included (for re-parsing or logging)."""
        return _pack_nlh(self.length, self.type, self.flags, self.seq, self.pid) + bytes(
            self._buf[self._start:self._end])


ERROR_ATTRS = Table("NLMSGERR_ATTR_", {
    1: ("NLMSGERR_ATTR_MSG", "asciiz"),
    2: ("NLMSGERR_ATTR_OFFS", "u32"),
    3: ("NLMSGERR_ATTR_COOKIE", "binary"),
    4: ("NLMSGERR_ATTR_POLICY", "binary"),
    5: ("NLMSGERR_ATTR_MISS_TYPE", "u32"),
    6: ("NLMSGERR_ATTR_MISS_NEST", "u32"),
})
ERROR_HEADER = StructSpec("=i", ("error",))


class ErrorMessage(Message):
    """NLMSG_ERROR (an ack when the error is 0) and NLMSG_DONE, with extended-ack TLVs."""

    __slots__ = ()

    def _attr_start(self) -> int:
        if not self.flags & NLM_F_ACK_TLVS:
            return self._end  # no TLVs: an empty block
        if self.type == NLMSG_DONE:
            return self._start + 4
        off = self._start + 4
        if off + 16 > self._end:
            return self._end
        if self.flags & NLM_F_CAPPED:
            return off + 16
        orig_len = _unpack_nlh(self._buf, off)[0]
        return min(self._end, off + ((orig_len + 3) & ~3))

    @property
    def code(self) -> int:
        """The errno as a positive number; 0 for an ack (and for a DONE without one)."""
        if "error" not in self._spec.index:
            return 0
        return -self._field("error")

    @property
    def msg(self) -> str | None:
        """The kernel's own words (extended ack), if it gave any."""
        return self.get_attr("NLMSGERR_ATTR_MSG")

    @property
    def offset(self) -> int | None:
        return self.get_attr("NLMSGERR_ATTR_OFFS")

    @property
    def error(self) -> ErrorMessage:
        return self

    def text(self) -> str:
        """The extended-ack text, else strerror."""
        if not self.code:
            return "Success"
        return self.msg or strerror(self.code)

    def orig_type(self) -> int | None:
        if self.type != NLMSG_ERROR or self._start + 20 > self._end:
            return None
        return _unpack_nlh(self._buf, self._start + 4)[1]


def _link_state(msg: Message) -> str:
    return "up" if msg["flags"] & IFF_UP else "down"


# msg type -> {pseudo-field: reader}: values pyroute2's messages carry that are not on
# the wire as such (read from the header on access)
PSEUDO_FIELDS: dict[int, dict[str, Any]] = {
    t: {"state": _link_state} for t in FAMILY_TYPES["link"]}

_RAW = (Message, StructSpec("=", ()), Table("", {}))

# --- the message families, loaded on first use --------------------------------------
#
# Each object family (link, addr, route, tc, ...) is a codec module whose tables cost
# import time; a command needs one or two of the eleven (`link show`: link). So a family's
# module is imported, and its types entered in the tables below, when one of its types is
# first asked for. ``d[t]``, ``t in d`` and iterating see every family (loading them);
# ``d.get(t)`` stays dict's own (the per-message paths call it) and sees the loaded ones:
# on a miss, ``family_entry`` / ``load_family`` load first.

FAMILY_OF = {t: name for name, types in FAMILY_TYPES.items() for t in types}
_loaded: list[Any] = []  # the family modules entered so far, in order
_listeners: list[Any] = []  # called with each family module as it is entered
_lock = allocate_lock()


def _enter_family(mod: Any) -> None:
    """Enter a family module's types in the tables (callers hold ``_lock``)."""
    schema = layout.Schema(mod.HEADER, mod.ATTRS)
    for t in mod.TYPES:
        dict.__setitem__(MESSAGE_TYPES, t, (Message, mod.HEADER, mod.ATTRS))
        dict.__setitem__(SCHEMAS, t, schema)
    for fn in _listeners:
        fn(mod)
    _loaded.append(mod)  # last: a family is loaded once all its tables have it


def load_family(mtype: int) -> bool:
    """Load the family of message type ``mtype`` if not yet: False for a type of no
    family. A family module that fails to import raises (nothing falls back quietly)."""
    name = FAMILY_OF.get(mtype)
    if name is None:
        return False
    modname = f"{__package__}.{name}"
    mod = sys.modules.get(modname)
    if mod is not None and mod in _loaded:
        return True
    __import__(modname)  # importlib.import_module without importlib (start-up time)
    mod = sys.modules[modname]
    with _lock:
        if mod not in _loaded:
            _enter_family(mod)
    return True


def load_all_families() -> None:
    for types in FAMILY_TYPES.values():
        load_family(types[0])


def on_family_load(fn: Any) -> None:
    """Call ``fn(module)`` for every family module entered, those already in included."""
    with _lock:
        _listeners.append(fn)
        for mod in _loaded:
            fn(mod)


def _all_loaded(method: Any) -> Any:
    """``method`` of dict, once every family is loaded (for what sees the whole table)."""
    def call(self: dict, *args: Any) -> Any:
        load_all_families()
        return method(self, *args)

    return call


class ByType(dict):
    """{message type: value} for the families' types, filled as families load (above)."""

    __slots__ = ()

    def __missing__(self, mtype: int) -> Any:
        if load_family(mtype):
            return dict.__getitem__(self, mtype)
        raise KeyError(mtype)

    def __contains__(self, mtype: Any) -> bool:
        return dict.__contains__(self, mtype) or (
            mtype in FAMILY_OF and load_family(mtype) and dict.__contains__(self, mtype))

    __iter__ = _all_loaded(dict.__iter__)
    __len__ = _all_loaded(dict.__len__)
    keys = _all_loaded(dict.keys)
    values = _all_loaded(dict.values)
    items = _all_loaded(dict.items)


# msg type -> (view class, fixed header, attribute table)
MESSAGE_TYPES: dict[int, tuple[type, StructSpec, Table]] = ByType({
    NLMSG_ERROR: (ErrorMessage, ERROR_HEADER, ERROR_ATTRS),
    NLMSG_DONE: (ErrorMessage, ERROR_HEADER, ERROR_ATTRS),
})
# msg type -> its compiled schema (object messages only; types of one family share one)
SCHEMAS: dict[int, layout.Schema] = ByType()


def family_entry(mtype: int) -> tuple[type, StructSpec, Table] | None:
    """``MESSAGE_TYPES.get(mtype)``, loading the type's family first if need be."""
    entry = MESSAGE_TYPES.get(mtype)
    if entry is None and load_family(mtype):
        entry = MESSAGE_TYPES.get(mtype)
    return entry


def _schema_of(mtype: int) -> layout.Schema | None:
    """The miss path of ``SCHEMAS.get(mtype)``: again, once the type's family is loaded."""
    return SCHEMAS.get(mtype) if load_family(mtype) else None


def parse(data: bytes) -> list[Message]:
    """Split one datagram into messages. Raises DecodeError on malformed framing."""
    out = []
    off = 0
    n = len(data)
    types = MESSAGE_TYPES
    append = out.append
    while off + 16 <= n:
        ln, mtype, flags, seq, pid = _unpack_nlh(data, off)
        end = off + ln
        if ln < 16 or end > n:
            raise DecodeError(f"message length {ln} does not fit in {n - off} bytes", off)
        cls, spec, table = types.get(mtype) or family_entry(mtype) or _RAW
        if mtype == NLMSG_DONE and ln < 20:
            spec = _RAW[1]  # an old-style DONE without its error word
        append(cls(data, off + 16, end, spec, table, mtype, flags, seq, pid))
        off = (end + 3) & ~3
    if off < n:
        raise DecodeError(f"{n - off} trailing bytes after the last message", off)
    return out


def encode(msg_type: int, flags: int = 0, seq: int = 0, fields: dict | None = None,
           attrs: Any = None, pid: int = 0) -> bytes:
    """One complete message. Unknown names or bad values raise ValueError naming them."""
    entry = family_entry(msg_type)
    if entry is None or entry[0] is ErrorMessage:
        raise ValueError(f"no table for message type {msg_type}")
    _cls, spec, table = entry
    body = spec.pack(fields) + table.encode(attrs)
    try:
        return _pack_nlh(16 + len(body), msg_type, flags, seq, pid) + body
    except (struct.error, TypeError) as exc:
        raise ValueError(f"bad netlink header (flags={flags!r}, seq={seq!r}, pid={pid!r}):"
                         f" {exc}") from None


def strerror(code: int) -> str:
    try:
        return os.strerror(code) if code else "Success"
    except (ValueError, OverflowError):  # a code no C int holds (from a bad message)
        return f"Unknown error {code}"


ERRNO_NAMES = _errno.errorcode
