"""The prompt_toolkit completer: `suggest.suggest()` over the live values of the context.

What to offer comes from the grammar (`nlshell.commands.suggest`, pure); this module only
turns `Suggestion`s into prompt_toolkit `Completion`s:

- words (objects, verbs, keywords, options) carry their help line as meta;
- live values (interface names with "index N, STATE", indexes with the name, namespaces,
  addresses of the chosen device, route prefixes, tables) come from the `Provider`;
- a hint (``<PREFIX>`` with ``e.g. 192.0.2.0/24``) is shown but inserts nothing;
- bulky sources (100,000 routes) are narrowed to the word being typed and capped: a last
  entry then says that more exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from nlshell.commands.grammar import REGISTRY, Registry
from nlshell.commands.parser import tokenize
from nlshell.commands.suggest import Provider, Suggestion, suggest

# Suggestion.kind -> the style class of its menu entry
KIND_STYLE = {
    "object": "class:completion.object",
    "verb": "class:completion.verb",
    "keyword": "class:completion.keyword",
    "option": "class:completion.option",
    "value": "class:completion.value",
    "hint": "class:completion.hint",
}

MORE = "…"


def partial_word(text: str) -> str:
    """The word being typed at the end of `text` (quotes removed), '' after a space."""
    try:
        tokens = tokenize(text, partial=True)
    except Exception:  # noqa: BLE001 - tokenizing a partial line does not raise; be safe
        return ""
    if tokens and tokens[-1].end == len(text):
        return tokens[-1].text
    return ""


class NlshellCompleter(Completer):
    """Completes a command line from the grammar and a live `Provider`."""

    MEMO_MAX = 50_000

    def __init__(self, provider: Provider | None, registry: Registry = REGISTRY) -> None:
        self.provider = provider
        self.registry = registry
        # Suggestion -> Completion: the same thousand interface names come back on every
        # keystroke, and building a Completion costs more than finding the name
        self._memo: dict[Suggestion, Completion] = {}

    def suggestions(self, text: str) -> list[Suggestion]:
        """The suggestions for the text before the cursor (pure; tests call this)."""
        provider: Any = self.provider
        narrowed = getattr(provider, "narrowed", None)
        if narrowed is None:
            return suggest(text, provider, self.registry)
        word = partial_word(text)
        with narrowed(word):
            out = suggest(text, provider, self.registry)
            truncated = getattr(provider, "truncated", False)
        if truncated:
            out.append(Suggestion(MORE, f"more start with {word!r}: type more of it", 0, "hint"))
        return out

    def get_completions(self, document: Document,
                        complete_event: CompleteEvent) -> Iterable[Completion]:
        memo = self._memo
        if len(memo) > self.MEMO_MAX:
            memo.clear()
        for s in self.suggestions(document.text_before_cursor):
            c = memo.get(s)
            if c is None:
                c = memo[s] = to_completion(s)
            yield c


def to_completion(s: Suggestion) -> Completion:
    style = KIND_STYLE.get(s.kind, "")
    if s.kind == "hint":  # shown, inserts nothing
        return Completion("", 0, display=s.text, display_meta=s.meta, style=style)
    return Completion(s.text, s.start_position, display_meta=s.meta or None, style=style)


def hint_only(suggestions: list[Suggestion]) -> bool:
    """Only hints (a value with no live candidates): worth telling in the toolbar, since
    prompt_toolkit shows no menu for a lone completion that inserts nothing."""
    return bool(suggestions) and all(s.kind == "hint" for s in suggestions)
