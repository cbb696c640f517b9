"""What may come next: completion, ``?`` help and lexer roles, from the grammar alone.

Pure functions (the pgcli ``suggest_type`` idea): they read the line, the grammar and a
`Provider` of live values, and never block -- provider methods must answer from a cache.

- ``suggest(text_before_cursor, provider=None, registry=REGISTRY) -> list[Suggestion]``
- ``next_help(text, registry=REGISTRY) -> list[(word_or_<SLOT>, help)]`` for ``?``
- ``roles(line, provider=None, registry=REGISTRY) -> list[(start, end, role)]`` for the lexer
- ``complete_args(args, provider=None, registry=REGISTRY) -> list[str]`` for ``--complete``

`Suggestion.kind` is one of 'object', 'verb', 'keyword', 'option', 'value', 'hint'. A 'hint'
(``<PREFIX>``, meta ``e.g. 192.0.2.0/24``) describes a value that has no live candidates; it
is meant to be shown, not inserted. `start_position` is the prompt_toolkit convention: minus
the length of the text before the cursor that the suggestion replaces.

Lexer roles: 'object', 'verb', 'keyword', 'option', 'value:<SLOT>' (slot name, see
`slots.kind_of`), 'unknown-ifname' (an existing-device slot the provider does not know) and
'error'. The last word of a line being typed may be incomplete; the lexer decides whether to
show that as an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from nlshell.commands.grammar import NOTHING, REGISTRY, OneOf, Param, Pos, Registry, Rest
from nlshell.commands.options import offered
from nlshell.commands.parser import (
    ParseError,
    Token,
    Walker,
    option_slot,
    quote_word,
    tokenize,
)
from nlshell.commands.slots import Slot


class Suggestion(NamedTuple):
    text: str
    meta: str = ""
    start_position: int = 0
    kind: str = "keyword"


class Provider(Protocol):
    """Live values for completion and the lexer. Every method must be fast (cache reads)."""

    def links(self) -> Sequence[tuple[str, int, str]]:
        """(name, index, state) per device, e.g. ('veth0', 3, 'UP')."""
        ...

    def netns(self) -> Sequence[str]:
        """Namespace names."""
        ...

    def addresses(self, dev: str | None) -> Sequence[str]:
        """'192.0.2.1/24' forms, on `dev` (every device when None)."""
        ...

    def routes(self) -> Sequence[str]:
        """Route prefixes ('192.0.2.0/24', 'default')."""
        ...

    def tables(self) -> Sequence[tuple[str | int, str]]:
        """(name or number, meta) per routing table."""
        ...

    def nexthops(self) -> Sequence[tuple[int, str]]:
        """(id, meta) per nexthop object, e.g. (10, 'group 1,3/2')."""
        ...

    def fdb(self, dev: str | None) -> Sequence[tuple[str, str]]:
        """(MAC, meta) per forwarding entry on `dev` (every device when None)."""
        ...

    def tc(self, source: str, dev: str | None) -> Sequence[tuple[str, str]]:
        """(handle, meta) on `dev`: source 'qdiscs' (qdisc handles), 'classes' (classids)
        or 'tc_parents' (both)."""
        ...


class StaticProvider:
    """A `Provider` over fixed data (tests, ``--complete`` without a cache)."""

    def __init__(self, links: Iterable[tuple[str, int, str]] = (), netns: Iterable[str] = (),
                 addresses: Mapping[str, Sequence[str]] | None = None,
                 routes: Iterable[str] = (), tables: Iterable[tuple[str | int, str]] = (),
                 nexthops: Iterable[tuple[int, str]] = (),
                 fdb: Mapping[str, Sequence[tuple[str, str]]] | None = None,
                 tc: Mapping[tuple[str, str], Sequence[tuple[str, str]]] | None = None
                 ) -> None:
        self._links = list(links)
        self._netns = list(netns)
        self._addresses = {dev: list(addrs) for dev, addrs in (addresses or {}).items()}
        self._routes = list(routes)
        self._tables = list(tables)
        self._nexthops = list(nexthops)
        self._fdb = {dev: list(rows) for dev, rows in (fdb or {}).items()}  # dev -> rows
        self._tc = {key: list(rows) for key, rows in (tc or {}).items()}  # (source, dev)

    def links(self) -> list[tuple[str, int, str]]:
        return self._links

    def netns(self) -> list[str]:
        return self._netns

    def addresses(self, dev: str | None = None) -> list[str]:
        if dev is None:
            return [a for addrs in self._addresses.values() for a in addrs]
        return self._addresses.get(dev, [])

    def routes(self) -> list[str]:
        return self._routes

    def tables(self) -> list[tuple[str | int, str]]:
        return self._tables

    def nexthops(self) -> list[tuple[int, str]]:
        return self._nexthops

    def fdb(self, dev: str | None = None) -> list[tuple[str, str]]:
        if dev is None:
            return [row for rows in self._fdb.values() for row in rows]
        return self._fdb.get(dev, [])

    def tc(self, source: str, dev: str | None = None) -> list[tuple[str, str]]:
        return [row for (src, d), rows in self._tc.items() if src == source
                and (dev is None or d == dev) for row in rows]


# -- what may come next -------------------------------------------------------------------

class Expect(NamedTuple):
    """One thing that may come next (internal, shared by suggest and next_help)."""

    kind: str  # object, verb, keyword, option, value, command, cr
    word: str  # the word, or the metavar of a value
    help: str = ""
    aliases: tuple[str, ...] = ()
    slot: Slot | None = None
    source: str | None = None


def _value_expect(param: Any, slot: Slot) -> Expect:
    source = getattr(param, "source", None) or slot.source
    kind = "command" if source == "command" else "value"
    return Expect(kind, param.metavar, param.help, (), slot, source)


def _available(frame: Any, p: Param) -> bool:
    if id(p) in frame.seen and not p.repeat:
        return False
    for group in frame.conflicts():
        if p.key in group and any(k != p.key and k in frame.values for k in group):
            return False
    return True


def expectations(walker: Walker) -> list[Expect]:
    """Everything that may follow the words fed to `walker`, most specific first."""
    if walker.rest is not None:
        _, rest, _ = walker.rest
        return [_value_expect(rest, rest.slot)]
    if walker.pending_option is not None:
        opt = walker.pending_option
        slot = option_slot(opt)
        return [Expect("value", slot.name, opt.help, (), slot, slot.source)]
    out: list[Expect] = []
    if walker.pending is not None:
        _, param, _, _ = walker.pending
        out.append(_value_expect(param, param.slot))  # type: ignore[attr-defined]
        if getattr(param, "bare", NOTHING) is NOTHING:
            return out
    if walker.stage == "start":
        for obj in walker.registry.objects:
            out.append(Expect("object", obj.name, obj.help, obj.word.aliases))
        out.extend(Expect("option", word, help) for word, help in offered(walker.option_scope))
        return out
    if walker.stage == "verb":
        for cmd in walker.obj.verbs:
            out.append(Expect("verb", cmd.verb.name, cmd.help, cmd.verb.aliases))
        if walker.obj.default is not None:
            out.append(Expect("cr", "<cr>", f"= {walker.obj.name} {walker.obj.default}"))
        return out
    words: set[str] = set()
    for frame in reversed(walker.frames):
        for scope in frame.scopes:
            for p in scope.params:
                if not _available(frame, p):
                    continue
                for names, _, word in p.keywords():
                    if word in words:
                        continue
                    words.add(word)
                    help = p.words[word] if isinstance(p, OneOf) else p.help
                    out.append(Expect("keyword", word, help, tuple(names[1:])))
        for p in frame.open_positionals():
            if isinstance(p, (Pos, Rest)):
                out.append(_value_expect(p, p.slot))
    bare_ok = walker.pending is None or getattr(walker.pending[1], "bare", NOTHING) is not NOTHING
    if bare_ok and not walker.missing():
        out.append(Expect("cr", "<cr>", "run the command"))
    return out


# -- completion ---------------------------------------------------------------------------

def _split_partial(text: str) -> tuple[list[Token], Token | None]:
    tokens = tokenize(text, partial=True)
    if tokens and tokens[-1].end == len(text):
        return tokens[:-1], tokens[-1]
    return tokens, None


def _walk(tokens: Sequence[Token], registry: Registry, option_scope: str = "line") -> Walker:
    walker = Walker(tokens, registry, option_scope)
    for i in range(len(tokens)):
        walker.feed(i)
    return walker


def _safe(fn: Any, *args: Any) -> Sequence[Any]:
    # a provider bug must not take the prompt down: no live values then
    try:
        return fn(*args) or ()
    except Exception:  # noqa: BLE001
        return ()


def _current_dev(walker: Walker) -> str | None:
    for frame in reversed(walker.frames):
        dev = frame.values.get("dev")
        if isinstance(dev, str):
            return dev
    return None


def _live_values(exp: Expect, prefix: str, provider: Provider, walker: Walker,
                 start: int) -> list[Suggestion]:
    out: list[Suggestion] = []
    source = exp.source
    if source == "links":
        links = _safe(provider.links)
        for name, index, state in links:
            if isinstance(name, str) and name.startswith(prefix):
                out.append(Suggestion(quote_word(name), f"index {index}, {state}", start, "value"))
        if prefix.isascii() and prefix.isdigit():  # an index stands for its device
            for name, index, _ in links:
                if str(index).startswith(prefix):
                    out.append(Suggestion(str(index), str(name), start, "value"))
    elif source == "ifindex":
        for name, index, _ in _safe(provider.links):
            if str(index).startswith(prefix):
                out.append(Suggestion(str(index), str(name), start, "value"))
    elif source in ("netns", "routes"):
        meta = "namespace" if source == "netns" else "route"
        for value in _safe(getattr(provider, source)):
            if isinstance(value, str) and value.startswith(prefix):
                out.append(Suggestion(quote_word(value), meta, start, "value"))
    elif source == "addresses":
        dev = _current_dev(walker)
        for value in _safe(provider.addresses, dev):
            if isinstance(value, str) and value.startswith(prefix):
                out.append(Suggestion(value, f"on {dev}" if dev else "address", start, "value"))
    elif source == "tables":
        for value, meta in _safe(provider.tables):
            if str(value).startswith(prefix):
                out.append(Suggestion(quote_word(str(value)), meta, start, "value"))
    elif source == "nexthops":
        # (a provider from before nexthop objects has none to offer)
        for value, meta in _safe(getattr(provider, "nexthops", None)):
            if str(value).startswith(prefix):
                out.append(Suggestion(str(value), meta, start, "value"))
    elif source in _DEV_SOURCES:
        method = getattr(provider, _DEV_SOURCES[source], None)
        args = (_current_dev(walker),) if source == "fdb" else (source, _current_dev(walker))
        low = prefix.lower()  # MACs and handles are hex: either case
        for value, meta in _safe(method, *args):
            if str(value).lower().startswith(low):
                out.append(Suggestion(str(value), meta, start, "value"))
    return out


# sources read per device (the line's `dev`): source -> the Provider method
_DEV_SOURCES = {"fdb": "fdb", "qdiscs": "tc", "classes": "tc", "tc_parents": "tc"}


def suggest(text_before_cursor: str, provider: Provider | None = None,
            registry: Registry = REGISTRY, *, option_scope: str = "line") -> list[Suggestion]:
    """What may come next at the cursor, filtered by the word being typed. `option_scope`
    'cli' also offers the options of nlshell's own command line (for --complete)."""
    try:
        return _suggest(text_before_cursor, provider, registry, option_scope)
    except Exception:  # noqa: BLE001 - completion must never crash the prompt
        return []


def _suggest(text: str, provider: Provider | None, registry: Registry,
             option_scope: str = "line") -> list[Suggestion]:
    tokens, partial = _split_partial(text)
    prefix = partial.text if partial else ""
    start = partial.start - len(text) if partial else 0
    try:
        walker = _walk(tokens, registry, option_scope)
    except ParseError:
        return []
    out: list[Suggestion] = []
    seen: set[str] = set()

    def add(s: Suggestion) -> None:
        if s.text not in seen:
            seen.add(s.text)
            out.append(s)

    for exp in expectations(walker):
        if exp.kind == "command":
            sub_from = walker.tokens[walker.rest[2]].start if walker.rest else (
                partial.start if partial else len(text))
            for s in _suggest(text[sub_from:], provider, registry):
                add(s)
        elif exp.kind == "option":
            if prefix.startswith("-") and exp.word.startswith(prefix):
                add(Suggestion(exp.word, exp.help, start, "option"))
        elif exp.kind in ("object", "verb", "keyword"):
            for name in (exp.word, *exp.aliases):
                if name.startswith(prefix):
                    add(Suggestion(name, exp.help, start, exp.kind))
                    break
        elif exp.kind == "value" and exp.slot is not None:
            slot = exp.slot
            for word, (_, help) in slot.words.items():
                if word.startswith(prefix):
                    add(Suggestion(word, help, start, "value"))
            live = _live_values(exp, prefix, provider, walker, start) if provider else []
            for s in live:
                add(s)
            if not live and not slot.is_choice:
                add(Suggestion(f"<{exp.word}>", slot.example or exp.help, start, "hint"))
    return out


def next_help(text: str, registry: Registry = REGISTRY) -> list[tuple[str, str]]:
    """For ``?``: each word or ``<SLOT>`` that may come next with its help line; ``<cr>`` when
    the command is complete. A bad earlier word gives ``[('<error>', message)]``."""
    try:
        tokens, partial = _split_partial(text)
    except ParseError as exc:  # pragma: no cover - partial tokenizing does not raise
        return [("<error>", str(exc))]
    prefix = partial.text if partial else ""
    try:
        walker = _walk(tokens, registry)
    except ParseError as exc:
        return [("<error>", str(exc))]
    out: list[tuple[str, str]] = []
    for exp in expectations(walker):
        if exp.kind == "command":
            sub_from = walker.tokens[walker.rest[2]].start if walker.rest else (
                partial.start if partial else len(text))
            out.extend(next_help(text[sub_from:], registry))
        elif exp.kind == "value" and exp.slot is not None:
            for word, (_, help) in exp.slot.words.items():
                if word.startswith(prefix):
                    out.append((word, help))
            if not exp.slot.is_choice:
                example = f" ({exp.slot.example})" if exp.slot.example else ""
                out.append((f"<{exp.word}>", (exp.help or exp.slot.label) + example))
        elif exp.kind == "option":
            if prefix.startswith("-") and exp.word.startswith(prefix):
                out.append((exp.word, exp.help))
        elif exp.kind == "cr":
            if not prefix:
                out.append((exp.word, exp.help))
        elif any(n.startswith(prefix) for n in (exp.word, *exp.aliases)):
            out.append((exp.word, exp.help))
    return out


def complete_args(args: Sequence[str], provider: Provider | None = None,
                  registry: Registry = REGISTRY) -> list[str]:
    """For shell completion scripts: `args` are the words so far, the last one being
    completed ('' for a new word). Returns candidate words (no hints)."""
    # quoted complete words, then the word being completed as typed ('' -> text ends in a space)
    text = " ".join([*(quote_word(a) for a in args[:-1]), args[-1]]) if args else ""
    return [s.text for s in suggest(text, provider, registry, option_scope="cli")
            if s.kind != "hint"]


# -- lexer roles --------------------------------------------------------------------------

def roles(line: str, provider: Provider | None = None,
          registry: Registry = REGISTRY) -> list[tuple[int, int, str]]:
    """(start, end, role) per word of `line`; never raises."""
    try:
        return _roles(line, provider, registry)
    except Exception:  # noqa: BLE001 - the lexer must never crash the prompt
        return []


def _roles(line: str, provider: Provider | None, registry: Registry) -> list[tuple[int, int, str]]:
    tokens = tokenize(line, partial=True)
    walker = Walker(tokens, registry)
    known: set[str] | None = None
    out: list[tuple[int, int, str]] = []
    for i, tok in enumerate(tokens):
        try:
            role = walker.feed(i)
        except ParseError:
            walker.skip()
            out.append((tok.start, tok.end, "error"))
            continue
        if tok.open_quote:
            role = "error"
        slot = walker.last_slot
        if slot is not None and slot.must_exist and slot.kind == "ifname" and provider:
            if known is None:
                known = set()
                for name, index, _ in _safe(provider.links):
                    known.add(str(name))
                    known.add(str(index))
            if tok.text not in known:
                role = "unknown-ifname"
        rest = walker.rest
        if rest is not None and rest[2] == i and rest[1].slot.source == "command":
            offset = tok.start
            out.extend((s + offset, e + offset, r) for s, e, r in _roles(line[offset:], provider, registry))
            break
        out.append((tok.start, tok.end, role))
    return out
