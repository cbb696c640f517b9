"""Everything the panes show, in one place: the models plus the lock that guards them.

The sampler thread writes (``apply``, ``sample_links``), the UI thread reads under
``lock``. Pure: no kernel, no terminal.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from nlshell.commands.events import EventFormatter

from .events import Event, EventLog, format_event
from .model import HIGHLIGHT_S, Clock, LinksModel, link_counters, link_info
from .qdiscs import KINDS as TC_KINDS
from .qdiscs import QdiscsModel
from .tables import KINDS, ObjectTable

TABLE_KINDS = tuple(KINDS)  # 'address', 'route', 'neighbour'


class WatchState:
    def __init__(self, clock: Clock = time.monotonic, hold: float = HIGHLIGHT_S,
                 log_size: int = 5000, ns_label: str | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.links = LinksModel(clock, hold)
        self.tables = {kind: ObjectTable(kind, clock, hold) for kind in TABLE_KINDS}
        self.qdiscs = QdiscsModel(clock, hold)  # qdiscs and classes (the qdiscs pane)
        self.log = EventLog(log_size)
        self.formatter = EventFormatter()  # the event lines; keeps link names as they change
        self.ns_label = ns_label  # set with --all-ns: names this namespace's events
        self.paused = False
        self.samples = 0
        self.lost = 0  # overruns the cache recovered from (events were lost): the status shows it

    def version(self) -> int:
        """Changes whenever something visible changes (the UI redraws only then)."""
        return (self.links.version + sum(t.version for t in self.tables.values())
                + self.log.version + self.qdiscs.version)

    def names(self, index: int) -> str | None:
        return self.links.name(index)

    # --- writers (the sampler thread) -----------------------------------------------------

    def load(self, links: list[Any], tables: dict[str, Any], quiet: bool = True) -> None:
        """The starting view: the links, and per kind the cache's ``{key: message}``
        snapshot (or a list of messages)."""
        with self.lock:
            self.formatter.reset(links)
            for msg in links:
                self.links.upsert(link_info(msg), quiet)
            fresh = {msg.get("index") for msg in links}
            for index in [i for i in self.links.rows if i not in fresh]:
                self.links.remove(index)
            for kind, msgs in tables.items():
                if kind in self.tables:
                    self.tables[kind].replace(msgs, quiet)
            if any(kind in tables for kind in TC_KINDS):
                self.qdiscs.replace(tables, quiet)

    def apply(self, kind: str, action: str, msg: Any, ts: float | None = None,
              ns: str | None = None) -> Event | None:
        """One change the cache reported (its cascades included: a link's deletion comes
        with the deletions of its objects): update the panes, log the event."""
        with self.lock:
            ev = format_event(kind, action, msg, self.formatter, ns or self.ns_label, ts)
            if kind == "link":
                index = msg.get("index") or 0
                if action == "deleted":
                    self.links.remove(index)
                else:
                    self.links.upsert(link_info(msg))
            elif kind in self.tables:
                if action == "deleted":
                    self.tables[kind].remove(msg)
                else:
                    self.tables[kind].upsert(msg)
            elif kind in TC_KINDS:
                if action == "deleted":
                    self.qdiscs.remove(kind, msg)
                else:
                    self.qdiscs.upsert(kind, msg)
            if ev is not None:
                self.log.add(ev)
            return ev

    def add_event(self, ev: Event) -> None:
        """A line from elsewhere (another namespace, or a note of our own)."""
        with self.lock:
            self.log.add(ev)

    def sample_links(self, msgs: list[Any], now: float | None = None,
                     quiet: bool = False) -> None:
        """A fresh RTM_GETLINK dump: rates from counter deltas, rows appear and leave."""
        pairs = [(link_info(m), link_counters(m)) for m in msgs]  # decode outside the lock
        with self.lock:  # the tables follow the cache, not the samples
            self.links.sample(pairs, now, quiet)
            self.samples += 1

    def sample_counters(self, counters: dict[int, tuple[int, ...] | None],
                        now: float | None = None) -> set[int]:
        """Counters of every link (an RTM_GETSTATS dump); returns indexes with no row yet."""
        with self.lock:
            unknown = self.links.sample_counters(counters, now)
            self.samples += 1
            return unknown

    def sample_tc(self, msgs: list[tuple[str, Any]], now: float | None = None) -> None:
        """A fresh dump of the qdiscs and classes, as (kind, message): their counters."""
        with self.lock:
            self.qdiscs.sample(msgs, now)

    def add_links(self, msgs: list[Any], only: set[int] | None = None) -> None:
        """Rows for links found by a sample before their event (``only``: these indexes)."""
        with self.lock:
            for m in msgs:
                if only is None or m.get("index") in only:
                    self.links.upsert(link_info(m))

    def prune(self) -> bool:
        """Drop expired highlights; True if the screen needs a redraw."""
        with self.lock:
            changed = self.links.highlights.prune()
            changed = self.qdiscs.highlights.prune() or changed
            for table in self.tables.values():
                changed = table.highlights.prune() or changed
            return changed

    def next_expiry(self) -> float | None:
        with self.lock:
            times = [self.links.highlights.next_expiry(), self.qdiscs.highlights.next_expiry()]
            times += [t.highlights.next_expiry() for t in self.tables.values()]
            return min((t for t in times if t is not None), default=None)

    # --- UI actions -----------------------------------------------------------------------

    def reset_rates(self) -> None:
        with self.lock:
            self.links.reset_rates()
            self.qdiscs.reset_rates()
