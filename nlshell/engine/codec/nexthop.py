"""Nexthop objects: struct nhmsg and NHA_* (groups with weights, resilient group options)."""

from __future__ import annotations

import struct

from .constants import FAMILY_TYPES
from .errors import DecodeError
from .views import Enum, Nested, StructSpec, Table

TYPES = FAMILY_TYPES["nexthop"]

HEADER = StructSpec("=BBBBI", ("family", "scope", "protocol", "resvd", "flags"))


class Group:
    """NHA_GROUP: packed struct nexthop_grp {u32 id; u8 weight; u8 resvd1; u16 resvd2},
    as [{'id': n, 'weight': w}]. The kernel keeps weight - 1 on the wire (1..256 -> 0..255)."""

    nested_flag = False
    _entry = struct.Struct("=IBxH")

    def decode(self, owner, buf, start, end):
        size = self._entry.size
        if (end - start) % size:
            raise DecodeError(f"NHA_GROUP of {end - start} bytes is no array of {size}", start)
        return [{"id": i, "weight": w + 1}
                for i, w, _r in self._entry.iter_unpack(bytes(buf[start:end]))]

    def encode(self, value, siblings) -> bytes:
        out = []
        for entry in value:
            if not isinstance(entry, dict) or "id" not in entry:
                raise ValueError(f"{entry!r} is not a {{'id': n, 'weight': w}} group member")
            weight = entry.get("weight", 1)
            try:
                out.append(self._entry.pack(int(entry["id"]), int(weight) - 1, 0))
            except (struct.error, TypeError, ValueError):
                raise ValueError(f"bad group member {entry!r} (weight is 1..256)") from None
        return b"".join(out)


# NEXTHOP_GRP_TYPE_*
GROUP_TYPES = {0: "mpath", 1: "resilient"}

RES_GROUP = Table("NHA_RES_GROUP_", {
    0: ("NHA_RES_GROUP_PAD", "binary"),
    1: ("NHA_RES_GROUP_BUCKETS", "u16"),
    2: ("NHA_RES_GROUP_IDLE_TIMER", "u32"),
    3: ("NHA_RES_GROUP_UNBALANCED_TIMER", "u32"),
    4: ("NHA_RES_GROUP_UNBALANCED_TIME", "u64"),
})

RES_BUCKET = Table("NHA_RES_BUCKET_", {
    0: ("NHA_RES_BUCKET_PAD", "binary"),
    1: ("NHA_RES_BUCKET_INDEX", "u16"),
    2: ("NHA_RES_BUCKET_IDLE_TIME", "u64"),
    3: ("NHA_RES_BUCKET_NH_ID", "u32"),
})

GROUP_STATS_ENTRY = Table("NHA_GROUP_STATS_ENTRY_", {
    1: ("NHA_GROUP_STATS_ENTRY_ID", "u32"),
    2: ("NHA_GROUP_STATS_ENTRY_PACKETS", "uint"),
    3: ("NHA_GROUP_STATS_ENTRY_PACKETS_HW", "uint"),
})

GROUP_STATS = Table("NHA_GROUP_STATS_", {
    1: ("NHA_GROUP_STATS_ENTRY", Nested(GROUP_STATS_ENTRY)),
})

ATTRS = Table("NHA_", {
    1: ("NHA_ID", "u32"),
    2: ("NHA_GROUP", Group()),
    3: ("NHA_GROUP_TYPE", Enum("u16", GROUP_TYPES)),
    4: ("NHA_BLACKHOLE", "flag"),
    5: ("NHA_OIF", "u32"),
    6: ("NHA_GATEWAY", "ipaddr"),
    7: ("NHA_ENCAP_TYPE", "u16"),
    8: ("NHA_ENCAP", "binary"),
    9: ("NHA_GROUPS", "flag"),
    10: ("NHA_MASTER", "u32"),
    11: ("NHA_FDB", "flag"),
    12: ("NHA_RES_GROUP", Nested(RES_GROUP)),
    13: ("NHA_RES_BUCKET", Nested(RES_BUCKET)),
    14: ("NHA_OP_FLAGS", "u32"),
    15: ("NHA_GROUP_STATS", Nested(GROUP_STATS)),
    16: ("NHA_HW_STATS_ENABLE", "u32"),
    17: ("NHA_HW_STATS_USED", "u32"),
})
