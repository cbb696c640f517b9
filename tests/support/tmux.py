"""One app in a real terminal: a private tmux server, the screen read with `capture-pane`.

The app runs under `sh -c` in a detached session of a fixed size. When it ends, the script
writes its exit status to `rc` atomically (write, then rename) after every `after` command, and
the pane stays open so its last screen can still be read. Tests wait on that file (a state
that stays), never on a tmux signal (`wait-for`), which is lost if it fires before the wait.
"""

from __future__ import annotations

import itertools
import os
import shlex
import shutil
import subprocess
from collections.abc import Callable

import pytest

from support.nlrun import REPO, nlshell_argv, nlshell_env
from support.wait import DEADLINE, until

EXIT_DEADLINE = 60.0  # seconds for the app to leave and its status to be written
_servers = itertools.count(1)

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux for a real terminal")


class Tmux:
    """`argv` (a `python -m nlshell ...` by default) in tmux session `t`, `width`x`height`."""

    def __init__(self, tmpdir: str, width: int = 120, height: int = 40,
                 env: dict[str, str] | None = None, cwd: str = REPO) -> None:
        # a socket name, not a path: /tmp/tmux-UID/NAME stays short whatever tmpdir is
        self.server = f"nlt-{os.getpid()}-{next(_servers)}"
        self.tmp = tmpdir
        self.rc_file = os.path.join(tmpdir, "rc")
        self.size = (width, height)
        self.env = nlshell_env() if env is None else env
        self.cwd = cwd

    def tmux(self, *args: str) -> str:
        proc = subprocess.run(["tmux", "-L", self.server, *args], capture_output=True,
                              text=True, timeout=DEADLINE)
        if proc.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout

    def start(self, argv: list[str], before: str = "", after: str = "",
              command: list[str] | None = None) -> None:
        """Run `command` (default `python -m nlshell ARGV`) with shell snippets `before` and
        `after` it; `after` runs before the status is written, so its files are complete
        once `rc()` is set."""
        cmd = shlex.join(command if command is not None else nlshell_argv(*argv))
        tmp = self.rc_file + ".tmp"
        script = (f"cd {shlex.quote(self.cwd)}; {before} {cmd}; rc=$?; {after} "
                  f"echo $rc > {shlex.quote(tmp)}; mv {shlex.quote(tmp)} "
                  f"{shlex.quote(self.rc_file)}; exec sleep 3600")
        width, height = self.size
        subprocess.run(["tmux", "-L", self.server, "-f", "/dev/null", "new-session", "-d",
                        "-s", "t", "-x", str(width), "-y", str(height), "sh", "-c", script],
                       check=True, env=self.env, timeout=DEADLINE)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "t", "-l", text)

    def wait(self, what: str, pred: Callable[[str], object], timeout: float = DEADLINE) -> str:
        """Poll the screen until `pred(screen)` is true; that screen. Fails showing it."""
        seen: list[str] = []

        def holds() -> bool:
            seen[:] = [self.screen()]
            return bool(pred(seen[0]))

        until(what, holds, timeout, interval=0.05, detail=lambda: f"screen:\n{seen[0]}")
        return seen[0]

    def until(self, what: str, cond: Callable[[], object], timeout: float = DEADLINE) -> float:
        """Poll `cond()` (which reads the screen itself) until true; the seconds it took."""
        return until(what, cond, timeout, detail=lambda: f"screen:\n{self.screen()}")

    def rc(self) -> str | None:
        """The app's exit status once it has left (and `after` ran), else None."""
        try:
            with open(self.rc_file) as fh:
                return fh.read().strip()
        except FileNotFoundError:
            return None

    def wait_exit(self, timeout: float = EXIT_DEADLINE) -> str:
        """Wait until the app has left; its exit status."""
        until("the app to leave (its exit status written)", lambda: self.rc() is not None,
              timeout, interval=0.05, detail=lambda: f"screen:\n{self.screen()}")
        return self.rc() or ""

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.server, "kill-server"], capture_output=True,
                       timeout=DEADLINE)


class Terminal(Tmux):
    """nlshell in tmux at 120x40, HOME and the XDG directories in the test's tmp dir."""

    def __init__(self, tmpdir: str) -> None:
        env = nlshell_env(
            HOME=tmpdir,
            XDG_STATE_HOME=os.path.join(tmpdir, "state"),
            XDG_DATA_HOME=os.path.join(tmpdir, "data"),
            XDG_CONFIG_HOME=os.path.join(tmpdir, "config"),
        )
        env.pop("NO_COLOR", None)
        super().__init__(tmpdir, 120, 40, env=env, cwd=tmpdir)

    def run(self, line: str, prompt: str, then: str | None = None) -> str:
        """Type a line at `prompt`, Enter, and wait for an empty prompt (`then`, if the
        line changes it) after it."""
        marker = f"{prompt}{line}"
        self.type(line)
        self.wait(f"{line!r} typed", lambda s: marker in s)
        self.keys("Enter")
        return self.wait(f"the prompt after {line!r}",
                         lambda s: prompt_after(s, marker, then or prompt))


def prompt_after(screen: str, marker: str, prompt: str) -> bool:
    lines = screen.splitlines()
    idx = max((i for i, line in enumerate(lines) if marker in line), default=None)
    if idx is None:
        return False
    return any(line.rstrip() == prompt.rstrip() for line in lines[idx + 1:])
