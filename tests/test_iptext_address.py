"""`--output ip` for addresses: `address show` byte for byte as `ip` (iproute2 6.1) prints
it, in one namespace holding IPv4 addresses (broadcast, labels, a secondary, a peer, a
metric, lifetimes, host scope) and IPv6 ones (nodad, noprefixroute, deprecated, home,
mngtmpaddr, optimistic and tentative on a link that is down, a peer): plain, -4/-6/-0, -o,
-s, -s -s, -d, -br, -h, and the selectors (dev, up, scope, label, to, type, master)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from support.iptext import compare
from support.nlrun import nl
from support.testns import netns_with

SETUP = """\
link add v0 type veth peer name v1
link add br0 type bridge
link set v1 master br0
link set v0 up
link set v1 up
link set br0 up
link set v0 alias "uplink one"
link property add dev v0 altname v0alt
addr add 192.0.2.1/24 dev v0
addr add 198.51.100.1/24 brd + dev v0 label v0:one
addr add 198.51.100.2/24 dev v0 label v0:two
addr add 10.1.1.1 peer 10.1.1.2/32 dev v0
addr add 203.0.113.5/24 dev v0 metric 77 valid_lft 500 preferred_lft 400
addr add 2001:db8::1/64 dev v0 nodad
addr add 2001:db8:1::1/64 dev v0 nodad noprefixroute valid_lft 300 preferred_lft 100
addr add 2001:db8:2::1/64 dev v0 nodad valid_lft 300 preferred_lft 0
addr add 2001:db8:3::1/64 dev v0 nodad home mngtmpaddr
addr add 192.0.2.99/32 dev br0 scope host
addr add 2001:db8:9::1 peer 2001:db8:9::2 dev br0 nodad
tuntap add tp0 mode tap
addr add 2001:db8:5::1/64 dev tp0
addr add 2001:db8:6::1/64 dev tp0 optimistic
addr add 172.16.0.1/16 brd 172.16.255.255 dev tp0
link add ifb0 type ifb
"""

# dynamic addresses' lifetimes count down between ip's run and nlshell's
LIFETIMES = [(re.compile(r"(valid_lft|preferred_lft) \d+sec"), r"\1 Nsec")]

COMMANDS = [
    "address show", "-4 address show", "-6 address show", "-0 address show",
    "-o address show", "-o -4 address show", "-o -6 address show", "-s address show",
    "-s -s address show", "-d address show", "-d -4 address show", "-d -6 address show",
    "-br address show", "-br -4 address show", "-br -6 address show",
    "address show dev v0", "-4 address show dev v0", "-6 address show dev v0",
    "address show dev tp0", "address show dev ifb0", "address show up",
    "address show scope link", "-6 address show scope global", "address show scope host",
    "address show label v0:one", "address show to 198.51.100.0/24",
    "address show to 2001:db8::/32", "-o -0 address show", "address show type bridge",
    "address show master br0", "-s -h address show dev v0", "-o -d address show",
    "-s -s -h -iec address show dev v0", "-d -s address show dev br0",
    "address show label v0*", "-o address show label v0*", "-br address show label v0:one",
    "-4 address show dev tp0", "-6 address show dev tp0", "-br -0 address show",
    "-0 -d address show dev v1", "-6 -s address show dev v0", "-o -d -6 address show",
]


@pytest.fixture(scope="module")
def rich() -> Iterator[str]:
    with netns_with(SETUP) as name:
        yield name


@pytest.mark.parametrize("command", COMMANDS)
def test_address_text_as_ip(rich: str, command: str) -> None:
    ip, ours = compare(rich, command, LIFETIMES)
    assert ours == ip
    assert ip.strip(), "the command shows something"


def test_flags_and_lifetimes(rich: str) -> None:
    """The facts a table squeezes, in ip's words and order."""
    out = nl(rich, "address show dev v0", output="ip").out
    assert "    inet 198.51.100.2/24 scope global secondary v0:two\n" in out
    assert "    inet 10.1.1.1 peer 10.1.1.2/32 scope global v0\n" in out
    assert "    inet 203.0.113.5/24 metric 77 scope global dynamic v0\n" in out
    assert "    inet6 2001:db8:3::1/64 scope global nodad home mngtmpaddr \n" in out
    assert re.search(r"scope global nodad deprecated dynamic \n"
                     r"       valid_lft \d+sec preferred_lft 0sec\n", out), out


def test_oneline_one_line_per_address(rich: str) -> None:
    out = nl(rich, "address show dev v0", output="ip", oneline=True).out
    lines = out.splitlines()
    assert all(line.startswith(lines[0].split()[0] + " v0    inet") for line in lines)
    assert all("\\       valid_lft " in line for line in lines)


def test_table_keeps_metric(rich: str) -> None:
    table = nl(rich, "address show dev v0").out
    head = table.splitlines()[0].split()
    assert head[-1] == "METRIC"
    row = next(line for line in table.splitlines() if "203.0.113.5/24" in line)
    assert row.split()[-1] == "77"
