"""``nlshell watch``: the full-screen application and its command line.

    watch [links] [addrs] [routes] [neigh] [qdiscs] [events] [dev GLOB] [table ID] [-n NS]
          [--interval S] [--all-ns] [--filter GLOB]

Panes split the screen: links on top, addrs / routes / neigh side by side below them, then
the qdiscs and classes with their counters, the event log at the bottom. A background Watcher feeds the models and asks for a redraw; the UI
thread only renders and handles keys.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

from prompt_toolkit.application import Application
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.layout import (
    ConditionalContainer,
    Dimension,
    Float,
    FloatContainer,
    HSplit,
    Layout,
    VSplit,
    Window,
)
from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
from prompt_toolkit.layout.processors import BeforeInput
from prompt_toolkit.styles import Style
from prompt_toolkit.widgets import Frame

from nlshell.commands.shellwords import WATCH_PANES
from nlshell.engine.errors import NetlinkError

from .keys import build_keys, help_lines
from .model import parse_filter
from .panes import Pane, PaneControl, make_pane
from .source import DEFAULT_LABEL, Watcher
from .state import WatchState

PROG = "nlshell watch"
PANES = tuple(WATCH_PANES)  # links addrs routes neigh qdiscs events
# words accepted for each pane (ip's spellings too)
PANE_WORDS = {
    "links": "links", "link": "links", "l": "links",
    "addrs": "addrs", "addr": "addrs", "address": "addrs", "addresses": "addrs", "a": "addrs",
    "routes": "routes", "route": "routes", "r": "routes",
    "neigh": "neigh", "neighbour": "neigh", "neighbours": "neigh", "neighbor": "neigh",
    "neighbors": "neigh", "n": "neigh",
    "qdiscs": "qdiscs", "qdisc": "qdiscs", "tc": "qdiscs", "classes": "qdiscs",
    "events": "events", "event": "events", "monitor": "events", "e": "events",
}
DEFAULT_PANES = ("links", "events")
FILTER_WORDS = ("dev", "table")  # filter words that may follow the panes
MIN_INTERVAL = 0.05

STYLE = Style.from_dict({
    "title": "bg:#3a3a3a #d0d0d0",
    "title.focused": "bg:#005f87 #ffffff bold",
    "header": "bold underline",
    "changed": "bg:#af8700 #000000 bold",
    "new": "#00d700 bold",
    "down": "#8a8a8a",
    "dim": "#8a8a8a",
    "status": "bg:#262626 #bcbcbc",
    "status.msg": "bg:#262626 #ffaf00 bold",
    "status.paused": "bg:#af0000 #ffffff bold",
    "filter": "bg:#303030 #ffffff",
    "ev.link": "#5fafff bold",
    "ev.addr": "#87d787 bold",
    "ev.route": "#d7af5f bold",
    "ev.neigh": "#af87ff bold",
    "ev.rule": "#5fd7d7 bold",
    "ev.netns": "#ff87af bold",
    "ev.watch": "#ffaf00 bold",
    "ev.ns": "#d787d7",
    "ev.deleted": "#ff5f5f",
})


# --- the command line --------------------------------------------------------------------


class UsageError(Exception):
    """A bad word or value on the command line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # raise instead of exiting the caller's process
        raise UsageError(message)


def _interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= MIN_INTERVAL or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(
            f"bad interval {text!r}: expected seconds, at least {MIN_INTERVAL}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Live panes of links (with rates), addresses, routes, "
                "neighbours, qdiscs and classes (with rates) and netlink events. Keys: q quit, "
                "p pause, r reset rates, Tab next pane, / filter, ? help.")
    p.add_argument("panes", nargs="*", metavar="PANE",
                   help=f"panes to show: {', '.join(PANES)} (default: {' '.join(DEFAULT_PANES)})")
    p.add_argument("-n", "--netns", metavar="NS", help="watch network namespace NS")
    p.add_argument("--interval", type=_interval, default=1.0, metavar="S",
                   help="seconds between stats samples (default 1)")
    p.add_argument("--all-ns", action="store_true",
                   help="log events from every named namespace too, labelled by name")
    p.add_argument("--filter", metavar="GLOB", default="",
                   help="start every pane filtered: GLOB, 'dev GLOB' or 'table ID'")
    return p


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse and check ``argv``; UsageError names the bad word."""
    args = build_parser().parse_intermixed_args(argv)  # `links -n NS events` too
    panes: list[str] = []
    words: list[str] = []  # filter words after the panes: `routes dev veth* table main`
    rest = iter(args.panes)
    for word in rest:
        if word == "interval":  # the shell's spelling (`watch links interval 2`, README)
            value = next(rest, None)
            if value is None:
                raise UsageError("'interval' needs a value (seconds)")
            try:
                args.interval = _interval(value)
            except argparse.ArgumentTypeError as exc:
                raise UsageError(str(exc)) from None
            continue
        if word in FILTER_WORDS:
            value = next(rest, None)
            if value is None:
                raise UsageError(f"{word!r} needs a value")
            words += [word, value]
            continue
        name = PANE_WORDS.get(word)
        if name is None:
            raise UsageError(f"unknown pane {word!r}: expected {', '.join(PANES)}"
                             f" (or filter words: dev GLOB, table ID)")
        if name not in panes:
            panes.append(name)
    args.panes = panes or list(DEFAULT_PANES)
    if words and args.filter:
        raise UsageError("give the filter once: --filter TEXT or dev GLOB / table ID words")
    try:
        args.filter = parse_filter(args.filter or " ".join(words))
    except ValueError as exc:
        raise UsageError(f"bad --filter: {exc}") from None
    if args.netns is not None:
        from nlshell.engine import netns as nsmod

        try:
            path = nsmod.ns_path(args.netns)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if not os.path.exists(path):
            raise UsageError(f"network namespace {args.netns!r} not found")
    return args


# --- the screen ----------------------------------------------------------------------------


class WatchUI:
    """The Application around the panes, and the actions the keys call."""

    def __init__(self, state: WatchState, panes: list[str], netns: str | None,
                 interval: float) -> None:
        self.state = state
        self.panes: list[Pane] = [make_pane(state, name) for name in panes]
        self.windows = [Window(PaneControl(p), wrap_lines=False) for p in self.panes]
        self.netns = netns
        self.interval = interval
        self.filtering = False
        self.helping = False
        self.message = ""
        self.focus = 0
        self.filter_buffer = Buffer(multiline=False, name="filter")
        self.app: Application[int] = Application(
            layout=Layout(self._layout(), focused_element=self.windows[0]),
            key_bindings=build_keys(self),
            style=STYLE,
            full_screen=True,
            mouse_support=False,
        )
        self.app.ttimeoutlen = 0.05  # a lone Esc closes help / the filter line at once

    # --- layout ---------------------------------------------------------------------------

    def _block(self, i: int) -> HSplit:
        pane, window = self.panes[i], self.windows[i]

        def title() -> StyleAndTextTuples:
            style = "class:title.focused" if i == self.focus else "class:title"
            return [(style, pane.title())]

        return HSplit([Window(FormattedTextControl(title), height=1, style="class:title"),
                       window])

    def _layout(self) -> FloatContainer:
        names = [p.name for p in self.panes]
        rows: list[Any] = []
        if "links" in names:
            rows.append(self._weighted(self._block(names.index("links")), 3))
        middle = [self._block(i) for i, n in enumerate(names) if n in ("addrs", "routes", "neigh")]
        if middle:
            rows.append(self._weighted(
                VSplit(middle, padding=1, padding_char="│", padding_style="class:dim"), 2))
        if "qdiscs" in names:
            rows.append(self._weighted(self._block(names.index("qdiscs")), 2))
        if "events" in names:
            rows.append(self._weighted(self._block(names.index("events")), 2))
        filter_line = ConditionalContainer(
            Window(BufferControl(self.filter_buffer, input_processors=[
                BeforeInput(lambda: f"filter {self.pane().name} (Enter apply, Esc cancel): ",
                            style="class:filter")]), height=1, style="class:filter"),
            filter=Condition(lambda: self.filtering))
        status = Window(FormattedTextControl(self._status), height=1, style="class:status")
        body = HSplit([*rows, filter_line, status])
        help_box = ConditionalContainer(
            Frame(Window(FormattedTextControl(self._help_text), wrap_lines=False),
                  title="nlshell watch: keys"),
            filter=Condition(lambda: self.helping))
        return FloatContainer(body, floats=[Float(help_box)])

    @staticmethod
    def _weighted(container: Any, weight: int) -> Any:
        container.height = Dimension(weight=weight)
        return container

    def _status(self) -> StyleAndTextTuples:
        where = self.netns or "current namespace"
        right = f" ns {where} · every {self.interval:g}s "
        out: StyleAndTextTuples = []
        if self.state.paused:
            out.append(("class:status.paused", " PAUSED "))
        if self.state.lost:
            out.append(("class:status.paused", f" EVENTS LOST ×{self.state.lost} (re-read) "))
        if self.message:
            out.append(("class:status.msg", f" {self.message} "))
        else:
            out.append(("class:status", " q quit  p pause  r reset rates  Tab next pane"
                        "  / filter  ? help "))
        out.append(("class:status", right))
        return out

    def _help_text(self) -> StyleAndTextTuples:
        out: StyleAndTextTuples = []
        for key, text in help_lines():
            out.append(("bold", f" {key:<12}"))
            out.append(("", f"{text}\n"))
        out.append(("", "\n"))
        for pane in self.panes:
            if pane.help:
                out.append(("bold", f" {pane.name:<12}"))
                out.append(("", f"{pane.help}\n"))
        out.append(("class:dim", "\n Changed cells are highlighted for a few seconds.\n"
                    " Press ? or Esc to close."))
        return out

    # --- actions (called by keys) ---------------------------------------------------------

    def pane(self) -> Pane:
        return self.panes[self.focus]

    def focused_height(self) -> int:
        info = self.windows[self.focus].render_info
        return info.window_height if info else 10

    def quit(self, code: int) -> None:
        if not self.app.is_done:
            self.app.exit(result=code)

    def toggle_pause(self) -> None:
        self.state.paused = not self.state.paused
        self.message = "paused: press p to resume" if self.state.paused else ""

    def reset_rates(self) -> None:
        self.state.reset_rates()
        self.message = "rates reset: new figures after the next sample"

    def focus_step(self, step: int) -> None:
        self.focus = (self.focus + step) % len(self.panes)
        self.app.layout.focus(self.windows[self.focus])
        self.message = ""

    def toggle_help(self) -> None:
        self.helping = not self.helping

    def close_help(self) -> None:
        self.helping = False
        self.message = ""

    def start_filter(self) -> None:
        self.helping = False
        self.filtering = True
        text = self.pane().filter.text
        self.filter_buffer.set_document(Document(text, len(text)), bypass_readonly=True)
        self.app.layout.focus(self.filter_buffer)

    def accept_filter(self) -> None:
        text = self.filter_buffer.text
        try:
            flt = parse_filter(text)
        except ValueError as exc:
            self.message = f"filter not applied: {exc}"
            return  # stay on the line so the word can be fixed
        self.pane().set_filter(flt)
        self.message = f"{self.pane().name}: filter {flt.text}" if flt.text else ""
        self._end_filter()

    def cancel_filter(self) -> None:
        self.message = ""
        self._end_filter()

    def _end_filter(self) -> None:
        self.filtering = False
        self.app.layout.focus(self.windows[self.focus])

    def invalidate(self) -> None:
        self.app.invalidate()  # thread-safe: called by the sampler thread


# --- running -------------------------------------------------------------------------------


@contextlib.contextmanager
def _terminate_cleanly(ui: WatchUI) -> Iterator[None]:
    """SIGTERM leaves like q does (status 143), so the terminal is restored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(_signum: int, _frame: Any) -> None:
        loop = ui.app.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(ui.quit, 128 + signal.SIGTERM)

    old = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def run(args: argparse.Namespace) -> int:
    label = (args.netns or DEFAULT_LABEL) if args.all_ns else None
    state = WatchState(ns_label=label)
    watcher = Watcher(state, args.netns, args.interval, args.all_ns)
    watcher.tc_stats = "qdiscs" in args.panes  # their counters are sampled only when shown
    try:
        watcher.start()
    except KeyboardInterrupt:
        return 130
    except (NetlinkError, OSError, ValueError) as exc:
        print(f"{PROG}: cannot watch {args.netns or 'this namespace'}: {exc}", file=sys.stderr)
        return 1
    try:
        ui = WatchUI(state, args.panes, args.netns, args.interval)
        if args.filter.text:
            for pane in ui.panes:
                pane.set_filter(args.filter)
        watcher.on_change = ui.invalidate
        with _terminate_cleanly(ui):
            result = ui.app.run()
    finally:
        watcher.stop()
    return 0 if result is None else int(result)


def main(argv: list[str]) -> int:
    """Run ``watch ...`` (argv without the word 'watch'); the exit status."""
    try:
        args = parse_args(list(argv))
    except UsageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        print(f"usage: {build_parser().format_usage().split(': ', 1)[-1].strip()}",
              file=sys.stderr)
        return 1  # a usage error, as everywhere in nlshell (2 means the kernel refused)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(f"{PROG}: needs a terminal (stdin and stdout must be a tty)", file=sys.stderr)
        return 1
    return run(args)
