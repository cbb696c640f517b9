"""Running command lines: one line, a list of ``-c`` commands, or a batch file.

Every error is one line and maps to ip's exit codes: 255 for syntax and usage errors, 1
for lookups (no such device) and addresses ip cannot read, 2 for kernel refusals. Batch
files take ``#`` comments, ``\\`` continuations and quoting; an error prints
``FILE:LINE: message`` and stops, unless ``--force`` (or ``--check``, which lists every bad
line); a batch's status is then the highest of its failures' codes.

Batches send runs of consecutive ``route|address|neighbour add`` lines pipelined
(``IPRoute.bulk``). Without ``--force`` a failure must leave only the lines before it
applied, as ip does: the adds after the failing one that the kernel already took are
deleted again, and the error names the failing line.

Batch lines are parsed through a shape cache (`fastparse.ShapeCache`: the parser's very
answers, quicker on runs of lines that differ only in their values), and ``route add``
lines are built straight into their encoded message. Past the first line of a shape, a
``route add`` line skips the parser too: a byte template learnt from the general path's
own message (`fastparse.ByteTemplates`) takes its IPv4 words. Full chunks of pipelined
requests are sent by a thread while the next lines are read; their outcome is taken
before anything else is sent or run. A 100,000-line batch of route adds takes less time
than ``ip -batch``.
"""

from __future__ import annotations

import errno
import gc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from nlshell.commands.context import (
    DEVICE_MISSING_WORDS,
    EXIT_KERNEL,
    EXIT_LOOKUP,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    Context,
    NoSuchDevice,
    kernel_message,
    quoted,
)

BULK_LIMIT = 4096  # pipelined requests per flush

# command path -> "module:function" building its engine Request (``fn(ctx, inv) -> Request``,
# or that Request already encoded, as bytes with NLM_F_REQUEST set): the changes a batch may
# send pipelined. Each is an add whose undo is the matching delete.
BULK_BUILDERS: dict[tuple[str, ...], str] = {
    ("route", "add"): "nlshell.commands.route:route_add_message",
    ("address", "add"): "nlshell.commands.address:address_add_request",
    ("neighbour", "add"): "nlshell.commands.neighbour:neighbour_add_request",
}
_resolved: dict[tuple[str, ...], Any] = {}


def bulk_builder(path: tuple[str, ...]) -> Any:
    """The builder named in BULK_BUILDERS for this command path (None if it has none).
    A name that does not resolve is an error, raised: a typo must not quietly make
    batches slow (tests resolve every entry: `check_bulk_builders`)."""
    fn = _resolved.get(path)
    if fn is None and path in BULK_BUILDERS:
        import importlib

        module, _, name = BULK_BUILDERS[path].partition(":")
        try:
            fn = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            raise RuntimeError(f"bulk builder {BULK_BUILDERS[path]} of "
                               f"{' '.join(path)}: {exc}") from exc
        if not callable(fn):
            raise RuntimeError(f"bulk builder {BULK_BUILDERS[path]} is not callable")
        _resolved[path] = fn
    return fn


def check_bulk_builders() -> None:
    """Resolve every builder now (RuntimeError naming a broken one)."""
    for path in BULK_BUILDERS:
        bulk_builder(path)


class ExitShell(Exception):  # noqa: N818 - a signal, not an error
    """Raised by `exit`/`quit`."""


@dataclass
class Line:
    """One logical command line of a batch (continuations joined). ``error``: why it
    cannot be run (too long), reported as ``FILE:LINE: error``."""

    text: str
    number: int  # the line number where it starts
    source: str
    error: str = ""


LINE_LIMIT = 64 * 1024  # characters in a batch line (continuations joined): memory stays flat
TOO_LONG = "line too long"


def _physical_lines(stream: Iterable[str]) -> Iterator[str | None]:
    """The lines of a stream; a line longer than LINE_LIMIT comes as None, and the rest of
    it is skipped, read a bounded piece at a time, only if the caller asks for the line
    after it (a batch stops at the error unless --force)."""
    readline = getattr(stream, "readline", None)
    if readline is None:  # a list of lines (tests, -c): already in memory
        for raw in stream:
            yield raw if len(raw) <= LINE_LIMIT + 1 else None
        return
    if _regular_file(stream):
        yield from _file_lines(stream.read)  # type: ignore[attr-defined]
        return
    # a pipe or terminal: a line at a time, as it arrives
    limit = LINE_LIMIT + 1
    for raw in iter(lambda: readline(limit), ""):
        if len(raw) == limit and raw[-1] != "\n":
            yield None
            while raw and raw[-1] != "\n":
                raw = readline(LINE_LIMIT)
            continue
        yield raw


def _regular_file(stream: Any) -> bool:
    import os
    import stat

    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):
        return False  # io.StringIO and friends: no descriptor
    # (a regular file never blocks: it is read in large pieces, split here, faster)


def _file_lines(read: Any) -> Iterator[str | None]:
    """A regular file's lines, read LINE_LIMIT characters at a time."""
    tail = ""
    while True:
        chunk = read(LINE_LIMIT)
        if not chunk:
            break
        lines = (tail + chunk).split("\n") if tail else chunk.split("\n")
        tail = lines.pop()
        for raw in lines:
            yield raw if len(raw) <= LINE_LIMIT else None
        if len(tail) > LINE_LIMIT:
            yield None
            tail = ""
            while True:  # skip to the end of that line
                chunk = read(LINE_LIMIT)
                if not chunk:
                    return
                cut = chunk.find("\n")
                if cut >= 0:
                    tail = chunk[cut + 1:]
                    break
            # the lines after it were read with it: go on splitting from the tail
            lines = tail.split("\n")
            tail = lines.pop()
            for raw in lines:
                yield raw if len(raw) <= LINE_LIMIT else None
    if tail:
        yield tail


def logical_lines(stream: Iterable[str], source: str) -> Iterator[Line]:
    """Join ``\\``-continued lines, drop blank lines and ``#`` comment lines. A line
    (or a continued one) longer than LINE_LIMIT comes as a Line with ``error`` set."""
    buf: list[str] = []
    size = 0
    start = 0
    for number, raw in enumerate(_physical_lines(stream), 1):
        if raw is None:
            yield Line("", start if buf else number, source, TOO_LONG)
            buf, size = [], 0
            continue
        text = raw.rstrip("\n").rstrip("\r")
        if not buf:
            if not text.endswith("\\"):  # the common case: one line, one command
                joined = text.strip()
                if joined and joined[0] != "#":
                    yield Line(_strip_comment(joined) if "#" in joined else joined,
                               number, source)
                continue
            start = number
        size += len(text)
        if size > LINE_LIMIT:
            yield Line("", start, source, TOO_LONG)
            buf, size = [], 0
            continue
        if text.endswith("\\") and not text.endswith("\\\\"):
            buf.append(text[:-1])
            continue
        buf.append(text)
        joined = " ".join(part.strip() for part in buf).strip()
        buf, size = [], 0
        if not joined or joined.startswith("#"):
            continue
        yield Line(_strip_comment(joined), start, source)
    if buf:
        joined = " ".join(part.strip() for part in buf).strip()
        if joined and not joined.startswith("#"):
            yield Line(_strip_comment(joined), start, source)


def _strip_comment(text: str) -> str:
    """A ``#`` outside quotes that starts a word begins a comment."""
    if "#" not in text:
        return text
    quote = ""
    prev = " "
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and prev in " \t":
            return text[:i].rstrip()
        prev = ch
    return text


class Runner:
    """Parses and runs lines in a Context; keeps the exit status."""

    def __init__(self, ctx: Context, err: IO[str] | None = None) -> None:
        self.ctx = ctx
        self.err = err or ctx.err
        self.status = EXIT_OK
        self._shapes: Any = None  # fastparse.ShapeCache, made for the first batch
        # --atomic: a batch that fails is undone (the namespace it started in comes back
        # to its before-image, see engine.journal)
        self.atomic = False

    # --- one line -----------------------------------------------------------------

    def parse(self, text: str) -> Any:
        from nlshell.commands.parser import parse

        return parse(text)

    def execute(self, inv: Any) -> None:
        """Run a parsed invocation (leading options in the line apply to it alone)."""
        ctx = self.ctx
        saved_opts, saved_ns = ctx.opts, None
        opts = inv.options or {}
        if inv.family is not None or opts:
            from nlshell.commands.context import Options

            fields = ctx.opts.__dataclass_fields__
            clone = Options(**{k: getattr(ctx.opts, k) for k in fields})
            if inv.family is not None:
                clone.family = inv.family
            for key, value in opts.items():
                if key == "stats":  # -s -s on the line adds to the command line's -s
                    clone.stats += value
                elif key in fields:
                    setattr(clone, key, value)
            ctx.opts = clone
        try:
            if "netns" in opts:
                saved_ns = ctx.current
                try:
                    ctx.cd(opts["netns"])
                except CommandError as exc:  # ip: a bad -n is a usage error (255)
                    exc.exit_code = EXIT_USAGE
                    raise
            if ctx.opts.check:
                return
            ctx.forget_names()  # a command may add, rename or delete links
            try:
                inv.command.resolve_handler()(ctx, inv)
            except NoSuchDevice as exc:
                words = DEVICE_MISSING_WORDS.get(tuple(inv.command.path))
                if words is None:
                    raise
                raise CommandError(words.format(name=quoted(exc.name))) from None
        finally:
            # ... so what it looked up may be stale for the (bulk) lines after it
            ctx.forget_names()
            ctx.opts = saved_opts
            if saved_ns is not None:
                ctx.current = saved_ns

    def run_line(self, text: str, where: str = "") -> int:
        """Parse and run one line; report an error in one line; return its exit code."""
        code = EXIT_OK
        try:
            inv = self.parse(text)
            self.execute(inv)
        except ExitShell:
            raise
        except Exception as exc:  # noqa: BLE001 - every error becomes one line and a code
            code, message = describe_error(exc, text)
            self.report(message, where)
        if code:
            self.status = code
        return code

    def report(self, message: str, where: str = "") -> None:
        """Write one error line. Every error passes here: control characters are escaped
        (a newline in a word must not make two lines) and overlong words cut (a 100 KB
        word is not echoed whole); other text, the kernel's own words included, is kept."""
        self.err.write(one_line(f"{where}{message}") + "\n")
        self.err.flush()

    # --- many lines ---------------------------------------------------------------

    def parse_batch_line(self, text: str) -> Any:
        """`parse` for the lines of a batch: the same answers, remembering line shapes
        (a batch repeats a few shapes with other values; see fastparse)."""
        return self._shape_cache().parse(text)

    def _shape_cache(self) -> Any:
        if self._shapes is None:
            from nlshell.commands.fastparse import ShapeCache

            self._shapes = ShapeCache()
        return self._shapes

    def run_lines(self, lines: Iterable[Line]) -> int:
        """Run a batch: stop at the first error unless ``force``. Returns the exit status."""
        # The cyclic GC is paused while lines are parsed and sent in bulk: the lines
        # waiting to be sent survive into the old generations and make it scan every
        # live object again and again (a fifth of a 100,000-line batch). That path makes
        # no reference cycles; the commands run one by one run with the GC as it was.
        before = self._before_image() if self.atomic and not self.ctx.opts.check else None
        gc_was_on = gc.isenabled()
        gc.disable()
        finished = False
        try:
            status = self._run_lines(lines, gc_was_on)
            finished = True
        finally:
            if gc_was_on:
                gc.enable()
            # a failed line, or an interruption (Ctrl-C): an atomic batch is undone
            if before is not None and (self.status != EXIT_OK or not finished):
                self._roll_back(*before)
        return status

    def _before_image(self) -> tuple[str, Any]:
        from nlshell.engine.journal import capture

        return self.ctx.current, capture(self.ctx.ipr)

    def _roll_back(self, where: str, before: Any) -> None:
        """Undo a failed atomic batch: its namespace back to the before-image; one line
        says so, and one line names each object that could not be made exact."""
        from nlshell.engine.journal import restore

        ctx = self.ctx
        here = ctx.current
        try:
            if here != where:
                ctx.cd(where)
            sent, notes = restore(ctx.ipr, before)
        except Exception as exc:  # noqa: BLE001 - the undo itself failed: say so, loudly
            _code, message = describe_error(exc)
            self.report(f"atomic: the undo failed: {message}; the namespace is left "
                        "partly changed")
            return
        finally:
            if ctx.current != here:
                ctx.cd(here)
        state = "as before" if not notes else "not exactly as before"
        self.report(f"atomic: batch undone ({sent} changes sent back); the namespace is "
                    f"{state}")
        for note in notes:
            self.report(f"atomic: not exact: {note}")

    def _run_lines(self, lines: Iterable[Line], gc_was_on: bool) -> int:
        check_bulk_builders()  # a broken builder name stops the batch before its first line
        from nlshell.commands.fastparse import TEMPLATED, ByteTemplates

        ctx = self.ctx
        # --check reads every line: it lists all the bad ones, not only the first
        force = ctx.opts.force or ctx.opts.check
        pending = Pending(self)
        parse = self._shape_cache().parse  # = self.parse_batch_line
        builder_of = pending.builder_of
        # lines of a learnt shape go straight to their message (fastparse's byte templates)
        templates = None if ctx.opts.check else ByteTemplates()
        build = templates.build if templates is not None else None
        try:
            for line in lines:
                if build is not None and not line.error:
                    raw = build(line.text)
                    if raw is not None:
                        pending.items.append((raw, line, PREBUILT))
                        if len(pending.items) >= BULK_LIMIT and not pending.flush(force, False) \
                                and not force:
                            return self.status
                        continue
                try:
                    if line.error:
                        raise CommandError(line.error)
                    inv = parse(line.text)
                except Exception as exc:  # noqa: BLE001
                    if not pending.flush(force) and not force:
                        return self.status
                    code, message = describe_error(exc, line.text)
                    self.report(message, _where(line))
                    self.status = max(self.status, code)
                    if not force:
                        return self.status
                    continue
                builder = builder_of(inv)
                if builder is not None and not ctx.opts.check:
                    if templates is not None and tuple(inv.command.path) in TEMPLATED:
                        self._learn(templates, line, inv, builder, pending.items)
                    else:
                        pending.items.append((inv, line, builder))
                    if len(pending.items) >= BULK_LIMIT and not pending.flush(force, False) \
                            and not force:
                        return self.status
                    continue
                if not pending.flush(force) and not force:
                    return self.status
                if templates is not None:
                    templates.clear()  # the command may change what a template holds
                if gc_was_on:
                    gc.enable()
                try:
                    self.execute(inv)
                except ExitShell:
                    break
                except Exception as exc:  # noqa: BLE001
                    code, message = describe_error(exc, line.text)
                    self.report(message, _where(line))
                    self.status = max(self.status, code)
                    if not force:
                        return self.status
                finally:
                    gc.disable()
            pending.flush(force)
        finally:
            pending.clear()
        return self.status

    def _learn(self, templates: Any, line: Line, inv: Any, builder: Any, items: list) -> None:
        """Queue a templated command's line, built now, and learn its shape's template
        (a line whose builder fails is queued as usual: the flush reports it in order)."""
        if inv.family is not None or inv.options:
            items.append((inv, line, builder))
            return
        ctx = self.ctx
        try:
            raw = builder(ctx, inv)
        except Exception:  # noqa: BLE001 - built again (and reported) by the flush
            items.append((inv, line, builder))
            return
        items.append((raw, line, PREBUILT))
        parse = self._shape_cache().parse
        templates.learn(line.text, inv, raw, lambda text: builder(ctx, parse(text)))


def PREBUILT(ctx: Any, raw: Any) -> Any:  # noqa: N802 - a marker used as a builder
    """The builder of a queued line whose message is built already (a template's)."""
    return raw


def _where(line: Line) -> str:
    return f"{line.source}:{line.number}: "


class Pending:
    """Consecutive bulkable changes from a batch, sent pipelined."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.items: list[tuple[Any, Line, Any]] = []  # (invocation, line, builder)
        self._inflight: tuple | None = None  # (thread, outcome box, requests, built)
        self._builders: dict[Any, Any] = {}  # Command -> its bulk builder or None

    def __len__(self) -> int:
        return len(self.items)

    def builder_of(self, inv: Any) -> Any:
        """The bulk builder of a parsed line, or None when it must run on its own."""
        if inv.options:
            return None
        command = inv.command
        try:
            return self._builders[command]
        except KeyError:
            pass
        fn = bulk_builder(tuple(command.path))  # a broken name raises (fail loudly)
        self._builders[command] = fn
        return fn

    def accepts(self, inv: Any) -> bool:
        return self.builder_of(inv) is not None

    def add(self, inv: Any, line: Line) -> None:
        self.items.append((inv, line, self.builder_of(inv)))

    def clear(self) -> None:
        self.items = []
        inflight, self._inflight = self._inflight, None
        if inflight is not None:
            inflight[0].join()  # (an exception is on its way out: the outcome goes with it)

    def flush(self, force: bool, wait: bool = True) -> bool:
        """Send what is pending. Returns False when a failure stopped the batch.

        With ``wait=False`` the chunk is sent by a thread while the caller reads the next
        lines (the kernel's work overlaps the parsing); its outcome is taken at the next
        flush, before anything else is sent or run, so errors are reported, and a failure
        stops the batch, in line order as before. Only one chunk is ever in flight."""
        if not self.finish(force):
            self.items = []  # lines after a failure are never sent
            return False
        if not self.items:
            return True
        runner = self.runner
        ctx = runner.ctx
        items, self.items = self.items, []
        requests: list[Any] = []
        built: list[tuple[Any, Line]] = []
        base_opts = ctx.opts
        for inv, line, builder in items:
            try:
                if builder is PREBUILT:
                    req = inv  # the message itself
                elif inv.family is None:
                    req = builder(ctx, inv)
                else:
                    # a line's own -4/-6 applies to it, as when it runs alone
                    ctx.opts = base_opts.with_family(inv.family)
                    try:
                        req = builder(ctx, inv)
                    finally:
                        ctx.opts = base_opts
            except Exception as exc:  # noqa: BLE001
                ctx.opts = base_opts
                # a lookup error (unknown device): send what came before, then stop here
                ok = self._send(requests, built, force)
                if not ok and not force:
                    return False  # a line before this one failed: the batch ends there
                code, message = describe_error(exc, line.text)
                runner.report(message, _where(line))
                runner.status = max(runner.status, code)
                if not force:
                    return False
                requests, built = [], []
                continue
            requests.append(req)
            built.append((inv, line))
        if wait:
            return self._send(requests, built, force)
        self._start(requests, built)
        return True

    def _start(self, requests: list, built: list) -> None:
        """Send a chunk from a thread; `finish` takes its outcome."""
        if not requests:
            return
        import threading

        ipr = self.runner.ctx.ipr
        box: dict[str, Any] = {}

        def send() -> None:
            try:
                box["results"] = ipr.send_pipelined(requests)
            except BaseException as exc:  # noqa: BLE001 - raised again by finish()
                box["error"] = exc

        thread = threading.Thread(target=send, name="nlshell-batch-send", daemon=True)
        thread.start()
        self._inflight = (thread, box, requests, built)

    def finish(self, force: bool) -> bool:
        """Wait for the chunk in flight, report its failures (and undo as `_send` does).
        Returns False when it failed and the batch must stop."""
        inflight, self._inflight = self._inflight, None
        if inflight is None:
            return True
        thread, box, requests, built = inflight
        thread.join()
        if "error" in box:
            raise box["error"]
        return self._outcome(requests, built, box["results"], force)

    def _send(self, requests: list, built: list, force: bool) -> bool:
        if not requests:
            return True
        # a builder gives a Request, or the request already encoded (bytes)
        results = self.runner.ctx.ipr.send_pipelined(requests)
        return self._outcome(requests, built, results, force)

    def _outcome(self, requests: list, built: list, results: list, force: bool) -> bool:
        runner = self.runner
        ipr = runner.ctx.ipr
        first_bad = None
        for i, err in enumerate(results):
            if err is None:
                continue
            if first_bad is None:
                first_bad = i
            if force or i == first_bad:
                _inv, line = built[i]
                runner.report(kernel_message(err), _where(line))
                runner.status = max(runner.status, EXIT_KERNEL)
        if first_bad is None or force:
            return first_bad is None or force
        # undo the adds after the failing line that the kernel already applied
        undo = [ipr.undo_of(requests[i]) for i in range(first_bad + 1, len(requests))
                if results[i] is None]
        undo = [u for u in undo if u is not None]
        if undo:
            ipr.send_pipelined(undo)
        return False


def describe_error(exc: Exception, text: str = "") -> tuple[int, str]:
    """Any exception -> (exit code, one line)."""
    from nlshell.commands.parser import ParseError
    from nlshell.engine.errors import NetlinkError

    if isinstance(exc, ParseError):  # 255, or 1 for an address or object (as ip)
        return exc.exit_code, f"Error: {exc.message}"  # the message names the bad word
    if isinstance(exc, NetlinkError):
        return EXIT_KERNEL, kernel_message(exc)
    if isinstance(exc, CommandError):
        return exc.exit_code, str(exc)
    if isinstance(exc, PermissionError) or getattr(exc, "errno", None) == errno.EPERM:
        text = _os_text(exc)
        # entering a namespace (setns) needs CAP_SYS_ADMIN; netlink changes CAP_NET_ADMIN
        cap = "CAP_SYS_ADMIN" if "namespace" in text else "CAP_NET_ADMIN"
        return EXIT_KERNEL, f"{text} (this operation needs {cap})"
    # a request builder's check (ip: "preferred_lft is greater than valid_lft", status 1),
    # a lookup: 1, as ip (the words ip refuses outright are the parser's: 255)
    if isinstance(exc, (ValueError, LookupError, FileNotFoundError, FileExistsError)):
        return EXIT_LOOKUP, _os_text(exc)
    if isinstance(exc, OSError):
        return EXIT_KERNEL, _os_text(exc)
    return EXIT_KERNEL, f"internal error: {type(exc).__name__}: {exc}"


def _os_text(exc: Exception) -> str:
    """An OSError's text without Python's "[Errno N]" prefix (the message says what)."""
    if not isinstance(exc, OSError) or not exc.strerror:
        return str(exc)
    return exc.strerror + (f": {exc.filename}" if exc.filename is not None else "")



WORD_LIMIT = 100  # a word of an error line longer than this is cut (to ECHO_LIMIT + '…')
ERROR_LIMIT = 1000  # and the line after that (many short words): far beyond any kernel text


def one_line(text: str) -> str:
    """An error line made safe to print: one line, no terminal escapes, no huge words."""
    from nlshell.commands.render.safe import ECHO_LIMIT, printable_text

    text = printable_text(text)
    if len(text) <= WORD_LIMIT:
        return text
    if max(map(len, text.split(" "))) > WORD_LIMIT:
        text = " ".join(w if len(w) <= WORD_LIMIT else w[:ECHO_LIMIT] + "…"
                        for w in text.split(" "))
    return text if len(text) <= ERROR_LIMIT else text[:ERROR_LIMIT] + "…"
