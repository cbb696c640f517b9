"""`--output ip` for links: `link show` byte for byte as `ip` (iproute2 6.1) prints it, in
one namespace holding a link of every kind this kernel has (veth with a peer here and one
in another namespace, bridge and ports, vxlan v4/v6/external, macvlan modes, ifb, tun, tap,
multiqueue tap) and links with odd settings (qlen 0, group, dormant, NOARP, PROMISC...):
plain, -o, -s, -s -s, -h, -iec, -d, -br, -4/-6/-0, and the selectors."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator

import pytest
from support.iptext import compare
from support.nlrun import nl
from support.testns import netns_with, temp_netns
from support.wait import until

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
link add vx0 type vxlan id 42 remote 192.0.2.9 dstport 4789 dev v0
link add vx1 type vxlan id 7 group 239.1.1.1 dev v0 dstport 0 nolearning ttl 5 tos 0x10 \
ageing 100 noudpcsum l2miss l3miss proxy rsc maxaddress 20 srcport 1000 2000
link add vx2 type vxlan id 8 local 2001:db8::1 remote 2001:db8::2 dstport 4790 ttl inherit \
df set label 0x5 udp6zerocsumtx udp6zerocsumrx
link add vx3 type vxlan external dstport 4791
link add vx4 type vxlan id 9 local 192.0.2.1 dstport 4792 gbp tos inherit df inherit
link add mv0 link v0 type macvlan mode bridge
link add mv1 link v0 type macvlan mode private
link add mv2 link v0 type macvlan mode vepa bcqueuelen 50
link add mv3 link v0 type macvlan mode source macaddr add 02:00:00:00:00:01 \
macaddr add 02:00:00:00:00:02
link add ifb0 type ifb
link add mt0 link v0 type macvtap mode vepa
link set mv1 protodown on
link add vx6 type vxlan id 66 group ff05::1 dev v0 dstport 4789
link add vx7 type vxlan id 67 local 2001:db8::1 dstport 4789 noudpcsum
link set vx0 up
tuntap add tp0 mode tap
tuntap add tn0 mode tun
tuntap add tq0 mode tap multi_queue user nobody group nogroup pi vnet_hdr
link add e0 type veth peer name e1
link set e0 mtu 1400 txqueuelen 0 group 5 promisc on arp off allmulticast on \
address 02:11:22:33:44:55 broadcast 02:ff:ff:ff:ff:fe
link set e1 mode dormant txqueuelen 77
link set e0 up
link add br1 type bridge stp_state 1 forward_delay 400 hello_time 300 max_age 1000 \
ageing_time 5000 priority 100 group_fwd_mask 0x4000 mcast_snooping 0
link set e1 master br1
link set dev e1 type bridge_slave cost 10 priority 20 hairpin on guard on root_block on \
learning off flood off proxy_arp on mcast_flood off neigh_suppress on isolated on
"""

# 600 broadcast datagrams of 1400 bytes out of v0 (into v1): counters -h prints in k
TRAFFIC = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
           "s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1); "
           "[s.sendto(b'x' * 1400, ('192.0.2.255', 9)) for _ in range(600)]")

# bridge timers count down between ip's run and nlshell's
TIMERS = [(re.compile(r"(_timer) +\d+\.\d\d"), r"\1 T")]

COMMANDS = [
    "link show", "-d link show", "-s link show", "-s -s link show", "-o link show",
    "-o -d link show", "-o -s link show", "-br link show", "-0 link show", "-4 link show",
    "-6 link show", "-s -h link show dev v0", "-s -s -h link show dev v1",
    "-s -h -iec link show dev v0", "-s -s -h -iec link show dev v1",
    "-d link show dev v0", "-d link show dev v1", "-d link show dev br0",
    "-d link show dev br1", "-d link show dev e0", "-d link show dev e1",
    "-d link show dev vx0", "-d link show dev vx1", "-d link show dev vx2",
    "-d link show dev vx3", "-d link show dev vx4", "-d link show dev mv0",
    "-d link show dev mv1", "-d link show dev mv2", "-d link show dev mv3",
    "-d link show dev ifb0", "-d link show dev tp0", "-d link show dev tn0",
    "-d link show dev tq0", "-d link show dev p0", "-d link show dev lo", "link show up",
    "link show type bridge", "-d link show type bridge_slave", "link show master br1",
    "-d -s -s link show dev e1", "-o -s -s -d link show dev v1", "-br link show type vxlan",
    "link show dev e0", "-s link show dev e0", "-d link show dev mt0", "-d link show dev vx6",
    "-d link show dev vx7", "link show dev mv1", "-d -s -s link show dev vx0",
    "-o -d link show type vxlan", "-d link show type macvlan", "-br link show master br0",
]


@pytest.fixture(scope="module")
def rich() -> Iterator[str]:
    with temp_netns() as peer_ns, netns_with(
            SETUP + f"link add p0 type veth peer name p1 netns {peer_ns}\n") as name:
        subprocess.run(["ip", "netns", "exec", name, "python3", "-c", TRAFFIC], check=True,
                       timeout=60)
        yield name


@pytest.mark.parametrize("command", COMMANDS)
def test_link_text_as_ip(rich: str, command: str) -> None:
    ip, ours = compare(rich, command, TIMERS)
    assert ours == ip
    assert ip.strip(), "the command shows something"


def test_counters_read_as_ip(rich: str) -> None:
    """-h shortens the counters of the traffic sent (bytes in k/M, ki/Mi with -iec)."""
    out = nl(rich, "link show dev v0", output="ip", stats=1, human=True).out
    tx = out.splitlines()[-2]  # TX's numbers, before the altname line
    assert re.fullmatch(r" +8\d\dk +6\d\d +0 +0 +0 +0 ", tx), out
    iec = nl(rich, "link show dev v0", output="ip", stats=1, human=True, iec=True).out
    assert re.fullmatch(r" +8\d\dki +6\d\d +0 +0 +0 +0 ", iec.splitlines()[-2]), iec


def test_peer_namespace_named(rich: str) -> None:
    out = nl(rich, "link show dev p0", output="ip", details=True).out
    assert " link-netns nlt-" in out and out.startswith(out.split(":")[0] + ": p0@if")


def test_oneline_one_line_per_link(rich: str) -> None:
    out = nl(rich, "link show", output="ip", oneline=True, details=True, stats=2).out
    links = nl(rich, "link show", json=True).out.count('"ifindex"')
    assert out.count("\n") == links and "\\    link/ether " in out


# --- the human tables keep the facts ip's text shows --------------------------------------


def _row(table: str, name: str) -> dict[str, str]:
    """The cells of `name`'s row, by header (columns are split where the rule line has
    blanks)."""
    lines = table.splitlines()
    rule = lines[1]
    spans, start = [], 0
    for part in rule.split("  "):
        if part:
            start = rule.index(part, start)
            spans.append((start, start + len(part)))
            start += len(part)
    heads = [lines[0][a:b].strip() for a, b in spans]
    for line in lines[2:]:
        cells = [line[a:b].strip() for a, b in spans]
        if cells[1].split("@")[0] == name:
            return dict(zip(heads, cells, strict=True))
    raise AssertionError(f"no row {name!r} in\n{table}")


def test_table_has_qdisc_qlen_group_broadcast(rich: str) -> None:
    table = nl(rich, "link show").out
    e0 = _row(table, "e0")
    assert (e0["QDISC"], e0["QLEN"], e0["GROUP"], e0["BRD"]) == (
        "noqueue", "", "5", "02:ff:ff:ff:ff:fe")  # qlen 0: ip prints none either
    v0 = _row(table, "v0")
    assert (v0["QDISC"], v0["QLEN"], v0["GROUP"], v0["BRD"]) == ("noqueue", "1000", "", "")
    assert _row(table, "ifb0")["QLEN"] == "32"


def test_detailed_table_has_kind_details(rich: str) -> None:
    table = nl(rich, "link show", details=True).out
    assert _row(table, "vx1")["DETAILS"].startswith(
        "id 7 group 239.1.1.1 dev v0 srcport 1000 2000 dstport 8472 nolearning proxy rsc")
    assert _row(table, "tq0")["DETAILS"].startswith("type tap pi on vnet_hdr on multi_queue")
    assert _row(table, "e1")["DETAILS"].startswith("bridge_slave state disabled priority 20")
    assert _row(table, "br1")["DETAILS"].startswith("forward_delay 400 hello_time 300")
    assert re.search(r"remotes \(\d\) 02:00:00:00:00:0\d", _row(table, "mv3")["DETAILS"])


def test_stats_tables_have_every_counter(rich: str) -> None:
    one = nl(rich, "link show dev v0", stats=1).out.splitlines()[0]
    assert "RX MCAST" in one and "TX CARRIER" in one and "RX CRC" not in one
    two = _row(nl(rich, "link show dev v0", stats=2).out, "v0")
    for head in ("RX LEN", "RX CRC", "RX FRAME", "RX FIFO", "RX MISSED", "TX ABORT",
                 "TX WINDOW", "TX HEARTBT", "CARRIER CHANGES"):
        assert two[head].isdigit(), (head, two)
    assert int(two["TX PKTS"]) >= 600


# --- number formats (numbers.py), pairs read from ip -h and tc on this machine ---------------

@pytest.mark.parametrize(("count", "human", "iec", "text"), [
    (999, True, False, "999"), (1000, True, False, "1.00k"), (1500, True, False, "1.50k"),
    (15000, True, False, "15.0k"), (865200, True, False, "865k"),
    (1500000, True, False, "1.50M"), (1730, True, True, "1.69ki"),
    (1023, True, True, "1023"), (123456789, False, False, "123456789"),
])
def test_counter(count: int, human: bool, iec: bool, text: str) -> None:
    from nlshell.commands.render.iptext.numbers import counter

    assert counter(count, human, iec) == text


@pytest.mark.parametrize(("bits", "plain", "iec"), [
    (1500000, "1500Kbit", "1464Kibit"), (8, "8bit", "8bit"), (10**9, "1Gbit", "976562Kibit"),
    (1234560, "1234Kbit", "1205Kibit"), (999999000, "999999Kbit", "976561Kibit"),
    (1048576, "1048Kbit", "1Mibit"), (12345678000, "12345Mbit", "11773Mibit"),
])
def test_tc_rate(bits: int, plain: str, iec: str) -> None:
    from nlshell.commands.render.iptext.numbers import rate

    assert (rate(bits // 8), rate(bits // 8, iec=True)) == (plain, iec)


@pytest.mark.parametrize(("nbytes", "text"), [
    (15360, "15Kb"), (15370, "15Kb"), (2097152, "2Mb"), (2097000, "2Mb"), (1600, "1600b"),
    (1599, "1599b"), (225, "225b"),
])
def test_tc_size(nbytes: int, text: str) -> None:
    from nlshell.commands.render.iptext.numbers import size

    assert size(nbytes) == text


def test_peer_in_unnamed_namespace(ns: str) -> None:
    """A peer in a namespace without a name reads `link-netnsid N`, as ip prints it."""
    mine = os.stat("/proc/self/ns/net").st_ino
    proc = subprocess.Popen(["unshare", "-n", "sleep", "300"])
    try:
        until("the sleep is in its own namespace",
              lambda: os.stat(f"/proc/{proc.pid}/ns/net").st_ino != mine)
        subprocess.run(["ip", "-n", ns, "link", "add", "q0", "type", "veth", "peer", "name",
                        "q1", "netns", str(proc.pid)], check=True, timeout=60)
        for command in ("link show dev q0", "-d link show dev q0", "-o link show"):
            ip, ours = compare(ns, command)
            assert ours == ip
        assert " link-netnsid 0" in ip
    finally:
        proc.kill()
        proc.wait()
