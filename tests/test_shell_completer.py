"""The shell's completer, pure: the real grammar, a fake cache feeding a LiveIndex.

Every slot type, abbreviations and ambiguity, live changes (a link appears, is renamed, goes),
route prefixes narrowed and capped, and the prompt_toolkit Completion form.
"""

from __future__ import annotations

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from support.fakes import FakeCache, addr_msg, link_msg, route_msg

from nlshell.commands import slots as S
from nlshell.commands.grammar import REGISTRY, Pos, Registry
from nlshell.commands.suggest import StaticProvider
from nlshell.shell.completer import MORE, NlshellCompleter, hint_only, partial_word
from nlshell.shell.live import LiveIndex, ShellProvider

NAMESPACES = ["sandbox", "blue", "my ns"]


def make_cache() -> FakeCache:
    cache = FakeCache()
    for index, name, state in [(1, "lo", "UNKNOWN"), (2, "eth0", "UP"), (3, "veth0", "UP"),
                               (4, "veth1", "DOWN"), (12, "br0", "UP")]:
        cache.put("link", link_msg(index, name, state), tell=False)
    for index, cidr in [(2, "192.0.2.1/24"), (2, "2001:db8::1/64"), (3, "198.51.100.1/24")]:
        cache.put("address", addr_msg(index, cidr), tell=False)
    for dst, table in [("default", 254), ("192.0.2.0/24", 254), ("10.9.0.0/16", 100),
                       ("2001:db8::/64", 254), ("127.0.0.1", 255)]:
        cache.put("route", route_msg(dst, table), tell=False)
    return cache


@pytest.fixture
def live():
    cache = make_cache()
    index = LiveIndex(cache, background=False)
    provider = ShellProvider(lambda: index, netns_names=lambda: list(NAMESPACES))
    completer = NlshellCompleter(provider, REGISTRY)
    yield cache, index, completer
    index.close()


def texts(completer: NlshellCompleter, line: str) -> list[str]:
    return [s.text for s in completer.suggestions(line)]


# (text before cursor, must include, must exclude)
CASES = [
    # objects, verbs, keywords: abbreviations and ambiguity
    ("", ["link", "address", "route", "cd", "monitor"], ["show", "veth0"]),
    ("r", ["route", "rule"], ["link"]),  # ambiguous prefix: both offered
    ("ne", ["neighbour", "netns"], ["route"]),
    ("neighb", ["neighbour"], ["netns"]),
    ("link s", ["show", "set"], ["add", "delete"]),
    ("l s", ["show", "set"], ["add"]),  # object shortcut, then ambiguous verb prefix
    ("a d", ["delete"], ["add", "show"]),
    ("link set veth0 m", ["mtu", "master"], ["up", "name"]),
    ("link set veth0 txql", ["txqlen"], ["txqueuelen"]),  # an alias as typed
    ("link set veth0 master br0 ", ["mtu", "up"], ["master", "nomaster"]),  # conflicts
    ("-", ["-4", "-6", "-json"], ["link"]),  # options
    # IFNAME: live names with index and state; indexes stand for names
    ("link set dev ", ["lo", "eth0", "veth0", "veth1", "br0"], ["up"]),
    ("link set dev ve", ["veth0", "veth1"], ["eth0", "lo"]),
    ("link set dev 1", ["1", "12"], ["2", "veth0"]),
    ("link set dev 3", ["3"], ["veth0"]),
    ("address show dev e", ["eth0"], ["veth0"]),
    ("route add 10/8 nexthop via 192.0.2.1 dev b", ["br0"], ["eth0"]),  # inside a group
    ("link add v2 type vxlan id 42 dev ", ["eth0", "veth0"], ["<IFNAME>"]),  # inside a branch
    # NEW_IFNAME / ADDR / LLADDR / NUMBER / STRING / FWMARK: hints only
    ("link add ", ["<NAME>", "name"], ["veth0"]),
    ("neighbour add 192.0.2.9 dev eth0 lladdr ", ["<LLADDR>"], ["eth0"]),
    ("route add 10/8 via ", ["<ADDR>"], ["default"]),
    ("link set veth0 mtu ", ["<MTU>"], ["up"]),
    ("link set veth0 alias ", ["<STRING>"], []),
    ("route get 192.0.2.1 mark ", ["<NUMBER>"], []),
    # PREFIX: live route prefixes for del, a hint for add, 'default' as a word
    # (10.9.0.0/16 is in table 100: `route del` without `table` would not find it)
    ("route del ", ["default", "192.0.2.0/24", "2001:db8::/64"], ["127.0.0.1", "10.9.0.0/16"]),
    ("route del 19", ["192.0.2.0/24"], ["default", "10.9.0.0/16"]),
    ("route add ", ["default", "<PREFIX>", "unicast", "blackhole"], ["192.0.2.0/24"]),
    ("r d 2001", ["2001:db8::/64"], ["192.0.2.0/24"]),  # abbreviations all the way
    # IFADDR: the addresses of the chosen device for address del
    ("address delete dev eth0 ", ["192.0.2.1/24", "2001:db8::1/64"], ["198.51.100.1/24"]),
    ("a d dev veth0 ", ["198.51.100.1/24"], ["192.0.2.1/24"]),
    ("address delete ", ["192.0.2.1/24", "198.51.100.1/24"], []),  # no dev yet: every one
    # NETNS: namespace names, quoted when needed
    ("cd ", ["sandbox", "blue", "'my ns'", "/", "-"], []),
    ("cd b", ["blue"], ["sandbox"]),
    ("link set veth0 netns s", ["sandbox"], ["blue"]),
    ("-n ", ["sandbox", "blue"], ["link"]),
    ("netns delete ", ["sandbox", "blue"], []),
    # TABLE: names plus tables in use
    ("route show table ", ["main", "local", "default", "all", "100"], ["254"]),
    # choices: SCOPE, PROTO, RTTYPE, NUD, KIND, ONOFF, DURATION's word
    ("route add 10/8 scope ", ["global", "link", "host", "<SCOPE>"], ["veth0"]),
    ("route add 10/8 proto st", ["static"], ["kernel"]),
    ("route add b", ["blackhole", "broadcast"], ["unicast"]),
    ("neighbour add 192.0.2.9 dev eth0 nud ", ["permanent", "reachable", "stale"], []),
    ("link add v2 type ", ["veth", "vxlan", "bridge", "macvlan", "ifb"], ["peer"]),
    ("link show type ", ["veth", "bridge", "vxlan"], []),
    ("link set veth0 arp ", ["on", "off"], ["<ONOFF>"]),
    ("address add 192.0.2.7/24 dev eth0 valid_lft ", ["forever", "<DURATION>"], []),
    # COMMAND: a nested command line
    ("help rou", ["route"], ["rule"]),
    ("help route a", ["add"], ["show"]),
    ("help link set dev v", ["veth0", "veth1"], []),
]


@pytest.mark.parametrize("line,want,unwanted", CASES, ids=[c[0] or "<empty>" for c in CASES])
def test_completion(live, line, want, unwanted):
    _, _, completer = live
    got = texts(completer, line)
    for word in want:
        assert word in got, f"{word!r} missing from {got}"
    for word in unwanted:
        assert word not in got, f"{word!r} should not be in {got}"


def test_enough_cases():
    assert len(CASES) >= 30


def test_interface_meta_names_the_other(live):
    _, _, completer = live
    by_text = {s.text: s for s in completer.suggestions("link set dev ")}
    assert by_text["veth1"].meta == "index 4, DOWN"
    by_text = {s.text: s for s in completer.suggestions("link set dev 1")}
    assert by_text["12"].meta == "br0"


def test_ifindex_slot():
    reg = Registry()
    reg.command("byindex", "a test command", [Pos("index", S.IFINDEX, "an index")])
    provider = StaticProvider(links=[("lo", 1, "UNKNOWN"), ("veth0", 13, "UP")])
    got = {s.text: s.meta for s in NlshellCompleter(provider, reg).suggestions("byindex 1")}
    assert got == {"1": "lo", "13": "veth0"}


def test_link_appears_is_renamed_and_goes(live):
    cache, index, completer = live
    cache.put("link", link_msg(20, "veth9", "DOWN"))
    assert "veth9" in texts(completer, "link set dev ve")
    cache.put("link", link_msg(20, "vethX", "UP"))  # renamed
    got = texts(completer, "link set dev ve")
    assert "vethX" in got and "veth9" not in got
    cache.remove("link", link_msg(20, "vethX"))
    assert "vethX" not in texts(completer, "link set dev ve")


def test_addresses_follow_events(live):
    cache, _, completer = live
    cache.put("address", addr_msg(3, "203.0.113.5/28"))
    assert "203.0.113.5/28" in texts(completer, "address del dev veth0 ")
    cache.remove("address", addr_msg(3, "203.0.113.5/28"))
    assert "203.0.113.5/28" not in texts(completer, "address del dev veth0 ")


def test_route_prefix_offered_while_the_main_table_has_it(live):
    cache, _, completer = live
    cache.put("route", route_msg("198.18.0.0/15", 254))
    cache.put("route", route_msg("198.18.0.0/15", 100))
    assert "198.18.0.0/15" in texts(completer, "route del 198")
    # left in table 100 alone: `route del 198.18.0.0/15` (main) would delete nothing
    cache.remove("route", route_msg("198.18.0.0/15", 254))
    assert "198.18.0.0/15" not in texts(completer, "route del 198")


def test_many_routes_are_narrowed_and_capped(live):
    cache, index, completer = live
    for i in range(3000):
        cache.put("route", route_msg(f"10.{i // 250}.{i % 250}.0/24"))
    found = completer.suggestions("route del 10.")
    values = [s for s in found if s.kind == "value"]
    assert len(values) == completer.provider.limit
    assert found[-1].text == MORE and found[-1].kind == "hint"
    narrow = [s.text for s in completer.suggestions("route del 10.3.17")]
    assert "10.3.17.0/24" in narrow and MORE not in narrow


def test_tables_in_use_follow_routes(live):
    cache, _, completer = live
    cache.put("route", route_msg("198.18.0.0/15", 1000))
    assert "1000" in texts(completer, "route show table ")
    cache.remove("route", route_msg("198.18.0.0/15", 1000))
    assert "1000" not in texts(completer, "route show table ")


def test_events_before_the_build_are_not_lost():
    import threading

    release = threading.Event()

    class Slow(LiveIndex):
        def _build(self, snap):
            release.wait(5)
            super()._build(snap)

    cache = make_cache()
    index = Slow(cache, background=True)
    cache.put("link", link_msg(30, "late0"))  # arrives while the index is being built
    cache.remove("link", link_msg(4, "veth1"))
    assert not index.ready.is_set()
    release.set()
    assert index.ready.wait(5)
    names = [name for name, _, _ in index.link_rows()]
    assert "late0" in names and "veth1" not in names


def test_no_index_yet_offers_grammar_only():
    provider = ShellProvider(lambda: None, netns_names=lambda: [])
    got = texts(NlshellCompleter(provider, REGISTRY), "link set dev ")
    assert "<IFNAME>" in got and "dev" not in got


def test_completion_objects(live):
    _, _, completer = live
    doc = Document("link set dev ve")
    comps = list(completer.get_completions(doc, CompleteEvent(completion_requested=True)))
    veth0 = next(c for c in comps if c.text == "veth0")
    assert veth0.start_position == -2
    assert veth0.display_meta_text == "index 3, UP"
    hint = next(c for c in completer.get_completions(Document("link set veth0 mtu "),
                                                     CompleteEvent()))
    assert hint.text == "" and hint.start_position == 0 and hint.display_text == "<MTU>"


def test_hint_only_and_partial_word(live):
    _, _, completer = live
    assert hint_only(completer.suggestions("link set veth0 mtu "))
    assert not hint_only(completer.suggestions("link set veth0 "))
    assert partial_word("link set dev 've") == "ve"
    assert partial_word("link set ") == ""


def test_provider_failure_never_breaks_completion():
    class Broken:
        def links(self):
            raise RuntimeError("boom")

    got = texts(NlshellCompleter(ShellProvider(lambda: Broken()), REGISTRY), "link set dev ")
    assert "<IFNAME>" in got
