"""The interactive shell end to end in a real terminal: tmux at 120x40, real namespaces.

`python -m nlshell -n NS` runs in a private tmux server with HOME and the XDG directories in
a temporary directory; the screen is read with `tmux capture-pane` and polled with timeouts.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
from helpers import ipj, nlshell_argv, nlshell_env, requires_root, sh

pytestmark = [
    requires_root,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux for a real terminal"),
]


class Terminal:
    def __init__(self, tmpdir: str) -> None:
        self.server = f"nlt-shell-{os.getpid()}-{os.path.basename(tmpdir)}"
        self.tmp = tmpdir
        self.rc_file = os.path.join(tmpdir, "rc")
        self.env = nlshell_env(
            HOME=tmpdir,
            XDG_STATE_HOME=os.path.join(tmpdir, "state"),
            XDG_DATA_HOME=os.path.join(tmpdir, "data"),
            XDG_CONFIG_HOME=os.path.join(tmpdir, "config"),
        )
        self.env.pop("NO_COLOR", None)

    def tmux(self, *args: str) -> str:
        proc = subprocess.run(["tmux", "-L", self.server, *args], capture_output=True,
                              text=True, timeout=10)
        if proc.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout

    def start(self, argv: list[str]) -> None:
        cmd = shlex.join(nlshell_argv(*argv))
        script = (f"cd {shlex.quote(self.tmp)}; {cmd}; echo $? > {self.rc_file}; "
                  f"tmux -L {self.server} wait-for -S done; sleep 10")
        subprocess.run(["tmux", "-L", self.server, "-f", "/dev/null", "new-session", "-d",
                        "-s", "t", "-x", "120", "-y", "40", "sh", "-c", script],
                       check=True, env=self.env, timeout=10)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "t", "-l", text)

    def wait(self, what: str, pred: Callable[[str], object], timeout: float = 10.0) -> str:
        start = time.monotonic()
        while True:
            text = self.screen()
            if pred(text):
                return text
            if time.monotonic() - start > timeout:
                pytest.fail(f"timed out after {timeout}s waiting for {what}; screen:\n{text}")
            time.sleep(0.05)

    def run(self, line: str, prompt: str, then: str | None = None) -> str:
        """Type a line at `prompt`, Enter, and wait for an empty prompt (`then`, if the
        line changes it) after it."""
        marker = f"{prompt}{line}"
        self.type(line)
        self.wait(f"{line!r} typed", lambda s: marker in s)
        self.keys("Enter")
        return self.wait(f"the prompt after {line!r}",
                         lambda s: _prompt_after(s, marker, then or prompt))

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.server, "kill-server"], capture_output=True,
                       timeout=10)


def _prompt_after(screen: str, marker: str, prompt: str) -> bool:
    lines = screen.splitlines()
    idx = max((i for i, line in enumerate(lines) if marker in line), default=None)
    if idx is None:
        return False
    return any(line.rstrip() == prompt.rstrip() for line in lines[idx + 1:])


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
    term.wait("the next prompt", lambda s: _prompt_after(s, f"{p1}link set dev veth0 up", p1))
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
    term.tmux("wait-for", "done")
    with open(term.rc_file) as f:
        assert f.read().strip() == "0"

    history = os.path.join(term.tmp, "state", "nlshell", "history")
    assert stat.S_IMODE(os.stat(history).st_mode) == 0o600
    with open(history) as f:
        kept = f.read()
    assert f"+cd {ns2}" in kept and "+lnik show" in kept
