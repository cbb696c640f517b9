"""Opening the shell's own files under XDG directories without being steered elsewhere.

nlshell often runs as root with a HOME or XDG_*_HOME another user may control (sudo keeping
HOME, a shared directory). The rules, shared by the history and config files:

- A private directory (the history's) is created 0700. An existing one must be a directory
  we own: a group/world-writable or readable one of ours is made 0700; one owned by someone
  else is refused (we cannot make it safe, and using it would let its owner plant links).
  A symbolic link in its place is followed only if we own the link (we made it).
- Files we write are opened relative to that directory's fd with O_NOFOLLOW: a symbolic link
  in their place is refused, as is anything but a regular file we own with one link (a
  FIFO, a device, a directory, a hard link to another file). Only the fd we opened is
  fchmod-ed.
- Files are rewritten through a new file (O_CREAT|O_EXCL|O_NOFOLLOW, unpredictable name)
  in the same directory, then renamed over the old one.
- Files we only read (the config) may be a symbolic link we own (dotfile managers make
  them); they are opened non-blocking (a FIFO never hangs the shell) and must be regular.

Every refusal is an `UnsafeFile` (an OSError) whose text is one line naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterable, Iterator

DIR_MODE = 0o700
FILE_MODE = 0o600
_OPEN = os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK


class UnsafeFile(OSError):
    """A file or directory nlshell will not use; ``strerror`` says why, ``filename`` names it."""

    def __init__(self, path: str, why: str) -> None:
        super().__init__(errno.EPERM, why, path)

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def _owned_link(path: str) -> bool:
    """Whether ``path`` is a symbolic link made by us (or by root, who could anyway)."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISLNK(st.st_mode) and st.st_uid in (os.geteuid(), 0)


@contextlib.contextmanager
def private_dir(path: str) -> Iterator[int]:
    """An fd of directory ``path`` made safe (see the module docstring); closed after."""
    if not os.path.lexists(path):
        os.makedirs(path, mode=DIR_MODE, exist_ok=True)
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        if not _owned_link(path):
            why = "is a symbolic link someone else made" if os.path.islink(path) else \
                "is not a directory"
            raise UnsafeFile(path, why) from None
        fd = os.open(path, flags)  # our own link: follow it, then check what it names
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid():
            raise UnsafeFile(path, f"directory belongs to uid {st.st_uid}, not to you "
                                   f"(uid {os.geteuid()})")
        if stat.S_IMODE(st.st_mode) & 0o077:
            os.fchmod(fd, DIR_MODE)  # ours but open to others: make it private
        yield fd
    finally:
        os.close(fd)


def _checked(fd: int, path: str, *, owned: bool) -> os.stat_result:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeFile(path, "not a regular file")
    if owned and st.st_uid != os.geteuid():
        raise UnsafeFile(path, f"belongs to uid {st.st_uid}, not to you (uid {os.geteuid()})")
    if owned and st.st_nlink != 1:
        raise UnsafeFile(path, "has other hard links")
    return st


def _refusal(exc: OSError, path: str) -> OSError:
    """The error to raise for a failed open: links and FIFOs named as such."""
    if exc.errno == errno.ELOOP:
        return UnsafeFile(path, "is a symbolic link")
    if exc.errno in (errno.ENXIO, errno.EISDIR, errno.ENODEV):
        return UnsafeFile(path, "not a regular file")
    return exc


@contextlib.contextmanager
def open_private(dir_fd: int, name: str, path: str, flags: int) -> Iterator[int]:
    """An fd of our private regular file ``name`` in ``dir_fd`` (``path`` for messages),
    opened with ``flags`` (plus O_CREAT: mode 0600); looser bits on it are removed."""
    try:
        fd = os.open(name, flags | _OPEN, FILE_MODE, dir_fd=dir_fd)
    except OSError as exc:
        raise _refusal(exc, path) from None
    try:
        st = _checked(fd, path, owned=True)
        if stat.S_IMODE(st.st_mode) & 0o077:
            os.fchmod(fd, FILE_MODE)  # only the file we opened, which is ours
        os.set_blocking(fd, True)
        yield fd
    finally:
        os.close(fd)


def replace_private(dir_fd: int, name: str, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to a new private file in ``dir_fd`` and rename it over ``name``."""
    tmp = f".{name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                 FILE_MODE, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.writelines(chunks)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise


def read_regular(path: str, limit: int) -> bytes:
    """The bytes of a regular file we read (a link we own is followed); at most ``limit``
    bytes, else UnsafeFile. FileNotFoundError passes through."""
    flags = os.O_RDONLY | _OPEN
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno != errno.ELOOP or not _owned_link(path):
            raise _refusal(exc, path) from None
        fd = os.open(path, flags & ~os.O_NOFOLLOW)
    try:
        st = _checked(fd, path, owned=False)
        if st.st_size > limit:
            raise UnsafeFile(path, f"too big ({st.st_size} bytes; at most {limit})")
        os.set_blocking(fd, True)
        with os.fdopen(os.dup(fd), "rb") as fh:
            return fh.read(limit + 1)[:limit]
    finally:
        os.close(fd)
