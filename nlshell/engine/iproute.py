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
from collections.abc import Callable, Iterable
from typing import Any

from . import requests as R
from .codec import constants as C
from .codec.message import Message
from .errors import NetlinkError
from .socket import NetlinkSocket

_ENODEV = errno.ENODEV
_ENOENT = errno.ENOENT


class IPRoute:
    """Requests to one network namespace's rtnetlink (the caller's, or ``netns=``: a
    name in /run/netns, a path or an fd)."""

    def __init__(self, netns: Any = None, all_ns: bool = False, rcvbuf: int | None = 1 << 20,
                 create: bool = False, flags: int = 0, groups: int = 0) -> None:
        if netns is not None and isinstance(netns, str) and (create or flags & os.O_CREAT):
            from . import netns as _netns

            _netns.ensure(netns, exclusive=bool(flags & os.O_EXCL))  # no check-then-create race
        self.netns = netns
        self.sock = NetlinkSocket(netns=netns, rcvbuf=rcvbuf)
        if all_ns:
            self.sock.enable_all_nsid()
        if groups:
            self.sock.bind(groups)

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
        with _NsFds() as fds:
            return self._run(R.link_request(cmd, kw, fds.resolve))

    def addr(self, cmd: str, index: int | None = None, address: str | None = None,
             mask: int | None = None, **kw: Any) -> list[Message]:
        """add / del / replace / dump addresses (pyroute2's positional order)."""
        if index is not None:
            kw["index"] = index
        if address is not None:
            kw["address"] = address
        if mask is not None:
            kw["prefixlen"] = mask
        return self._run(R.addr_request(cmd, kw))

    def route(self, cmd: str, **kw: Any) -> list[Message]:
        """add / del / replace / change / append / get / dump routes."""
        raw = R.fast_route(cmd, kw)
        if raw is not None:
            return self.sock.request_raw(raw)
        return self._run(R.route_request(cmd, kw))

    def neigh(self, cmd: str, **kw: Any) -> list[Message]:
        return self._run(R.neigh_request(cmd, kw))

    def rule(self, cmd: str, **kw: Any) -> list[Message]:
        return self._run(R.rule_request(cmd, kw))

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

    def _dump(self, mtype: int, fields: Any, attrs: Any, flags: int = 0) -> list[Message]:
        try:
            return self.sock.dump(mtype, fields, attrs, flags)
        except NetlinkError as exc:
            # the main table before the kernel made it (a fresh namespace, before its first
            # route) is an empty table, as ip and pyroute2 show it; another table that
            # does not exist stays an error, as with ip
            if exc.code == _ENOENT and mtype == C.RTM_GETROUTE and \
                    ("table", C.RT_TABLE_MAIN) in (attrs or ()):
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

    def get_links(self, *indexes: Any, **filters: Any) -> list[Message]:
        """The links with these indexes (each asked for), else all links (filtered)."""
        flat = [i for x in indexes for i in (x if isinstance(x, (list, tuple)) else (x,))]
        if flat:
            return [m for i in flat for m in self.link("get", index=i)]
        return self.link("dump", **filters)

    def get_addr(self, family: int = 0, **filters: Any) -> list[Message]:
        return self.addr("dump", family=family, **filters)

    def get_routes(self, family: int = 0, **filters: Any) -> list[Message]:
        return self.route("dump", family=family, **filters)

    def get_neighbours(self, family: int = 0, **filters: Any) -> list[Message]:
        return self.neigh("dump", family=family, **filters)

    get_neighbors = get_neighbours

    def get_rules(self, family: int = 0, **filters: Any) -> list[Message]:
        return self.rule("dump", family=family, **filters)

    def link_lookup(self, **attrs: Any) -> list[int]:
        """Indexes of the links whose attributes (or header fields) equal ``attrs``:
        ``link_lookup(ifname='eth0')``, ``(address='aa:bb:..')``, ``(operstate='UP')``."""
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


class _NsFds:
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

    def __enter__(self) -> _NsFds:
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
        self._fds = _NsFds()
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
        raw = R.fast_route(cmd, kw)
        if raw is None:
            self._add("route", cmd, R.route_request(cmd, kw), kw)
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
        from . import netns as _netns

        if isinstance(netns, bool) or not isinstance(netns, (str, int)):
            raise TypeError(f"NetNS needs a namespace name, path or fd, not {netns!r}")
        if isinstance(netns, str) and not netns.startswith("/"):
            _netns.validate_name(netns)
            if create or flags & os.O_CREAT:
                _netns.ensure(netns, exclusive=bool(flags & os.O_EXCL))
        super().__init__(netns=netns, **kw)

    def __enter__(self) -> NetNS:
        return self

    def __repr__(self) -> str:
        return f"<NetNS {self.netns!r}>"


Iproute = IPRoute
Netns = NETNS = NetNS
