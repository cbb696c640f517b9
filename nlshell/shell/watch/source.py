"""Where the panes' data comes from: the background threads that talk to the kernel.

* The *feed* of one namespace is the engine's ``Cache``: its snapshot is the starting view,
  its changes (cascades included) keep the tables current, keyed by its identities. There is
  no other feed: the cache is always there, and nothing falls back quietly.
* The *sampler* (``Watcher``): one thread that applies queued changes to the models and,
  every interval, reads the links' stats64 counters (counters raise no events). Changes and
  samples go through one thread, in order. When the cache had to re-read the kernel because
  events were lost (an overrun), the event log says so (``LossWatch``).
* With ``--all-ns``, ``NsFollower`` listens to every other named namespace too (a socket
  opened inside each; no nsid needs assigning) and logs their events, labelled.

The UI thread never waits on any of this: it is told to redraw through ``on_change``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import select
import threading
import time
from collections.abc import Callable
from typing import Any

from nlshell.commands.events import EventFormatter
from nlshell.engine import netns as nsmod
from nlshell.engine.cache import Cache, classful
from nlshell.engine.codec import constants as C
from nlshell.engine.errors import NetlinkError, NetlinkOverrun
from nlshell.engine.socket import NetlinkSocket

from .events import Event, event_of, note
from .state import WatchState
from .stats import UNSUPPORTED, StatsSampler

GROUPS = C.RTMGRP_DEFAULTS | C.RTMGRP_NSID
DEFAULT_LABEL = "default"  # the label of an unnamed namespace (the one we started in)
LOST = "events were lost (receive buffer overrun): the panes were re-read from the kernel"


def _dump_links(sock: NetlinkSocket) -> list[Any]:
    return sock.dump(C.RTM_GETLINK, fields={"family": C.AF_UNSPEC})


def open_feed(netns: Any = None, rcvbuf: int | None = None) -> Cache:
    """The engine's Cache of ``netns``, ready (dumped and listening) on return."""
    return Cache(netns=netns, rcvbuf=rcvbuf)


class LossWatch:
    """Tells when the cache lost events (an overrun it then resynced from): ``check()``
    gives one note when there were new overruns since the last check, else None. Counts
    are the cache's own (``total``: since the start)."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache
        self.seen = self._overruns()
        self.total = 0  # overruns seen since the start (the status line shows it)

    def _overruns(self) -> int:
        return int(self.cache.resync_reasons.get("overrun", 0))

    def check(self, label: str | None = None) -> Event | None:
        now = self._overruns()
        if now == self.seen:
            return None
        self.total += now - self.seen
        self.seen = now
        return note(LOST, "WATCH", label)


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
        self._fmts: dict[str, EventFormatter] = {}  # per namespace: the event lines
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
            fmt = EventFormatter(_dump_links(sock))
        except BaseException:
            sock.close()
            raise
        self._socks[label] = sock
        self._fmts[label] = fmt

    def _sync(self, announce: bool = True) -> None:
        wanted = self._wanted()
        for label in [n for n in self._socks if n not in wanted]:
            self._socks.pop(label).close()
            self._fmts.pop(label, None)
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
        fmt = self._fmts.get(label)
        if fmt is None:
            fmt = self._fmts[label] = EventFormatter()
        now = time.time()
        for m in msgs:
            ev = event_of(fmt.format(m), label, now)
            if ev is not None:
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
                 all_ns: bool = False, on_change: Callable[[], None] | None = None,
                 rcvbuf: int | None = None) -> None:
        if not interval > 0:
            raise ValueError(f"bad interval {interval!r}: must be more than 0 seconds")
        self.state = state
        self.netns = netns
        self.interval = interval
        self.all_ns = all_ns
        self.on_change = on_change or (lambda: None)
        self.queue: queue.Queue[Any] = queue.Queue()
        self.feed: Cache | None = None
        self.rcvbuf = rcvbuf  # the cache's event buffer (None: its default)
        self.losses: LossWatch | None = None
        self.stats: NetlinkSocket | None = None
        self.sampler: StatsSampler | None = None
        self.use_getstats = True  # False: sample with RTM_GETLINK dumps (tests, old kernels)
        self.tc_stats = False  # True: sample qdisc and class counters too (the qdiscs pane)
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
            self.feed = open_feed(self.netns, self.rcvbuf)
            self.losses = LossWatch(self.feed)
            with self.feed.lock:  # the snapshot is the exact start of what we are told
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

    def _load(self) -> None:
        """The cache's whole view, keyed by its identities."""
        feed = self.feed
        assert feed is not None
        snap = feed.snapshot()
        self.state.load(feed.links(), {kind: snap[kind] for kind in
                                       ("address", "route", "neighbour", "qdisc", "class")})

    def _dump_links(self) -> list[Any]:
        assert self.stats is not None
        return self.stats.dump(C.RTM_GETLINK, fields={"family": C.AF_UNSPEC})

    def _sample_tc(self) -> None:
        """Every qdisc's and class's counters: one qdisc dump, then the classes of the
        links whose qdiscs may have some (the kernel dumps classes one link at a time)."""
        assert self.stats is not None
        qdiscs = self.stats.dump(C.RTM_GETQDISC, fields={"family": C.AF_UNSPEC})
        msgs: list[tuple[str, Any]] = [("qdisc", m) for m in qdiscs]
        for index in classful(qdiscs):
            try:
                got = self.stats.dump(C.RTM_GETTCLASS, fields={"index": index})
            except NetlinkError as exc:
                if exc.code != errno.ENODEV:
                    raise
                continue  # the link went meanwhile: the cache says so
            msgs.extend(("class", m) for m in got)
        self.state.sample_tc(msgs)

    def _sample(self, quiet: bool = False) -> None:
        """Counters of every link: RTM_GETSTATS when the kernel has it, else RTM_GETLINK;
        and those of the qdiscs and classes when their pane is shown."""
        if self.tc_stats:
            self._sample_tc()
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
                if self.losses is not None:
                    lost = self.losses.check(self.state.ns_label)
                    if lost is not None:
                        self.state.add_event(lost)
                        self.state.lost = self.losses.total
                redraw = self.state.prune()
            except Exception as exc:  # keep watching; say what went wrong, once per failure
                self.error = exc
                self.state.add_event(note(f"internal error: {exc!r}"))
                redraw = True
            if (redraw or self.state.version() != before) and not self.state.paused:
                self.on_change()
