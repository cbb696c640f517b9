"""Soak: the shell and the watch panes open for minutes under flapping links and a route storm.

Issue 15 asks that fds, threads and memory stay flat after warm-up. In namespaces the bench
creates and removes itself:

* load (namespace LOAD): 250 veth pairs (500 links) set down and up in turn, and a route
  storm on a stable veth: thousands of /32s in 10.0.0.0/8 added then deleted, over and
  over, each half a round apart. Both run as `ip -force -batch FILE` children at a bounded
  pace (SOAK_ROUND_S), so two cores are busy but not starved.
* under test, in a real terminal (a private tmux server, HOME and XDG in a temporary
  directory): (a) `python -m nlshell -n LOAD`, which first does 200 `cd`s across 20
  namespaces and back to LOAD (cd phase), then sits in LOAD with its live cache; (b)
  `python -m nlshell watch links routes events -n LOAD`.
* every SOAK_INTERVAL seconds each process's fd count (/proc/PID/fd), thread count and RSS
  (/proc/PID/status) are sampled. The steady phase lasts SOAK_SECONDS; its first
  SOAK_WARMUP seconds are not judged. Verdict "flat" when, from the first sample after
  warm-up to the last, fds and threads moved by at most 2 and RSS grew by under 10 MB or
  under 10 %. The cd phase is reported on its own row: fds, threads and RSS before the
  cds, after the first 100 and after all 200 (what each namespace visited keeps open, and
  whether revisiting namespaces adds more; SOAK_CD_NAMESPACES=100 makes every cd of the
  first half enter a new namespace).

Rows: the cd phase (nlshell column: median seconds per `cd`, Enter to the next prompt,
including one tmux poll), one steady row per process (nlshell column: CPU seconds per
second over the steady phase; peak RSS column: the largest RSS sampled), and the load
produced.

Env: SOAK_SECONDS (default 600), SOAK_WARMUP (default min(60, 10 % of SOAK_SECONDS)),
SOAK_INTERVAL (default 5, at most SOAK_SECONDS / 15), SOAK_LINKS (default 500, even),
SOAK_ROUTES (routes per storm round, default 4000), SOAK_ROUND_S (default 2),
SOAK_CDS (default 200), SOAK_CD_NAMESPACES (default 20), SOAK_SAMPLES (a path: every
sample as JSON lines, for plotting).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from common import (
    ENV,
    PYTHON,
    compile_nlshell,
    emit,
    ip_batch,
    make_ns,
    ns_name,
    route_lines,
    veth_lines,
    write_batch,
)

SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
WARMUP = float(os.environ.get("SOAK_WARMUP", str(min(60.0, SECONDS / 10))))
INTERVAL = float(os.environ.get("SOAK_INTERVAL", str(max(1.0, min(5.0, SECONDS / 15)))))
LINKS = int(os.environ.get("SOAK_LINKS", "500"))
ROUTES = int(os.environ.get("SOAK_ROUTES", "4000"))
ROUND_S = float(os.environ.get("SOAK_ROUND_S", "2"))
CDS = int(os.environ.get("SOAK_CDS", "200"))
CD_NAMESPACES = int(os.environ.get("SOAK_CD_NAMESPACES", "20"))
SAMPLES_PATH = os.environ.get("SOAK_SAMPLES", "")

FD_TOLERANCE = 2  # fds and threads: unchanged within this many
RSS_TOLERANCE_MB = 10.0  # RSS: growth under this many MB ...
RSS_TOLERANCE_SHARE = 0.10  # ... or under this share of the first sample is flat
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(text: str) -> None:
    print(f"soak: {text}", file=sys.stderr, flush=True)


# --- the terminal ----------------------------------------------------------------------------


class Tmux:
    """A private tmux server (socket in a temporary directory that is also HOME and XDG)."""

    def __init__(self, tmp: str) -> None:
        self.tmp = tmp
        self.server = os.path.join(tmp, "tmux.sock")
        self.env = {**ENV, "HOME": tmp, "XDG_STATE_HOME": os.path.join(tmp, "state"),
                    "XDG_DATA_HOME": os.path.join(tmp, "data"),
                    "XDG_CONFIG_HOME": os.path.join(tmp, "config")}
        self.env.pop("NO_COLOR", None)
        self.pids: list[int] = []

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", self.server, *args], capture_output=True,
                              text=True, timeout=30, check=True).stdout

    def start(self, session: str, argv: list[str], width: int, height: int) -> int:
        """Run `argv` (exec'd, so the pane's pid is its own) in a new session; its pid."""
        script = f"cd {shlex.quote(self.tmp)} && exec {shlex.join(argv)}"
        subprocess.run(["tmux", "-S", self.server, "-f", "/dev/null", "new-session", "-d",
                        "-s", session, "-x", str(width), "-y", str(height), script],
                       check=True, env=self.env, timeout=30)
        pid = int(self("display", "-p", "-t", session, "#{pane_pid}").strip())
        self.pids.append(pid)
        return pid

    def screen(self, session: str) -> str:
        return self("capture-pane", "-p", "-t", session)

    def send(self, session: str, text: str) -> None:
        self("send-keys", "-t", session, "-l", text)
        self("send-keys", "-t", session, "Enter")

    def wait(self, session: str, what: str, pred: Callable[[str], bool],
             timeout: float = 120.0, poll: float = 0.05) -> float:
        start = time.perf_counter()
        while True:
            text = self.screen(session)
            if pred(text):
                return time.perf_counter() - start
            if time.perf_counter() - start > timeout:
                raise RuntimeError(f"{session}: {what} did not show in {timeout:.0f}s:\n{text}")
            time.sleep(poll)

    def kill(self) -> None:
        """Stop the server (its panes get SIGHUP), then make sure the panes' processes end."""
        subprocess.run(["tmux", "-S", self.server, "kill-server"], capture_output=True,
                       timeout=30)
        deadline = time.monotonic() + 10
        for pid in self.pids:
            while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):  # still there after SIGHUP: this bench started it, end it
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def prompt_after(screen: str, marker: str, prompt: str) -> bool:
    """`prompt` (empty) on a line below the last line holding `marker`."""
    lines = screen.splitlines()
    idx = max((i for i, line in enumerate(lines) if marker in line), default=None)
    return idx is not None and any(line.rstrip() == prompt.rstrip() for line in lines[idx + 1:])


def prompt(ns: str) -> str:
    return f"nlshell:{ns}> "


# --- the load ----------------------------------------------------------------------------------


class Load:
    """Links flapping and a route storm in namespace `ns`, each an `ip -batch` loop in a
    thread of this process (the work is the children's; a thread only waits)."""

    def __init__(self, ns: str, tmp: str, links: list[str], dev: str) -> None:
        self.ns = ns
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.live: set[subprocess.Popen] = set()
        self.rounds = {"flap": 0, "storm": 0}
        self.lines = {"flap": 0, "storm": 0}
        self.failures: list[str] = []
        routes = route_lines(ROUTES, dev)
        batches = {
            "down": [f"link set {name} down" for name in links],
            "up": [f"link set {name} up" for name in links],
            "add": routes,
            "del": [line.replace("route add ", "route del ", 1) for line in routes],
        }
        self.files = {k: write_batch(os.path.join(tmp, f"{k}.batch"), v)
                      for k, v in batches.items()}
        self.sizes = {k: len(v) for k, v in batches.items()}
        self.threads = [
            threading.Thread(target=self._loop, args=("flap", "down", "up"), daemon=True),
            threading.Thread(target=self._loop, args=("storm", "add", "del"), daemon=True),
        ]
        self.started = 0.0
        self.ended = 0.0

    def start(self) -> None:
        self.started = time.perf_counter()
        for t in self.threads:
            t.start()

    def _run(self, kind: str, batch: str) -> None:
        proc = subprocess.Popen(["ip", "-n", self.ns, "-force", "-batch", self.files[batch]],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        with self.lock:
            self.live.add(proc)
        try:
            _, err = proc.communicate()
        finally:
            with self.lock:
                self.live.discard(proc)
        self.lines[kind] += self.sizes[batch]
        if proc.returncode != 0 and not self.stop_event.is_set() and len(self.failures) < 5:
            last = (err.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
            self.failures.append(f"{batch}: {last}")

    def _loop(self, kind: str, first: str, second: str) -> None:
        # each half round: one batch, then wait out the rest of the half (bounded pace)
        while not self.stop_event.is_set():
            for batch in (first, second):
                start = time.perf_counter()
                self._run(kind, batch)
                if self.stop_event.wait(max(0.05, ROUND_S / 2 - (time.perf_counter() - start))):
                    return
            self.rounds[kind] += 1

    def stop(self) -> None:
        if self.stop_event.is_set():
            return
        self.stop_event.set()
        self.ended = time.perf_counter()
        with self.lock:
            for proc in self.live:  # ip children this bench started
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()
        for t in self.threads:
            if t.is_alive():
                t.join(timeout=30)

    def summary(self) -> str:
        took = (self.ended or time.perf_counter()) - self.started
        return (f"{LINKS} links flapped {self.rounds['flap']} times "
                f"({self.lines['flap'] / took:.0f} link changes/s); route storm of {ROUTES} "
                f"routes added and deleted {self.rounds['storm']} times "
                f"({self.lines['storm'] / took:.0f} route changes/s), over {took:.0f} s")


# --- sampling -------------------------------------------------------------------------------


@dataclass
class Sample:
    t: float  # seconds since the steady phase began (negative: cd phase)
    fds: int
    threads: int
    rss_kb: int
    cpu_ticks: int


def sample(pid: int, t: float) -> Sample | None:
    """The process's figures now; None when it is gone."""
    try:
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        with open(f"/proc/{pid}/status") as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    if stat[0] == "Z":
        return None
    return Sample(t, fds, int(status["Threads"]), int(status["VmRSS"].split()[0]),
                  int(stat[11]) + int(stat[12]))  # utime + stime


def figures(s: Sample) -> str:
    return f"{s.fds} fds, {s.threads} threads, {s.rss_kb / 1024:.1f} MB"


def slope_mb_per_min(samples: list[Sample]) -> float:
    """Least-squares RSS trend over the samples, MB per minute."""
    if len(samples) < 2:
        return 0.0
    ts = [s.t for s in samples]
    rs = [s.rss_kb / 1024 for s in samples]
    mt, mr = statistics.fmean(ts), statistics.fmean(rs)
    den = sum((t - mt) ** 2 for t in ts)
    return 60 * sum((t - mt) * (r - mr) for t, r in zip(ts, rs, strict=True)) / den if den else 0.0


def verdict(first: Sample, last: Sample) -> str:
    growth = []
    if abs(last.fds - first.fds) > FD_TOLERANCE:
        growth.append(f"fds {last.fds - first.fds:+d}")
    if abs(last.threads - first.threads) > FD_TOLERANCE:
        growth.append(f"threads {last.threads - first.threads:+d}")
    rss = (last.rss_kb - first.rss_kb) / 1024
    if rss >= RSS_TOLERANCE_MB and rss >= RSS_TOLERANCE_SHARE * first.rss_kb / 1024:
        growth.append(f"RSS {rss:+.1f} MB")
    return "flat" if not growth else "GROWS (" + ", ".join(growth) + ")"


def steady_row(name: str, samples: list[Sample], died: bool) -> None:
    judged = [s for s in samples if s.t >= WARMUP]
    if not judged:
        emit(name, None, note=f"FAILED: no sample after the {WARMUP:.0f} s warm-up"
                              f"{' (the process died)' if died else ''}")
        return
    first, last = judged[0], judged[-1]
    peak_fds = max(s.fds for s in judged)
    peak_threads = max(s.threads for s in judged)
    peak_rss = max(s.rss_kb for s in judged)
    span = last.t - first.t
    cpu = (last.cpu_ticks - samples[0].cpu_ticks) / CLK_TCK / max(last.t - samples[0].t, 1e-9)
    result = "DIED" if died else verdict(first, last)
    emit(name, {"median_s": cpu, "peak_rss_kb": peak_rss},
         note=f"{result}: after warm-up ({WARMUP:.0f} s) first {figures(first)}; "
              f"last {figures(last)} ({span:.0f} s later); max {peak_fds} fds, "
              f"{peak_threads} threads, {peak_rss / 1024:.1f} MB; RSS trend "
              f"{slope_mb_per_min(judged):+.2f} MB/min; {len(judged)} samples every "
              f"{INTERVAL:.3g} s; CPU {cpu * 100:.1f} % of a core")


# --- the phases ---------------------------------------------------------------------------------


def cd(tmux: Tmux, here: str, there: str) -> float:
    """`cd THERE` typed at HERE's prompt; seconds from Enter to THERE's prompt."""
    line = f"cd {there}"
    marker, then = prompt(here) + line, prompt(there)
    tmux.send("shell", line)
    return tmux.wait("shell", f"the prompt after {line!r}",
                     lambda s: prompt_after(s, marker, then))


def cd_phase(tmux: Tmux, pid: int, load_ns: str, targets: list[str]) -> None:
    """CDS `cd`s from LOAD: to a namespace of `targets` (in turn), back to LOAD, and so on."""
    before = sample(pid, 0.0)
    half = None
    here, took = load_ns, []
    for i in range(CDS):
        there = targets[(i // 2) % len(targets)] if i % 2 == 0 else load_ns
        took.append(cd(tmux, here, there))
        here = there
        if i + 1 == CDS // 2:
            half = sample(pid, 0.0)
    if here != load_ns:
        cd(tmux, here, load_ns)
    after = sample(pid, 0.0)
    if before is None or half is None or after is None:
        raise RuntimeError("the shell died during the cd phase")
    visited = min(len(targets), (CDS + 1) // 2)
    per_ns = (after.fds - before.fds) / visited
    second_half = after.fds - half.fds, after.threads - half.threads
    bounded = abs(second_half[0]) <= FD_TOLERANCE and abs(second_half[1]) <= FD_TOLERANCE
    emit(f"soak: shell, {CDS} cd across {len(targets)} namespaces and back (s per cd)",
         {"median_s": statistics.median(took), "peak_rss_kb": after.rss_kb},
         note=f"before {figures(before)}; after {CDS // 2} cds {figures(half)}; after {CDS} "
              f"{figures(after)}: {after.fds - before.fds:+d} fds, "
              f"{after.threads - before.threads:+d} threads, "
              f"{(after.rss_kb - before.rss_kb) / 1024:+.1f} MB for {visited} namespaces "
              f"visited ({per_ns:.1f} fds each); last {CDS - CDS // 2} cds (namespaces "
              f"visited before) {second_half[0]:+d} fds {second_half[1]:+d} threads: "
              f"{'flat on revisits' if bounded else 'GROWS on revisits'}; "
              f"cd max {max(took) * 1000:.0f} ms")


def steady_phase(tmux: Tmux, pids: dict[str, int]) -> tuple[dict[str, list[Sample]], set[str]]:
    series: dict[str, list[Sample]] = {k: [] for k in pids}
    died: set[str] = set()
    start = time.perf_counter()
    next_log = start
    while True:
        t = time.perf_counter() - start
        for key, pid in pids.items():
            if key in died:
                continue
            s = sample(pid, t)
            if s is None:
                died.add(key)
                log(f"{key} (pid {pid}) died at {t:.0f} s")
            else:
                series[key].append(s)
        if time.perf_counter() >= next_log:
            log(f"{t:4.0f} s  " + "; ".join(f"{k} {figures(v[-1])}" for k, v in series.items()
                                            if v))
            next_log += 60
        if t >= SECONDS or len(died) == len(pids):
            return series, died
        time.sleep(max(0.0, min(INTERVAL, SECONDS - t) - (time.perf_counter() - start - t)))


def alive_check(tmux: Tmux, load_ns: str) -> str:
    """The shell answers `pwd` and the watch still draws: one line saying so."""
    p = prompt(load_ns)
    tmux.send("shell", "pwd")
    waited = tmux.wait("shell", "the prompt after pwd",
                       lambda s: prompt_after(s, p + "pwd", p), timeout=120)
    screen = tmux.screen("watch")
    watch_ok = " links (" in screen and " routes (" in screen
    return (f"shell answered pwd in {waited * 1000:.0f} ms; watch panes "
            f"{'on screen' if watch_ok else 'NOT on screen'}")


# --- the bench ----------------------------------------------------------------------------------


def soak(stack: contextlib.ExitStack) -> None:
    tmp = tempfile.mkdtemp(prefix="nlt-bench-soak-")
    stack.callback(shutil.rmtree, tmp, ignore_errors=True)
    load_ns = stack.enter_context(make_ns(ns_name("load")))
    targets = [stack.enter_context(make_ns(ns_name(f"cd{i:02d}"))) for i in range(CD_NAMESPACES)]

    pairs = LINKS // 2
    flapping = [name for i in range(pairs) for name in (f"fl{i}a", f"fl{i}b")]
    ip_batch(load_ns, [*veth_lines("st0", "st1"),
                       *(line for i in range(pairs) for line in veth_lines(f"fl{i}a", f"fl{i}b"))])
    log(f"{load_ns}: {len(flapping)} links to flap, routes on st0; {len(targets)} cd targets")

    load = Load(load_ns, tmp, flapping, "st0")
    stack.callback(load.stop)
    load.start()

    tmux = Tmux(tmp)
    stack.callback(tmux.kill)
    shell = tmux.start("shell", [PYTHON, "-m", "nlshell", "-n", load_ns], 120, 40)
    watch = tmux.start("watch", [PYTHON, "-m", "nlshell", "watch", "links", "routes", "events",
                                 "-n", load_ns], 160, 48)
    tmux.wait("shell", "the first prompt", lambda s: prompt(load_ns).rstrip() in s)
    tmux.wait("watch", "the panes", lambda s: " links (" in s and " routes (" in s)
    log(f"shell pid {shell}, watch pid {watch}; cd phase: {CDS} cds")

    cd_start = time.perf_counter()
    cd_phase(tmux, shell, load_ns, targets)
    log(f"cd phase done in {time.perf_counter() - cd_start:.0f} s; steady phase {SECONDS:.0f} s "
        f"(warm-up {WARMUP:.0f} s, samples every {INTERVAL:.3g} s)")

    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    series, died = steady_phase(tmux, {"shell": shell, "watch": watch})
    alive = alive_check(tmux, load_ns) if not died else f"died: {', '.join(sorted(died))}"
    load.stop()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)

    if SAMPLES_PATH:
        with open(SAMPLES_PATH, "w") as f:
            for key, samples in series.items():
                f.writelines(json.dumps({"process": key, **asdict(s)}) + "\n" for s in samples)

    steady_row(f"soak: shell sitting in the load namespace, {SECONDS:.0f} s (CPU s per s)",
               series["shell"], "shell" in died)
    steady_row(f"soak: watch links routes events, {SECONDS:.0f} s (CPU s per s)",
               series["watch"], "watch" in died)
    ip_cpu = (children.ru_utime + children.ru_stime
              - children_before.ru_utime - children_before.ru_stime)
    emit("soak: load (flapping links, route storm)", None,
         note=f"{load.summary()}; ip children used {ip_cpu / SECONDS * 100:.0f} % of a core "
              f"in the steady phase; load average {os.getloadavg()[0]:.2f}; {alive}"
              + (f"; ip failures: {load.failures}" if load.failures else ""))


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the cleanup below


def main() -> None:
    if shutil.which("tmux") is None:
        emit("soak: shell and watch under load", None, note="skipped: needs tmux")
        return
    if SECONDS <= WARMUP:
        raise SystemExit(f"SOAK_SECONDS ({SECONDS:g}) must be longer than SOAK_WARMUP "
                         f"({WARMUP:g})")
    compile_nlshell()
    stack = contextlib.ExitStack()
    atexit.register(stack.close)  # a second line of defence; close() runs its callbacks once
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit_on_signal)
    # Ctrl-C unwinds too, even when started from a shell that ignores SIGINT (`cmd &`)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        soak(stack)
    finally:
        # cleanup must finish: a second Ctrl-C or SIGTERM must not cut it short
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        stack.close()


if __name__ == "__main__":
    main()
