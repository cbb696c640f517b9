"""`watch` end to end in a real terminal: tmux at a fixed size, the kernel in test namespaces.

The screen is read with `tmux capture-pane` and polled with timeouts (no fixed sleeps). Each
test runs its own tmux server (a socket in its tmp dir), killed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from helpers import REPO, fd_count, nlshell_env, requires_root, sh

STAMP = r"\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\]"

pytestmark = [
    requires_root,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux for a real terminal"),
]


class Screen:
    """One app running in a private tmux server, 160x48."""

    def __init__(self, tmpdir: str) -> None:
        self.server = os.path.join(tmpdir, "tmux.sock")  # gone with the test's tmp dir
        self.tmp = tmpdir
        self.rc_file = os.path.join(tmpdir, "rc")
        self.stty = os.path.join(tmpdir, "stty")

    def tmux(self, *args: str, timeout: float = 10) -> str:
        proc = subprocess.run(["tmux", "-S", self.server, *args], capture_output=True,
                              text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout

    def start(self, argv: list[str]) -> None:
        cmd = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "nlshell.shell.watch", *argv])
        # stty before/after shows whether the terminal was restored; the pane stays open a
        # little after the app so its state can be read
        script = (f"cd {shlex.quote(REPO)}; stty -g > {self.stty}.before; {cmd}; "
                  f"echo $? > {self.rc_file}; stty -g > {self.stty}.after; "
                  f"tmux -S {shlex.quote(self.server)} wait-for -S done; sleep 10")
        subprocess.run(["tmux", "-S", self.server, "-f", "/dev/null", "new-session", "-d",
                        "-s", "w", "-x", "160", "-y", "48", "sh", "-c", script],
                       check=True, env=nlshell_env(), timeout=10)

    def text(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "w")

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

    def wait(self, what: str, pred: Callable[[], object], timeout: float = 5.0) -> float:
        """Poll until pred() is true; the seconds it took. Fails with the screen shown."""
        start = time.monotonic()
        while True:
            if pred():
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                pytest.fail(f"timed out after {timeout}s waiting for {what}; screen:\n"
                            + self.text())
            time.sleep(0.02)

    def kill(self) -> None:
        subprocess.run(["tmux", "-S", self.server, "kill-server"], capture_output=True,
                       timeout=10)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.server)


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
    screen.tmux("send-keys", "-t", "w", "q")
    screen.tmux("wait-for", "done", timeout=10)
    with open(screen.rc_file) as f:
        assert f.read().strip() == "0"
    with open(screen.stty + ".before") as a, open(screen.stty + ".after") as b:
        assert a.read() == b.read()  # terminal modes restored
    assert screen.tmux("display", "-p", "-t", "w", "#{alternate_on}").strip() == "0"


UDP_SENDER = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + float(sys.argv[2])
n = 0
while time.monotonic() < end and n < 5000:
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
    screen.wait("the links pane", lambda: link_row(screen.pane("links"), "wa"), timeout=10)

    # a link added from outside: on screen within a second, and in the log with a timestamp
    sh(ns, "link add wnew type ifb")
    took = screen.wait("wnew in the links pane",
                       lambda: link_row(screen.pane("links"), "wnew"), timeout=5)
    assert took < 1.0, f"the new link took {took:.2f}s to show"
    screen.wait("wnew in the event log", lambda: any(
        re.match(STAMP + r" \[LINK\] \d+: wnew: <", line) for line in screen.pane("events")))

    # traffic across the pair (from ns2 to ns) shows as a rate on wa's row
    sender = subprocess.Popen(["ip", "netns", "exec", ns2, sys.executable, "-c", UDP_SENDER,
                               "10.77.0.1", "4"])
    try:
        def busy() -> bool:
            row = link_row(screen.pane("links"), "wa")
            return bool(row) and row[4] not in ("0", "-") and row[6] not in ("0", "-")

        screen.wait("a non-zero RX rate on wa", busy, timeout=6)
    finally:
        sender.kill()
        sender.wait()

    # a deleted link leaves the pane (and its deletion is logged)
    sh(ns, "link del wnew")
    screen.wait("wnew to leave", lambda: link_row(screen.pane("links"), "wnew") is None)
    screen.wait("the deletion in the log", lambda: any(
        re.match(STAMP + r" \[LINK\] Deleted \d+: wnew", line) for line in screen.pane("events")))

    _quit(screen)


def test_watch_all_namespaces_names_them(ns, ns2, screen):
    # every named namespace of the machine is followed, other test runs' too: the pane is
    # filtered to this test's two links so their events cannot scroll ours away
    screen.start(["events", "-n", ns, "--all-ns", "dev", "w*her*"])
    screen.wait("the events pane", lambda: screen.pane("events") is not None
                and " events (" in screen.text(), timeout=10)
    sh(ns2, "link add wother type ifb")
    sh(ns, "link add where type ifb")
    screen.wait("events of both namespaces, named", lambda: (
        any(re.match(STAMP + rf" \[{re.escape(ns2)}\] \[LINK\] \d+: wother", line)
            for line in screen.pane("events"))
        and any(re.match(STAMP + rf" \[{re.escape(ns)}\] \[LINK\] \d+: where", line)
                for line in screen.pane("events"))), timeout=30)
    _quit(screen)


def test_watch_keys_in_a_terminal(ns, screen):
    for i in range(3):
        sh(ns, f"link add kv{i} type ifb")
    screen.start(["links", "addrs", "events", "-n", ns])
    screen.wait("the links pane", lambda: link_row(screen.pane("links"), "kv2"), timeout=10)
    screen.tmux("send-keys", "-t", "w", "/", "kv1", "Enter")
    screen.wait("the filter", lambda: [r.split()[1] for r in screen.pane("links")
                                       if r.split() and r.split()[0].isdigit()] == ["kv1"])
    assert "filter: kv1" in screen.text()
    screen.tmux("send-keys", "-t", "w", "?")
    screen.wait("the help", lambda: "nlshell watch: keys" in screen.text())
    screen.tmux("send-keys", "-t", "w", "Escape")
    screen.wait("help closed", lambda: "nlshell watch: keys" not in screen.text())
    screen.tmux("send-keys", "-t", "w", "p")
    screen.wait("paused", lambda: "PAUSED" in screen.text())
    screen.tmux("send-keys", "-t", "w", "p")
    screen.wait("resumed", lambda: "PAUSED" not in screen.text())
    screen.tmux("resize-window", "-t", "w", "-x", "100", "-y", "30")  # follows resizes
    screen.wait("a redraw at 100x30", lambda: len(screen.text().splitlines()) == 30
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
        deadline = time.monotonic() + 5
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
        deadline = time.monotonic() + 5
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
