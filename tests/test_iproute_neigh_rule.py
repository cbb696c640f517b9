"""IPRoute.neigh and IPRoute.rule: add / del / dump, IPv4 and IPv6, with `ip -j` as oracle."""

from __future__ import annotations

import socket

import pytest
from support.iporacle import ipj

from nlshell import IPRoute, NetlinkError

pytestmark = pytest.mark.requires_root
AF_INET, AF_INET6 = socket.AF_INET, socket.AF_INET6


# --- neighbours -----------------------------------------------------------------------


def test_neigh_add_dump_del(ns: str, ipr: IPRoute, veth: int) -> None:
    ipr.neigh("add", dst="192.0.2.9", lladdr="02:00:00:00:00:09", ifindex=veth)
    ipr.neigh("add", dst="192.0.2.10", lladdr="02:00:00:00:00:0a", ifindex=veth,
              state="reachable")
    ipr.neigh("add", dst="2001:db8::9", lladdr="02:00:00:00:00:19", ifindex=veth)
    oracle = {n["dst"]: n for n in ipj(ns, "neigh", "show", "dev", "veth0")}
    assert oracle["192.0.2.9"]["lladdr"] == "02:00:00:00:00:09"
    assert oracle["192.0.2.9"]["state"] == ["PERMANENT"]
    assert oracle["192.0.2.10"]["state"] == ["REACHABLE"]
    assert oracle["2001:db8::9"]["lladdr"] == "02:00:00:00:00:19"

    mine = {m.get("dst"): m for m in ipr.get_neighbours(ifindex=veth)}
    assert set(mine) >= {"192.0.2.9", "192.0.2.10", "2001:db8::9"}
    m = mine["192.0.2.9"]
    assert m["event"] == "RTM_NEWNEIGH"
    assert m.get("lladdr") == "02:00:00:00:00:09"
    assert m["state"] == 0x80 and m["ifindex"] == veth and m["family"] == AF_INET
    assert {m.get("dst") for m in ipr.get_neighbours(family=AF_INET6, ifindex=veth)} >= \
        {"2001:db8::9"}
    assert all(m["family"] == AF_INET for m in ipr.get_neighbours(family=AF_INET))
    assert [m.get("dst") for m in ipr.get_neighbours(dst="192.0.2.10")] == ["192.0.2.10"]
    assert [m.get("dst") for m in ipr.get_neighbours(family=AF_INET, state="permanent")] \
        == ["192.0.2.9"]
    assert [m.get("dst") for m in ipr.neigh("dump", family=AF_INET, ifindex=veth)] == \
        [m.get("dst") for m in ipr.get_neighbours(family=AF_INET, ifindex=veth)]

    ipr.neigh("del", dst="192.0.2.9", ifindex=veth)
    assert "192.0.2.9" not in {n["dst"] for n in ipj(ns, "neigh", "show", "dev", "veth0")}
    with pytest.raises(NetlinkError):
        ipr.neigh("del", dst="192.0.2.9", ifindex=veth)


def test_neigh_replace(ns: str, ipr: IPRoute, veth: int) -> None:
    ipr.neigh("add", dst="192.0.2.9", lladdr="02:00:00:00:00:09", ifindex=veth)
    with pytest.raises(NetlinkError):
        ipr.neigh("add", dst="192.0.2.9", lladdr="02:00:00:00:00:01", ifindex=veth)
    ipr.neigh("replace", dst="192.0.2.9", lladdr="02:00:00:00:00:01", ifindex=veth)
    (n,) = [n for n in ipj(ns, "neigh") if n["dst"] == "192.0.2.9"]
    assert n["lladdr"] == "02:00:00:00:00:01"


# --- rules --------------------------------------------------------------------------------


def rules(ns: str, family: str = "-4") -> list[dict]:
    return ipj(ns, family, "rule", "show")


def test_rule_add_dump_del(ns: str, ipr: IPRoute) -> None:
    ipr.rule("add", table=100, priority=1000, src="10.0.0.0/8")
    ipr.rule("add", table=1000, priority=1001, dst="192.0.2.0/24", fwmark=7, iifname="lo")
    ipr.rule("add", priority=1002, action="blackhole", dst="198.51.100.0/24")
    by_prio = {r["priority"]: r for r in rules(ns)}
    assert by_prio[1000]["src"] == "10.0.0.0" and by_prio[1000]["srclen"] == 8
    assert by_prio[1000]["table"] == "100"
    assert by_prio[1001]["table"] == "1000" and by_prio[1001]["dst"] == "192.0.2.0"
    assert by_prio[1001]["fwmark"] == "0x7" and by_prio[1001]["iif"] == "lo"
    assert by_prio[1002]["action"] == "blackhole"

    mine = {m.get("priority", 0): m for m in ipr.get_rules(family=AF_INET)}  # 0: absent
    assert set(mine) == set(by_prio)
    m = mine[1000]
    assert m["event"] == "RTM_NEWRULE"
    assert m.get("src") == "10.0.0.0" and m["src_len"] == 8 and m.get("table") == 100
    assert mine[1001].get("table") == 1000 and mine[1001].get("fwmark") == 7
    assert [m.get("priority") for m in ipr.get_rules(family=AF_INET, table=1000)] == [1001]
    assert [m.get("priority") for m in ipr.get_rules(priority=1002)] == [1002]
    assert [m.get("priority") for m in ipr.get_rules(src="10.0.0.0/8")] == [1000]

    ipr.rule("del", priority=1000)
    ipr.rule("del", table=1000, priority=1001)
    assert {r["priority"] for r in rules(ns)} == {0, 1002, 32766, 32767}
    with pytest.raises(NetlinkError):
        ipr.rule("del", priority=1000)


def test_rule_defaults_to_main(ns: str, ipr: IPRoute) -> None:
    ipr.rule("add", priority=500, src="10.0.0.0/8")
    (r,) = [r for r in rules(ns) if r["priority"] == 500]
    assert r["table"] == "main"


def test_rule_ipv6(ns: str, ipr: IPRoute) -> None:
    ipr.rule("add", table=200, priority=300, src="2001:db8::/32")
    (r,) = [r for r in rules(ns, "-6") if r["priority"] == 300]
    assert r["src"] == "2001:db8::" and r["srclen"] == 32 and r["table"] == "200"
    (m,) = [m for m in ipr.get_rules(family=AF_INET6) if m.get("priority") == 300]
    assert m["family"] == AF_INET6 and m.get("src") == "2001:db8::"
    ipr.rule("del", family=AF_INET6, priority=300)
    assert 300 not in {r["priority"] for r in rules(ns, "-6")}
