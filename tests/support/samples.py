"""Shared builders for the codec tests.

- Sample values for every attribute kind, driven by the tables themselves (a new row or a
  new table is sampled automatically; a new *kind* without a generator fails loudly).
- `iter_row_cases()`: every row of every table reachable from a message type, with how to
  wrap it into a top-level attribute list and the path to read it back.
- `check_value()`: compare a decoded value with the sample it was encoded from.
- Hand-built NLMSG_ERROR / NLMSG_DONE datagrams.
- `kernel_capture()`: real rtnetlink dumps (raw datagrams) and `ip -j` output, taken once per
  test session inside a throwaway namespace full of veth/bridge/vxlan/macvlan links, addresses,
  routes, neighbours and rules. Without privileges it falls back to read-only host dumps.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from nlshell.engine.codec import (
    AttrSet,
    StructView,
    addr,
    brvlan,
    link,
    neigh,
    nexthop,
    nla,
    nsid,
    route,
    rule,
    stats,
    tc,
    views,
)
from nlshell.engine.codec import constants as C
from nlshell.engine.codec.message import MESSAGE_TYPES, ErrorMessage
from support import iporacle, testns

NLMSGHDR = struct.Struct("=IHHII")

# message groups: name -> the module with TYPES / HEADER / ATTRS
GROUPS = {"link": link, "addr": addr, "route": route, "neigh": neigh, "rule": rule,
          "nsid": nsid, "stats": stats, "nexthop": nexthop, "brvlan": brvlan,
          "tc": tc}

# -- sample values ------------------------------------------------------------------------

# one or more values per scalar kind, in the forms Message.get returns
SCALAR_SAMPLES: dict[str, list[Any]] = {
    "u8": [0xA5, 0, 0xFF],
    "u16": [0xBEEF],
    "u32": [0xDEADBEEF, 1],
    "u64": [0xFEEDFACECAFEBEEF],
    "uint": [0xDEADBEEF, 1 << 40],
    "s8": [-5],
    "s16": [-1234],
    "s32": [-123456, 7],
    "s64": [-(2**40)],
    "be16": [4789],
    "be32": [0x12345678],
    "be64": [0x8000000000000005],
    "asciiz": ["nlt-sample0"],
    "string": ["a string"],
    "binary": [b"\x01\x02\x00\xff\x10"],
    "flag": [True],
    "ipaddr": ["192.0.2.1", "2001:db8::1"],
    "lladdr": ["02:00:5e:10:00:01"],
    "operstate": list(C.OPERSTATES),
    "u8flag": [1],  # sent empty (a flag), read back as 1
}

# values that must be refused on encode, per scalar kind
SCALAR_BAD: dict[str, list[Any]] = {
    "u8": [256, -1, "x", float("inf"), [1]],
    "u16": [1 << 16, -1, "nope", [1]],
    "u32": [1 << 32, -1, "nope", {}, float("nan"), float("inf")],
    "u64": [1 << 64, -1, "nope"],
    "uint": [1 << 64, -1, "nope"],
    "s8": [200, "x"],
    "s16": [1 << 15, "x"],
    "s32": [1 << 31, "x", object()],
    "s64": [1 << 63, "x"],
    "be16": [1 << 16, -1],
    "be32": [1 << 32, -1],
    "be64": [1 << 64, -1],
    "asciiz": [5, b"bytes", ["x"]],
    "string": [5, b"bytes"],
    "binary": ["zz", 3.5, object()],
    "flag": [],
    "ipaddr": ["192.0.2.300", "nope", 5, "2001:db8:::1:::"],
    "lladdr": ["02:00:zz", "", 5, "1:2:3:4:5:123"],
    "operstate": ["SIDEWAYS", 300, {}],
    "u8flag": [],
}


def scalar_name(dec: Any, enc: Any = None) -> str:
    """The scalar kind whose decoder is `dec` (ListOf and Enum keep only the functions)."""
    for name, (d, e) in nla.SCALARS.items():
        if d is dec and (enc is None or e is enc):
            return name
    raise LookupError(f"decoder {dec!r} is no scalar kind")


def struct_names(kind: views.Struct) -> list[str]:
    """A Struct kind's field names, found by decoding a zeroed payload."""
    return list(kind._dec(bytes(4096), 0, 4096))


_FMT_SAMPLE = {"B": 0xA5, "b": -5, "H": 0xBEEF, "h": -1234, "I": 0xDEADBEEF, "i": -123456,
               "Q": 0xFEEDFACECAFEBEEF, "q": -(2**40), "?": 1}


def field_samples(spec: views.StructSpec, skip: tuple[str, ...] = ()) -> dict[str, int]:
    """A value for every field of a fixed header, each as wide as its C type allows."""
    fmt = spec.st.format.lstrip("=<>!@")
    codes = []
    for count, code in re.findall(r"(\d*)([a-zA-Z?])", fmt):
        if code != "x":
            codes += [code] * int(count or 1)
    out = {}
    for name, code in zip(spec.names, codes, strict=True):
        if name in skip:
            continue
        out[name] = C.AF_INET if name == "family" else _FMT_SAMPLE[code]
    return out


def samples(kind: Any, ancestors: tuple = ()) -> list[Any]:
    """Valid values (encode form) for one attribute kind. Unknown kinds fail loudly."""
    if isinstance(kind, str):
        if kind not in SCALAR_SAMPLES:
            raise LookupError(f"no sample generator for scalar kind {kind!r}")
        return list(SCALAR_SAMPLES[kind])
    gen = KIND_SAMPLERS.get(type(kind))
    if gen is None:
        raise LookupError(f"no sample generator for kind {type(kind).__name__}")
    return gen(kind, ancestors)


def table_sample(table: views.Table, ancestors: tuple = (), scalar_only: bool = False
                 ) -> list[tuple[str, Any]]:
    """One value for every row of a table, in table order (a full attribute block).

    Select rows pick their first choice and the key row is set to match. A table already
    on the way down (veth peer -> link table) is sampled with its scalar rows only.
    """
    ancestors = ancestors + (table,)
    chosen: dict[str, str] = {}
    for _name, kind in table.rows.values():
        if isinstance(kind, views.Select):
            chosen[kind.key] = next(iter(kind.tables))
    pairs = []
    for name, kind in table.rows.values():
        row = table.lookup(name)
        if row.short in chosen:
            pairs.append((name, chosen[row.short]))
        elif isinstance(kind, views.Select):
            if not scalar_only:
                sub = kind.tables[chosen[kind.key]]
                pairs.append((name, samples(sub, ancestors)[0]))
        elif isinstance(kind, str) or not scalar_only:
            pairs.append((name, samples(kind, ancestors)[0]))
    return pairs


def _nested_samples(kind: views.Nested, ancestors: tuple) -> list[Any]:
    cyclic = kind.table in ancestors or len(ancestors) > 5
    full = table_sample(kind.table, ancestors, scalar_only=cyclic)
    return [full, dict(full[:1])] if full else [[]]


def _headed_samples(kind: views.Headed, ancestors: tuple) -> list[Any]:
    cyclic = kind.table in ancestors or len(ancestors) > 5
    attrs = table_sample(kind.table, ancestors, scalar_only=cyclic)
    fields = field_samples(kind.spec)
    flat = {**fields, **dict(attrs[:2])}  # the other accepted form: fields and attrs mixed
    return [{**fields, "attrs": attrs}, flat]


def _multipath_samples(kind: views.Multipath, ancestors: tuple) -> list[Any]:
    cyclic = kind.table in ancestors or len(ancestors) > 5
    attrs = table_sample(kind.table, ancestors, scalar_only=cyclic)
    hop1 = {**field_samples(kind.spec, skip=("rtnh_len",)), "attrs": attrs}
    hop2 = {"flags": C.RTNH_F_ONLINK, "hops": 2, "oif": 7,
            "attrs": [("RTA_GATEWAY", "198.51.100.7")]}
    hop3 = {"oif": 3}  # a nexthop without attributes
    return [[hop1, hop2, hop3], [hop2]]


def _struct_samples(kind: views.Struct, ancestors: tuple) -> list[Any]:
    names = struct_names(kind)
    return [{n: i + 1 for i, n in enumerate(names)}, {n: 0 for n in names}]


def _enum_samples(kind: views.Enum, ancestors: tuple) -> list[Any]:
    unnamed = next(i for i in range(1, 300) if i not in kind.names)
    return list(kind.names.values()) + [unnamed]


def _listof_samples(kind: views.ListOf, ancestors: tuple) -> list[Any]:
    base = SCALAR_SAMPLES[scalar_name(kind._dec, kind._enc)]
    return [[base[0], base[-1], base[0]], [base[0]], []]


def _via_samples(kind: Any, ancestors: tuple) -> list[Any]:
    return [{"family": C.AF_INET, "addr": "192.0.2.77"},
            {"family": C.AF_INET6, "addr": "2001:db8::77"}]


def _nh_group_samples(kind: Any, ancestors: tuple) -> list[Any]:
    return [[{"id": 1, "weight": 1}, {"id": 0xDEADBEEF, "weight": 256}, {"id": 7, "weight": 3}],
            [{"id": 2, "weight": 17}], []]


def _by_family_samples(kind: link.ByFamily, ancestors: tuple) -> list[Any]:
    # the header's family picks the table on decode; the samples' family (AF_INET) has
    # none here, so a block without a default table is its payload bytes (the per-family
    # tables are sampled with their family: family_block_cases)
    if kind.default is None:
        return [b"\x03", b""]
    return _nested_samples(kind, ancestors)


def family_block_cases() -> list[tuple[str, int, str, views.Table]]:
    """(id, family, attribute, table) for each per-family table of a link message block
    (IFLA_AF_SPEC and IFLA_PROTINFO of AF_BRIDGE and AF_INET6 messages)."""
    out = []
    for name, kind in link.ATTRS.rows.values():
        if isinstance(kind, link.ByFamily):
            for fam, sub in kind.by_family.items():
                out.append((f"{name}[{fam}]", fam, name, sub.table))
    return out


def _prio_samples(kind: Any, ancestors: tuple) -> list[Any]:
    return [{"bands": 3, "priomap": [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]},
            {"bands": 16, "priomap": list(range(16))}]


def _u32_sel_samples(kind: Any, ancestors: tuple) -> list[Any]:
    key = {"mask": 0xFFFFFF00, "val": 0xC0000200, "off": 12, "offmask": 0}
    head = {"flags": 1, "offshift": 0, "offmask": 0, "off": 0, "offoff": 0, "hoff": 0,
            "hmask": 0}
    return [{**head, "nkeys": 2, "keys": [key, {**key, "off": 16}]},
            {**head, "nkeys": 0, "keys": []}]


def _actions_samples(kind: Any, ancestors: tuple) -> list[Any]:
    gact = [("TCA_ACT_KIND", "gact"),
            ("TCA_ACT_OPTIONS", [("TCA_GACT_PARMS", {"index": 0, "capab": 0, "action": 2,
                                                     "refcnt": 0, "bindcnt": 0})])]
    mirred = [("TCA_ACT_KIND", "mirred"),
              ("TCA_ACT_OPTIONS", [("TCA_MIRRED_PARMS", {
                  "index": 0, "capab": 0, "action": 4, "refcnt": 0, "bindcnt": 0,
                  "eaction": 1, "ifindex": 7})])]
    return [[gact, mirred], [gact], []]


def _select_samples(kind: views.Select, ancestors: tuple) -> list[Any]:
    # only meaningful with the key as a sibling: see table_sample / iter_row_cases
    raise LookupError("a Select kind is sampled through its table")


KIND_SAMPLERS: dict[type, Callable[[Any, tuple], list[Any]]] = {
    views.Nested: _nested_samples,
    views.Headed: _headed_samples,
    views.Multipath: _multipath_samples,
    views.Struct: _struct_samples,
    views.Enum: _enum_samples,
    views.ListOf: _listof_samples,
    views.Select: _select_samples,
    route.Via: _via_samples,
    nexthop.Group: _nh_group_samples,
    link.ByFamily: _by_family_samples,
    tc.PrioMap: _prio_samples,
    tc.U32Sel: _u32_sel_samples,
    tc.Actions: _actions_samples,
}


# -- comparing decoded values with samples ------------------------------------------------


def _pairs(value: Any) -> list[tuple[str, Any]]:
    return list(value.items()) if isinstance(value, dict) else list(value)


def check_pairs(table: views.Table, expected: Any, got: AttrSet, where: str) -> None:
    """`got` (a view) holds exactly the attributes of `expected`, in order, equal."""
    expected = [(n, v) for n, v in _pairs(expected) if v is not None]
    rows = [table.lookup(n) for n, _ in expected]
    names = [name for name, _ in got.attrs()]
    assert names == [r.name for r in rows], f"{where}: attribute names differ"
    siblings = {r.short: v for r, (_, v) in zip(rows, expected, strict=True)}
    for row, (_, value), (_, decoded) in zip(rows, expected, got.attrs(), strict=True):
        kind = row.kind
        if isinstance(kind, views.Select):
            kind = kind.tables[siblings[kind.key]]
        check_value(kind, value, decoded, f"{where}/{row.name}")


def _check_fields(expected: dict, got: StructView, where: str) -> None:
    for name, value in expected.items():
        if name == "attrs" or name not in got._spec.index or name == "rtnh_len":
            continue
        assert got[name] == value, f"{where}: field {name}: {got[name]!r} != {value!r}"


def check_value(kind: Any, expected: Any, got: Any, where: str) -> None:
    """Assert that `got` (decoded) is what `expected` (the encoded sample) means."""
    if isinstance(kind, str) or isinstance(kind, (views.Struct, views.Enum, views.ListOf,
                                                  route.Via, nexthop.Group,
                                                  tc.PrioMap, tc.U32Sel)):
        assert got == expected, f"{where}: decoded {got!r}, encoded {expected!r}"
        assert type(got) is type(expected) or isinstance(kind, views.Struct), where
    elif isinstance(kind, link.ByFamily) and kind.default is None:
        assert got == expected, f"{where}: decoded {got!r}, encoded {expected!r}"
    elif isinstance(kind, views.Nested):
        assert isinstance(got, AttrSet), f"{where}: {got!r} is not an AttrSet"
        check_pairs(kind.table, expected, got, where)
    elif isinstance(kind, views.Headed):
        assert isinstance(got, StructView), f"{where}: {got!r} is not a StructView"
        _check_fields(expected, got, where)
        attrs = expected.get("attrs")
        if attrs is None:
            attrs = [(k, v) for k, v in expected.items() if k not in kind.spec.index]
        check_pairs(kind.table, attrs, got, where)
    elif isinstance(kind, tc.Actions):
        assert isinstance(got, list) and len(got) == len(expected), where
        for i, (act, view) in enumerate(zip(expected, got, strict=True)):
            check_pairs(tc.ACT, act, view, f"{where}[{i}]")
    elif isinstance(kind, views.Multipath):
        assert isinstance(got, list) and len(got) == len(expected), where
        for i, (hop, view) in enumerate(zip(expected, got, strict=True)):
            _check_fields(hop, view, f"{where}[{i}]")
            check_pairs(kind.table, hop.get("attrs") or [], view, f"{where}[{i}]")
    else:
        raise LookupError(f"{where}: no checker for kind {type(kind).__name__}")


# -- every row of every table -------------------------------------------------------------


@dataclass
class RowCase:
    """One attribute row, reached from a top-level message type."""

    id: str
    group: str
    table: views.Table
    name: str  # the row's full name
    kind: Any  # the effective kind (a Select resolved to one choice)
    path: tuple = ()  # names (and list indexes) from the message to the row's block
    siblings: list = field(default_factory=list)  # pairs the row needs next to it
    wrap: Callable[[list], list] = lambda pairs: pairs

    @property
    def msg_type(self) -> int:
        return GROUPS[self.group].TYPES[0]

    def attrs(self, value: Any, name: str | None = None) -> list:
        return self.wrap(self.siblings + [(name or self.name, value)])


def _wrap_nested(outer: Callable, name: str, before: list) -> Callable:
    return lambda pairs: outer(before + [(name, pairs)])


def _wrap_headed(outer: Callable, name: str) -> Callable:
    return lambda pairs: outer([(name, {"attrs": pairs})])


def _wrap_multipath(outer: Callable, name: str) -> Callable:
    return lambda pairs: outer([(name, [{"oif": 1, "attrs": pairs}])])


def iter_row_cases(group: str) -> Iterator[RowCase]:
    """Every row of every table reachable from `group`'s messages (cycles cut)."""
    yield from _walk_table(group, GROUPS[group].ATTRS, group, (), lambda p: p, ())


def _walk_table(group: str, table: views.Table, label: str, path: tuple, wrap: Callable,
                ancestors: tuple) -> Iterator[RowCase]:
    ancestors = ancestors + (table,)
    for name, kind in table.rows.values():
        short = table.lookup(name).short
        if isinstance(kind, views.Select):
            for choice, sub in kind.tables.items():
                sibs = [(kind.key, choice)]
                yield RowCase(f"{label}/{name}[{choice}]", group, table, name, sub, path,
                              sibs, wrap)
                if isinstance(sub, views.Nested) and sub.table not in ancestors:
                    yield from _walk_table(group, sub.table, f"{label}/{name}[{choice}]",
                                           path + (short,), _wrap_nested(wrap, name, sibs),
                                           ancestors)
            continue
        yield RowCase(f"{label}/{name}", group, table, name, kind, path, [], wrap)
        sub_table = getattr(kind, "table", None)
        if sub_table is None or sub_table in ancestors:
            continue
        if isinstance(kind, views.Nested):
            inner = _wrap_nested(wrap, name, [])
            sub_path = path + (short,)
        elif isinstance(kind, views.Headed):
            inner, sub_path = _wrap_headed(wrap, name), path + (short,)
        elif isinstance(kind, views.Multipath):
            inner, sub_path = _wrap_multipath(wrap, name), path + (short, 0)
        else:
            raise LookupError(f"{label}/{name}: cannot descend into {type(kind).__name__}")
        yield from _walk_table(group, sub_table, f"{label}/{name}", sub_path, inner, ancestors)


def navigate(node: Any, path: tuple) -> Any:
    """Follow names (get_attr) and list indexes from a message to a nested block."""
    for part in path:
        node = node[part] if isinstance(part, int) else node.get_attr(part)
    return node


def all_tables() -> list[tuple[str, views.Table]]:
    """(label, table) for every table reachable from the message types, once each."""
    seen: dict[int, tuple[str, views.Table]] = {}
    for group in GROUPS:
        for case in iter_row_cases(group):
            seen.setdefault(id(case.table), (case.id.rsplit("/", 1)[0], case.table))
    return list(seen.values())


def full_message(group: str, msg_type: int | None = None, seq: int = 0) -> bytes:
    """A message of `group` with every row of its table set (and nested tables filled)."""
    from nlshell.engine.codec import encode

    mod = GROUPS[group]
    return encode(msg_type or mod.TYPES[0], flags=C.NLM_F_REQUEST, seq=seq,
                  fields=field_samples(mod.HEADER), attrs=table_sample(mod.ATTRS))


# -- hand-built error and done messages ---------------------------------------------------


def nlattr(atype: int, payload: bytes) -> bytes:
    ln = 4 + len(payload)
    return struct.pack("=HH", ln, atype) + payload + b"\0" * (-ln & 3)


def error_datagram(code: int, orig: bytes, *, capped: bool = False, msg: str | None = None,
                   offs: int | None = None, extra: bytes = b"", seq: int = 1,
                   tlvs_flag: bool | None = None) -> bytes:
    """NLMSG_ERROR for request `orig` (whole message, or its header only when capped)."""
    tlvs = b""
    if msg is not None:
        tlvs += nlattr(C.NLMSGERR_ATTR_MSG, msg.encode() + b"\0")
    if offs is not None:
        tlvs += nlattr(C.NLMSGERR_ATTR_OFFS, struct.pack("=I", offs))
    tlvs += extra
    flags = (C.NLM_F_CAPPED if capped else 0)
    if tlvs if tlvs_flag is None else tlvs_flag:
        flags |= C.NLM_F_ACK_TLVS
    echoed = orig[:16] if capped else orig + b"\0" * (-len(orig) & 3)
    body = struct.pack("=i", -code) + echoed + tlvs
    return NLMSGHDR.pack(16 + len(body), C.NLMSG_ERROR, flags, seq, 0) + body


def done_datagram(code: int = 0, msg: str | None = None, offs: int | None = None,
                  seq: int = 1, with_error_word: bool = True) -> bytes:
    tlvs = b""
    if msg is not None:
        tlvs += nlattr(C.NLMSGERR_ATTR_MSG, msg.encode() + b"\0")
    if offs is not None:
        tlvs += nlattr(C.NLMSGERR_ATTR_OFFS, struct.pack("=I", offs))
    flags = C.NLM_F_MULTI | (C.NLM_F_ACK_TLVS if tlvs else 0)
    body = (struct.pack("=i", -code) if with_error_word else b"") + tlvs
    return NLMSGHDR.pack(16 + len(body), C.NLMSG_DONE, flags, seq, 0) + body


# -- fully decoding a message (what the fuzzer and the kernel tests do to every message) --


def exercise(msg: Any) -> None:
    """Touch everything a reader can touch; only DecodeError may come out."""
    msg.dump()
    repr(msg)
    msg["header"]
    msg["event"]
    msg.raw()
    msg.fields()
    if isinstance(msg, ErrorMessage):
        msg.code, msg.msg, msg.offset, msg.text(), msg.orig_type(), msg.error
    _exercise_view(msg, 0)


def _exercise_view(view: AttrSet, depth: int) -> None:
    table = view._table
    for row in table.by_type.values():
        for key in (row.name, row.short):
            view.get(key)
            view.get_attr(key)
            key in view  # noqa: B015
        for value in view.get_attrs(row.name):
            _exercise_value(value, depth)
    view.get(("no-such", "path"))
    view["attrs"]


def _exercise_value(value: Any, depth: int) -> None:
    if depth > 40:
        return
    if isinstance(value, AttrSet):
        if isinstance(value, StructView):
            value.fields()
        _exercise_view(value, depth + 1)
        repr(value)
    elif isinstance(value, list):
        for item in value:
            _exercise_value(item, depth + 1)


# -- real kernel messages -----------------------------------------------------------------

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"

# struct size of the request header per dump type (family is the first byte of all)
DUMP_HEADERS = {
    C.RTM_GETLINK: 16, C.RTM_GETADDR: 8, C.RTM_GETROUTE: 12, C.RTM_GETNEIGH: 12,
    C.RTM_GETRULE: 12, C.RTM_GETNSID: 4, C.RTM_GETNEXTHOP: 8,
}


def in_netns(name: str, fn: Callable[[], Any]) -> Any:
    """Run fn in a thread switched into namespace `name` (sockets it makes stay there)."""
    libc = ctypes.CDLL(None, use_errno=True)
    result: dict[str, Any] = {}

    def worker() -> None:
        try:
            fd = os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY | os.O_CLOEXEC)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns({name}): {os.strerror(err)}")
            finally:
                os.close(fd)
            result["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread
            result["error"] = exc

    t = threading.Thread(target=worker, name=f"netns-{name}")
    t.start()
    t.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def open_route_socket(netns: str | None = None, ext_ack: bool = True,
                      cap_ack: bool = False) -> socket.socket:
    """A plain NETLINK_ROUTE socket (in `netns` if given), made with the socket module."""
    def make() -> socket.socket:
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC,
                          C.NETLINK_ROUTE)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.setsockopt(C.SOL_NETLINK, C.NETLINK_EXT_ACK, int(ext_ack))
        s.setsockopt(C.SOL_NETLINK, C.NETLINK_CAP_ACK, int(cap_ack))
        s.bind((0, 0))
        s.settimeout(10)
        return s

    return in_netns(netns, make) if netns else make()


def _ends_reply(data: bytes, seq: int) -> bool:
    off = 0
    while off + 16 <= len(data):
        ln, mtype, _flags, mseq, _pid = NLMSGHDR.unpack_from(data, off)
        if mseq == seq and mtype in (C.NLMSG_DONE, C.NLMSG_ERROR):
            return True
        if ln < 16:
            break
        off += (ln + 3) & ~3
    return False


def raw_request(sock: socket.socket, msg_type: int, flags: int, body: bytes,
                seq: int) -> list[bytes]:
    """Send one message; collect raw datagrams up to its DONE / ERROR."""
    sock.send(NLMSGHDR.pack(16 + len(body), msg_type, flags, seq, 0) + body)
    out = []
    while True:
        data = sock.recv(1 << 20)
        out.append(data)
        if _ends_reply(data, seq):
            return out


def raw_dump(sock: socket.socket, msg_type: int, family: int = 0, attrs: bytes = b"",
             seq: int = 1) -> list[bytes]:
    header = bytes([family]) + bytes(DUMP_HEADERS[msg_type] - 1)
    return raw_request(sock, msg_type, C.NLM_F_REQUEST | C.NLM_F_DUMP, header + attrs, seq)


# (label, message type, family, request attributes)
DUMPS = [
    ("link", C.RTM_GETLINK, 0, b""),
    ("link_bridge", C.RTM_GETLINK, C.AF_BRIDGE,
     nlattr(29, struct.pack("=I", C.RTEXT_FILTER_BRVLAN))),  # IFLA_EXT_MASK
    ("addr", C.RTM_GETADDR, 0, b""),
    ("route", C.RTM_GETROUTE, 0, b""),
    ("neigh", C.RTM_GETNEIGH, 0, b""),
    ("rule", C.RTM_GETRULE, 0, b""),
    ("nsid", C.RTM_GETNSID, 0, b""),
    ("nexthop", C.RTM_GETNEXTHOP, 0, b""),
]


def _capture_dumps(sock: socket.socket) -> dict[str, list[bytes]]:
    return {label: raw_dump(sock, t, fam, attrs, seq=100 + i)
            for i, (label, t, fam, attrs) in enumerate(DUMPS)}


def _capture_errors(sock: socket.socket, capped_sock: socket.socket) -> list[bytes]:
    """Real NLMSG_ERRORs: policy failures with extended ack (message + offset), acks."""
    out = []
    ifinfo = bytes(16)
    long_name = nlattr(3, b"n" * 40 + b"\0")  # IFLA_IFNAME longer than IFNAMSIZ
    bad_kind = nlattr(18, nlattr(1, b"nlt-no-such-kind\0"))
    create = C.NLM_F_REQUEST | C.NLM_F_ACK | C.NLM_F_CREATE | C.NLM_F_EXCL
    for i, s in enumerate((sock, capped_sock)):
        out += raw_request(s, C.RTM_NEWLINK, create, ifinfo + long_name, seq=200 + i)
        out += raw_request(s, C.RTM_NEWLINK, create, ifinfo + nlattr(3, b"x0\0") + bad_kind,
                           seq=210 + i)
        # a harmless ack: set lo's mtu to what it is
        lo = struct.pack("=BxHiII", 0, 0, 1, 0, 0) + nlattr(4, struct.pack("=I", 65536))
        out += raw_request(s, C.RTM_NEWLINK, C.NLM_F_REQUEST | C.NLM_F_ACK, lo, seq=220 + i)
        # no such device
        gone = struct.pack("=BxHiII", 0, 0, 99999, 0, 0)
        out += raw_request(s, C.RTM_GETLINK, C.NLM_F_REQUEST, gone, seq=230 + i)
    return out


RICH_SETUP = [
    "link add v0 type veth peer name v1",
    "link add br0 type bridge",
    "link set v1 master br0",
    "link set dev v1 type bridge_slave priority 17 cost 33",
    "link add vx0 type vxlan id 42 dstport 4789 local 192.0.2.1 dev v0",
    "link add mv0 link v0 type macvlan mode bridge",
    "link add mv1 link v0 type macvlan mode private",
    "link add ifb0 type ifb",
    "link set v0 mtu 1450",
    "link set v0 alias nlt-uplink",
    "tuntap add tap0 mode tap",
    "link set v0 up", "link set v1 up", "link set br0 up", "link set vx0 up",
    "link set mv0 up", "link set ifb0 up",
    "addr add 192.0.2.1/24 brd + dev v0 label v0:a",
    "addr add 192.0.2.2/24 dev v0 label v0:b",
    "addr add 2001:db8::1/64 dev v0 nodad",
    "addr add 198.51.100.1/24 dev br0",
    "addr add 10.9.8.7/32 peer 10.9.8.1 dev ifb0",
    "addr add 2001:db8:5::1/64 dev br0 valid_lft 3000 preferred_lft 2000 nodad",
    "route add 203.0.113.0/24 via 192.0.2.254 dev v0 metric 50 mtu 1400 proto static",
    "route add 203.0.113.7/32 dev v0 table 100",
    "route add 198.18.0.0/16 nexthop via 192.0.2.10 dev v0 weight 1"
    " nexthop via 198.51.100.10 dev br0 weight 3",
    "route add blackhole 198.19.0.0/16",
    "route add unreachable 198.19.1.0/24 table 100 metric 7",
    "route add 2001:db8:1::/64 via 2001:db8::ff dev v0 metric 100",
    "route add 2001:db8:2::/64 dev v0 table 100 mtu 1300 advmss 1200",
    "neigh add 192.0.2.20 lladdr 02:00:00:00:00:20 dev v0 nud permanent",
    "neigh add 192.0.2.21 lladdr 02:00:00:00:00:22 dev v0 nud noarp",
    "neigh add 2001:db8::20 lladdr 02:00:00:00:00:21 dev v0 nud stale",
    "rule add from 192.0.2.0/24 table 100 priority 1000",
    "rule add to 203.0.113.0/24 fwmark 0x10 lookup 100 priority 1001",
    "rule add iif v0 table 100 priority 1002",
    "-6 rule add from 2001:db8::/64 table 100 priority 2000",
    "nexthop add id 1 via 192.0.2.50 dev v0",
    "nexthop add id 2 via 198.51.100.50 dev br0 proto static",
    "nexthop add id 3 blackhole",
    "-6 nexthop add id 4 via 2001:db8::50 dev v0",
    "nexthop add id 10 group 1,3/2",
    "nexthop add id 11 group 1/2 type resilient buckets 8 idle_timer 60",
]

ORACLE = {
    "link": ["-d", "-s", "link", "show"],
    "addr": ["addr", "show"],
    "route4": ["-d", "-4", "route", "show", "table", "all"],
    "route6": ["-d", "-6", "route", "show", "table", "all"],
    "neigh": ["neigh", "show", "nud", "all"],
    "rule4": ["-4", "rule", "show"],
    "rule6": ["-6", "rule", "show"],
}


@dataclass
class Capture:
    """Raw kernel datagrams by dump label, real error datagrams, and ip -j's view."""

    dumps: dict[str, list[bytes]]
    errors: list[bytes]
    oracle: dict[str, Any] | None  # None when the dumps come from the host (no namespace)
    where: str

    def datagrams(self) -> list[bytes]:
        return [d for ds in self.dumps.values() for d in ds] + list(self.errors)


def populate(ns: str) -> None:
    """Fill a namespace with the links, addresses, routes, neighbours and rules above."""
    # no DAD: link-local addresses and their routes exist at once (stable oracle)
    # and no router solicitations: fewer neighbour entries appearing while we look
    testns.ns_sysctl(ns, "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0",
                      "net.ipv6.conf.default.router_solicitations=0", check=False)
    for words in RICH_SETUP:
        iporacle.sh(ns, words)


@functools.lru_cache(maxsize=1)
def kernel_capture() -> Capture:
    """Real dumps, taken once per session (namespace when privileged, else host read-only)."""
    if testns.missing_caps():
        sock = open_route_socket()
        with contextlib.closing(sock):
            return Capture(_capture_dumps(sock), [], None, "host (read-only)")
    with testns.temp_netns() as ns:
        populate(ns)
        sock = open_route_socket(ns)
        capped = open_route_socket(ns, cap_ack=True)
        with contextlib.closing(sock), contextlib.closing(capped):
            for attempt in range(8):  # a dump and `ip -j` must see the same state
                dumps = _capture_dumps(sock)
                oracle = {k: iporacle.ipj(ns, *args) for k, args in ORACLE.items()}
                if _stable(sock, dumps):
                    break
                time.sleep(0.1 * (attempt + 1))  # multicast joins still settling
            errors = _capture_errors(sock, capped)
        return Capture(dumps, errors, oracle, ns)


def _stable(sock: socket.socket, dumps: dict[str, list[bytes]]) -> bool:
    """The routes and addresses did not change while ip -j ran (timers/stats may)."""
    again = _capture_dumps(sock)
    return all(_count(again[k]) == _count(dumps[k]) for k in ("addr", "route", "neigh", "rule"))


def _count(datagrams: list[bytes]) -> int:
    n = 0
    for data in datagrams:
        off = 0
        while off + 16 <= len(data):
            ln = NLMSGHDR.unpack_from(data, off)[0]
            n += 1
            if ln < 16:
                break
            off += (ln + 3) & ~3
    return n


def split_messages(datagram: bytes) -> list[bytes]:
    """A datagram's messages as separate byte strings (by the raw headers)."""
    out = []
    off = 0
    while off + 16 <= len(datagram):
        ln = NLMSGHDR.unpack_from(datagram, off)[0]
        if ln < 16 or off + ln > len(datagram):
            break
        out.append(datagram[off:off + ln] + b"\0" * (-ln & 3))
        off += (ln + 3) & ~3
    return out


def message_kinds() -> dict[int, tuple]:
    """MESSAGE_TYPES of the codec (type -> (view class, header, table))."""
    return MESSAGE_TYPES
