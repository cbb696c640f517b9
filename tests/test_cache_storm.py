"""The cache under a storm, with a deliberately small receive buffer (issue 4, "must show").

While the cache runs, `ip -batch` adds 20,000 routes (and some IPv6 ones), 60 veth pairs,
renames and deletes links (some with hundreds of routes), replaces and deletes routes and
adds 100 addresses. The event socket's buffer (rcvbuf=16384) cannot hold the bursts, so the
kernel drops events and the cache must resync. Once things are quiet the cache must equal
a fresh dump, and the listeners' events replayed on the state they started from must give
the state the cache ends in.
"""

from __future__ import annotations

import subprocess

from support.cachecheck import Recorder, assert_matches_kernel, fresh_dump, main_table
from support.testns import no_dad, requires_root

from nlshell.engine.cache import Cache

pytestmark = requires_root

PAIRS = 60
ROUTES = 20_000
ADDRS = 100


def storm_lines() -> list[str]:
    lines: list[str] = []
    for i in range(PAIRS):
        lines += [f"link add sa{i} type veth peer name sb{i}", f"link set sa{i} up",
                  f"link set sb{i} up"]
    milestones = {
        2_000: [f"route add 2001:db8:{j:x}::/64 dev sa{(7, 8, 11)[j % 3]}" for j in range(900)],
        # down, rename, up: the kernel flushes sa5's IPv4 routes without a word
        6_000: ["link set sa5 down", "link set sa5 name ra5", "link set ra5 up"],
        # deleting links with IPv4 routes (silent) and IPv6 routes (a burst of events)
        8_000: ["link del sa7", "link del sb8"],
        10_000: [f"addr add 172.16.{j}.1/24 dev sa{10 + j % 40}" for j in range(ADDRS)],
        # peers renamed while down: sa20..24 lose carrier, their routes turn linkdown
        12_000: [cmd for i in range(20, 25) for cmd in (
            f"link set sb{i} down", f"link set sb{i} name rb{i}")],
        14_000: [f"route replace 10.0.{k}.0/24 dev sa{40 + k % 10}" for k in range(200)],
        16_000: [f"route del 10.{r >> 8}.{r & 255}.0/24" for r in range(14_000, 14_250)],
        18_000: ["link del sa9", "link set rb20 up", "link set rb21 up"],
    }
    names = {i: f"sa{i}" for i in range(PAIRS)}
    renames = {6_000: (5, "ra5"), 8_000: (7, None), 8_001: (8, None), 18_000: (9, None)}
    for r in range(ROUTES):
        lines += milestones.get(r, [])
        for at in (r, r + 1) if r == 8_000 else (r,):
            if at in renames:
                i, name = renames[at]
                names[i] = name
        i = r % PAIRS
        while names[i] is None:  # deleted: route through the next one
            i = (i + 1) % PAIRS
        lines.append(f"route add 10.{r >> 8}.{r & 255}.0/24 dev {names[i]}")
    lines += [f"route del 2001:db8:{j:x}::/64" for j in range(2, 900, 6)]  # half of sa11's
    return lines


def test_storm_small_buffer_ends_equal_to_a_dump(ns: str) -> None:
    no_dad(ns)
    with Cache(netns=ns, rcvbuf=16384) as cache:
        rec = Recorder(cache)
        proc = subprocess.run(["ip", "-n", ns, "-batch", "-"],
                              input="\n".join(storm_lines()) + "\n", text=True,
                              capture_output=True, timeout=300)
        assert cache.wait_quiet(1.0, timeout=60)

        print(f"storm: resyncs={cache.resyncs} {dict(cache.resync_reasons)} "
              f"redumps={cache.redumps} events={cache.events} told={len(rec.events)}")
        assert cache.resyncs >= 1, cache.resync_reasons
        snap = cache.snapshot()
        dump = fresh_dump(ns)
        assert main_table(snap["route"]).keys() == main_table(dump["route"]).keys()
        assert_matches_kernel(cache, ns)  # links, addresses, routes of every table
        rec.assert_replays_to(cache)

        # the storm did what it says
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert cache.index("ra5") is not None and cache.index("sa5") is None
        assert cache.index("rb22") is not None and cache.index("sb22") is None
        for gone in ("sa7", "sb7", "sa8", "sb8", "sa9", "sb9"):
            assert cache.index(gone) is None
        assert cache.counts()["links"] == 1 + 2 * (PAIRS - 3)
        assert len(cache.addresses(address=lambda a: a and a.startswith("172.16."))) >= ADDRS - 10
        assert len(main_table(snap["route"])) > ROUTES * 0.8
