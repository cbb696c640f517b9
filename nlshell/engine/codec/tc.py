"""Traffic control: struct tcmsg and TCA_* (qdiscs, classes and filters share one table),
TCA_OPTIONS read by the table of the object's TCA_KIND, statistics (TCA_STATS2, TCA_STATS).

Struct layouts follow the kernel's uapi headers (pkt_sched.h, pkt_cls.h, gen_stats.h,
tc_act/*.h); a ratespec (struct tc_ratespec) is flattened into ``<name>_`` fields.
"""

from __future__ import annotations

import struct

from .constants import FAMILY_TYPES, TC_ACT_NAMES, TCA_MIRRED_ACTIONS
from .errors import DecodeError
from .views import Headed, Nested, Select, Struct, StructSpec, Table

TYPES = FAMILY_TYPES["tc"]

# struct tcmsg {u8 family; u8 pad1; u16 pad2; int ifindex; u32 handle; u32 parent; u32 info}
HEADER = StructSpec("=BxxxiIII", ("family", "index", "handle", "parent", "info"))

# struct tc_ratespec {u8 cell_log; u8 linklayer; u16 overhead; s16 cell_align; u16 mpu;
# u32 rate}
RATESPEC_FMT = "BBHhHI"
RATESPEC_FIELDS = ("cell_log", "linklayer", "overhead", "cell_align", "mpu", "rate")


def ratespec(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}_{n}" if n != "rate" else prefix for n in RATESPEC_FIELDS)


# --- statistics (gen_stats.h) ------------------------------------------------------------

STATS2 = Table("TCA_STATS_", {
    1: ("TCA_STATS_BASIC", Struct("=QI", ("bytes", "packets"))),
    2: ("TCA_STATS_RATE_EST", Struct("=II", ("bps", "pps"))),
    3: ("TCA_STATS_QUEUE", Struct("=IIIII", ("qlen", "backlog", "drops", "requeues",
                                              "overlimits"))),
    4: ("TCA_STATS_APP", "binary"),
    5: ("TCA_STATS_RATE_EST64", Struct("=QQ", ("bps", "pps"))),
    6: ("TCA_STATS_PAD", "binary"),
    7: ("TCA_STATS_BASIC_HW", Struct("=QI", ("bytes", "packets"))),
    8: ("TCA_STATS_PKT64", "u64"),
})

# struct tc_stats (the old statistics block)
OLD_STATS = Struct("=QIIIIIII", ("bytes", "packets", "drops", "overlimits", "bps", "pps",
                                 "qlen", "backlog"))

# --- qdisc and class options -------------------------------------------------------------

HTB = Table("TCA_HTB_", {
    1: ("TCA_HTB_PARMS", Struct("=" + RATESPEC_FMT * 2 + "IIIII",
                                ratespec("rate") + ratespec("ceil")
                                + ("buffer", "cbuffer", "quantum", "level", "prio"))),
    2: ("TCA_HTB_INIT", Struct("=IIIII", ("version", "rate2quantum", "defcls", "debug",
                                          "direct_pkts"))),
    3: ("TCA_HTB_CTAB", "binary"),
    4: ("TCA_HTB_RTAB", "binary"),
    5: ("TCA_HTB_DIRECT_QLEN", "u32"),
    6: ("TCA_HTB_RATE64", "u64"),
    7: ("TCA_HTB_CEIL64", "u64"),
    8: ("TCA_HTB_PAD", "binary"),
    9: ("TCA_HTB_OFFLOAD", "flag"),
})

TBF = Table("TCA_TBF_", {
    1: ("TCA_TBF_PARMS", Struct("=" + RATESPEC_FMT * 2 + "III",
                                ratespec("rate") + ratespec("peakrate")
                                + ("limit", "buffer", "mtu"))),
    2: ("TCA_TBF_RTAB", "binary"),
    3: ("TCA_TBF_PTAB", "binary"),
    4: ("TCA_TBF_RATE64", "u64"),
    5: ("TCA_TBF_PRATE64", "u64"),
    6: ("TCA_TBF_BURST", "u32"),
    7: ("TCA_TBF_PBURST", "u32"),
    8: ("TCA_TBF_PAD", "binary"),
})

# netem's TCA_OPTIONS: struct tc_netem_qopt, then attributes (not a nested block)
NETEM_QOPT = StructSpec("=IIIIII", ("latency", "limit", "loss", "gap", "duplicate",
                                    "jitter"))
NETEM = Table("TCA_NETEM_", {
    1: ("TCA_NETEM_CORR", Struct("=III", ("delay_corr", "loss_corr", "dup_corr"))),
    2: ("TCA_NETEM_DELAY_DIST", "binary"),
    3: ("TCA_NETEM_REORDER", Struct("=II", ("probability", "correlation"))),
    4: ("TCA_NETEM_CORRUPT", Struct("=II", ("probability", "correlation"))),
    5: ("TCA_NETEM_LOSS", "binary"),
    6: ("TCA_NETEM_RATE", Struct("=IiIi", ("rate", "packet_overhead", "cell_size",
                                           "cell_overhead"))),
    7: ("TCA_NETEM_ECN", "u32"),
    8: ("TCA_NETEM_RATE64", "u64"),
    9: ("TCA_NETEM_PAD", "binary"),
    10: ("TCA_NETEM_LATENCY64", "s64"),
    11: ("TCA_NETEM_JITTER64", "s64"),
    12: ("TCA_NETEM_SLOT", "binary"),
    13: ("TCA_NETEM_SLOT_DIST", "binary"),
    14: ("TCA_NETEM_PRNG_SEED", "u64"),
})

FQ_CODEL = Table("TCA_FQ_CODEL_", {
    1: ("TCA_FQ_CODEL_TARGET", "u32"),
    2: ("TCA_FQ_CODEL_LIMIT", "u32"),
    3: ("TCA_FQ_CODEL_INTERVAL", "u32"),
    4: ("TCA_FQ_CODEL_ECN", "u32"),
    5: ("TCA_FQ_CODEL_FLOWS", "u32"),
    6: ("TCA_FQ_CODEL_QUANTUM", "u32"),
    7: ("TCA_FQ_CODEL_CE_THRESHOLD", "u32"),
    8: ("TCA_FQ_CODEL_DROP_BATCH_SIZE", "u32"),
    9: ("TCA_FQ_CODEL_MEMORY_LIMIT", "u32"),
    10: ("TCA_FQ_CODEL_CE_THRESHOLD_SELECTOR", "u8"),
    11: ("TCA_FQ_CODEL_CE_THRESHOLD_MASK", "u8"),
})


class PrioMap:
    """struct tc_prio_qopt {int bands; u8 priomap[16]} (prio, pfifo_fast): a plain struct
    payload, as {'bands': n, 'priomap': [16 bands]}."""

    nested_flag = False
    _st = struct.Struct("=i16B")

    def decode(self, owner, buf, start, end):
        if end - start < self._st.size:
            raise DecodeError(f"tc_prio_qopt of {end - start} bytes", start)
        bands, *priomap = self._st.unpack_from(buf, start)
        return {"bands": bands, "priomap": priomap}

    def encode(self, value, siblings) -> bytes:
        if not isinstance(value, dict):
            raise ValueError(f"{value!r} is not a dict of bands, priomap")
        priomap = list(value.get("priomap") or [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1])
        if len(priomap) != 16:
            raise ValueError(f"priomap needs 16 bands, has {len(priomap)}")
        try:
            return self._st.pack(int(value.get("bands", 3)), *(int(p) for p in priomap))
        except (struct.error, TypeError, ValueError):
            raise ValueError(f"bad prio options {value!r}") from None


FIFO = Struct("=I", ("limit",))  # struct tc_fifo_qopt
NO_OPTIONS = Table("TCA_NONE_", {})  # ingress, clsact: an empty TCA_OPTIONS

# --- actions (tc_act/*.h) ----------------------------------------------------------------

# struct tc_gen: u32 index; u32 capab; int action; int refcnt; int bindcnt
_TC_GEN = ("index", "capab", "action", "refcnt", "bindcnt")
TCF_T = Struct("=QQQQ", ("install", "lastuse", "expires", "firstuse"))

GACT = Table("TCA_GACT_", {
    1: ("TCA_GACT_TM", TCF_T),
    2: ("TCA_GACT_PARMS", Struct("=IIiii", _TC_GEN)),
    3: ("TCA_GACT_PROB", Struct("=HHi", ("ptype", "pval", "paction"))),
    4: ("TCA_GACT_PAD", "binary"),
})

MIRRED = Table("TCA_MIRRED_", {
    1: ("TCA_MIRRED_TM", TCF_T),
    2: ("TCA_MIRRED_PARMS", Struct("=IIiiiiI", _TC_GEN + ("eaction", "ifindex"))),
    3: ("TCA_MIRRED_PAD", "binary"),
})

ACT = Table("TCA_ACT_", {
    1: ("TCA_ACT_KIND", "asciiz"),
    2: ("TCA_ACT_OPTIONS", Select("kind", {"gact": Nested(GACT), "mirred": Nested(MIRRED)})),
    3: ("TCA_ACT_INDEX", "u32"),
    4: ("TCA_ACT_STATS", Nested(STATS2)),
    5: ("TCA_ACT_PAD", "binary"),
    6: ("TCA_ACT_COOKIE", "binary"),
    7: ("TCA_ACT_FLAGS", "u32"),
    8: ("TCA_ACT_HW_STATS", "u32"),
    9: ("TCA_ACT_USED_HW_STATS", "u32"),
    10: ("TCA_ACT_IN_HW_COUNT", "u32"),
})


class Actions:
    """An action list (TCA_*_ACT): a nested block whose attribute numbers are the actions'
    order (1, 2, ...), each a TCA_ACT_* block. Encoded from a list of blocks."""

    nested_flag = True
    item_table = ACT  # (not `table`: the sample walker reaches ACT through its samples)

    def __init__(self) -> None:
        self._one = Nested(ACT)

    def decode(self, owner, buf, start, end):
        from . import nla

        return [self._one.decode(owner, buf, s, e) for _t, s, e in nla.walk_list(buf, start, end)]

    def encode(self, value, siblings) -> bytes:
        from . import nla
        from .constants import NLA_F_NESTED

        if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
            raise ValueError(f"{value!r} is not a list of actions")
        return b"".join(nla.pack_attr((i + 1) | NLA_F_NESTED, self._one.encode(a, siblings))
                        for i, a in enumerate(value))


ACTIONS = Actions()

# verdict and mirred action names, for renderers and request builders
GACT_ACTIONS = TC_ACT_NAMES
MIRRED_ACTIONS = TCA_MIRRED_ACTIONS

# --- classifiers (pkt_cls.h) -------------------------------------------------------------

MATCHALL = Table("TCA_MATCHALL_", {
    1: ("TCA_MATCHALL_CLASSID", "u32"),
    2: ("TCA_MATCHALL_ACT", ACTIONS),
    3: ("TCA_MATCHALL_FLAGS", "u32"),
    4: ("TCA_MATCHALL_PCNT", Struct("=Q", ("rule_hit",))),
    5: ("TCA_MATCHALL_PAD", "binary"),
})


class U32Sel:
    """struct tc_u32_sel {u8 flags, offshift, nkeys, pad; be16 offmask; u16 off;
    s16 offoff, hoff; be32 hmask} + nkeys × struct tc_u32_key {be32 mask, val; int off,
    offmask}, as a dict with 'keys': [{'mask', 'val', 'off', 'offmask'}]."""

    nested_flag = False
    _head = struct.Struct("=BBBxHHhhI")
    _key = struct.Struct("!IIii")
    _fields = ("flags", "offshift", "nkeys", "offmask", "off", "offoff", "hoff", "hmask")

    def decode(self, owner, buf, start, end):
        if end - start < self._head.size:
            raise DecodeError(f"tc_u32_sel of {end - start} bytes", start)
        head = dict(zip(self._fields, self._head.unpack_from(buf, start), strict=True))
        body = bytes(buf[start + self._head.size:end])
        n = min(head["nkeys"], len(body) // self._key.size)
        head["keys"] = [dict(zip(("mask", "val", "off", "offmask"), k, strict=True))
                        for k in self._key.iter_unpack(body[:n * self._key.size])]
        return head

    def encode(self, value, siblings) -> bytes:
        if not isinstance(value, dict):
            raise ValueError(f"{value!r} is not a u32 selector dict")
        keys = list(value.get("keys") or [])
        try:
            head = {f: int(value.get(f, 0)) for f in self._fields}
            head["nkeys"] = len(keys)
            # offmask and hmask are big-endian on the wire
            out = [self._head.pack(head["flags"], head["offshift"], head["nkeys"],
                                   _swap16(head["offmask"]), head["off"], head["offoff"],
                                   head["hoff"], _swap32(head["hmask"]))]
            out += [self._key.pack(int(k.get("mask", 0)), int(k.get("val", 0)),
                                   int(k.get("off", 0)), int(k.get("offmask", 0)))
                    for k in keys]
        except (struct.error, TypeError, ValueError, AttributeError):
            raise ValueError(f"bad u32 selector {value!r}") from None
        return b"".join(out)


def _swap16(v: int) -> int:
    return int.from_bytes(v.to_bytes(2, "big"), "little") if v else 0


def _swap32(v: int) -> int:
    return int.from_bytes(v.to_bytes(4, "big"), "little") if v else 0


U32 = Table("TCA_U32_", {
    1: ("TCA_U32_CLASSID", "u32"),
    2: ("TCA_U32_HASH", "u32"),
    3: ("TCA_U32_LINK", "u32"),
    4: ("TCA_U32_DIVISOR", "u32"),
    5: ("TCA_U32_SEL", U32Sel()),
    6: ("TCA_U32_POLICE", "binary"),
    7: ("TCA_U32_ACT", ACTIONS),
    8: ("TCA_U32_INDEV", "asciiz"),
    9: ("TCA_U32_PCNT", "binary"),
    10: ("TCA_U32_MARK", Struct("=III", ("val", "mask", "success"))),
    11: ("TCA_U32_FLAGS", "u32"),
    12: ("TCA_U32_PAD", "binary"),
})

FLOWER = Table("TCA_FLOWER_", {
    1: ("TCA_FLOWER_CLASSID", "u32"),
    2: ("TCA_FLOWER_INDEV", "asciiz"),
    3: ("TCA_FLOWER_ACT", ACTIONS),
    4: ("TCA_FLOWER_KEY_ETH_DST", "lladdr"),
    5: ("TCA_FLOWER_KEY_ETH_DST_MASK", "lladdr"),
    6: ("TCA_FLOWER_KEY_ETH_SRC", "lladdr"),
    7: ("TCA_FLOWER_KEY_ETH_SRC_MASK", "lladdr"),
    8: ("TCA_FLOWER_KEY_ETH_TYPE", "be16"),
    9: ("TCA_FLOWER_KEY_IP_PROTO", "u8"),
    10: ("TCA_FLOWER_KEY_IPV4_SRC", "ipaddr"),
    11: ("TCA_FLOWER_KEY_IPV4_SRC_MASK", "ipaddr"),
    12: ("TCA_FLOWER_KEY_IPV4_DST", "ipaddr"),
    13: ("TCA_FLOWER_KEY_IPV4_DST_MASK", "ipaddr"),
    14: ("TCA_FLOWER_KEY_IPV6_SRC", "ipaddr"),
    15: ("TCA_FLOWER_KEY_IPV6_SRC_MASK", "ipaddr"),
    16: ("TCA_FLOWER_KEY_IPV6_DST", "ipaddr"),
    17: ("TCA_FLOWER_KEY_IPV6_DST_MASK", "ipaddr"),
    18: ("TCA_FLOWER_KEY_TCP_SRC", "be16"),
    19: ("TCA_FLOWER_KEY_TCP_DST", "be16"),
    20: ("TCA_FLOWER_KEY_UDP_SRC", "be16"),
    21: ("TCA_FLOWER_KEY_UDP_DST", "be16"),
    22: ("TCA_FLOWER_FLAGS", "u32"),
    23: ("TCA_FLOWER_KEY_VLAN_ID", "u16"),
    24: ("TCA_FLOWER_KEY_VLAN_PRIO", "u8"),
    25: ("TCA_FLOWER_KEY_VLAN_ETH_TYPE", "be16"),
})

# TCA_KIND -> the table its TCA_OPTIONS is read with
OPTIONS_BY_KIND = {
    "htb": Nested(HTB),
    "tbf": Nested(TBF),
    "netem": Headed(NETEM_QOPT, NETEM),
    "fq_codel": Nested(FQ_CODEL),
    "prio": PrioMap(),
    "pfifo_fast": PrioMap(),
    "pfifo": FIFO,
    "bfifo": FIFO,
    "pfifo_head_drop": FIFO,
    "ingress": Nested(NO_OPTIONS),
    "clsact": Nested(NO_OPTIONS),
    "matchall": Nested(MATCHALL),
    "u32": Nested(U32),
    "flower": Nested(FLOWER),
}

HTB_XSTATS = Struct("=IIIii", ("lends", "borrows", "giants", "tokens", "ctokens"))

# a qdisc's size table (tc ... stab): struct tc_sizespec {u8 cell_log; u8 size_log;
# s16 cell_align; int overhead; u32 linklayer; u32 mpu; u32 mtu; u32 tsize}, then its cells
STAB = Table("TCA_STAB_", {
    1: ("TCA_STAB_BASE", Struct("=BBhiIIII", ("cell_log", "size_log", "cell_align",
                                             "overhead", "linklayer", "mpu", "mtu",
                                             "tsize"))),
    2: ("TCA_STAB_DATA", "binary"),
})

ATTRS = Table("TCA_", {
    1: ("TCA_KIND", "asciiz"),
    2: ("TCA_OPTIONS", Select("kind", OPTIONS_BY_KIND)),
    3: ("TCA_STATS", OLD_STATS),
    4: ("TCA_XSTATS", Select("kind", {"htb": HTB_XSTATS})),
    5: ("TCA_RATE", Struct("=bB", ("interval", "ewma_log"))),
    6: ("TCA_FCNT", "u32"),
    7: ("TCA_STATS2", Nested(STATS2)),
    8: ("TCA_STAB", Nested(STAB)),
    9: ("TCA_PAD", "binary"),
    10: ("TCA_DUMP_INVISIBLE", "flag"),
    11: ("TCA_CHAIN", "u32"),
    12: ("TCA_HW_OFFLOAD", "u8"),
    13: ("TCA_INGRESS_BLOCK", "u32"),
    14: ("TCA_EGRESS_BLOCK", "u32"),
    15: ("TCA_DUMP_FLAGS", "binary"),
    16: ("TCA_EXT_WARN_MSG", "asciiz"),
})
