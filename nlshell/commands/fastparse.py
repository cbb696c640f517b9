"""A shape cache in front of the parser, for batches of similar lines.

``ShapeCache(registry).parse(line)`` returns what ``parser.parse(line)`` returns (the same
`Invocation`, or the same `ParseError`), faster when the line has the *shape* of one
parsed before: ``route add 10.0.0.0/24 via 192.0.2.254`` and ``route add 10.0.1.0/24 via
192.0.2.254`` differ only in value-like words, so the second one re-runs only the slot
converters on those words and copies the rest of the first one's result.

Why this gives exactly the full parser's answer. The parser's decisions depend on a word's
text and on the walk's structure so far (stage, command, frames, keys seen), never on the
text of values read earlier, except in the cases the learner refuses to cache: a `Switch`
choice, a keyword with a ``bare`` value (whether the next word is its value depends on
that word), an option's value and `Rest` words. So a shape records, for each value-like
word of the line it learned from (a *hole*: a word holding a digit, ``.``, ``:`` or ``/``,
not starting with ``-``), what the full parser decided and why, and replays the decision
on a new line's word at that place:

- the value of a pending keyword: taken verbatim, whatever it is; it must convert;
- a positional: no keyword of the open scopes may match the text (exactly or as a prefix),
  every positional `Frame.claim` tried before the one that took it must still refuse it,
  and that one must still accept it.

Every other word must be the very word the shape was learned from; then, word by word, the
walk is the same. A shape is found by the line's *key* (its words with the value-like ones
replaced by ``#``), or is the last shape used when the new line has the same length and
the same words outside the holes; the key only finds a candidate, the replay decides.
Anything else (a check failing, a conversion error, a line with quotes or backslashes)
goes to the full parser, which then gives the real answer or the real error. Command and
group ``check`` functions run on the new values as `Walker.finish` runs them. Values are
shared between the Invocations of a shape (slot values are immutable: str, int, tuples).

`converter` reads canonical IPv4 addresses and prefixes without the slot's parser (they
come back as typed); tests/test_fastparse.py checks it against the slots.
"""

from __future__ import annotations

import operator
import re
import socket
from collections.abc import Callable
from typing import Any

from nlshell.commands import slots as S
from nlshell.commands.grammar import NOTHING, REGISTRY, Registry, Rest, Switch
from nlshell.commands.parser import Invocation, Walker, parse, tokenize
from nlshell.commands.slots import Slot, SlotError

# str.split() cuts an ASCII line exactly as the tokenizer does when it has no quotes, no
# backslashes and none of the whitespace that str.split() knows and the tokenizer does not
_SPECIAL = re.compile(r"[\"'\\\x1c-\x1f]").search
_VALUE_CHARS = frozenset("0123456789:/.")
HOLE = "#"
LIMIT = 512  # shapes kept; a batch rarely has more than a few


def value_like(word: str) -> bool:
    return not _VALUE_CHARS.isdisjoint(word) and word[0] != "-"


def shape_key(words: list[str]) -> tuple[str, ...]:
    """The words with value-like ones replaced by ``#``."""
    disjoint = _VALUE_CHARS.isdisjoint
    return tuple([w if disjoint(w) or w[0] == "-" else HOLE for w in words])


class _Refused(Exception):  # noqa: N818 - internal signal
    """The learner met something a shape cannot replay."""


# Canonical IPv4 spellings (four octets 0..255 without leading zeros; a length 0..32
# without one): for these the prefix and address slots' parsers return the text as it is,
# so it is read here without them. Any other spelling goes to the slot.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_V4 = rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}"
_V4_ADDR = re.compile(_V4).fullmatch
_V4_PREFIX = re.compile(rf"({_V4})/(3[0-2]|[12]?[0-9])").fullmatch
_new_tuple = tuple.__new__  # Prefix(...) without its Python-level __new__ (hot path)


def converter(slot: Slot) -> Callable[[str], Any]:
    """``slot.convert``, or an equal function that is quicker on canonical IPv4 text."""
    convert = slot.convert
    if slot.abbrev:
        return convert
    words = slot.words
    if slot.parse is S.parse_prefix:
        def prefix(text: str) -> Any:
            m = _V4_PREFIX(text)
            if m is None or text in words:
                return convert(text)
            address, length = m.groups()
            return _new_tuple(S.Prefix, (address, int(length), S.AF_INET, None))
        return prefix
    if slot.parse is S.parse_addr:
        def addr(text: str) -> Any:
            if _V4_ADDR(text) is None or text in words:
                return convert(text)
            return text
        return addr
    return convert


class Shape:
    """What the full parse of one line decided, to replay on lines of the same key."""

    __slots__ = ("command", "family", "options", "template", "nested", "steps", "checks",
                 "memo", "size", "pick", "literals")

    def __init__(self, command: Any, family: int | None, options: dict, template: dict,
                 steps: list[tuple], checks: list[tuple], key: tuple[str, ...]) -> None:
        self.command = command
        self.family = family
        self.options = options
        self.template = template
        self.nested = any(isinstance(v, (dict, list)) for v in template.values())
        # (word index, test, convert, path, key, list index): `test(text)` says whether the
        # full parser would read the word the same way (None: it always does), `convert`
        # gives its value (SlotError: the full parser must speak)
        self.steps = [(i, _test(kind, data), _convert(kind, data), path, key, index)
                      for i, kind, data, path, key, index in steps]
        self.checks = checks  # (path, check function) in finish()'s order
        self.memo: list[tuple[str, Any] | None] = [None] * len(steps)
        # the line's other words, quick to compare: pick(words) == literals
        at = [i for i, word in enumerate(key) if word != HOLE]
        self.size = len(key)
        self.pick: Callable[[list[str]], Any] = (
            operator.itemgetter(*at) if at else lambda words: ())
        self.literals = self.pick(list(key))

    def apply(self, words: list[str]) -> Invocation | None:
        """The Invocation of `words`, or None when the full parser must decide."""
        values = _copy(self.template) if self.nested else dict(self.template)
        memo = self.memo  # per step: the last (text, value), as batches repeat gateways
        n = 0
        for i, test, convert, path, key, index in self.steps:
            text = words[i]
            last = memo[n]
            if last is not None and last[0] == text:
                value = last[1]
            else:
                if test is not None and not test(text):
                    return None
                try:
                    value = convert(text)
                except SlotError:
                    return None
                memo[n] = (text, value)
            n += 1
            target = values
            for part in path:
                target = target[part[0]] if part[1] is None else target[part[0]][part[1]]
            if index is None:
                target[key] = value
            else:
                target[key][index] = value
        for path, check in self.checks:
            target = values
            for part in path:
                target = target[part[0]] if part[1] is None else target[part[0]][part[1]]
            if check(target):
                return None  # the full parser words the error
        return Invocation(self.command, values, self.family, list(words), dict(self.options))


def _test(kind: int, data: Any) -> Callable[[str], bool] | None:
    if kind == 0:
        return None  # a keyword's value: taken whatever it is
    heads, tables, tried, _slot, _strict = data
    # Slot.claims of each positional tried first; for an optional choice followed by more
    # (route's TYPE) that is: the word is one of its words, typed in full
    refusals = [(other.words, None, False) if strict and other.parse is None
                else (None, other, strict) for other, strict in tried]

    def positional(text: str) -> bool:
        # not a keyword (nor a keyword's prefix) of the open scopes, and refused by the
        # positionals Frame.claim tries before the one that took it
        if text[0] in heads and _is_keyword(text, tables):
            return False
        for words, other, strict in refusals:
            if text in words if other is None else other.claims(text, exact=strict):
                return False
        return True
    return positional


def _convert(kind: int, data: Any) -> Callable[[str], Any]:
    if kind == 0:
        return converter(data)
    slot, strict = data[3], data[4]
    if strict and slot.parse is None:  # Frame.claim took it as a choice word typed in full
        words = slot.words

        def word(text: str) -> Any:
            if text not in words:
                raise SlotError(text)
            return words[text][0]
        return word
    return converter(slot)


def _copy(obj: Any) -> Any:
    """Fresh dicts and lists, shared leaves (slot values are immutable)."""
    if isinstance(obj, dict):
        return {k: _copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_copy(v) for v in obj]
    return obj


def _is_keyword(text: str, tables: list[Any]) -> bool:
    return any(text in t.exact or t.prefixed(text) for t in tables)


class _Learner(Walker):
    """A Walker that notes, for the value-like words, what it decided and why."""

    def __init__(self, tokens: list[Any], registry: Registry, holes: frozenset[int]) -> None:
        super().__init__(tokens, registry)
        self.holes = holes
        self.stores: list[tuple[dict, str, int | None]] = []
        self.claimed: tuple | None = None
        self.steps: list[tuple] = []  # (i, kind, data, values dict, key, list index)

    def feed(self, i: int) -> str:
        if i not in self.holes:
            return super().feed(i)
        if self.stage != "params" or self.rest is not None or self.pending_option is not None:
            raise _Refused
        pending = self.pending
        if pending is not None and (getattr(pending[1], "bare", NOTHING) is not NOTHING
                                    or isinstance(pending[1], Switch)):
            raise _Refused
        self.stores, self.claimed = [], None
        role = super().feed(i)
        if len(self.stores) != 1 or not role.startswith("value:"):
            raise _Refused  # a keyword, a group... that looks like a value
        where, key, index = self.stores[0]
        if pending is not None:
            self.steps.append((i, 0, pending[1].slot, where, key, index))
        elif self.claimed is not None:
            self.steps.append((i, 1, self.claimed, where, key, index))
        else:
            raise _Refused
        return role

    def _store(self, frame: Any, param: Any, value: Any) -> None:
        super()._store(frame, param, value)
        index = len(frame.values[param.key]) - 1 if param.repeat else None
        self.stores.append((frame.values, param.key, index))

    def _positional(self, i: int, depth: int, p: Any, text: str, value: Any = NOTHING) -> str:
        if i in self.holes:
            if isinstance(p, (Rest, Switch)):
                raise _Refused
            frames = self.frames
            tried: list[tuple[Any, bool]] = []
            strict = False
            # the candidates Frame.claim tried, innermost frame first, up to `p`
            for d in range(len(frames) - 1, depth - 1, -1):
                cands = frames[d].open_positionals()
                for n, q in enumerate(cands):
                    q_strict = not q.required and n + 1 < len(cands)
                    if d == depth and q is p:
                        strict = q_strict
                        break
                    if isinstance(q, Rest):
                        raise _Refused
                    tried.append((q.slot, q_strict))
            tables = [scope.table for f in frames for scope in f.scopes]
            heads = frozenset(w[:1] for t in tables for w in (*t.exact, *t.words()))
            self.claimed = (heads, tables, tuple(tried), p.slot, strict)
        return super()._positional(i, depth, p, text, value)


def _paths(values: dict) -> dict[int, tuple]:
    """id(dict) -> its path in a values tree: ((key, list index or None), ...)."""
    out: dict[int, tuple] = {id(values): ()}
    todo = [(values, ())]
    while todo:
        d, path = todo.pop()
        for k, v in d.items():
            if isinstance(v, dict):
                out[id(v)] = path + ((k, None),)
                todo.append((v, out[id(v)]))
            elif isinstance(v, list):
                for n, item in enumerate(v):
                    if isinstance(item, dict):
                        out[id(item)] = path + ((k, n),)
                        todo.append((item, out[id(item)]))
    return out


def learn(line: str, words: list[str], registry: Registry = REGISTRY,
          key: tuple[str, ...] | None = None) -> tuple[Invocation, Shape | None]:
    """Parse `line` fully (errors as `parse` raises them) and make its shape, or None
    when the line is one a shape cannot replay."""
    tokens = tokenize(line)
    holes = frozenset(i for i, w in enumerate(words) if value_like(w))
    walker = _Learner(tokens, registry, holes)
    try:
        for i in range(len(tokens)):
            walker.feed(i)
        inv = walker.finish()
    except _Refused:
        return parse(line, registry), None
    paths = _paths(inv.values)
    if any(id(s[3]) not in paths for s in walker.steps):
        return inv, None
    steps = [(i, kind, data, paths[id(where)], key, index)
             for i, kind, data, where, key, index in walker.steps]
    checks = []
    for frame in [*walker.closed, *walker.frames]:
        check = frame.owner.check if frame.owner else None
        if check is not None:
            checks.append((paths[id(frame.values)], check))
    if inv.command.check is not None:
        checks.append(((), inv.command.check))
    template = _copy(inv.values)
    shape = Shape(inv.command, inv.family, dict(inv.options), template, steps, checks,
                  key or shape_key(words))
    return inv, shape


class ShapeCache:
    """`parse` with a memory of line shapes (see the module docstring)."""

    def __init__(self, registry: Registry = REGISTRY, limit: int = LIMIT) -> None:
        self.registry = registry
        self.limit = limit
        self.shapes: dict[tuple[str, ...], Shape | None] = {}
        self.last: Shape | None = None  # tried first: batches come in runs of one shape
        self.hits = 0

    def parse(self, line: str) -> Invocation:
        """Exactly ``parser.parse(line, registry)``."""
        if not line.isascii() or _SPECIAL(line) is not None:
            return parse(line, self.registry)
        words = line.split()
        shape = self.last
        if shape is None or len(words) != shape.size or shape.pick(words) != shape.literals:
            key = shape_key(words)
            shape = self.shapes.get(key, NOTHING)
            if shape is NOTHING:
                inv, shape = learn(line, words, self.registry, key)
                if len(self.shapes) >= self.limit:
                    self.shapes.clear()
                self.shapes[key] = shape
                self.last = shape or self.last
                return inv
            if shape is None:
                return parse(line, self.registry)
            self.last = shape
        inv = shape.apply(words)
        if inv is None:
            return parse(line, self.registry)
        self.hits += 1
        return inv


# -- byte templates -----------------------------------------------------------------------
#
# A batch of route adds spends most of its time turning each line into its message. For
# the commands named here (whose bulk builder gives the encoded message, bytes, with each
# IPv4 address of the line copied verbatim into it) a *template* skips both the parser and
# the builder: the message of one line, cut at the places where the line's IPv4 words
# land, filled with another line's words. A template is learnt from what the general path
# builds, never written by hand: the learnt line's message, and one probe per address word
# (that word's last octet changed, the line parsed and built again), must differ in just
# that address's four bytes, else the shape gets no template. A line matches a template
# when it has the learnt line's words everywhere but at the address places, and canonical
# IPv4 there (a prefix with the same length); anything else takes the general path.
# tests/test_fastparse_bytes.py checks templated bytes against the general path's.

TEMPLATED: frozenset[tuple[str, ...]] = frozenset({("route", "add")})
_inet_aton = socket.inet_aton


class Template:
    """One learnt message, cut at its address places, and the one pattern a line must
    match in full to be filled in: the learnt line's other words verbatim, canonical IPv4
    at the places (a prefix with the learnt length), ASCII whitespace between words."""

    __slots__ = ("match", "order", "segments")

    def __init__(self, words: list[str], places: list[tuple[int, int, str | None]],
                 raw: bytes) -> None:
        # places: (byte offset, word index, prefix length text or None), by offset
        group = {i: n for n, (_, i, _) in enumerate(sorted(places, key=lambda p: p[1]))}
        length = {i: ln for _, i, ln in places}
        parts = []
        for i, word in enumerate(words):
            if i not in group:
                parts.append(re.escape(word))
            elif length[i] is None:
                parts.append(f"({_V4})")
            else:
                parts.append(f"({_V4})/{length[i]}")
        self.match = re.compile(r"\s*" + r"\s+".join(parts) + r"\s*", re.ASCII).fullmatch
        # the groups come in word order; the message wants them in offset order
        self.order = [group[i] for _, i, _ in places]
        bounds = [0, *(x for o, _, _ in places for x in (o, o + 4)), len(raw)]
        self.segments = [raw[bounds[k]:bounds[k + 1]] for k in range(0, len(bounds), 2)]

    def fill(self, text: str) -> bytes | None:
        """The message of line `text`, or None when it does not match."""
        m = self.match(text)
        if m is None:
            return None
        values = m.groups()
        segments = self.segments
        parts = [segments[0]]
        n = 1
        for g in self.order:
            parts.append(_inet_aton(values[g]))
            parts.append(segments[n])
            n += 1
        return b"".join(parts)


def _v4_words(words: list[str]) -> list[tuple[int, str, str | None]]:
    """(word index, address, prefix length text or None) of the canonical IPv4 words."""
    out = []
    for i, word in enumerate(words):
        m = _V4_PREFIX(word)
        if m is not None:
            out.append((i, m.group(1), m.group(2)))
        elif _V4_ADDR(word) is not None:
            out.append((i, word, None))
    return out


def _other_address(address: str) -> str:
    head, _, last = address.rpartition(".")
    return f"{head}.{int(last) ^ 1}"


class ByteTemplates:
    """Templates by line shape (`shape_key`); `build(text)` gives a line's message or
    None (the general path then decides, errors included)."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.by_key: dict[tuple[str, ...], Template] = {}
        self.last: Template | None = None  # tried first: batches come in runs of one shape
        self.hits = 0

    def clear(self) -> None:
        """Forget everything (a command run in between may have renamed or moved links,
        and a template holds the link indexes its line named)."""
        self.by_key.clear()
        self.last = None

    def build(self, text: str) -> bytes | None:
        last = self.last
        if last is None:
            return None
        raw = last.fill(text)
        if raw is None:
            if not text.isascii() or _SPECIAL(text) is not None:
                return None
            other = self.by_key.get(shape_key(text.split()))
            if other is None or other is last:
                return None
            raw = other.fill(text)
            if raw is None:
                return None
            self.last = other
        self.hits += 1
        return raw

    def learn(self, text: str, inv: Invocation, raw: Any,
              rebuild: Callable[[str], Any]) -> None:
        """Make the template of line `text` from its message `raw` (built by the general
        path); `rebuild(line)` is that path for the probes (parse + builder)."""
        if (type(raw) is not bytes or inv.options or inv.family is not None
                or tuple(inv.command.path) not in TEMPLATED or not text.isascii()
                or _SPECIAL(text) is not None):
            return
        words = text.split()
        places = []
        for i, address, length in _v4_words(words):
            other = _other_address(address)
            probe = list(words)
            probe[i] = other if length is None else f"{other}/{length}"
            try:
                got = rebuild(" ".join(probe))
            except Exception:  # noqa: BLE001 - a probe the general path refuses: no template
                return
            if type(got) is not bytes or len(got) != len(raw):
                return
            diff = [k for k in range(len(raw)) if raw[k] != got[k]]
            at = diff[0] - 3 if len(diff) == 1 else -1
            if at < 0 or raw[at:at + 4] != _inet_aton(address) \
                    or got[at:at + 4] != _inet_aton(other):
                return
            places.append((at, i, length))
        places.sort()
        if not places or any(places[k + 1][0] < places[k][0] + 4
                             for k in range(len(places) - 1)):
            return
        if len(self.by_key) >= self.limit:
            self.by_key.clear()
        template = Template(words, places, raw)
        self.by_key[shape_key(words)] = self.last = template
