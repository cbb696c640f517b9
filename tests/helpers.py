"""Helpers shared by the tests.

- `sh(ns, ...)` / `ipj(ns, ...)`: run `ip -n NS ...` (text / parsed JSON); errors carry stderr.
- `temp_netns()`: a fresh network namespace `nlt-<pid>-<n>` with `lo` up, always deleted.
- `requires_root`: mark for tests that need CAP_NET_ADMIN (skips, but fails under CI=true).
- `host_snapshot()` / `diff_snapshots()`: the host state the session guard compares.

Tests never change the host's own namespace: `sh`/`ipj` refuse to run without a namespace.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import json
import os
import shlex
import subprocess
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

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
