"""Colouring the input line: a pygments lexer built from the grammar's lexer roles.

`suggest.roles()` says what each word of the line is (object, verb, keyword, option, a value
of some slot, an interface the live cache does not know, an error); this module maps roles
to pygments tokens under ``Token.Nlshell`` -- so the style (see `config`) names them
``object``, ``verb``, ``keyword``, ``option``, ``ifname``, ``prefix``, ``number``,
``unknown``, ``error``... The word still being typed at the end of the line is shown as
``partial`` rather than as an error while it is the start of something valid.

`NlshellLexer` is a plain pygments lexer (usable outside the shell); `ShellLexer` wraps it
for prompt_toolkit and re-colours when the live values change (a new interface turns its
name from unknown to known without a keystroke).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Any

from prompt_toolkit.lexers import PygmentsLexer, SyncFromStart
from pygments.lexer import Lexer
from pygments.token import Token, _TokenType

from nlshell.commands.grammar import REGISTRY, Registry
from nlshell.commands.slots import kind_of
from nlshell.commands.suggest import Provider, roles, suggest

NL = Token.Nlshell

# role -> token (values: see VALUE_TOKENS)
ROLE_TOKENS: dict[str, _TokenType] = {
    "object": NL.Object,
    "verb": NL.Verb,
    "keyword": NL.Keyword,
    "option": NL.Option,
    "unknown-ifname": NL.Unknown,
    "error": NL.Error,
}

# slot kind (slots.kind_of) -> token
VALUE_TOKENS: dict[str, _TokenType] = {
    "ifname": NL.Value.Ifname,
    "ifindex": NL.Value.Ifindex,
    "prefix": NL.Value.Prefix,
    "address": NL.Value.Address,
    "lladdr": NL.Value.Lladdr,
    "number": NL.Value.Number,
    "netns": NL.Value.Netns,
    "table": NL.Value.Table,
    "choice": NL.Value.Choice,
    "string": NL.Value.String,
    "command": NL.Value.Command,
}

PARTIAL = NL.Partial
SPACE = Token.Text.Whitespace
TEXT = Token.Text


def token_for(role: str) -> _TokenType:
    if role.startswith("value:"):
        return VALUE_TOKENS.get(kind_of(role[6:]), NL.Value)
    return ROLE_TOKENS.get(role, TEXT)


def _still_typing(text: str, start: int, end: int, provider: Provider | None,
                  registry: Registry) -> bool:
    """The word at the end of the line is the start of something that may come there."""
    if text[end:] not in ("", "\n"):  # (pygments may add a newline)
        return False
    width = end - start
    return any(s.kind != "hint" and s.start_position == -width
               for s in suggest(text[:end], provider, registry))


class NlshellLexer(Lexer):
    """Pygments lexer of nlshell command lines (see the module docstring)."""

    name = "nlshell"
    aliases = ["nlshell"]
    filenames: list[str] = []

    def __init__(self, provider: Provider | None = None, registry: Registry = REGISTRY,
                 **options: Any) -> None:
        super().__init__(**options)
        self.provider = provider
        self.registry = registry

    def get_tokens_unprocessed(self, text: str) -> Iterator[tuple[int, Any, str]]:
        pos = 0
        spans = roles(text, self.provider, self.registry)
        for i, (start, end, role) in enumerate(spans):
            if start < pos or end <= start:
                continue  # never overlap or go backwards, whatever roles() says
            if start > pos:
                yield pos, SPACE, text[pos:start]
            token = token_for(role)
            last = i == len(spans) - 1
            if last and role in ("error", "unknown-ifname") and _still_typing(
                    text, start, end, self.provider, self.registry):
                token = PARTIAL
            yield start, token, text[start:end]
            pos = end
        if pos < len(text):
            yield pos, SPACE if not text[pos:].strip() else TEXT, text[pos:]


class ShellLexer(PygmentsLexer):
    """prompt_toolkit's adapter over `NlshellLexer`; `version()` (the live values'
    version) is part of the cache key, so the line is re-coloured when they change."""

    def __init__(self, provider: Provider | None, registry: Registry = REGISTRY,
                 version: Callable[[], Hashable] | None = None) -> None:
        def make(**options: Any) -> NlshellLexer:
            return NlshellLexer(provider, registry, **options)

        super().__init__(make, sync_from_start=True, syntax_sync=SyncFromStart())  # type: ignore[arg-type]
        self._version = version or (lambda: 0)

    def invalidation_hash(self) -> Hashable:
        return (id(self), self._version())
