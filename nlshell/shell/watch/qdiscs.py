"""The ``qdiscs`` pane's model: one row per qdisc and traffic class, with counters and rates.

Rows are keyed by the cache's identities (``("qdisc", (ifindex, parent, handle))``,
``("class", (ifindex, classid))``) and follow its changes, cascades included; the counters
(bytes, packets, drops, overlimits, backlog) tick without events, so the sampler dumps the
qdiscs and classes every interval and hands them to ``sample``. Rates are per second over
the last interval; a counter that went backwards (the object was replaced under the same
handle) shows no rate for that interval rather than a huge one. Pure: no kernel, no
terminal.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from nlshell.commands.provider import tc_handle
from nlshell.engine.cache import key_of
from nlshell.engine.codec import constants as C

from .model import HIGHLIGHT_S, NO_FILTER, Clock, Filter, Highlights, counter_delta

KINDS = ("qdisc", "class")
# the counters followed, in the order Counters keeps them (backlog is a level, not a count)
FIELDS = ("bytes", "packets", "drops", "overlimits", "backlog", "qlen")
RATED = ("bytes", "packets", "drops")  # fields shown as a rate too
Counters = tuple[int, ...]
Names = Callable[[int], "str | None"]


def tc_counters(msg: Any) -> Counters | None:
    """FIELDS from TCA_STATS2 (basic and queue blocks), else the old TCA_STATS; None
    when the object has no statistics."""
    stats2 = msg.get("TCA_STATS2")
    if stats2:
        basic = stats2.get("TCA_STATS_BASIC") or {}
        queue = stats2.get("TCA_STATS_QUEUE") or {}
        both = {**queue, **basic}
        return tuple(int(both.get(name, 0)) for name in FIELDS)
    old = msg.get("TCA_STATS")
    if old:
        return tuple(int(old.get(name, 0)) for name in FIELDS)
    return None


def parent_text(parent: int) -> str:
    """'root', 'ingress' (ingress and clsact hang there), '1:', '1:10'."""
    return tc_handle(parent)


@dataclass
class TcRow:
    key: tuple  # (kind, cache key)
    dev: int
    what: str  # 'qdisc htb', 'class htb'
    handle: str
    parent: str
    order: tuple
    counters: Counters | None = None
    sampled_at: float | None = None
    rates: dict[str, float | None] = field(default_factory=dict)  # per second (RATED)


class QdiscsModel:
    """The rows of the qdiscs pane; changed rows and cells are highlighted for a while."""

    def __init__(self, clock: Clock = time.monotonic, hold: float = HIGHLIGHT_S) -> None:
        self.clock = clock
        self.rows: dict[tuple, TcRow] = {}
        self.highlights = Highlights(clock, hold)
        self.version = 0

    # --- structure, from the cache's changes ------------------------------------------------

    def upsert(self, kind: str, msg: Any, quiet: bool = False, key: Any = None) -> None:
        ckey = key_of(kind, msg) if key is None else key
        rkey = (kind, ckey)
        index = msg.get("index") or 0
        handle = msg.get("handle") or 0
        parent = msg.get("parent") or 0
        what = f"{kind} {msg.get('kind') or '?'}"
        order = (index, parent != C.TC_H_ROOT, kind != "qdisc", handle, parent)
        old = self.rows.get(rkey)
        row = TcRow(rkey, index, what, tc_handle(handle), parent_text(parent), order)
        if old is not None:
            row.counters, row.sampled_at, row.rates = old.counters, old.sampled_at, old.rates
            if (old.what, old.parent) == (row.what, row.parent):
                self.rows[rkey] = row
                return
            self.highlights.mark(rkey, "what")
        else:
            # counters come from the samples only: a message's statistics may be old
            if not quiet:
                self.highlights.mark(rkey, Highlights.ROW)
        self.rows[rkey] = row
        self.version += 1

    def remove(self, kind: str, msg: Any, key: Any = None) -> None:
        rkey = (kind, key_of(kind, msg) if key is None else key)
        if self.rows.pop(rkey, None) is not None:
            self.highlights.forget(rkey)
            self.version += 1

    def replace(self, tables: dict[str, dict[Any, Any]], quiet: bool = True) -> None:
        """The cache's snapshot of qdiscs and classes ({kind: {key: message}})."""
        fresh = {(kind, k) for kind in KINDS for k in tables.get(kind, {})}
        for rkey in [k for k in self.rows if k not in fresh]:
            del self.rows[rkey]
            self.highlights.forget(rkey)
            self.version += 1
        for kind in KINDS:
            for k, msg in tables.get(kind, {}).items():
                self.upsert(kind, msg, quiet, k)

    # --- counters, from the samples ------------------------------------------------------

    def sample(self, msgs: Iterable[tuple[str, Any]], now: float | None = None) -> None:
        """A dump of every qdisc and class, as (kind, message), taken at ``now``. Only rows
        the cache knows are updated (an object not there yet gets its row from the cache's
        event, and its rates from the next sample)."""
        now = self.clock() if now is None else now
        for kind, msg in msgs:
            row = self.rows.get((kind, key_of(kind, msg)))
            if row is not None:
                self._count(row, tc_counters(msg), now)

    def _count(self, row: TcRow, counters: Counters | None, now: float) -> None:
        old, then = row.counters, row.sampled_at
        row.counters, row.sampled_at = counters, now
        rates: dict[str, float | None] = {}
        if counters is not None and old is not None and then is not None and now > then:
            dt = now - then
            for name in RATED:
                i = FIELDS.index(name)
                delta = counter_delta(old[i], counters[i])
                rates[name] = None if delta is None else delta / dt
            if rates.get("drops"):
                self.highlights.mark(row.key, "drops")
        if rates != row.rates or counters != old:
            self.version += 1
        row.rates = rates

    def reset_rates(self) -> None:
        for row in self.rows.values():
            row.sampled_at = None
            row.rates = {}
        self.version += 1

    # --- readers -------------------------------------------------------------------------

    def visible(self, names: Names, flt: Filter = NO_FILTER) -> list[TcRow]:
        rows = [r for r in self.rows.values() if flt.match_dev(names(r.dev))]
        rows.sort(key=lambda r: r.order)
        return rows

    def devices(self) -> set[int]:
        """The links with at least one row (the sampler asks only these for classes)."""
        return {r.dev for r in self.rows.values()}


def counter(row: TcRow, name: str) -> int | None:
    return None if row.counters is None else row.counters[FIELDS.index(name)]
