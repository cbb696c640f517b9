"""Tokenize and parse one command line against the grammar.

``parse(line_or_words, registry=REGISTRY) -> Invocation`` or `ParseError`.

Words are split like a shell's: single quotes keep everything, double quotes allow ``\\"``
``\\\\`` ``\\$`` and ``\\``` escapes, a backslash outside quotes escapes the next character.
Comments and line continuations belong to the batch runner, which uses `split_words` too.

How a word after the verb is read (ip's rules, made predictable):

1. a pending keyword takes it as its value, verbatim (``dev up`` names a device ``up``);
2. an exact keyword (name, alias or shortcut), innermost group first;
3. a unique keyword prefix (the innermost group with any candidate decides);
4. the next positional that accepts it;
5. otherwise an error: the positional's own message, an ambiguity listing the candidates, or
   "unknown word" with the closest valid words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from nlshell.commands.grammar import (
    NOTHING,
    REGISTRY,
    Command,
    Flag,
    Group,
    Kw,
    OneOf,
    Param,
    Pos,
    Registry,
    Rest,
    Scope,
    Switch,
    WordTable,
)
from nlshell.commands.options import GlobalOption, OptionError, check_value, lookup_option
from nlshell.commands.render.safe import ECHO_LIMIT
from nlshell.commands.slots import FAMILY, NETNS, STRING, Slot, SlotError, choice, number

# exit codes as ip's (the numbers are nlshell.commands.context's EXIT_USAGE / EXIT_LOOKUP;
# not imported from there: the parser stays free of the context's imports)
EXIT_SYNTAX = 255  # ip's invarg() / usage(): a word it does not take
EXIT_BAD_VALUE = 1  # ip's exit(1): an unknown object, an address, prefix or MAC it cannot read
_ADDRESS_KINDS = frozenset({"address", "prefix", "lladdr"})


def _slot_code(slot: Any) -> int:
    return EXIT_BAD_VALUE if getattr(slot, "kind", "") in _ADDRESS_KINDS else EXIT_SYNTAX


class ParseError(ValueError):
    """A line does not parse. `word_index` and `column` point at the bad word (at the end of
    the line for something missing); `candidates` are the words that would fit."""

    def __init__(self, message: str, word_index: int = 0, column: int = 0,
                 candidates: Sequence[str] = (), exit_code: int = EXIT_SYNTAX) -> None:
        super().__init__(message)
        self.message = message
        self.word_index = word_index
        self.column = column
        self.candidates = list(candidates)
        self.exit_code = exit_code  # ip's: 255 for syntax, 1 for a bad address or object

    def __str__(self) -> str:
        return self.message


class Token(NamedTuple):
    """One word: its text (quotes removed) and its columns in the line (end exclusive)."""

    text: str
    start: int
    end: int
    open_quote: str = ""  # the quote still open at the end of a partial line


@dataclass
class Invocation:
    """A parsed command line."""

    command: Command
    values: dict[str, Any]
    family: int | None = None  # AF_INET / AF_INET6 / AF_PACKET from -4 / -6 / -0
    words: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)  # json, stats, details, brief, netns...

    @property
    def path(self) -> tuple[str, ...]:
        return self.command.path


# -- tokenizer ----------------------------------------------------------------------------

_SPACE = frozenset(" \t\n\r\f\v")
_DQ_ESCAPES = frozenset('"\\$`')


_QUOTING = re.compile(r"[\"'\\]").search
_WORD = re.compile(r"[^ \t\n\r\f\v]+").finditer  # a run of anything but _SPACE


def tokenize(line: str, *, partial: bool = False) -> list[Token]:
    """Split a line into `Token`s. An unterminated quote raises `ParseError` at the quote's
    column, unless `partial` (a line still being typed): then the last token is returned open."""
    if _QUOTING(line) is None:  # no quotes, no backslashes: words are runs of non-space
        return [Token(m.group(), m.start(), m.end()) for m in _WORD(line)]
    tokens: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        if line[i] in _SPACE:
            i += 1
            continue
        start, buf, quote, quote_at = i, [], "", 0
        while i < n:
            c = line[i]
            if quote == "'":
                if c == "'":
                    quote = ""
                else:
                    buf.append(c)
            elif quote == '"':
                if c == '"':
                    quote = ""
                elif c == "\\" and i + 1 < n and line[i + 1] in _DQ_ESCAPES:
                    i += 1
                    buf.append(line[i])
                elif c == "\\" and i + 1 < n and line[i + 1] == "\n":
                    i += 1
                else:
                    buf.append(c)
            elif c in _SPACE:
                break
            elif c in "'\"":
                quote, quote_at = c, i
            elif c == "\\":
                if i + 1 < n:
                    i += 1
                    if line[i] != "\n":  # backslash-newline joins
                        buf.append(line[i])
                elif not partial:
                    raise ParseError(f"dangling backslash at column {i}", len(tokens), i)
            else:
                buf.append(c)
            i += 1
        if quote and not partial:
            raise ParseError(f"unterminated {quote} quote starting at column {quote_at}",
                             len(tokens), quote_at)
        tokens.append(Token("".join(buf), start, i, quote))
    return tokens


def split_words(line: str) -> list[str]:
    """The words of a line (quotes removed); `ParseError` on an unterminated quote."""
    return [t.text for t in tokenize(line)]


_SAFE = re.compile(r"[A-Za-z0-9@%+=:,./_-]+")


def quote_word(word: str) -> str:
    """`word` as it must be typed to come back as one word (single-quoted when needed)."""
    if _SAFE.fullmatch(word):
        return word
    return "'" + word.replace("'", "'\\''") + "'"


def _tokens_of(line_or_words: str | Sequence[str] | Sequence[Token]) -> tuple[list[Token], str]:
    if isinstance(line_or_words, str):
        return tokenize(line_or_words), line_or_words
    tokens: list[Token] = []
    col = 0
    for w in line_or_words:
        if isinstance(w, Token):
            tokens.append(w)
            col = w.end + 1
        else:
            tokens.append(Token(str(w), col, col + len(str(w))))
            col += len(str(w)) + 1
    return tokens, " ".join(t.text for t in tokens)


# -- global options -------------------------------------------------------------------------
# The table is nlshell.commands.options (shared with the command line, --help and
# --complete); here only the slots their values are read with.

_OPTION_SLOTS: dict[str, Slot] = {
    "NETNS": NETNS, "FAMILY": FAMILY,
    "COUNT": number(name="COUNT", label="rounds"), "SIZE": number(name="SIZE", label="bytes"),
    "OUTPUT": choice("OUTPUT", {"ip": "ip's own text", "table": "nlshell's tables"},
                     label="output mode", abbrev=False),
}


def option_slot(opt: GlobalOption) -> Slot:
    """The slot an option's value is read with (text for the command line's own: CMD, FILE)."""
    slot = _OPTION_SLOTS.get(opt.takes)
    if slot is None:
        slot = _OPTION_SLOTS[opt.takes] = STRING.with_words({}, name=opt.takes,
                                                            label=opt.takes.lower())
    return slot


# -- the walker: one word at a time ---------------------------------------------------------

class Frame:
    """The parameter scope being filled: the command itself or an open group."""

    __slots__ = ("scopes", "positionals", "values", "seen", "posq", "owner")

    def __init__(self, scope: Scope, values: dict[str, Any], owner: Group | None) -> None:
        self.scopes = [scope]
        self.positionals = list(scope.positionals)
        self.values = values
        self.seen: dict[int, tuple[int, str]] = {}  # id(param) -> (word index, word used)
        self.posq = 0  # first positional that may still take a word
        self.owner = owner

    def add_scope(self, scope: Scope) -> None:
        self.scopes.insert(0, scope)  # branch words first in suggestions
        self.positionals.extend(scope.positionals)

    def exact(self, text: str) -> tuple[Param, str] | None:
        for scope in self.scopes:
            hit = scope.table.exact.get(text)
            if hit is not None:
                return hit
        return None

    def prefixed(self, text: str) -> list[tuple[Param, str]]:
        out: list[tuple[Param, str]] = []
        shadowed: set[str] = set()  # names an earlier scope (a branch) has: vxlan's `dev`
        for scope in self.scopes:
            if text and text[0] not in _initials(scope.table):
                continue  # no name there starts like it (values mostly: '10.0.0.0/24')
            names = [(n, hit) for n, hit in scope.table.names if n.startswith(text)]
            for name, hit in names:
                if name not in shadowed and not any(h[0] is hit[0] and h[1] == hit[1]
                                                    for h in out):
                    out.append(hit)
            shadowed.update(n for n, _ in names)
        return out

    def params(self) -> list[Param]:
        return [p for scope in reversed(self.scopes) for p in scope.params]

    def conflicts(self) -> list[tuple[str, ...]]:
        return [c for scope in self.scopes for c in scope.conflicts]

    def open_positionals(self) -> list[Param]:
        """Positionals that could take the next word: up to the first required one."""
        out: list[Param] = []
        for p in self.positionals[self.posq:]:
            if id(p) in self.seen and not p.repeat:
                continue
            out.append(p)
            if p.required and id(p) not in self.seen:
                break
        return out

    def claim(self, text: str) -> Param | None:
        return self.claim_value(text)[0]

    def claim_value(self, text: str) -> tuple[Param | None, Any]:
        """The positional that takes `text` and the value it makes of it (converted once);
        (None, None) when none does."""
        cands = self.open_positionals()
        for n, p in enumerate(cands):
            if isinstance(p, Rest):
                return p, text
            slot: Slot = p.slot  # type: ignore[attr-defined]
            if not p.required and n + 1 < len(cands) and slot.parse is None:
                # an optional choice followed by more: only a word typed in full
                if text in slot.words:
                    return p, slot.words[text][0]
                continue
            try:
                return p, slot.convert(text)
            except SlotError:
                continue
        return None, None


_INITIALS: dict[int, tuple[WordTable, int, frozenset[str]]] = {}


def _initials(table: WordTable) -> frozenset[str]:
    """The first letters of a table's prefix-matchable names (kept per table)."""
    got = _INITIALS.get(id(table))
    if got is None or got[0] is not table or got[1] != len(table.names):
        if len(_INITIALS) > 4096:  # registries made and dropped (tests): start again
            _INITIALS.clear()
        got = _INITIALS[id(table)] = (table, len(table.names),
                                      frozenset(name[:1] for name, _ in table.names))
    return got[2]


def _describe(p: Param) -> str:
    if isinstance(p, (Kw, Switch)):
        return f"{p.word} {p.metavar}"
    if isinstance(p, (Flag, Group)):
        return p.word
    if isinstance(p, OneOf):
        return "one of " + p.metavar
    return p.metavar


class Walker:
    """Feeds words through the grammar one at a time, keeping the state the parser
    (`finish`), the suggester (`suggest.expectations`) and the lexer (a role per word) need.

    `feed` checks a word before it changes anything (the one exception: a keyword's `bare`
    value is applied before the word after it is read afresh), so the lexer can `skip` a
    refused word and go on."""

    def __init__(self, tokens: Sequence[Token], registry: Registry = REGISTRY,
                 option_scope: str = "line") -> None:
        self.tokens = list(tokens)
        self.registry = registry
        self.option_scope = option_scope  # 'cli': nlshell's own options too (--complete)
        self.stage = "start"  # start (options, object) -> verb -> params
        self.options: dict[str, Any] = {}
        self.family: int | None = None
        self.obj: Any = None
        self.command: Command | None = None
        self.frames: list[Frame] = []
        self.closed: list[Frame] = []
        self.pending: tuple[Frame, Param, str, int] | None = None  # keyword awaiting its value
        self.pending_option: GlobalOption | None = None
        self.rest: tuple[Frame, Rest, int] | None = None  # a Rest that has started
        self.last_slot: Slot | None = None  # slot of the value just fed (for the lexer)

    # -- errors
    def _col(self, i: int) -> int:
        if i < len(self.tokens):
            return self.tokens[i].start
        return self.tokens[-1].end if self.tokens else 0

    def _error(self, message: str, i: int, candidates: Sequence[str] = (),
               code: int = EXIT_SYNTAX) -> ParseError:
        if i < len(self.tokens):  # an overlong word is echoed cut short, wherever it appears
            text = self.tokens[i].text
            if len(text) > ECHO_LIMIT:
                message = message.replace(repr(text), repr(text[:ECHO_LIMIT]) + "…")
                message = message.replace(text, text[:ECHO_LIMIT] + "…")
        return ParseError(message, i, self._col(i), candidates, code)

    def _where(self) -> str:
        return self.command.name if self.command else (self.obj.name if self.obj else "")

    # -- feeding
    def feed(self, i: int) -> str:
        """Take word `i`; returns its role ('object', 'verb', 'keyword', 'option',
        'value:SLOT')."""
        text = self.tokens[i].text
        self.last_slot = None
        if not text.isascii() and _has_surrogates(text):
            raise self._error(f"word {_escaped(text)} is not valid UTF-8", i)
        if self.rest is not None:
            frame, rest, _ = self.rest
            frame.values[rest.key].append(text)
            return self._value_role(rest.slot)
        if self.pending_option is not None:
            return self._option_value(i, text)
        if self.pending is not None:
            role = self._value(i, text)
            if role is not None:
                return role
        if self.stage == "start":
            if text.startswith("-") and len(text) > 1:
                return self._option(i, text)
            return self._object(i, text)
        if self.stage == "verb":
            return self._verb(i, text)
        return self._param_word(i, text)

    def skip(self) -> None:
        """Forget a word `feed` refused (the lexer goes on after it): a value it was meant
        to be is gone, the next word is read afresh."""
        if self.rest is None:
            self.pending = None
            self.pending_option = None

    def _value_role(self, slot: Slot) -> str:
        self.last_slot = slot
        return "value:" + slot.name

    def _option(self, i: int, text: str) -> str:
        try:
            opt = lookup_option(text, self.option_scope)
        except OptionError as exc:
            raise self._error(str(exc), i, exc.candidates) from None
        if opt.takes:
            self.pending_option = opt
        elif opt.key == "family":  # -4 / -6 / -0 are -f inet / inet6 / link
            self.family = FAMILY.convert(opt.value)
        elif opt.key == "stats":
            self.options["stats"] = self.options.get("stats", 0) + 1
        else:
            self.options[opt.key] = opt.value
        self.options.update(opt.also)  # -tshort: -timestamp too
        return "option"

    def _option_value(self, i: int, text: str) -> str:
        opt = self.pending_option
        assert opt is not None
        slot = option_slot(opt)
        try:
            check_value(opt, text)  # what ip refuses by name (-f mpls, -rc x)
            value = slot.convert(text)
        except OptionError as exc:
            raise self._error(str(exc), i) from None
        except SlotError as exc:
            raise self._error(f"{opt.name}: {exc}", i) from None
        if opt.key == "family":  # `-f inet6` is `-6`
            self.family = value
        else:
            self.options[opt.key] = value
        self.pending_option = None
        return self._value_role(slot)

    def _object(self, i: int, text: str) -> str:
        objs = self.registry.lookup(text)
        if len(objs) != 1:
            if objs:
                names = [o.name for o in objs]
                raise self._error(f"ambiguous command {text!r}: {', '.join(names)}", i, names,
                                  EXIT_BAD_VALUE)
            near = _close(text, self.registry.object_words())
            raise self._error(f"unknown command {text!r}" + _hint(near), i, near,
                              EXIT_BAD_VALUE)  # ip: 'Object "x" is unknown', status 1
        self.obj = objs[0]
        if self.obj.direct is not None:
            self._enter(self.obj.direct)
        else:
            self.stage = "verb"
        return "object"

    def _verb(self, i: int, text: str) -> str:
        cmds = self.obj.lookup(text)
        if len(cmds) != 1:
            if cmds:
                names = [c.verb.name for c in cmds]
                raise self._error(f"ambiguous {self.obj.name} verb {text!r}: {', '.join(names)}",
                                  i, names)
            near = _close(text, self.obj.verb_words())
            if near:
                raise self._error(f"unknown {self.obj.name} verb {text!r}" + _hint(near), i, near)
            names = [c.verb.name for c in self.obj.verbs]  # few enough to list them all
            raise self._error(f"unknown {self.obj.name} verb {text!r} (one of: {', '.join(names)})",
                              i, names)
        self._enter(cmds[0])
        return "verb"

    def _enter(self, command: Command) -> None:
        self.command = command
        self.frames = [Frame(command.scope, {}, None)]
        self.stage = "params"

    # -- parameters
    def _param_word(self, i: int, text: str) -> str:
        frames = self.frames
        for depth in range(len(frames) - 1, -1, -1):
            hit = frames[depth].exact(text)
            if hit is not None:
                return self._keyword(i, depth, *hit, text)
        ambiguous: list[tuple[Param, str]] = []
        for depth in range(len(frames) - 1, -1, -1):
            hits = frames[depth].prefixed(text) if text else []
            if len(hits) == 1:
                return self._keyword(i, depth, *hits[0], text)
            if hits:
                ambiguous = hits
                break
        for depth in range(len(frames) - 1, -1, -1):
            p, value = frames[depth].claim_value(text)
            if p is not None:
                return self._positional(i, depth, p, text, value)
        if ambiguous:
            words = [w for _, w in ambiguous]
            raise self._error(f"ambiguous {text!r} for {self._where()}: {', '.join(words)}",
                              i, words)
        near = _close(text, self._vocabulary())
        for frame in reversed(frames):
            # the last positional that could have taken the word explains best why it did not
            # ('route add [TYPE] PREFIX': "invalid prefix")
            open_pos = [p for p in frame.open_positionals() if isinstance(p, Pos)]
            if open_pos:
                try:
                    open_pos[-1].slot.convert(text)
                except SlotError as exc:
                    raise self._error(str(exc) + _hint(near), i, near,
                                      _slot_code(open_pos[-1].slot)) from None
        raise self._error(f"unknown word {text!r} for {self._where()}" + _hint(near), i, near)

    def _vocabulary(self) -> list[str]:
        words: list[str] = []
        for frame in self.frames:
            for scope in frame.scopes:
                words.extend(scope.table.words())
            for p in frame.open_positionals():
                if isinstance(p, Pos):
                    words.extend(p.slot.words)
        return words

    def _keyword(self, i: int, depth: int, param: Param, word: str, typed: str) -> str:
        """`word` is the canonical keyword, `typed` what the user wrote (an abbreviation...)."""
        frame = self.frames[depth]
        # every check first: a ParseError must leave the state untouched
        previous = frame.seen.get(id(param))
        if previous is not None and not param.repeat:
            if isinstance(param, OneOf):
                raise self._error(f"{typed!r} conflicts with {previous[1]!r}", i)
            raise self._error(f"duplicate {typed!r}" + (" (already given)" if typed == previous[1]
                              else f" (already given as {previous[1]!r})"), i)
        self._check_conflicts(i, frame, param, typed)
        if depth + 1 < len(self.frames):
            self.closed.extend(self.frames[depth + 1:])
            del self.frames[depth + 1:]
        frame.seen[id(param)] = (i, typed)
        if isinstance(param, Flag):
            frame.values[param.key] = param.value
        elif isinstance(param, OneOf):
            frame.values[param.key] = param.value_of(word)
        elif isinstance(param, Group):
            values: dict[str, Any] = {}
            if param.repeat:
                frame.values.setdefault(param.key, []).append(values)
            else:
                frame.values[param.key] = values
            self.frames.append(Frame(param.scope, values, param))
        else:  # Kw, Switch, Pos written with its keyword
            if isinstance(param, Pos):
                frame.posq = max(frame.posq, frame.positionals.index(param) + (0 if param.repeat else 1))
            self.pending = (frame, param, word, i)
        return "keyword"

    def _check_conflicts(self, i: int, frame: Frame, param: Param, word: str) -> None:
        for group in frame.conflicts():
            if param.key in group:
                for other in group:
                    if other != param.key and other in frame.values:
                        raise self._error(f"{word!r} cannot be used with {other!r}", i)

    def _value(self, i: int, text: str) -> str | None:
        frame, param, word, _ = self.pending  # type: ignore[misc]
        slot: Slot = param.slot  # type: ignore[attr-defined]
        bare = getattr(param, "bare", NOTHING)
        if bare is not NOTHING and (self._is_keyword(text) or not slot.claims(text)):
            self._store(frame, param, bare)
            self.pending = None
            return None  # the word is read afresh
        try:
            value = slot.convert(text)
        except SlotError as exc:
            raise self._error(f"{word}: {exc}", i, (), _slot_code(slot)) from None
        self.pending = None
        self._store(frame, param, value)
        return self._value_role(slot)

    def _is_keyword(self, text: str) -> bool:
        return any(f.exact(text) is not None or len(f.prefixed(text)) == 1 for f in self.frames)

    def _store(self, frame: Frame, param: Param, value: Any) -> None:
        if param.repeat:
            frame.values.setdefault(param.key, []).append(value)
        else:
            frame.values[param.key] = value
        if isinstance(param, Switch):
            frame.add_scope(param.branches[self._branch_name(param, value)].scope)  # type: ignore[union-attr]

    @staticmethod
    def _branch_name(switch: Switch, value: Any) -> str:
        for name, (val, _) in switch.slot.words.items():
            if val == value:
                return name
        raise KeyError(value)

    def _positional(self, i: int, depth: int, p: Param, text: str,
                    value: Any = NOTHING) -> str:
        """`p` takes word `i`; `value` is what it makes of it when already converted."""
        frame = self.frames[depth]
        if isinstance(p, Rest):
            value = text
        elif value is NOTHING:
            try:
                value = p.slot.convert(text)  # type: ignore[attr-defined]
            except SlotError as exc:
                raise self._error(str(exc), i, (), _slot_code(p.slot)) from None  # type: ignore[attr-defined]
        if depth + 1 < len(self.frames):
            self.closed.extend(self.frames[depth + 1:])
            del self.frames[depth + 1:]
        frame.seen[id(p)] = (i, text)
        frame.posq = frame.positionals.index(p) + (0 if p.repeat else 1)
        if isinstance(p, Rest):
            frame.values[p.key] = [value]
            self.rest = (frame, p, i)
            return self._value_role(p.slot)
        self._store(frame, p, value)
        return self._value_role(p.slot)  # type: ignore[attr-defined]

    # -- the end
    def missing(self) -> list[str]:
        """What the command still needs (descriptions), without changing any state."""
        if self.stage != "params":
            return []
        out = []
        for frame in [*self.closed, *self.frames]:
            for p in frame.params():
                if p.required and p.key not in frame.values:
                    where = f"{frame.owner.word}: " if frame.owner else ""
                    out.append(where + _describe(p))
        return out

    def finish(self) -> Invocation:
        """End of line: apply bare values and defaults, check what is missing."""
        end = len(self.tokens)
        if self.pending_option is not None:
            opt = self.pending_option
            raise self._error(f"missing {opt.takes} after option {opt.name}", end)
        if self.pending is not None:
            frame, param, word, _ = self.pending
            bare = getattr(param, "bare", NOTHING)
            if bare is NOTHING:
                raise self._error(f"missing {param.metavar} after {word!r}", end)
            self._store(frame, param, bare)
            self.pending = None
        if self.stage == "start":
            raise self._error("missing command" if self.tokens else "empty command", end)
        if self.stage == "verb":
            cmd = self.obj.default_command
            if cmd is None:
                verbs = ", ".join(c.verb.name for c in self.obj.verbs)
                raise self._error(f"{self.obj.name}: missing verb (one of: {verbs})", end,
                                  [c.verb.name for c in self.obj.verbs])
            self._enter(cmd)
        missing = self.missing()
        if missing:
            raise self._error(f"{self._where()}: missing {missing[0]}", end)
        for frame in [*self.closed, *self.frames]:
            check = frame.owner.check if frame.owner else None
            problem = check(frame.values) if check else None
            if problem:
                raise self._error(f"{frame.owner.word}: {problem}", end)  # type: ignore[union-attr]
        assert self.command is not None
        values = self.frames[0].values if self.frames else {}
        problem = self.command.check(values) if self.command.check else None
        if problem:
            raise self._error(f"{self._where()}: {problem}", end)
        return Invocation(self.command, values, self.family, [t.text for t in self.tokens],
                          dict(self.options))


def _close(word: str, choices: Sequence[str]) -> list[str]:
    """The valid words nearest to a bad one (difflib is imported only on errors)."""
    import difflib

    if len(word) > ECHO_LIMIT:  # no valid word is that long
        return []
    return difflib.get_close_matches(word, choices, 3, 0.6)




def shown(word: str) -> str:
    """A word as an error message echoes it: quoted like repr (control characters escaped),
    cut after ECHO_LIMIT characters."""
    if len(word) <= ECHO_LIMIT:
        return repr(word)
    return repr(word[:ECHO_LIMIT]) + "…"


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _escaped(text: str) -> str:
    """A word holding bytes that were not UTF-8 (kept as lone surrogates), its bytes
    backslash-escaped, quoted, cut short."""
    raw = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "'" + raw[:ECHO_LIMIT] + ("…" if len(raw) > ECHO_LIMIT else "") + "'"


def _hint(near: Sequence[str]) -> str:
    return f" (did you mean: {', '.join(near)}?)" if near else ""


def parse(line_or_words: str | Sequence[str] | Sequence[Token],
          registry: Registry = REGISTRY) -> Invocation:
    """Parse one command line (a string, or words already split) into an `Invocation`."""
    tokens, _ = _tokens_of(line_or_words)
    walker = Walker(tokens, registry)
    for i in range(len(tokens)):
        walker.feed(i)
    return walker.finish()
