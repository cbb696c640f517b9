"""The codec's one layout cache and the whole-message accessors built on it.

``Message.header_tuple()``, ``whole()``/``attr_dict()`` and ``wire_values(names)`` read
through layouts learnt once per shape of message; a big dump and its rendering learn each
shape once, whoever reads it (lean views, renderers, cache keys).
"""

from __future__ import annotations

import struct

import pytest
from support import iporacle
from support import samples as S

from nlshell import IPRoute
from nlshell.commands import render as R
from nlshell.engine import cache_keys as K
from nlshell.engine.codec import DecodeError, encode, layout, parse
from nlshell.engine.codec import constants as C
from nlshell.engine.codec.dump import lean_parse


def _route(dst: str, oif: int, **extra: object) -> bytes:
    attrs = [("RTA_TABLE", 254), ("RTA_DST", dst), ("RTA_OIF", oif), *extra.items()]
    return encode(C.RTM_NEWROUTE, fields={"family": C.AF_INET, "dst_len": 32, "table": 254,
                                          "proto": 4, "type": 1}, attrs=attrs)


def test_whole_and_attr_dict_equal_the_message_api() -> None:
    data = _route("192.0.2.1", 3, RTA_GATEWAY="198.51.100.1", RTA_PRIORITY=7,
                  RTA_METRICS=[("RTAX_MTU", 1400)])
    for m in (parse(data)[0], lean_parse(data)[0]):
        head, attrs = m.whole()
        assert head == m.header_tuple() == tuple(m.fields().values())
        assert repr(attrs) == repr(m.attr_dict())  # (nested views compare by identity)
        assert list(attrs) == [name for name, _v in m.attrs()]
        for name, value in attrs.items():
            assert repr(value) == repr(m.get(name))


def test_repeated_and_unknown_attributes() -> None:
    body = struct.pack("=BBBBBBBBI", C.AF_INET, 32, 0, 0, 254, 4, 0, 1, 0)
    body += S.nlattr(4, struct.pack("=I", 5)) + S.nlattr(4, struct.pack("=I", 6))
    body += S.nlattr(200, b"\x01\x02")
    data = S.NLMSGHDR.pack(16 + len(body), C.RTM_NEWROUTE, 0, 1, 0) + body
    for m in (parse(data)[0], lean_parse(data)[0]):
        assert m.attr_dict() == {"RTA_OIF": 5, "UNKNOWN_200": b"\x01\x02"}  # first of repeats
        assert m.wire_values(("family", "RTA_OIF", "RTA_DST")) == (C.AF_INET, 5, None)


def test_wire_values() -> None:
    data = _route("192.0.2.1", 3, RTA_GATEWAY="198.51.100.1")
    for m in (parse(data)[0], lean_parse(data)[0]):
        assert m.wire_values(("dst_len", "RTA_DST", "RTA_OIF", "RTA_GATEWAY", "table")) == (
            32, bytes([192, 0, 2, 1]), 3, bytes([198, 51, 100, 1]), 254)
        assert m.wire_values(("RTA_PREFSRC",)) == (None,)
        with pytest.raises(ValueError, match="nosuch"):
            m.wire_values(("nosuch",))
        assert m.payload() == data[16:]
        assert [t for t, _p in m.wire_attrs()] == [15, 1, 4, 5]


def test_a_malformed_block_raises_decode_error() -> None:
    data = bytearray(_route("192.0.2.1", 3))
    struct.pack_into("=H", data, 28, 200)  # the first attribute's length overruns
    for m in (parse(bytes(data))[0], lean_parse(bytes(data))[0]):
        assert m["dst_len"] == 32 and m.header_tuple()[1] == 32
        for read in (m.whole, m.attr_dict, lambda m=m: m.wire_values(("RTA_OIF",))):
            with pytest.raises(DecodeError):
                read()


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout, "LAYOUTS_MAX", 8)
    layout.clear()
    for i in range(40):  # 40 shapes: names of growing length
        link = encode(C.RTM_NEWLINK, attrs=[("IFLA_IFNAME", "x" * (i + 1)), ("IFLA_MTU", i)])
        assert parse(link)[0].attr_dict()["IFLA_MTU"] == i
        kept = sum(len(v) for s in layout._schemas for v in s.layouts.values())
        assert kept <= 8
    layout.clear()


def test_a_big_dump_learns_each_shape_once(ns: str) -> None:
    """Dump, select, JSON, table, cache keys: one layout per shape of route, learnt once."""
    lines = [f"route add 10.{i >> 8}.{i & 255}.0/24 dev lo" for i in range(2000)]
    lines += [f"route add 10.200.{i}.0/24 via 127.0.0.1 metric {i + 1}" for i in range(50)]
    iporacle.batch(ns, "".join(line + "\n" for line in lines))
    with IPRoute(netns=ns) as ipr:
        ctx = R.RenderContext(ipr.get_links())  # (learns the links' layouts)
        before = layout.learnt()
        routes = ipr.get_routes()
        shapes = {(len(m.payload()), tuple((t, len(p)) for t, p in m.wire_attrs()))
                  for m in routes}
        for _round in range(2):
            q = R.RouteQuery()
            sel = q.select(routes, ctx)
            assert len(R.route_json(sel, ctx, q.hidden)) == 2050
            assert R.route_table(sel, ctx, q.hidden)
            for m in routes:
                K.route_info(m)
                m.get("dst")
        assert layout.learnt() - before <= len(shapes) < 20


def test_one_off_layouts_read_wire_values_like_compiled_ones(ns: str) -> None:
    """A link (over LAYOUT_MAX_ATTRS attributes) is read directly, without a compiled
    reader: the values are the ones a compiled reader gives."""
    names = ("index", "flags", "IFLA_IFNAME", "IFLA_MTU", "IFLA_ADDRESS", "IFLA_MASTER",
             "IFLA_LINKINFO", "IFLA_TXQLEN")
    iporacle.batch(ns, "link add a0 type veth peer name a1\nlink add br0 type bridge\n"
                       "link set a0 master br0\n")
    with IPRoute(netns=ns) as ipr:
        links = ipr.get_links()
    assert len(links) == 4
    for m in links:
        schema, start = layout_schema(m), m._start
        lay = layout.learn(schema, m._buf, start, m._end)
        assert lay.check is None  # a one-off: nothing compiled, nothing kept
        _names, unpack, _headers, pick = layout.wire_reader(schema, lay, names)
        compiled = pick(unpack(m._buf, start) + (None,))
        assert layout.wire_direct(schema, lay, names, m._buf, start) == compiled
        assert m.wire_values(names) == compiled


def layout_schema(m: object) -> layout.Schema:
    from nlshell.engine.codec.message import SCHEMAS

    return SCHEMAS[m.type]
