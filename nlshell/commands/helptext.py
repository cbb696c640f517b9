"""Help rendered from the grammar.

- ``help_for(words, registry=REGISTRY) -> str``: ``[]`` lists the commands; ``['route']``
  the verbs of an object; ``['route', 'add']`` the syntax line and one line per parameter;
  ``['link', 'add', 'type', 'vxlan']`` the parameters a switch branch adds. Words may be
  abbreviated; an unknown or ambiguous word raises `ParseError`.
- ``usage(command) -> str``: the ip-like syntax line(s) of one command.
- ``syntax(param) -> str``: one parameter as it appears in a syntax line.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from nlshell.commands.grammar import (
    NOTHING,
    REGISTRY,
    Branch,
    Command,
    Flag,
    Group,
    Kw,
    Obj,
    OneOf,
    Param,
    Pos,
    Registry,
    Rest,
    Switch,
)
from nlshell.commands.parser import ECHO_LIMIT, ParseError, shown, split_words
from nlshell.commands.slots import Slot


def _metavar(metavar: str, slot: Slot) -> str:
    # a small closed vocabulary reads better spelled out: arp {on|off}
    if metavar == slot.name and slot.is_choice and len(slot.words) <= 4:
        return "{" + "|".join(slot.words) + "}"
    return metavar


def _core(p: Param) -> str:
    if isinstance(p, Kw):
        value = _metavar(p.metavar, p.slot)
        return f"{p.word} [{value}]" if p.bare is not NOTHING else f"{p.word} {value}"
    if isinstance(p, Flag):
        return p.word
    if isinstance(p, OneOf):
        return "|".join(p.words)
    if isinstance(p, Pos):
        value = _metavar(p.metavar, p.slot)
        return f"[{p.word}] {value}" if p.keyword else value
    if isinstance(p, Rest):
        return f"{p.metavar}..."
    if isinstance(p, Switch):
        args = any(b.params for b in p.branches.values())
        return f"{p.word} {p.metavar}" + (f" [{p.metavar}_ARGS]" if args else "")
    if isinstance(p, Group):
        return f"{p.word} {p.metavar}"
    return p.key  # pragma: no cover - every Param kind is listed above


def syntax(p: Param) -> str:
    """One parameter in a syntax line: ``[dev IFNAME]``, ``PREFIX``, ``{up|down}``..."""
    core = _core(p)
    if isinstance(p, OneOf):
        return "{" + core + "}" if p.required else f"[{core}]"
    if isinstance(p, Rest):
        return core if p.required else f"[{core}]"
    text = core if p.required else f"[{core}]"
    return text + "..." if p.repeat else text


def _definitions(params: Sequence[Param], seen: set[int]) -> list[str]:
    """``NEXTHOP := ...`` lines for groups, ``TYPE := ...`` for switches (recursively)."""
    lines: list[str] = []
    for p in params:
        if id(p) in seen:
            continue
        seen.add(id(p))
        if isinstance(p, Group):
            lines.append(f"{p.metavar} := " + " ".join(syntax(q) for q in p.params))
            lines.extend(_definitions(p.params, seen))
        elif isinstance(p, Switch):
            lines.append(f"{p.metavar} := {{ " + " | ".join(p.branches) + " }")
            for name, branch in p.branches.items():
                if branch.params:
                    lines.append(f"{p.word} {name} := " + " ".join(syntax(q) for q in branch.params))
                    lines.extend(_definitions(branch.params, seen))
    return lines


def usage(command: Command) -> str:
    """The syntax of a command, ip-style, with definition lines for groups and switches."""
    head = " ".join([command.name, *(syntax(p) for p in command.params)])
    return "\n".join(["usage: " + head, *_definitions(command.params, set())])


def _param_lines(params: Sequence[Param], indent: str = "  ") -> list[str]:
    rows: list[tuple[str, str]] = []
    for p in params:
        extra = []
        aliases = getattr(p, "aliases", ())
        if aliases:
            extra.append("also: " + ", ".join(aliases))
        if p.required:
            extra.append("required")
        if p.repeat:
            extra.append("repeatable")
        text = p.help + (f" ({'; '.join(extra)})" if extra else "")
        rows.append((_core(p), text))
        slot = getattr(p, "slot", None)
        if isinstance(p, OneOf):
            rows.extend((f"  {w}", h) for w, h in p.words.items())
        elif isinstance(p, Switch):
            rows.extend((f"  {w}", b.help) for w, b in p.branches.items())
        elif slot is not None and slot.is_choice and len(slot.words) > 4:
            rows.extend((f"  {w}", h) for w, (_, h) in slot.words.items())
        elif isinstance(p, Group):
            rows.extend((f"  {_core(q)}", q.help) for q in p.params)
    width = min(max((len(left) for left, _ in rows), default=0), 28)
    return [f"{indent}{left:<{width}}  {text}".rstrip() for left, text in rows]


def _label(thing: object) -> str:
    if isinstance(thing, Command):
        return thing.verb.name if thing.verb else thing.name
    if isinstance(thing, Obj):
        return thing.name
    return getattr(thing, "word", "") or getattr(thing, "key", "?")


def _resolve(found: list, text: str, what: str, words: Sequence[str] = ()) -> object:
    if len(found) == 1:
        return found[0]
    if found:
        names = [_label(f) for f in found]
        raise ParseError(f"ambiguous {what} {shown(text)}: {', '.join(names)}", candidates=names)
    near = difflib.get_close_matches(text, list(words), 3, 0.6) if len(text) <= ECHO_LIMIT else []
    hint = f" (did you mean: {', '.join(near)}?)" if near else ""
    raise ParseError(f"unknown {what} {shown(text)}{hint}", candidates=near)


def _object_help(obj: Obj) -> str:
    if obj.direct is not None:
        return _command_help(obj.direct)
    verbs = " | ".join(c.verb.name for c in obj.verbs)  # type: ignore[union-attr]
    lines = [f"{obj.name}: {obj.help}", f"usage: {obj.name} {{ {verbs} }}"]
    if obj.default:
        lines.append(f"(`{obj.name}` alone means `{obj.name} {obj.default}`)")
    lines.append("")
    rows = [(c.verb.name + (f" ({', '.join(c.verb.aliases)})" if c.verb.aliases else ""), c.help)  # type: ignore[union-attr]
            for c in obj.verbs]
    width = max((len(left) for left, _ in rows), default=0)
    lines.extend(f"  {left:<{width}}  {text}" for left, text in rows)
    return "\n".join(lines)


def _command_help(command: Command) -> str:
    lines = [f"{command.name}: {command.help}", usage(command)]
    if command.params:
        lines += ["", *_param_lines(command.params)]
    return "\n".join(lines)


def _sub_help(command: Command, words: Sequence[str]) -> str:
    """``link add type vxlan`` / ``route add nexthop``: the params a switch branch or group adds."""
    params: Sequence[Param] = command.params
    title = command.name
    i = 0
    while i < len(words):
        hits = [p for p in params for names, shorts, _ in p.keywords()
                if words[i] in (*names, *shorts)]
        hits = hits or [p for p in params for names, _, _ in p.keywords()
                        if any(n.startswith(words[i]) for n in names)]
        p = _resolve(list(dict.fromkeys(hits)), words[i], f"{title} keyword")
        if isinstance(p, Group):
            title, params, i = f"{title} {p.word}", p.params, i + 1
            lines = [f"{title}: {p.help}", f"usage: {title} " + " ".join(syntax(q) for q in params)]
        elif isinstance(p, Switch) and i + 1 < len(words):
            name = p.slot.convert(words[i + 1]) if words[i + 1] else ""
            branch: Branch = p.branches[name]  # type: ignore[index]
            title, params, i = f"{title} {p.word} {name}", branch.params, i + 2
            lines = [f"{title}: {branch.help}"]
            if params:
                lines.append(f"usage: {title} " + " ".join(syntax(q) for q in params))
        else:
            return "\n".join([f"{title} {_core(p)}: {p.help}", *_param_lines([p])])
    if params:
        lines += ["", *_param_lines(params)]
    return "\n".join(lines)


def help_for(words: str | Sequence[str] = (), registry: Registry = REGISTRY) -> str:
    """Help for a command path (abbreviations allowed); see the module docstring."""
    if isinstance(words, str):
        words = split_words(words)
    words = list(words)
    if not words:
        rows = []
        for obj in registry.objects:
            names = ", ".join((*obj.word.aliases, *obj.word.shortcuts))
            rows.append((obj.name + (f" ({names})" if names else ""), obj.help))
        width = max((len(left) for left, _ in rows), default=0)
        body = [f"  {left:<{width}}  {text}" for left, text in rows]
        return "\n".join(["commands:", *body, "", "`help COMMAND [VERB]` for more."])
    obj: Obj = _resolve(registry.lookup(words[0]), words[0], "command",  # type: ignore[assignment]
                        registry.object_words())
    if len(words) == 1:
        return _object_help(obj)
    if obj.direct is not None:
        command, rest = obj.direct, words[1:]
    else:
        command = _resolve(obj.lookup(words[1]), words[1], f"{obj.name} verb",  # type: ignore[assignment]
                           obj.verb_words())
        rest = words[2:]
    if not rest:
        return _command_help(command)
    try:
        return _sub_help(command, rest)
    except (KeyError, ValueError) as exc:
        if isinstance(exc, ParseError):
            raise
        raise ParseError(f"no help for {shown(' '.join(words))}: {exc}") from None
