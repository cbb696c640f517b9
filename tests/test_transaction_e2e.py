"""`commit confirm` in a real terminal (tmux, support/tmux.py): without `confirm` the
namespace comes back to its state before `begin` when the timer fires; with `confirm` it
keeps the changes; and when the shell is lost (killed, or its terminal closed: SIGHUP) the
watchdog still rolls back. Waits are on conditions with the timer plus 30 s."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest
from support.iporacle import batch, ipj
from support.testns import no_dad, requires_root
from support.tmux import Terminal, needs_tmux, prompt_after
from support.wait import DEADLINE, until
from test_transaction import CHANGES, FIRED, SETUP, TIMER, dumps, wait_dumps

pytestmark = [requires_root, needs_tmux]


@pytest.fixture
def term(tmp_path) -> Iterator[Terminal]:
    t = Terminal(str(tmp_path))
    try:
        yield t
    finally:
        t.kill()


@pytest.fixture
def rich(ns: str) -> str:
    no_dad(ns)
    batch(ns, SETUP)
    return ns


def _changed_under_confirm(term: Terminal, ns: str) -> tuple[dict, dict, str]:
    """Start the shell in `ns`, begin, change, commit confirm TIMER: (before, after, the
    prompt with the transaction mark)."""
    before = dumps(ns)
    plain, marked = f"nlshell:{ns}> ", f"nlshell:{ns}*> "
    term.start(["-n", ns])
    term.wait("the first prompt", lambda s: plain.rstrip() in s)
    term.run("begin", plain, then=marked)
    for line in CHANGES:
        term.run(line, marked)
    after = dumps(ns)
    assert after != before
    term.run(f"commit confirm {TIMER}", marked)
    return before, after, marked


def test_commit_confirm_without_confirm_rolls_back(term: Terminal, rich: str) -> None:
    before, _after, _marked = _changed_under_confirm(term, rich)
    term.wait("the toolbar's countdown", lambda s: "rollback in" in s, timeout=FIRED)
    term.wait("the timer's report", lambda s: f"rollback timer: {rich} rolled back" in s
              and "undid: link a0 added" in s and "undid: link v1 deleted" in s, timeout=FIRED)
    wait_dumps(rich, before)
    term.wait("the prompt without its mark",
              lambda s: prompt_after(s, "rollback timer:", f"nlshell:{rich}> "))
    term.keys("C-d")
    assert term.wait_exit() == "0"


def test_commit_confirm_then_confirm_keeps(term: Terminal, rich: str) -> None:
    _before, after, marked = _changed_under_confirm(term, rich)
    screen = term.run("confirm", marked, then=f"nlshell:{rich}> ")
    assert "confirmed: the changes" in screen
    # the watchdog stood down and is gone: nothing is left to roll back
    until("no watchdog process", lambda: not _watchdogs(), DEADLINE)
    assert dumps(rich) == after
    term.keys("C-d")
    assert term.wait_exit() == "0"


@pytest.mark.parametrize("how", ["SIGKILL", "SIGHUP", "terminal closed"])
def test_the_shell_lost_still_rolls_back(term: Terminal, rich: str, how: str) -> None:
    before, _after, _marked = _changed_under_confirm(term, rich)
    shell = _shell_pid(term)
    if how == "terminal closed":
        term.kill()  # the tmux server goes: the pane's processes get SIGHUP
    else:
        os.kill(shell, getattr(signal, how))
    until("the shell to be gone", lambda: not os.path.exists(f"/proc/{shell}")
          or _state(shell) == "Z", DEADLINE)
    wait_dumps(rich, before)
    until("the watchdog to end", lambda: not _watchdogs(), DEADLINE)


def _shell_pid(term: Terminal) -> int:
    pane = int(term.tmux("list-panes", "-t", "t", "-F", "#{pane_pid}").split()[0])
    with open(f"/proc/{pane}/task/{pane}/children") as f:
        children = [int(p) for p in f.read().split()]
    assert len(children) == 1, children
    return children[0]


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return ""


def _watchdogs() -> list[int]:
    """This test's watchdog processes (children of this run's shells are ours: by argv)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if b"nlshell.engine.watchdog" in argv and _state(int(pid)) not in ("Z", ""):
            found.append(int(pid))
    return found


def test_ip_dumps_helper_sees_links(rich: str) -> None:
    assert {e["ifname"] for e in ipj(rich, "link", "show")} >= {"v0", "v1", "br0"}
