"""The messages IPRoute returns behave like pyroute2's, and the lean views the socket
builds behave exactly like the codec's own messages (same values for every name, same
errors), on real dumps of every object type and on crafted bytes."""

from __future__ import annotations

import socket
import struct
from typing import Any

import pytest
from support.iporacle import batch, sh

from nlshell import IPRoute
from nlshell.engine.codec import DecodeError, Message, encode, parse
from nlshell.engine.codec import constants as C
from nlshell.engine.codec.dump import LEAN_CLASSES, LeanMessage, lean_parse
from nlshell.engine.codec.views import AttrSet


@pytest.fixture
def rich(ns: str) -> str:
    """A namespace with something of every kind."""
    batch(ns, """
link add veth0 type veth peer name veth1
link add br0 type bridge stp_state 1
link set veth1 master br0
link add vx0 type vxlan id 42 dstport 4789 local 192.0.2.1 dev veth0
link add mv0 link veth0 type macvlan mode bridge
link add ifb0 type ifb
link set veth0 up
link set veth1 up
link set br0 up
link set dev veth0 alias uplink
addr add 192.0.2.1/24 brd + dev veth0 label veth0:one
addr add 198.51.100.1/24 dev veth0
addr add 2001:db8::1/64 dev veth0 nodad
route add 10.1.0.0/16 via 192.0.2.2 mtu 1400 proto static metric 10
route add 10.2.0.0/16 nexthop via 192.0.2.2 weight 2 nexthop via 198.51.100.2
route add blackhole 10.3.0.0/16
route add 10.4.0.0/16 dev veth0 table 1000
route add 2001:db8:1::/64 via 2001:db8::2
neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev veth0
neigh add 2001:db8::9 lladdr 02:00:00:00:00:19 dev veth0
rule add from 10.0.0.0/8 table 100 pref 100
rule add to 192.0.2.0/24 fwmark 7 table 1000 pref 101
""")
    for i in range(40):  # many messages of one layout: the shared index is exercised
        sh(ns, f"route add 10.100.{i}.0/24 dev veth0")
    return ns


# --- pyroute2-like --------------------------------------------------------------------

pytestmark_kernel = pytest.mark.requires_root


@pytestmark_kernel
def test_messages_like_pyroute2(rich: str, ipr: IPRoute) -> None:
    (link,) = ipr.link("get", ifname="veth0")
    assert link["event"] == "RTM_NEWLINK"
    assert link["index"] == ipr.link_lookup(ifname="veth0")[0]
    assert link["family"] == 0
    assert link.get("ifname") == link.get_attr("IFLA_IFNAME") == link.get("IFLA_IFNAME")
    assert link.get("operstate") in ("UP", "LOWERLAYERDOWN")
    assert len(link.get("address").split(":")) == 6 and link.get("address").islower()
    assert link.get(("linkinfo", "kind")) == "veth"
    assert link.get(("IFLA_LINKINFO", "IFLA_INFO_KIND")) == "veth"
    assert link.get("ifalias") == "uplink"
    assert link.get("nosuch") is None and link.get("nosuch", 5) == 5
    assert link.get(("linkinfo", "nosuch", "deeper")) is None
    assert link.get("stats64")["rx_packets"] >= 0
    attrs = link["attrs"]
    assert ("IFLA_IFNAME", "veth0") in attrs
    assert all(isinstance(name, str) and name.isupper() for name, _ in attrs)
    header = link["header"]
    assert header["type"] == C.RTM_NEWLINK and header["length"] == link.length
    assert set(header) == {"length", "type", "flags", "sequence_number", "pid"}
    assert "veth0" in repr(link) and "RTM_NEWLINK" in repr(link)
    assert link.dump()["attrs"]["IFLA_IFNAME"] == "veth0"

    (addr,) = ipr.get_addr(family=socket.AF_INET, label="veth0:one")
    assert addr["prefixlen"] == 24 and addr.get("address") == "192.0.2.1"
    assert addr.get("broadcast") == "192.0.2.255"
    (route,) = ipr.get_routes(family=socket.AF_INET, dst="10.1.0.0/16")
    assert route["dst_len"] == 16 and route["table"] == 254 and route["proto"] == 4
    assert route.get("dst") == "10.1.0.0" and route.get("gateway") == "192.0.2.2"
    assert route.get("priority") == 10 and route.get(("metrics", "mtu")) == 1400
    assert route.get("RTA_METRICS").get("RTAX_MTU") == 1400
    assert isinstance(route.get("metrics"), AttrSet)
    (mp,) = ipr.get_routes(family=socket.AF_INET, dst="10.2.0.0/16")
    hops = mp.get("multipath")
    assert [(h.get("gateway"), h["hops"]) for h in hops] == [("192.0.2.2", 1),
                                                             ("198.51.100.2", 0)]
    assert mp.get_attrs("RTA_MULTIPATH")[0][0].get("gateway") == "192.0.2.2"


# --- lean views == codec messages ---------------------------------------------------------


def names_of(table: Any) -> list[str]:
    return sorted({n for row in table.by_type.values() for n in (row.name, row.short)})


def same(a: Any, b: Any) -> bool:
    if isinstance(a, AttrSet) or isinstance(b, AttrSet):
        return isinstance(a, AttrSet) and isinstance(b, AttrSet) and a.dump() == b.dump()
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(
            same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def assert_equivalent(lean: Message, full: Message) -> None:
    assert isinstance(lean, LeanMessage) and not isinstance(full, LeanMessage)
    assert isinstance(lean, Message)
    for attr in ("type", "flags", "seq", "pid", "length", "event", "nsid"):
        assert getattr(lean, attr) == getattr(full, attr), attr
    assert lean["event"] == full["event"] and lean["header"] == full["header"]
    assert lean.fields() == full.fields()
    for name in full._spec.names:
        assert lean[name] == full[name] and same(lean.get(name), full.get(name)), name
    assert lean.dump() == full.dump()
    assert repr(lean) == repr(full).replace("<Message", f"<{type(lean).__name__}")
    assert lean.raw() == full.raw()
    assert same(lean["attrs"], full["attrs"])
    for name in names_of(full._table) + ["nosuch", "IFLA_NOSUCH"]:
        assert same(lean.get(name), full.get(name)), name
        assert same(lean.get(name, "dflt"), full.get(name, "dflt")), name
        assert same(lean.get_attr(name), full.get_attr(name)), name
        assert same(lean.get_attrs(name), full.get_attrs(name)), name
        assert (name in lean) == (name in full), name
    for path in (("linkinfo", "kind"), ("linkinfo", "data"), ("linkinfo", "data", "vxlan_id"),
                 ("metrics", "mtu"), ("af_spec", "AF_INET6", "inet6_flags"), ("x", "y")):
        assert same(lean.get(path), full.get(path)), path
    def relative(m: Message) -> dict:
        def shift(span: Any) -> Any:
            if isinstance(span, list):
                return [shift(x) for x in span]
            return (span[0] - m._start, span[1] - m._start)
        return {t: shift(span) for t, span in m._index().items()}

    assert relative(lean) == relative(full)


@pytestmark_kernel
@pytest.mark.parametrize("kind", ["link", "addr", "route", "neigh", "rule"])
def test_lean_equals_codec_on_real_dumps(rich: str, ipr: IPRoute, kind: str) -> None:
    msgs = getattr(ipr, {"link": "get_links", "addr": "get_addr", "route": "get_routes",
                         "neigh": "get_neighbours", "rule": "get_rules"}[kind])()
    assert len(msgs) >= 3
    for lean in msgs:
        # the codec reading the same bytes, in a datagram of its own
        (full,) = parse(lean.raw())
        assert_equivalent(lean, full)
    if kind == "route":
        shared = [m for m in msgs if m.get("dst", "").startswith("10.100.")]
        assert len(shared) == 40 and len({id(m._idx) for m in shared}) == 1  # one shared layout memo


def route_bytes(attrs: list[tuple[str, Any]], seq: int = 1) -> bytes:
    return encode(C.RTM_NEWROUTE, C.NLM_F_MULTI, seq, {"family": 2, "dst_len": 32,
                                                       "table": 254}, attrs)


def test_same_length_different_layouts() -> None:
    # equal lengths, attributes in other orders or of other types: never mixed up
    variants = [
        [("dst", "10.0.0.1"), ("oif", 2), ("priority", 7)],
        [("oif", 3), ("dst", "10.0.0.2"), ("priority", 8)],
        [("priority", 9), ("oif", 4), ("dst", "10.0.0.3")],
        [("dst", "10.0.0.4"), ("gateway", "192.0.2.4"), ("oif", 5)],
        [("dst", "10.0.0.5"), ("oif", 6), ("oif", 66)],  # repeated attribute
    ]
    datagram = b"".join(route_bytes(v) for v in variants) * 3
    lean, full = lean_parse(datagram), parse(datagram)
    assert len({m.length for m in lean}) == 1
    for a, b in zip(lean, full, strict=True):
        assert_equivalent(a, b)
    assert [m.get("oif") for m in lean[:5]] == [2, 3, 4, 5, 6]
    assert lean[4].get_attrs("oif") == [6, 66]
    assert lean[3].get("priority") is None and lean[3].get("gateway") == "192.0.2.4"


def test_short_and_wide_scalars_go_through_the_codec() -> None:
    # an RTA_OIF of 2 bytes (too short for a u32) and one of 8: the codec decides
    short = struct.pack("=HHH", 6, 4, 5) + b"\0\0"  # RTA_OIF is type 4
    wide = struct.pack("=HHQ", 12, 4, 7)
    body = struct.pack("=BBBBBBBBI", 2, 32, 0, 0, 254, 0, 0, 1, 0)
    for payload in (short, wide):
        raw = struct.pack("=IHHII", 16 + len(body) + len(payload), C.RTM_NEWROUTE, 0, 1, 0) \
            + body + payload
        (lean,), (full,) = lean_parse(raw), parse(raw)
        try:
            expect: Any = full.get("oif")
        except DecodeError as exc:
            expect = type(exc)
        try:
            got: Any = lean.get("oif")
        except DecodeError as exc:
            got = type(exc)
        assert got == expect


def test_malformed_attributes_raise_like_the_codec() -> None:
    good = route_bytes([("dst", "10.0.0.1"), ("oif", 2)])
    bad = bytearray(good)
    struct.pack_into("=H", bad, 28, 200)  # the first attribute claims 200 bytes
    (lean,), (full,) = lean_parse(bytes(bad)), parse(bytes(bad))
    assert lean["dst_len"] == full["dst_len"] == 32  # the header is fine
    for reader in (lambda m: m.get("dst"), lambda m: m.get_attr("oif"), lambda m: m.dump(),
                   lambda m: m["attrs"], lambda m: m.get_attrs("dst")):
        with pytest.raises(DecodeError):
            reader(full)
        with pytest.raises(DecodeError):
            reader(lean)
    with pytest.raises(DecodeError):  # a header cut short
        lean_parse(struct.pack("=IHHII", 20, C.RTM_NEWROUTE, 0, 1, 0) + b"\0" * 4)


def test_every_object_type_has_a_lean_class() -> None:
    for mtype in (C.RTM_NEWLINK, C.RTM_DELLINK, C.RTM_NEWADDR, C.RTM_NEWROUTE,
                  C.RTM_NEWNEIGH, C.RTM_NEWRULE, C.RTM_NEWNSID):
        cls = LEAN_CLASSES[mtype]
        assert cls.type == mtype and issubclass(cls, Message)
    (done,) = lean_parse(struct.pack("=IHHIIi", 20, C.NLMSG_DONE, 2, 1, 0, 0))
    assert not isinstance(done, LeanMessage) and done.code == 0
