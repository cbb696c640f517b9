"""Named network namespaces, and running code inside one.

A namespace is named the iproute2 way: an nsfs bind mount at ``/run/netns/NAME``, so
``ip netns list``, ``ip netns exec``, ``ip -n NAME`` and ``ip netns del`` all see ours and
we see theirs.

Linux keeps the network namespace per *task*, and every Python thread is a task. So:

* :func:`run_in_netns` runs a function in a short-lived thread that ``setns()`` into the
  namespace; the thread ends afterwards instead of switching back, and the caller never
  moves. Sockets created there stay bound to that namespace for life. It lives in
  ``nsenter`` (with :func:`open_ns_fd`, :func:`ns_path` and :func:`validate_name`), which
  imports nothing of the engine, and is re-exported here.
* :func:`create` unshares a new namespace in a throwaway thread and pins it with a bind
  mount; the calling thread is untouched.
* :func:`setns`, :func:`pushns` and :func:`popns` (pyroute2's names) move the *calling
  thread* only. In the main thread of a single-threaded program that is the whole process,
  as with pyroute2; anywhere else it is one thread, and threads it starts inherit it.

Names: :func:`validate_name` is lenient for looking up (any name a directory entry can have)
and strict for making new names (see there). Functions that create or delete files
(:func:`create`, :func:`remove`, :func:`attach`) accept names only, never paths, so that a
stray ``/etc/...`` can never be unlinked.

nsids (the ids one namespace gives another, carried by events heard with
``IPRoute(all_ns=True)``): :func:`get_nsid`, :func:`set_nsid`, and :func:`nsid_map` to name
them; the requests go through the engine's NetlinkSocket opened in the observing namespace.

Standard library only: libc's unshare/mount/umount2 through ctypes (setns is in
``nsenter``; ``os.setns`` and ``os.unshare`` exist only from Python 3.12).
"""

from __future__ import annotations

import errno
import functools
import os
import threading
from typing import Any

from .codec import constants as C
from .errors import NetlinkError
from .nsenter import (
    CLONE_NEWNET,
    NETNS_RUN_DIR,
    NamespaceNotFound,
    NsSpec,
    libc,
    ns_path,
    open_ns_fd,
    run_in_netns,
    validate_name,
)
from .nsenter import check as _check
from .nsenter import enter as _enter
from .nsenter import in_new_thread as _in_new_thread
from .nsenter import not_found as _not_found
from .nsenter import nsfs_dev as _nsfs_dev
from .nsenter import sys_setns as _sys_setns

MS_BIND = 0x1000
MS_REC = 0x4000
MS_SHARED = 1 << 20
MNT_DETACH = 2


class NamespaceExists(FileExistsError):
    """A name that is already taken in NETNS_RUN_DIR."""


# --- libc -----------------------------------------------------------------------------------

@functools.cache
def _libc() -> Any:
    import ctypes

    lib = libc()  # setns is typed there; the calls that make and pin namespaces are ours
    lib.unshare.argtypes = [ctypes.c_int]
    lib.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                          ctypes.c_ulong, ctypes.c_void_p]
    lib.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    return lib


def _sys_unshare(flags: int) -> None:
    _check(_libc().unshare(flags), 'unshare')


def _sys_mount(source: str | None, target: str, flags: int) -> None:
    src = os.fsencode(source) if source is not None else b'none'
    _check(_libc().mount(src, os.fsencode(target), b'none', flags, None), f'mount {target}')


def _sys_umount2(target: str, flags: int) -> None:
    _check(_libc().umount2(os.fsencode(target), flags), f'umount {target}')


# --- names and paths ------------------------------------------------------------------------

def _said(value: object, limit: int = 60) -> str:
    """A caller's value as a message repeats it: repr (control characters escaped), cut."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + '…'


def _name_only(name: str, new: bool = False) -> str:
    # Creating and deleting take names only: a path here would let remove() unlink anything.
    if isinstance(name, str) and name.startswith('/'):
        raise ValueError(f'expected a network namespace name, not a path: {_said(name)}')
    return os.path.join(NETNS_RUN_DIR, validate_name(name, new=new))


def _ns_key(ns: NsSpec) -> tuple[int, int]:
    # A namespace's identity: nsfs inode and device.
    if isinstance(ns, int) and not isinstance(ns, bool):
        st = os.fstat(ns)
    else:
        try:
            st = os.stat(ns_path(ns))
        except FileNotFoundError:
            raise _not_found(ns) from None
    return st.st_dev, st.st_ino


@functools.cache
def _have_thread_self() -> bool:
    return os.path.exists('/proc/thread-self')  # Linux >= 3.17


def _own_ns_path() -> str:
    """The calling thread's net namespace file (``/proc/self`` would be the main thread's)."""
    if _have_thread_self():
        return '/proc/thread-self/ns/net'
    return f'/proc/self/task/{threading.get_native_id()}/ns/net'


def current_ns_inode() -> int:
    """Inode of the calling thread's network namespace (as in ``net:[INODE]``)."""
    return os.stat(_own_ns_path()).st_ino


def same_ns(a: NsSpec, b: NsSpec) -> bool:
    """True if ``a`` and ``b`` (names, paths or fds) are the same network namespace."""
    return _ns_key(a) == _ns_key(b)


# --- running code inside a namespace --------------------------------------------------------

def setns(ns: NsSpec, flags: int = 0) -> None:
    """Move the *calling thread* into network namespace ``ns`` (name, path or fd).

    ``flags``: ``os.O_CREAT`` creates a missing named namespace first; with ``os.O_EXCL`` too,
    an existing one is an error. Unlike pyroute2 the default (0) never creates, so a typo
    cannot make a namespace.
    """
    if flags & os.O_CREAT and isinstance(ns, str) and not ns.startswith('/'):
        ensure(ns, exclusive=bool(flags & os.O_EXCL))
    fd = open_ns_fd(ns)
    try:
        _enter(fd, ns)
    finally:
        os.close(fd)


_saved = threading.local()


def pushns(ns: NsSpec | None = None) -> None:
    """Remember the calling thread's namespace on a per-thread stack, then enter ``ns``."""
    fd = os.open(_own_ns_path(), os.O_RDONLY | os.O_CLOEXEC)
    stack = _saved.__dict__.setdefault('stack', [])
    stack.append(fd)
    if ns is not None:
        try:
            setns(ns)
        except BaseException:
            os.close(stack.pop())
            raise


def popns() -> None:
    """Return the calling thread to the namespace saved by the matching :func:`pushns`."""
    stack = _saved.__dict__.get('stack')
    if not stack:
        raise IndexError('popns: no namespace was pushed in this thread')
    fd = stack.pop()
    try:
        _sys_setns(fd)
    finally:
        os.close(fd)


# --- creating and removing ------------------------------------------------------------------

def _prepare_run_dir() -> None:
    """Make NETNS_RUN_DIR exist and be a shared mount point.

    Shared, so that a namespace mounted or unmounted here shows up in every mount namespace
    that got a copy of it (``ip netns exec`` makes one per command); without that, a copy
    would keep a deleted namespace alive. Propagation can only be set on a mount point, so a
    plain directory is first bind-mounted onto itself.
    """
    os.makedirs(NETNS_RUN_DIR, mode=0o755, exist_ok=True)
    try:
        _sys_mount(None, NETNS_RUN_DIR, MS_SHARED | MS_REC)
    except OSError as e:
        if e.errno != errno.EINVAL:  # EINVAL: not a mount point (yet)
            raise
        _sys_mount(NETNS_RUN_DIR, NETNS_RUN_DIR, MS_BIND | MS_REC)
        _sys_mount(None, NETNS_RUN_DIR, MS_SHARED | MS_REC)


def _new_mount_file(name: str, path: str) -> None:
    _prepare_run_dir()
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0))
    except FileExistsError:
        raise NamespaceExists(errno.EEXIST,
                              f'network namespace {name!r} already exists') from None


def _discard(path: str) -> None:
    """Remove the file of a name whose mount failed: nothing half-made is left behind."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _wait_mounted(path: str, timeout: float = 2.0) -> None:
    """Give a concurrent :func:`create` of the same name the moment between making the
    file and mounting the namespace on it; a file that stays bare is left for the caller's
    open to report."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.stat(path).st_dev == _nsfs_dev():
                return
        except FileNotFoundError:  # its creator failed and cleaned up
            return
        time.sleep(0.001)


def create(name: str, exist_ok: bool = False) -> str:
    """Create network namespace ``name`` like ``ip netns add`` and return its path.

    A taken name raises NamespaceExists (a FileExistsError) unless ``exist_ok``, which then
    returns the path of the existing one (two threads asking at once both succeed). On any
    failure nothing is left behind. The new namespace is made by a throwaway thread
    (unshare is per task).
    """
    path = _name_only(name, new=True)
    try:
        _new_mount_file(name, path)
    except NamespaceExists:
        if exist_ok:
            _wait_mounted(path)
            return path
        raise

    def make() -> None:
        _sys_unshare(CLONE_NEWNET)  # this thread only: it ends right after
        _sys_mount(_own_ns_path(), path, MS_BIND)  # the mount keeps the namespace alive

    try:
        _in_new_thread(None, name, make)
    except BaseException:
        _discard(path)
        raise
    return path


def ensure(name: str, exclusive: bool = False) -> str:
    """The path of namespace ``name``, created first if missing (``os.O_CREAT`` semantics).

    ``exclusive`` (``O_CREAT | O_EXCL``): an existing name raises NamespaceExists. An
    existing name is used as it is, even one :func:`create` would refuse to make.
    """
    path = ns_path(name)
    if not exclusive and os.path.lexists(path):
        _wait_mounted(path)  # it may be another thread's create() half-way
        return path
    return create(name, exist_ok=not exclusive)


def attach(name: str, pid: int) -> str:
    """Name the network namespace of process ``pid`` (like ``ip netns attach``)."""
    path = _name_only(name, new=True)
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        raise ValueError(f'invalid pid {pid!r}')
    source = f'/proc/{pid}/ns/net'
    try:
        os.stat(source)
    except PermissionError:  # the process exists; its namespace is not ours to name
        raise PermissionError(errno.EACCES,
                              f'permission denied reading the namespace of pid {pid}') from None
    except FileNotFoundError:
        raise ProcessLookupError(errno.ESRCH, f'no process with pid {pid}') from None
    _new_mount_file(name, path)
    try:
        _sys_mount(source, path, MS_BIND)
    except BaseException:
        _discard(path)
        raise
    return path


def remove(name: str) -> None:
    """Delete network namespace ``name`` like ``ip netns del``.

    The namespace itself lives on while processes or sockets still use it.
    """
    path = _name_only(name)
    if not os.path.lexists(path):
        raise _not_found(name)
    try:
        _sys_umount2(path, MNT_DETACH)
    except OSError as e:
        if e.errno != errno.EINVAL:  # EINVAL: a bare file, nothing mounted (half-made)
            raise
    try:
        os.unlink(path)
    except FileNotFoundError:
        raise _not_found(name) from None


def listnetns(nspath: str | None = None) -> list[str]:
    """Sorted names in ``nspath`` (default NETNS_RUN_DIR); [] if the directory is missing."""
    try:
        return sorted(os.listdir(nspath or NETNS_RUN_DIR))
    except FileNotFoundError:
        return []


def pids(ns: NsSpec) -> list[int]:
    """Sorted pids of processes whose network namespace is ``ns`` (name, path or fd)."""
    key = _ns_key(ns)
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            st = os.stat(f'/proc/{entry}/ns/net')
        except OSError:  # gone meanwhile, a kernel thread, or not ours to see
            continue
        if (st.st_dev, st.st_ino) == key:
            found.append(int(entry))
    return sorted(found)


def identify(pid: int) -> str | None:
    """The name in NETNS_RUN_DIR of the network namespace of process ``pid``, or None."""
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        raise ValueError(f'invalid pid {pid!r}')
    try:
        st = os.stat(f'/proc/{pid}/ns/net')
    except FileNotFoundError:
        raise ProcessLookupError(errno.ESRCH, f'no process with pid {pid}') from None
    for name in listnetns():
        try:
            if _ns_key(os.path.join(NETNS_RUN_DIR, name)) == (st.st_dev, st.st_ino):
                return name
        except OSError:
            continue
    return None


# --- nsid: the ids one namespace gives others ----------------------------------------------
# An nsid is local to the namespace that assigned it ("where"): namespace B may be 7 in A
# and unknown in C. Events heard with NETLINK_LISTEN_ALL_NSID carry the sender's nsid as
# seen from the listener; nsid_map() turns those ids back into names.

class NsidError(NetlinkError, OSError):
    """The kernel refused an nsid request: a NetlinkError (``.code``, ``.msg``, the kernel's
    own text) that is also an OSError (``.errno``) for callers of the stdlib kind."""


def _rtnl(where: NsSpec | None) -> Any:
    # Imported here only to keep `import netns` cheap (listing names needs no codec);
    # there is no cycle: socket.py depends on nsenter, not on this module.
    from .socket import NetlinkSocket

    return NetlinkSocket(netns=where, rcvbuf=None)  # one request or a few: no big buffer


def _nsid_call(sock: Any, msg_type: int, attrs: list[tuple[str, int]]) -> list[Any]:
    try:
        return sock.request(msg_type, fields={'family': 0}, attrs=attrs)
    except NetlinkError as e:
        raise NsidError(e.code, e.extack) from None  # extack: None when the kernel said nothing


def _ask_nsid(sock: Any, fd: int) -> int | None:

    for reply in _nsid_call(sock, C.RTM_GETNSID, [('NETNSA_FD', fd)]):
        nsid = reply.get_attr('NETNSA_NSID', C.NETNSA_NSID_NOT_ASSIGNED)
        return None if nsid == C.NETNSA_NSID_NOT_ASSIGNED else nsid
    return None


def get_nsid(ns: NsSpec, where: NsSpec | None = None) -> int | None:
    """The nsid that namespace ``where`` (default: the caller's) gives ``ns``, or None."""
    fd = open_ns_fd(ns)
    try:
        with _rtnl(where) as sock:
            return _ask_nsid(sock, fd)
    finally:
        os.close(fd)


def set_nsid(ns: NsSpec, nsid: int, where: NsSpec | None = None) -> int:
    """Give ``ns`` the id ``nsid`` as seen from ``where`` (default: the caller's namespace).

    ``nsid`` -1 lets the kernel pick one. Returns the id now assigned. An ns that already has
    an id, or an id already in use, raises NsidError (an OSError, errno EEXIST) with the
    kernel's message.
    """

    if isinstance(nsid, bool) or not isinstance(nsid, int) or not -1 <= nsid < 2 ** 31:
        raise ValueError(f'invalid nsid {nsid!r}: expected an integer from 0 to 2147483647, '
                         'or -1 for any')
    fd = open_ns_fd(ns)
    try:
        with _rtnl(where) as sock:
            _nsid_call(sock, C.RTM_NEWNSID, [('NETNSA_NSID', nsid), ('NETNSA_FD', fd)])
            got = _ask_nsid(sock, fd)
    finally:
        os.close(fd)
    if got is None:  # the kernel acked but shows no id: say so rather than return garbage
        raise OSError(errno.EIO, f'nsid for {_said(ns)} was not recorded')
    return got


def nsid_map(where: NsSpec | None = None) -> dict[int, str]:
    """``{nsid: name}`` for the named namespaces that ``where`` (default: the caller's
    namespace) has assigned an nsid to.

    Use it to name the source of events heard by ``IPRoute(all_ns=True)``: each message's
    ``.nsid`` is a key here (None means ``where`` itself). Namespaces without an nsid in
    ``where``, or without a name in NETNS_RUN_DIR, are absent. When one namespace has two
    names (:func:`attach`), the first in sorted order wins. One socket in ``where`` asks
    about every name; names vanishing meanwhile are skipped. For a cached lookup that
    refreshes itself on nsid events, see ``nlshell.engine.nsmap.NsidMap``.
    """
    found: dict[int, str] = {}
    with _rtnl(where) as sock:
        for name in listnetns():
            try:
                fd = open_ns_fd(name)
            except (OSError, ValueError):  # removed meanwhile, half-made, or not nsfs
                continue
            try:
                nsid = _ask_nsid(sock, fd)
            finally:
                os.close(fd)
            if nsid is not None:
                found.setdefault(nsid, name)
    return found


__all__ = [
    'NETNS_RUN_DIR', 'NamespaceExists', 'NamespaceNotFound', 'NsidError', 'attach', 'create',
    'current_ns_inode', 'ensure', 'get_nsid', 'identify', 'listnetns', 'ns_path', 'nsid_map',
    'open_ns_fd', 'pids', 'popns', 'pushns', 'remove', 'run_in_netns', 'same_ns', 'set_nsid',
    'setns', 'validate_name',
]
