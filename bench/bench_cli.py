"""The command line, whole processes, side by side with `ip`:

1. start-up: `nlshell -n NS -c 'link show'` (a human table), `-j link show` and `-br link
   show`, against `ip -n NS link show` and a bare `python -c pass`. Goal: <= 3x bare Python.
   With BENCH_IMPORTS=1 it also prints what the `-c` path imports (`python -X importtime`),
   slowest first.
2. a 100,000-line `route add` batch: `nlshell -n NS -b FILE` against `ip -n NS -batch FILE`,
   each run in a fresh namespace (a veth with an address; routes via a gateway on it).
   Goal: <= 1.5x ip.

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
    emit,
    ip_batch,
    make_ns,
    ns_name,
    python_argv,
    timed_process,
    write_batch,
)

COUNT = int(os.environ.get("BENCH_BATCH", "100000"))
# an installed nlshell has its bytecode compiled: let the warm-up runs write it here too
CHILD_ENV = {k: v for k, v in ENV.items() if k != "PYTHONDONTWRITEBYTECODE"}
SETUP = ["link add b0 type veth peer name b1", "link set b0 up", "link set b1 up",
         "addr add 192.0.2.1/24 dev b0"]


def nlshell(*args: str) -> list[str]:
    return [PYTHON, "-m", "nlshell", *args]


def startup() -> None:
    bare = timed_process(python_argv("pass"), env=CHILD_ENV)
    note = f"python -c pass {bare['median_s'] * 1000:.1f} ms; goal <= 3x that"
    with make_ns(ns_name("cli")) as ns:
        ip_batch(ns, SETUP)
        ip = timed_process(["ip", "-n", ns, "link", "show"])
        for label, args in (("link show (table)", ["-c", "link show"]),
                            ("-j link show", ["-j", "-c", "link show"]),
                            ("-br link show", ["-br", "-c", "link show"])):
            ours = timed_process(nlshell("-n", ns, *args), env=CHILD_ENV)
            ratio = ours["median_s"] / bare["median_s"]
            emit(f"cli: nlshell -c '{label}' vs ip link show", ours, ip,
                 note=f"{ratio:.2f}x python start-up; {note}")
        if os.environ.get("BENCH_IMPORTS"):
            print_imports(ns)


def print_imports(ns: str) -> None:
    """The modules `nlshell -c 'link show'` imports, by cumulative time (stderr of -X importtime)."""
    proc = subprocess.run([PYTHON, "-X", "importtime", "-m", "nlshell", "-n", ns, "-c",
                           "link show"], capture_output=True, text=True, env=CHILD_ENV,
                          timeout=60)
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


def timed_in_fresh_ns(argv_of, tag: str, runs: int) -> dict[str, float]:
    """Median of `runs` timed runs, each in a new namespace set up with SETUP."""
    times, peak = [], 0
    for n in range(runs):
        with make_ns(ns_name(f"{tag}{n}")) as ns:
            ip_batch(ns, SETUP)
            r = timed_process(argv_of(ns), runs=1, warmup=0, env=CHILD_ENV)
            out = subprocess.run(["ip", "-n", ns, "route", "show"], capture_output=True,
                                 text=True, timeout=600).stdout
            if out.count(" via 192.0.2.254") < COUNT:
                raise RuntimeError(f"{tag}: routes missing after the batch")
        times.append(r["median_s"])
        peak = max(peak, r["peak_rss_kb"])
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "peak_rss_kb": peak}


def batch() -> None:
    runs = max(1, min(RUNS, 3))  # each run builds and tears down a namespace of COUNT routes
    # compile and cache the modules a batch uses before timing
    subprocess.run(nlshell("--check", "-c", "route add 10.0.0.0/8 via 192.0.2.254"),
                   env=CHILD_ENV, capture_output=True, timeout=60)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_batch(os.path.join(tmp, "routes.batch"), route_lines(COUNT))
        ip = timed_in_fresh_ns(lambda ns: ["ip", "-n", ns, "-batch", path], "ipb", runs)
        ours = timed_in_fresh_ns(lambda ns: nlshell("-n", ns, "-b", path), "nlb", runs)
    ratio = ours["median_s"] / ip["median_s"]
    emit(f"cli: nlshell -b vs ip -batch, {COUNT} route adds", ours, ip,
         note=f"{ratio:.2f}x ip; goal <= 1.5x; {runs} runs, fresh namespace each")


def main() -> None:
    startup()
    batch()


if __name__ == "__main__":
    main()
