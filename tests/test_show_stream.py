"""Streamed `show` output: the table and JSON writers fed in batches give what the whole
rendering gives (a table within its window is `simple()` exactly; later rows are written at
once, a wider cell whole, a late column as a new block), and `route show` of a table larger
than one datagram and than the window streams the same routes ip shows."""

from __future__ import annotations

import json

import pytest
from support.iporacle import batch, ipj
from support.nlrun import nlshell_argv, nlshell_env, ok
from support.testns import requires_root

from nlshell.commands.render.tables import TableStream, simple
from nlshell.commands.show import JsonStream

HEADERS = ["A", "B", "C"]


def _stream(rows: list[list[str]], window: int, batch: int = 3) -> str:
    out: list[str] = []
    t = TableStream(HEADERS, out.append, window)
    for i in range(0, len(rows), batch):
        t.feed(rows[i:i + batch])
    t.close()
    return "".join(out)


def test_table_within_window_is_simple() -> None:
    rows = [[f"r{i}", "x" * (i % 4), ""] for i in range(7)]
    assert _stream(rows, window=10) == simple([r[:2] for r in rows], HEADERS[:2]) + "\n"
    assert _stream([], window=10) == ""


def test_table_after_window_keeps_widths_and_cuts_nothing() -> None:
    rows = [["a", "b", ""]] * 4 + [["a-much-wider-cell", "b", ""]]
    lines = _stream(rows, window=4, batch=1).splitlines()
    assert lines[:3] == ["A    B", "---  ---", "a    b"]
    assert lines[-1] == "a-much-wider-cell  b"  # whole; the next cell moves right
    assert len(lines) == 2 + 5


def test_table_late_column_starts_a_new_block() -> None:
    rows = [["a", "b", ""]] * 4 + [["a", "b", "late"], ["a", "", ""]]
    text = _stream(rows, window=4, batch=1)
    head, _, tail = text.partition("\n\n")
    assert "C" not in head.splitlines()[0]
    assert tail.splitlines() == ["A    B    C", "---  ---  ----", "a    b    late", "a"]


@pytest.mark.parametrize("pretty", [False, True])
def test_json_stream_is_one_array(pretty: bool) -> None:
    items = [{"dst": f"10.0.0.{i}", "flags": []} for i in range(5)]
    for batches in ([], [items], [items[:2], [], items[2:3], items[3:]]):
        out: list[str] = []
        js = JsonStream(out.append, pretty)
        for b in batches:
            js.feed(b)
        js.close()
        whole = [x for b in batches for x in b]
        want = (json.dumps(whole, indent=4) if pretty else
                json.dumps(whole, separators=(",", ":"))) + "\n"
        assert "".join(out) == want


COUNT = 1500  # several datagrams, several times the table's window


@pytest.fixture
def many(ns: str) -> str:
    lines = ["link add v0 type veth peer name v1", "link set v0 up", "link set v1 up",
             "addr add 192.0.2.1/24 dev v0"]
    lines += [f"route add 10.9.{i >> 8}.{i & 255}/32 via 192.0.2.{2 + i % 3}"
              f"{' metric 7' if i % 500 == 499 else ''}" for i in range(COUNT)]
    batch(ns, "\n".join(lines) + "\n")
    return ns


@requires_root
def test_route_show_streams_what_ip_shows(many: str) -> None:
    assert json.loads(ok(many, "route show", json=True)) == ipj(many, "route", "show")
    lines = ok(many, "route show").splitlines()
    # the connected route (proto, scope, src) comes after the window: a new block
    rows = [ln for ln in lines if ln.startswith(("10.9.", "192.0.2."))]
    assert len(rows) == COUNT + 1
    assert sum(1 for ln in rows if ln.rstrip().endswith(" 7")) == COUNT // 500
    assert "\n\nDESTINATION" in "\n".join(lines)


@requires_root
def test_dump_iter_batches_and_abandon(many: str) -> None:
    from nlshell import IPRoute

    with IPRoute(netns=many) as ipr:
        it = ipr.kernel_dump_iter("route", {"family": 2}, [("table", 254)])
        batches = [len(b) for b in it]
        assert len(batches) > 1 and sum(batches) >= COUNT and not it.interrupted
        for _first in ipr.kernel_dump_iter("route", {"family": 2}, [("table", 254)]):
            break  # left half read: the next request still works
        assert len(ipr.kernel_dump("route", {"family": 2}, [("table", 254)])) == sum(batches)


@requires_root
def test_plain_route_way_equals_route_entry(ns: str) -> None:
    """RouteFast (wire_values, header parts memoised) gives route_entry's dicts and the
    general table cells, route by route, whatever the header says."""
    from nlshell import IPRoute
    from nlshell.commands.render.context import RenderContext
    from nlshell.commands.render.objtables import ROUTE_COLUMNS
    from nlshell.commands.render.route import RouteFast, RouteRows, route_entry

    batch(ns, "link add v0 type veth peer name v1\nlink set v0 up\nlink set v1 up\n"
                      "addr add 192.0.2.1/24 dev v0\naddr add 2001:db8::1/64 dev v0 nodad\n"
                      "route add 10.1.0.0/16 via 192.0.2.2 metric 10 proto static\n"
                      "route add 10.2.0.0/16 dev v0 tos 0x10 table 100 proto 99\n"
                      "route add blackhole 10.3.0.0/16 table 7\n"
                      "route add unreachable 10.4.0.1\n"
                      "route add 10.5.0.0/16 dev v0 src 192.0.2.1 scope link\n"
                      "route add 2001:db8:9::/48 via 2001:db8::2\n")
    with IPRoute(netns=ns) as ipr:
        ctx = RenderContext(ipr.get_links())
        msgs = ipr.kernel_dump("route")
        assert len(msgs) > 8
        for details in (False, True):
            ctx.details = details
            for hide in ((), ("dev", "table", "protocol", "scope", "metric", "gateway")):
                fast, rows = RouteFast(ctx, hide), RouteRows(ctx, hide)
                for m in msgs:
                    want = route_entry(m, ctx, frozenset(hide))
                    assert fast.entry(m) == want
                    assert json.loads(fast.json_text(m)) == want
                    assert fast.json_text(m) == json.dumps(want, separators=(",", ":"))
                    assert rows.rows([m]) == [[c(want, False) for _h, c in ROUTE_COLUMNS]]


@requires_root
def test_neighbour_show_streams_what_ip_shows(ns: str) -> None:
    lines = ["link add v0 type veth peer name v1", "link set v0 up", "link set v1 up"]
    lines += [f"neigh add 192.0.2.{i % 250 + 1} lladdr 02:00:00:00:{i >> 8:02x}:{i & 255:02x}"
              f" dev v{i // 250} nud permanent" for i in range(500)]
    batch(ns, "\n".join(lines) + "\n")
    assert json.loads(ok(ns, "neighbour show", json=True)) == ipj(ns, "neigh", "show")
    rows = [ln for ln in ok(ns, "neighbour show").splitlines() if ln.startswith("192.0.2.")]
    assert len(rows) == 500


@requires_root
@pytest.mark.parametrize("opt", [[], ["-j"]])
def test_reader_gone_ends_quietly(many: str, opt: list[str]) -> None:
    """`nlshell route show | head -1`: the rest is dropped, no error; killed by SIGPIPE
    (141 in the shell), as ip."""
    import signal
    import subprocess

    proc = subprocess.Popen(nlshell_argv("-n", many, *opt, "-c", "route show"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=nlshell_env())
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == -signal.SIGPIPE and err == b""


class _Dump(list):
    interrupted = True  # as the kernel marks a dump that changed while it was read


def test_interrupted_dump_is_said_after_the_output() -> None:
    """A streamed dump cannot be taken back: ip's warning comes on stderr at the end."""
    import io
    import types

    from nlshell.commands.context import Options
    from nlshell.commands.render.context import RenderContext
    from nlshell.commands.show import INTERRUPTED
    from nlshell.commands.streams import stream_routes

    for opts in (Options(json=True), Options()):
        out, err = io.StringIO(), []
        ctx = types.SimpleNamespace(out=out, opts=opts, warn=err.append,
                                    write=lambda text, out=out: out.write(text + "\n"))
        stream_routes(ctx, _Dump([[]]), lambda batch: batch, RenderContext())
        assert out.getvalue() == ("[]\n" if opts.json else "")
        assert err == [INTERRUPTED]
