"""Completion speed: `suggest()` and `roles()` per call with 1,000 links in the provider.

In-process timing (no kernel): the target is < 2 ms per call, so that completion and
colouring never lag a keystroke. Uses the real grammar (the registry every reader uses).

    python3 bench/bench_suggest.py      (or bench/run suggest)
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE)]

from nlshell.commands.grammar import REGISTRY  # noqa: E402
from nlshell.commands.suggest import StaticProvider, roles, suggest  # noqa: E402

try:
    from common import emit  # noqa: E402
except ImportError:  # pragma: no cover - run from elsewhere
    emit = None

LINKS = 1000
CALLS = 300
TARGET_S = 0.002

PROVIDER = StaticProvider(
    links=[(f"veth{i}", i + 2, "UP" if i % 3 else "DOWN") for i in range(LINKS)],
    netns=[f"ns{i}" for i in range(50)],
    addresses={f"veth{i}": [f"10.{i // 250}.{i % 250}.1/24"] for i in range(LINKS)},
    routes=[f"10.{i // 250}.{i % 250}.0/24" for i in range(LINKS)],
    tables=[("main", "254"), (100, "custom")],
)

CASES = [
    ("suggest", "link set dev "),  # every name
    ("suggest", "link set dev veth1"),  # a prefix
    ("suggest", "link set dev 1"),  # indexes
    ("suggest", "link set veth7 "),  # keywords
    ("suggest", "route add 10/8 nexthop via 192.0.2.1 dev veth12 weight 2 nexthop via 192.0.2.2 dev v"),
    ("suggest", "a del dev veth5 "),
    ("suggest", "route del "),  # 1,000 routes
    ("roles", "route add 10/8 nexthop via 192.0.2.1 dev veth12 weight 2 nexthop via 192.0.2.2 dev veth999"),
]


def measure(kind: str, line: str) -> tuple[float, float, int]:
    fn = suggest if kind == "suggest" else roles
    count = len(fn(line, PROVIDER, REGISTRY))  # warm-up (also loads lazily compiled scopes)
    times = []
    for _ in range(CALLS):
        start = time.perf_counter()
        fn(line, PROVIDER, REGISTRY)
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times), count


def main() -> int:
    worst = 0.0
    for kind, line in CASES:
        median, slowest, count = measure(kind, line)
        worst = max(worst, median)
        print(f"{kind}({line!r}): median {median * 1e3:.3f} ms, max {slowest * 1e3:.3f} ms, "
              f"{count} results", file=sys.stderr)
        if emit is not None:
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            emit(f"{kind} per call, {LINKS} links: {line[:40]}",
                 {"median_s": median, "peak_rss_kb": rss}, note=f"{count} results; target < 2 ms")
    verdict = "OK" if worst < TARGET_S else "SLOW"
    print(f"worst median {worst * 1e3:.3f} ms (target < {TARGET_S * 1e3:.0f} ms): {verdict}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
