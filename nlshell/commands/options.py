"""The global options: one table read by the command line (``cli.py``), the parser (a line
may start with options: ``-j link show``), ``--help`` and ``--complete``.

Options are ip's, spelled and abbreviated as ip 6.1 reads them: ``--x`` is read as ``-x``,
then the rows are tried in ip's own order and the first whose long name starts with the
word wins (``-s`` is -stats, ``-h`` -human, ``-he`` -help, ``-r`` -resolve, ``-rc``
-rcvbuf, ``-t`` -timestamp, ``-ts`` -tshort, ``-b`` -batch, ``-br`` -brief, ``-N``
-Numeric; case counts: ``-numeric`` is unknown, as in ip). A few rows match only when
written in full (``-4 -6 -0 -M -B -echo``, as ip has them). nlshell's own options come
after ip's, so they never take an abbreviation ip gives to one of its options; the one
exception is ``-c``, nlshell's command option (ip's ``-c`` is colour: spell it ``-co``,
``-color`` or ``-color=WHEN``).

``where`` says who accepts it: ``line`` options work on the command line and at the start
of any command line (shell, ``-c``, batch); ``cli`` options only on nlshell's own command
line. Options ip has that nlshell does not implement are rows too (``unsupported`` holds the
reason), so they are refused with a clear message and never accepted and ignored.

This module is data and small pure functions only: it imports nothing but the quoting rule
(start-up time of ``nlshell -c``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from nlshell.commands.render.safe import quoted


class GlobalOption(NamedTuple):
    name: str                   # canonical spelling: '-json'
    spellings: tuple[str, ...]  # other spellings matched in full: ('-j', '--json')
    key: str                    # the Options field (or settings key) it sets: 'json'
    value: Any = True           # what a flag stores; -4/-6/-0: the family word (as -f takes)
    takes: str = ""             # name of the value that follows ('NETNS'), '' for a flag
    help: str = ""
    where: str = "line"         # 'line': also at the start of a command line; 'cli': argv only
    unsupported: str = ""       # why it is refused (ip has it, nlshell does not)
    value_optional: bool = False  # --color [WHEN]: the value may be left out
    # long names any prefix of which selects this row (ip's matches()); None: the name
    # itself; (): written in full only
    prefixes: tuple[str, ...] | None = None
    also: tuple[tuple[str, Any], ...] = ()  # other settings it makes (-tshort: timestamp)

    @property
    def all_spellings(self) -> tuple[str, ...]:
        return (self.name, *self.spellings)

    @property
    def prefixable(self) -> tuple[str, ...]:
        return (self.name,) if self.prefixes is None else self.prefixes


_EXACT_ONLY: tuple[str, ...] = ()

OPTIONS: tuple[GlobalOption, ...] = (
    # -- ip's options, in the order ip tries them (the order decides abbreviations)
    GlobalOption("-loops", ("-l",), "loops", takes="COUNT",
                 help="address flush: at most COUNT rounds (0: no limit; default 10)"),
    GlobalOption("-family", ("-f", "--family"), "family", takes="FAMILY",
                 help="this family only: inet, inet6 or link"),
    GlobalOption("-4", (), "family", "inet", help="IPv4 only (-family inet)",
                 prefixes=_EXACT_ONLY),
    GlobalOption("-6", (), "family", "inet6", help="IPv6 only (-family inet6)",
                 prefixes=_EXACT_ONLY),
    GlobalOption("-0", (), "family", "link", help="link layer only (-family link)",
                 prefixes=_EXACT_ONLY),
    GlobalOption("-M", (), "family", "mpls", prefixes=_EXACT_ONLY,
                 unsupported="is ip's MPLS family, which nlshell has no view of"),
    GlobalOption("-B", (), "family", "bridge", prefixes=_EXACT_ONLY,
                 unsupported="is ip's bridge family, which nlshell has no view of "
                             "(use the bridge command)"),
    GlobalOption("-human", ("-h", "-human-readable"), "human",
                 help="sizes and rates with K/M/G suffixes (help is --help)",
                 prefixes=("-human", "-human-readable")),
    GlobalOption("-iec", ("-i",), "iec", help="with -human: powers of 1024 (Ki, Mi, Gi)"),
    GlobalOption("-statistics", ("-s", "-stats", "--stats", "--statistics"), "stats", 1,
                 help="statistics (twice: more)", prefixes=("-stats", "-statistics")),
    GlobalOption("-details", ("-d", "--details"), "details", help="details"),
    GlobalOption("-resolve", ("-r",), "resolve", help="addresses as DNS names",
                 unsupported="not supported yet (nlshell prints addresses, not names)"),
    GlobalOption("-oneline", ("-o",), "oneline", help="one line per record ('\\' for breaks)"),
    GlobalOption("-timestamp", ("-t", "--timestamp"), "timestamp",
                 help="monitor: a timestamp before each event"),
    GlobalOption("-tshort", ("-ts",), "tshort", also=(("timestamp", True),),
                 help="monitor: short timestamps"),
    GlobalOption("-Version", ("-V", "--version"), "version", where="cli",
                 help="print the version"),
    GlobalOption("-force", ("--force",), "force", where="cli",
                 help="go on after errors in a batch (exit non-zero at the end)"),
    GlobalOption("-batch", ("-b", "--batch"), "batch", takes="FILE", where="cli",
                 help="run the commands of FILE ('-' for stdin)"),
    GlobalOption("-brief", ("-br", "--brief"), "brief", help="one line per object, like `ip -br`"),
    GlobalOption("-json", ("-j", "--json"), "json", help="JSON output (the keys of `ip -j`)"),
    GlobalOption("-pretty", ("-p", "--pretty"), "pretty", help="with -json: indented JSON"),
    GlobalOption("-rcvbuf", ("-rc",), "rcvbuf", takes="SIZE", where="cli",
                 help="netlink socket receive buffer, in bytes"),
    GlobalOption("-color", ("-co", "--color", "--colour", "-colour"), "color", "always",
                 takes="WHEN", where="cli", value_optional=True,
                 help="colour: auto (default), always, never; NO_COLOR is honoured"),
    GlobalOption("-help", ("--help",), "help", where="cli",
                 help="this help; `nlshell help [OBJECT [VERB]]` explains the commands"),
    GlobalOption("-netns", ("-n", "--netns"), "netns", takes="NETNS",
                 help="run in network namespace NETNS"),
    GlobalOption("-Numeric", ("-N",), "numeric",
                 help="numbers, not names (protocols, scopes, tables, link types)"),
    GlobalOption("-all", ("-a",), "all_ns", help="netns exec/delete: every named namespace"),
    GlobalOption("-echo", (), "echo", prefixes=_EXACT_ONLY,
                 unsupported="(print what the kernel made) is not supported yet"),
    # -- nlshell's own, after ip's: ip's abbreviations win (-co is colour, -o -oneline)
    GlobalOption("-command", ("-c", "--command"), "command", takes="CMD", where="cli",
                 help="run CMD (repeatable; run in order). ip's -c (colour) is -co here"),
    GlobalOption("-check", ("--check",), "check", where="cli", help="parse only; apply nothing"),
    GlobalOption("-atomic", ("--atomic",), "atomic", where="cli",
                 help="a batch that fails is undone: the namespace ends as it started"),
    GlobalOption("-complete", ("--complete",), "complete", where="cli",
                 help="completion candidates for the words after it (for shell scripts)"),
    GlobalOption("-output", ("--output",), "output", takes="OUTPUT",
                 help="ip: ip's own text; table: nlshell's tables (default; "
                      "NLSHELL_OUTPUT too)"),
)

# the words an option's value may be, where it is a closed set; the refused ones give why
FAMILY_WORDS = ("inet", "inet6", "link")
REFUSED_FAMILIES = {"mpls": "MPLS", "bridge": "bridge"}
OUTPUT_WORDS = ("ip", "table")
_EXACT: dict[str, GlobalOption] = {s: opt for opt in OPTIONS for s in opt.all_spellings}

COLOR_WHEN = ("auto", "always", "never")


class OptionError(ValueError):
    """An option word that is unknown, unsupported or not allowed here, or a value an option
    does not take; the message is one line naming it. `candidates` are the nearest valid
    spellings."""

    def __init__(self, message: str, candidates: list[str] | None = None) -> None:
        super().__init__(message)
        self.candidates = candidates or []


def matches(text: str) -> list[GlobalOption]:
    """The row `text` selects ([] or one row): an exact spelling, else (``--x`` read as
    ``-x``) the first row in ip's order whose long name starts with it. ``-c=auto``: a word
    with ``=`` can only be ``-color`` (the one option ip reads ``=WHEN`` for)."""
    word, eq, _ = text.partition("=")
    if eq:
        body = word[1:] if word.startswith("--") else word
        color = _EXACT["-color"]
        return [color] if len(body) > 1 and color.name.startswith(body) else []
    hit = _EXACT.get(text)
    if hit is not None:
        return [hit]
    word = text[1:] if text.startswith("--") else text
    hit = _EXACT.get(word)
    if hit is not None:
        return [hit]
    if len(word) < 2 or not word.startswith("-"):
        return []
    for opt in OPTIONS:
        if any(name.startswith(word) for name in opt.prefixable):
            return [opt]
    return []


def lookup_option(text: str, where: str = "line") -> GlobalOption:
    """The option `text` names; `OptionError` when it is unknown, unsupported, or (with
    ``where='line'``) an option of nlshell's command line only."""
    found = matches(text)
    shown = quoted(text)
    if not found:
        near = _close(text, where)
        hint = f" (did you mean: {', '.join(near)}?)" if near else " (try nlshell --help)"
        raise OptionError(f"unknown option {shown}" + hint, near)
    opt = found[0]
    if opt.unsupported:
        why = opt.unsupported if opt.unsupported.startswith(("is ", "(")) else \
            f"({opt.name}) is {opt.unsupported}"
        raise OptionError(f"option {shown} {why}")
    if where == "line" and opt.where == "cli":
        raise OptionError(f"option {shown} works only on the nlshell command line")
    return opt


def check_value(opt: GlobalOption, text: str) -> Any:
    """The value `text` given to `opt`, checked as ip checks it (FAMILY: the word; COUNT,
    SIZE: an int; OUTPUT: the word); `OptionError` naming it otherwise. Other values (NETNS,
    CMD, FILE) are returned as they are: their readers check them."""
    shown = quoted(text)
    if opt.takes == "FAMILY":
        if text in REFUSED_FAMILIES:
            raise OptionError(f"family {shown} ({opt.name}) is ip's "
                              f"{REFUSED_FAMILIES[text]} family, which nlshell has no view of")
        if text not in FAMILY_WORDS:
            raise OptionError(f"invalid family {shown} ({', '.join(FAMILY_WORDS)})")
        return text
    if opt.takes in ("COUNT", "SIZE"):
        number = _unsigned(text)
        if number is None:
            raise OptionError(f"invalid {opt.name} value {shown} (a number of "
                              f"{'rounds' if opt.takes == 'COUNT' else 'bytes'})")
        return number
    if opt.takes == "OUTPUT":
        if text not in OUTPUT_WORDS:
            raise OptionError(f"invalid output {shown} (ip or table)")
        return text
    return text


def _unsigned(text: str) -> int | None:
    """A decimal or 0x-hex number 0..2**32-1 (ip's get_unsigned), else None."""
    digits, base = (text[2:], 16) if text[:2] in ("0x", "0X") else (text, 10)
    if not digits or not digits.isascii() or not digits.isalnum():
        return None
    try:
        value = int(digits, base)
    except ValueError:
        return None
    return value if value <= 0xFFFFFFFF else None


def offered(where: str = "line") -> list[tuple[str, str]]:
    """(spelling, help) of every option accepted `where` ('line' or 'cli'), for completion:
    the canonical name first, then its other spellings. Each is accepted there."""
    allowed = ("line",) if where == "line" else ("line", "cli")
    return [(s, opt.help) for opt in OPTIONS if not opt.unsupported and opt.where in allowed
            for s in opt.all_spellings]


def usage_lines(width: int = 26) -> list[str]:
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
