"""Key bindings of the watch screen, as one table: (keys, when, action, help)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from prompt_toolkit.filters import Condition, Filter
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

if TYPE_CHECKING:
    from .app import WatchUI

Action = Callable[["WatchUI"], None]


def _page(ui: WatchUI) -> int:
    return max(ui.focused_height() - 2, 1)


# (keys, mode, action, help): mode 'main' (not typing a filter), 'filter' (typing one),
# 'any'; an empty help keeps a binding out of the help screen (an alias)
BINDINGS: list[tuple[tuple[str, ...], str, Action, str]] = [
    (("q",), "main", lambda ui: ui.quit(0), "quit"),
    (("c-c",), "any", lambda ui: ui.quit(130), ""),
    (("p",), "main", lambda ui: ui.toggle_pause(), "pause / resume the display"),
    (("r",), "main", lambda ui: ui.reset_rates(), "reset rates and error/drop counts"),
    (("tab",), "main", lambda ui: ui.focus_step(1), "focus the next pane"),
    (("s-tab",), "main", lambda ui: ui.focus_step(-1), "focus the previous pane"),
    (("/",), "main", lambda ui: ui.start_filter(), "filter the focused pane (glob: veth*)"),
    (("?",), "main", lambda ui: ui.toggle_help(), "this help"),
    (("escape",), "main", lambda ui: ui.close_help(), ""),
    (("up",), "main", lambda ui: ui.pane().up(1), "scroll up (events: older)"),
    (("k",), "main", lambda ui: ui.pane().up(1), ""),
    (("down",), "main", lambda ui: ui.pane().down(1), "scroll down"),
    (("j",), "main", lambda ui: ui.pane().down(1), ""),
    (("pageup",), "main", lambda ui: ui.pane().up(_page(ui)), "a page up"),
    (("pagedown",), "main", lambda ui: ui.pane().down(_page(ui)), "a page down"),
    (("home",), "main", lambda ui: ui.pane().home(), "the top (events: the oldest)"),
    (("end",), "main", lambda ui: ui.pane().end(), "the end (events: the newest)"),
    (("enter",), "filter", lambda ui: ui.accept_filter(), "apply the filter"),
    (("escape",), "filter", lambda ui: ui.cancel_filter(), "cancel the filter"),
]

KEY_NAMES = {"c-c": "Ctrl-C", "s-tab": "Shift-Tab", "tab": "Tab", "escape": "Esc",
             "pageup": "PgUp", "pagedown": "PgDn", "enter": "Enter", "up": "Up",
             "down": "Down", "home": "Home", "end": "End"}


def help_lines() -> list[tuple[str, str]]:
    """(key, what it does) for the help screen."""
    return [(" ".join(KEY_NAMES.get(k, k) for k in keys), text)
            for keys, _mode, _action, text in BINDINGS if text]


def build_keys(ui: WatchUI) -> KeyBindings:
    filtering = Condition(lambda: ui.filtering)
    modes: dict[str, Filter] = {"main": ~filtering, "filter": filtering,
                                "any": Condition(lambda: True)}
    kb = KeyBindings()
    for keys, mode, action, _help in BINDINGS:
        def handler(event: KeyPressEvent, action: Action = action) -> None:
            action(ui)

        kb.add(*keys, filter=modes[mode], eager=True)(handler)
    return kb
