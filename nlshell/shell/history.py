"""The history file: ``$XDG_STATE_HOME/nlshell/history`` (``~/.local/state/...``), mode 0600.

Commands may name addresses and namespaces nobody else should read, so the file (and its
directory, 0700) are private from the first write on. prompt_toolkit's file format is kept;
only the newest ``size`` entries are loaded, and the file is trimmed when it grows past that.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping

from prompt_toolkit.history import FileHistory

FILE_MODE = 0o600
DIR_MODE = 0o700
SLACK = 1.25  # trim once the file holds this many times `size` entries


def history_path(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    home = env.get("HOME") or os.path.expanduser("~")
    base = env.get("XDG_STATE_HOME") or os.path.join(home, ".local", "state")
    return os.path.join(base, "nlshell", "history")


def ensure_private(path: str) -> None:
    """Create the file (and its directory) if missing; make it 0600 either way."""
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, mode=DIR_MODE, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # an older file made with looser bits
    finally:
        os.close(fd)


def _entries(data: bytes) -> list[list[str]]:
    """prompt_toolkit's format: '# time' lines start an entry, '+text' lines hold it."""
    out: list[list[str]] = []
    current: list[str] = []
    for raw in data.decode("utf-8", errors="replace").splitlines():
        if raw.startswith("+"):
            current.append(raw[1:])
        elif current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


class ShellHistory(FileHistory):
    """FileHistory kept private and bounded (see the module docstring)."""

    def __init__(self, path: str, size: int = 5000) -> None:
        ensure_private(path)
        self.size = max(size, 1)
        super().__init__(path)
        self._trim()

    def load_history_strings(self) -> Iterable[str]:
        with open(self.filename, "rb") as fh:
            entries = _entries(fh.read())
        for lines in reversed(entries[-self.size:]):
            yield "\n".join(lines)

    def store_string(self, string: str) -> None:
        ensure_private(str(self.filename))
        super().store_string(string)

    def _trim(self) -> None:
        with open(self.filename, "rb") as fh:
            data = fh.read()
        entries = _entries(data)
        if len(entries) <= self.size * SLACK:
            return
        keep = entries[-self.size:]
        tmp = f"{self.filename}.tmp{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as fh:
                for lines in keep:
                    fh.write(b"\n# trimmed\n")
                    fh.writelines(f"+{line}\n".encode() for line in lines)
            os.replace(tmp, self.filename)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
