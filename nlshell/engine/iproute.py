"""IPRoute: the pyroute2-style face of the engine.

    from nlshell import IPRoute
    with IPRoute() as ipr:
        ipr.link('add', ifname='veth0p0', peer='veth0p1', kind='veth')
        idx = ipr.link_lookup(ifname='veth0p0')[0]
        ipr.link('set', index=idx, state='up')

Keyword translation lives in ``requests``; this module sends, dumps and filters.
"""

from __future__ import annotations

import errno
import os
import struct
import time

from . import requests as R
from .codec import constants as C
from .codec.message import Message, encode, parse
from .errors import DumpInterrupted, NetlinkError
from .socket import NetlinkSocket

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any

_ENODEV = errno.ENODEV
_ENOENT = errno.ENOENT
_MAGIC = struct.Struct("=I")
_DUMPS = ("dump", "show")
# a delete that finds nothing: ensure(present=False) treats it as done
_GONE = (errno.ENODEV, errno.ENOENT, errno.ENONET, errno.EADDRNOTAVAIL, errno.ESRCH)

class IPRoute:
    """Requests to one network namespace's rtnetlink (the caller's, or ``netns=``: a
    name in /run/netns, a path or an fd)."""

    def __init__(self, netns: Any = None, all_ns: bool = False, rcvbuf: int | None = 1 << 20,
                 create: bool = False, flags: int = 0, groups: int = 0, *,
                 ext_ack: bool = True, strict_check: bool = True, fileno: int | None = None,
                 sndbuf: int | None = None) -> None:
        if netns is not None and isinstance(netns, str) and (create or flags & os.O_CREAT):
            from . import netns as _netns

            _netns.ensure(netns, exclusive=bool(flags & os.O_EXCL))  # no check-then-create race
        self.netns = netns
        self.sock = open_socket(netns, rcvbuf, all_ns, groups, ext_ack=ext_ack,
                                strict_check=strict_check, fileno=fileno, sndbuf=sndbuf)

    @property
    def status(self) -> dict[str, Any]:
        """The socket's settings, under pyroute2's names."""
        return status_of(self.sock)

    # --- lifecycle ------------------------------------------------------------------

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> IPRoute:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def fileno(self) -> int:
        return self.sock.fileno()

    # --- the five objects -----------------------------------------------------------

    def link(self, cmd: str, **kw: Any) -> list[Message]:
        """add / set / del / get / dump a link; net_ns_fd may name a namespace."""
        match = pop_match(cmd, kw)
        with NsFds() as fds:
            return self._lib(R.link_request(cmd, kw, fds.resolve), match)

    def addr(self, cmd: str, index: int | None = None, address: str | None = None,
             mask: int | None = None, **kw: Any) -> list[Message]:
        """add / del / replace / dump addresses (pyroute2's positional order)."""
        match = pop_match(cmd, kw)
        return self._lib(R.addr_request(cmd, addr_keywords(index, address, mask, kw)), match)

    def route(self, cmd: str, **kw: Any) -> list[Message]:
        """add / del / replace / change / append / get / dump routes. pyroute2's defaults
        (route_defaults.LIBRARY_FACE): an added route without proto= is ``static``, and
        one onto its device is scope ``global`` unless scope= says otherwise (the
        command language keeps ip's: ``boot``, ``link``)."""
        match = pop_match(cmd, kw)
        raw = R.fast_route(cmd, kw, R.LIBRARY_FACE)
        if raw is not None:
            return self.sock.request_raw(raw, True)
        return self._lib(R.route_request(cmd, kw, R.LIBRARY_FACE), match)

    def neigh(self, cmd: str, **kw: Any) -> list[Message]:
        match = pop_match(cmd, kw)
        return self._lib(R.neigh_request(cmd, kw), match)

    def rule(self, cmd: str, **kw: Any) -> list[Message]:
        match = pop_match(cmd, kw)
        return self._lib(R.rule_request(cmd, kw), match)

    def _lib(self, req: R.Request, match: Any) -> list[Message]:
        """A request of the library face: a dump filtered by ``match`` too; a change
        answers its ack (as pyroute2's do)."""
        if req.action == "dump":
            return apply_match(self._run(req), match)
        return self.sock.request_raw(wire_of(req), req.action != "get")

    def _run(self, req: R.Request) -> list[Message]:
        if req.action == "dump":
            msgs = self._dump(req.msg_type, req.fields, req.attrs, req.flags)
            return filter_messages(msgs, req.filters) if req.filters else msgs
        if req.raw is not None:
            return self.sock.request_raw(req.raw)
        return self.sock.request(req.msg_type, req.flags, req.fields, req.attrs)

    # --- prepared requests (what the command language sends) ------------------------

    def send(self, req: R.Request | bytes) -> list[Message]:
        """Send one prepared request: a ``requests.Request`` (a dump is filtered by its
        ``filters``), or a request already encoded (bytes, NLM_F_REQUEST set). Returns
        the kernel's answer (a dump's or a get's messages; [] for an acked change)."""
        if type(req) is bytes:
            return self.sock.request_raw(req)
        return self._run(req)

    def kernel_dump(self, obj: str, fields: dict | None = None, attrs: Any = None
                    ) -> list[Message]:
        """The kernel's dump of ``obj`` ('link', 'addr', 'route', 'neigh', 'rule') with
        these header fields and attributes (the kernel filters by them: strict checking),
        nothing filtered here."""
        try:
            mtype = R.MSG[obj]["dump"]
        except KeyError:
            raise ValueError(f"unknown object {obj!r} (one of {', '.join(R.MSG)})") from None
        return self._dump(mtype, fields, attrs)

    def kernel_dump_iter(self, obj: str, fields: dict | None = None, attrs: Any = None,
                         runs: bool = False) -> DumpIter:
        """``kernel_dump`` read as it arrives: iterate for the messages, a list per
        datagram (what a command prints before the dump ends, in flat memory). Not
        retried on DUMP_INTR (printed lines cannot be taken back): after the loop,
        ``.interrupted`` tells that the kernel marked the dump inconsistent (ip then says
        "Dump was interrupted and may be inconsistent." on stderr). ``runs``: each batch
        is a list of ``codec.runs.Run`` (same-shape messages read by column)."""
        try:
            mtype = R.MSG[obj]["dump"]
        except KeyError:
            raise ValueError(f"unknown object {obj!r} (one of {', '.join(R.MSG)})") from None
        return DumpIter(self.sock.dump_stream(mtype, fields, attrs, runs=runs), mtype, attrs)

    def _dump(self, mtype: int, fields: Any, attrs: Any, flags: int = 0) -> list[Message]:
        try:
            return self.sock.dump(mtype, fields, attrs, flags)
        except NetlinkError as exc:
            if empty_main_table(exc, mtype, attrs):
                return []
            raise

    def send_pipelined(self, reqs: Iterable[R.Request | bytes]) -> list[NetlinkError | None]:
        """Send prepared changes pipelined (many per datagram): one result per request,
        in order: None, or its NetlinkError. A failing request does not stop the others."""
        return self.sock.bulk([r if type(r) is bytes else _wire(r) for r in reqs])

    @staticmethod
    def undo_of(req: R.Request | bytes) -> R.Request | bytes | None:
        """The delete that reverses a prepared add (same identity); None if it has none."""
        return R.undo_of(req)

    @staticmethod
    def delete_of(msg: Message) -> R.Request | bytes:
        """The delete of a dumped route, rule, address or neighbour (what a flush sends)."""
        return R.delete_of(msg)

    # --- readers --------------------------------------------------------------------

    def get_links(self, *indexes: Any, match: Any = None, **filters: Any) -> list[Message]:
        """The links with these indexes (each asked for), else all links (filtered)."""
        flat = [i for x in indexes for i in (x if isinstance(x, (list, tuple)) else (x,))]
        if flat:
            return apply_match([m for i in flat for m in self.link("get", index=i)], match)
        return self.link("dump", match=match, **filters)

    def get_addr(self, family: int = 0, match: Any = None, **filters: Any) -> list[Message]:
        return self.addr("dump", family=family, match=match, **filters)

    def get_routes(self, family: int = 0, match: Any = None, **filters: Any) -> list[Message]:
        return self.route("dump", family=family, match=match, **filters)

    def get_neighbours(self, family: int = 0, match: Any = None, **filters: Any
                       ) -> list[Message]:
        return self.neigh("dump", family=family, match=match, **filters)

    get_neighbors = get_neighbours

    def get_rules(self, family: int = 0, match: Any = None, **filters: Any) -> list[Message]:
        return self.rule("dump", family=family, match=match, **filters)

    def get_default_routes(self, family: int = 0, table: Any = C.RT_TABLE_MAIN
                           ) -> list[Message]:
        """The default routes (no destination) of ``table`` (None: of every table)."""
        return default_routes(self.route("dump", family=family, table=table))

    def link_lookup(self, match: Any = None, **attrs: Any) -> list[int]:
        """Indexes of the links whose attributes (or header fields) equal ``attrs``:
        ``link_lookup(ifname='eth0')``, ``(address='aa:bb:..')``, ``(operstate='UP')``;
        or those ``match`` (a dict, or a callable on the message) accepts."""
        if match is not None:
            return [m["index"] for m in self.link("dump", match=match, **attrs)]
        if not attrs:
            raise ValueError("link_lookup needs at least one attribute (ifname=, ...)")
        if set(attrs) == {"ifname"}:
            try:
                return [m["index"] for m in self.link("get", ifname=attrs["ifname"])]
            except NetlinkError as exc:
                if exc.code == _ENODEV:
                    return []
                raise
        return [m["index"] for m in self.link("dump", **attrs)]

    # --- waiting for the kernel's state -----------------------------------------------

    def poll(self, method: Callable[..., list], command: str, timeout: float = 10,
             interval: float = 0.2, **spec: Any) -> list[Message]:
        """Call ``method(command, **spec)`` every ``interval`` seconds until it answers
        something (returned); TimeoutError after ``timeout`` seconds."""
        return self._poll(method, command, True, timeout, interval, spec)

    def _poll(self, method: Callable[..., list], command: str, present: bool,
              timeout: float, interval: float, spec: dict) -> list[Message]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                got = list(method(command, **spec))
                if bool(got) == present:
                    return got
            except DumpInterrupted:
                pass
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{command} {spec} did not come to pass in {timeout} s")
            time.sleep(interval)

    def ensure(self, method: Callable[..., list], present: bool = True, timeout: float = 10,
               interval: float = 0.2, **spec: Any) -> list[Message]:
        """Make the object of ``spec`` present (added, or set when it exists) or absent
        (deleted), then wait until a dump shows it so: idempotent."""
        state = method("dump", **spec)
        if bool(state) == present:
            return state
        try:
            if present:
                try:
                    method("add", **spec)
                except NetlinkError as exc:
                    if exc.code != errno.EEXIST:
                        raise
                    method("set", **spec)
            else:
                method("del", **spec)
        except NetlinkError as exc:
            if present or exc.code not in _GONE:
                raise
        return self._poll(method, "dump", present, timeout, interval, spec)

    # --- flushes -------------------------------------------------------------------

    def flush_routes(self, *argv: Any, **kw: Any) -> list[Message]:
        """Delete the routes ``get_routes(*argv, **kw)`` answers; their acks."""
        return [a for m in self.get_routes(*argv, **kw)
                for a in self.sock.request_raw(wire_of(R.delete_of(m)), True)]

    def flush_addr(self, *argv: Any, **kw: Any) -> list[Message]:
        """Delete the addresses ``get_addr(*argv, **kw)`` answers; their acks. Once one
        is deleted, failures are skipped (deleting a primary address takes its
        secondaries with it)."""
        out: list[Message] = []
        for m in self.get_addr(*argv, **kw):
            try:
                out.extend(self.sock.request_raw(wire_of(R.delete_of(m)), True))
            except NetlinkError:
                if not out:
                    raise
        return out

    def flush_rules(self, *argv: Any, **kw: Any) -> list[Message]:
        """Delete the rules ``get_rules(*argv, **kw)`` answers (every family's unless
        family= is given); their acks."""
        return [a for m in self.get_rules(*argv, **kw)
                for a in self.sock.request_raw(wire_of(R.delete_of(m)), True)]

    # --- saved routes (the format of `ip route save`) ---------------------------------

    def route_dump(self, fd: Any, family: int = 0, fmt: str = "iproute2") -> list:
        """Write the routes of ``family`` to the file object ``fd``, as ``ip route save``
        does (``fmt='raw'``: without iproute2's magic number first)."""
        fd.write(route_save(self.kernel_dump("route", {"family": family}), fmt))
        return []

    def route_dumps(self, family: int = 0, fmt: str = "iproute2") -> bytes:
        return route_save(self.kernel_dump("route", {"family": family}), fmt)

    def route_load(self, fd: Any, fmt: str = "iproute2") -> list:
        """Add (replace) the routes saved by route_dump / ``ip route save``; the first
        refusal is raised after every route was tried."""
        return self.route_loads(fd.read(), fmt)

    def route_loads(self, data: bytes, fmt: str = "iproute2") -> list:
        for err in self.send_pipelined(route_restore(data, fmt)):
            if err is not None:
                raise err
        return []

    # --- namespace ids --------------------------------------------------------------

    def get_netnsid(self, nsid: int | None = None, pid: int | None = None,
                    fd: int | None = None, target_nsid: int | None = None
                    ) -> dict[str, Any] | None:
        """{'nsid', 'current_nsid'} of the namespace named by nsid, pid or fd, as seen
        from this one."""
        msgs = self.sock.request_raw(netnsid_request(C.RTM_GETNSID, nsid, pid, fd,
                                                     target_nsid))
        return netnsid_answer(msgs)

    def set_netnsid(self, nsid: int | None = None, pid: int | None = None,
                    fd: int | None = None) -> list[Message]:
        """Give the namespace of pid or fd an id here (the kernel picks one when nsid
        is None or negative)."""
        return self.sock.request_raw(netnsid_request(C.RTM_NEWNSID, nsid, pid, fd), True)

    # --- bridge and traffic control (issue 14) -----------------------------------------

    def fdb(self, cmd: str, **kw: Any) -> list[Message]:
        """The bridge forwarding database (neighbours of family AF_BRIDGE): add, append,
        replace, del, dump/show. pyroute2's defaults for add/append/del: state NOARP and
        PERMANENT (unless REACHABLE), flags SELF (unless SELF or MASTER); keywords in
        ``requests.bridge``."""
        from .requests import bridge as BR

        match = pop_match(cmd, kw)
        return self._lib(BR.fdb_request(cmd, BR.library_fdb_defaults(cmd, kw)), match)

    def brport(self, cmd: str, **kw: Any) -> list[Message]:
        """Bridge port options: ``set`` (index= and IFLA_BRPORT_* by short name: cost=,
        learning=, unicast_flood=...), ``dump``/``show`` (the ports, as AF_BRIDGE links)."""
        from .requests import bridge as BR

        match = pop_match(cmd, kw)
        return self._lib(BR.brport_request(cmd, kw), match)

    def vlan_filter(self, cmd: str, **kw: Any) -> list[Message]:
        """Bridge VLAN filters: ``add``/``del`` with index=, vlan_info={'vid': 10 |
        '100-199', 'pvid': bool, 'flags': ...}, vlan_flags='self'|'master',
        vlan_tunnel_info={'vid', 'id'}."""
        from .requests import bridge as BR

        return self._lib(BR.vlan_filter_request(cmd, kw), None)

    def get_vlans(self, **kw: Any) -> list[Message]:
        """The bridge ports with their VLAN info (IFLA_AF_SPEC), filtered by ``kw``."""
        from .requests import bridge as BR

        match = pop_match("dump", kw)
        return self._lib(BR.vlans_request(kw), match)

    def tc(self, command: str, kind: str | None = None, index: Any = None,
           handle: Any = None, **kw: Any) -> list[Message]:
        """Traffic control as pyroute2's ``tc()``: qdiscs (add, del, change, replace,
        dump), classes (add-class, ...), filters (add-filter, ...); keywords in
        ``requests.tc``. A change answers its ack; a dump its messages."""
        from .requests.tc import tc_request

        if index is not None:
            kw["index"] = index
        if handle is not None:
            kw["handle"] = handle
        req = tc_request(command, kind, kw)
        if req.action == "dump":
            return self._run(req)
        return self.sock.request_raw(wire_of(req), True)

    def get_qdiscs(self, index: Any = None) -> list[Message]:
        """Every qdisc, or those of device ``index``."""
        return self.tc("dump", index=index)

    def get_classes(self, index: Any = 0) -> list[Message]:
        """The traffic classes of device ``index``."""
        return self.tc("dump-class", index=index)

    def get_filters(self, index: Any = 0, handle: Any = 0, parent: Any = 0) -> list[Message]:
        """The filters of device ``index`` under ``parent`` (0: its root qdisc)."""
        return self.tc("dump-filter", index=index, handle=handle, parent=parent)

    # --- monitoring -----------------------------------------------------------------

    def bind(self, groups: int = C.RTMGRP_DEFAULTS, **_ignored: Any) -> None:
        """Join multicast groups (a RTMGRP_* bitmask); events then come from ``get()``."""
        self.sock.bind(groups)

    def get(self, timeout: float | None = None) -> list[Message]:
        """Events since the last call (blocking until one arrives, or ``timeout``).
        Raises NetlinkOverrun when the kernel dropped events (re-read the state)."""
        return self.sock.recv_events(timeout)

    # --- pipelined requests ---------------------------------------------------------

    def bulk(self) -> Bulk:
        return Bulk(self)

    def nexthop(self, cmd: str, **kw: Any) -> list[Message]:
        """Nexthop objects: add, replace, del, get, dump/show, flush (a dump's matches
        deleted, groups first; returns what was deleted). nlshell's own: pyroute2 has no
        ``nexthop()``; keywords in ``requests.nexthop``."""
        from .requests import nexthop as NH

        if cmd != "flush":
            return self._run(NH.nexthop_request(cmd, kw))
        gone = self.nexthop("dump", **kw)
        for nh_id in NH.flush_order(gone):
            try:
                self._run(NH.delete_request(nh_id))
            except NetlinkError as exc:
                if exc.code != _ENOENT:  # gone with its last group member: fine
                    raise
        return gone

    def get_nexthops(self, **filters: Any) -> list[Message]:
        """All nexthop objects (``oif``/``master``/``groups``/``fdb`` filtered by the
        kernel, ``id``/``protocol`` here). nlshell's own: pyroute2 has none."""
        return self.nexthop("dump", **filters)


def _wire(req: Any) -> Any:
    """A prepared request as the socket's bulk takes it: bytes, or the tuple to encode."""
    if type(req) is bytes:
        return req
    if req.raw is not None:
        return req.raw
    if req.action in ("dump", "get"):
        raise ValueError("a pipelined batch takes changes, not dumps or gets")
    return req.as_tuple()


def wire_of(req: Any) -> bytes:
    """A prepared request (Request or bytes) encoded (sequence number 0)."""
    if type(req) is bytes:
        return req
    if req.raw is not None:
        return req.raw
    return encode(req.msg_type, req.flags | C.NLM_F_REQUEST, 0, req.fields, req.attrs)


class DumpIter:
    """``IPRoute.kernel_dump_iter``'s result: the dump's messages, a list per datagram;
    ``interrupted`` once iterated (see ``NetlinkSocket.dump_stream``)."""

    __slots__ = ("_stream", "_mtype", "_attrs")

    def __init__(self, stream: Any, mtype: int, attrs: Any) -> None:
        self._stream, self._mtype, self._attrs = stream, mtype, attrs

    @property
    def interrupted(self) -> bool:
        return self._stream.interrupted

    def __iter__(self) -> Iterator[list[Message]]:
        try:
            yield from self._stream
        except NetlinkError as exc:
            if not empty_main_table(exc, self._mtype, self._attrs):
                raise


def empty_main_table(exc: NetlinkError, mtype: int, attrs: Any) -> bool:
    """The main table before the kernel made it (a fresh namespace, before its first
    route) is an empty table, as ip and pyroute2 show it; another table that does not
    exist stays an error, as with ip."""
    return exc.code == _ENOENT and mtype == C.RTM_GETROUTE and \
        ("table", C.RT_TABLE_MAIN) in (attrs or ())


def open_socket(netns: Any, rcvbuf: int | None, all_ns: bool, groups: int,
                **opts: Any) -> NetlinkSocket:
    """The socket of a face (IPRoute, AsyncIPRoute): in ``netns``, listening to every
    namespace's nsids with ``all_ns``, joined to ``groups``."""
    sock = NetlinkSocket(netns=netns, rcvbuf=rcvbuf, **opts)
    if all_ns:
        sock.enable_all_nsid()
    if groups:
        sock.bind(groups)
    return sock


def check_netns(netns: Any, flags: int, create: bool) -> None:
    """NetNS's argument: a name (created only when asked), a path or an fd."""
    from . import netns as _netns

    if isinstance(netns, bool) or not isinstance(netns, (str, int)):
        raise TypeError(f"NetNS needs a namespace name, path or fd, not {netns!r}")
    if isinstance(netns, str) and not netns.startswith("/"):
        _netns.validate_name(netns)
        if create or flags & os.O_CREAT:
            _netns.ensure(netns, exclusive=bool(flags & os.O_EXCL))


def pop_match(cmd: Any, kw: dict) -> Any:
    """pyroute2's ``match=`` (a dict of keys and values, or a callable on the message):
    taken out of ``kw``; a dump's filter only."""
    match = kw.pop("match", None)
    if match is None:
        return None
    if cmd not in _DUMPS:
        raise ValueError(f"match= filters dumps, not {cmd!r}")
    if not (callable(match) or isinstance(match, dict)):
        raise ValueError(f"invalid match {match!r} (a dict or a callable)")
    return match


def apply_match(msgs: list[Message], match: Any) -> list[Message]:
    if match is None:
        return msgs
    if callable(match):
        return [m for m in msgs if match(m)]
    return filter_messages(msgs, match)


def addr_keywords(index: Any, address: Any, mask: Any, kw: dict) -> dict:
    """addr()'s positional arguments (pyroute2's order) folded into its keywords."""
    if index is not None:
        kw["index"] = index
    if address is not None:
        kw["address"] = address
    if mask is not None:
        kw["prefixlen"] = mask
    return kw


def default_routes(msgs: list[Message]) -> list[Message]:
    return [m for m in msgs if m["dst_len"] == 0 and m.get("dst") is None]


def route_save(msgs: Iterable[Message], fmt: str) -> bytes:
    if fmt not in ("iproute2", "raw"):
        raise ValueError(f"unknown route dump format {fmt!r} (iproute2 or raw)")
    head = _MAGIC.pack(C.IPROUTE2_DUMP_MAGIC) if fmt == "iproute2" else b""
    return head + b"".join(m.raw() for m in msgs)


def route_restore(data: bytes, fmt: str) -> list[bytes]:
    """Saved routes -> the requests that add them back (replacing what is there)."""
    if fmt == "iproute2":
        if len(data) < 4 or _MAGIC.unpack_from(data)[0] != C.IPROUTE2_DUMP_MAGIC:
            raise ValueError("not a route dump: wrong magic number")
        data = data[4:]
    elif fmt != "raw":
        raise ValueError(f"unknown route dump format {fmt!r} (iproute2 or raw)")
    return [R.retyped(m.raw(), C.RTM_NEWROUTE, R.F_REPLACE) for m in parse(data)
            if m.type == C.RTM_NEWROUTE]


def netnsid_request(mtype: int, nsid: Any, pid: Any, fd: Any, target: Any = None) -> bytes:
    attrs: list[tuple[str, Any]] = []
    if mtype == C.RTM_NEWNSID:
        attrs.append(("NETNSA_NSID", -1 if nsid is None or nsid < 0 else nsid))
    elif nsid is not None:
        attrs.append(("NETNSA_NSID", nsid))
    for name, value in (("NETNSA_PID", pid), ("NETNSA_FD", fd),
                        ("NETNSA_TARGET_NSID", target)):
        if value is not None:
            attrs.append((name, value))
    return encode(mtype, C.NLM_F_REQUEST, 0, {"family": 0}, attrs)


def netnsid_answer(msgs: list[Message]) -> dict[str, Any] | None:
    for m in msgs:
        return {"nsid": m.get_attr("NETNSA_NSID"),
                "current_nsid": m.get_attr("NETNSA_CURRENT_NSID")}
    return None


def status_of(sock: NetlinkSocket) -> dict[str, Any]:
    return {"pid": sock.pid, "netns": sock.netns, "closed": sock.closed,
            "groups": sum(1 << (g - 1) for g in sock.groups if g <= 32),
            "rcvbuf": sock.rcvbuf if not sock.closed else None,
            "all_ns": sock.all_nsid, "ext_ack": sock.ext_ack, "strict_check": sock.strict,
            "family": C.NETLINK_ROUTE}


class NsFds:
    """Namespace names resolved to fds for one request, closed after it."""

    def __init__(self) -> None:
        self.fds: list[int] = []

    def resolve(self, ns: Any) -> int:
        fd = R.ns_resolver(ns)
        self.fds.append(fd)
        return fd

    def close(self) -> None:
        fds, self.fds = self.fds, []
        for fd in fds:
            os.close(fd)

    def __enter__(self) -> NsFds:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Bulk:
    """Requests collected with the usual methods, sent pipelined when the block ends.

        with ipr.bulk() as b:
            for i in range(1000):
                b.route('add', dst=f'10.{i >> 8}.{i & 255}.0/24', oif=idx)
        failed = b.errors   # [(position, (obj, cmd, kwargs), NetlinkError), ...]

    ``b.results`` has one entry per request, in order: None, or its NetlinkError. Bad
    keywords raise ValueError at once, from the call that has them.
    """

    def __init__(self, ipr: IPRoute) -> None:
        self._ipr = ipr
        self._reqs: list[Any] = []
        self._what: list[tuple[str, str, dict]] = []
        self._fds = NsFds()
        self.results: list[NetlinkError | None] = []

    def _add(self, obj: str, cmd: str, req: R.Request, kw: dict) -> None:
        if req.action in ("dump", "get"):
            raise ValueError(f"bulk takes changes, not {obj} {cmd}")
        self._reqs.append(req.as_tuple())
        self._what.append((obj, cmd, kw))

    def link(self, cmd: str, **kw: Any) -> None:
        self._add("link", cmd, R.link_request(cmd, kw, self._fds.resolve), kw)

    def addr(self, cmd: str, **kw: Any) -> None:
        self._add("addr", cmd, R.addr_request(cmd, kw), kw)

    def route(self, cmd: str, **kw: Any) -> None:
        raw = R.fast_route(cmd, kw, R.LIBRARY_FACE)
        if raw is None:
            self._add("route", cmd, R.route_request(cmd, kw, R.LIBRARY_FACE), kw)
        else:
            self._reqs.append(raw)
            self._what.append(("route", cmd, kw))

    def neigh(self, cmd: str, **kw: Any) -> None:
        self._add("neigh", cmd, R.neigh_request(cmd, kw), kw)

    def rule(self, cmd: str, **kw: Any) -> None:
        self._add("rule", cmd, R.rule_request(cmd, kw), kw)

    def nexthop(self, cmd: str, **kw: Any) -> None:
        from .requests.nexthop import nexthop_request

        self._add("nexthop", cmd, nexthop_request(cmd, kw), kw)

    def add_raw(self, msg_type: int, flags: int, fields: dict, attrs: list) -> None:
        """An already-translated request (used by batch files)."""
        self._reqs.append((msg_type, flags, fields, attrs))
        self._what.append(("raw", str(msg_type), {}))

    def send(self) -> list[NetlinkError | None]:
        """Send what was collected (once); returns (and keeps) the per-request results."""
        reqs, self._reqs = self._reqs, []
        try:
            self.results = self._ipr.sock.bulk(reqs) if reqs else []
        finally:
            self._fds.close()
        return self.results

    @property
    def errors(self) -> list[tuple[int, tuple[str, str, dict], NetlinkError]]:
        return [(i, self._what[i], e) for i, e in enumerate(self.results) if e is not None]

    def __len__(self) -> int:
        return len(self._what)

    def __enter__(self) -> Bulk:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is None:
            self.send()
        else:
            self._fds.close()


def filter_messages(msgs: Iterable[Message], filters: dict[Any, Any]) -> list[Message]:
    """Messages whose ``get(key)`` equals each filter value (a callable is a predicate;
    a tuple key is a path into nested attributes). None values filter nothing."""
    items: list[tuple[Any, Any]] = [(k, v) for k, v in filters.items() if v is not None]
    if not items:
        return list(msgs)
    checks: list[tuple[Any, Callable[[Any], bool]]] = [
        (k, v if callable(v) else _equals(k, v)) for k, v in items]
    out = []
    for m in msgs:
        for k, check in checks:
            if not check(m.get(k)):
                break
        else:
            out.append(m)
    return out


def _equals(key: Any, value: Any) -> Callable[[Any], bool]:
    if key in ("address", "broadcast", "lladdr") and isinstance(value, str) and \
            ":" in value and value.count(":") == 5:
        value = value.lower()  # MAC addresses: the kernel's spelling is lower case
    return lambda got: got == value


class NetNS(IPRoute):
    """IPRoute inside network namespace ``netns``: a name in /run/netns, a path, or an fd.

        from nlshell import NetNS, netns
        with NetNS('sandbox') as ns:
            idx = ns.link_lookup(ifname='veth0p1')[0]
            ns.link('set', index=idx, state='up')

    No child process: a short-lived thread enters the namespace, creates the socket and
    ends, so the caller never changes namespace and opening is cheap and thread-safe.

    A missing namespace raises ``netns.NamespaceNotFound`` (a FileNotFoundError naming it)
    and nothing is created, unlike pyroute2, where a typo makes a new namespace. To create
    it when missing pass ``create=True`` or ``flags=os.O_CREAT`` (with ``os.O_EXCL`` an
    existing one is an error). A bad name raises ValueError naming it.

    If the namespace is removed (``netns.remove``, ``ip netns del``) while this object is
    open, nothing breaks: the socket holds a reference to the namespace, so the namespace,
    its links and their configuration live on, unnamed, and every call keeps working on it
    until ``close()``, which releases the last reference (then the kernel destroys it).
    Only its name is gone: opening it again by that name fails as for any missing one.
    """

    def __init__(self, netns: str | int, flags: int = 0, create: bool = False,
                 **kw: Any) -> None:
        check_netns(netns, flags, create)
        super().__init__(netns=netns, **kw)

    def __enter__(self) -> NetNS:
        return self

    def __repr__(self) -> str:
        return f"<NetNS {self.netns!r}>"


Iproute = IPRoute
Netns = NETNS = NetNS
