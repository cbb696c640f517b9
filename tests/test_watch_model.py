"""Watch pane models, without a terminal and without the kernel.

Rates from counter deltas (wrap, reset, a link that goes and comes back), highlight expiry on
an injected clock, filters, event formatting and the event log, pane rendering, the command
line, and the keys (prompt_toolkit pipe input, no terminal).
"""

from __future__ import annotations

import re
import struct

import pytest

from nlshell.commands.events import EventFormatter
from nlshell.engine.codec import constants as C
from nlshell.engine.codec import encode, parse
from nlshell.shell.watch import events as E
from nlshell.shell.watch import model as M
from nlshell.shell.watch.state import WatchState
from nlshell.shell.watch.tables import ObjectTable

# -- helpers ----------------------------------------------------------------------------------


class FakeClock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt


def msg(mtype: int, fields: dict, attrs: list):
    """A real codec Message (encoded, then parsed back): what the kernel would hand us."""
    return parse(encode(mtype, fields=fields, attrs=attrs))[0]


def link_msg(index: int, name: str, state: str = "UP", mtu: int = 1500, **extra):
    attrs = [("ifname", name), ("mtu", mtu), ("operstate", state)]
    attrs += list(extra.items())
    return msg(C.RTM_NEWLINK, {"index": index, "flags": 0x1043, "ifi_type": 1}, attrs)


def addr_msg(index: int, address: str, plen: int = 24, family: int = C.AF_INET):
    return msg(C.RTM_NEWADDR, {"family": family, "prefixlen": plen, "index": index},
               [("address", address), ("local", address)])


def route_msg(dst: str, plen: int, oif: int, table: int = 254, gateway: str | None = None):
    attrs = [("dst", dst), ("oif", oif), ("table", table)]
    if gateway:
        attrs.append(("gateway", gateway))
    return msg(C.RTM_NEWROUTE, {"family": C.AF_INET, "dst_len": plen, "table": min(table, 255),
                                "proto": 4, "type": 1}, attrs)


def neigh_msg(ifindex: int, dst: str, lladdr: str, state: int = 0x02):
    return msg(C.RTM_NEWNEIGH, {"family": C.AF_INET, "ifindex": ifindex, "state": state},
               [("dst", dst), ("lladdr", lladdr)])


def counters(rx_bytes=0, tx_bytes=0, rx_packets=0, tx_packets=0, rx_errors=0, tx_errors=0,
             rx_dropped=0, tx_dropped=0) -> tuple[int, ...]:
    return (rx_bytes, tx_bytes, rx_packets, tx_packets, rx_errors, tx_errors, rx_dropped,
            tx_dropped)


def info(index: int, name: str, **kw) -> M.LinkInfo:
    return M.LinkInfo(index=index, name=name, **kw)


# -- counters and rates -----------------------------------------------------------------------


def test_counter_delta_plain_wrap_and_reset():
    assert M.counter_delta(100, 350) == 250
    assert M.counter_delta(7, 7) == 0
    assert M.counter_delta(2**64 - 10, 5) == 15  # a 64-bit wrap
    assert M.counter_delta(1_000_000, 10) is None  # a reset, not 2**64 bytes
    assert M.counter_delta(2**64 - 1, 0) == 1


def test_rates_from_deltas():
    clock = FakeClock()
    links = M.LinksModel(clock)
    links.sample([(info(5, "veth0"), counters())], now=0.0)
    row = links.rows[5]
    assert row.rx_bps is None and M.human(row.rx_bps) == "-"  # no history yet
    links.sample([(info(5, "veth0"), counters(rx_bytes=1000, tx_bytes=500, rx_packets=10,
                                              tx_packets=5))], now=1.0)
    assert (row.rx_bps, row.tx_bps, row.rx_pps, row.tx_pps) == (8000, 4000, 10, 5)
    # over a 2 s interval the same deltas are half the rate
    links.sample([(info(5, "veth0"), counters(rx_bytes=2000, tx_bytes=1000, rx_packets=20,
                                              tx_packets=10))], now=3.0)
    assert (row.rx_bps, row.rx_pps) == (4000, 5)


def test_rate_across_counter_wrap():
    links = M.LinksModel(FakeClock())
    top = 2**64 - 100
    links.sample([(info(1, "a"), counters(rx_bytes=top, rx_packets=top))], now=0.0)
    links.sample([(info(1, "a"), counters(rx_bytes=900, rx_packets=0))], now=1.0)
    row = links.rows[1]
    assert row.rx_bps == 8 * 1000 and row.rx_pps == 100
    assert row.resets == 0


def test_counter_reset_is_not_a_huge_rate():
    links = M.LinksModel(FakeClock())
    links.sample([(info(1, "a"), counters(rx_bytes=10**9, tx_bytes=10**9))], now=0.0)
    links.sample([(info(1, "a"), counters(rx_bytes=500, tx_bytes=2 * 10**9))], now=1.0)
    row = links.rows[1]
    assert row.rx_bps is None  # unknown for this interval
    assert row.tx_bps == 8 * 10**9  # the other counter is unaffected
    assert row.resets == 1
    links.sample([(info(1, "a"), counters(rx_bytes=1500, tx_bytes=2 * 10**9))], now=2.0)
    assert row.rx_bps == 8000  # measured from the new baseline


def test_errors_and_drops_accumulate_highlight_and_reset():
    clock = FakeClock()
    links = M.LinksModel(clock)
    links.sample([(info(1, "a"), counters())], now=0.0, quiet=True)
    links.sample([(info(1, "a"), counters(rx_errors=2, tx_errors=1, rx_dropped=4))], now=1.0)
    links.sample([(info(1, "a"), counters(rx_errors=3, tx_errors=1, rx_dropped=4,
                                          tx_dropped=1))], now=2.0)
    row = links.rows[1]
    assert (row.errors, row.drops) == (4, 5)
    assert links.highlights.is_on(1, "errors") and links.highlights.is_on(1, "drops")
    links.reset_rates()
    assert (row.errors, row.drops, row.rx_bps) == (0, 0, None)
    links.sample([(info(1, "a"), counters(rx_errors=3, tx_errors=1, rx_dropped=4,
                                          tx_dropped=1))], now=3.0)
    assert row.rx_bps is None  # a fresh baseline first
    links.sample([(info(1, "a"), counters(rx_bytes=100, rx_errors=3, tx_errors=1,
                                          rx_dropped=4, tx_dropped=1))], now=4.0)
    assert row.rx_bps == 800 and row.errors == 0


def test_link_that_disappears_and_returns_with_a_new_index():
    clock = FakeClock()
    links = M.LinksModel(clock)
    big = counters(rx_bytes=10**12, rx_packets=10**9)
    links.sample([(info(1, "lo"), counters()), (info(5, "veth0"), big)], now=0.0, quiet=True)
    links.sample([(info(1, "lo"), counters())], now=1.0)
    assert 5 not in links.rows and [r.info.name for r in links.visible()] == ["lo"]
    # same name, new index, counters from zero: a new row with no history, not a reset
    links.sample([(info(1, "lo"), counters()), (info(9, "veth0"), counters(rx_bytes=10))],
                 now=2.0)
    row = links.rows[9]
    assert row.rx_bps is None and row.resets == 0
    assert links.highlights.row_is_new(9)
    links.sample([(info(1, "lo"), counters()), (info(9, "veth0"), counters(rx_bytes=1010))],
                 now=3.0)
    assert row.rx_bps == 8000


def test_sample_counters_reports_unknown_links_and_drops_gone_ones():
    links = M.LinksModel(FakeClock())
    links.upsert(info(1, "lo"), quiet=True)
    links.upsert(info(2, "gone"), quiet=True)
    unknown = links.sample_counters({1: counters(), 3: counters()}, now=0.0)
    assert unknown == {3} and set(links.rows) == {1}


def test_link_from_message():
    m = link_msg(5, "veth0", "UP", 9000, master=3, stats64={"rx_bytes": 7, "tx_packets": 2},
                 linkinfo=[("kind", "veth")])
    li = M.link_info(m)
    assert (li.index, li.name, li.state, li.mtu, li.master, li.kind) == (
        5, "veth0", "UP", 9000, 3, "veth")
    assert M.link_counters(m) == counters(rx_bytes=7, tx_packets=2)
    assert M.link_counters(link_msg(6, "x")) is None


def test_human():
    assert [M.human(v) for v in (None, 0, 0.5, 1, 99.4, 512, 1234, 1.5e6, 2e9)] == [
        "-", "0", "0.5", "1", "99.4", "512", "1.23k", "1.5M", "2G"]


# -- highlights -------------------------------------------------------------------------------


def test_changed_cells_highlight_then_expire():
    clock = FakeClock()
    links = M.LinksModel(clock, hold=3.0)
    links.upsert(info(5, "veth0", state="DOWN", mtu=1500), quiet=True)
    assert not links.highlights.is_on(5, "state")
    links.upsert(info(5, "veth0", state="UP", mtu=1500))
    hl = links.highlights
    assert hl.is_on(5, "state") and not hl.is_on(5, "mtu") and not hl.is_on(5, "name")
    clock.advance(2.9)
    assert hl.is_on(5, "state") and not hl.prune()
    assert hl.next_expiry() == pytest.approx(clock.t + 0.1)
    clock.advance(0.2)
    assert not hl.is_on(5, "state")
    assert hl.prune() and hl.next_expiry() is None


def test_new_rows_highlight_whole_row_unless_quiet():
    clock = FakeClock()
    links = M.LinksModel(clock, hold=2.0)
    links.upsert(info(1, "lo"), quiet=True)
    links.upsert(info(2, "veth0"))
    assert not links.highlights.row_is_new(1)
    assert links.highlights.row_is_new(2) and links.highlights.is_on(2, "mtu")
    clock.advance(2.5)
    assert not links.highlights.row_is_new(2)


def test_unchanged_update_does_not_bump_version():
    links = M.LinksModel(FakeClock())
    links.upsert(info(1, "lo"))
    v = links.version
    links.upsert(info(1, "lo"))
    assert links.version == v
    links.sample([(info(1, "lo"), counters())], now=0.0)
    links.sample([(info(1, "lo"), counters())], now=1.0)
    v = links.version
    links.sample([(info(1, "lo"), counters())], now=2.0)  # still 0 b/s: nothing to redraw
    assert links.version == v


# -- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text, dev, table", [
    ("", None, None),
    ("veth*", "veth*", None),
    ("dev br?", "br?", None),
    ("table main", None, 254),
    ("table 100 dev eth*", "eth*", 100),
    ("table all", None, 0),
    ("table local", None, 255),
])
def test_parse_filter(text, dev, table):
    f = M.parse_filter(text)
    assert (f.dev, f.table) == (dev, table)


@pytest.mark.parametrize("text, word", [
    ("table", "'table'"), ("table bogus", "'bogus'"), ("veth* extra", "'extra'"),
    ("dev", "'dev'"), ("table -1", "'-1'"),
])
def test_bad_filter_names_the_word(text, word):
    with pytest.raises(ValueError, match=word):
        M.parse_filter(text)


def test_filter_matching():
    f = M.parse_filter("veth*")
    assert f.match("veth0") and not f.match("eth0") and not f.match(None)
    assert M.NO_FILTER.match(None) and M.NO_FILTER.match("x", 254)
    assert not M.NO_FILTER.match("x", 255)  # routes: local hidden by default
    assert M.parse_filter("table local").match("x", 255)
    assert M.parse_filter("table all").match("x", 255)
    assert not M.parse_filter("table main").match("x", 100)


def test_links_filter():
    links = M.LinksModel(FakeClock())
    for i, name in enumerate(["lo", "veth0", "veth1", "br0"], 1):
        links.upsert(info(i, name))
    assert [r.info.name for r in links.visible(M.parse_filter("veth*"))] == ["veth0", "veth1"]
    assert [r.info.name for r in links.visible()] == ["lo", "veth0", "veth1", "br0"]


def test_object_tables_filter_by_device_and_table():
    names = {1: "lo", 5: "veth0", 6: "br0"}.get
    routes = ObjectTable("route", FakeClock())
    routes.replace([route_msg("10.1.0.0", 24, 5), route_msg("10.2.0.0", 24, 6, table=100),
                    route_msg("10.1.0.1", 32, 5, table=255)], quiet=True)
    dsts = lambda f: [r.cells[1] for r in routes.visible(names, f)]  # noqa: E731
    assert dsts(M.NO_FILTER) == ["10.1.0.0/24", "10.2.0.0/24"]  # local table hidden
    assert dsts(M.parse_filter("table all")) == ["10.1.0.0/24", "10.2.0.0/24", "10.1.0.1"]
    assert dsts(M.parse_filter("table 100")) == ["10.2.0.0/24"]
    assert dsts(M.parse_filter("dev veth*")) == ["10.1.0.0/24"]
    addrs = ObjectTable("address", FakeClock())
    addrs.replace([addr_msg(5, "10.0.0.1"), addr_msg(6, "10.0.1.1"), addr_msg(1, "127.0.0.1", 8)])
    assert [r.cells[1] for r in addrs.visible(names, M.parse_filter("br*"))] == ["10.0.1.1/24"]


def test_object_table_highlights_changes_keyed_by_the_cache():
    from nlshell.engine.cache import key_of

    clock = FakeClock()
    neigh = ObjectTable("neighbour", clock, hold=3.0)
    neigh.replace([neigh_msg(5, "10.0.0.2", "02:00:00:00:00:02")], quiet=True)
    key = key_of("neighbour", neigh_msg(5, "10.0.0.2", "02:00:00:00:00:02"))
    assert list(neigh.rows) == [key]  # the cache's identity
    assert not neigh.highlights.row_is_new(key)
    neigh.upsert(neigh_msg(5, "10.0.0.2", "02:00:00:00:00:02", state=0x04))
    assert neigh.highlights.is_on(key, "STATE") and not neigh.highlights.is_on(key, "LLADDR")
    assert neigh.rows[key].cells[-1] == "STALE"
    clock.advance(3.5)
    assert not neigh.highlights.is_on(key, "STATE")
    neigh.upsert(neigh_msg(6, "10.0.0.3", "02:00:00:00:00:03"))
    assert neigh.highlights.row_is_new(key_of("neighbour", neigh_msg(6, "10.0.0.3",
                                                                     "02:00:00:00:00:03")))
    neigh.remove(neigh_msg(5, "10.0.0.2", "02:00:00:00:00:02"))
    neigh.remove(neigh_msg(6, "10.0.0.3", "02:00:00:00:00:03"))
    assert not neigh.rows
    with pytest.raises(ValueError, match="'bogus'"):
        ObjectTable("bogus")


def test_ipv6_routes_on_three_links_are_three_rows():
    """Each link has its own fe80::/64: the cache's key tells them apart by device."""
    routes = ObjectTable("route", FakeClock())

    def fe80(oif: int):
        return msg(C.RTM_NEWROUTE, {"family": C.AF_INET6, "dst_len": 64, "table": 254,
                                    "proto": 2, "type": 1},
                   [("dst", "fe80::"), ("oif", oif), ("priority", 256), ("table", 254)])

    routes.replace([fe80(3), fe80(4), fe80(5)], quiet=True)
    assert len(routes.rows) == 3
    routes.remove(fe80(4))  # one link down: its own route goes, the others stay
    assert sorted(r.dev for r in routes.rows.values()) == [3, 5]


# -- events -----------------------------------------------------------------------------------

STAMP = r"\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\]"


def test_event_lines_like_ip_monitor_label():
    fmt = EventFormatter([link_msg(3, "br0"), link_msg(5, "veth0")])
    ev = E.format_event("link", "new", link_msg(5, "veth0", master=3), fmt)
    assert re.fullmatch(STAMP + r" \[LINK\] 5: veth0: <BROADCAST,MULTICAST,UP> "
                        r"mtu 1500 master br0 state UP \\    link/ether", ev.line()), ev.line()
    assert ev.dev == "veth0"
    ev = E.format_event("address", "deleted", addr_msg(5, "10.0.0.1"), fmt, ts=0)
    assert ev.text == "Deleted 5: veth0    inet 10.0.0.1/24 scope global dynamic"
    ev = E.format_event("route", "new", route_msg("10.1.0.0", 24, 5, 100, "10.0.0.254"), fmt)
    assert ev.text == "10.1.0.0/24 via 10.0.0.254 dev veth0 table 100 proto static"
    assert (ev.dev, ev.table) == ("veth0", 100)
    ev = E.format_event("neighbour", "new", neigh_msg(5, "10.0.0.2", "02:00:00:00:00:02"), fmt)
    assert ev.text == "10.0.0.2 dev veth0 lladdr 02:00:00:00:00:02 REACHABLE"
    ev = E.format_event("rule", "new", msg(C.RTM_NEWRULE, {"family": C.AF_INET, "table": 254,
                                                           "action": 1},
                                           [("priority", 32766)]), fmt)
    assert ev.text == "32766:\tfrom all lookup main" and ev.label == "RULE"
    ev = E.format_event("route", "new", route_msg("10.9.0.0", 16, 7), fmt, ns="ns1", ts=0)
    assert "[ns1] [ROUTE] 10.9.0.0/16 dev if7" in ev.line()


def test_unreadable_event_is_logged_not_raised(monkeypatch):
    raw = encode(C.RTM_NEWADDR, fields={"family": C.AF_INET, "prefixlen": 24, "index": 5},
                 attrs=[("local", "10.0.0.1")])
    short = struct.pack("=HHI", 8, 6, 7)  # an IFA_CACHEINFO of 4 bytes: no ifa_valid
    odd = parse(struct.pack("=I", len(raw) + len(short)) + raw[4:] + short)[0]
    # the renderers read such a message now (render fuzz); it shows without lifetimes
    ev = E.format_event("address", "new", odd, EventFormatter())
    assert ev.label == "ADDR" and "inet 10.0.0.1/24" in ev.text, ev.text

    # whatever a renderer still cannot read becomes one line naming the event, not a raise
    def broken(self, obj, msg):
        raise KeyError("ifa_valid")

    monkeypatch.setattr(EventFormatter, "entry", broken)
    ev = E.format_event("address", "new", odd, EventFormatter())
    assert ev.label == "ADDR" and "cannot show this RTM_NEWADDR event" in ev.text, ev.text


def test_event_log_bounded_scroll_and_filter():
    log = E.EventLog(maxlen=5)
    for i in range(8):
        log.add(E.Event(float(i), "LINK", f"line{i}", dev=f"veth{i % 2}"))
    assert [e.text for e in log.view(3)] == ["line5", "line6", "line7"]  # newest at the bottom
    assert len(log.events) == 5
    log.scroll(2)
    assert [e.text for e in log.view(2)] == ["line4", "line5"]
    log.add(E.Event(8.0, "LINK", "line8", dev="veth0"))  # scrolled up: the view stays put
    assert [e.text for e in log.view(2)] == ["line4", "line5"]
    log.scroll(100)
    assert [e.text for e in log.view(2)] == ["line4"]
    log.to_bottom()
    assert [e.text for e in log.view(2)] == ["line7", "line8"]
    log.set_filter(M.parse_filter("veth1"))
    assert [e.text for e in log.view(10)] == ["line5", "line7"]
    with pytest.raises(ValueError, match="0"):
        E.EventLog(0)


# -- the state: events and samples together ---------------------------------------------------


def test_state_applies_events_and_cascades_link_deletion():
    clock = FakeClock()
    st = WatchState(clock)
    st.load([link_msg(1, "lo"), link_msg(5, "veth0")],
            {"address": [addr_msg(5, "10.0.0.1")], "route": [route_msg("10.0.0.0", 24, 5)],
             "neighbour": []})
    v = st.version()
    ev = st.apply("link", "deleted", link_msg(5, "veth0"), ts=0)
    assert ev.text.startswith("Deleted 5: veth0") and st.version() != v
    assert 5 not in st.links.rows
    # the cache reports what went with the link; the tables follow it, not a cascade of
    # their own
    assert st.tables["address"].rows and st.tables["route"].rows
    st.apply("address", "deleted", addr_msg(5, "10.0.0.1"))
    st.apply("route", "deleted", route_msg("10.0.0.0", 24, 5))
    assert not st.tables["address"].rows and not st.tables["route"].rows
    st.apply("link", "new", link_msg(9, "veth0"))
    st.apply("address", "new", addr_msg(9, "10.0.0.9"))
    assert st.log.view(1)[0].text == "9: veth0    inet 10.0.0.9/24 scope global dynamic"
    assert st.links.highlights.row_is_new(9)
    clock.advance(10)
    assert st.prune() and st.next_expiry() is None


def test_state_all_ns_label():
    st = WatchState(ns_label="ns1")
    ev = st.apply("link", "new", link_msg(2, "veth0"), ts=0)
    assert "[ns1] [LINK]" in ev.line()


# -- RTM_GETSTATS parsing (pure bytes) --------------------------------------------------------


def _stats_msg(index: int, values: tuple[int, ...], seq: int) -> bytes:
    payload = struct.pack("=BBHII", 0, 0, 0, index, 1)
    stats = struct.pack("=24Q", *values, *([0] * (24 - len(values))))
    payload += struct.pack("=HH", 4 + len(stats), 1) + stats
    return struct.pack("=IHHII", 16 + len(payload), 92, 2, seq, 0) + payload


def test_parse_stats():
    from nlshell.engine.errors import NetlinkError
    from nlshell.shell.watch.stats import parse_stats

    # kernel order: rx_packets tx_packets rx_bytes tx_bytes rx_errors tx_errors rx/tx dropped
    data = _stats_msg(3, (1, 2, 3, 4, 5, 6, 7, 8), 9) + _stats_msg(4, (0,) * 8, 8)
    out, done = parse_stats(data, 9)
    assert out == {3: (3, 4, 1, 2, 5, 6, 7, 8)} and not done  # seq 8 is not ours
    done_msg = struct.pack("=IHHIIi", 20, 3, 2, 9, 0, 0)
    assert parse_stats(done_msg, 9) == ({}, True)
    err = struct.pack("=IHHIIi", 20, 2, 0, 9, 0, -95)
    with pytest.raises(NetlinkError):
        parse_stats(err, 9)


# -- the command line -------------------------------------------------------------------------


def test_parse_args_defaults_and_aliases():
    from nlshell.shell.watch.app import parse_args

    a = parse_args([])
    assert a.panes == ["links", "events"] and a.interval == 1.0 and not a.all_ns
    a = parse_args(["link", "addr", "--interval", "0.5", "route", "neighbour", "monitor", "links",
                    "--filter", "veth*", "--all-ns"])
    assert a.panes == ["links", "addrs", "routes", "neigh", "events"]
    assert a.interval == 0.5 and a.filter.dev == "veth*" and a.all_ns


@pytest.mark.parametrize("argv, word", [
    (["bogus"], "'bogus'"),
    (["--interval", "0"], "'0'"),
    (["--interval", "fast"], "'fast'"),
    (["--filter", "table x"], "'x'"),
    (["-n", "nlt-no-such-namespace"], "'nlt-no-such-namespace'"),
    (["-n", "../etc"], "'../etc'"),
])
def test_bad_arguments_name_the_word(argv, word, capsys):
    from nlshell.shell.watch import main

    assert main(argv) == 1  # a usage error
    assert word in capsys.readouterr().err


def test_filter_words_after_the_panes():
    """README: ``watch routes dev GLOB table ID`` (not 'unknown pane dev')."""
    from nlshell.shell.watch.app import UsageError, parse_args

    args = parse_args(["routes", "dev", "veth*", "table", "main"])
    assert args.panes == ["routes"] and (args.filter.dev, args.filter.table) == ("veth*", 254)
    with pytest.raises(UsageError, match="'table' needs a value"):
        parse_args(["routes", "table"])
    with pytest.raises(UsageError, match="once"):
        parse_args(["routes", "dev", "x", "--filter", "y"])


def test_needs_a_terminal(capsys):
    from nlshell.shell.watch import main

    assert main(["links"]) == 1  # pytest's stdin is not a tty
    assert "terminal" in capsys.readouterr().err


# -- panes and keys (prompt_toolkit, no terminal) ---------------------------------------------


def _state_with_links(clock: FakeClock) -> WatchState:
    st = WatchState(clock)
    st.load([link_msg(1, "lo", "UNKNOWN", 65536), link_msg(5, "veth0"), link_msg(6, "veth1")],
            {"address": [addr_msg(5, "10.0.0.1")], "route": [], "neighbour": []})
    return st


def _text(line) -> str:
    return "".join(t for _s, t in line)


def test_links_pane_renders_rows_rates_and_highlights():
    from nlshell.shell.watch.panes import LinksPane

    clock = FakeClock()
    st = _state_with_links(clock)
    st.sample_counters({1: counters(), 5: counters(), 6: counters()}, now=0.0)
    st.sample_counters({1: counters(), 5: counters(rx_bytes=125000, rx_packets=100),
                        6: counters()}, now=1.0)
    st.apply("link", "new", link_msg(6, "veth1", mtu=9000))
    pane = LinksPane(st)
    lines = pane.render(120, 10)
    text = [_text(line) for line in lines]
    assert text[0].split()[:4] == ["IDX", "NAME", "STATE", "MTU"]
    assert text[2].split()[:6] == ["5", "veth0", "UP", "1500", "1M", "0"]
    assert "class:changed" in [s for s, t in lines[3] if t.strip() == "9000"]
    pane.set_filter(M.parse_filter("veth1"))
    assert [_text(line).split()[1] for line in pane.render(120, 10)[1:]] == ["veth1"]
    pane.set_filter(M.parse_filter("nomatch*"))
    assert "nothing matches" in _text(pane.render(120, 10)[1])
    assert pane.title().startswith(" links (0)  filter: nomatch*")


def test_panes_fit_their_size_and_pause_freezes():
    from nlshell.shell.watch.panes import EventsPane, LinksPane

    st = _state_with_links(FakeClock())
    for i in range(30):
        st.apply("link", "new", link_msg(100 + i, f"veth{100 + i}"), ts=float(i))
    links, events = LinksPane(st), EventsPane(st)
    assert len(links.render(80, 5)) == 5
    shown = events.render(200, 4)
    assert len(shown) == 4 and _text(shown[-1]).endswith("129: veth129: <BROADCAST,MULTICAST,"
                                                          "UP> mtu 1500 state UP \\    link/ether")
    events.up(1)
    assert "veth128" in _text(events.render(200, 4)[-1])
    events.end()
    st.paused = True
    frozen = events.render(200, 4)
    st.apply("link", "new", link_msg(500, "late"))
    assert events.render(200, 4) == frozen  # paused: the screen stays
    st.paused = False
    assert "late" in _text(events.render(200, 4)[-1])


def test_keys_filter_focus_pause_reset_and_quit():
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from nlshell.shell.watch.app import WatchUI

    st = _state_with_links(FakeClock())
    with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
        ui = WatchUI(st, ["links", "addrs", "events"], None, 1.0)
        # "/" filter the links pane; a bad filter keeps the line open; Tab moves the focus;
        # p pauses, r resets, ? opens help, Esc closes it, q quits with 0
        inp.send_text("/table x\r")
        inp.send_text("\x15veth*\r")  # Ctrl-U clears the line, then a good filter
        inp.send_text("\t\tp")
        inp.send_text("r?")
        inp.send_text("q")
        result = ui.app.run()
    assert result == 0
    assert ui.panes[0].filter.dev == "veth*"
    assert ui.focus == 2 and st.paused and ui.helping
