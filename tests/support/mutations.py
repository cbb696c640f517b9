"""Fuzz inputs shared by the codec and renderer fuzzers: `encoded_corpus()` (messages made
from the codec's tables, errors and dones) and `mutate()` (structure-aware mutations of a
message: lengths, types, nesting, duplicates, junk).
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable

from nlshell.engine.codec import constants as C
from nlshell.engine.codec import encode
from nlshell.engine.codec.message import MESSAGE_TYPES, ErrorMessage
from support import samples as S


def encoded_corpus() -> list[bytes]:
    """Messages from the tables: every group's full message, plus errors and dones."""
    out = [S.full_message(g) for g in S.GROUPS]
    for case in list(S.iter_row_cases("link"))[::7] + list(S.iter_row_cases("route"))[::3]:
        out.append(encode(case.msg_type, attrs=case.attrs(S.samples(case.kind)[0])))
    req = S.full_message("addr")
    out += [S.error_datagram(22, req, msg="Invalid prefix length", offs=20),
            S.error_datagram(22, req, capped=True, msg="x", offs=3),
            S.error_datagram(0, req), S.error_datagram(17, req, capped=True),
            S.done_datagram(16, msg="Dump interrupted", offs=4), S.done_datagram(),
            S.done_datagram(with_error_word=False)]
    return out


# -- mutations ----------------------------------------------------------------------------


def attr_spans(msg: bytes) -> list[tuple[int, list[int]]]:
    """(offset of an attribute header, offsets of its enclosing attributes) for every
    attribute, nested ones included where the payload itself walks as attributes."""
    if len(msg) < 16:
        return []
    mtype = struct.unpack_from("=H", msg, 4)[0]
    entry = MESSAGE_TYPES.get(mtype)
    if entry is None or entry[0] is ErrorMessage:
        return []
    out: list[tuple[int, list[int]]] = []
    _walk(msg, 16 + entry[1].size, min(len(msg), struct.unpack_from("=I", msg)[0]), [], out)
    return out


def _walk(buf: bytes, off: int, end: int, parents: list[int],
          out: list[tuple[int, list[int]]]) -> bool:
    spans = []
    while off + 4 <= end:
        ln = struct.unpack_from("=H", buf, off)[0]
        if ln < 4 or off + ln > end:
            return False
        spans.append((off, ln))
        off += (ln + 3) & ~3
    for start, ln in spans:
        out.append((start, parents))
        if ln > 8 and len(parents) < 8:
            mark = len(out)
            if not _walk(buf, start + 4, start + ln, parents + [start], out):
                del out[mark:]
    return True


def _grow(data: bytearray, parents: list[int], by: int) -> None:
    """Lengths of the message and of the enclosing attributes grow by `by` bytes."""
    struct.pack_into("=I", data, 0, (struct.unpack_from("=I", data)[0] + by) & 0xFFFFFFFF)
    for p in parents:
        ln = struct.unpack_from("=H", data, p)[0] + by
        struct.pack_into("=H", data, p, ln & 0xFFFF)


def m_bitflip(rng: random.Random, data: bytearray, spans: list) -> None:
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)


def m_truncate(rng: random.Random, data: bytearray, spans: list) -> None:
    del data[rng.randrange(len(data) + 1):]


def m_msg_len(rng: random.Random, data: bytearray, spans: list) -> None:
    if len(data) >= 4:
        value = rng.choice([0, 3, 15, 16, 17, len(data) - 1, len(data) + 4, 0xFFFFFFFF,
                            rng.randrange(1 << 32)])
        struct.pack_into("=I", data, 0, value & 0xFFFFFFFF)


def m_attr_len(rng: random.Random, data: bytearray, spans: list) -> None:
    if spans:
        off, _ = rng.choice(spans)
        old = struct.unpack_from("=H", data, off)[0]
        value = rng.choice([0, 1, 3, 4, 5, old - 1, old + 1, old + 4, 0xFFFF,
                            rng.randrange(1 << 16)])
        struct.pack_into("=H", data, off, value & 0xFFFF)


def m_attr_type(rng: random.Random, data: bytearray, spans: list) -> None:
    if spans:
        off, _ = rng.choice(spans)
        value = rng.choice([0, rng.randrange(80), rng.randrange(1 << 16),
                            struct.unpack_from("=H", data, off + 2)[0] ^ C.NLA_F_NESTED])
        struct.pack_into("=H", data, off + 2, value)


def m_nest_duplicate(rng: random.Random, data: bytearray, spans: list) -> None:
    """Wrap an attribute in copies of itself (lengths kept consistent)."""
    if not spans:
        return
    off, parents = rng.choice(spans)
    ln = struct.unpack_from("=H", data, off)[0]
    attr = bytes(data[off:off + ln])
    atype = struct.unpack_from("=H", attr, 2)[0]
    for _ in range(rng.randint(1, 20)):
        if len(attr) + 4 > 0xFFFF:
            break
        attr = struct.pack("=HH", len(attr) + 4, atype) + attr
    grow = len(attr) - ln
    data[off:off + ln] = attr
    _grow(data, parents, grow)


def m_duplicate_attr(rng: random.Random, data: bytearray, spans: list) -> None:
    """Repeat an attribute next to itself (lengths kept consistent)."""
    if not spans:
        return
    off, parents = rng.choice(spans)
    ln = struct.unpack_from("=H", data, off)[0]
    attr = bytes(data[off:off + ((ln + 3) & ~3)])
    data[off:off] = attr * rng.randint(1, 3)
    _grow(data, parents, len(attr))


def m_splice(rng: random.Random, data: bytearray, spans: list) -> None:
    i = rng.randrange(len(data) + 1)
    junk = bytes(rng.randrange(256) for _ in range(rng.choice([1, 2, 4, 8, 33])))
    if rng.random() < 0.5:
        data[i:i] = junk
    else:
        data[i:i + len(junk)] = junk


def m_zero_region(rng: random.Random, data: bytearray, spans: list) -> None:
    i = rng.randrange(len(data))
    n = rng.randint(1, 16)
    data[i:i + n] = bytes(len(data[i:i + n]))


MUTATORS: list[Callable[[random.Random, bytearray, list], None]] = [
    m_bitflip, m_truncate, m_msg_len, m_attr_len, m_attr_type, m_nest_duplicate,
    m_duplicate_attr, m_splice, m_zero_region,
]


def mutate(rng: random.Random, msg: bytes, others: list[bytes]) -> bytes:
    data = bytearray(msg)
    spans = attr_spans(msg)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        if not data:
            break
        rng.choice(MUTATORS)(rng, data, spans)
        spans = attr_spans(bytes(data))  # the structure as it is now
    if rng.random() < 0.15:  # a multi-message datagram around the mutant
        data = bytearray(rng.choice(others)) + data
    return bytes(data)
