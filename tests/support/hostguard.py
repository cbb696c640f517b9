"""The host state the session guard compares: `host_snapshot()` / `diff_snapshots()`."""

from __future__ import annotations

import difflib
import json
from typing import Any

from support.iporacle import ip, parse_json
from support.testns import netns_dir_state

# -- host snapshot ------------------------------------------------------------------------

_LINK_KEYS = ("ifindex", "ifname", "flags", "mtu", "address")
_ADDR_KEYS = ("family", "local", "address", "prefixlen", "scope", "label", "broadcast")
_ROUTE_VOLATILE = ("expires", "used", "cache")  # ticking timers, not configuration


def _host_json(*args: str) -> Any:
    # read-only queries of the host namespace, used only by the session guard
    return parse_json(ip("-j", *args))


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
