"""All-namespace monitoring: a listener in namespace A hears namespace B by its nsid, and
the nsid -> name helpers (netns.nsid_map, nsmap.NsidMap) name it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.events import wait_for
from support.testns import created_ns, new_ns_name, requires_root

from nlshell import IPRoute, NetNS, netns
from nlshell.engine.codec import constants as C
from nlshell.engine.nsmap import NsidMap

pytestmark = requires_root


@pytest.fixture
def three() -> Iterator[tuple[str, str, str]]:
    """Namespaces A (the listener's), B and C, made by netns.create and removed after."""
    with created_ns() as a, created_ns() as b, created_ns() as c:
        yield a, b, c


def new_link(name: str):
    return lambda m: m.type == C.RTM_NEWLINK and m.get('ifname') == name


def add_veth(ns: str, name: str) -> None:
    with NetNS(ns) as ipr:
        ipr.link('add', ifname=name, peer=name + 'p', kind='veth')


def test_listener_in_a_hears_b_by_nsid(three: tuple[str, str, str]) -> None:
    a, b, c = three
    names = NsidMap(where=a)
    assert names.as_dict() == {}
    with IPRoute(netns=a, all_ns=True) as ipr:
        ipr.bind(C.RTMGRP_LINK | C.RTMGRP_NSID)
        assert netns.set_nsid(b, 42, where=a) == 42
        # the assignment is itself an event in A, and it makes the cached map stale
        nsid_event = wait_for(ipr, lambda m: m.type == C.RTM_NEWNSID)[-1]
        assert nsid_event.nsid is None and nsid_event.get('nsid') == 42
        names.observe(nsid_event)

        add_veth(c, 'nltc0')  # C has no nsid in A: not heard
        add_veth(b, 'nltb0')
        seen = wait_for(ipr, new_link('nltb0'))
        assert all(m.get('ifname') not in ('nltc0', 'nltc0p') for m in seen)
        event = seen[-1]
        assert event.nsid == 42
        assert names.name(event.nsid) == b
        assert names.source(event) == b

        add_veth(a, 'nlta0')  # A's own events carry no nsid
        own = wait_for(ipr, new_link('nlta0'))[-1]
        assert own.nsid is None and names.source(own) is None

    assert netns.nsid_map(a) == {42: b}
    assert netns.nsid_map(b) == {}  # ids are per observer
    assert netns.get_nsid(b, where=a) == 42


class CountingMap(NsidMap):
    """NsidMap counting its rebuilds (each one asks the kernel)."""

    rebuilds = 0

    def refresh(self) -> dict[int, str]:
        self.rebuilds += 1
        return super().refresh()


def test_nsid_map_refreshes_on_a_miss_and_not_too_often(three: tuple[str, str, str]) -> None:
    a, b, c = three
    netns.set_nsid(b, 1, where=a)
    names = CountingMap(where=a, retry=60)
    assert names.name(1) == b and names.rebuilds == 1
    assert names.name(1) == b and names.rebuilds == 1  # cached
    # an id assigned after the map was built: the first miss asks the kernel again
    assert netns.set_nsid(c, 2, where=a) == 2
    assert names.name(2) == c and names.rebuilds == 2
    # an id nobody has: asked once, then remembered as unknown until `retry` passes
    assert names.name(99) is None and names.rebuilds == 3
    assert names.name(99) is None and names.rebuilds == 3
    assert names.name(None) is None and names.rebuilds == 3
    names.invalidate()
    assert names.name(99) is None and names.rebuilds == 4
    assert names.as_dict() == {1: b, 2: c} == netns.nsid_map(a)


def test_nsid_map_skips_unusable_entries(three: tuple[str, str, str]) -> None:
    a, b, _c = three
    auto = netns.set_nsid(b, -1, where=a)  # the kernel picks the id
    got = netns.nsid_map(a)
    assert got[auto] == b
    assert set(got.values()) <= set(netns.listnetns())
    with pytest.raises(FileNotFoundError):
        netns.nsid_map(new_ns_name())  # the observer itself must exist
