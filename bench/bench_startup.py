"""Start-up cost, measured as users get it: a REGULAR (non-editable) install of this
checkout in its own venv (`common.installed_nlshell`, bytecode compiled), its `nlshell`
script (scripts/nlshell) run as `nlshell -n NS -c 'link show'` (table, -j, -br) and as the
goal's own `nlshell -c 'link show'` (no -n: the links of the namespace it runs in, read
only), against that venv's bare `python -c pass`, `import nlshell` and `ip link show`.
Goal: <= 2x bare Python.

The runs are paired (python, then nlshell, in turn) so a busy moment hits both; the ratio
is the median of the pairs' ratios. BENCH_IMPORTS=1 also prints where the time goes (the
`-X importtime` tree of the command, slowest first; modules loaded with
importlib.import_module are not in it).
"""

from __future__ import annotations

import os
import statistics
import subprocess

from common import (
    PYTHON,
    RUNS,
    WARMUP,
    emit,
    have_pyroute2,
    installed_env,
    installed_nlshell,
    ip_batch,
    make_ns,
    ns_name,
    summary,
    timed_process,
    veth_lines,
)

SETUP = [*veth_lines("b0", "b1"), "addr add 192.0.2.1/24 dev b0"]


def paired(a: list[str], b: list[str], env: dict[str, str]) -> tuple[dict, dict, float]:
    """Alternate runs of `a` and `b`: their summaries and the median of b/a per pair."""
    ta, tb, ratios, peak_a, peak_b = [], [], [], 0, 0
    for i in range(WARMUP + max(RUNS, 1) * 2):  # twice the runs: each pair is one sample
        ra = timed_process(a, runs=1, warmup=0, env=env)
        rb = timed_process(b, runs=1, warmup=0, env=env)
        if i < WARMUP:
            continue
        ta.append(ra["median_s"])
        tb.append(rb["median_s"])
        ratios.append(rb["median_s"] / ra["median_s"])
        peak_a, peak_b = max(peak_a, ra["peak_rss_kb"]), max(peak_b, rb["peak_rss_kb"])
    return summary(ta, peak_a), summary(tb, peak_b), statistics.median(ratios)


def main() -> None:
    script = installed_nlshell()
    venv_python = os.path.join(os.path.dirname(script), "python")
    env = installed_env()
    bare_argv = [venv_python, "-c", "pass"]
    with make_ns(ns_name("startup")) as ns:
        ip_batch(ns, SETUP)
        ip_link = timed_process(["ip", "-n", ns, "link", "show"], env=env)
        bare, imported, ratio = paired(bare_argv, [venv_python, "-c", "import nlshell"], env)
        pr2 = None
        if have_pyroute2():
            pr2 = timed_process([PYTHON, "-c", "import pyroute2"], env=env)
        emit("startup: import nlshell vs ip link show", imported, ip_link, pr2,
             note=f"{ratio:.2f}x python -c pass ({bare['median_s'] * 1000:.1f} ms)")
        for label, args in (("link show (table)", ["-c", "link show"]),
                            ("-j link show", ["-j", "-c", "link show"]),
                            ("-br link show", ["-br", "-c", "link show"])):
            bare, ours, ratio = paired(bare_argv, [script, "-n", ns, *args], env)
            emit(f"startup: installed nlshell -c '{label}' vs ip link show", ours, ip_link,
                 note=f"{ratio:.2f}x python -c pass ({bare['median_s'] * 1000:.1f} ms); "
                      f"goal <= 2x")
        # the goal's own command: no -n, the links of the namespace nlshell runs in (read
        # only); -n adds entering the namespace (on Python < 3.12 through ctypes' C module)
        ip_host = timed_process(["ip", "link", "show"], env=env)
        bare, ours, ratio = paired(bare_argv, [script, "-c", "link show"], env)
        emit("startup: installed nlshell -c 'link show' (no -n) vs ip link show", ours,
             ip_host, note=f"{ratio:.2f}x python -c pass ({bare['median_s'] * 1000:.1f} ms); "
                           f"goal <= 2x")
        if os.environ.get("BENCH_IMPORTS"):
            print_imports(script, ns, env)


def print_imports(script: str, ns: str, env: dict[str, str]) -> None:
    """What the installed `nlshell -c 'link show'` imports, by cumulative time."""
    python = os.path.join(os.path.dirname(script), "python")
    proc = subprocess.run([python, "-X", "importtime", script, "-n", ns, "-c", "link show"],
                          capture_output=True, text=True, env=env, timeout=60)
    rows = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line[len("import time:"):].split("|")
            rows.append((int(cumulative), name.rstrip()))
    for cumulative, name in sorted(rows, reverse=True)[:30]:
        print(f"# import {cumulative / 1000:7.1f} ms  {name}")


if __name__ == "__main__":
    main()
