"""Name tables (with /etc/iproute2-style files), flag lists, and selector input checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlshell.commands.render import (
    AddressQuery,
    LinkQuery,
    NeighbourQuery,
    RenderContext,
    RouteQuery,
    RuleQuery,
    names,
)
from nlshell.commands.render.kinds import _fwd_mask_str, _hex, _timer, bridge_id
from nlshell.commands.render.link import stats_json


@pytest.fixture
def confdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private iproute2 configuration directory in place of /etc/iproute2."""
    monkeypatch.setattr(names, "CONF_DIRS", (str(tmp_path),))
    names.reload()
    yield tmp_path
    names.reload()


def test_builtin_names(confdir: Path) -> None:
    assert names.table_name(254) == "main" and names.table_name(255) == "local"
    assert names.table_name(100) == "100"
    assert names.proto_name(4) == "static" and names.proto_name(42) == "babel"
    assert names.scope_name(253) == "link" and names.scope_name(7) == "7"
    assert names.group_name(0) == "default"
    assert names.dsfield_name(0x10) == "0x10"
    assert names.rtn_type_name(6) == "blackhole" and names.rtn_type_name(0) == "none"
    assert names.table_name(254, numeric=True) == "254"


def test_names_from_files(confdir: Path) -> None:
    (confdir / "rt_tables").write_text("# comment\n100 isp1\n0x65\tisp2 # trailing\n")
    (confdir / "rt_tables.d").mkdir()
    (confdir / "rt_tables.d" / "extra.conf").write_text("4000000000 big\n")
    (confdir / "rt_tables.d" / "ignored.txt").write_text("7 nope\n")
    (confdir / "rt_protos").write_text("200 myproto\nbroken line\n")
    (confdir / "group").write_text("5 servers\n")
    names.reload()
    assert names.table_name(100) == "isp1" and names.table_name(101) == "isp2"
    assert names.table_name(4000000000) == "big" and names.table_name(7) == "7"
    assert names.table_id("isp2") == 101 and names.table_id("main") == 254
    assert names.proto_name(200) == "myproto" and names.proto_id("myproto") == 200
    assert names.group_name(5) == "servers" and names.group_id("servers") == 5


@pytest.mark.parametrize("fn,word,message", [
    (names.table_id, "nosuch", "unknown table 'nosuch'"),
    (names.table_id, "4294967296", "out of range"),
    (names.proto_id, "256", "protocol '256' is out of range"),
    (names.scope_id, "planet", "unknown scope 'planet'"),
    (names.rtn_type_id, "wormhole", "unknown route type 'wormhole'"),
    (names.nud_id, "sleepy", "unknown neighbour state 'sleepy'"),
    (names.nud_id, "3", "not a single NUD bit"),
    (names.family_id, "inet7", "unknown address family 'inet7'"),
])
def test_bad_words_are_named(confdir: Path, fn, word: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fn(word)


def test_link_flags() -> None:
    # UP without RUNNING is NO-CARRIER; RUNNING itself is never printed; unknown bits in hex
    assert names.link_flags(0x1 | 0x2 | 0x1000) == ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP"]
    assert names.link_flags(0x1 | 0x40 | 0x8 | 0x10000) == ["LOOPBACK", "UP", "LOWER_UP"]
    assert names.link_flags(0x2 | 0x80000, mdown=True) == ["BROADCAST", "80000", "M-DOWN"]


def test_nud_and_link_types() -> None:
    assert names.nud_names(0x02 | 0x80) == ["REACHABLE", "PERMANENT"]
    assert names.nud_id("none") == 0 and names.nud_id("permanent") == 0x80
    assert names.ll_type_name(1) == "ether" and names.ll_type_name(772) == "loopback"
    assert names.ll_type_name(4242) == "[4242]"
    assert names.lladdr_text("c0:00:02:01", 768) == "192.0.2.1"  # ipip: an IPv4 address
    assert names.lladdr_text("c0:00:02:01", 1) == "c0:00:02:01"


def test_ip_proto_names() -> None:
    assert names.ip_proto_name(6) == "tcp" and names.ip_proto_name(17) == "udp"
    assert names.ip_proto_name(6, numeric=True) == "ipproto-6"


def test_kind_formats() -> None:
    assert _hex(0) == "0" and _hex(0x8001) == "0x8001"  # C's %#x
    assert _timer(29816) == 298.16 and _timer(5) == 0.05
    raw = bytes([0x80, 0x00, 0x0E, 0x01, 0xA0, 0x00, 0x00, 0xFF])
    assert bridge_id(raw) == "8000.e:1:a0:0:0:ff"  # ether_ntoa: no leading zeros
    assert _fwd_mask_str(0) == "0x0" and _fwd_mask_str(0x4005) == "stp,lacp,lldp"


def test_stats_levels() -> None:
    s = {"rx_bytes": 10, "rx_packets": 1, "tx_bytes": 20, "rx_crc_errors": 3,
         "rx_nohandler": 2}
    one = stats_json(s, 1)
    assert one["rx"] == {"bytes": 10, "packets": 1, "errors": 0, "dropped": 0,
                         "over_errors": 0, "multicast": 0}
    two = stats_json(s, 2, carrier_changes=4)
    assert two["rx"]["crc_errors"] == 3 and two["rx"]["nohandler"] == 2
    assert two["tx"]["carrier_changes"] == 4


def test_context_lookups() -> None:
    ctx = RenderContext(names={3: "eth0"})
    assert ctx.ifname(0) == "*" and ctx.ifname(3) == "eth0" and ctx.ifname(9) == "if9"
    assert ctx.index_of("eth0") == 3 and ctx.index_of("nope") is None


# --- selectors: defaults, hidden fields, bad input --------------------------------------


def test_route_query_defaults_and_hidden() -> None:
    q = RouteQuery()
    assert q.effective_family == 2 and q.hidden == frozenset({"table"})
    assert RouteQuery(table="all").effective_family == 0
    assert RouteQuery(table="all", family="inet6").effective_family == 10
    q = RouteQuery(dev=3, proto="static", scope="link", metric=5, via="192.0.2.1")
    assert {"dev", "protocol", "scope", "metric", "gateway", "table"} <= q.hidden
    assert "gateway" not in RouteQuery(via="192.0.2.0/24").hidden  # not a whole address
    assert RouteQuery(proto="all").hidden == frozenset({"table"})


@pytest.mark.parametrize("make,message", [
    (lambda: RouteQuery(table="nosuch"), "unknown table 'nosuch'"),
    (lambda: RouteQuery(proto="bogus"), "unknown protocol 'bogus'"),
    (lambda: RouteQuery(type="wormhole"), "unknown route type 'wormhole'"),
    (lambda: RouteQuery(root="300.1.1.1/24"), "root: invalid prefix '300.1.1.1/24'"),
    (lambda: RouteQuery(family=2, match="2001:db8::/64"), "match: '2001:db8::/64' is not"),
    (lambda: AddressQuery(scope="planet"), "unknown scope 'planet'"),
    (lambda: AddressQuery(to="10.0.0.0/33"), "invalid prefix '10.0.0.0/33'"),
    (lambda: NeighbourQuery(nud="sleepy"), "unknown neighbour state 'sleepy'"),
    (lambda: RuleQuery(table="x y"), "unknown table 'x y'"),
    (lambda: RuleQuery(src="1.2.3.4/40"), "from: invalid prefix"),
])
def test_bad_selector_values_name_the_word(make, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_unknown_device_is_named() -> None:
    ctx = RenderContext(names={1: "lo"})
    with pytest.raises(ValueError, match='dev "eth9": no such device'):
        LinkQuery(dev="eth9").select([], ctx)
    with pytest.raises(ValueError, match='master "br9"'):
        LinkQuery(master="br9").select([], ctx)
    with pytest.raises(ValueError, match='dev "x0"'):
        RouteQuery(dev="x0").select([], ctx)
    assert LinkQuery(dev="1").select([], ctx) == []  # digits: a name first, then an index
