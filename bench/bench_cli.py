"""The command line, whole processes, side by side with `ip`:

1. start-up from this checkout (`python -m nlshell`, bytecode cached): `nlshell -n NS -c
   'link show'` (a human table), `-j link show` and `-br link show`, against `ip -n NS link
   show` and a bare `python -c pass`. bench_startup.py measures the regular install users
   get (the issue's goal: <= 2x). With BENCH_IMPORTS=1 it also prints what the `-c` path
   imports (`python -X importtime`), slowest first.
2. a 100,000-line `route add` batch: `nlshell -n NS -b FILE` against `ip -n NS -batch FILE`,
   each run in a fresh namespace (a veth with an address; routes via a gateway on it), the
   two alternating run by run. Goal (issue 13): <= 1.0x ip.

    BENCH_BATCH=N overrides the number of batch lines (default 100000).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile

from common import (
    ENV,
    PYTHON,
    RUNS,
    compile_nlshell,
    emit,
    fresh_ns_runs,
    ip_batch,
    make_ns,
    nlshell_argv,
    ns_name,
    python_argv,
    run_ip,
    summary,
    timed_process,
    veth_lines,
    write_batch,
)

COUNT = int(os.environ.get("BENCH_BATCH", "100000"))
SETUP = [*veth_lines("b0", "b1"), "addr add 192.0.2.1/24 dev b0"]


def startup() -> None:
    bare = timed_process(python_argv("pass"))
    note = f"python -c pass {bare['median_s'] * 1000:.1f} ms (checkout, not an install)"
    with make_ns(ns_name("cli")) as ns:
        ip_batch(ns, SETUP)
        ip = timed_process(["ip", "-n", ns, "link", "show"])
        for label, args in (("link show (table)", ["-c", "link show"]),
                            ("-j link show", ["-j", "-c", "link show"]),
                            ("-br link show", ["-br", "-c", "link show"])):
            ours = timed_process(nlshell_argv("-n", ns, *args))
            ratio = ours["median_s"] / bare["median_s"]
            emit(f"cli: nlshell -c '{label}' vs ip link show", ours, ip,
                 note=f"{ratio:.2f}x python start-up; {note}")
        if os.environ.get("BENCH_IMPORTS"):
            print_imports(ns)


def print_imports(ns: str) -> None:
    """The modules `nlshell -c 'link show'` imports, by cumulative time (stderr of -X importtime)."""
    proc = subprocess.run([PYTHON, "-X", "importtime", "-m", "nlshell", "-n", ns, "-c",
                           "link show"], capture_output=True, text=True, env=ENV, timeout=60)
    rows = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line[len("import time:"):].split("|")
            rows.append((int(cumulative), name.rstrip()))
    for cumulative, name in sorted(rows, reverse=True)[:25]:
        print(f"# import {cumulative / 1000:7.1f} ms  {name}")


def route_lines(count: int) -> list[str]:
    """`route add` of distinct /24s from 16.0.0.0/4, via the gateway on b0."""
    lines = []
    for i in range(count):
        n = 0x10000000 + (i << 8)
        lines.append(f"route add {n >> 24}.{n >> 16 & 255}.{n >> 8 & 255}.0/24 via 192.0.2.254")
    return lines


def routes_added(ns: str) -> None:
    if run_ip("-n", ns, "route", "show").count(" via 192.0.2.254") < COUNT:
        raise RuntimeError("routes missing after the batch")


def timed_in_fresh_ns(argv_of, tag: str, runs: int) -> dict[str, float]:
    """Median of `runs` timed runs, each in a new namespace set up with SETUP."""
    return fresh_ns_runs(argv_of, tag, SETUP, routes_added, runs)


def batch() -> None:
    runs = max(1, min(RUNS, 3))  # each run builds and tears down a namespace of COUNT routes
    # warm the modules a batch uses (their bytecode is compiled at start) before timing
    subprocess.run(nlshell_argv("--check", "-c", "route add 10.0.0.0/8 via 192.0.2.254"),
                   env=ENV, capture_output=True, timeout=60)
    ips, ours, ratios = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = write_batch(os.path.join(tmp, "routes.batch"), route_lines(COUNT))
        for i in range(runs):  # ip then nlshell, in turn: a busy moment hits both
            ip = timed_in_fresh_ns(lambda ns: ["ip", "-n", ns, "-batch", path], f"ipb{i}", 1)
            nl = timed_in_fresh_ns(lambda ns: nlshell_argv("-n", ns, "-b", path), f"nlb{i}", 1)
            ips.append(ip)
            ours.append(nl)
            ratios.append(nl["median_s"] / ip["median_s"])
    merge = lambda rs: summary([r["median_s"] for r in rs],  # noqa: E731
                               max(r["peak_rss_kb"] for r in rs))
    emit(f"cli: nlshell -b vs ip -batch, {COUNT} route adds", merge(ours), merge(ips),
         note=f"{statistics.median(ratios):.2f}x ip (pairs: "
              f"{', '.join(f'{r:.2f}' for r in ratios)}); goal <= 1.0x; fresh namespace each")


def main() -> None:
    compile_nlshell()
    startup()
    batch()


if __name__ == "__main__":
    main()
