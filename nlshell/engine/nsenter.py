"""Entering a network namespace: the low level under ``netns`` and ``socket``.

Linux keeps the network namespace per *task*, and every Python thread is a task, so
:func:`run_in_netns` runs a function in a short-lived thread that ``setns()`` into the
namespace and then ends, instead of switching back; the caller never moves, and sockets
created there stay bound to that namespace for life.

This module imports nothing of the engine, so that ``socket`` can use it at import time
while ``netns`` (which opens sockets for its nsid requests) builds on both. ``netns``
re-exports the public names here. Standard library only: libc's setns through ctypes'
C module (``os.setns`` exists only from Python 3.12).
"""

from __future__ import annotations

import _thread  # not threading: that imports functools and collections (start-up time)
import errno
import os

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar('T')

NETNS_RUN_DIR = '/run/netns'

CLONE_NEWNET = 0x40000000
NAME_MAX = 255
NS_GET_NSTYPE = 0xb703  # ioctl, Linux >= 4.11: which kind of namespace an nsfs fd is

NsSpec = str | int  # a name in NETNS_RUN_DIR, an absolute path, or an open fd


class NamespaceNotFound(FileNotFoundError):
    """A network namespace (name, path or process) that does not exist."""


def once(fn: Callable[[], T]) -> Callable[[], T]:
    """``functools.cache`` for a function of no arguments (functools is not imported at
    start-up): the first call's result, kept."""
    kept: list[Any] = []

    def first_result() -> T:
        if not kept:
            kept.append(fn())
        return kept[0]

    first_result.__name__, first_result.__doc__ = fn.__name__, fn.__doc__
    return first_result


# --- libc -----------------------------------------------------------------------------------

@once
def libc() -> Any:
    """libc through ctypes, with setns typed; ``netns`` adds the calls it needs.

    Loaded on first use: ctypes is not free to import and most users of the engine never
    leave their own namespace.
    """
    import ctypes

    lib = ctypes.CDLL(None, use_errno=True)
    lib.setns.argtypes = [ctypes.c_int, ctypes.c_int]
    return lib


def check(ret: int, what: str) -> None:
    """Turn a failed libc call's return value into OSError(errno)."""
    if ret != 0:
        import ctypes

        code = ctypes.get_errno()
        raise OSError(code, f'{what}: {os.strerror(code)}')


@once
def _setns() -> Callable[[int, int], int]:
    """setns(2): ``os.setns`` (Python >= 3.12), else libc's, bound with ctypes' C module
    alone (the `ctypes` package builds dozens of types at import: about 1 ms of the
    start-up of ``nlshell -n NS``). The libc call returns -1 and keeps errno for
    `_ctypes.get_errno`."""
    if hasattr(os, 'setns'):
        return os.setns  # raises OSError itself
    import _ctypes

    class CInt(_ctypes._SimpleCData):
        _type_ = 'i'

    class LibcFunction(_ctypes.CFuncPtr):
        _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
        _restype_ = CInt

    class Process:  # where the symbol is looked up: the process's own (libc among them)
        _handle = _ctypes.dlopen(None, os.RTLD_NOW)

    function = LibcFunction(('setns', Process()))
    function.argtypes = (CInt, CInt)
    return function


def sys_setns(fd: int, nstype: int = CLONE_NEWNET) -> None:
    if _setns()(fd, nstype):  # only the libc call returns (-1 on failure)
        import _ctypes

        code = _ctypes.get_errno()
        raise OSError(code, f'setns: {os.strerror(code)}')


# --- names and paths ------------------------------------------------------------------------

def validate_name(name: str, *, new: bool = False) -> str:
    """Return ``name`` if it can be a file name in NETNS_RUN_DIR, else raise ValueError.

    Always refused: non-strings (TypeError), '', '.', '..', anything with '/' or NUL, more
    than 255 bytes. With ``new=True`` (names we are about to create) also refused: a leading
    '-' (it reads as an option to ``ip`` and to our own command line) and control characters
    (they break ``ip netns list`` output). Lookups stay lenient so that a namespace someone
    else made with such a name can still be opened and removed.
    """
    if not isinstance(name, str):
        raise TypeError(f'network namespace name must be a string, not {name!r}')
    why = name_problem(name, new=new)
    if why:
        raise ValueError(f'invalid network namespace name {name!r}: {why}')
    return name


def name_problem(name: str, *, new: bool = False) -> str | None:
    """Why ``name`` cannot be a namespace name (see validate_name), or None."""
    if name in ('', '.', '..'):
        return 'empty' if not name else 'reserved name'
    if '/' in name:
        return "contains '/'"
    if '\0' in name:
        return 'contains NUL'
    if len(os.fsencode(name)) > NAME_MAX:
        return f'longer than {NAME_MAX} bytes'
    if new and name.startswith('-'):
        return "starts with '-'"
    if new and any(ord(c) < 0x20 or ord(c) == 0x7f for c in name):
        return 'contains a control character'
    return None


def ns_path(ns: str) -> str:
    """A name -> ``/run/netns/NAME`` (validated); an absolute path is returned as is."""
    if isinstance(ns, str) and ns.startswith('/'):
        return ns
    return os.path.join(NETNS_RUN_DIR, validate_name(ns))


def not_found(ns: object) -> NamespaceNotFound:
    """The error for a namespace that does not exist, naming it."""
    return NamespaceNotFound(errno.ENOENT, f'network namespace {ns!r} does not exist')


def open_ns_fd(ns: NsSpec) -> int:
    """An fd (close-on-exec) for ``ns``: a name, an absolute path, or an fd (duplicated).

    The caller owns the fd. A missing namespace raises NamespaceNotFound (a
    FileNotFoundError) and nothing is created.
    """
    if isinstance(ns, bool):
        raise TypeError(f'not a network namespace: {ns!r}')
    if isinstance(ns, int):
        try:
            fd = os.dup(ns)  # os.dup makes the copy non-inheritable
        except OSError as e:
            raise OSError(e.errno, f'network namespace fd {ns}: {e.strerror}') from None
    else:
        try:
            # O_NONBLOCK: a FIFO given by mistake must not hang the open
            fd = os.open(ns_path(ns), os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            raise not_found(ns) from None
    if not _is_netns_fd(fd):
        os.close(fd)
        raise ValueError(f'{ns!r} is not a network namespace')
    return fd


@once
def nsfs_dev() -> int:
    """The device all nsfs files share (a bind-mounted namespace file shows it)."""
    return os.stat('/proc/self/ns/net').st_dev


def _is_netns_fd(fd: int) -> bool:
    """Catch a bare or foreign file early (a half-made /run/netns entry, a typo'd path)."""
    import fcntl

    try:
        return fcntl.ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET
    except OSError:
        # not nsfs, or an older kernel without the ioctl: nsfs files share one device
        return os.fstat(fd).st_dev == nsfs_dev()


# --- running code inside a namespace --------------------------------------------------------

def enter(fd: int, ns: object) -> None:
    """setns(fd) for the calling thread, with an error that names ``ns``."""
    try:
        sys_setns(fd)
    except OSError as e:
        if e.errno == errno.EINVAL:  # an fd, but not of a network namespace
            raise ValueError(f'{ns!r} is not a network namespace') from None
        raise OSError(e.errno, f'cannot enter network namespace {ns!r}: {e.strerror}') from None


def in_new_thread(fd: int | None, ns: object, fn: Callable[..., T], *args: Any,
                  **kwargs: Any) -> T:
    """Run fn in a fresh thread, after entering ``fd`` if given; the thread then ends.

    The thread owns fd and closes it right after setns: if the caller is interrupted while
    joining, it must not close an fd number the thread has yet to use.
    """
    box: dict[str, Any] = {}
    # the thread is started with _thread (threading costs start-up time); this lock,
    # held until the worker ends, is how the caller waits for it (a join)
    done = _thread.allocate_lock()
    done.acquire()

    def worker() -> None:
        try:
            if fd is not None:
                try:
                    enter(fd, ns)
                finally:
                    os.close(fd)
            box['result'] = fn(*args, **kwargs)
        except BaseException as e:  # handed to the caller, whatever it is
            box['error'] = e
        finally:
            done.release()

    try:
        _thread.start_new_thread(worker, ())
    except BaseException:
        if fd is not None:
            os.close(fd)
        raise
    with done:  # the worker has ended
        pass
    if 'error' in box:
        raise box.pop('error')
    return box['result']


def run_in_netns(ns: NsSpec, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn(*args, **kwargs)`` inside network namespace ``ns`` and return its result.

    ``ns`` is a name, an absolute path or an fd. fn runs in a dedicated thread that enters
    the namespace and then ends, so the calling thread never changes namespace, and sockets
    fn creates belong to ``ns`` for life. fn's exception is re-raised here. Safe to call from
    many threads at once.
    """
    if not callable(fn):
        raise TypeError(f'run_in_netns needs a callable, not {fn!r}')
    return in_new_thread(open_ns_fd(ns), ns, fn, *args, **kwargs)


__all__ = [
    'CLONE_NEWNET', 'NETNS_RUN_DIR', 'NamespaceNotFound', 'NsSpec', 'check', 'enter',
    'in_new_thread', 'libc', 'not_found', 'ns_path', 'nsfs_dev', 'open_ns_fd', 'run_in_netns',
    'sys_setns', 'validate_name',
]
