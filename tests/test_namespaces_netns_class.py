"""NetNS against the real kernel: missing and bad names, create on request, the import
spellings, a namespace removed while open, and many threads opening at once."""

from __future__ import annotations

import os
import threading

import pytest
from support.iporacle import ipj
from support.resources import fd_count, run_threads
from support.testns import NETNS_DIR, new_ns_name, requires_root, run_dir

import nlshell
from nlshell import NETNS, IPRoute, NetNS, Netns, netns

pytestmark = requires_root


def link_names(ipr: IPRoute) -> set[str]:
    return {link.get('ifname') for link in ipr.get_links()}


def test_spellings_and_imports() -> None:
    from nlshell.engine import iproute
    from nlshell.engine import netns as engine_netns

    assert Netns is NETNS is NetNS is iproute.NetNS
    assert issubclass(NetNS, IPRoute)
    assert netns is engine_netns is nlshell.netns
    for name in ('create', 'remove', 'listnetns', 'attach', 'setns', 'pushns', 'popns',
                 'pids', 'identify', 'get_nsid', 'set_nsid', 'nsid_map', 'run_in_netns'):
        assert callable(getattr(netns, name)), name


def test_create_list_remove_through_the_package() -> None:
    name = new_ns_name()
    netns.create(name)
    try:
        assert name in netns.listnetns()
        with pytest.raises(FileExistsError, match=repr(name)):
            netns.create(name)
    finally:
        netns.remove(name)
    assert name not in netns.listnetns()
    with pytest.raises(FileNotFoundError, match=repr(name)):
        netns.remove(name)


@pytest.mark.parametrize('cls', [NetNS, Netns, NETNS])
def test_missing_name_is_an_error_naming_it(cls: type[NetNS]) -> None:
    typo = new_ns_name()
    before, fds = run_dir(), fd_count()
    with pytest.raises(FileNotFoundError, match=f"network namespace '{typo}' does not exist"):
        cls(typo)
    with pytest.raises(netns.NamespaceNotFound, match=repr(typo)):
        IPRoute(netns=typo)
    assert run_dir() == before  # the typo created nothing
    assert fd_count() == fds


@pytest.mark.parametrize('bad', ['', 'a/b', '..', '.', 'x' * 300, 'a\0b'])
def test_bad_names_are_value_errors(bad: str) -> None:
    before = run_dir()
    for kw in ({}, {'create': True}, {'flags': os.O_CREAT}):
        with pytest.raises(ValueError, match='invalid network namespace name') as info:
            NetNS(bad, **kw)
        assert repr(bad) in str(info.value)
    assert run_dir() == before


def test_names_we_would_not_make_and_non_names() -> None:
    before = run_dir()
    for bad in ('-x', 'a\nb'):  # fine to open if they exist; refused as new names
        with pytest.raises(ValueError, match=repr(bad).replace('\\', '\\\\')):
            NetNS(bad, create=True)
    for bad in (None, 3.5, b'x', True):
        with pytest.raises(TypeError, match='NetNS needs'):
            NetNS(bad)  # type: ignore[arg-type]
    assert run_dir() == before


@pytest.mark.parametrize('how', [{'create': True}, {'flags': os.O_CREAT}])
def test_create_on_request(how: dict) -> None:
    name = new_ns_name()
    try:
        with NetNS(name, **how) as ns:
            assert link_names(ns) == {'lo'}
            ns.link('add', ifname='nltc0', peer='nltc1', kind='veth')
        assert name in netns.listnetns()
        with NetNS(name, **how) as again:  # an existing one is reused, not replaced
            assert link_names(again) == {'lo', 'nltc0', 'nltc1'}
        with pytest.raises(FileExistsError, match=repr(name)):
            NetNS(name, flags=os.O_CREAT | os.O_EXCL)
    finally:
        netns.remove(name)


def test_path_and_fd_open_the_same_namespace(made: str) -> None:
    with NetNS(made) as ns:
        ns.link('add', ifname='nltp0', peer='nltp1', kind='veth')
    with NetNS(os.path.join(NETNS_DIR, made)) as by_path:
        assert 'nltp0' in link_names(by_path)
        assert repr(by_path) == f"<NetNS '{NETNS_DIR}/{made}'>"
    fd = netns.open_ns_fd(made)
    try:
        with NetNS(fd) as by_fd:
            assert 'nltp1' in link_names(by_fd)
        os.fstat(fd)  # the caller's fd is still theirs
    finally:
        os.close(fd)
    assert {link['ifname'] for link in ipj(made, 'link')} == {'lo', 'nltp0', 'nltp1'}


def test_whole_api_inside(made: str) -> None:
    with NetNS(made) as ns:
        ns.link('add', ifname='nlta0', peer='nlta1', kind='veth')
        idx = ns.link_lookup(ifname='nlta0')[0]
        ns.link('set', index=idx, state='up')
        ns.addr('add', index=idx, address='192.0.2.1', mask=24)
        ns.route('add', dst='198.51.100.0/24', gateway='192.0.2.254')
        assert [a.get('address') for a in ns.get_addr(family=2, index=idx)] == ['192.0.2.1']
        assert '198.51.100.0' in [r.get('dst') for r in ns.get_routes(family=2)]
    routes = ipj(made, 'route')
    assert any(r['dst'] == '198.51.100.0/24' and r['gateway'] == '192.0.2.254' for r in routes)


def test_removed_while_open_keeps_working_until_closed(made: str) -> None:
    ns = NetNS(made)
    try:
        ns.link('add', ifname='nltr0', peer='nltr1', kind='veth')
        netns.remove(made)  # the name goes; the socket still holds the namespace
        assert made not in netns.listnetns()
        assert link_names(ns) == {'lo', 'nltr0', 'nltr1'}
        idx = ns.link_lookup(ifname='nltr0')[0]
        ns.link('set', index=idx, state='up')
        ns.addr('add', index=idx, address='192.0.2.7', mask=24)
        assert [a.get('address') for a in ns.get_addr(family=2, index=idx)] == ['192.0.2.7']
        with pytest.raises(FileNotFoundError, match=repr(made)):
            NetNS(made)  # the name is gone for everyone else
    finally:
        ns.close()
    ns.close()  # twice is harmless
    with pytest.raises(OSError):
        ns.get_links()  # closed: an ordinary error, not a crash
    assert not os.path.lexists(os.path.join(NETNS_DIR, made))


def test_many_threads_open_at_once(made: str, ns: str) -> None:
    # `made` holds a veth pair and `ns` (from ip) only lo: each dump says where it ran
    with NetNS(made) as setup:
        setup.link('add', ifname='nltt0', peer='nltt1', kind='veth')
    expect = {made: {'lo', 'nltt0', 'nltt1'}, ns: {'lo'}}
    errors: list[str] = []
    fds, threads_before = fd_count(), threading.active_count()
    home = netns.current_ns_inode()
    start = threading.Barrier(8)

    def hammer(k: int) -> None:
        mine = netns.current_ns_inode()
        start.wait()
        for i in range(40):
            name = (made, ns)[(k + i) % 2]
            try:
                with NetNS(name) as ipr:
                    got = link_names(ipr)
            except Exception as e:  # reported below with its thread and round
                errors.append(f'thread {k} round {i}: {e!r}')
                continue
            if got != expect[name]:
                errors.append(f'thread {k} round {i}: {sorted(got)} in {name}')
            if netns.current_ns_inode() != mine:
                errors.append(f'thread {k} round {i}: the calling thread moved')

    workers = [threading.Thread(target=hammer, args=(k,)) for k in range(8)]
    assert run_threads(workers), 'NetNS opens deadlocked'
    assert errors == []
    assert netns.current_ns_inode() == home
    assert fd_count() == fds
    assert threading.active_count() == threads_before  # no helper thread left behind


def test_move_by_pid(made: str, ns: str) -> None:
    # net_ns_pid= names a task; a thread of ours inside `ns` (run_in_netns) is one
    with NetNS(made) as src:
        src.link('add', ifname='nltm0', peer='nltm1', kind='veth')
        peer = src.link_lookup(ifname='nltm1')[0]
        netns.run_in_netns(
            ns, lambda: src.link('set', index=peer, net_ns_pid=threading.get_native_id()))
        assert src.link_lookup(ifname='nltm1') == []
    assert 'nltm1' in {link['ifname'] for link in ipj(ns, 'link')}


def race_to_create(name: str) -> list[object]:
    """8 threads open ``name`` with create=True at the same moment; what each one saw."""
    start = threading.Barrier(8)
    seen: list[object] = []

    def open_it() -> None:
        start.wait()
        try:
            with NetNS(name, create=True) as ipr:
                seen.append(frozenset(link_names(ipr)))
        except Exception as e:  # collected, asserted by the caller
            seen.append(e)

    run_threads([threading.Thread(target=open_it) for _ in range(8)], 30)
    return seen  # a thread still stuck has added nothing: the caller's check fails


def test_concurrent_create_true_on_one_name() -> None:
    # one thread creates the name, the others wait for its mount instead of finding a
    # half-made file
    for _round in range(3):
        name = new_ns_name()
        try:
            seen = race_to_create(name)
        finally:
            if os.path.lexists(os.path.join(NETNS_DIR, name)):
                netns.remove(name)
        assert seen == [frozenset({'lo'})] * 8
