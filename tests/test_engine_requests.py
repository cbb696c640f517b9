"""The request modules behind IPRoute: the package keeps the old module's public names;
ip's route defaults are one table read alike by the keyword API, the fast encoder and the
command language; the engine builds the delete that undoes an add and the delete of a
dumped object; a broken bulk builder name is an error, not a slow batch."""

from __future__ import annotations

import itertools
import struct

import pytest
from support import iporacle, testns

from nlshell.commands import runner
from nlshell.commands.context import Context, Options
from nlshell.commands.parser import parse
from nlshell.commands.route import route_request as command_route_request
from nlshell.engine import requests as R
from nlshell.engine.codec import constants as C
from nlshell.engine.codec.message import encode
from nlshell.engine.codec.message import parse as parse_bytes
from nlshell.engine.iproute import IPRoute
from nlshell.engine.requests import route_defaults as D

OLD_PUBLIC = ["Request", "link_request", "addr_request", "route_request", "neigh_request",
              "rule_request", "fast_route", "split_prefix", "ip_bytes", "table_number",
              "nud_state", "VERBS", "MSG", "F_CREATE", "F_REPLACE", "family_of",
              "ns_resolver", "TABLE_NUMBERS", "NUD_NUMBERS", "ACTIONS"]


def test_the_package_keeps_the_old_names() -> None:
    missing = [n for n in OLD_PUBLIC if not hasattr(R, n)]
    assert not missing


# -- one table of defaults --------------------------------------------------------------

TYPES = ["unicast", "local", "broadcast", "anycast", "multicast", "nat", "blackhole",
         "unreachable", "prohibit", "throw"]


@pytest.mark.parametrize("rtype", TYPES)
def test_keyword_api_defaults_follow_the_table(rtype: str) -> None:
    t = R.named(rtype, C.RTN_NAMES, "type")
    for fam, dst in ((C.AF_INET, "10.0.0.0/8"), (C.AF_INET6, "2001:db8::/32")):
        for gw in (None, "10.0.0.1" if fam == C.AF_INET else "2001:db8::1"):
            kw = {"dst": dst, "type": rtype, "oif": 3}
            if gw:
                kw["gateway"] = gw
            req = R.route_request("add", kw)
            direct = gw is None
            assert req.fields["table"] == D.default_table(t)
            assert req.fields["scope"] == D.default_scope("new", fam, t, direct)
            assert req.fields["proto"] == C.RTPROT_BOOT
    assert R.route_request("del", {"dst": "10.0.0.0/8", "type": rtype}).fields["scope"] == \
        C.RT_SCOPE_NOWHERE


def test_ip_defaults() -> None:
    assert D.default_table(C.RTN_LOCAL) == C.RT_TABLE_LOCAL
    assert D.default_table(None) == D.default_table(C.RTN_UNICAST) == C.RT_TABLE_MAIN
    assert D.default_scope("new", C.AF_INET, None, True) == C.RT_SCOPE_LINK
    assert D.default_scope("new", C.AF_INET, None, False) == C.RT_SCOPE_UNIVERSE
    assert D.default_scope("new", C.AF_INET6, C.RTN_LOCAL, True) == C.RT_SCOPE_UNIVERSE
    assert D.default_scope("new", C.AF_INET, C.RTN_NAT, False) == C.RT_SCOPE_HOST


def test_fast_route_equals_general_path_for_every_default() -> None:
    for cmd, dst, gw, fam in itertools.product(
            ("add", "replace", "append", "del"), ("10.0.0.0/8", "2001:db8::/32"),
            (None, "gw"), (None, "same")):
        kw: dict = {"dst": dst, "oif": 4}
        six = ":" in dst
        if gw:
            kw["gateway"] = "2001:db8::1" if six else "10.0.0.1"
        if fam:
            kw["family"] = C.AF_INET6 if six else C.AF_INET
        fast = R.fast_route(cmd, kw)
        req = R.route_request(cmd, kw)
        assert fast == encode(req.msg_type, req.flags | C.NLM_F_REQUEST, 0, req.fields,
                              req.attrs), (cmd, kw)


COMMANDS = ["route add 10.0.0.0/24 dev lo", "route add local 10.0.0.1 dev lo",
            "route add broadcast 10.0.0.255 dev lo", "route add 2001:db8::/64 dev lo",
            "route add blackhole 10.0.0.0/24", "route add 10.0.0.0/24 via 127.0.0.2",
            "route add nat 10.0.0.1 via 127.0.0.2", "route add multicast 224.1.0.0/16 dev lo",
            "route delete 10.0.0.0/24", "route delete local 10.0.0.1 dev lo"]


@pytest.mark.parametrize("line", COMMANDS)
def test_command_language_uses_the_same_table(ns: str, line: str) -> None:
    ctx = Context(netns=ns)
    try:
        ctx.opts = Options()
        req = command_route_request(ctx, parse(line))
    finally:
        ctx.close()
    words = line.split()
    t = R.named(words[2], C.RTN_NAMES, "type") if words[2] in TYPES else None
    action = "del" if words[1] == "delete" else "new"
    fam = req.fields["family"]
    direct = "via" not in words
    assert req.fields["table"] == D.default_table(t if t else None)
    assert req.fields["scope"] == D.default_scope(action, fam, t, direct)


# -- inverse requests ---------------------------------------------------------------------

def test_undo_of_an_encoded_add_is_its_delete() -> None:
    raw = R.fast_route("add", {"dst": "10.1.0.0/16", "oif": 2})
    undo = IPRoute.undo_of(raw)
    assert struct.unpack_from("=HH", undo, 4) == (C.RTM_DELROUTE, C.NLM_F_REQUEST)
    assert undo[8:] == raw[8:]  # the identity: every byte after type and flags, as sent


def test_undo_of_a_request() -> None:
    add = R.addr_request("add", {"index": 2, "address": "192.0.2.1/24"})
    undo = IPRoute.undo_of(add)
    assert (undo.msg_type, undo.fields, undo.attrs) == (C.RTM_DELADDR, add.fields, add.attrs)
    assert IPRoute.undo_of(R.link_request("add", {"ifname": "x", "kind": "ifb"})) is None
    assert IPRoute.undo_of(R.Request(C.RTM_NEWROUTE, 0, raw=R.fast_route(
        "add", {"dst": "10.0.0.0/8", "oif": 1}))) is not None


@testns.requires_root
def test_delete_of_dumped_objects_removes_them(vns: str) -> None:
    iporacle.batch(vns, "route add 10.9.0.0/16 dev v0\nneigh add 192.0.2.9 lladdr "
                       "02:00:00:00:00:09 dev v0\nrule add from 10.9.0.0/16 table 9 pref 9")
    with IPRoute(netns=vns) as ipr:
        routes = [m for m in ipr.kernel_dump("route", {"family": C.AF_INET})
                  if m.get("dst") == "10.9.0.0"]
        neighs = [m for m in ipr.kernel_dump("neigh", {"family": C.AF_INET})
                  if m.get("dst") == "192.0.2.9"]
        rules = [m for m in ipr.kernel_dump("rule", {"family": C.AF_INET})
                 if m.get("priority") == 9]
        addrs = [m for m in ipr.kernel_dump("addr", {"family": C.AF_INET})
                 if m.get("local") == "192.0.2.1"]
        chosen = routes + neighs + rules + addrs
        assert len(chosen) == 4
        assert ipr.send_pipelined([ipr.delete_of(m) for m in chosen]) == [None] * 4
    assert not iporacle.route_dsts(vns) & {"10.9.0.0/16"}
    assert "192.0.2.9" not in iporacle.sh(vns, "neigh", "show")
    assert "lookup 9" not in iporacle.sh(vns, "rule", "show")
    assert "192.0.2.1/" not in iporacle.sh(vns, "addr", "show")


def test_delete_of_refuses_other_messages() -> None:
    (m,) = parse_bytes(encode(C.RTM_NEWLINK, 0, 0, {"index": 1}, [("ifname", "x")]))
    with pytest.raises(ValueError, match="no delete"):
        IPRoute.delete_of(m)


def test_send_pipelined_takes_no_reads() -> None:
    with IPRoute() as ipr, pytest.raises(ValueError, match="changes"):
        ipr.send_pipelined([R.route_request("dump", {})])


# -- fail loudly ---------------------------------------------------------------------------

def test_every_bulk_builder_resolves() -> None:
    runner.check_bulk_builders()


def test_a_broken_bulk_builder_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(runner.BULK_BUILDERS, ("route", "add"),
                        "nlshell.commands.route:no_such_builder")
    monkeypatch.setattr(runner, "_resolved", {})
    with pytest.raises(RuntimeError, match="no_such_builder"):
        runner.check_bulk_builders()
