"""`watch` end to end in a real terminal: tmux at a fixed size, the kernel in test namespaces.

The screen is read with `tmux capture-pane` and polled with generous deadlines (no fixed
sleeps; support/tmux.py). Each test runs its own tmux server, killed afterwards.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from support.iporacle import sh
from support.resources import fd_count
from support.testns import requires_root
from support.tmux import Tmux, needs_tmux
from support.wait import DEADLINE

STAMP = r"\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\]"

pytestmark = [requires_root, needs_tmux]


class Screen(Tmux):
    """`nlshell.shell.watch` in a private tmux server, 160x48; the terminal's modes recorded
    before it and after it left."""

    def __init__(self, tmpdir: str) -> None:
        super().__init__(tmpdir, 160, 48)
        self.stty = os.path.join(tmpdir, "stty")

    def start(self, argv: list[str]) -> None:
        # stty before/after shows whether the terminal was restored
        stty = shlex.quote(self.stty)
        super().start(argv, before=f"stty -g > {stty}.before;", after=f"stty -g > {stty}.after;",
                      command=[sys.executable, "-m", "nlshell.shell.watch", *argv])

    def text(self) -> str:
        return self.screen()

    def pane(self, name: str) -> list[str]:
        """The lines of one pane: from its title line to the next title (or the status)."""
        lines = self.text().splitlines()
        start = next((i for i, line in enumerate(lines)
                      if re.match(rf" {name} \(\d+\)", line)), None)
        if start is None:
            return []
        out = []
        for line in lines[start + 1:]:
            if re.match(r" [a-z]+ \(\d+\)", line) or line.startswith(" q quit"):
                break
            out.append(line)
        return out


@pytest.fixture
def screen(tmp_path) -> Iterator[Screen]:
    s = Screen(str(tmp_path))
    try:
        yield s
    finally:
        s.kill()


def link_row(lines: list[str], name: str) -> list[str] | None:
    """The fields of the links pane row of ``name`` (IDX NAME STATE MTU RX TX RXp TXp E D)."""
    for line in lines:
        fields = line.split()
        if len(fields) >= 2 and fields[0].isdigit() and fields[1] == name:
            return fields
    return None


def _quit(screen: Screen) -> None:
    screen.keys("q")
    assert screen.wait_exit() == "0"
    with open(screen.stty + ".before") as a, open(screen.stty + ".after") as b:
        assert a.read() == b.read()  # terminal modes restored
    assert screen.tmux("display", "-p", "-t", "t", "#{alternate_on}").strip() == "0"


UDP_SENDER = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + float(sys.argv[2])
n = 0
while time.monotonic() < end and n < 30000:
    s.sendto(b"x" * 1000, (sys.argv[1], 9))
    n += 1
    time.sleep(0.002)
"""


def test_watch_links_and_events(ns, ns2, screen):
    # a veth pair joining the test's two namespaces, addressed from 10.77.0.0/24
    sh(ns, f"link add wa type veth peer name wb netns {ns2}")
    sh(ns, "addr add 10.77.0.1/24 dev wa")
    sh(ns2, "addr add 10.77.0.2/24 dev wb")
    sh(ns, "link set wa up")
    sh(ns2, "link set wb up")

    screen.start(["links", "events", "-n", ns])
    screen.until("the links pane", lambda: link_row(screen.pane("links"), "wa"))

    # a link added from outside: on screen (bench_watch measures how fast), and in the log
    # with a timestamp
    sh(ns, "link add wnew type ifb")
    screen.until("wnew in the links pane", lambda: link_row(screen.pane("links"), "wnew"))
    screen.until("wnew in the event log", lambda: any(
        re.match(STAMP + r" \[LINK\] \d+: wnew: <", line) for line in screen.pane("events")))

    # traffic across the pair (from ns2 to ns) shows as a rate on wa's row
    sender = subprocess.Popen(["ip", "netns", "exec", ns2, sys.executable, "-c", UDP_SENDER,
                               "10.77.0.1", "60"])  # killed once seen
    try:
        def busy() -> bool:
            row = link_row(screen.pane("links"), "wa")
            return bool(row) and row[4] not in ("0", "-") and row[6] not in ("0", "-")

        screen.until("a non-zero RX rate on wa", busy)
    finally:
        sender.kill()
        sender.wait()

    # a deleted link leaves the pane (and its deletion is logged)
    sh(ns, "link del wnew")
    screen.until("wnew to leave", lambda: link_row(screen.pane("links"), "wnew") is None)
    screen.until("the deletion in the log", lambda: any(
        re.match(STAMP + r" \[LINK\] Deleted \d+: wnew", line) for line in screen.pane("events")))

    _quit(screen)


def test_watch_all_namespaces_names_them(ns, ns2, screen):
    # every named namespace of the machine is followed, other test runs' too: the pane is
    # filtered to this test's two links so their events cannot scroll ours away
    screen.start(["events", "-n", ns, "--all-ns", "dev", "w*her*"])
    screen.until("the events pane", lambda: screen.pane("events") is not None
                and " events (" in screen.text())
    sh(ns2, "link add wother type ifb")
    sh(ns, "link add where type ifb")
    screen.until("events of both namespaces, named", lambda: (
        any(re.match(STAMP + rf" \[{re.escape(ns2)}\] \[LINK\] \d+: wother", line)
            for line in screen.pane("events"))
        and any(re.match(STAMP + rf" \[{re.escape(ns)}\] \[LINK\] \d+: where", line)
                for line in screen.pane("events"))))
    _quit(screen)


def test_watch_keys_in_a_terminal(ns, screen):
    for i in range(3):
        sh(ns, f"link add kv{i} type ifb")
    screen.start(["links", "addrs", "events", "-n", ns])
    screen.until("the links pane", lambda: link_row(screen.pane("links"), "kv2"))
    screen.keys("/", "kv1", "Enter")
    screen.until("the filter", lambda: [r.split()[1] for r in screen.pane("links")
                                       if r.split() and r.split()[0].isdigit()] == ["kv1"])
    assert "filter: kv1" in screen.text()
    screen.keys("?")
    screen.until("the help", lambda: "nlshell watch: keys" in screen.text())
    screen.keys("Escape")
    screen.until("help closed", lambda: "nlshell watch: keys" not in screen.text())
    screen.keys("p")
    screen.until("paused", lambda: "PAUSED" in screen.text())
    screen.keys("p")
    screen.until("resumed", lambda: "PAUSED" not in screen.text())
    screen.tmux("resize-window", "-t", "t", "-x", "100", "-y", "30")  # follows resizes
    screen.until("a redraw at 100x30", lambda: len(screen.text().splitlines()) == 30
                and screen.text().splitlines()[-1].startswith(" q quit"))
    _quit(screen)


@pytest.mark.parametrize("getstats", [True, False])
def test_watcher_feeds_the_models_and_stops_cleanly(ns, ns2, getstats):
    """The sampler without a terminal: events reach the models, counters are sampled (by
    RTM_GETSTATS, or RTM_GETLINK dumps), and stop() leaves no thread or fd behind (with
    --all-ns followers too)."""
    import threading

    from nlshell.shell.watch.source import Watcher
    from nlshell.shell.watch.state import WatchState

    threads, fds = threading.active_count(), fd_count()
    state = WatchState()
    changes = []
    watcher = Watcher(state, ns, interval=0.1, all_ns=True,
                      on_change=lambda: changes.append(1))
    watcher.use_getstats = getstats  # False: the RTM_GETLINK sampler
    watcher.start()
    try:
        sh(ns, "link add wz type ifb")
        sh(ns2, "link add wy type ifb")
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            with state.lock:
                names = {r.info.name for r in state.links.rows.values()}
                lines = [e.line() for e in state.log.events]
            if "wz" in names and any(f"[{ns2}] [LINK]" in line and "wy" in line
                                     for line in lines):
                break
            time.sleep(0.02)
        else:
            pytest.fail(f"no wz row / wy event: {names} {lines}")
        samples = state.samples
        deadline = time.monotonic() + DEADLINE
        while state.samples < samples + 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        with state.lock:
            row = state.links.rows[next(i for i, r in state.links.rows.items()
                                        if r.info.name == "lo")]
            assert row.rx_bps == 0 and row.counters is not None  # measured, idle
        assert changes and state.samples >= samples + 2 and watcher.error is None
    finally:
        watcher.stop()
    assert threading.active_count() == threads
    assert fd_count() == fds
