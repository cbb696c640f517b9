"""The command line: argv -> one of REPL, ``-c`` commands, a batch, watch, --complete.

Options are ip's (``-j -p -br -s -d -4 -6 -n NS``), spelled as ip spells them, so they are
read by hand rather than by argparse (``-br`` is one option, not ``-b r``). This module
must stay cheap to import: ``nlshell -c`` never imports prompt_toolkit or pygments.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from nlshell import __version__

USAGE = """\
usage: nlshell [OPTIONS]                      interactive shell (on a terminal)
       nlshell [OPTIONS] -c 'COMMAND' [-c ...] run commands in order
       nlshell [OPTIONS] -b FILE|-             run a batch file (stdin when not a terminal)
       nlshell [OPTIONS] OBJECT COMMAND...     run one command, as ip does
       nlshell watch [links] [addrs] [routes] [neigh] [events] [-n NS] [--interval S]
       nlshell --complete [-n NS] -- WORD...   completion candidates (for shell scripts)

options:
  -c, --command CMD     run CMD (repeatable; run in order)
  -b, -batch FILE       run the commands of FILE ('-' for stdin)
  -force, --force       go on after errors in a batch (exit non-zero at the end)
  --check               parse only; apply nothing
  -n, -netns NAME       run in network namespace NAME
  -4 / -6               IPv4 / IPv6 only
  -f, -family FAMILY    inet, inet6 or link (-4, -6, -0)
  -j, -json             JSON output (the keys of `ip -j`)
  -p, -pretty           indented JSON
  -br, -brief           one line per object, like `ip -br`
  -s, -stats            statistics (twice: more)
  -d, -details          details
  --color[=WHEN]        colour: auto (default), always, never; NO_COLOR is honoured
  -V, --version         print the version
  -h, --help            this help; `nlshell help [OBJECT [VERB]]` explains the commands

exit status: 0 ok, 1 syntax, usage or lookup error, 2 the kernel refused.
"""

# option word -> (Options field or action, takes a value)
FLAGS = {
    "-j": "json", "-json": "json", "--json": "json",
    "-p": "pretty", "-pretty": "pretty", "--pretty": "pretty",
    "-br": "brief", "-brief": "brief", "--brief": "brief",
    "-s": "stats", "-stats": "stats", "-statistics": "stats", "--stats": "stats",
    "-d": "details", "-details": "details", "--details": "details",
    "-4": "inet", "-6": "inet6",
    "-force": "force", "--force": "force",
    "--check": "check",
    "-ts": "timestamp", "-timestamp": "timestamp",
}
VALUED = {
    "-c": "command", "--command": "command",
    "-b": "batch", "-batch": "batch", "--batch": "batch",
    "-n": "netns", "-netns": "netns", "--netns": "netns",
    "-f": "family", "-family": "family", "--family": "family",
    "--color": "color", "--colour": "color", "-color": "color",
}


_COLOR_WHEN = ("auto", "always", "never")
# -f / -family words -> AF_* (as slots.FAMILY; not imported: start-up time)
_FAMILIES = {"inet": 2, "inet6": 10, "link": 17}


class UsageError(Exception):
    pass


def parse_argv(argv: Sequence[str]) -> dict:
    """argv (without the program name) -> a dict of settings. Raises UsageError."""
    st: dict = {"commands": [], "batch": None, "netns": None, "color": "auto", "words": [],
                "flags": {}, "complete": None, "help": False, "version": False, "watch": None}
    i = 0
    args = list(argv)
    while i < len(args):
        a = args[i]
        if a == "--":
            st["words"] = args[i + 1:]
            break
        if a in ("-h", "--help", "-help"):
            st["help"] = True
        elif a in ("-V", "--version", "-Version"):
            st["version"] = True
        elif a == "--complete":
            st["complete"] = args[i + 1:]
            if st["complete"][:1] == ["--"]:
                st["complete"] = st["complete"][1:]
            break
        elif a.startswith(("--color=", "--colour=", "-color=")):
            st["color"] = a.split("=", 1)[1]
        elif a in ("--color", "--colour", "-color") and (
                i + 1 >= len(args) or args[i + 1] not in _COLOR_WHEN):
            # WHEN is optional: `--color link show` is colour on, then the command
            st["color"] = "always"
        elif a in FLAGS:
            key = FLAGS[a]
            if key == "stats":
                st["flags"]["stats"] = st["flags"].get("stats", 0) + 1
            elif key in _FAMILIES:  # -4 / -6: the last family option wins, as with ip
                st["flags"]["family"] = _FAMILIES[key]
            else:
                st["flags"][key] = True
        elif a in VALUED:
            if i + 1 >= len(args):
                raise UsageError(f'option "{a}" needs a value')
            key = VALUED[a]
            value = args[i + 1]
            if key == "command":
                st["commands"].append(value)
            elif key == "family":
                if value not in _FAMILIES:
                    raise UsageError(f'invalid family "{value}" (inet, inet6 or link)')
                st["flags"]["family"] = _FAMILIES[value]
            else:
                st[key] = value
            i += 1
        elif a.startswith("-") and len(a) > 1 and not st["words"]:
            raise UsageError(f'unknown option "{a}" (try nlshell --help)')
        else:
            st["words"] = args[i:]
            break
        i += 1
    if st["color"] not in _COLOR_WHEN:
        raise UsageError(f'invalid --color value "{st["color"]}" (auto, always or never)')
    if st["words"][:1] == ["watch"]:
        st["watch"] = st["words"][1:]
    return st


def make_context(st: dict):
    """Options and a Context from parsed argv (imports kept local: start-up time)."""
    from nlshell.commands.context import Context, Options, color_default

    flags = st["flags"]
    family = flags.get("family")
    opts = Options(json=bool(flags.get("json")), pretty=bool(flags.get("pretty")),
                   brief=bool(flags.get("brief")), stats=flags.get("stats", 0),
                   details=bool(flags.get("details")), family=family,
                   force=bool(flags.get("force")), check=bool(flags.get("check")),
                   timestamp=bool(flags.get("timestamp")),
                   color=color_default(sys.stdout, st["color"]))
    if opts.pretty:
        opts.json = True
    ctx = Context(netns=None, opts=opts)
    ctx.watch_main = _watch_main
    return ctx


def _watch_main(argv: list[str]) -> int:
    """The watch panes (shell layer, imported only when asked for)."""
    from nlshell.shell.watch import main as watch_main

    return watch_main(argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        st = parse_argv(argv)
    except UsageError as exc:
        sys.stderr.write(f"nlshell: {exc}\n")
        return 1
    if st["help"]:
        sys.stdout.write(USAGE)
        return 0
    if st["version"]:
        sys.stdout.write(f"nlshell {__version__}\n")
        return 0
    if st["watch"] is not None:
        from nlshell.shell.watch import main as watch_main

        extra = ["-n", st["netns"]] if st["netns"] else []
        return watch_main([*extra, *st["watch"]])
    if st["complete"] is not None:
        return complete(st)

    from nlshell.commands.context import CommandError
    from nlshell.commands.runner import ExitShell, Line, Runner, logical_lines

    ctx = make_context(st)
    runner = Runner(ctx)
    try:
        if st["netns"]:
            try:
                ctx.cd(st["netns"])
            except CommandError as exc:
                sys.stderr.write(f"{exc}\n")
                return 1
        if st["commands"] or st["words"]:
            lines = [Line(c, n, "-c") for n, c in enumerate(st["commands"], 1)]
            if st["words"]:
                from nlshell.commands.parser import quote_word

                lines.append(Line(" ".join(quote_word(w) for w in st["words"]), 1, "argv"))
            return _run_listed(runner, lines)
        if st["batch"] is not None:
            return run_batch(runner, st["batch"])
        if not sys.stdin.isatty():
            return runner.run_lines(logical_lines(sys.stdin, "-"))
        from nlshell.shell.repl import run_repl

        return run_repl(ctx)
    except ExitShell:
        return runner.status
    except KeyboardInterrupt:
        return 130
    finally:
        ctx.close()


def _run_listed(runner, lines) -> int:
    """-c commands and argv words: like a batch, but errors carry no FILE:LINE prefix
    for a single command."""
    if len(lines) == 1:
        runner.run_line(lines[0].text)
        return runner.status
    return runner.run_lines(lines)


def run_batch(runner, path: str) -> int:
    from nlshell.commands.runner import logical_lines

    if path == "-":
        return runner.run_lines(logical_lines(sys.stdin, "-"))
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return runner.run_lines(logical_lines(fh, path))
    except OSError as exc:
        sys.stderr.write(f"nlshell: cannot read {path}: {exc.strerror}\n")
        return 1


# cli-only options a completion script passes along with the words: not grammar words
_CLI_VALUED = frozenset(k for k, v in VALUED.items() if v in ("command", "batch", "color"))
_CLI_FLAGS = frozenset(k for k, v in FLAGS.items() if v in ("force", "check", "timestamp"))


def complete_words(args: Sequence[str], netns: str | None = None) -> tuple[list[str], str | None]:
    """``[-n NS] [--] WORD...`` (the words after ``nlshell``, the last one being completed)
    -> (grammar words, namespace to read live names from). Options only the command line
    knows are dropped; after ``-c``/``-b`` nothing is offered (the words are [])."""
    args = list(args)
    if len(args) >= 3 and args[0] in ("-n", "-netns", "--netns") and args[2] == "--":
        netns, args = args[1], args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        return [""], netns
    words: list[str] = []
    i = 0
    while i < len(args) - 1:  # the last word is the one being completed: kept as it is
        a = args[i]
        if a in _CLI_VALUED and not (VALUED[a] == "color" and i + 1 < len(args) - 1
                                     and args[i + 1] not in _COLOR_WHEN):
            if i + 1 == len(args) - 1:
                return [], netns  # completing the value of -c / -b / --color
            i += 2
            continue
        if a in _CLI_FLAGS or a in _CLI_VALUED or a.startswith(("--color=", "--colour=", "-color=")):
            i += 1
            continue
        if a in ("-n", "-netns", "--netns") and i + 1 < len(args) - 1:
            netns = args[i + 1]
        words.append(a)
        i += 1
    return words + [args[-1]], netns


def complete(st: dict) -> int:
    """Print completion candidates for the last word of ``st['complete']``."""
    from nlshell.commands.provider import LiveProvider
    from nlshell.commands.suggest import complete_args

    words, netns = complete_words(st["complete"] or [], st["netns"])
    if not words:
        return 0
    provider = LiveProvider(netns=netns)
    try:
        for cand in complete_args(words, provider):
            sys.stdout.write(cand + "\n")
    finally:
        provider.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
