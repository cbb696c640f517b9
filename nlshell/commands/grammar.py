"""The command grammar: declaration types and the registry.

One grammar, four readers. Every command is declared once -- its words, its typed slots and a
help line per word -- and that declaration is read by the parser (`parser.parse`), the
suggester (`suggest.suggest`, `?` help, ``nlshell --complete``), help rendering
(`helptext`) and the shell's lexer (`suggest.roles`).

Shape of a command line::

    [-4|-6|-j|-s|-d|-br|-n NETNS ...]  OBJECT  [VERB]  PARAMS...

An OBJECT (``link``) has VERBS (``show``, ``add``...), each a `Command` with its own parameter
list; ``default=`` names the verb used when nothing follows the object (``link`` ==
``link show``). A verbless object (``cd NAME``, ``monitor [WHAT]...``) is a `Command` itself,
declared with `Registry.command`.

Words (objects, verbs, keywords, choice words) may be abbreviated to any unique prefix of
their name or aliases; ``shortcuts`` are extra exact spellings that win where a prefix would be
ambiguous (``r`` -> route although ``rule`` also starts with r).

Parameters come after the verb in any order, like ip's:

===========================================  =================================================
``Kw('dev', S.IFNAME, 'help')``              keyword + typed value: ``dev eth0``
``Kw('brd', BRD, bare='+')``                 ... whose value may be left out (``bare`` used)
``Kw(..., repeat=True)``                     may be given again; the value becomes a list
``Flag('onlink', 'help')``                   bare keyword -> ``True`` (or ``value=``)
``OneOf('state', {'up': h, 'down': h})``     one word of a set -> ``values['state'] = 'up'``
``Pos('prefix', S.PREFIX, 'help')``          positional value; ``keyword='to'`` lets it also be
                                             written ``to PREFIX``; ``required=False`` makes it
                                             optional (an optional choice is only taken when
                                             typed in full: ``route add [TYPE] PREFIX``)
``Rest('argv', 'help', slot=S.COMMAND)``     every remaining word, verbatim (``netns exec``)
``Group('nexthop', 'help', [...])``          keyword opening a sub-list -> a dict (a list of
                                             dicts with ``repeat=True``); words the group does
                                             not know close it and go back to the command
``Switch('type', 'help', {'veth': Branch(    keyword + choice whose branch adds parameters:
   'help', [...]), 'ifb': 'help'})``         ``type vxlan id 42 dstport 4789``
===========================================  =================================================

A branch's words are searched before the command's once its choice is made, so a branch
may reuse a command word with its own meaning (after ``type vxlan``, ``dev`` is vxlan's
underlying device, before it the new device's name, as in ip); keys stay unique.

Every param has a ``key`` (the dict key in ``Invocation.values``; defaults to the keyword with
``-`` turned into ``_``: `Kw`, `Flag`, `Switch` and `Group` share that set-up in their base,
`Keyword`), ``help`` and, where it makes sense, ``aliases``, ``shortcuts``,
``required``, ``metavar`` (the name help shows instead of the slot's) and ``source`` (the
completion source when it differs from the slot's, e.g. ``'routes'`` for ``route del PREFIX``).
`Command` and `Group` also take ``conflicts=[('via', 'nexthop')]`` (keys that exclude each other)
and ``check=fn`` (``fn(values) -> error message | None``, run after parsing).

``Invocation.values`` holds only what was typed (use ``.get``): converted slot values (see
`slots`), ``True`` for flags, the chosen word for `OneOf`/`Switch` (branch params sit beside it,
flat), a dict (or list of dicts) per `Group`, a list of str for `Rest`, lists for repeats.

Example (a declaration module; the handler gets ``(context, invocation)``)::

    from nlshell.commands import slots as S
    from nlshell.commands.grammar import REGISTRY, Branch, Flag, Group, Kw, OneOf, Pos, Switch

    link = REGISTRY.object("link", "network devices", shortcuts=["l"], default="show")

    @link.verb("set", "change device attributes", params=[
        Pos("dev", S.IFNAME, "the device", keyword="dev"),
        OneOf("state", {"up": "bring it up", "down": "bring it down"}),
        Kw("mtu", S.number(68, 65535), "maximum transmission unit"),
        Kw("txqueuelen", S.NUMBER, "transmit queue length", aliases=["txqlen"]),
    ])
    def link_set(ctx, inv):
        dev, mtu = inv.values["dev"], inv.values.get("mtu")   # 'veth0', 1400
        ...

    link.verb("add", "create a virtual device", handler="nlshell.commands.link:link_add", params=[
        Pos("name", S.NEW_IFNAME, "its name", keyword="name", metavar="NAME"),
        Switch("type", "device kind", {
            "veth": Branch("virtual ethernet pair", [
                Group("peer", "the other end", [Kw("name", S.NEW_IFNAME, "peer name")]),
            ]),
            "ifb": "intermediate functional block",
        }, required=True),
    ])
    # "link add v0 type veth peer name v1"
    #   -> {'name': 'v0', 'type': 'veth', 'peer': {'name': 'v1'}}

Handlers may be callables or ``"module:function"`` strings (resolved on first run), so a
declaration module can stay import-cheap: import the engine and output code inside handlers.
For the same reason ``params`` (of a verb, a verbless command or a `Branch`) may be a
function returning the list, called the first time the parser, help or the completer reads
it: ``link.verb("add", ..., params=lambda: [...])``. `REGISTRY` imports the modules named in
`COMMAND_MODULES` on first use, and compiles each command's parameters on its first use.
"""

from __future__ import annotations

from _thread import RLock  # not threading: it imports functools (start-up time)

from nlshell import _import_module as import_module  # importlib costs start-up time
from nlshell.commands.record import Record, ValueRecord
from nlshell.commands.slots import STRING, Slot, choice
from nlshell.preload import import_module as load_module

# typing and collections.abc cost start-up time: only type checkers read them here
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
    from typing import Any

    # a command's or a branch's parameters, or a function building them on first use
    Params = Sequence["Param"] | Callable[[], Sequence["Param"]]

# The declaration modules REGISTRY loads on first use (one place to add a new object).
COMMAND_MODULES: tuple[str, ...] = (
    "nlshell.commands.link",
    "nlshell.commands.address",
    "nlshell.commands.route",
    "nlshell.commands.neighbour",
    "nlshell.commands.rule",
    "nlshell.commands.nexthop",
    "nlshell.commands.bridge",
    "nlshell.commands.tc",
    "nlshell.commands.netns",
    "nlshell.commands.monitor",
    "nlshell.commands.shellwords",
    "nlshell.commands.save",
    "nlshell.commands.apply",
    "nlshell.commands.transaction",
)

_L, _A, _R, _N = "nlshell.commands.link", "nlshell.commands.address", "nlshell.commands.route", \
    "nlshell.commands.neighbour"
_W, _X = "nlshell.commands.shellwords", "nlshell.commands.transaction"
# Every object those modules declare, in declaration order: (name, aliases, shortcuts,
# module). Reading a line imports only the module of its object word (`nlshell -c 'link
# show'` loads the link declarations, not all of them: start-up time); listing, help and
# completion load everything. An object declared but missing here (or with other words) is
# a GrammarError that names the row to add; tests/test_grammar_index.py checks the table.
OBJECT_INDEX: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str], ...] = (
    ("link", (), ("l",), _L),
    ("tuntap", (), (), _L),
    ("address", ("addr",), ("a",), _A),
    ("route", (), ("r", "ro"), _R),
    ("neighbour", ("neighbor", "neigh"), ("n",), _N),
    ("rule", (), ("ru",), "nlshell.commands.rule"),
    ("nexthop", (), ("nh",), "nlshell.commands.nexthop"),
    ("bridge", (), ("br",), "nlshell.commands.bridge"),
    ("tc", (), (), "nlshell.commands.tc"),
    ("netns", (), (), "nlshell.commands.netns"),
    ("monitor", (), (), "nlshell.commands.monitor"),
    ("cd", (), (), _W),
    ("pwd", (), (), _W),
    ("ls", (), (), _W),
    ("help", (), (), _W),
    ("exit", ("quit",), (), _W),
    ("watch", (), (), _W),
    ("save", (), (), "nlshell.commands.save"),
    ("diff", (), (), "nlshell.commands.apply"),
    ("apply", (), (), "nlshell.commands.apply"),
    ("begin", (), (), _X),
    ("rollback", (), (), _X),
    ("commit", (), (), _X),
    ("confirm", (), (), _X),
)


class GrammarError(Exception):
    """A declaration is inconsistent (a programming error, raised at declaration time)."""


class _Nothing:
    def __repr__(self) -> str:
        return "NOTHING"


NOTHING: Any = _Nothing()  # "no bare value": the keyword needs its value


def _built(owner: Any, attr: str) -> tuple[Param, ...]:
    """A parameter list that may have been declared as a builder (see `Params`): built
    on first read, then kept."""
    params = getattr(owner, attr)
    if callable(params):
        params = tuple(params())
        setattr(owner, attr, params)
    return params


def _names(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _keyof(word: str) -> str:
    return word.replace("-", "_")


# -- word tables --------------------------------------------------------------------------

class WordTable:
    """Words -> targets with ip-style matching: exact name/alias/shortcut first, then a
    unique prefix of a name or alias."""

    __slots__ = ("exact", "names")

    def __init__(self) -> None:
        self.exact: dict[str, Any] = {}
        self.names: list[tuple[str, Any]] = []  # prefix-matchable, in declaration order

    def add(self, names: Sequence[str], shortcuts: Sequence[str], target: Any) -> None:
        for word in (*names, *shortcuts):
            if word.split() != [word]:  # empty, or with white space (split is C: start-up)
                raise GrammarError(f"bad word {word!r}")
            if word in self.exact and self.exact[word] is not target:
                raise GrammarError(f"word {word!r} declared twice")
            self.exact[word] = target
        self.names.extend((name, target) for name in names)

    def prefixed(self, text: str) -> list[Any]:
        """Distinct targets with a name or alias starting with `text` (declaration order)."""
        out: list[Any] = []
        for name, target in self.names:
            if name.startswith(text) and not any(t is target for t in out):
                out.append(target)
        return out

    def match(self, text: str) -> list[Any]:
        """[target] on a match, several on ambiguity, [] when nothing fits."""
        if text in self.exact:
            return [self.exact[text]]
        return self.prefixed(text) if text else []

    def words(self) -> list[str]:
        return [name for name, _ in self.names]


# -- words and parameters -----------------------------------------------------------------

# The declaration classes below are plain classes (`Record`), not dataclasses: see
# nlshell/commands/record.py. Their __init__ signatures are those of the dataclasses they
# were: the positional fields first, the keyword-only ones after ``*``.

class Word(ValueRecord):
    """An object or verb word (compared and hashed by value, read-only)."""

    FIELDS = ("name", "help", "aliases", "shortcuts")
    __slots__ = FIELDS

    def __init__(self, name: str, help: str = "", aliases: tuple[str, ...] = (),
                 shortcuts: tuple[str, ...] = ()) -> None:
        setter = object.__setattr__
        setter(self, "name", name)
        setter(self, "help", help)
        setter(self, "aliases", aliases)
        setter(self, "shortcuts", shortcuts)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a Word")

    __delattr__ = __setattr__  # type: ignore[assignment]


class Param(Record):
    """Base of the parameter declarations."""

    key: str
    help: str
    required: bool = False
    repeat: bool = False
    metavar: str = ""

    def keywords(self) -> Iterator[tuple[tuple[str, ...], tuple[str, ...], str]]:
        """(names, shortcuts, canonical word) for each keyword spelling of this param."""
        return iter(())


class Keyword(Param):
    """Base of the params introduced by a keyword (`Kw`, `Flag`, `Switch`, `Group`): the
    word, its key, aliases and shortcuts, set up once here."""

    FIELDS: tuple[str, ...] = ("word", "key", "aliases", "shortcuts")

    def __init__(self, word: str, *, key: str = "", aliases: Sequence[str] = (),
                 shortcuts: Sequence[str] = ()) -> None:
        self.word = word
        self.key = key or _keyof(word)
        self.aliases, self.shortcuts = _names(aliases), _names(shortcuts)

    def keywords(self) -> Iterator[tuple[tuple[str, ...], tuple[str, ...], str]]:
        yield (self.word, *self.aliases), tuple(self.shortcuts), self.word


class Kw(Keyword):
    """``word VALUE``: a keyword followed by one typed value."""

    FIELDS = (*Keyword.FIELDS, "slot", "help", "required", "repeat", "bare", "metavar",
              "source")

    def __init__(self, word: str, slot: Slot, help: str = "", *, key: str = "",
                 aliases: Sequence[str] = (), shortcuts: Sequence[str] = (),
                 required: bool = False, repeat: bool = False, bare: Any = NOTHING,
                 metavar: str = "", source: str | None = None) -> None:
        super().__init__(word, key=key, aliases=aliases, shortcuts=shortcuts)
        self.slot = slot
        self.help = help
        self.required = required
        self.repeat = repeat
        self.bare = bare  # value used when the keyword is given without one
        self.metavar = metavar or slot.name
        self.source = source


class Flag(Keyword):
    """A bare keyword: ``onlink`` -> ``values['onlink'] = True`` (or `value`)."""

    FIELDS = (*Keyword.FIELDS, "help", "value")

    def __init__(self, word: str, help: str = "", *, key: str = "",
                 aliases: Sequence[str] = (), shortcuts: Sequence[str] = (),
                 value: Any = True) -> None:
        super().__init__(word, key=key, aliases=aliases, shortcuts=shortcuts)
        self.help = help
        self.value = value


class OneOf(Param):
    """One keyword out of a set: ``OneOf('state', {'up': help, 'down': help})``.

    ``values={'nolearning': False, ...}`` maps words to stored values (default: the word);
    ``shortcuts={'u': 'up'}`` adds exact spellings.
    """

    FIELDS = ("key", "words", "help", "values", "shortcuts", "required", "metavar")

    def __init__(self, key: str, words: Mapping[str, str], help: str = "", *,
                 values: Mapping[str, Any] | None = None,
                 shortcuts: Mapping[str, str] | None = None, required: bool = False,
                 metavar: str = "") -> None:
        if not words:
            raise GrammarError(f"OneOf {key!r} has no words")
        self.key = key
        self.words = dict(words)
        self.help = help
        self.values = values
        self.shortcuts = {} if shortcuts is None else shortcuts
        self.required = required
        self.metavar = metavar or "|".join(self.words)

    def value_of(self, word: str) -> Any:
        return (self.values or {}).get(word, word)

    def keywords(self) -> Iterator[tuple[tuple[str, ...], tuple[str, ...], str]]:
        for word in self.words:
            short = tuple(s for s, w in self.shortcuts.items() if w == word)
            yield (word,), short, word


class Pos(Param):
    """A positional value, filled in declaration order by words that are not keywords.

    ``keyword='dev'`` also allows ``dev VALUE``. An optional positional (``required=False``)
    followed by another one is only taken when the word fits it exactly.
    """

    FIELDS = ("key", "slot", "help", "keyword", "required", "repeat", "metavar", "source")

    def __init__(self, key: str, slot: Slot, help: str = "", *,
                 keyword: str | Sequence[str] = (), required: bool = True,
                 repeat: bool = False, metavar: str = "", source: str | None = None) -> None:
        self.key = key
        self.slot = slot
        self.help = help
        self.keyword = _names(keyword)
        self.required = required
        self.repeat = repeat
        self.metavar = metavar or slot.name
        self.source = source

    @property
    def word(self) -> str:
        return self.keyword[0] if self.keyword else ""

    def keywords(self) -> Iterator[tuple[tuple[str, ...], tuple[str, ...], str]]:
        if self.keyword:
            yield tuple(self.keyword), (), self.keyword[0]


class Rest(Param):
    """All remaining words, verbatim, as a list of str (must be the last positional).

    With ``slot=S.COMMAND`` the completer and lexer treat the words as a nested command line.
    """

    FIELDS = ("key", "help", "slot", "required", "metavar")

    def __init__(self, key: str, help: str = "", *, slot: Slot = STRING,
                 required: bool = False, metavar: str = "") -> None:
        self.key = key
        self.help = help
        self.slot = slot
        self.required = required
        self.metavar = metavar or slot.name
        self.repeat = False
        self.source = slot.source


class Branch(Record):
    """The parameters a `Switch` choice adds (`params` may be a builder, see `Params`)."""

    FIELDS = ("help", "params")

    def __init__(self, help: str = "", params: Params = ()) -> None:
        self.help = help
        self._params = params if callable(params) else tuple(params)
        self._scope: Scope | None = None

    params = property(lambda self: _built(self, "_params"))

    @property
    def scope(self) -> Scope:
        if self._scope is None:
            self._scope = Scope(self.params)
        return self._scope

    def checked_scope(self) -> Scope:
        """The scope, compiled and cross-checked once (a branch shared by two commands,
        like a link kind's by `link add` and `link set`, is checked once)."""
        if self._scope is None:
            self._scope = _check_scope(self.params)
        return self._scope


class Switch(Keyword):
    """``word CHOICE`` where each choice may add its own parameters (`Branch`)."""

    FIELDS = (*Keyword.FIELDS, "help", "branches", "required", "metavar", "abbrev")

    def __init__(self, word: str, help: str, branches: Mapping[str, Branch | str], *,
                 key: str = "", aliases: Sequence[str] = (), shortcuts: Sequence[str] = (),
                 required: bool = False, metavar: str = "", abbrev: bool = True) -> None:
        super().__init__(word, key=key, aliases=aliases, shortcuts=shortcuts)
        self.help = help
        self.branches = {name: b if isinstance(b, Branch) else Branch(b)
                         for name, b in branches.items()}
        self.required = required
        self.metavar = metavar or word.upper()
        self.abbrev = abbrev
        self.slot = choice(self.metavar, {n: b.help for n, b in self.branches.items()},
                           label=word, abbrev=abbrev)
        self.source: str | None = None
        self.bare = NOTHING


class Group(Keyword):
    """``word`` followed by its own parameters -> a dict (a list of dicts if `repeat`)."""

    FIELDS = (*Keyword.FIELDS, "help", "params", "required", "repeat", "metavar",
              "conflicts", "check")

    def __init__(self, word: str, help: str, params: Sequence[Param], *, key: str = "",
                 aliases: Sequence[str] = (), shortcuts: Sequence[str] = (),
                 required: bool = False, repeat: bool = False, metavar: str = "",
                 conflicts: Sequence[Sequence[str]] = (),
                 check: Callable[[dict[str, Any]], str | None] | None = None) -> None:
        super().__init__(word, key=key, aliases=aliases, shortcuts=shortcuts)
        self.help = help
        self.params = tuple(params)
        self.required = required
        self.repeat = repeat
        self.metavar = metavar or word.upper()
        self.conflicts = tuple(tuple(c) for c in conflicts)
        self.check = check
        self._scope: Scope | None = None

    @property
    def scope(self) -> Scope:
        if self._scope is None:
            self._scope = Scope(self.params, self.conflicts)
        return self._scope


class Scope:
    """A compiled parameter list: its keyword table and positionals."""

    def __init__(self, params: Sequence[Param], conflicts: Sequence[Sequence[str]] = ()) -> None:
        self.params = tuple(params)
        self.table = WordTable()
        self.positionals: list[Param] = []
        self.conflicts = tuple(tuple(c) for c in conflicts)
        keys: set[str] = set()
        for p in self.params:
            if not isinstance(p, Param):
                raise GrammarError(f"not a parameter: {p!r}")
            if p.key in keys:
                raise GrammarError(f"parameter key {p.key!r} declared twice")
            keys.add(p.key)
            for names, shortcuts, word in p.keywords():
                self.table.add(names, shortcuts, (p, word))
            if isinstance(p, (Pos, Rest)):
                if self.positionals and isinstance(self.positionals[-1], Rest):
                    raise GrammarError(f"{p.key!r} follows a Rest parameter")
                self.positionals.append(p)
        self.keys = keys


def _check_scope(params: Sequence[Param], conflicts: Sequence[Sequence[str]] = ()) -> Scope:
    """Compile and cross-check a parameter list with its switch branches (which share its
    values dict and keyword space)."""
    scope = Scope(params, conflicts)
    for p in scope.params:
        if isinstance(p, Group):
            _check_scope(p.params, p.conflicts)
        if isinstance(p, Switch):
            for name, branch in p.branches.items():
                try:
                    # keys stay unique (one values dict); a branch word may shadow one of
                    # the command's (searched first once chosen: vxlan's `dev`, as in ip)
                    sub = branch.checked_scope()
                    clash = scope.keys & sub.keys
                    if clash:
                        raise GrammarError(f"parameter key {sorted(clash)[0]!r} declared twice")
                except GrammarError as exc:
                    raise GrammarError(f"branch {p.word} {name}: {exc}") from None
    return scope


# -- commands, objects, the registry ----------------------------------------------------

class Command:
    """One runnable command: an object word, a verb word (None for verbless objects), its
    parameters and its handler. Usable as a decorator to set the handler."""

    def __init__(self, obj: Obj, verb: Word | None, help: str, params: Params,
                 handler: Callable[..., Any] | str | None = None,
                 check: Callable[[dict[str, Any]], str | None] | None = None,
                 conflicts: Sequence[Sequence[str]] = ()) -> None:
        self.obj = obj
        self.verb = verb
        self.help = help
        self._params = params if callable(params) else tuple(params)
        self.handler = handler
        self.check = check
        self.conflicts = tuple(tuple(c) for c in conflicts)
        self._scope: Scope | None = None
        if obj.check_now:
            self.scope  # noqa: B018 - compiled (and so checked) at declaration

    params = property(lambda self: _built(self, "_params"))

    @property
    def scope(self) -> Scope:
        """The compiled parameter list, cross-checked on first use (see `Registry`)."""
        if self._scope is None:
            self._scope = _check_scope(self.params, self.conflicts)
        return self._scope

    @property
    def path(self) -> tuple[str, ...]:
        """('route', 'add'), or ('cd',) for a verbless object."""
        return (self.obj.name,) if self.verb is None else (self.obj.name, self.verb.name)

    @property
    def name(self) -> str:
        return " ".join(self.path)

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        self.handler = fn
        return fn

    def resolve_handler(self) -> Callable[..., Any]:
        """The handler callable (imports ``"module:function"`` strings on first use)."""
        if isinstance(self.handler, str):
            module, _, attr = self.handler.rpartition(":") if ":" in self.handler \
                else self.handler.rpartition(".")
            self.handler = getattr(import_module(module), attr)
        if self.handler is None:
            raise LookupError(f"{self.name}: no handler declared")
        return self.handler

    def __repr__(self) -> str:
        return f"<Command {self.name}>"


class Obj:
    """An object word and its verbs (or, for a verbless object, its single `Command`)."""

    def __init__(self, word: Word, default: str | None = None, check_now: bool = True) -> None:
        self.word = word
        self.default = default
        self.check_now = check_now  # compile each verb's parameters when it is declared
        self.commands: dict[str, Command] = {}  # verb name -> Command
        self.direct: Command | None = None
        self._verbs = WordTable()

    name = property(lambda self: self.word.name)
    help = property(lambda self: self.word.help)

    def verb(self, name: str, help: str, params: Params = (), *,
             aliases: str | Iterable[str] = (), shortcuts: str | Iterable[str] = (),
             handler: Callable[..., Any] | str | None = None,
             check: Callable[[dict[str, Any]], str | None] | None = None,
             conflicts: Sequence[Sequence[str]] = ()) -> Command:
        """Declare a verb; returns its `Command` (also usable as a handler decorator)."""
        if self.direct is not None:
            raise GrammarError(f"{self.name} is a verbless command")
        word = Word(name, help, _names(aliases), _names(shortcuts))
        cmd = Command(self, word, help, params, handler, check, conflicts)
        self._verbs.add((name, *word.aliases), word.shortcuts, cmd)
        self.commands[name] = cmd
        return cmd

    @property
    def verbs(self) -> list[Command]:
        return list(self.commands.values())

    @property
    def default_command(self) -> Command | None:
        if self.default is None:
            return None
        if self.default not in self.commands:
            raise GrammarError(f"{self.name}: default verb {self.default!r} is not declared")
        return self.commands[self.default]

    def lookup(self, text: str) -> list[Command]:
        return self._verbs.match(text)

    def verb_words(self) -> list[str]:
        return self._verbs.words()

    def __repr__(self) -> str:
        return f"<Obj {self.name}>"


class Registry:
    """All objects. `REGISTRY` imports `COMMAND_MODULES` on first use (only the module of
    the object a line names, through `OBJECT_INDEX`, until something needs them all);
    tests build their own ``Registry()`` (no modules, no index) and declare into it.

    A registry without an index compiles and cross-checks each command as it is declared,
    so a mistake raises where it is made. The indexed `REGISTRY` compiles a command when it
    is first used (``nlshell -c 'link show'`` does not pay for ``link add``'s hundreds of
    words: start-up time); `check` compiles them all, and the tests call it."""

    def __init__(self, modules: Sequence[str] = (),
                 index: Sequence[tuple[str, tuple[str, ...], tuple[str, ...], str]] = ()
                 ) -> None:
        self.modules = tuple(modules)
        self._failure: str | None = None  # why loading failed (raised again on each use)
        self._objects: dict[str, Obj] = {}
        self._table = WordTable()
        self._loaded = not self.modules
        self._loading = False
        self._lock = RLock()
        # name -> (aliases, shortcuts, module); its own word table matches object words
        # without importing anything (targets are the names, in index order)
        self._index = {name: (aliases, shortcuts, module)
                       for name, aliases, shortcuts, module in index}
        self._order = {name: i for i, (name, *_) in enumerate(index)}
        self._index_table = WordTable()
        for name, aliases, shortcuts, _module in index:
            self._index_table.add((name, *aliases), shortcuts, name)
        self.check_now = not self._index

    def check(self) -> Registry:
        """Load every declaration and compile every command, switch branches included
        (a `GrammarError` names the first inconsistent one)."""
        for cmd in self.commands():
            try:
                cmd.scope  # noqa: B018 - compiling is checking
            except GrammarError as exc:
                raise GrammarError(f"{cmd.name}: {exc}") from None
        return self

    def object(self, name: str, help: str, *, aliases: str | Iterable[str] = (),
               shortcuts: str | Iterable[str] = (), default: str | None = None) -> Obj:
        """Declare an object with verbs (``default``: the verb used when none is typed)."""
        return self._add(Obj(Word(name, help, _names(aliases), _names(shortcuts)), default,
                             self.check_now))

    def command(self, name: str, help: str, params: Params = (), *,
                aliases: str | Iterable[str] = (), shortcuts: str | Iterable[str] = (),
                handler: Callable[..., Any] | str | None = None,
                check: Callable[[dict[str, Any]], str | None] | None = None,
                conflicts: Sequence[Sequence[str]] = ()) -> Command:
        """Declare a verbless object (``cd NAME``); returns its `Command`."""
        obj = Obj(Word(name, help, _names(aliases), _names(shortcuts)), None, self.check_now)
        obj.direct = Command(obj, None, help, params, handler, check, conflicts)
        self._add(obj)
        return obj.direct

    def _add(self, obj: Obj) -> Obj:
        with self._lock:
            if obj.name in self._objects:
                raise GrammarError(f"object {obj.name!r} declared twice")
            if self._index:
                self._check_indexed(obj)
            self._table.add((obj.name, *obj.word.aliases), obj.word.shortcuts, obj)
            self._objects[obj.name] = obj
        return obj

    def _check_indexed(self, obj: Obj) -> None:
        words = (obj.word.aliases, obj.word.shortcuts)
        entry = self._index.get(obj.name)
        if entry is None or entry[:2] != words:
            raise GrammarError(
                f"object {obj.name!r} is declared but OBJECT_INDEX does not list it with "
                f"these words: make its row ({obj.name!r}, {words[0]!r}, {words[1]!r}, "
                f"MODULE) in nlshell/commands/grammar.py")

    def load(self) -> Registry:
        """Import the declaration modules once. Any import error propagates (a missing or
        broken module is a programming error, never a quietly missing object), and every
        later use raises it again rather than working with half a grammar."""
        if self._loaded and self._failure is None:
            return self
        with self._lock:  # other threads wait here until every module is in
            if self._failure is not None:
                raise GrammarError(f"the command grammar failed to load: {self._failure}")
            if self._loaded or self._loading:  # _loading: a module being imported asks again
                return self
            self._loading = True
            module = ""
            try:
                for module in self.modules:
                    load_module(module)
                missing = [name for name in self._index if name not in self._objects]
                if missing:
                    module = "OBJECT_INDEX"
                    raise GrammarError(f"objects listed but never declared: {missing}")
            except BaseException as exc:
                self._failure = f"{module}: {type(exc).__name__}: {exc}"
                raise
            finally:
                self._loaded, self._loading = True, False
        return self

    def _object(self, name: str) -> Obj:
        """The object `name` of the index, importing its module if need be."""
        obj = self._objects.get(name)
        if obj is not None:
            return obj
        module = self._index[name][2]
        with self._lock:
            if self._failure is not None:
                raise GrammarError(f"the command grammar failed to load: {self._failure}")
            try:
                load_module(module)  # from its bytecode: start-up time (nlshell.preload)
            except BaseException as exc:
                self._failure = f"{module}: {type(exc).__name__}: {exc}"
                raise
        obj = self._objects.get(name)
        if obj is None:
            raise GrammarError(f"{module} does not declare {name!r}, which OBJECT_INDEX "
                               f"says it does")
        return obj

    @property
    def objects(self) -> list[Obj]:
        self.load()
        if self._index:  # index order, whichever module a line happened to load first
            return sorted(self._objects.values(), key=lambda o: self._order[o.name])
        return list(self._objects.values())

    def lookup(self, text: str) -> list[Obj]:
        """Objects matching `text` ([] unknown, several when ambiguous)."""
        if self._index:
            return [self._object(name) for name in self._index_table.match(text)]
        self.load()
        return self._table.match(text)

    def object_words(self) -> list[str]:
        if self._index:
            return self._index_table.words()
        self.load()
        return self._table.words()

    def commands(self) -> Iterator[Command]:
        for obj in self.objects:
            yield from ([obj.direct] if obj.direct else obj.verbs)

    def find(self, path: str | Sequence[str]) -> Command:
        """The command at an exact path: ``find('route add')`` (KeyError if none)."""
        words = path.split() if isinstance(path, str) else list(path)
        if words and words[0] in self._index:
            obj: Obj | None = self._object(words[0])
        else:
            self.load()
            obj = self._objects.get(words[0]) if words else None
        if obj is None:
            raise KeyError(path)
        if obj.direct is not None and len(words) == 1:
            return obj.direct
        if len(words) == 2 and words[1] in obj.commands:
            return obj.commands[words[1]]
        raise KeyError(path)

    def vocabulary(self) -> dict[str, set[str]]:
        """Every spelling by role ('object', 'verb', 'keyword'), for simple regex lexers."""
        out: dict[str, set[str]] = {"object": set(), "verb": set(), "keyword": set()}
        for obj in self.objects:
            out["object"].update(obj.word.aliases, (obj.name,), obj.word.shortcuts)
            for cmd in obj.verbs:
                out["verb"].update((cmd.verb.name, *cmd.verb.aliases, *cmd.verb.shortcuts))  # type: ignore[union-attr]
            for cmd in ([obj.direct] if obj.direct else obj.verbs):
                _collect_keywords(cmd.params, out["keyword"])
        return out


def _collect_keywords(params: Iterable[Param], into: set[str]) -> None:
    for p in params:
        for names, shortcuts, _ in p.keywords():
            into.update(names, shortcuts)
        if isinstance(p, Group):
            _collect_keywords(p.params, into)
        if isinstance(p, Switch):
            for branch in p.branches.values():
                _collect_keywords(branch.params, into)


REGISTRY = Registry(COMMAND_MODULES, OBJECT_INDEX)
