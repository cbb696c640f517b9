"""What every request translator shares: the Request type, the verbs, and the readers of
keyword values (numbers, names, addresses, prefixes, tables).

Each object's translator lives in its own module (link, addr, route, neigh, rule); none of
them does I/O: the caller (IPRoute) sends a Request as a single request, a dump, or part of
a pipelined bulk. Unknown keywords and bad values raise ValueError naming them.
"""

from __future__ import annotations

import socket
from typing import Any

from ..codec import constants as C
from ..names import decimal_of

F_CREATE = C.NLM_F_CREATE | C.NLM_F_EXCL
F_REPLACE = C.NLM_F_CREATE | C.NLM_F_REPLACE

# verb -> (action, extra header flags); the actions 'dump' and 'get' read
VERBS = {
    "add": ("new", F_CREATE),
    "set": ("set", 0),
    "replace": ("new", F_REPLACE),
    "change": ("new", C.NLM_F_REPLACE),
    "append": ("new", C.NLM_F_CREATE | C.NLM_F_APPEND),
    "prepend": ("new", C.NLM_F_CREATE),
    "del": ("del", 0),
    "delete": ("del", 0),
    "remove": ("del", 0),
    "get": ("get", 0),
    "dump": ("dump", 0),
    "show": ("dump", 0),
}

MSG = {
    "link": {"new": C.RTM_NEWLINK, "set": C.RTM_NEWLINK, "del": C.RTM_DELLINK,
             "get": C.RTM_GETLINK, "dump": C.RTM_GETLINK},
    "addr": {"new": C.RTM_NEWADDR, "set": C.RTM_NEWADDR, "del": C.RTM_DELADDR,
             "get": C.RTM_GETADDR, "dump": C.RTM_GETADDR},
    "route": {"new": C.RTM_NEWROUTE, "set": C.RTM_NEWROUTE, "del": C.RTM_DELROUTE,
              "get": C.RTM_GETROUTE, "dump": C.RTM_GETROUTE},
    "neigh": {"new": C.RTM_NEWNEIGH, "set": C.RTM_NEWNEIGH, "del": C.RTM_DELNEIGH,
              "get": C.RTM_GETNEIGH, "dump": C.RTM_GETNEIGH},
    "rule": {"new": C.RTM_NEWRULE, "set": C.RTM_NEWRULE, "del": C.RTM_DELRULE,
             "get": C.RTM_GETRULE, "dump": C.RTM_GETRULE},
    # namespace ids: `netns list-id` dumps them
    "nsid": {"new": C.RTM_NEWNSID, "del": C.RTM_DELNSID, "get": C.RTM_GETNSID,
             "dump": C.RTM_GETNSID},
    "stats": {"get": C.RTM_GETSTATS, "dump": C.RTM_GETSTATS},  # read only (if_stats_msg)
}


class Request:
    """One translated request. ``filters`` are applied to dump results client-side.
    ``raw``, when set, is the request already encoded (NLM_F_REQUEST set, sequence number
    0: the socket sets it); it is what is sent."""

    __slots__ = ("msg_type", "flags", "fields", "attrs", "action", "filters", "raw")

    def __init__(self, msg_type: int, flags: int, fields: dict | None = None,
                 attrs: list | None = None, action: str = "new",
                 filters: dict | None = None, raw: bytes | None = None) -> None:
        self.msg_type = msg_type
        self.flags = flags
        self.fields = {} if fields is None else fields
        self.attrs = [] if attrs is None else attrs
        self.action = action  # new | set | del | get | dump
        self.filters = {} if filters is None else filters
        self.raw = raw

    def as_tuple(self) -> tuple[int, int, dict, list]:
        return self.msg_type, self.flags, self.fields, self.attrs

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Request):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __repr__(self) -> str:
        return (f"Request({C.MESSAGE_NAMES.get(self.msg_type, self.msg_type)}, "
                f"flags={self.flags:#x}, fields={self.fields}, attrs={self.attrs}, "
                f"action={self.action!r}, filters={self.filters})")


def verb_of(obj: str, cmd: Any) -> tuple[str, int, int]:
    if not isinstance(cmd, str) or cmd not in VERBS:
        raise ValueError(f"unknown {obj} command {cmd!r} (one of {', '.join(VERBS)})")
    action, flags = VERBS[cmd]
    return action, flags, MSG[obj][action]


def named(value: Any, names: dict[int, str], what: str, limit: int = 255) -> int:
    """A number given as a name ('static', 'link', 'blackhole') or an integer."""
    if isinstance(value, str):
        for num, name in names.items():
            if name == value:
                return num
        try:
            value = int(value, 0)
        except ValueError:
            raise ValueError(f"unknown {what} {value!r} (one of "
                             f"{', '.join(names.values())})") from None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise ValueError(f"invalid {what} {value!r}")
    return value


def uint(value: Any, what: str, limit: int = 0xFFFFFFFF) -> int:
    """A non-negative integer (ints or digit strings, as the codec's encoders take)."""
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"invalid {what} {value!r}") from None
    if isinstance(value, bool) or isinstance(value, float) or not 0 <= v <= limit:
        raise ValueError(f"invalid {what} {value!r}")
    return v


def family_of(addr: str) -> int:
    return C.AF_INET6 if ":" in addr else C.AF_INET


def ip_bytes(addr: Any, what: str = "address") -> tuple[bytes, int]:
    """'192.0.2.1' / '2001:db8::1' -> (packed bytes, family); ValueError naming ``what``."""
    if not isinstance(addr, str):
        raise ValueError(f"invalid {what} {addr!r}")
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    try:
        return socket.inet_pton(fam, addr), fam
    except (OSError, ValueError):
        raise ValueError(f"invalid {what} {addr!r}") from None


def split_prefix(value: Any, what: str) -> tuple[str | None, int | None, int]:
    """'10.0.0.0/8' -> ('10.0.0.0', 8, AF_INET); 'default' -> (None, 0, AF_UNSPEC).

    Addresses come back in the kernel's spelling (compressed IPv6), so they compare
    equal to what dumps return.
    """
    if not isinstance(value, str):
        raise ValueError(f"invalid {what} {value!r}")
    if value in ("default", "any", "all"):
        return None, 0, C.AF_UNSPEC
    addr, slash, plen = value.partition("/")
    raw, fam = ip_bytes(addr, what)
    if slash:
        length = decimal_of(plen, len(raw) * 8)  # ASCII digits only: '٣' is no 3
        if length is None:
            raise ValueError(f"invalid prefix length in {what} {value!r}")
        return socket.inet_ntop(fam, raw), length, fam
    return socket.inet_ntop(fam, raw), None, fam


def take(kw: dict, *names: str, default: Any = None) -> Any:
    """Pop the first of several spellings of one keyword (all spellings are removed)."""
    value = default
    found = False
    for name in names:
        if name in kw:
            v = kw.pop(name)
            if not found:
                value, found = v, True
    return value


def check_left(obj: str, kw: dict) -> None:
    if kw:
        raise ValueError(f"unknown {obj} keyword(s): {', '.join(sorted(map(str, kw)))}")


def raw_names(kw: dict, table: Any) -> dict:
    """Keywords spelt as the kernel's attribute names (``FRA_FWMARK=``, ``RTA_GATEWAY=``, as
    pyroute2 takes them) -> the short keyword of the same attribute (``fwmark=``), so one
    translation reads both. A copy; ValueError when both spellings are given."""
    out = dict(kw)
    prefix = table.prefix
    for key in kw:
        if isinstance(key, str) and key.startswith(prefix) and key.isupper():
            row = table.lookup(key)
            if row is None:
                raise ValueError(f"unknown attribute {key!r}")
            if row.short in out:
                raise ValueError(f"{key} and {row.short}= name the same attribute")
            out[row.short] = out.pop(key)
    return out


def attrs_left(kw: dict, table: Any, attrs: list) -> None:
    """Keywords left after a translation that name an attribute of ``table`` (short or
    full name) are sent as that attribute, as given (the codec checks the value)."""
    for key in list(kw):
        row = table.lookup(key) if isinstance(key, str) else None
        if row is not None:
            attrs.append((row.name, kw.pop(key)))


def flag_bits(names: Any, table: dict[int, str], what: str) -> int:
    bits = 0
    rev = {v: k for k, v in table.items()}
    for n in names:
        if n not in rev:
            raise ValueError(f"unknown {what} {n!r}")
        bits |= rev[n]
    return bits


TABLE_NUMBERS = {v: k for k, v in C.TABLE_NAMES.items()}


def table_number(value: Any) -> int:
    if isinstance(value, str):
        if value in TABLE_NUMBERS:
            return TABLE_NUMBERS[value]
        try:
            value = int(value, 0)
        except ValueError:
            raise ValueError(f"unknown table {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"invalid table {value!r}")
    return value


def ns_resolver(value: Any) -> int:
    """A namespace name or path -> an fd (the caller closes it)."""
    from .. import netns

    return netns.open_ns_fd(value)
