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

With BENCH_CACHE_BIG=1 it measures the full-table case of issue 13 instead: a namespace
with BENCH_CACHE_V4 (1,000,000) IPv4 and BENCH_CACHE_V6 (200,000) IPv6 routes, and
- ready: `Cache(netns).close()` as a whole process against `ip -j route show table all`
  plus `ip -j -6 route show table all` (ip shows one family at a time). Goal: <= 5x.
- bytes per route: the RSS growth of a child from before the Cache opens to when it is
  ready, per route; and the bytes tracemalloc sees alive then (another child). Goal: <= 250.
- completion p99: whole completion requests (as bench_complete.py) on that cache.
  Goal: <= 10 ms.
- storm: the cache listening while `ip -batch` adds 100,000 more routes: resyncs. Goal: 0.
These take minutes (the setup alone adds 1.2M routes); run it once or twice, not in tests.
BENCH_CACHE_PARTS=ready,memory,complete,storm picks some of them.
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
    RUNS,
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
                         env=ENV, timeout=1800)
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


def child_traced(ns: str) -> dict:
    import gc
    import tracemalloc

    from nlshell.engine.cache import Cache

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    cache = Cache(netns=ns)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    top = tracemalloc.take_snapshot().statistics("lineno")[:8]
    routes = cache.counts()["routes"]
    cache.close()
    return {"held": held, "routes": routes,
            "top": [(str(s.traceback), round(s.size / routes, 1)) for s in top]}


def child_complete(ns: str) -> dict:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from nlshell.engine.cache import Cache
    from nlshell.shell.completer import NlshellCompleter
    from nlshell.shell.live import LiveIndex, ShellProvider, settle_heap

    lines = ["", "link set dev ", "route del ", "route del 10.1", "route del 10.1.200.",
             "route del 2001:db8:1:", "route add 10.0.0.0/8 via 192.0.2.1 dev v",
             "route show table "]
    with Cache(netns=ns) as cache:
        index = LiveIndex(cache, background=False)
        settle_heap()
        completer = NlshellCompleter(ShellProvider(lambda: index))
        event = CompleteEvent(completion_requested=True)
        times = []
        for line in lines:
            doc = Document(line)
            list(completer.get_completions(doc, event))  # warm-up
            for _ in range(100):
                t0 = time.perf_counter()
                list(completer.get_completions(doc, event))
                times.append(time.perf_counter() - t0)
        index.close()
    times.sort()
    return {"p99": times[int(0.99 * (len(times) - 1))], "max": times[-1], "n": len(times)}


def child_burst(ns: str, batch: str, mode: str, count: str = str(ROUTES)) -> dict:
    from nlshell.engine.cache import Cache

    rcvbuf = 256 << 20 if mode == "backlog" else None  # backlog: room for every event
    with Cache(netns=ns, rcvbuf=rcvbuf) as cache:
        target = cache.counts()["routes"] + int(count)
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
                "redumps": cache.redumps,
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


V4 = int(os.environ.get("BENCH_CACHE_V4", "1000000"))
V6 = int(os.environ.get("BENCH_CACHE_V6", "200000"))
STORM = 100000
PARTS = set(os.environ.get("BENCH_CACHE_PARTS", "ready,memory,complete,storm").split(","))


def big() -> None:
    """The full-table case (BENCH_CACHE_BIG=1): see the module docstring."""
    compile_nlshell()
    total = V4 + V6
    with make_ns(ns_name("cachebig")) as ns:
        ip_batch(ns, [*veth_lines("va", "vb"), "addr add 192.0.2.1/24 dev va",
                      "addr add 2001:db8:ffff::1/64 dev va"])
        for start in range(0, V4, 200000):  # in pieces: the batch text stays small
            ip_batch(ns, [
                f"route add 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32 dev va"
                for i in range(start, min(V4, start + 200000))])
        ip_batch(ns, [f"route add 2001:db8:{i >> 16:x}:{i & 0xffff:x}::/64 dev va"
                      for i in range(V6)])
        if "ready" in PARTS:
            big_ready(ns)
        if "memory" in PARTS:
            big_memory(ns)
        if "complete" in PARTS:
            comp = child("complete", ns)
            emit(f"cache: completion p99 with {total} routes",
                 {"median_s": comp["p99"], "peak_rss_kb": 0},
                 note=f"p99 of {comp['n']} requests (this row's time); max "
                      f"{comp['max'] * 1e3:.2f} ms; goal <= 10 ms: "
                      f"{'met' if comp['p99'] <= 0.010 else 'MISSED'}")
        if "storm" in PARTS:
            big_storm(ns, total)


def big_ready(ns: str) -> None:
    ready = timed_process(python_argv(
        f"from nlshell.engine.cache import Cache\nCache(netns={ns!r}).close()"),
        runs=min(RUNS, 3), warmup=0)
    ip4 = timed_process(["ip", "-n", ns, "-j", "route", "show", "table", "all"],
                        runs=min(RUNS, 3), warmup=0)
    ip6 = timed_process(["ip", "-n", ns, "-j", "-6", "route", "show", "table", "all"],
                        runs=min(RUNS, 3), warmup=0)
    both = {**ip4, "median_s": ip4["median_s"] + ip6["median_s"]}
    ratio = ready["median_s"] / both["median_s"]
    emit(f"cache: ready with {V4} IPv4 + {V6} IPv6 routes vs ip -j (-4 and -6) route "
         f"show table all", ready, both,
         note=f"{ratio:.2f}x; goal <= 5x: {'met' if ratio <= 5 else 'MISSED'}")


def big_memory(ns: str) -> None:
    mem = child("memory", ns)
    per = mem["growth_mb"] * 2**20 / mem["routes"]
    traced = child("traced", ns)
    per_traced = traced["held"] / traced["routes"]
    emit(f"cache: bytes per route, {mem['routes']} routes",
         {"median_s": mem["ready_s"], "peak_rss_kb": mem["growth_mb"] * 1024},
         note=f"(peak RSS column: the growth) RSS {per:.0f} bytes/route, tracemalloc "
              f"{per_traced:.0f} bytes/route; goal <= 250: "
              f"{'met' if per <= 250 else 'MISSED'}")
    for where, size in traced["top"]:
        print(f"# {size:7.1f} bytes/route  {where}")


def big_storm(ns: str, total: int) -> None:
    batch = write_batch(os.path.join("/tmp", f"{ns}.storm"), [
        f"route add 11.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32 dev va"
        for i in range(STORM)])
    try:
        live = child("burst", ns, batch, "live", str(STORM))
    finally:
        os.unlink(batch)
    emit(f"cache: {total} routes, live during a {STORM}-route ip -batch",
         {"median_s": live["seconds"], "peak_rss_kb": live["peak_kb"]},
         note=f"{live['rate']:.0f} events/s; resyncs={live['resyncs']} (goal 0), "
              f"re-dumps={live['redumps']}; complete={live['ok']}")


CHILDREN = {"memory": child_memory, "traced": child_traced, "complete": child_complete,
            "burst": child_burst}

if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        what, args = sys.argv[2], sys.argv[3:]
        print(json.dumps(CHILDREN[what](*args)))
    elif os.environ.get("BENCH_CACHE_BIG"):
        big()
    else:
        main()
