"""`nlshell route show` of a big table against `ip route show`, whole processes.

One namespace holds N /32 routes (added with `ip -batch`, not timed). Side by side in one
run: `nlshell route show` (the human table), `nlshell -j route show`, `nlshell route show`
in ip's text (`NLSHELL_OUTPUT=ip`, when this checkout's command line knows it; else that row
is skipped with a note) and `nlshell -br route show` against `ip route show` / `ip -j route
show` (all output to /dev/null), plus the time
from the start of `nlshell route show` to its first line on a pipe (the table streams:
its columns are settled by its first rows, then every row is printed as its datagram
arrives). Goal: <= 2x ip, peak RSS <= 40 MB, whatever N.

    BENCH_SHOW=N overrides the number of routes (default 100000); BENCH_SHOW_CACHE=1 adds
    the live cache on the same table: ready time, RSS growth per route; BENCH_SHOW_MIX=1
    fills a table shaped like a router's (prefixes of 24 to 26 bits through 4 gateways,
    protocol bgp, a metric) instead of /32s on one device.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time

from common import (
    ENV,
    PYTHON,
    RUNS,
    compile_nlshell,
    emit,
    ip_batch,
    make_ns,
    nlshell_argv,
    ns_name,
    timed_process,
    veth_lines,
)

COUNT = int(os.environ.get("BENCH_SHOW", "100000"))
MIX = bool(os.environ.get("BENCH_SHOW_MIX"))


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


def ip_text_env() -> dict[str, str] | None:
    """The environment that makes nlshell print ip's text (NLSHELL_OUTPUT=ip), or None
    when this checkout's command line does not offer it yet."""
    out = subprocess.run(nlshell_argv("--help"), capture_output=True, text=True, env=ENV)
    if "--output" not in out.stdout and "NLSHELL_OUTPUT" not in out.stdout:
        return None
    return {**ENV, "NLSHELL_OUTPUT": "ip"}


def fill(ns: str, count: int) -> None:
    """`count` /32 routes on b0, written to `ip -batch` by a child: this process stays
    small (a child spawned from it starts with its size: ru_maxrss would count it)."""
    gen = ("import sys\n"
           f"for i in range({count}):\n"
           "    sys.stdout.write(f'route add 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32"
           " dev b0\\n')\n")
    if MIX:
        gen = ("import sys\n"
               "sys.stdout.write('addr add 100.64.0.1/16 dev b0\\n')\n"
               f"for i in range({count}):\n"
               "    sys.stdout.write(f'route add {1 + (i >> 16)}.{i >> 8 & 255}.{i & 255}.0/"
               "{24 + i % 3} via 100.64.0.{2 + i % 4} proto bgp metric 20\\n')\n")
    with subprocess.Popen([PYTHON, "-c", gen], stdout=subprocess.PIPE) as src:
        subprocess.run(["ip", "-n", ns, "-batch", "-"], stdin=src.stdout, check=True,
                       timeout=1800)
    if src.returncode != 0:
        raise RuntimeError("route generator failed")


CACHE_CHILD = """
import json, os, time
from nlshell.engine.cache import Cache
def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
before = rss()
start = time.perf_counter()
cache = Cache(netns={ns!r})
ready = time.perf_counter() - start
routes = cache.counts()['routes']
print(json.dumps({{'ready_s': ready, 'bytes': rss() - before, 'routes': routes}}))
cache.close()
"""


def cache_figures(ns: str) -> None:
    """The live cache on this table: time to ready against `ip -j route show table all`,
    and its RSS growth per route (BENCH_SHOW_CACHE=1)."""
    ipj = timed_process(["ip", "-n", ns, "-j", "route", "show", "table", "all"])
    runs = []
    for _ in range(max(RUNS, 1)):
        out = subprocess.run([PYTHON, "-c", CACHE_CHILD.format(ns=ns)], capture_output=True,
                             text=True, env=ENV, timeout=1800, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    ready = [r["ready_s"] for r in runs]
    per_route = statistics.median(r["bytes"] / max(r["routes"], 1) for r in runs)
    emit(f"show: cache ready with {COUNT} routes vs ip -j route show table all",
         {"median_s": statistics.median(ready), "min_s": min(ready), "max_s": max(ready),
          "peak_rss_kb": statistics.median(r["bytes"] for r in runs) / 1024}, ipj,
         note=f"(peak RSS column: the cache's growth) {per_route:.0f} bytes per route; "
              f"ready min/max {min(ready):.2f}/{max(ready):.2f} s")


def paired(ours_argv: list[str], ip_argv: list[str], env: dict[str, str]
           ) -> tuple[dict[str, float], dict[str, float], list[float]]:
    """nlshell and ip run alternately (one warm-up each, then RUNS pairs): on a busy
    machine the load moves between runs, and a pair sees the same load. (nlshell's
    figures, ip's, the ratio of each pair)."""
    timed_process(ours_argv, runs=1, warmup=0, env=env)
    timed_process(ip_argv, runs=1, warmup=0)
    ours, theirs = [], []
    for _ in range(max(RUNS, 1)):
        ours.append(timed_process(ours_argv, runs=1, warmup=0, env=env))
        theirs.append(timed_process(ip_argv, runs=1, warmup=0))

    def merged(rs: list[dict[str, float]]) -> dict[str, float]:
        times = [r["median_s"] for r in rs]
        return {"median_s": statistics.median(times), "min_s": min(times),
                "max_s": max(times), "peak_rss_kb": max(r["peak_rss_kb"] for r in rs)}
    ratios = [o["median_s"] / t["median_s"] for o, t in zip(ours, theirs, strict=True)]
    return merged(ours), merged(theirs), ratios


def main() -> None:
    compile_nlshell()
    with make_ns(ns_name("show")) as ns:
        ip_batch(ns, veth_lines("b0", "b1"))
        fill(ns, COUNT)
        note = (f"{COUNT} {'mixed ' if MIX else ''}routes, output to /dev/null, "
                "paired runs")
        ip = ["ip", "-n", ns, "route", "show"]
        ipj = ["ip", "-n", ns, "-j", "route", "show"]
        text_env = ip_text_env()
        for label, args, oracle, env in (("route show (table)", [], ip, ENV),
                                         ("-j route show", ["-j"], ipj, ENV),
                                         ("route show (ip's text)", [], ip, text_env),
                                         ("-br route show", ["-br"], ip, ENV)):
            if env is None:
                print(json.dumps({"name": f"show: nlshell {label} vs ip", "note":
                                  "skipped: this checkout's command line has no --output "
                                  "(NLSHELL_OUTPUT) yet"}), flush=True)
                continue
            ours, theirs, ratios = paired(nlshell_argv("-n", ns, *args, "-c", "route show"),
                                          oracle, env)
            emit(f"show: nlshell {label} vs ip{' -j' if args == ['-j'] else ''}", ours,
                 theirs, note=f"{note}; pair ratios {min(ratios):.2f}-"
                              f"{statistics.median(ratios):.2f}-{max(ratios):.2f}; nlshell "
                              f"{ours['min_s']:.3f}-{ours['max_s']:.3f} s, ip "
                              f"{theirs['min_s']:.3f}-{theirs['max_s']:.3f} s")
        firsts = [first_line(nlshell_argv("-n", ns, "-c", "route show"))
                  for _ in range(max(RUNS, 1))]
        print(f'{{"name": "show: first line of nlshell route show", "first_line_s": '
              f'{statistics.median(firsts):.4f}, "min_s": {min(firsts):.4f}, '
              f'"max_s": {max(firsts):.4f}, "note": "{COUNT} routes"}}', flush=True)
        if os.environ.get("BENCH_SHOW_CACHE"):
            cache_figures(ns)


if __name__ == "__main__":
    main()
