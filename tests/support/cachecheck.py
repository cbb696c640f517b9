"""The cache compared with the kernel: `fresh_dump(ns)` through IPRoute, `differences`,
`assert_matches_kernel`, and `Recorder`, a listener that replays its events on the state it
started from. 'Equal' leaves out what ticks on its own (`comparable`).
"""

from __future__ import annotations

from typing import Any

from nlshell.engine import cache_keys as K
from nlshell.engine.cache import Cache
from nlshell.engine.codec import constants as C
from nlshell.engine.codec.constants import AF_INET, AF_INET6
from nlshell.engine.iproute import IPRoute

# attributes and header fields that tick on their own (counters, timers, event-only marks)
VOLATILE = {
    "link": {"IFLA_STATS", "IFLA_STATS64", "IFLA_AF_SPEC", "IFLA_EVENT"},
    "address": {"IFA_CACHEINFO"},
    "route": {"RTA_CACHEINFO", "RTA_EXPIRES"},
    "neighbour": {"NDA_CACHEINFO", "NDA_PROBES"},
    "rule": set(),
    "nexthop": set(),
    "fdb": {"NDA_CACHEINFO"},
    "qdisc": {"TCA_STATS", "TCA_STATS2", "TCA_XSTATS"},
    "class": {"TCA_STATS", "TCA_STATS2", "TCA_XSTATS"},
}
HEADER_NOISE = {"link": {"change"}, "qdisc": {"info"}}  # (a qdisc's info: its refcount)
# bridge and bridge-port counters the kernel updates without an event (by name, or by number
# while the codec has no name for them), besides their *_TIMER attributes
BRIDGE_TICKING = {
    "IFLA_INFO_DATA": {"IFLA_BR_FDB_N_LEARNED", "UNKNOWN_48", "IFLA_BR_MCAST_QUERIER_STATE",
                       "UNKNOWN_47"},
    "IFLA_INFO_SLAVE_DATA": {"IFLA_BRPORT_MCAST_N_GROUPS", "UNKNOWN_41"},
}


# -- comparison helpers ---------------------------------------------------------------------


def comparable(kind: str, msg: Any) -> dict:
    """A message as plain data, minus what ticks on its own: what 'equal' means here."""
    out = msg.dump()
    out.pop("event", None)
    for field in HEADER_NOISE.get(kind, ()):
        out.pop(field, None)
    if kind == "route":
        out["flags"] &= ~C.RTM_F_NOTIFY
        hops = out["attrs"].get("RTA_MULTIPATH")
        if hops:  # the same hops, listed from the newest in events, the oldest in dumps
            out["attrs"]["RTA_MULTIPATH"] = sorted(hops, key=repr)
    out["attrs"] = {k: v for k, v in out["attrs"].items() if k not in VOLATILE[kind]}
    opts = out["attrs"].get("TCA_OPTIONS")
    if kind == "qdisc" and isinstance(opts, dict) and isinstance(opts.get("TCA_HTB_INIT"), dict):
        opts["TCA_HTB_INIT"].pop("direct_pkts", None)  # a counter (unclassified packets)
    info = out["attrs"].get("IFLA_LINKINFO")
    for part, ticking in BRIDGE_TICKING.items():
        if isinstance(info, dict) and isinstance(info.get(part), dict):
            info[part] = {k: v for k, v in info[part].items()
                          if not k.endswith("_TIMER") and k not in ticking}
    return out


def fresh_dump(ns: str) -> dict[str, dict[Any, Any]]:
    """{kind: {identity key: message}} straight from the kernel, through IPRoute."""
    with IPRoute(netns=ns) as ipr:
        raw = {
            "link": ipr.get_links(),
            "address": ipr.get_addr(family=AF_INET) + ipr.get_addr(family=AF_INET6),
            "route": ipr.get_routes(family=AF_INET) + ipr.get_routes(family=AF_INET6),
            "neighbour": ipr.get_neighbours(family=AF_INET) + ipr.get_neighbours(family=AF_INET6),
            "rule": ipr.get_rules(family=AF_INET) + ipr.get_rules(family=AF_INET6),
            "nexthop": ipr.get_nexthops(),
            "fdb": ipr.get_neighbours(family=C.AF_BRIDGE),
            "qdisc": ipr.get_qdiscs(),
        }
        raw["class"] = [c for link in raw["link"] for c in ipr.get_classes(link["index"])]
    return {kind: {K.key_of(kind, m): m for m in msgs if K.wanted(kind, m)}
            for kind, msgs in raw.items()}


def main_table(objs: dict[Any, Any]) -> dict[Any, Any]:
    return {k: m for k, m in objs.items() if k[1] == C.RT_TABLE_MAIN}


def differences(kind: str, cached: dict[Any, Any], dumped: dict[Any, Any]) -> list[str]:
    """What differs between two {key: message} maps, in words (empty: equal)."""
    out = [f"{kind} only in cache: {cached[k]!r}" for k in cached.keys() - dumped.keys()]
    out += [f"{kind} only in dump: {dumped[k]!r}" for k in dumped.keys() - cached.keys()]
    for k in cached.keys() & dumped.keys():
        a, b = comparable(kind, cached[k]), comparable(kind, dumped[k])
        if a != b:
            fields = {f: (a.get(f), b.get(f)) for f in a.keys() | b.keys()
                      if f != "attrs" and a.get(f) != b.get(f)}
            attrs = {n: (str(a["attrs"].get(n))[:300], str(b["attrs"].get(n))[:300])
                     for n in a["attrs"].keys() | b["attrs"].keys()
                     if a["attrs"].get(n) != b["attrs"].get(n)}
            out.append(f"{kind} {k!r} differs (cache, dump): {fields} {attrs}")
    return out


def assert_matches_kernel(cache: Cache, ns: str, kinds: tuple[str, ...] = (
        "link", "address", "route")) -> None:
    snap = cache.snapshot()
    dump = fresh_dump(ns)
    problems = [p for kind in kinds for p in differences(kind, snap[kind], dump[kind])]
    assert not problems, "\n".join(problems[:20]) + f"\n({len(problems)} differences)"


class Recorder:
    """A listener that also replays what it heard on the state it started from."""

    def __init__(self, cache: Cache) -> None:
        self.events: list[tuple[str, str, Any, Any]] = []
        with cache.lock:  # the snapshot is exactly the state the first event applies to
            cache.subscribe(self)
            self.start = {kind: {k: comparable(kind, m) for k, m in table.items()}
                          for kind, table in cache.snapshot().items()}

    def __call__(self, kind: str, action: str, old: Any, new: Any) -> None:
        self.events.append((kind, action, old, new))

    def replay(self) -> tuple[dict[str, dict[Any, dict]], list[str]]:
        """The start state with every event applied; and the events that did not fit."""
        state = {kind: dict(table) for kind, table in self.start.items()}
        misfits = []
        for kind, action, old, new in self.events:
            table = state[kind]
            if action == "new":
                key = K.key_of(kind, new)
                if key in table:
                    misfits.append(f"'new' for an existing {kind} {key!r}")
                table[key] = comparable(kind, new)
            elif action == "changed":
                key = K.key_of(kind, new)
                if table.get(key) != comparable(kind, old):
                    misfits.append(f"'changed' whose old is not the current {kind} {key!r}")
                table[key] = comparable(kind, new)
            elif action == "deleted":
                key = K.key_of(kind, old)
                if table.pop(key, None) is None:
                    misfits.append(f"'deleted' for a missing {kind} {key!r}")
            else:
                misfits.append(f"unknown action {action!r}")
        return state, misfits

    def assert_replays_to(self, cache: Cache) -> None:
        state, misfits = self.replay()
        assert not misfits, "\n".join(misfits[:20])
        end = {kind: {k: comparable(kind, m) for k, m in table.items()}
               for kind, table in cache.snapshot().items()}
        for kind in K.KINDS:
            assert state[kind].keys() == end[kind].keys(), kind
            assert state[kind] == end[kind], kind
