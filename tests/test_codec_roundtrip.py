"""Codec round trips, driven by the attribute tables: decode(encode(x)) == x for every row.

Pure codec tests (no kernel): every row of every table reachable from a message type gets
sample values for its kind (a new row is covered automatically; a new kind without a sample
generator in support/samples.py fails `test_every_kind_has_samples`).
"""

from __future__ import annotations

import struct

import pytest
from support import samples as S

from nlshell.engine.codec import (
    AttrSet,
    DecodeError,
    ErrorMessage,
    Message,
    StructView,
    encode,
    nla,
    parse,
    views,
)
from nlshell.engine.codec import constants as C
from nlshell.engine.codec.message import MESSAGE_TYPES

ROW_CASES = [case for group in S.GROUPS for case in S.iter_row_cases(group)]


def _decode_one(data: bytes) -> Message:
    msgs = parse(data)
    assert len(msgs) == 1
    return msgs[0]


# -- the tables are fully sampled ---------------------------------------------------------


def test_every_kind_has_samples() -> None:
    missing = sorted(set(nla.SCALARS) - set(S.SCALAR_SAMPLES))
    assert not missing, f"scalar kinds without samples: {missing}"
    missing = sorted(set(nla.SCALARS) - set(S.SCALAR_BAD))
    assert not missing, f"scalar kinds without bad values: {missing}"
    for case in ROW_CASES:
        assert S.samples(case.kind), case.id  # raises LookupError for an unknown kind


def test_row_cases_reach_every_table() -> None:
    labels = {label for label, _ in S.all_tables()}
    for expected in ("link/IFLA_LINKINFO/IFLA_INFO_DATA[vxlan]",
                     "link/IFLA_LINKINFO/IFLA_INFO_SLAVE_DATA[bridge]",
                     "link/IFLA_AF_SPEC/AF_INET6", "link/IFLA_PROP_LIST", "route/RTA_METRICS"):
        assert expected in labels
    # every row of every reachable table has a case
    ids = {case.id for case in ROW_CASES}
    for label, table in S.all_tables():
        for name, kind in table.rows.values():
            if isinstance(kind, views.Select):
                assert all(f"{label}/{name}[{c}]" in ids for c in kind.tables)
            else:
                assert f"{label}/{name}" in ids


# -- every row, every sample value --------------------------------------------------------


@pytest.mark.parametrize("case", ROW_CASES, ids=[c.id for c in ROW_CASES])
def test_row_roundtrip(case: S.RowCase) -> None:
    row = case.table.lookup(case.name)
    for i, value in enumerate(S.samples(case.kind)):
        for spelling in (row.name, row.short, row.name.lower()):
            data = encode(case.msg_type, seq=i, attrs=case.attrs(value, spelling))
            msg = _decode_one(data)
            block = S.navigate(msg, case.path)
            got = block.get_attr(row.name)
            S.check_value(case.kind, value, got, f"{case.id} ({spelling}, sample {i})")
            # the same value through every way of asking for it
            S.check_value(case.kind, value, block.get_attr(row.short), case.id)
            S.check_value(case.kind, value, block.get(row.short), case.id)
            assert len(block.get_attrs(row.name)) == 1
            assert (row.name in [n for n, _ in block["attrs"]])
            if all(isinstance(p, str) for p in case.path):
                S.check_value(case.kind, value, msg.get(case.path + (row.short,)), case.id)
            msg.dump()
            assert row.name in repr(msg)


@pytest.mark.parametrize("group", list(S.GROUPS))
def test_absent_rows_read_as_default(group: str) -> None:
    mod = S.GROUPS[group]
    msg = _decode_one(encode(mod.TYPES[0]))
    for row in mod.ATTRS.by_type.values():
        assert msg.get_attr(row.name) is None
        assert msg.get_attr(row.name, "dflt") == "dflt"
        assert msg.get_attrs(row.name) == []
        # an absent attribute falls back to a header field of the same name (route 'table')
        assert msg.get(row.short, 42) == (0 if row.short in mod.HEADER.names else 42)
    assert msg["attrs"] == []
    assert msg.get(("no", "such", "path"), "d") == "d"


# -- whole tables at once, for every message type ----------------------------------------

TYPE_CASES = [(g, t) for g, mod in S.GROUPS.items() for t in mod.TYPES]


@pytest.mark.parametrize("group,msg_type", TYPE_CASES,
                         ids=[C.MESSAGE_NAMES[t] for _, t in TYPE_CASES])
def test_full_table_roundtrip(group: str, msg_type: int) -> None:
    mod = S.GROUPS[group]
    data = S.full_message(group, msg_type, seq=77)
    msg = _decode_one(data)
    assert type(msg) is Message and msg.type == msg_type
    assert msg["event"] == C.MESSAGE_NAMES[msg_type] == msg.event
    assert msg.flags == C.NLM_F_REQUEST and msg.seq == 77 and msg.pid == 0
    assert msg.length == len(data)
    assert msg["header"] == {"length": len(data), "type": msg_type, "flags": C.NLM_F_REQUEST,
                             "sequence_number": 77, "pid": 0}
    fields = S.field_samples(mod.HEADER)
    assert msg.fields() == fields
    for name, value in fields.items():
        assert msg[name] == value
    S.check_pairs(mod.ATTRS, S.table_sample(mod.ATTRS), msg, C.MESSAGE_NAMES[msg_type])
    assert msg.raw() == data


@pytest.mark.parametrize("group", list(S.GROUPS))
def test_dump_reencodes_to_the_same_bytes(group: str) -> None:
    """dump() is plain data in the encoder's own value forms: it encodes back bit for bit."""
    data = S.full_message(group, seq=5)
    msg = _decode_one(data)
    dumped = msg.dump()
    assert dumped["event"] == msg.event
    fields = {k: v for k, v in dumped.items() if k not in ("event", "attrs")}
    again = encode(msg.type, flags=msg.flags, seq=5, fields=fields, attrs=dumped["attrs"])
    assert again == data


def test_dump_is_plain_data() -> None:
    import json

    for group in S.GROUPS:
        dumped = _decode_one(S.full_message(group)).dump()
        json.dumps(dumped)  # no views, no bytes


# -- value forms the contract names --------------------------------------------------------


def test_documented_value_forms() -> None:
    stats = {n: i for i, n in enumerate(S.struct_names(S.link.STATS64))}
    data = encode(C.RTM_NEWLINK, fields={"index": 5, "flags": C.IFF_UP},
                  attrs=[("ifname", "v0"), ("address", "02:00:00:00:00:01"),
                         ("operstate", "UP"), ("mtu", 1500), ("stats64", stats),
                         ("linkinfo", {"kind": "vxlan", "data": {"vxlan_id": 42,
                                                                 "vxlan_port": 4789,
                                                                 "vxlan_gbp": True}})])
    msg = _decode_one(data)
    assert msg["index"] == 5 and msg.get("index") == 5
    assert msg.get("ifname") == msg.get("IFLA_IFNAME") == msg.get_attr("ifname") == "v0"
    assert msg.get("address") == "02:00:00:00:00:01"
    assert msg.get("operstate") == "UP"
    assert msg.get("stats64")["rx_packets"] == 0 and msg.get("stats64")["tx_packets"] == 1
    assert set(msg.get("stats64")) >= {"rx_bytes", "tx_bytes", "rx_errors", "tx_errors",
                                       "rx_dropped", "tx_dropped", "multicast", "collisions"}
    info = msg.get("linkinfo")
    assert isinstance(info, AttrSet)
    assert info.get("kind") == "vxlan"
    assert msg.get(("linkinfo", "data", "vxlan_port")) == 4789
    assert msg.get(("IFLA_LINKINFO", "IFLA_INFO_DATA", "IFLA_VXLAN_ID")) == 42
    assert msg.get(("linkinfo", "data", "vxlan_gbp")) is True
    assert msg.get(("linkinfo", "data", "vxlan_ttl")) is None
    assert msg.get(("linkinfo", "nope", "x"), "d") == "d"
    assert "ifname" in msg and "ifalias" not in msg
    assert msg["attrs"][0] == ("IFLA_IFNAME", "v0")
    assert info["attrs"][0] == ("IFLA_INFO_KIND", "vxlan")

    data = encode(C.RTM_NEWADDR, fields={"family": C.AF_INET6, "prefixlen": 64},
                  attrs=[("address", "2001:db8::1"),
                         ("cacheinfo", {"ifa_preferred": 10, "ifa_valid": 20,
                                        "cstamp": 3, "tstamp": 4})])
    msg = _decode_one(data)
    assert msg.get("address") == "2001:db8::1"
    assert msg.get("cacheinfo") == {"ifa_preferred": 10, "ifa_valid": 20, "cstamp": 3,
                                    "tstamp": 4}


def test_route_metrics_multipath_via() -> None:
    data = encode(C.RTM_NEWROUTE, fields={"family": C.AF_INET, "dst_len": 24, "table": 254},
                  attrs=[("dst", "203.0.113.0"), ("table", 100),
                         ("metrics", [("mtu", 1400), ("advmss", 1360), ("cc_algo", "cubic")]),
                         ("multipath", [{"oif": 2, "hops": 0,
                                         "attrs": [("gateway", "192.0.2.1")]},
                                        {"oif": 3, "hops": 4, "flags": C.RTNH_F_ONLINK,
                                         "gateway": "192.0.2.2"},
                                        {"oif": 4, "attrs": {"via": {"family": C.AF_INET6,
                                                                     "addr": "fe80::1"}}}])])
    msg = _decode_one(data)
    assert msg["table"] == 254 and msg.get("table") == 100  # header field vs RTA_TABLE
    metrics = msg.get("metrics")
    assert metrics.get("mtu") == 1400 and metrics.get("RTAX_ADVMSS") == 1360
    assert metrics.get("cc_algo") == "cubic"
    assert msg.get(("metrics", "mtu")) == 1400
    hops = msg.get("multipath")
    assert [h["oif"] for h in hops] == [2, 3, 4]
    assert [h["hops"] for h in hops] == [0, 4, 0]
    assert hops[1]["flags"] == C.RTNH_F_ONLINK
    assert hops[0].get("gateway") == "192.0.2.1" and hops[1].get("gateway") == "192.0.2.2"
    assert hops[2].get("via") == {"family": C.AF_INET6, "addr": "fe80::1"}
    assert [h["rtnh_len"] for h in hops] == [16, 16, 32]
    dumped = msg.dump()["attrs"]["RTA_MULTIPATH"]
    assert dumped[0] == {"rtnh_len": 16, "flags": 0, "hops": 0, "oif": 2,
                         "attrs": {"RTA_GATEWAY": "192.0.2.1"}}


def test_veth_peer_is_a_link_message() -> None:
    peer = {"index": 0, "attrs": [("ifname", "v1"), ("mtu", 1400)]}
    data = encode(C.RTM_NEWLINK, flags=C.NLM_F_CREATE,
                  attrs=[("ifname", "v0"), ("linkinfo", [("kind", "veth"),
                                                         ("data", [("peer", peer)])])])
    msg = _decode_one(data)
    got = msg.get(("linkinfo", "data", "peer"))
    assert isinstance(got, StructView)
    assert got["index"] == 0 and got.get("ifname") == "v1" and got.get("mtu") == 1400
    assert msg.get(("linkinfo", "data", "peer", "ifname")) == "v1"
    # a peer given as a view re-encodes to the same bytes
    again = encode(C.RTM_NEWLINK, flags=C.NLM_F_CREATE,
                   attrs=[("ifname", "v0"), ("linkinfo", [("kind", "veth"),
                                                          ("data", [("peer", got)])])])
    assert again == data


def test_unknown_info_kind_keeps_raw_bytes() -> None:
    data = encode(C.RTM_NEWLINK, attrs=[("linkinfo", [("kind", "nlt-unknown"),
                                                      ("data", b"\x01\x02\x03\x04")])])
    msg = _decode_one(data)
    assert msg.get(("linkinfo", "data")) == b"\x01\x02\x03\x04"
    assert msg.dump()["attrs"]["IFLA_LINKINFO"]["IFLA_INFO_DATA"] == "01020304"


def test_unknown_attributes_decode_as_raw() -> None:
    body = struct.pack("=BxHiII", 0, 0, 1, 0, 0) + S.nlattr(3, b"lo\0") + S.nlattr(999, b"zz")
    data = S.NLMSGHDR.pack(16 + len(body), C.RTM_NEWLINK, 0, 1, 0) + body
    msg = _decode_one(data)
    assert msg["attrs"] == [("IFLA_IFNAME", "lo"), ("UNKNOWN_999", b"zz")]
    assert msg.dump()["attrs"]["UNKNOWN_999"] == "7a7a"


def test_nested_flag_and_byteorder_bits_are_ignored_on_decode() -> None:
    inner = S.nlattr(1 | C.NLA_F_NET_BYTEORDER, b"veth\0")
    body = bytes(16) + S.nlattr(18 | C.NLA_F_NESTED, inner)
    data = S.NLMSGHDR.pack(16 + len(body), C.RTM_NEWLINK, 0, 1, 0) + body
    assert _decode_one(data).get(("linkinfo", "kind")) == "veth"


def test_nested_attributes_are_sent_with_the_nested_flag() -> None:
    data = encode(C.RTM_NEWLINK, attrs=[("linkinfo", [("kind", "veth")])])
    atype = struct.unpack_from("=H", data, 16 + 16 + 2)[0]
    assert atype == 18 | C.NLA_F_NESTED


# -- repeated attributes, flags, ListOf ----------------------------------------------------


def test_repeated_attributes() -> None:
    data = encode(C.RTM_NEWLINK, attrs=[("prop_list", [("alt_ifname", "first"),
                                                       ("alt_ifname", "second"),
                                                       ("IFLA_ALT_IFNAME", "third")]),
                                        ("alt_ifname", "top")])
    msg = _decode_one(data)
    props = msg.get("prop_list")
    assert props.get_attrs("alt_ifname") == ["first", "second", "third"]
    assert props.get("alt_ifname") == props.get_attr("IFLA_ALT_IFNAME") == "first"
    assert msg.dump()["attrs"]["IFLA_PROP_LIST"] == {"IFLA_ALT_IFNAME":
                                                     ["first", "second", "third"]}
    assert msg.get_attrs("alt_ifname") == ["top"]
    assert msg.get_attrs("no-such-name") == []

    data = encode(C.RTM_NEWROUTE, attrs=[("multipath", [{"oif": 1}]),
                                         ("multipath", [{"oif": 2}, {"oif": 3}])])
    msg = _decode_one(data)
    assert [[h["oif"] for h in hops] for hops in msg.get_attrs("multipath")] == [[1], [2, 3]]
    assert [h["oif"] for h in msg.dump()["attrs"]["RTA_MULTIPATH"][1]] == [2, 3]


def test_false_flag_is_left_out() -> None:
    data = encode(C.RTM_NEWLINK, attrs=[("linkinfo", [("kind", "vxlan"),
                                                      ("data", [("vxlan_gbp", False),
                                                                ("vxlan_gpe", True)])])])
    msg = _decode_one(data)
    assert msg.get(("linkinfo", "data", "vxlan_gbp")) is None
    assert msg.get(("linkinfo", "data", "vxlan_gpe")) is True


def test_none_values_are_left_out() -> None:
    data = encode(C.RTM_NEWLINK, attrs=[("ifname", None), ("mtu", 1500), ("master", None)])
    assert _decode_one(data)["attrs"] == [("IFLA_MTU", 1500)]


def test_macvlan_address_list_items_are_macaddr_attributes() -> None:
    """The kernel only accepts IFLA_MACVLAN_MACADDR (4) items in IFLA_MACVLAN_MACADDR_DATA."""
    macs = ["02:00:00:00:00:01", "02:00:00:00:00:02"]
    data = encode(C.RTM_NEWLINK, attrs=[("linkinfo", [("kind", "macvlan"),
                                                      ("data", [("macvlan_macaddr_data",
                                                                 macs)])])])
    msg = _decode_one(data)
    assert msg.get(("linkinfo", "data", "macvlan_macaddr_data")) == macs
    block = data.index(bytes.fromhex("020000000001")) - 4
    assert struct.unpack_from("=HH", data, block) == (10, 4)


# -- header fields, events, repr ---------------------------------------------------------


def test_header_field_names() -> None:
    for group, names in {
        "link": ("family", "ifi_type", "index", "flags", "change"),
        "addr": ("family", "prefixlen", "flags", "scope", "index"),
        "route": ("family", "dst_len", "src_len", "tos", "table", "proto", "scope", "type",
                  "flags"),
        "neigh": ("family", "ifindex", "state", "flags", "ndm_type"),
        "rule": ("family", "dst_len", "src_len", "tos", "table", "action", "flags"),
        "nsid": ("family",),
        "stats": ("family", "ifindex", "filter_mask"),
        "nexthop": ("family", "scope", "protocol", "resvd", "flags"),
    }.items():
        assert S.GROUPS[group].HEADER.names == names, group


def test_header_fields_and_events() -> None:
    for msg_type, (cls, spec, _table) in MESSAGE_TYPES.items():
        if cls is ErrorMessage:
            continue
        fields = S.field_samples(spec)
        data = encode(msg_type, flags=0x305, seq=0xFFFFFFFF, pid=1234, fields=fields)
        msg = _decode_one(data)
        assert msg["event"] == C.MESSAGE_NAMES[msg_type]
        assert (msg.type, msg.flags, msg.seq, msg.pid) == (msg_type, 0x305, 0xFFFFFFFF, 1234)
        assert {n: msg[n] for n in spec.names} == fields
        assert {n: msg.get(n) for n in spec.names if msg.get_attr(n) is None} == {
            n: v for n, v in fields.items() if msg.get_attr(n) is None}
        with pytest.raises(KeyError):
            msg["no_such_field"]


def test_negative_header_fields() -> None:
    data = encode(C.RTM_NEWLINK, fields={"index": -1})
    assert _decode_one(data)["index"] == -1


def test_repr_is_readable() -> None:
    msg = _decode_one(encode(C.RTM_NEWADDR, fields={"prefixlen": 24},
                             attrs=[("local", "192.0.2.1")]))
    text = repr(msg)
    assert "RTM_NEWADDR" in text and "'prefixlen': 24" in text and "IFA_LOCAL" in text
    assert "192.0.2.1" in text


def test_repr_of_undecodable_message_does_not_raise() -> None:
    body = bytes(8) + struct.pack("=HH", 200, 1) + b"abcd"  # an attribute too long
    data = S.NLMSGHDR.pack(16 + len(body), C.RTM_NEWADDR, 0, 1, 0) + body
    msg = _decode_one(data)
    assert "undecodable" in repr(msg)
    with pytest.raises(DecodeError):
        msg.dump()


# -- encode errors: unknown names and bad values name the attribute ----------------------


@pytest.mark.parametrize("group", list(S.GROUPS))
def test_unknown_attribute_name_raises(group: str) -> None:
    mod = S.GROUPS[group]
    with pytest.raises(ValueError, match="nlt_bogus"):
        encode(mod.TYPES[0], attrs=[("nlt_bogus", 1)])
    with pytest.raises(ValueError, match="nlt_bogus"):
        encode(mod.TYPES[0], attrs={"nlt_bogus": 1})


def test_unknown_nested_name_raises_with_the_path() -> None:
    with pytest.raises(ValueError, match="IFLA_LINKINFO.*IFLA_INFO_DATA.*nlt_bogus"):
        encode(C.RTM_NEWLINK, attrs=[("linkinfo", [("kind", "vxlan"),
                                                   ("data", [("nlt_bogus", 1)])])])
    with pytest.raises(ValueError, match="RTA_METRICS.*nlt_bogus"):
        encode(C.RTM_NEWROUTE, attrs=[("metrics", {"nlt_bogus": 1})])


def _bad_cases() -> list[tuple[str, S.RowCase, object]]:
    out = []
    for case in ROW_CASES:
        if isinstance(case.kind, str):
            out += [(case.id, case, bad) for bad in S.SCALAR_BAD[case.kind]]
    return out


BAD_CASES = _bad_cases()


def _show(value: object) -> str:
    # stable test ids: no memory addresses
    return repr(value) if type(value) in (int, float, str, bytes, list, dict) else (
        f"{type(value).__name__}()")


@pytest.mark.parametrize("case,bad", [(c, b) for _, c, b in BAD_CASES],
                         ids=[f"{i}={_show(b)}"[:90] for i, _, b in BAD_CASES])
def test_bad_scalar_value_raises_naming_the_attribute(case: S.RowCase, bad: object) -> None:
    with pytest.raises(ValueError) as info:
        encode(case.msg_type, attrs=case.attrs(bad))
    assert case.name in str(info.value)


COMPOSITE_BAD = [
    (C.RTM_NEWLINK, [("linkinfo", 5)], "IFLA_LINKINFO"),
    (C.RTM_NEWLINK, [("linkinfo", "vxlan")], "IFLA_LINKINFO"),
    (C.RTM_NEWLINK, [("linkinfo", [("kind", "vxlan"), ("data", 7)])], "IFLA_INFO_DATA"),
    (C.RTM_NEWLINK, [("linkinfo", [("data", [("vxlan_id", 1)])])], "IFLA_INFO_DATA"),
    (C.RTM_NEWLINK, [("linkinfo", [("kind", "veth"), ("data", [("peer", 5)])])],
     "VETH_INFO_PEER"),
    (C.RTM_NEWLINK, [("linkinfo", [("kind", "veth"), ("data", [("peer", {"bogus": 1})])])],
     "VETH_INFO_PEER"),
    (C.RTM_NEWLINK, [("linkinfo", [("kind", "macvlan"), ("data", [("macvlan_mode", "x")])])],
     "IFLA_MACVLAN_MODE"),
    (C.RTM_NEWLINK, [("linkinfo", [("kind", "macvlan"), ("data", [("macvlan_mode", [1])])])],
     "IFLA_MACVLAN_MODE"),
    (C.RTM_NEWLINK, [("linkinfo", [("kind", "bond"),
                                   ("data", [("bond_arp_ip_target", 5)])])],
     "IFLA_BOND_ARP_IP_TARGET"),
    (C.RTM_NEWLINK, [("linkinfo", [("kind", "bond"),
                                   ("data", [("bond_arp_ip_target", ["1.2.3"])])])],
     "IFLA_BOND_ARP_IP_TARGET"),
    (C.RTM_NEWLINK, [("stats64", [1, 2])], "IFLA_STATS64"),
    (C.RTM_NEWLINK, [("stats64", {"rx_packets": -1})], "IFLA_STATS64"),
    (C.RTM_NEWLINK, [("map", {"irq": 1 << 20})], "IFLA_MAP"),
    (C.RTM_NEWLINK, [("cost", b"x" * 70000)], "IFLA_COST"),
    (C.RTM_NEWLINK, [("af_spec", [("AF_INET6", [("token", "zz")])])], "IFLA_INET6_TOKEN"),
    (C.RTM_NEWROUTE, [("multipath", 5)], "RTA_MULTIPATH"),
    (C.RTM_NEWROUTE, [("multipath", [5])], "RTA_MULTIPATH"),
    (C.RTM_NEWROUTE, [("multipath", [{"oif": "x"}])], "RTA_MULTIPATH"),
    (C.RTM_NEWROUTE, [("multipath", [{"gateway": "192.0.2.300"}])], "RTA_GATEWAY"),
    (C.RTM_NEWROUTE, [("metrics", 5)], "RTA_METRICS"),
    (C.RTM_NEWROUTE, [("via", 5)], "RTA_VIA"),
    (C.RTM_NEWROUTE, [("via", {"family": 2})], "RTA_VIA"),
    (C.RTM_NEWROUTE, [("via", {"addr": "nope"})], "RTA_VIA"),
    (C.RTM_NEWROUTE, [("cacheinfo", "x")], "RTA_CACHEINFO"),
    (C.RTM_NEWRULE, [("uid_range", {"start": "a"})], "FRA_UID_RANGE"),
]


@pytest.mark.parametrize("msg_type,attrs,name", COMPOSITE_BAD,
                         ids=[f"{n}:{a!r}"[:80] for _, a, n in COMPOSITE_BAD])
def test_bad_composite_value_raises_naming_the_attribute(msg_type: int, attrs: list,
                                                         name: str) -> None:
    with pytest.raises(ValueError) as info:
        encode(msg_type, attrs=attrs)
    assert name in str(info.value)


@pytest.mark.parametrize("kwargs,word", [
    ({"attrs": 5}, "5"),
    ({"attrs": "ifname"}, "ifname"),
    ({"attrs": [("ifname",)]}, "ifname"),
    ({"attrs": [5]}, "5"),
    ({"attrs": [(5, 1)]}, "5"),
    ({"fields": {"bogus": 1}}, "bogus"),
    ({"fields": {"index": "x"}}, "header"),
    ({"fields": {"index": float("inf")}}, "header"),
    ({"fields": {"family": 256}}, "header"),
    ({"fields": [("index", 1)]}, "fields"),
    ({"flags": 1 << 16}, "flags"),
    ({"seq": -1}, "seq"),
    ({"pid": "x"}, "pid"),
])
def test_bad_encode_arguments_raise_value_error(kwargs: dict, word: str) -> None:
    with pytest.raises(ValueError) as info:
        encode(C.RTM_NEWLINK, **kwargs)
    assert word in str(info.value)


@pytest.mark.parametrize("msg_type", [0, C.NLMSG_ERROR, C.NLMSG_DONE, 999])
def test_encode_refuses_types_without_a_table(msg_type: int) -> None:
    with pytest.raises(ValueError, match=str(msg_type)):
        encode(msg_type)


# -- NLMSG_ERROR and NLMSG_DONE -----------------------------------------------------------

REQUEST = encode(C.RTM_NEWLINK, flags=C.NLM_F_REQUEST | C.NLM_F_ACK, seq=9,
                 attrs=[("ifname", "v0"), ("mtu", 1400), ("linkinfo", [("kind", "veth")])])


def test_plain_ack() -> None:
    msg = _decode_one(S.error_datagram(0, REQUEST))
    assert isinstance(msg, ErrorMessage) and msg.type == C.NLMSG_ERROR
    assert msg.code == 0 and msg["error"] == 0 and msg.error is msg
    assert msg.msg is None and msg.offset is None
    assert msg.text() == "Success"
    assert msg.orig_type() == C.RTM_NEWLINK
    assert msg["attrs"] == []  # the echoed request is not read as attributes
    assert msg["event"] == "NLMSG_ERROR"


def test_error_without_tlvs() -> None:
    msg = _decode_one(S.error_datagram(17, REQUEST))
    assert msg.code == 17 and msg["error"] == -17
    assert msg.msg is None and msg.offset is None
    assert msg.text() == "File exists"


def test_error_with_message_and_offset_uncapped() -> None:
    data = S.error_datagram(22, REQUEST, msg="Unknown device type", offs=36)
    msg = _decode_one(data)
    assert msg.flags & C.NLM_F_ACK_TLVS and not msg.flags & C.NLM_F_CAPPED
    assert (msg.code, msg.msg, msg.offset) == (22, "Unknown device type", 36)
    assert msg.text() == "Unknown device type"
    assert msg.orig_type() == C.RTM_NEWLINK
    assert msg.dump()["attrs"] == {"NLMSGERR_ATTR_MSG": "Unknown device type",
                                   "NLMSGERR_ATTR_OFFS": 36}


def test_error_with_message_capped() -> None:
    data = S.error_datagram(95, REQUEST, capped=True, msg="Operation not supported here",
                            offs=20)
    msg = _decode_one(data)
    assert msg.flags & C.NLM_F_CAPPED
    assert (msg.code, msg.msg, msg.offset) == (95, "Operation not supported here", 20)
    assert msg.orig_type() == C.RTM_NEWLINK


def test_error_with_offset_only_and_other_tlvs() -> None:
    extra = S.nlattr(C.NLMSGERR_ATTR_MISS_TYPE, struct.pack("=I", 3))
    msg = _decode_one(S.error_datagram(22, REQUEST, capped=True, offs=24, extra=extra))
    assert (msg.code, msg.msg, msg.offset) == (22, None, 24)
    assert msg.get("NLMSGERR_ATTR_MISS_TYPE") == 3 == msg.get("miss_type")
    assert msg.text() == "Invalid argument"


def test_capped_error_without_tlvs() -> None:
    msg = _decode_one(S.error_datagram(1, REQUEST, capped=True))
    assert (msg.code, msg.msg, msg.offset) == (1, None, None)
    assert msg.text() == "Operation not permitted"


def test_tlvs_flag_without_tlvs() -> None:
    msg = _decode_one(S.error_datagram(2, REQUEST, tlvs_flag=True))
    assert (msg.code, msg.msg) == (2, None)


def test_ack_with_warning_message() -> None:
    msg = _decode_one(S.error_datagram(0, REQUEST, msg="just a warning"))
    assert msg.code == 0 and msg.msg == "just a warning" and msg.text() == "Success"


def test_done_with_error_and_tlvs() -> None:
    msg = _decode_one(S.done_datagram(16, msg="Dump was interrupted", offs=4))
    assert isinstance(msg, ErrorMessage) and msg["event"] == "NLMSG_DONE"
    assert (msg.code, msg.msg, msg.offset) == (16, "Dump was interrupted", 4)
    assert msg.text() == "Dump was interrupted"
    assert msg.orig_type() is None


def test_done_plain_and_old_style() -> None:
    msg = _decode_one(S.done_datagram())
    assert (msg.code, msg.msg, msg.text()) == (0, None, "Success")
    old = _decode_one(S.done_datagram(with_error_word=False))
    assert (old.code, old.msg, old.text()) == (0, None, "Success")
    old.dump()


def test_error_codes_out_of_range_still_have_text() -> None:
    for code in (-(2**31), 2**31 - 1, -5):
        body = struct.pack("=i", code)
        msg = _decode_one(S.NLMSGHDR.pack(20, C.NLMSG_ERROR, 0, 1, 0) + body)
        assert msg.code == -code
        assert isinstance(msg.text(), str)


def test_error_datagram_followed_by_more() -> None:
    data = S.error_datagram(0, REQUEST, seq=1) + S.error_datagram(19, REQUEST, seq=2)
    msgs = parse(data)
    assert [(m.seq, m.code) for m in msgs] == [(1, 0), (2, 19)]


# -- framing ------------------------------------------------------------------------------


def test_parse_many_messages_in_one_datagram() -> None:
    parts = [S.full_message(g, seq=i) for i, g in enumerate(S.GROUPS)]
    parts.append(S.done_datagram(seq=99))
    msgs = parse(b"".join(parts))
    assert [m.seq for m in msgs] == list(range(len(S.GROUPS))) + [99]
    assert [m.raw() for m in msgs[:-1]] == parts[:-1]


def test_parse_empty_and_unknown_types() -> None:
    assert parse(b"") == []
    noop = S.NLMSGHDR.pack(16, C.NLMSG_NOOP, 0, 3, 0)
    msg = _decode_one(noop)
    assert msg["event"] == "NLMSG_NOOP" and msg["attrs"] == []
    odd = S.NLMSGHDR.pack(20, 555, 0, 3, 0) + S.nlattr(1, b"")
    msg = _decode_one(odd)
    assert msg["event"] == "NLMSG_555" and msg.type == 555


@pytest.mark.parametrize("data,where", [
    (S.NLMSGHDR.pack(15, C.RTM_NEWLINK, 0, 0, 0), 0),
    (S.NLMSGHDR.pack(100, C.RTM_NEWLINK, 0, 0, 0), 0),
    (S.NLMSGHDR.pack(16, C.RTM_NEWLINK, 0, 0, 0), 16),  # no ifinfomsg
    (S.done_datagram() + b"\0\0", 20),
    (S.done_datagram() + S.NLMSGHDR.pack(0, 0, 0, 0, 0), 20),
])
def test_parse_errors_say_where(data: bytes, where: int) -> None:
    with pytest.raises(DecodeError) as info:
        parse(data)
    assert info.value.offset == where
    assert f"at byte {where}" in str(info.value)


def test_attribute_errors_say_where() -> None:
    body = bytes(8) + S.nlattr(2, bytes(4)) + struct.pack("=HH", 3, 3)
    msg = _decode_one(S.NLMSGHDR.pack(16 + len(body), C.RTM_NEWADDR, 0, 0, 0) + body)
    with pytest.raises(DecodeError) as info:
        msg.get("local")
    assert info.value.offset == 16 + 8 + 8
    assert isinstance(info.value, ValueError)


def test_short_scalar_payloads_raise_decode_error() -> None:
    body = bytes(16) + S.nlattr(4, b"\x01\x02")  # IFLA_MTU of two bytes
    msg = _decode_one(S.NLMSGHDR.pack(16 + len(body), C.RTM_NEWLINK, 0, 0, 0) + body)
    with pytest.raises(DecodeError):
        msg.get("mtu")


def test_short_struct_keeps_the_fields_that_fit() -> None:
    """Kernels grow structs at the end: a shorter rtnl_link_stats64 still decodes."""
    body = bytes(16) + S.nlattr(23, struct.pack("=QQ", 5, 6))
    msg = _decode_one(S.NLMSGHDR.pack(16 + len(body), C.RTM_NEWLINK, 0, 0, 0) + body)
    assert msg.get("stats64") == {"rx_packets": 5, "tx_packets": 6}


def test_bridge_family_af_spec() -> None:
    """In an AF_BRIDGE link message IFLA_AF_SPEC holds IFLA_BRIDGE_* attributes
    (IFLA_BRIDGE_VLAN_INFO is type 2), not per-family blocks (2 = AF_INET); this kernel
    has no bridge VLAN filtering to produce one, so it is built by hand."""
    vlan_info = S.nlattr(2, struct.pack("=HH", 6, 1))  # flags PVID|UNTAGGED, vid 1
    body = struct.pack("=BxHiII", C.AF_BRIDGE, 1, 3, 0, 0) + S.nlattr(26, vlan_info)
    msg = _decode_one(S.NLMSGHDR.pack(16 + len(body), C.RTM_NEWLINK, 0, 1, 0) + body)
    msg.dump()
    assert msg.get(("af_spec", "vlan_info")) == {"flags": 6, "vid": 1}


def test_veth_peer_nesting_is_bounded() -> None:
    """A hostile chain of veth peers deeper than any real message stops with DecodeError."""
    inner: list = [("ifname", "deep")]
    for _ in range(views.MAX_DEPTH + 4):
        inner = [("linkinfo", [("kind", "veth"), ("data", [("peer", {"attrs": inner})])])]
    msg = _decode_one(encode(C.RTM_NEWLINK, attrs=inner))
    with pytest.raises(DecodeError, match="deep"):
        msg.dump()
    assert "undecodable" in repr(msg)


# -- many routes --------------------------------------------------------------------------


def route32(i: int) -> bytes:
    return encode(C.RTM_NEWROUTE, flags=C.NLM_F_MULTI, seq=1,
                  fields={"family": C.AF_INET, "dst_len": 32, "table": C.RT_TABLE_MAIN,
                          "proto": 4, "scope": 0, "type": C.RTN_UNICAST},
                  attrs=[("table", C.RT_TABLE_MAIN), ("dst", f"10.{i >> 16 & 255}."
                                                             f"{i >> 8 & 255}.{i & 255}"),
                         ("priority", 100), ("gateway", "192.0.2.1"), ("oif", 2 + i % 7)])


def test_bulk_route_datagram() -> None:
    n = 5000
    data = b"".join(route32(i) for i in range(n))
    msgs = parse(data)
    assert len(msgs) == n
    assert all(m["dst_len"] == 32 for m in msgs)
    assert [m.get("oif") for m in msgs] == [2 + i % 7 for i in range(n)]
    assert msgs[4242].get("dst") == "10.0.16.146"
