"""Human tables (tabulate), one row per object, built from the ip-compatible JSON dicts:
the layout every table shares, and link's table. The tables of addresses, routes,
neighbours and rules are in objtables.py (`nlshell -c 'link show'` loads only this one:
start-up time).

Columns that are empty in every row are left out, so a plain `route show` stays narrow
and `-d`/`-s` widen the table only with what they add. tabulate is imported when a table
is drawn, never when this module is imported (start-up time of `nlshell -c`).
"""

from __future__ import annotations

from _operator import itemgetter  # the C module (start-up time)

# (each object's JSON renderer is imported by its table function: `link show` loads no
# route, rule or neighbour renderer)
from nlshell.engine.codec.constants import RTM_DELLINK, RTM_NEWLINK

from . import colors as C
from .safe import printable

# typing and collections.abc cost start-up time: only type checkers read them here
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    Row = dict[str, Any]
    Cell = Callable[[Row, bool], str]  # (json row, colour on) -> text

TABLEFMT = "simple"


def _text(v: Any) -> str:
    """A JSON value as cell text; strings (device names, aliases, qdiscs... from the
    kernel) with their control characters escaped."""
    if v is None:
        return ""
    if v.__class__ is str:
        return v if v.isprintable() else printable(v)
    if isinstance(v, bool):
        return "yes" if v else ""
    if isinstance(v, list):
        return ",".join(_text(x) for x in v)
    return str(v)


def _field(key: str, code: str | None = None) -> Cell:
    return lambda r, on: C.paint(_text(r.get(key)), code, on)


def draw(rows: list[list[str]], headers: list[str], *, fmt: str = TABLEFMT) -> str:
    """Rows of text cells -> a table; columns empty in every row are dropped."""
    if not rows:
        return ""
    keep = [i for i in range(len(headers)) if any(r[i] for r in rows)]
    rows = [[r[i] for i in keep] for r in rows]
    headers = [headers[i] for i in keep]
    if fmt == "simple":  # the default: laid out here, tabulate's import alone costs ~50-100 ms
        return simple(rows, headers)
    from tabulate import tabulate  # other formats (grid, psql...) from the config file

    return tabulate(rows, headers, tablefmt=fmt, disable_numparse=True)


def _width(text: str) -> int:
    if "\x1b" in text:  # colour codes take no room (re only then: start-up time)
        import re

        text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return max(len(line) for line in text.split("\n"))


def simple(rows: list[list[str]], headers: list[str]) -> str:
    """tabulate's "simple" layout of left-aligned text cells, drawn without tabulate
    (which takes ~0.1 ms a row: ten seconds for a 100,000-route table)."""
    widths = [len(h) + 2 for h in headers]  # tabulate's minimum padding of headers
    for row in rows:
        for i, cell in enumerate(row):
            w = len(cell) if "\n" not in cell and "\x1b" not in cell else _width(cell)
            if w > widths[i]:
                widths[i] = w

    def line(cells: list[str]) -> str:  # tabulate strips trailing blanks too
        return "  ".join(c + " " * (w - (len(c) if "\x1b" not in c else _width(c)))
                         for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(headers), "  ".join("-" * w for w in widths)]
    for row in rows:
        if any("\n" in c for c in row):
            parts = [c.split("\n") for c in row]
            height = max(len(p) for p in parts)
            for k in range(height):
                out.append(line([p[k] if k < len(p) else "" for p in parts]))
        else:
            out.append(line(row))
    return "\n".join(out)


WINDOW = 200  # rows a streamed table reads before it settles its columns and widths


class TableStream:
    """tabulate's "simple" table, written as rows come (a dump being read): the first
    ``window`` rows settle which columns show (those not empty in every one of them) and
    their widths, then every row is written at once. A later cell wider than its column
    is written whole (that row's next cells move right: nothing is cut); a later row with
    a value in a column the window left out starts a new block (a blank line, then the
    header again with that column). A table of at most ``window`` rows is exactly
    ``simple(rows, headers)``."""

    def __init__(self, headers: list[str], write: Callable[[str], Any],
                 window: int = WINDOW) -> None:
        self.headers, self.write, self.window = headers, write, window
        self._pending: list[list[str]] | None = []
        self._keep: list[int] = []
        self._widths: list[int] = []
        self._dropped: list[int] = []
        self._fmt = ""
        self._cells: Callable[[list[str]], tuple[str, ...]] = tuple
        self._late: Callable[[list[str]], tuple[str, ...]] | None = None

    def feed(self, rows: list[list[str]]) -> None:
        pending = self._pending
        if pending is not None:
            pending.extend(rows)
            if len(pending) < self.window:
                return
            self._pending = None
            self._start(pending)
            return
        out = []
        fmt, late, cells_of = self._fmt, self._late, self._cells
        for row in rows:
            if late is not None and "".join(late(row)):
                if out:
                    self.write("\n".join(out) + "\n")
                    out = []
                self._restart(row)
                fmt, late, cells_of = self._fmt, self._late, self._cells
                continue
            cells = cells_of(row)
            line = fmt % cells
            if "\n" in line or "\x1b" in line:
                line = self._lines(list(cells))
            out.append(line.rstrip())
        if out:
            self.write("\n".join(out) + "\n")

    def settled(self) -> tuple[list[int], list[int]] | None:
        """(the kept columns' indexes, their widths) once the first rows settled them;
        None while they are still awaited. A writer of ready-made lines (route_shapes)
        lays them out the same way and writes them with ``write``."""
        if self._pending is not None:
            return None
        return self._keep, self._widths

    def close(self) -> None:
        """The end of the rows: a table shorter than the window is written now."""
        if self._pending is not None:
            rows, self._pending = self._pending, None
            if rows:
                self._start(rows)

    def _start(self, rows: list[list[str]]) -> None:
        n = len(self.headers)
        self._settle([i for i in range(n) if any(r[i] for r in rows)], rows)
        self.write(simple([[r[i] for i in self._keep] for r in rows],
                          [self.headers[i] for i in self._keep]) + "\n")

    def _settle(self, keep: list[int], rows: list[list[str]]) -> None:
        old = dict(zip(self._keep, self._widths, strict=True))
        self._keep = keep
        self._dropped = [i for i in range(len(self.headers)) if i not in keep]
        widths = [max(old.get(i, 0), len(self.headers[i]) + 2) for i in keep]
        for row in rows:
            for k, i in enumerate(keep):
                w = _width(row[i]) if row[i] else 0
                if w > widths[k]:
                    widths[k] = w
        self._widths = widths
        # one row is one %-format of the kept cells: "%-Ws" pads, and cuts nothing
        self._fmt = "  ".join(f"%-{w}s" for w in widths)
        self._cells = _getter(keep)
        self._late = _getter(self._dropped) if self._dropped else None

    def _restart(self, row: list[str]) -> None:
        self._settle(sorted(set(self._keep) | {i for i, c in enumerate(row) if c}), [row])
        heads = [self.headers[i] for i in self._keep]
        lines = ["", "  ".join(h.ljust(w) for h, w in zip(heads, self._widths, strict=True)).rstrip(),
                 "  ".join("-" * w for w in self._widths),
                 self._lines([row[i] for i in self._keep])]
        self.write("\n".join(lines) + "\n")

    def _lines(self, cells: list[str]) -> str:
        widths = self._widths
        parts = [c.split("\n") for c in cells]
        height = max(len(p) for p in parts)
        out = []
        for k in range(height):
            line = [p[k] if k < len(p) else "" for p in parts]
            out.append("  ".join(c + " " * max(0, w - _width(c)) if c else " " * w
                                 for c, w in zip(line, widths, strict=True)).rstrip())
        return "\n".join(out)


def _getter(indexes: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    """row -> the cells at these indexes, as a tuple (one C call)."""
    if len(indexes) == 1:
        i = indexes[0]
        return lambda row: (row[i],)
    return itemgetter(*indexes)


def _table(items: Iterable[Row], columns: list[tuple[str, Cell]], color: bool,
           fmt: str) -> str:
    rows = [[cell(r, color) for _h, cell in columns] for r in items]
    return draw(rows, [h for h, _c in columns], fmt=fmt)


# --- links -------------------------------------------------------------------------


def _name(r: Row, on: bool) -> str:
    name = r["ifname"]
    if "link_index" in r:
        name += f"@if{r['link_index']}"
    elif "link" in r:
        name += f"@{r['link'] or 'NONE'}"
    return C.paint(printable(name), C.IFNAME, on)


def _state(r: Row, on: bool) -> str:
    state = _text(r.get("operstate", r.get("operstate_index")))
    return C.paint(state, C.OPERSTATE.get(state), on)


def _flags(r: Row, on: bool) -> str:
    # UP and LOWER_UP only repeat a STATE of UP; otherwise (UNKNOWN for lo or tun,
    # LOWERLAYERDOWN for a veth whose peer is down) they are the only sign of admin state.
    if r.get("operstate") != "UP":
        return ",".join(r.get("flags", ()))
    return ",".join(f for f in r.get("flags", ()) if f not in ("UP", "LOWER_UP"))


def _kind(r: Row, on: bool) -> str:
    li = r.get("linkinfo") or {}
    kind = li.get("info_kind", "")
    if li.get("info_slave_kind"):
        kind = f"{kind} ({li['info_slave_kind']} port)" if kind else f"{li['info_slave_kind']} port"
    return printable(kind)


def _stat(direction: str, key: str) -> Cell:
    def cell(r: Row, on: bool) -> str:
        s = r.get("stats64") or r.get("stats")
        value = None if s is None else s[direction].get(key)  # -s -s has more keys
        return "" if value is None else str(value)
    return cell


_ALL_ONES = "ff:ff:ff:ff:ff:ff"


def _brd(r: Row, on: bool) -> str:
    # ether's usual broadcast on every row says nothing: only other ones are shown
    # (lo's zeros, one set by hand, a point-to-point peer)
    brd = r.get("broadcast", "")
    return "" if brd == _ALL_ONES else C.paint(brd, C.MAC, on)


def _group(r: Row, on: bool) -> str:
    group = r.get("group")
    return "" if group in (None, "default") else _text(group)


LINK_COLUMNS: list[tuple[str, Cell]] = [
    ("INDEX", _field("ifindex")), ("NAME", _name), ("STATE", _state), ("MTU", _field("mtu")),
    ("MAC", lambda r, on: C.paint(r.get("address", ""), C.MAC, on)), ("BRD", _brd),
    ("MASTER", _field("master", C.IFNAME)), ("KIND", _kind), ("QDISC", _field("qdisc")),
    ("QLEN", _field("txqlen")), ("GROUP", _group), ("FLAGS", _flags),
    ("ALIAS", _field("ifalias")), ("DETAILS", _field("_details")),
    ("RX BYTES", _stat("rx", "bytes")), ("RX PKTS", _stat("rx", "packets")),
    ("RX ERR", _stat("rx", "errors")), ("RX DROP", _stat("rx", "dropped")),
    ("RX MISSED", _stat("rx", "missed_errors")), ("RX MCAST", _stat("rx", "multicast")),
    ("RX LEN", _stat("rx", "length_errors")), ("RX CRC", _stat("rx", "crc_errors")),
    ("RX FRAME", _stat("rx", "frame_errors")), ("RX FIFO", _stat("rx", "fifo_errors")),
    ("RX OVERRUN", _stat("rx", "over_errors")),
    ("TX BYTES", _stat("tx", "bytes")), ("TX PKTS", _stat("tx", "packets")),
    ("TX ERR", _stat("tx", "errors")), ("TX DROP", _stat("tx", "dropped")),
    ("TX CARRIER", _stat("tx", "carrier_errors")), ("TX COLL", _stat("tx", "collisions")),
    ("TX ABORT", _stat("tx", "aborted_errors")), ("TX FIFO", _stat("tx", "fifo_errors")),
    ("TX WINDOW", _stat("tx", "window_errors")),
    ("TX HEARTBT", _stat("tx", "heartbeat_errors")),
    ("CARRIER CHANGES", _stat("tx", "carrier_changes")),
]


def link_table(msgs: Iterable[Any], ctx: Any, *, color: bool = False,
               fmt: str = TABLEFMT) -> str:
    """`link show` for people: index, name, state, MTU, MAC, broadcast (when unusual),
    master, kind, qdisc, qlen, group (when not default), flags, alias; -d adds the kind's
    details in ip's words, -s the counters (-s -s the error counters too)."""
    from .link import link_entry

    rows = []
    for m in msgs:
        if m.type not in (RTM_NEWLINK, RTM_DELLINK):
            continue
        e = link_entry(m, ctx)
        if ctx.details:
            from .iptext.link import kind_details

            e["_details"] = kind_details(m, e, ctx)
        rows.append(e)
    return _table(rows, LINK_COLUMNS, color, fmt)
