"""The watchdog of ``commit confirm N``: a child process that rolls a namespace back to a
before-image when its timer fires, unless told to stand down first.

    dog = Watchdog(before, ns_fd, 60, on_end=report)   # armed once this returns
    dog.confirm()                                       # stand down: ['stood down'] ...

It runs in its own session (a SIGHUP to the terminal's process group does not reach it)
and holds what it needs itself: the namespace (an nsfs fd handed over at start) and the
before-image (raw netlink messages, read from its stdin at start). Its stdin stays open as
the control channel: a ``c`` stands it down; end-of-file means the shell is gone (closed
terminal, dropped SSH link, killed), and the timer goes on. When it fires, the namespace is
restored (journal.undo) and the report goes to its stdout, one line each:
``changed WHAT``, ``undone N`` (requests sent), ``note WHAT`` (not exact), or ``failed WHY``;
``stood down`` after a ``c``. Nobody reading (the shell died) is fine.

    python -m nlshell.engine.watchdog NS_FD SECONDS     # (what Watchdog runs)
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from . import journal

READY = "ready"
STOOD_DOWN = "stood down"
STAND_DOWN = b"c"
START_TIMEOUT = 60.0  # seconds for the child to read the before-image and say it is armed


class Watchdog:
    """One armed watchdog process (see the module docstring). ``on_end(lines)`` is called
    in a reader thread with its report once it has ended (stood down or fired)."""

    def __init__(self, before: journal.State, ns_fd: int, seconds: float,
                 on_end: Callable[[list[str]], Any] | None = None) -> None:
        self.seconds = seconds
        self.on_end = on_end
        self.report: list[str] = []
        self.done = threading.Event()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nlshell.engine.watchdog", str(ns_fd), str(seconds)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            pass_fds=(ns_fd,), start_new_session=True, close_fds=True)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        image = journal.dump_state(before)
        try:
            self.proc.stdin.write(len(image).to_bytes(8, "little") + image)
            self.proc.stdin.flush()
            ready = self._readline(START_TIMEOUT)
        except OSError as exc:
            ready = f"failed {exc}"
        if ready != READY:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"the rollback timer did not start ({ready or 'no answer'})")
        self.deadline = time.monotonic() + seconds
        threading.Thread(target=self._read, daemon=True, name="nlshell-watchdog").start()

    def _readline(self, timeout: float) -> str:
        fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        if not select.select([fd], [], [], timeout)[0]:
            return ""
        return self.proc.stdout.readline().decode(errors="replace").rstrip("\n")  # type: ignore[union-attr]

    def _read(self) -> None:
        lines = [line.decode(errors="replace").rstrip("\n")
                 for line in self.proc.stdout]  # type: ignore[union-attr]
        self.proc.wait()
        self.report = lines or [f"failed the watchdog ended with status {self.proc.returncode}"]
        self.done.set()
        if self.on_end is not None:
            self.on_end(self.report)

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def confirm(self, timeout: float = 600.0) -> list[str]:
        """Stand it down; its report: [STOOD_DOWN], or the rollback's if it had fired."""
        try:
            self.proc.stdin.write(STAND_DOWN)  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
        except OSError:
            pass  # it has ended already: its report says how
        self.done.wait(timeout)
        return self.report

    def detach(self) -> None:
        """Let it run on without us (the shell leaves): the timer goes on."""
        try:
            self.proc.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass


def _say(line: str) -> None:
    try:
        os.write(1, (line + "\n").encode())
    except OSError:  # nobody reads any more (the shell is gone): roll back all the same
        pass


def _read_image(fd: int) -> bytes:
    head = b""
    while len(head) < 8:
        chunk = os.read(fd, 8 - len(head))
        if not chunk:
            raise EOFError("no before-image")
        head += chunk
    size = int.from_bytes(head, "little")
    parts, got = [], 0
    while got < size:
        chunk = os.read(fd, min(size - got, 1 << 20))
        if not chunk:
            raise EOFError("before-image cut short")
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def main(argv: list[str]) -> int:
    # losing the terminal or a Ctrl-C meant for the shell must not stop the timer
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_IGN)
    ns_fd, seconds = int(argv[0]), float(argv[1])
    try:
        before = journal.load_state(_read_image(0))
    except (EOFError, ValueError, OSError) as exc:
        _say(f"failed {exc}")
        return 1
    deadline = time.monotonic() + seconds
    _say(READY)
    listening = True
    while (left := deadline - time.monotonic()) > 0:
        if not listening:
            time.sleep(left)
            continue
        if select.select([0], [], [], left)[0]:
            data = os.read(0, 64)
            if not data:
                listening = False  # the shell is gone: the timer goes on
            elif STAND_DOWN in data:
                _say(STOOD_DOWN)
                return 0
    from .iproute import IPRoute

    try:
        with IPRoute(netns=ns_fd) as ipr:
            changed, sent, notes = journal.undo(ipr, before)
    except Exception as exc:  # noqa: BLE001 - said on the report, whatever it was
        _say(f"failed {exc}")
        return 1
    for what in changed:
        _say(f"changed {what}")
    _say(f"undone {sent}")
    for note in notes:
        _say(f"note {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
