"""Watch panes: event-to-screen latency, and the CPU an idle watch uses with 1,000 links.

The watch runs in a real terminal (a private tmux server, 160x48):

* latency: a link is added in the watched namespace (one netlink request from this process,
  no `ip` start-up in the figure) and tmux's screen is polled until the link's row shows.
  The figure includes one poll of tmux (`capture-pane`, a few ms). Goal: median <= 100 ms.
* idle CPU: 1,000 ifb links (made with `ip -batch`), the watch sampling their counters every
  second; user+system CPU of the watch process over BENCH_WATCH_IDLE_S seconds (default 10).
  Goal: <= 5 % of a core. Also: how long the watch took to show all 1,001 rows.

Env: BENCH_WATCH_EVENTS (default 20) links added for the latency figure.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time

from common import ENV, PYTHON, REPO, compile_nlshell, emit, ip_batch, make_ns, ns_name

EVENTS = int(os.environ.get("BENCH_WATCH_EVENTS", "20"))
IDLE_S = float(os.environ.get("BENCH_WATCH_IDLE_S", "10"))
LINKS = 1000
CLK_TCK = os.sysconf("SC_CLK_TCK")


class Tmux:
    """A private tmux server whose socket lives in a temporary directory."""

    def __init__(self, tag: str) -> None:
        self.dir = tempfile.mkdtemp(prefix=f"nlt-bench-watch-{tag}-")
        self.server = os.path.join(self.dir, "tmux.sock")

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", self.server, *args], capture_output=True,
                              text=True, timeout=30, check=True).stdout

    def start(self, argv: list[str]) -> int:
        """Run the watch in a 160x48 pane; its pid."""
        cmd = " ".join([PYTHON, "-m", "nlshell.shell.watch", *argv])
        subprocess.run(["tmux", "-S", self.server, "-f", "/dev/null", "new-session", "-d",
                        "-s", "w", "-x", "160", "-y", "48", f"cd {REPO} && exec {cmd}"],
                       check=True, env=ENV, timeout=30)
        return int(self("display", "-p", "-t", "w", "#{pane_pid}").strip())

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "w")

    def wait(self, text: str, timeout: float = 60.0, poll: float = 0.002) -> float:
        start = time.perf_counter()
        while text not in self.screen():
            if time.perf_counter() - start > timeout:
                raise RuntimeError(f"{text!r} did not show in {timeout}s:\n{self.screen()}")
            time.sleep(poll)  # leave the CPU to the watch and tmux between polls
        return time.perf_counter() - start

    def kill(self) -> None:
        subprocess.run(["tmux", "-S", self.server, "kill-server"], capture_output=True,
                       timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15 of stat)


def peak_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def bench_latency() -> None:
    from nlshell import IPRoute

    tmux = Tmux("lat")
    with make_ns(ns_name("watchlat")) as ns:
        try:
            pid = tmux.start(["links", "events", "-n", ns])
            tmux.wait(" links (")
            lat = []
            with IPRoute(netns=ns) as ipr:
                for i in range(EVENTS):
                    name = f"lat{i:03d}x"
                    start = time.perf_counter()
                    ipr.link("add", ifname=name, kind="ifb")
                    tmux.wait(f" {name} ", timeout=10)
                    lat.append(time.perf_counter() - start)
            rss = peak_rss_kb(pid)
        finally:
            tmux.kill()
    lat.sort()
    p90 = lat[int(0.9 * (len(lat) - 1))]
    med = statistics.median(lat)
    emit("watch: event-to-screen latency (link add -> row on screen)",
         {"median_s": med, "peak_rss_kb": rss},
         note=f"median {med * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms"
              f" over {len(lat)} links; includes one tmux capture-pane poll; goal <= 100 ms")


def bench_idle_cpu() -> None:
    tmux = Tmux("idle")
    with make_ns(ns_name("watchidle")) as ns:
        ip_batch(ns, [f"link add name ifb{i} type ifb" for i in range(LINKS)])
        try:
            start = time.perf_counter()
            pid = tmux.start(["links", "events", "-n", ns])
            shown = tmux.wait(f" links ({LINKS + 1})", poll=0.01)
            time.sleep(2.0)  # let start-up work settle
            t0, c0 = time.perf_counter(), cpu_ticks(pid)
            time.sleep(IDLE_S)
            t1, c1 = time.perf_counter(), cpu_ticks(pid)
            rss = peak_rss_kb(pid)
        finally:
            tmux.kill()
    share = (c1 - c0) / CLK_TCK / (t1 - t0)  # CPU seconds per wall second
    emit(f"watch: idle CPU, {LINKS} links, 1 s samples (CPU s per s)",
         {"median_s": share, "peak_rss_kb": rss},
         note=f"{share * 100:.2f} % of a core over {t1 - t0:.0f} s; goal <= 5 %; "
              f"all {LINKS + 1} rows on screen {shown:.2f} s after start "
              f"({time.perf_counter() - start:.0f} s total)")


def main() -> None:
    if shutil.which("tmux") is None:
        emit("watch: event-to-screen latency", None, note="skipped: needs tmux")
        return
    compile_nlshell()
    bench_latency()
    bench_idle_cpu()


if __name__ == "__main__":
    main()
