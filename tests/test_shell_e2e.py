"""The interactive shell end to end in a real terminal: tmux at 120x40, real namespaces.

`python -m nlshell -n NS` runs in a private tmux server with HOME and the XDG directories in
a temporary directory; the screen is read with `tmux capture-pane` and polled with generous
deadlines (support/tmux.py).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

import pytest
from support.iporacle import ipj, sh
from support.testns import requires_root
from support.tmux import Terminal, needs_tmux, prompt_after

pytestmark = [requires_root, needs_tmux]


@pytest.fixture
def term(tmp_path) -> Iterator[Terminal]:
    t = Terminal(str(tmp_path))
    try:
        yield t
    finally:
        t.kill()


def test_shell_session(term: Terminal, ns: str, ns2: str) -> None:
    sh(ns, "link add veth0 type veth peer name peer0")
    sh(ns2, "link add other0 type veth peer name other1")
    term.start(["-n", ns])
    p1, p2, root = f"nlshell:{ns}> ", f"nlshell:{ns2}> ", "nlshell:/> "
    term.wait("the first prompt", lambda s: p1.rstrip() in s)  # (capture-pane trims spaces)
    term.wait("the toolbar", lambda s: f" nlshell:{ns}  links " in s)

    # Tab completes a live interface name
    term.type("link set dev ve")
    term.wait("the completion menu", lambda s: "index 3" in s or "veth0" in s.split(p1)[-1])
    term.keys("Tab")
    term.wait("veth0 completed", lambda s: f"{p1}link set dev veth0" in s)
    term.keys("Escape")  # close the menu (what was selected stays)
    term.type(" up")
    term.wait("the whole line", lambda s: f"{p1}link set dev veth0 up" in s)
    term.keys("Enter")
    term.wait("the next prompt", lambda s: prompt_after(s, f"{p1}link set dev veth0 up", p1))
    assert "UP" in ipj(ns, "link show dev veth0")[0]["flags"]

    # cd into another namespace: the prompt changes and commands run there
    term.run(f"cd {ns2}", p1, then=p2)
    term.run("link set dev other0 mtu 1400", p2)
    assert ipj(ns2, "link show dev other0")[0]["mtu"] == 1400

    # cd / goes back to where nlshell started
    term.run("cd /", p2, then=root)
    screen = term.run("pwd", root)
    assert "\n/\n" in screen

    # a bad command is an error and the session goes on
    screen = term.run("lnik show", root)
    assert "lnik" in screen.split(f"{root}lnik show")[-1]
    term.run("pwd", root)

    # Ctrl-D leaves with 0
    term.keys("C-d")
    assert term.wait_exit() == "0"

    history = os.path.join(term.tmp, "state", "nlshell", "history")
    assert stat.S_IMODE(os.stat(history).st_mode) == 0o600
    with open(history) as f:
        kept = f.read()
    assert f"+cd {ns2}" in kept and "+lnik show" in kept
