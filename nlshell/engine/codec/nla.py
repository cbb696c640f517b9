"""Attribute primitives: walking an attribute block, and the scalar kinds.

A kind is a pair (decode, encode): ``decode(buf, start, end) -> value`` reads the
payload ``buf[start:end]``; ``encode(value) -> bytes`` makes a payload. Decoders raise
only DecodeError; encoders raise ValueError naming what they could not encode.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from typing import Any

from .constants import NLA_TYPE_MASK, OPERSTATES
from .errors import DecodeError

_HH = struct.Struct("=HH")
_unpack_hh = _HH.unpack_from
_pack_hh = _HH.pack

Decoder = Callable[[Any, int, int], Any]
Encoder = Callable[[Any], bytes]


def walk(buf: bytes, off: int, end: int) -> dict[int, Any]:
    """Index an attribute block: {type: (start, end)}, or a list of those if repeated.

    The flag bits (NESTED, NET_BYTEORDER) are stripped from the type. Nothing is decoded.
    """
    index: dict[int, Any] = {}
    unpack = _unpack_hh
    mask = NLA_TYPE_MASK
    while off + 4 <= end:
        ln, t = unpack(buf, off)
        nxt = off + ln
        if ln < 4 or nxt > end:
            raise DecodeError(f"attribute length {ln} does not fit", off)
        t &= mask
        if t in index:  # repeated: rare, so the common case is one dict store
            old = index[t]
            if type(old) is list:
                old.append((off + 4, nxt))
            else:
                index[t] = [old, (off + 4, nxt)]
        else:
            index[t] = (off + 4, nxt)
        off = (nxt + 3) & -4
    return index


def walk_list(buf: bytes, off: int, end: int) -> list[tuple[int, int, int]]:
    """Attributes in order as (type, start, end): for blocks whose order matters."""
    out = []
    while off + 4 <= end:
        ln, t = _unpack_hh(buf, off)
        nxt = off + ln
        if ln < 4 or nxt > end:
            raise DecodeError(f"attribute length {ln} does not fit", off)
        out.append((t & NLA_TYPE_MASK, off + 4, nxt))
        off = (nxt + 3) & ~3
    return out


def wire_attrs(buf: Any, off: int = 0, end: int | None = None) -> list[tuple[int, bytes]]:
    """Attributes in order as (type, payload bytes), flag bits stripped; stops at the first
    one that does not fit. For byte-level work on a payload (``bytes`` of a nested block)."""
    if end is None:
        end = len(buf)
    out = []
    while off + 4 <= end:
        ln, t = _unpack_hh(buf, off)
        nxt = off + ln
        if ln < 4 or nxt > end:
            break
        out.append((t & NLA_TYPE_MASK, bytes(buf[off + 4:nxt])))
        off = (nxt + 3) & ~3
    return out


def pack_attr(atype: int, payload: bytes) -> bytes:
    """One attribute with its header, padded to 4 bytes."""
    ln = 4 + len(payload)
    if ln > 0xFFFF:
        raise ValueError(f"attribute of {ln} bytes is longer than netlink allows (65535)")
    return _pack_hh(ln, atype) + payload + b"\0" * (-ln & 3)


# --- scalar kinds -----------------------------------------------------------------


def _int_kind(fmt: str) -> tuple[Decoder, Encoder]:
    st = struct.Struct(fmt)
    size = st.size
    unpack = st.unpack_from
    pack = st.pack

    def dec(buf, start, end):
        if end - start < size:
            raise DecodeError(f"{size}-byte integer in {end - start} bytes", start)
        return unpack(buf, start)[0]

    def enc(value):
        try:
            return pack(int(value))
        except (struct.error, TypeError, ValueError, OverflowError) as exc:
            sign = "unsigned" if fmt[-1].isupper() else "signed"  # struct: B H I Q unsigned
            raise ValueError(f"{value!r} is not a valid {sign} {size * 8}-bit integer") from exc

    return dec, enc


def _dec_u8(buf, start, end):
    if end <= start:
        raise DecodeError("empty u8", start)
    return buf[start]


_U32 = struct.Struct("=I")
_U64 = struct.Struct("=Q")


def _dec_uint(buf, start, end):
    # NLA_UINT: the kernel sends 4 bytes when the value fits, else 8
    size = end - start
    if size == 4:
        return _U32.unpack_from(buf, start)[0]
    if size == 8:
        return _U64.unpack_from(buf, start)[0]
    raise DecodeError(f"variable-width integer in {size} bytes (expected 4 or 8)", start)


_enc_u64 = _int_kind("=Q")[1]


def _enc_uint(value):
    if type(value) is int and 0 <= value <= 0xFFFFFFFF:
        return _U32.pack(value)
    return _enc_u64(value)  # 8 bytes, or the u64 kind's error


def _dec_str(buf, start, end):
    raw = bytes(buf[start:end])
    nul = raw.find(b"\0")
    if nul >= 0:
        raw = raw[:nul]
    return raw.decode("utf-8", "replace")


def _enc_asciiz(value):
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a string")
    return value.encode() + b"\0"


def _enc_string(value):
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a string")
    return value.encode()


def _dec_binary(buf, start, end):
    return bytes(buf[start:end])


def _enc_binary(value):
    if isinstance(value, str):
        try:
            return bytes.fromhex(value.replace(":", ""))
        except ValueError as exc:
            raise ValueError(f"{value!r} is not hex bytes") from exc
    if isinstance(value, int):  # bytes(5) would be five zero bytes, not an error
        raise ValueError(f"{value!r} is not bytes")
    return bytes(value)


def _dec_flag(buf, start, end):
    return True


def _enc_flag(value):
    return b""


_ntoa = socket.inet_ntoa
_ntop = socket.inet_ntop
_AF6 = socket.AF_INET6


def _dec_ipaddr(buf, start, end):
    n = end - start
    if n == 4:
        return _ntoa(buf[start:end])
    if n == 16:
        return _ntop(_AF6, buf[start:end])
    return bytes(buf[start:end]).hex()


def enc_ipaddr(value) -> bytes:
    """'192.0.2.1' or '2001:db8::1' -> 4 or 16 bytes."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an IP address")
    try:
        if ":" in value:
            return socket.inet_pton(_AF6, value)
        return socket.inet_pton(socket.AF_INET, value)
    except OSError:
        raise ValueError(f"invalid IP address {value!r}") from None


def _dec_lladdr(buf, start, end):
    return bytes(buf[start:end]).hex(":")


def enc_lladdr(value) -> bytes:
    """'aa:bb:cc:dd:ee:ff' (any number of octets) -> bytes."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    try:
        parts = value.split(":")
        if not all(1 <= len(p) <= 2 for p in parts):
            raise ValueError
        return bytes(int(p, 16) for p in parts)
    except (AttributeError, ValueError):
        raise ValueError(f"invalid link-layer address {value!r}") from None


def _dec_operstate(buf, start, end):
    v = _dec_u8(buf, start, end)
    return OPERSTATES[v] if v < len(OPERSTATES) else str(v)


def _enc_operstate(value):
    if isinstance(value, str):
        try:
            return bytes([OPERSTATES.index(value.upper())])
        except ValueError:
            raise ValueError(f"unknown operstate {value!r}") from None
    return bytes([int(value)])


def struct_kind(fmt: str, names: tuple[str, ...], optional_tail: bool = True
                ) -> tuple[Decoder, Encoder]:
    """A fixed C struct as a dict. Kernels grow structs at the end: a shorter payload
    decodes the fields that fit, a longer one ignores the extra bytes."""
    st = struct.Struct(fmt)
    item = struct.calcsize(fmt[0] + fmt[1]) if fmt[0] in "=<>!@" else struct.calcsize(fmt[0])
    order = fmt[0] if fmt[0] in "=<>!@" else "="
    codes = fmt[1:] if fmt[0] in "=<>!@" else fmt

    def dec(buf, start, end):
        n = end - start
        if n >= st.size:
            return dict(zip(names, st.unpack_from(buf, start), strict=False))
        count = n // item if optional_tail and len(set(codes)) == 1 else 0
        if count == 0:
            raise DecodeError(f"struct of {st.size} bytes in {n} bytes", start)
        vals = struct.unpack_from(order + codes[0] * count, buf, start)
        return dict(zip(names, vals, strict=False))

    def enc(value):
        if not isinstance(value, dict):
            raise ValueError(f"{value!r} is not a dict of {', '.join(names)}")
        try:
            return st.pack(*(int(value.get(n, 0)) for n in names))
        except (struct.error, TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"bad struct value {value!r}: {exc}") from None

    return dec, enc


SCALARS: dict[str, tuple[Decoder, Encoder]] = {
    "u8": (_dec_u8, _int_kind("=B")[1]),
    "u16": _int_kind("=H"),
    "u32": _int_kind("=I"),
    "u64": _int_kind("=Q"),
    "uint": (_dec_uint, _enc_uint),
    "s8": _int_kind("=b"),
    "s16": _int_kind("=h"),
    "s32": _int_kind("=i"),
    "s64": _int_kind("=q"),
    "be16": _int_kind(">H"),
    "be32": _int_kind(">I"),
    "be64": _int_kind(">Q"),
    "asciiz": (_dec_str, _enc_asciiz),
    "string": (_dec_str, _enc_string),
    "binary": (_dec_binary, _enc_binary),
    "flag": (_dec_flag, _enc_flag),
    "ipaddr": (_dec_ipaddr, enc_ipaddr),
    "lladdr": (_dec_lladdr, enc_lladdr),
    "operstate": (_dec_operstate, _enc_operstate),
}


def _dec_u8_or_flag(buf, start, end):
    return buf[start] if end > start else 1


# a flag on input that the kernel dumps as a u8 (IFLA_VXLAN_TTL_INHERIT): sent empty
SCALARS["u8flag"] = (_dec_u8_or_flag, _enc_flag)
