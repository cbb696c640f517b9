"""A rich namespace's configuration and its `ip -j` state, for the tests of atomic batches,
save, diff and apply: SETUP (veth, bridge with ports, vxlan, macvlan, ifb, addresses, routes
of several tables incl. multipath and blackhole, rules, permanent neighbours), MORE (a few
lines on top), dumps(ns) (what "the same state" means) and settled_equal (waits until a
namespace's dumps equal a wanted state, generous deadline)."""

from __future__ import annotations

import re
import time
from typing import Any

from support.iporacle import ipj
from support.wait import DEADLINE

SETUP = """\
link add v0 type veth peer name v1
link add v2 type veth peer name v3
link add br0 type bridge
link add ifb0 type ifb
link add vx0 type vxlan id 42 dstport 4789 local 192.0.2.1
link add mv0 link v0 type macvlan mode bridge
link set v3 master br0
link set v0 up
link set v1 up
link set v2 up
link set v3 up
link set br0 up
addr add 192.0.2.1/24 dev v0
addr add 198.51.100.1/24 dev v2
addr add 2001:db8:1::1/64 dev v0 nodad
addr add 2001:db8:2::1/64 dev v2 nodad
route add 10.9.0.0/16 dev v0
route add 10.8.0.0/16 via 198.51.100.2 table 100
route add 10.7.0.0/16 table 101 nexthop via 192.0.2.2 nexthop via 198.51.100.2
route add blackhole 10.6.0.0/16 table 101
route add 2001:db8:9::/48 via 2001:db8:2::2
rule add from 10.0.0.0/8 table 100 pref 200
rule add to 10.7.0.0/16 table 101 pref 300
neigh add 198.51.100.9 lladdr 02:00:00:00:00:09 dev v2 nud permanent
neigh add 2001:db8:2::9 lladdr 02:00:00:00:00:0a dev v2 nud permanent
"""

def _link(entry: dict) -> dict:
    keep = ("ifindex", "ifname", "flags", "mtu", "master", "link_type", "address",
            "link", "link_index")
    out = {k: entry.get(k) for k in keep}
    info = entry.get("linkinfo") or {}
    out["kind"] = info.get("info_kind")
    out["data"] = {k: v for k, v in (info.get("info_data") or {}).items()
                   if not k.endswith("_timer") and k not in ("fdb_n_learned",)}
    return out

def _addr(entry: dict) -> dict:
    return {"ifname": entry["ifname"], "addrs": sorted(
        (a["family"], a["local"], a["prefixlen"], a.get("scope"))
        for a in entry.get("addr_info", []))}

def _clean(items: list[Any], drop: tuple[str, ...] = ()) -> list[str]:
    return sorted(repr({k: v for k, v in sorted(i.items()) if k not in drop}) for i in items)

def dumps(ns: str) -> dict[str, Any]:
    """The namespace as `ip -j` shows it, minus what ticks on its own."""
    return {
        "link": sorted(map(repr, map(_link, ipj(ns, "-d", "link", "show")))),
        "addr": sorted(map(repr, map(_addr, ipj(ns, "addr", "show")))),
        "route4": _clean(ipj(ns, "-4", "route", "show", "table", "all")),
        "route6": _clean(ipj(ns, "-6", "route", "show", "table", "all"), ("expires",)),
        "rule4": _clean(ipj(ns, "-4", "rule", "show")),
        "rule6": _clean(ipj(ns, "-6", "rule", "show")),
        "neigh": _clean([n for n in ipj(ns, "neigh", "show")
                         if "PERMANENT" in n.get("state", [])]),
    }

def settled_equal(ns: str, want: dict[str, Any], timeout: float = DEADLINE) -> dict[str, Any]:
    """The dumps once they equal `want` (IPv6 link-local addresses and routes come back a
    moment after their links); the last dumps after `timeout` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        got = dumps(ns)
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.2)

MORE = """\
route add 2001:db8:8::/48 table 7 nexthop via 2001:db8:2::2 dev v2 nexthop via 2001:db8:1::2 dev v0
route add unreachable 10.5.0.0/16 table 102 metric 7
route add 10.4.0.0/16 via 192.0.2.2 mtu 1400 proto static
neigh add 192.0.2.8 lladdr 02:00:00:00:00:08 dev v0 nud permanent
"""

def without_indexes(state: dict[str, Any]) -> dict[str, Any]:
    """Links re-made in another namespace get other indexes: compare them by name."""
    out = dict(state)
    out["link"] = sorted(line for line in (
        re.sub(r"'(ifindex|link_index)': \d+", r"'\1': N", entry)
        for entry in state["link"]))
    return out
