"""Adding 100,000 routes: `IPRoute.bulk()` against `ip -batch` of the same lines.

Each timed run gets a fresh namespace holding one veth (up); the run is a whole process:
`ip -n NS -batch FILE` with lines `route add 10.a.b.c/32 dev b0`, or a Python process that
opens `IPRoute(netns=NS)` and makes the same adds with `b.route('add', dst=..., oif=...)`
inside one `with ipr.bulk() as b:` block (and checks that none failed). Goal: <= 1.5x ip.
pyroute2 is not run here: it needs ~9 s per 10,000 adds (the issue's figure).

    BENCH_ROUTES=N overrides the number of routes (default 100000).
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from common import (
    RUNS,
    WARMUP,
    compile_nlshell,
    emit,
    fresh_ns_runs,
    python_argv,
    route_lines,
    run_ip,
    veth_lines,
    write_batch,
)

COUNT = int(os.environ.get("BENCH_ROUTES", "100000"))

WRITER = """
import sys
from nlshell import IPRoute
with IPRoute(netns={ns!r}) as ipr:
    idx = ipr.link_lookup(ifname='b0')[0]
    with ipr.bulk() as b:
        for i in range({count}):
            b.route('add', dst=f'10.{{i >> 16 & 255}}.{{i >> 8 & 255}}.{{i & 255}}/32', oif=idx)
if b.errors:
    sys.exit(f'{{len(b.errors)}} adds failed, the first: {{b.errors[0]}}')
"""


def routes_added(ns: str) -> None:
    applied = run_ip("-n", ns, "-4", "route", "show", "dev", "b0")
    if applied.count("\n") < COUNT:
        raise RuntimeError(f"only {applied.count(chr(10))} routes were added")


def fresh_runs(make_argv: Any, tag: str) -> dict[str, float]:
    """WARMUP + RUNS whole-process runs, each in a namespace of its own (veth b0 up)."""
    return fresh_ns_runs(make_argv, tag, veth_lines("b0", "b1"), routes_added, RUNS, WARMUP)


def main() -> None:
    compile_nlshell()
    with tempfile.TemporaryDirectory() as tmp:
        batch = write_batch(os.path.join(tmp, "routes.batch"), route_lines(COUNT, "b0"))
        ip = fresh_runs(lambda ns: ["ip", "-n", ns, "-batch", batch], "ipb")
        ours = fresh_runs(lambda ns: python_argv(WRITER.format(ns=ns, count=COUNT)), "nlb")
    emit(f"bulk: {COUNT} route adds, bulk() vs ip -batch", ours, ip, None,
         note=f"fresh namespace per run; ip peak RSS {ip['peak_rss_kb'] / 1024:.0f} MB; "
              "pyroute2 not run (~9 s per 10,000 adds)")


if __name__ == "__main__":
    main()
