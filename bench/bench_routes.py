"""Dumping 100,000 routes: `ip -j route show` against `IPRoute.get_routes()`.

One namespace holds 100,000 /32 routes (added with `ip -batch`, not timed). Each side is a
whole process, timed in the same run: `ip -n NS -j route show` (its JSON goes to
/dev/null), a Python process that opens `IPRoute(netns=NS)`, calls `get_routes()` and reads
dst, dst_len and oif of every route, and the same with pyroute2 when it is installed.
Goal (issue 13): nlshell <= 2x ip -j, peak RSS <= 80 MB.

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

READER = """
import sys
from {mod} import IPRoute
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
    with make_ns(ns_name("routes")) as ns:
        ip_batch(ns, [*veth_lines("b0", "b1"), *route_lines(COUNT, "b0")])
        ip = timed_process(["ip", "-n", ns, "-j", "route", "show"])
        ours = timed_process(python_argv(READER.format(mod="nlshell", ns=ns, count=COUNT)))
        pr2 = None
        note = f"{COUNT} routes; read dst, dst_len, oif of each"
        if have_pyroute2():
            pr2 = timed_process(python_argv(READER.format(mod="pyroute2", ns=ns, count=COUNT)),
                                runs=1, warmup=0)
            note += f"; pyroute2 peak RSS {pr2['peak_rss_kb'] / 1024:.0f} MB (1 run)"
        else:
            note += "; pyroute2 not installed"
        emit(f"dump: get_routes() x{COUNT} vs ip -j route show", ours, ip, pr2, note=note)


if __name__ == "__main__":
    main()
