"""Big tables printed as their dump arrives (routes and neighbours): decoded, selected and
written a kernel datagram at a time, so the first line shows before the dump ends and memory
stays flat with the table's size. The shared pieces (the JSON array writer, the pump that
feeds a sink and says an interrupted dump) are in `nlshell.commands.show`.

Imports stay inside the functions: the command modules' declarations stay cheap.
"""

from __future__ import annotations

from nlshell.commands import show
from nlshell.commands.show import JsonStream, TextSink, pump

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def runs_fit(opts: Any) -> bool:
    """Can route output take the dump as runs of same-shape routes (render.route_shapes)?
    ip's text, compact JSON and the plain uncoloured table can; the others read routes
    one by one."""
    if opts.json:
        return not opts.pretty
    if opts.output == "ip":
        return True
    return opts.table_format == "simple" and not opts.color


def stream_routes(ctx: Any, dump: Any, select: Callable[[list[Any]], list[Any]],
                  rctx: Any, hide: Any = (), runs: bool = False) -> None:
    """Routes printed as the dump arrives (``dump``: ``IPRoute.kernel_dump_iter``'s
    batches): ip's JSON array with -j, ip's text with ``--output ip``, else the human table
    (its columns settled by the first rows, see ``TableStream``). Memory stays flat with
    the table's size. A dump the kernel marked inconsistent is not taken back: ip's warning
    goes to stderr at the end.

    ``runs``: the batches are lists of ``codec.runs.Run`` (asked with ``runs=True``, for a
    selection that is ``RouteQuery.plain`` and options that ``runs_fit``): printed a run
    at a time from per-shape templates (``render.route_shapes``)."""
    write = ctx.out.write
    opts = ctx.opts
    if runs:
        _stream_runs(ctx, dump, select, rctx, hide)
        return
    if opts.output == "ip" and not opts.json:
        from nlshell.commands.render.iptext.route import lines

        def each(batch: list[Any]) -> None:
            text = "\n".join(lines(select(batch), rctx, opts, hide))
            if text:
                write(text + "\n")
        pump(ctx, dump, each, _NoSink())
        return
    if opts.json:
        from nlshell.commands.render.route import RouteFast

        sink: Any = JsonStream(write, opts.pretty)
        fast = RouteFast(rctx, hide)
        if opts.pretty:
            entry = fast.entry

            def render(msgs: list[Any]) -> list[Any]:
                return [entry(m) for m in msgs]
        else:  # compact: each route written as its JSON text, without a dict
            text = fast.json_text
            feed = sink.feed_text

            def render(msgs: list[Any]) -> list[Any]:
                return [text(m) for m in msgs]
            sink.feed = feed
    elif opts.table_format != "simple":  # tabulate's other layouts need every row at once
        from nlshell.commands.render import route_table

        chosen = [m for batch in dump for m in select(batch)]
        ctx.write(route_table(chosen, rctx, hide, color=opts.color, fmt=opts.table_format))
        show.said_interrupted(ctx, dump)
        return
    else:
        from nlshell.commands.render.route import ROUTE_HEADERS, RouteRows
        from nlshell.commands.render.tables import TableStream

        sink = TableStream(list(ROUTE_HEADERS), write)
        render = RouteRows(rctx, hide, opts.color).rows
    feed = sink.feed
    pump(ctx, dump, lambda batch: feed(render(select(batch))), sink)


def _stream_runs(ctx: Any, dump: Any, select: Callable[[list[Any]], list[Any]],
                 rctx: Any, hide: Any) -> None:
    from nlshell.commands.render import route_shapes as RS

    write, opts = ctx.out.write, ctx.opts
    sink: Any
    if opts.json:
        sink = JsonStream(write)
        json_runs = RS.JsonRuns(rctx, hide, select)
        joined = sink.feed_joined

        def each(batch: list[Any]) -> None:
            joined(json_runs.feed(batch))
    elif opts.output == "ip":
        sink = _NoSink()
        text_runs = RS.TextRuns(rctx, hide, select, opts)

        def each(batch: list[Any]) -> None:
            text = text_runs.feed(batch)
            if text:
                write(text)
    else:
        from nlshell.commands.render.route import ROUTE_HEADERS
        from nlshell.commands.render.tables import TableStream

        sink = TableStream(list(ROUTE_HEADERS), write)
        each = RS.TableRuns(rctx, hide, select, sink).feed
    pump(ctx, dump, each, sink)


class _NoSink:
    """A sink with nothing to finish (ip's text is written as it comes)."""

    def close(self) -> None:
        pass


def stream_neighbours(ctx: Any, dump: Any, select: Callable[[list[Any]], list[Any]],
                      rctx: Any, hide: Any = ()) -> None:
    """Neighbours printed as the dump arrives, as ``stream_routes`` prints routes: ip's
    text with ``--output ip``, ip's brief lines with -br (in both modes)."""
    from nlshell.commands.render.neighbour import neighbour_json

    write, opts = ctx.out.write, ctx.opts
    if not opts.json and (opts.output == "ip" or opts.brief):
        from nlshell.commands.render.iptext.neighbour import lines

        sink: Any = TextSink(write)
        pump(ctx, dump, lambda batch: sink.feed(lines(select(batch), rctx, opts, hide)),
              sink)
        return
    if opts.table_format != "simple" and not opts.json:
        from nlshell.commands.render import neighbour_table

        chosen = [m for batch in dump for m in select(batch)]
        ctx.write(neighbour_table(chosen, rctx, hide, color=opts.color,
                                  fmt=opts.table_format))
        show.said_interrupted(ctx, dump)
        return
    if opts.json:
        sink = JsonStream(write, opts.pretty)
        if opts.brief:
            from nlshell.commands.render.iptext.neighbour import brief_json

            entries: Any = brief_json
        else:
            entries = neighbour_json
        pump(ctx, dump, lambda batch: sink.feed(entries(select(batch), rctx, hide)), sink)
        return
    from nlshell.commands.render.objtables import NEIGH_COLUMNS
    from nlshell.commands.render.tables import TableStream

    table = TableStream([h for h, _c in NEIGH_COLUMNS], write)
    on = opts.color
    pump(ctx, dump, lambda batch: table.feed([
        [cell(r, on) for _h, cell in NEIGH_COLUMNS]
        for r in neighbour_json(select(batch), rctx, hide)]), table)
