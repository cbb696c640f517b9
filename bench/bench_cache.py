"""The live cache with 100,000 routes (issue 4).

- ready: a whole process that opens a Cache on a namespace holding 100,000 routes (dump of
  links, addresses, routes of every table, neighbours, rules; subscribed and listening)
  and closes it, against `ip -j route show` there. Goal: <= 8x.
- memory: RSS growth of a process from before the Cache opens to when it is ready.
  Goal: <= 60 MB.
- burst: a running cache while `ip -batch` adds 100,000 routes: time until the cache
  holds them all, against the same batch without a cache, and the events applied per second.
- backlog: the cache's thread held up while the same burst queues in its socket, then let
  go: how fast it applies queued events (what it can absorb, whoever produces them).

Each measurement runs in a child process (this file with --child ...), so nothing of the
harness is counted.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

from common import (
    ENV,
    PYTHON,
    compile_nlshell,
    emit,
    ip_batch,
    make_ns,
    ns_name,
    python_argv,
    route_lines,
    run_ip,
    timed_process,
    veth_lines,
    write_batch,
)

ROUTES = int(os.environ.get("BENCH_CACHE_ROUTES", "100000"))
HERE = os.path.abspath(__file__)


def child(*args: str) -> dict:
    out = subprocess.run([PYTHON, HERE, "--child", *args], capture_output=True, text=True,
                         env=ENV, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed: {out.stderr.strip()[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- children ------------------------------------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child_memory(ns: str) -> dict:
    from nlshell.engine.cache import Cache

    before = _rss_mb()
    start = time.perf_counter()
    cache = Cache(netns=ns)
    ready = time.perf_counter() - start
    growth = _rss_mb() - before
    counts = cache.counts()
    cache.close()
    return {"growth_mb": growth, "ready_s": ready, "routes": counts["routes"]}


def child_burst(ns: str, batch: str, mode: str) -> dict:
    from nlshell.engine.cache import Cache

    rcvbuf = 256 << 20 if mode == "backlog" else None  # backlog: room for every event
    with Cache(netns=ns, rcvbuf=rcvbuf) as cache:
        target = cache.counts()["routes"] + ROUTES
        events = cache.events
        if mode == "backlog":
            with cache.lock:  # the thread stalls: the whole burst queues in the socket
                subprocess.run(["ip", "-n", ns, "-batch", batch], check=True)
                start = time.perf_counter()
            ip_s = None
        else:
            start = time.perf_counter()
            proc = subprocess.Popen(["ip", "-n", ns, "-batch", batch])
        done = cache.wait_for(lambda: cache.counts()["routes"] >= target, timeout=300)
        took = time.perf_counter() - start
        if mode != "backlog":
            proc.wait()
            ip_s = time.perf_counter() - start
        applied = cache.events - events
        return {"ok": done, "seconds": took, "events": applied, "resyncs": cache.resyncs,
                "ip_s": ip_s, "rate": applied / took if took else None,
                "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


# --- the bench -------------------------------------------------------------------------------


def main() -> None:
    compile_nlshell()
    with make_ns(ns_name("cache")) as ns:
        ip_batch(ns, [*veth_lines("va", "vb"), *route_lines(ROUTES, "va")])
        ready = timed_process(python_argv(
            f"from nlshell.engine.cache import Cache\nCache(netns={ns!r}).close()"))
        ip_show = timed_process(["ip", "-n", ns, "-j", "route", "show"])
        ratio = ready["median_s"] / ip_show["median_s"]
        emit(f"cache: ready with {ROUTES} routes vs ip -j route show", ready, ip_show,
             note=f"goal <= 8x: {'met' if ratio <= 8 else 'MISSED'}")
        mem = child("memory", ns)
        emit(f"cache: memory growth with {ROUTES} routes",
             {"median_s": mem["ready_s"], "peak_rss_kb": mem["growth_mb"] * 1024},
             note=f"(peak RSS column: the growth) RSS growth {mem['growth_mb']:.1f} MB, goal <= 60 MB: "
                  f"{'met' if mem['growth_mb'] <= 60 else 'MISSED'} ({mem['routes']} routes)")

    with make_ns(ns_name("burst")) as ns:
        ip_batch(ns, veth_lines("va", "vb"))
        batch = write_batch(os.path.join("/tmp", f"{ns}.batch"), route_lines(ROUTES, "va"))
        try:
            start = time.perf_counter()
            run_ip("-n", ns, "-batch", batch)
            alone = time.perf_counter() - start
            run_ip("-n", ns, "route", "flush", "dev", "va", "scope", "link")
            live = child("burst", ns, batch, "live")
            emit(f"cache: live during a {ROUTES}-route ip -batch",
                 {"median_s": live["seconds"], "peak_rss_kb": live["peak_kb"]},
                 {"median_s": alone},
                 note=f"{live['rate']:.0f} events/s applied; cache complete "
                      f"{live['seconds']:.2f}s after the batch began, ip done at "
                      f"{live['ip_s']:.2f}s; resyncs={live['resyncs']}")
            run_ip("-n", ns, "route", "flush", "dev", "va", "scope", "link")
            backlog = child("burst", ns, batch, "backlog")
            emit(f"cache: apply {ROUTES} queued route events",
                 {"median_s": backlog["seconds"], "peak_rss_kb": backlog["peak_kb"]},
                 note=f"{backlog['rate']:.0f} events/s applied; resyncs={backlog['resyncs']}")
        finally:
            os.unlink(batch)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        what, args = sys.argv[2], sys.argv[3:]
        result = child_memory(*args) if what == "memory" else child_burst(*args)
        print(json.dumps(result))
    else:
        main()
