"""Routes: struct rtmsg and RTA_*, with metrics (RTAX_*) and multipath nexthops."""

from __future__ import annotations

import _socket as socket  # the C module: socket.py imports enum (start-up time)
import struct

from .constants import FAMILY_TYPES
from .errors import DecodeError
from .nla import enc_ipaddr
from .views import Multipath, Nested, Struct, StructSpec, Table

TYPES = FAMILY_TYPES["route"]

HEADER = StructSpec("=BBBBBBBBI", ("family", "dst_len", "src_len", "tos", "table", "proto",
                                  "scope", "type", "flags"))

METRICS = Table("RTAX_", {
    1: ("RTAX_LOCK", "u32"),
    2: ("RTAX_MTU", "u32"),
    3: ("RTAX_WINDOW", "u32"),
    4: ("RTAX_RTT", "u32"),
    5: ("RTAX_RTTVAR", "u32"),
    6: ("RTAX_SSTHRESH", "u32"),
    7: ("RTAX_CWND", "u32"),
    8: ("RTAX_ADVMSS", "u32"),
    9: ("RTAX_REORDERING", "u32"),
    10: ("RTAX_HOPLIMIT", "u32"),
    11: ("RTAX_INITCWND", "u32"),
    12: ("RTAX_FEATURES", "u32"),
    13: ("RTAX_RTO_MIN", "u32"),
    14: ("RTAX_INITRWND", "u32"),
    15: ("RTAX_QUICKACK", "u32"),
    16: ("RTAX_CC_ALGO", "asciiz"),
    17: ("RTAX_FASTOPEN_NO_COOKIE", "u32"),
})

CACHEINFO = Struct("=IIiIIIII", ("rta_clntref", "rta_lastuse", "rta_expires", "rta_error",
                                "rta_used", "rta_id", "rta_ts", "rta_tsage"))


class Via:
    """RTA_VIA: struct rtvia (family + address), as {'family': n, 'addr': '...'}."""

    nested_flag = False
    _fam = struct.Struct("=H")

    def decode(self, owner, buf, start, end):
        if end - start < 2:
            raise DecodeError("RTA_VIA too short", start)
        family = self._fam.unpack_from(buf, start)[0]
        raw = bytes(buf[start + 2:end])
        if family == socket.AF_INET and len(raw) == 4:
            addr = socket.inet_ntoa(raw)
        elif family == socket.AF_INET6 and len(raw) == 16:
            addr = socket.inet_ntop(socket.AF_INET6, raw)
        else:
            addr = raw.hex()
        return {"family": family, "addr": addr}

    def encode(self, value, siblings) -> bytes:
        addr = value["addr"] if isinstance(value, dict) else value
        raw = enc_ipaddr(addr)
        family = socket.AF_INET6 if len(raw) == 16 else socket.AF_INET
        return self._fam.pack(family) + raw


ATTRS = Table("RTA_", {
    1: ("RTA_DST", "ipaddr"),
    2: ("RTA_SRC", "ipaddr"),
    3: ("RTA_IIF", "u32"),
    4: ("RTA_OIF", "u32"),
    5: ("RTA_GATEWAY", "ipaddr"),
    6: ("RTA_PRIORITY", "u32"),
    7: ("RTA_PREFSRC", "ipaddr"),
    8: ("RTA_METRICS", Nested(METRICS)),
    9: ("RTA_MULTIPATH", None),  # set below: refers to this table
    10: ("RTA_PROTOINFO", "binary"),
    11: ("RTA_FLOW", "u32"),
    12: ("RTA_CACHEINFO", CACHEINFO),
    13: ("RTA_SESSION", "binary"),
    14: ("RTA_MP_ALGO", "binary"),
    15: ("RTA_TABLE", "u32"),
    16: ("RTA_MARK", "u32"),
    17: ("RTA_MFC_STATS", "binary"),
    18: ("RTA_VIA", Via()),
    19: ("RTA_NEWDST", "binary"),
    20: ("RTA_PREF", "u8"),
    21: ("RTA_ENCAP_TYPE", "u16"),
    22: ("RTA_ENCAP", "binary"),
    23: ("RTA_EXPIRES", "u32"),
    24: ("RTA_PAD", "binary"),
    25: ("RTA_UID", "u32"),
    26: ("RTA_TTL_PROPAGATE", "u8"),
    27: ("RTA_IP_PROTO", "u8"),
    28: ("RTA_SPORT", "be16"),
    29: ("RTA_DPORT", "be16"),
    30: ("RTA_NH_ID", "u32"),
    31: ("RTA_FLOWLABEL", "be32"),
})

# struct rtnexthop: len, flags, hops, ifindex; the length is filled in by the encoder
NEXTHOP = StructSpec("=HBBi", ("rtnh_len", "flags", "hops", "oif"))
ATTRS.rows[9] = ("RTA_MULTIPATH", Multipath(NEXTHOP, ATTRS))

_HOP_LEN = struct.Struct("=H")


def split_nexthops(data: bytes) -> list[bytes]:
    """The raw struct rtnexthop entries (each with its attributes) of an RTA_MULTIPATH
    payload, in order; stops at the first one that does not fit."""
    out = []
    off, end = 0, len(data)
    while off + NEXTHOP.size <= end:
        ln = _HOP_LEN.unpack_from(data, off)[0]
        if ln < NEXTHOP.size or off + ln > end:
            break
        out.append(bytes(data[off:off + ln]))
        off += (ln + 3) & ~3
    return out
