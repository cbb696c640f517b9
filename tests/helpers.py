"""Helpers shared by the tests.

- `sh(ns, ...)` / `ipj(ns, ...)`: run `ip -n NS ...` (text / parsed JSON); errors carry stderr.
- `temp_netns()`: a fresh network namespace `nlt-<pid>-<n>` with `lo` up, always deleted.
- `requires_root`: mark for tests that need CAP_NET_ADMIN (skips, but fails under CI=true).
- `host_snapshot()` / `diff_snapshots()`: the host state the session guard compares.
- `batch(ns, text)`: `ip -n NS -batch -`; `ns_sysctl` / `no_dad`: sysctls inside a namespace;
  `process_in_ns()`: a process living in a namespace; `unused_ns_name()` / `created_ns()`:
  namespaces made by the code under test (nlshell's netns.create), always removed.
- `nl` / `ok` / `nlj` / `nl_batch` / `captured`: nlshell command lines run in-process in a
  namespace, output captured; `run_nlshell` / `nlshell_env`: nlshell as a child process.
- `add_veth(ipr)`: a veth pair made through IPRoute; `fd_count`, `run_threads`, `route_dsts`.

Tests never change the host's own namespace: `sh`/`ipj` refuse to run without a namespace.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import itertools
import json
import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # this checkout
NETNS_DIR = "/run/netns"
NS_PREFIX = f"nlt-{os.getpid()}-"  # names made by this test run (pid-tagged)
_counter = itertools.count(1)

# capability bits (linux/capability.h): netns add needs SYS_ADMIN, links need NET_ADMIN
_CAPS = {"CAP_NET_ADMIN": 12, "CAP_SYS_ADMIN": 21}

requires_root = pytest.mark.requires_root


class IpError(RuntimeError):
    """An `ip` command failed; the message holds the command line and its stderr."""

    def __init__(self, argv: Sequence[str], returncode: int, stderr: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr = stderr
        super().__init__(f"`{shlex.join(self.argv)}` exited {returncode}: {stderr.strip()}")


def _words(args: Sequence[Any]) -> list[str]:
    # sh(ns, "link set lo up") and sh(ns, "link", "set", "lo", "up") are the same
    if len(args) == 1 and isinstance(args[0], str):
        return shlex.split(args[0])
    return [str(a) for a in args]


def ip(*args: Any, ns: str | None = None, input: str | None = None) -> str:
    """Run `ip [-n NS] ARGS` and return stdout; raise IpError (with stderr) on failure."""
    argv = ["ip"] + (["-n", ns] if ns else []) + _words(args)
    proc = subprocess.run(argv, capture_output=True, text=True, input=input, timeout=60)
    if proc.returncode != 0:
        raise IpError(argv, proc.returncode, proc.stderr)
    return proc.stdout


def _need_ns(ns: str | None) -> str:
    if not ns or not isinstance(ns, str):
        raise ValueError(f"a test namespace name is required, got {ns!r}: tests never touch the host")
    return ns


def sh(ns: str, *args: Any, input: str | None = None) -> str:
    """Run `ip -n NS ARGS...` inside a test namespace; return stdout, raise IpError on failure."""
    return ip(*args, ns=_need_ns(ns), input=input)


def _parse_json(text: str) -> Any:
    text = text.strip()
    return json.loads(text) if text else []


def ipj(ns: str, *args: Any) -> Any:
    """Run `ip -n NS -j ARGS...` and return the parsed JSON ([] for empty output)."""
    return _parse_json(ip("-j", *_words(args), ns=_need_ns(ns)))


def batch(ns: str, text: str, *opts: str) -> str:
    """Feed `text` (newline-ended lines) to `ip -n NS [OPTS] -batch -`: test setup in one process."""
    return sh(ns, *opts, "-batch", "-", input=text)


# a namespace's usual test link: veth v0 (up, 192.0.2.1/24, 2001:db8:1::1/64) and its peer v1 (up)
VETH_V0 = """\
link add v0 type veth peer name v1
link set v0 up
link set v1 up
addr add 192.0.2.1/24 dev v0
addr add 2001:db8:1::1/64 dev v0 nodad
"""


def route_dsts(ns: str, *args: str) -> set[str]:
    """The destinations `ip -j [ARGS] route show` lists in `ns`."""
    return {r["dst"] for r in ipj(ns, *args, "route", "show")}


# -- privileges ---------------------------------------------------------------------------


def missing_caps() -> list[str]:
    """Capabilities the tests need that this process lacks (empty when root)."""
    try:
        with open("/proc/self/status") as f:
            eff = next(int(line.split()[1], 16) for line in f if line.startswith("CapEff:"))
    except (OSError, StopIteration, ValueError):
        eff = 0
    return [name for name, bit in _CAPS.items() if not eff >> bit & 1]


def need_privileges() -> None:
    """Skip the current test when not privileged; under CI (always root) fail instead."""
    missing = missing_caps()
    if not missing:
        return
    reason = f"needs root: network namespaces require {', '.join(missing)}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI runs as root, so this is a setup error)", pytrace=False)
    pytest.skip(reason)


# -- namespaces ---------------------------------------------------------------------------


def ns_exists(name: str) -> bool:
    return os.path.exists(os.path.join(NETNS_DIR, name))


def new_ns_name() -> str:
    """A namespace name unique to this run: nlt-<pid>-<counter>."""
    while True:
        name = f"{NS_PREFIX}{next(_counter)}"
        if not ns_exists(name):  # also safe if this module were imported twice
            return name


@contextlib.contextmanager
def temp_netns(lo_up: bool = True) -> Iterator[str]:
    """Create a fresh named namespace (lo up), yield its name, always delete it."""
    need_privileges()
    name = new_ns_name()
    ip("netns", "add", name)
    try:
        if lo_up:
            sh(name, "link", "set", "lo", "up")
        yield name
    finally:
        ip("netns", "del", name)


@contextlib.contextmanager
def unused_ns_name(suffix: str = "") -> Iterator[str]:
    """A fresh name of this run for a namespace the test itself makes; deleted afterwards
    if it exists then."""
    name = new_ns_name() + suffix
    try:
        yield name
    finally:
        if ns_exists(name):
            ip("netns", "del", name)


@contextlib.contextmanager
def created_ns() -> Iterator[str]:
    """A namespace made by nlshell's own `netns.create` (not by ip); removed afterwards
    (by netns.remove) unless the test already did."""
    from nlshell.engine import netns  # the code under test: imported only when used

    name = new_ns_name()
    netns.create(name)
    try:
        yield name
    finally:
        if os.path.lexists(os.path.join(NETNS_DIR, name)):
            netns.remove(name)


def ns_sysctl(ns: str, *settings: str, check: bool = True) -> None:
    """`sysctl -qw SETTING...` inside namespace `ns` (via `ip netns exec`)."""
    subprocess.run(["ip", "netns", "exec", _need_ns(ns), "sysctl", "-qw", *settings],
                   check=check, capture_output=not check, timeout=30)


def no_dad(ns: str) -> None:
    """IPv6 duplicate address detection off in `ns` for links made from now on: addresses
    (link-local ones too) are final at once, so dumps compared with each other agree."""
    ns_sysctl(ns, "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")


@contextlib.contextmanager
def process_in_ns(ns: str, seconds: int = 60) -> Iterator[int]:
    """A `sleep` living in namespace `ns` (started by `ip netns exec`); its pid, once it is
    in the namespace. Killed afterwards."""
    target = os.stat(os.path.join(NETNS_DIR, _need_ns(ns))).st_ino
    proc = subprocess.Popen(["ip", "netns", "exec", ns, "sleep", str(seconds)])
    try:
        deadline = time.monotonic() + 5
        # ip enters the namespace, then execs sleep in place (same pid)
        while not (os.stat(f"/proc/{proc.pid}/ns/net").st_ino == target
                   and os.readlink(f"/proc/{proc.pid}/exe").endswith("sleep")):
            if time.monotonic() > deadline:
                raise RuntimeError(f"`ip netns exec {ns} sleep` never entered the namespace")
            time.sleep(0.005)
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def mount_count(path: str) -> int:
    """How many mounts are stacked on `path` (`ip netns add` may mount /run/netns twice)."""
    try:
        with open("/proc/self/mountinfo") as f:
            return sum(1 for line in f if line.split()[4] == path)
    except OSError:
        return 0


def netns_dir_state() -> dict[str, Any]:
    """/run/netns as seen now; namespaces of other concurrent runs (foreign nlt-*) are listed apart."""
    exists = os.path.isdir(NETNS_DIR)
    names = sorted(os.listdir(NETNS_DIR)) if exists else []
    return {
        "exists": exists,
        "mounts": mount_count(NETNS_DIR),
        "entries": [n for n in names if not n.startswith("nlt-")],
        "ours": [n for n in names if n.startswith(NS_PREFIX)],
        "foreign": [n for n in names if n.startswith("nlt-") and not n.startswith(NS_PREFIX)],
    }


def cleanup_run_namespaces(before: dict[str, Any]) -> list[str]:
    """Delete this run's leftover namespaces and put /run/netns back as `before` found it.

    Returns human-readable notes (what was removed, what could not be restored).
    """
    notes: list[str] = []
    for name in netns_dir_state()["ours"]:
        try:
            ip("netns", "del", name)
            notes.append(f"removed leftover namespace {name}")
        except IpError as exc:
            notes.append(f"could not remove leftover namespace {name}: {exc}")
    now = netns_dir_state()
    if not now["exists"] or (before["exists"] and now["mounts"] <= before["mounts"]):
        return notes  # nothing of ours to undo
    if now["entries"] or now["foreign"]:
        notes.append(f"left {NETNS_DIR} in place: still used by {now['entries'] + now['foreign']}")
        return notes
    for _ in range(10):  # bounded: each umount pops one stacked mount
        if mount_count(NETNS_DIR) <= before["mounts"]:
            break
        subprocess.run(["umount", NETNS_DIR], capture_output=True, timeout=30)
    if not before["exists"]:
        try:
            os.rmdir(NETNS_DIR)
        except OSError as exc:
            notes.append(f"could not remove {NETNS_DIR}: {exc}")
    return notes


# -- host snapshot ------------------------------------------------------------------------

_LINK_KEYS = ("ifindex", "ifname", "flags", "mtu", "address")
_ADDR_KEYS = ("family", "local", "address", "prefixlen", "scope", "label", "broadcast")
_ROUTE_VOLATILE = ("expires", "used", "cache")  # ticking timers, not configuration


def _host_json(*args: str) -> Any:
    # read-only queries of the host namespace, used only by the session guard
    return _parse_json(ip("-j", *args))


def _stable(items: list[Any]) -> list[Any]:
    return sorted(items, key=lambda x: json.dumps(x, sort_keys=True))


def host_snapshot() -> dict[str, Any]:
    """The host's links, addresses, routes and /run/netns, minus counters and timers."""
    links = [{k: link.get(k) for k in _LINK_KEYS} for link in _host_json("link")]
    addrs = [
        {
            "ifname": link.get("ifname"),
            "addrs": _stable(
                [{k: a[k] for k in _ADDR_KEYS if k in a} for a in link.get("addr_info", [])]
            ),
        }
        for link in _host_json("addr")
    ]

    def routes(*family: str) -> list[Any]:
        rows = _host_json(*family, "route", "show", "table", "all")
        return _stable([{k: v for k, v in r.items() if k not in _ROUTE_VOLATILE} for r in rows])

    state = netns_dir_state()
    return {
        "link": _stable(links),
        "addr": _stable(addrs),
        "route": routes(),
        "route6": routes("-6"),
        "netns": {k: state[k] for k in ("exists", "mounts", "entries", "ours")},
        "_foreign": state["foreign"],  # not compared: other runs' namespaces come and go
    }


def diff_snapshots(before: dict[str, Any], after: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(errors, warnings): a unified diff per changed section of the host state.

    A change of /run/netns itself (exists / mounts) is only a warning while another run's
    nlt-* namespaces are present, since that run may have created it.
    """
    errors: list[str] = []
    warnings: list[str] = []
    shared = bool(before.get("_foreign") or after.get("_foreign"))
    for key in (k for k in before if not k.startswith("_")):
        old, new = before[key], after.get(key)
        if key == "netns" and shared and old.get("entries") == new.get("entries") and not new.get("ours"):
            if old != new:
                warnings.append(f"/run/netns changed while other test runs were active: {old} -> {new}")
            continue
        if old == new:
            continue
        diff = difflib.unified_diff(
            json.dumps(old, indent=1, sort_keys=True).splitlines(),
            json.dumps(new, indent=1, sort_keys=True).splitlines(),
            f"{key} before",
            f"{key} after",
            lineterm="",
        )
        errors.append("\n".join(diff))
    return errors, warnings


# -- nlshell run in-process ---------------------------------------------------------------


class Result(NamedTuple):
    """What nlshell lines did: exit status, stdout, stderr (compares equal to a tuple)."""

    code: int
    out: str
    err: str


class Captured:
    """A Context (inside `ns`, or where the test runs when None) whose output and errors go
    to strings, and a Runner on it."""

    def __init__(self, ns: str | None, **opts: Any) -> None:
        from nlshell.commands.context import Context, Options
        from nlshell.commands.runner import Runner

        self.out, self.err = io.StringIO(), io.StringIO()
        self.ctx = Context(netns=ns, opts=Options(**opts), out=self.out, err=self.err)
        self.runner = Runner(self.ctx)

    def result(self, code: int | None = None) -> Result:
        """(`code`, or the runner's status when None; stdout; stderr) so far."""
        status = self.runner.status if code is None else code
        return Result(status, self.out.getvalue(), self.err.getvalue())


@contextlib.contextmanager
def captured(ns: str | None, **opts: Any) -> Iterator[Captured]:
    """`Captured(ns, **opts)` (opts: Options fields), its Context closed afterwards."""
    cap = Captured(ns, **opts)
    try:
        yield cap
    finally:
        cap.ctx.close()


def nl(ns: str | None, *lines: str, **opts: Any) -> Result:
    """Run command lines one by one in-process (inside `ns` when given); the runner's
    final status, stdout and stderr."""
    with captured(ns, **opts) as cap:
        for line in lines:
            cap.runner.run_line(line)
    return cap.result()


def ok(ns: str | None, *lines: str, **opts: Any) -> str:
    """`nl(...)` that must succeed silently on stderr; its stdout."""
    res = nl(ns, *lines, **opts)
    assert (res.code, res.err) == (0, ""), f"{lines!r}: {res}"
    return res.out


def nlj(ns: str | None, line: str) -> Any:
    """The parsed JSON of `-j LINE` run in-process."""
    return json.loads(ok(ns, line, json=True))


def nl_batch(ns: str | None, text: str, source: str = "b", **opts: Any) -> Result:
    """Run `text` as a batch file named `source` in-process (Runner.run_lines)."""
    from nlshell.commands.runner import logical_lines

    with captured(ns, **opts) as cap:
        code = cap.runner.run_lines(logical_lines(io.StringIO(text), source))
    return cap.result(code)


# -- nlshell as a child process -----------------------------------------------------------


def nlshell_env(**extra: str) -> dict[str, str]:
    """This environment with the checkout first on PYTHONPATH (children import its nlshell),
    plus `extra`."""
    path = os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


def nlshell_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "nlshell", *args]


def run_nlshell(*args: str, input: str = "", env: dict[str, str] | None = None,
                wrapper: Sequence[str] = ()) -> subprocess.CompletedProcess:
    """Run `python -m nlshell ARGS` (after `wrapper`, e.g. `ip netns exec NS ...`) to the
    end: text stdout/stderr captured, `input` on stdin."""
    return subprocess.run([*wrapper, *nlshell_argv(*args)], capture_output=True, text=True,
                          input=input, timeout=60, env=nlshell_env() if env is None else env)


# -- IPRoute, threads, descriptors --------------------------------------------------------


def add_veth(ipr: Any, up: bool = True, address: str | None = None) -> int:
    """veth0 and its peer veth1 made through `ipr`; veth0 set up and given `address`/24
    when asked. veth0's index."""
    ipr.link("add", ifname="veth0", peer="veth1", kind="veth")
    idx = ipr.link_lookup(ifname="veth0")[0]
    if up:
        ipr.link("set", index=idx, state="up")
    if address:
        ipr.addr("add", index=idx, address=address, prefixlen=24)
    return idx


def fd_count() -> int:
    """Open file descriptors of this process (a leak check)."""
    return len(os.listdir("/proc/self/fd"))


def run_threads(threads: Sequence[threading.Thread], timeout: float = 60.0) -> bool:
    """Start `threads` and join them all within `timeout` seconds; True when none is left
    running (False: something deadlocked)."""
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() for t in threads)
