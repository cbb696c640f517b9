"""The ``qdiscs`` watch pane: its model (pure), its words, the sampler against the kernel
(htb qdisc and classes on a veth pair carrying traffic) and one run in a real terminal.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from typing import Any

from support.iporacle import sh
from support.testns import requires_root
from support.tmux import Tmux, needs_tmux
from support.wait import DEADLINE

from nlshell.engine.codec import constants as C
from nlshell.engine.codec import encode, parse
from nlshell.shell.watch.model import parse_filter
from nlshell.shell.watch.qdiscs import FIELDS, QdiscsModel, counter, parent_text, tc_counters

ROOT = C.TC_H_ROOT


def tcmsg(index: int, handle: int, parent: int = ROOT, kind: str = "htb",
          what: int = C.RTM_NEWQDISC, bytes_: int = 0, packets: int = 0, drops: int = 0,
          overlimits: int = 0, backlog: int = 0) -> Any:
    stats = [("TCA_STATS_BASIC", {"bytes": bytes_, "packets": packets}),
             ("TCA_STATS_QUEUE", {"qlen": 0, "backlog": backlog, "drops": drops,
                                  "requeues": 0, "overlimits": overlimits})]
    data = encode(what, 0, 1, {"family": 0, "index": index, "handle": handle, "parent": parent},
                  [("TCA_KIND", kind), ("TCA_STATS2", stats)])
    return next(iter(parse(data)))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


NAMES = {2: "v0", 3: "v1"}.get


# -- the model (no kernel) -----------------------------------------------------------------------


def test_counters_read_from_stats2() -> None:
    m = tcmsg(2, 0x10000, bytes_=100, packets=2, drops=1, overlimits=3, backlog=5)
    assert dict(zip(FIELDS, tc_counters(m), strict=True)) == {
        "bytes": 100, "packets": 2, "drops": 1, "overlimits": 3, "backlog": 5, "qlen": 0}


def test_rows_rates_and_resets() -> None:
    clock = Clock()
    model = QdiscsModel(clock, hold=3)
    model.upsert("qdisc", tcmsg(2, 0x10000), quiet=True)
    model.upsert("class", tcmsg(2, 0x10010, 0x10000, what=C.RTM_NEWTCLASS), quiet=True)
    model.upsert("qdisc", tcmsg(3, 0, kind="noqueue"), quiet=True)
    rows = model.visible(NAMES)
    assert [(r.what, r.handle, r.parent) for r in rows] == [
        ("qdisc htb", "1:", "root"), ("class htb", "1:10", "1:"), ("qdisc noqueue", "0:", "root")]
    assert all(counter(r, "bytes") is None for r in rows)  # nothing sampled yet
    model.sample([("qdisc", tcmsg(2, 0x10000, bytes_=1000, packets=10)),
                  ("class", tcmsg(2, 0x10010, 0x10000, what=C.RTM_NEWTCLASS, bytes_=500))])
    clock.now += 2
    model.sample([("qdisc", tcmsg(2, 0x10000, bytes_=3000, packets=30, drops=4)),
                  ("class", tcmsg(2, 0x10010, 0x10000, what=C.RTM_NEWTCLASS, bytes_=100))])
    qdisc, klass = model.visible(NAMES)[:2]
    assert qdisc.rates == {"bytes": 1000.0, "packets": 10.0, "drops": 2.0}
    assert model.highlights.is_on(qdisc.key, "drops")  # drops grew: marked
    assert klass.rates["bytes"] is None  # went backwards (replaced): no rate, not a huge one
    model.reset_rates()
    assert model.visible(NAMES)[0].rates == {}


def test_rows_follow_the_cache_and_the_filter() -> None:
    clock = Clock()
    model = QdiscsModel(clock, hold=3)
    model.upsert("qdisc", tcmsg(2, 0x10000), quiet=True)
    model.upsert("qdisc", tcmsg(3, 0x20000))  # an event: a new row, highlighted
    assert model.highlights.row_is_new(("qdisc", (3, ROOT, 0x20000)))
    assert [r.dev for r in model.visible(NAMES, parse_filter("v1"))] == [3]
    model.remove("qdisc", tcmsg(3, 0x20000, what=C.RTM_DELQDISC))
    assert [r.dev for r in model.visible(NAMES)] == [2]
    model.replace({"qdisc": {}, "class": {}})
    assert model.visible(NAMES) == []


def test_parent_text_is_tcs() -> None:
    assert [parent_text(p) for p in (ROOT, 0xFFFFFFF1, 0x10000, 0x10010)] == [
        "root", "ingress", "1:", "1:10"]


def test_pane_words() -> None:
    from nlshell.shell.watch.app import PANES, parse_args

    assert "qdiscs" in PANES
    for word in ("qdiscs", "qdisc", "tc", "classes"):
        assert parse_args([word]).panes == ["qdiscs"]
    args = parse_args(["qdiscs", "events", "dev", "v*"])
    assert args.panes == ["qdiscs", "events"] and args.filter.dev == "v*"


def test_pane_renders_rows() -> None:
    from nlshell.shell.watch.panes import make_pane
    from nlshell.shell.watch.state import WatchState

    state = WatchState()
    state.qdiscs.upsert("qdisc", tcmsg(2, 0x10000), quiet=True)
    state.qdiscs.sample([("qdisc", tcmsg(2, 0x10000, bytes_=2_000_000, packets=7, backlog=3))])
    pane = make_pane(state, "qdiscs")
    text = ["".join(t for _, t in line) for line in pane.lines(160, 10)]
    assert text[0].split()[:4] == ["DEV", "OBJECT", "HANDLE", "PARENT"]
    cells = text[1].split()
    assert cells[:8] == ["if2", "qdisc", "htb", "1:", "root", "2M", "7", "0"]
    assert pane.title() == " qdiscs (1) "


def test_watch_words_offer_the_panes() -> None:
    from nlshell.commands.suggest import suggest

    got = [s.text for s in suggest("watch q")]
    assert "qdiscs" in got


# -- the kernel -----------------------------------------------------------------------------------

UDP_SENDER = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    s.sendto(b"x" * 1000, (sys.argv[1], 9))
    time.sleep(0.002)
"""


def _shaped(ns: str) -> None:
    """va/vb with htb on va: every packet through class 1:10."""
    sh(ns, "link add va type veth peer name vb")
    sh(ns, "addr add 10.78.0.1/24 dev va")
    sh(ns, "link set va up")
    sh(ns, "link set vb up")
    for line in ("qdisc add dev va root handle 1: htb default 10",
                 "class add dev va parent 1: classid 1:10 htb rate 100mbit"):
        subprocess.run(["tc", "-n", ns, *line.split()], check=True)


@requires_root
def test_sampler_fills_counters_and_rates(ns: str) -> None:
    from nlshell.shell.watch.source import Watcher
    from nlshell.shell.watch.state import WatchState

    _shaped(ns)
    state = WatchState()
    watcher = Watcher(state, ns, interval=0.2)
    watcher.tc_stats = True
    watcher.start()
    sender = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", UDP_SENDER,
                               "10.78.0.2", "60"])
    try:
        def rate(what: str) -> float:
            with state.lock:
                for row in state.qdiscs.rows.values():
                    if row.what == what and row.handle in ("1:", "1:10"):
                        return row.rates.get("bytes") or 0.0
            return 0.0

        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline and not (rate("qdisc htb") and rate("class htb")):
            time.sleep(0.05)
        assert rate("qdisc htb") > 0 and rate("class htb") > 0
    finally:
        sender.kill()
        sender.wait()
    try:
        # the root goes: its class with it (no event for the class), noqueue comes back
        subprocess.run(["tc", "-n", ns, "qdisc", "del", "dev", "va", "root"], check=True)
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            with state.lock:
                whats = sorted(r.what for r in state.qdiscs.rows.values()
                               if state.names(r.dev) == "va")
            if whats == ["qdisc noqueue"]:
                break
            time.sleep(0.05)
        assert whats == ["qdisc noqueue"]
        assert watcher.error is None
    finally:
        watcher.stop()


@requires_root
@needs_tmux
def test_qdiscs_pane_in_a_terminal(ns: str, tmp_path: Any) -> None:
    _shaped(ns)
    screen = Tmux(str(tmp_path), 160, 40)
    try:
        screen.start(["qdiscs", "-n", ns, "--interval", "0.3"],
                     command=[sys.executable, "-m", "nlshell.shell.watch", "qdiscs", "-n", ns,
                              "--interval", "0.3"])

        def htb_rows() -> list[str]:
            return [line for line in screen.screen().splitlines()
                    if re.search(r"\bva\s+(qdisc|class) htb\s+1:", line)]

        screen.until("the htb qdisc and class rows", lambda: len(htb_rows()) == 2)
        assert re.search(r" qdiscs \(\d+\)", screen.screen())
        screen.keys("q")
        assert screen.wait_exit() == "0"
    finally:
        screen.kill()
