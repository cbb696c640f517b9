"""The shell's small parts, pure: config file, history file, lexer, toolbar, PrefixSet, `?`."""

from __future__ import annotations

import os
import stat

import pytest

from nlshell.commands.grammar import REGISTRY
from nlshell.commands.suggest import StaticProvider
from nlshell.shell import config, toolbar
from nlshell.shell.history import ShellHistory, history_path
from nlshell.shell.keys import help_fragments, in_open_quote
from nlshell.shell.lexer import NL, NlshellLexer
from nlshell.shell.live import PrefixSet, address_text, route_prefix

# -- config ---------------------------------------------------------------------------------


def write(tmp_path, text: str) -> str:
    path = tmp_path / "config"
    path.write_text(text)
    return str(path)


def test_config_defaults_when_missing(tmp_path):
    cfg = config.load(str(tmp_path / "nope"))
    assert cfg.history_size == 5000 and cfg.table_format == "simple" and not cfg.problems


def test_config_values(tmp_path):
    cfg = config.load(write(tmp_path, """
[shell]
history_size = 20   # a comment
table_format = github
color = never
complete_while_typing = no
edit_mode = vi
[colors]
ifname = bold #ff00ff
"""))
    assert (cfg.history_size, cfg.table_format, cfg.color) == (20, "github", "never")
    assert cfg.complete_while_typing is False and cfg.edit_mode == "vi"
    assert cfg.colors["ifname"] == "bold #ff00ff" and cfg.colors["object"]
    assert cfg.problems == []


@pytest.mark.parametrize("text,word", [
    ("[shell]\nhistory_size = lots\n", "history_size"),
    ("[shell]\nhistory_size = -1\n", "history_size"),
    ("[shell]\ntable_format = fancy\n", "fancy"),
    ("[shell]\ncolour = never\n", "colour"),
    ("[colors]\nifname = nonsense-colour\n", "nonsense-colour"),
    ("[colors]\nbogus = bold\n", "bogus"),
    ("[other]\nx = 1\n", "[other]"),
    ("not an ini file\n", "cannot read"),
])
def test_config_problems_are_one_line_and_named(tmp_path, text, word):
    cfg = config.load(write(tmp_path, text))
    assert len(cfg.problems) == 1 and word in cfg.problems[0]
    assert cfg.history_size == 5000  # the default stays


def test_config_path_follows_xdg():
    assert config.config_path({"XDG_CONFIG_HOME": "/x"}) == "/x/nlshell/config"
    assert config.config_path({"HOME": "/h"}) == "/h/.config/nlshell/config"


# -- history ---------------------------------------------------------------------------------


def test_history_file_is_private_and_bounded(tmp_path):
    path = history_path({"XDG_STATE_HOME": str(tmp_path / "state"), "HOME": str(tmp_path)})
    assert path == str(tmp_path / "state" / "nlshell" / "history")
    old = os.umask(0o022)
    try:
        hist = ShellHistory(path, size=3)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    for i in range(10):
        hist.store_string(f"link show dev veth{i}")
    again = ShellHistory(path, size=3)  # loads the newest three, trims the file
    assert list(again.load_history_strings()) == [f"link show dev veth{i}" for i in (9, 8, 7)]
    with open(path) as f:
        assert f.read().count("+link show") == 3
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_history_makes_a_loose_file_private(tmp_path):
    path = tmp_path / "history"
    path.write_text("\n# old\n+pwd\n")
    os.chmod(path, 0o644)
    hist = ShellHistory(str(path))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert list(hist.load_history_strings()) == ["pwd"]


# -- lexer ----------------------------------------------------------------------------------

PROVIDER = StaticProvider(links=[("lo", 1, "UNKNOWN"), ("veth0", 3, "UP")])


def tokens(line: str) -> list[tuple[object, str]]:
    lexer = NlshellLexer(PROVIDER, REGISTRY, ensurenl=False)
    return [(tok, text) for tok, text in lexer.get_tokens(line) if text.strip()]


def test_lexer_roles():
    assert tokens("link set dev veth0 mtu 1400") == [
        (NL.Object, "link"), (NL.Verb, "set"), (NL.Keyword, "dev"), (NL.Value.Ifname, "veth0"),
        (NL.Keyword, "mtu"), (NL.Value.Number, "1400")]
    assert tokens("route add 10.0.0.0/8 via 192.0.2.1")[2:] == [
        (NL.Value.Prefix, "10.0.0.0/8"), (NL.Keyword, "via"), (NL.Value.Address, "192.0.2.1")]


def test_lexer_known_unknown_partial_and_errors():
    assert tokens("link set dev nosuch0 up")[3] == (NL.Unknown, "nosuch0")
    assert tokens("link set dev ve")[3] == (NL.Partial, "ve")  # still being typed
    assert tokens("link set dev ve ")[3] == (NL.Unknown, "ve")  # finished: unknown
    assert tokens("link set dev veth0 txqlen 99999999999")[-1] == (NL.Error, "99999999999")
    assert tokens("lnik show")[0] == (NL.Error, "lnik")
    assert tokens("ne")[0] == (NL.Partial, "ne")  # neighbour or netns: not yet an error


def test_lexer_keeps_every_character():
    line = "  link   set dev 'veth0'  up  "
    lexer = NlshellLexer(PROVIDER, REGISTRY, ensurenl=False)
    assert "".join(text for _, text in lexer.get_tokens(line)) == line


# -- toolbar ------------------------------------------------------------------------------


class Event:
    time = 100.0
    kind, action = "link", "new"

    def describe(self) -> str:
        return "link new: veth3"


def test_toolbar_render():
    info = toolbar.ToolbarInfo("sandbox", {"links": 3, "addresses": 2, "routes": 100000},
                               Event(), warnings=["namespace deleted"])
    text = "".join(t for _, t in toolbar.render(info, now=102.5))
    assert "nlshell:sandbox" in text and "links 3 · addrs 2 · routes 100000" in text
    assert "link new: veth3 (2s ago)" in text and "namespace deleted" in text
    assert "? what next" in text
    loading = "".join(t for _, t in toolbar.render(toolbar.ToolbarInfo("/"), now=0))
    assert "loading" in loading and "nlshell:/" in loading
    assert toolbar.age(125) == "2m ago" and toolbar.age(7300) == "2h ago"


# -- ? help -------------------------------------------------------------------------------


def test_question_mark_listing():
    text = "".join(t for _, t in help_fragments("link set veth0 m", REGISTRY))
    assert "mtu" in text and "maximum transmission unit" in text and "master" in text
    assert "<error>" in "".join(t for _, t in help_fragments("lnik ", REGISTRY))
    assert in_open_quote("link set veth0 alias 'a b") and not in_open_quote("link set ")


# -- live index pieces --------------------------------------------------------------------


def test_prefix_set_merges_and_forgets():
    ps = PrefixSet()
    ps.MERGE_MIN = 4
    for i in range(20):
        ps.add(f"10.0.{i}.0/24")
    ps.add("10.0.3.0/24")  # a second route with the same prefix
    found, more = ps.starting("10.0.1", limit=5)
    assert found == ["10.0.1.0/24", "10.0.10.0/24", "10.0.11.0/24", "10.0.12.0/24",
                     "10.0.13.0/24"] and more
    ps.remove("10.0.3.0/24")
    assert ps.starting("10.0.3.", 10)[0] == ["10.0.3.0/24"]
    ps.remove("10.0.3.0/24")
    assert ps.starting("10.0.3.", 10)[0] == []
    for i in range(20):
        ps.remove(f"10.0.{i}.0/24")
    assert len(ps) == 0 and ps.starting("", 10) == ([], False)
    ps.add("10.0.5.0/24")  # back again
    assert ps.starting("10.", 10)[0] == ["10.0.5.0/24"]


def test_route_and_address_text():
    assert route_prefix((2, 254, b"", 0, 0, 0, 1)) == "default"
    assert route_prefix((2, 254, bytes([192, 0, 2, 0]), 24, 0, 0, 1)) == "192.0.2.0/24"
    assert route_prefix((2, 254, bytes([192, 0, 2, 1]), 32, 0, 0, 1)) == "192.0.2.1"
    assert route_prefix((2, 255, bytes([127, 0, 0, 1]), 32, 0, 0, 2)) is None  # local table
    assert route_prefix((10, 254, bytes(16), 0, 0, 0, 1, None)) == "default"
    assert address_text((3, 10, bytes.fromhex("20010db8" + "0" * 23 + "1"), 64)) == "2001:db8::1/64"
