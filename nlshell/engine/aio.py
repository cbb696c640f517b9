"""AsyncIPRoute: IPRoute's methods as coroutines, on the running asyncio loop.

    from nlshell import AsyncIPRoute
    async with AsyncIPRoute(netns='sandbox') as ipr:
        await ipr.link('add', ifname='v0', peer='v1', kind='veth')
        async for link in await ipr.get_links():
            print(link.get('ifname'), link.get('state'))

The same request builders (``requests``), codec and sans-I/O reply states
(``socket.DumpCollector``, ``socket.AckCollector``) as ``IPRoute``; only the waiting
differs: the socket is registered with the running loop (``loop.add_reader``) and a
coroutine that waits for a reply yields to the loop. No thread per call; a socket in
another namespace is opened by the engine's short-lived namespace thread, as IPRoute's.

Dumps answer an async iterable of the messages (``async for m in await ipr.get_routes()``,
also ``len()`` and plain iteration); other calls answer a list (a change: its ack).
Exchanges on one socket take turns (the kernel runs one dump per socket at a time):
many concurrent calls on one loop queue on its lock. ``get()`` yields events as they come.
"""

from __future__ import annotations

import asyncio
import errno
import struct
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from . import requests as R
from .codec import constants as C
from .codec.message import Message, encode
from .errors import DumpInterrupted, NetlinkError, NetlinkOverrun
from .iproute import (
    _GONE,
    NsFds,
    addr_keywords,
    apply_match,
    check_netns,
    default_routes,
    empty_main_table,
    filter_messages,
    netnsid_answer,
    netnsid_request,
    open_socket,
    pop_match,
    route_restore,
    route_save,
    status_of,
    wire_of,
)
from .requests.route_defaults import LIBRARY_FACE
from .socket import DUMP_RETRIES, AckCollector, DumpCollector, NoGC

_DATA = 16  # message types below this are netlink control messages
_U16 = struct.Struct("=H")
_FLAGS_SEQ = struct.Struct("=HI")


class DumpResult:
    """A dump's messages: an async iterable (as pyroute2's), a sized iterable too."""

    __slots__ = ("_msgs",)

    def __init__(self, msgs: list[Message]) -> None:
        self._msgs = msgs

    def __aiter__(self) -> AsyncIterator[Message]:
        return _aiter(self._msgs)

    def __iter__(self) -> Iterator[Message]:
        return iter(self._msgs)

    def __len__(self) -> int:
        return len(self._msgs)

    def __bool__(self) -> bool:
        return bool(self._msgs)

    def __getitem__(self, i: Any) -> Any:
        return self._msgs[i]

    def __repr__(self) -> str:
        return f"<DumpResult of {len(self._msgs)} messages>"


async def _aiter(msgs: list[Message]) -> AsyncIterator[Message]:
    for m in msgs:
        yield m


class AsyncIPRoute:
    """Requests to one network namespace's rtnetlink from asyncio code (the caller's
    namespace, or ``netns=``: a name in /run/netns, a path or an fd). The keywords are
    IPRoute's."""

    def __init__(self, netns: Any = None, all_ns: bool = False, rcvbuf: int | None = 1 << 20,
                 create: bool = False, flags: int = 0, groups: int = 0, *,
                 ext_ack: bool = True, strict_check: bool = True, fileno: int | None = None,
                 sndbuf: int | None = None) -> None:
        if isinstance(netns, str) and not netns.startswith("/"):
            check_netns(netns, flags, create)
        self.netns = netns
        self.sock = open_socket(netns, rcvbuf, all_ns, groups, ext_ack=ext_ack,
                                strict_check=strict_check, fileno=fileno, sndbuf=sndbuf)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None
        self._replies: deque[bytes] = deque()  # unicast datagrams not read yet
        self._events: deque[Message] = deque()
        self._overrun = False
        self._waiter: asyncio.Future | None = None  # a reply or an event is awaited
        self._unfinished = 0  # seq of a dump whose end was not read (a cancelled call)

    # --- lifecycle ------------------------------------------------------------------

    async def __aenter__(self) -> AsyncIPRoute:
        self._attach()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._loop is not None and not self.sock.closed:
            if not self._loop.is_closed():
                self._loop.remove_reader(self.sock.fileno())
            self._loop = None
        self._wake(OSError(errno.EBADF, "the socket was closed"))
        self.sock.close()

    def fileno(self) -> int:
        return self.sock.fileno()

    @property
    def status(self) -> dict[str, Any]:
        return status_of(self.sock)

    # --- the loop's side: read what the kernel queued ----------------------------------

    def _attach(self) -> None:
        """Register the socket with the running loop (once per loop)."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        if self.sock.closed:
            raise OSError(errno.EBADF, "the socket is closed")
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self.sock.fileno())
        self._loop = loop
        self._lock = asyncio.Lock()
        loop.add_reader(self.sock.fileno(), self._readable)

    def _pump(self) -> bool:
        """Read every queued datagram: replies wait in ``_replies``, events in
        ``_events``. True when anything was read."""
        got = False
        sock = self.sock
        while True:
            try:
                item = sock.recv_nowait()
            except NetlinkOverrun:
                self._overrun = True
                got = True
                continue
            if item is None:
                return got
            got = True
            data, mcast = item
            if mcast:
                self._events.extend(m for m in sock.messages(data) if m.type >= _DATA)
            else:
                self._replies.append(data)

    def _readable(self) -> None:
        try:
            if self._pump():
                self._wake(None)
        except Exception as exc:  # noqa: BLE001 -- handed to the waiting coroutine
            self._wake(exc)

    def _wake(self, exc: BaseException | None) -> None:
        w = self._waiter
        if w is not None and not w.done():
            if exc is None:
                w.set_result(None)
            else:
                w.set_exception(exc)

    async def _wait(self) -> None:
        assert self._loop is not None
        self._waiter = self._loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    async def _reply(self) -> bytes:
        """The next unicast datagram (read at once while the kernel has some queued)."""
        while not self._replies:
            if not self._pump():
                await self._wait()
        return self._replies.popleft()

    # --- exchanges (one at a time per socket) -------------------------------------------

    def _send(self, data: bytes, flags: int) -> int:
        """Send ``data`` with these header flags added and the next sequence number."""
        seq = self.sock.next_seq()
        self.sock.send(data[:6] + _FLAGS_SEQ.pack(_U16.unpack_from(data, 6)[0] | flags, seq)
                       + data[12:])
        return seq

    async def _finish_unfinished(self) -> None:
        seq, self._unfinished = self._unfinished, 0
        col = DumpCollector(seq, self.sock.pid)
        try:
            while not col.feed(await self._reply()):
                pass
        except NetlinkError:
            pass  # its error ends it as well

    async def request(self, data: bytes, with_ack: bool = False) -> list[Message]:
        """One encoded request (sequence number and NLM_F_ACK set here); its replies
        (``with_ack``: and its ack). A refusal raises NetlinkError."""
        self._attach()
        assert self._lock is not None
        async with self._lock:
            if self._unfinished:
                await self._finish_unfinished()
            self._replies.clear()
            seq = self._send(data, C.NLM_F_REQUEST | C.NLM_F_ACK)
            col = AckCollector(seq, self.sock.pid, with_ack)
            messages = self.sock.messages
            while not col.feed(messages(await self._reply())):
                pass
            return col.replies

    async def dump(self, msg_type: int, fields: dict | None = None, attrs: Any = None
                   ) -> list[Message]:
        """A whole dump; retried while the kernel marks it inconsistent (DUMP_INTR)."""
        self._attach()
        assert self._lock is not None
        data = encode(msg_type, C.NLM_F_REQUEST | C.NLM_F_DUMP, 0, fields, attrs)
        full = self.sock.all_nsid
        async with self._lock:
            for _attempt in range(DUMP_RETRIES):
                if self._unfinished:
                    await self._finish_unfinished()
                self._replies.clear()
                seq = self._unfinished = self._send(data, 0)
                col = DumpCollector(seq, self.sock.pid, full=full)
                feed = col.feed
                try:
                    with NoGC():  # as the synchronous dump: no GC passes over its views
                        while not feed(await self._reply()):
                            pass
                except NetlinkError as exc:
                    if getattr(exc, "ended", False):
                        self._unfinished = 0
                    raise
                self._unfinished = 0
                if not col.interrupted:
                    return col.out
        raise DumpInterrupted()

    async def kernel_dump(self, obj: str, fields: dict | None = None, attrs: Any = None
                          ) -> list[Message]:
        try:
            mtype = R.MSG[obj]["dump"]
        except KeyError:
            raise ValueError(f"unknown object {obj!r} (one of {', '.join(R.MSG)})") from None
        return await self.dump(mtype, fields, attrs)

    async def _dump_req(self, req: R.Request) -> list[Message]:
        try:
            msgs = await self.dump(req.msg_type, req.fields, req.attrs)
        except NetlinkError as exc:
            if empty_main_table(exc, req.msg_type, req.attrs):
                return []
            raise
        return filter_messages(msgs, req.filters) if req.filters else msgs

    async def _lib(self, req: R.Request, match: Any) -> Any:
        if req.action == "dump":
            return DumpResult(apply_match(await self._dump_req(req), match))
        return await self.request(wire_of(req), req.action != "get")

    # --- the five objects -----------------------------------------------------------

    async def link(self, cmd: str, **kw: Any) -> Any:
        match = pop_match(cmd, kw)
        with NsFds() as fds:
            req = R.link_request(cmd, kw, fds.resolve)
            return await self._lib(req, match)

    async def addr(self, cmd: str, index: int | None = None, address: str | None = None,
                   mask: int | None = None, **kw: Any) -> Any:
        match = pop_match(cmd, kw)
        return await self._lib(R.addr_request(cmd, addr_keywords(index, address, mask, kw)),
                               match)

    async def route(self, cmd: str, **kw: Any) -> Any:
        match = pop_match(cmd, kw)
        raw = R.fast_route(cmd, kw, LIBRARY_FACE)
        if raw is not None:
            return await self.request(raw, True)
        return await self._lib(R.route_request(cmd, kw, LIBRARY_FACE), match)

    async def neigh(self, cmd: str, **kw: Any) -> Any:
        match = pop_match(cmd, kw)
        return await self._lib(R.neigh_request(cmd, kw), match)

    async def rule(self, cmd: str, **kw: Any) -> Any:
        match = pop_match(cmd, kw)
        return await self._lib(R.rule_request(cmd, kw), match)

    # --- readers --------------------------------------------------------------------

    async def get_links(self, *indexes: Any, match: Any = None, **filters: Any
                        ) -> DumpResult:
        flat = [i for x in indexes for i in (x if isinstance(x, (list, tuple)) else (x,))]
        if flat:
            got = [m for i in flat for m in await self.link("get", index=i)]
            return DumpResult(apply_match(got, match))
        return await self.link("dump", match=match, **filters)

    async def get_addr(self, family: int = 0, match: Any = None, **filters: Any
                       ) -> DumpResult:
        return await self.addr("dump", family=family, match=match, **filters)

    async def get_routes(self, family: int = 0, match: Any = None, **filters: Any
                         ) -> DumpResult:
        return await self.route("dump", family=family, match=match, **filters)

    async def get_neighbours(self, family: int = 0, match: Any = None, **filters: Any
                             ) -> DumpResult:
        return await self.neigh("dump", family=family, match=match, **filters)

    get_neighbors = get_neighbours

    async def get_rules(self, family: int = 0, match: Any = None, **filters: Any
                        ) -> DumpResult:
        return await self.rule("dump", family=family, match=match, **filters)

    async def get_default_routes(self, family: int = 0, table: Any = C.RT_TABLE_MAIN
                                 ) -> DumpResult:
        routes = await self.route("dump", family=family, table=table)
        return DumpResult(default_routes(list(routes)))

    async def link_lookup(self, match: Any = None, **attrs: Any) -> list[int]:
        if match is not None:
            return [m["index"] for m in await self.link("dump", match=match, **attrs)]
        if not attrs:
            raise ValueError("link_lookup needs at least one attribute (ifname=, ...)")
        if set(attrs) == {"ifname"}:
            try:
                return [m["index"] for m in await self.link("get", ifname=attrs["ifname"])]
            except NetlinkError as exc:
                if exc.code == errno.ENODEV:
                    return []
                raise
        return [m["index"] for m in await self.link("dump", **attrs)]

    # --- waiting for the kernel's state -----------------------------------------------

    async def poll(self, method: Callable[..., Any], command: str, present: bool = True,
                   timeout: float = 10, interval: float = 0.2, **spec: Any) -> list:
        """Await ``method(command, **spec)`` every ``interval`` seconds until it answers
        something (``present=False``: nothing); TimeoutError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                got = list(await method(command, **spec))
                if bool(got) == present:
                    return got
            except DumpInterrupted:
                pass
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{command} {spec} did not come to pass in {timeout} s")
            await asyncio.sleep(interval)

    async def ensure(self, method: Callable[..., Any], present: bool = True,
                     timeout: float = 10, interval: float = 0.2, **spec: Any) -> list:
        state = list(await method("dump", **spec))
        if bool(state) == present:
            return state
        try:
            if present:
                try:
                    await method("add", **spec)
                except NetlinkError as exc:
                    if exc.code != errno.EEXIST:
                        raise
                    await method("set", **spec)
            else:
                await method("del", **spec)
        except NetlinkError as exc:
            if present or exc.code not in _GONE:
                raise
        return await self.poll(method, "dump", present, timeout, interval, **spec)

    # --- flushes -------------------------------------------------------------------

    async def _delete_all(self, msgs: Any, tolerant: bool = False) -> list[Message]:
        out: list[Message] = []
        for m in msgs:
            try:
                out.extend(await self.request(wire_of(R.delete_of(m)), True))
            except NetlinkError:
                if not (tolerant and out):
                    raise
        return out

    async def flush_routes(self, *argv: Any, **kw: Any) -> list[Message]:
        return await self._delete_all(await self.get_routes(*argv, **kw))

    async def flush_addr(self, *argv: Any, **kw: Any) -> list[Message]:
        return await self._delete_all(await self.get_addr(*argv, **kw), tolerant=True)

    async def flush_rules(self, *argv: Any, **kw: Any) -> list[Message]:
        return await self._delete_all(await self.get_rules(*argv, **kw))

    # --- saved routes ----------------------------------------------------------------

    async def route_dump(self, fd: Any, family: int = 0, fmt: str = "iproute2") -> list:
        fd.write(await self.route_dumps(family, fmt))
        return []

    async def route_dumps(self, family: int = 0, fmt: str = "iproute2") -> bytes:
        return route_save(await self.kernel_dump("route", {"family": family}), fmt)

    async def route_load(self, fd: Any, fmt: str = "iproute2") -> list:
        return await self.route_loads(fd.read(), fmt)

    async def route_loads(self, data: bytes, fmt: str = "iproute2") -> list:
        first: NetlinkError | None = None
        for req in route_restore(data, fmt):
            try:
                await self.request(req)
            except NetlinkError as exc:
                first = first or exc
        if first is not None:
            raise first
        return []

    # --- namespace ids --------------------------------------------------------------

    async def get_netnsid(self, nsid: int | None = None, pid: int | None = None,
                          fd: int | None = None, target_nsid: int | None = None
                          ) -> dict[str, Any] | None:
        return netnsid_answer(await self.request(
            netnsid_request(C.RTM_GETNSID, nsid, pid, fd, target_nsid)))

    async def set_netnsid(self, nsid: int | None = None, pid: int | None = None,
                          fd: int | None = None) -> list[Message]:
        return await self.request(netnsid_request(C.RTM_NEWNSID, nsid, pid, fd), True)

    # --- events ---------------------------------------------------------------------

    async def bind(self, groups: int = C.RTMGRP_DEFAULTS) -> None:
        """Join multicast groups (a RTMGRP_* bitmask); events then come from ``get()``."""
        self._attach()
        self.sock.bind(groups)

    async def get(self) -> AsyncIterator[Message]:
        """The events that arrived (waiting for at least one), one by one:
        ``async for msg in ipr.get()``. Raises NetlinkOverrun when the kernel dropped
        events (re-read the state)."""
        self._attach()
        while not self._events and not self._overrun:
            if not self._pump():
                await self._wait()
        if self._overrun:
            self._overrun = False
            raise NetlinkOverrun()
        while self._events:
            yield self._events.popleft()

    # --- bridge and traffic control (issue 14) -----------------------------------------

    async def fdb(self, cmd: str, **kw: Any) -> Any:
        from .requests import bridge as BR

        match = pop_match(cmd, kw)
        return await self._lib(BR.fdb_request(cmd, BR.library_fdb_defaults(cmd, kw)), match)

    async def brport(self, cmd: str, **kw: Any) -> Any:
        from .requests import bridge as BR

        match = pop_match(cmd, kw)
        return await self._lib(BR.brport_request(cmd, kw), match)

    async def vlan_filter(self, cmd: str, **kw: Any) -> Any:
        from .requests import bridge as BR

        return await self._lib(BR.vlan_filter_request(cmd, kw), None)

    async def get_vlans(self, **kw: Any) -> Any:
        from .requests import bridge as BR

        match = pop_match("dump", kw)
        return await self._lib(BR.vlans_request(kw), match)

    async def tc(self, command: str, kind: str | None = None, index: Any = None,
                 handle: Any = None, **kw: Any) -> Any:
        """IPRoute.tc as a coroutine (the same request builder)."""
        from .requests.tc import tc_request

        if index is not None:
            kw["index"] = index
        if handle is not None:
            kw["handle"] = handle
        return await self._lib(tc_request(command, kind, kw), None)

    async def get_qdiscs(self, index: Any = None) -> Any:
        return await self.tc("dump", index=index)

    async def get_classes(self, index: Any = 0) -> Any:
        return await self.tc("dump-class", index=index)

    async def get_filters(self, index: Any = 0, handle: Any = 0, parent: Any = 0) -> Any:
        return await self.tc("dump-filter", index=index, handle=handle, parent=parent)


class AsyncNetNS(AsyncIPRoute):
    """AsyncIPRoute inside network namespace ``netns`` (a name, a path or an fd), with
    NetNS's rules: a missing namespace is an error unless ``create=True`` or
    ``flags=os.O_CREAT``; nothing is created by a typo."""

    def __init__(self, netns: str | int, flags: int = 0, create: bool = False,
                 **kw: Any) -> None:
        check_netns(netns, flags, create)
        super().__init__(netns=netns, **kw)

    def __repr__(self) -> str:
        return f"<AsyncNetNS {self.netns!r}>"


__all__ = ["AsyncIPRoute", "AsyncNetNS", "DumpResult"]
