"""What the show (and flush) handlers of every object share: the renderers' view of the
links and options, the output of selected messages (ip's JSON with -j, else the human
table), ip -br -j's trimmed entries, and the dump-select-delete rounds of a flush.

Imports stay inside the functions: the command modules' declarations stay cheap.
"""

from __future__ import annotations

import errno

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

FLUSH_ROUNDS = 10  # as ip: give up when entries keep coming back
_GONE = (errno.ESRCH, errno.ENOENT)  # an entry deleted meanwhile: not an error

# object -> (JSON renderer, human table renderer), both in nlshell.commands.render
_RENDER = {"route": ("route_json", "route_table"),
           "neighbour": ("neighbour_json", "neighbour_table"),
           "rule": ("rule_json", "rule_table")}


def render_context(ctx: Any, links: list[Any] | None = None) -> Any:
    """The renderers' view of the links (``links``, else the context's) and of -d / -s."""
    from nlshell.commands.render.context import RenderContext

    return RenderContext(ctx.links() if links is None else links,
                         details=ctx.opts.details, stats=ctx.opts.stats,
                         numeric=ctx.opts.numeric)


def ip_text(ctx: Any, kind: str, msgs: list[Any], rctx: Any, *extra: Any) -> bool:
    """With ``--output ip`` (and no -j): print ip's own text for `kind`'s messages and say
    True; else False (the caller prints its table).

    Each object's ip text lives in ``render.iptext.<kind>`` as ``lines(msgs, rctx, opts,
    *extra)``, an iterable of lines without their newline. An object whose module is not
    written yet is an error naming it, never a table printed in its place."""
    opts = ctx.opts
    if opts.output != "ip" or opts.json:
        return False
    import importlib

    name = f"nlshell.commands.render.iptext.{kind}"
    try:
        mod = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        from nlshell.commands.context import CommandError

        raise CommandError(f"ip's text output is not available for {kind!r} yet "
                           f"(use the table or -j)") from None
    out = ctx.out
    rctx.netns = ctx.netns  # ip's text names a peer's namespace as seen from here
    for line in mod.lines(msgs, rctx, opts, *extra):
        out.write(line + "\n")
    return True


def output(ctx: Any, kind: str, msgs: list[Any], rctx: Any, hide: Any = ()) -> None:
    """Selected route, neighbour or rule messages -> ip's JSON with -j, ip's text with
    ``--output ip``, else the human table (colour as asked)."""
    from nlshell.commands import render

    json_fn, table_fn = _RENDER[kind]
    extra = (hide,) if kind != "rule" else ()
    if ip_text(ctx, kind, msgs, rctx, *extra):
        return
    if kind == "neighbour" and ctx.opts.brief:  # ip's brief form, whatever the output
        _neighbour_brief(ctx, msgs, rctx, hide)
        return
    if ctx.opts.json:
        ctx.emit(getattr(render, json_fn)(msgs, rctx, *extra))
        return
    ctx.write(getattr(render, table_fn)(msgs, rctx, *extra, color=ctx.opts.color,
                                        fmt=ctx.opts.table_format))


INTERRUPTED = "Dump was interrupted and may be inconsistent."  # ip's words, on stderr


class JsonStream:
    """One JSON array written as its items come (ip -j's compact form, or -p's indented
    one): ``[``, the items joined by commas, ``]`` -- valid JSON however many batches."""

    def __init__(self, write: Callable[[str], Any], pretty: bool = False) -> None:
        import json

        self.write, self.pretty, self.started = write, pretty, False
        self._dumps = (json.JSONEncoder(indent=4).encode if pretty else
                       json.JSONEncoder(separators=(",", ":")).encode)

    def feed(self, items: list[Any]) -> None:
        if not items:
            return
        text = self._dumps(items)
        if self.pretty:  # "[\n    {...},\n    {...}\n]": keep the indented items
            body = text[2:-2]
            self.write((",\n" if self.started else "[\n") + body)
        else:
            self.write(("," if self.started else "[") + text[1:-1])
        self.started = True

    def feed_joined(self, text: str) -> None:
        """Items already encoded and joined by commas (compact form only)."""
        if text:
            self.write(("," if self.started else "[") + text)
            self.started = True

    def feed_text(self, texts: list[str]) -> None:
        """Items already encoded (compact form only)."""
        if texts:
            self.write(("," if self.started else "[") + ",".join(texts))
            self.started = True

    def close(self) -> None:
        if not self.started:
            self.write("[]\n")
        else:
            self.write("\n]\n" if self.pretty else "]\n")


class TextSink:
    """Lines written as they come (ip's text needs no widths and no closing bracket)."""

    def __init__(self, write: Callable[[str], Any]) -> None:
        self.write = write

    def feed(self, lines: Any) -> None:
        text = "".join(line + "\n" for line in lines)
        if text:
            self.write(text)

    def close(self) -> None:
        pass


def _neighbour_brief(ctx: Any, msgs: list[Any], rctx: Any, hide: Any) -> None:
    from nlshell.commands.render.iptext import neighbour as T

    if ctx.opts.json:
        ctx.emit(T.brief_json(msgs, rctx, hide))
    else:
        TextSink(ctx.out.write).feed(T.lines(msgs, rctx, ctx.opts, hide))


def pump(ctx: Any, dump: Any, each: Callable[[list[Any]], None], sink: Any) -> None:
    """Feed every batch of the dump, close the sink, say an interrupted dump. A reader
    gone (`| head`): the dump is left (the socket drops its rest before its next request)
    and the output goes to /dev/null from then on, as a closed pipe ends ip quietly."""
    batches = iter(dump)
    try:
        for batch in batches:
            each(batch)
        sink.close()
    except BrokenPipeError:
        batches.close()  # type: ignore[attr-defined]
        _drop_output(ctx)
        return
    said_interrupted(ctx, dump)


def _drop_output(ctx: Any) -> None:
    import os

    fileno = getattr(ctx.out, "fileno", None)
    if fileno is None:
        return
    try:
        fd = fileno()
    except (OSError, ValueError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


def said_interrupted(ctx: Any, dump: Any) -> None:
    if dump.interrupted:
        ctx.out.flush()
        ctx.warn(INTERRUPTED)


def brief_json(entry: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """ip -br -j keeps only the fields its brief line shows."""
    return {k: entry[k] for k in keys if k in entry}


def flush(ctx: Any, select: Callable[[], list[Any]]) -> list[tuple[int, int]]:
    """Dump-select-delete rounds until nothing matches: [(round, deleted)]. Each entry's
    delete is the engine's (`IPRoute.delete_of`); deletes go pipelined; an entry gone
    meanwhile (ESRCH/ENOENT) is not an error, another error is raised once the round is
    done."""
    ipr = ctx.ipr
    rounds: list[tuple[int, int]] = []
    for number in range(1, FLUSH_ROUNDS + 1):
        msgs = select()
        if not msgs:
            break
        results = ipr.send_pipelined([ipr.delete_of(m) for m in msgs])
        bad = [e for e in results if e is not None and e.code not in _GONE]
        rounds.append((number, len(msgs)))
        if bad:
            raise bad[0]
    return rounds


def report_rounds(ctx: Any, rounds: list[tuple[int, int]]) -> None:
    """ip's flush report with -s: each round, then how many rounds it took."""
    if not ctx.opts.stats or ctx.opts.json:
        return
    for number, count in rounds:
        ctx.write(f"\n*** Round {number}, deleting {count} entries ***")
    done = len(rounds)
    ctx.write(f"*** Flush is complete after {done} round{'s' if done != 1 else ''} ***")
