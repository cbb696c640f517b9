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
import statistics
import subprocess
import tempfile
from typing import Any

from common import (
    PYTHON,
    REPO,
    RUNS,
    WARMUP,
    emit,
    ip_batch,
    make_ns,
    ns_name,
    python_argv,
    timed_process,
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


def route_lines(count: int) -> list[str]:
    return [f"route add 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32 dev b0"
            for i in range(count)]


def fresh_runs(make_argv: Any, tag: str) -> dict[str, float]:
    """WARMUP + RUNS whole-process runs, each in a namespace of its own; timed_process's
    summary (median, min, max, peak RSS) over the timed ones."""
    results = []
    for i in range(WARMUP + max(RUNS, 1)):
        with make_ns(ns_name(f"{tag}{i}")) as ns:
            ip_batch(ns, ["link add b0 type veth peer name b1", "link set b0 up"])
            result = timed_process(make_argv(ns), runs=1, warmup=0)
            if i >= WARMUP:
                results.append(result)
            applied = subprocess.run(["ip", "-n", ns, "-4", "route", "show", "dev", "b0"],
                                     capture_output=True, text=True, check=True).stdout
            if applied.count("\n") < COUNT:
                raise RuntimeError(f"{tag}: only {applied.count(chr(10))} routes were added")
    times = [r["median_s"] for r in results]
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "peak_rss_kb": max(r["peak_rss_kb"] for r in results)}


def main() -> None:
    # an installed package has byte-compiled modules; this checkout may not (compile once)
    subprocess.run([PYTHON, "-m", "compileall", "-q", os.path.join(REPO, "nlshell")],
                   check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        batch = write_batch(os.path.join(tmp, "routes.batch"), route_lines(COUNT))
        ip = fresh_runs(lambda ns: ["ip", "-n", ns, "-batch", batch], "ipb")
        ours = fresh_runs(lambda ns: python_argv(WRITER.format(ns=ns, count=COUNT)), "nlb")
    emit(f"bulk: {COUNT} route adds, bulk() vs ip -batch", ours, ip, None,
         note=f"fresh namespace per run; ip peak RSS {ip['peak_rss_kb'] / 1024:.0f} MB; "
              "pyroute2 not run (~9 s per 10,000 adds)")


if __name__ == "__main__":
    main()
