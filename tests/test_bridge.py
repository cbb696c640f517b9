"""The bridge: fdb entries (neighbours of family AF_BRIDGE), port options (IFLA_PROTINFO)
and VLAN filters (IFLA_AF_SPEC) -- the codec, the keyword API (pyroute2 as the oracle
side by side), and `bridge fdb|vlan|link` equal to iproute2's `bridge -j`.

This kernel refuses `bridge vlan` (EOPNOTSUPP: no VLAN filtering): VLAN requests are
checked against bytes laid out from linux/if_bridge.h, and their kernel step is skipped
naming the missing support."""

from __future__ import annotations

import errno
import json
import struct
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from support import samples as S
from support.iporacle import batch
from support.nlrun import nl, nlj, ok
from support.testns import requires_root, temp_netns

from nlshell.engine.codec import constants as C
from nlshell.engine.codec import message as M
from nlshell.engine.requests import bridge as BR

SETUP = """\
link add br0 type bridge
link add v0 type veth peer name v1
link add v2 type veth peer name v3
link set v0 master br0
link set v2 master br0
link set br0 up
link set v0 up
link set v1 up
link set v2 up
link set v3 up
link set v0 type bridge_slave learning off
link set v2 type bridge_slave learning off
"""


def bridge_cmd(ns: str, *args: str) -> str:
    proc = subprocess.run(["ip", "netns", "exec", ns, "bridge", *args], capture_output=True,
                          text=True, timeout=60)
    if proc.returncode:
        raise AssertionError(f"bridge {' '.join(args)}: {proc.stderr}")
    return proc.stdout


def bridge_j(ns: str, *args: str) -> Any:
    text = bridge_cmd(ns, "-j", *args).strip()
    return json.loads(text) if text else []


@pytest.fixture
def brns() -> Iterator[str]:
    with temp_netns() as name:
        batch(name, SETUP)
        yield name


# -- the codec ------------------------------------------------------------------------------

@pytest.mark.parametrize("case", S.family_block_cases(), ids=lambda c: c[0])
def test_family_blocks_round_trip(case: tuple) -> None:
    """Each per-family table of IFLA_AF_SPEC / IFLA_PROTINFO round-trips in a message of
    its family (the family picks the table when decoding)."""
    _id, family, attr, table = case
    pairs = S.table_sample(table)
    data = M.encode(C.RTM_NEWLINK, fields={"family": family, "index": 3},
                    attrs=[(attr, pairs)])
    block = M.parse(data)[0].get_attr(attr)
    S.check_pairs(table, pairs, block, attr)


def _nla(atype: int, payload: bytes) -> bytes:
    return struct.pack("=HH", 4 + len(payload), atype) + payload + b"\0" * (-len(payload) & 3)


def test_vlan_range_bytes_as_if_bridge_h_lays_them_out() -> None:
    """struct bridge_vlan_info {__u16 flags; __u16 vid;}: a range is two of them, BEGIN
    then END, inside IFLA_AF_SPEC (nested), after BRIDGE_FLAGS_SELF."""
    req = BR.vlan_filter_request("add", {"index": 5, "vlan_info": {"vid": "100-199"},
                                         "vlan_flags": "self"})
    got = M.encode(req.msg_type, req.flags, 0, req.fields, req.attrs)
    spec = (_nla(0, struct.pack("=H", 2)) + _nla(2, struct.pack("=HH", 8, 100))
            + _nla(2, struct.pack("=HH", 16, 199)))
    body = struct.pack("=BxHiII", 7, 0, 5, 0, 0) + _nla(26 | C.NLA_F_NESTED, spec)
    assert got[16:] == body
    assert struct.unpack_from("=H", got, 4)[0] == C.RTM_SETLINK
    pvid = BR.vlan_filter_request("del", {"index": 5, "vlan_info": {"vid": 7, "pvid": True}})
    assert pvid.msg_type == C.RTM_DELLINK
    assert pvid.attrs == [("IFLA_AF_SPEC", [("IFLA_BRIDGE_VLAN_INFO",
                                              {"flags": 6, "vid": 7})])]


def test_vlan_tunnel_info_bytes() -> None:
    req = BR.vlan_filter_request("add", {"index": 5, "vlan_tunnel_info": {"vid": 10,
                                                                          "id": 1000}})
    got = M.encode(req.msg_type, req.flags, 0, req.fields, req.attrs)
    inner = (_nla(1, struct.pack("=I", 1000)) + _nla(2, struct.pack("=H", 10))
             + _nla(3, struct.pack("=H", 0)))
    assert got[16 + 16:] == _nla(26 | C.NLA_F_NESTED, _nla(3 | C.NLA_F_NESTED, inner))
    back = M.parse(got)[0].get(("af_spec", "vlan_tunnel_info"))
    assert back.attr_dict() == {"IFLA_BRIDGE_VLAN_TUNNEL_ID": 1000,
                                "IFLA_BRIDGE_VLAN_TUNNEL_VID": 10,
                                "IFLA_BRIDGE_VLAN_TUNNEL_FLAGS": 0}


def test_vlan_set_bytes() -> None:
    """bridge vlan set: RTM_NEWVLAN, struct br_vlan_msg {u8 family; u8, u16 reserved; u32
    ifindex}, BRIDGE_VLANDB_ENTRY (nested) {INFO {flags, vid}, RANGE, STATE}."""
    req = BR.vlan_options_request(5, "10-20", state="forwarding")
    got = M.encode(req.msg_type, req.flags, 0, req.fields, req.attrs)
    entry = (_nla(1, struct.pack("=HH", 0, 10)) + _nla(2, struct.pack("=H", 20))
             + _nla(3, b"\3"))
    assert struct.unpack_from("=H", got, 4)[0] == C.RTM_NEWVLAN == 112
    assert got[16:] == struct.pack("=BxxxI", 7, 5) + _nla(1 | C.NLA_F_NESTED, entry)
    back = M.parse(got)[0].get("BRIDGE_VLANDB_ENTRY")
    assert back.get("range") == 20 and back.get("info") == {"flags": 0, "vid": 10}
    with pytest.raises(ValueError, match="option"):
        BR.vlan_options_request(5, 10)


def test_brport_bytes_are_a_nested_protinfo() -> None:
    """bridge(8) link set: RTM_SETLINK, AF_BRIDGE, IFLA_PROTINFO|NLA_F_NESTED (the kernel
    reads a protinfo without the flag as the old one-byte state)."""
    req = BR.brport_request("set", {"index": 4, "cost": 7, "learning": False,
                                    "state": "forwarding"})
    got = M.encode(req.msg_type, req.flags, 0, req.fields, req.attrs)
    inner = (_nla(3, struct.pack("=I", 7)) + _nla(8, b"\0") + _nla(1, b"\3"))
    assert got[16:] == struct.pack("=BxHiII", 7, 0, 4, 0, 0) + \
        _nla(12 | C.NLA_F_NESTED, inner)


def test_fdb_bytes() -> None:
    req = BR.fdb_request("add", {"ifindex": 4, "lladdr": "02:00:00:00:00:aa", "vlan": 10,
                                 "dst": "192.0.2.9", "vni": 42, "flags": ["master"],
                                 "state": "static"})
    got = M.encode(req.msg_type, req.flags, 0, req.fields, req.attrs)
    assert req.flags == C.NLM_F_CREATE | C.NLM_F_EXCL
    head = struct.pack("=BxxxiHBB", C.AF_BRIDGE, 4, C.NUD_NOARP, C.NTF_MASTER, 0)
    attrs = (_nla(2, bytes.fromhex("0200000000aa")) + _nla(1, bytes([192, 0, 2, 9]))
             + _nla(5, struct.pack("=H", 10)) + _nla(7, struct.pack("=I", 42)))
    assert got[16:] == head + attrs
    m = M.parse(got)[0]
    assert (m.get("lladdr"), m.get("vlan"), m.get("dst"), m.get("vni")) == \
        ("02:00:00:00:00:aa", 10, "192.0.2.9", 42)


def test_library_defaults_are_pyroute2s() -> None:
    kw = BR.library_fdb_defaults("add", {"ifindex": 1, "lladdr": "02:00:00:00:00:01"})
    assert kw["state"] == C.NUD_NOARP | C.NUD_PERMANENT and kw["flags"] == C.NTF_SELF
    kw = BR.library_fdb_defaults("add", {"ifindex": 1, "lladdr": "02:00:00:00:00:01",
                                         "state": "dynamic", "flags": C.NTF_MASTER})
    assert kw["state"] == C.NUD_NOARP | C.NUD_REACHABLE and kw["flags"] == C.NTF_MASTER


@pytest.mark.parametrize("call, word", [
    (lambda: BR.fdb_request("add", {"lladdr": "02:00:00:00:00:01"}), "ifindex"),
    (lambda: BR.fdb_request("add", {"ifindex": 1}), "lladdr"),
    (lambda: BR.fdb_request("add", {"ifindex": 1, "lladdr": "x", "colour": 1}), "colour"),
    (lambda: BR.fdb_request("add", {"ifindex": 1, "lladdr": "x", "vlan": 5000}), "vlan"),
    (lambda: BR.fdb_request("add", {"ifindex": 1, "lladdr": "x", "flags": ["shy"]}), "shy"),
    (lambda: BR.fdb_request("add", {"ifindex": 1, "lladdr": "x", "state": "calm"}), "calm"),
    (lambda: BR.fdb_request("get", {}), "get"),
    (lambda: BR.brport_request("set", {"index": 1}), "option"),
    (lambda: BR.brport_request("set", {"index": 1, "cost": 1, "speed": 2}), "speed"),
    (lambda: BR.brport_request("set", {"index": 1, "state": "asleep"}), "asleep"),
    (lambda: BR.vlan_filter_request("add", {"index": 1, "vlan_info": {"vid": 0}}), "0"),
    (lambda: BR.vlan_filter_request("add", {"index": 1, "vlan_info": {"vid": "9-3"}}),
     "9-3"),
    (lambda: BR.vlan_filter_request("add", {"index": 1, "vlan_info": {"vid": 3,
                                                                       "hue": 1}}), "hue"),
    (lambda: BR.vlan_filter_request("add", {"index": 1}), "vlan_info"),
    (lambda: BR.vlan_filter_request("set", {"index": 1}), "set"),
])
def test_bad_keywords_name_the_word(call: Any, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        call()


# -- the keyword API against the kernel, pyroute2 beside it -----------------------------------

@requires_root
def test_fdb_api(brns: str) -> None:
    from nlshell import IPRoute

    with IPRoute(netns=brns) as ipr:
        v0 = ipr.link_lookup(ifname="v0")[0]
        ipr.fdb("add", ifindex=v0, lladdr="02:00:00:00:01:01", flags="master",
                state="static")
        ipr.fdb("append", ifindex=v0, lladdr="02:00:00:00:01:02")
        shown = {e["mac"]: e for e in bridge_j(brns, "fdb", "show", "dev", "v0")}
        assert shown["02:00:00:00:01:01"]["state"] == "static"
        assert shown["02:00:00:00:01:01"]["master"] == "br0"
        assert shown["02:00:00:00:01:02"]["flags"] == ["self"]
        mine = ipr.fdb("dump", ifindex=v0, lladdr="02:00:00:00:01:01")
        assert [m.get("lladdr") for m in mine] == ["02:00:00:00:01:01"]
        # the bridge's own entries come back without NTF_MASTER, naming it in NDA_MASTER
        br = ipr.link_lookup(ifname="br0")[0]
        assert mine[0]["state"] == C.NUD_NOARP and mine[0].get("master") == br
        ipr.fdb("replace", ifindex=v0, lladdr="02:00:00:00:01:01", flags="master",
                state="dynamic")
        assert "02:00:00:00:01:01 dev v0 master br0 \n" in bridge_cmd(brns, "fdb")
        ipr.fdb("del", ifindex=v0, lladdr="02:00:00:00:01:01", flags="master")
        ipr.fdb("del", ifindex=v0, lladdr="02:00:00:00:01:02")
        left = {e["mac"] for e in bridge_j(brns, "fdb", "show", "dev", "v0")}
        assert not left & {"02:00:00:00:01:01", "02:00:00:00:01:02"}


@requires_root
def test_vlan_filter_kernel_step(brns: str) -> None:
    from nlshell import IPRoute, NetlinkError

    with IPRoute(netns=brns) as ipr:
        v0 = ipr.link_lookup(ifname="v0")[0]
        try:
            ipr.vlan_filter("add", index=v0, vlan_info={"vid": 10})
        except NetlinkError as exc:
            if exc.code == errno.EOPNOTSUPP:
                pytest.skip("this kernel refuses bridge vlan (EOPNOTSUPP: no "
                            "CONFIG_BRIDGE_VLAN_FILTERING)")
            raise
        vids = [v for m in ipr.get_vlans(index=v0)
                for v in m.get(("af_spec",)).get_attrs("vlan_info")]
        assert 10 in [v["vid"] for v in vids]
        ipr.vlan_filter("del", index=v0, vlan_info={"vid": 10})


pyroute2 = pytest.importorskip("pyroute2", reason="pyroute2 (the oracle) is not installed: "
                               "pip install .[test]")


@requires_root
def test_fdb_and_brport_as_pyroute2(brns: str) -> None:
    """The same calls through nlshell and pyroute2, on ports v0 (nlshell) and v2
    (pyroute2) of one bridge: the kernel ends with the same entries and options."""
    from nlshell import IPRoute

    with IPRoute(netns=brns) as ours, pyroute2.IPRoute(netns=brns) as theirs:
        v0, v2 = ours.link_lookup(ifname="v0")[0], ours.link_lookup(ifname="v2")[0]
        br = ours.link_lookup(ifname="br0")[0]
        for ipr, idx, mac in ((ours, v0, "02:00:00:00:02:01"),
                              (theirs, v2, "02:00:00:00:02:02")):
            ipr.fdb("add", ifindex=idx, lladdr=mac)
            ipr.fdb("add", ifindex=idx, lladdr=mac.replace(":02:", ":03:"),
                    flags=C.NTF_MASTER,
                    state=C.NUD_NOARP)
            ipr.brport("set", index=idx, cost=77, learning=0, unicast_flood=0, guard=1)

        def entries(port: str) -> set:
            return {(e["mac"][:-1], tuple(e["flags"]), e.get("master"), e["state"])
                    for e in bridge_j(brns, "fdb", "show", "dev", port)
                    if e["mac"][:-3] in ("02:00:00:00:02", "02:00:00:00:03")}
        assert entries("v0") == entries("v2") and len(entries("v0")) == 2

        def port_opts(port: str) -> dict:
            (e,) = [x for x in bridge_j(brns, "-d", "link", "show") if x["ifname"] == port]
            return {k: v for k, v in e.items() if k not in ("ifindex", "ifname", "link")}
        assert port_opts("v0") == port_opts("v2")
        assert port_opts("v0")["cost"] == 77 and port_opts("v0")["learning"] is False

        # reads: the same messages (ports, fdb entries of a port)
        def keyed(msgs: list, key: str) -> dict:
            return {m.get(key): m for m in msgs}
        mine = ours.brport("show", index=v0)[0]
        theirs_m = theirs.brport("show", index=v0)[0]
        for name in ("IFLA_BRPORT_COST", "IFLA_BRPORT_LEARNING", "IFLA_BRPORT_GUARD",
                     "IFLA_BRPORT_UNICAST_FLOOD", "IFLA_BRPORT_PRIORITY"):
            assert mine.get(("protinfo", name)) == \
                theirs_m.get_nested("IFLA_PROTINFO", name), name
        a = keyed(ours.fdb("dump", ifindex=v0), "lladdr")
        b = keyed(theirs.fdb("dump", ifindex=v0), "NDA_LLADDR")
        assert set(a) == set(b)
        for mac, m in a.items():
            assert (m["state"], m["flags"], m.get("master")) == \
                (b[mac]["state"], b[mac]["flags"], b[mac].get_attr("NDA_MASTER")), mac
        assert len(ours.get_vlans()) == len(theirs.get_vlans())
        ports = {m["index"] for m in ours.brport("dump")}
        assert ports == {m["index"] for m in theirs.brport("dump")} and {v0, v2} <= ports
        assert br not in {m["index"] for m in ours.brport("dump") if m.get("protinfo")}


@requires_root
def test_async_face_reads_the_same(brns: str) -> None:
    import asyncio

    from nlshell import AsyncIPRoute, IPRoute

    async def read() -> tuple[list, list]:
        async with AsyncIPRoute(netns=brns) as ipr:
            return ([m.get("lladdr") for m in await ipr.fdb("dump")],
                    [m["index"] for m in await ipr.brport("dump")])

    with IPRoute(netns=brns) as ipr:
        want = ([m.get("lladdr") for m in ipr.fdb("dump")],
                [m["index"] for m in ipr.brport("dump")])
    assert asyncio.run(read()) == want


# -- the command language against bridge(8) ------------------------------------------------

ENTRIES = """\
bridge fdb add 02:00:00:00:05:01 dev v0 master static
bridge fdb add 02:00:00:00:05:02 dev v0
bridge fdb add 02:00:00:00:05:03 dev v2 master
bridge fdb append 02:00:00:00:05:04 dev v2 master static
bridge fdb append 02:00:00:00:05:06 dev v2
"""


@pytest.fixture
def entries(brns: str) -> str:
    for line in ENTRIES.splitlines():
        ok(brns, line)
    return brns


@requires_root
@pytest.mark.parametrize("args", ["fdb show", "fdb show dev v0", "fdb show br br0",
                                  "fdb show brport v2", "fdb show state static",
                                  "fdb show state permanent", "fdb show vlan 1",
                                  "fdb", "link show", "link", "link show dev v2",
                                  "vlan show", "vlan show dev v0"])
def test_show_equals_bridge(entries: str, args: str) -> None:
    mine = nlj(entries, "bridge " + args)
    assert mine == bridge_j(entries, *args.split())
    if args.startswith("link"):
        assert nlj(entries, "-d bridge " + args) == bridge_j(entries, "-d", *args.split())
        assert mine


@requires_root
def test_text_lines_are_bridges(entries: str) -> None:
    for args in ("fdb show", "fdb show dev v0", "link show"):
        text = ok(entries, "bridge " + args)
        assert text.rstrip("\n").splitlines() == \
            bridge_cmd(entries, *args.split()).rstrip("\n").splitlines(), args
    assert ok(entries, "-d bridge link show").splitlines() == \
        bridge_cmd(entries, "-d", "link", "show").rstrip("\n").splitlines()


@requires_root
def test_fdb_verbs_checked_with_bridge(entries: str) -> None:
    def row(mac: str) -> list:
        return [e for e in bridge_j(entries, "fdb", "show") if e["mac"] == mac]

    assert row("02:00:00:00:05:01") == [{"mac": "02:00:00:00:05:01", "ifname": "v0",
                                          "flags": [], "master": "br0", "state": "static"}]
    assert row("02:00:00:00:05:02")[0]["flags"] == ["self"]
    assert row("02:00:00:00:05:04")[0]["state"] == "static"
    ok(entries, "bridge fdb replace 02:00:00:00:05:01 dev v0 master dynamic")
    assert row("02:00:00:00:05:01")[0]["state"] == ""
    ok(entries, "bridge fdb del 02:00:00:00:05:01 dev v0 master")
    ok(entries, "bridge fdb del 02:00:00:00:05:02 dev v0")
    assert row("02:00:00:00:05:01") == row("02:00:00:00:05:02") == []
    # flush: the static entries of port v2 in the bridge go, the others stay
    ok(entries, "bridge fdb add 02:00:00:00:05:05 dev v2 master static")
    ok(entries, "bridge fdb flush dev br0 brport v2 static")
    assert row("02:00:00:00:05:05") == []
    assert row("02:00:00:00:05:04") == [] and row("02:00:00:00:05:03")
    assert row("02:00:00:00:05:06")


@requires_root
def test_flush_as_bridge_does(brns: str) -> None:
    """The same flush by nlshell and by bridge(8) on twin namespaces leaves the same."""
    with temp_netns() as twin:
        batch(twin, SETUP)
        for ns in (brns, twin):
            for line in ENTRIES.splitlines():
                ok(ns, line)
        ok(brns, "bridge fdb flush dev v2 master static")
        bridge_cmd(twin, "fdb", "flush", "dev", "v2", "master", "static")
        ok(brns, "bridge fdb flush dev br0 nopermanent")
        bridge_cmd(twin, "fdb", "flush", "dev", "br0", "nopermanent")

        def macs(ns: str) -> list:
            return sorted((e["mac"], e.get("ifname"), e["state"])
                          for e in bridge_j(ns, "fdb", "show")
                          if e["mac"].startswith("02:00:00:00:05"))
        assert macs(brns) == macs(twin)


@requires_root
def test_link_set_checked_with_bridge(entries: str) -> None:
    ok(entries, "bridge link set dev v0 cost 55 priority 9 hairpin on learning off "
                "flood off mcast_flood off neigh_suppress on isolated on guard on")
    (e,) = [x for x in bridge_j(entries, "-d", "link", "show") if x["ifname"] == "v0"]
    assert (e["cost"], e["priority"], e["hairpin"], e["learning"], e["flood"],
            e["mcast_flood"], e["neigh_suppress"], e["isolated"], e["guard"]) == \
        (55, 9, True, False, False, False, True, True, True)
    ok(entries, "bridge link set dev v0 nobackup_port learning on")
    assert [x["learning"] for x in bridge_j(entries, "-d", "link", "show", "dev", "v0")] == \
        [True]


@requires_root
def test_vlan_verbs_kernel_step(entries: str) -> None:
    res = nl(entries, "bridge vlan add vid 10 dev v0 pvid untagged")
    if res.code == 2 and "Operation not supported" in res.err:
        pytest.skip("this kernel refuses bridge vlan (EOPNOTSUPP: no "
                    "CONFIG_BRIDGE_VLAN_FILTERING)")
    assert res.code == 0, res
    assert nlj(entries, "bridge vlan show dev v0") == \
        bridge_j(entries, "vlan", "show", "dev", "v0")
    ok(entries, "bridge vlan set vid 10 dev v0 mcast_router 2")
    ok(entries, "bridge vlan del vid 10 dev v0")


@requires_root
@pytest.mark.parametrize("line, word", [
    ("bridge fdb add 02:00:00:00:05:09", "dev"),
    ("bridge fdb add 02:00:00:zz dev v0", "02:00:00:zz"),
    ("bridge fdb add 02:00:00:00:05:09 dev v0 vlan 5000", "5000"),
    ("bridge fdb add 02:00:00:00:05:09 dev v0 self master", "master"),
    ("bridge fdb add 02:00:00:00:05:09 dev nosuch0", "nosuch0"),
    ("bridge fdb show add 02:00:00:00:05:09 dev v0", "add"),
    ("bridge fdb flush", "dev"),
    ("bridge link set dev v0 cost 5 hairpin maybe", "maybe"),
    ("bridge link set dev v0 state sleeping", "sleeping"),
    ("bridge vlan add vid 9-3 dev v0", "9-3"),
    ("bridge vlan add vid 10", "dev"),
    ("bridge vlan set vid 10 dev v0", "state"),
    ("bridge wibble", "wibble"),
])
def test_bad_input_one_line_nothing_applied(entries: str, line: str, word: str) -> None:
    before = (bridge_j(entries, "fdb", "show"), bridge_j(entries, "-d", "link", "show"))
    res = nl(entries, line)
    assert res.code != 0 and res.err.count("\n") == 1 and word in res.err, res
    assert "Traceback" not in res.err
    assert (bridge_j(entries, "fdb", "show"), bridge_j(entries, "-d", "link", "show")) == before


def test_completion_after_the_third_word() -> None:
    """The third word opens its own list: after `bridge fdb add MAC` come add's words,
    after `bridge fdb show` show's; `bridge fdb ` offers the verbs."""
    from nlshell.commands.grammar import REGISTRY
    from nlshell.commands.suggest import StaticProvider, suggest

    provider = StaticProvider(links=[("v0", 2, "UP"), ("br0", 3, "UP")])

    def got(line: str) -> set[str]:
        return {s.text for s in suggest(line, provider, REGISTRY)}

    assert {"show", "add", "append", "replace", "del", "flush"} <= got("bridge fdb ")
    after_add = got("bridge fdb add 02:00:00:00:00:01 ")
    assert {"dev", "master", "self", "vlan", "dst", "static"} <= after_add
    assert "br" not in after_add
    assert {"br", "brport", "vlan", "state"} <= got("bridge fdb show ")
    assert "cost" not in got("bridge fdb show ")
    assert {"cost", "hairpin", "learning"} <= got("bridge link set dev v0 ")
    assert {"v0", "br0"} <= got("bridge link set dev ")
