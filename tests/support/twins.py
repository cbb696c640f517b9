"""Twin namespaces: the same command line run by `ip` in one and by nlshell in the other,
then the two namespaces' state compared through `ip -j` (the independent oracle).

- `twin_pair(setup)`: two fresh namespaces (lo up) both set up by the same `ip -batch`
  text; yields (ns_ip, ns_nl); always deleted.
- `run_ip_line(ns, line)` / `run_nl_line(ns, line)`: one line (ip's words, without `ip`;
  leading options allowed) -> (exit status, stderr).
- `state(ns)`: links, addresses, routes, neighbours, rules and nexthops of `ns` as `ip -j -d`
  shows them, with what differs by nature masked (random MACs and what derives from them,
  counters, timers, count-down lifetimes).
- `wait_equal(a, b)`: polls until the two states are equal (links settle asynchronously:
  carrier, DAD), failing with the first difference after a generous deadline.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from support.iporacle import batch
from support.nlrun import nl
from support.testns import temp_netns
from support.wait import DEADLINE

# what differs between two namespaces by nature, not by what a command did
_MASKED_KEYS = frozenset({
    "stats", "stats64", "link_netnsid",
    "bridge_id", "root_id", "designated_root", "designated_bridge",
    "hello_timer", "tcn_timer", "topology_change_timer", "gc_timer", "mcast_router_timer",
    "message_age_timer", "forward_delay_timer", "hold_timer", "last_used", "used",
    "confirmed", "updated", "expires", "valid_life_time", "preferred_life_time",
    "inet6_addr_gen_mode_token", "mcast_querier_state_ipv4", "mcast_querier_state_ipv6",
    "probes", "parentbus", "parentdev",
})
_LIFETIME_KEYS = ("valid_life_time", "preferred_life_time")
# MACs the kernel picks at random are masked; the cases give theirs as 02:aa:... to keep them
_MAC_KEYS = frozenset({"address", "permaddr"})
KEPT_MAC = "02:aa:"

# what `state` dumps: (name, ip -batch line) run by one `ip -j -d -batch` (two processes per
# state instead of eight: the cases are many), and IPv6 rules by `ip -6 -j rule show`
_DUMPS = (
    ("link", "link show"),
    ("addr", "address show"),
    ("route", "route show table all"),  # in a batch: both families
    ("neigh", "neigh show"),
    ("rule4", "rule show"),
    ("nexthop", "nexthop show"),
)


@contextlib.contextmanager
def twin_pair(setup: str = "") -> Iterator[tuple[str, str]]:
    """Two fresh namespaces set up alike by the `ip -batch` text `setup`."""
    with temp_netns() as first, temp_netns() as second:
        if setup.strip():
            batch(first, setup)
            batch(second, setup)
        yield first, second


def run_ip_line(ns: str, line: str) -> tuple[int, str]:
    """`ip -n NS LINE`: its exit status and stderr."""
    words = shlex.split(line)
    proc = subprocess.run(["ip", "-n", ns, *words], capture_output=True, text=True,
                          timeout=60)
    return proc.returncode, proc.stderr


def run_nl_line(ns: str, line: str) -> tuple[int, str]:
    """The same line run by nlshell (in-process, inside NS): its exit status and stderr."""
    res = nl(ns, line)
    return res.code, res.err


def _ip_json(ns: str, args: list[str], text: str = "") -> list[Any]:
    """`ip -n NS -j ARGS` (a batch when `text` is given): one JSON value per output line."""
    proc = subprocess.run(["ip", "-n", ns, "-j", *args], input=text, capture_output=True,
                          text=True, timeout=60)
    if proc.returncode != 0:
        raise AssertionError(f"ip {' '.join(args)} failed: {proc.stderr.strip()}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def _dumps(ns: str) -> dict[str, Any]:
    got = _ip_json(ns, ["-d", "-batch", "-"], "".join(line + "\n" for _n, line in _DUMPS))
    if len(got) != len(_DUMPS):
        raise AssertionError(f"ip -batch printed {len(got)} dumps, not {len(_DUMPS)}")
    out = {name: value for (name, _line), value in zip(_DUMPS, got, strict=True)}
    out["rule6"] = _ip_json(ns, ["-6", "rule", "show"])[0]
    return out


def _is_link_local(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith("fe80:") and value != "fe80::"


def _masked(value: Any) -> Any:
    """`value` without what differs by nature (see _MASKED_KEYS), link-local IPv6
    addresses (derived from random MACs) left out."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in _MASKED_KEYS:
                if key in _LIFETIME_KEYS and item == 4294967295:
                    out[key] = "forever"  # forever is a fact; a count-down is not
                continue
            if key in _MAC_KEYS and isinstance(item, str) and _random_mac(item):
                out[key] = "<random mac>"
                continue
            out[key] = _masked(item)
        return out
    if isinstance(value, list):
        return [_masked(v) for v in value if not _link_local_entry(v)]
    return value


def _random_mac(text: str) -> bool:
    return text.count(":") == 5 and not text.startswith(KEPT_MAC) and \
        text not in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff")


def _link_local_entry(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    return _is_link_local(entry.get("local")) or _is_link_local(entry.get("dst"))


def state(ns: str) -> dict[str, Any]:
    """What `ip -j -d` shows of `ns`, masked; each dump's entries in a canonical order
    (entries equal but for the device, like the two ends of a veth pair's `ff00::/8`,
    come in the order their links came up, which is timing)."""
    return {name: sorted(_masked(got), key=lambda e: json.dumps(e, sort_keys=True))
            for name, got in _dumps(ns).items()}


def first_difference(a: Any, b: Any, path: str = "") -> str:
    """A readable path to the first place `a` and `b` differ ('' when equal)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in b:
                return f"{path}.{key}: only in ip's namespace: {a[key]!r}"
            if key not in a:
                return f"{path}.{key}: only in nlshell's namespace: {b[key]!r}"
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return ""
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} entries (ip) vs {len(b)} (nlshell): {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return ""
    return "" if a == b else f"{path}: {a!r} (ip) vs {b!r} (nlshell)"


def wait_equal(ns_ip: str, ns_nl: str, timeout: float = DEADLINE) -> None:
    """Poll both namespaces' state until equal; fail naming the first difference."""
    start = time.monotonic()
    while True:
        a, b = state(ns_ip), state(ns_nl)
        diff = first_difference(a, b)
        if not diff:
            return
        if time.monotonic() - start > timeout:
            pytest.fail(f"state differs after {timeout}s: {diff}", pytrace=False)
        time.sleep(0.05)


def assert_same_as_ip(setup: str, line: str) -> None:
    """`line` run by ip in one namespace set up by `setup` and by nlshell in its twin: both
    accept it and the two namespaces end alike (the check the twin test lists share)."""
    with twin_pair(setup) as (ns_ip, ns_nl):
        code, err = run_ip_line(ns_ip, line)
        assert code == 0, f"the case is wrong: ip refuses `{line}`: {err}"
        code, err = run_nl_line(ns_nl, line)
        assert code == 0, f"nlshell refuses `{line}` ({code}): {err}"
        wait_equal(ns_ip, ns_nl)
