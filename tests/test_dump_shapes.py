"""A dump datagram read in runs of one shape (``dump_views`` with ``runs.same_shape``)
gives exactly what reading it message by message gives.

Big datagrams are checked column by column: messages framed like the first (same netlink
header, same attribute headers) become views sharing its layout from the start. Anything
else (another shape, a message of another request, a control message, a bad length) must
end the run where it stands, and every value must read as ``lean_parse`` reads it.
"""

from __future__ import annotations

import random
import struct

import pytest

from nlshell.engine.codec import DecodeError, encode, layout
from nlshell.engine.codec import constants as C
from nlshell.engine.codec.dump import _UNSET, dump_views, lean_parse
from nlshell.engine.codec.runs import same_shape

SEQ, PID = 7, 4242
KEYS = ("dst", "dst_len", "oif", "gateway", "table", "priority", "prefsrc", "family", "type",
        "proto", "scope", "flags")


def _route(i: int, shape: int, seq: int = SEQ, flags: int = C.NLM_F_MULTI) -> bytes:
    attrs: list = [("RTA_TABLE", 254 + shape % 2), ("RTA_DST", f"10.{i >> 8 & 255}.{i & 255}.0"),
                   ("RTA_OIF", 2 + i % 5)]
    if shape == 1:
        attrs.append(("RTA_GATEWAY", f"192.0.2.{i % 250 + 1}"))
    elif shape == 2:
        attrs.insert(1, ("RTA_PRIORITY", i))
    elif shape == 3:  # shape 2's length and attribute count, another attribute order
        attrs.append(("RTA_PRIORITY", i))
    elif shape == 4:
        attrs.append(("RTA_PREFSRC", "198.51.100.7"))
    return encode(C.RTM_NEWROUTE, C.NLM_F_MULTI | flags, seq, pid=PID,
                  fields={"family": C.AF_INET, "dst_len": 8 + i % 25, "table": 254,
                          "proto": 4, "scope": i % 3, "type": 1}, attrs=attrs)


def _pad(msg: bytes) -> bytes:
    return msg + b"\0" * (-len(msg) & 3)


def _views(data: bytes, off: int = 0) -> tuple[list, int, bool]:
    out: list = []
    end, intr = dump_views(data, off, SEQ, PID, out.append)
    return out, end, intr


def _same(got: list, want: list) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert (a._start, a._end, type(a)) == (b._start, b._end, type(b))
        assert [a.get(k) for k in KEYS] == [b.get(k) for k in KEYS]
        assert [a[k] for k in ("dst_len", "table", "scope")] == \
            [b[k] for k in ("dst_len", "table", "scope")]
        assert a.whole() == b.whole()


@pytest.mark.parametrize("seed", range(40))
def test_runs_of_shapes_read_as_message_by_message(seed: int) -> None:
    rnd = random.Random(seed)
    msgs: list[bytes] = []
    i = 0
    while len(msgs) < 400:
        shape = rnd.choice((0, 0, 0, 1, 2, 3, 4))
        for _ in range(rnd.choice((1, 2, 7, 8, 9, 30, 120))):
            msgs.append(_pad(_route(i, shape)))
            i += 1
    data = b"".join(msgs)
    got, end, intr = _views(data)
    assert (end, intr) == (len(data), False)
    assert any(m._idx is not _UNSET for m in got)  # some were read in runs
    _same(got, lean_parse(data))


def test_a_run_ends_at_a_message_of_another_request_or_a_control_message() -> None:
    head = b"".join(_pad(_route(i, 0)) for i in range(100))
    for stop in (_pad(_route(100, 0, seq=SEQ + 1)),  # same shape, another request
                 struct.pack("=IHHIIi", 20, C.NLMSG_DONE, C.NLM_F_MULTI, SEQ, PID, 0)):
        data = head + stop + b"".join(_pad(_route(i, 0)) for i in range(101, 110))
        got, end, _intr = _views(data)
        assert end == len(head)
        _same(got, lean_parse(head))


def test_dump_intr_in_a_run_is_reported() -> None:
    data = b"".join(_pad(_route(i, 0, flags=C.NLM_F_DUMP_INTR)) for i in range(100))
    got, end, intr = _views(data)
    assert (len(got), end, intr) == (100, len(data), True)
    assert all(m._idx is not _UNSET for m in got)  # read as one run


def test_a_bad_length_inside_a_run_raises_decode_error() -> None:
    msgs = [bytearray(_pad(_route(i, 0))) for i in range(100)]
    struct.pack_into("=I", msgs[75], 0, 9999)  # longer than what is left
    with pytest.raises(DecodeError):
        _views(bytes(b"".join(msgs)))


def test_same_shape_finds_the_longest_framed_prefix() -> None:
    for n in (8, 9, 31, 200):
        msgs = [_pad(_route(i, 0)) for i in range(n)] + [_pad(_route(n, 1))] * 3
        data = b"".join(msgs)
        cls = type(lean_parse(msgs[0])[0])
        lay = layout.find(cls._schema, data, 16, len(msgs[0]))
        stride = len(msgs[0])
        assert same_shape(data, 0, stride, cls, lay, len(data) // stride) == n


def test_a_views_end_comes_from_its_header_and_must_agree_with_the_caller() -> None:
    from nlshell.engine.codec.dump import lean_view

    msg = _pad(_route(1, 1))
    ln = struct.unpack_from("=I", msg)[0]
    data = msg * 3
    cls = type(lean_parse(msg)[0])
    for off in (0, len(msg), 2 * len(msg)):
        v = lean_view(cls, data, off, off + ln)
        assert (v._start, v._end, v.length) == (off + 16, off + ln, ln)
        assert v.raw() == msg[:ln]
    with pytest.raises(DecodeError):
        lean_view(cls, data, 0, ln + 4)
