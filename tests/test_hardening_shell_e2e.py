"""Ctrl-D typed while a long command scrolls (or after Ctrl-C stopped it) leaves the shell,
in a real terminal (tmux; see test_shell_e2e).

Between prompts the terminal is in cooked mode; its line discipline used to eat that Ctrl-D as
end-of-file and hand the next prompt a NUL, so the first Ctrl-D did nothing. Every wait is on
a condition with a generous deadline.
"""

from __future__ import annotations

import os
import shlex
import subprocess

import pytest
from support.iporacle import ip
from support.testns import requires_root
from support.tmux import Terminal, needs_tmux

pytestmark = [requires_root, needs_tmux]

ROUTES = 30_000


class Recorded(Terminal):
    """A Terminal whose script also records the terminal's settings before nlshell and after
    it left (complete once its exit status is written)."""

    def start(self, argv: list[str]) -> None:
        stty = shlex.quote(os.path.join(self.tmp, "stty"))
        # (the script outlives a Ctrl-C; its handler is reset to the default in nlshell)
        super().start(argv, before=f"trap true INT; stty -a > {stty}.before;",
                      after=f"stty -a > {stty}.after;")


@pytest.fixture
def routes_ns(ns: str) -> str:
    ip("link", "add", "v0", "type", "veth", "peer", "name", "v1", ns=ns)
    ip("link", "set", "v0", "up", ns=ns)
    lines = "".join(f"route add 10.{i >> 8 & 255}.{i & 255}.0/24 dev v0\n"
                    for i in range(ROUTES))
    subprocess.run(["ip", "-n", ns, "-batch", "-"], input=lines, text=True, check=True,
                   timeout=120)
    return ns


@pytest.fixture
def term(tmp_path) -> Recorded:
    t = Recorded(str(tmp_path))
    try:
        yield t
    finally:
        t.kill()


# case -> keys sent once the first routes are on the screen
CASES = {
    "Ctrl-D while route show scrolls": ["C-d"],
    "Ctrl-C stops route show, then Ctrl-D": ["C-c", "C-d"],
}


@pytest.mark.parametrize("case", list(CASES))
def test_ctrl_d_after_a_long_command_leaves(term: Recorded, routes_ns: str, case: str) -> None:
    term.start(["-n", routes_ns])
    prompt = f"nlshell:{routes_ns}>"
    term.wait("the toolbar", lambda s: f"routes {ROUTES // 10}" in s, timeout=60)
    term.type("route show")
    term.wait("the line", lambda s: f"{prompt} route show" in s)
    term.keys("Enter")
    term.wait("routes scrolling", lambda s: "/24" in s and "v0" in s, timeout=30)
    for key in CASES[case]:
        term.keys(key)
    assert term.wait_exit() == "0"
    screen = term.screen()
    assert "Traceback" not in screen
    before = open(os.path.join(term.tmp, "stty.before")).read()
    term.wait("the settings after", lambda s: os.path.exists(os.path.join(term.tmp,
                                                                          "stty.after")))
    after = open(os.path.join(term.tmp, "stty.after")).read()
    assert "eof = ^D" in before and after == before  # the terminal given back as it was


def test_keys_typed_while_a_command_runs_are_kept(term: Recorded, routes_ns: str) -> None:
    term.start(["-n", routes_ns])
    prompt = f"nlshell:{routes_ns}>"
    term.wait("the toolbar", lambda s: f"routes {ROUTES // 10}" in s, timeout=60)
    term.type("route show")
    term.wait("the line", lambda s: f"{prompt} route show" in s)
    term.keys("Enter")
    term.wait("routes scrolling", lambda s: "/24" in s and "v0" in s, timeout=30)
    term.type("pwd")
    term.wait("pwd typed ahead at the next prompt", lambda s: f"{prompt} pwd" in s, timeout=60)
    term.keys("C-d")  # text on the line: Ctrl-D deletes under the cursor, does not leave
    term.keys("C-u", "C-d")
    assert term.wait_exit() == "0"
