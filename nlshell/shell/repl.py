"""The interactive shell: a prompt_toolkit session over the command language.

``run_repl(ctx) -> int`` is what ``nlshell`` runs on a terminal with no command. Each line
goes through the same `Runner` as ``nlshell -c``; errors print one line and the session goes
on; Ctrl-C drops the line (or stops a running ``monitor``), Ctrl-D (or ``exit``) leaves with 0.

Contexts: the prompt names the current namespace (``nlshell:sandbox> ``, ``nlshell:/> `` for
the one nlshell started in). ``cd``/``pwd``/``ls`` are command words (shellwords.py) that
move ``ctx.current``; before each prompt the shell makes sure the current context has its
live cache and completion index, and notices namespaces that were removed meanwhile (the
current one: it says so, and stays current with every command failing until ``cd``).

Live values: each context's `Cache` feeds a `LiveIndex` (live.py); completion, colouring
and the toolbar read it and never wait on the kernel. When the index changes, the screen is
redrawn and an open completion menu is refreshed, so a link created elsewhere is offered
within a second without a key pressed.
"""

from __future__ import annotations

import contextlib
import copy
import os
import sys
import termios
import threading
from collections.abc import Callable, Iterator
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.application.current import set_app
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import History, InMemoryHistory
from prompt_toolkit.output import ColorDepth
from prompt_toolkit.patch_stdout import patch_stdout
from prompt_toolkit.shortcuts import CompleteStyle, print_formatted_text
from prompt_toolkit.styles import Style

from nlshell.commands.context import ROOT, CommandError, Context, removed_message
from nlshell.commands.grammar import REGISTRY, Registry
from nlshell.commands.runner import ExitShell, Runner, describe_error
from nlshell.shell import config as config_mod
from nlshell.shell import toolbar
from nlshell.shell.completer import NlshellCompleter, hint_only
from nlshell.shell.history import ShellHistory, history_path
from nlshell.shell.keys import build_key_bindings
from nlshell.shell.lexer import ShellLexer
from nlshell.shell.live import LiveIndex, ShellProvider, settle_heap
from nlshell.shell.monitor import BackgroundMonitor, background

# commands that hand the terminal to a child program, which expects it as it is
CHILD_COMMANDS = {("netns", "exec")}
INTERRUPTED = "\x03"  # read_line's answer to Ctrl-C (never a typed line: Ctrl-C ends input)
MENU_REFRESH_DELAY = 0.1  # coalesce a burst of events into one menu refresh

# config colour key -> prompt_toolkit style classes it sets
_VALUE_KINDS = ("ifname", "ifindex", "prefix", "address", "lladdr", "number", "netns",
                "table", "choice", "string", "command")
STYLE_CLASSES: dict[str, tuple[str, ...]] = {
    **{k: (f"pygments.nlshell.{k}",) for k in
       ("object", "verb", "keyword", "option", "unknown", "error", "partial")},
    **{k: (f"pygments.nlshell.value.{k}",) for k in _VALUE_KINDS},
    "toolbar": ("bottom-toolbar", "toolbar"),
}


def build_style(colors: dict[str, str]) -> Style:
    rules: list[tuple[str, str]] = [
        ("bottom-toolbar", "noreverse"),
        ("completion.hint", "italic"),
    ]
    for key, value in colors.items():
        for cls in STYLE_CLASSES.get(key, (key,)):
            rules.append((cls, value))
    return Style(rules)


class EofKept:
    """Between prompts, Ctrl-D stays an ordinary key for the terminal, kept for the next
    prompt. (Outside the prompt the terminal is in cooked mode, whose line discipline takes a
    Ctrl-D on an empty line as end-of-file and hands the next reader a NUL instead: the
    prompt saw Ctrl-Space, and a Ctrl-D typed while ``route show`` scrolled, or after Ctrl-C
    stopped it, did nothing.) `original()` gives a child program the terminal as it was.
    Not a terminal (tests, pipes): nothing to do."""

    def __init__(self, prompt_input: Any) -> None:
        self.fd = -1
        self.saved: list | None = None
        try:
            fd = prompt_input.fileno()
            if os.isatty(fd):
                self.saved, self.fd = termios.tcgetattr(fd), fd
        except (OSError, ValueError, termios.error):
            self.saved = None

    def _set(self, attrs: list) -> None:
        with contextlib.suppress(OSError, termios.error):
            termios.tcsetattr(self.fd, termios.TCSANOW, attrs)

    def __enter__(self) -> EofKept:
        if self.saved is not None:
            keep = copy.deepcopy(self.saved)
            keep[6][termios.VEOF] = b"\0"  # _POSIX_VDISABLE: no end-of-file character
            self._set(keep)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.saved is not None:
            self._set(self.saved)

    @contextlib.contextmanager
    def original(self) -> Iterator[None]:
        if self.saved is None:
            yield
            return
        self.__exit__()
        try:
            yield
        finally:
            self.__enter__()


def _with_handler(command: Any, handler: Callable[..., Any]) -> Any:
    """A copy of a grammar Command that runs `handler` (the shared one stays as it is)."""
    clone = copy.copy(command)
    clone.handler = handler
    return clone


def _print_above(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Shell:
    """One interactive session over `ctx` (see the module docstring).

    ``input``/``output`` are prompt_toolkit's (tests pass a pipe input and a DummyOutput);
    ``history`` replaces the history file (tests); ``above(line)`` prints a line above the
    prompt (default: stdout, which run_repl patches).
    """

    def __init__(self, ctx: Context, *, input: Any = None, output: Any = None,
                 config: config_mod.ShellConfig | None = None, history: History | None = None,
                 registry: Registry = REGISTRY,
                 above: Callable[[str], Any] | None = None) -> None:
        self.ctx = ctx
        ctx.use_cache = True
        ctx.interactive = True  # begin/commit/rollback (commands/transaction.py)
        ctx.notice = self._notice
        self.config = cfg = config or config_mod.load()
        self.registry = registry
        self.runner = Runner(ctx)
        self.indexes: dict[str, LiveIndex] = {}
        self.notes: list[str] = []  # one-line messages to print before the next prompt
        self.cache_problem: str | None = None
        self.monitor: BackgroundMonitor | None = None
        self.above = above or _print_above
        self.terminal: EofKept | None = None  # while run() runs
        self._refresh_lock = threading.Lock()
        self._refresh_pending = False
        self._apply_config(cfg)
        self.provider = ShellProvider(self.current_index)
        self.completer = NlshellCompleter(self.provider, registry)
        color = bool(ctx.opts.color)
        self.style = build_style(cfg.colors) if color else Style([])
        self.session: PromptSession[str] = PromptSession(
            message=self.message,
            history=history if history is not None else self._history(cfg),
            auto_suggest=AutoSuggestFromHistory(),
            completer=self.completer,
            complete_while_typing=cfg.complete_while_typing,
            complete_style=CompleteStyle.COLUMN,
            lexer=ShellLexer(self.provider, registry, self.live_version) if color else None,
            style=self.style,
            include_default_pygments_style=False,
            color_depth=None if color else ColorDepth.DEPTH_1_BIT,
            bottom_toolbar=self.toolbar if cfg.toolbar else None,
            key_bindings=build_key_bindings(registry, self.style),
            vi_mode=cfg.edit_mode == "vi",
            search_ignore_case=True,
            refresh_interval=1.0,
            input=input,
            output=output,
        )

    # --- configuration ----------------------------------------------------------------

    def _apply_config(self, cfg: config_mod.ShellConfig) -> None:
        for problem in cfg.problems:
            self.ctx.warn(f"nlshell: {problem}")
        if cfg.color != "auto":
            self.ctx.opts.color = cfg.color == "always"
        self.ctx.opts.table_format = cfg.table_format
        if not self.ctx.opts.extra.get("output_given"):  # --output / NLSHELL_OUTPUT win
            self.ctx.opts.output = cfg.output

    def _history(self, cfg: config_mod.ShellConfig) -> History:
        if cfg.history_size <= 0:
            return InMemoryHistory()
        path = history_path()
        try:
            return ShellHistory(path, cfg.history_size, warn=self._history_warning)
        except OSError as exc:
            where = exc.filename or path
            self.ctx.warn(f"nlshell: no history file ({where}: {exc.strerror or exc}); "
                          "history is kept for this session only")
            return InMemoryHistory()

    def _history_warning(self, line: str) -> None:
        """At start-up: printed now; later (a write failed at Enter): before the next prompt."""
        session = getattr(self, "session", None)
        if session is not None and session.app.is_running:
            self.notes.append(line)
        else:
            self.ctx.warn(line)

    # --- contexts -----------------------------------------------------------------------

    def current_index(self) -> LiveIndex | None:
        return self.indexes.get(self.ctx.current)

    def live_version(self) -> Any:
        index = self.current_index()
        return (self.ctx.current, id(index), index.version if index is not None else -1)

    def check_namespaces(self) -> None:
        """Close what is open in namespaces removed meanwhile, and the indexes of contexts
        the Context closed. The current one stays current (its commands fail, saying so,
        until ``cd``): the shell says it once."""
        ctx = self.ctx
        for name in ctx.open_names():
            if name == ROOT or ctx.alive(name):
                continue
            ctx.forget(name)
            if name == ctx.current:
                self.notes.append(removed_message(name))
        still_open = set(ctx.open_names())
        for name in [n for n in self.indexes if n not in still_open]:
            self.indexes.pop(name).close()

    def enter_context(self) -> None:
        """Make sure the current context has its cache and completion index (before a
        prompt: this may wait on the kernel, completion never does)."""
        self.check_namespaces()
        name = self.ctx.current
        self.cache_problem = None
        try:
            cache = self.ctx.cache
        except CommandError as exc:  # the current namespace was removed
            self.cache_problem = str(exc)
            return
        except Exception as exc:  # noqa: BLE001 - no live values then, the shell goes on
            self.cache_problem = f"no live cache: {exc}"
            return
        index = self.indexes.get(name)
        if index is None or index.cache is not cache:
            if index is not None:
                index.close()
            index = self.indexes[name] = LiveIndex(cache, on_change=self._live_changed)

    # --- live refresh ---------------------------------------------------------------------

    def _live_changed(self, kind: str, action: str) -> None:
        """In a cache thread: redraw, and refresh an open completion menu (coalesced)."""
        if action == "built":
            settle_heap()  # a context's cache and index are in: keep the GC off them
        app = self.session.app
        if not app.is_running:
            return
        with self._refresh_lock:
            if self._refresh_pending:
                return
            self._refresh_pending = True
        loop = getattr(app, "loop", None)
        if loop is None:
            self._refresh_pending = False
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(loop.call_later, MENU_REFRESH_DELAY, self._refresh)

    def _refresh(self) -> None:
        """In the prompt's event loop."""
        with self._refresh_lock:
            self._refresh_pending = False
        app = self.session.app
        if not app.is_running:
            return
        buf = app.current_buffer
        state = buf.complete_state
        if state is not None and state.complete_index is None:
            # scheduled from a cache thread: make the app current for prompt_toolkit
            with set_app(app):
                buf.complete_state = None  # (start_completion keeps an open menu as is)
                buf.start_completion(select_first=False)
        app.invalidate()

    # --- screen parts -----------------------------------------------------------------------

    def message(self) -> FormattedText:
        # a '*' after the context: a transaction is open there (begin ... commit/rollback)
        mark = "*" if self.ctx.transaction is not None else ""
        return FormattedText([("class:prompt", "nlshell:"),
                              ("class:prompt.context", self.ctx.current),
                              ("class:prompt", f"{mark}> ")])

    def _notice(self, line: str) -> None:
        """A line that arrives between commands (a rollback timer fired): above the
        prompt, which is redrawn (its '*' goes)."""
        self.above(line)
        app = self.session.app
        if app.is_running:
            loop = getattr(app, "loop", None)
            if loop is not None:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(app.invalidate)

    def toolbar(self) -> list[tuple[str, str]]:
        index = self.current_index()
        cache = index.cache if index is not None else None
        info = toolbar.ToolbarInfo(context=self.ctx.current, monitoring=self.monitor is not None)
        tx = self.ctx.transaction
        if tx is not None:
            info.transaction = tx.status()
        if index is not None:
            info.counts = index.counts()
            info.last_event = getattr(cache, "last_event", None)
        if self.cache_problem:
            info.warnings.append(self.cache_problem)
        elif not self.ctx.alive(self.ctx.current):
            info.warnings.append("namespace removed")
        with contextlib.suppress(Exception):
            text = self.session.app.current_buffer.document.text_before_cursor
            found = self.completer.suggestions(text)
            if hint_only(found):
                info.hint = "next: " + ", ".join(f"{s.text} {s.meta}".strip() for s in found)
        return toolbar.render(info)

    def say(self, text: str, style: str = "class:notice") -> None:
        print_formatted_text(FormattedText([(style, text)]), style=self.style,
                             output=self.session.output)

    # --- the loop -------------------------------------------------------------------------

    def run_line(self, text: str) -> int:
        """Run one line as ``nlshell -c`` would (ExitShell passes through); ``monitor``
        starts in the background instead of taking the terminal."""
        runner = self.runner
        code = 0
        try:
            inv = runner.parse(text)
            path = tuple(inv.command.path)
            if path == ("monitor",) and background(inv):
                inv.command = _with_handler(inv.command, self._start_monitor)
            if path in CHILD_COMMANDS and self.terminal is not None:
                with self.terminal.original():
                    runner.execute(inv)
            else:
                runner.execute(inv)
        except ExitShell:
            raise
        except Exception as exc:  # noqa: BLE001 - every error is one line; the shell goes on
            code, message = describe_error(exc, text)
            runner.report(message)
            runner.status = code
        finally:
            with contextlib.suppress(Exception):
                self.ctx.out.flush()
        return code

    def _start_monitor(self, ctx: Context, inv: Any) -> None:
        """The ``monitor`` handler in the shell (runs with the line's options applied)."""
        ctx.check()  # never listen elsewhere than the namespace named
        self.stop_monitor(quiet=True)
        self.monitor = BackgroundMonitor(ctx, inv, self.above)
        where = ctx.netns or "/"
        self.notes.append(f"monitoring {where} (Ctrl-C at the prompt stops it)")

    def stop_monitor(self, quiet: bool = False) -> bool:
        mon, self.monitor = self.monitor, None
        if mon is None:
            return False
        mon.stop()
        if not quiet:
            self.say("monitor stopped")
        return True

    def read_line(self) -> str | None:
        """One line from the prompt; None on Ctrl-D; INTERRUPTED on Ctrl-C."""
        try:
            return self.session.prompt()
        except KeyboardInterrupt:
            return INTERRUPTED
        except EOFError:
            return None

    def run(self) -> int:
        self.terminal = EofKept(self.session.input)
        try:
            with self.terminal:
                return self._loop()
        finally:
            self.terminal = None
            self.close()

    def _loop(self) -> int:
        while True:
            self.enter_context()
            for note in self.notes:
                self.say(note)
            self.notes.clear()
            text = self.read_line()
            if text is None:
                return 0
            if text == INTERRUPTED:
                self.stop_monitor()
                continue
            if not text.strip():
                continue
            try:
                self.run_line(text)
            except ExitShell:
                return 0
            except KeyboardInterrupt:
                self.ctx.warn("interrupted")

    def close(self) -> None:
        self.stop_monitor(quiet=True)
        self._leave_transaction()
        for index in self.indexes.values():
            index.close()
        self.indexes.clear()


    def _leave_transaction(self) -> None:
        """Leaving with a transaction open: its changes stay; a rollback timer runs on
        without the shell (and rolls back when it fires, as when the session is lost)."""
        tx, self.ctx.transaction = self.ctx.transaction, None
        if tx is None:
            return
        if tx.watchdog is None:
            self.ctx.warn(f"nlshell: the transaction in {tx.where} was left open: "
                          "its changes stay")
            return
        tx.claim()  # its report has nobody to go to now
        self.ctx.warn(f"nlshell: the rollback timer of {tx.where} runs on: it rolls back "
                      f"in {int(tx.watchdog.remaining() + 0.999)}s")
        tx.watchdog.detach()


def run_repl(ctx: Context, **kwargs: Any) -> int:
    """Run the interactive shell on this terminal until Ctrl-D or ``exit``; returns 0."""
    shell = Shell(ctx, **kwargs)
    # output printed while the prompt is up (events, warnings from threads) goes above it
    with patch_stdout(raw=True):
        return shell.run()

