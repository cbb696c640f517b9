"""Key bindings of the shell.

- ``?`` prints what may come next at the cursor, with help lines (vtysh's ``?``), above the
  prompt, and leaves the line as typed. Inside an open quote it is just a ``?``.
- Ctrl-C and Ctrl-D are prompt_toolkit's own (the REPL drops the line on Ctrl-C and leaves on
  Ctrl-D); Ctrl-R searches the history.
"""

from __future__ import annotations

from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.shortcuts import print_formatted_text

from nlshell.commands.grammar import REGISTRY, Registry
from nlshell.commands.parser import tokenize
from nlshell.commands.suggest import next_help

WORD_COLUMN_MAX = 24


def in_open_quote(text: str) -> bool:
    try:
        tokens = tokenize(text, partial=True)
    except Exception:  # noqa: BLE001
        return False
    return bool(tokens) and bool(tokens[-1].open_quote) and tokens[-1].end == len(text)


def help_fragments(text: str, registry: Registry = REGISTRY) -> FormattedText:
    """The ``?`` listing for the text before the cursor: one line per word or <SLOT>."""
    items = next_help(text, registry)
    if not items:
        return FormattedText([("class:help.text", "  (nothing may come here)\n")])
    width = min(max(len(word) for word, _ in items), WORD_COLUMN_MAX)
    out: list[tuple[str, str]] = []
    for word, help_line in items:
        style = "class:notice" if word == "<error>" else "class:help.word"
        out.append((style, f"  {word.ljust(width)}"))
        out.append(("class:help.text", f"  {help_line}\n" if help_line else "\n"))
    return FormattedText(out)


def build_key_bindings(registry: Registry = REGISTRY, style: object = None) -> KeyBindings:
    kb = KeyBindings()

    @Condition
    def quoting() -> bool:
        from prompt_toolkit.application import get_app

        return in_open_quote(get_app().current_buffer.document.text_before_cursor)

    @kb.add("?", filter=~quoting)
    def _(event: KeyPressEvent) -> None:
        text = event.current_buffer.document.text_before_cursor
        fragments = help_fragments(text, registry)

        output = event.app.output

        def show() -> None:
            print_formatted_text(fragments, style=style, output=output)  # type: ignore[arg-type]

        run_in_terminal(show)

    return kb
