"""Test namespaces and privileges.

- `temp_netns()`: a fresh network namespace `nlt-<pid>-<n>` with `lo` up, always deleted.
- `requires_root`: mark for tests that need CAP_NET_ADMIN (skips, but fails under CI=true).
- `ns_sysctl` / `no_dad`: sysctls inside a namespace; `process_in_ns()`: a process living in a
  namespace; `unused_ns_name()` / `created_ns()`: namespaces made by the code under test
  (nlshell's netns.create), always removed.
- `netns_dir_state()` / `cleanup_run_namespaces()`: /run/netns as the session guard sees it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from support.iporacle import IpError, batch, ip, need_ns, sh
from support.wait import DEADLINE

NETNS_DIR = "/run/netns"
NS_PREFIX = f"nlt-{os.getpid()}-"  # names made by this test run (pid-tagged)
_counter = itertools.count(1)

# capability bits (linux/capability.h): netns add needs SYS_ADMIN, links need NET_ADMIN
_CAPS = {"CAP_NET_ADMIN": 12, "CAP_SYS_ADMIN": 21}

requires_root = pytest.mark.requires_root


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
def netns_with(setup: str) -> Iterator[str]:
    """A fresh namespace (lo up) set up by `setup`, an `ip -batch` text; its name. Deleted
    afterwards (the rich namespaces of module-scoped fixtures)."""
    with temp_netns() as name:
        batch(name, setup)
        yield name


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
    subprocess.run(["ip", "netns", "exec", need_ns(ns), "sysctl", "-qw", *settings],
                   check=check, capture_output=not check, timeout=30)


def no_dad(ns: str) -> None:
    """IPv6 duplicate address detection off in `ns` for links made from now on: addresses
    (link-local ones too) are final at once, so dumps compared with each other agree."""
    ns_sysctl(ns, "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")


@contextlib.contextmanager
def process_in_ns(ns: str, seconds: int = 60) -> Iterator[int]:
    """A `sleep` living in namespace `ns` (started by `ip netns exec`); its pid, once it is
    in the namespace. Killed afterwards."""
    target = os.stat(os.path.join(NETNS_DIR, need_ns(ns))).st_ino
    proc = subprocess.Popen(["ip", "netns", "exec", ns, "sleep", str(seconds)])
    try:
        deadline = time.monotonic() + DEADLINE
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


def run_dir() -> tuple[bool, list[str]]:
    """/run/netns as a test may change it: whether it exists and its names, other test runs'
    namespaces (nlt-* but not this run's) left out, since they come and go meanwhile."""
    from nlshell.engine import netns  # the code under test: imported only when used

    return os.path.isdir(NETNS_DIR), [n for n in netns.listnetns()
                                      if not n.startswith("nlt-") or n.startswith(NS_PREFIX)]


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
