"""The article's sandbox scenario end to end, inside an outer namespace standing in for the host.

outer (made by the test)                    sandbox (netns.create)
  veth0p0 172.16.0.1/24  <--- veth --->  veth0p1 172.16.0.2/24, default via 172.16.0.1
  lo 198.51.100.1/32 (a source only the sandbox's route back can answer)

Traffic is UDP between Python sockets made in each namespace with netns.run_in_netns; it
never leaves these two namespaces. The host's namespace is not touched.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
from support.iporacle import ipj
from support.resources import fd_count
from support.testns import NETNS_DIR, requires_root, unused_ns_name

from nlshell import NetNS, netns

pytestmark = requires_root

SANDBOX_IP, OUTER_IP, FAR_SRC = '172.16.0.2', '172.16.0.1', '198.51.100.1'


@pytest.fixture
def outer(made: str) -> str:
    """The stand-in for the host: a namespace with lo up, removed afterwards."""
    with NetNS(made) as ip:
        ip.link('set', index=ip.link_lookup(ifname='lo')[0], state='up')
    return made


@pytest.fixture
def sandbox_name() -> Iterator[str]:
    """A unique name for the sandbox; whatever the test made under it is removed."""
    with unused_ns_name('-sandbox') as name:
        yield name


def udp_socket(ns: str, addr: str, timeout: float) -> socket.socket:
    """A UDP socket that belongs to namespace ``ns``, bound to ``addr`` (any port)."""
    def make() -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((addr, 0))
        except OSError:
            s.close()
            raise
        s.settimeout(timeout)
        return s

    return netns.run_in_netns(ns, make)


def echo_works(outer: str, sandbox: str, src: str, attempts: int, timeout: float) -> bool:
    """Send from ``src`` in outer to the sandbox's server and get its echo back."""
    server = udp_socket(sandbox, SANDBOX_IP, timeout)
    client = udp_socket(outer, src, timeout)
    with server, client:
        port = server.getsockname()[1]
        for i in range(attempts):
            payload = f'hello {i}'.encode()
            try:
                client.sendto(payload, (SANDBOX_IP, port))
                data, peer = server.recvfrom(100)
                assert peer[0] == src, f'the sandbox saw {peer[0]}, not {src}'
                server.sendto(data.upper(), peer)
                if client.recv(100) == payload.upper():
                    return True
            except OSError:  # timeout, or no route at all once the link is down
                continue
    return False


def move_target(form: str, name: str) -> tuple[str | int, int | None]:
    """``net_ns_fd`` in the given form, and an fd to close afterwards (or None)."""
    if form == 'name':
        return name, None
    if form == 'path':
        return os.path.join(NETNS_DIR, name), None
    fd = netns.open_ns_fd(name)
    return fd, fd


@pytest.mark.parametrize('form', ['name', 'path', 'fd'])
def test_article_scenario(outer: str, sandbox_name: str, form: str) -> None:
    home = netns.current_ns_inode()
    fds_before = fd_count()
    with NetNS(outer) as ip:  # `ip = IPRoute()` of the article, one namespace down
        ip.link('add', ifname='veth0p0', peer='veth0p1', kind='veth')
        netns.create(sandbox_name)
        assert sandbox_name in netns.listnetns()

        peer = ip.link_lookup(ifname='veth0p1')[0]
        target, to_close = move_target(form, sandbox_name)
        try:
            ip.link('set', index=peer, net_ns_fd=target)
        finally:
            if to_close is not None:
                os.close(to_close)
        assert ip.link_lookup(ifname='veth0p1') == []

        with NetNS(sandbox_name) as ns:
            idx = ns.link_lookup(ifname='veth0p1')[0]
            ns.link('set', index=idx, state='up')
            ns.addr('add', index=idx, address=SANDBOX_IP, mask=24)
            ns.route('add', dst='default', gateway=OUTER_IP)  # the route back

        near = ip.link_lookup(ifname='veth0p0')[0]
        ip.link('set', index=near, state='up')
        ip.addr('add', index=near, address=OUTER_IP, mask=24)
        ip.addr('add', index=ip.link_lookup(ifname='lo')[0], address=FAR_SRC, mask=32)

        # iproute2 as the oracle: the peer really lives in the sandbox, configured
        links = {link['ifname']: link for link in ipj(sandbox_name, 'addr')}
        assert set(links) == {'lo', 'veth0p1'}
        assert [(a['local'], a['prefixlen']) for a in links['veth0p1']['addr_info']
                if a['family'] == 'inet'] == [(SANDBOX_IP, 24)]
        assert any(r['dst'] == 'default' and r['gateway'] == OUTER_IP
                   for r in ipj(sandbox_name, 'route'))

        assert echo_works(outer, sandbox_name, OUTER_IP, attempts=3, timeout=1.0)
        # from an address the sandbox reaches only through its default route
        assert echo_works(outer, sandbox_name, FAR_SRC, attempts=3, timeout=1.0)

        ip.link('set', index=near, state='down')
        assert not echo_works(outer, sandbox_name, OUTER_IP, attempts=1, timeout=0.3)

    assert netns.current_ns_inode() == home  # the test's thread never moved
    assert fd_count() == fds_before
