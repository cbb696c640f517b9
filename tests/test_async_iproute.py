"""AsyncIPRoute: IPRoute's methods as coroutines on one asyncio loop.

The same scenario written twice, sync and async, leaves the same kernel state; 100
concurrent dumps run on one loop without a thread per call; events come through an async
``get()``; refusals raise the same NetlinkError. pyroute2's AsyncIPRoute is the oracle of
the messages where it is installed.
"""

from __future__ import annotations

import asyncio
import errno
import importlib.util
import threading
from typing import Any

import pytest
from support.iporacle import batch, ipj
from support.testns import unused_ns_name

from nlshell import AsyncIPRoute, AsyncNetNS, IPRoute, NetlinkError
from nlshell.engine.codec import constants as C
from nlshell.engine.netns import NamespaceNotFound

SETUP = "link add v0 type veth peer name v1\nlink set v0 up\nlink set v1 up\n"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def state(ns: str) -> dict[str, list[str]]:
    """The kernel's state as ip shows it, without what differs by chance (MAC-derived
    link-local addresses, lifetimes, indexes)."""
    def clean(items: list[dict], drop: tuple[str, ...]) -> list[str]:
        return sorted(str({k: v for k, v in i.items() if k not in drop}) for i in items)

    addrs = [dict(a, addr_info=[{k: v for k, v in i.items()
                                 if k not in ("valid_life_time", "preferred_life_time")}
                                for i in a["addr_info"]
                                if not (i["family"] == "inet6" and i["scope"] == "link")])
             for a in ipj(ns, "addr", "show")]
    drop = ("ifindex", "link_index", "address", "broadcast")
    return {"addr": clean(addrs, drop),
            "route": clean(ipj(ns, "route", "show", "table", "all"), drop),
            "rule": clean(ipj(ns, "rule", "show"), drop),
            "neigh": clean(ipj(ns, "neigh", "show", "nud", "permanent"), drop)}


def sync_scenario(ipr: IPRoute) -> list[Any]:
    idx = ipr.link_lookup(ifname="v0")[0]
    out = [ipr.link("set", index=idx, mtu=1400),
           ipr.addr("add", index=idx, address="192.0.2.1", prefixlen=24),
           ipr.addr("add", index=idx, address="198.51.100.1/24", preferred=99, valid=119),
           ipr.route("add", dst="10.1.0.0/16", gateway="192.0.2.2"),
           ipr.route("add", dst="10.2.0.0/16", oif=idx, table=100, priority=5),
           ipr.rule("add", table=100, priority=100, FRA_FWMARK=7),
           ipr.neigh("add", dst="192.0.2.9", lladdr="02:00:00:00:00:09", ifindex=idx)]
    ipr.flush_routes(table=100)
    ipr.route("add", dst="10.3.0.0/16", oif=idx, table=100)
    return [[(m["event"], m["error"]) for m in r] for r in out]


async def async_scenario(ipr: AsyncIPRoute) -> list[Any]:
    idx = (await ipr.link_lookup(ifname="v0"))[0]
    out = [await ipr.link("set", index=idx, mtu=1400),
           await ipr.addr("add", index=idx, address="192.0.2.1", prefixlen=24),
           await ipr.addr("add", index=idx, address="198.51.100.1/24", preferred=99,
                          valid=119),
           await ipr.route("add", dst="10.1.0.0/16", gateway="192.0.2.2"),
           await ipr.route("add", dst="10.2.0.0/16", oif=idx, table=100, priority=5),
           await ipr.rule("add", table=100, priority=100, FRA_FWMARK=7),
           await ipr.neigh("add", dst="192.0.2.9", lladdr="02:00:00:00:00:09", ifindex=idx)]
    await ipr.flush_routes(table=100)
    await ipr.route("add", dst="10.3.0.0/16", oif=idx, table=100)
    return [[(m["event"], m["error"]) for m in r] for r in out]


def test_sync_and_async_leave_the_same_state(ns: str, ns2: str) -> None:
    batch(ns, SETUP)
    batch(ns2, SETUP)
    with IPRoute(netns=ns) as ipr:
        answers = sync_scenario(ipr)

    async def main() -> list[Any]:
        async with AsyncIPRoute(netns=ns2) as ipr:
            return await async_scenario(ipr)

    assert run(main()) == answers
    assert all(a == [("NLMSG_ERROR", 0)] for a in answers)
    assert state(ns) == state(ns2)
    assert any("10.3.0.0/16" in r for r in state(ns2)["route"])


def test_100_concurrent_dumps_on_one_loop_without_threads(vns: str) -> None:
    batch(vns, "".join(f"route add 10.{i}.0.0/16 dev v0\n" for i in range(50)))
    with IPRoute(netns=vns) as ipr:
        expected = sorted((m.get("dst"), m["dst_len"]) for m in ipr.get_routes())

    async def main() -> tuple[list[Any], list[int]]:
        async with AsyncIPRoute(netns=vns) as ipr:
            counts = [threading.active_count()]

            async def one(i: int) -> list[tuple]:
                dump = await (ipr.get_routes() if i % 2 else ipr.route("dump"))
                counts.append(threading.active_count())
                return sorted([(m.get("dst"), m["dst_len"]) async for m in dump])

            results = await asyncio.gather(*(one(i) for i in range(100)))
            counts.append(threading.active_count())
            return results, counts

    before = threading.active_count()
    results, counts = run(main())
    assert len(results) == 100
    assert all(r == expected for r in results)
    assert set(counts) == {before}  # no thread per call, none left behind


def test_events_come_through_async_get(vns: str) -> None:
    async def main() -> list[tuple[str, Any]]:
        async with AsyncIPRoute(netns=vns) as ipr:
            await ipr.bind(C.RTMGRP_IPV4_IFADDR)
            idx = (await ipr.link_lookup(ifname="v0"))[0]
            await ipr.addr("add", index=idx, address="192.0.2.77", prefixlen=24)
            seen: list[tuple[str, Any]] = []

            async def until_seen() -> None:
                while not any(a == "192.0.2.77" for _e, a in seen):
                    async for msg in ipr.get():
                        seen.append((msg["event"], msg.get("address")))

            await asyncio.wait_for(until_seen(), 30)
            return seen

    assert ("RTM_NEWADDR", "192.0.2.77") in run(main())


def test_refusals_raise_the_same_errors(vns: str) -> None:
    calls = [("link", ("get",), {"index": 9999}),
             ("route", ("add",), {"dst": "10.0.0.0/8", "gateway": "203.0.113.1"}),
             ("rule", ("del",), {"table": 77, "priority": 777}),
             ("addr", ("del",), {"index": 1, "address": "192.0.2.200", "prefixlen": 24})]
    sync_codes = []
    with IPRoute(netns=vns) as ipr:
        for name, args, kw in calls:
            with pytest.raises(NetlinkError) as exc:
                getattr(ipr, name)(*args, **kw)
            sync_codes.append((exc.value.code, exc.value.msg))

    async def main() -> list[tuple[int, str]]:
        out = []
        async with AsyncIPRoute(netns=vns) as ipr:
            for name, args, kw in calls:
                with pytest.raises(NetlinkError) as exc:
                    await getattr(ipr, name)(*args, **kw)
                out.append((exc.value.code, exc.value.msg))
            # the socket is still usable after its refusals
            assert (await ipr.link("get", index=1))[0].get("ifname") == "lo"
        return out

    codes = run(main())
    assert codes == sync_codes
    assert [c for c, _ in codes] == [errno.ENODEV, errno.ENETUNREACH, errno.ENOENT,
                                     errno.EADDRNOTAVAIL]


def test_dump_messages_equal_the_sync_ones(vns: str) -> None:
    with IPRoute(netns=vns) as ipr:
        sync = {name: [m.whole() for m in getattr(ipr, name)()]
                for name in ("get_links", "get_addr", "get_routes", "get_rules")}

    async def main() -> dict[str, list]:
        async with AsyncIPRoute(netns=vns) as ipr:
            out = {}
            for name in sync:
                out[name] = [m.whole() async for m in await getattr(ipr, name)()]
            return out

    got = run(main())
    for name in ("get_addr", "get_routes", "get_rules"):
        assert got[name] == sync[name], name
    # links carry counters that move: compare names and flags
    assert [(h, a["IFLA_IFNAME"]) for h, a in got["get_links"]] == \
        [(h, a["IFLA_IFNAME"]) for h, a in sync["get_links"]]


def test_cancelled_dump_leaves_the_socket_usable(vns: str) -> None:
    batch(vns, "".join(f"route add 10.{i >> 8}.{i & 255}.0/24 dev v0\n" for i in range(3000)))

    async def main() -> tuple[list[int], set[str]]:
        counts, outcomes = [], set()
        async with AsyncIPRoute(netns=vns) as ipr:
            for delay in range(6):  # cancelled at different points of the dump (or after)
                task = asyncio.ensure_future(ipr.get_routes())
                for _ in range(delay):
                    await asyncio.sleep(0)
                task.cancel()
                try:
                    await task
                    outcomes.add("finished")
                except asyncio.CancelledError:
                    outcomes.add("cancelled")
                counts.append(len(await ipr.get_routes(family=2, table=254)))
        return counts, outcomes

    counts, outcomes = run(main())
    assert "cancelled" in outcomes
    assert len(set(counts)) == 1 and counts[0] >= 3000


def test_fresh_namespace_main_table_is_empty_and_netns_is_never_created(ns: str) -> None:
    async def main() -> int:
        async with AsyncNetNS(ns) as ipr:
            assert ipr.status["netns"] == ns
            return len(await ipr.get_routes(table=254))

    assert run(main()) == 0
    with unused_ns_name() as name:
        with pytest.raises(NamespaceNotFound):
            AsyncNetNS(name)
        with pytest.raises(NamespaceNotFound):
            AsyncIPRoute(netns=name)


def test_async_tc_and_bridge_readers_match_the_sync_face(vns: str) -> None:
    with IPRoute(netns=vns) as ipr:
        ipr.tc("add", "htb", ipr.link_lookup(ifname="v0")[0], 0x10000, default=0x10)

    async def main() -> tuple[list[Any], list[Any]]:
        async with AsyncIPRoute(netns=vns) as ipr:
            qd = [(m["index"], m["handle"], m.get("kind")) for m in await ipr.get_qdiscs()]
            fdb = [m.get("lladdr") for m in await ipr.fdb("dump")]
            return qd, fdb

    with IPRoute(netns=vns) as ipr:
        want = ([(m["index"], m["handle"], m.get("kind")) for m in ipr.get_qdiscs()],
                [m.get("lladdr") for m in ipr.fdb("dump")])
    got = run(main())
    assert got == want
    assert ("htb" in [k for _i, _h, k in got[0]])


@pytest.mark.skipif(importlib.util.find_spec("pyroute2") is None,
                    reason="pyroute2 (the oracle) is not installed: pip install .[test]")
def test_pyroute2_async_is_the_oracle(vns: str) -> None:
    import pyroute2

    async def read(cls: Any) -> list[Any]:
        async with cls(netns=vns) as ipr:
            out = []
            for name in ("get_addr", "get_routes", "get_rules"):
                out.append(sorted([
                    (m["event"], m["family"], str(sorted((k, v) for k, v in m["attrs"]
                                                         if k != "IFA_CACHEINFO")))
                    async for m in await getattr(ipr, name)()]))
            out.append([(m["index"], m.get("ifname"), m.get("state"))
                        async for m in await ipr.get_links()])
            return out

    assert run(read(AsyncIPRoute)) == run(read(pyroute2.AsyncIPRoute))
