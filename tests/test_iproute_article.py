"""The article scenario: a veth pair, an address and a route made with IPRoute inside a
fresh namespace, checked with `ip -n NS -j link/addr/route` as the oracle.

Also the article's point: without `link('set', ..., state='up')` the route add fails.
"""

from __future__ import annotations

import pytest
from support.iporacle import ipj

import nlshell
from nlshell import IPRoute, Iproute, NetlinkError

pytestmark = pytest.mark.requires_root


def test_public_names() -> None:
    assert Iproute is IPRoute
    assert nlshell.NetlinkError is NetlinkError
    assert issubclass(NetlinkError, Exception)


def test_article_scenario(ns: str, ipr: IPRoute) -> None:
    ipr.link("add", ifname="veth0p0", peer="veth0p1", kind="veth")
    idx = ipr.link_lookup(ifname="veth0p0")[0]
    ipr.link("set", index=idx, state="up")
    ipr.addr("add", index=idx, address="192.168.1.2", prefixlen=24)
    ipr.route("add", dst="172.16.0.0/12", oif=idx)
    peer = ipr.link_lookup(ifname="veth0p1")[0]
    ipr.link("set", index=peer, state="up")

    links = {link["ifname"]: link for link in ipj(ns, "link")}
    assert set(links) == {"lo", "veth0p0", "veth0p1"}
    assert links["veth0p0"]["ifindex"] == idx
    assert links["veth0p1"]["ifindex"] == peer
    assert links["veth0p0"]["link"] == "veth0p1" and links["veth0p1"]["link"] == "veth0p0"
    for name in ("veth0p0", "veth0p1"):
        assert "UP" in links[name]["flags"]
        assert links[name]["operstate"] == "UP"

    addrs = {a["ifname"]: a["addr_info"] for a in ipj(ns, "addr")}
    v4 = [a for a in addrs["veth0p0"] if a["family"] == "inet"]
    assert [(a["local"], a["prefixlen"]) for a in v4] == [("192.168.1.2", 24)]
    assert not [a for a in addrs["veth0p1"] if a["family"] == "inet"]

    routes = ipj(ns, "route")
    # the library face adds as pyroute2 does: proto static, scope global (no "scope")
    article = next(r for r in routes if r["dst"] == "172.16.0.0/12")
    assert (article["dev"], article["protocol"], article.get("scope")) == (
        "veth0p0", "static", None)
    assert {r["dst"] for r in routes} == {"172.16.0.0/12", "192.168.1.0/24"}

    # and the library sees what ip sees
    ours = {(r.get("dst"), r["dst_len"], r.get("oif")) for r in ipr.get_routes(family=2, table=254)}
    assert ours == {("172.16.0.0", 12, idx), ("192.168.1.0", 24, idx)}


def test_route_needs_the_link_up(ns: str, ipr: IPRoute) -> None:
    ipr.link("add", ifname="veth0p0", peer="veth0p1", kind="veth")
    idx = ipr.link_lookup(ifname="veth0p0")[0]
    ipr.addr("add", index=idx, address="192.168.1.2", prefixlen=24)
    with pytest.raises(NetlinkError) as info:
        ipr.route("add", dst="172.16.0.0/12", oif=idx)
    assert info.value.code == 100  # ENETDOWN
    assert "not up" in str(info.value)  # the kernel's own words
    assert not [r for r in ipj(ns, "route") if r["dst"] == "172.16.0.0/12"]

    ipr.link("set", index=idx, state="up")
    ipr.route("add", dst="172.16.0.0/12", oif=idx)
    assert [r for r in ipj(ns, "route") if r["dst"] == "172.16.0.0/12"]


def test_context_manager_closes(ns: str) -> None:
    with Iproute(netns=ns) as ipr:
        assert ipr.link_lookup(ifname="lo") == [1]
    assert ipr.sock.closed
