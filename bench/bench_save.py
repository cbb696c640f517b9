"""`nlshell save` and `nlshell apply` of a big namespace, against `ip`:

1. save: `nlshell -n NS save` of a namespace with BENCH_LINKS links (veth pairs, each end
   with an address) and BENCH_ROUTES routes (in two tables), against the `ip` dumps a
   hand-made save needs (`ip -d link show`, `ip addr show`, `ip route show table all`).
2. the saved file run onto an empty namespace: `nlshell -b FILE` and `nlshell apply FILE`
   (which also builds the desired state in a scratch namespace, then diffs), each against
   `ip -batch FILE` of the same lines. Each run gets a fresh namespace.

    BENCH_LINKS=N (default 1000), BENCH_ROUTES=N (default 100000)
"""

from __future__ import annotations

import os
import subprocess
import tempfile

from common import (
    ENV,
    emit,
    fresh_ns_runs,
    ip_batch,
    make_ns,
    nlshell_argv,
    ns_name,
    run_ip,
    timed_process,
)

LINKS = int(os.environ.get("BENCH_LINKS", "1000"))
ROUTES = int(os.environ.get("BENCH_ROUTES", "100000"))


def setup_lines() -> list[str]:
    lines = []
    for i in range(LINKS // 2):
        a, b = f"s{i}a", f"s{i}b"
        lines += [f"link add {a} type veth peer name {b}", f"link set {a} up",
                  f"link set {b} up", f"addr add 10.{i >> 8 & 255}.{i & 255}.1/24 dev {a}"]
    for i in range(ROUTES):
        n = 0x40000000 + (i << 8)
        table = 100 + i % 2
        lines.append(f"route add {n >> 24}.{n >> 16 & 255}.{n >> 8 & 255}.0/24 "
                     f"via 10.0.0.2 table {table}")
    return lines


def routes_there(ns: str) -> None:
    text = run_ip("-n", ns, "route", "show", "table", "all")
    if text.count(" via 10.0.0.2") < ROUTES:
        raise RuntimeError("routes missing")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "saved.nl")
        save(path)
        run_file(path)


def save(path: str) -> None:
    with make_ns(ns_name("save")) as ns:
        ip_batch(ns, setup_lines())
        ours = timed_process(nlshell_argv("-n", ns, "save"), runs=3, warmup=1)
        script = (f"ip -n {ns} -d link show >/dev/null; ip -n {ns} addr show >/dev/null; "
                  f"ip -n {ns} route show table all >/dev/null")
        ip = timed_process(["sh", "-c", script], runs=3, warmup=1)
        emit(f"save: {LINKS} links, {ROUTES} routes vs ip's dumps", ours, ip,
             note="ip: -d link, addr, route show table all (text to /dev/null)")
        with open(path, "w") as out:
            subprocess.run(nlshell_argv("-n", ns, "save"), stdout=out, check=True, env=ENV,
                           timeout=600)


def run_file(path: str) -> None:
    ip_b = fresh_ns_runs(lambda n: ["ip", "-n", n, "-batch", path], "svi", [], routes_there, 3)
    nl_b = fresh_ns_runs(lambda n: nlshell_argv("-n", n, "-b", path), "svb", [],
                         routes_there, 3)
    emit(f"save file onto an empty namespace: nlshell -b vs ip -batch ({ROUTES} routes)",
         nl_b, ip_b)
    nl_a = fresh_ns_runs(lambda n: nlshell_argv("-n", n, "apply", path), "sva", [],
                         routes_there, 3)
    emit(f"apply of the save file onto an empty namespace vs ip -batch ({ROUTES} routes)",
         nl_a, ip_b, note="apply runs the file once more in a scratch namespace, then diffs")


if __name__ == "__main__":
    main()
