"""The watch models fed by the real cache (issue 10, "one event model").

The tables key their rows by the cache's identities (an IPv6 route's includes its device)
and follow the cache's cascades, so they hold exactly what the cache holds:

- three links up each have their own ``fe80::/64``: three rows, not one;
- one of them going down takes its own ``fe80::/64`` away, the other two stay.

A cache overrun (tiny receive buffer, a burst of route adds) shows up in the events pane.
"""

from __future__ import annotations

import subprocess
from typing import Any

from support.iporacle import batch, ipj
from support.testns import no_dad, requires_root
from support.wait import DEADLINE, until

from nlshell.engine.cache import Cache
from nlshell.shell.watch.state import WatchState

pytestmark = requires_root

LINKS = """\
link add vw0 type veth peer name vw0p
link add xb1 type ifb
link add xb2 type ifb
link set vw0p up
link set vw0 up
link set xb1 up
link set xb2 up
"""


def follow(cache: Cache, state: WatchState) -> None:
    """The state loads the cache's view and applies every change the cache reports."""

    def on_change(kind: str, action: str, old: Any, new: Any) -> None:
        state.apply(kind, action, new if new is not None else old)

    with cache.lock:  # the snapshot is the exact starting point of the changes
        cache.subscribe(on_change)
        state.load(cache.links(), {"address": cache.addresses(), "route": cache.routes(),
                                   "neighbour": cache.neighbours()})


def fe80_rows(state: WatchState) -> list[str]:
    """Devices of the fe80::/64 rows the routes pane shows."""
    table = state.tables["route"]
    with state.lock:
        rows = table.visible(state.names)
        devs = [state.names(r.dev) or "?" for r in rows if r.cells[1] == "fe80::/64"]
    return sorted(d for d in devs if d != "vw0p")  # vw0's peer has its own, not looked at


def kernel_fe80(ns: str) -> list[str]:
    return sorted(r["dev"] for r in ipj(ns, "-6", "route", "show", "table", "main")
                  if r["dst"] == "fe80::/64" and r["dev"] != "vw0p")


def test_ipv6_link_routes_one_row_per_device_and_link_down(ns: str) -> None:
    no_dad(ns)
    with Cache(netns=ns) as cache:
        state = WatchState()
        follow(cache, state)
        batch(ns, LINKS)
        want = ["vw0", "xb1", "xb2"]
        until("the kernel's three fe80::/64 routes", lambda: kernel_fe80(ns) == want)
        assert cache.wait_quiet(0.3, timeout=DEADLINE)
        until("three fe80::/64 rows", lambda: fe80_rows(state) == want)

        batch(ns, "link set xb1 down\n")
        until("the kernel to drop xb1's fe80::/64", lambda: kernel_fe80(ns) == ["vw0", "xb2"])
        assert cache.wait_quiet(0.3, timeout=DEADLINE)
        until("two fe80::/64 rows after xb1 down", lambda: fe80_rows(state) == ["vw0", "xb2"])


def test_link_deletion_cascades_through_the_cache(ns: str) -> None:
    no_dad(ns)
    with Cache(netns=ns) as cache:
        state = WatchState()
        follow(cache, state)
        batch(ns, LINKS + "address add 192.0.2.1/24 dev xb1\n"
                  "route add 198.51.100.0/24 via 192.0.2.9 dev xb1\n")
        assert cache.wait_quiet(0.3, timeout=DEADLINE)
        until("the route row", lambda: any(r.cells[1] == "198.51.100.0/24"
                         for r in state.tables["route"].visible(state.names)))
        index = cache.index("xb1")
        batch(ns, "link del xb1\n")
        assert cache.wait_quiet(0.3, timeout=DEADLINE)
        until("xb1's rows to go", lambda: not any(r.dev == index for t in state.tables.values()
                             for r in t.rows.values()))
        assert fe80_rows(state) == ["vw0", "xb2"]


def test_overrun_is_shown_in_the_events_pane(ns: str) -> None:
    """A 4 KiB event buffer and bursts of 5,000 route adds: the cache loses events and
    resyncs; the Watcher logs it and counts the overruns for the status line."""
    from nlshell.shell.watch.source import Watcher

    no_dad(ns)
    batch(ns, "link add xb1 type ifb\nlink set xb1 up\n")
    state = WatchState()
    watcher = Watcher(state, ns, interval=0.1, rcvbuf=4096)
    watcher.start()
    try:
        assert watcher.feed is not None
        for burst in range(1, 11):  # a burst the cache's thread keeps up with: another
            lines = "".join(f"route add 10.{burst}.{i >> 8}.{i & 255}/32 dev xb1\n"
                            for i in range(5000))
            subprocess.run(["ip", "-n", ns, "-batch", "-"], input=lines, text=True,
                           check=True, capture_output=True, timeout=120)
            assert watcher.feed.wait_quiet(0.5, timeout=60)
            if watcher.feed.resync_reasons["overrun"]:
                break
        overruns = watcher.feed.resync_reasons["overrun"]
        assert overruns > 0, f"no overrun in {burst} bursts: {dict(watcher.feed.resync_reasons)}"

        def told() -> bool:
            with state.lock:
                return state.lost == overruns and any(
                    "[WATCH] events were lost" in e.line() for e in state.log.events)

        until("the events pane to say events were lost", told)
        index = watcher.feed.index("xb1")
        until("the routes pane to equal the cache after the resync",
              lambda: len([r for r in list(state.tables["route"].rows.values())
                           if r.dev == index]) == len(watcher.feed.routes(oif=index)))
    finally:
        watcher.stop()
