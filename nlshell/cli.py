"""The command line: argv -> one of REPL, ``-c`` commands, a batch, watch, --complete.

Options are ip's (``-j -p -br -s -d -4 -6 -n NS``), spelled as ip spells them, so they are
read by hand rather than by argparse (``-br`` is one option, not ``-b r``), from the one
table in `nlshell.commands.options` that the parser, --help and --complete read too. ip's
options nlshell lacks are refused there, never ignored (``-h`` is ip's -human: --help is
help). This module must stay cheap to import: ``nlshell -c`` never imports prompt_toolkit
or pygments.

Exit status: 0 ok, 1 usage, syntax or lookup error (a bad -n name, -c with -b, an argument
that is not UTF-8, a namespace that cannot be entered), 2 the kernel refused, 130 Ctrl-C.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from nlshell import __version__
from nlshell.commands.render.safe import quoted

_USAGE_HEAD = """\
usage: nlshell [OPTIONS]                      interactive shell (on a terminal)
       nlshell [OPTIONS] -c 'COMMAND' [-c ...] run commands in order
       nlshell [OPTIONS] -b FILE|-             run a batch file (stdin when not a terminal)
       nlshell [OPTIONS] OBJECT COMMAND...     run one command, as ip does
       nlshell watch [PANE...: links addrs routes neigh qdiscs events] [-n NS] [--interval S]
       nlshell --complete [-n NS] -- WORD...   completion candidates (for shell scripts)

options (a long option may be abbreviated, as with ip: -det):
"""
_USAGE_TAIL = """
exit status: 0 ok, 1 syntax, usage or lookup error, 2 the kernel refused, 130 interrupted.
"""


def usage() -> str:
    """The --help text; its option lines come from the one option table."""
    from nlshell.commands.options import OPTIONS, usage_lines

    later = " ".join(o.name for o in OPTIONS if o.unsupported)
    return (_USAGE_HEAD + "\n".join(usage_lines()) + "\n"
            + f"  ip's {later} are refused (not supported yet; -h is -human, not help)\n"
            + _USAGE_TAIL)


class UsageError(Exception):
    pass


def _check_encoding(args: Sequence[str]) -> None:
    """Words that were not valid UTF-8 in argv (Python keeps their bytes as lone
    surrogates): one line naming the bytes, backslash-escaped."""
    for word in args:
        if not word.isascii():
            try:
                word.encode("utf-8")
            except UnicodeEncodeError:
                raw = word.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                raise UsageError(f'argument {quoted(raw)} is not valid UTF-8') from None


def _check_netns_name(name: str) -> None:
    from nlshell.engine.nsenter import name_problem

    problem = name_problem(name)
    if problem:
        raise UsageError(f'invalid namespace name {quoted(name)}: {problem}')


def parse_argv(argv: Sequence[str]) -> dict:
    """argv (without the program name) -> a dict of settings. Raises UsageError.

    Every option word is looked up in `nlshell.commands.options` (the table the parser,
    --help and --complete read too)."""
    from nlshell.commands.options import COLOR_WHEN, OptionError, lookup_option

    args = list(argv)
    _check_encoding(args)
    st: dict = {"commands": [], "batch": None, "netns": None, "color": "auto", "words": [],
                "flags": {}, "complete": None, "help": False, "version": False, "watch": None}
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            st["words"] = args[i + 1:]
            break
        if not a.startswith("-") or len(a) == 1:
            st["words"] = args[i:]
            break
        word, eq, inline = a.partition("=")
        try:
            opt = lookup_option(word if eq else a, where="cli")
        except OptionError as exc:
            raise UsageError(str(exc)) from None
        if eq and not opt.value_optional:
            raise UsageError(f'option {quoted(word)} takes no "=VALUE"')
        key = opt.key
        if key == "complete":
            rest = args[i + 1:]
            st["complete"] = rest[1:] if rest[:1] == ["--"] else rest
            break
        if opt.value_optional:  # --color[=WHEN]: WHEN may be left out
            if eq:
                value = inline
            elif i + 1 < len(args) and args[i + 1] in COLOR_WHEN:
                value, i = args[i + 1], i + 1
            else:
                value = opt.value
            st[key] = value
        elif opt.takes:
            if i + 1 >= len(args):
                raise UsageError(f'option "{a}" needs a value ({opt.takes})')
            value = args[i + 1]
            i += 1
            if key == "command":
                st["commands"].append(value)
            elif key == "family":
                if value not in _FAMILIES:
                    raise UsageError(f'invalid family {quoted(value)} (inet, inet6 or link)')
                st["flags"]["family"] = value
            elif key == "netns":
                _check_netns_name(value)
                st["netns"] = value
            else:
                st[key] = value
        elif key in ("help", "version"):
            st[key] = True
        elif key == "stats":
            st["flags"]["stats"] = st["flags"].get("stats", 0) + 1
        else:  # -4 / -6 / -0: the last family option wins, as with ip
            st["flags"][key] = opt.value
        i += 1
    if st["color"] not in COLOR_WHEN:
        raise UsageError(f'invalid --color value {quoted(st["color"])} (auto, always or never)')
    if st["commands"] and st["batch"] is not None:
        raise UsageError("-c and -b cannot be used together (give the commands in the batch "
                         "file, or use -c only)")
    if st["words"] and st["batch"] is not None:
        raise UsageError(f'unexpected words with -b: {quoted(st["words"][0])} (give the '
                         f'commands in the batch file)')
    if st["flags"].get("atomic") and st["flags"].get("force"):
        raise UsageError("--atomic and --force cannot be used together (an atomic "
                         "batch stops and is undone at its first error)")
    if st["words"][:1] == ["watch"]:
        st["watch"] = st["words"][1:]
    return st


# -f / -family words (slots.FAMILY turns them into AF_* numbers; not imported here:
# start-up time)
_FAMILIES = ("inet", "inet6", "link")


def make_context(st: dict):
    """Options and a Context from parsed argv (imports kept local: start-up time)."""
    from nlshell.commands.context import Context, Options, color_default
    from nlshell.commands.slots import FAMILY

    flags = st["flags"]
    family = FAMILY.convert(flags["family"]) if flags.get("family") else None
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
    """The entry point. Ctrl-C at any moment (even while modules are still being imported)
    ends it quietly with status 130."""
    try:
        _interrupts_raise()
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        return 130


def _interrupts_raise() -> None:
    """From here on Ctrl-C is a KeyboardInterrupt again (the shell and monitor catch it):
    undo the quiet exit nlshell/__init__ set up for the start-up."""
    import _signal

    import nlshell

    if _signal.getsignal(_signal.SIGINT) is nlshell.quiet_interrupt:
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)


def _main(argv: list[str]) -> int:
    try:
        st = parse_argv(argv)
    except UsageError as exc:
        sys.stderr.write(f"nlshell: {exc}\n")
        return 1
    if st["help"]:
        sys.stdout.write(usage())
        return 0
    if st["version"]:
        sys.stdout.write(f"nlshell {__version__}\n")
        return 0
    if st["watch"] is not None:
        from nlshell.shell.watch import main as watch_main

        extra = ["-n", st["netns"]] if st["netns"] is not None else []
        return watch_main([*extra, *st["watch"]])
    if st["complete"] is not None:
        return complete(st)

    from nlshell.commands.context import CommandError
    from nlshell.commands.runner import ExitShell, Line, Runner, logical_lines

    ctx = make_context(st)
    runner = Runner(ctx)
    runner.atomic = bool(st["flags"].get("atomic"))
    try:
        if st["netns"] is not None:
            try:
                ctx.cd(st["netns"])
            except CommandError as exc:
                sys.stderr.write(f"{exc}\n")
                return 1
            except OSError as exc:  # EPERM / EACCES from setns: one line, the right capability
                sys.stderr.write(netns_entry_error(st["netns"], exc) + "\n")
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
    finally:
        ctx.close()


def netns_entry_error(name: str, exc: OSError) -> str:
    """The one line for a namespace that cannot be entered: setns() needs CAP_SYS_ADMIN
    (CAP_NET_ADMIN is not enough), and a namespace owned by another user namespace cannot be
    entered even by root (EACCES/EPERM there too)."""
    import errno
    import os

    text = exc.strerror or os.strerror(exc.errno or 0) or type(exc).__name__
    # the engine's text already names the namespace ("cannot enter network namespace ...")
    line = text if name in text else f'cannot enter network namespace {quoted(name)}: {text}'
    if exc.errno in (errno.EPERM, errno.EACCES):
        line += " (entering a namespace needs CAP_SYS_ADMIN)"
    return "nlshell: " + line


def _run_listed(runner, lines) -> int:
    """-c commands and argv words: like a batch, but errors carry no FILE:LINE prefix
    for a single command."""
    if len(lines) == 1 and not runner.atomic:
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


def complete_words(args: Sequence[str], netns: str | None = None) -> tuple[list[str], str | None]:
    """``[-n NS] [--] WORD...`` (the words after ``nlshell``, the last one being completed)
    -> (grammar words, namespace to read live names from). Options only the command line
    knows are dropped; after ``-c``/``-b`` nothing is offered (the words are [])."""
    from nlshell.commands.options import COLOR_WHEN, matches

    args = list(args)
    if len(args) >= 3 and args[0] in ("-n", "-netns", "--netns") and args[2] == "--":
        netns, args = args[1], args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        return [""], netns
    words: list[str] = []
    i = 0
    last = len(args) - 1  # the last word is the one being completed: kept as it is
    while i < last:
        a = args[i]
        found = matches(a.partition("=")[0]) if a.startswith("-") and not words else []
        opt = found[0] if len(found) == 1 and not found[0].unsupported else None
        if opt is not None and opt.where == "cli":  # not a grammar word: dropped
            i += 1
            if opt.value_optional:
                if "=" not in a and i < last and args[i] in COLOR_WHEN:
                    i += 1
            elif opt.takes:
                if i == last:
                    return [], netns  # completing the value of -c / -b
                i += 1
            continue
        if opt is not None and opt.key == "netns" and i + 1 < last:
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
