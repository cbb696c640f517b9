"""The shape cache (nlshell.commands.fastparse) answers exactly as the full parser does.

Lines are fed in runs through one ShapeCache, so shapes are learned and then replayed on
lines whose values change: plain values, values that are also keywords or keyword
prefixes at their place, bad values, optional leading TYPE words, device names like
``up``. Every answer (the Invocation, or the ParseError with its word, column and
candidates) is compared with `parser.parse` on the same line. Pure: no kernel.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.parse_cases import PARSE_ERR, PARSE_OK

from nlshell.commands import slots as S
from nlshell.commands.fastparse import ShapeCache, converter, shape_key
from nlshell.commands.grammar import REGISTRY, Group, Kw, Pos, Registry
from nlshell.commands.parser import ParseError, parse


def outcome(fn, line: str) -> tuple:
    """What a parse gives, in a form that compares every detail (value types too)."""
    try:
        inv = fn(line)
    except ParseError as exc:
        return ("error", exc.message, exc.word_index, exc.column, exc.candidates)
    except Exception as exc:  # noqa: BLE001 - must be the same for both
        return ("raised", type(exc).__name__, str(exc))
    return ("ok", inv.command, repr(inv.values), inv.family, inv.words, repr(inv.options))


def check_lines(lines: list[str], registry=REGISTRY) -> ShapeCache:
    cache = ShapeCache(registry)
    for line in lines:
        want = outcome(lambda text: parse(text, registry), line)
        got = outcome(cache.parse, line)
        assert got == want, line
    return cache


# values put in the place of a line's value-like words: good, bad, and words that are
# also keywords (or their prefixes) or choice words where they land
VALUES = [
    "10.1.2.0/24", "10.1.2.3", "192.0.2.254", "16.0.0.0/4", "0.0.0.0/0", "10/8", "10.1/16",
    "2001:db8::/32", "2001:DB8::1", "fe80::1", "::/0", "255.255.255.255/32",
    "300.1.1.1/24", "10.0.0.0/33", "10.0.0.01/24", "1.2.3", "1.2.3.4/", "1.2.3.4/024",
    "1.2.3.4/8/8", "a.b.c.d", "0", "1", "7", "65535", "0x10", "99999999999", "1e3", "-1",
    "v0", "eth0", "b1", "veth0", "up", "down", "dev", "de", "d", "via", "v", "to", "t",
    "default", "all", "blackhole", "black", "unicast", "local", "nexthop", "nexthop1",
    "metric", "table", "main", "100", "lock", "mtu", "1400", "forever", "permanent",
    "02:00:00:00:00:01", "02:00:00:00:00", "zz:00:00:00:00:01", "+", "-", "/", "x/y",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
]

# lines of the real grammar; their value-like words are the holes varied below
REAL_LINES = [
    "route add 10.0.0.0/24 via 192.0.2.254",
    "route add 10.0.0.1/32 dev v0",
    "route add 10.0.0.0/24 via 192.0.2.254 dev v0 metric 5",
    "route add 10.0.0.0/24 dev v0 table 100 proto static scope link",
    "route add blackhole 10.0.0.0/24",
    "route add unreachable 10.0.0.0/24 metric 3",
    "route add local 10.0.0.1 dev v0 table 255",
    "route add 10.0.0.0/24 dev v0 mtu 1400",
    "route add 10.0.0.0/24 dev v0 mtu lock 1400",
    "route add 10.0.0.0/8 nexthop via 192.0.2.1 dev v0 weight 2 nexthop via 192.0.2.2 dev v1",
    "route add default via 192.0.2.1",
    "route add to 10.0.0.0/24 via 192.0.2.1",
    "route add via 192.0.2.1 10.0.0.0/24",
    "route del 10.0.0.0/24 dev v0",
    "route replace 2001:db8::/64 via 2001:db8:1::2",
    "-6 route add 2001:db8::/64 dev v0",
    "-4 route add 10.0.0.0/24 dev v0",
    "-j route show table 100",
    "-n ns1 route add 10.0.0.0/24 dev v0",
    "route show root 10.0.0.0/8",
    "route get 192.0.2.1 from 192.0.2.2",
    "address add 192.0.2.1/24 dev v0",
    "address add 192.0.2.1/24 dev v0 brd 192.0.2.255",
    "address add 192.0.2.1/24 brd + dev v0",
    "address add 2001:db8::1/64 dev v0 nodad valid_lft 100 preferred_lft 50",
    "neighbour add 192.0.2.9 lladdr 02:00:00:00:00:01 dev v0",
    "neighbour add 192.0.2.9 lladdr 02:00:00:00:00:01 dev v0 nud reachable",
    "link set dev v0 up",
    "link set v0 mtu 1400",
    "link set dev up up",
    "link add v0 type veth peer name v1",
    "link add vx0 type vxlan id 42 dstport 4789 local 192.0.2.1 dev v0",
    "rule add from 10.0.0.0/8 table 100 pref 10",
    "rule add fwmark 0x10/0xff table 7",
    "netns exec ns1 ip route add 10.0.0.0/24 dev v0",
    "netns set ns1 5",
    "cd ns1",
]


def variants(line: str, rng: random.Random, count: int) -> list[str]:
    """The line itself, then `count` copies with some value-like words replaced."""
    words = line.split()
    holes = [i for i, h in enumerate(shape_key(words)) if h == "#"]
    out = [line]
    for n in range(count):
        new = list(words)
        for i in holes:
            # mostly plain new values of the same kind; now and then anything at all
            if rng.random() < 0.25:
                new[i] = rng.choice(VALUES)
            elif "/" in words[i] and "." in words[i]:
                new[i] = f"10.{n % 250}.{n // 250 % 250}.0/{rng.choice((8, 16, 24, 32))}"
            elif words[i].count(".") == 3:
                new[i] = f"192.0.{n % 250}.{rng.randrange(1, 255)}"
            else:
                new[i] = rng.choice(VALUES)
        out.append(" ".join(new))
    return out


def test_real_grammar_runs_of_lines() -> None:
    rng = random.Random(5)
    lines = [v for line in REAL_LINES for v in variants(line, rng, 60)]
    cache = check_lines(lines)
    assert cache.hits > len(lines) // 5  # (many variants hold bad values on purpose)


def test_a_batch_of_one_shape_is_replayed() -> None:
    lines = [f"route add 10.{i >> 8}.{i & 255}.0/24 via 192.0.2.{i % 200 + 1}"
             for i in range(3000)]
    lines += [f"route add 10.{i >> 8}.{i & 255}.1 dev v{i % 3}" for i in range(3000)]
    cache = check_lines(lines)
    assert cache.hits >= len(lines) - 10


def test_real_grammar_mixed_order() -> None:
    # shapes learned once, then lines of every shape interleaved (the `last` shape is
    # mostly the wrong one: found by key or parsed in full)
    rng = random.Random(7)
    lines = [v for line in REAL_LINES for v in variants(line, rng, 15)]
    rng.shuffle(lines)
    check_lines(lines)


def test_tricky_lines() -> None:
    check_lines([
        "route add 10.0.0.0/24 dev v0",
        "route add 10.0.0.0/24 dev up",  # a value that is a keyword elsewhere
        "route add 10.0.0.0/24 dev 0",
        "route add default dev v0",  # a hole holding a word: replayed, same answer
        "route add blackhole dev v0",  # the optional TYPE takes it: full parser
        "route add bl dev v0",
        "route add de dev v0",  # a keyword prefix where the prefix was
        "route add dev dev v0",
        "route add via dev v0",
        "route add 10.0.0.0/24 dev v0",
        "route add 10.0.0.0/24 via 192.0.2.1",
        "route add 10.0.0.0/24 via 300.0.0.1",
        "route add 10.0.0.0/24 via 2001:db8::1",
        "route add 10.0.0.0/24 via dev",
        "route add 10.0.0.0/24 via nexthop",
        "route add 2001:db8::/64 via 192.0.2.1",
        "route add 10.0.0.0/24 nexthop via 192.0.2.1",
        "route add 10.0.0.0/24 nexthop via 192.0.2.2",
        "route add 10.0.0.0/24 nexthop dev 192.0.2.2",
        "route add 10.0.0.0/24 via 192.0.2.1 nexthop via 192.0.2.2",  # conflict
        "route add 10.0.0.0/24 mtu 1400",
        "route add 10.0.0.0/24 mtu 10",
        "route add 10.0.0.0/24 mtu lock",
        "route add 10.0.0.0/24 mtu 1400 lock",
        "address add 192.0.2.1/24 dev v0 brd 192.0.2.255",
        "address add 192.0.2.1/24 dev v0 brd dev",
        "address add 192.0.2.1/24 brd 192.0.2.255 dev v0",
        "address add 192.0.2.1/24 brd 192.0.2.2 dev v0",
        "address add 192.0.2.1/24 brd + dev v0",
        "address add 192.0.2.1/24 brd 1 dev v0",
        "link set dev up up",
        "link set dev 1 up",
        "link set dev v1 up",
        "-4 route add 10.0.0.0/24 dev v0",
        "-6 route add 10.0.0.0/24 dev v0",
        "-4 route add 10.0.0.0/24 dev v1",
        "-n ns1 route add 10.0.0.0/24 dev v0",
        "-n ns2 route add 10.0.0.0/24 dev v0",
        "route add 10.0.0.0/24 dev v0 # a comment is not the runner's business here",
        "route add '10.0.0.0/24' dev v0",
        "route add 10.0.0.0/24\tdev v0",
        "route add 10.0.0.0/24 dev v\u00e90",
        "route add 10.0.0.0/24 dev v0\x1c",
        "",
        "route",
        "route add",
        "route add 10.0.0.0/24 dev",
    ] * 3)


def test_positionals_tried_before_the_one_that_took_the_word() -> None:
    # an optional positional that would take a value the learned line gave to a later one
    reg = Registry()
    reg.command("x", "test", params=[
        Pos("count", S.NUMBER, "a number", required=False),
        Pos("kind", S.RTTYPE, "a type", required=False),
        Pos("name", S.NEW_IFNAME, "a name"),
        Kw("dev", S.IFNAME, "a device"),
    ], check=lambda v: "count too big" if v.get("count", 0) > 100 else None)
    reg.command("y", "test", params=[
        Pos("kind", S.choice("V", ["v1", "w2"]), "a choice", required=False),
        Pos("name", S.NEW_IFNAME, "a name"),
        Group("sub", "a group", [Kw("n", S.NUMBER, "a number")],
              check=lambda v: "n too big" if v.get("n", 0) > 100 else None),
    ])
    check_lines(["x a1", "x 15", "x b2", "x 0x1f", "x local", "x 1e3", "x a1 dev 1",
                 "x 15 dev 1", "x 150 dev 1", "x 7 dev a1", "x dev dev 1", "x d3v dev 1",
                 "x 7 a1", "x 7 local", "x 7 b2", "x 8 9", "x 8 999"], reg)
    check_lines(["y v1 n1", "y v n1", "y w2 n1", "y w n1", "y x1 n1", "y v1 n1 sub n 5",
                 "y v1 n1 sub n 500", "y w2 n1 sub n 7"], reg)


@pytest.mark.parametrize("line", [c[0] for c in PARSE_OK] + [c[0] for c in PARSE_ERR])
def test_grammar_lines_and_variants(line: str) -> None:
    rng = random.Random(line)
    check_lines(variants(line, rng, 12) + [line], REGISTRY)


_HOLE_VALUES = st.one_of(st.sampled_from(VALUES),
                         st.text("0123456789abcdef.:/x-+", min_size=1, max_size=12))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(REAL_LINES), st.lists(_HOLE_VALUES, min_size=1, max_size=8))
def test_fuzz_replayed_values(line: str, values: list[str]) -> None:
    words = line.split()
    holes = [i for i, h in enumerate(shape_key(words)) if h == "#"]
    lines = [line]
    for value in values:
        new = list(words)
        for i in holes:
            new[i] = value
        lines.append(" ".join(new))
    check_lines(lines + [line])


@pytest.mark.parametrize("slot", [S.PREFIX, S.PREFIX_ALL, S.IFADDR, S.ADDR])
@settings(max_examples=150, deadline=None)
@given(text=st.one_of(
    st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,4}){0,4}(/[0-9]{0,4})?", fullmatch=True),
    st.text("0123456789./:", min_size=1, max_size=20),
    st.sampled_from(["default", "all", "10/8", "0.0.0.0/0", "01.2.3.4/8", "1.2.3.4/08"])))
def test_fast_converters_equal_the_slots(slot: S.Slot, text: str) -> None:
    def result(fn):
        try:
            return ("ok", repr(fn(text)))
        except S.SlotError as exc:
            return ("error", str(exc))
    assert result(converter(slot)) == result(slot.convert)
