"""The codec against the real kernel, with `ip -j` as the oracle.

Decoding: one throwaway namespace is filled with veth/bridge/vxlan/macvlan/ifb/tap links,
addresses, routes (gateway, metrics, multipath, other tables, blackhole/unreachable), neighbours
and rules; raw dumps taken with a plain AF_NETLINK socket inside it are decoded and compared
field by field with what `ip -j` says about the same namespace (support.samples.kernel_capture).

Encoding: requests built by `encode()` are sent to the kernel in a fresh namespace (the `ns`
fixture) and the result is read back with `ip -j`.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from support import iporacle
from support import samples as S

from nlshell.engine.codec import ErrorMessage, Message, encode, parse
from nlshell.engine.codec import constants as C

pytestmark = pytest.mark.requires_root


@pytest.fixture(scope="module")
def cap() -> S.Capture:
    capture = S.kernel_capture()
    if capture.oracle is None:
        pytest.skip("no namespace could be created (needs CAP_SYS_ADMIN + CAP_NET_ADMIN)")
    return capture


def messages(cap: S.Capture, label: str, families: tuple[int, ...] = ()) -> list[Message]:
    out = [m for d in cap.dumps[label] for m in parse(d) if m.type >= 16]
    return [m for m in out if not families or m["family"] in families]


@pytest.fixture(scope="module")
def names(cap: S.Capture) -> dict[str, int]:
    return {entry["ifname"]: entry["ifindex"] for entry in cap.oracle["link"]}


# -- dump framing -------------------------------------------------------------------------


@pytest.mark.parametrize("label", [d[0] for d in S.DUMPS])
def test_dumps_are_multipart_and_end_with_done(cap: S.Capture, label: str) -> None:
    msgs = [m for d in cap.dumps[label] for m in parse(d)]
    assert msgs[-1].type == C.NLMSG_DONE
    assert isinstance(msgs[-1], ErrorMessage) and msgs[-1].code == 0
    assert len({m.seq for m in msgs}) == 1
    for m in msgs:
        assert m.flags & C.NLM_F_MULTI
        S.exercise(m)  # every message decodes completely, without a DecodeError


# -- links --------------------------------------------------------------------------------

# ip's names for the IFLA_* integers it prints as they are
LINK_INTS = {"mtu": "mtu", "txqlen": "txqlen", "promiscuity": "promiscuity",
             "allmulti": "allmulti", "min_mtu": "min_mtu", "max_mtu": "max_mtu",
             "num_tx_queues": "num_tx_queues", "num_rx_queues": "num_rx_queues",
             "gso_max_size": "gso_max_size", "gso_max_segs": "gso_max_segs",
             "tso_max_size": "tso_max_size", "tso_max_segs": "tso_max_segs",
             "gro_max_size": "gro_max_size"}
LINK_TYPES = {"ether": 1, "loopback": 772, "none": 65534}


def test_links(cap: S.Capture, names: dict[str, int]) -> None:
    by_index = {m["index"]: m for m in messages(cap, "link")}
    assert sorted(by_index) == sorted(names.values())
    for want in cap.oracle["link"]:
        m = by_index[want["ifindex"]]
        where = want["ifname"]
        assert m.get("ifname") == want["ifname"], where
        assert m.get("address") == want["address"], where
        assert m.get("broadcast") == want["broadcast"], where
        assert m.get("operstate") == want["operstate"], where
        assert m.get("qdisc") == want.get("qdisc"), where
        assert m.get("group") == (0 if want["group"] == "default" else int(want["group"]))
        assert m.get("linkmode") == {"DEFAULT": 0, "DORMANT": 1}[want["linkmode"]], where
        if want["link_type"] in LINK_TYPES:
            assert m["ifi_type"] == LINK_TYPES[want["link_type"]], where
        for ours, theirs in LINK_INTS.items():
            if theirs in want:
                assert m.get(ours) == want[theirs], f"{where}: {ours}"
        flags = {n for bit, n in C.IFF_FLAGS.items() if m["flags"] & bit} - {"RUNNING"}
        assert flags == set(want["flags"]) - {"NO-CARRIER", "M-DOWN"}, where
        if "master" in want:
            assert m.get("master") == names[want["master"]], where
        if "link" in want:
            assert m.get("link") == names[want["link"]], where
        assert m.get("ifalias") == want.get("ifalias"), where


def test_link_stats(cap: S.Capture) -> None:
    """Counters may only have grown between the dump and `ip -s`."""
    by_index = {m["index"]: m for m in messages(cap, "link")}
    for want in cap.oracle["link"]:
        stats = by_index[want["ifindex"]].get("stats64")
        ip = want["stats64"]
        for direction, key, ours in [("rx", "bytes", "rx_bytes"), ("rx", "packets", "rx_packets"),
                                     ("tx", "bytes", "tx_bytes"), ("tx", "packets", "tx_packets"),
                                     ("rx", "errors", "rx_errors"), ("tx", "errors", "tx_errors"),
                                     ("rx", "dropped", "rx_dropped"),
                                     ("tx", "dropped", "tx_dropped"),
                                     ("rx", "multicast", "multicast"),
                                     ("tx", "collisions", "collisions")]:
            assert 0 <= stats[ours] <= ip[direction][key], f"{want['ifname']} {ours}"


def _link(cap: S.Capture, name: str) -> tuple[Message, dict]:
    want = next(e for e in cap.oracle["link"] if e["ifname"] == name)
    m = next(m for m in messages(cap, "link") if m["index"] == want["ifindex"])
    return m, want


# ip's key -> attribute full name, where ip's JSON name is not the attribute's own
ALIASES = {
    "IFLA_BRPORT_": {"fastleave": "FAST_LEAVE", "proxy_arp": "PROXYARP",
                     "proxy_arp_wifi": "PROXYARP_WIFI", "hairpin": "MODE",
                     "root_block": "PROTECT", "flood": "UNICAST_FLOOD"},
    "IFLA_MACVLAN_": {"bcqueuelen": "BC_QUEUE_LEN", "usedbcqueuelen": "BC_QUEUE_LEN_USED"},
}
STP_STATES = {"disabled": 0, "listening": 1, "learning": 2, "forwarding": 3, "blocking": 4}


def compare_kind_data(data: Any, want: dict, prefix: str, names: dict[str, int]) -> int:
    """Compare every key of ip's info_data that names one of our attributes; count them."""
    matched = 0
    for key, value in want.items():
        full = prefix + ALIASES.get(prefix, {}).get(key, key.upper())
        got = data.get_attr(full)
        if got is None:
            continue
        if isinstance(value, bool):
            assert bool(got) == value, full
        elif isinstance(value, (int, dict)):
            assert got == value, full
        elif key == "state" and prefix == "IFLA_BRPORT_":
            assert got == STP_STATES[value], full
        elif isinstance(value, str) and value.startswith("0x"):
            assert got == int(value, 16), full
        elif key == "link":
            assert got == names[value], full
        elif isinstance(value, str) and ("." in value or ":" in value) and "." != value[4:5]:
            assert got == value, full  # addresses
        else:
            continue  # ip's own rendering (timers in seconds, "unset"...): not comparable
        matched += 1
    return matched


def test_veth(cap: S.Capture, names: dict[str, int]) -> None:
    for name, peer in (("v0", "v1"), ("v1", "v0")):
        m, want = _link(cap, name)
        assert m.get(("linkinfo", "kind")) == want["linkinfo"]["info_kind"] == "veth"
        assert m.get("link") == names[peer]


def test_bridge(cap: S.Capture, names: dict[str, int]) -> None:
    m, want = _link(cap, "br0")
    assert m.get(("linkinfo", "kind")) == "bridge"
    data = m.get(("linkinfo", "data"))
    assert compare_kind_data(data, want["linkinfo"]["info_data"], "IFLA_BR_", names) >= 25
    assert data.get("br_forward_delay") == 1500 and data.get("br_stp_state") == 0


def test_bridge_port(cap: S.Capture, names: dict[str, int]) -> None:
    m, want = _link(cap, "v1")
    info = want["linkinfo"]
    assert m.get(("linkinfo", "slave_kind")) == info["info_slave_kind"] == "bridge"
    data = m.get(("linkinfo", "slave_data"))
    assert data.get("brport_priority") == 17 and data.get("brport_cost") == 33
    assert data.get("brport_state") == 3
    assert compare_kind_data(data, info["info_slave_data"], "IFLA_BRPORT_", names) >= 15


def test_vxlan(cap: S.Capture, names: dict[str, int]) -> None:
    m, want = _link(cap, "vx0")
    data = m.get(("linkinfo", "data"))
    assert m.get(("linkinfo", "kind")) == "vxlan"
    assert data.get("vxlan_id") == 42 and data.get("vxlan_port") == 4789
    assert data.get("vxlan_local") == "192.0.2.1" and data.get("vxlan_link") == names["v0"]
    assert compare_kind_data(data, want["linkinfo"]["info_data"], "IFLA_VXLAN_", names) >= 8


@pytest.mark.parametrize("name,mode", [("mv0", "bridge"), ("mv1", "private")])
def test_macvlan(cap: S.Capture, names: dict[str, int], name: str, mode: str) -> None:
    m, want = _link(cap, name)
    data = m.get(("linkinfo", "data"))
    assert data.get("macvlan_mode") == want["linkinfo"]["info_data"]["mode"] == mode
    assert compare_kind_data(data, want["linkinfo"]["info_data"], "IFLA_MACVLAN_", names) >= 2
    assert m.get("link") == names["v0"]


def test_tap(cap: S.Capture, names: dict[str, int]) -> None:
    m, want = _link(cap, "tap0")
    data = m.get(("linkinfo", "data"))
    assert data.get("tun_type") == "tap"
    assert compare_kind_data(data, want["linkinfo"]["info_data"], "IFLA_TUN_", names) >= 4


def test_af_spec(cap: S.Capture) -> None:
    m, want = _link(cap, "v0")
    assert m.get(("af_spec", "AF_INET6", "addr_gen_mode")) == 0  # "eui64"
    assert want["inet6_addr_gen_mode"] == "eui64"
    cache = m.get(("af_spec", "AF_INET6", "cacheinfo"))
    assert cache["retrans_time"] > 0 and cache["reachable_time"] > 0
    assert len(m.get(("af_spec", "AF_INET", "conf"))) % 4 == 0


def test_bridge_family_dump(cap: S.Capture, names: dict[str, int]) -> None:
    msgs = messages(cap, "link_bridge")
    assert {m.get("ifname") for m in msgs} == {"v1", "br0"}
    for m in msgs:
        assert m["family"] == C.AF_BRIDGE and m.get("master") == names["br0"]


# -- addresses ----------------------------------------------------------------------------


def test_addresses(cap: S.Capture) -> None:
    ours = {}
    for m in messages(cap, "addr"):
        local = m.get("local") or m.get("address")
        ours[(m["index"], local, m["prefixlen"])] = m
    seen = 0
    for entry in cap.oracle["addr"]:
        for want in entry["addr_info"]:
            m = ours[(entry["ifindex"], want["local"], want["prefixlen"])]
            where = f"{entry['ifname']} {want['local']}"
            assert C.FAMILY_NAMES[m["family"]] == want["family"], where
            assert C.RT_SCOPE_NAMES[m["scope"]] == want["scope"], where
            assert m.get("label") == want.get("label"), where
            assert m.get("broadcast") == want.get("broadcast"), where
            if "address" in want:  # a peer address
                assert m.get("address") == want["address"], where
            flags = m.get("flags")  # IFA_FLAGS, the full set (the header has 8 bits)
            assert flags & 0xFF == m["flags"]
            for name in ("secondary", "nodad"):
                assert bool(flags & {v: k for k, v in C.IFA_F_NAMES.items()}[name]) == (
                    name in want), where
            assert bool(flags & C.IFA_F_PERMANENT) == ("dynamic" not in want), where
            cache = m.get("cacheinfo")
            for ours_key, key in (("ifa_valid", "valid_life_time"),
                                  ("ifa_preferred", "preferred_life_time")):
                if want[key] == C.INFINITY_LIFE_TIME:
                    assert cache[ours_key] == C.INFINITY_LIFE_TIME, where
                else:  # counting down: ip ran after the dump
                    assert want[key] <= cache[ours_key] <= want[key] + 5, where
            seen += 1
    assert seen == len(ours)


# -- routes -------------------------------------------------------------------------------

PREF_NAMES = {0: "medium", 1: "high", 3: "low"}


def route_as_ip(m: Message, ifnames: dict[int, str]) -> dict:
    """One route in `ip -d -j route` shape, built from the decoded message only."""
    full = 32 if m["family"] == C.AF_INET else 128
    dst = m.get("dst")
    if dst is None:
        dst = "default"
    elif m["dst_len"] != full:
        dst = f"{dst}/{m['dst_len']}"
    table = m.get("table")
    out: dict[str, Any] = {
        "type": C.RTN_NAMES[m["type"]], "dst": dst,
        "table": C.TABLE_NAMES.get(table, str(table)),
        "protocol": C.RTPROT_NAMES.get(m["proto"], str(m["proto"])),
        "scope": C.RT_SCOPE_NAMES[m["scope"]],
    }
    for key, attr in (("gateway", "gateway"), ("prefsrc", "prefsrc"), ("metric", "priority")):
        if m.get(attr) is not None:
            out[key] = m.get(attr)
    if m.get("oif") is not None:
        out["dev"] = ifnames[m.get("oif")]
    if m.get("pref") is not None:
        out["pref"] = PREF_NAMES[m.get("pref")]
    metrics = m.get("metrics")
    if metrics is not None:
        out["metrics"] = [{name[5:].lower(): v for name, v in metrics["attrs"]}]
    hops = m.get("multipath")
    if hops is not None:
        out["nexthops"] = [{"gateway": h.get("gateway"), "dev": ifnames[h["oif"]],
                            "weight": h["hops"] + 1} for h in hops]
    return out


KEYS = ("type", "dst", "table", "protocol", "scope", "gateway", "prefsrc", "metric", "dev",
        "pref", "metrics", "nexthops")


def _norm(route: dict) -> dict:
    route = {k: route[k] for k in KEYS if k in route}
    if "nexthops" in route:
        route["nexthops"] = [{k: h[k] for k in ("gateway", "dev", "weight") if k in h}
                             for h in route["nexthops"]]
    return route


@pytest.mark.parametrize("family,label", [(C.AF_INET, "route4"), (C.AF_INET6, "route6")])
def test_routes(cap: S.Capture, family: int, label: str) -> None:
    ifnames = {e["ifindex"]: e["ifname"] for e in cap.oracle["link"]}
    ours = sorted((_norm(route_as_ip(m, ifnames)) for m in messages(cap, "route", (family,))),
                  key=repr)
    want = sorted((_norm(r) for r in cap.oracle[label]), key=repr)
    assert ours == want
    if family == C.AF_INET:
        wanted = {r["dst"] for r in want}
        assert {"203.0.113.0/24", "198.18.0.0/16", "198.19.0.0/16", "203.0.113.7"} <= wanted


def test_route_details(cap: S.Capture, names: dict[str, int]) -> None:
    routes = {(m.get("dst"), m["dst_len"], m.get("table")): m
              for m in messages(cap, "route", (C.AF_INET, C.AF_INET6))}
    via = routes[("203.0.113.0", 24, 254)]
    assert via.get("gateway") == "192.0.2.254" and via.get("oif") == names["v0"]
    assert via.get("priority") == 50 and via["proto"] == 4  # static
    assert via.get(("metrics", "mtu")) == 1400
    mp = routes[("198.18.0.0", 16, 254)]
    hops = mp.get("multipath")
    assert [(h.get("gateway"), h["oif"], h["hops"]) for h in hops] == [
        ("192.0.2.10", names["v0"], 0), ("198.51.100.10", names["br0"], 2)]
    assert routes[("198.19.0.0", 16, 254)]["type"] == 6  # blackhole
    unreachable = routes[("198.19.1.0", 24, 100)]
    assert unreachable["type"] == 7 and unreachable.get("priority") == 7
    assert unreachable["table"] == 100
    v6 = routes[("2001:db8:2::", 64, 100)]
    assert v6.get(("metrics", "mtu")) == 1300 and v6.get(("metrics", "advmss")) == 1200


# -- neighbours and rules -----------------------------------------------------------------


def test_neighbours(cap: S.Capture) -> None:
    ifnames = {e["ifindex"]: e["ifname"] for e in cap.oracle["link"]}
    ours = sorted(
        (m.get("dst"), ifnames[m["ifindex"]], m.get("lladdr"),
         tuple(sorted(n for bit, n in C.NUD_NAMES.items() if m["state"] & bit)))
        for m in messages(cap, "neigh", (C.AF_INET, C.AF_INET6)))
    want = sorted((n["dst"], n["dev"], n.get("lladdr"), tuple(sorted(n["state"])))
                  for n in cap.oracle["neigh"])
    assert ours == want
    assert ("192.0.2.20", "v0", "02:00:00:00:00:20", ("PERMANENT",)) in ours


def rule_as_ip(m: Message) -> dict:
    table = m.get("table") or m["table"]
    out: dict[str, Any] = {"priority": m.get("priority", 0),
                           "table": C.TABLE_NAMES.get(table, str(table))}
    out["src"] = m.get("src") or "all"
    if m.get("src") is not None:
        out["srclen"] = m["src_len"]
    if m.get("dst") is not None:
        out["dst"], out["dstlen"] = m.get("dst"), m["dst_len"]
    if m.get("fwmark") is not None:
        out["fwmark"] = hex(m.get("fwmark"))
    if m.get("iifname") is not None:
        out["iif"] = m.get("iifname")
    return out


@pytest.mark.parametrize("family,label", [(C.AF_INET, "rule4"), (C.AF_INET6, "rule6")])
def test_rules(cap: S.Capture, family: int, label: str) -> None:
    ours = sorted((rule_as_ip(m) for m in messages(cap, "rule", (family,))), key=repr)
    want = sorted(({k: v for k, v in r.items() if k in ("priority", "table", "src", "srclen",
                                                         "dst", "dstlen", "fwmark", "iif")}
                   for r in cap.oracle[label]), key=repr)
    assert ours == want
    assert all(m["action"] == 1 for m in messages(cap, "rule", (family,)))  # to_tbl


def test_nsid_dump_decodes(cap: S.Capture) -> None:
    assert messages(cap, "nsid") == []  # a fresh namespace knows no peers


# -- real errors --------------------------------------------------------------------------


def test_real_kernel_errors(cap: S.Capture) -> None:
    errs = [m for d in cap.errors for m in parse(d)]
    assert all(isinstance(e, ErrorMessage) and e.type == C.NLMSG_ERROR for e in errs)
    by_seq = {e.seq: e for e in errs}
    for seq, capped in ((200, False), (201, True)):
        policy = by_seq[seq]
        assert policy.code == 34 and policy["error"] == -34  # ERANGE: name too long
        assert policy.msg and "policy" in policy.msg.lower()
        assert policy.offset == 32  # IFLA_IFNAME, right after nlmsghdr + ifinfomsg
        assert policy.text() == policy.msg
        assert bool(policy.flags & C.NLM_F_CAPPED) == capped
        assert policy.flags & C.NLM_F_ACK_TLVS
        assert policy.orig_type() == C.RTM_NEWLINK
    for seq in (210, 211):
        assert by_seq[seq].code == 95 and by_seq[seq].msg == "Unknown device type"
    for seq in (220, 221):
        assert by_seq[seq].code == 0 and by_seq[seq].text() == "Success"
    for seq in (230, 231):
        assert by_seq[seq].code == 19 and by_seq[seq].text() == "No such device"
        assert by_seq[seq].orig_type() == C.RTM_GETLINK


# -- encoded requests, read back by ip ----------------------------------------------------

_seq = itertools.count(1000)
CREATE = C.NLM_F_REQUEST | C.NLM_F_ACK | C.NLM_F_CREATE | C.NLM_F_EXCL


@pytest.fixture
def nl(ns: str) -> Iterator[socket.socket]:
    with contextlib.closing(S.open_route_socket(ns)) as sock:
        yield sock


def request(sock: socket.socket, msg_type: int, flags: int = CREATE, **kw: Any
            ) -> ErrorMessage:
    seq = next(_seq)
    data = encode(msg_type, flags=flags, seq=seq, **kw)
    sock.send(data)
    while True:
        for m in parse(sock.recv(1 << 16)):
            if m.seq == seq and isinstance(m, ErrorMessage):
                return m


def ok(ack: ErrorMessage) -> None:
    assert ack.code == 0, f"kernel said: [{ack.code}] {ack.text()}"


def ifindex(ns: str, name: str) -> int:
    return iporacle.ipj(ns, "link", "show", name)[0]["ifindex"]


def test_encode_veth_with_peer(ns: str, nl: socket.socket) -> None:
    peer = {"attrs": [("ifname", "nlt-p1"), ("mtu", 1400), ("address", "02:00:00:00:aa:01")]}
    ok(request(nl, C.RTM_NEWLINK, attrs=[
        ("ifname", "nlt-p0"), ("mtu", 1480),
        ("linkinfo", [("kind", "veth"), ("data", [("peer", peer)])])]))
    # an alias is only taken by a change of an existing link
    ok(request(nl, C.RTM_NEWLINK, flags=C.NLM_F_REQUEST | C.NLM_F_ACK,
               fields={"index": ifindex(ns, "nlt-p0")}, attrs=[("ifalias", "an alias")]))
    p0, p1 = iporacle.ipj(ns, "-d", "link", "show", "nlt-p0")[0], iporacle.ipj(
        ns, "-d", "link", "show", "nlt-p1")[0]
    assert p0["mtu"] == 1480 and p0["ifalias"] == "an alias"
    assert p1["mtu"] == 1400 and p1["address"] == "02:00:00:00:aa:01"
    assert p0["linkinfo"]["info_kind"] == p1["linkinfo"]["info_kind"] == "veth"
    assert p0["link"] == "nlt-p1"


def test_encode_bridge_and_port(ns: str, nl: socket.socket) -> None:
    ok(request(nl, C.RTM_NEWLINK, attrs=[
        ("ifname", "nlt-br"), ("linkinfo", [("kind", "bridge"), ("data", [
            ("br_forward_delay", 800), ("br_priority", 4096), ("br_ageing_time", 12300),
            ("br_group_addr", "01:80:c2:00:00:0e")])])]))
    ok(request(nl, C.RTM_NEWLINK, attrs=[
        ("ifname", "nlt-p0"), ("linkinfo", [("kind", "veth"), ("data", [
            ("peer", {"attrs": [("ifname", "nlt-p1")]})])])]))
    br = ifindex(ns, "nlt-br")
    ok(request(nl, C.RTM_NEWLINK, flags=C.NLM_F_REQUEST | C.NLM_F_ACK,
               fields={"index": ifindex(ns, "nlt-p0")}, attrs=[("master", br)]))
    ok(request(nl, C.RTM_NEWLINK, flags=C.NLM_F_REQUEST | C.NLM_F_ACK,
               fields={"index": ifindex(ns, "nlt-p0")},
               attrs=[("linkinfo", [("slave_kind", "bridge"), ("slave_data", [
                   ("brport_priority", 9), ("brport_cost", 77), ("brport_learning", 0)])])]))
    data = iporacle.ipj(ns, "-d", "link", "show", "nlt-br")[0]["linkinfo"]["info_data"]
    assert (data["forward_delay"], data["priority"], data["ageing_time"]) == (800, 4096, 12300)
    assert data["group_addr"] == "01:80:c2:00:00:0e"
    port = iporacle.ipj(ns, "-d", "link", "show", "nlt-p0")[0]
    assert port["master"] == "nlt-br"
    slave = port["linkinfo"]["info_slave_data"]
    assert (slave["priority"], slave["cost"], slave["learning"]) == (9, 77, False)


def test_encode_vxlan(ns: str, nl: socket.socket) -> None:
    ok(request(nl, C.RTM_NEWLINK, attrs=[
        ("ifname", "nlt-vx"), ("linkinfo", [("kind", "vxlan"), ("data", [
            ("vxlan_id", 4242), ("vxlan_port", 4790), ("vxlan_local", "192.0.2.9"),
            ("vxlan_ttl", 33), ("vxlan_learning", 0), ("vxlan_ageing", 99),
            ("vxlan_port_range", {"low": 5000, "high": 6000})])])]))
    data = iporacle.ipj(ns, "-d", "link", "show", "nlt-vx")[0]["linkinfo"]["info_data"]
    assert (data["id"], data["port"], data["local"], data["ttl"]) == (4242, 4790, "192.0.2.9", 33)
    assert data["learning"] is False and data["ageing"] == 99
    assert data["port_range"] == {"low": 5000, "high": 6000}


def test_encode_macvlan_source_addresses(ns: str, nl: socket.socket) -> None:
    ok(request(nl, C.RTM_NEWLINK, attrs=[
        ("ifname", "nlt-p0"), ("linkinfo", [("kind", "veth"), ("data", [
            ("peer", {"attrs": [("ifname", "nlt-p1")]})])])]))
    macs = ["02:00:00:00:00:0a", "02:00:00:00:00:0b"]
    ack = request(nl, C.RTM_NEWLINK, attrs=[
        ("ifname", "nlt-mv"), ("link", ifindex(ns, "nlt-p0")),
        ("linkinfo", [("kind", "macvlan"), ("data", [
            ("macvlan_mode", "source"), ("macvlan_macaddr_mode", 3),  # MACVLAN_MACADDR_SET
            ("macvlan_macaddr_data", macs)])])])
    ok(ack)
    # read back through the codec: the kernel lists the addresses the same way
    dump = S.raw_dump(nl, C.RTM_GETLINK, seq=next(_seq))
    mv = next(m for d in dump for m in parse(d) if m.get("ifname") == "nlt-mv")
    data = mv.get(("linkinfo", "data"))
    assert data.get("macvlan_mode") == "source"
    assert data.get("macvlan_macaddr_count") == 2
    assert sorted(data.get("macvlan_macaddr_data")) == macs
    info = iporacle.ipj(ns, "-d", "link", "show", "nlt-mv")[0]["linkinfo"]["info_data"]
    assert info["mode"] == "source"


def test_encode_address(ns: str, nl: socket.socket) -> None:
    ok(request(nl, C.RTM_NEWLINK, attrs=[("ifname", "nlt-if"), ("linkinfo", [("kind", "ifb")])]))
    idx = ifindex(ns, "nlt-if")
    ok(request(nl, C.RTM_NEWADDR, fields={"family": C.AF_INET, "prefixlen": 24, "index": idx},
               attrs=[("local", "192.0.2.5"), ("address", "192.0.2.5"),
                      ("broadcast", "192.0.2.255"), ("label", "nlt-if:x"),
                      ("cacheinfo", {"ifa_valid": 4000, "ifa_preferred": 3000})]))
    ok(request(nl, C.RTM_NEWADDR, fields={"family": C.AF_INET6, "prefixlen": 64, "index": idx},
               attrs=[("local", "2001:db8:7::5"), ("flags", C.IFA_F_NODAD)]))
    info = {a["local"]: a for a in iporacle.ipj(ns, "addr", "show", "nlt-if")[0]["addr_info"]}
    v4 = info["192.0.2.5"]
    assert (v4["prefixlen"], v4["broadcast"], v4["label"]) == (24, "192.0.2.255", "nlt-if:x")
    assert 3990 <= v4["valid_life_time"] <= 4000 and 2990 <= v4["preferred_life_time"] <= 3000
    assert info["2001:db8:7::5"]["prefixlen"] == 64 and info["2001:db8:7::5"]["nodad"]


def test_encode_routes(ns: str, nl: socket.socket) -> None:
    ok(request(nl, C.RTM_NEWLINK, attrs=[
        ("ifname", "nlt-p0"), ("linkinfo", [("kind", "veth"), ("data", [
            ("peer", {"attrs": [("ifname", "nlt-p1")]})])])]))
    iporacle.sh(ns, "link set nlt-p0 up")
    iporacle.sh(ns, "link set nlt-p1 up")
    iporacle.sh(ns, "addr add 192.0.2.1/24 dev nlt-p0")
    iporacle.sh(ns, "addr add 198.51.100.1/24 dev nlt-p1")
    p0, p1 = ifindex(ns, "nlt-p0"), ifindex(ns, "nlt-p1")
    base = {"family": C.AF_INET, "table": C.RT_TABLE_MAIN, "proto": 4, "scope": 0,
            "type": C.RTN_UNICAST}
    ok(request(nl, C.RTM_NEWROUTE, fields={**base, "dst_len": 24}, attrs=[
        ("dst", "203.0.113.0"), ("gateway", "192.0.2.254"), ("oif", p0), ("priority", 33),
        ("metrics", [("mtu", 1300), ("advmss", 1260)])]))
    ok(request(nl, C.RTM_NEWROUTE, fields={**base, "dst_len": 16, "table": 0}, attrs=[
        ("dst", "198.18.0.0"), ("table", 1000), ("multipath", [
            {"oif": p0, "hops": 0, "attrs": [("gateway", "192.0.2.10")]},
            {"oif": p1, "hops": 4, "attrs": [("gateway", "198.51.100.10")]}])]))
    ok(request(nl, C.RTM_NEWROUTE, fields={**base, "type": 6, "dst_len": 24}, attrs=[
        ("dst", "198.19.5.0")]))
    routes = {r["dst"]: r for r in iporacle.ipj(ns, "-d", "route", "show", "table", "all")}
    via = routes["203.0.113.0/24"]
    assert (via["gateway"], via["dev"], via["metric"], via["protocol"]) == (
        "192.0.2.254", "nlt-p0", 33, "static")
    assert via["metrics"] == [{"mtu": 1300, "advmss": 1260}]
    mp = routes["198.18.0.0/16"]
    assert mp["table"] == "1000"
    assert [(h["gateway"], h["dev"], h["weight"]) for h in mp["nexthops"]] == [
        ("192.0.2.10", "nlt-p0", 1), ("198.51.100.10", "nlt-p1", 5)]
    assert routes["198.19.5.0/24"]["type"] == "blackhole"


def test_encode_neighbour(ns: str, nl: socket.socket) -> None:
    ok(request(nl, C.RTM_NEWLINK, attrs=[("ifname", "nlt-if"), ("linkinfo", [("kind", "ifb")])]))
    idx = ifindex(ns, "nlt-if")
    ok(request(nl, C.RTM_NEWNEIGH, fields={"family": C.AF_INET, "ifindex": idx,
                                           "state": 0x80}, attrs=[
        ("dst", "192.0.2.44"), ("lladdr", "02:00:00:00:00:44")]))
    (entry,) = iporacle.ipj(ns, "neigh", "show", "dev", "nlt-if", "nud", "permanent")
    assert (entry["dst"], entry["lladdr"], entry["state"]) == (
        "192.0.2.44", "02:00:00:00:00:44", ["PERMANENT"])


def test_encode_rule(ns: str, nl: socket.socket) -> None:
    ok(request(nl, C.RTM_NEWRULE, fields={"family": C.AF_INET, "src_len": 24, "action": 1,
                                          "table": 0}, attrs=[
        ("src", "192.0.2.0"), ("priority", 1234), ("table", 1000), ("fwmark", 0x42),
        ("fwmask", 0xFF), ("iifname", "lo")]))
    rule = next(r for r in iporacle.ipj(ns, "rule", "show") if r["priority"] == 1234)
    assert (rule["src"], rule["srclen"], rule["table"], rule["fwmark"], rule["fwmask"],
            rule["iif"]) == ("192.0.2.0", 24, "1000", "0x42", "0xff", "lo")


def test_encode_error_comes_back_with_extended_ack(ns: str, nl: socket.socket) -> None:
    ack = request(nl, C.RTM_NEWLINK, attrs=[("ifname", "nlt-x"),
                                            ("linkinfo", [("kind", "nlt-no-such-kind")])])
    assert ack.code == 95 and ack.text() == "Unknown device type"
    ack = request(nl, C.RTM_NEWADDR, fields={"family": C.AF_INET, "prefixlen": 24,
                                             "index": 99999}, attrs=[("local", "192.0.2.1")])
    assert ack.code == 19  # ENODEV

