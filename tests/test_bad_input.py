"""Bad input, table-driven: each line gives one error line naming the bad word, exit status
255 or 1 (ip's: 255 for syntax, 1 for lookups and unreadable addresses; which one for which
word is compared with ip in test_global_options.py), and changes nothing (the namespace's `ip -j` state is compared before and after)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support import iporacle, nlrun, testns

pytestmark = testns.requires_root

SETUP = """\
link add d0 type veth peer name d1
link add br0 type bridge
link set d0 up
link set d1 up
addr add 192.0.2.1/24 dev d0
addr add 2001:db8::1/64 dev d0 nodad
route add 198.51.100.0/24 via 192.0.2.254
neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev d0
rule add from 192.0.2.0/24 table 100 pref 100
"""

BAD_INPUT_CODES = (1, 255)  # ip's exit statuses for a lookup / a syntax error

# (line, the word the message must name)
CASES: list[tuple[str, str]] = [
    # objects, verbs, options
    ("frobnicate", "frobnicate"),
    ("lnk show", "lnk"),
    ("link frob", "frob"),
    ("-q link show", "-q"),
    ("link show dev", "dev"),
    ("help lnk", "lnk"),
    # link
    ("link show dev nosuch0", "nosuch0"),
    ("link show type bogus", "bogus"),
    ("link add x0 type bogus", "bogus"),
    ("link add x0 type veth peer name", "name"),
    ("link add x0", "type"),
    ("link add x0 type vxlan dstport 4789", "id"),
    ("link add x0 type vxlan id 16777216", "16777216"),
    ("link add x0 type vxlan id 5 dstport 65536", "65536"),
    ("link add x0 type vxlan id 5 local 192.0.2.300", "192.0.2.300"),
    ("link add averyveryverylongname0 type ifb", "averyveryverylongname0"),
    ("link add x0 link d0 type macvlan mode sideways", "sideways"),
    ("link add x0 type macvlan mode bridge", "link"),
    ("link add x0 link d0 type vlan id 5000", "5000"),
    ("link add x0 type ifb type bridge", "type"),
    ("link set d0 mtu 99999999999", "99999999999"),
    ("link set d0 mtu -5", "-5"),
    ("link set d0 address 02:00:00:00:00", "02:00:00:00:00"),
    ("link set d0 address zz:00:00:00:00:01", "zz:00:00:00:00:01"),
    ("link set d0 mtu 1400 mtu 1500", "mtu"),
    ("link set d0 up down", "down"),
    ("link set d0 master br0 nomaster", "nomaster"),
    ("link set d0 alias 'unterminated", "unterminated"),
    ("link set d0 name a/b", "a/b"),
    ("link set nosuch0 up", "nosuch0"),
    ("link set d0 m 1400", "m"),
    ("link set d0 txqueuelen 4294967296", "4294967296"),
    ("link set d0 arp maybe", "maybe"),
    ("link delete nosuch0", "nosuch0"),
    ("link delete d0 type bridge", "bridge"),
    ("tuntap add t0 mode tan", "tan"),
    ("tuntap add t0 mode tap user nosuchuser12", "nosuchuser12"),
    # address
    ("addr add 300.1.1.1/24 dev d0", "300.1.1.1/24"),
    ("addr add 192.0.2.9/33 dev d0", "192.0.2.9/33"),
    ("addr add 2001:db8::zz/64 dev d0", "2001:db8::zz/64"),
    ("addr add 192.0.2.9/24", "dev"),
    ("addr add 192.0.2.9/24 dev nosuch0", "nosuch0"),
    ("addr add 192.0.2.9/24 dev d0 dev d1", "dev"),
    ("addr add 192.0.2.9/24 dev d0 scope galactic", "galactic"),
    ("addr add 192.0.2.9/24 dev d0 label other", "other"),
    ("addr add 192.0.2.9/24 dev d0 valid_lft soon", "soon"),
    ("addr add 192.0.2.9/24 dev d0 valid_lft 10 preferred_lft 20", "preferred_lft"),
    ("addr add 192.0.2.9/24 dev d0 peer 2001:db8::2", "2001:db8::2"),
    ("addr add 192.0.2.9/24 dev d0 brd 192.0.2", "192.0.2"),
    ("addr del 192.0.2.1/24 dev d0 bogus", "bogus"),
    ("addr flush", "flush"),
    ("addr show scope 300", "300"),
    # route, neighbour, rule
    ("route add 10.0.0.0/8 via 300.0.0.1", "300.0.0.1"),
    ("route add 10.0.0.0/8 via 192.0.2.254 metric lots", "lots"),
    ("route add 10.0.0.0/8 via 192.0.2.254 table", "table"),
    ("route add 10.0.0.0/8 dev d0 proto flying", "flying"),
    ("route add 10.0.0.0/8 dev nosuch0", "nosuch0"),
    ("route show table 99999999999", "99999999999"),
    ("neigh add 192.0.2.8 lladdr 02:00:00:00:00:0g dev d0", "02:00:00:00:00:0g"),
    ("neigh add 192.0.2.8 lladdr 02:00:00:00:00:08 dev d0 nud sleepy", "sleepy"),
    ("rule add from 192.0.2.0/24 table 100 pref 4294967296", "4294967296"),
    ("rule add fwmark 0xzz table 100", "0xzz"),
    # netns, monitor, shell words
    ("netns add", "NAME"),
    ("netns set nlt-nosuch-0 2147483648", "2147483648"),
    ("netns identify 0", "0"),
    ("netns pids nlt-nosuch-0", "nlt-nosuch-0"),
    ("monitor bogus", "bogus"),
    ("monitor link link2", "link2"),
    ("cd nlt-nosuch-0", "nlt-nosuch-0"),
    ("cd a/b", "a/b"),
]


def _state(ns: str) -> list[Any]:
    """What the commands could change, minus counters and lifetimes."""
    def clean(rows: list[dict]) -> list[dict]:
        out = []
        for r in rows:
            r = {k: v for k, v in r.items() if k not in ("stats64", "stats")}
            if "addr_info" in r:
                r["addr_info"] = [{k: v for k, v in a.items() if not k.endswith("life_time")}
                                  for a in r["addr_info"]]
            out.append(r)
        return out

    views = [("link",), ("addr",), ("route", "show", "table", "all"),
             ("-6", "route", "show", "table", "all"), ("neigh",), ("rule",), ("-6", "rule")]
    return [clean(iporacle.ipj(ns, *v)) for v in views] + [testns.netns_dir_state()["ours"]]


@pytest.fixture(scope="module")
def world() -> Iterator[str]:
    with testns.temp_netns() as ns:
        testns.no_dad(ns)
        iporacle.batch(ns, SETUP)
        yield ns


def test_enough_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("line, word", CASES, ids=[c[0] for c in CASES])
def test_bad_input(world: str, line: str, word: str) -> None:
    before = _state(world)
    code, out, message = nlrun.nl(world, line)
    assert code in BAD_INPUT_CODES, (code, message)
    assert message.endswith("\n") and message.count("\n") == 1, message
    assert word in message, (word, message)
    assert "Traceback" not in message and "internal error" not in message
    assert out == ""
    assert _state(world) == before


@pytest.mark.parametrize("line, word", [CASES[i] for i in (2, 21, 37, 62)])
def test_bad_input_whole_process(world: str, line: str, word: str) -> None:
    proc = nlrun.run_nlshell("-n", world, "-c", line)
    assert proc.returncode in BAD_INPUT_CODES and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and word in proc.stderr


# A batch parses its lines through a cache of line shapes: a bad value in a line shaped
# like a good one before it must still be refused, with the same message.
SHAPED = [
    ("addr add 192.0.2.9/24 dev d0", "addr add 300.1.1.1/24 dev d0", "300.1.1.1/24"),
    ("link set d0 mtu 1400", "link set d0 mtu 99999999999", "99999999999"),
    ("link set d0 address 02:00:00:00:00:01", "link set d0 address 02:00:00:00:00",
     "02:00:00:00:00"),
    ("route add 10.0.0.0/8 via 192.0.2.254", "route add 10.0.0.0/8 via 300.0.0.1", "300.0.0.1"),
    ("link add x0 type vxlan id 5", "link add x0 type vxlan id 16777216", "16777216"),
    ("neigh add 192.0.2.8 lladdr 02:00:00:00:00:08 dev d0",
     "neigh add 192.0.2.8 lladdr 02:00:00:00:00:0g dev d0", "02:00:00:00:00:0g"),
]


@pytest.mark.parametrize("good, bad, word", SHAPED, ids=[s[1] for s in SHAPED])
def test_bad_value_after_a_good_line_of_the_same_shape(world: str, good: str, bad: str,
                                                       word: str) -> None:
    code, _out, message = nlrun.nl_batch(world, f"{good}\n{good}\n{bad}\n", check=True)
    assert code in BAD_INPUT_CODES and message.startswith("b:3: ") and message.count("\n") == 1, message
    assert word in message
