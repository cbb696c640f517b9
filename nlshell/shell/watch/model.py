"""Pure pane models for the watch panes: link rates, highlights, filters.

Nothing here touches a terminal or the kernel: the background sampler feeds these models and
the panes read them. Time comes from an injectable clock so tests can drive expiry.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from nlshell.engine.codec import constants as C

Clock = Callable[[], float]

HIGHLIGHT_S = 3.0  # how long a changed cell stays highlighted
WRAP = 1 << 64  # IFLA_STATS64 counters are unsigned 64-bit
# A modular delta above this is not a wrap but a counter reset (a driver or link restart):
# no link moves 2**48 bytes (256 TiB) between two samples.
MAX_WRAP_DELTA = 1 << 48

# the stats64 counters the links pane follows, in the order Counters keeps them
COUNTERS = ("rx_bytes", "tx_bytes", "rx_packets", "tx_packets",
            "rx_errors", "tx_errors", "rx_dropped", "tx_dropped")
_ZERO = (0,) * len(COUNTERS)


def counter_delta(old: int, new: int) -> int | None:
    """How much a counter grew from ``old`` to ``new``; None when it was reset.

    A smaller new value is either a 64-bit wrap (the modular delta is small) or a reset
    (anything else): a reset must not show up as a huge rate.
    """
    if new >= old:
        return new - old
    wrapped = (new - old) % WRAP
    return wrapped if wrapped <= MAX_WRAP_DELTA else None


# --- highlights --------------------------------------------------------------------------


class Highlights:
    """Cells (key, column) that changed recently; each expires ``hold`` seconds after marking.

    The column ``ROW`` marks a whole row (a new object).
    """

    ROW = "*"

    def __init__(self, clock: Clock = time.monotonic, hold: float = HIGHLIGHT_S) -> None:
        self.clock = clock
        self.hold = hold
        self._until: dict[tuple[Any, str], float] = {}

    def mark(self, key: Any, *columns: str) -> None:
        until = self.clock() + self.hold
        for col in columns:
            self._until[(key, col)] = until

    def is_on(self, key: Any, column: str) -> bool:
        until = self._until.get((key, column))
        if until is None:
            until = self._until.get((key, self.ROW))
            if until is None:
                return False
        return self.clock() < until

    def row_is_new(self, key: Any) -> bool:
        until = self._until.get((key, self.ROW))
        return until is not None and self.clock() < until

    def forget(self, key: Any) -> None:
        for k in [k for k in self._until if k[0] == key]:
            del self._until[k]

    def prune(self) -> bool:
        """Drop expired marks; True if any were dropped (the screen must be redrawn)."""
        now = self.clock()
        gone = [k for k, until in self._until.items() if until <= now]
        for k in gone:
            del self._until[k]
        return bool(gone)

    def next_expiry(self) -> float | None:
        return min(self._until.values(), default=None)

    def clear(self) -> None:
        self._until.clear()


# --- filters -----------------------------------------------------------------------------

TABLE_WORDS = {"main": C.RT_TABLE_MAIN, "local": C.RT_TABLE_LOCAL,
               "default": C.RT_TABLE_DEFAULT, "all": C.RT_TABLE_UNSPEC}
_KEYWORDS = ("dev", "table")


@dataclass(frozen=True)
class Filter:
    """What a pane shows: a glob on the device name and, for routes, a table (0 = all).

    ``table=None`` means the pane's default (routes: every table but local).
    """

    dev: str | None = None
    table: int | None = None
    text: str = ""

    def match_dev(self, name: str | None) -> bool:
        if self.dev is None:
            return True
        return name is not None and fnmatch.fnmatchcase(name, self.dev)

    def match_table(self, table: int | None) -> bool:
        if table is None:
            return True
        if self.table is None:
            return table != TABLE_WORDS["local"]
        return self.table == 0 or self.table == table

    def match(self, name: str | None, table: int | None = None) -> bool:
        return self.match_dev(name) and self.match_table(table)


NO_FILTER = Filter()


def parse_table(word: str) -> int:
    if word in TABLE_WORDS:
        return TABLE_WORDS[word]
    try:
        value = int(word, 0)
    except ValueError:
        value = -1
    if not 0 <= value < 1 << 32:
        raise ValueError(f"bad table {word!r}: expected main, local, default, all or 0..4294967295")
    return value


def parse_filter(text: str) -> Filter:
    """``veth*``, ``dev veth*``, ``table main``, ``dev br* table 100``; '' clears.

    Raises ValueError naming the word that is wrong.
    """
    words = text.split()
    dev: str | None = None
    table: int | None = None
    i = 0
    while i < len(words):
        word = words[i]
        if word in _KEYWORDS:
            if i + 1 >= len(words):
                raise ValueError(f"{word!r} needs a value")
            value = words[i + 1]
            if word == "dev":
                dev = value
            else:
                table = parse_table(value)
            i += 2
        elif dev is None:
            dev = word  # a bare word is a device glob
            i += 1
        else:
            raise ValueError(f"unexpected word {word!r} in filter (use: GLOB, dev GLOB, table ID)")
    return Filter(dev=dev, table=table, text=" ".join(words))


# --- links -------------------------------------------------------------------------------


@dataclass
class LinkInfo:
    """What the links pane shows of one link, apart from its counters."""

    index: int
    name: str
    state: str = "UNKNOWN"
    mtu: int = 0
    master: int = 0  # index, 0 for none
    flags: int = 0
    kind: str = ""

    # the columns a change of which is highlighted
    COLUMNS = ("name", "state", "mtu", "master")

    def diff(self, other: LinkInfo) -> list[str]:
        return [c for c in self.COLUMNS if getattr(self, c) != getattr(other, c)]


def link_info(msg: Any) -> LinkInfo:
    """A LinkInfo from an RTM_NEWLINK message (a codec Message or anything with get())."""
    return LinkInfo(
        index=msg.get("index", 0),
        name=msg.get("ifname") or f"if{msg.get('index', 0)}",
        state=msg.get("operstate") or "UNKNOWN",
        mtu=msg.get("mtu") or 0,
        master=msg.get("master") or 0,
        flags=msg.get("flags") or 0,
        kind=msg.get(("linkinfo", "kind")) or "",
    )


def link_counters(msg: Any) -> tuple[int, ...] | None:
    stats = msg.get("stats64")
    if not stats:
        return None
    return tuple(int(stats.get(name, 0)) for name in COUNTERS)


@dataclass
class LinkRow:
    info: LinkInfo
    counters: tuple[int, ...] | None = None  # last sample
    sampled_at: float | None = None
    # per-second rates of the last interval (None: unknown yet, or the counters reset)
    rx_bps: float | None = None
    tx_bps: float | None = None
    rx_pps: float | None = None
    tx_pps: float | None = None
    # errors and drops counted since the row appeared or the rates were reset
    errors: int = 0
    drops: int = 0
    resets: int = 0


class LinksModel:
    """Rows keyed by ifindex: attributes from events, rates from periodic stats64 samples.

    A link that goes and comes back with the same name gets a new index and so a fresh row
    with no history; a reused index with smaller counters counts as a reset.
    """

    def __init__(self, clock: Clock = time.monotonic, hold: float = HIGHLIGHT_S) -> None:
        self.clock = clock
        self.rows: dict[int, LinkRow] = {}
        self.highlights = Highlights(clock, hold)
        self.version = 0  # bumped on every visible change (the UI redraws on change only)
        self.names_version = 0  # bumped when an index gets, changes or loses its name

    # --- events ---------------------------------------------------------------------------

    def upsert(self, info: LinkInfo, quiet: bool = False) -> None:
        """Add or update a link's row; ``quiet`` (the first load) highlights nothing."""
        row = self.rows.get(info.index)
        if row is None:
            self.rows[info.index] = LinkRow(info)
            self.names_version += 1
            if not quiet:
                self.highlights.mark(info.index, Highlights.ROW)
            self.version += 1
            return
        changed = row.info.diff(info)
        row.info = info
        if "name" in changed:
            self.names_version += 1
        if changed:
            self.highlights.mark(info.index, *changed)
            self.version += 1

    def remove(self, index: int) -> None:
        if self.rows.pop(index, None) is not None:
            self.highlights.forget(index)
            self.version += 1
            self.names_version += 1

    # --- samples --------------------------------------------------------------------------

    def sample(self, links: Iterable[tuple[LinkInfo, tuple[int, ...] | None]],
               now: float | None = None, quiet: bool = False) -> None:
        """A full RTM_GETLINK dump taken at ``now``: rows not in it leave, new ones appear,
        rates update."""
        counters: dict[int, tuple[int, ...] | None] = {}
        for info, values in links:
            self.upsert(info, quiet)
            counters[info.index] = values
        self.sample_counters(counters, now)

    def sample_counters(self, counters: dict[int, tuple[int, ...] | None],
                        now: float | None = None) -> set[int]:
        """Every link's counters at ``now`` (ifindex -> counters in COUNTERS order, None if
        the link has none): rows not in it leave, rates update. Returns the indexes that have
        no row yet (their attributes are needed: the caller asks the kernel)."""
        now = self.clock() if now is None else now
        for index in [i for i in self.rows if i not in counters]:
            self.remove(index)
        unknown = set()
        for index, values in counters.items():
            row = self.rows.get(index)
            if row is None:
                unknown.add(index)
            else:
                self._count(row, values, now)
        return unknown

    def _count(self, row: LinkRow, counters: tuple[int, ...] | None, now: float) -> None:
        old, then = row.counters, row.sampled_at
        row.counters, row.sampled_at = counters, now
        if counters is None or old is None or then is None or now <= then:
            if row.rx_bps is not None:
                self.version += 1
            row.rx_bps = row.tx_bps = row.rx_pps = row.tx_pps = None
            return
        deltas = [counter_delta(o, n) for o, n in zip(old, counters, strict=True)]
        dt = now - then
        rates = [None if d is None else d / dt for d in deltas[:4]]
        if rates[0] is not None:
            rates[0] *= 8
        if rates[1] is not None:
            rates[1] *= 8
        new_rates = tuple(rates)
        if new_rates != (row.rx_bps, row.tx_bps, row.rx_pps, row.tx_pps):
            self.version += 1
        row.rx_bps, row.tx_bps, row.rx_pps, row.tx_pps = new_rates
        if any(d is None for d in deltas):
            row.resets += 1
        errors = sum(d or 0 for d in deltas[4:6])
        drops = sum(d or 0 for d in deltas[6:8])
        if errors:
            row.errors += errors
            self.highlights.mark(row.info.index, "errors")
            self.version += 1
        if drops:
            row.drops += drops
            self.highlights.mark(row.info.index, "drops")
            self.version += 1

    def reset_rates(self) -> None:
        """Forget history: rates are unknown until the next sample, error counts restart."""
        for row in self.rows.values():
            row.counters = row.sampled_at = None
            row.rx_bps = row.tx_bps = row.rx_pps = row.tx_pps = None
            row.errors = row.drops = row.resets = 0
        self.version += 1

    # --- readers --------------------------------------------------------------------------

    def name(self, index: int) -> str | None:
        row = self.rows.get(index)
        return row.info.name if row else None

    def visible(self, flt: Filter = NO_FILTER) -> list[LinkRow]:
        return [self.rows[i] for i in sorted(self.rows) if flt.match_dev(self.rows[i].info.name)]


# --- number formatting -------------------------------------------------------------------

_UNITS = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def human(value: float | None) -> str:
    """1234567 -> '1.23M'; None -> '-' (unknown)."""
    if value is None:
        return "-"
    for scale, unit in _UNITS:
        if value >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"
