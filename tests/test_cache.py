"""nlshell.engine.cache against the real kernel: readers, lookups, cascades, renames,
links going down, resyncs and clean shutdown. The oracle is always a fresh dump.

The storm test (a small receive buffer under a flood of changes) is in test_cache_storm.py;
it uses the comparison helpers defined here.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from support.cachecheck import Recorder, assert_matches_kernel
from support.iporacle import sh
from support.resources import fd_count
from support.testns import no_dad, requires_root
from support.wait import DEADLINE

from nlshell.engine import cache_keys as K
from nlshell.engine.cache import Cache
from nlshell.engine.codec import constants as C
from nlshell.engine.codec.constants import AF_INET, AF_INET6
from nlshell.engine.errors import DumpInterrupted
from nlshell.engine.iproute import IPRoute

pytestmark = requires_root

@pytest.fixture
def veths(ns: str) -> Iterator[str]:
    """`ns` with veth pair va/vb up, 192.0.2.1/24 and 2001:db8::1/64 on va."""
    no_dad(ns)
    sh(ns, "link add va type veth peer name vb")
    sh(ns, "link set va up")
    sh(ns, "link set vb up")
    sh(ns, "addr add 192.0.2.1/24 dev va")
    sh(ns, "addr add 2001:db8::1/64 dev va nodad")
    yield ns


# -- start, readers, lookups ------------------------------------------------------------------


def test_ready_when_the_block_starts(veths: str) -> None:
    ns = veths
    sh(ns, "route add 198.51.100.0/24 via 192.0.2.2")
    with Cache(netns=ns) as cache:
        assert cache.index("va") is not None and cache.index("vb") is not None
        assert [r.get("dst") for r in cache.routes(dst="198.51.100.0/24")] == ["198.51.100.0"]
        assert cache.counts()["links"] == 3
        assert set(cache.counts()) == {"links", "addresses", "routes", "neighbours", "rules",
                                       "nexthops", "fdb", "qdiscs", "classes"}
        assert cache.resyncs == 0
        assert_matches_kernel(cache, ns, K.KINDS)


def test_readers_return_messages_and_filter(veths: str) -> None:
    ns = veths
    sh(ns, "route add 198.51.100.0/24 via 192.0.2.2")
    sh(ns, "route add 203.0.113.0/24 via 192.0.2.2 table 1000")
    sh(ns, "-6 route add 2001:db8:1::/64 via 2001:db8::2")
    sh(ns, "rule add from 10.0.0.0/8 table 1000 prio 100")
    sh(ns, "neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev va")
    with Cache(netns=ns) as cache:
        va = cache.index("va")
        main = cache.routes(table=254)
        assert main and all(r.get("table") == 254 for r in main)
        assert [r.get("dst") for r in cache.routes(table=1000)] == ["203.0.113.0"]
        assert all(r["family"] == AF_INET6 for r in cache.routes(family=AF_INET6))
        assert {r.get("dst") for r in cache.routes(family=AF_INET6, table=254)} >= {"2001:db8:1::"}
        assert {a.get("address") for a in cache.addresses(index=va)} >= {"192.0.2.1", "2001:db8::1"}
        assert all(a["index"] == va for a in cache.addresses(index=va))
        assert {r.get("dst") for r in cache.routes(oif=va, table=254)} >= {
            "192.0.2.0", "198.51.100.0"}
        assert cache.routes(gateway="192.0.2.2", table=254)[0].get("dst") == "198.51.100.0"
        assert cache.routes(dst_len=lambda n: n == 24, table=1000)
        assert [n.get("lladdr") for n in cache.neighbours(dst="192.0.2.9")] == [
            "02:00:00:00:00:09"]
        assert [r.get("priority") for r in cache.rules(priority=100)] == [100]
        links = cache.links()
        assert sorted(m.get("ifname") for m in links) == ["lo", "va", "vb"]
        assert [m["index"] for m in links] == sorted(m["index"] for m in links)
        assert cache.links(ifname="vb")[0]["index"] == cache.index("vb")
        with pytest.raises(ValueError, match="bogus"):
            cache.routes(bogus=1)
        with pytest.raises(ValueError, match="prefix length"):
            cache.routes(dst="10.0.0.0/x")


def test_name_and_index_lookups_with_altnames(veths: str) -> None:
    ns = veths
    sh(ns, "link property add dev va altname uplink-number-one")
    with Cache(netns=ns) as cache:
        va = cache.index("va")
        assert cache.index("uplink-number-one") == va
        assert cache.altnames("va") == ["uplink-number-one"]
        assert cache.name(va) == "va"
        assert cache.link(va) is cache.link("va") is cache.link("uplink-number-one")
        assert cache.link(str(va)) is cache.link(va)  # no link is named "<digits>" here
        assert cache.index("nope") is None and cache.link(99999) is None
        assert cache.name(99999) is None
        assert "uplink-number-one" in cache.ifnames(alternative=True)
        assert cache.ifnames() == ["lo", "va", "vb"]
        with pytest.raises(TypeError, match="neither"):
            cache.index(["va"])
        sh(ns, "link property add dev vb altname second-alt")
        assert cache.wait_for(lambda: cache.index("second-alt") == cache.index("vb"), DEADLINE)
        sh(ns, "link property del dev va altname uplink-number-one")
        assert cache.wait_for(lambda: cache.index("uplink-number-one") is None, DEADLINE)


# -- live changes ------------------------------------------------------------------------------


def test_rename_moves_name_lookups(veths: str) -> None:
    ns = veths
    sh(ns, "link property add dev vb altname peer-alt")
    with Cache(netns=ns) as cache:
        rec = Recorder(cache)
        vb = cache.index("vb")
        sh(ns, "link set vb name renamed0")
        assert cache.wait_for(lambda: cache.index("renamed0") == vb, DEADLINE)
        assert cache.index("vb") is None
        assert cache.name(vb) == "renamed0"
        assert cache.link("renamed0").get("ifname") == "renamed0"
        assert cache.index("peer-alt") == vb  # alternative names stay with the link
        assert "renamed0" in cache.ifnames() and "vb" not in cache.ifnames()
        assert any(k == "link" and a == "changed" and n.get("ifname") == "renamed0"
                   for k, a, o, n in rec.events)
        # swap two names through a third: every lookup ends where the kernel says
        va = cache.index("va")
        sh(ns, "link set va down")
        sh(ns, "link set va name tmp0")
        sh(ns, "link set renamed0 down")
        sh(ns, "link set renamed0 name va")
        sh(ns, "link set tmp0 name renamed0")
        assert cache.wait_for(lambda: cache.index("va") == vb and cache.index("renamed0") == va,
                              DEADLINE)
        assert cache.wait_quiet(0.3, DEADLINE)
        assert cache.index("tmp0") is None
        assert_matches_kernel(cache, ns)
        rec.assert_replays_to(cache)


def test_link_delete_cascades(veths: str) -> None:
    ns = veths
    sh(ns, "link add vc type veth peer name vd")
    sh(ns, "link set vc up")
    sh(ns, "link set vd up")
    sh(ns, "addr add 198.18.0.1/24 dev vc")
    sh(ns, "route add 198.51.100.0/24 via 192.0.2.2")
    sh(ns, "route add 203.0.113.0/24 dev va table 1000")
    sh(ns, "route add 203.0.113.128/25 nexthop dev va nexthop dev vc")  # multipath
    sh(ns, "-6 route add 2001:db8:1::/64 via 2001:db8::2")
    sh(ns, "neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev va")
    with Cache(netns=ns) as cache:
        va = cache.index("va")
        assert cache.addresses(index=va) and cache.routes(oif=va) and cache.neighbours(ifindex=va)
        rec = Recorder(cache)
        sh(ns, "link del va")  # takes vb with it
        assert cache.wait_for(lambda: cache.link(va) is None, DEADLINE)
        assert cache.wait_quiet(0.3, DEADLINE)
        assert cache.addresses(index=va) == []
        assert cache.routes(oif=va) == []
        assert cache.neighbours(ifindex=va) == []
        assert cache.routes(dst="203.0.113.128/25") == []  # IPv4 multipath dies with a hop
        assert cache.addresses(index=cache.index("vc"))  # the other link keeps its own
        deleted = {(k, K.key_of(k, o)) for k, a, o, n in rec.events if a == "deleted"}
        assert ("link", va) in deleted
        for kind, key in [("address", k) for k in rec.start["address"] if k[0] == va] + [
                ("neighbour", k) for k in rec.start["neighbour"] if k[0] == va]:
            assert (kind, key) in deleted
        via_gateway = next(k for k, v in rec.start["route"].items()
                           if v["attrs"].get("RTA_DST") == "198.51.100.0")
        assert ("route", via_gateway) in deleted  # IPv4: no RTM_DELROUTE from the kernel
        assert_matches_kernel(cache, ns, K.KINDS)
        rec.assert_replays_to(cache)


def test_link_down_drops_the_routes_the_kernel_flushes(veths: str) -> None:
    ns = veths
    sh(ns, "route add 198.51.100.0/24 via 192.0.2.2")
    sh(ns, "route add 203.0.113.0/24 dev va table 1000")
    with Cache(netns=ns) as cache:
        va = cache.index("va")
        rec = Recorder(cache)
        sh(ns, "link set va down")  # IPv4 routes via va vanish without RTM_DELROUTE
        assert cache.wait_for(lambda: not cache.routes(oif=va, table=254, family=AF_INET),
                              DEADLINE)
        assert not cache.routes(table=1000)
        assert cache.wait_quiet(0.3, DEADLINE)
        assert cache.redumps >= 1
        assert_matches_kernel(cache, ns)
        sh(ns, "link set va up")
        sh(ns, "link set vb down")  # va loses carrier: its routes get 'linkdown' quietly
        assert cache.wait_for(lambda: cache.link("vb")["flags"] & C.IFF_UP == 0, DEADLINE)
        assert cache.wait_quiet(0.3, DEADLINE)
        assert_matches_kernel(cache, ns)
        rec.assert_replays_to(cache)


def test_address_and_route_events_flow(veths: str) -> None:
    ns = veths
    with Cache(netns=ns) as cache:
        rec = Recorder(cache)
        va = cache.index("va")
        before = cache.version
        sh(ns, "addr add 198.18.5.1/24 dev va")
        assert cache.wait_for(lambda: cache.addresses(address="198.18.5.1"), DEADLINE)
        sh(ns, "route add 198.51.100.0/24 via 192.0.2.2 metric 7")
        sh(ns, "route replace 198.51.100.0/24 via 192.0.2.3 metric 7")
        assert cache.wait_for(lambda: [r.get("gateway") for r in cache.routes(
            dst="198.51.100.0/24")] == ["192.0.2.3"], DEADLINE)
        assert cache.routes(priority=7, table=254)
        sh(ns, "route del 198.51.100.0/24 metric 7")
        assert cache.wait_for(lambda: not cache.routes(dst="198.51.100.0/24"), DEADLINE)
        sh(ns, "addr del 198.18.5.1/24 dev va")
        assert cache.wait_for(lambda: not cache.addresses(address="198.18.5.1"), DEADLINE)
        assert cache.wait_quiet(0.3, DEADLINE)
        assert cache.version > before and cache.changed.is_set()
        assert cache.last_event is not None and cache.last_event.describe()
        actions = {(k, a) for k, a, o, n in rec.events}
        assert {("address", "new"), ("route", "new"), ("route", "changed"),
                ("route", "deleted"), ("address", "deleted")} <= actions
        assert cache.events >= 5
        assert all(a["index"] == va for a in cache.addresses(index=va))
        assert_matches_kernel(cache, ns, K.KINDS)
        rec.assert_replays_to(cache)


def test_unchanged_replay_is_not_a_change(veths: str) -> None:
    ns = veths
    with Cache(netns=ns) as cache:
        rec = Recorder(cache)
        assert cache.resync(timeout=DEADLINE)
        assert cache.resyncs == 1 and cache.resync_reasons["requested"] == 1
        # a re-dump of an unchanged namespace tells listeners nothing (multicast
        # neighbours the kernel makes without an event are the one exception)
        assert [e for e in rec.events if e[0] != "neighbour"] == []


# -- resync ------------------------------------------------------------------------------------


def test_overrun_resyncs_and_reconciles(ns: str) -> None:
    no_dad(ns)
    sh(ns, "link add va type veth peer name vb")
    sh(ns, "link set va up")
    sh(ns, "link set vb up")
    with Cache(netns=ns, rcvbuf=4096) as cache:
        rec = Recorder(cache)
        va = cache.index("va")
        # a reader holding the lock stalls the event thread: the kernel must drop events
        with cache.lock, IPRoute(netns=ns) as ipr:
            with ipr.bulk() as bulk:
                for i in range(3000):
                    bulk.route("add", dst=f"10.1.{i >> 8}.{i & 255}/32", oif=va)
            with ipr.bulk() as bulk:
                for i in range(100):
                    bulk.route("del", dst=f"10.1.0.{i}/32", oif=va)
            assert not bulk.errors
        assert cache.wait_for(lambda: cache.resyncs >= 1, DEADLINE)
        assert cache.wait_quiet(0.5, DEADLINE)
        assert cache.resync_reasons["overrun"] >= 1
        assert len(cache.routes(oif=va, dst_len=32)) == 2900
        assert_matches_kernel(cache, ns)
        rec.assert_replays_to(cache)


def test_interrupted_dump_is_retried(veths: str) -> None:
    ns = veths
    with Cache(netns=ns) as cache:
        real = cache._dq.dump
        calls = {"n": 0}

        def flaky(*args: Any, **kw: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 2:  # the kernel's DUMP_INTR, past the socket's own retries
                raise DumpInterrupted()
            return real(*args, **kw)

        cache._dq.dump = flaky  # inject the failure; the dumps themselves are real
        sh(ns, "addr add 198.18.7.1/24 dev va")
        assert cache.resync(timeout=DEADLINE)
        assert cache.resync_reasons["interrupted"] == 1
        assert cache.addresses(address="198.18.7.1")
        assert_matches_kernel(cache, ns, K.KINDS)


def test_start_during_a_burst(ns: str) -> None:
    no_dad(ns)
    sh(ns, "link add va type veth peer name vb")
    sh(ns, "link set va up")
    sh(ns, "link set vb up")
    lines = [f"route add 10.2.{i >> 8}.{i & 255}/32 dev va" for i in range(4000)]
    proc = subprocess.Popen(["ip", "-n", ns, "-batch", "-"], stdin=subprocess.PIPE, text=True)
    try:
        proc.stdin.write("\n".join(lines) + "\n")  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
        with Cache(netns=ns) as cache:  # subscribe, dump, apply what came in between
            assert proc.wait(30) == 0
            assert cache.wait_quiet(0.5, DEADLINE)
            assert_matches_kernel(cache, ns)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- shutdown and listeners --------------------------------------------------------------------


def test_close_leaves_no_thread_or_fd(veths: str) -> None:
    ns = veths
    fds, threads = fd_count(), threading.active_count()
    caches = [Cache(netns=ns) for _ in range(3)]
    assert threading.active_count() == threads + 3
    for cache in caches:
        cache.close()
        cache.close()  # twice is fine
    assert fd_count() == fds
    assert threading.active_count() == threads
    assert caches[0].closed
    with Cache(netns=ns):
        pass
    assert fd_count() == fds and threading.active_count() == threads


def test_close_from_a_listener_and_failing_listeners(veths: str) -> None:
    ns = veths
    fds, threads = fd_count(), threading.active_count()
    cache = Cache(netns=ns)
    seen: list[str] = []

    def broken(kind: str, action: str, old: Any, new: Any) -> None:
        raise RuntimeError("listener bug")

    def closer(kind: str, action: str, old: Any, new: Any) -> None:
        seen.append(kind)
        cache.close()

    cache.subscribe(broken)
    cache.subscribe(closer)
    assert cache.unsubscribe(lambda *a: None) is False
    with pytest.raises(TypeError):
        cache.subscribe("not callable")  # type: ignore[arg-type]
    sh(ns, "addr add 198.18.9.1/24 dev va")
    thread = cache._thread
    assert thread is not None
    thread.join(DEADLINE)
    assert not thread.is_alive() and seen
    assert fd_count() == fds and threading.active_count() == threads


def test_unsubscribe_stops_events(veths: str) -> None:
    ns = veths
    with Cache(netns=ns) as cache:
        got: list[str] = []

        def listener(kind: str, action: str, old: Any, new: Any) -> None:
            got.append(action)

        cache.subscribe(listener)
        sh(ns, "addr add 198.18.10.1/24 dev va")
        assert cache.wait_for(lambda: bool(got), DEADLINE)
        assert cache.unsubscribe(listener)
        count = len(got)
        sh(ns, "addr add 198.18.11.1/24 dev va")
        assert cache.wait_for(lambda: cache.addresses(address="198.18.11.1"), DEADLINE)
        assert cache.wait_quiet(0.2, DEADLINE)
        assert len(got) == count


def test_bad_arguments_are_clear_errors(ns: str) -> None:
    fds, threads = fd_count(), threading.active_count()
    with pytest.raises(ValueError, match="rcvbuf"):
        Cache(netns=ns, rcvbuf=-1)
    with pytest.raises(Exception, match="nlt-no-such-namespace"):
        Cache(netns="nlt-no-such-namespace")
    assert fd_count() == fds and threading.active_count() == threads
    with Cache(netns=ns) as cache:
        with pytest.raises(ValueError, match="kind"):
            cache.get("routez", 1)
        assert cache.get("link", cache.index("lo")) is cache.link("lo")
        stats = cache.stats()
        assert stats["counts"]["links"] == 1 and stats["resyncs"] == 0


def test_bridge_port_state_is_reread(veths: str) -> None:
    ns = veths
    with Cache(netns=ns) as cache:
        sh(ns, "link add br0 type bridge")
        sh(ns, "link set vb master br0")
        sh(ns, "link set br0 up")
        # the port's state moves on (announced as an AF_BRIDGE message only)
        assert cache.wait_for(lambda: cache.link("vb").get(
            ("linkinfo", "slave_data", "IFLA_BRPORT_STATE")) == 3, DEADLINE)
        assert cache.wait_quiet(0.3, DEADLINE)
        assert_matches_kernel(cache, ns, ("link",))


def test_ipv6_multipath_merges_and_splits(veths: str) -> None:
    ns = veths
    sh(ns, "link add vc type veth peer name vd")
    sh(ns, "link set vc up")
    sh(ns, "link set vd up")
    sh(ns, "addr add 2001:db8:c::1/64 dev vc nodad")
    with Cache(netns=ns) as cache:
        rec = Recorder(cache)
        steps = [
            "-6 route add 2001:db8:5::/64 via 2001:db8::2 dev va",
            "-6 route append 2001:db8:5::/64 via 2001:db8::3 dev va",  # now multipath
            "-6 route append 2001:db8:5::/64 via 2001:db8:c::2 dev vc",
            "-6 route del 2001:db8:5::/64 via 2001:db8::2 dev va",  # one hop goes
            "-6 route add 2001:db8:6::/64 dev va",  # device routes: one per device
            "-6 route append 2001:db8:6::/64 dev vc",
            "link del vc",  # the multipath route loses a hop, a device route goes
        ]
        for step in steps:
            sh(ns, step)
            assert cache.wait_quiet(0.2, DEADLINE)
            assert_matches_kernel(cache, ns, ("route",))
        rec.assert_replays_to(cache)


def test_routes_preferring_a_deleted_address_go(veths: str) -> None:
    ns = veths
    sh(ns, "addr add 198.18.1.1/24 dev va")
    sh(ns, "route add 203.0.113.0/24 via 192.0.2.2 src 198.18.1.1")
    with Cache(netns=ns) as cache:
        assert cache.routes(dst="203.0.113.0/24")
        sh(ns, "addr del 198.18.1.1/24 dev va")  # the route goes without RTM_DELROUTE
        assert cache.wait_for(lambda: not cache.routes(dst="203.0.113.0/24"), DEADLINE)
        assert cache.wait_quiet(0.2, DEADLINE)
        assert_matches_kernel(cache, ns)
