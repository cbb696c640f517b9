"""The grammar engine: slots, tokenizer, parser, registry and help, against the real grammar
(REGISTRY) or small registries built in the tests.

Pure tests: no kernel, no namespaces.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.parse_cases import PARSE_ERR, PARSE_OK

from nlshell.commands import slots as S
from nlshell.commands.grammar import (
    COMMAND_MODULES,
    REGISTRY,
    Branch,
    Flag,
    GrammarError,
    Group,
    Keyword,
    Kw,
    OneOf,
    Param,
    Pos,
    Registry,
    Rest,
    Switch,
)
from nlshell.commands.helptext import help_for, syntax, usage
from nlshell.commands.parser import ParseError, Token, parse, quote_word, split_words, tokenize

P = S.Prefix
V4, V6 = S.AF_INET, S.AF_INET6

# -- parsing: valid lines -------------------------------------------------------------------


@pytest.mark.parametrize("line,path,values", PARSE_OK, ids=[c[0] for c in PARSE_OK])
def test_parse_ok(line: str, path: tuple, values: dict) -> None:
    inv = parse(line, REGISTRY)
    assert inv.path == path
    for key, value in values.items():
        assert inv.values.get(key) == value, key
    assert inv.words == split_words(line)


def test_parse_values_are_exact() -> None:
    inv = parse("link add v0 type veth peer name v1", REGISTRY)
    assert inv.values == {"name": "v0", "type": "veth", "peer": {"name": "v1"}}
    assert inv.family is None and inv.options == {}


@pytest.mark.parametrize("line,family,options", [
    ("-4 route", V4, {}),
    ("-6 addr show dev eth0", V6, {}),
    ("-0 link", 17, {}),
    ("-j -s -s link", None, {"json": True, "stats": 2}),
    ("--json -det -br link", None, {"json": True, "details": True, "brief": True}),
    ("-n sandbox -6 route", V6, {"netns": "sandbox"}),
])
def test_parse_global_options(line: str, family: int | None, options: dict) -> None:
    inv = parse(line, REGISTRY)
    assert inv.family == family
    assert inv.options == options


def test_parse_accepts_words_and_tokens() -> None:
    assert parse(["link", "set", "veth0", "alias", "my dev"], REGISTRY).values["alias"] == "my dev"
    assert parse(tokenize("route add 10/8 via 192.0.2.1"), REGISTRY).values["via"] == {"addr": "192.0.2.1"}
    with pytest.raises(ParseError) as err:
        parse(["route", "add", "10/99"], REGISTRY)
    assert (err.value.word_index, err.value.column) == (2, 10)


# -- parsing: errors ------------------------------------------------------------------------

@pytest.mark.parametrize("line,message,index,column,candidates", PARSE_ERR,
                         ids=[c[0] or "<empty>" for c in PARSE_ERR])
def test_parse_error(line: str, message: str, index: int, column: int | None, candidates: list) -> None:
    with pytest.raises(ParseError) as err:
        parse(line, REGISTRY)
    exc = err.value
    assert message in str(exc)
    assert "\n" not in str(exc)
    assert exc.word_index == index
    if column is not None:
        assert exc.column == column
    for cand in candidates:
        assert cand in exc.candidates


# -- slots ----------------------------------------------------------------------------------

SLOT_OK = [
    (S.IFNAME, "eth0", "eth0"),
    (S.IFNAME, "a" * 15, "a" * 15),
    (S.IFNAME, "3", "3"),
    (S.NEW_IFNAME, "veth-x.1", "veth-x.1"),
    (S.IFINDEX, "42", 42),
    (S.PREFIX, "192.0.2.0/24", P("192.0.2.0", 24, V4)),
    (S.PREFIX, "10/8", P("10.0.0.0", 8, V4)),
    (S.PREFIX, "192.168/16", P("192.168.0.0", 16, V4)),
    (S.PREFIX, "2001:db8:0::/48", P("2001:db8::", 48, V6)),
    (S.PREFIX, "default", P(None, None, None, "default")),
    (S.PREFIX_ALL, "all", P(None, None, None, "all")),
    (S.ADDR, "192.0.2.1", "192.0.2.1"),
    (S.ADDR, "FE80::1", "fe80::1"),
    (S.LLADDR, "2:0:0:0:0:a", "02:00:00:00:00:0a"),
    (S.HWADDR, "00:11", "00:11"),
    (S.NETNS, "my ns", "my ns"),
    (S.TABLE, "main", 254),
    (S.TABLE, "4294967295", 4294967295),
    (S.TABLE, "custom_1", "custom_1"),
    (S.NUMBER, "0x1F", 31),
    (S.number(1, 10), "010", 10),
    (S.PROTO, "bird", 12),
    (S.PROTO, "99", 99),
    (S.SCOPE, "host", 254),
    (S.SCOPE, "li", 253),
    (S.NUD, "stale", 0x04),
    (S.RTTYPE, "prohibit", 8),
    (S.FWMARK, "0x10/0xff", (16, 255)),
    (S.FWMARK, "7", (7, None)),
    (S.DURATION, "forever", S.FOREVER),
    (S.DURATION, "30", 30),
    (S.STRING, "any text at all", "any text at all"),
    (S.LINK_KIND, "vx", "vxlan"),
]


@pytest.mark.parametrize("slot,text,value", SLOT_OK, ids=[f"{s.name}:{t}" for s, t, _ in SLOT_OK])
def test_slot_ok(slot: S.Slot, text: str, value: object) -> None:
    assert slot.convert(text) == value
    assert slot.claims(text)


SLOT_BAD = [
    (S.IFNAME, "", "empty"),
    (S.IFNAME, "a b", "contains ' '"),
    (S.IFNAME, "eth0:1", "contains ':'"),
    (S.IFNAME, "é" * 8, "longer than 15 bytes"),
    (S.IFINDEX, "0", "not an index 1..2147483647"),
    (S.IFINDEX, "٣", "invalid interface index '٣'"),  # ASCII digits only
    (S.IFINDEX, "0x3", "not an index"),
    (S.IFINDEX, "eth0", "invalid interface index 'eth0'"),
    (S.PREFIX, "300.1.1.1/24", "invalid prefix '300.1.1.1/24'"),
    (S.PREFIX, "10.0.0.1/", "bad prefix length"),
    (S.PREFIX, "10", "not an IPv4 address"),  # short forms need a /len
    (S.PREFIX, "all", "invalid prefix 'all'"),  # not declared for this slot
    (S.PREFIX, "2001:db8::/129", "bad prefix length"),
    (S.PREFIX, "1.2.3.04/8", "leading zero"),
    (S.ADDR, "1.2.3.4.5", "invalid address"),
    (S.ADDR, "2001:db8:::1", "invalid address"),
    (S.ADDR, "١.٢.٣.٤", "invalid address"),  # non-ASCII digits
    (S.LLADDR, "00:11:22:33:44", "need 6 octets"),
    (S.LLADDR, "001:11:22:33:44:55", "bad octet '001'"),
    (S.LLADDR, "aabb.ccdd.eeff", "invalid MAC address"),
    (S.NETNS, "..", "reserved name"),
    (S.NETNS, "a/b", "contains '/'"),
    (S.TABLE, "4294967296", "out of range"),
    (S.TABLE, "my table", "not a table number or name"),
    (S.NUMBER, "-1", "invalid number '-1'"),
    (S.NUMBER, "", "invalid number ''"),
    (S.NUMBER, "9" * 5000, "out of range"),
    (S.PROTO, "nonsense", "invalid protocol"),
    (S.SCOPE, "256", "out of range 0..255"),
    (S.NUD, "bogus", "invalid neighbour state 'bogus' (one of: permanent, noarp"),
    (S.RTTYPE, "u", "ambiguous route type 'u': unicast, unreachable"),
    (S.FWMARK, "1/2/3", "invalid firewall mark"),
    (S.DURATION, "forever!", "invalid lifetime"),
]


@pytest.mark.parametrize("slot,text,message", SLOT_BAD, ids=[f"{s.name}:{t[:20]}" for s, t, _ in SLOT_BAD])
def test_slot_bad(slot: S.Slot, text: str, message: str) -> None:
    with pytest.raises(S.SlotError) as err:
        slot.convert(text)
    assert message in str(err.value)
    assert not slot.claims(text)


def test_slot_helpers() -> None:
    assert str(P("10.0.0.0", 8, V4)) == "10.0.0.0/8"
    assert str(P(None, None, None, "default")) == "default"
    assert S.family_of("2001:db8::1") == V6 and S.family_of("192.0.2.1") == V4
    assert S.kind_of("IFNAME") == "ifname" and S.kind_of("NO_SUCH_SLOT") == "word"
    assert S.RTTYPE.claims("unicast", exact=True) and not S.RTTYPE.claims("uni", exact=True)
    brd = S.ADDR.with_words({"+": "derive"})
    assert brd.convert("+") == "+" and brd.convert("192.0.2.255") == "192.0.2.255"


# -- tokenizer ------------------------------------------------------------------------------

@pytest.mark.parametrize("line,tokens", [
    ("a  b", [("a", 0, 1), ("b", 3, 4)]),
    ("'a b' c", [("a b", 0, 5), ("c", 6, 7)]),
    ('x"y z"w', [("xy zw", 0, 7)]),
    ('"a\\"b\\\\c\\n"', [('a"b\\c\\n', 0, 11)]),
    ("a\\ b", [("a b", 0, 4)]),
    ("''", [("", 0, 2)]),
    ("\tdev\t eth0 ", [("dev", 1, 4), ("eth0", 6, 10)]),
    ("'it'\\''s'", [("it's", 0, 9)]),
])
def test_tokenize(line: str, tokens: list) -> None:
    assert [(t.text, t.start, t.end) for t in tokenize(line)] == tokens


def test_tokenize_partial_and_quote_word() -> None:
    assert tokenize('set "ab', partial=True)[-1] == Token("ab", 4, 7, '"')
    assert split_words("a 'b c'") == ["a", "b c"]
    for word in ["plain", "two words", "it's", "", "a\"b", "$x"]:
        assert split_words(quote_word(word)) == [word]


# -- registry and declarations --------------------------------------------------------------

def _bad_declarations() -> list:
    return [
        lambda r: r.command("x", "", [Kw("dev", S.IFNAME), Kw("dev", S.IFNAME, key="dev2")]),
        lambda r: r.command("x", "", [Kw("dev", S.IFNAME), Flag("dev2", key="dev")]),
        lambda r: r.command("x", "", [Rest("a"), Pos("b", S.STRING)]),
        lambda r: r.command("x", "", [Kw("id", S.NUMBER),
                                      Switch("type", "", {"a": Branch("", [Kw("id", S.NUMBER)])})]),
        lambda r: r.command("x", "", [OneOf("s", {"up": "", "down": ""}), Flag("up")]),
        lambda r: r.command("x", "", [Kw("bad word", S.NUMBER)]),
        lambda r: (r.command("x", ""), r.command("x", "")),
        lambda r: r.object("o", "", aliases=["x"]) and r.object("x", ""),
        lambda r: r.command("x", "", ["not a param"]),
    ]


@pytest.mark.parametrize("declare", _bad_declarations())
def test_grammar_errors(declare) -> None:
    with pytest.raises(GrammarError):
        declare(Registry())


@pytest.mark.parametrize("declare", _bad_declarations()[:6] + _bad_declarations()[8:])
def test_grammar_errors_of_an_indexed_registry_are_raised_by_check(declare) -> None:
    """REGISTRY compiles a command on its first use (start-up time): a bad declaration is
    then an error at that use, and `check` (which the next test runs on REGISTRY) finds it
    before any user does."""
    reg = Registry((), [("x", (), (), "nlt_nowhere")])
    declare(reg)
    with pytest.raises(GrammarError, match="^x: "):
        reg.check()
    with pytest.raises(GrammarError):
        parse("x", reg)


def test_every_command_of_the_registry_compiles() -> None:
    assert REGISTRY.check() is REGISTRY
    # lazily declared parameter lists (builders) are built once and kept
    add = REGISTRY.find("link add")
    assert add.params is add.params and add.scope is add.scope
    assert all(isinstance(p, Param) for cmd in REGISTRY.commands() for p in cmd.params)


def test_lazy_params_are_built_on_first_read() -> None:
    built = []

    def params() -> list:
        built.append(1)
        return [Kw("mtu", S.NUMBER, "mtu"),
                Switch("type", "kind", {"a": Branch("a kind", lambda: [Flag("fast", "go")])})]

    reg = Registry((), [("thing", (), (), "nlt_nowhere")])
    reg.object("thing", "things").verb("set", "change", params=params)
    assert built == []
    assert parse("thing set mtu 9 type a fast", reg).values == {"mtu": 9, "type": "a",
                                                                "fast": True}
    assert built == [1]
    eager = Registry()
    eager.object("thing", "things").verb("set", "change", params=params)
    assert built == [1, 1]  # a registry without an index builds and checks at declaration


def test_default_verb_must_exist() -> None:
    reg = Registry()
    obj = reg.object("thing", "things", default="show")
    obj.verb("add", "add one")
    with pytest.raises(GrammarError):
        parse("thing", reg)


def test_handlers_and_decorator() -> None:
    reg = Registry()
    obj = reg.object("thing", "things")

    @obj.verb("show", "show them", params=[Flag("all", "every one")])
    def show(ctx, inv):
        return ("shown", inv.values)

    cmd = obj.verb("path", "join paths", handler="os.path:join")
    inv = parse("thing show all", reg)
    assert inv.command.resolve_handler()(None, inv) == ("shown", {"all": True})
    import os.path
    assert cmd.resolve_handler() is os.path.join
    with pytest.raises(LookupError):
        reg.command("bare", "no handler").resolve_handler()
    assert reg.find("thing show") is inv.command and reg.find(["bare"]).name == "bare"
    with pytest.raises(KeyError):
        reg.find("thing nope")


def test_lazy_loading(tmp_path, monkeypatch) -> None:
    (tmp_path / "nlt_decl_ok.py").write_text(textwrap.dedent("""
        from nlt_registry_holder import REG
        REG.command("hello", "say hello")
    """))
    (tmp_path / "nlt_registry_holder.py").write_text(
        "from nlshell.commands.grammar import Registry\nREG = Registry(['nlt_decl_ok'])\n")
    (tmp_path / "nlt_decl_broken.py").write_text("import nlt_no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import nlt_registry_holder
    reg = nlt_registry_holder.REG
    assert "nlt_decl_ok" not in sys.modules  # nothing imported before first use
    assert parse("hello", reg).path == ("hello",)
    with pytest.raises(ModuleNotFoundError):
        Registry(["nlt_decl_broken"]).load()


def test_registry_load_fails_loudly(tmp_path, monkeypatch) -> None:
    """A declaration module that is missing or broken is an error, never a vanished object,
    and it stays an error on every later use (no half-loaded grammar)."""
    (tmp_path / "nlt_decl_typo.py").write_text("from nlshell.commands import slotz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for modules, error in ((["nlt_missing_mod"], ModuleNotFoundError),
                           (["nlt_decl_typo"], ImportError)):
        reg = Registry(modules)
        with pytest.raises(error):
            reg.load()
        for _ in range(2):
            with pytest.raises(GrammarError, match=modules[0]):
                reg.lookup("hello")
    assert REGISTRY.modules == COMMAND_MODULES


def test_docstring_example_runs() -> None:
    import nlshell.commands.grammar as grammar

    doc = grammar.__doc__ or ""
    block = doc[doc.index("Example ("):doc.index("Handlers may be")].split("::", 1)[1]
    code = textwrap.dedent(block).replace("import REGISTRY, ", "import ")
    namespace: dict = {"REGISTRY": Registry()}
    exec(compile(code, "grammar-docstring", "exec"), namespace)
    reg = namespace["REGISTRY"]
    inv = parse("link add v0 type veth peer name v1", reg)
    assert inv.values == {"name": "v0", "type": "veth", "peer": {"name": "v1"}}
    inv = parse("l set veth0 mtu 1400 txqlen 10", reg)
    assert inv.values == {"dev": "veth0", "mtu": 1400, "txqueuelen": 10}
    assert inv.command.handler is namespace["link_set"]


def test_vocabulary() -> None:
    vocab = REGISTRY.vocabulary()
    assert {"link", "addr", "a", "cd"} <= vocab["object"]
    assert {"show", "lst", "del", "d"} <= vocab["verb"]
    assert {"dev", "nexthop", "weight", "peer", "dstport", "brd", "up"} <= vocab["keyword"]


def test_commands_import_nothing_heavy() -> None:
    code = ("import sys, nlshell.commands.suggest, nlshell.commands.helptext;"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('prompt_toolkit', 'pygments', 'tabulate')];"
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


# -- help -----------------------------------------------------------------------------------

@pytest.mark.parametrize("words,fragments", [
    ([], ["commands:", "link (l)", "address (addr, a)", "route (r, ro)", "cd  ", "help"]),
    (["route"], ["usage: route { show | flush | add | delete | replace | change | append | prepend | get | help }",
                 "show (list, lst)", "`route` alone means `route show`"]),
    (["r", "a"], ["usage: route add [TYPE] [to] PREFIX [via GATEWAY] [dev IFNAME]", "[nexthop NH]...",
                  "NH := [via ADDR] [dev IFNAME] [weight NUMBER] [onlink]",
                  "metric NUMBER", "also: priority, preference", "blackhole", "silently discard"]),
    (["link", "add"], ["type KIND [KIND_ARGS]", "KIND := { veth | bridge | vxlan | macvlan | macvtap | ifb",
                       "type vxlan := [id VNI] [remote ADDR]", "PEER := [[name] NAME]"]),
    (["link", "add", "type", "vxlan"], ["link add type vxlan: VXLAN tunnel", "id VNI", "learning|nolearning"]),
    (["route", "add", "nexthop"], ["usage: route add nexthop [via ADDR]", "weight NUMBER"]),
    ("link set", ["[dev] IFNAME", "[up|down]", "arp {on|off}", "txqueuelen TXQLEN"]),
    ("a add", ["broadcast [BRD]", "also: brd", "valid_lft DURATION"]),
    (["cd"], ["usage: cd [NETNS]"]),
    (["help"], ["usage: help [WORDS...]"]),
    (["netns", "exec"], ["usage: netns exec NETNS [COMMAND...]"]),
    (["monitor"], ["usage: monitor [all] [link] [address] [route] [neigh] [rule] [nsid] [nexthop]"]),
])
def test_help_for(words, fragments: list) -> None:
    text = help_for(words, REGISTRY)
    for fragment in fragments:
        assert fragment in text, fragment


@pytest.mark.parametrize("words,message", [
    (["lnk"], "unknown command 'lnk' (did you mean: link?)"),
    (["route", "zz"], "unknown route verb 'zz'"),
    (["link", "set", "m"], "ambiguous link set keyword 'm': mtu, multicast, master"),
    (["link", "add", "type", "zz"], "invalid type 'zz'"),
])
def test_help_errors(words: list, message: str) -> None:
    with pytest.raises(ParseError) as err:
        help_for(words, REGISTRY)
    assert message in str(err.value)


def test_usage_and_syntax() -> None:
    assert usage(REGISTRY.find("link delete")) == \
        "usage: link delete [[dev] IFNAME] [group GROUP] [type KIND]"
    assert syntax(Kw("dev", S.IFNAME, required=True)) == "dev IFNAME"
    assert syntax(Kw("x", S.NUMBER, repeat=True)) == "[x NUMBER]..."
    assert syntax(OneOf("s", {"a": "", "b": ""}, required=True)) == "{a|b}"
    assert syntax(Group("g", "", [Flag("f")], repeat=True)) == "[g G]..."


# -- fuzz: only ParseError, ever --------------------------------------------------------------

_WORDS = sorted(REGISTRY.vocabulary()["object"] | REGISTRY.vocabulary()["verb"] | REGISTRY.vocabulary()["keyword"])
_WORDS += ["10/8", "192.0.2.1", "300.1.1.1/24", "default", "all", "veth0", "02:00:00:00:00:01", "forever",
           "+", "-", "-4", "-n", "'", '"', "\\", "0x10/0xff", "99999999999", "veth", "vxlan", "", "a/b"]
_LINES = st.one_of(
    st.text(alphabet=st.sampled_from(list("abdeilnorstuv 0123456789./:-+'\"\\\t")), max_size=60),
    st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join),
    st.text(max_size=40),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_LINES)
def test_fuzz_parse_raises_only_parse_error(line: str) -> None:
    try:
        inv = parse(line, REGISTRY)
    except ParseError as exc:
        assert isinstance(exc.word_index, int) and 0 <= exc.column <= len(line)
        assert "\n" not in exc.message
    else:
        assert inv.command is not None


def test_keyword_params_share_one_base() -> None:
    """Kw, Flag, Switch and Group set up word, key, aliases and shortcuts in one place."""
    made = [Kw("dst-port", S.NUMBER, "h", aliases="dport", shortcuts=["dp"]),
            Flag("dst-port", "h", aliases="dport", shortcuts=["dp"]),
            Switch("dst-port", "h", {"a": "b"}, aliases="dport", shortcuts=["dp"]),
            Group("dst-port", "h", [], aliases="dport", shortcuts=["dp"])]
    for p in made:
        assert isinstance(p, Keyword)
        assert (p.key, p.aliases, p.shortcuts) == ("dst_port", ("dport",), ("dp",))
        assert list(p.keywords()) == [(("dst-port", "dport"), ("dp",), "dst-port")]


def test_every_declared_module_and_handler_resolves() -> None:
    """Fail loudly: every declaration module loads and every command's handler (often a
    "module:function" string resolved on first run) exists, so a typo fails here, not at a
    user's first use."""
    names = [cmd.name for cmd in REGISTRY.commands()]
    assert len(names) > 40 and {"link add", "route add", "cd", "monitor"} <= set(names)
    for cmd in REGISTRY.commands():
        assert callable(cmd.resolve_handler()), cmd.name
