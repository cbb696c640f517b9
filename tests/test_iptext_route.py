"""`--output ip` for routes: `route show` / `route get` byte for byte as `ip` prints them,
in one namespace holding a route of each kind (types, metrics with locks and time units,
tos, multipath, nexthop objects, other tables, IPv6 with pref and expires)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest
from support.nlrun import nl
from support.testns import netns_with

SETUP = """\
link add v0 type veth peer name v1
link set v0 up
link set v1 up
addr add 10.0.0.1/24 dev v0
addr add 10.0.1.1/24 dev v1
addr add 2001:db8::1/64 dev v0 nodad
addr add 2001:db8:1::1/64 dev v1 nodad
route add 10.1.0.0/16 via 10.0.0.2
route add 10.2.0.0/16 via 10.0.0.2 metric 100 proto static
route add 10.3.0.0/16 dev v0 src 10.0.0.1 scope link
route add unreachable 10.4.0.0/16
route add prohibit 10.5.0.0/16
route add blackhole 10.6.0.0/16
route add 10.7.0.0/16 via 10.0.0.2 mtu lock 1400 rtt 100ms rttvar 20ms
route add 10.8.0.0/16 via 10.0.0.2 tos 0x10
route add 10.9.0.0/16 nexthop via 10.0.0.2 dev v0 weight 2 nexthop via 10.0.1.2 dev v1
route add 10.10.0.0/16 via 10.0.0.2 table 100
route add 10.11.0.0/16 via 10.0.0.2 table 200 proto bgp
route add 10.12.0.0/16 via 10.0.0.2 advmss 1300 window 1000 cwnd 10 initcwnd 5 hoplimit 64 \
quickack 1 initrwnd 7 rto_min 300ms ssthresh 9 reordering 3
route add 10.13.0.0/16 via 10.0.0.2 congctl reno features ecn
route add 10.14.0.0/16 via 10.0.0.2 rtt 2s
route add local 10.15.0.1 dev v0
route add broadcast 10.16.0.255 dev v0 table 100
route add 10.17.0.0/16 via 10.0.0.2 dev v0 onlink
route add 2001:db8:5::/48 via 2001:db8::2
route add 2001:db8:6::/48 dev v0 metric 50 pref high
route add unreachable 2001:db8:7::/48
route add 2001:db8:8::/48 nexthop via 2001:db8::2 dev v0 nexthop via 2001:db8:1::2 dev v1
route add 2001:db8:9::/48 via 2001:db8::2 mtu 1300 expires 300
nexthop add id 1 via 10.0.0.2 dev v0
nexthop add id 2 via 10.0.1.2 dev v1
nexthop add id 3 group 1/2
route add 10.20.0.0/16 nhid 1
route add 10.21.0.0/16 nhid 3
route add 10.22.0.0/16 dev v0 metric 5 table 100 proto 42
route add 10.23.0.0/16 via 10.0.0.2 mtu lock 0
route add throw 10.24.0.0/16
route add 10.25.0.0/16 via 10.0.0.2 metric 7 mtu 1280 rtt 1500ms
"""

COMMANDS = [
    "route show", "route show table all", "-4 route show", "-6 route show",
    "-6 route show table all", "route show table 100", "route show table 200",
    "route show table local", "route show table main", "-d route show",
    "-d route show table all", "-d -6 route show", "-d route show table 100",
    "-o route show", "-o -6 route show", "-N route show table all", "-N -d route show",
    "route show proto static", "route show proto kernel", "route show dev v0",
    "-6 route show dev v0", "route show type unreachable", "route show scope link",
    "route show via 10.0.0.2", "route show 10.7.0.0/16", "route show root 10.0.0.0/8",
    "route show match 10.7.1.1", "route show src 10.0.0.1", "route show metric 100",
    "route show table all type local", "route show table 100 type broadcast",
    "route get 10.0.0.5", "route get 10.7.1.1", "route get 10.9.1.1", "route get 10.20.1.1",
    "route get 10.21.1.1", "route get 127.0.0.1", "-o route get 10.0.0.5",
    "-6 route get 2001:db8:5::1", "route get fibmatch 10.7.1.1", "-d route get 10.25.1.1",
    "route get 10.0.0.5 mark 5", "route get 10.0.0.5 from 10.0.0.1", "route get 10.0.0.5 oif v0",
    "-d route get 10.0.0.5", "-N -d route get 10.2.0.1", "-6 route get 2001:db8:9::1",
    "route get 10.8.1.1 tos 0x10", "-d -o route show table all", "-6 route show table local",
    "route show table all proto kernel", "route show scope host table local",
    "route show table 100 dev v0",
]

# ip's global options -> the Options fields nlshell's command line sets for them
FLAGS = {"-4": {"family": 2}, "-6": {"family": 10}, "-d": {"details": True},
         "-o": {"oneline": True}, "-N": {"numeric": True}}
_TIMERS = re.compile(r"(expires|age) \d+sec")  # seconds count down between the two runs


@pytest.fixture(scope="module")
def rich() -> Iterator[str]:
    with netns_with(SETUP) as name:
        yield name


def _split(command: str) -> tuple[dict, str]:
    words = command.split()
    opts: dict = {"output": "ip"}
    while words[0].startswith("-"):
        opts.update(FLAGS[words.pop(0)])
    return opts, " ".join(words)


@pytest.mark.parametrize("command", COMMANDS)
def test_route_text_as_ip(rich: str, command: str) -> None:
    ip = subprocess.run(["ip", "-n", rich, *command.split()], capture_output=True, text=True,
                        check=True)
    opts, line = _split(command)
    ours = nl(rich, line, **opts)
    assert (ours.code, ours.err) == (0, ""), ours
    assert _TIMERS.sub(r"\1 N", ours.out) == _TIMERS.sub(r"\1 N", ip.stdout)
    assert ip.stdout.strip(), "the command shows something"


def test_metric_spellings(rich: str) -> None:
    """The parts a table used to lose, in ip's words: lock, time units, tos, nhid."""
    out = nl(rich, "route show", output="ip").out
    assert "10.7.0.0/16 via 10.0.0.2 dev v0 mtu lock 1400 rtt 100ms rttvar 20ms \n" in out
    assert "rtt 2s " in out and "rtt 1.5s " in out and "rto_min lock 300ms " in out
    assert "10.8.0.0/16 tos 0x10 via" in out and "10.20.0.0/16 nhid 1 via" in out


def test_table_keeps_what_ip_text_shows(rich: str) -> None:
    """The human table no longer drops tos, nhid, locks or the metrics' time units."""
    lines = nl(rich, "route show").out
    assert "mtu lock 1400,rtt 100ms,rttvar 20ms" in lines
    assert "rto_min lock 300ms" in lines and "rtt 1.5s" in lines
    assert lines.splitlines()[0].split()[-2:] == ["TOS", "NHID"]
    tos_line = next(line for line in lines.splitlines() if "10.8.0.0/16" in line)
    assert tos_line.rstrip().endswith("0x10")
    nh_line = next(line for line in lines.splitlines() if "10.20.0.0/16" in line)
    assert nh_line.rstrip().endswith(" 1")
