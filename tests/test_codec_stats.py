"""RTM_GETSTATS against the real kernel: a dump decoded by the codec (and by the engine's
socket) gives the counters `ip -j -s link` shows for the same links.

Traffic: raw Ethernet frames sent on one end of a veth pair by an AF_PACKET socket opened
inside the test namespace, so the counters are not all zero. IPv6 is off in the namespace
so that nothing (router solicitations, MLD reports) ticks the counters meanwhile.
"""

from __future__ import annotations

import socket
import struct

import pytest
from support import iporacle, testns

from nlshell.engine.codec import constants as C
from nlshell.engine.codec import encode, parse
from nlshell.engine.codec import stats as S
from nlshell.engine.netns import run_in_netns
from nlshell.engine.socket import NetlinkSocket

pytestmark = pytest.mark.requires_root

# ip -j -s link names -> rtnl_link_stats64 names, per direction
IP_KEYS = {
    "rx": {"bytes": "rx_bytes", "packets": "rx_packets", "errors": "rx_errors",
           "dropped": "rx_dropped", "over_errors": "rx_over_errors", "multicast": "multicast"},
    "tx": {"bytes": "tx_bytes", "packets": "tx_packets", "errors": "tx_errors",
           "dropped": "tx_dropped", "carrier_errors": "tx_carrier_errors",
           "collisions": "collisions"},
}


def _send_frames(ifname: str, count: int) -> None:
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((ifname, 0))
        # broadcast, from a locally administered MAC, an experimental ethertype
        frame = b"\xff" * 6 + bytes.fromhex("02005e100001") + struct.pack("!H", 0x88B5)
        for i in range(count):
            s.send(frame + bytes([i]) * (46 + i))


@pytest.fixture
def busy_ns(ns: str) -> str:
    testns.ns_sysctl(ns, "net.ipv6.conf.all.disable_ipv6=1",
                      "net.ipv6.conf.default.disable_ipv6=1")
    iporacle.batch(ns, "link add st0 type veth peer name st1\n"
                      "link set st0 up\nlink set st1 up\n")
    run_in_netns(ns, _send_frames, "st0", 7)
    return ns


def _ip_counters(ns: str) -> dict[int, dict[str, int]]:
    out = {}
    for link in iporacle.ipj(ns, "-s", "link", "show"):
        stats = link["stats64"]
        out[link["ifindex"]] = {ours: stats[d][theirs]
                                for d, keys in IP_KEYS.items() for theirs, ours in keys.items()}
    return out


def _pick(counters: dict[str, int]) -> dict[str, int]:
    names = [n for keys in IP_KEYS.values() for n in keys.values()]
    return {n: counters[n] for n in names}


def test_raw_getstats_dump_decodes_to_ip_counters(busy_ns: str) -> None:
    request = encode(C.RTM_GETSTATS, C.NLM_F_REQUEST | C.NLM_F_DUMP, seq=9,
                     fields={"filter_mask": S.filter_bit(S.IFLA_STATS_LINK_64)})

    def dump() -> list[bytes]:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, C.NETLINK_ROUTE) as s:
            s.bind((0, 0))
            s.send(request)
            chunks = []
            while True:
                data = s.recv(1 << 16)
                chunks.append(data)
                if any(m.type in (C.NLMSG_DONE, C.NLMSG_ERROR) for m in parse(data)):
                    return chunks

    msgs = [m for d in run_in_netns(busy_ns, dump) for m in parse(d)]
    replies = [m for m in msgs if m.type == C.RTM_NEWSTATS]
    assert msgs[-1].type == C.NLMSG_DONE and not msgs[-1].code
    ours = {m["ifindex"]: _pick(m.get("link_64")) for m in replies}
    assert {m["event"] for m in replies} == {"RTM_NEWSTATS"}
    assert all(m["filter_mask"] == 1 for m in replies)
    assert [name for name, _ in replies[0]["attrs"]] == ["IFLA_STATS_LINK_64"]
    theirs = _ip_counters(busy_ns)
    assert ours == theirs
    by_name = {link["ifname"]: link["ifindex"] for link in iporacle.ipj(busy_ns, "link")}
    assert ours[by_name["st0"]]["tx_packets"] == 7
    assert ours[by_name["st1"]]["rx_packets"] == 7
    assert ours[by_name["st1"]]["rx_bytes"] == sum(60 + i for i in range(7))


def test_engine_getstats_dump_matches_link_dump(busy_ns: str) -> None:
    with NetlinkSocket(netns=busy_ns) as sock:
        stats = sock.dump(C.RTM_GETSTATS, fields={"filter_mask": 1})
        links = sock.dump(C.RTM_GETLINK)
        one = sock.request(C.RTM_GETSTATS, fields={"filter_mask": 1, "ifindex": 1})
    by_index = {m["ifindex"]: m.get("IFLA_STATS_LINK_64") for m in stats}
    assert by_index == {m["index"]: m.get("stats64") for m in links}
    assert {m["index"] for m in links} == set(by_index)
    assert {k: _pick(v) for k, v in by_index.items()} == _ip_counters(busy_ns)
    # a plain get (not a dump) names one link; lo has seen no traffic
    assert [(m["ifindex"], m.get(("link_64", "rx_packets"))) for m in one] == [(1, 0)]
