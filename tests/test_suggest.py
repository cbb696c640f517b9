"""Completion, `?` help, lexer roles and shell completion, against the real grammar.

Pure tests: a StaticProvider stands in for the live cache.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlshell.commands.grammar import REGISTRY
from nlshell.commands.suggest import (
    StaticProvider,
    _roles,
    _suggest,
    complete_args,
    next_help,
    roles,
    suggest,
)

PROVIDER = StaticProvider(
    links=[("lo", 1, "UNKNOWN"), ("eth0", 2, "UP"), ("veth0", 3, "UP"), ("veth1", 4, "DOWN"),
           ("br0", 12, "UP")],
    netns=["sandbox", "blue", "my ns"],
    addresses={"eth0": ["192.0.2.1/24", "2001:db8::1/64"], "veth0": ["198.51.100.1/24"]},
    routes=["default", "192.0.2.0/24"],
    tables=[("main", "254"), (100, "custom")],
)


def texts(line: str, provider=PROVIDER) -> list[str]:
    return [s.text for s in suggest(line, provider, REGISTRY)]


# (text before cursor, must include, must exclude)
CASES = [
    ("", ["link", "address", "route", "neighbour", "rule", "cd", "help", "watch"], ["-4", "show"]),
    ("r", ["route", "rule"], ["link"]),
    ("ne", ["neighbour", "netns"], ["route"]),
    ("neigh", ["neighbour"], ["neigh"]),
    ("link ", ["show", "add", "set", "delete"], ["link", "dev"]),
    ("link s", ["show", "set"], ["add"]),
    ("netns a", ["add", "attach"], ["delete"]),
    ("link set ", ["dev", "up", "down", "mtu", "lo", "eth0", "veth0"], ["show"]),
    ("link set dev ve", ["veth0", "veth1"], ["eth0", "lo", "up"]),
    ("link set dev 1", ["1", "12"], ["2", "veth0"]),
    ("link set veth0 ", ["up", "down", "mtu", "master", "alias"], ["dev", "veth0"]),
    ("link set veth0 up ", ["mtu", "name"], ["up", "down"]),
    ("link set veth0 master br0 ", ["mtu"], ["master", "nomaster"]),
    ("link set veth0 m", ["mtu", "master"], ["up"]),
    ("link set veth0 txq", ["txqueuelen"], ["txqlen"]),
    ("link set veth0 txql", ["txqlen"], ["txqueuelen"]),
    ("link set veth0 arp ", ["on", "off"], ["<ONOFF>"]),
    ("link set veth0 netns ", ["sandbox", "blue", "'my ns'"], ["veth0"]),
    ("link set veth0 netns b", ["blue"], ["sandbox"]),
    ("link set veth0 master ", ["br0", "eth0"], ["mtu"]),
    ("link add v0 type ", ["veth", "vxlan", "macvlan", "bridge", "ifb"], ["peer"]),
    ("link add v0 type v", ["veth", "vxlan"], ["bridge"]),
    ("link add v0 type veth ", ["peer", "mtu", "link"], ["id", "dstport", "type"]),
    ("link add v0 type veth peer ", ["name", "address", "netns", "mtu", "txqueuelen"], ["peer"]),
    ("link add v0 type vxlan ", ["id", "dstport", "local", "remote", "learning", "nolearning"], ["peer"]),
    ("link add v0 type vxlan id 5 dev ", ["eth0", "veth0"], ["id"]),
    ("link add v0 type macvlan mode ", ["bridge", "vepa", "private"], ["veth"]),
    ("link add ", ["name", "type", "mtu"], ["lo", "eth0"]),  # a new name: nothing live to offer
    ("a del dev eth0 ", ["192.0.2.1/24", "2001:db8::1/64", "local", "label"], ["198.51.100.1/24"]),
    ("a del ", ["192.0.2.1/24", "198.51.100.1/24", "dev"], []),
    ("a add 192.0.2.1/24 dev eth0 valid_lft ", ["forever", "<DURATION>"], []),
    ("a add 192.0.2.1/24 dev eth0 brd ", ["+", "-", "<BRD>", "label", "scope"], ["brd"]),
    ("a add 192.0.2.1/24 dev eth0 scope ", ["global", "link", "host", "<SCOPE>"], []),
    ("route del ", ["default", "192.0.2.0/24", "to", "via", "blackhole"], []),
    ("route add ", ["unicast", "blackhole", "default", "<PREFIX>", "via", "to"], ["<cr>"]),
    ("route add b", ["blackhole", "broadcast"], ["via"]),
    ("route add 10/8 ", ["via", "dev", "metric", "nexthop", "table"], ["blackhole", "<PREFIX>", "to"]),
    ("route add 10/8 pri", ["priority"], []),
    ("route add 10/8 table ", ["main", "local", "all", "100"], ["<TABLE>"]),
    ("route add 10/8 proto st", ["static"], ["boot"]),
    ("route add 10/8 via ", ["<ADDR>"], ["via"]),
    ("route add 10/8 via 192.0.2.1 ", ["dev", "metric"], ["via", "nexthop"]),
    ("route add 10/8 nexthop via 192.0.2.1 ", ["dev", "weight", "onlink", "nexthop", "table"], ["via"]),
    ("route add 10/8 nexthop via 192.0.2.1 dev eth0 weight ", ["<NUMBER>"], []),
    ("route get 192.0.2.1 mark ", ["<NUMBER>"], []),
    ("route show ", ["root", "match", "exact", "default", "all", "192.0.2.0/24", "table"], []),
    ("neigh add 192.0.2.9 dev eth0 nud ", ["permanent", "reachable", "stale", "noarp"], ["all"]),
    ("neigh show nud ", ["all", "permanent"], []),
    ("neigh add 192.0.2.9 dev eth0 lladdr ", ["<LLADDR>"], []),
    ("ru add ", ["not", "from", "to", "fwmark", "table"], []),
    ("ru add not ", ["from", "table"], ["not"]),
    ("cd ", ["/", "-", "sandbox", "blue"], []),
    ("netns exec ", ["sandbox", "blue"], []),
    ("netns delete s", ["sandbox"], ["blue"]),
    ("help ", ["link", "route"], []),
    ("help ro", ["route"], ["rule"]),
    ("help route a", ["add"], ["show"]),
    ("watch ", ["interval", "links", "events"], []),
    ("watch links ", ["addrs", "routes"], []),
    ("help link s", ["show", "set"], ["add"]),
    ("help route add 10/8 d", ["dev"], ["via"]),  # help's words are a command line, nested
    ("monitor ", ["link", "route", "all", "all-nsid"], []),
    ("monitor link ", ["route", "all-nsid"], []),
    ("-", ["-4", "-6", "-j", "-n", "-details"], ["link"]),
    ("-6 ", ["link", "route"], ["-4"]),
    ("-n ", ["sandbox", "blue"], ["link"]),
    ("-n sandbox ro", ["route"], []),
    ("lnk ", [], ["show", "link"]),
    ("link set veth0 alias \"my", ["<STRING>"], []),
    ("link set dev 've", ["veth0", "veth1"], []),
    ("pwd ", [], ["link"]),
]


@pytest.mark.parametrize("line,include,exclude", CASES, ids=[c[0] or "<empty>" for c in CASES])
def test_suggest(line: str, include: list, exclude: list) -> None:
    got = texts(line)
    for word in include:
        assert word in got, word
    for word in exclude:
        assert word not in got, word
    assert len(got) == len(set(got))  # no duplicates


def test_suggest_meta_kind_and_start() -> None:
    by_text = {s.text: s for s in suggest("link set dev ve", PROVIDER, REGISTRY)}
    assert by_text["veth0"] == ("veth0", "index 3, UP", -2, "value")
    by_text = {s.text: s for s in suggest("link set dev 1", PROVIDER, REGISTRY)}
    assert by_text["12"].meta == "br0" and by_text["1"].meta == "lo"
    by_text = {s.text: s for s in suggest("link set veth0 mt", PROVIDER, REGISTRY)}
    assert by_text["mtu"] == ("mtu", "maximum transmission unit", -2, "keyword")
    assert suggest("r", PROVIDER, REGISTRY)[0] == ("route", "routing table entries", -1, "object")
    assert suggest("link s", PROVIDER, REGISTRY)[0].kind == "verb"
    hint = [s for s in suggest("route add 10/8 via ", PROVIDER, REGISTRY) if s.kind == "hint"]
    assert hint == [("<ADDR>", "e.g. 192.0.2.1", 0, "hint")]
    quoted = {s.text: s for s in suggest("link set dev 've", PROVIDER, REGISTRY)}
    assert quoted["veth0"].start_position == -3  # replaces the quote too
    assert {s.text: s.meta for s in suggest("route add 10/8 table 1", PROVIDER, REGISTRY)}["100"] == "custom"
    assert {s.text: s.meta for s in suggest("a del dev eth0 ", PROVIDER, REGISTRY)}["192.0.2.1/24"] == "on eth0"


def test_suggest_without_provider_gives_hints() -> None:
    got = {s.text: s for s in suggest("link set dev ", None, REGISTRY)}
    assert got["<IFNAME>"].kind == "hint" and got["<IFNAME>"].meta == "e.g. eth0"
    assert "<NETNS>" in texts("cd ", None)


class _Broken(StaticProvider):
    def links(self):
        raise RuntimeError("cache gone")


def test_suggest_survives_a_broken_provider() -> None:
    got = texts("link set dev ", _Broken())
    assert "<IFNAME>" in got
    odd = StaticProvider(links=[(None, 7, ""), ("eth0", 2, "UP")], routes=[None, "default"])
    assert texts("link set dev ", odd)[-1] == "eth0"
    assert "default" in texts("route del ", odd)
    assert roles("link set veth0 up", _Broken(), REGISTRY)[2][2] in ("value:IFNAME", "unknown-ifname")


# -- ? help ----------------------------------------------------------------------------------

@pytest.mark.parametrize("line,include,exclude", [
    ("", [("link", "network devices"),
          ("cd", "enter a network namespace (/ back to the start, - the previous)")], []),
    ("route ", [("show", "list routes (main table, IPv4 unless -6 or a table is chosen)"),
                ("add", "add a route"), ("<cr>", "= route show")], []),
    ("route add ", [("<PREFIX>", "destination (e.g. 192.0.2.0/24)"), ("via", "gateway"),
                    ("blackhole", "silently discard")], [("<cr>", "run the command")]),
    ("route add 10/8 ", [("<cr>", "run the command"), ("via", "gateway")], []),
    ("route add 10/8 v", [("via", "gateway")], [("dev", "output device")]),
    ("link set veth0 mtu ", [("<MTU>", "maximum transmission unit (e.g. 1500)")], [("up", "bring the device up")]),
    ("link set veth0 ", [("up", "bring the device up"), ("<cr>", "run the command")], []),
    # (no <cr> check: `id` may be left out with `external`, the command's check says so)
    ("link add x type vxlan ", [("id", "VXLAN network identifier")], []),
    ("help route ", [("add", "add a route")], []),
    ("lnk ", [("<error>", "unknown command 'lnk' (did you mean: link?)")], []),
])
def test_next_help(line: str, include: list, exclude: list) -> None:
    got = next_help(line, REGISTRY)
    for item in include:
        assert item in got, item
    for item in exclude:
        assert item not in got, item


# -- lexer roles -----------------------------------------------------------------------------

@pytest.mark.parametrize("line,expected", [
    ("link set veth0 up", ["object", "verb", "value:IFNAME", "keyword"]),
    ("link set veth9 up", ["object", "verb", "unknown-ifname", "keyword"]),
    ("link set dev 3 up", ["object", "verb", "keyword", "value:IFNAME", "keyword"]),
    ("link add v9 type veth peer name v10", ["object", "verb", "value:IFNAME", "keyword", "value:KIND",
                                             "keyword", "keyword", "value:IFNAME"]),
    ("ro a 10/8 via 192.0.2.1 dev veth0 metric 5", ["object", "verb", "value:PREFIX", "keyword", "value:ADDR",
                                                     "keyword", "value:IFNAME", "keyword", "value:NUMBER"]),
    ("route add blackhole default", ["object", "verb", "value:RTTYPE", "value:PREFIX"]),
    ("link set eth0 mtu 99x up", ["object", "verb", "value:IFNAME", "keyword", "error", "keyword"]),
    ("link set eth0 bogus up", ["object", "verb", "value:IFNAME", "error", "keyword"]),
    ("-6 -n blue route", ["option", "option", "value:NETNS", "object"]),
    ("help route add", ["object", "object", "verb"]),
    ("help link set veth9 up", ["object", "object", "verb", "unknown-ifname", "keyword"]),
    ('link set veth0 alias "unterminated', ["object", "verb", "value:IFNAME", "keyword", "error"]),
    ("zz top", ["error", "error"]),
    ("netns exec blue ip link", ["object", "verb", "value:NETNS", "value:STRING", "value:STRING"]),
])
def test_roles(line: str, expected: list) -> None:
    got = roles(line, PROVIDER, REGISTRY)
    assert [r for _, _, r in got] == expected
    for start, end, _ in got:
        assert 0 <= start < end <= len(line)


def test_roles_spans_and_no_provider() -> None:
    assert roles("ro  a 10/8", None, REGISTRY) == [(0, 2, "object"), (4, 5, "verb"), (6, 10, "value:PREFIX")]
    assert roles("link set veth9", None, REGISTRY)[2][2] == "value:IFNAME"  # unknown only with a provider
    assert roles("", PROVIDER, REGISTRY) == []


# -- shell completion ------------------------------------------------------------------------

@pytest.mark.parametrize("args,include,exclude", [
    ([], ["link", "route"], []),
    ([""], ["link", "route"], []),
    (["ro"], ["route"], ["rule"]),
    (["link", "set", ""], ["dev", "veth0"], []),
    (["ro", "a", "10/8", "d"], ["dev"], []),
    (["link", "set", "veth0", "mtu", ""], [], ["<NUMBER>"]),
    (["link", "set", "veth0", "alias", "two words", ""], ["mtu"], ["alias"]),
])
def test_complete_args(args: list, include: list, exclude: list) -> None:
    got = complete_args(args, PROVIDER, REGISTRY)
    for word in include:
        assert word in got
    for word in exclude:
        assert word not in got


# -- fuzz: suggest and roles never raise (checked on the inner functions, which have no
#    safety net) ---------------------------------------------------------------------------------

_WORDS = sorted(set().union(*REGISTRY.vocabulary().values()))
_WORDS += ["10/8", "192.0.2.1", "default", "veth0", "eth0", "'", '"', "\\", "-4", "-n", "", "ve", "1"]
_LINES = st.one_of(
    st.text(alphabet=st.sampled_from(list("abdeilnorstuv 0123456789./:-+'\"\\\t")), max_size=60),
    st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join),
    st.lists(st.sampled_from(_WORDS), max_size=12).map(lambda w: " ".join(w) + " "),
    st.text(max_size=40),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_LINES)
def test_fuzz_suggest_and_roles(line: str) -> None:
    for s in _suggest(line, PROVIDER, REGISTRY):
        assert -len(line) <= s.start_position <= 0
        assert s.kind in ("object", "verb", "keyword", "option", "value", "hint")
    next_help(line, REGISTRY)
    spans = _roles(line, PROVIDER, REGISTRY)
    for start, end, role in spans:
        assert 0 <= start <= end <= len(line)
        assert role in ("object", "verb", "keyword", "option", "error", "unknown-ifname") or role.startswith("value:")
