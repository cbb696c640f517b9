"""The shell driven through prompt_toolkit pipe input, in-process: `Session(netns)`.

The session runs in a thread (its own event loop) exactly as `run_repl` runs it; keys go in
through a pipe, the output is a plain-text recorder, command output and errors go to
StringIO. State is polled with generous deadlines, never fixed sleeps.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output.plain_text import PlainTextOutput

from nlshell.commands.context import Context, Options
from nlshell.shell.config import ShellConfig
from nlshell.shell.repl import Shell
from support.wait import DEADLINE, until

EXIT_DEADLINE = 60.0  # seconds for the shell's thread to end after Ctrl-D


class Recorder(io.StringIO):
    """A terminal stand-in for PlainTextOutput (text only, fixed size)."""

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise io.UnsupportedOperation("no fd")


class Session:
    def __init__(self, netns: str | None, real_files: bool = False) -> None:
        """`real_files`: the config and history files of the environment (XDG_*), as
        `nlshell` uses them; else defaults and a history in memory."""
        self.out, self.err, self.screen = io.StringIO(), io.StringIO(), Recorder()
        self.above: list[str] = []
        self.ctx = Context(netns=netns, opts=Options(), out=self.out, err=self.err)
        self._pipe = create_pipe_input()
        self.input = self._pipe.__enter__()
        self.shell = Shell(self.ctx, input=self.input, output=PlainTextOutput(self.screen),
                           config=None if real_files else ShellConfig(),
                           history=None if real_files else InMemoryHistory(),
                           above=self.above.append)
        self.rc: list[int] = []
        self.lines_run = 0
        self._run_line = self.shell.run_line
        self.shell.run_line = self._count  # type: ignore[method-assign]
        self.thread = threading.Thread(target=lambda: self.rc.append(self.shell.run()),
                                       daemon=True)
        self.thread.start()
        self.wait("the prompt", lambda: self.app.is_running and self.shell.current_index()
                  is not None and self.shell.current_index().ready.is_set())

    @property
    def app(self) -> Any:
        return self.shell.session.app

    @property
    def text(self) -> str:
        return self.app.current_buffer.text

    def menu(self) -> list[str]:
        state = self.app.current_buffer.complete_state
        return [c.text for c in state.completions] if state else []

    def keys(self, data: str) -> None:
        self.input.send_text(data)

    def wait(self, what: str, pred: Callable[[], Any], timeout: float = DEADLINE) -> float:
        """Poll `pred()` until true; the seconds it took. Fails showing the line and output."""
        return until(what, pred, timeout, interval=0.01,
                     detail=lambda: f"line {self._line()!r}, stdout {self.out.getvalue()!r}, "
                                    f"stderr {self.err.getvalue()!r}")

    def _line(self) -> str:
        try:
            return self.text
        except Exception:  # noqa: BLE001
            return "?"

    def run(self, line: str) -> None:
        """Type a line and Enter; wait until it ran and the next prompt is up."""
        self.wait("an empty line", lambda: self.app.is_running and self.text == "")
        count = self.lines_run
        self.keys(line + "\r")
        self.wait(f"{line!r} to run", lambda: self.lines_run > count)
        self.wait("the next prompt", lambda: self.app.is_running and self.text == "")

    def _count(self, line: str) -> int:
        try:
            return self._run_line(line)
        finally:
            self.lines_run += 1

    def close(self) -> int:
        if self.thread.is_alive():
            self.keys("\x15\x04")  # clear the line, then Ctrl-D
            self.thread.join(EXIT_DEADLINE)
        self._pipe.__exit__(None, None, None)
        self.ctx.close()
        assert not self.thread.is_alive(), "the shell did not leave on Ctrl-D"
        return self.rc[0]
