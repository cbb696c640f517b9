"""Cache: one namespace's links, addresses, routes, neighbours, rules, nexthop objects,
bridge forwarding entries, qdiscs and traffic classes, kept live.

    from nlshell.engine.cache import Cache
    with Cache(netns='sandbox') as cache:          # ready here: dumped and listening
        cache.index('veth0')                       # -> 7 (names and alternative names)
        cache.routes(table=254, family=AF_INET)    # Message objects, as IPRoute returns
        cache.subscribe(lambda kind, action, old, new: print(kind, action))
        cache.wait_for(lambda: cache.link('veth1') is not None, timeout=5)

Start order: subscribe to the multicast groups, then dump, then apply what arrived in
between, so nothing is missed. Events come in on one socket (read by a thread), dumps and
targeted re-dumps go out on another. When the kernel drops events (ENOBUFS) or a dump
stays inconsistent, the cache re-dumps everything and reconciles, telling listeners exactly
what was added, changed and removed (``resyncs`` counts these). What the kernel removes
without an event -- a deleted link's addresses, routes and neighbours; the IPv4 routes of a
link that goes down -- is removed here too (see ``cache_store``).

Readers never wait on the kernel: they copy the current state under a lock, so a reader
sees each batch of events either entirely or not at all. Hold ``cache.lock`` to read
several collections as one snapshot (or call ``snapshot()``).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import gc
import logging
import os
import select
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from . import cache_keys as K
from . import cache_query as Q
from .cache_store import Change, FollowUp, Store, link_names
from .codec import constants as C
from .codec.message import Message
from .errors import DumpInterrupted, NetlinkError, NetlinkOverrun
from .names import index_of
from .socket import NetlinkSocket

log = logging.getLogger("nlshell.cache")

# events: room for a burst of 100,000 changes (an `ip -batch` of routes) queued while the
# cache thread catches up; kernel memory only while queued (root may force it)
DEFAULT_RCVBUF = 64 << 20
DUMP_RCVBUF = 1 << 20
BATCH = 4096  # events applied under one hold of the lock
POLL = 1.0  # the thread wakes on its pipe; the timeout is only a safety net
START_ATTEMPTS = 8
RETRY_DELAY = 0.02  # first back-off after an interrupted dump; doubles up to 1 s

Listener = Callable[[str, str, "Message | None", "Message | None"], Any]

# The identity the cache files a message under (kind, message) -> key; None for a message
# it does not keep. Public: the watch panes key their rows by it.
key_of = K.key_of

# errors that mean "this family has nothing of that kind here" (IPv6 disabled, ...)
_ABSENT = {errno.EAFNOSUPPORT, errno.EOPNOTSUPP, errno.EPROTONOSUPPORT}


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic GC while a dump is filed: it makes hundreds of thousands of objects
    and no cycles, and each collection would walk all of them again."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# a dump this big leaves megabytes of freed datagrams in malloc's heap, under objects that
# live on (the kept routes), where free() alone cannot give them back: trim after it
TRIM_AT = 50_000


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    import ctypes

    try:
        return ctypes.CDLL(None).malloc_trim  # glibc's
    except (OSError, AttributeError):
        return None  # another libc: its heap is its business


def _give_back() -> None:
    """Return the heap's free pages to the system (glibc: every free page, not only the
    top): some 70 bytes a route after a dump of 240,000 routes."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


class EventInfo(NamedTuple):
    """The last change the cache applied (for the shell's toolbar)."""

    time: float
    kind: str
    action: str
    message: Message

    def describe(self) -> str:
        return f"{self.kind} {self.action}: {describe(self.kind, self.message)}"


def describe(kind: str, msg: Message) -> str:
    """A few words naming one object: 'veth0', '192.0.2.1/24 dev 3', '10.0.0.0/8 table 254'."""
    try:
        if kind == "link":
            return str(msg.get("ifname") or f"index {msg['index']}")
        if kind == "address":
            return f"{msg.get('local') or msg.get('address')}/{msg['prefixlen']} dev {msg['index']}"
        if kind == "route":
            dst = msg.get("dst")
            where = f"{dst}/{msg['dst_len']}" if dst else "default"
            return f"{where} table {msg.get('table') or msg['table']}"
        if kind == "neighbour":
            return f"{msg.get('dst')} dev {msg['ifindex']}"
        if kind == "nexthop":
            return f"id {msg.get('id')}"
        if kind == "fdb":
            return f"{msg.get('lladdr')} dev {msg['ifindex']}"
        if kind in ("qdisc", "class"):
            from .requests.tc import handle_text

            return f"{msg.get('kind')} {handle_text(msg['handle'])} dev {msg['index']}"
        return f"priority {msg.get('priority') or 0} table {msg.get('table') or msg['table']}"
    except Exception:  # a description must never break the caller
        return repr(msg.type)


class Cache:
    """Live objects of one network namespace (the caller's, or ``netns`` by name/path/fd).

    ``rcvbuf`` sizes the event socket's receive buffer (default 64 MiB); a small one just
    means more resyncs.
    """

    def __init__(self, netns: Any = None, rcvbuf: int | None = None) -> None:
        if rcvbuf is not None and (isinstance(rcvbuf, bool) or not isinstance(rcvbuf, int)
                                   or rcvbuf <= 0):
            raise ValueError(f"rcvbuf must be a positive number of bytes, not {rcvbuf!r}")
        self.netns = netns
        self.lock = threading.RLock()
        self.changed = threading.Event()  # set after each applied change; clear it yourself
        self.version = 0  # bumped by every batch that changed something
        self.resyncs = 0  # full re-dumps after an overrun, an interrupted dump or a request
        self.resync_reasons: Counter[str] = Counter()
        self.events = 0  # kernel events applied
        self.redumps = 0  # targeted re-dumps (a link went down, a nexthop went, ...)
        self.errors = 0  # unexpected failures in the event thread (logged, then resynced)
        self.last_event: EventInfo | None = None
        self._cond = threading.Condition(self.lock)
        self._store = Store()
        self._listeners: list[Listener] = []
        self._followups: set[FollowUp] = set()
        self._stopping = threading.Event()
        self._want_resync: str | None = None  # why the thread should re-dump everything
        self._closed = False
        self._released = False
        self._close_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._ev: NetlinkSocket | None = None
        self._dq: NetlinkSocket | None = None
        self._wake: tuple[int, int] | None = None
        try:
            self._open(rcvbuf)
            self._start()
        except BaseException:
            self._release()
            raise

    # --- lifecycle ---------------------------------------------------------------------

    def _open(self, rcvbuf: int | None) -> None:
        self._ev = NetlinkSocket(netns=self.netns, rcvbuf=rcvbuf or DEFAULT_RCVBUF)
        self._ev.bind(C.RTMGRP_DEFAULTS)
        with contextlib.suppress(OSError):  # kernels without nexthop objects
            self._ev.add_membership(C.RTNLGRP_NEXTHOP)
        self._ev.add_membership(C.RTNLGRP_TC)  # qdiscs and classes (fdb: RTNLGRP_NEIGH)
        self._dq = NetlinkSocket(netns=self.netns, rcvbuf=DUMP_RCVBUF)
        self._wake = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)

    def _start(self) -> None:
        """Dump, then apply what arrived meanwhile; then hand over to the thread."""
        for _attempt in range(START_ATTEMPTS):
            self._sync(reason=None)
            try:
                self._pump()
                break
            except NetlinkOverrun:
                continue  # events were lost while we dumped: once more
        else:
            self._want_resync = "overrun"  # still storming: the thread keeps at it
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"nlshell-cache[{self.netns or 'self'}]")
        self._thread.start()

    def close(self) -> None:
        """Stop the thread and close the sockets. Safe to call twice, or from a listener;
        not while holding ``cache.lock`` (the thread may be waiting for it)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._stopping.set()
        self._poke()
        with self._cond:
            self._cond.notify_all()  # waiters give up rather than sit out their timeout
        thread = self._thread
        if thread is not None and thread is threading.current_thread():
            return  # the thread releases everything on its way out
        if thread is not None:
            thread.join()
        self._release()

    def _release(self) -> None:
        with self._close_lock:
            if self._released:
                return
            self._released = True
        for sock in (self._ev, self._dq):
            if sock is not None:
                sock.close()
        if self._wake is not None:
            for fd in self._wake:
                os.close(fd)

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        counts = " ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"<Cache netns={self.netns!r} {counts} resyncs={self.resyncs}>"

    def _poke(self) -> None:
        if self._wake is not None:
            with contextlib.suppress(OSError):
                os.write(self._wake[1], b"x")

    # --- the event thread --------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    self._step()
                except NetlinkOverrun:
                    self._sync("overrun")
                except Exception:
                    if self._stopping.is_set():
                        break
                    self.errors += 1
                    log.exception("cache of %s: event thread failed; resyncing", self.netns)
                    self._stopping.wait(0.1)
                    self._want_resync = "error"
        finally:
            if self._closed and threading.current_thread() is self._thread:
                # close() was called from a listener: nobody joins us, release here
                self._release()

    def _step(self) -> None:
        reason = self._want_resync
        if reason:
            self._want_resync = None
            self._sync(reason)
        assert self._ev is not None and self._wake is not None
        ready, _, _ = select.select([self._ev.fileno(), self._wake[0]], [], [], POLL)
        if self._wake[0] in ready:
            with contextlib.suppress(OSError):
                os.read(self._wake[0], 4096)
        if not self._stopping.is_set() and not self._want_resync:
            self._pump()

    def _pump(self) -> None:
        """Apply every queued event, a batch at a time, then the follow-up re-dumps."""
        ev = self._ev
        assert ev is not None
        while not self._stopping.is_set():
            msgs: list[Message] = []
            # the cyclic GC waits while a batch is read and filed (no cycles are made):
            # at a million routes its collections cost more than the events themselves
            with _no_gc():
                while len(msgs) < BATCH:
                    got = ev.recv_events(0)
                    if not got:
                        break
                    msgs.extend(got)
                if msgs:
                    self._apply(msgs)
            if not msgs:
                break
            self._follow_up()
        self._follow_up()

    def _apply(self, msgs: list[Message]) -> None:
        changes: list[Change] = []
        applied = 0
        with self.lock:
            listeners = tuple(self._listeners)
            for msg in msgs:
                if self._store.apply(msg, changes, self._followups):
                    applied += 1
            self.events += applied
            self._publish(changes)
        self._dispatch(listeners, changes)

    def _publish(self, changes: list[Change]) -> None:
        """Under the lock: bump the version when something changed; wake the waiters
        (a resync that changed nothing still answers ``wait_for(resyncs >= n)``)."""
        if not changes:
            self._cond.notify_all()
            return
        kind, action, old, new = changes[-1]
        self.last_event = EventInfo(time.time(), kind, action, new if new is not None else old)
        self.version += 1
        self.changed.set()
        self._cond.notify_all()

    def _dispatch(self, listeners: tuple[Listener, ...], changes: list[Change]) -> None:
        for change in changes:
            for callback in listeners:
                try:
                    callback(*change)
                except Exception:
                    log.exception("cache listener %r failed on %s %s", callback, *change[:2])

    # --- dumps ---------------------------------------------------------------------------

    def _sync(self, reason: str | None) -> None:
        """Re-dump everything and reconcile (reason None: the first fill, unreported)."""
        delay = RETRY_DELAY
        while not self._stopping.is_set():
            try:
                self._discard_queued()
                dumps: dict[str, list[Message]] = {}
                with _no_gc():  # the dump makes the objects: a collection would walk them
                    for kind in K.KINDS:  # (qdiscs before classes: they say where to look)
                        if kind == "route" and reason is None and not self._store.routes:
                            self._fill_routes()  # (filed as they come: see there)
                            continue
                        dumps[kind] = (self._dump_classes(classful(dumps["qdisc"]))
                                       if kind == "class" else self._dump_kind(kind))
                break
            except DumpInterrupted:
                self.resync_reasons["interrupted"] += 1
                self._stopping.wait(delay)
                delay = min(delay * 2, 1.0)
        else:
            return
        changes: list[Change] = []
        with self.lock, _no_gc():
            listeners = tuple(self._listeners)
            for kind in dumps:
                if reason is None and not self._store.objects[kind]:
                    self._store.load(kind, dumps[kind])  # the first fill: nobody to tell
                else:
                    self._store.reconcile(kind, dumps[kind], changes, self._followups)
            self._followups.clear()  # the full dump answered them all
            if reason is not None:
                self.resyncs += 1
                self.resync_reasons[reason] += 1
            self._publish(changes)
        self._dispatch(listeners, changes)
        big = sum(map(len, dumps.values())) + (
            0 if "route" in dumps else len(self._store.routes)) >= TRIM_AT
        del dumps, changes
        if big:
            _give_back()

    def _fill_routes(self) -> None:
        """The first fill's routes, filed a datagram at a time as they arrive: a million
        routes' datagrams and views are never all held at once (nobody reads the cache
        yet, and nothing is reported). An inconsistent dump starts them again."""
        assert self._dq is not None
        msg_type, families = K.DUMPS["route"]
        try:
            for fam in families:
                stream = self._dq.dump_stream(msg_type, fields={"family": fam})
                try:
                    for batch in stream:
                        self._store.fill_routes(batch)
                except NetlinkError as exc:
                    if exc.code not in _ABSENT:
                        raise
                if stream.interrupted:
                    raise DumpInterrupted()
        except BaseException:
            self._store.clear_routes()
            raise

    def _discard_queued(self) -> None:
        """Read the event queue empty: the kernel reports further losses only once it has
        been emptied, and the coming dump supersedes what is in it."""
        ev = self._ev
        assert ev is not None
        while not self._stopping.is_set():
            try:
                if not ev.recv_events(0):
                    return
            except NetlinkOverrun:
                continue

    def _dump_kind(self, kind: str, family: int | None = None,
                   attrs: list[tuple[str, Any]] | None = None) -> list[Message]:
        assert self._dq is not None
        msg_type, families = K.DUMPS[kind]
        out: list[Message] = []
        for fam in families if family is None else (family,):
            try:
                out.extend(self._dq.dump(msg_type, fields={"family": fam}, attrs=attrs))
            except DumpInterrupted:
                raise
            except NetlinkError as exc:
                if exc.code not in _ABSENT:
                    raise
        return out

    def _dump_classes(self, indexes: Iterable[int]) -> list[Message]:
        """Classes are dumped one device at a time (the kernel wants the ifindex)."""
        assert self._dq is not None
        out: list[Message] = []
        for index in indexes:
            try:
                out.extend(self._dq.dump(C.RTM_GETTCLASS, fields={"index": index}))
            except NetlinkError as exc:
                if exc.code not in (errno.ENODEV, *_ABSENT):  # gone meanwhile: its event follows
                    raise
        return out

    def _follow_up(self) -> None:
        """The targeted re-dumps the last events asked for (see cache_store's docstring)."""
        while self._followups and not self._stopping.is_set():
            with self.lock:
                todo = self._followups
                self._followups = set()
            full = {fam for what, fam, arg in todo if what == "route" and arg is None}
            # the kernel dumps every qdisc at once: one dump serves every link asking
            tc_links = frozenset(arg for what, _fam, arg in todo if what == "tc")
            todo = {f for f in todo if f[0] != "tc"}
            if tc_links:
                todo.add(("tc", 0, tc_links))
            for what, fam, arg in sorted(todo, key=repr):
                if what == "route" and arg is not None and fam in full:
                    continue  # a full re-dump of the family covers it
                try:
                    self._redo(what, fam, arg)
                except DumpInterrupted:
                    self._want_resync = "interrupted"
                except NetlinkError as exc:
                    if exc.code != errno.ENODEV:  # the link went meanwhile: its event follows
                        raise

    def _redo(self, what: str, fam: int, arg: Any) -> None:
        store = self._store
        if what == "prefsrc":
            with self.lock:
                if not store.prefsrc_routes(arg):
                    return  # the kernel's own RTM_DELROUTEs took them
            what, arg = "route", None
        if what == "route":
            attrs = None if arg is None else [("RTA_OIF", arg)]
            msgs = self._dump_kind("route", fam, attrs)
            kind = "route"
        elif what == "neighbour":
            msgs = self._dump_kind("neighbour", fam, [("NDA_IFINDEX", arg)])
            kind = "neighbour"
        elif what == "nexthop":
            msgs = self._dump_kind("nexthop")
            kind = "nexthop"
        elif what == "tc":
            self._redo_tc(arg)
            return
        else:
            assert self._dq is not None
            msgs = self._dq.request(C.RTM_GETLINK, fields={"index": arg})
            kind = "link"
        self.redumps += 1
        changes: list[Change] = []
        with self.lock:
            listeners = tuple(self._listeners)
            if kind == "route":
                scope = store.route_scope(fam, arg)
            elif kind == "nexthop":
                scope = None
            elif kind == "neighbour":
                def scope(key: Any) -> bool:
                    return key[0] == arg and key[1] == fam
            else:
                def scope(key: Any) -> bool:
                    return key == arg
            store.reconcile(kind, msgs, changes, self._followups, scope)
            self._publish(changes)
        self._dispatch(listeners, changes)

    def _redo_tc(self, indexes: frozenset[int]) -> None:
        """These links' qdiscs (the kernel dumps them all: the others' are dropped) and
        classes."""
        qdiscs = [m for m in self._dump_kind("qdisc") if K.qdisc_key(m)[0] in indexes]
        classes = self._dump_classes(classful(qdiscs))
        self.redumps += 1
        changes: list[Change] = []

        def scope(key: Any) -> bool:
            return key[0] in indexes

        with self.lock:
            listeners = tuple(self._listeners)
            self._store.reconcile("qdisc", qdiscs, changes, self._followups, scope)
            self._store.reconcile("class", classes, changes, self._followups, scope)
            self._publish(changes)
        self._dispatch(listeners, changes)

    def resync(self, wait: bool = True, timeout: float | None = 30.0) -> bool:
        """Ask for a full re-dump and reconcile; with ``wait``, until it is done."""
        with self.lock:
            target = self.resyncs + 1
        self._want_resync = "requested"
        self._poke()
        if not wait or threading.current_thread() is self._thread:
            return True
        return self.wait_for(lambda: self.resyncs >= target or self._closed, timeout)

    # --- listeners and waiting ---------------------------------------------------------

    def subscribe(self, callback: Listener) -> Listener:
        """Call ``callback(kind, action, old, new)`` for every change from now on, in the
        cache's thread: kind is 'link' | 'address' | 'route' | 'neighbour' | 'rule' |
        'nexthop' | 'fdb' | 'qdisc' | 'class', action 'new' | 'changed' | 'deleted'.
        Subscribing while holding ``cache.lock`` makes the state you read there the exact
        starting point of what the callback is told."""
        if not callable(callback):
            raise TypeError(f"subscribe(): {callback!r} is not callable")
        with self.lock:
            self._listeners.append(callback)
        return callback

    def unsubscribe(self, callback: Listener) -> bool:
        """Stop calling ``callback``; False if it was not subscribed."""
        with self.lock:
            try:
                self._listeners.remove(callback)
            except ValueError:
                return False
            return True

    def wait_for(self, predicate: Callable[[], Any], timeout: float | None = None) -> bool:
        """Wait until ``predicate()`` is true, checking after each applied change; False on
        timeout. The predicate runs with the cache's lock held."""
        with self._cond:
            return bool(self._cond.wait_for(predicate, timeout))

    def wait_quiet(self, quiet: float = 0.3, timeout: float = 30.0) -> bool:
        """Wait until nothing has changed for ``quiet`` seconds (False after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self.version
            now = time.monotonic()
            if now >= deadline:
                return False
            with self._cond:
                self._cond.wait_for(lambda seen=seen: self.version != seen,
                                    min(quiet, deadline - now))
            if self.version == seen and not self._followups and not self._want_resync:
                return True

    def stats(self) -> dict[str, Any]:
        """Counters for a status line: objects, events, resyncs, the last change."""
        last = self.last_event
        return {"counts": self.counts(), "version": self.version, "events": self.events,
                "resyncs": self.resyncs, "redumps": self.redumps, "errors": self.errors,
                "last_event": last.describe() if last else None,
                "last_event_age": time.time() - last.time if last else None}

    # --- readers -------------------------------------------------------------------------

    def _select(self, kind: str, filters: dict[str, Any]) -> list[Message]:
        on_key, on_both = Q.predicates(kind, filters)  # bad names raise before locking
        with self.lock:
            oif = filters.get("oif") if kind == "route" else None
            if type(oif) is int:
                table = self._store.routes_via(oif)
            else:
                table = self._store.objects[kind].copy()
        # a copy of the moment, filtered outside the lock (routes: their bytes, made into
        # messages only when their key passes)
        if kind == "route":
            return table.select(on_key, on_both)
        test = Q.joined(on_key, on_both)
        if test is None:
            return list(table.values())
        return [m for k, m in table.items() if test(k, m)]

    def links(self, **filters: Any) -> list[Message]:
        """Links in index order; filters as ``links(ifname='veth0')``, ``links(index=3)``."""
        return sorted(self._select("link", filters), key=K.link_key)

    def addresses(self, **filters: Any) -> list[Message]:
        """Addresses; ``addresses(index=3)``, ``addresses(family=AF_INET6)``, ..."""
        return self._select("address", filters)

    def routes(self, **filters: Any) -> list[Message]:
        """Routes of every table, IPv4 and IPv6; ``routes(table=254)``, ``routes(oif=3)``..."""
        return self._select("route", filters)

    def neighbours(self, **filters: Any) -> list[Message]:
        """ARP and NDP entries; ``neighbours(ifindex=3)``, ``neighbours(dst='192.0.2.1')``."""
        return self._select("neighbour", filters)

    neighbors = neighbours

    def rules(self, **filters: Any) -> list[Message]:
        return self._select("rule", filters)

    def nexthops(self, **filters: Any) -> list[Message]:
        """Nexthop objects by id; ``nexthops(id=10)``, ``nexthops(oif=3)``, ..."""
        return sorted(self._select("nexthop", filters), key=K.nexthop_key)

    def fdb(self, **filters: Any) -> list[Message]:
        """Bridge forwarding entries (and vxlan remotes); ``fdb(ifindex=3)``,
        ``fdb(NDA_MASTER=5)``. Device address lists are not kept (see cache_keys)."""
        return sorted(self._select("fdb", filters), key=K.fdb_key)

    def qdiscs(self, **filters: Any) -> list[Message]:
        """Qdiscs by (ifindex, parent, handle); ``qdiscs(index=3)``, ``qdiscs(kind='htb')``."""
        return sorted(self._select("qdisc", filters), key=K.qdisc_key)

    def classes(self, **filters: Any) -> list[Message]:
        """Traffic classes by (ifindex, classid); ``classes(index=3)``."""
        return sorted(self._select("class", filters), key=K.class_key)

    def get(self, kind: str, key: Any) -> Message | None:
        """One object by its identity key (see cache_keys)."""
        if kind not in K.KINDS:
            raise ValueError(f"unknown object kind {kind!r} (one of {', '.join(K.KINDS)})")
        with self.lock:
            return self._store.objects[kind].get(key)

    def snapshot(self) -> dict[str, dict[Any, Message]]:
        """Every collection at one instant: {kind: {identity key: message}}."""
        with self.lock:
            # (the routes' copy is a RouteTable: a mapping that makes messages on access)
            return {kind: table.copy() for kind, table in self._store.objects.items()}

    def counts(self) -> dict[str, int]:
        """{'links': n, 'addresses': n, 'routes': n, 'neighbours': n, 'rules': n,
        'nexthops': n, 'fdb': n, 'qdiscs': n, 'classes': n}"""
        with self.lock:
            return {_PLURAL[kind]: n for kind, n in self._store.counts().items()}

    @contextlib.contextmanager
    def transaction(self, ipr: Any = None) -> Iterator[Any]:
        """Changes that can be taken back (journal.Transaction): the namespace's
        before-image is captured on entry; an exception leaving the block rolls it back.

            with Cache(netns='sandbox') as c, c.transaction() as tx:
                tx.ipr.link('add', ifname='v0', kind='veth', peer='v1')
                ...                   # an exception: v0/v1 are gone again
            # tx.rollback() undoes by hand; tx.notes: what could not be made exact

        ``ipr``: the IPRoute to capture and restore through (default: one opened in this
        cache's namespace for the block; give one when ``netns`` was an fd since closed).
        """
        from .iproute import IPRoute
        from .journal import Transaction

        own = ipr is None
        if own:
            ipr = IPRoute(netns=self.netns)
        try:
            with Transaction(ipr) as tx:
                yield tx
        finally:
            if own:
                ipr.close()

    # --- names and indexes -----------------------------------------------------------------

    def link(self, name_or_index: str | int) -> Message | None:
        """The link called so (name or alternative name) or with that index; else None."""
        index = self.index(name_or_index)
        if index is None:
            return None
        with self.lock:
            return self._store.objects["link"].get(index)

    def index(self, name: str | int) -> int | None:
        """The index of the link called ``name`` (alternative names too); an index given as a
        number (or a numeric string that is no link's name) is returned if it exists."""
        if isinstance(name, bool) or not isinstance(name, (str, int)):
            raise TypeError(f"{name!r} is neither a link name nor an index")
        with self.lock:
            if isinstance(name, str):
                found = self._store.names.get(name)
                if found is not None:
                    return found
                index = index_of(name)  # a name first, then an index (ASCII digits only)
                if index is None:
                    return None
                name = index
            return name if name in self._store.objects["link"] else None

    def name(self, index: int) -> str | None:
        """The name of the link with ``index``, else None."""
        msg = self.link(index) if isinstance(index, int) and not isinstance(index, bool) else None
        if msg is None:
            if not isinstance(index, int) or isinstance(index, bool):
                raise TypeError(f"{index!r} is not a link index")
            return None
        names = link_names(msg)
        return names[0] if names else None

    def altnames(self, name_or_index: str | int) -> list[str]:
        msg = self.link(name_or_index)
        return list(link_names(msg)[1:]) if msg is not None else []

    def ifnames(self, alternative: bool = False) -> list[str]:
        """Every link's name, sorted (with ``alternative``: alternative names as well)."""
        with self.lock:
            if alternative:
                return sorted(self._store.names)
            links = list(self._store.objects["link"].values())
        return sorted(n[0] for n in map(link_names, links) if n)


_PLURAL = {"link": "links", "address": "addresses", "route": "routes",
           "neighbour": "neighbours", "rule": "rules", "nexthop": "nexthops", "fdb": "fdb",
           "qdisc": "qdiscs", "class": "classes"}

# qdiscs that never have classes: a device with only these is not asked for its classes
_CLASSLESS = frozenset({"noqueue", "noop", "pfifo", "bfifo", "pfifo_fast", "pfifo_head_drop", "ingress",
                        "clsact", "fq_codel", "tbf", "netem", "fq", "codel", "sfq"})


def classful(qdiscs: Iterable[Message]) -> list[int]:
    """The devices whose qdiscs may hold classes, in index order (the kernel dumps classes
    one device at a time: these are the ones worth asking)."""
    return sorted({K.qdisc_key(m)[0] for m in qdiscs if m.get("kind") not in _CLASSLESS})
