"""IPRoute.addr: add / del / replace / dump with index, address, prefixlen, local,
broadcast, label, scope, IPv4 and IPv6; `ip -n NS -j addr` is the oracle."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from support.iporacle import ipj
from support.resources import add_veth

from nlshell import IPRoute, NetlinkError

pytestmark = pytest.mark.requires_root


@pytest.fixture
def veth(ipr: IPRoute) -> int:
    """veth0 (up, no address) and its peer veth1; veth0's index."""
    return add_veth(ipr)


def addrs(ns: str, dev: str = "veth0", family: str | None = None) -> list[dict[str, Any]]:
    out = ipj(ns, "addr", "show", "dev", dev)
    infos = out[0]["addr_info"] if out else []
    return [a for a in infos if family is None or a["family"] == family]


def v4(ns: str, dev: str = "veth0") -> list[dict[str, Any]]:
    return addrs(ns, dev, "inet")


def test_add_ipv4(ns: str, ipr: IPRoute, veth: int) -> None:
    ipr.addr("add", index=veth, address="192.0.2.1", prefixlen=24)
    ipr.addr("add", veth, "198.51.100.1", 25)  # pyroute2's positional order
    got = {(a["local"], a["prefixlen"]) for a in v4(ns)}
    assert got == {("192.0.2.1", 24), ("198.51.100.1", 25)}


def test_prefix_in_the_address_and_default_prefixlen(ns: str, ipr: IPRoute, veth: int) -> None:
    ipr.addr("add", index=veth, address="192.0.2.1/28")
    ipr.addr("add", index=veth, address="192.0.2.100")
    assert {(a["local"], a["prefixlen"]) for a in v4(ns)} == {("192.0.2.1", 28),
                                                             ("192.0.2.100", 32)}


def test_broadcast_label_scope(ns: str, ipr: IPRoute, veth: int) -> None:
    ipr.addr("add", index=veth, address="192.0.2.1", prefixlen=24, broadcast=True,
             label="veth0:web", scope="host")
    ipr.addr("add", index=veth, address="198.51.100.1", prefixlen=24,
             broadcast="198.51.100.200", scope=200)
    by_local = {a["local"]: a for a in v4(ns)}
    a = by_local["192.0.2.1"]
    assert a["broadcast"] == "192.0.2.255"
    assert a["label"] == "veth0:web"
    assert a["scope"] == "host"
    b = by_local["198.51.100.1"]
    assert b["broadcast"] == "198.51.100.200"
    assert b["scope"] == "site"


def test_local_and_peer_address(ns: str, ipr: IPRoute, veth: int) -> None:
    # point-to-point: local is ours, address is the peer's
    ipr.addr("add", index=veth, local="192.0.2.1", address="192.0.2.2", prefixlen=32)
    (a,) = v4(ns)
    assert a["local"] == "192.0.2.1" and a["address"] == "192.0.2.2"


def test_ipv6(ns: str, ipr: IPRoute, veth: int) -> None:
    ipr.addr("add", index=veth, address="2001:db8::1", prefixlen=64, nodad=True)
    ipr.addr("add", index=veth, address="2001:db8:0:1::1/80", nodad=True)
    got = {(a["local"], a["prefixlen"]) for a in addrs(ns, family="inet6")
           if a["scope"] == "global"}
    assert got == {("2001:db8::1", 64), ("2001:db8:0:1::1", 80)}
    mine = ipr.get_addr(family=socket.AF_INET6, index=veth)
    assert {m.get("address") for m in mine} >= {"2001:db8::1", "2001:db8:0:1::1"}
    ipr.addr("del", index=veth, address="2001:db8::1", prefixlen=64)
    assert "2001:db8::1" not in {a["local"] for a in addrs(ns, family="inet6")}


def test_del(ns: str, ipr: IPRoute, veth: int) -> None:
    ipr.addr("add", index=veth, address="192.0.2.1", prefixlen=24)
    ipr.addr("add", index=veth, address="198.51.100.1", prefixlen=24)
    ipr.addr("del", index=veth, address="192.0.2.1", prefixlen=24)
    assert [a["local"] for a in v4(ns)] == ["198.51.100.1"]
    ipr.addr("delete", index=veth, address="198.51.100.1/24")
    assert v4(ns) == []


def test_replace(ns: str, ipr: IPRoute, veth: int) -> None:
    ipr.addr("add", index=veth, address="192.0.2.1", prefixlen=24)
    with pytest.raises(NetlinkError):
        ipr.addr("add", index=veth, address="192.0.2.1", prefixlen=24)  # EEXIST
    # an existing address: the kernel updates its lifetimes (and keeps the rest)
    ipr.addr("replace", index=veth, address="192.0.2.1", prefixlen=24, valid_lft=500)
    ipr.addr("replace", index=veth, address="192.0.2.9", prefixlen=24)  # creates too
    by_local = {a["local"]: a for a in v4(ns)}
    assert set(by_local) == {"192.0.2.1", "192.0.2.9"}
    assert 490 <= by_local["192.0.2.1"]["valid_life_time"] <= 500


def test_lifetimes(ns: str, ipr: IPRoute, veth: int) -> None:
    ipr.addr("add", index=veth, address="192.0.2.1", prefixlen=24, valid_lft=3000,
             preferred_lft=2000)
    (a,) = v4(ns)
    assert 2990 <= a["valid_life_time"] <= 3000
    assert 1990 <= a["preferred_life_time"] <= 2000
    (m,) = ipr.get_addr(family=socket.AF_INET, index=veth)
    assert 2990 <= m.get("cacheinfo")["ifa_valid"] <= 3000


def test_dump_and_filters(ns: str, ipr: IPRoute, veth: int) -> None:
    peer = ipr.link_lookup(ifname="veth1")[0]
    ipr.addr("add", index=veth, address="192.0.2.1", prefixlen=24, label="veth0:a")
    ipr.addr("add", index=veth, address="192.0.2.2", prefixlen=24)
    ipr.addr("add", index=peer, address="198.51.100.1", prefixlen=24)
    everything = ipr.get_addr()
    oracle = {(a["local"], a["prefixlen"], entry["ifindex"])
              for entry in ipj(ns, "addr") for a in entry["addr_info"]}
    assert {(m.get("local") or m.get("address"), m["prefixlen"], m["index"])
            for m in everything} == oracle
    assert all(m["event"] == "RTM_NEWADDR" for m in everything)

    inet = ipr.get_addr(family=socket.AF_INET)
    assert {m.get("address") for m in inet} == {"127.0.0.1", "192.0.2.1", "192.0.2.2",
                                                "198.51.100.1"}
    on_veth = ipr.get_addr(family=socket.AF_INET, index=veth)
    assert {m.get("address") for m in on_veth} == {"192.0.2.1", "192.0.2.2"}
    assert [m.get("address") for m in ipr.get_addr(label="veth0:a")] == ["192.0.2.1"]
    assert [m["index"] for m in ipr.get_addr(address="198.51.100.1")] == [peer]
    assert [m.get("address") for m in ipr.get_addr(family=socket.AF_INET, scope="host")] \
        == ["127.0.0.1"]
    assert ipr.addr("dump", index=peer, family=socket.AF_INET)[0].get("label") == "veth1"
