"""Pane models for addresses, routes and neighbours: rows keyed by kernel identity.

Each kind is one ``Kind`` entry (identity, device, table, cells) in ``KINDS``; ``ObjectTable``
is the same for all of them: upsert/remove from events, highlight what changed, filter.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


def _addr_key(m: Any) -> tuple:
    return (m.get("index"), m.get("family"), m.get("address") or m.get("local"), m.get("prefixlen"))


def _addr_cells(m: Any) -> tuple[str, ...]:
    fam = m.get("family")
    addr = m.get("local") or m.get("address")
    flags = m.get("IFA_FLAGS") or m.get("flags") or 0
    return (_family(m), prefix_text(addr, m.get("prefixlen") or 0, fam),
            C.RT_SCOPE_NAMES.get(m.get("scope"), str(m.get("scope"))),
            flag_names(flags, C.IFA_F_NAMES), m.get("label") or "")


def _route_key(m: Any) -> tuple:
    return (m.get("family"), route_table(m), m.get("dst"), m.get("dst_len"), m.get("tos"),
            m.get("priority"), m.get("type"))


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


def _neigh_key(m: Any) -> tuple:
    return (m.get("ifindex"), m.get("family"), m.get("dst"))


def _neigh_cells(m: Any) -> tuple[str, ...]:
    return (_family(m), m.get("dst") or "", m.get("lladdr") or "",
            neigh_state(m.get("state") or 0))


@dataclass(frozen=True)
class Kind:
    name: str  # pane name and event label
    key: Callable[[Any], tuple]
    dev: Callable[[Any], int]  # the ifindex a row belongs to (0: none)
    table: Callable[[Any], int | None]
    cells: Callable[[Any], tuple[str, ...]]
    order: Callable[[Any], tuple]  # how rows sort
    columns: tuple[str, ...]  # headings of cells (the device column comes first)
    widths: tuple[int, ...]


KINDS: dict[str, Kind] = {
    "address": Kind("addrs", _addr_key, lambda m: m.get("index") or 0, lambda m: None,
                    _addr_cells,
                    lambda m: (m.get("index") or 0, m.get("family"), _ip(m.get("address")),
                               m.get("prefixlen")),
                    ("FAMILY", "ADDRESS", "SCOPE", "FLAGS", "LABEL"),
                    (6, 43, 7, 14, 15)),
    "route": Kind("routes", _route_key, lambda m: m.get("oif") or 0, route_table, _route_cells,
                  lambda m: (route_table(m) != C.RT_TABLE_MAIN, route_table(m), m.get("family"),
                             _ip(m.get("dst")),
                             m.get("dst_len"), m.get("priority") or 0),
                  ("TABLE", "DST", "GATEWAY", "PROTO", "SCOPE", "TYPE", "METRIC"),
                  (6, 43, 39, 8, 7, 11, 10)),
    "neighbour": Kind("neigh", _neigh_key, lambda m: m.get("ifindex") or 0, lambda m: None,
                      _neigh_cells,
                      lambda m: (m.get("ifindex") or 0, m.get("family"), _ip(m.get("dst"))),
                      ("FAMILY", "ADDRESS", "LLADDR", "STATE"), (6, 39, 17, 24)),
}


# --- the table ---------------------------------------------------------------------------


@dataclass
class Row:
    key: tuple
    dev: int
    table: int | None
    cells: tuple[str, ...]
    order: tuple


class ObjectTable:
    """The live rows of one kind; changed cells are highlighted for a while."""

    def __init__(self, kind: str, clock: Clock = time.monotonic, hold: float = HIGHLIGHT_S) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown object kind {kind!r}: expected one of {', '.join(KINDS)}")
        self.kind = KINDS[kind]
        self.rows: dict[tuple, Row] = {}
        self.highlights = Highlights(clock, hold)
        self.version = 0

    def upsert(self, msg: Any, quiet: bool = False) -> None:
        """Add or update the row of ``msg``; ``quiet`` (the first load) highlights nothing."""
        k = self.kind
        row = Row(k.key(msg), k.dev(msg), k.table(msg), k.cells(msg), k.order(msg))
        old = self.rows.get(row.key)
        self.rows[row.key] = row
        if old is None:
            if not quiet:
                self.highlights.mark(row.key, Highlights.ROW)
        else:
            changed = [k.columns[i] for i, (a, b) in enumerate(zip(old.cells, row.cells, strict=True)) if a != b]
            if old.dev != row.dev:
                changed.append("DEV")
            if not changed:
                return
            self.highlights.mark(row.key, *changed)
        self.version += 1

    def remove(self, msg: Any) -> None:
        key = self.kind.key(msg)
        if self.rows.pop(key, None) is not None:
            self.highlights.forget(key)
            self.version += 1

    def remove_dev(self, index: int) -> None:
        """A link went: the kernel drops its objects without telling (a cascade)."""
        gone = [key for key, row in self.rows.items() if row.dev == index]
        for key in gone:
            del self.rows[key]
            self.highlights.forget(key)
        if gone:
            self.version += 1

    def replace(self, msgs: list[Any], quiet: bool = False) -> None:
        """A fresh full view (start, or after a resync): highlight only what differs."""
        fresh = {self.kind.key(m): m for m in msgs}
        for key in [k for k in self.rows if k not in fresh]:
            del self.rows[key]
            self.highlights.forget(key)
            self.version += 1
        for m in fresh.values():
            self.upsert(m, quiet)

    def visible(self, names: Names, flt: Filter = NO_FILTER) -> list[Row]:
        rows = [r for r in self.rows.values()
                if flt.match(names(r.dev) if r.dev else None, r.table)]
        rows.sort(key=lambda r: r.order)
        return rows
