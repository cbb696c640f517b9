"""Monitoring: bind() + get() see what another process changes in the namespace; a
receive-buffer overrun (ENOBUFS) is reported as NetlinkOverrun, and requests on a flooded
socket still get their answers."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from support.events import EVENT_DEADLINE, collect
from support.iporacle import batch, sh

from nlshell import IPRoute
from nlshell.engine.codec import constants as C
from nlshell.engine.errors import NetlinkOverrun
from nlshell.engine.socket import NetlinkSocket

# overrun handling gone wrong would wait forever for a reply: fail instead
pytestmark = [pytest.mark.requires_root, pytest.mark.usefixtures("no_hang")]


def has(event: str, name: str) -> Callable[[list], bool]:
    return lambda events: any(m["event"] == event and name in (m.get("ifname"), m.get("dst"),
                                                               m.get("address"))
                              for m in events)


def test_new_address_from_another_process(ns: str, ipr: IPRoute) -> None:
    sh(ns, "link add veth0 type veth peer name veth1")
    idx = ipr.link_lookup(ifname="veth0")[0]
    ipr.bind()
    assert ipr.get(timeout=0) == []
    sh(ns, "addr add 192.0.2.7/24 dev veth0")
    events = [m for m in collect(ipr, has("RTM_NEWADDR", "192.0.2.7"))
              if m["event"] == "RTM_NEWADDR"]
    assert events, "no RTM_NEWADDR arrived"
    m = events[0]
    assert m.type == C.RTM_NEWADDR
    assert m["index"] == idx and m["prefixlen"] == 24
    assert m.get("address") == "192.0.2.7" and m.get("local") == "192.0.2.7"
    assert m.get("label") == "veth0"


def test_links_and_routes_arrive(ns: str, ipr: IPRoute) -> None:
    ipr.bind(C.RTMGRP_LINK | C.RTMGRP_IPV4_ROUTE)
    sh(ns, "link add veth0 type veth peer name veth1")
    sh(ns, "link set veth0 up")
    sh(ns, "route add 10.1.0.0/16 dev veth0")
    sh(ns, "link del veth0")
    events = collect(ipr, has("RTM_DELLINK", "veth0"))
    kinds = [(m["event"], m.get("ifname") or m.get("dst")) for m in events]
    assert ("RTM_NEWLINK", "veth0") in kinds and ("RTM_NEWLINK", "veth1") in kinds
    assert ("RTM_NEWROUTE", "10.1.0.0") in kinds
    assert ("RTM_DELLINK", "veth0") in kinds
    assert kinds.index(("RTM_NEWROUTE", "10.1.0.0")) < kinds.index(("RTM_DELLINK", "veth0"))


def test_events_met_during_a_request_are_kept(ns: str, ipr: IPRoute) -> None:
    sh(ns, "link add veth0 type veth peer name veth1")
    idx = ipr.link_lookup(ifname="veth0")[0]
    ipr.bind(C.RTMGRP_IPV4_IFADDR)
    sh(ns, "addr add 192.0.2.7/24 dev veth0")  # queued in our socket now
    assert ipr.link_lookup(ifname="veth0") == [idx]  # a request reads past it
    assert len(ipr.get_links()) == 3  # and a dump
    events = ipr.get(timeout=0)
    assert [(m["event"], m.get("address")) for m in events] == [("RTM_NEWADDR", "192.0.2.7")]


def test_own_changes_arrive_as_events_not_replies(ns: str, ipr: IPRoute) -> None:
    ipr.link("add", ifname="veth0", peer="veth1", kind="veth")
    idx = ipr.link_lookup(ifname="veth0")[0]
    ipr.link("set", index=idx, state="up")
    ipr.bind(C.RTMGRP_IPV4_ROUTE)
    # the ack only (as pyroute2's write calls answer), no event among the replies
    for kw in ({"dst": "10.1.0.0/16", "oif": idx},
               {"dst": "10.2.0.0/16", "oif": idx, "scope": "link", "proto": 4}):
        assert [(m["event"], m["error"]) for m in ipr.route("add", **kw)] == [
            ("NLMSG_ERROR", 0)]
    with ipr.bulk() as b:
        b.route("add", dst="10.3.0.0/16", oif=idx)
    events = collect(ipr, has("RTM_NEWROUTE", "10.3.0.0"))
    assert [m.get("dst") for m in events if m["event"] == "RTM_NEWROUTE"] == [
        "10.1.0.0", "10.2.0.0", "10.3.0.0"]
    assert all(m.pid == ipr.sock.pid for m in events)  # caused by us, multicast to all


def burst(ns: str, count: int) -> None:
    batch(ns, "".join(f"route add 10.{i >> 8}.{i & 255}.0/24 dev veth0\n"
                      for i in range(count)))


def test_overrun_raises_netlink_overrun(ns: str) -> None:
    sh(ns, "link add veth0 type veth peer name veth1")
    sh(ns, "link set veth0 up")
    with IPRoute(netns=ns, rcvbuf=4096) as small:
        small.bind(C.RTMGRP_IPV4_ROUTE)
        burst(ns, 2000)
        with pytest.raises(NetlinkOverrun) as info:
            for _ in range(3000):  # ENOBUFS comes first, before anything queued
                small.get(timeout=1)
        assert info.value.code == 105  # ENOBUFS
        # after the overrun the socket is still good: re-read the state, keep listening
        assert len(small.get_routes(table=254, oif=small.link_lookup(ifname="veth0")[0])) \
            == 2000
        sh(ns, "route add 10.200.0.0/24 dev veth0")
        got = []
        deadline = time.monotonic() + EVENT_DEADLINE
        while time.monotonic() < deadline and ("10.200.0.0" not in got):
            got += [m.get("dst") for m in small.get(timeout=1)]
        assert "10.200.0.0" in got


def test_requests_on_a_flooded_socket(ns: str) -> None:
    sh(ns, "link add veth0 type veth peer name veth1")
    sh(ns, "link set veth0 up")
    with IPRoute(netns=ns, rcvbuf=4096) as small:
        small.bind(C.RTMGRP_IPV4_ROUTE)
        burst(ns, 1000)  # the buffer is full and events were dropped
        idx = small.link_lookup(ifname="veth0")[0]  # a request still gets its answer
        routes = small.get_routes(table=254, oif=idx)  # and a dump
        assert len(routes) == 1000
        with small.bulk() as b:
            b.route("add", dst="10.250.0.0/24", oif=idx)
        assert b.results == [None]
        with pytest.raises(NetlinkOverrun):  # and the listener hears about the loss
            for _ in range(2000):
                small.get(timeout=1)


def test_recv_events_timeout(ns: str) -> None:
    with NetlinkSocket(netns=ns) as sock:
        sock.bind(C.RTMGRP_LINK)
        start = time.monotonic()
        assert sock.recv_events(timeout=0.05) == []
        assert time.monotonic() - start >= 0.04
        sock.drop_membership(C.RTNLGRP_LINK)
        assert sock.groups == set()
