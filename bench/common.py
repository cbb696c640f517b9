"""Helpers every bench script uses.

A bench script (`bench/bench_*.py`) measures whole processes side by side — nlshell, `ip`,
and pyroute2 where installed — inside namespaces it creates and removes itself, and prints
one JSON line per result with `emit(...)`. `bench/run` collects the lines into one table.

Environment: BENCH_RUNS (default 5) timed runs per measurement, BENCH_WARMUP (default 1).

Children run with bytecode caching on, as an installed package would (PYTHONDONTWRITEBYTECODE
is dropped from their environment): call `compile_nlshell()` once at the start of a bench.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NETNS_DIR = "/run/netns"
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "1"))
PYTHON = sys.executable

# children import this checkout's nlshell, installed or not, and keep its bytecode cached
# (a session may set PYTHONDONTWRITEBYTECODE; an installed package has its .pyc files)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")]))
if REPO not in sys.path:  # benches that time nlshell in-process import this checkout too
    sys.path.insert(0, REPO)


def compile_nlshell() -> None:
    """Byte-compile this checkout's nlshell (as installing it would) before anything is
    timed, so no child pays for compiling; a no-op when the cache is up to date."""
    subprocess.run([PYTHON, "-m", "compileall", "-q", os.path.join(REPO, "nlshell")],
                   check=True, capture_output=True, env=ENV, timeout=600)


_SKIP = (".git", ".venv", "build", "dist", "__pycache__", "nlshell.egg-info", "out")


def _source_key() -> str:
    """A digest of the files an install copies (a new checkout gets a new venv)."""
    import hashlib

    digest = hashlib.sha256()
    for root, dirs, files in os.walk(REPO):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP and not d.startswith("."))
        if os.path.relpath(root, REPO).split(os.sep)[0] not in (".", "nlshell"):
            continue
        for name in sorted(files):
            if name.endswith((".py", ".toml")):
                path = os.path.join(root, name)
                digest.update(path.encode())
                with open(path, "rb") as f:
                    digest.update(f.read())
    return digest.hexdigest()[:16]


def installed_nlshell() -> str:
    """The `nlshell` console script of a REGULAR (non-editable) install of this checkout,
    as a user gets it: a wheel built from a copy of the tree, pip-installed (bytecode
    compiled, PYTHONDONTWRITEBYTECODE dropped) into its own venv under /tmp, made once per
    source digest."""
    import glob
    import shutil
    import tempfile

    venv = os.path.join(tempfile.gettempdir(), f"nlshell-bench-venv-{_source_key()}")
    script = os.path.join(venv, "bin", "nlshell")
    if os.path.exists(os.path.join(venv, "ready")):
        return script
    for old in glob.glob(os.path.join(tempfile.gettempdir(), "nlshell-bench-venv-*")):
        shutil.rmtree(old, ignore_errors=True)  # an older checkout's: not kept around
    env = {k: v for k, v in ENV.items() if k != "PYTHONPATH"}
    base = getattr(sys, "_base_executable", PYTHON)
    subprocess.run([base, "-m", "venv", venv], check=True, capture_output=True, env=env,
                   timeout=600)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(*_SKIP))
        # pip's ordinary install (its configured index): a wheel built in isolation, the
        # dependencies with it, bytecode compiled
        subprocess.run([os.path.join(venv, "bin", "python"), "-m", "pip", "install", "-q",
                        src], check=True, capture_output=True, env=env, timeout=600)
    subprocess.run([os.path.join(venv, "bin", "python"), "-m", "compileall", "-q", venv],
                   check=False, capture_output=True, env=env, timeout=600)
    open(os.path.join(venv, "ready"), "w").close()
    return script


def installed_env() -> dict[str, str]:
    """The environment for the installed venv's children: no PYTHONPATH (the checkout must
    not shadow the installed package), bytecode caching on."""
    return {k: v for k, v in ENV.items() if k != "PYTHONPATH"}


def _spawn(argv: Sequence[str], env: dict[str, str], stdin_path: str | None) -> int:
    # posix_spawn keeps the parent's own cost out of the measurement; output is discarded
    actions = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
    actions.append((os.POSIX_SPAWN_OPEN, 0, stdin_path or os.devnull, os.O_RDONLY, 0))
    return os.posix_spawnp(argv[0], list(argv), env, file_actions=actions)


def _run_once(argv: Sequence[str], env: dict[str, str], stdin_path: str | None) -> tuple[float, int]:
    start = time.perf_counter()
    pid = _spawn(argv, env, stdin_path)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {code}")
    return elapsed, usage.ru_maxrss  # ru_maxrss is in KiB on Linux


def timed_process(
    argv: Sequence[str],
    runs: int | None = None,
    warmup: int | None = None,
    env: dict[str, str] | None = None,
    stdin_path: str | None = None,
) -> dict[str, float]:
    """Run `argv` as a whole child process `warmup` + `runs` times; wall-clock stats of the
    timed runs and the largest peak RSS any of them reached. A non-zero exit raises."""
    runs = RUNS if runs is None else runs
    warmup = WARMUP if warmup is None else warmup
    env = ENV if env is None else env
    for _ in range(warmup):
        _run_once(argv, env, stdin_path)
    times, peak = [], 0
    for _ in range(max(runs, 1)):
        elapsed, rss = _run_once(argv, env, stdin_path)
        times.append(elapsed)
        peak = max(peak, rss)
    return summary(times, peak)


def summary(times: Sequence[float], peak_rss_kb: int) -> dict[str, float]:
    """The result of a measurement: median / min / max of `times` and the peak RSS."""
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "peak_rss_kb": peak_rss_kb,
    }


def python_argv(code: str) -> list[str]:
    """argv running `code` in this interpreter (which sees this checkout's nlshell)."""
    return [PYTHON, "-c", code]


def nlshell_argv(*args: str) -> list[str]:
    """argv of the `nlshell` command line of this checkout."""
    return [PYTHON, "-m", "nlshell", *args]


def have_pyroute2() -> bool:
    return importlib.util.find_spec("pyroute2") is not None


def have_nlshell_cli() -> bool:
    return os.path.exists(os.path.join(REPO, "nlshell", "cli.py"))


# -- namespaces ---------------------------------------------------------------------------


def ns_name(tag: str) -> str:
    """A namespace name unique to this bench process (nlt-* so test guards know it)."""
    return f"nlt-bench{os.getpid()}-{tag}"


def run_ip(*args: str, input: str | None = None) -> str:
    """`ip ARGS` (setup work, not timed); its stdout. A failure raises with ip's message."""
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, input=input, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def _mounts(path: str) -> int:
    with open("/proc/self/mountinfo") as f:
        return sum(1 for line in f if line.split()[4] == path)


def _netns_dir_state() -> tuple[bool, int]:
    return os.path.isdir(NETNS_DIR), _mounts(NETNS_DIR)


def _restore_netns_dir(before: tuple[bool, int]) -> None:
    # `ip netns add` creates and (possibly twice) mounts /run/netns; undo what it added
    # when nobody else uses the directory now
    existed, mounts = before
    if not os.path.isdir(NETNS_DIR) or os.listdir(NETNS_DIR):
        return
    for _ in range(10):  # bounded: each umount pops one stacked mount
        if _mounts(NETNS_DIR) <= mounts:
            break
        subprocess.run(["umount", NETNS_DIR], capture_output=True, timeout=30)
    if not existed:
        with contextlib.suppress(OSError):
            os.rmdir(NETNS_DIR)


@contextlib.contextmanager
def make_ns(name: str, lo_up: bool = True) -> Iterator[str]:
    """Create namespace `name` (lo up), yield it, delete it; /run/netns is left as found."""
    before = _netns_dir_state()
    run_ip("netns", "add", name)
    try:
        if lo_up:
            run_ip("-n", name, "link", "set", "lo", "up")
        yield name
    finally:
        try:
            run_ip("netns", "del", name)
        finally:
            _restore_netns_dir(before)


def del_ns(name: str) -> None:
    """Delete a namespace made outside `make_ns` (ignores one that is already gone)."""
    if os.path.exists(os.path.join(NETNS_DIR, name)):
        run_ip("netns", "del", name)


def ip_batch(ns: str, lines: Sequence[str], force: bool = False) -> None:
    """Feed `lines` to `ip -n NS -batch -` (setup work, not timed)."""
    run_ip("-n", ns, *(["-force"] if force else []), "-batch", "-", input="\n".join(lines) + "\n")


def write_batch(path: str, lines: Sequence[str]) -> str:
    """Write a batch file (for timing `ip -batch FILE` or `nlshell -b FILE`); returns path."""
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def veth_lines(name: str, peer: str) -> list[str]:
    """Batch lines for a veth pair `name`/`peer`, both up (what routes are added on)."""
    return [f"link add {name} type veth peer name {peer}", f"link set {name} up",
            f"link set {peer} up"]


def route_lines(count: int, dev: str) -> list[str]:
    """`route add` of `count` distinct /32s in 10.0.0.0/8 on `dev`."""
    return [f"route add 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32 dev {dev}"
            for i in range(count)]


def fresh_ns_runs(
    argv_of: Callable[[str], Sequence[str]],
    tag: str,
    setup: Sequence[str],
    check: Callable[[str], None],
    runs: int,
    warmup: int = 0,
) -> dict[str, float]:
    """`warmup` + `runs` whole-process runs of `argv_of(ns)`, each in a namespace of its own
    made with the batch lines `setup` and verified by `check(ns)` (which raises when the
    run did not do its work); `summary` of the timed runs (warm-up runs discarded)."""
    times, peak = [], 0
    for i in range(warmup + max(runs, 1)):
        with make_ns(ns_name(f"{tag}{i}")) as ns:
            ip_batch(ns, setup)
            result = timed_process(argv_of(ns), runs=1, warmup=0)
            try:
                check(ns)
            except RuntimeError as exc:
                raise RuntimeError(f"{tag}: {exc}") from exc
        if i >= warmup:
            times.append(result["median_s"])
            peak = max(peak, result["peak_rss_kb"])
    return summary(times, peak)


# -- results ------------------------------------------------------------------------------


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def emit(
    name: str,
    nlshell: dict[str, float] | None,
    ip: dict[str, float] | None = None,
    pyroute2: dict[str, float] | None = None,
    note: str = "",
) -> dict[str, Any]:
    """Print one result line (medians; ratios are nlshell / other, < 1 means nlshell is faster)."""
    def med(r: dict[str, float] | None) -> float | None:
        return round(r["median_s"], 5) if r else None

    row = {
        "name": name,
        "nlshell_s": med(nlshell),
        "ip_s": med(ip),
        "pyroute2_s": med(pyroute2),
        "ratio_ip": _ratio(med(nlshell), med(ip)),
        "ratio_pyroute2": _ratio(med(nlshell), med(pyroute2)),
        "peak_rss_mb": round(nlshell["peak_rss_kb"] / 1024, 1) if nlshell else None,
        "note": note,
    }
    print(json.dumps(row), flush=True)
    return row
