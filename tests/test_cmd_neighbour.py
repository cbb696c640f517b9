"""`neighbour` commands against the kernel: every verb performed by nlshell and checked with
`ip -j`, and `nlshell -j neigh show` equal to `ip -j neigh show` on namespaces holding
permanent, reachable (from real traffic between two namespaces, and added so), stale,
router, NOARP, proxy and IPv6 entries."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest
from support import iporacle, testns
from support.nlrun import nl, nlj, ok

from nlshell.commands.context import Context
from nlshell.commands.parser import parse

pytestmark = testns.requires_root

RICH_NEIGH = """\
neigh add 192.0.2.10 lladdr 02:00:00:00:00:10 dev v0
neigh add 192.0.2.11 lladdr 02:00:00:00:00:11 dev v0 nud reachable router
neigh add 192.0.2.12 lladdr 02:00:00:00:00:12 dev v0 nud stale
neigh add 192.0.2.13 lladdr 02:00:00:00:00:13 dev v0 nud noarp
neigh add 2001:db8:1::10 lladdr 02:00:00:00:01:10 dev v0 router
neigh add 2001:db8:1::11 lladdr 02:00:00:00:01:11 dev v0 nud reachable
neigh add proxy 192.0.2.77 dev v0
neigh add proxy 2001:db8:1::77 dev v0
"""


def by_dst(entries: list[dict]) -> dict[str, dict]:
    return {e["dst"]: e for e in entries}


def same(ns: str, line: str) -> None:
    """nlshell equals ip for `line` (states may move between dumps: retry until ip's own
    two dumps agree around nlshell's)."""
    key = lambda e: json.dumps(e, sort_keys=True)  # noqa: E731 - the kernel's order varies
    for _ in range(5):
        before = sorted(map(key, iporacle.ipj(ns, *line.split())))
        mine = sorted(map(key, nlj(ns, line)))
        after = sorted(map(key, iporacle.ipj(ns, *line.split())))
        if before == after:
            assert mine == before
            return
    pytest.fail(f"{line}: the neighbour table kept changing")


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[str, str]]:
    """Two namespaces joined by a veth, with traffic between them (REACHABLE entries on
    both sides), plus the rich set of entries in the first."""
    with testns.temp_netns() as a, testns.temp_netns() as b:
        iporacle.batch(a, iporacle.VETH_V0 + RICH_NEIGH +
                      f"link add a0 type veth peer name b0 netns {b}\n"
                      "link set a0 up\naddr add 198.51.100.1/24 dev a0\n")
        iporacle.batch(b, "link set b0 up\naddr add 198.51.100.2/24 dev b0\n")
        subprocess.run(["ip", "netns", "exec", a, "ping", "-c", "1", "-W", "2",
                        "198.51.100.2"], check=True, capture_output=True, timeout=30)
        yield a, b


# -- oracle -----------------------------------------------------------------------------------------

SHOWS = ["neigh show", "neigh show dev v0", "neigh show dev a0", "neigh show nud all",
         "neigh show nud permanent", "neigh show nud reachable nud stale",
         "neigh show nud noarp", "-4 neigh show", "-6 neigh show", "neigh show proxy",
         "-6 neigh show proxy", "neigh show to 192.0.2.0/28", "neighbour list"]


@pytest.mark.parametrize("line", SHOWS)
def test_show_equals_ip(pair: tuple[str, str], line: str) -> None:
    same(pair[0], line)


def test_traffic_made_reachable_entries(pair: tuple[str, str]) -> None:
    a, b = pair
    for ns, peer in ((a, "198.51.100.2"), (b, "198.51.100.1")):
        entry = by_dst(nlj(ns, "neigh show"))[peer]
        assert entry["state"][0] in ("REACHABLE", "STALE", "DELAY")  # ages from reachable
        assert by_dst(iporacle.ipj(ns, "neigh", "show"))[peer]["lladdr"] == entry["lladdr"]
    same(b, "neigh show")


def test_rich_entries_are_there(pair: tuple[str, str]) -> None:
    got = by_dst(nlj(pair[0], "neigh show"))
    assert got["192.0.2.10"]["state"] == ["PERMANENT"]
    assert "router" in got["192.0.2.11"]
    assert "192.0.2.13" not in got  # NOARP hidden, as ip
    assert "192.0.2.13" in by_dst(nlj(pair[0], "neigh show nud all"))


def test_stats_add_cache_info(pair: tuple[str, str]) -> None:
    entry = by_dst(nlj(pair[0], "-s neigh show dev v0"))["192.0.2.10"]
    assert {"used", "confirmed", "updated", "probes"} <= set(entry)
    assert "dev" not in entry  # a selected device is not repeated, as ip


def test_human_table(pair: tuple[str, str]) -> None:
    text = ok(pair[0], "neigh show")
    assert text.split()[:4] == ["ADDRESS", "DEV", "LLADDR", "STATE"]
    assert "DEV" not in ok(pair[0], "neigh show dev v0").split()  # as ip: not repeated
    assert "02:00:00:00:00:10" in text and "PERMANENT" in text


# -- add / del / change / replace ----------------------------------------------------------------

ADDS = [
    ("neigh add 192.0.2.20 lladdr 02:00:00:00:00:20 dev v0", ("neigh", "show"),
     {"lladdr": "02:00:00:00:00:20", "state": ["PERMANENT"]}),
    ("neighbour add 192.0.2.21 lladdr 02:00:00:00:00:21 dev v0 nud reachable",
     ("neigh", "show"), {"state": ["REACHABLE"]}),
    ("n add 192.0.2.22 lladdr 02:00:00:00:00:22 dev v0 nud stale router", ("neigh", "show"),
     {"state": ["STALE"], "router": None}),
    ("neigh add 192.0.2.23 lladdr 2:0:0:0:0:23 dev v0 nud noarp",
     ("neigh", "show", "nud", "all"), {"lladdr": "02:00:00:00:00:23", "state": ["NOARP"]}),
    ("neigh add to 192.0.2.24 lladdr 02:00:00:00:00:24 dev v0 nud permanent",
     ("neigh", "show"), {"state": ["PERMANENT"]}),
    ("neigh add 2001:db8:1::20 lladdr 02:00:00:00:01:20 dev v0", ("neigh", "show"),
     {"state": ["PERMANENT"]}),
    ("neigh add proxy 192.0.2.25 dev v0", ("neigh", "show", "proxy"), {"proxy": None}),
    ("neigh add proxy 2001:db8:1::25 dev v0", ("neigh", "show", "proxy"), {"proxy": None}),
]


@pytest.mark.parametrize("line,show,expect", ADDS, ids=[a[0] for a in ADDS])
def test_add(vns: str, line: str, show: tuple, expect: dict) -> None:
    ok(vns, line)
    addr = [w for w in line.split() if w[0].isdigit()][0]
    got = by_dst(iporacle.ipj(vns, *show))[addr]
    assert {k: got.get(k, "missing") for k in expect} == expect
    assert got.get("dev", "v0") == "v0"


def test_bulk_builder_is_the_handler_translation(vns: str) -> None:
    from nlshell.commands.neighbour import neighbour_add_request, neighbour_request

    ctx = Context(netns=vns)
    try:
        for line, _s, _e in ADDS:
            inv = parse(line)
            assert neighbour_add_request(ctx, inv) == neighbour_request(ctx, inv)
    finally:
        ctx.close()


def test_add_errors(vns: str) -> None:
    ok(vns, "neigh add 192.0.2.30 lladdr 02:00:00:00:00:30 dev v0")
    assert nl(vns, "neigh add 192.0.2.30 lladdr 02:00:00:00:00:31 dev v0") == (
        2, "", "RTNETLINK answers: File exists\n")
    assert nl(vns, "neigh add 192.0.2.31 lladdr 02:00:00:00:00:31 dev nosuch0") == (
        1, "", 'Cannot find device "nosuch0"\n')
    code, _o, err = nl(vns, "neigh add 192.0.2.32 lladdr 02:00:00:00:00:zz dev v0")
    assert code == 1 and "02:00:00:00:00:zz" in err
    code, _o, err = nl(vns, "neigh add lladdr 02:00:00:00:00:32 dev v0")
    assert code == 255 and "address" in err
    code, _o, err = nl(vns, "-6 neigh add 192.0.2.33 lladdr 02:00:00:00:00:33 dev v0")
    assert code == 1 and "192.0.2.33" in err
    got = by_dst(iporacle.ipj(vns, "neigh", "show", "nud", "all"))
    assert got["192.0.2.30"]["lladdr"] == "02:00:00:00:00:30" and "192.0.2.31" not in got


def test_delete(vns: str) -> None:
    iporacle.batch(vns, (
        "neigh add 192.0.2.40 lladdr 02:00:00:00:00:40 dev v0\n"
        "neigh add 192.0.2.41 lladdr 02:00:00:00:00:41 dev v0\n"
        "neigh add 2001:db8:1::40 lladdr 02:00:00:00:01:40 dev v0\n"
        "neigh add proxy 192.0.2.42 dev v0\n"))
    ok(vns, "neigh del 192.0.2.40 dev v0")
    ok(vns, "neighbour delete 2001:db8:1::40 dev v0")
    ok(vns, "neigh del proxy 192.0.2.42 dev v0")
    got = by_dst(iporacle.ipj(vns, "neigh", "show"))
    assert "192.0.2.40" not in got and "2001:db8:1::40" not in got and "192.0.2.41" in got
    assert iporacle.ipj(vns, "neigh", "show", "proxy") == []
    code, _o, err = nl(vns, "neigh del 192.0.2.40 dev v0")
    assert code == 2 and err.startswith(("Error: ", "RTNETLINK answers: "))


def test_change_and_replace(vns: str) -> None:
    ok(vns, "neigh add 192.0.2.50 lladdr 02:00:00:00:00:50 dev v0")
    ok(vns, "neigh change 192.0.2.50 lladdr 02:00:00:00:00:51 dev v0")
    assert by_dst(iporacle.ipj(vns, "neigh", "show"))["192.0.2.50"]["lladdr"] == \
        "02:00:00:00:00:51"
    code, _o, err = nl(vns, "neigh change 192.0.2.59 lladdr 02:00:00:00:00:59 dev v0")
    assert code == 2 and err.startswith(("Error: ", "RTNETLINK answers: "))
    ok(vns, "neigh replace 192.0.2.50 lladdr 02:00:00:00:00:52 dev v0 nud stale")
    ok(vns, "neigh replace 192.0.2.53 lladdr 02:00:00:00:00:53 dev v0")  # creates
    got = by_dst(iporacle.ipj(vns, "neigh", "show"))
    assert got["192.0.2.50"]["lladdr"] == "02:00:00:00:00:52"
    assert got["192.0.2.50"]["state"] == ["STALE"]
    assert got["192.0.2.53"]["state"] == ["PERMANENT"]


# -- flush / get ----------------------------------------------------------------------------------


def test_flush(vns: str) -> None:
    iporacle.batch(vns, "".join(
        f"neigh add 192.0.2.{i} lladdr 02:00:00:00:00:{i:02x} dev v0 nud stale\n"
        for i in range(100, 140)) + (
        "neigh add 192.0.2.60 lladdr 02:00:00:00:00:60 dev v0\n"
        "neigh add 2001:db8:1::60 lladdr 02:00:00:00:01:60 dev v0 nud stale\n"))
    ok(vns, "neigh flush dev v0")  # not the permanent ones
    got = by_dst(iporacle.ipj(vns, "neigh", "show"))
    assert set(got) == {"192.0.2.60"}, got
    ok(vns, "neigh flush dev v0 nud permanent")
    assert iporacle.ipj(vns, "neigh", "show") == []


def test_flush_stats_family_and_selector(vns: str) -> None:
    iporacle.batch(vns, (
        "neigh add 192.0.2.70 lladdr 02:00:00:00:00:70 dev v0 nud stale\n"
        "neigh add 192.0.2.71 lladdr 02:00:00:00:00:71 dev v0 nud stale\n"
        "neigh add 2001:db8:1::70 lladdr 02:00:00:00:01:70 dev v0 nud stale\n"))
    out = ok(vns, "-s -4 neigh flush to 192.0.2.70")
    assert "deleting 1 entries" in out
    got = by_dst(iporacle.ipj(vns, "neigh", "show"))
    assert set(got) == {"192.0.2.71", "2001:db8:1::70"}
    assert ok(vns, "-6 neigh flush dev v0") == ""
    assert set(by_dst(iporacle.ipj(vns, "neigh", "show"))) == {"192.0.2.71"}
    code, _o, err = nl(vns, "neigh flush")
    assert code == 1 and "selector" in err


def test_get(pair: tuple[str, str]) -> None:
    a, _b = pair
    for addr in ("192.0.2.10", "2001:db8:1::10"):
        want = by_dst(iporacle.ipj(a, "neigh", "show", "dev", "v0"))[addr]
        assert nlj(a, f"neigh get {addr} dev v0") == [{"dst": addr, "dev": "v0", **want}]
    text = ok(a, "neigh get 192.0.2.10 dev v0")
    assert "192.0.2.10" in text and "PERMANENT" in text
    assert nlj(a, "neigh get 192.0.2.77 dev v0 proxy") == [
        {"dst": "192.0.2.77", "dev": "v0", "proxy": None}]
    code, _o, err = nl(a, "neigh get 192.0.2.99 dev v0")
    assert code == 2 and err.startswith(("Error: ", "RTNETLINK answers: "))
