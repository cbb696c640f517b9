"""Oracle tests: nlshell's renderers against `ip -j` on the same kernel state.

A namespace gets rich state (veth, bridge with a port, macvlan, vxlan, ifb, tap, a veth
whose peer is in another namespace; IPv4+IPv6 addresses with brd, label, secondary, nodad,
noprefixroute, lifetimes; routes with gateway/metric/proto, multipath, blackhole,
unreachable, prohibit, table 100 with mtu metrics, IPv6 with pref/expiry; permanent,
reachable, stale and router neighbours; rules of every selector). For each view the test
renders a dump, runs `ip -n NS -j ...`, renders a second dump, and checks that ip's value
of every field equals nlshell's (counters and timers may move between the dumps: ip's
value must lie between the two renderings).

Fields ip shows that nlshell leaves out on purpose are listed in OMITTED (see the
docstring of nlshell.commands.render); ip's empty `{}` placeholders for objects a selector
dropped are removed from ip's output before comparing.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from support import iporacle, testns

from nlshell.commands.render import (
    AddressQuery,
    LinkQuery,
    NeighbourQuery,
    RenderContext,
    RouteQuery,
    RuleQuery,
    address_json,
    link_json,
    neighbour_json,
    route_json,
    rule_json,
)
from nlshell.engine.iproute import IPRoute

pytestmark = testns.requires_root

AF_INET, AF_INET6 = 2, 10

SETUP = """\
link set lo up
link add v0 type veth peer name v1
link add br0 type bridge
link set v1 master br0
link add mv0 link v0 type macvlan mode bridge
link add vx0 type vxlan id 42 dstport 4789 local 192.0.2.1 dev v0
link add ifb0 type ifb
tuntap add tap0 mode tap
link set v0 alias "uplink port"
link property add dev v0 altname vzero
link set v0 mtu 1400
link set v0 up
link set v1 up
link set br0 up
link set mv0 up
link set vx0 up
link set ifb0 up
link set tap0 up
addr add 192.0.2.1/24 brd + dev v0 label v0:main
addr add 192.0.2.2/24 dev v0
addr add 198.51.100.1/24 broadcast 198.51.100.255 dev br0
addr add 2001:db8::1/64 dev v0 nodad
addr add 2001:db8:1::1/64 dev br0 nodad noprefixroute
addr add 203.0.113.5/32 dev ifb0 valid_lft 1000 preferred_lft 500 scope link
route add 10.0.0.0/24 via 192.0.2.254 metric 100 proto static
route add 10.0.1.0/24 dev v0 proto 42 scope link
route add 10.0.2.0/24 nexthop via 192.0.2.253 weight 2 nexthop via 198.51.100.254 weight 1
route add blackhole 10.0.3.0/24
route add unreachable 10.0.4.0/24
route add prohibit 10.0.5.0/24 metric 7
route add 10.0.6.1 via 192.0.2.254 src 192.0.2.1
route add default via 192.0.2.254
route add 10.1.0.0/16 via 192.0.2.254 table 100 mtu 1300
route add 10.2.0.0/16 via 192.0.2.254 table 100 mtu lock 1280 advmss 1200
route add 2001:db8:5::/64 via 2001:db8::fe metric 10
route add 2001:db8:6::/64 dev v0 pref high
route add 2001:db8:7::/64 nexthop via 2001:db8::fd dev v0 weight 1 nexthop via fe80::fd dev br0 weight 3
route add ::/0 via 2001:db8::fe expires 300
route add unreachable 2001:db8:9::/64
route add 2001:db8:a::/64 via 2001:db8::fe table 100
neigh add 192.0.2.10 lladdr 02:00:00:00:00:10 dev v0 nud permanent
neigh add 192.0.2.11 lladdr 02:00:00:00:00:11 dev v0 nud reachable
neigh add 2001:db8::10 lladdr 02:00:00:00:00:12 dev v0 nud stale router
neigh add 192.0.2.12 dev v0 nud noarp lladdr 02:00:00:00:00:13
rule add from 192.0.2.0/24 table 100 pref 100
rule add to 10.9.0.0/16 table 100 pref 101
rule add fwmark 0x10/0xff table 100 pref 102
rule add iif v0 table main pref 103
rule add not from 10.8.0.0/16 oif br0 table 200 pref 104
rule add from all lookup 100 pref 105 tos 0x10
rule add pref 106 blackhole
rule add pref 107 unreachable
rule add pref 108 prohibit
rule add pref 109 goto 110
rule add pref 110 nop
rule add pref 111 table 100 suppress_prefixlength 0 suppress_ifgroup 5 ipproto tcp sport 1000-2000 dport 80 uidrange 100-200 proto static
rule add pref 112 l3mdev
rule add pref 113 from 192.0.2.1 to 10.0.0.1 table 100 realms 3/4 tun_id 7 dport 443
rule add pref 114 fwmark 7 table 100
"""

# path patterns ("*" = any list index) of fields ip shows and nlshell does not, by view
OMITTED: dict[str, set[str]] = {
    "addr6": {"*.txqlen", "*.stats64"},  # AF_INET6 link dumps carry neither (ip: ioctl/SNMP)
}

# values that tick between dumps: compared with a tolerance when outside the sandwich
TIMERS = {"gc_timer", "hello_timer", "tcn_timer", "topology_change_timer", "hold_timer",
          "message_age_timer", "forward_delay_timer", "expires", "valid_life_time",
          "preferred_life_time", "used", "confirmed", "updated"}


@pytest.fixture(scope="module")
def rich() -> Iterator[str]:
    """The rich namespace (and its peer namespace for the cross-namespace veth)."""
    with testns.temp_netns() as ns, testns.temp_netns() as peer:
        iporacle.batch(ns, SETUP)
        iporacle.sh(ns, "-6", "rule", "add", "from", "2001:db8::/32", "table", "100", "pref", "120")
        iporacle.sh(ns, "link", "add", "vp0", "type", "veth", "peer", "name", "vp1",
                   "netns", peer)
        yield ns


def _strip(x: Any) -> Any:
    """ip's output without the empty objects it prints for dropped links/addresses."""
    if isinstance(x, list):
        return [_strip(i) for i in x if i != {}]
    if isinstance(x, dict):
        return {k: _strip(v) for k, v in x.items()}
    return x


def _match(path: str, patterns: set[str]) -> bool:
    parts = path.split(".")
    for pat in patterns:
        pp = pat.split(".")
        if len(pp) == len(parts) and all(p == "*" or p == q for p, q in zip(pp, parts,
                                                                                strict=True)):
            return True
    return False


def compare(before: Any, ip: Any, after: Any, path: str = "", omitted: frozenset = frozenset()
            ) -> list[str]:
    """Differences between ip's value and nlshell's renderings taken before and after it."""
    if isinstance(ip, dict):
        if not isinstance(before, dict) or not isinstance(after, dict):
            return [f"{path}: nlshell {before!r} / {after!r}, ip {ip!r}"]
        out = []
        for key, value in ip.items():
            sub = f"{path}.{key}" if path else key
            if key not in before and key not in after:
                if not _match(_generic(sub), omitted):
                    out.append(f"{sub}: missing in nlshell (ip: {value!r})")
                continue
            b = before.get(key, after.get(key))
            a = after.get(key, before.get(key))
            out += compare(b, value, a, sub, omitted)
        for key in before.keys() & after.keys() - ip.keys():
            out.append(f"{path}.{key}: nlshell shows {before[key]!r}, ip does not")
        return out
    if isinstance(ip, list):
        cands = [c for c in (before, after) if isinstance(c, list) and len(c) == len(ip)]
        if not cands:
            return [f"{path}: {len(ip)} items in ip, nlshell {len(before)} / {len(after)}"]
        b, a = cands[0], cands[-1]
        out = []
        for i, value in enumerate(ip):
            out += compare(b[i], value, a[i], f"{path}[{i}]", omitted)
        return out
    if ip == before or ip == after:
        if type(ip) is type(before) or type(ip) is type(after):
            return []
        return [f"{path}: type {type(ip).__name__} in ip, {type(before).__name__} here"]
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool)
                  for v in (before, ip, after))
    if numbers:
        lo, hi = min(before, after), max(before, after)
        tol = 2 if path.rsplit(".", 1)[-1].split("[")[0] in TIMERS else 0
        if lo - tol <= ip <= hi + tol:
            return []
    return [f"{path}: nlshell {before!r} / {after!r}, ip {ip!r}"]


def _generic(path: str) -> str:
    """'[3].addr_info[1].x' -> '*.addr_info.*.x' (the form of OMITTED's patterns)."""
    return re.sub(r"\[\d+\]", ".*", path).lstrip(".")


def ipj(ns: str, *args: str) -> Any:
    proc = subprocess.run(["ip", "-n", ns, "-j", *args], capture_output=True, text=True,
                          timeout=60, check=True)
    return _strip(json.loads(proc.stdout)) if proc.stdout.strip() else []


def sandwich(ns: str, render: Any, args: list[str], *, key: Any = None,
             omitted: set[str] = frozenset()) -> None:
    before = render()
    ip = ipj(ns, *args)
    after = render()
    if key is not None:  # dump order is not stable for hashed objects (neighbours)
        before, ip, after = (sorted(x, key=key) for x in (before, ip, after))
    assert ip, f"ip {' '.join(args)} showed nothing: the fixture is wrong"
    problems = compare(before, ip, after, "", frozenset(omitted))
    assert not problems, f"`ip -j {' '.join(args)}`:\n" + "\n".join(problems[:30])


def _opts(flags: tuple[str, ...]) -> dict[str, Any]:
    return {"details": "-d" in flags, "stats": flags.count("-s")}


FLAGS = [(), ("-d",), ("-s",), ("-d", "-s"), ("-s", "-s")]


# --- links ---------------------------------------------------------------------------


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: " ".join(f) or "plain")
@pytest.mark.parametrize("selector,words", [
    ({}, []),
    ({"up": True}, ["up"]),
    ({"type": "veth"}, ["type", "veth"]),
    ({"type": "bridge_slave"}, ["type", "bridge_slave"]),
    ({"master": "br0"}, ["master", "br0"]),
    ({"dev": "v0"}, ["dev", "v0"]),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_link(rich: str, flags: tuple[str, ...], selector: dict, words: list[str]) -> None:
    with IPRoute(netns=rich) as ipr:
        def render() -> list[dict]:
            links = ipr.get_links()
            ctx = RenderContext(links, **_opts(flags))
            return link_json(LinkQuery(**selector).select(links, ctx), ctx)

        sandwich(rich, render, [*flags, "link", "show", *words])


def test_link_shows_every_kind(rich: str) -> None:
    with IPRoute(netns=rich) as ipr:
        links = ipr.get_links()
        rows = {r["ifname"]: r for r in link_json(links, RenderContext(links, details=True))}
    assert rows["v1"]["linkinfo"]["info_slave_data"]["state"] == "forwarding"
    assert rows["vx0"]["linkinfo"]["info_data"]["id"] == 42
    assert rows["mv0"]["linkinfo"]["info_data"]["mode"] == "bridge"
    assert rows["tap0"]["linkinfo"]["info_data"]["type"] == "tap"
    assert rows["tap0"]["flags"][0] == "NO-CARRIER"
    assert "link_netnsid" in rows["vp0"] and "link_index" in rows["vp0"]
    assert rows["v0"]["altnames"] == ["vzero"] and rows["v0"]["ifalias"] == "uplink port"


# --- addresses -----------------------------------------------------------------------


@pytest.mark.parametrize("flags", [(), ("-d",), ("-s",)], ids=lambda f: " ".join(f) or "plain")
@pytest.mark.parametrize("family,selector,words", [
    (0, {}, []),
    (AF_INET, {}, []),
    (AF_INET6, {}, []),
    (0, {"dev": "v0"}, ["dev", "v0"]),
    (0, {"scope": "link"}, ["scope", "link"]),
    (0, {"scope": "host"}, ["scope", "host"]),
    (0, {"up": True}, ["up"]),
    (0, {"to": "192.0.2.0/24"}, ["to", "192.0.2.0/24"]),
    (0, {"master": "br0"}, ["master", "br0"]),
    (AF_INET6, {"scope": "global"}, ["scope", "global"]),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_address(rich: str, flags: tuple[str, ...], family: int, selector: dict,
                 words: list[str]) -> None:
    fam_flag = {0: [], AF_INET: ["-4"], AF_INET6: ["-6"]}[family]
    with IPRoute(netns=rich) as ipr:
        def render() -> list[dict]:
            ctx = RenderContext(ipr.get_links(family=family), **_opts(flags))
            q = AddressQuery(family=family, **selector)
            return address_json(ipr.get_addr(family=family), ctx, q)

        sandwich(rich, render, [*fam_flag, *flags, "addr", "show", *words],
                 omitted=OMITTED["addr6"] if family == AF_INET6 else set())


def test_address_flags_and_lifetimes(rich: str) -> None:
    with IPRoute(netns=rich) as ipr:
        ctx = RenderContext(ipr.get_links())
        rows = {r["ifname"]: r["addr_info"] for r in address_json(ipr.get_addr(), ctx)}
    v0 = {a["local"]: a for a in rows["v0"]}
    assert v0["192.0.2.1"]["label"] == "v0:main" and v0["192.0.2.1"]["broadcast"] == "192.0.2.255"
    assert v0["192.0.2.2"]["secondary"] is True
    assert v0["2001:db8::1"]["nodad"] is True
    br0 = {a["local"]: a for a in rows["br0"]}
    assert br0["2001:db8:1::1"]["noprefixroute"] is True
    ifb = rows["ifb0"][0]
    assert ifb["dynamic"] is True and 0 < ifb["valid_life_time"] <= 1000


# --- routes --------------------------------------------------------------------------

ROUTE_VIEWS = [
    ({}, []),
    ({"table": 100}, ["table", "100"]),
    ({"table": "all"}, ["table", "all"]),
    ({"table": "local"}, ["table", "local"]),
    ({"family": AF_INET6}, ["-6"]),
    ({"family": AF_INET6, "table": "all"}, ["-6", "table", "all"]),
    ({"family": AF_INET6, "table": 100}, ["-6", "table", "100"]),
    ({"dev": "v0"}, ["dev", "v0"]),
    ({"proto": "static"}, ["proto", "static"]),
    ({"proto": "kernel", "table": "all"}, ["proto", "kernel", "table", "all"]),
    ({"type": "unreachable"}, ["type", "unreachable"]),
    ({"type": "local", "table": "all"}, ["type", "local", "table", "all"]),
    ({"scope": "link"}, ["scope", "link"]),
    ({"root": "10.0.0.0/16"}, ["root", "10.0.0.0/16"]),
    ({"match": "10.0.2.7"}, ["match", "10.0.2.7"]),
    ({"exact": "10.0.1.0/24"}, ["exact", "10.0.1.0/24"]),
    ({"match": "default"}, ["match", "default"]),
    ({"family": AF_INET6, "exact": "default"}, ["-6", "exact", "default"]),
    ({"family": AF_INET6, "root": "2001:db8::/32"}, ["-6", "root", "2001:db8::/32"]),
    ({"via": "192.0.2.254"}, ["via", "192.0.2.254"]),
    ({"src": "192.0.2.1"}, ["src", "192.0.2.1"]),
    ({"metric": 100}, ["metric", "100"]),
]


@pytest.mark.parametrize("flags", [(), ("-d",), ("-s",)], ids=lambda f: " ".join(f) or "plain")
@pytest.mark.parametrize("selector,words", ROUTE_VIEWS,
                         ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_route(rich: str, flags: tuple[str, ...], selector: dict, words: list[str]) -> None:
    fam = [w for w in words if w == "-6"]
    rest = [w for w in words if w != "-6"]
    with IPRoute(netns=rich) as ipr:
        def render() -> list[dict]:
            ctx = RenderContext(ipr.get_links(), **_opts(flags))
            q = RouteQuery(**selector)
            return route_json(q.select(ipr.get_routes(), ctx), ctx, q.hidden)

        sandwich(rich, render, [*fam, *flags, "route", "show", *rest])


def test_route_get(rich: str) -> None:
    with IPRoute(netns=rich) as ipr:
        def render() -> list[dict]:
            ctx = RenderContext(ipr.get_links())
            return route_json(ipr.route("get", dst="2001:db8:5::1"), ctx)

        sandwich(rich, render, ["-6", "route", "get", "2001:db8:5::1"])


# --- neighbours ----------------------------------------------------------------------


def _neigh_key(row: dict) -> tuple:
    return row.get("dst", ""), row.get("dev", "")


@pytest.mark.parametrize("flags", [(), ("-s",)], ids=lambda f: " ".join(f) or "plain")
@pytest.mark.parametrize("selector,words", [
    ({}, []),
    ({"nud": "all"}, ["nud", "all"]),
    ({"dev": "v0"}, ["dev", "v0"]),
    ({"nud": ["stale", "permanent"]}, ["nud", "stale", "nud", "permanent"]),
    ({"nud": "noarp"}, ["nud", "noarp"]),
    ({"family": AF_INET6}, ["-6"]),
    ({"to": "192.0.2.0/24"}, ["to", "192.0.2.0/24"]),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_neighbour(rich: str, flags: tuple[str, ...], selector: dict, words: list[str]) -> None:
    fam = [w for w in words if w == "-6"]
    rest = [w for w in words if w != "-6"]
    with IPRoute(netns=rich) as ipr:
        def render() -> list[dict]:
            ctx = RenderContext(ipr.get_links(), **_opts(flags))
            q = NeighbourQuery(**selector)
            return neighbour_json(q.select(ipr.get_neighbours(), ctx), ctx, q.hidden)

        sandwich(rich, render, [*fam, *flags, "neigh", "show", *rest], key=_neigh_key)


# --- rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("flags", [(), ("-d",)], ids=lambda f: " ".join(f) or "plain")
@pytest.mark.parametrize("selector,words", [
    ({}, []),
    ({"family": AF_INET6}, ["-6"]),
    ({"pref": 104}, ["pref", "104"]),
    ({"table": 100}, ["table", "100"]),
    ({"not_": True}, ["not"]),
    ({"src": "192.0.2.0/24"}, ["from", "192.0.2.0/24"]),
    ({"iif": "v0"}, ["iif", "v0"]),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_rule(rich: str, flags: tuple[str, ...], selector: dict, words: list[str]) -> None:
    fam = [w for w in words if w == "-6"]
    rest = [w for w in words if w != "-6"]
    with IPRoute(netns=rich) as ipr:
        def render() -> list[dict]:
            ctx = RenderContext((), **_opts(flags))
            return rule_json(RuleQuery(**selector).select(ipr.get_rules(), ctx), ctx)

        sandwich(rich, render, [*fam, *flags, "rule", "show", *rest])


# --- the fast path agrees with the Message API ----------------------------------------


def test_fast_decode_matches_message_api(rich: str) -> None:
    from nlshell.engine.codec import parse

    with IPRoute(netns=rich) as ipr:
        dumps = {"route": (ipr.get_routes(), ("family", "dst_len", "src_len", "tos", "table",
                                              "proto", "scope", "type", "flags")),
                 "neigh": (ipr.get_neighbours(), ("family", "ifindex", "state", "flags",
                                                  "ndm_type")),
                 "rule": (ipr.get_rules(), ("family", "dst_len", "src_len", "tos", "table",
                                            "action", "flags")),
                 "link": (ipr.get_links(), ("family", "ifi_type", "index", "flags", "change")),
                 "addr": (ipr.get_addr(), ("family", "prefixlen", "flags", "scope", "index"))}
        for what, (msgs, names) in dumps.items():
            assert msgs, what
            for _round in range(2):  # the second round reads through remembered layouts
                for lean in msgs:
                    for m in (lean, parse(lean.raw())[0]):  # a dump's view, the codec's own
                        head, attrs = m.whole()
                        assert head == tuple(m[n] for n in names) == m.header_tuple()
                        plain: dict = {}
                        for k, v in m.attrs():
                            plain.setdefault(k, v)
                        assert attrs.keys() == plain.keys(), (what, m)
                        assert m.attr_dict().keys() == plain.keys()
                        for k, v in attrs.items():
                            want = m.get(k) if not k.startswith("UNKNOWN") else plain[k]
                            assert repr(v) == repr(want) or v == want, (what, k, v, want)
