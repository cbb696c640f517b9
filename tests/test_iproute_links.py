"""IPRoute.link: every keyword of issue 2, checked with `ip -n NS -j [-d] link` as oracle.

Kinds this kernel lacks (vlan, bond, vrf) are checked as encodings; their kernel step is
skipped with a reason naming the missing kind.
"""

from __future__ import annotations

import errno
import os
from typing import Any

import pytest
from support.iporacle import ipj, sh
from support.resources import add_veth
from support.testns import process_in_ns

from nlshell import IPRoute, NetlinkError
from nlshell.engine import requests as R
from nlshell.engine.codec import constants as C
from nlshell.engine.codec import encode, parse

pytestmark = pytest.mark.requires_root


@pytest.fixture
def veth(ipr: IPRoute) -> int:
    """veth0 + veth1 (down); veth0's index."""
    return add_veth(ipr, up=False)


def link(ns: str, name: str, details: bool = False) -> dict[str, Any]:
    args = ("-d", "link", "show", "dev", name) if details else ("link", "show", "dev", name)
    return ipj(ns, *args)[0]


def names(ns: str) -> list[str]:
    return sorted(entry["ifname"] for entry in ipj(ns, "link"))


# --- add / set / del / get / dump -------------------------------------------------------


def test_veth_pair_with_peer_options(ns: str, ipr: IPRoute) -> None:
    ipr.link("add", ifname="veth0", kind="veth",
             peer={"ifname": "veth1", "mtu": 1400, "address": "02:00:00:00:00:01"})
    assert names(ns) == ["lo", "veth0", "veth1"]
    peer = link(ns, "veth1")
    assert peer["mtu"] == 1400 and peer["address"] == "02:00:00:00:00:01"
    assert link(ns, "veth0", details=True)["linkinfo"]["info_kind"] == "veth"


def test_set_state_mtu_address_alias_txqlen(ns: str, ipr: IPRoute, veth: int) -> None:
    ipr.link("set", index=veth, state="up", mtu=1280, address="02:aa:bb:cc:dd:ee",
             ifalias="uplink to nowhere", txqlen=42)
    got = link(ns, "veth0")
    assert "UP" in got["flags"]
    assert got["mtu"] == 1280
    assert got["address"] == "02:aa:bb:cc:dd:ee"
    assert got["ifalias"] == "uplink to nowhere"
    assert got["txqlen"] == 42
    ipr.link("set", index=veth, state="down")
    assert "UP" not in link(ns, "veth0")["flags"]


def test_set_by_ifname_and_rename(ns: str, ipr: IPRoute, veth: int) -> None:
    ipr.link("set", ifname="veth0", mtu=1300)
    assert link(ns, "veth0")["mtu"] == 1300
    ipr.link("set", index=veth, ifname="uplink")
    assert names(ns) == ["lo", "uplink", "veth1"]
    assert ipr.link_lookup(ifname="uplink") == [veth]


def test_del_by_index_and_by_name(ns: str, ipr: IPRoute, veth: int) -> None:
    ipr.link("add", ifname="a0", peer="a1", kind="veth")
    ipr.link("del", index=veth)
    assert names(ns) == ["a0", "a1", "lo"]
    ipr.link("del", ifname="a1")
    assert names(ns) == ["lo"]


def test_get_and_dump(ns: str, ipr: IPRoute, veth: int) -> None:
    (got,) = ipr.link("get", index=veth)
    assert got["event"] == "RTM_NEWLINK" and got["index"] == veth
    assert got.get("ifname") == "veth0"
    assert got.get(("linkinfo", "kind")) == "veth"
    (by_name,) = ipr.link("get", ifname="veth1")
    assert by_name.get("ifname") == "veth1"
    dumped = ipr.link("dump")
    assert sorted(m.get("ifname") for m in dumped) == names(ns)
    oracle = {entry["ifname"]: entry for entry in ipj(ns, "link")}
    for m in dumped:
        entry = oracle[m.get("ifname")]
        assert m["index"] == entry["ifindex"]
        assert m.get("mtu") == entry["mtu"]
        assert m.get("address") == entry["address"]
        assert m.get("operstate") == entry["operstate"]
    with pytest.raises(NetlinkError) as info:
        ipr.link("get", ifname="nosuch0")
    assert info.value.code == errno.ENODEV


def test_get_links_and_link_lookup(ns: str, ipr: IPRoute, veth: int) -> None:
    peer = ipr.link_lookup(ifname="veth1")[0]
    ipr.link("set", index=veth, mtu=1400, address="02:00:00:00:00:0a")
    assert [m.get("ifname") for m in ipr.get_links(veth, peer)] == ["veth0", "veth1"]
    assert [m.get("ifname") for m in ipr.get_links([peer])] == ["veth1"]
    assert sorted(m.get("ifname") for m in ipr.get_links()) == ["lo", "veth0", "veth1"]
    assert ipr.link_lookup(ifname="nosuch") == []
    assert ipr.link_lookup(address="02:00:00:00:00:0a") == [veth]
    assert ipr.link_lookup(address="02:00:00:00:00:0A") == [veth]  # any case
    assert ipr.link_lookup(mtu=1400) == [veth]
    assert ipr.link_lookup(operstate="UNKNOWN") == [1]  # lo: up, no carrier notion
    assert sorted(ipr.link_lookup(operstate="DOWN")) == sorted([veth, peer])
    assert sorted(ipr.link_lookup(kind="veth")) == sorted([veth, peer])
    assert ipr.link_lookup(ifname="veth0", mtu=1400) == [veth]
    assert ipr.link_lookup(ifname="veth0", mtu=1500) == []
    assert [m.get("ifname") for m in ipr.get_links(state="up")] == ["lo"]
    with pytest.raises(ValueError):
        ipr.link_lookup()


# --- namespaces: net_ns_fd (name, fd), net_ns_pid ---------------------------------------


def _in_ns2(ns2: str) -> list[str]:
    return names(ns2)


def test_move_to_namespace_by_name(ns: str, ns2: str, ipr: IPRoute, veth: int) -> None:
    ipr.link("set", index=veth, net_ns_fd=ns2)
    assert names(ns) == ["lo", "veth1"]
    assert _in_ns2(ns2) == ["lo", "veth0"]


def test_move_to_namespace_by_fd(ns: str, ns2: str, ipr: IPRoute, veth: int) -> None:
    fd = os.open(f"/run/netns/{ns2}", os.O_RDONLY)
    try:
        ipr.link("set", index=veth, net_ns_fd=fd)
    finally:
        os.close(fd)
    assert _in_ns2(ns2) == ["lo", "veth0"]


def test_veth_peer_made_in_another_namespace(ns: str, ns2: str, ipr: IPRoute) -> None:
    ipr.link("add", ifname="veth0", kind="veth", peer={"ifname": "veth1", "net_ns_fd": ns2})
    assert names(ns) == ["lo", "veth0"]
    assert _in_ns2(ns2) == ["lo", "veth1"]


def test_move_to_namespace_by_pid(ns: str, ns2: str, ipr: IPRoute, veth: int) -> None:
    with process_in_ns(ns2, 30) as pid:
        ipr.link("set", index=veth, net_ns_pid=pid)
    assert _in_ns2(ns2) == ["lo", "veth0"]


# --- kinds --------------------------------------------------------------------------------


def test_bridge_with_options_and_a_port(ns: str, ipr: IPRoute, veth: int) -> None:
    ipr.link("add", ifname="br0", kind="bridge", br_stp_state=1, br_forward_delay=500,
             br_hello_time=300, br_priority=4096, br_mcast_snooping=False)
    br = ipr.link_lookup(ifname="br0")[0]
    data = link(ns, "br0", details=True)["linkinfo"]["info_data"]
    assert data["stp_state"] == 1
    assert data["forward_delay"] == 500
    assert data["hello_time"] == 300
    assert data["priority"] == 4096
    assert data["mcast_snooping"] == 0
    ipr.link("set", index=veth, master=br)
    assert link(ns, "veth0")["master"] == "br0"
    (port,) = ipr.get_links(veth)
    assert port.get("master") == br
    assert port.get(("linkinfo", "slave_kind")) == "bridge"
    assert [m.get("ifname") for m in ipr.get_links(master=br)] == ["veth0"]
    ipr.link("set", index=br, br_stp_state=0, kind="bridge")
    assert link(ns, "br0", details=True)["linkinfo"]["info_data"]["stp_state"] == 0
    ipr.link("set", index=veth, master=0)  # leave the bridge
    assert "master" not in link(ns, "veth0")


def test_vxlan(ns: str, ipr: IPRoute, veth: int) -> None:
    ipr.link("add", ifname="vx0", kind="vxlan", vxlan_id=42, vxlan_port=4789,
             vxlan_local="192.0.2.1", vxlan_link=veth, vxlan_learning=False)
    data = link(ns, "vx0", details=True)["linkinfo"]["info_data"]
    assert data["id"] == 42 and data["port"] == 4789
    assert data["local"] == "192.0.2.1" and data["link"] == "veth0"
    assert data["learning"] is False
    (vx,) = ipr.link("get", ifname="vx0")
    assert vx.get(("linkinfo", "data", "vxlan_id")) == 42
    assert vx.get(("linkinfo", "data", "vxlan_port")) == 4789


@pytest.mark.parametrize("mode", ["bridge", "vepa", "private", "passthru"])
def test_macvlan_modes(ns: str, ipr: IPRoute, veth: int, mode: str) -> None:
    ipr.link("add", ifname="mv0", kind="macvlan", link=veth, macvlan_mode=mode)
    got = link(ns, "mv0", details=True)
    assert got["linkinfo"]["info_data"]["mode"] == mode
    assert got["link"] == "veth0"
    assert ipr.get_links(kind="macvlan")[0].get(("linkinfo", "data", "macvlan_mode")) == mode


def test_ifb(ns: str, ipr: IPRoute) -> None:
    ipr.link("add", ifname="ifb0", kind="ifb", mtu=9000)
    assert names(ns) == ["ifb0", "lo"]
    assert link(ns, "ifb0", details=True)["linkinfo"]["info_kind"] == "ifb"
    assert link(ns, "ifb0")["mtu"] == 9000


def test_tun_options_encode() -> None:
    # the kernel makes tun/tap devices only through /dev/net/tun; the encoding still counts
    req = R.link_request("add", {"ifname": "tap0", "kind": "tun", "tun_type": "tap",
                                 "tun_persist": True})
    (msg,) = parse(encode(req.msg_type, req.flags, 0, req.fields, req.attrs))
    assert msg.get(("linkinfo", "data", "tun_type")) == "tap"
    assert msg.get(("linkinfo", "data", "tun_persist")) == 1


# kinds this kernel lacks: (kind, keywords, expected INFO_DATA values)
MISSING_KINDS = [
    ("vlan", {"vlan_id": 100, "vlan_protocol": 0x8100}, {"vlan_id": 100,
                                                         "vlan_protocol": 0x8100}),
    ("bond", {"bond_mode": 1, "bond_miimon": 100}, {"bond_mode": 1, "bond_miimon": 100}),
    ("vrf", {"vrf_table": 1001}, {"vrf_table": 1001}),
]


@pytest.mark.parametrize("kind,kw,expect", MISSING_KINDS, ids=[k[0] for k in MISSING_KINDS])
def test_missing_kind_encoding(kind: str, kw: dict, expect: dict) -> None:
    extra = {"link": 2} if kind == "vlan" else {}
    req = R.link_request("add", {"ifname": f"{kind}0", "kind": kind, **kw, **extra})
    (msg,) = parse(encode(req.msg_type, req.flags, 0, req.fields, req.attrs))
    assert msg.get("ifname") == f"{kind}0"
    assert msg.get(("linkinfo", "kind")) == kind
    data = msg.get(("linkinfo", "data"))
    for key, value in expect.items():
        assert data.get(key) == value, key
    assert msg["flags"] == 0 and req.flags == C.NLM_F_CREATE | C.NLM_F_EXCL


@pytest.mark.parametrize("kind,kw,expect", MISSING_KINDS, ids=[k[0] for k in MISSING_KINDS])
def test_missing_kind_kernel(ns: str, ipr: IPRoute, veth: int, kind: str, kw: dict,
                             expect: dict) -> None:
    extra = {"link": veth} if kind == "vlan" else {}
    try:
        ipr.link("add", ifname=f"{kind}0", kind=kind, **kw, **extra)
    except NetlinkError as exc:
        if exc.code == errno.EOPNOTSUPP:
            pytest.skip(f"this kernel lacks the {kind} link kind ({exc.msg})")
        raise
    info = link(ns, f"{kind}0", details=True)["linkinfo"]
    assert info["info_kind"] == kind


def test_link_set_flags_keep_other_flags(ns: str, ipr: IPRoute, veth: int) -> None:
    sh(ns, "link set veth0 promisc on")
    ipr.link("set", index=veth, state="up")
    flags = link(ns, "veth0")["flags"]
    assert "UP" in flags and "PROMISC" in flags  # change mask only touched IFF_UP
