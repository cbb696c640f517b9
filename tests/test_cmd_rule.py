"""`rule` commands against the kernel: every verb performed by nlshell and checked with
`ip -j`, and `nlshell -j rule show` (IPv4, -6, selectors) equal to `ip -j rule show`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import iporacle, testns
from support.nlrun import nl, nlj, ok

pytestmark = testns.requires_root

RULES = """\
link add v0 type veth peer name v1
rule add from 10.1.0.0/24 table 100 pref 200
rule add not to 10.2.0.0/16 fwmark 0x10/0xff iif v0 lookup 100 pref 300
rule add fwmark 7 table 7 pref 310
rule add tos 0x10 oif v1 prohibit pref 320
rule add blackhole pref 330
rule add unreachable from 10.3.0.0/16 pref 340
rule add goto 32766 pref 350
rule add table main suppress_prefixlength 0 pref 400
rule add to 10.4.0.0/16 table 1000 pref 410
rule add iif nosuch9 table 100 pref 420
"""
# ip reads rule prefixes as IPv4 unless -6 (nlshell takes the family from the prefix)
RULES6 = """\
rule add from 2001:db8::/32 table 100
rule add to 2001:db8:1::/48 prohibit pref 1000
"""


def add_rules(ns: str, links: bool = True) -> None:
    iporacle.batch(ns, RULES if links else RULES.split("\n", 1)[1])
    iporacle.batch(ns, RULES6, "-6")


def by_pref(ns: str, *args: str) -> dict[int, dict]:
    return {r["priority"]: r for r in iporacle.ipj(ns, *args, "rule", "show")}


@pytest.fixture(scope="module")
def rich() -> Iterator[str]:
    with testns.temp_netns() as name:
        add_rules(name)
        yield name


@pytest.fixture
def vns(ns: str) -> str:
    iporacle.sh(ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    return ns


# -- oracle -----------------------------------------------------------------------------------------

SHOWS = ["rule show", "-4 rule show", "-6 rule show", "rule", "rule list", "-d rule show",
         "rule show table 100", "-6 rule show table 100", "rule show pref 300",
         "rule show from 10.1.0.0/24", "rule show iif v0", "rule show fwmark 7",
         "rule show not", "rule show table main"]


@pytest.mark.parametrize("line", SHOWS)
def test_show_equals_ip(rich: str, line: str) -> None:
    assert nlj(rich, line) == iporacle.ipj(rich, *line.split())


def test_human_table(rich: str) -> None:
    text = ok(rich, "rule show")
    assert text.split()[:3] == ["PRIORITY", "SELECTOR", "ACTION"]
    assert "lookup local" in text and "blackhole" in text and "goto 32766" in text


# -- add / delete ------------------------------------------------------------------------------------

ADDS = [
    ("rule add from 10.10.0.0/16 table 100 pref 100",
     {"src": "10.10.0.0", "srclen": 16, "table": "100"}),
    ("rule add to 10.11.0.0/16 lookup 200 priority 101", {"dst": "10.11.0.0", "dstlen": 16,
                                                          "table": "200"}),
    ("rule add not from 10.12.0.0/16 table 100 pref 102", {"not": None, "src": "10.12.0.0"}),
    ("rule add fwmark 0x20/0xf0 table 100 pref 103", {"fwmark": "0x20", "fwmask": "0xf0"}),
    ("rule add fwmark 9 table 100 pref 104", {"fwmark": "0x9"}),
    ("rule add iif v0 oif v1 table 100 pref 105", {"iif": "v0", "oif": "v1"}),
    ("rule add tos 0x10 table 100 pref 106", {"tos": "0x10"}),
    ("rule add blackhole pref 107", {"action": "blackhole"}),
    ("rule add unreachable to 10.13.0.0/16 pref 108", {"action": "unreachable"}),
    ("rule add prohibit pref 109", {"action": "prohibit"}),
    ("rule add nop pref 110", {"nop": None}),
    ("rule add goto 32766 pref 111", {"goto": 32766}),
    ("rule add table main suppress_prefixlength 0 pref 112",
     {"table": "main", "suppress_prefixlen": 0}),
    ("rule add from 10.14.0.0/16 pref 113", {"table": "main"}),  # ip's default lookup
    ("rule add to 10.15.0.0/16 table 5000 pref 114", {"table": "5000"}),
    ("rule add iif v0 table 100 proto static pref 115", {"protocol": "static"}),
]


@pytest.mark.parametrize("line,expect", ADDS, ids=[a[0] for a in ADDS])
def test_add(vns: str, line: str, expect: dict) -> None:
    ok(vns, line)
    pref = int(line.split()[-1])
    got = by_pref(vns)[pref]
    assert {k: got.get(k, "missing") for k in expect} == expect


def test_add_equals_what_ip_adds(vns: str, ns2: str) -> None:
    iporacle.sh(ns2, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    lines = [a[0] for a in ADDS]
    for line in lines:
        ok(vns, line)
    iporacle.batch(ns2, "\n".join(lines) + "\n")
    assert iporacle.ipj(vns, "-d", "rule", "show") == iporacle.ipj(ns2, "-d", "rule", "show")


def test_add_without_priority_and_ipv6(vns: str) -> None:
    ok(vns, "rule add from 10.20.0.0/16 table 100")
    ok(vns, "rule add from 2001:db8:20::/48 table 100")
    ok(vns, "-6 rule add to 2001:db8:21::/48 prohibit pref 500")
    assert by_pref(vns)[32765]["src"] == "10.20.0.0"  # the kernel picked it
    six = by_pref(vns, "-6")
    assert six[32765]["src"] == "2001:db8:20::" and six[500]["action"] == "prohibit"


def test_add_errors(vns: str) -> None:
    code, _o, err = nl(vns, "rule add")
    assert code == 1 and "rule add" in err
    code, _o, err = nl(vns, "rule add table 100 goto 5")
    assert code == 255 and "goto" in err
    code, _o, err = nl(vns, "-6 rule add from 10.1.0.0/16 table 100")
    assert code == 1 and "10.1.0.0/16" in err
    code, _o, err = nl(vns, "rule add fwmark 0x1/zz table 100")
    assert code == 255 and "0x1/zz" in err
    ok(vns, "rule add from 10.21.0.0/16 table 100 pref 600")
    code, _o, err = nl(vns, "rule add from 10.21.0.0/16 table 100 pref 600")
    assert code == 2 and err == "RTNETLINK answers: File exists\n"
    assert list(by_pref(vns)).count(600) == 1


def test_delete(vns: str) -> None:
    iporacle.batch(vns, (
        "rule add from 10.30.0.0/16 table 100 pref 700\n"
        "rule add from 10.31.0.0/16 table 100 pref 701\n"
        "rule add blackhole pref 702\n"
        "rule add fwmark 0x5 table 5 pref 703\n"))
    iporacle.sh(vns, "-6", "rule", "add", "from", "2001:db8:30::/48", "table", "100", "pref", "704")
    ok(vns, "rule del pref 700")
    ok(vns, "rule delete from 10.31.0.0/16 table 100")
    ok(vns, "rule del blackhole")
    ok(vns, "rule del fwmark 5 lookup 5")
    ok(vns, "-6 rule del pref 704")
    left = by_pref(vns)
    assert not {700, 701, 702, 703} & set(left) and {0, 32766, 32767} <= set(left)
    assert 704 not in by_pref(vns, "-6")
    code, _o, err = nl(vns, "rule del pref 700")
    assert code == 2 and err.startswith(("Error: ", "RTNETLINK answers: "))
    code, _o, err = nl(vns, "rule del")
    assert code == 1


def test_flush_as_ip(vns: str, ns2: str) -> None:
    """Flush removes every rule with a priority -- main and default too -- and only of the
    family asked for: the same rules as ip's flush leaves."""
    iporacle.sh(ns2, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    for ns in (vns, ns2):
        add_rules(ns, links=False)
    ok(vns, "rule flush")
    iporacle.sh(ns2, "rule", "flush")
    assert iporacle.ipj(vns, "rule", "show") == iporacle.ipj(ns2, "rule", "show") == [
        {"priority": 0, "src": "all", "table": "local"}]
    assert iporacle.ipj(vns, "-6", "rule", "show") == iporacle.ipj(ns2, "-6", "rule", "show")
    assert len(iporacle.ipj(vns, "-6", "rule", "show")) == 4  # IPv6 untouched
    out = ok(vns, "-s -6 rule flush")
    assert "Deleted 3 rules" in out
    assert iporacle.ipj(vns, "-6", "rule", "show") == [
        {"priority": 0, "src": "all", "table": "local"}]


def test_flush_with_selector(vns: str) -> None:
    iporacle.batch(vns, (
        "rule add from 10.40.0.0/16 table 100 pref 800\n"
        "rule add from 10.41.0.0/16 table 200 pref 801\n"))
    ok(vns, "rule flush table 100")
    assert set(by_pref(vns)) == {0, 801, 32766, 32767}
