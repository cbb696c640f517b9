"""The command line: argv -> one of REPL, ``-c`` commands, a batch, watch, --complete.

Options are ip's, spelled and abbreviated as ip reads them (``-br`` is -brief, ``-b``
-batch, ``-h`` -human), so they are read by hand rather than by argparse, from the one
table in `nlshell.commands.options` that the parser, --help and --complete read too. The
few ip options nlshell lacks are refused there by name, never ignored; help is ``--help``.
This module must stay cheap to import: ``nlshell -c`` never imports prompt_toolkit or
pygments (nor configparser: ``NLSHELL_OUTPUT`` is read here, the config file only by the
shell).

Exit status, as ip's: 0 ok, 255 a syntax or usage error (a bad option or -n value, -c with
-b, an argument that is not UTF-8), 1 a lookup error, 2 the kernel refused, 130 Ctrl-C,
141 (killed by SIGPIPE, silently) when the reader of the output went away.
"""

from __future__ import annotations

import sys

from nlshell import __version__
from nlshell.commands.render.safe import quoted

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Sequence

_USAGE_HEAD = """\
usage: nlshell [OPTIONS]                      interactive shell (on a terminal)
       nlshell [OPTIONS] -c 'COMMAND' [-c ...] run commands in order
       nlshell [OPTIONS] -b FILE|-             run a batch file (stdin when not a terminal)
       nlshell [OPTIONS] OBJECT COMMAND...     run one command, as ip does
       nlshell watch [PANE...: links addrs routes neigh qdiscs events] [-n NS] [--interval S]
       nlshell --complete [-n NS] -- WORD...   completion candidates (for shell scripts)

options (abbreviated as ip abbreviates them: -s is -stats, -det -details; -c is nlshell's
command option, so ip's -c (colour) is -co or -color here):
"""
_USAGE_TAIL = """
exit status (as ip): 0 ok, 255 syntax or usage error, 1 lookup error (no such device, an
address that cannot be read), 2 the kernel refused, 130 interrupted, 141 output pipe closed.
"""


def usage() -> str:
    """The --help text; its option lines come from the one option table."""
    from nlshell.commands.options import OPTIONS, usage_lines

    refused = " ".join(o.name for o in OPTIONS if o.unsupported)
    return (_USAGE_HEAD + "\n".join(usage_lines()) + "\n"
            + f"  ip's {refused} are refused by name (-h is -human, not help)\n"
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
    --help and --complete read too); ``flags`` holds the Options fields they set."""
    from nlshell.commands.options import COLOR_WHEN, OptionError, check_value, lookup_option

    args = list(argv)
    _check_encoding(args)
    st: dict = {"commands": [], "batch": None, "netns": None, "color": "auto", "words": [],
                "flags": {}, "complete": None, "help": False, "version": False, "watch": None}
    flags = st["flags"]
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            st["words"] = args[i + 1:]
            break
        if not a.startswith("-") or len(a) == 1:
            st["words"] = args[i:]
            break
        _word, eq, inline = a.partition("=")
        try:
            opt = lookup_option(a, where="cli")
        except OptionError as exc:
            raise UsageError(str(exc)) from None
        key = opt.key
        if key == "complete":
            rest = args[i + 1:]
            st["complete"] = rest[1:] if rest[:1] == ["--"] else rest
            break
        if opt.value_optional:  # -color[=WHEN]: WHEN may be left out
            if eq:
                value = inline
            elif i + 1 < len(args) and args[i + 1] in COLOR_WHEN:
                value, i = args[i + 1], i + 1
            else:
                value = opt.value
            st[key] = value
        elif opt.takes:
            if i + 1 >= len(args):
                raise UsageError(f'option {quoted(a)} needs a value ({opt.takes})')
            i += 1
            try:
                value = check_value(opt, args[i])
            except OptionError as exc:
                raise UsageError(str(exc)) from None
            if key == "command":
                st["commands"].append(value)
            elif key == "netns":
                _check_netns_name(value)
                st["netns"] = value
            elif key == "batch":
                st["batch"] = value
            else:  # family, loops, rcvbuf, output: Options fields
                flags[key] = value
        elif key in ("help", "version"):
            st[key] = True
        elif key == "stats":
            flags["stats"] = flags.get("stats", 0) + 1
        else:  # flags (-4/-6/-0 set the family word): the last family option wins, as ip
            flags[key] = opt.value
        flags.update(opt.also)  # -tshort: -timestamp too
        i += 1
    if st["color"] not in COLOR_WHEN:
        raise UsageError(f'invalid --color value {quoted(st["color"])} (auto, always or never)')
    if st["commands"] and st["batch"] is not None:
        raise UsageError("-c and -b cannot be used together (give the commands in the batch "
                         "file, or use -c only)")
    if st["words"] and st["batch"] is not None:
        raise UsageError(f'unexpected words with -b: {quoted(st["words"][0])} (give the '
                         f'commands in the batch file)')
    if flags.get("atomic") and flags.get("force"):
        raise UsageError("--atomic and --force cannot be used together (an atomic "
                         "batch stops and is undone at its first error)")
    if "output" not in flags:
        env = _output_from_env()
        if env:
            flags["output"] = env
    if st["words"][:1] == ["watch"]:
        st["watch"] = st["words"][1:]
    return st


OUTPUT_ENV = "NLSHELL_OUTPUT"


def _output_from_env() -> str:
    """NLSHELL_OUTPUT=ip|table (empty or unset: nothing said); another value is a usage
    error naming it, as a bad --output is."""
    import os

    value = os.environ.get(OUTPUT_ENV, "")
    if value and value not in ("ip", "table"):
        raise UsageError(f"invalid {OUTPUT_ENV} value {quoted(value)} (ip or table)")
    return value


def make_context(st: dict):
    """Options and a Context from parsed argv (imports kept local: start-up time)."""
    from nlshell.commands.context import Context, Options, color_default
    from nlshell.commands.slots import FAMILY

    flags = dict(st["flags"])
    family = flags.pop("family", None)
    fields = Options.FIELDS
    opts = Options(**{k: v for k, v in flags.items() if k in fields},
                   family=FAMILY.convert(family) if family else None,
                   color=color_default(sys.stdout, st["color"]))
    if "output" in flags:  # said on the command line or in NLSHELL_OUTPUT: the config
        opts.extra["output_given"] = True  # file's `output =` does not override it
    ctx = Context(netns=None, opts=opts)
    ctx.watch_main = _watch_main
    return ctx


def _watch_main(argv: list[str]) -> int:
    """The watch panes (shell layer, imported only when asked for)."""
    from nlshell.shell.watch import main as watch_main

    return watch_main(argv)


def run() -> None:
    """The program (scripts/nlshell, ``python -m nlshell``): `main`, then the exit.

    After commands that ran to the end (-c, a batch, argv words), the output is flushed
    and the process ends with ``os._exit``: the interpreter's tear-down (a last garbage
    collection, every module's dict emptied) is a tenth of a ``nlshell -c`` run and there
    is nothing left for it to do (sockets are closed, no file is open, no atexit hook is
    ours). The shell and watch end the ordinary way: their threads and prompt_toolkit's
    hooks get their normal end. A flush that fails takes the ordinary way too, so Python
    reports it as it would."""
    code = main()
    if _quick_exit:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            sys.exit(code)
        import os

        os._exit(code)
    sys.exit(code)


_quick_exit = False  # set once a non-interactive run is over (see `run`)


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
    undo the quiet exit nlshell/__init__ set up for the start-up.

    Run as the program (not called by a test or a library user), a write to a pipe whose
    reader went away (``nlshell ... | head -1``) ends the process as it ends ip: killed by
    SIGPIPE, silently, status 141 in the shell; Python would otherwise raise
    BrokenPipeError and print "Broken pipe"."""
    import _signal

    import nlshell

    if _signal.getsignal(_signal.SIGINT) is nlshell.quiet_interrupt:
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)
        _signal.signal(_signal.SIGPIPE, _signal.SIG_DFL)


def startup_over() -> None:
    """Commands are about to run: the garbage collector that nlshell/__init__ paused for
    the start-up of the program is on again (`nlshell.resume_collector`)."""
    import nlshell

    nlshell.resume_collector()


def _main(argv: list[str]) -> int:
    global _quick_exit
    from nlshell.commands.context import EXIT_USAGE

    try:
        st = parse_argv(argv)
    except UsageError as exc:
        sys.stderr.write(f"nlshell: {exc}\n")
        return EXIT_USAGE
    if st["help"]:
        sys.stdout.write(usage())
        return 0
    if st["version"]:
        sys.stdout.write(f"nlshell {__version__}\n")
        return 0
    if st["watch"] is not None:
        startup_over()
        from nlshell.shell.watch import main as watch_main

        extra = ["-n", st["netns"]] if st["netns"] is not None else []
        return watch_main([*extra, *st["watch"]])
    if st["complete"] is not None:
        startup_over()
        return complete(st)

    from nlshell.commands.context import CommandError
    from nlshell.commands.runner import ExitShell, Line, Runner, logical_lines

    ctx = make_context(st)
    runner = Runner(ctx)
    runner.atomic = bool(st["flags"].get("atomic"))
    try:
        if st["netns"] is not None:
            # ip: a namespace -n cannot open or enter is a usage error (255)
            try:
                ctx.cd(st["netns"])
            except CommandError as exc:
                sys.stderr.write(f"{exc}\n")
                return EXIT_USAGE
            except OSError as exc:  # EPERM / EACCES from setns: one line, the right capability
                sys.stderr.write(netns_entry_error(st["netns"], exc) + "\n")
                return EXIT_USAGE
        startup_over()
        _quick_exit = True  # undone below for the shell, the one interactive path
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

        _quick_exit = False
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
        found = matches(a) if a.startswith("-") and not words else []  # -c=auto: colour
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
