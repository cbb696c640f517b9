"""Opening namespaces: 100 x (open a namespace + dump its links).

nlshell's NetNS (a thread enters the namespace, makes the socket, ends) against pyroute2's
NetNS (when installed) and, for reference, `ip -n NS link show` run 100 times. Two rows:

- whole process: interpreter start-up and imports included (what a script pays);
- loop only: the 100 rounds timed inside the child, start-up excluded (what a long-running
  program, like the shell switching contexts, pays).

The goal is nlshell <= 0.25x pyroute2.
"""

from __future__ import annotations

import subprocess

from common import (
    ENV,
    RUNS,
    WARMUP,
    compile_nlshell,
    emit,
    have_pyroute2,
    ip_batch,
    make_ns,
    ns_name,
    python_argv,
    summary,
    timed_process,
)

ROUNDS = 100

# {cls} is imported by {imp}; the child prints the seconds its rounds took and its peak RSS
LOOP = """
import resource, time
{imp}
def once():
    with {cls}({ns!r}) as ns:
        links = ns.get_links()
    assert len(links) == 3, links
once()  # warm: first-use imports are start-up, not the loop
start = time.perf_counter()
for _ in range({rounds}):
    once()
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

NLSHELL = {"imp": "from nlshell import NetNS", "cls": "NetNS"}
PYROUTE2 = {"imp": "from pyroute2 import NetNS", "cls": "NetNS"}


def code(lib: dict[str, str], ns: str) -> str:
    return LOOP.format(ns=ns, rounds=ROUNDS, **lib)


def loop_only(lib: dict[str, str], ns: str) -> dict[str, float]:
    """Median (etc.) of the in-child loop time over RUNS runs, after WARMUP runs."""
    times, peak = [], 0
    for i in range(WARMUP + max(RUNS, 1)):
        out = subprocess.run(python_argv(code(lib, ns)), capture_output=True, text=True,
                             env=ENV, stdin=subprocess.DEVNULL, timeout=600)
        if out.returncode != 0:
            raise RuntimeError(f"{lib['imp']}: {out.stderr.strip().splitlines()[-1:]}")
        if i >= WARMUP:
            elapsed, rss = out.stdout.split()[-2:]
            times.append(float(elapsed))
            peak = max(peak, int(rss))
    return summary(times, peak)


def ip_loop(ns: str) -> list[str]:
    # one shell running `ip` ROUNDS times: the shell's own cost is a few ms in total
    script = (f'i=0; while [ "$i" -lt {ROUNDS} ]; do ip -n "$0" link show >/dev/null'
              ' || exit 1; i=$((i+1)); done')
    return ["sh", "-c", script, ns]


def main() -> None:
    compile_nlshell()
    with make_ns(ns_name("netns")) as ns:
        ip_batch(ns, ["link add nlb0 type veth peer name nlb1"])
        pr2 = have_pyroute2()
        skipped = "" if pr2 else "; pyroute2 not installed: skipped"

        ours = timed_process(python_argv(code(NLSHELL, ns)))
        theirs = timed_process(python_argv(code(PYROUTE2, ns))) if pr2 else None
        ip_ref = timed_process(ip_loop(ns))
        emit(f"netns: {ROUNDS} x (NetNS open + link dump), whole process", ours, ip_ref,
             theirs, note=f"ip = `ip -n NS link show` x{ROUNDS}{skipped}")

        ours = loop_only(NLSHELL, ns)
        theirs = loop_only(PYROUTE2, ns) if pr2 else None
        per_open = f"{ours['median_s'] / ROUNDS * 1e3:.2f} ms/open"
        if theirs:
            per_open += f" vs pyroute2 {theirs['median_s'] / ROUNDS * 1e3:.2f} ms/open"
        emit(f"netns: {ROUNDS} x (NetNS open + link dump), loop only", ours, ip_ref, theirs,
             note=f"{per_open}; interpreter start-up excluded{skipped}")


if __name__ == "__main__":
    main()
