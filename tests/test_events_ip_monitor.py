"""One event model (issue 10): the event formatter against ``ip -o monitor``, side by side.

``ip -o -n NS monitor link address route neigh`` (no label, no timestamp) and a socket of
ours on the same groups hear the same kernel events in the same order; the one formatter
(``commands.events``) must print each the way ip does: links (flags, ``@peer``, ``M-DOWN``,
qdisc, group, link/ether), addresses (a ``secondary`` one too), IPv4 and IPv6 routes
(``pref medium``, no invented scope) and neighbours.

Then: ``nlshell monitor``, the shell's background monitor and the watch events pane give the
same text for the same message, and odd-but-decodable messages never stop any of them.
"""

from __future__ import annotations

import os
import random
import select
import subprocess
import time
from types import SimpleNamespace
from typing import Any

import pytest
from support.iporacle import batch, sh
from support.testns import no_dad, requires_root
from support.wait import DEADLINE

from nlshell.commands.context import Options
from nlshell.commands.events import EventFormatter
from nlshell.commands.monitor import Monitor, groups_for
from nlshell.engine.codec import constants as C
from nlshell.engine.codec import parse
from nlshell.engine.socket import NetlinkSocket

OBJECTS = ["link", "address", "route", "neigh"]

SCENARIO = """\
link add vw0 type veth peer name vw1
link set vw1 up
link set vw0 up
address add 192.0.2.1/24 dev vw0
address add 192.0.2.2/24 dev vw0
address add 2001:db8::1/64 dev vw0 nodad
address add 2001:db8:1::1/64 dev vw0 valid_lft 100 preferred_lft 50
address add 10.1.1.1 peer 10.1.1.2 dev vw0
link add br0 type bridge
link set vw1 master br0
route add 198.51.100.0/24 via 192.0.2.9
route add 203.0.113.0/24 dev vw0 table 100 metric 5
route add 2001:db8:5::/64 via 2001:db8::9
route add 192.0.2.128/25 nexthop via 192.0.2.9 dev vw0 nexthop via 192.0.2.10 dev vw0 weight 3
route add 2001:db8:6::/64 dev vw0 mtu lock 1300 metric 7
route add 10.20.0.0/16 via 192.0.2.9 rtt 100ms rttvar 2s realms 5 features ecn
route add blackhole 10.21.0.0/16 proto static
route add 10.22.0.0/16 dev vw0 tos 0x10 window 1000 advmss 1300
neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev vw0
neigh add 2001:db8::7 lladdr 02:00:00:00:00:08 dev vw0 nud reachable
link set vw0 mtu 1400
route del 198.51.100.0/24
address del 192.0.2.2/24 dev vw0
neigh del 192.0.2.7 dev vw0
link set vw0 down
link del vw0
"""


class IpMonitor:
    """``ip -o -n NS monitor ...`` in a subprocess; lines read from its pipe with deadlines."""

    def __init__(self, ns: str) -> None:
        self.proc = subprocess.Popen(["ip", "-o", "-n", ns, "monitor", *OBJECTS],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.proc.stdout is not None
        self.fd = self.proc.stdout.fileno()
        self.buf = b""
        self.lines: list[str] = []

    def read_until(self, pred: Any, what: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while not any(pred(line) for line in self.lines):
            left = deadline - time.monotonic()
            assert left > 0, f"ip monitor: no {what} within {DEADLINE}s: {self.lines[-5:]}"
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.fd, 65536)
            assert chunk, f"ip monitor ended: {self.proc.stderr.read()!r}"  # type: ignore[union-attr]
            self.buf += chunk
            *done, self.buf = self.buf.split(b"\n")
            self.lines += [line.decode() for line in done]

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)


class Ours:
    """A socket on the same groups and the formatter, reading with deadlines."""

    def __init__(self, ns: str) -> None:
        self.sock = NetlinkSocket(netns=ns, rcvbuf=4 << 20)
        for group in groups_for(OBJECTS, None):
            self.sock.add_membership(group)
        self.ask = NetlinkSocket(netns=ns)
        self.fmt = EventFormatter(self.ask.dump(C.RTM_GETLINK, fields={"family": 0}),
                                  resolve=self._link)
        self.lines: list[str] = []

    def read_until(self, pred: Any, what: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while not any(pred(line) for line in self.lines):
            left = deadline - time.monotonic()
            assert left > 0, f"ours: no {what} within {DEADLINE}s: {self.lines[-5:]}"
            for m in self.sock.recv_events(min(left, 1.0)):
                f = self.fmt.format(m)
                if f is not None:
                    self.lines.append(f.text)

    def _link(self, index: int) -> Any:
        from nlshell.engine.errors import NetlinkError

        try:
            return self.ask.request(C.RTM_GETLINK, fields={"index": index})[0]
        except NetlinkError:
            return None

    def close(self) -> None:
        self.sock.close()
        self.ask.close()


def _marker(name: str) -> Any:
    return lambda line: f": {name}: <" in line


def _between(lines: list[str], start: str, end: str) -> list[str]:
    first = next(i for i, line in enumerate(lines) if _marker(start)(line))
    last = next(i for i, line in enumerate(lines) if _marker(end)(line))
    return [line.rstrip() for line in lines[first + 1:last]]


@requires_root
def test_formatter_prints_what_ip_monitor_prints(ns: str) -> None:
    no_dad(ns)
    ours = Ours(ns)  # subscribed before anything below happens
    ip = IpMonitor(ns)
    try:
        # ip says nothing when it is listening: poke until it prints a poke
        for i in range(100):
            sh(ns, "link", "add", f"mk{i}", "type", "ifb")
            if any(_marker(f"mk{i}")(line) for line in _drain(ip, 0.3)):
                break
        else:
            pytest.fail(f"ip monitor printed none of 100 pokes: {ip.lines[-5:]}")
        sh(ns, "link", "add", "mstart", "type", "ifb")
        batch(ns, SCENARIO)
        sh(ns, "link", "add", "mend", "type", "ifb")
        ip.read_until(_marker("mend"), "end marker")
        ours.read_until(_marker("mend"), "end marker")
    finally:
        ip.close()
        ours.close()
    theirs, mine = _between(ip.lines, "mstart", "mend"), _between(ours.lines, "mstart", "mend")
    assert mine == theirs
    text = "\n".join(mine)
    for expected in ("vw0@vw1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue "
                     "state UP group default \\    link/ether",
                     "inet 192.0.2.2/24 scope global secondary vw0",
                     "198.51.100.0/24 via 192.0.2.9 dev vw0",
                     "203.0.113.0/24 dev vw0 table 100 scope link metric 5",
                     "2001:db8:5::/64 via 2001:db8::9 dev vw0 metric 1024 pref medium",
                     "192.0.2.7 dev vw0 lladdr 02:00:00:00:00:07 PERMANENT",
                     "inet 10.1.1.1 peer 10.1.1.2/32 scope global vw0",
                     "valid_lft 100sec preferred_lft 50sec",
                     "192.0.2.128/25 \\\tnexthop via 192.0.2.9 dev vw0 weight 1 \\\tnexthop "
                     "via 192.0.2.10 dev vw0 weight 3",
                     "2001:db8:6::/64 dev vw0 metric 7 mtu lock 1300 pref medium",
                     "master br0 state UP",
                     "dev br0 lladdr",
                     "Deleted 192.0.2.7 dev vw0"):
        assert expected in text, expected


def _drain(ip: IpMonitor, wait: float = 0.2) -> list[str]:
    """What ip printed within ``wait`` seconds (a poke's line, or nothing yet)."""
    deadline = time.monotonic() + wait
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return ip.lines
        ready, _, _ = select.select([ip.fd], [], [], left)
        if ready:
            chunk = os.read(ip.fd, 65536)
            if not chunk:
                return ip.lines
            ip.buf += chunk
            *done, ip.buf = ip.buf.split(b"\n")
            ip.lines += [line.decode() for line in done]


# --- the three consumers agree ------------------------------------------------------------


def _messages() -> list[Any]:
    """Real event messages: encoded like the kernel's, parsed back."""
    return [parse(raw)[0] for raw in _raw_messages()]


def _raw_messages() -> list[bytes]:
    from nlshell.engine.codec import encode

    link = encode(C.RTM_NEWLINK, fields={"index": 5, "flags": 0x11043, "ifi_type": 1},
                  attrs=[("ifname", "vw0"), ("mtu", 1500), ("qdisc", "noqueue"),
                         ("operstate", "UP"), ("group", 0), ("address", "02:00:00:00:00:05"),
                         ("broadcast", "ff:ff:ff:ff:ff:ff"), ("link", 6)])
    peer = encode(C.RTM_NEWLINK, fields={"index": 6, "flags": 0x1002, "ifi_type": 1},  # down
                  attrs=[("ifname", "vw1"), ("mtu", 1500)])
    addr = encode(C.RTM_NEWADDR, fields={"family": C.AF_INET, "prefixlen": 24, "flags": 0x81,
                                         "scope": 0, "index": 5},
                  attrs=[("address", "192.0.2.2"), ("local", "192.0.2.2"),
                         ("broadcast", "192.0.2.255"), ("label", "vw0"),
                         ("cacheinfo", {"ifa_preferred": 0xFFFFFFFF, "ifa_valid": 0xFFFFFFFF,
                                        "cstamp": 1, "tstamp": 1})])
    route6 = encode(C.RTM_NEWROUTE, fields={"family": C.AF_INET6, "dst_len": 64, "table": 254,
                                            "proto": 3, "scope": 0, "type": 1},
                    attrs=[("table", 254), ("dst", "2001:db8:5::"), ("gateway", "2001:db8::9"),
                           ("oif", 5), ("priority", 1024), ("pref", 0)])
    route4 = encode(C.RTM_DELROUTE, fields={"family": C.AF_INET, "dst_len": 24, "table": 254,
                                            "proto": 3, "scope": 0, "type": 1},
                    attrs=[("table", 254), ("dst", "198.51.100.0"), ("gateway", "192.0.2.9"),
                           ("oif", 5)])
    neigh = encode(C.RTM_NEWNEIGH, fields={"family": C.AF_INET, "ifindex": 5, "state": 0x80},
                   attrs=[("dst", "192.0.2.7"), ("lladdr", "02:00:00:00:00:07")])
    return [peer, link, addr, route6, route4, neigh]


def test_monitor_shell_monitor_and_events_pane_print_the_same(monkeypatch: Any) -> None:
    from nlshell.shell import monitor as shell_monitor
    from nlshell.shell.watch.state import WatchState

    msgs = _messages()
    links = msgs[:1]  # the peer is known at the start; vw0 arrives as an event
    # nlshell monitor: the command's Monitor on a context's options
    mon = Monitor(SimpleNamespace(opts=Options(), netns=None), list(links), lookup=False)
    cli = [mon.line(m) for m in msgs]

    # the shell's monitor: the same Monitor, run by BackgroundMonitor on a snapshot of opts
    written: list[str] = []

    class FakeSock:
        def __init__(self, *a: Any, **k: Any) -> None:
            self.batches = [msgs]

        def add_membership(self, group: int) -> None:
            pass

        def recv_events(self, timeout: float | None = None) -> list[Any]:
            if self.batches:
                return self.batches.pop()
            time.sleep(0.01)
            return []

        def close(self) -> None:
            pass

    import nlshell.engine.socket as socket_mod

    monkeypatch.setattr(socket_mod, "NetlinkSocket", FakeSock)
    ctx = SimpleNamespace(opts=Options(), netns=None, links=lambda: list(links))
    bg = shell_monitor.BackgroundMonitor(ctx, SimpleNamespace(values={}, words=["monitor"]),
                                         written.append)
    deadline = time.monotonic() + DEADLINE
    while len(written) < len(msgs) and time.monotonic() < deadline:
        time.sleep(0.01)
    bg.stop()

    # the events pane: the cache's kinds and actions for the same messages
    state = WatchState()
    state.load(list(links), {})
    kinds = {C.RTM_NEWLINK: ("link", "new"), C.RTM_NEWADDR: ("address", "new"),
             C.RTM_NEWROUTE: ("route", "new"), C.RTM_DELROUTE: ("route", "deleted"),
             C.RTM_NEWNEIGH: ("neighbour", "new")}
    pane = [state.apply(*kinds[m.type], m) for m in msgs]

    def body(line: str) -> str:
        return line.split("] ", 2)[2]  # after "[timestamp] [LABEL] "

    assert [body(x) for x in cli] == [body(x) for x in written] == [ev.text for ev in pane]
    assert [x.split("] ", 2)[1] + "]" for x in cli] == [f"[{ev.label}]" for ev in pane]
    assert pane[1].text.startswith("5: vw0@vw1: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> "
                                   "mtu 1500 qdisc noqueue state UP group default \\    "
                                   "link/ether 02:00:00:00:00:05 brd ff:ff:ff:ff:ff:ff")
    assert pane[2].text == ("5: vw0    inet 192.0.2.2/24 brd 192.0.2.255 scope global "
                            "secondary vw0\\       valid_lft forever preferred_lft forever")
    assert pane[3].text == "2001:db8:5::/64 via 2001:db8::9 dev vw0 metric 1024 pref medium"
    assert pane[4].text == "Deleted 198.51.100.0/24 via 192.0.2.9 dev vw0"


# --- odd but decodable messages ---------------------------------------------------------------


def _mutations(seed: int, count: int) -> list[Any]:
    """Real messages with bytes flipped, attributes cut short...: those the codec accepts."""
    rng = random.Random(seed)
    raws = _raw_messages()
    out: list[Any] = []
    while len(out) < count:
        raw = bytearray(rng.choice(raws))
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(16, len(raw))
            raw[i] = rng.randrange(256)
        try:
            msgs = parse(bytes(raw))
            for m in msgs:
                m.dump()  # decodable all through
        except Exception:  # noqa: BLE001 - the codec refused it: not ours to render
            continue
        out += msgs
    return out


@pytest.mark.parametrize("seed", range(3))
def test_odd_messages_give_one_line_never_an_exception(seed: int) -> None:
    from nlshell.shell.watch.state import WatchState

    msgs = _mutations(seed, 400)
    mon = Monitor(SimpleNamespace(opts=Options(), netns=None), [], lookup=False)
    jmon = Monitor(SimpleNamespace(opts=Options(json=True), netns=None), [], lookup=False)
    state = WatchState()
    kinds = {C.RTM_NEWLINK: "link", C.RTM_DELLINK: "link", C.RTM_NEWADDR: "address",
             C.RTM_DELADDR: "address", C.RTM_NEWROUTE: "route", C.RTM_DELROUTE: "route",
             C.RTM_NEWNEIGH: "neighbour", C.RTM_DELNEIGH: "neighbour"}
    for m in msgs:
        for line in (mon.line(m), jmon.line(m)):
            assert line is None or "\n" not in line
        kind = kinds.get(m.type)
        if kind is not None:
            state.apply(kind, "deleted" if m.type % 2 else "new", m)


def test_lost_events_in_json_mode_are_a_json_object() -> None:
    """-j monitor: an overrun is a JSON object in the stream, never a text line."""
    import json

    mon = Monitor(SimpleNamespace(opts=Options(json=True), netns=None), [], lookup=False)
    lost = json.loads(mon.lost())
    assert lost["lost"] is True and lost["reason"] == "overrun" and "timestamp" in lost
    text = Monitor(SimpleNamespace(opts=Options(), netns=None), [], lookup=False).lost()
    assert "[LOST] events were lost" in text
