"""The global options: one table read by the command line (``cli.py``), the parser (a line
may start with options: ``-j link show``), ``--help`` and ``--complete``.

Options are ip's, spelled as ip spells them (``-br`` is one option, not ``-b r``): each row
has a canonical name (``-json``), exact spellings (``-j``, ``--json``), the settings key it
sets, what it stores, the name of its value when it takes one, and its help line. A long
name may also be abbreviated to a unique prefix of at least two letters after the dash
(``-det``), as ip allows; ``--name`` is read as ``-name``.

``where`` says who accepts it: ``line`` options work on the command line and at the start
of any command line (shell, ``-c``, batch); ``cli`` options only on nlshell's own command
line. Options ip has that nlshell does not implement are rows too (``unsupported`` holds the
reason), so they are refused with a clear message and never accepted and ignored.

This module is data only: it imports nothing (start-up time of ``nlshell -c``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from nlshell.commands.render.safe import quoted


class GlobalOption(NamedTuple):
    name: str                   # canonical spelling: '-json'
    spellings: tuple[str, ...]  # other exact spellings: ('-j', '--json')
    key: str                    # the settings key it sets: 'json'
    value: Any = True           # what a flag stores; -4/-6/-0: the family word (as -f takes)
    takes: str = ""             # name of the value that follows ('NETNS'), '' for a flag
    help: str = ""
    where: str = "line"         # 'line': also at the start of a command line; 'cli': argv only
    unsupported: str = ""       # why it is refused (ip has it, nlshell does not yet)
    value_optional: bool = False  # --color [WHEN]: the value may be left out

    @property
    def all_spellings(self) -> tuple[str, ...]:
        return (self.name, *self.spellings)


_LATER = "not supported yet"

OPTIONS: tuple[GlobalOption, ...] = (
    # -- output and family: the command line and the start of any line
    GlobalOption("-4", (), "family", "inet", help="IPv4 only"),
    GlobalOption("-6", (), "family", "inet6", help="IPv6 only"),
    GlobalOption("-0", (), "family", "link", help="link layer only"),
    GlobalOption("-family", ("-f", "--family"), "family", takes="FAMILY",
                 help="this family only: inet, inet6 or link"),
    GlobalOption("-json", ("-j", "--json"), "json", help="JSON output (the keys of `ip -j`)"),
    GlobalOption("-pretty", ("-p", "--pretty"), "pretty", help="indented JSON"),
    GlobalOption("-brief", ("-br", "--brief"), "brief", help="one line per object, like `ip -br`"),
    GlobalOption("-statistics", ("-s", "-stats", "--stats", "--statistics"), "stats", 1,
                 help="statistics (twice: more)"),
    GlobalOption("-details", ("-d", "--details"), "details", help="details"),
    GlobalOption("-timestamp", ("-ts", "--timestamp"), "timestamp",
                 help="timestamps on monitor lines (nlshell's monitor always prints them)"),
    GlobalOption("-netns", ("-n", "--netns"), "netns", takes="NETNS",
                 help="run in network namespace NETNS"),
    # -- nlshell's command line only
    GlobalOption("-command", ("-c", "--command"), "command", takes="CMD", where="cli",
                 help="run CMD (repeatable; run in order)"),
    GlobalOption("-batch", ("-b", "--batch"), "batch", takes="FILE", where="cli",
                 help="run the commands of FILE ('-' for stdin)"),
    GlobalOption("-force", ("--force",), "force", where="cli",
                 help="go on after errors in a batch (exit non-zero at the end)"),
    GlobalOption("-atomic", ("--atomic",), "atomic", where="cli",
                 help="a batch that fails is undone: the namespace ends as it started"),
    GlobalOption("-check", ("--check",), "check", where="cli", help="parse only; apply nothing"),
    GlobalOption("-color", ("--color", "--colour", "-colour"), "color", "always", takes="WHEN",
                 where="cli", value_optional=True,
                 help="colour: auto (default), always, never; NO_COLOR is honoured"),
    GlobalOption("-Version", ("-V", "--version"), "version", where="cli", help="print the version"),
    GlobalOption("-help", ("--help",), "help", where="cli",
                 help="this help; `nlshell help [OBJECT [VERB]]` explains the commands"),
    GlobalOption("-complete", ("--complete",), "complete", where="cli",
                 help="completion candidates for the words after it (for shell scripts)"),
    # -- ip's options nlshell does not implement: refused, never ignored
    GlobalOption("-human", ("-h", "-human-readable"), "human",
                 unsupported="is ip's -human, " + _LATER + "; use --help for help"),
    GlobalOption("-iec", (), "iec", unsupported=_LATER),
    GlobalOption("-oneline", ("-o",), "oneline", unsupported=_LATER),
    GlobalOption("-resolve", ("-r",), "resolve", unsupported=_LATER),
    GlobalOption("-numeric", ("-N",), "numeric", unsupported=_LATER),
    GlobalOption("-all", ("-a",), "all", unsupported=_LATER),
    GlobalOption("-tshort", (), "tshort", unsupported=_LATER),
    GlobalOption("-rcvbuf", (), "rcvbuf", takes="SIZE", unsupported=_LATER),
    GlobalOption("-echo", (), "echo", unsupported=_LATER),
    GlobalOption("-loops", (), "loops", takes="COUNT", unsupported=_LATER),
)

_EXACT: dict[str, GlobalOption] = {s: opt for opt in OPTIONS for s in opt.all_spellings}

COLOR_WHEN = ("auto", "always", "never")


class OptionError(ValueError):
    """An option word that is unknown, ambiguous, unsupported or not allowed here; the
    message is one line naming it. `candidates` are the nearest valid spellings."""

    def __init__(self, message: str, candidates: list[str] | None = None) -> None:
        super().__init__(message)
        self.candidates = candidates or []


def matches(text: str) -> list[GlobalOption]:
    """Rows `text` may mean: an exact spelling, else the rows whose canonical name it
    abbreviates (at least two letters after the dash)."""
    hit = _EXACT.get(text)
    if hit is not None:
        return [hit]
    word = text[1:] if text.startswith("--") else text
    hit = _EXACT.get(word)
    if hit is not None:
        return [hit]
    if len(word) < 3 or not word.startswith("-"):
        return []
    return [opt for opt in OPTIONS if opt.name.startswith(word)]


def lookup_option(text: str, where: str = "line") -> GlobalOption:
    """The option `text` names; `OptionError` when it is unknown, ambiguous, unsupported,
    or (with ``where='line'``) an option of nlshell's command line only."""
    found = matches(text)
    shown = quoted(text)
    if not found:
        near = _close(text, where)
        hint = f" (did you mean: {', '.join(near)}?)" if near else " (try nlshell --help)"
        raise OptionError(f"unknown option {shown}" + hint, near)
    if len(found) > 1:
        names = [o.name for o in found]
        raise OptionError(f"ambiguous option {shown}: {', '.join(names)}", names)
    opt = found[0]
    if opt.unsupported:
        raise OptionError(f"option {shown} {opt.unsupported}"
                          if opt.unsupported.startswith("is ") else
                          f"option {shown} ({opt.name}) is {opt.unsupported}")
    if where == "line" and opt.where == "cli":
        raise OptionError(f"option {shown} works only on the nlshell command line")
    return opt


def offered(where: str = "line") -> list[tuple[str, str]]:
    """(spelling, help) of every option accepted `where` ('line' or 'cli'), for completion:
    the canonical name first, then its other spellings."""
    allowed = ("line",) if where == "line" else ("line", "cli")
    return [(s, opt.help) for opt in OPTIONS if not opt.unsupported and opt.where in allowed
            for s in opt.all_spellings]


def usage_lines(width: int = 24) -> list[str]:
    """The options part of ``--help``: one line per supported option (its short spellings,
    then its long one)."""
    out = []
    for opt in OPTIONS:
        if opt.unsupported:
            continue
        short = [s for s in opt.spellings if not s.startswith("--") and len(s) < len(opt.name)]
        long = [s for s in opt.spellings if s == "-" + opt.name] or \
            [s for s in opt.spellings if s.startswith("--")][:1] or [opt.name]
        spell = ", ".join([*short, *long])
        if opt.takes:
            spell += f" [{opt.takes}]" if opt.value_optional else f" {opt.takes}"
        out.append(f"  {spell:<{width}} {opt.help}")
    return out


def unsupported_names() -> list[str]:
    return [s for opt in OPTIONS if opt.unsupported for s in opt.all_spellings]


def _close(text: str, where: str) -> list[str]:
    import difflib  # only on errors

    names = [s for s, _ in offered(where)]
    return difflib.get_close_matches(text[:40], names, 3, 0.6)
