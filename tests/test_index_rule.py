"""One rule for reading an interface index from what the user typed (issue 15): ASCII
decimal digits only, 1..2**31-1; Unicode digits ('٣', '３', '𝟑'), signs, spaces and hex are
names. Every reader shares `nlshell.engine.names.index_of`: slots.index_of, Context.ifindex,
Cache.index, render/link `_index`, the shell's completion index. And every error line is one
line, escaped and cut (Runner.report)."""

from __future__ import annotations

import io

import pytest
from support.iporacle import VETH_V0, batch, sh
from support.testns import requires_root

from nlshell.commands import slots as S
from nlshell.commands.context import Context, Options, quoted
from nlshell.commands.render.link import select_links
from nlshell.commands.runner import Runner, one_line
from nlshell.engine import names

INDEXES = [("1", 1), ("3", 3), ("2147483647", 2147483647), ("0003", 3)]
NAMES = ["٣", "３", "𝟑", "٣٣", "３２", "+3", "-3", " 3", "3 ", "0x3", "0", "2147483648",
         "99999999999", "", "3\u00a0", "1_0", "v0"]


@pytest.mark.parametrize(("text", "index"), INDEXES)
def test_ascii_digits_are_an_index(text: str, index: int) -> None:
    assert names.index_of(text) == index == S.index_of(text)


@pytest.mark.parametrize("text", NAMES)
def test_anything_else_is_a_name(text: str) -> None:
    assert names.index_of(text) is None and S.index_of(text) is None


@pytest.mark.parametrize("text", ["٣", "３", "𝟑"])
def test_render_selector_does_not_read_unicode_digits(text: str) -> None:
    msgs: list = []
    with pytest.raises(ValueError, match="no such device"):
        select_links(msgs, None, dev=text)
    assert select_links(msgs, None, dev="3") == []  # ASCII: an index, none listed here


@requires_root
@pytest.mark.parametrize("use_cache", [False, True], ids=["ipr", "cache"])
def test_context_and_cache_read_only_ascii_indexes(ns: str, use_cache: bool) -> None:
    batch(ns, VETH_V0)
    ctx = Context(netns=ns, opts=Options(), out=io.StringIO(), err=io.StringIO())
    ctx.use_cache = use_cache
    try:
        v0 = ctx.ifindex("v0")
        assert ctx.ifindex(str(v0)) == v0
        if use_cache:
            assert ctx.cache.index(str(v0)) == v0
        for word in ("٣", "３", chr(0xFF10 + v0), chr(0x660 + v0) if v0 < 10 else "٣"):
            with pytest.raises(Exception, match="Cannot find device"):
                ctx.ifindex(word)
            if use_cache:
                assert ctx.cache.index(word) is None
    finally:
        ctx.close()


# -- every error line: one line, escaped, cut ------------------------------------------------

@pytest.mark.parametrize(("message", "want"), [
    ("plain words stay", "plain words stay"),
    ("two\nlines", "two\\x0alines"),
    ("esc \x1b[31m", "esc \\x1b[31m"),
    ("bytes \udcff", "bytes \\xff"),
    ("Error: " + "x" * 500 + " end", "Error: " + "x" * 40 + "… end"),
    ("RTNETLINK answers: Operation not permitted", "RTNETLINK answers: Operation not permitted"),
    ("many " + "a " * 5000, ("many " + "a " * 5000)[:1000] + "…"),
])
def test_one_line(message: str, want: str) -> None:
    assert one_line(message) == want


def test_quoted_cuts_and_escapes() -> None:
    assert quoted("v0") == '"v0"'
    assert quoted("a\nb") == '"a\\x0ab"'
    assert quoted("y" * 1000) == '"' + "y" * 40 + '…"'


def test_report_is_one_line() -> None:
    err = io.StringIO()
    ctx = Context(opts=Options(), out=io.StringIO(), err=err)
    Runner(ctx).report("bad \n" + "z" * 100_000, "f:1: ")
    assert err.getvalue() == "f:1: bad " + ("\\x0a" + "z" * 36) + "…\n"  # one word, cut


@requires_root
@pytest.mark.parametrize("line", [
    "tuntap add tq0 mode tap user 'a\nb'",
    "tuntap add tq0 mode tap group 'a\nb'",
    "tuntap add tq0 mode tap user " + "u" * 5000,
    "tuntap add tq0 mode tap user 99999999999",
    "tuntap add tq0 mode tap user ٣",
    "address add 192.0.2.9/24 dev v0 label 'x\nv0'",
    "address add 192.0.2.9/24 dev v0 label v0:" + "l" * 5000,
    "netns pids 'nlt-no\nsuch'",
    "cd 'nlt-no\nsuch'",
    "route add 198.51.100.0/24 dev v0 rtt ٣",
    "route add 198.51.100.0/24 dev v0 rtt " + "1" * 400 + ".0",
])
def test_user_words_in_errors_are_one_short_line(ns: str, line: str) -> None:
    batch(ns, VETH_V0)
    before = sh(ns, "link") + sh(ns, "addr") + sh(ns, "route")
    err = io.StringIO()
    ctx = Context(netns=ns, opts=Options(), out=io.StringIO(), err=err)
    try:
        code = Runner(ctx).run_line(line)
    finally:
        ctx.close()
    text = err.getvalue()
    assert code in (1, 2, 255) and text.count("\n") == 1 and len(text) < 200, text[:300]
    assert "internal error" not in text
    assert sh(ns, "link") + sh(ns, "addr") + sh(ns, "route") == before


@pytest.mark.parametrize(("exc", "cap"), [
    (PermissionError(1, "cannot enter network namespace 'x': Operation not permitted"),
     "CAP_SYS_ADMIN"),
    (PermissionError(1, "Operation not permitted"), "CAP_NET_ADMIN"),
])
def test_permission_errors_name_the_capability(exc: Exception, cap: str) -> None:
    from nlshell.commands.runner import describe_error

    code, text = describe_error(exc)
    assert code == 2 and text.endswith(f"(this operation needs {cap})")
