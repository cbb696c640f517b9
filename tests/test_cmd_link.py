"""`link` and `tuntap` commands against the kernel, every verb checked with `ip -j`."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
from support import iporacle, nlrun, testns
from support.nlrun import nl, ok

pytestmark = testns.requires_root
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def link(ns: str, name: str, details: bool = True) -> dict:
    rows = iporacle.ipj(ns, *(["-d"] if details else []), "link", "show", "dev", name)
    assert len(rows) == 1
    return rows[0]


def names(rows: list[dict]) -> set[str]:
    return {r["ifname"] for r in rows if r}  # ip prints {} for links a selector dropped


SETUP = """\
link add v0 type veth peer name v1
link add br0 type bridge
link set v1 master br0
link add mv0 link v0 type macvlan mode bridge
link add vx0 type vxlan id 42 dstport 4789 local 192.0.2.1 dev v0
link add ifb0 type ifb
link set v0 up
link set v1 up
"""


@pytest.fixture
def rich(ns: str) -> str:
    iporacle.batch(ns, SETUP)
    return ns


# --- show ----------------------------------------------------------------------------


def _same_fields(mine: list[dict], theirs: list[dict], skip: tuple[str, ...] = ()) -> None:
    assert [e["ifname"] for e in mine] == [e["ifname"] for e in theirs]
    for a, b in zip(mine, theirs, strict=True):
        for key in set(a) & set(b) - set(skip):
            assert a[key] == b[key], (a["ifname"], key, a[key], b[key])


@pytest.mark.parametrize("opts", [[], ["-d"]], ids=["plain", "details"])
def test_show_json_equals_ip(rich: str, opts: list[str]) -> None:
    theirs = iporacle.ipj(rich, *opts, "link", "show")
    mine = json.loads(ok(rich, " ".join([*opts, "link", "show"]), json=True))
    _same_fields(mine, theirs)
    assert {"ifindex", "ifname", "flags", "mtu", "operstate", "address"} <= set(mine[1])


@pytest.mark.parametrize("selector", [
    "dev v0", "up", "type bridge", "type veth", "master br0", "type bridge_slave", "nomaster",
])
def test_show_selectors(rich: str, selector: str) -> None:
    theirs = iporacle.ipj(rich, "link", "show", *selector.split())
    mine = json.loads(ok(rich, f"link show {selector}", json=True))
    assert names(mine) == names(theirs) and mine


def test_show_brief_equals_ip(rich: str) -> None:
    assert ok(rich, "link show", brief=True).split("\n") == \
        iporacle.sh(rich, "-br", "link", "show").split("\n")
    mine = json.loads(ok(rich, "link", brief=True, json=True))
    theirs = iporacle.ipj(rich, "-br", "link")
    assert mine == theirs


def test_show_table_and_colour(rich: str) -> None:
    plain = ok(rich, "l")
    assert not ANSI.search(plain)
    head = plain.splitlines()[0].split()
    assert head[:2] == ["INDEX", "NAME"]
    for name in ("lo", "v0@v1", "br0", "mv0@v0", "vx0", "ifb0"):
        assert name in plain
    coloured = ok(rich, "link show dev v0", color=True)
    assert ANSI.search(coloured) and "v0@v1" in ANSI.sub("", coloured)


def test_show_missing_device(ns: str) -> None:
    res = nl(ns, "link show dev nosuch0")
    assert res.code == 1 and res.err.strip() == 'Device "nosuch0" does not exist.'  # ip's words


# --- add -------------------------------------------------------------------------------


def test_add_veth(ns: str) -> None:
    ok(ns, "link add va type veth peer name vb")
    a, b = link(ns, "va"), link(ns, "vb")
    assert a["linkinfo"]["info_kind"] == b["linkinfo"]["info_kind"] == "veth"
    assert a["link"] == "vb" and b["link"] == "va"


def test_add_veth_peer_options(ns: str, ns2: str) -> None:
    ok(ns, f"link add name va mtu 1400 type veth peer name vb mtu 1300 netns {ns2}")
    assert link(ns, "va")["mtu"] == 1400
    assert link(ns2, "vb")["mtu"] == 1300


def test_add_in_another_namespace(ns: str, ns2: str) -> None:
    ok(ns, f"link add far0 netns {ns2} alias there type ifb")
    assert link(ns2, "far0")["ifalias"] == "there"
    assert "far0" in names(iporacle.ipj(ns2, "link")) and "far0" not in names(
        iporacle.ipj(ns, "link"))


def test_add_bridge(ns: str) -> None:
    ok(ns, "link add br9 type bridge stp_state 1 forward_delay 400 priority 7 ageing_time 1000")
    data = link(ns, "br9")["linkinfo"]["info_data"]
    assert (data["stp_state"], data["forward_delay"], data["priority"]) == (1, 400, 7)
    assert data["ageing_time"] == 1000


def test_add_vxlan(ns: str) -> None:
    ok(ns, "link add u0 type ifb",
       "link add vx7 type vxlan id 7000 dstport 4789 local 192.0.2.7 dev u0 ttl 9 nolearning")
    data = link(ns, "vx7")["linkinfo"]["info_data"]
    assert data["id"] == 7000 and data["port"] == 4789 and data["local"] == "192.0.2.7"
    assert data["link"] == "u0" and data["ttl"] == 9 and data["learning"] is False


def test_add_vxlan_ipv6_group(ns: str) -> None:
    ok(ns, "link add u0 type ifb", "link add vx6 type vxlan id 6 group ff05::6 dev u0")
    assert link(ns, "vx6")["linkinfo"]["info_data"]["group6"] == "ff05::6"


def test_add_macvlan(ns: str) -> None:
    ok(ns, "link add va type veth peer name vb",
       "link add mv1 link va type macvlan mode private")
    e = link(ns, "mv1")
    assert e["link"] == "va" and e["linkinfo"]["info_data"]["mode"] == "private"


def test_add_ifb_up_with_attributes(ns: str) -> None:
    ok(ns, "link add ifb3 txqlen 77 mtu 1200 address 02:00:00:00:03:03 alias 'test ifb' "
           "type ifb up")
    e = link(ns, "ifb3")
    assert e["linkinfo"]["info_kind"] == "ifb" and "UP" in e["flags"]
    assert (e["txqlen"], e["mtu"], e["address"]) == (77, 1200, "02:00:00:00:03:03")
    assert e["ifalias"] == "test ifb"


@pytest.mark.parametrize("line, mode", [
    ("link add tp0 type tap", "tap"),
    ("link add tp0 type tun mtu 1280 up", "tun"),
    ("tuntap add dev tp0 mode tap user 0 group 0", "tap"),
    ("tuntap add tp0 mode tun vnet_hdr multi_queue", "tun"),
])
def test_add_tuntap(ns: str, line: str, mode: str) -> None:
    ok(ns, line)
    e = link(ns, "tp0")
    info = e["linkinfo"]
    assert info["info_kind"] == "tun" and info["info_data"]["type"] == mode
    assert info["info_data"]["persist"] is True
    if "mtu 1280" in line:
        assert e["mtu"] == 1280 and "UP" in e["flags"]
    if "user 0" in line:
        assert info["info_data"]["user"] in ("root", 0)
    shown = ok(ns, "tuntap show")
    assert shown.startswith(f"tp0: {mode}") and "persist" in shown
    assert json.loads(ok(ns, "tuntap show", json=True))[0]["ifname"] == "tp0"
    ok(ns, "tuntap del tp0 mode " + mode)
    assert iporacle.ipj(ns, "link", "show") and "tp0" not in names(iporacle.ipj(ns, "link"))


def test_tuntap_errors(ns: str) -> None:
    ok(ns, "tuntap add tp0 mode tap")
    res = nl(ns, "link add tp0 type tap")
    assert res.code == 2 and 'tap device "tp0"' in res.err
    res = nl(ns, "tuntap add tp1 mode tap user nosuchuser12")
    assert res.code == 1 and 'user "nosuchuser12" does not exist' in res.err
    ok(ns, "link add ifb1 type ifb")
    res = nl(ns, "tuntap del ifb1")
    assert res.code == 1 and "not a TUN/TAP device" in res.err
    res = nl(ns, "tuntap del tp0 mode tun")
    assert res.code == 1 and "not in mode tun" in res.err
    ok(ns, "link delete tp0")
    assert "tp0" not in names(iporacle.ipj(ns, "link"))


MISSING_KINDS = [
    ("link add vl5 link u0 type vlan id 5", "vlan"),
    ("link add bond0 type bond mode active-backup miimon 100", "bond"),
    ("link add vrf0 type vrf table 10", "vrf"),
]


@pytest.mark.parametrize("line, kind", MISSING_KINDS, ids=[k for _, k in MISSING_KINDS])
def test_missing_kinds_kernel_error(ns: str, line: str, kind: str) -> None:
    ok(ns, "link add u0 type ifb")
    res = nl(ns, line)
    if res.code == 0:
        assert link(ns, line.split()[2])["linkinfo"]["info_kind"] == kind
        pytest.skip(f"this kernel has {kind}: the kernel step succeeded")
    assert res.code == 2
    assert res.err.strip() == "Error: Unknown device type."
    assert line.split()[2] not in names(iporacle.ipj(ns, "link"))


class _FakeCtx:
    """Name lookups without a kernel: the encoding test needs only ifindex()."""

    def ifindex(self, name: str) -> int:
        return {"u0": 7}[name]


@pytest.mark.parametrize("line, kind, data", [
    ("link add vl5 link u0 type vlan id 5 protocol 802.1ad", "vlan",
     {"IFLA_VLAN_ID": 5, "IFLA_VLAN_PROTOCOL": 0x88A8}),
    ("link add bond0 type bond mode active-backup miimon 100", "bond",
     {"IFLA_BOND_MODE": 1, "IFLA_BOND_MIIMON": 100}),
    ("link add vrf0 type vrf table 10", "vrf", {"IFLA_VRF_TABLE": 10}),
    ("link add vx0 type vxlan id 42 dstport 4789 local 2001:db8::1 dev u0", "vxlan",
     {"IFLA_VXLAN_ID": 42, "IFLA_VXLAN_PORT": 4789, "IFLA_VXLAN_LOCAL6": "2001:db8::1",
      "IFLA_VXLAN_LINK": 7}),
])
def test_kind_encoding(line: str, kind: str, data: dict) -> None:
    """Kinds this kernel lacks are still encoded: the request bytes decode to the intent."""
    from nlshell.commands.linkops import link_add_kwargs
    from nlshell.commands.parser import parse
    from nlshell.engine import requests as R
    from nlshell.engine.codec import encode
    from nlshell.engine.codec import parse as decode

    req = R.link_request("add", link_add_kwargs(_FakeCtx(), parse(line)))
    (msg,) = decode(encode(req.msg_type, req.flags, fields=req.fields, attrs=req.attrs))
    assert msg.get("ifname") == line.split()[2]
    assert msg.get(("linkinfo", "kind")) == kind
    for attr, value in data.items():
        assert msg.get(("linkinfo", "data", attr)) == value, attr
    if "link u0" in line:
        assert msg.get("link") == 7


def test_add_needs_link_for_macvlan(ns: str) -> None:
    res = nl(ns, "link add mv0 type macvlan mode bridge")
    assert res.code == 255 and "needs link DEV" in res.err


def test_add_existing_is_kernel_error(ns: str) -> None:
    ok(ns, "link add ifb1 type ifb")
    res = nl(ns, "link add ifb1 type ifb")
    assert res.code == 2 and res.err.strip() == "RTNETLINK answers: File exists"


# --- set -------------------------------------------------------------------------------


def test_set_up_down(ns: str) -> None:
    ok(ns, "link add ifb1 type ifb", "link set ifb1 up")
    assert "UP" in link(ns, "ifb1")["flags"]
    ok(ns, "link set dev ifb1 down")
    assert "UP" not in link(ns, "ifb1")["flags"]


@pytest.mark.parametrize("words, key, value", [
    ("mtu 1280", "mtu", 1280),
    ("address 02:aa:bb:cc:dd:ee", "address", "02:aa:bb:cc:dd:ee"),
    ("brd 02:ff:ff:ff:ff:fe", "broadcast", "02:ff:ff:ff:ff:fe"),
    ("alias 'my link'", "ifalias", "my link"),
    ("txqueuelen 42", "txqlen", 42),
    ("txqlen 43", "txqlen", 43),
])
def test_set_attribute(ns: str, words: str, key: str, value: Any) -> None:
    ok(ns, "link add ifb1 type veth peer name ifb2", f"link set ifb1 {words}")
    assert link(ns, "ifb1")[key] == value


def test_set_flags_on_off(ns: str) -> None:
    ok(ns, "link add va type veth peer name vb", "link set va arp off promisc on")
    e = link(ns, "va")
    assert "NOARP" in e["flags"] and "PROMISC" in e["flags"]
    ok(ns, "link set va arp on promisc off")
    e = link(ns, "va")
    assert "NOARP" not in e["flags"] and "PROMISC" not in e["flags"]


def test_set_name(ns: str) -> None:
    ok(ns, "link add ifb1 type ifb", "link set ifb1 name renamed0")
    assert names(iporacle.ipj(ns, "link")) >= {"renamed0"}
    assert "ifb1" not in names(iporacle.ipj(ns, "link"))


def test_set_master_nomaster(ns: str) -> None:
    ok(ns, "link add br0 type bridge", "link add va type veth peer name vb",
       "link set va master br0")
    assert link(ns, "va")["master"] == "br0"
    ok(ns, "link set va nomaster")
    assert "master" not in link(ns, "va")


def test_set_netns(ns: str, ns2: str) -> None:
    ok(ns, "link add va type veth peer name vb", f"link set vb netns {ns2}")
    assert "vb" not in names(iporacle.ipj(ns, "link"))
    assert "vb" in names(iporacle.ipj(ns2, "link"))


def test_set_netns_of_a_process(ns: str, ns2: str) -> None:
    with testns.process_in_ns(ns2, 30) as pid:
        ok(ns, "link add va type veth peer name vb", f"link set vb netns {pid}")
    assert "vb" in names(iporacle.ipj(ns2, "link"))
    res = nl(ns, "link set va netns 4194000")
    assert res.code == 1 and "4194000" in res.err


def test_set_several_at_once(ns: str) -> None:
    ok(ns, "link add br0 type bridge", "link add va type veth peer name vb",
       "link set dev va mtu 1400 txqlen 10 master br0 alias x up name vz "
       "address 02:00:00:00:00:aa")
    e = link(ns, "vz")
    assert (e["mtu"], e["txqlen"], e["master"], e["ifalias"], e["address"]) == \
        (1400, 10, "br0", "x", "02:00:00:00:00:aa")
    assert "UP" in e["flags"]


def test_set_kernel_refusal(ns: str) -> None:
    ok(ns, "link add va type veth peer name vb")
    res = nl(ns, "link set va mtu 99999")
    assert res.code == 2 and res.err.startswith(("Error: ", "RTNETLINK answers: "))
    assert link(ns, "va")["mtu"] == 1500


# --- delete ----------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["link delete ifb1", "link delete dev ifb1", "link del ifb1",
                                  "l d ifb1", "link delete ifb1 type ifb"])
def test_delete(ns: str, line: str) -> None:
    ok(ns, "link add ifb1 type ifb")
    ok(ns, line)
    assert "ifb1" not in names(iporacle.ipj(ns, "link"))


def test_delete_type_mismatch(ns: str) -> None:
    ok(ns, "link add ifb1 type ifb")
    res = nl(ns, "link delete ifb1 type bridge")
    assert res.code == 1 and "not of type bridge" in res.err
    assert "ifb1" in names(iporacle.ipj(ns, "link"))


def test_delete_missing(ns: str) -> None:
    res = nl(ns, "link delete nosuch0")
    assert res.code == 1 and res.err.strip() == 'Cannot find device "nosuch0"'


# --- through the command line ------------------------------------------------------------


def test_cli_json_and_exit_codes(rich: str) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return nlrun.run_nlshell("-n", rich, *args)

    proc = run("-j", "link", "show", "dev", "br0")
    assert proc.returncode == 0
    _same_fields(json.loads(proc.stdout), iporacle.ipj(rich, "link", "show", "dev", "br0"))
    proc = run("-c", "link add br0 type bridge")
    assert proc.returncode == 2 and proc.stderr.strip() == "RTNETLINK answers: File exists"
    proc = run("-c", "link set nosuch up")
    assert proc.returncode == 1 and 'Cannot find device "nosuch"' in proc.stderr
