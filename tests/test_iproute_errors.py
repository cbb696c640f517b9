"""Errors: the kernel's (NetlinkError with errno and extended-ack text) and ours
(ValueError naming the bad keyword or value, raised before anything is sent)."""

from __future__ import annotations

import errno
from typing import Any

import pytest
from support.iporacle import ipj

from nlshell import IPRoute, NetlinkError
from nlshell.engine import requests as R
from nlshell.engine.codec import constants as C
from nlshell.engine.errors import DumpInterrupted, NetlinkOverrun

# --- the exception types --------------------------------------------------------------


def test_netlink_error_shape() -> None:
    e = NetlinkError(errno.EEXIST, "File exists")
    assert e.code == 17 and e.msg == "File exists"
    assert e.args == (17, "File exists")
    assert str(e) == "[Errno 17] File exists"
    assert NetlinkError(errno.ENOENT).msg == "No such file or directory"  # strerror
    assert e.errno_name == "EEXIST"
    assert issubclass(NetlinkOverrun, NetlinkError) and NetlinkOverrun().code == errno.ENOBUFS
    assert issubclass(DumpInterrupted, NetlinkError)


# --- the kernel's errors --------------------------------------------------------------

pytestmark_kernel = pytest.mark.requires_root


@pytestmark_kernel
def test_duplicate_link_is_eexist(ipr: IPRoute, veth: int) -> None:
    with pytest.raises(NetlinkError) as info:
        ipr.link("add", ifname="veth0", peer="other", kind="veth")
    assert info.value.code == errno.EEXIST


@pytestmark_kernel
def test_missing_route_is_esrch(ipr: IPRoute, veth: int) -> None:
    with pytest.raises(NetlinkError) as info:
        ipr.route("del", dst="198.51.100.0/24")
    assert info.value.code == errno.ESRCH
    with pytest.raises(NetlinkError) as info:
        ipr.route("del", dst="198.51.100.0/24", oif=veth, table=1000)  # general path too
    assert info.value.code == errno.ESRCH


@pytestmark_kernel
def test_invalid_gateway_has_the_kernel_text(ns: str, ipr: IPRoute, veth: int) -> None:
    with pytest.raises(NetlinkError) as info:
        ipr.route("add", dst="198.51.100.0/24", gateway="203.0.113.1")
    assert info.value.code == errno.ENETUNREACH
    assert "Nexthop has invalid gateway" in str(info.value)
    assert info.value.msg == "Nexthop has invalid gateway"
    assert not [r for r in ipj(ns, "route") if r["dst"] == "198.51.100.0/24"]


@pytestmark_kernel
def test_unknown_kind_is_unknown_device_type(ns: str, ipr: IPRoute) -> None:
    with pytest.raises(NetlinkError) as info:
        ipr.link("add", ifname="d0", kind="dummy")  # this kernel has no dummy driver
    assert info.value.code == errno.EOPNOTSUPP
    assert "Unknown device type" in str(info.value)
    assert [link["ifname"] for link in ipj(ns, "link")] == ["lo"]


@pytestmark_kernel
def test_strerror_when_the_kernel_gives_no_text(ipr: IPRoute, veth: int) -> None:
    ipr.route("add", dst="198.51.100.0/24", oif=veth)
    with pytest.raises(NetlinkError) as info:
        ipr.route("add", dst="198.51.100.0/24", oif=veth)  # the FIB says only EEXIST
    assert info.value.code == errno.EEXIST
    assert info.value.msg == "File exists"
    with pytest.raises(NetlinkError) as info:
        ipr.addr("del", index=veth, address="192.0.2.99", prefixlen=24)
    assert info.value.code == errno.EADDRNOTAVAIL
    assert info.value.msg == "ipv4: Address not found"  # and here it has words


@pytestmark_kernel
def test_error_in_nlmsg_done(ipr: IPRoute) -> None:
    # strict dump checking: the FIB dump rejects a header with dst_len set, and the
    # kernel reports that in the NLMSG_DONE that ends the dump
    with pytest.raises(NetlinkError) as info:
        ipr.sock.dump(C.RTM_GETROUTE, fields={"family": C.AF_INET, "dst_len": 8})
    assert info.value.code == errno.EINVAL
    assert "Invalid values in header for FIB dump request" in info.value.msg
    # the socket is still usable
    assert ipr.link_lookup(ifname="lo") == [1]


@pytestmark_kernel
def test_link_dump_by_index_is_filtered_here(ipr: IPRoute, veth: int) -> None:
    # the kernel refuses a link dump with an index in the header (strict checking);
    # IPRoute filters instead
    assert [m["index"] for m in ipr.link("dump", index=veth)] == [veth]


@pytestmark_kernel
def test_errors_leave_the_socket_in_step(ipr: IPRoute, veth: int) -> None:
    for _ in range(3):
        with pytest.raises(NetlinkError):
            ipr.route("add", dst="198.51.100.0/24", gateway="203.0.113.1")
        assert ipr.route("get", dst="192.0.2.5")[0].get("oif") == veth


# --- our errors: bad keywords and values ----------------------------------------------

BAD_KEYWORDS: list[tuple[str, str, dict[str, Any], str]] = [
    ("link", "add", {"ifname": "x", "kind": "veth", "colour": "red"}, "colour"),
    ("link", "set", {"index": 2, "mtuu": 1400}, "mtuu"),
    ("link", "add", {"ifname": "x", "kind": "bridge", "vxlan_id": 5}, "vxlan_id"),
    ("link", "get", {"ifname": "x", "bogus": 1}, "bogus"),
    ("addr", "add", {"index": 2, "address": "192.0.2.1", "colour": 1}, "colour"),
    ("route", "add", {"dst": "10.0.0.0/8", "oif": 2, "gatewy": "10.0.0.1"}, "gatewy"),
    ("route", "add", {"dst": "10.0.0.0/8", "multipath": [{"gateway": "10.0.0.1",
                                                          "wieght": 2}]}, "wieght"),
    ("neigh", "add", {"dst": "192.0.2.9", "ifindex": 2, "lladr": "02:00:00:00:00:01"},
     "lladr"),
    ("rule", "add", {"table": 10, "prio": 5}, "prio"),
]


@pytest.mark.parametrize("obj,cmd,kw,word", BAD_KEYWORDS)
def test_unknown_keyword_is_a_value_error_naming_it(obj: str, cmd: str, kw: dict,
                                                   word: str) -> None:
    make = getattr(R, f"{obj}_request")
    with pytest.raises(ValueError, match=word):
        make(cmd, kw)


BAD_VALUES: list[tuple[str, str, dict[str, Any], str]] = [
    ("link", "frobnicate", {"ifname": "x"}, "frobnicate"),
    ("link", "set", {"index": 2, "state": "sideways"}, "sideways"),
    ("link", "set", {"index": "two"}, "two"),
    ("link", "del", {}, "index=, ifname= or group="),
    ("link", "add", {"ifname": "x", "peer": "y"}, "kind='veth'"),
    ("addr", "add", {"index": 2, "address": "192.0.2.300"}, "192.0.2.300"),
    ("addr", "add", {"index": 2, "address": "192.0.2.1", "prefixlen": 33}, "33"),
    ("addr", "add", {"address": "192.0.2.1"}, "index="),
    ("addr", "add", {"index": 2, "address": "192.0.2.1", "scope": "galaxy"}, "galaxy"),
    ("route", "add", {"dst": "10.0.0.0/99", "oif": 2}, "10.0.0.0/99"),
    ("route", "add", {"dst": "10.0.0.0/8", "gateway": "not-an-ip"}, "not-an-ip"),
    ("route", "add", {"dst": "10.0.0.0/8", "oif": 2, "table": "nosuch"}, "nosuch"),
    ("route", "add", {"dst": "10.0.0.0/8", "type": "wormhole"}, "wormhole"),
    ("route", "add", {"dst": "10.0.0.0/8", "oif": 2, "proto": "carrier-pigeon"},
     "carrier-pigeon"),
    ("route", "add", {"dst": "10.0.0.0/8", "multipath": "10.0.0.1"}, "multipath"),
    ("neigh", "add", {"dst": "192.0.2.9", "ifindex": 2, "state": "confused"}, "confused"),
    ("neigh", "add", {"ifindex": 2}, "dst="),
    ("rule", "add", {"table": 10, "action": "explode"}, "explode"),
]


@pytest.mark.parametrize("obj,cmd,kw,word", BAD_VALUES)
def test_bad_value_is_a_value_error_naming_it(obj: str, cmd: str, kw: dict, word: str) -> None:
    make = getattr(R, f"{obj}_request")
    with pytest.raises(ValueError) as info:
        make(cmd, kw)
    assert word in str(info.value)


@pytestmark_kernel
def test_value_errors_from_iproute_send_nothing(ns: str, ipr: IPRoute, veth: int) -> None:
    before = ipj(ns, "route")
    with pytest.raises(ValueError, match="colour"):
        ipr.route("add", dst="198.51.100.0/24", oif=veth, colour="blue")
    with pytest.raises(ValueError, match="bogus"):
        ipr.link("add", ifname="v9", kind="veth", bogus=1)
    with pytest.raises(ValueError, match="eth-zero"):
        ipr.route("add", dst="198.51.100.0/24", oif="eth-zero")  # codec: not an integer
    with ipr.bulk() as b, pytest.raises(ValueError, match="colour"):
        b.route("add", dst="198.51.100.0/24", oif=veth, colour="blue")
    assert ipj(ns, "route") == before
    assert [link["ifname"] for link in ipj(ns, "link")] == ["lo", "veth1", "veth0"]
