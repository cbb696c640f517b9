"""The history file: ``$XDG_STATE_HOME/nlshell/history`` (``~/.local/state/...``), mode 0600.

Commands may name addresses and namespaces nobody else should read, so the file (and its
directory, 0700) are private from the first write on, and are opened by the rules of
`safefile` (no symbolic links, regular files we own only: nlshell often runs as root in a
HOME someone else may control). prompt_toolkit's file format is kept; only the newest
``size`` entries are loaded, from the file's tail (a huge file costs no more than a small
one), and the file is rewritten shorter when it grows past that.

The shell never fails because of its history: a file it cannot use at start-up leaves the
history in memory (one line says why); a write that fails later (full disk, no fds, the
file replaced by something else) says so once and the session goes on without the file.
"""

from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Callable, Iterable, Mapping

from prompt_toolkit.history import History

from nlshell.shell.safefile import DIR_MODE, FILE_MODE, open_private, private_dir, replace_private

__all__ = ["DIR_MODE", "FILE_MODE", "ShellHistory", "history_path"]

SLACK = 1.25  # rewrite once the file holds this many times `size` entries
ENTRY_BYTES = 256  # tail read per entry kept: a 5,000-entry history reads at most 1.25 MB
MIN_TAIL = 1 << 18
MAX_TAIL = 1 << 24


def history_path(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    home = env.get("HOME") or os.path.expanduser("~")
    base = env.get("XDG_STATE_HOME") or os.path.join(home, ".local", "state")
    return os.path.join(base, "nlshell", "history")


def _entries(data: bytes) -> tuple[list[list[str]], int]:
    """prompt_toolkit's format: '# time' lines start an entry, '+text' lines hold it.
    Returns the entries and how many were dropped for holding non-text bytes."""
    out: list[list[str]] = []
    bad = 0
    current: list[str] = []
    broken = False
    for raw in data.split(b"\n"):
        if raw.startswith(b"+"):
            try:
                text = raw[1:].decode("utf-8")
            except UnicodeDecodeError:
                broken = True
                continue
            if "\0" in text:
                broken = True
                continue
            current.append(text.rstrip("\r"))
        elif current or broken:
            if broken:
                bad += 1
            else:
                out.append(current)
            current, broken = [], False
    if broken:
        bad += 1
    elif current:
        out.append(current)
    return out, bad


def _encode(lines: Iterable[str], stamp: str) -> bytes:
    return (f"\n# {stamp}\n" + "".join(f"+{line}\n" for line in lines)).encode(
        "utf-8", errors="replace")


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")


class ShellHistory(History):
    """The history file, private and bounded (see the module docstring).

    ``warn(line)`` prints a one-line warning (default: stderr). Construction raises OSError
    (with a one-line ``strerror``) when the file cannot be used at all.
    """

    def __init__(self, path: str, size: int = 5000,
                 warn: Callable[[str], object] | None = None) -> None:
        super().__init__()
        self.filename = path
        self.directory, self.name = os.path.split(os.path.abspath(path))
        self.size = max(size, 1)
        self.tail = min(max(self.size * ENTRY_BYTES, MIN_TAIL), MAX_TAIL)
        self.warn = warn or _say
        self.broken: str | None = None  # why the file is no longer written, once said
        self._first: list[list[str]] | None = None
        with private_dir(self.directory) as dfd, \
                open_private(dfd, self.name, path, os.O_RDWR | os.O_CREAT) as fd:
            entries, bad, whole = self._read_tail(fd)
        if bad:
            self.warn(f"nlshell: {path}: {bad} history entries hold non-text bytes; "
                      "they were skipped")
        if not whole or len(entries) > self.size * SLACK or bad:
            self._rewrite(entries[-self.size:])
        self._first = entries[-self.size:]

    def _read_tail(self, fd: int) -> tuple[list[list[str]], int, bool]:
        """The entries in the last `tail` bytes (the first, maybe cut, one dropped when the
        file is longer), how many were unreadable, whether the whole file was read."""
        size = os.fstat(fd).st_size
        start = max(0, size - self.tail)
        data = os.pread(fd, size - start, start) if size else b""
        if start:
            cut = data.find(b"\n#")
            data = data[cut + 1:] if cut >= 0 else b""
        entries, bad = _entries(data)
        return entries, bad, start == 0

    def _rewrite(self, entries: list[list[str]]) -> None:
        stamp = "trimmed"
        with private_dir(self.directory) as dfd:
            replace_private(dfd, self.name, (_encode(lines, stamp) for lines in entries))

    # --- prompt_toolkit's History ---------------------------------------------------------

    def load_history_strings(self) -> Iterable[str]:
        entries = self._first
        self._first = None
        if entries is None:
            try:
                with private_dir(self.directory) as dfd, \
                        open_private(dfd, self.name, self.filename, os.O_RDONLY) as fd:
                    entries, _bad, _whole = self._read_tail(fd)
            except OSError as exc:
                self._fail(exc)
                return
            entries = entries[-self.size:]
        for lines in reversed(entries):
            yield "\n".join(lines)

    def store_string(self, string: str) -> None:
        """Append one entry; a failure is said once and the file is left alone after it."""
        if self.broken is not None:
            return
        data = _encode(string.split("\n"), str(datetime.datetime.now()))
        try:
            with private_dir(self.directory) as dfd, \
                    open_private(dfd, self.name, self.filename,
                                 os.O_WRONLY | os.O_APPEND | os.O_CREAT) as fd:
                # one write on O_APPEND (shells sharing the file interleave whole entries);
                # a short one (disk full) ends in the OSError of the next
                while data:
                    data = data[os.write(fd, data):]
        except OSError as exc:  # full disk, no fds left, the file replaced...
            self._fail(exc)

    def _fail(self, exc: OSError) -> None:
        if self.broken is not None:
            return
        self.broken = str(exc.strerror or exc)
        where = exc.filename or self.filename
        self.warn(f"nlshell: cannot write the history file ({where}: {self.broken}); "
                  "history is kept for this session only")
