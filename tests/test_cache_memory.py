"""The cache's compact route store (issue 13): routes kept as packed keys and message bytes,
messages made on access. Same answers as a store of message objects: the keys, the bytes
of each message (netlink header included), the reported changes and the indexes (routes
through a link, by preferred source, by nexthop object) -- for IPv4 and IPv6, gateways,
multipath, events, deletes, moves and cascades. Most of this needs no kernel (messages are
encoded here); one test compares a live cache with a fresh dump.

Memory is a bench figure (bench/bench_cache.py, BENCH_CACHE_BIG=1); the one bound here is a
generous one on 20,000 routes, through tracemalloc, which does not flake.
"""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

import pytest
from support.cachecheck import assert_matches_kernel
from support.iporacle import sh
from support.testns import no_dad, requires_root
from support.wait import DEADLINE

from nlshell.engine import cache_keys as K
from nlshell.engine.cache import Cache
from nlshell.engine.cache_route import RouteTable, key_family, pack_key, unpack_key
from nlshell.engine.cache_store import Store
from nlshell.engine.codec import constants as C
from nlshell.engine.codec.message import encode, parse

V4, V6 = C.AF_INET, C.AF_INET6


def route(dst: str, plen: int, *, table: int = 254, oif: int | None = 2, gw: str | None = None,
          metric: int | None = None, tos: int = 0, rtype: int = 1, proto: int = 3,
          prefsrc: str | None = None, nh_id: int | None = None,
          hops: list[tuple[int, str]] | None = None, delete: bool = False,
          seq: int = 0, pid: int = 0, flags: int = 0) -> Any:
    """One route message, as the kernel would send it."""
    family = V6 if ":" in dst else V4
    attrs: list[tuple[str, Any]] = [("RTA_TABLE", table)]
    if plen:
        attrs.append(("RTA_DST", dst))
    if metric is not None:
        attrs.append(("RTA_PRIORITY", metric))
    if prefsrc:
        attrs.append(("RTA_PREFSRC", prefsrc))
    if nh_id is not None:
        attrs.append(("RTA_NH_ID", nh_id))
    elif hops:
        attrs.append(("RTA_MULTIPATH", [{"oif": o, "attrs": [("RTA_GATEWAY", g)]}
                                        for o, g in hops]))
    else:
        if gw:
            attrs.append(("RTA_GATEWAY", gw))
        if oif is not None:
            attrs.append(("RTA_OIF", oif))
    mtype = C.RTM_DELROUTE if delete else C.RTM_NEWROUTE
    return parse(encode(mtype, flags, seq, fields={
        "family": family, "dst_len": plen, "tos": tos, "table": min(table, 252),
        "proto": proto, "type": rtype}, attrs=attrs, pid=pid))[0]


def variety() -> list[Any]:
    """Routes of many shapes: tables, metrics, tos, types, gateways, multipath, v6."""
    return [
        route("10.0.0.0", 8),
        route("0.0.0.0", 0, gw="192.0.2.254"),
        route("0.0.0.0", 0, table=100, metric=10, gw="192.0.2.253", oif=3),
        route("10.1.2.3", 32, tos=16, seq=7, pid=4242, flags=C.NLM_F_MULTI),
        route("198.51.100.0", 24, rtype=C.RTN_BLACKHOLE, oif=None),
        route("203.0.113.0", 24, table=100000, hops=[(2, "192.0.2.1"), (3, "192.0.2.2")]),
        route("192.0.2.7", 32, table=255, rtype=C.RTN_LOCAL, prefsrc="192.0.2.7"),
        route("172.16.0.0", 12, nh_id=7, oif=None),
        route("2001:db8::", 64, metric=256),
        route("2001:db8::", 64, metric=256, oif=3),
        route("2001:db8:1::", 48, metric=1024, gw="fe80::1"),
        route("2001:db8:2::", 48, metric=1024, gw="fe80::1", proto=C.RTPROT_RA),
        route("2001:db8:3::", 48, metric=1024, hops=[(2, "fe80::1"), (3, "fe80::2")]),
        route("::", 0, metric=1024, gw="fe80::9"),
        route("2001:db8:4::", 48, metric=2**32 - 1, table=2**31),
    ]


def stored(store: Store) -> dict[tuple, bytes]:
    """The store's routes as {tuple key: the message's bytes}."""
    return {k: m.raw() for k, m in store.objects["route"].items()}


def expected(msgs: list[Any]) -> dict[tuple, bytes]:
    return {K.route_key(m): m.raw() for m in msgs}


def loaded(msgs: list[Any]) -> Store:
    store = Store()
    store.load("route", msgs)
    return store


def via(store: Store, oif: int) -> set[tuple]:
    return set(store.routes_via(oif))


def keys_via(msgs: list[Any], oif: int) -> set[tuple]:
    return {K.route_key(m) for m in msgs if oif in K.route_info(m)[1]}


# --- packed keys ---------------------------------------------------------------------------


def test_packed_keys_round_trip_and_stay_distinct() -> None:
    keys = [K.route_key(m) for m in variety()]
    odd = [(V4, 254, b"\x0a\x00\x00", 24, 0, 0, 1), (V6, 254, b"", 0, 0, 1024, 1, (2, b"*")),
           (V4, 2**40, b"\x0a\x00\x00\x00", 8, 0, 0, 1), (V6, 5, b"\x20" * 16, 64, 0, 0, 1,
                                                          (2, b"\x01" * 4))]
    packed = [pack_key(k) for k in keys + odd]
    assert [unpack_key(p) for p in packed] == keys + odd
    assert len(set(packed)) == len(packed)
    assert [key_family(p) for p in packed] == [k[0] for k in keys + odd]
    assert len(pack_key(keys[0])) == 15  # a plain IPv4 route: 15 bytes, no tag


# --- the mapping readers see -----------------------------------------------------------------


def test_loaded_routes_read_back_byte_for_byte() -> None:
    msgs = variety()
    store = loaded(msgs)
    table = store.objects["route"]
    assert isinstance(table, RouteTable) and len(table) == len(msgs) == store.counts()["route"]
    assert stored(store) == expected(msgs)
    for m in msgs:
        key = K.route_key(m)
        got = table[key]
        assert key in table and table.get(key).raw() == m.raw()
        assert (got.type, got.flags, got.seq, got.pid) == (m.type, m.flags, m.seq, m.pid)
        assert got.get("dst") == m.get("dst")
    missing = (V4, 254, b"\x01\x02\x03\x04", 32, 0, 0, 1)
    assert missing not in table and table.get(missing) is None and table.get("x") is None
    with pytest.raises(KeyError):
        table[missing]
    assert sorted(map(repr, table.keys())) == sorted(map(repr, expected(msgs)))
    assert sorted(m.raw() for m in table.values()) == sorted(m.raw() for m in msgs)


def test_a_copy_is_frozen_and_equal_to_its_source() -> None:
    msgs = variety()
    store = loaded(msgs)
    snap = store.objects["route"].copy()
    assert snap == store.objects["route"] and dict(snap.items()).keys() == expected(msgs).keys()
    store.apply(route("10.0.0.0", 8, delete=True), [], set())
    store.apply(route("10.9.0.0", 16), [], set())
    assert snap != store.objects["route"]
    assert {k: m.raw() for k, m in snap.items()} == expected(msgs)


@pytest.mark.parametrize("filters", [
    {}, {"table": 100}, {"family": V6}, {"dst": "2001:db8::/64"}, {"dst": "10.0.0.0/8"},
    {"priority": 256, "family": V6}, {"oif": 3}, {"table": lambda t: t > 200},
    {"gateway": "192.0.2.254"}, {"dst_len": 0, "family": V4}, {"type": C.RTN_BLACKHOLE},
    {"dst": "10.1.2.3", "tos": 16}, {"proto": 3, "table": 254}, {"family": None}])
def test_filters_read_keys_first_and_answer_as_over_messages(filters: dict) -> None:
    from nlshell.engine import cache_query as Q

    msgs = variety()
    table = loaded(msgs).objects["route"]
    test = Q.predicate("route", filters)
    want = sorted(m.raw() for m in msgs if test is None or test(K.route_key(m), m))
    assert sorted(m.raw() for m in table.select(*Q.predicates("route", filters))) == want
    assert want  # (each filter finds something)


# --- events ------------------------------------------------------------------------------------


def test_events_report_new_changed_deleted_with_the_stored_messages() -> None:
    store = Store()
    changes: list[Any] = []
    first = route("10.0.0.0", 8, gw="192.0.2.1", seq=1)
    store.apply(first, changes, set())
    assert [(a, o, n) for _k, a, o, n in changes] == [("new", None, first)]
    changes.clear()
    store.apply(route("10.0.0.0", 8, gw="192.0.2.1", seq=2), changes, set())
    assert changes == [] and stored(store) == expected([first])  # same bytes: ours kept
    moved = route("10.0.0.0", 8, gw="192.0.2.9", oif=3)
    store.apply(moved, changes, set())
    [(kind, action, old, new)] = changes
    assert (kind, action, new) == ("route", "changed", moved) and old.raw() == first.raw()
    assert stored(store) == expected([moved])
    assert via(store, 2) == set() and via(store, 3) == {K.route_key(moved)}
    changes.clear()
    store.apply(route("10.0.0.0", 8, delete=True, oif=None), changes, set())
    [(kind, action, old, new)] = changes
    assert (action, new) == ("deleted", None) and old.raw() == moved.raw()
    assert stored(store) == {} and via(store, 3) == set()
    store.apply(route("10.0.0.0", 8, delete=True), changes, set())  # unknown: nothing
    assert len(changes) == 1


def test_links_index_follows_moves_deletes_and_re_adds() -> None:
    msgs = [route(f"10.0.{i >> 8}.{i & 255}", 32, oif=2 + i % 2) for i in range(400)]
    store = loaded(msgs)
    current = {K.route_key(m): m for m in msgs}
    for i in range(0, 400, 3):  # delete a third
        store.apply(route(f"10.0.{i >> 8}.{i & 255}", 32, delete=True), None, set())
        del current[K.route_key(msgs[i])]
    for i in range(1, 400, 6):  # move some from 3 to 2 and from 2 to 3
        m = route(f"10.0.{i >> 8}.{i & 255}", 32, oif=2 if i % 2 else 3, metric=None)
        if K.route_key(m) in current:
            store.apply(m, None, set())
            current[K.route_key(m)] = m
    for i in range(0, 120, 3):  # re-add some deleted ones, through the other link
        m = route(f"10.0.{i >> 8}.{i & 255}", 32, oif=3 if i % 2 == 0 else 2)
        store.apply(m, None, set())
        current[K.route_key(m)] = m
    now = list(current.values())
    assert stored(store) == expected(now)
    for oif in (2, 3, 4):
        assert via(store, oif) == keys_via(now, oif)
        assert len(store.route_links.get(oif)) == len(keys_via(now, oif))  # once each
    multipath = route("203.0.113.0", 24, hops=[(2, "192.0.2.1"), (2, "192.0.2.2"), (3, "1.1.1.1")])
    store.apply(multipath, None, set())
    assert K.route_key(multipath) in via(store, 2) and K.route_key(multipath) in via(store, 3)
    assert store.route_links.get(2).count(pack_key(K.route_key(multipath))) == 1


def test_links_index_checked_unread_when_departures_pile_up() -> None:
    msgs = [route(f"10.1.0.{i}", 32) for i in range(200)]
    store = loaded(msgs)
    for i in range(150):  # more than half leave, with no reader in between
        store.apply(route(f"10.1.0.{i}", 32, delete=True), None, set())
        if i % 10 == 0:  # a few come back at once, one through another link
            store.apply(route(f"10.1.0.{i}", 32, oif=2 + i % 20 // 10), None, set())
    assert len(store.route_links.lists[2]) < 200  # checked already (the writer's side)
    now = [route(f"10.1.0.{i}", 32, oif=2 + i % 20 // 10) for i in range(0, 150, 10)] + \
        msgs[150:]
    assert stored(store) == expected(now)
    assert via(store, 2) == keys_via(now, 2) and via(store, 3) == keys_via(now, 3)
    assert len(store.route_links.get(2)) == len(keys_via(now, 2))


def test_links_index_stays_bounded_while_routes_come_and_go_unread() -> None:
    stable = [route(f"10.3.{i >> 8}.{i & 255}", 32) for i in range(1000)]
    store = loaded(stable)
    for _cycle in range(50):  # a few routes flapping beside many that stay
        for i in range(100):
            store.apply(route(f"10.2.1.{i}", 32), None, set())
        for i in range(100):
            store.apply(route(f"10.2.1.{i}", 32, delete=True), None, set())
        assert len(store.route_links.lists[2]) <= 2 * 1000 + 200
    assert via(store, 2) == keys_via(stable, 2)


def test_a_deleted_link_takes_its_routes_and_asks_about_shared_multipath() -> None:
    msgs = variety()
    store = loaded(msgs)
    changes: list[Any] = []
    followups: set = set()
    store.remove("link", 3, changes, followups)
    gone = {K.route_key(o) for _k, a, o, _n in changes if a == "deleted"}
    assert gone == {K.route_key(m) for m in msgs if set(K.route_info(m)[1]) == {3}}
    assert followups == {("route", V4, None), ("route", V6, None)}  # the multipath ones
    assert stored(store) == expected([m for m in msgs if K.route_key(m) not in gone])
    assert via(store, 3) == {K.route_key(m) for m in msgs if len(K.route_info(m)[1]) > 1}


def test_ipv6_multipath_losing_a_hop_is_re_read() -> None:
    mp = route("2001:db8:3::", 48, metric=1024, hops=[(2, "fe80::1"), (3, "fe80::2")])
    store = loaded([mp])
    followups: set = set()
    changes: list[Any] = []
    store.apply(route("2001:db8:3::", 48, metric=1024, gw="fe80::2", oif=3, delete=True),
                changes, followups)
    assert changes == [] and followups == {("route", V6, 2), ("route", V6, 3)}
    assert stored(store) == expected([mp])
    store.apply(route("2001:db8:3::", 48, metric=1024, hops=[(2, "fe80::1"), (3, "fe80::2")],
                      delete=True), changes, followups)
    assert [a for _k, a, _o, _n in changes] == ["deleted"] and stored(store) == {}


def nexthop(mtype: int) -> Any:
    return parse(encode(mtype, fields={"family": V4},
                        attrs=[("NHA_ID", 7), ("NHA_OIF", 2), ("NHA_GATEWAY", "192.0.2.1")]))[0]


def test_preferred_source_and_nexthop_indexes() -> None:
    local = route("192.0.2.7", 32, table=255, rtype=C.RTN_LOCAL, prefsrc="192.0.2.7")
    by_nh = route("172.16.0.0", 12, nh_id=7, oif=None)
    store = loaded([local, by_nh, route("10.0.0.0", 8)])
    assert store.prefsrc_routes(bytes([192, 0, 2, 7]))
    store.apply(nexthop(C.RTM_NEWNEXTHOP), None, set())
    changes: list[Any] = []
    store.apply(nexthop(C.RTM_DELNEXTHOP), changes, set())
    assert [(k, a) for k, a, _o, _n in changes] == [("nexthop", "deleted"), ("route", "deleted")]
    assert K.route_key(changes[1][2]) == K.route_key(by_nh)
    store.apply(route("192.0.2.7", 32, table=255, rtype=C.RTN_LOCAL, delete=True), None, set())
    assert not store.prefsrc_routes(bytes([192, 0, 2, 7]))
    assert store.route_nhids == {} and store.route_prefsrc == {}


def test_reconcile_within_a_scope_and_in_full() -> None:
    msgs = variety()
    store = loaded(msgs)
    changes: list[Any] = []
    followups: set = set()
    # a re-dump of the IPv4 routes through link 2 that finds only two of them, one changed
    keep = route("10.0.0.0", 8)
    changed = route("0.0.0.0", 0, gw="192.0.2.200")
    store.reconcile("route", [keep, changed], changes, followups, store.route_scope(V4, 2))
    dropped = {K.route_key(m) for m in msgs
               if m.get("family") == V4 and 2 in K.route_info(m)[1]} - {
                   K.route_key(keep), K.route_key(changed)}
    assert {(a, K.route_key(o or n)) for _k, a, o, n in changes} == {
        ("changed", K.route_key(changed)), *(("deleted", k) for k in dropped)}
    left = [changed if K.route_key(m) == K.route_key(changed) else m for m in msgs
            if K.route_key(m) not in dropped]
    assert stored(store) == expected(left)
    changes.clear()
    store.reconcile("route", msgs, changes, followups)  # a full resync puts it all back
    assert stored(store) == expected(msgs)
    assert sorted(a for _k, a, _o, _n in changes) == ["changed"] + ["new"] * len(dropped)
    for oif in (2, 3):
        assert via(store, oif) == keys_via(msgs, oif)


def test_twenty_thousand_routes_stay_small() -> None:
    msgs = [route(f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", 32) for i in range(16000)]
    msgs += [route(f"2001:db8:{i >> 16:x}:{i & 0xffff:x}::", 64, metric=1024)
             for i in range(4000)]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        store = loaded(msgs)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert store.counts()["route"] == 20000
    per = held / 20000
    print(f"compact store: {per:.0f} traced bytes a route")
    assert per < 300, per  # ~170 today; message objects over datagrams took ~480


# --- against the kernel --------------------------------------------------------------------------


@requires_root
def test_a_live_cache_of_varied_routes_matches_the_kernel(ns: str) -> None:
    no_dad(ns)
    for line in ("link add va type veth peer name vb", "link add wa type veth peer name wb",
                 "link set va up", "link set vb up", "link set wa up", "link set wb up",
                 "addr add 192.0.2.1/24 dev va", "addr add 198.51.100.1/24 dev wa",
                 "addr add 2001:db8::1/64 dev va nodad", "addr add 2001:db8:1::1/64 dev wa nodad",
                 "route add 10.1.0.0/16 via 192.0.2.2 metric 5 table 100",
                 "route add 10.2.0.0/16 nexthop via 192.0.2.2 nexthop via 198.51.100.2",
                 "route add blackhole 10.3.0.0/16", "route add 10.4.0.0/16 dev wa tos 0x10",
                 "route add 2001:db8:9::/48 nexthop via 2001:db8::2 nexthop via 2001:db8:1::2",
                 "route add 2001:db8:8::/48 dev va metric 7",
                 "route append 2001:db8:8::/48 dev wa metric 7"):
        sh(ns, line)
    with Cache(netns=ns) as cache:
        assert_matches_kernel(cache, ns)
        wa = cache.index("wa")
        assert {r.get("dst") for r in cache.routes(oif=wa)} >= {"10.2.0.0", "10.4.0.0",
                                                                "2001:db8:8::"}
        sh(ns, "route del 10.4.0.0/16 dev wa tos 0x10")
        sh(ns, "route replace 10.1.0.0/16 dev wa metric 5 table 100")
        sh(ns, "route add 10.5.0.0/16 dev wa")
        assert cache.wait_for(lambda: cache.get("route", (V4, 254, bytes([10, 5, 0, 0]), 16,
                                                          0, 0, 1)) is not None, DEADLINE)
        assert cache.wait_quiet(0.5, DEADLINE)
        assert_matches_kernel(cache, ns)
        through = {(r.get("dst"), r.get("table")) for r in cache.routes(oif=wa)}
        assert ("10.1.0.0", 100) in through and ("10.4.0.0", 254) not in through
        sh(ns, "link del wa")
        assert cache.wait_for(lambda: cache.index("wa") is None, DEADLINE)
        assert cache.wait_quiet(0.5, DEADLINE)
        assert cache.routes(oif=wa) == []
        assert_matches_kernel(cache, ns)


@requires_root
def test_dumped_routes_give_their_bytes_as_the_header_packs_them(ns: str) -> None:
    """The cache stores ``raw()`` of each dumped route: the lean views copy it out of the
    datagram, and it must be the bytes a packed header and the payload make."""
    from nlshell.engine.codec.message import Message
    from nlshell.engine.socket import NetlinkSocket

    no_dad(ns)
    sh(ns, "link add va type veth peer name vb")
    sh(ns, "link set va up")
    sh(ns, "addr add 2001:db8::1/64 dev va nodad")
    sh(ns, "route add 2001:db8:5::/48 via 2001:db8::2 metric 9")
    with NetlinkSocket(netns=ns) as sock:
        msgs = [m for fam in (V4, V6) for m in sock.dump(C.RTM_GETROUTE, fields={"family": fam})]
    assert len(msgs) >= 3
    for m in msgs:
        assert m.raw() == Message.raw(m) and m.raw()[16:] == m.payload()


@requires_root
def test_first_fill_files_routes_as_they_come_and_starts_again_when_interrupted(
        ns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from nlshell.engine.socket import NetlinkSocket

    no_dad(ns)
    sh(ns, "link add va type veth peer name vb")
    sh(ns, "link set va up")
    sh(ns, "addr add 2001:db8::1/64 dev va nodad")
    sh(ns, "addr add 192.0.2.1/24 dev va")
    sh(ns, "-batch -", input="\n".join(
        [f"route add 10.7.{i >> 8}.{i & 255}/32 via 192.0.2.2" for i in range(600)]
        + [f"route add 2001:db8:7:{i:x}::/64 via 2001:db8::2" for i in range(300)]) + "\n")
    real = NetlinkSocket.dump_stream
    streams: list[Any] = []

    class Inconsistent:  # the kernel's DUMP_INTR: the whole dump comes, marked so
        interrupted = True

        def __init__(self, stream: Any) -> None:
            self.stream = stream

        def __iter__(self) -> Any:
            return iter(self.stream)

    def flaky(self: Any, *args: Any, **kw: Any) -> Any:
        stream = real(self, *args, **kw)
        streams.append(stream)
        return Inconsistent(stream) if len(streams) == 2 else stream

    monkeypatch.setattr(NetlinkSocket, "dump_stream", flaky)
    with Cache(netns=ns) as cache:
        assert len(streams) == 4  # IPv4, IPv6 (inconsistent), then both again
        assert cache.resync_reasons["interrupted"] == 1 and cache.resyncs == 0
        assert len(cache.routes(table=254, dst_len=32)) == 600
        assert len(cache.routes(family=V6, dst_len=64)) >= 300
        assert_matches_kernel(cache, ns)
