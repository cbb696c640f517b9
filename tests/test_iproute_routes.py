"""IPRoute.route: add / del / replace / change / append / get / dump with every keyword of
issue 2 (dst, gateway, oif, table, priority, proto, scope, type, prefsrc, multipath,
metrics), IPv4 and IPv6; `ip -n NS -j route` is the oracle. Also dumps of thousands of
routes (multi-part), and the fast encoder against the general one."""

from __future__ import annotations

import itertools
import socket
import time
from typing import Any

import pytest
from support.iporacle import batch, ipj

from nlshell import IPRoute, NetlinkError
from nlshell.engine import requests as R
from nlshell.engine.codec import constants as C
from nlshell.engine.codec import encode

AF_INET, AF_INET6 = socket.AF_INET, socket.AF_INET6


@pytest.fixture
def net(ns: str, ipr: IPRoute) -> dict[str, int]:
    """veth0 (192.0.2.1/24, 2001:db8::1/64) and veth2 (198.51.100.1/24), both pairs up."""
    for a, b in (("veth0", "veth1"), ("veth2", "veth3")):
        ipr.link("add", ifname=a, peer=b, kind="veth")
    idx = {name: ipr.link_lookup(ifname=name)[0] for name in ("veth0", "veth1", "veth2",
                                                               "veth3")}
    for i in idx.values():
        ipr.link("set", index=i, state="up")
    ipr.addr("add", index=idx["veth0"], address="192.0.2.1", prefixlen=24)
    ipr.addr("add", index=idx["veth2"], address="198.51.100.1", prefixlen=24)
    ipr.addr("add", index=idx["veth0"], address="2001:db8::1", prefixlen=64, nodad=True)
    return idx


def route(ns: str, dst: str, *opts: str) -> dict[str, Any]:
    found = [r for r in ipj(ns, *opts, "route", "show", "table", "all") if r["dst"] == dst]
    assert len(found) == 1, (dst, found)
    return found[0]


def absent(ns: str, dst: str, *opts: str) -> bool:
    return not [r for r in ipj(ns, *opts, "route", "show", "table", "all") if r["dst"] == dst]


pytestmark_kernel = pytest.mark.requires_root

# --- add with each keyword ---------------------------------------------------------------


@pytestmark_kernel
def test_dst_forms(ns: str, ipr: IPRoute, net: dict[str, int]) -> None:
    oif = net["veth0"]
    ipr.route("add", dst="10.1.0.0/16", oif=oif)
    ipr.route("add", dst="10.2.0.0", dst_len=16, oif=oif)
    ipr.route("add", dst="10.3.0.1", oif=oif)  # a host route
    assert route(ns, "10.1.0.0/16")["dev"] == "veth0"
    # the library face: scope global, proto static, as pyroute2 (the command language: ip's)
    assert "scope" not in route(ns, "10.2.0.0/16")
    assert route(ns, "10.2.0.0/16")["protocol"] == "static"
    assert route(ns, "10.3.0.1")["dev"] == "veth0"


@pytestmark_kernel
def test_gateway_priority_proto(ns: str, ipr: IPRoute, net: dict[str, int]) -> None:
    ipr.route("add", dst="10.1.0.0/16", gateway="192.0.2.254")
    ipr.route("add", dst="10.2.0.0/16", gateway="192.0.2.254", oif=net["veth0"],
              priority=50, proto="static")
    ipr.route("add", dst="10.3.0.0/16", gateway="198.51.100.254", metric=7, proto=4)
    a = route(ns, "10.1.0.0/16")
    assert a["gateway"] == "192.0.2.254" and a["dev"] == "veth0"
    assert "scope" not in a  # global
    b = route(ns, "10.2.0.0/16")
    assert b["metric"] == 50 and b["protocol"] == "static"
    c = route(ns, "10.3.0.0/16")
    assert c["metric"] == 7 and c["dev"] == "veth2"


@pytestmark_kernel
def test_default_route(ns: str, ipr: IPRoute, net: dict[str, int]) -> None:
    ipr.route("add", dst="default", gateway="192.0.2.254")
    assert route(ns, "default")["gateway"] == "192.0.2.254"
    (m,) = ipr.get_routes(family=AF_INET, dst="default")
    assert m["dst_len"] == 0 and m.get("dst") is None and m.get("gateway") == "192.0.2.254"
    ipr.route("del", dst="default", gateway="192.0.2.254")
    assert absent(ns, "default")


@pytestmark_kernel
@pytest.mark.parametrize("table", [100, 254, 1000, 70000, "main"])
def test_tables(ns: str, ipr: IPRoute, net: dict[str, int], table: Any) -> None:
    ipr.route("add", dst="10.9.0.0/16", oif=net["veth0"], table=table)
    got = route(ns, "10.9.0.0/16")
    name = {254: None, "main": None}.get(table, str(table))
    assert got.get("table") == name
    (m,) = ipr.get_routes(family=AF_INET, dst="10.9.0.0/16")
    assert m.get("table") == R.table_number(table)
    assert m["table"] == (R.table_number(table) if R.table_number(table) < 256 else 252)
    ipr.route("del", dst="10.9.0.0/16", table=table)
    assert absent(ns, "10.9.0.0/16")


@pytestmark_kernel
def test_scope_and_prefsrc(ns: str, ipr: IPRoute, net: dict[str, int]) -> None:
    ipr.route("add", dst="10.5.0.0/16", oif=net["veth0"], prefsrc="192.0.2.1", scope="link")
    ipr.route("add", dst="10.6.0.0/16", oif=net["veth0"], scope=254)
    a = route(ns, "10.5.0.0/16")
    assert a["prefsrc"] == "192.0.2.1" and a["scope"] == "link"
    assert route(ns, "10.6.0.0/16")["scope"] == "host"


@pytestmark_kernel
@pytest.mark.parametrize("rtype", ["blackhole", "unreachable", "prohibit"])
def test_types(ns: str, ipr: IPRoute, net: dict[str, int], rtype: str) -> None:
    ipr.route("add", dst="10.7.0.0/16", type=rtype)
    assert route(ns, "10.7.0.0/16")["type"] == rtype
    (m,) = ipr.get_routes(family=AF_INET, dst="10.7.0.0/16")
    assert m["type"] == R.named(rtype, C.RTN_NAMES, "type")
    assert [x.get("dst") for x in ipr.get_routes(family=AF_INET, type=rtype)] == ["10.7.0.0"]
    ipr.route("del", dst="10.7.0.0/16", type=rtype)
    assert absent(ns, "10.7.0.0/16")


@pytestmark_kernel
def test_multipath(ns: str, ipr: IPRoute, net: dict[str, int]) -> None:
    ipr.route("add", dst="10.8.0.0/16", multipath=[
        {"gateway": "192.0.2.2", "oif": net["veth0"], "hops": 2},
        {"gateway": "198.51.100.2", "oif": net["veth2"]},
    ])
    hops = route(ns, "10.8.0.0/16")["nexthops"]
    assert [(h["gateway"], h["dev"], h["weight"]) for h in hops] == [
        ("192.0.2.2", "veth0", 3), ("198.51.100.2", "veth2", 1)]
    (m,) = ipr.get_routes(family=AF_INET, dst="10.8.0.0/16")
    mp = m.get("multipath")
    assert [(nh.get("gateway"), nh["oif"], nh["hops"]) for nh in mp] == [
        ("192.0.2.2", net["veth0"], 2), ("198.51.100.2", net["veth2"], 0)]
    # weight= is the iproute2 spelling (hops + 1)
    ipr.route("add", dst="10.9.0.0/16", multipath=[
        {"gateway": "192.0.2.3", "weight": 5}, {"gateway": "198.51.100.3"}])
    assert [h["weight"] for h in route(ns, "10.9.0.0/16")["nexthops"]] == [5, 1]


@pytestmark_kernel
def test_metrics(ns: str, ipr: IPRoute, net: dict[str, int]) -> None:
    ipr.route("add", dst="10.4.0.0/16", gateway="192.0.2.2", metrics={"mtu": 1400,
                                                                      "hoplimit": 9})
    got = route(ns, "10.4.0.0/16")["metrics"]
    merged = {k: v for item in got for k, v in item.items()}
    assert merged["mtu"] == 1400 and merged["hoplimit"] == 9
    (m,) = ipr.get_routes(family=AF_INET, dst="10.4.0.0/16")
    assert m.get(("metrics", "mtu")) == 1400
    assert m.get("metrics").get_attr("RTAX_HOPLIMIT") == 9


@pytestmark_kernel
def test_ipv6(ns: str, ipr: IPRoute, net: dict[str, int]) -> None:
    ipr.route("add", dst="2001:db8:1::/64", oif=net["veth0"])
    ipr.route("add", dst="2001:db8:2::/64", gateway="2001:db8::2", priority=77)
    ipr.route("add", dst="2001:db8:3::/64", gateway="2001:db8::2", table=1000,
              metrics={"mtu": 1300})
    a = route(ns, "2001:db8:1::/64", "-6")
    assert a["dev"] == "veth0"
    b = route(ns, "2001:db8:2::/64", "-6")
    assert b["gateway"] == "2001:db8::2" and b["metric"] == 77
    c = route(ns, "2001:db8:3::/64", "-6")
    assert c["table"] == "1000"
    v6 = ipr.get_routes(family=AF_INET6, table=254)
    assert {"2001:db8:1::", "2001:db8:2::"} <= {m.get("dst") for m in v6}
    assert all(m["family"] == AF_INET6 for m in v6)
    (m,) = ipr.get_routes(family=AF_INET6, table=1000)
    assert m.get("dst") == "2001:db8:3::" and m["dst_len"] == 64
    ipr.route("del", dst="2001:db8:1::/64", oif=net["veth0"])
    assert absent(ns, "2001:db8:1::/64", "-6")


# --- the other verbs -----------------------------------------------------------------------


@pytestmark_kernel
def test_replace_change_append_del(ns: str, ipr: IPRoute, net: dict[str, int]) -> None:
    with pytest.raises(NetlinkError):
        ipr.route("change", dst="10.1.0.0/16", gateway="192.0.2.2")  # nothing to change
    ipr.route("replace", dst="10.1.0.0/16", gateway="192.0.2.2")  # creates
    ipr.route("replace", dst="10.1.0.0/16", gateway="192.0.2.3")
    assert route(ns, "10.1.0.0/16")["gateway"] == "192.0.2.3"
    ipr.route("change", dst="10.1.0.0/16", gateway="198.51.100.9")
    assert route(ns, "10.1.0.0/16")["gateway"] == "198.51.100.9"
    # append: a second route for the same prefix (IPv6 merges it as a nexthop)
    ipr.route("add", dst="2001:db8:9::/64", gateway="2001:db8::2")
    ipr.route("append", dst="2001:db8:9::/64", gateway="2001:db8::3")
    hops = route(ns, "2001:db8:9::/64", "-6")["nexthops"]
    assert {h["gateway"] for h in hops} == {"2001:db8::2", "2001:db8::3"}
    ipr.route("del", dst="10.1.0.0/16")
    assert absent(ns, "10.1.0.0/16")


@pytestmark_kernel
def test_get(ns: str, ipr: IPRoute, net: dict[str, int]) -> None:
    ipr.route("add", dst="10.1.0.0/16", gateway="198.51.100.2")
    (m,) = ipr.route("get", dst="10.1.2.3")
    assert m["event"] == "RTM_NEWROUTE"
    assert m.get("dst") == "10.1.2.3" and m["dst_len"] == 32
    assert m.get("gateway") == "198.51.100.2" and m.get("oif") == net["veth2"]
    assert m.get("prefsrc") == "198.51.100.1"
    (m6,) = ipr.route("get", dst="2001:db8::77")
    assert m6.get("oif") == net["veth0"]
    with pytest.raises(NetlinkError):
        ipr.route("get", dst="203.0.113.1")  # no route (no default route here)


# --- dumps ------------------------------------------------------------------------------


@pytestmark_kernel
def test_dump_filters(ns: str, ipr: IPRoute, net: dict[str, int]) -> None:
    v0, v2 = net["veth0"], net["veth2"]
    ipr.route("add", dst="10.1.0.0/16", oif=v0)
    ipr.route("add", dst="10.2.0.0/16", oif=v2, proto="boot")  # the others: static
    ipr.route("add", dst="10.3.0.0/16", oif=v0, table=1000)
    ipr.route("add", dst="2001:db8:1::/64", oif=v0)
    for _ in range(200):  # IPv6 adds the address's local route a moment later
        if ipr.get_routes(family=AF_INET6, table="local", dst="2001:db8::1/128"):
            break
        time.sleep(0.01)
    everything = ipr.get_routes()
    assert {m["family"] for m in everything} == {AF_INET, AF_INET6}
    def stable(dst: str) -> bool:  # link-local IPv6 routes come and go with DAD
        return not dst.startswith(("fe80", "ff00"))

    for fam, opt, host in ((AF_INET, "-4", 32), (AF_INET6, "-6", 128)):
        oracle = {(r["dst"], r.get("table", "main"))
                  for r in ipj(ns, opt, "route", "show", "table", "all") if stable(r["dst"])}
        ours = {(m.get("dst") if m["dst_len"] == host else f"{m.get('dst')}/{m['dst_len']}",
                 C.TABLE_NAMES.get(m.get("table"), str(m.get("table"))))
                for m in everything if m["family"] == fam and stable(m.get("dst"))}
        assert ours == oracle

    main4 = ipr.get_routes(family=AF_INET, table=254)
    assert {m.get("dst") for m in main4} == {"10.1.0.0", "10.2.0.0", "192.0.2.0",
                                             "198.51.100.0"}
    assert all(m.get("table") == 254 for m in main4)
    assert [m.get("dst") for m in ipr.get_routes(table=1000)] == ["10.3.0.0"]
    on_v2 = ipr.get_routes(family=AF_INET, table="main", oif=v2)
    assert {m.get("dst") for m in on_v2} == {"10.2.0.0", "198.51.100.0"}
    boot = ipr.get_routes(family=AF_INET, proto="boot")
    assert [m.get("dst") for m in boot] == ["10.2.0.0"]
    assert [m.get("dst") for m in ipr.get_routes(family=AF_INET, dst="10.1.0.0/16")] == \
        ["10.1.0.0"]
    local = ipr.get_routes(family=AF_INET, table="local", scope="host")
    assert {m.get("dst") for m in local} >= {"127.0.0.1", "192.0.2.1"}
    v6 = ipr.get_routes(family=AF_INET6, table=254, oif=v0)
    assert "2001:db8:1::" in {m.get("dst") for m in v6}
    assert [m.dump() for m in ipr.route("dump", family=AF_INET, table=254)] == [
        m.dump() for m in main4]


@pytestmark_kernel
@pytest.mark.parametrize("family,count", [(AF_INET, 5000), (AF_INET6, 3000)])
def test_thousands_of_routes_in_a_multipart_dump(ns: str, ipr: IPRoute, net: dict[str, int],
                                                 family: int, count: int) -> None:
    if family == AF_INET:
        dsts = [f"10.{i >> 8}.{i & 255}.0/24" for i in range(count)]
    else:
        dsts = [f"2001:db8:{i:x}::/64" for i in range(1, count + 1)]
    batch(ns, "".join(f"route add {d} dev veth0\n" for d in dsts))
    routes = ipr.get_routes(family=family, table=254, oif=net["veth0"])
    got = {f"{m.get('dst')}/{m['dst_len']}" for m in routes}
    assert set(dsts) <= got
    assert len(routes) == len(got)  # no message twice
    opt = "-4" if family == AF_INET else "-6"
    oracle = ipj(ns, opt, "route", "show", "dev", "veth0")
    assert len(oracle) == len(routes)
    seqs = {m.seq for m in routes}
    assert len(seqs) == 1 and all(m.flags & C.NLM_F_MULTI for m in routes)


# --- the fast encoder equals the general one ----------------------------------------------

FAST_CASES = [
    ("add", {"dst": "10.0.0.0/8", "oif": 2}),
    ("add", {"dst": "10.1.2.3", "oif": 7, "priority": 10}),
    ("add", {"dst": "10.0.0.0/8", "gateway": "192.0.2.1"}),
    ("add", {"dst": "10.0.0.0/8", "gateway": "192.0.2.1", "oif": 3, "table": 100}),
    ("add", {"dst": "10.0.0.0/8", "oif": 3, "table": 1000, "metric": 5}),
    ("replace", {"dst": "10.0.0.0/8", "index": 3}),
    ("append", {"dst": "2001:db8::/32", "gateway": "2001:db8::1"}),
    ("change", {"dst": "2001:db8::1", "oif": 9}),
    ("prepend", {"dst": "0.0.0.0/0", "gateway": "192.0.2.1"}),
    ("del", {"dst": "10.0.0.0/8"}),
    ("del", {"dst": "10.0.0.0/8", "oif": 2, "table": 70000}),
    ("delete", {"dst": "2001:db8::/64", "gateway": "2001:db8::1", "priority": 1}),
    ("remove", {"dst": "10.0.0.0/0"}),
]


@pytest.mark.parametrize("cmd,kw", FAST_CASES)
def test_fast_route_equals_the_general_path(cmd: str, kw: dict) -> None:
    fast = R.fast_route(cmd, kw)
    assert fast is not None
    req = R.route_request(cmd, kw)
    assert fast == encode(req.msg_type, req.flags | C.NLM_F_REQUEST, 0, req.fields, req.attrs)


@pytest.mark.parametrize("cmd,kw", [
    ("add", {"dst": "10.0.0.0/8", "oif": "2"}),  # not an int: the general path decides
    ("add", {"dst": "default", "gateway": "192.0.2.1"}),
    ("add", {"dst": "10.0.0.0/8", "gateway": "2001:db8::1"}),  # RTA_VIA
    ("add", {"dst": "10.0.0.0/8", "oif": 2, "proto": "static"}),
    ("add", {"dst": "10.0.0.0/8", "oif": None}),
    ("add", {"dst": "10.0.0.0/33", "oif": 2}),
    ("add", {"dst": "10.0.0.300", "oif": 2}),
    ("add", {"dst": "10.0.0.0/8", "oif": True}),
    ("add", {"dst": "10.0.0.0/8", "table": "main", "oif": 2}),
    ("get", {"dst": "10.0.0.1"}),
    ("dump", {"dst": "10.0.0.1"}),
    ("add", {"oif": 2}),
])
def test_fast_route_declines(cmd: str, kw: dict) -> None:
    assert R.fast_route(cmd, kw) is None


def test_fast_route_declines_every_other_keyword() -> None:
    base = {"dst": "10.0.0.0/8", "oif": 2}
    for extra in ("scope", "type", "src", "prefsrc", "multipath", "metrics", "tos", "flags",
                  "family", "dst_len", "mark", "colour"):
        assert R.fast_route("add", {**base, extra: 1}) is None, extra


def test_fast_route_many_combinations() -> None:
    dsts = ["10.0.0.0/8", "10.1.1.1", "192.0.2.0/24", "2001:db8::/48", "::/0"]
    for cmd, dst, oif, table, prio in itertools.product(
            ("add", "replace", "del"), dsts, (None, 4), (None, 10, 300), (None, 0, 99)):
        kw: dict[str, Any] = {"dst": dst}
        for key, value in (("oif", oif), ("table", table), ("priority", prio)):
            if value is not None:
                kw[key] = value
        fast = R.fast_route(cmd, kw)
        req = R.route_request(cmd, kw)
        assert fast == encode(req.msg_type, req.flags | C.NLM_F_REQUEST, 0, req.fields,
                              req.attrs), (cmd, kw)
