"""`nlshell route show` of a big table against `ip route show`, whole processes.

One namespace holds N /32 routes (added with `ip -batch`, not timed). Side by side in one
run: `nlshell route show` (the human table), `nlshell -j route show` and `nlshell -br route
show` against `ip route show` / `ip -j route show` (all output to /dev/null), plus the time
from the start of `nlshell route show` to its first line on a pipe (the table streams:
its columns are settled by its first rows, then every row is printed as its datagram
arrives). Goal: <= 2x ip, peak RSS <= 40 MB, whatever N.

    BENCH_SHOW=N overrides the number of routes (default 100000).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time

from common import (
    ENV,
    RUNS,
    compile_nlshell,
    emit,
    ip_batch,
    make_ns,
    nlshell_argv,
    ns_name,
    route_lines,
    timed_process,
    veth_lines,
)

COUNT = int(os.environ.get("BENCH_SHOW", "100000"))
SETUP_CHUNK = 200_000  # batch lines per `ip -batch` while setting up


def first_line(argv: list[str]) -> float:
    """Seconds from spawning `argv` to its first line of stdout (the rest is read and
    dropped, so the process is not held back by a full pipe)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, env=ENV)
    assert proc.stdout is not None
    proc.stdout.readline()
    took = time.perf_counter() - start
    for _ in iter(lambda: proc.stdout.read(1 << 16), b""):
        pass
    if proc.wait() != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}")
    return took


def main() -> None:
    compile_nlshell()
    with make_ns(ns_name("show")) as ns:
        ip_batch(ns, veth_lines("b0", "b1"))
        lines = route_lines(COUNT, "b0")
        for i in range(0, COUNT, SETUP_CHUNK):
            ip_batch(ns, lines[i:i + SETUP_CHUNK])
        del lines
        note = f"{COUNT} routes, output to /dev/null"
        ip = timed_process(["ip", "-n", ns, "route", "show"])
        ipj = timed_process(["ip", "-n", ns, "-j", "route", "show"])
        for label, args, oracle in (("route show (table)", [], ip),
                                    ("-j route show", ["-j"], ipj),
                                    ("-br route show", ["-br"], ip)):
            ours = timed_process(nlshell_argv("-n", ns, *args, "-c", "route show"))
            ours_times = f"ip's {'-j ' if args == ['-j'] else ''}median {oracle['median_s']:.3f} s"
            emit(f"show: nlshell {label} vs ip", ours, oracle,
                 note=f"{note}; nlshell min/max {ours['min_s']:.3f}/{ours['max_s']:.3f} s; "
                      f"{ours_times}")
        firsts = [first_line(nlshell_argv("-n", ns, "-c", "route show"))
                  for _ in range(max(RUNS, 1))]
        print(f'{{"name": "show: first line of nlshell route show", "first_line_s": '
              f'{statistics.median(firsts):.4f}, "min_s": {min(firsts):.4f}, '
              f'"max_s": {max(firsts):.4f}, "note": "{COUNT} routes"}}', flush=True)


if __name__ == "__main__":
    main()
