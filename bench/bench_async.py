"""Dumping 100,000 routes from asyncio: `AsyncIPRoute.get_routes()` against `IPRoute`'s.

One namespace holds 100,000 /32 routes (added with `ip -batch`, not timed). Each side is a
whole Python process reading dst, dst_len and oif of every route: nlshell's AsyncIPRoute
(`async for r in await ipr.get_routes()` under `asyncio.run`), nlshell's IPRoute (the
same loop, synchronous), and pyroute2's AsyncIPRoute when it is installed.
Goal: AsyncIPRoute within 1.2x of IPRoute. The note also gives asyncio's own start (a
process that imports asyncio and runs an empty loop, less a bare `python -c pass`) and the
ratio without it: what the async face costs over the synchronous one.

    BENCH_ROUTES=N overrides the number of routes (default 100000).
"""

from __future__ import annotations

import os

from common import (
    compile_nlshell,
    emit,
    have_pyroute2,
    ip_batch,
    make_ns,
    ns_name,
    python_argv,
    route_lines,
    timed_process,
    veth_lines,
)

COUNT = int(os.environ.get("BENCH_ROUTES", "100000"))
GOAL = 1.2

ASYNC_READER = """
import asyncio, sys
from {mod} import AsyncIPRoute

async def main():
    n = 0
    async with AsyncIPRoute(netns={ns!r}) as ipr:
        async for r in await ipr.get_routes():
            r.get('dst'); r['dst_len']; r.get('oif')
            n += 1
    return n

n = asyncio.run(main())
if n < {count}:
    sys.exit('only %d routes' % n)
"""

ASYNCIO_ONLY = """
import asyncio
asyncio.run(asyncio.sleep(0))
"""

SYNC_READER = """
import sys
from nlshell import IPRoute
with IPRoute(netns={ns!r}) as ipr:
    n = 0
    for r in ipr.get_routes():
        r.get('dst'); r['dst_len']; r.get('oif')
        n += 1
if n < {count}:
    sys.exit('only %d routes' % n)
"""


def main() -> None:
    compile_nlshell()
    with make_ns(ns_name("async")) as ns:
        ip_batch(ns, [*veth_lines("b0", "b1"), *route_lines(COUNT, "b0")])
        sync = timed_process(python_argv(SYNC_READER.format(ns=ns, count=COUNT)))
        ours = timed_process(python_argv(ASYNC_READER.format(mod="nlshell", ns=ns,
                                                             count=COUNT)))
        # asyncio's own start (its import, a loop run), which the synchronous side does not
        # pay: told apart, so a reader sees what the async face itself costs
        bare = timed_process(python_argv("pass"))
        loop = timed_process(python_argv(ASYNCIO_ONLY))
        start = max(loop["median_s"] - bare["median_s"], 0.0)
        ratio = ours["median_s"] / sync["median_s"]
        own = (ours["median_s"] - start) / sync["median_s"]
        note = (f"{COUNT} routes; read dst, dst_len, oif of each; IPRoute (sync) "
                f"{sync['median_s']:.3f} s, AsyncIPRoute/IPRoute {ratio:.2f} "
                f"(goal <= {GOAL}); asyncio's own start {start * 1000:.0f} ms, without it "
                f"{own:.2f}")
        pr2 = None
        if have_pyroute2():
            pr2 = timed_process(python_argv(ASYNC_READER.format(mod="pyroute2", ns=ns,
                                                                count=COUNT)),
                                runs=1, warmup=0)
            note += f"; pyroute2 AsyncIPRoute peak RSS {pr2['peak_rss_kb'] / 1024:.0f} MB (1 run)"
        else:
            note += "; pyroute2 not installed"
        emit(f"dump: AsyncIPRoute.get_routes() x{COUNT} vs IPRoute", ours, None, pr2,
             note=note)


if __name__ == "__main__":
    main()
