"""ip's own text output (``--output ip``) for neighbours, rules, nexthops, netns, the bridge
and tc, compared byte for byte with ip / bridge / tc (iproute2 6.1) in the same namespace.

Each comparison runs the tool, then nlshell in-process, then the tool again, and retries
while the tool's two outputs differ (a neighbour changing state, an fdb entry learnt from
traffic, another run's namespace appearing): nothing is timed. Only what moves by nature
is masked: cache timers (``used a/b/c``), counters and tokens of tc's -s.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support import testns
from support.iporacle import batch, sh
from support.nlrun import nl

pytestmark = testns.requires_root

ATTEMPTS = 8  # tool/nlshell/tool rounds before a state that keeps moving fails the test

LINKS = """\
link add v0 type veth peer name v1
link add v2 type veth peer name v3
"""

RICH = """\
link set v0 up
link set v1 up
link set v2 up
link set v3 up
addr add 192.0.2.1/24 dev v0
addr add 2001:db8::1/64 dev v0 nodad
neigh add 192.0.2.5 dev v0 lladdr 02:00:00:00:00:05 nud permanent
neigh add 192.0.2.6 dev v0 lladdr 02:00:00:00:00:06 nud reachable
neigh add 192.0.2.7 dev v0 lladdr 02:00:00:00:00:07 nud stale
neigh add 192.0.2.8 dev v0 lladdr 02:00:00:00:00:08 nud noarp
neigh add 192.0.2.9 dev v0 lladdr 02:00:00:00:00:09 nud failed
neigh add 192.0.2.10 dev v0 lladdr 02:00:00:00:00:0a extern_learn
neigh add 192.0.2.11 dev v0 lladdr 02:00:00:00:00:0b protocol static
neigh add 192.0.2.12 dev v2 lladdr 02:00:00:00:00:0c nud permanent
neigh add 2001:db8::5 dev v0 lladdr 02:00:00:00:00:15 router nud permanent
neigh add 2001:db8::6 dev v0 lladdr 02:00:00:00:00:16 nud stale
neigh add proxy 192.0.2.50 dev v0
neigh add proxy 2001:db8::50 dev v0
rule add from 10.0.0.0/8 table 100 pref 100
rule add to 10.1.0.0/16 table 101 pref 101
rule add from 10.2.0.1 iif v0 table 102 pref 102
rule add oif v2 table 103 pref 103
rule add fwmark 0x10 table 104 pref 104
rule add fwmark 0x10/0xff table 105 pref 105
rule add tos 0x10 table 106 pref 106
rule add not from 10.3.0.0/16 table 107 pref 107
rule add from all goto 110 pref 108
rule add table main suppress_prefixlength 0 pref 109
rule add uidrange 1000-2000 table 110 pref 110
rule add ipproto tcp dport 80 table 111 pref 111
rule add ipproto udp sport 1000-2000 table 112 pref 112
rule add from 10.4.0.0/16 blackhole pref 113
rule add from 10.5.0.0/16 unreachable pref 114
rule add from 10.6.0.0/16 prohibit pref 115
rule add from 10.7.0.0/16 nop pref 116
rule add from 10.8.0.0/16 table 200 proto static pref 117
rule add iif v9 table 118 pref 118
rule add from all goto 300 pref 119
rule add from 10.9.0.0/16 table 120 realms 3 pref 120
rule add from 10.9.0.0/16 table 121 realms 2/3 pref 121
rule add from 10.9.0.0/16 table 122 suppress_ifgroup 5 pref 122
rule add not to 10.10.0.0/16 fwmark 0x7 iif v0 oif v2 table 123 pref 123
rule add l3mdev pref 1000
rule add tun_id 5 table 9 pref 1001
rule add from 10.11.0.0/16 nat 192.0.2.1 pref 1002
rule add fwmark 0/0xff table 9 pref 1004
rule add from 10.12.0.0/16 to 10.13.0.0/16 iif lo oif v0 uidrange 5-5 ipproto icmp sport 1 dport 2-3 table 9 pref 1005
rule add from 10.14.0.0/16 table 9 pref 1006 suppress_prefixlength 8 suppress_ifgroup 3
nexthop add id 1 via 192.0.2.2 dev v0
nexthop add id 2 via 192.0.2.3 dev v0 proto static
nexthop add id 3 blackhole
nexthop add id 4 dev v2
nexthop add id 5 group 1/2
nexthop add id 6 group 1,3/2,5
nexthop add id 8 via 192.0.2.4 fdb
nexthop add id 9 group 8 fdb
nexthop add id 10 via 192.0.2.2 dev v0 onlink
nexthop add id 11 group 1/2 type resilient buckets 8 idle_timer 100
nexthop add id 12 group 1/4,7 type resilient buckets 16
link add br0 type bridge
link set v3 master br0
link set br0 up
link add vx0 type vxlan id 42 dstport 4789 local 192.0.2.1
"""

# ip -6 lines (ip -batch takes no options on its lines)
RICH6 = """\
rule add from 2001:db8::/32 table 100 pref 100
rule add to 2001:db8:1::/48 ipproto tcp dport 443 table 101 pref 101
rule add from 2001:db8:2::/48 sport 1024-2048 ipproto udp goto 200 pref 102
nexthop add id 7 via 2001:db8::2 dev v0
"""

BRIDGE = """\
fdb add 02:00:00:00:01:01 dev v3 master static
fdb add 02:00:00:00:01:02 dev v3 master
fdb add 02:00:00:00:01:03 dev v3 self permanent
fdb add 02:00:00:00:01:07 dev v3 master dynamic
fdb add 02:00:00:00:01:05 dev br0 self permanent
fdb add 00:00:00:00:00:00 dev vx0 dst 192.0.2.99 self permanent
fdb append 00:00:00:00:00:00 dev vx0 dst 192.0.2.98 self permanent
fdb add 02:00:00:00:01:06 dev vx0 dst 192.0.2.97 port 4790 vni 43 self permanent
link set dev v3 cost 7 priority 12
"""

TC = """\
qdisc add dev v0 root handle 1: htb default 10
class add dev v0 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit
class add dev v0 parent 1:1 classid 1:10 htb rate 10mbit ceil 50mbit burst 15k prio 2
class add dev v0 parent 1:1 classid 1:20 htb rate 1500kbit ceil 2mbit quantum 3000
class add dev v0 parent 1:1 classid 1:30 htb rate 2999999bit ceil 40gbit
qdisc add dev v0 parent 1:20 handle 20: pfifo_fast
qdisc add dev v0 parent 1:10 handle 10: pfifo limit 50
qdisc add dev v0 parent 1:30 handle 30: bfifo limit 10kb
qdisc add dev v0 ingress
qdisc add dev v1 clsact
qdisc add dev v2 ingress_block 22 egress_block 23 clsact
qdisc add dev v3 ingress_block 24 ingress
qdisc add dev v2 root handle 2: htb r2q 5 direct_qlen 100
class add dev v2 parent 2: classid 2:1 htb rate 1023bit
class add dev v2 parent 2: classid 2:2 htb rate 5tbit
class add dev v2 parent 2: classid 2:3 htb rate 1mbit overhead 24 linklayer atm mpu 64
class add dev v2 parent 2: classid 2:4 htb rate 1mbit ceil 2mbit burst 2000 cburst 3000
class add dev v2 parent 2: classid 2:5 estimator 1sec 8sec htb rate 1mbit
qdisc add dev v3 root handle 3: estimator 1sec 8sec pfifo_head_drop limit 7
qdisc add dev v1 root handle 4: stab overhead 20 linklayer ethernet mtu 2048 tsize 512 mpu 64 pfifo limit 5
"""


def _tool_batch(tool: str, ns: str, text: str) -> None:
    proc = subprocess.run([tool, "-n", ns, "-batch", "-"], input=text, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, f"{tool} -batch: {proc.stderr}"


@pytest.fixture(scope="module")
def rich() -> Iterator[str]:
    """Neighbours in every stable state, rules with every selector, nexthops of every
    type, a bridge with fdb entries (master/self, permanent/static/dynamic, vxlan remotes)
    and two named namespaces with ids seen from here."""
    with contextlib.ExitStack() as stack:
        ns = stack.enter_context(testns.temp_netns())
        batch(ns, LINKS)
        # reachable entries stay so for the whole module (not 15-45 s)
        testns.ns_sysctl(ns, *(f"net.ipv{v}.neigh.{dev}.base_reachable_time_ms=3600000"
                               for v in (4, 6) for dev in ("v0", "v2")))
        batch(ns, RICH)
        batch(ns, RICH6, "-6")
        _tool_batch("bridge", ns, BRIDGE)
        for nsid in (7, 3):
            other = stack.enter_context(testns.temp_netns())
            sh(ns, "netns", "set", other, str(nsid))
        yield ns


@pytest.fixture(scope="module")
def quiet() -> Iterator[str]:
    """htb qdiscs and classes, fifos, ingress and clsact on links without IPv6 (no
    traffic of their own: the counters stay still)."""
    with testns.temp_netns() as ns:
        testns.ns_sysctl(ns, "net.ipv6.conf.all.disable_ipv6=1",
                         "net.ipv6.conf.default.disable_ipv6=1")
        batch(ns, "link add v0 type veth peer name v1\nlink add v2 type veth peer name v3\n"
                  "link set v0 up\nlink set v1 up\nlink set v2 up\nlink set v3 up\n")
        _tool_batch("tc", ns, TC)
        yield ns


# -- masks: what differs by nature -------------------------------------------------------------

_TIMERS = [(re.compile(r"used \d+/\d+/\d+"), "used T/T/T"),  # neighbour cache times
           (re.compile(r"used \d+/\d+"), "used T/T"),  # fdb times
           (re.compile(r"unbalanced_time \d+"), "unbalanced_time T")]
_COUNTERS = [(re.compile(r"Sent \d+ bytes \d+ pkt"), "Sent B bytes P pkt"),
             (re.compile(r"lended: \d+ borrowed: \d+"), "lended: L borrowed: B"),
             (re.compile(r"tokens: -?\d+ ctokens: -?\d+"), "tokens: T ctokens: C"),
             (re.compile(r"rate \d+\w*bit \d+pps"), "rate R P")]  # estimators


def masked(text: str) -> str:
    for pattern, word in _TIMERS + _COUNTERS:
        text = pattern.sub(word, text)
    return text


def tool_out(ns: str | None, argv: str) -> str:
    tool, *args = argv.split()
    where = ["-n", ns] if ns else []
    proc = subprocess.run([tool, *where, *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{argv}: {proc.stderr}"
    return proc.stdout


def same_as_tool(ns: str | None, argv: str, line: str, *, ip_mode: bool = True,
                 mask: Callable[[str], str] = masked, **opts: Any) -> None:
    """nlshell's `line` (with ``opts``, ip's text mode unless ``ip_mode=False``) prints
    what `argv` prints, once the tool prints the same thing before and after it."""
    if ip_mode:
        opts["output"] = "ip"
    for _ in range(ATTEMPTS):
        before = mask(tool_out(ns, argv))
        got = nl(ns, line, **opts)
        after = mask(tool_out(ns, argv))
        if before == after:
            break
    else:
        pytest.fail(f"{argv}: the state kept moving over {ATTEMPTS} rounds")
    assert before.strip(), f"{argv} printed nothing: the comparison would prove nothing"
    assert (got.code, got.err) == (0, ""), got
    assert mask(got.out) == before


# -- neighbours --------------------------------------------------------------------------------

NEIGH = [
    ("ip neigh show", "neigh show", {}),
    ("ip -4 neigh show", "neigh show", {"family": 2}),
    ("ip -6 neigh show", "neigh show", {"family": 10}),
    ("ip neigh show nud all", "neigh show nud all", {}),
    ("ip neigh show nud permanent", "neigh show nud permanent", {}),
    ("ip neigh show nud reachable", "neigh show nud reachable", {}),
    ("ip neigh show nud stale", "neigh show nud stale", {}),
    ("ip neigh show nud noarp", "neigh show nud noarp", {}),
    ("ip neigh show nud failed", "neigh show nud failed", {}),
    ("ip neigh show proxy", "neigh show proxy", {}),
    ("ip -6 neigh show proxy", "neigh show proxy", {"family": 10}),
    ("ip neigh show dev v0", "neigh show dev v0", {}),
    ("ip neigh show to 192.0.2.0/29", "neigh show to 192.0.2.0/29", {}),
    ("ip -s neigh show", "neigh show", {"stats": 1}),
    ("ip -s -s neigh show nud all", "neigh show nud all", {"stats": 2}),
    ("ip -d neigh show", "neigh show", {"details": True}),
    ("ip -o neigh show", "neigh show", {"oneline": True}),
    ("ip -N neigh show", "neigh show", {"numeric": True}),
    ("ip neigh get 192.0.2.5 dev v0", "neigh get 192.0.2.5 dev v0", {}),
    ("ip -br neigh show", "neigh show", {"brief": True}),
    ("ip -br neigh show dev v0", "neigh show dev v0", {"brief": True}),
    ("ip -br neigh show proxy", "neigh show proxy", {"brief": True}),
]


@pytest.mark.parametrize(("argv", "line", "opts"), NEIGH, ids=[c[0] for c in NEIGH])
def test_neighbours(rich: str, argv: str, line: str, opts: dict[str, Any]) -> None:
    same_as_tool(rich, argv, line, **opts)


@pytest.mark.parametrize("argv", ["ip -br neigh show", "ip -br neigh show dev v0",
                                  "ip -br -6 neigh show"])
def test_brief_neighbours_in_table_mode(rich: str, argv: str) -> None:
    """-br neigh is ip's one-line brief form in the default (table) mode too."""
    opts: dict[str, Any] = {"brief": True, "family": 10 if "-6" in argv else None}
    same_as_tool(rich, argv, argv.replace("ip -br ", "").replace("-6 ", ""),
                 ip_mode=False, **opts)


def test_brief_json_neighbours(rich: str) -> None:
    """-br -j neigh keeps ip's three keys (address, device, link address)."""
    same_as_tool(rich, "ip -br -j neigh show", "neigh show", ip_mode=False,
                 mask=lambda text: json.dumps(json.loads(text)), brief=True, json=True)


# -- rules ---------------------------------------------------------------------------------

RULES = [
    ("ip rule show", "rule show", {}),
    ("ip -6 rule show", "rule show", {"family": 10}),
    ("ip -d rule show", "rule show", {"details": True}),
    ("ip -N rule show", "rule show", {"numeric": True}),
    ("ip -o rule show", "rule show", {"oneline": True}),
    ("ip -s rule show", "rule show", {"stats": 1}),
    ("ip rule show table 100", "rule show table 100", {}),
    ("ip -6 rule show table 101", "rule show table 101", {"family": 10}),
    ("ip rule show pref 105", "rule show pref 105", {}),
    ("ip rule show iif v0", "rule show iif v0", {}),
    ("ip rule show not", "rule show not", {}),
]


@pytest.mark.parametrize(("argv", "line", "opts"), RULES, ids=[c[0] for c in RULES])
def test_rules(rich: str, argv: str, line: str, opts: dict[str, Any]) -> None:
    same_as_tool(rich, argv, line, **opts)


# -- nexthops ------------------------------------------------------------------------------

NEXTHOPS = [
    ("ip nexthop show", "nexthop show", {}),
    ("ip -d nexthop show", "nexthop show", {"details": True}),
    ("ip -4 nexthop show", "nexthop show", {"family": 2}),
    ("ip -6 nexthop show", "nexthop show", {"family": 10}),
    ("ip -N nexthop show", "nexthop show", {"numeric": True}),
    ("ip -s nexthop show", "nexthop show", {"stats": 1}),
    ("ip -o nexthop show", "nexthop show", {"oneline": True}),
    ("ip -br nexthop show", "nexthop show", {"brief": True}),
    ("ip nexthop show groups", "nexthop show groups", {}),
    ("ip nexthop show dev v0", "nexthop show dev v0", {}),
    ("ip nexthop show id 6", "nexthop show id 6", {}),
    ("ip nexthop get id 11", "nexthop get id 11", {}),
]


@pytest.mark.parametrize(("argv", "line", "opts"), NEXTHOPS, ids=[c[0] for c in NEXTHOPS])
def test_nexthops(rich: str, argv: str, line: str, opts: dict[str, Any]) -> None:
    same_as_tool(rich, argv, line, **opts)


# -- netns ---------------------------------------------------------------------------------


def test_netns_list_with_ids(rich: str) -> None:
    """Every named namespace in the directory's order, with the ids `rich` gave two."""
    same_as_tool(rich, "ip netns list", "netns list")
    assert re.search(r"^nlt-\S+ \(id: 7\)$", nl(rich, "netns list", output="ip").out, re.M)


@pytest.mark.parametrize("line", ["netns list-id", "netns list-id nsid 7"])
@pytest.mark.parametrize("ip_mode", [True, False])
def test_netns_list_id(rich: str, line: str, ip_mode: bool) -> None:
    """ip's lines in both output modes (ip prints no table)."""
    same_as_tool(rich, "ip " + line, line, ip_mode=ip_mode)


def test_netns_list_here() -> None:
    """Where the tests run (read only): every name, in the directory's order."""
    same_as_tool(None, "ip netns list", "netns list")


def test_netns_list_id_lines() -> None:
    from nlshell.commands.render.iptext.netns import lines

    entries = [{"nsid": 3, "name": "a"}, {"nsid": 5}, {"nsid": 7, "current-nsid": -1}]
    assert list(lines(entries, None, None, "list-id")) == [
        "nsid 3 (iproute2 netns name: a)", "nsid 5 ", "nsid 7 current-nsid unassigned "]


# -- bridge --------------------------------------------------------------------------------

BRIDGES = [
    ("bridge fdb show", "bridge fdb show", {}),
    ("bridge -s fdb show", "bridge fdb show", {"stats": 1}),
    ("bridge -d fdb show", "bridge fdb show", {"details": True}),
    ("bridge fdb show br br0", "bridge fdb show br br0", {}),
    ("bridge fdb show brport v3", "bridge fdb show brport v3", {}),
    ("bridge fdb show dev vx0", "bridge fdb show dev vx0", {}),
    ("bridge fdb show state static", "bridge fdb show state static", {}),
    ("bridge fdb show dynamic", "bridge fdb show dynamic", {}),
    ("bridge -j fdb show dynamic", "bridge fdb show dynamic", {"json": True}),
    ("bridge link show", "bridge link show", {}),
    ("bridge -d link show", "bridge link show", {"details": True}),
    ("bridge -s link show", "bridge link show", {"stats": 1}),
    ("bridge -o fdb show", "bridge fdb show", {"oneline": True}),
    ("bridge link show dev v3", "bridge link show dev v3", {}),
    ("bridge vlan show", "bridge vlan show", {}),  # (no VLAN filtering here: the header)
]


@pytest.mark.parametrize(("argv", "line", "opts"), BRIDGES, ids=[c[0] for c in BRIDGES])
def test_bridge(rich: str, argv: str, line: str, opts: dict[str, Any]) -> None:
    same_as_tool(rich, argv, line, **opts)


# -- tc ------------------------------------------------------------------------------------

TCS = [
    ("tc qdisc show", "tc qdisc show", {}),
    ("tc -s qdisc show", "tc qdisc show", {"stats": 1}),
    ("tc -d qdisc show", "tc qdisc show", {"details": True}),
    ("tc -s -d qdisc show", "tc qdisc show", {"stats": 1, "details": True}),
    ("tc -o qdisc show", "tc qdisc show", {"oneline": True}),
    ("tc -o -s qdisc show", "tc qdisc show", {"oneline": True, "stats": 1}),
    ("tc qdisc show dev v0", "tc qdisc show dev v0", {}),
    ("tc -s qdisc show dev v1", "tc qdisc show dev v1", {"stats": 1}),
    ("tc -s qdisc show dev v3", "tc qdisc show dev v3", {"stats": 1}),  # an estimator
    ("tc -s -o qdisc show dev v3", "tc qdisc show dev v3", {"stats": 1, "oneline": True}),
    ("tc -d -o qdisc show dev v1", "tc qdisc show dev v1", {"details": True, "oneline": True}),
    ("tc class show dev v0", "tc class show dev v0", {}),
    ("tc -s class show dev v0", "tc class show dev v0", {"stats": 1}),
    ("tc -d class show dev v0", "tc class show dev v0", {"details": True}),
    ("tc -s -d class show dev v0", "tc class show dev v0", {"stats": 1, "details": True}),
    ("tc -o -s class show dev v0", "tc class show dev v0", {"oneline": True, "stats": 1}),
    ("tc -iec class show dev v0", "tc class show dev v0", {"iec": True}),
    ("tc class show dev v2", "tc class show dev v2", {}),
    ("tc -d class show dev v2", "tc class show dev v2", {"details": True}),
    ("tc -s -o class show dev v2", "tc class show dev v2", {"stats": 1, "oneline": True}),
    ("tc class show dev v0 classid 1:20", "tc class show dev v0 classid 1:20", {}),
]


@pytest.mark.parametrize(("argv", "line", "opts"), TCS, ids=[c[0] for c in TCS])
def test_tc(quiet: str, argv: str, line: str, opts: dict[str, Any]) -> None:
    same_as_tool(quiet, argv, line, **opts)


def test_tc_kind_not_written_is_an_error() -> None:
    """A qdisc kind whose text is not written is an error naming it, nothing printed."""
    from nlshell.commands.context import CommandError, Options
    from nlshell.commands.render.context import RenderContext
    from nlshell.commands.render.iptext.tc import text
    from nlshell.engine.codec import constants as C
    from nlshell.engine.codec import encode, parse

    msg = parse(encode(C.RTM_NEWQDISC, fields={"index": 1, "handle": 0x10000,
                                               "parent": C.TC_H_ROOT, "info": 1},
                       attrs=[("TCA_KIND", "sfq"), ("TCA_OPTIONS", b"\0" * 8)]))[0]
    with pytest.raises(CommandError, match="'sfq'"):
        text([msg], RenderContext(), Options(output="ip"), "qdisc")
