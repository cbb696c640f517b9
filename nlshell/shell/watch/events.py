"""The events pane model: one timestamped, labelled line per change, newest last.

Lines read like ``ip -ts -o monitor label``: the text is the one event formatter's
(``nlshell.commands.events``), the same as ``nlshell monitor`` and the shell's monitor::

    [2026-11-27T18:00:00.123456] [LINK] 5: veth0@if4: <BROADCAST,MULTICAST,UP> mtu 1500 ...
    [2026-11-27T18:00:00.200000] [ns1] [ADDR] Deleted 5: veth0    inet 10.0.0.1/24 ...

The pane is fed by the cache's changes, so it also lists what the kernel removed without an
event (a deleted link's routes...), and not re-announcements that change nothing.
``EventLog`` keeps a bounded history with a scroll position.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from nlshell.commands.events import KIND_OBJECT, EventFormatter, Formatted

from .model import NO_FILTER, Filter


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


def format_event(kind: str, action: str, msg: object, fmt: EventFormatter,
                 ns: str | None = None, ts: float | None = None) -> Event | None:
    """The Event for one object change (cache kind and action); ``fmt`` keeps the links.
    None for what ip monitor does not print either (cloned routes, unknown kinds)."""
    ts = time.time() if ts is None else ts
    obj = KIND_OBJECT.get(kind)
    if obj is None:
        return None
    return event_of(fmt.format(msg, deleted=action == "deleted", obj=obj), ns, ts)


def event_of(f: Formatted | None, ns: str | None = None, ts: float | None = None
             ) -> Event | None:
    """The pane's Event for what the formatter made of one message (None stays None)."""
    if f is None:
        return None
    return Event(time.time() if ts is None else ts, f.label, f.text, f.dev, f.table, ns)


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
