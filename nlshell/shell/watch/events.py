"""The events pane model: one readable, timestamped, labelled line per netlink event.

Lines look like ``ip -ts monitor label``::

    [2026-11-27T18:00:00.123456] [LINK] 5: veth0@if4: <BROADCAST,MULTICAST,UP> mtu 1500 state UP
    [2026-11-27T18:00:00.200000] [ns1] [ADDR] Deleted 5: veth0 inet 10.0.0.1/24 scope global

Formatting is pure (a message in, a line out); ``EventLog`` keeps a bounded history with a
scroll position, newest last.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nlshell.engine.codec import constants as C

from .model import NO_FILTER, Filter
from .tables import flag_names, neigh_state, prefix_text, route_gateway, route_table, table_name

Names = Callable[[int], "str | None"]

LABELS = {"link": "LINK", "address": "ADDR", "route": "ROUTE", "neighbour": "NEIGH",
          "rule": "RULE", "nsid": "NSID", "netns": "NETNS", "watch": "WATCH"}

# message type -> (kind, action) for raw events read straight off a socket
MESSAGE_KINDS = {
    C.RTM_NEWLINK: ("link", "new"), C.RTM_DELLINK: ("link", "deleted"),
    C.RTM_NEWADDR: ("address", "new"), C.RTM_DELADDR: ("address", "deleted"),
    C.RTM_NEWROUTE: ("route", "new"), C.RTM_DELROUTE: ("route", "deleted"),
    C.RTM_NEWNEIGH: ("neighbour", "new"), C.RTM_DELNEIGH: ("neighbour", "deleted"),
    C.RTM_NEWRULE: ("rule", "new"), C.RTM_DELRULE: ("rule", "deleted"),
    C.RTM_NEWNSID: ("nsid", "new"), C.RTM_DELNSID: ("nsid", "deleted"),
}


@dataclass
class Event:
    ts: float  # wall-clock seconds (time.time())
    label: str
    text: str
    dev: str | None = None  # device name, for filters
    table: int | None = None
    ns: str | None = None  # namespace name (--all-ns)

    def stamp(self) -> str:
        return datetime.fromtimestamp(self.ts).isoformat(timespec="microseconds")

    def line(self) -> str:
        ns = f"[{self.ns}] " if self.ns is not None else ""
        return f"[{self.stamp()}] {ns}[{self.label}] {self.text}"


def _name(names: Names, index: int | None) -> str:
    if not index:
        return "?"
    return names(index) or f"if{index}"


# --- one formatter per kind: (msg, names) -> (text, dev, table) ---------------------------


def _link(m: Any, names: Names) -> tuple[str, str | None, int | None]:
    index = m.get("index") or 0
    name = m.get("ifname") or _name(names, index)
    peer = m.get("link")
    if peer and peer != index:
        # a peer in another namespace (link_netnsid) cannot be named from here
        at = f"@if{peer}" if m.get("link_netnsid") is not None else f"@{_name(names, peer)}"
    else:
        at = ""
    flags = flag_names(m.get("flags") or 0, C.IFF_FLAGS)
    parts = [f"{index}: {name}{at}: <{flags}>"]
    if m.get("mtu") is not None:
        parts.append(f"mtu {m.get('mtu')}")
    if m.get("master"):
        parts.append(f"master {_name(names, m.get('master'))}")
    parts.append(f"state {m.get('operstate') or 'UNKNOWN'}")
    kind = m.get(("linkinfo", "kind"))
    if kind:
        parts.append(kind)
    return " ".join(parts), name, None


def _address(m: Any, names: Names) -> tuple[str, str | None, int | None]:
    index = m.get("index") or 0
    dev = _name(names, index)
    fam = C.FAMILY_NAMES.get(m.get("family"), str(m.get("family")))
    addr = prefix_text(m.get("local") or m.get("address"), m.get("prefixlen") or 0, m.get("family"))
    scope = C.RT_SCOPE_NAMES.get(m.get("scope"), str(m.get("scope")))
    text = f"{index}: {dev} {fam} {addr} scope {scope}"
    label = m.get("label")
    if label and label != dev:
        text += f" {label}"
    return text, dev, None


def _route(m: Any, names: Names) -> tuple[str, str | None, int | None]:
    table = route_table(m)
    rtype = m.get("type")
    parts = [] if rtype in (None, C.RTN_UNICAST) else [C.RTN_NAMES.get(rtype, str(rtype))]
    parts.append(prefix_text(m.get("dst"), m.get("dst_len") or 0, m.get("family")))
    gw = route_gateway(m)
    if gw:
        parts.append(f"via {gw}")
    dev = _name(names, m.get("oif")) if m.get("oif") else None
    if dev:
        parts.append(f"dev {dev}")
    if table != C.RT_TABLE_MAIN:
        parts.append(f"table {table_name(table)}")
    parts.append(f"proto {C.RTPROT_NAMES.get(m.get('proto'), m.get('proto'))}")
    parts.append(f"scope {C.RT_SCOPE_NAMES.get(m.get('scope'), m.get('scope'))}")
    if m.get("prefsrc"):
        parts.append(f"src {m.get('prefsrc')}")
    if m.get("priority") is not None:
        parts.append(f"metric {m.get('priority')}")
    return " ".join(parts), dev, table


def _neighbour(m: Any, names: Names) -> tuple[str, str | None, int | None]:
    dev = _name(names, m.get("ifindex"))
    parts = [m.get("dst") or "?", f"dev {dev}"]
    if m.get("lladdr"):
        parts.append(f"lladdr {m.get('lladdr')}")
    parts.append(neigh_state(m.get("state") or 0))
    return " ".join(parts), dev, None


def _rule(m: Any, names: Names) -> tuple[str, str | None, int | None]:
    fam = m.get("family")
    src = m.get("src")
    dst = m.get("dst")
    parts = [f"{m.get('priority') or 0}:",
             "from " + (prefix_text(src, m.get("src_len") or 0, fam) if src else "all")]
    if dst:
        parts.append("to " + prefix_text(dst, m.get("dst_len") or 0, fam))
    for attr, word in (("iifname", "iif"), ("oifname", "oif"), ("fwmark", "fwmark")):
        if m.get(attr):
            parts.append(f"{word} {m.get(attr)}")
    table = m.get("table") or 0
    parts.append(f"lookup {table_name(table)}")
    return " ".join(parts), None, table


def _nsid(m: Any, names: Names) -> tuple[str, str | None, int | None]:
    nsid = m.get("nsid")
    return f"nsid {nsid if nsid is not None else '?'}", None, None


FORMATTERS: dict[str, Callable[[Any, Names], tuple[str, str | None, int | None]]] = {
    "link": _link, "address": _address, "route": _route, "neighbour": _neighbour,
    "rule": _rule, "nsid": _nsid,
}


def _no_names(index: int) -> str | None:
    return None


def format_event(kind: str, action: str, msg: Any, names: Names = _no_names,
                 ns: str | None = None, ts: float | None = None) -> Event:
    """The Event for one object change; ``action`` 'deleted' reads 'Deleted ...' like ip."""
    ts = time.time() if ts is None else ts
    label = LABELS.get(kind, kind.upper())
    fmt = FORMATTERS.get(kind)
    if fmt is None:
        return Event(ts, label, f"{action} {msg!r}", ns=ns)
    try:
        text, dev, table = fmt(msg, names)
    except Exception as exc:  # a surprising message must not stop the log
        text, dev, table = f"(unreadable {kind} event: {exc})", None, None
    if action == "deleted":
        text = "Deleted " + text
    return Event(ts, label, text, dev, table, ns)


def note(text: str, label: str = "WATCH", ns: str | None = None,
         ts: float | None = None) -> Event:
    """A line of our own (a namespace appeared, events were lost and resynced...)."""
    return Event(time.time() if ts is None else ts, label, text, ns=ns)


# --- the log -----------------------------------------------------------------------------


class EventLog:
    """Newest last, at most ``maxlen`` events. ``offset`` is how many (shown) lines the view
    is scrolled up from the bottom; while scrolled up, new lines do not move the view."""

    def __init__(self, maxlen: int = 5000) -> None:
        if maxlen < 1:
            raise ValueError(f"bad event log length {maxlen!r}: must be at least 1")
        self.events: deque[Event] = deque(maxlen=maxlen)
        self.offset = 0
        self.filter: Filter = NO_FILTER
        self.version = 0

    def _shown(self, ev: Event) -> bool:
        f = self.filter
        return f.match_dev(ev.dev) and (ev.table is None or f.table is None
                                        or f.match_table(ev.table))

    def add(self, ev: Event) -> None:
        self.events.append(ev)
        if self.offset and self._shown(ev):
            self.offset += 1  # stay on the lines being read
        self.version += 1

    def set_filter(self, flt: Filter) -> None:
        self.filter = flt
        self.offset = 0
        self.version += 1

    def shown(self) -> list[Event]:
        if self.filter is NO_FILTER:
            return list(self.events)
        return [e for e in self.events if self._shown(e)]

    def scroll(self, lines: int) -> None:
        """Positive scrolls up (older), negative down; clamped."""
        total = len(self.shown())
        self.offset = max(0, min(self.offset + lines, max(0, total - 1)))
        self.version += 1

    def to_bottom(self) -> None:
        self.offset = 0
        self.version += 1

    def view(self, height: int) -> list[Event]:
        """The ``height`` lines to show, oldest first, ending ``offset`` lines above the end."""
        shown = self.shown()
        self.offset = min(self.offset, max(0, len(shown) - 1))
        end = len(shown) - self.offset
        return shown[max(0, end - max(height, 0)):end]

    def clear(self) -> None:
        self.events.clear()
        self.offset = 0
        self.version += 1
