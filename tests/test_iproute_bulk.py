"""IPRoute.bulk(): pipelined requests with results per request, in order.

10,000 route adds with a few that fail (duplicates, a bad gateway, a missing table entry
to delete): every failure is reported at its own position, and all the others are applied
(`ip -j route` says so)."""

from __future__ import annotations

import errno

import pytest
from support.iporacle import ipj

from nlshell import IPRoute, NetlinkError

pytestmark = pytest.mark.requires_root


def dst(i: int) -> str:
    return f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"


def test_ten_thousand_adds_with_failures(ns: str, ipr: IPRoute, veth: int) -> None:
    count = 10_000
    # around datagram boundaries (512 requests each), the very first and the very last
    dup_at = {2, 511, 1024, 4097, 9999}
    bad_gw_at = {0, 512, 5000}
    with ipr.bulk() as b:
        for i in range(count):
            if i in dup_at:
                b.route("add", dst=f"{dst(i - 1)}/32", oif=veth)  # added just before
            elif i in bad_gw_at:
                b.route("add", dst=f"{dst(i)}/32", gateway="203.0.113.1")
            elif i == 7000:
                b.route("add", dst=f"{dst(i)}/32", oif=veth, proto="boot")  # general path
            else:
                b.route("add", dst=f"{dst(i)}/32", oif=veth)
        assert len(b) == count
    assert len(b.results) == count
    failed = {i: e for i, e in enumerate(b.results) if e is not None}
    assert set(failed) == dup_at | bad_gw_at
    for i in dup_at:
        assert isinstance(failed[i], NetlinkError) and failed[i].code == errno.EEXIST
    for i in bad_gw_at:
        assert failed[i].code == errno.ENETUNREACH
        assert failed[i].msg == "Nexthop has invalid gateway"
    assert [pos for pos, _what, _err in b.errors] == sorted(failed)
    pos, what, err = b.errors[0]
    assert (pos, what[0], what[1], what[2]["gateway"]) == (0, "route", "add", "203.0.113.1")

    applied = {r["dst"] for r in ipj(ns, "-4", "route", "show", "dev", "veth0")}
    expected = {dst(i) for i in range(count) if i not in dup_at | bad_gw_at}
    assert expected <= applied
    assert not {dst(i) for i in bad_gw_at} & applied
    assert len(applied - expected) == 1  # 192.0.2.0/24, the address's own route
    # the library face adds static routes (as pyroute2); the one asked for as boot is boot
    boot = [r for r in ipj(ns, "-4", "route", "show", "proto", "boot")]
    assert [r["dst"] for r in boot] == [dst(7000)]


def test_mixed_objects_and_deletes(ns: str, ipr: IPRoute, veth: int) -> None:
    peer = ipr.link_lookup(ifname="veth1")[0]
    with ipr.bulk() as b:
        b.link("set", index=peer, state="up", mtu=1400)
        b.addr("add", index=peer, address="198.51.100.1", prefixlen=24)
        b.route("add", dst="10.1.0.0/16", gateway="198.51.100.2")
        b.route("del", dst="10.99.0.0/16")  # not there: ESRCH
        b.neigh("add", dst="198.51.100.9", lladdr="02:00:00:00:00:09", ifindex=peer)
        b.rule("add", table=100, priority=100, src="10.0.0.0/8")
        b.addr("add", index=peer, address="198.51.100.1", prefixlen=24)  # EEXIST
    assert [e.code if e else None for e in b.results] == [
        None, None, None, errno.ESRCH, None, None, errno.EEXIST]
    assert [(i, what[0], what[1]) for i, what, _ in b.errors] == [(3, "route", "del"),
                                                                  (6, "addr", "add")]
    link = ipj(ns, "link", "show", "dev", "veth1")[0]
    assert link["mtu"] == 1400 and "UP" in link["flags"]
    assert [r["gateway"] for r in ipj(ns, "route") if r["dst"] == "10.1.0.0/16"] == \
        ["198.51.100.2"]
    assert [n["lladdr"] for n in ipj(ns, "neigh") if n["dst"] == "198.51.100.9"] == \
        ["02:00:00:00:00:09"]
    assert [r["priority"] for r in ipj(ns, "rule") if r.get("table") == "100"] == [100]

    with ipr.bulk() as b:  # and deletes undo them
        b.route("del", dst="10.1.0.0/16", gateway="198.51.100.2")
        b.rule("del", priority=100)
        b.neigh("del", dst="198.51.100.9", ifindex=peer)
    assert b.errors == []
    assert not [r for r in ipj(ns, "route") if r["dst"] == "10.1.0.0/16"]


def test_bulk_rules(ipr: IPRoute, veth: int) -> None:
    b = ipr.bulk()
    with pytest.raises(ValueError, match="bulk takes changes"):
        b.route("dump")
    with pytest.raises(ValueError, match="bulk takes changes"):
        b.link("get", index=1)
    assert b.send() == []  # nothing collected: nothing sent
    with pytest.raises(RuntimeError), ipr.bulk() as b2:  # an exception: nothing sent
        b2.route("add", dst="10.1.0.0/16", oif=veth)
        raise RuntimeError("stop")
    assert b2.results == []
    assert not ipr.get_routes(family=2, dst="10.1.0.0/16")


def test_bulk_link_moves_with_namespace_names(ns: str, ns2: str, ipr: IPRoute,
                                               veth: int) -> None:
    with ipr.bulk() as b:
        b.link("set", index=veth, net_ns_fd=ns2)  # the fd is opened and closed by bulk
    assert b.errors == []
    assert [entry["ifname"] for entry in ipj(ns2, "link")] == ["lo", "veth0"]
