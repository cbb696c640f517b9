"""`route` commands against the kernel: every verb performed by nlshell and checked with
`ip -j`, and `nlshell -j route show` (main, table 100, table all, -6, selectors) equal to
`ip -j route show` on a namespace full of routes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest
from support import iporacle, nlrun, testns
from support.nlrun import nl, nlj, ok

from nlshell.commands.context import Context, Options
from nlshell.commands.parser import parse

pytestmark = testns.requires_root

BASE = """\
link add v0 type veth peer name v1
link add br0 type bridge
link add v2 type veth peer name v3
link set v3 master br0
link set v0 up
link set v1 up
link set v2 up
link set v3 up
link set br0 up
addr add 192.0.2.1/24 dev v0
addr add 198.51.100.1/24 dev br0
addr add 2001:db8:1::1/64 dev v0 nodad
addr add 2001:db8:2::1/64 dev br0 nodad
"""

RICH = BASE + """\
route add 10.1.0.0/16 via 192.0.2.2 metric 10 proto static
route add 10.2.0.0/16 via 198.51.100.2 proto bird
route add 10.3.0.0/16 nexthop via 192.0.2.2 weight 3 nexthop via 198.51.100.2 weight 1
route add blackhole 10.4.0.0/16
route add unreachable 10.5.0.0/16 metric 7
route add prohibit 10.6.0.0/16
route add 10.7.0.0/16 dev v0 src 192.0.2.1
route add 10.8.0.0/24 tos 0x10 dev v0
route add 10.100.0.0/16 via 192.0.2.2 table 100 mtu 1300
route add 10.101.0.0/16 dev v0 table 100 mtu lock 1280 advmss 1200
route add default via 192.0.2.254 table 100
route add 2001:db8:10::/48 via 2001:db8:1::2 metric 100
route add 2001:db8:11::/48 dev br0 pref high
route add blackhole 2001:db8:12::/48
route add 2001:db8:13::/48 nexthop via 2001:db8:1::2 nexthop via 2001:db8:2::2
route add 2001:db8:14::/48 from 2001:db8:99::/48 via 2001:db8:1::2
route add 2001:db8:100::/48 via 2001:db8:1::2 table 100 mtu 1400
"""


def routes(ns: str, *args: str) -> dict[str, dict]:
    """ip's routes by destination (the first of each)."""
    out: dict[str, dict] = {}
    for r in iporacle.ipj(ns, *args):
        out.setdefault(r["dst"], r)
    return out


@pytest.fixture(scope="module")
def rich() -> Iterator[str]:
    with testns.netns_with(RICH) as name:
        yield name


@pytest.fixture
def vns(ns: str) -> str:
    iporacle.batch(ns, BASE)
    return ns


# -- oracle: show equals ip -j ---------------------------------------------------------------

SHOWS = [
    "route show",
    "route show table 100",
    "route show table all",
    "-6 route show",
    "-6 route show table 100",
    "-6 route show table all",
    "-4 route show table all",
    "route show table local",
    "route show dev v0",
    "route show proto static",
    "route show type blackhole",
    "route show root 10.0.0.0/8",
    "route show match 10.3.4.5",
    "route show exact 10.3.0.0/16",
    "route show 10.1.0.0/16",
    "route show table all scope link",
    "route show cache",
    "-6 route show cache",
    "route show via 192.0.2.2 table all",
    "-6 route show dev br0",
    "-6 route show match 2001:db8:10::1",
]


@pytest.mark.parametrize("line", SHOWS)
def test_show_equals_ip(rich: str, line: str) -> None:
    assert nlj(rich, line) == iporacle.ipj(rich, *line.split())


def test_route_show_details_and_stats_equal_ip(rich: str) -> None:
    for opts in (["-d"], ["-s"], ["-d", "-s"]):
        line = " ".join([*opts, "route", "show", "table", "all"])
        assert nlj(rich, line) == iporacle.ipj(rich, *line.split())


def test_rich_state_is_what_the_oracle_needs(rich: str) -> None:
    main = routes(rich, "route", "show")
    assert main["10.1.0.0/16"]["metric"] == 10 and main["10.1.0.0/16"]["protocol"] == "static"
    assert len(main["10.3.0.0/16"]["nexthops"]) == 2
    assert main["10.4.0.0/16"]["type"] == "blackhole"
    assert main["10.5.0.0/16"]["type"] == "unreachable"
    t100 = routes(rich, "route", "show", "table", "100")
    assert t100["10.100.0.0/16"]["metrics"] == [{"mtu": 1300}]
    assert "2001:db8:10::/48" in routes(rich, "-6", "route", "show")


def test_human_table(rich: str) -> None:
    text = ok(rich, "route show")
    head = text.splitlines()[0].split()
    assert head[:2] == ["TYPE", "DESTINATION"] and "GATEWAY" in head
    assert "10.1.0.0/16" in text and "blackhole" in text


def test_show_missing_table_is_the_kernels_error(rich: str) -> None:
    code, out, err = nl(rich, "route show table 55")  # ip: the same words, exit 2
    assert (code, out) == (2, "") and "FIB table does not exist" in err


def test_show_unknown_device_is_a_lookup_error(rich: str) -> None:
    assert nl(rich, "route show dev nosuch0") == (1, "", 'Cannot find device "nosuch0"\n')


# -- add ------------------------------------------------------------------------------------------


ADDS = [
    # (nlshell line, ip show args, expected subset of ip's entry)
    ("route add 10.10.0.0/16 via 192.0.2.2 metric 5 proto static",
     ("route", "show"), {"gateway": "192.0.2.2", "metric": 5, "protocol": "static"}),
    ("route add 10.11.0.0/16 dev v0", ("route", "show"), {"dev": "v0", "scope": "link"}),
    ("route add 10.12.0.0/16 dev v0 src 192.0.2.1 scope global", ("route", "show"),
     {"prefsrc": "192.0.2.1"}),
    ("route add blackhole 10.13.0.0/16", ("route", "show"), {"type": "blackhole"}),
    ("route add unreachable 10.14.0.0/16", ("route", "show"), {"type": "unreachable"}),
    ("route add prohibit 10.15.0.0/16", ("route", "show"), {"type": "prohibit"}),
    ("route add throw 10.16.0.0/16", ("route", "show"), {"type": "throw"}),
    ("route add local 10.17.0.1 dev v0", ("route", "show", "table", "local"),
     {"type": "local", "scope": "host"}),
    ("route add broadcast 10.18.0.255 dev v0", ("route", "show", "table", "local"),
     {"type": "broadcast", "scope": "link"}),
    ("route add 10.19.0.0/16 via 192.0.2.2 table 100 mtu 1300", ("route", "show", "table",
                                                                 "100"),
     {"metrics": [{"mtu": 1300}]}),
    ("route add 10.20.0.0/16 dev v0 mtu lock 1280 advmss 1200 hoplimit 9 initcwnd 10",
     ("route", "show"), {"metrics": [{"mtu": 1280, "advmss": 1200, "hoplimit": 9,
                                      "initcwnd": 10}]}),
    ("route add 10.21.0.0/16 via 203.0.113.1 dev v0 onlink", ("route", "show"),
     {"gateway": "203.0.113.1", "flags": ["onlink"]}),
    ("route add 10.22.0.0/16 nexthop via 192.0.2.2 dev v0 weight 2 nexthop via 198.51.100.2",
     ("route", "show"), {"nexthops": [
         {"gateway": "192.0.2.2", "dev": "v0", "weight": 2, "flags": []},
         {"gateway": "198.51.100.2", "dev": "br0", "weight": 1, "flags": []}]}),
    ("route add 10.23.0.0/24 tos 0x10 dev v0", ("route", "show"), {"tos": "0x10"}),
    ("route add default via 192.0.2.254 table 100", ("route", "show", "table", "100"),
     {"gateway": "192.0.2.254"}),
    ("route add 10.24.0.0/16 via 192.0.2.2 proto 77", ("route", "show"),
     {"protocol": "77"}),
    ("route add 2001:db8:30::/48 via 2001:db8:1::2", ("-6", "route", "show"),
     {"gateway": "2001:db8:1::2", "metric": 1024, "pref": "medium"}),
    ("route add 2001:db8:31::/48 dev br0 metric 7 pref high", ("-6", "route", "show"),
     {"dev": "br0", "metric": 7, "pref": "high"}),
    ("route add blackhole 2001:db8:32::/48", ("-6", "route", "show"), {"type": "blackhole"}),
    ("route add 2001:db8:33::/48 nexthop via 2001:db8:1::2 nexthop via 2001:db8:2::2",
     ("-6", "route", "show"), {"nexthops": [
         {"gateway": "2001:db8:1::2", "dev": "v0", "weight": 1, "flags": []},
         {"gateway": "2001:db8:2::2", "dev": "br0", "weight": 1, "flags": []}]}),
    ("route add 2001:db8:34::/48 from 2001:db8:99::/48 via 2001:db8:1::2",
     ("-6", "route", "show"), {"from": "2001:db8:99::/48"}),
    ("route add 2001:db8:35::/48 via 2001:db8:1::2 table 100 mtu 1400",
     ("-6", "route", "show", "table", "100"), {"metrics": [{"mtu": 1400}]}),
    ("-6 route add default via 2001:db8:1::fe", ("-6", "route", "show"),
     {"gateway": "2001:db8:1::fe"}),
]


def _dst_of(line: str) -> str:
    words = line.split()
    words = words[words.index("add") + 1:]
    if words[0] in ("blackhole", "unreachable", "prohibit", "throw", "local", "broadcast"):
        words = words[1:]
    return words[0]


@pytest.mark.parametrize("line,show,expect", ADDS, ids=[a[0] for a in ADDS])
def test_add(vns: str, line: str, show: tuple, expect: dict) -> None:
    ok(vns, line)
    got = routes(vns, *show)[_dst_of(line)]
    assert {k: got.get(k) for k in expect} == expect


def test_add_equals_what_ip_adds(vns: str, ns2: str) -> None:
    """The same lines through nlshell and ip give identical tables."""
    iporacle.batch(ns2, BASE)
    lines = [a[0] for a in ADDS]
    for line in lines:
        ok(vns, line)
    # ip's batch takes no per-line -6 (its addresses say the family)
    iporacle.batch(ns2, "\n".join(x.removeprefix("-6 ") for x in lines) + "\n")
    for args in (("route", "show", "table", "all"), ("-6", "route", "show", "table", "all")):
        assert _stable(vns, args) == _stable(ns2, args)


def _stable(ns: str, args: tuple) -> list[str]:
    # link-local routes differ between namespaces (random MACs) and come in any order
    return sorted(json.dumps(r, sort_keys=True) for r in iporacle.ipj(ns, *args)
                  if not r["dst"].startswith("fe80") and r.get("type") != "multicast")


def test_bulk_builder_is_the_handler_translation(vns: str) -> None:
    from nlshell.commands.route import route_add_request, route_request

    ctx = Context(netns=vns)
    try:
        for line in [a[0] for a in ADDS]:
            inv = parse(line)
            ctx.opts = ctx.opts.with_family(inv.family)
            assert route_add_request(ctx, inv) == route_request(ctx, inv)
            ctx.opts = Options()
    finally:
        ctx.close()


def test_add_errors(vns: str) -> None:
    ok(vns, "route add 10.40.0.0/16 dev v0")
    assert nl(vns, "route add 10.40.0.0/16 dev v0") == (
        2, "", "RTNETLINK answers: File exists\n")
    assert nl(vns, "route add 10.41.0.0/16 dev nosuch0") == (
        1, "", 'Cannot find device "nosuch0"\n')
    code, _o, err = nl(vns, "-6 route add 10.42.0.0/16 dev v0")
    assert code == 1 and "10.42.0.0/16" in err and "IPv6" in err
    code, _o, err = nl(vns, "route add 10.43.0.0/16 via 192.0.2.2 nexthop via 192.0.2.3")
    assert code == 255 and "nexthop" in err
    # the kernel's own words, as ip prints them
    code, _o, err = nl(vns, "route add 10.44.0.0/16 via 203.0.113.9")
    assert code == 2 and err == "Error: Nexthop has invalid gateway.\n"
    code, _o, err = nl(vns, "route add nat 10.45.0.0/16 via 192.0.2.9")
    ip_err = subprocess.run(["ip", "-n", vns, "route", "add", "nat", "10.45.0.0/16", "via",
                             "192.0.2.9"], capture_output=True, text=True).stderr
    assert code == 2 and err.split(": ", 1)[1].rstrip(".\n") == \
        ip_err.split(": ", 1)[1].rstrip(".\n")
    assert "10.45.0.0/16" not in routes(vns, "route", "show", "table", "all")


# -- delete / replace / change / append / prepend ------------------------------------------------


def test_delete(vns: str) -> None:
    iporacle.batch(vns, (
        "route add 10.50.0.0/16 via 192.0.2.2\n"
        "route add 10.51.0.0/16 via 192.0.2.2 metric 5\n"
        "route add 10.51.0.0/16 via 192.0.2.3 metric 6\n"
        "route add blackhole 10.52.0.0/16\n"
        "route add 10.53.0.0/16 dev v0 table 100\n"
        "route add default via 192.0.2.254\n"
        "route add 2001:db8:50::/48 via 2001:db8:1::2\n"))
    ok(vns, "route del 10.50.0.0/16")
    ok(vns, "route delete 10.51.0.0/16 metric 6")
    ok(vns, "route d blackhole 10.52.0.0/16")
    ok(vns, "route del 10.53.0.0/16 table 100")
    ok(vns, "route del default")
    ok(vns, "route del 2001:db8:50::/48")
    main = routes(vns, "route", "show")
    assert "10.50.0.0/16" not in main and "10.52.0.0/16" not in main
    assert "default" not in main
    assert [r["metric"] for r in iporacle.ipj(vns, "route", "show", "10.51.0.0/16")] == [5]
    assert iporacle.ipj(vns, "route", "show", "table", "100") == []
    assert "2001:db8:50::/48" not in routes(vns, "-6", "route", "show")
    assert nl(vns, "route del 10.50.0.0/16") == (2, "", "RTNETLINK answers: No such process\n")


def test_replace(vns: str) -> None:
    ok(vns, "route replace 10.60.0.0/16 via 192.0.2.2")  # creates
    ok(vns, "route replace 10.60.0.0/16 via 192.0.2.3 proto static")  # replaces
    assert iporacle.ipj(vns, "route", "show", "10.60.0.0/16") == [
        {"dst": "10.60.0.0/16", "gateway": "192.0.2.3", "dev": "v0", "protocol": "static",
         "flags": []}]


def test_change(vns: str) -> None:
    ok(vns, "route add 10.61.0.0/16 via 192.0.2.2")
    ok(vns, "route change 10.61.0.0/16 via 192.0.2.4")
    assert [r["gateway"] for r in iporacle.ipj(vns, "route", "show", "10.61.0.0/16")] == [
        "192.0.2.4"]
    code, _o, err = nl(vns, "route change 10.62.0.0/16 via 192.0.2.4")
    assert code == 2 and err.startswith(("Error: ", "RTNETLINK answers: "))
    assert "10.62.0.0/16" not in routes(vns, "route", "show")


def test_append_and_prepend(vns: str) -> None:
    ok(vns, "route add 10.63.0.0/16 via 192.0.2.2")
    ok(vns, "route append 10.63.0.0/16 via 192.0.2.3")
    ok(vns, "route prepend 10.63.0.0/16 via 192.0.2.4")
    assert [r["gateway"] for r in iporacle.ipj(vns, "route", "show", "10.63.0.0/16")] == [
        "192.0.2.4", "192.0.2.2", "192.0.2.3"]


# -- get ------------------------------------------------------------------------------------------

GETS = [
    "route get 10.1.2.3",
    "route get 10.3.9.9",
    "route get 192.0.2.77",
    "route get 10.1.2.3 from 192.0.2.1",
    "route get 10.1.2.3 oif v0",
    "route get 10.1.2.3 fibmatch",
    "route get 10.3.0.1 fibmatch",
    "route get 10.1.2.3 mark 7",
    "route get 2001:db8:10::1",
    "route get 2001:db8:14::1 from 2001:db8:99::1",
    "-6 route get 2001:db8:11::5 fibmatch",
]


@pytest.mark.parametrize("line", GETS)
def test_get_equals_ip(rich: str, line: str) -> None:
    assert nlj(rich, line) == iporacle.ipj(rich, *line.split())


def test_get_connected(rich: str) -> None:
    # asked again from the first answer's preferred source (ip -j prints the second
    # answer as text, so no oracle here)
    first = nlj(rich, "route get 10.1.2.3")[0]
    assert nlj(rich, "route get 10.1.2.3 connected") == nlj(
        rich, f"route get 10.1.2.3 from {first['prefsrc']}")


def test_get_errors(rich: str) -> None:
    code, _o, err = nl(rich, "route get 10.4.0.1")  # blackhole
    assert code == 2 and err.startswith(("Error: ", "RTNETLINK answers: "))
    assert nl(rich, "route get 10.1.2.3 iif nosuch0")[0] == 1


# -- flush ----------------------------------------------------------------------------------------


def test_flush(vns: str) -> None:
    iporacle.batch(vns, "".join(
        f"route add 10.70.{i}.0/24 via 192.0.2.2 proto static\n" for i in range(40)) + (
        "route add 10.71.0.0/16 dev br0\n"
        "route add 10.72.0.0/16 dev v0 table 100\n"
        "route add 10.73.0.0/16 dev v0 table 100\n"
        "route add 10.74.0.0/16 via 198.51.100.2\n"
        "route add 2001:db8:70::/48 via 2001:db8:1::2 proto static\n"))
    ok(vns, "route flush proto static")
    main = routes(vns, "route", "show")
    assert not [d for d in main if d.startswith("10.70.")]
    assert "2001:db8:70::/48" in routes(vns, "-6", "route", "show")  # IPv4 only by default
    ok(vns, "route flush dev br0")
    main = routes(vns, "route", "show")
    assert "10.71.0.0/16" not in main and "10.74.0.0/16" not in main
    assert "192.0.2.0/24" in main  # v0's routes stay
    ok(vns, "route flush table 100")
    assert iporacle.ipj(vns, "route", "show", "table", "100") == []
    ok(vns, "-6 route flush proto static")
    assert "2001:db8:70::/48" not in routes(vns, "-6", "route", "show")


def test_flush_root_and_stats(vns: str) -> None:
    iporacle.batch(vns, "".join(
        f"route add 10.80.{i}.0/24 dev v0\n" for i in range(5)) + "route add 10.81.0.0/24 dev v0\n")
    out = ok(vns, "-s route flush root 10.80.0.0/16")
    assert "deleting 5 entries" in out and "Flush is complete after 1 round" in out
    main = routes(vns, "route", "show")
    assert not [d for d in main if d.startswith("10.80.")] and "10.81.0.0/24" in main
    assert ok(vns, "route flush root 10.80.0.0/16") == ""  # silent without -s


def test_flush_needs_a_selector(vns: str) -> None:
    code, _o, err = nl(vns, "route flush")
    assert code == 1 and "selector" in err
    assert "192.0.2.0/24" in routes(vns, "route", "show")


# -- the command line -----------------------------------------------------------------------------


def cli(ns: str, *args: str) -> subprocess.CompletedProcess:
    return nlrun.run_nlshell("-n", ns, *args)


def test_cli(vns: str) -> None:
    proc = cli(vns, "-c", "route add 10.90.0.0/16 via 192.0.2.2", "-c",
               "route add 10.90.0.0/16 via 192.0.2.2")
    assert proc.returncode == 2 and "File exists" in proc.stderr
    proc = cli(vns, "-j", "route", "show", "10.90.0.0/16")
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == iporacle.ipj(vns, "route", "show", "10.90.0.0/16")
    proc = cli(vns, "-6", "-j", "route", "show")
    assert json.loads(proc.stdout) == iporacle.ipj(vns, "-6", "route", "show")
    proc = cli(vns, "route", "add", "10.91.0.0/16", "dev", "nosuch0")
    assert (proc.returncode, proc.stderr) == (1, 'Cannot find device "nosuch0"\n')
