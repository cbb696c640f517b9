"""IPRoute: the pyroute2-style face of the engine.

    from nlshell import IPRoute
    with IPRoute() as ipr:
        ipr.link('add', ifname='veth0p0', peer='veth0p1', kind='veth')
        idx = ipr.link_lookup(ifname='veth0p0')[0]
        ipr.link('set', index=idx, state='up')

Keyword translation lives in ``requests``; this module sends, dumps and filters.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from . import requests as R
from .codec import constants as C
from .codec.message import Message
from .errors import NetlinkError
from .socket import NetlinkSocket

_ENODEV = 19


class IPRoute:
    """Requests to one network namespace's rtnetlink (the caller's, or ``netns=``)."""

    def __init__(self, netns: Any = None, all_ns: bool = False, rcvbuf: int | None = 1 << 20,
                 create: bool = False, flags: int = 0) -> None:
        if netns is not None and isinstance(netns, str) and (create or flags & os.O_CREAT):
            from . import netns as _netns

            if netns not in _netns.listnetns():
                _netns.create(netns)
        self.netns = netns
        self.sock = NetlinkSocket(netns=netns, rcvbuf=rcvbuf)
        if all_ns:
            self.sock.enable_all_nsid()

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
        fds: list[int] = []

        def resolve(ns: Any) -> int:
            fd = R.ns_resolver(ns)
            fds.append(fd)
            return fd

        try:
            return self._run(R.link_request(cmd, kw, resolve))
        finally:
            for fd in fds:
                os.close(fd)

    def addr(self, cmd: str, index: int | None = None, address: str | None = None,
             mask: int | None = None, **kw: Any) -> list[Message]:
        if index is not None:
            kw["index"] = index
        if address is not None:
            kw["address"] = address
        if mask is not None:
            kw["prefixlen"] = mask
        return self._run(R.addr_request(cmd, kw))

    def route(self, cmd: str, **kw: Any) -> list[Message]:
        return self._run(R.route_request(cmd, kw))

    def neigh(self, cmd: str, **kw: Any) -> list[Message]:
        return self._run(R.neigh_request(cmd, kw))

    def rule(self, cmd: str, **kw: Any) -> list[Message]:
        return self._run(R.rule_request(cmd, kw))

    def _run(self, req: R.Request) -> list[Message]:
        if req.action == "dump":
            msgs = self.sock.dump(req.msg_type, req.fields, req.attrs, req.flags)
            return filter_messages(msgs, req.filters) if req.filters else msgs
        if req.action == "get":
            return self.sock.request(req.msg_type, req.flags, req.fields, req.attrs)
        return self.sock.request(req.msg_type, req.flags, req.fields, req.attrs)

    # --- readers --------------------------------------------------------------------

    def get_links(self, *indexes: Any, **filters: Any) -> list[Message]:
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

    def get_rules(self, family: int = 0, **filters: Any) -> list[Message]:
        return self.rule("dump", family=family, **filters)

    def link_lookup(self, **attrs: Any) -> list[int]:
        """Indexes of the links whose attributes (or header fields) equal ``attrs``."""
        if set(attrs) == {"ifname"}:
            try:
                return [m["index"] for m in self.link("get", ifname=attrs["ifname"])]
            except NetlinkError as exc:
                if exc.code == _ENODEV:
                    return []
                raise
        return [m["index"] for m in filter_messages(self.link("dump"), attrs)]

    # --- monitoring -----------------------------------------------------------------

    def bind(self, groups: int = C.RTMGRP_DEFAULTS, **_ignored: Any) -> None:
        self.sock.bind(groups)

    def get(self, timeout: float | None = None) -> list[Message]:
        """Events since the last call (blocking until one arrives, or ``timeout``)."""
        return self.sock.recv_events(timeout)

    # --- pipelined requests ---------------------------------------------------------

    def bulk(self) -> Bulk:
        return Bulk(self)


class Bulk:
    """Requests collected with the usual methods, sent pipelined when the block ends.

        with ipr.bulk() as b:
            for i in range(1000):
                b.route('add', dst=f'10.{i >> 8}.{i & 255}.0/24', oif=idx)
        failed = b.errors   # [(position, request kwargs, NetlinkError), ...]
    """

    def __init__(self, ipr: IPRoute) -> None:
        self._ipr = ipr
        self._reqs: list[tuple[int, int, dict, list]] = []
        self._what: list[tuple[str, str, dict]] = []
        self.results: list[NetlinkError | None] = []

    def _add(self, obj: str, cmd: str, req: R.Request, kw: dict) -> None:
        if req.action in ("dump", "get"):
            raise ValueError(f"bulk takes changes, not {obj} {cmd}")
        self._reqs.append(req.as_tuple())
        self._what.append((obj, cmd, kw))

    def link(self, cmd: str, **kw: Any) -> None:
        self._add("link", cmd, R.link_request(cmd, kw, R.ns_resolver), kw)

    def addr(self, cmd: str, **kw: Any) -> None:
        self._add("addr", cmd, R.addr_request(cmd, kw), kw)

    def route(self, cmd: str, **kw: Any) -> None:
        self._add("route", cmd, R.route_request(cmd, kw), kw)

    def neigh(self, cmd: str, **kw: Any) -> None:
        self._add("neigh", cmd, R.neigh_request(cmd, kw), kw)

    def rule(self, cmd: str, **kw: Any) -> None:
        self._add("rule", cmd, R.rule_request(cmd, kw), kw)

    def add_raw(self, msg_type: int, flags: int, fields: dict, attrs: list) -> None:
        """An already-translated request (used by batch files)."""
        self._reqs.append((msg_type, flags, fields, attrs))
        self._what.append(("raw", str(msg_type), {}))

    def send(self) -> list[NetlinkError | None]:
        self.results = self._ipr.sock.bulk(self._reqs) if self._reqs else []
        return self.results

    @property
    def errors(self) -> list[tuple[int, tuple[str, str, dict], NetlinkError]]:
        return [(i, self._what[i], e) for i, e in enumerate(self.results) if e is not None]

    def __len__(self) -> int:
        return len(self._reqs)

    def __enter__(self) -> Bulk:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is None:
            self.send()


def filter_messages(msgs: Iterable[Message], filters: dict[str, Any]) -> list[Message]:
    """Messages whose ``get(key)`` equals each filter value (a callable is a predicate)."""
    items = [(k, v) for k, v in filters.items() if v is not None]
    if not items:
        return list(msgs)
    out = []
    for m in msgs:
        for k, v in items:
            got = m.get(k)
            if callable(v):
                if not v(got):
                    break
            elif got != v:
                break
        else:
            out.append(m)
    return out


class NetNS(IPRoute):
    """IPRoute inside a named namespace. A missing namespace is an error unless
    ``create=True`` (or ``flags=os.O_CREAT``) asks for it to be made."""

    def __init__(self, netns: str, flags: int = 0, create: bool = False, **kw: Any) -> None:
        super().__init__(netns=netns, create=create, flags=flags, **kw)


Iproute = IPRoute
Netns = NETNS = NetNS
