"""Audit additions: bullets of issues 3-7 that the suite proved only in part.

- issue 3: NetNS opens a namespace without forking or spawning a process;
- issue 4: cache snapshots stay consistent while the event thread applies a burst, and the
  cache ends equal to `ip -j` (an oracle independent of the engine);
- issue 5: NO_COLOR turns colour off on a terminal, `--color=always` still colours;
- issue 6: Ctrl-R searches the history and the history suggests the rest of a line;
- issue 7: `nlshell watch ...` through the real command line, not the module.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import threading
from typing import Any

import pytest
from support.iporacle import batch, ipj, sh
from support.nlrun import nlshell_argv, nlshell_env
from support.resources import fd_count
from support.testns import no_dad, requires_root
from support.tmux import Tmux, needs_tmux

pytestmark = requires_root

ESC = "\x1b["


# -- issue 3: no fork ---------------------------------------------------------------------


def test_netns_open_never_forks(ns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from nlshell import NetNS

    sh(ns, "link add au0 type veth peer name au1")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("NetNS started a process")

    for name in ("fork", "forkpty", "posix_spawn", "posix_spawnp", "execv", "execve"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    fds = fd_count()
    with NetNS(ns) as ipr:
        mine = sorted(m.get("ifname") for m in ipr.get_links())
    monkeypatch.undo()  # ipj below runs `ip`
    assert mine == sorted(link["ifname"] for link in ipj(ns, "link"))
    assert fd_count() == fds


# -- issue 4: consistent snapshots, and `ip -j` as the oracle -----------------------------


def test_cache_snapshots_consistent_and_equal_to_ip(ns: str) -> None:
    from nlshell.engine.cache import Cache

    no_dad(ns)
    lines = []
    for i in range(30):
        lines += [f"link add ca{i} type veth peer name cb{i}", f"link set ca{i} up",
                  f"link set cb{i} up", f"addr add 10.{i}.0.1/24 dev ca{i}"]
        lines += [f"route add 10.{i}.{k}.0/24 via 10.{i}.0.2" for k in range(1, 40)]
        if i % 3 == 0:
            lines.append(f"link del ca{i}")  # silent cascade of its addresses and routes
    problems: list[str] = []
    stop = threading.Event()
    with Cache(netns=ns) as cache:
        def read() -> None:
            while not stop.is_set():
                snap = cache.snapshot()
                links = set(snap["link"])
                for key, a in snap["address"].items():
                    if a["index"] not in links:
                        problems.append(f"address {key} of a link not in the snapshot")
                for key, r in snap["route"].items():
                    if r.get("oif") is not None and r.get("oif") not in links:
                        problems.append(f"route {key} through a link not in the snapshot")

        readers = [threading.Thread(target=read) for _ in range(2)]
        for t in readers:
            t.start()
        try:
            batch(ns, "\n".join(lines) + "\n")
            assert cache.wait_quiet(0.5, timeout=30)
        finally:
            stop.set()
            for t in readers:
                t.join(10)
        assert not problems, problems[:5]

        assert sorted(m.get("ifname") for m in cache.links()) == sorted(
            link["ifname"] for link in ipj(ns, "link"))
        theirs = {(a["ifname"], i["local"], i["prefixlen"]) for a in ipj(ns, "addr")
                  for i in a["addr_info"]}
        mine = {(cache.name(a["index"]), a.get("address"), a["prefixlen"])
                for a in cache.addresses()}
        assert mine == theirs
        theirs_routes = {r["dst"] for r in ipj(ns, "route")}
        mine_routes = {f"{r.get('dst')}/{r['dst_len']}" if r["dst_len"] < 32 else r.get("dst")
                       for r in cache.routes(table=254, family=2)}
        assert mine_routes == theirs_routes


# -- issue 5: NO_COLOR --------------------------------------------------------------------


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run nlshell with stdout on a pseudo-terminal; what it wrote there."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(nlshell_argv(*args), stdout=follower, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=env)
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        assert proc.wait(30) == 0, proc.stderr.read() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        return b"".join(chunks).decode()
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)


def test_no_color_on_a_terminal(ns: str) -> None:
    sh(ns, "link add nc0 type veth peer name nc1")
    env = nlshell_env(TERM="xterm")
    env.pop("NO_COLOR", None)
    assert ESC in _on_a_terminal(["-n", ns, "link", "show"], env)  # auto: a terminal colours
    quiet = _on_a_terminal(["-n", ns, "link", "show"], {**env, "NO_COLOR": "1"})
    assert "nc0" in quiet and ESC not in quiet
    assert ESC in _on_a_terminal(["--color=always", "-n", ns, "link", "show"],
                                 {**env, "NO_COLOR": "1"})


# -- issue 6: Ctrl-R and history suggestions ----------------------------------------------


def test_ctrl_r_and_history_suggestion(ns: str) -> None:
    from support.pipeshell import Session

    sh(ns, "link add veth0 type veth peer name peer0")
    s = Session(ns)
    try:
        s.run("link set dev veth0 mtu 1400")
        s.run("pwd")
        assert ipj(ns, "link show dev veth0")[0]["mtu"] == 1400
        # Ctrl-R: reverse search finds the earlier line
        line = s.shell.session.default_buffer  # while searching, the focus is the search field
        s.keys("\x12mtu")
        s.wait("the search field", lambda: s.app.layout.is_searching and s.text == "mtu")
        count = s.lines_run
        s.keys("\r")  # Enter in the search field accepts the match (previewed until then)
        s.wait("the match on the line", lambda: s.app.current_buffer is line
               and line.text == "link set dev veth0 mtu 1400")
        assert s.lines_run == count  # accepting the search ran nothing
        s.keys("\x05\x15")  # Ctrl-E, Ctrl-U: clear the line
        s.wait("an empty line", lambda: s.text == "")
        # suggestion from the history, in grey after what is typed
        s.keys("link set dev veth0 m")
        s.wait("the suggestion", lambda: s.text == "link set dev veth0 m" and
               s.app.current_buffer.suggestion is not None and
               s.app.current_buffer.suggestion.text == "tu 1400")
        s.keys("\x15")
    finally:
        assert s.close() == 0


# -- issue 7: `nlshell watch` from the command line ---------------------------------------


@needs_tmux
def test_nlshell_watch_command_line(ns: str, tmp_path: Any) -> None:
    term = Tmux(str(tmp_path), 140, 40)
    term.start(["watch", "links", "events", "-n", ns])
    try:
        term.wait("the links pane", lambda s: re.search(r" links \(\d+\)", s) and " lo " in s)
        sh(ns, "link add wcli0 type ifb")
        term.wait("wcli0's row", lambda s: re.search(r"^\s*\d+\s+wcli0\s", s, re.M))
        term.wait("wcli0's event", lambda s: re.search(r"\[LINK\] \d+: wcli0:", s))
        term.keys("q")
        assert term.wait_exit() == "0"
    finally:
        term.kill()
