"""nlshell.engine.netns against the real kernel, with `ip netns` / `ip -n` as the oracle.

Every namespace is named nlt-<pid>-<n> (support.testns.new_ns_name) and removed in a finally; the
session guard in conftest.py puts /run/netns back as it was found.
"""

from __future__ import annotations

import errno
import os
import socket
import threading
from collections.abc import Iterator

import pytest
from support.iporacle import ip, ip_names, ipj
from support.resources import fd_count, run_threads
from support.testns import NETNS_DIR, NS_PREFIX, new_ns_name, process_in_ns, requires_root, run_dir

from nlshell.engine import netns as N

pytestmark = requires_root


def thread_ns() -> int:
    """Inode of the calling thread's net namespace, read the way the kernel prints it."""
    link = os.readlink('/proc/thread-self/ns/net')  # 'net:[4026532177]'
    return int(link[link.index('[') + 1:-1])


# -- names -----------------------------------------------------------------------------------

BAD_NAMES = ['', 'a/b', '..', '.', 'x' * 300, 'a\0b', '/']


@pytest.mark.parametrize('bad', BAD_NAMES)
def test_bad_names_raise_and_create_nothing(bad: str) -> None:
    before = run_dir()
    for call in (N.validate_name, N.create, N.open_ns_fd, N.remove):
        with pytest.raises(ValueError) as info:
            call(bad)
        assert repr(bad) in str(info.value)
    with pytest.raises(ValueError, match='invalid|path'):
        N.attach(bad, os.getpid())
    assert run_dir() == before


def test_strict_only_for_new_names() -> None:
    # names someone else may have made stay reachable; we just do not make them
    assert N.ns_path('-x') == f'{NETNS_DIR}/-x'
    assert N.validate_name('x' * 255) == 'x' * 255
    before = run_dir()
    for bad in ('-x', 'a\nb', 'tab\there'):
        with pytest.raises(ValueError, match='invalid network namespace name'):
            N.create(bad)
    assert run_dir() == before


def test_non_strings_are_type_errors() -> None:
    for bad in (None, 3.5, b'abc'):
        with pytest.raises(TypeError):
            N.validate_name(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        N.open_ns_fd(True)  # type: ignore[arg-type]


def test_ns_path_and_paths_refused_where_files_change(tmp_path) -> None:
    assert N.ns_path('blue') == '/run/netns/blue'
    assert N.ns_path('/proc/1/ns/net') == '/proc/1/ns/net'
    victim = tmp_path / 'victim'
    victim.write_text('keep me')
    with pytest.raises(ValueError, match='not a path'):
        N.remove(str(victim))
    with pytest.raises(ValueError, match='not a path'):
        N.create(str(tmp_path / 'new'))
    assert victim.read_text() == 'keep me'
    assert not (tmp_path / 'new').exists()


# -- create / list / remove ------------------------------------------------------------------

def test_create_list_remove_seen_by_ip() -> None:
    name = new_ns_name()
    mine, process = thread_ns(), os.stat('/proc/self/ns/net').st_ino
    try:
        assert N.create(name) == f'{NETNS_DIR}/{name}'
        # unshare happened in a throwaway thread: neither this thread nor the process moved
        assert thread_ns() == mine and os.stat('/proc/self/ns/net').st_ino == process
        assert name in N.listnetns()
        assert N.listnetns() == sorted(N.listnetns())
        assert name in ip_names()
        assert [link['ifname'] for link in ipj(name, 'link')] == ['lo']
        out = ip('netns', 'exec', name, 'cat', '/proc/net/dev')  # exec works too
        assert 'lo:' in out and 'eth0' not in out
        assert not N.same_ns(name, '/proc/self/ns/net')
    finally:
        N.remove(name)
    assert name not in N.listnetns()
    assert name not in ip_names()


def test_ip_removes_ours_and_we_remove_ips() -> None:
    ours, theirs = new_ns_name(), new_ns_name()
    N.create(ours)
    ip('netns', 'del', ours)
    assert ours not in N.listnetns()
    ip('netns', 'add', theirs)
    try:
        assert theirs in N.listnetns()
    finally:
        N.remove(theirs)
    assert theirs not in ip_names()


def test_run_dir_is_a_shared_mount_point(made: str) -> None:
    with open('/proc/self/mountinfo') as f:
        rows = [line.split() for line in f]
    runs = [r for r in rows if r[4] == NETNS_DIR]
    assert runs, f'{NETNS_DIR} is not a mount point'
    assert any(field.startswith('shared:') for field in runs[-1][6:runs[-1].index('-')])
    assert any(r[4] == f'{NETNS_DIR}/{made}' and 'nsfs' in r for r in rows)


def test_duplicate_is_file_exists_naming_it(made: str) -> None:
    with pytest.raises(FileExistsError, match=f"'{made}' already exists") as info:
        N.create(made)
    assert info.value.errno == errno.EEXIST
    assert made in N.listnetns()
    assert [link['ifname'] for link in ipj(made, 'link')] == ['lo']  # still the same one


def test_remove_missing_is_file_not_found_naming_it(made: str) -> None:
    missing = new_ns_name()
    with pytest.raises(FileNotFoundError, match=f"'{missing}' does not exist"):
        N.remove(missing)


def ours(names: list[str]) -> list[str]:
    """The namespaces of this test run: other runs on the machine add and remove theirs."""
    return [n for n in names if n.startswith(NS_PREFIX)]


def test_failed_create_leaves_nothing(made: str, monkeypatch: pytest.MonkeyPatch) -> None:
    name = new_ns_name()
    before = N.listnetns()
    # a real kernel failure: bind-mounting a source that does not exist
    monkeypatch.setattr(N, '_own_ns_path', lambda: '/proc/thread-self/ns/no-such')
    with pytest.raises(OSError) as info:
        N.create(name)
    assert info.value.errno == errno.ENOENT
    monkeypatch.undo()

    def refuse(flags: int) -> None:
        raise OSError(errno.EPERM, 'unshare: refused for the test')

    monkeypatch.setattr(N, '_sys_unshare', refuse)
    with pytest.raises(PermissionError):
        N.create(name)
    assert ours(N.listnetns()) == ours(before)


def test_half_made_namespace_is_refused_and_removable(made: str) -> None:
    name = new_ns_name()
    path = f'{NETNS_DIR}/{name}'
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDONLY, 0))  # a bare file, no mount
    try:
        before = fd_count()
        with pytest.raises(ValueError, match='is not a network namespace'):
            N.run_in_netns(name, int)
        assert fd_count() == before
    finally:
        N.remove(name)
    assert not os.path.lexists(path)


def test_listnetns_missing_dir_is_empty(tmp_path) -> None:
    assert N.listnetns(str(tmp_path / 'nope')) == []
    (tmp_path / 'b').touch()
    (tmp_path / 'a').touch()
    assert N.listnetns(str(tmp_path)) == ['a', 'b']


# -- opening and running inside --------------------------------------------------------------

def test_typo_creates_nothing() -> None:
    typo = new_ns_name()
    existed = os.path.isdir(NETNS_DIR)
    for call in (N.open_ns_fd, lambda n: N.run_in_netns(n, int), N.pids,
                 lambda n: N.setns(n)):
        with pytest.raises(FileNotFoundError, match=f"'{typo}' does not exist"):
            call(typo)
    assert not os.path.lexists(f'{NETNS_DIR}/{typo}')
    assert os.path.isdir(NETNS_DIR) == existed


def test_open_ns_fd_forms(made: str) -> None:
    fd = N.open_ns_fd(made)
    try:
        assert not os.get_inheritable(fd)
        dup = N.open_ns_fd(fd)
        try:
            assert dup != fd
            assert N.same_ns(dup, made) and N.same_ns(fd, f'{NETNS_DIR}/{made}')
        finally:
            os.close(dup)
    finally:
        os.close(fd)
    with pytest.raises(OSError, match='fd 99999'):
        N.open_ns_fd(99999)


def test_run_in_netns_enters_and_caller_stays(made: str) -> None:
    caller = thread_ns()
    target = os.stat(f'{NETNS_DIR}/{made}').st_ino
    assert N.run_in_netns(made, thread_ns) == target
    assert N.run_in_netns(f'{NETNS_DIR}/{made}', thread_ns) == target
    fd = N.open_ns_fd(made)
    try:
        assert N.run_in_netns(fd, thread_ns) == target
        os.fstat(fd)  # the caller's fd is left open
    finally:
        os.close(fd)
    assert thread_ns() == caller == N.current_ns_inode()
    assert N.run_in_netns(made, lambda a, b=0: a + b, 2, b=3) == 5


def test_run_in_netns_reraises(made: str) -> None:
    class Boom(Exception):
        pass

    def fail() -> None:
        raise Boom('inside')

    with pytest.raises(Boom, match='inside'):
        N.run_in_netns(made, fail)
    with pytest.raises(TypeError, match='callable'):
        N.run_in_netns(made, 42)  # type: ignore[arg-type]


def test_not_a_netns_is_refused(tmp_path) -> None:
    plain = tmp_path / 'plain'
    plain.touch()
    uts = os.open('/proc/self/ns/uts', os.O_RDONLY)
    try:
        before = fd_count()
        for ns in ('/proc/self/ns/uts', str(plain), '/', uts):
            with pytest.raises(ValueError, match=f'{ns!r} is not a network namespace'):
                N.run_in_netns(ns, int)
        assert fd_count() == before
    finally:
        os.close(uts)


def test_socket_made_inside_stays_inside(ns: str, ns2: str) -> None:
    # ns and ns2 come from `ip netns add` with lo up; all traffic stays on their lo
    def udp() -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.3)
        return s

    rx = N.run_in_netns(ns, udp)
    tx_in, tx_other = N.run_in_netns(ns, udp), N.run_in_netns(ns2, udp)
    try:
        rx.bind(('127.0.0.1', 0))  # bound after the thread ended: still in ns
        port = rx.getsockname()[1]
        tx_other.sendto(b'other', ('127.0.0.1', port))
        tx_in.sendto(b'same', ('127.0.0.1', port))
        assert rx.recv(100) == b'same'
        with pytest.raises(TimeoutError):
            rx.recv(100)
    finally:
        for s in (rx, tx_in, tx_other):
            s.close()


def test_many_threads_at_once(made: str, ns: str) -> None:
    targets = {name: os.stat(f'{NETNS_DIR}/{name}').st_ino for name in (made, ns)}
    errors: list[str] = []
    before = fd_count()

    def hammer(k: int) -> None:
        mine = thread_ns()
        for i in range(40):
            name = (made, ns)[(k + i) % 2]
            got = N.run_in_netns(name, thread_ns)
            if got != targets[name] or thread_ns() != mine:
                errors.append(f'thread {k} call {i}: {got} in {name}')

    threads = [threading.Thread(target=hammer, args=(k,)) for k in range(8)]
    assert run_threads(threads), 'run_in_netns deadlocked'
    assert errors == []
    assert fd_count() == before


# -- moving the calling thread ---------------------------------------------------------------

def in_thread(fn):
    """Run fn in a helper thread (these tests move their thread) and return its result."""
    box: dict = {}

    def run() -> None:
        try:
            box['ok'] = fn()
        except BaseException as e:
            box['err'] = e

    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    if 'err' in box:
        raise box['err']
    return box['ok']


def test_setns_moves_the_calling_thread_only(made: str) -> None:
    main = thread_ns()
    target = os.stat(f'{NETNS_DIR}/{made}').st_ino

    def go() -> tuple[int, int]:
        N.setns(made)
        return thread_ns(), N.current_ns_inode()

    assert in_thread(go) == (target, target)
    assert thread_ns() == main


def test_setns_create_flags() -> None:
    name = new_ns_name()
    try:
        got = in_thread(lambda: (N.setns(name, os.O_CREAT), thread_ns())[1])
        assert got == os.stat(f'{NETNS_DIR}/{name}').st_ino
        with pytest.raises(FileExistsError):
            in_thread(lambda: N.setns(name, os.O_CREAT | os.O_EXCL))
        assert in_thread(lambda: (N.setns(name, os.O_CREAT), thread_ns())[1]) == got
    finally:
        N.remove(name)


def test_pushns_popns_restore(made: str, ns: str) -> None:
    a = os.stat(f'{NETNS_DIR}/{made}').st_ino
    b = os.stat(f'{NETNS_DIR}/{ns}').st_ino

    def nest() -> list[int]:
        seen = [thread_ns()]
        N.pushns(made)
        seen.append(thread_ns())
        N.pushns(ns)
        seen.append(thread_ns())
        N.popns()
        seen.append(thread_ns())
        with pytest.raises(FileNotFoundError):
            N.pushns(new_ns_name())  # a failed push leaves the stack as it was
        N.popns()
        seen.append(thread_ns())
        with pytest.raises(IndexError, match='popns'):
            N.popns()
        return seen

    before = fd_count()
    home = thread_ns()
    assert in_thread(nest) == [home, a, b, a, home]
    assert fd_count() == before


# -- processes -------------------------------------------------------------------------------

@pytest.fixture
def sleeper(made: str) -> Iterator[tuple[str, int]]:
    """(namespace, pid) of a `sleep` started with `ip netns exec`."""
    with process_in_ns(made, 10) as pid:
        yield made, pid


def test_pids_and_identify(sleeper: tuple[str, int]) -> None:
    name, pid = sleeper
    assert N.pids(name) == [pid]
    assert N.identify(pid) == name
    assert N.identify(os.getpid()) != name
    assert os.getpid() not in N.pids(name)
    with open('/proc/sys/kernel/pid_max') as f:
        nobody = int(f.read()) + 1
    with pytest.raises(ProcessLookupError, match=str(nobody)):
        N.identify(nobody)
    with pytest.raises(ValueError, match='pid'):
        N.identify(0)


def test_attach(sleeper: tuple[str, int]) -> None:
    name, pid = sleeper
    alias = new_ns_name()
    try:
        assert N.attach(alias, pid) == f'{NETNS_DIR}/{alias}'
        assert N.same_ns(alias, name)
        assert alias in ip_names()
        with pytest.raises(FileExistsError, match=alias):
            N.attach(alias, pid)
    finally:
        N.remove(alias)
    assert N.identify(pid) == name  # the namespace outlives its second name
    with open('/proc/sys/kernel/pid_max') as f:
        nobody = int(f.read()) + 1
    before = N.listnetns()
    with pytest.raises(ProcessLookupError, match=str(nobody)):
        N.attach(alias, nobody)
    with pytest.raises(ValueError, match='pid'):
        N.attach(alias, -1)
    assert ours(N.listnetns()) == ours(before)


# -- nsid ------------------------------------------------------------------------------------

def test_nsid_seen_from_another_namespace(ns: str, ns2: str) -> None:
    # ids are set inside ns (the observer), never in the host namespace
    assert N.get_nsid(ns2, where=ns) is None
    assert N.set_nsid(ns2, 7, where=ns) == 7
    assert N.get_nsid(ns2, where=ns) == 7
    assert 'nsid 7 ' in ip('netns', 'list-id', ns=ns) + ' '
    with pytest.raises(OSError) as info:
        N.set_nsid(ns2, 8, where=ns)
    assert info.value.errno == errno.EEXIST
    assert N.get_nsid(ns2, where=ns) == 7
    auto = N.set_nsid(ns, -1, where=ns2)  # the kernel picks one
    assert isinstance(auto, int) and auto >= 0
    assert N.get_nsid(ns, where=ns2) == auto
    for bad in ('7', -2, 2 ** 31, True):
        with pytest.raises(ValueError, match='invalid nsid'):
            N.set_nsid(ns2, bad, where=ns)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        N.get_nsid(new_ns_name(), where=ns)
