"""The cache's bridge forwarding entries, qdiscs and traffic classes, against the kernel.

Each step is made with iproute2's own tools (bridge, tc, ip) and the cache is compared with
a fresh dump afterwards (support.cachecheck), its events replayed on the state it started
from: what the kernel does silently (a deleted htb takes its classes and the qdiscs below
them, a default qdisc appears, a deleted link takes its tc objects and entries) must reach
the cache and its listeners too. Then the toolbar and completion, which read the cache.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from support.cachecheck import Recorder, assert_matches_kernel
from support.iporacle import sh
from support.testns import no_dad, requires_root

from nlshell.commands.provider import LiveProvider, fdb_rows, tc_handle, tc_rows
from nlshell.commands.suggest import StaticProvider, suggest
from nlshell.engine import cache_keys as K
from nlshell.engine.cache import Cache

NEW_KINDS = ("fdb", "qdisc", "class")
# compared with the kernel after each step: every kind (a bridge losing its last port marks
# its IPv6 routes linkdown when its operational state follows the carrier: that too)
CHECKED = K.KINDS
MAC = "02:00:00:00:00:01"


def run(ns: str, *words: str) -> str:
    """An iproute2 tool (tc, bridge) inside ``ns``; its output."""
    return subprocess.run([words[0], "-n", ns, *words[1:]], check=True, capture_output=True,
                          text=True).stdout


def settle(cache: Cache) -> None:
    assert cache.wait_quiet(quiet=0.5, timeout=60)


def replay_matches(rec: Recorder, cache: Cache) -> None:
    """The events told, replayed on the start state, give the cache's state now."""
    state, misfits = rec.replay()
    assert not misfits, misfits[:5]
    from support.cachecheck import comparable

    now = {kind: {k: comparable(kind, m) for k, m in table.items()}
           for kind, table in cache.snapshot().items()}
    for kind in NEW_KINDS:
        assert state[kind] == now[kind], kind


@pytest.fixture
def bridged(ns: str) -> Iterator[str]:
    """``ns`` with bridge br0 (up) and veth va (a port of br0, up) / vb (up)."""
    no_dad(ns)  # (tentative IPv6 addresses are in dumps before their event)
    sh(ns, "link add br0 type bridge")
    sh(ns, "link add va type veth peer name vb")
    sh(ns, "link set va master br0")
    for dev in ("br0", "va", "vb"):
        sh(ns, f"link set {dev} up")
    yield ns


pytestmark = requires_root


# -- keys and what is kept (no kernel) ----------------------------------------------------------


def test_kinds_and_dumps_are_declared() -> None:
    for kind in NEW_KINDS:
        assert kind in K.KINDS and kind in K.DUMPS and kind in K.KEY_FUNCS
    assert K.FAMILY_KINDS[("neighbour", 7)] == "fdb"


def test_tc_handle_text_is_tcs() -> None:
    assert [tc_handle(h) for h in (0x10000, 0x10010, 0xFFFF0000, 0x1000A)] == [
        "1:", "1:10", "ffff:", "1:a"]


# -- the kernel ---------------------------------------------------------------------------------


def test_start_matches_the_kernel(bridged: str) -> None:
    ns = bridged
    run(ns, "bridge", "fdb", "add", MAC, "dev", "va", "master", "static")
    run(ns, "tc", "qdisc", "add", "dev", "vb", "root", "handle", "1:", "htb", "default", "10")
    run(ns, "tc", "class", "add", "dev", "vb", "parent", "1:", "classid", "1:10", "htb",
        "rate", "10mbit")
    run(ns, "tc", "qdisc", "add", "dev", "va", "clsact")
    with Cache(netns=ns) as cache:
        assert_matches_kernel(cache, ns, CHECKED)
        assert [m.get("lladdr") for m in cache.fdb() if m.get("state") == 0x40] == [MAC]
        assert {m.get("kind") for m in cache.qdiscs()} >= {"htb", "clsact", "noqueue"}
        assert [tc_handle(m["handle"]) for m in cache.classes()] == ["1:10"]
        assert cache.counts()["classes"] == 1 and cache.counts()["fdb"] >= 1
        # the device address lists (veth multicast MACs, "self permanent") are not kept
        assert all(m.get("master") or m.get("dst") for m in cache.fdb())


def test_fdb_events_and_a_ports_departure(bridged: str) -> None:
    ns = bridged
    with Cache(netns=ns) as cache:
        rec = Recorder(cache)
        run(ns, "bridge", "fdb", "add", MAC, "dev", "va", "master", "static")
        assert cache.wait_for(lambda: any(m.get("lladdr") == MAC for m in cache.fdb()), 60)
        run(ns, "bridge", "fdb", "replace", MAC, "dev", "va", "master", "dynamic")
        run(ns, "bridge", "fdb", "del", MAC, "dev", "va", "master")
        assert cache.wait_for(lambda: all(m.get("lladdr") != MAC for m in cache.fdb()), 60)
        run(ns, "bridge", "fdb", "add", MAC, "dev", "va", "master", "static")
        sh(ns, "link del va")  # the port goes: its entries with it
        settle(cache)
        assert not [m for m in cache.fdb() if m.get("lladdr") == MAC]
        assert_matches_kernel(cache, ns, CHECKED)
        replay_matches(rec, cache)


def test_qdisc_and_class_cascades(bridged: str) -> None:
    ns = bridged
    with Cache(netns=ns) as cache:
        rec = Recorder(cache)
        run(ns, "tc", "qdisc", "add", "dev", "vb", "root", "handle", "1:", "htb", "default", "10")
        run(ns, "tc", "class", "add", "dev", "vb", "parent", "1:", "classid", "1:10", "htb",
            "rate", "10mbit", "ceil", "20mbit")
        run(ns, "tc", "qdisc", "add", "dev", "vb", "parent", "1:10", "handle", "10:",
            "pfifo_fast")
        run(ns, "tc", "class", "change", "dev", "vb", "parent", "1:", "classid", "1:10", "htb",
            "rate", "5mbit", "ceil", "20mbit")
        settle(cache)
        assert_matches_kernel(cache, ns, CHECKED)
        kinds = sorted(m.get("kind") for m in cache.qdiscs(index=cache.index("vb")))
        assert kinds == ["htb", "pfifo_fast"]
        # the class's leaf (tcm_info) changed without a class event: re-read
        assert [m["info"] for m in cache.classes(index=cache.index("vb"))] == [0x100000]
        # deleting the root: its class and the qdisc below go silently, noqueue comes back
        run(ns, "tc", "qdisc", "del", "dev", "vb", "root")
        settle(cache)
        assert [m.get("kind") for m in cache.qdiscs(index=cache.index("vb"))] == ["noqueue"]
        assert cache.classes() == []
        # a class going takes its leaf qdisc
        run(ns, "tc", "qdisc", "add", "dev", "vb", "root", "handle", "2:", "htb")
        run(ns, "tc", "class", "add", "dev", "vb", "parent", "2:", "classid", "2:1", "htb",
            "rate", "1mbit")
        run(ns, "tc", "qdisc", "add", "dev", "vb", "parent", "2:1", "handle", "21:", "pfifo")
        settle(cache)
        run(ns, "tc", "qdisc", "del", "dev", "vb", "parent", "2:1", "handle", "21:")
        run(ns, "tc", "class", "del", "dev", "vb", "classid", "2:1")
        settle(cache)
        assert_matches_kernel(cache, ns, CHECKED)
        # ingress/clsact, then the link itself: its tc objects go without an event
        run(ns, "tc", "qdisc", "add", "dev", "vb", "ingress")
        sh(ns, "link del vb")  # (takes va, its peer, too)
        settle(cache)
        assert not [m for m in cache.qdiscs() if m["index"] not in
                    {m2["index"] for m2 in cache.links()}]
        assert_matches_kernel(cache, ns, CHECKED)
        replay_matches(rec, cache)
        assert cache.redumps >= 1


def test_a_link_coming_up_gets_its_default_qdisc(ns: str) -> None:
    no_dad(ns)
    sh(ns, "link add va type veth peer name vb")
    with Cache(netns=ns) as cache:
        assert cache.qdiscs(index=cache.index("va")) == []  # down: no qdisc in the dump
        rec = Recorder(cache)
        sh(ns, "link set va up")
        assert cache.wait_for(lambda: cache.qdiscs(index=cache.index("va")) != [], 60)
        settle(cache)
        assert_matches_kernel(cache, ns, CHECKED)
        replay_matches(rec, cache)


def test_resync_reports_nothing_when_nothing_moved(bridged: str) -> None:
    ns = bridged
    run(ns, "tc", "qdisc", "add", "dev", "vb", "root", "handle", "1:", "htb")
    run(ns, "tc", "class", "add", "dev", "vb", "parent", "1:", "classid", "1:1", "htb",
        "rate", "1mbit")
    run(ns, "bridge", "fdb", "add", MAC, "dev", "va", "master", "static")
    with Cache(netns=ns) as cache:
        settle(cache)
        rec = Recorder(cache)
        assert cache.resync()
        # a refcount, counters and timers tick on their own: no event for them
        assert [(k, a) for k, a, _o, _n in rec.events if k in NEW_KINDS] == []


# -- readers: toolbar and completion ---------------------------------------------------------------


def test_toolbar_counts_fdb_qdiscs_classes() -> None:
    from nlshell.shell import toolbar

    def text(counts: dict[str, int]) -> str:
        return "".join(t for _, t in toolbar.render(toolbar.ToolbarInfo("x", counts), now=0))

    line = text({"links": 2, "fdb": 3, "qdiscs": 4, "classes": 1})
    assert "fdb 3" in line and "qdiscs 4" in line and "classes 1" in line
    assert "fdb" not in text({"links": 2, "fdb": 0, "qdiscs": 0})


def test_completion_offers_macs_handles_and_classids_from_a_static_provider() -> None:
    prov = StaticProvider(
        links=[("v0", 2, "UP"), ("v1", 3, "UP")],
        fdb={"v0": [(MAC, "dev v0")], "v1": [("02:00:00:00:00:02", "dev v1")]},
        tc={("qdiscs", "v0"): [("1:", "qdisc htb")], ("classes", "v0"): [("1:10", "class htb")],
            ("tc_parents", "v0"): [("1:", "qdisc htb"), ("1:10", "class htb")]})

    def values(line: str) -> list[str]:
        return [s.text for s in suggest(line, prov) if s.kind == "value"]

    assert values("bridge fdb del ") == [MAC, "02:00:00:00:00:02"]
    assert values("bridge fdb del 02:00:00:00:00:0") == [MAC, "02:00:00:00:00:02"]
    assert values("tc qdisc del dev v0 handle ") == ["1:"]
    assert values("tc class del dev v0 classid ") == ["1:10"]
    assert values("tc class add dev v0 parent ") == ["1:", "1:10"]
    assert values("tc class add dev v1 parent ") == []  # nothing on v1


def test_completion_reads_the_cache_and_the_kernel(bridged: str) -> None:
    from nlshell.shell.live import LiveIndex, ShellProvider

    ns = bridged
    run(ns, "bridge", "fdb", "add", MAC, "dev", "va", "master", "static")
    run(ns, "tc", "qdisc", "add", "dev", "vb", "root", "handle", "1:", "htb")
    run(ns, "tc", "class", "add", "dev", "vb", "parent", "1:", "classid", "1:a", "htb",
        "rate", "1mbit")
    live = LiveProvider(ns)  # what `nlshell --complete` uses: dumps
    with Cache(netns=ns) as cache:
        index = LiveIndex(cache)
        shell = ShellProvider(lambda: index)
        for prov in (live, shell):
            def values(line: str, prov: object = prov) -> list[str]:
                return [s.text for s in suggest(line, prov) if s.kind == "value"]  # type: ignore[arg-type]

            assert MAC in values("bridge fdb del 02:")
            assert values("tc qdisc del dev vb handle ") == ["1:"]
            assert values("tc class change dev vb classid ") == ["1:a"]
            assert values("tc class add dev vb parent 1") == ["1:", "1:a"]
            assert values("tc qdisc del dev va handle ") == []
    live.close()


def test_rows_helpers_filter_by_device() -> None:
    class Fake(dict):
        def get(self, k: str, d: object = None) -> object:  # Message.get's shape
            return super().get(k, d)

    q = [Fake(index=2, handle=0x10000, kind="htb"), Fake(index=3, handle=0, kind="noqueue")]
    c = [Fake(index=2, handle=0x10010, kind="htb")]
    names = {2: "v0", 3: "v1"}.get
    assert tc_rows(q, c, "tc_parents", None, names) == [("1:", "qdisc htb dev v0"),
                                                        ("1:10", "class htb dev v0")]
    assert tc_rows(q, c, "qdiscs", 3, names) == []
    f = [Fake(ifindex=2, lladdr=MAC, vlan=10), Fake(ifindex=3, lladdr=MAC)]
    assert fdb_rows(f, None, names) == [(MAC, "dev v0 vlan 10")]
    assert fdb_rows(f, 3, names) == [(MAC, "dev v1")]


def test_vxlan_remotes_are_kept(ns: str) -> None:
    no_dad(ns)
    sh(ns, "link add vx0 type vxlan id 42 dstport 4789 local 192.0.2.1")
    with Cache(netns=ns) as cache:
        rec = Recorder(cache)
        run(ns, "bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", "192.0.2.2")
        run(ns, "bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", "192.0.2.3")
        run(ns, "bridge", "fdb", "add", MAC, "dev", "vx0", "dst", "192.0.2.4", "vni", "43")
        assert cache.wait_for(lambda: len(cache.fdb(ifindex=cache.index("vx0"))) == 3, 60)
        # one MAC with two remotes: two entries (each remote is its own)
        assert sorted(m.get("dst") for m in cache.fdb(lladdr="00:00:00:00:00:00")) == [
            "192.0.2.2", "192.0.2.3"]
        run(ns, "bridge", "fdb", "del", "00:00:00:00:00:00", "dev", "vx0", "dst", "192.0.2.2")
        settle(cache)
        assert_matches_kernel(cache, ns, CHECKED)
        sh(ns, "link del vx0")
        settle(cache)
        assert cache.fdb() == []
        replay_matches(rec, cache)


def test_a_flood_with_a_small_buffer_ends_equal_to_the_kernel(bridged: str) -> None:
    """Hundreds of fdb entries and htb classes at once into a tiny receive buffer: events
    are lost (most likely), the cache re-dumps and reconciles, and its listeners end up
    told exactly the difference."""
    ns = bridged
    run(ns, "tc", "qdisc", "add", "dev", "vb", "root", "handle", "1:", "htb")
    with Cache(netns=ns, rcvbuf=4096) as cache:
        rec = Recorder(cache)
        fdb = "".join(f"fdb add 02:00:00:00:{i >> 8:02x}:{i & 255:02x} dev va master static\n"
                      for i in range(400))
        subprocess.run(["bridge", "-n", ns, "-batch", "-"], input=fdb, text=True, check=True)
        classes = "".join(f"class add dev vb parent 1: classid 1:{i:x} htb rate 1mbit\n"
                          for i in range(1, 200))
        subprocess.run(["tc", "-n", ns, "-batch", "-"], input=classes, text=True, check=True)
        assert cache.wait_for(lambda: cache.counts()["classes"] == 199
                              and cache.counts()["fdb"] >= 400, 120)
        settle(cache)
        assert_matches_kernel(cache, ns, CHECKED)
        replay_matches(rec, cache)
        print(f"resyncs {cache.resyncs} ({dict(cache.resync_reasons)})")  # (-s shows it)
