"""Gaps of the command language closed against `ip`, each checked in the kernel with `ip -j`:
`route show to root|match|exact`, `-f`/`-family`, `via inet|inet6`, the rtt/rttvar/rto_min
metrics (and `lock`), the rule selectors uidrange/ipproto/sport/dport/l3mdev, and
`neigh get -j` (JSON, a documented departure from ip 6.1's text)."""

from __future__ import annotations

import pytest
from support import iporacle, nlrun, testns
from support.nlrun import nl, nlj, ok

pytestmark = testns.requires_root

ROUTES = """\
route add 10.20.0.0/16 dev v0
route add 10.20.1.0/24 via 192.0.2.2
route add 10.21.0.0/16 dev v0
route add default via 192.0.2.254
"""


def dsts(rows: list[dict]) -> list[str]:
    return [r["dst"] for r in rows]


# -- 1. route show to [root|match|exact] PREFIX ------------------------------------------------

@pytest.mark.parametrize("sel", ["to root 10.20.0.0/15", "to match 10.20.1.5",
                                 "to exact 10.20.0.0/16", "to 10.20.1.0/24",
                                 "root 10.20.0.0/15", "10.20.0.0/16"])
def test_route_show_to_selector(vns: str, sel: str) -> None:
    iporacle.batch(vns, ROUTES)
    assert nlj(vns, f"route show {sel}") == iporacle.ipj(vns, "route", "show", *sel.split())


def test_route_show_to_errors(vns: str) -> None:
    code, _out, err = nl(vns, "route show to root")
    assert code == 255 and "PREFIX" in err
    code, _out, err = nl(vns, "route show to root 10.0.0.0/8 match 10.1.1.1")
    assert code == 255 and "match" in err


def test_route_flush_to_root(vns: str) -> None:
    iporacle.batch(vns, ROUTES)
    ok(vns, "route flush to root 10.20.0.0/16")
    assert "10.20.0.0/16" not in iporacle.route_dsts(vns)
    assert {"10.21.0.0/16", "default"} <= iporacle.route_dsts(vns)


# -- 2. -f / -family ---------------------------------------------------------------------------

@pytest.mark.parametrize("opt,ipopt", [("-f inet6", "-6"), ("-family inet", "-4"),
                                       ("-f inet6 -4", "-4"), ("-4 -f inet6", "-6")])
def test_family_option_in_line(vns: str, opt: str, ipopt: str) -> None:
    assert nlj(vns, f"{opt} route show") == iporacle.ipj(vns, ipopt, "route", "show")


def test_family_link_is_dash_zero(vns: str) -> None:
    assert nlj(vns, "-f link address show dev v0") == nlj(vns, "-0 address show dev v0")
    assert nlj(vns, "-0 address show dev v0") == iporacle.ipj(vns, "-0", "address", "show", "dev", "v0")


def test_family_option_errors(vns: str) -> None:
    code, _out, err = nl(vns, "-f bridge route show")
    assert code == 255 and "bridge" in err
    proc = nlrun.run_nlshell("-n", vns, "-f", "mpls", "route", "show")
    assert proc.returncode == 255 and "mpls" in proc.stderr


def test_family_option_on_command_line(vns: str) -> None:
    import json

    for argv, ipopt in ((["-f", "inet6"], "-6"), (["-family", "inet"], "-4"),
                        (["-6", "-f", "inet"], "-4")):
        proc = nlrun.run_nlshell("-n", vns, "-j", *argv, "route", "show")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout) == iporacle.ipj(vns, ipopt, "route", "show")


# -- 3. via inet6 / via inet ---------------------------------------------------------------

def test_route_via_inet6(vns: str) -> None:
    ok(vns, "route add 10.30.0.0/24 via inet6 fe80::1 dev v0",
       "route add 10.31.0.0/24 via inet 192.0.2.9",
       "-4 route add default table 7 via inet6 fe80::2 dev v0")
    got = {r["dst"]: r for r in iporacle.ipj(vns, "route", "show")}
    assert got["10.30.0.0/24"]["via"] == {"family": "inet6", "host": "fe80::1"}
    assert got["10.31.0.0/24"]["gateway"] == "192.0.2.9"
    assert iporacle.ipj(vns, "-4", "route", "show", "table", "7")[0]["via"] == {
        "family": "inet6", "host": "fe80::2"}
    assert nlj(vns, "route show") == iporacle.ipj(vns, "route", "show")
    ok(vns, "route del 10.30.0.0/24 via inet6 fe80::1 dev v0")
    assert "10.30.0.0/24" not in iporacle.route_dsts(vns)


def test_route_via_family_mismatch(vns: str) -> None:
    code, _out, err = nl(vns, "route add 10.32.0.0/24 via inet fe80::1 dev v0")
    assert code == 1 and 'via inet "fe80::1"' in err
    code, _out, err = nl(vns, "route add 10.32.0.0/24 via inet6 192.0.2.2")
    assert code == 1 and "192.0.2.2" in err
    assert "10.32.0.0/24" not in iporacle.route_dsts(vns)


# -- 4. rtt / rttvar / rto_min, lock ---------------------------------------------------------

METRIC_ROUTES = [
    "10.40.0.0/24 dev v0 rtt 100 rttvar 50 rto_min 200",
    "10.41.0.0/24 dev v0 rtt 100ms rttvar 2s rto_min 3ms",
    "10.42.0.0/24 dev v0 rtt lock 1.5s rttvar lock 40msec",
    "10.43.0.0/24 dev v0 rtt 7 rttvar 3 rto_min 1",
    "10.44.0.0/24 dev v0 mtu lock 1400 window lock 100 hoplimit lock 5 cwnd lock 9",
    "10.45.0.0/24 dev v0 rtt 0x10 ssthresh lock 3 initcwnd lock 4 advmss lock 1000",
]


def test_route_rtt_metrics_as_ip(vns: str, ns2: str) -> None:
    iporacle.batch(ns2, iporacle.VETH_V0)
    for route in METRIC_ROUTES:
        ok(vns, f"route add {route}")
        iporacle.sh(ns2, f"route add {route}")
    assert nlj(vns, "route show") == iporacle.ipj(ns2, "route", "show")
    # the text shows the locks: the same attributes reached the kernel
    assert iporacle.sh(vns, "route show") == iporacle.sh(ns2, "route show")


@pytest.mark.parametrize("bad", ["rtt 5us", "rtt fast", "rttvar -1", "rto_min lock 3ms"])
def test_route_rtt_errors(vns: str, bad: str) -> None:
    code, _out, err = nl(vns, f"route add 10.46.0.0/24 dev v0 {bad}")
    assert code == 255 and err
    assert "10.46.0.0/24" not in iporacle.route_dsts(vns)


# -- 5. rule selectors ------------------------------------------------------------------------

RULES = [
    "uidrange 1000-2000 ipproto tcp sport 80-90 dport 443 table 100 pref 200",
    "ipproto 17 sport 53 pref 201",
    "l3mdev pref 202",
    "ipproto icmp dport 1-2 table 5 pref 203",
    "not uidrange 5-5 prohibit pref 204",
]


def test_rule_selectors_as_ip(ns: str, ns2: str) -> None:
    for rule in RULES:
        ok(ns, f"rule add {rule}")
        iporacle.sh(ns2, f"rule add {rule}")
    ok(ns, "-6 rule add ipproto ipv6-icmp uidrange 7-9 pref 210")
    iporacle.sh(ns2, "-6 rule add ipproto ipv6-icmp uidrange 7-9 pref 210")
    assert nlj(ns, "rule show") == iporacle.ipj(ns2, "rule", "show")
    assert nlj(ns, "-6 rule show") == iporacle.ipj(ns2, "-6", "rule", "show")
    for sel in ("ipproto tcp", "sport 53", "dport 1-2", "uidrange 1000-2000", "l3mdev",
                "ipproto udp sport 53"):
        assert nlj(ns, f"rule show {sel}") == iporacle.ipj(ns2, "rule", "show", *sel.split()), sel


def test_rule_selectors_delete(ns: str) -> None:
    for rule in RULES:
        ok(ns, f"rule add {rule}")
    ok(ns, "rule del sport 53", "rule del uidrange 1000-2000", "rule del l3mdev",
       "rule del ipproto icmp dport 1-2")
    left = {r["priority"] for r in iporacle.ipj(ns, "rule", "show")}
    assert left == {0, 204, 32766, 32767}
    ok(ns, "rule flush uidrange 5-5")
    assert 204 not in {r["priority"] for r in iporacle.ipj(ns, "rule", "show")}


@pytest.mark.parametrize("bad,word", [("uidrange 5", "5"), ("uidrange 9-3", "9-3"),
                                      ("sport 70000", "70000"), ("ipproto bogus", "bogus"),
                                      ("l3mdev table 5", "table")])
def test_rule_selector_errors(ns: str, bad: str, word: str) -> None:
    code, _out, err = nl(ns, f"rule add {bad}")
    assert code == 255 and word in err


# -- 6. neigh get -j -------------------------------------------------------------------------

def test_neigh_get_json(vns: str) -> None:
    iporacle.sh(vns, "neigh add 192.0.2.50 lladdr 02:00:00:00:00:50 dev v0")
    want = [n for n in iporacle.ipj(vns, "neigh", "show", "dev", "v0")
            if n["dst"] == "192.0.2.50"]
    assert nlj(vns, "neigh get 192.0.2.50 dev v0") == [
        {k: v for k, v in n.items()} | {"dev": "v0"} for n in want]
