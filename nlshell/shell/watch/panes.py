"""The panes: each turns a model into exactly the lines that fit its window.

A pane renders only what is visible (a namespace may have thousands of links), at the size
prompt_toolkit hands it, so terminal resizes are followed with no bookkeeping. Rendering
reads the models under the state's lock and never talks to the kernel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.layout.controls import UIContent, UIControl
from prompt_toolkit.mouse_events import MouseEvent, MouseEventType

from .events import Event
from .model import NO_FILTER, Filter, Highlights, LinkRow, human
from .qdiscs import TcRow, counter
from .state import WatchState

Line = StyleAndTextTuples


def fit(text: str, width: int, right: bool = False) -> str:
    """``text`` in exactly ``width`` columns: padded, or cut with a '~' marking the cut."""
    if len(text) > width:
        return text[: max(width - 1, 0)] + "~" if width > 0 else ""
    return text.rjust(width) if right else text.ljust(width)


class Pane:
    """A named pane: a title, a filter, a scroll position and a renderer."""

    name = "pane"
    help = ""

    def __init__(self, state: WatchState) -> None:
        self.state = state
        self.filter: Filter = NO_FILTER
        self.offset = 0  # first row shown (tables) / lines up from the bottom (events)
        self._frozen: tuple[int, int, list[Line]] | None = None

    # --- title and actions ----------------------------------------------------------------

    def count(self) -> int:
        return 0

    def title(self) -> str:
        text = f" {self.name} ({self.count()})"
        if self.filter.text:
            text += f"  filter: {self.filter.text}"
        return text + " "

    def set_filter(self, flt: Filter) -> None:
        self.filter = flt
        self.offset = 0

    def up(self, lines: int = 1) -> None:
        self.offset = max(0, self.offset - lines)

    def down(self, lines: int = 1) -> None:
        self.offset = max(0, min(self.offset + lines, max(0, self.count() - 1)))

    def home(self) -> None:
        self.offset = 0

    def end(self) -> None:
        self.offset = max(0, self.count() - 1)

    # --- rendering ------------------------------------------------------------------------

    def lines(self, width: int, height: int) -> list[Line]:
        raise NotImplementedError

    def render(self, width: int, height: int) -> list[Line]:
        """The lines to show; while paused, the last ones rendered at this size."""
        frozen = self._frozen
        if self.state.paused and frozen and frozen[:2] == (width, height):
            return frozen[2]
        with self.state.lock:
            out = self.lines(width, height)[:height]
        self._frozen = (width, height, out)
        return out


# --- tables ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    heading: str
    width: int
    right: bool = False
    mark: str = ""  # the highlight key of this column ('' = none)


def _header(cols: list[Column]) -> Line:
    text = " ".join(fit(c.heading, c.width, c.right) for c in cols)
    return [("class:header", text)]


def _row(cols: list[Column], cells: list[str], marked: Callable[[str], bool],
         base: str) -> Line:
    out: Line = []
    for i, (col, cell) in enumerate(zip(cols, cells, strict=True)):
        style = "class:changed" if col.mark and marked(col.mark) else base
        out.append((style, fit(cell, col.width, col.right)))
        if i + 1 < len(cols):
            out.append((base, " "))
    return out


class TablePane(Pane):
    """Scrollable rows under a header line."""

    def rows(self) -> list:
        raise NotImplementedError

    def columns(self) -> list[Column]:
        raise NotImplementedError

    def cells(self, row: object) -> tuple[list[str], Callable[[str], bool], str]:
        raise NotImplementedError

    def count(self) -> int:
        with self.state.lock:
            return len(self.rows())

    def lines(self, width: int, height: int) -> list[Line]:
        rows = self.rows()
        body = max(height - 1, 0)
        self.offset = max(0, min(self.offset, len(rows) - body))
        shown = [self.cells(row) for row in rows[self.offset:self.offset + body]]
        # each column as wide as its widest shown cell, up to its own width: narrow
        # terminals and side-by-side panes fit more
        cols = [Column(c.heading, min(c.width, max(len(c.heading), *(len(s[0][i]) for s in shown)))
                       if shown else len(c.heading), c.right, c.mark)
                for i, c in enumerate(self.columns())]
        out = [_header(cols)]
        for cells, marked, base in shown:
            out.append(_row(cols, cells, marked, base))
        if not rows:
            out.append([("class:dim", "  (none)" if not self.filter.text
                         else f"  (nothing matches {self.filter.text})")])
        return out


class LinksPane(TablePane):
    name = "links"
    help = "filter: a glob on the name (veth*)"

    COLUMNS = [
        Column("IDX", 7, True), Column("NAME", 15, mark="name"),
        Column("STATE", 14, mark="state"), Column("MTU", 5, True, "mtu"),
        Column("MASTER", 15, mark="master"),
        Column("RX bit/s", 8, True), Column("TX bit/s", 8, True),
        Column("RX pkt/s", 8, True), Column("TX pkt/s", 8, True),
        Column("ERRORS", 8, True, "errors"), Column("DROPS", 8, True, "drops"),
    ]

    def rows(self) -> list[LinkRow]:
        return self.state.links.visible(self.filter)

    def columns(self) -> list[Column]:
        return self.COLUMNS

    def cells(self, row: object) -> tuple[list[str], Callable[[str], bool], str]:
        assert isinstance(row, LinkRow)
        info = row.info
        hl: Highlights = self.state.links.highlights
        master = (self.state.names(info.master) or f"if{info.master}") if info.master else ""
        state_style = "class:up" if info.state == "UP" else "class:down"
        cells = [str(info.index), info.name, info.state, str(info.mtu), master,
                 human(row.rx_bps), human(row.tx_bps), human(row.rx_pps), human(row.tx_pps),
                 str(row.errors), str(row.drops)]
        base = "class:new" if hl.row_is_new(info.index) else ""

        def marked(col: str) -> bool:
            return hl.is_on(info.index, col)

        if not base and info.state != "UP":
            base = state_style
        return cells, marked, base


class ObjectPane(TablePane):
    """addrs / routes / neigh: the rows of one ObjectTable, with the device first."""

    KINDS = {"addrs": "address", "routes": "route", "neigh": "neighbour"}
    HELP = {
        "addrs": "filter: dev GLOB (or a bare glob)",
        "routes": "filter: dev GLOB, table main|local|all|ID (default: all but local)",
        "neigh": "filter: dev GLOB (or a bare glob)",
    }

    def __init__(self, state: WatchState, name: str) -> None:
        super().__init__(state)
        self.name = name
        self.help = self.HELP[name]
        self.table = state.tables[self.KINDS[name]]
        self._rows: list = []
        self._rows_key: tuple | None = None

    def columns(self) -> list[Column]:
        kind = self.table.kind
        return [Column("DEV", 12, mark="DEV")] + [
            Column(h, w, mark=h) for h, w in zip(kind.columns, kind.widths, strict=True)]

    def rows(self) -> list:
        # sorting a big routing table on every redraw would be wasted: cache until it changes
        key = (self.table.version, self.filter, self.state.links.names_version)
        if key != self._rows_key:
            self._rows = self.table.visible(self.state.names, self.filter)
            self._rows_key = key
        return self._rows

    def cells(self, row: object) -> tuple[list[str], Callable[[str], bool], str]:
        hl = self.table.highlights
        dev = (self.state.names(row.dev) or f"if{row.dev}") if row.dev else ""  # type: ignore[attr-defined]
        key = row.key  # type: ignore[attr-defined]
        base = "class:new" if hl.row_is_new(key) else ""

        def marked(col: str) -> bool:
            return hl.is_on(key, col)

        return [dev, *row.cells], marked, base  # type: ignore[attr-defined]


class QdiscsPane(TablePane):
    """qdiscs and classes with their counters and rates (the sampler reads them)."""

    name = "qdiscs"
    help = "filter: dev GLOB (or a bare glob); bytes/packets/drops per second, backlog now"

    COLUMNS = [
        Column("DEV", 12, mark="DEV"), Column("OBJECT", 16, mark="what"),
        Column("HANDLE", 9), Column("PARENT", 9, mark="what"),
        Column("BYTES", 9, True), Column("PACKETS", 9, True),
        Column("DROPS", 8, True, "drops"), Column("OVERLIM", 8, True),
        Column("BACKLOG", 8, True),
        Column("bit/s", 8, True), Column("pkt/s", 8, True), Column("drop/s", 8, True, "drops"),
    ]

    def rows(self) -> list[TcRow]:
        return self.state.qdiscs.visible(self.state.names, self.filter)

    def columns(self) -> list[Column]:
        return self.COLUMNS

    def cells(self, row: object) -> tuple[list[str], Callable[[str], bool], str]:
        assert isinstance(row, TcRow)
        hl = self.state.qdiscs.highlights
        dev = self.state.names(row.dev) or f"if{row.dev}"

        def num(name: str) -> str:
            value = counter(row, name)
            return "-" if value is None else human(value)

        def rate(name: str, scale: int = 1) -> str:
            value = row.rates.get(name)
            return human(None if value is None else value * scale)

        cells = [dev, row.what, row.handle, row.parent, num("bytes"), num("packets"),
                 num("drops"), num("overlimits"), num("backlog"),
                 rate("bytes", 8), rate("packets"), rate("drops")]
        base = "class:new" if hl.row_is_new(row.key) else ""

        def marked(col: str) -> bool:
            return hl.is_on(row.key, col)

        return cells, marked, base


# --- events ------------------------------------------------------------------------------

LABEL_STYLES = {"LINK": "class:ev.link", "ADDR": "class:ev.addr", "ROUTE": "class:ev.route",
                "NEIGH": "class:ev.neigh", "RULE": "class:ev.rule", "NETNS": "class:ev.netns",
                "NSID": "class:ev.netns", "WATCH": "class:ev.watch"}


def event_line(ev: Event) -> Line:
    out: Line = [("class:dim", f"[{ev.stamp()}] ")]
    if ev.ns is not None:
        out.append(("class:ev.ns", f"[{ev.ns}] "))
    out.append((LABEL_STYLES.get(ev.label, ""), f"[{ev.label}]"))
    out.append(("class:ev.deleted" if ev.text.startswith("Deleted ") else "", " " + ev.text))
    return out


class EventsPane(Pane):
    name = "events"
    help = "filter: dev GLOB, table ID; newest at the bottom, Up/PgUp to scroll back"

    @property
    def log(self):  # noqa: ANN201 - the EventLog
        return self.state.log

    def count(self) -> int:
        with self.state.lock:
            return len(self.log.shown())

    def title(self) -> str:
        text = super().title()
        if self.log.offset:
            text += f"[scrolled up {self.log.offset}; End: newest] "
        return text

    def set_filter(self, flt: Filter) -> None:
        self.filter = flt
        with self.state.lock:
            self.log.set_filter(flt)

    def up(self, lines: int = 1) -> None:
        with self.state.lock:
            self.log.scroll(lines)

    def down(self, lines: int = 1) -> None:
        with self.state.lock:
            self.log.scroll(-lines)

    def home(self) -> None:
        with self.state.lock:
            self.log.scroll(len(self.log.events))

    def end(self) -> None:
        with self.state.lock:
            self.log.to_bottom()

    def lines(self, width: int, height: int) -> list[Line]:
        return [event_line(ev) for ev in self.log.view(height)]


def make_pane(state: WatchState, name: str) -> Pane:
    if name == "links":
        return LinksPane(state)
    if name == "events":
        return EventsPane(state)
    if name == "qdiscs":
        return QdiscsPane(state)
    return ObjectPane(state, name)


# --- the prompt_toolkit control ------------------------------------------------------------


class PaneControl(UIControl):
    """A focusable control that asks its pane for exactly the lines of its current size."""

    def __init__(self, pane: Pane) -> None:
        self.pane = pane

    def is_focusable(self) -> bool:
        return True

    def create_content(self, width: int, height: int) -> UIContent:
        lines = self.pane.render(width, height)
        return UIContent(get_line=lambda i: lines[i] if i < len(lines) else [],
                         line_count=len(lines), show_cursor=False)

    def mouse_handler(self, mouse_event: MouseEvent) -> object:
        if mouse_event.event_type == MouseEventType.SCROLL_UP:
            self.pane.up(3)
            return None
        if mouse_event.event_type == MouseEventType.SCROLL_DOWN:
            self.pane.down(3)
            return None
        return NotImplemented
