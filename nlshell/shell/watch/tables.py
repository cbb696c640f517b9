"""Pane models for addresses, routes and neighbours: rows keyed by the cache's identities.

Each kind is one ``Kind`` entry (device, table, cells) in ``KINDS``; ``ObjectTable`` is the
same for all of them: upsert/remove from the cache's changes, highlight what changed, filter.
A row's key is the engine cache's identity of the object (``Cache.key_of``: an IPv6 route's
includes its device, every link has its own fe80::/64), so the rows are exactly the
cache's objects; what the kernel drops without a word (a deleted link's objects, a downed
link's IPv4 routes) the cache reports as deletions, and the rows follow.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from nlshell.engine.cache import key_of
from nlshell.engine.codec import constants as C

from .model import HIGHLIGHT_S, NO_FILTER, Clock, Filter, Highlights

Names = Callable[[int], "str | None"]  # ifindex -> name (from the links model)


def _family(msg: Any) -> str:
    return C.FAMILY_NAMES.get(msg.get("family"), str(msg.get("family")))


def flag_names(value: int, names: dict[int, str]) -> str:
    return ",".join(name for bit, name in names.items() if value & bit)


def prefix_text(addr: str | None, plen: int, family: int) -> str:
    if addr is None:
        return "default" if plen == 0 else f"?/{plen}"
    full = 32 if family == C.AF_INET else 128
    return addr if plen == full else f"{addr}/{plen}"


def table_name(table: int | None) -> str:
    return C.TABLE_NAMES.get(table, str(table)) if table is not None else "-"


def route_table(msg: Any) -> int:
    return msg.get("table") or 0  # RTA_TABLE (ids above 255), else the rtmsg field


def neigh_state(state: int) -> str:
    return flag_names(state, C.NUD_NAMES) or "NONE"


# --- the kinds ---------------------------------------------------------------------------


def _ip(addr: str | None) -> bytes:
    """A sort key that orders addresses numerically (10.2 before 10.10)."""
    if not addr:
        return b""
    try:
        return socket.inet_pton(socket.AF_INET6 if ":" in addr else socket.AF_INET, addr)
    except OSError:
        return addr.encode()


def _addr_cells(m: Any) -> tuple[str, ...]:
    fam = m.get("family")
    addr = m.get("local") or m.get("address")
    flags = m.get("IFA_FLAGS") or m.get("flags") or 0
    return (_family(m), prefix_text(addr, m.get("prefixlen") or 0, fam),
            C.RT_SCOPE_NAMES.get(m.get("scope"), str(m.get("scope"))),
            flag_names(flags, C.IFA_F_NAMES), m.get("label") or "")


def route_gateway(m: Any) -> str:
    gw = m.get("gateway")
    if gw:
        return gw
    hops = m.get("multipath") or []
    return ",".join(str(h.get("gateway") or "?") for h in hops) if hops else ""


def _route_cells(m: Any) -> tuple[str, ...]:
    fam = m.get("family")
    return (table_name(route_table(m)), prefix_text(m.get("dst"), m.get("dst_len") or 0, fam),
            route_gateway(m), C.RTPROT_NAMES.get(m.get("proto"), str(m.get("proto"))),
            C.RT_SCOPE_NAMES.get(m.get("scope"), str(m.get("scope"))),
            C.RTN_NAMES.get(m.get("type"), str(m.get("type"))),
            "" if m.get("priority") is None else str(m.get("priority")))


def _neigh_cells(m: Any) -> tuple[str, ...]:
    return (_family(m), m.get("dst") or "", m.get("lladdr") or "",
            neigh_state(m.get("state") or 0))


@dataclass(frozen=True)
class Kind:
    name: str  # pane name and event label
    dev: Callable[[Any], int]  # the ifindex a row belongs to (0: none)
    table: Callable[[Any], int | None]
    cells: Callable[[Any], tuple[str, ...]]
    order: Callable[[Any], tuple]  # how rows sort
    columns: tuple[str, ...]  # headings of cells (the device column comes first)
    widths: tuple[int, ...]


KINDS: dict[str, Kind] = {
    "address": Kind("addrs", lambda m: m.get("index") or 0, lambda m: None,
                    _addr_cells,
                    lambda m: (m.get("index") or 0, m.get("family"), _ip(m.get("address")),
                               m.get("prefixlen")),
                    ("FAMILY", "ADDRESS", "SCOPE", "FLAGS", "LABEL"),
                    (6, 43, 7, 14, 15)),
    "route": Kind("routes", lambda m: m.get("oif") or 0, route_table, _route_cells,
                  lambda m: (route_table(m) != C.RT_TABLE_MAIN, route_table(m), m.get("family"),
                             _ip(m.get("dst")),
                             m.get("dst_len"), m.get("priority") or 0),
                  ("TABLE", "DST", "GATEWAY", "PROTO", "SCOPE", "TYPE", "METRIC"),
                  (6, 43, 39, 8, 7, 11, 10)),
    "neighbour": Kind("neigh", lambda m: m.get("ifindex") or 0, lambda m: None,
                      _neigh_cells,
                      lambda m: (m.get("ifindex") or 0, m.get("family"), _ip(m.get("dst"))),
                      ("FAMILY", "ADDRESS", "LLADDR", "STATE"), (6, 39, 17, 24)),
}


# --- the table ---------------------------------------------------------------------------


@dataclass
class Row:
    key: Any
    dev: int
    table: int | None
    cells: tuple[str, ...]
    order: tuple


class ObjectTable:
    """The live rows of one kind; changed cells are highlighted for a while."""

    def __init__(self, kind: str, clock: Clock = time.monotonic, hold: float = HIGHLIGHT_S) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown object kind {kind!r}: expected one of {', '.join(KINDS)}")
        self.name = kind
        self.kind = KINDS[kind]
        self.rows: dict[Any, Row] = {}
        self.highlights = Highlights(clock, hold)
        self.version = 0

    def key(self, msg: Any) -> Any:
        """The cache's identity of ``msg`` (None: an object the cache does not keep)."""
        return key_of(self.name, msg)

    def upsert(self, msg: Any, quiet: bool = False, key: Any = None) -> None:
        """Add or update the row of ``msg``; ``quiet`` (the first load) highlights nothing."""
        if key is None:
            key = self.key(msg)
            if key is None:
                return
        k = self.kind
        row = Row(key, k.dev(msg), k.table(msg), k.cells(msg), k.order(msg))
        old = self.rows.get(key)
        self.rows[key] = row
        if old is None:
            if not quiet:
                self.highlights.mark(key, Highlights.ROW)
        else:
            changed = [k.columns[i] for i, (a, b) in enumerate(zip(old.cells, row.cells, strict=True)) if a != b]
            if old.dev != row.dev:
                changed.append("DEV")
            if not changed:
                return
            self.highlights.mark(key, *changed)
        self.version += 1

    def remove(self, msg: Any, key: Any = None) -> None:
        key = self.key(msg) if key is None else key
        if self.rows.pop(key, None) is not None:
            self.highlights.forget(key)
            self.version += 1

    def replace(self, msgs: Any, quiet: bool = False) -> None:
        """A fresh full view (start): a ``{key: message}`` mapping (the cache's snapshot)
        or a list of messages. Highlights only what differs."""
        if isinstance(msgs, Mapping):  # (the routes: a RouteTable)
            fresh = msgs
        else:
            fresh = {}
            for m in msgs:
                key = self.key(m)
                if key is not None:
                    fresh[key] = m
        for key in [k for k in self.rows if k not in fresh]:
            del self.rows[key]
            self.highlights.forget(key)
            self.version += 1
        for key, m in fresh.items():
            self.upsert(m, quiet, key)

    def visible(self, names: Names, flt: Filter = NO_FILTER) -> list[Row]:
        rows = [r for r in self.rows.values()
                if flt.match(names(r.dev) if r.dev else None, r.table)]
        rows.sort(key=lambda r: r.order)
        return rows
