"""Where the panes' data comes from: the background threads that talk to the kernel.

* The *feed* of one namespace: ``nlshell.engine.cache.Cache`` when it exists, else
  ``PollFeed`` (one dump, then multicast events) behind the same small interface: readers
  ``links()``, ``addresses()``, ``routes()``, ``neighbours()``, and
  ``subscribe(callback(kind, action, old, new))``.
* The *sampler* (``Watcher``): one thread that applies queued events to the models and, every
  interval, dumps links afresh for their stats64 counters (counters raise no events).
  Events and samples go through one thread, in order, so a stale dump never resurrects a
  link whose deletion was already applied.
* With ``--all-ns``, ``NsFollower`` listens to every other named namespace too (a socket
  opened inside each; no nsid needs assigning) and logs their events, labelled.

The UI thread never waits on any of this: it is told to redraw through ``on_change``.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import threading
import time
from collections.abc import Callable
from typing import Any

from nlshell.engine import netns as nsmod
from nlshell.engine.codec import constants as C
from nlshell.engine.errors import NetlinkError, NetlinkOverrun
from nlshell.engine.socket import NetlinkSocket

from .events import MESSAGE_KINDS, format_event, note
from .state import WatchState
from .stats import UNSUPPORTED, StatsSampler

Callback = Callable[[str, str, Any, Any], None]

# what each kind is dumped with (fallback feed)
DUMPS = {
    "link": C.RTM_GETLINK, "address": C.RTM_GETADDR, "route": C.RTM_GETROUTE,
    "neighbour": C.RTM_GETNEIGH, "rule": C.RTM_GETRULE,
}
GROUPS = C.RTMGRP_DEFAULTS | C.RTMGRP_NSID
DEFAULT_LABEL = "default"  # the label of an unnamed namespace (the one we started in)


def _dump(sock: NetlinkSocket, kind: str) -> list[Any]:
    msgs = sock.dump(DUMPS[kind], fields={"family": C.AF_UNSPEC})
    if kind == "route":  # cached clones are not configuration (ip route show hides them too)
        msgs = [m for m in msgs if not (m.get("flags") or 0) & C.RTM_F_CLONED]
    return msgs


class PollFeed:
    """A stand-in for the engine's Cache: one dump at start, then the event stream.

    Readers return the last full dump (taken at start and after an overrun), not live
    state: the watch models keep live state themselves from the events. After an overrun
    listeners get ``('resync', 'changed', None, None)`` and should re-read.
    """

    def __init__(self, netns: Any = None, rcvbuf: int | None = 4 << 20) -> None:
        self.netns = netns
        self._listeners: list[Callback] = []
        self._events = NetlinkSocket(netns=netns, rcvbuf=rcvbuf)  # subscribe first ...
        try:
            self._events.bind(GROUPS)
            self._sock = NetlinkSocket(netns=netns)
        except BaseException:
            self._events.close()
            raise
        self._snapshot: dict[str, list[Any]] = {}
        self.resyncs = 0
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        try:
            self._redump()  # ... then dump; events queued meanwhile are applied after
        except BaseException:
            self.close()
            raise
        self._thread = threading.Thread(target=self._run, name="nlshell-watch-feed", daemon=True)
        self._thread.start()

    def _redump(self) -> None:
        self._snapshot = {kind: _dump(self._sock, kind) for kind in DUMPS}

    def links(self) -> list[Any]:
        return list(self._snapshot.get("link", []))

    def addresses(self) -> list[Any]:
        return list(self._snapshot.get("address", []))

    def routes(self) -> list[Any]:
        return list(self._snapshot.get("route", []))

    def neighbours(self) -> list[Any]:
        return list(self._snapshot.get("neighbour", []))

    def rules(self) -> list[Any]:
        return list(self._snapshot.get("rule", []))

    def subscribe(self, callback: Callback) -> None:
        self._listeners.append(callback)

    def unsubscribe(self, callback: Callback) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(callback)

    def _tell(self, kind: str, action: str, old: Any, new: Any) -> None:
        for cb in list(self._listeners):
            cb(kind, action, old, new)

    def _run(self) -> None:
        fd = self._events.fileno()
        while not self._stop.is_set():
            ready, _, _ = select.select([fd, self._wake_r], [], [])
            if self._stop.is_set():
                break
            if fd not in ready:
                continue
            try:
                msgs = self._events.recv_events(0)
            except NetlinkOverrun:
                self.resyncs += 1
                try:
                    self._redump()
                except (NetlinkError, OSError):
                    continue  # try again on the next overrun or event
                self._tell("resync", "changed", None, None)
                continue
            except OSError:
                if self._stop.is_set():
                    break
                raise
            for m in msgs:
                kind_action = MESSAGE_KINDS.get(m.type)
                if kind_action is None:
                    continue
                kind, action = kind_action
                if kind == "route" and (m.get("flags") or 0) & C.RTM_F_CLONED:
                    continue
                if action == "deleted":
                    self._tell(kind, action, m, None)
                else:
                    self._tell(kind, action, None, m)

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        thread = getattr(self, "_thread", None)
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)
        for sock in (self._events, getattr(self, "_sock", None)):
            if sock is not None:
                sock.close()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._wake_r = self._wake_w = -1

    def __enter__(self) -> PollFeed:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def open_feed(netns: Any = None, kind: str = "auto") -> Any:
    """The engine's Cache for ``netns`` when available (kind 'auto' or 'cache'), else
    PollFeed ('auto' without a cache module, or 'poll'). Ready on return."""
    if kind not in ("auto", "cache", "poll"):
        raise ValueError(f"unknown feed {kind!r}: expected auto, cache or poll")
    if kind != "poll":
        try:
            from nlshell.engine.cache import Cache
        except ImportError:
            if kind == "cache":
                raise
        else:
            cache = Cache(netns=netns)
            enter = getattr(cache, "__enter__", None)
            return enter() if enter else cache
    return PollFeed(netns)


# --- other namespaces (--all-ns) -----------------------------------------------------------


def _ns_key(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class NsFollower:
    """Logs the events of every named namespace other than the watched one, by name.

    The namespace list is re-read every ``refresh`` seconds; namespaces that appear are
    followed (and announced), those that go are dropped.
    """

    def __init__(self, state: WatchState, watched: str | None, refresh: float = 1.0,
                 put: Callable[[Any], None] | None = None) -> None:
        self.state = state
        self.refresh = refresh
        self._put = put or state.add_event
        own = f"/proc/{os.getpid()}/task/{threading.get_native_id()}/ns/net"
        self._watched = _ns_key(nsmod.ns_path(watched) if watched else own)
        self._own = _ns_key(own)
        self._socks: dict[str, NetlinkSocket] = {}
        self._names: dict[str, dict[int, str]] = {}  # per namespace: ifindex -> name
        self._failed: set[str] = set()
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._sync(announce=False)
        self._thread = threading.Thread(target=self._run, name="nlshell-watch-allns", daemon=True)
        self._thread.start()

    def _wanted(self) -> dict[str, str | None]:
        """Namespaces to follow: label -> path (None for the one we started in)."""
        out: dict[str, str | None] = {}
        seen = {self._watched}
        for name in nsmod.listnetns():
            path = os.path.join(nsmod.NETNS_RUN_DIR, name)
            key = _ns_key(path)
            if key is None or key in seen:
                continue
            seen.add(key)
            out[name] = path
        if self._own not in seen:  # the namespace we started in, when it has no name
            out[DEFAULT_LABEL] = None
        return out

    def _open(self, label: str, path: str | None) -> None:
        sock = NetlinkSocket(netns=path, rcvbuf=1 << 20) if path else NetlinkSocket()
        try:
            sock.bind(GROUPS)
            names = {m.get("index"): m.get("ifname") for m in _dump(sock, "link")}
        except BaseException:
            sock.close()
            raise
        self._socks[label] = sock
        self._names[label] = names

    def _sync(self, announce: bool = True) -> None:
        wanted = self._wanted()
        for label in [n for n in self._socks if n not in wanted]:
            self._socks.pop(label).close()
            self._names.pop(label, None)
            self._put(note(f"namespace {label} is gone", "NETNS", label))
        for label, path in wanted.items():
            if label in self._socks or label in self._failed:
                continue
            try:
                self._open(label, path)
            except (NetlinkError, OSError, ValueError) as exc:
                self._failed.add(label)  # say it once, do not retry every second
                self._put(note(f"cannot follow namespace {label}: {exc}", "NETNS", label))
                continue
            if announce:
                self._put(note(f"namespace {label} appeared", "NETNS", label))
        self._failed &= set(wanted)

    def labels(self) -> list[str]:
        return sorted(self._socks)

    def _read(self, label: str, sock: NetlinkSocket) -> None:
        try:
            msgs = sock.recv_events(0)
        except NetlinkOverrun:
            self._put(note("events were lost (receive buffer overrun)", "WATCH", label))
            return
        names = self._names.setdefault(label, {})
        now = time.time()
        for m in msgs:
            kind_action = MESSAGE_KINDS.get(m.type)
            if kind_action is None:
                continue
            kind, action = kind_action
            if kind == "route" and (m.get("flags") or 0) & C.RTM_F_CLONED:
                continue
            ev = format_event(kind, action, m, names.get, label, now)
            if kind == "link":  # keep names after formatting: a deleted link keeps its own
                if action == "deleted":
                    names.pop(m.get("index"), None)
                else:
                    names[m.get("index")] = m.get("ifname")
            self._put(ev)

    def _run(self) -> None:
        next_sync = time.monotonic() + self.refresh
        while not self._stop.is_set():
            by_fd = {s.fileno(): (label, s) for label, s in self._socks.items()}
            timeout = max(0.0, next_sync - time.monotonic())
            try:
                ready, _, _ = select.select([*by_fd, self._wake_r], [], [], timeout)
            except (OSError, ValueError):
                ready = []  # a socket closed under us: the next sync sorts it out
            if self._stop.is_set():
                break
            for fd in ready:
                if fd in by_fd:
                    with contextlib.suppress(OSError):
                        self._read(*by_fd[fd])
            if time.monotonic() >= next_sync:
                self._sync()
                next_sync = time.monotonic() + self.refresh

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        self._thread.join(5)
        for sock in self._socks.values():
            sock.close()
        self._socks.clear()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)


# --- the sampler ---------------------------------------------------------------------------

_STOP = object()


class Watcher:
    """Feeds a WatchState from the kernel: events as they come, link stats every interval."""

    def __init__(self, state: WatchState, netns: str | None = None, interval: float = 1.0,
                 all_ns: bool = False, feed: str = "auto",
                 on_change: Callable[[], None] | None = None) -> None:
        if not interval > 0:
            raise ValueError(f"bad interval {interval!r}: must be more than 0 seconds")
        self.state = state
        self.netns = netns
        self.interval = interval
        self.all_ns = all_ns
        self.feed_kind = feed
        self.on_change = on_change or (lambda: None)
        self.queue: queue.Queue[Any] = queue.Queue()
        self.feed: Any = None
        self.stats: NetlinkSocket | None = None
        self.sampler: StatsSampler | None = None
        self.use_getstats = True  # False: sample with RTM_GETLINK dumps (tests, old kernels)
        self.follower: NsFollower | None = None
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Open the feed and load the starting view (this waits on the kernel: call it before
        the UI runs), then start the sampler thread."""
        try:
            self.stats = NetlinkSocket(netns=self.netns)
            self.sampler = StatsSampler(self.netns) if self.use_getstats else None
            self.feed = open_feed(self.netns, self.feed_kind)
            self.feed.subscribe(self._on_event)
            self._load()
            self._sample(quiet=True)
            if self.all_ns:
                self.follower = NsFollower(self.state, self.netns, min(self.interval, 0.5),
                                           put=self.queue.put)
        except BaseException:
            self.stop()
            raise
        self._thread = threading.Thread(target=self._run, name="nlshell-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the threads, then close what they use; idempotent."""
        if self.follower is not None:
            self.follower.close()
            self.follower = None
        if self.feed is not None:
            with contextlib.suppress(Exception):
                self.feed.unsubscribe(self._on_event)
        if self._thread is not None:
            self.queue.put(_STOP)
            self._thread.join(5)
            self._thread = None
        if self.feed is not None:
            with contextlib.suppress(Exception):
                self.feed.close()
            self.feed = None
        if self.stats is not None:
            self.stats.close()
            self.stats = None
        if self.sampler is not None:
            self.sampler.close()
            self.sampler = None

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- the work -------------------------------------------------------------------------

    def _on_event(self, kind: str, action: str, old: Any, new: Any) -> None:
        # runs in the feed's thread: hand over, never block it
        self.queue.put((time.time(), kind, action, new if new is not None else old))

    def _load(self, quiet: bool = True) -> None:
        """The feed's whole view; ``quiet=False`` (a resync) highlights what differs."""
        feed = self.feed
        self.state.load(feed.links(), {"address": feed.addresses(), "route": feed.routes(),
                                       "neighbour": feed.neighbours()}, quiet)

    def _dump_links(self) -> list[Any]:
        assert self.stats is not None
        return self.stats.dump(C.RTM_GETLINK, fields={"family": C.AF_UNSPEC})

    def _sample(self, quiet: bool = False) -> None:
        """Counters of every link: RTM_GETSTATS when the kernel has it, else RTM_GETLINK."""
        if self.sampler is not None and self.sampler.supported:
            try:
                counters = self.sampler.sample()
            except NetlinkError as exc:
                if exc.code not in UNSUPPORTED:
                    raise
                self.sampler.supported = False
            else:
                unknown = self.state.sample_counters(counters)
                if unknown:  # links the events have not brought yet
                    self.state.add_links(self._dump_links(), unknown)
                return
        self.state.sample_links(self._dump_links(), quiet=quiet)

    def _handle(self, item: Any) -> None:
        if not isinstance(item, tuple):  # an Event from the all-ns follower
            self.state.add_event(item)
            return
        ts, kind, action, msg = item
        if kind == "resync":
            self.state.add_event(note("events were lost; state re-read from the kernel"))
            self._load(quiet=False)
            return
        self.state.apply(kind, action, msg, ts)

    def _run(self) -> None:
        next_sample = time.monotonic() + self.interval
        while True:
            before = self.state.version()
            now = time.monotonic()
            wake = next_sample
            expiry = self.state.next_expiry()
            if expiry is not None:
                wake = min(wake, expiry + 0.01)
            try:
                item = self.queue.get(timeout=max(0.0, wake - now))
            except queue.Empty:
                item = None
            try:
                while item is not None:  # drain: one redraw for a burst of events
                    if item is _STOP:
                        return
                    self._handle(item)
                    try:
                        item = self.queue.get_nowait()
                    except queue.Empty:
                        item = None
                if time.monotonic() >= next_sample:
                    try:
                        self._sample()
                    except (NetlinkError, OSError) as exc:
                        self.state.add_event(note(f"link sample failed: {exc}"))
                    next_sample += self.interval
                    if next_sample <= time.monotonic():  # stalled: no burst of catch-up samples
                        next_sample = time.monotonic() + self.interval
                redraw = self.state.prune()
            except Exception as exc:  # keep watching; say what went wrong, once per failure
                self.error = exc
                self.state.add_event(note(f"internal error: {exc!r}"))
                redraw = True
            if (redraw or self.state.version() != before) and not self.state.paused:
                self.on_change()
