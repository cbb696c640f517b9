"""Policy rules: `ip -j rule show` dicts from RTM_NEWRULE messages, and ip's selectors."""

from __future__ import annotations

from nlshell.commands.record import EqRecord
from nlshell.engine.codec.constants import (
    FIB_RULE_IIF_DETACHED,
    FIB_RULE_INVERT,
    FIB_RULE_OIF_DETACHED,
    FIB_RULE_UNRESOLVED,
    FR_ACT_GOTO,
    FR_ACT_NOP,
    FR_ACT_TO_TBL,
    RTM_DELRULE,
    RTM_NEWRULE,
    RTN_NAT,
    RTPROT_KERNEL,
)

from . import names as N
from .route import _pfx

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

_HEADER = ("family", "dst_len", "src_len", "tos", "table", "action", "flags")


def _range(r: dict[str, int]) -> tuple[int, int]:
    """(start, end) of a decoded fib_rule_port_range/uid_range; a short one (the codec
    decodes the fields that fit) is the range of its start alone."""
    start = r.get("start", 0)
    return start, r.get("end", start)


def _port_range(out: dict[str, Any], key: str, r: dict[str, int]) -> None:
    start, end = _range(r)
    if start == end:
        out[key] = start
    else:
        out[key + "_start"] = start
        out[key + "_end"] = end


def rule_entry(m: Any, ctx: Any) -> dict[str, Any]:
    """One rule as ip prints it."""
    head, a = m.whole()
    family, dst_len, src_len, tos, table, action, flags = head
    numeric = ctx.numeric
    host_bits = N.HOST_BITS.get(family, -1)
    out: dict[str, Any] = {}
    if m.type == RTM_DELRULE:
        out["deleted"] = True
    out["priority"] = a.get("FRA_PRIORITY", 0)
    if flags & FIB_RULE_INVERT:
        out["not"] = None
    if "FRA_SRC" in a:
        out["src"] = a["FRA_SRC"]
        if src_len != host_bits:
            out["srclen"] = src_len
    elif src_len:
        out["src"] = "0"
        out["srclen"] = src_len
    else:
        out["src"] = "all"
    if "FRA_DST" in a:
        out["dst"] = a["FRA_DST"]
        if dst_len != host_bits:
            out["dstlen"] = dst_len
    elif dst_len:
        out["dst"] = "0"
        out["dstlen"] = dst_len
    if tos:
        out["tos"] = N.dsfield_name(tos, numeric)
    if "FRA_FWMARK" in a or "FRA_FWMASK" in a:
        mark = a.get("FRA_FWMARK", 0)
        out["fwmark"] = f"{mark:#x}" if mark else "0"
        mask = a.get("FRA_FWMASK")
        if mask is not None and mask != 0xFFFFFFFF:
            out["fwmask"] = f"{mask:#x}" if mask else "0"
    if "FRA_IIFNAME" in a:
        out["iif"] = a["FRA_IIFNAME"]
        if flags & FIB_RULE_IIF_DETACHED:
            out["iif_detached"] = None
    if "FRA_OIFNAME" in a:
        out["oif"] = a["FRA_OIFNAME"]
        if flags & FIB_RULE_OIF_DETACHED:
            out["oif_detached"] = None
    if a.get("FRA_L3MDEV"):
        out["l3mdev"] = None
    if "FRA_UID_RANGE" in a:
        out["uid_start"], out["uid_end"] = _range(a["FRA_UID_RANGE"])
    if "FRA_IP_PROTO" in a:
        out["ipproto"] = N.ip_proto_name(a["FRA_IP_PROTO"], numeric)
    if "FRA_SPORT_RANGE" in a:
        _port_range(out, "sport", a["FRA_SPORT_RANGE"])
    if "FRA_DPORT_RANGE" in a:
        _port_range(out, "dport", a["FRA_DPORT_RANGE"])
    if "FRA_TUN_ID" in a:
        out["tun_id"] = a["FRA_TUN_ID"]
    table = a.get("FRA_TABLE", table)
    if table:
        out["table"] = N.table_name(table, numeric)
        pl = a.get("FRA_SUPPRESS_PREFIXLEN")
        if pl is not None and pl != 0xFFFFFFFF:
            out["suppress_prefixlen"] = pl - (1 << 32) if pl >= 1 << 31 else pl
        grp = a.get("FRA_SUPPRESS_IFGROUP")
        if grp is not None and grp != 0xFFFFFFFF:
            out["suppress_ifgroup"] = N.group_name(grp, numeric)
    if "FRA_FLOW" in a:
        flow = a["FRA_FLOW"]
        if flow >> 16:
            out["flow_from"] = N.realm_name(flow >> 16, numeric)
        out["flow_to"] = N.realm_name(flow & 0xFFFF, numeric)
    if action == RTN_NAT:
        out["masquerade"] = None  # map-to gateways are long gone from the kernel
    elif action == FR_ACT_GOTO:
        out["goto"] = a["FRA_GOTO"] if "FRA_GOTO" in a else "none"
        if flags & FIB_RULE_UNRESOLVED:
            out["unresolved"] = None
    elif action == FR_ACT_NOP:
        out["nop"] = None
    elif action != FR_ACT_TO_TBL:
        out["action"] = N.rtn_type_name(action, numeric)
    if "FRA_PROTOCOL" in a:
        proto = a["FRA_PROTOCOL"]
        if (proto and proto != RTPROT_KERNEL) or ctx.details:
            out["protocol"] = N.proto_name(proto, numeric)
    return out


def rule_json(msgs: Iterable[Any], ctx: Any) -> list[dict[str, Any]]:
    """`ip -j rule show` for these messages (select them first with RuleQuery)."""
    return [rule_entry(m, ctx) for m in msgs if m.type in (RTM_NEWRULE, RTM_DELRULE)]


class RuleQuery(EqRecord):
    """ip's `rule show` selectors: ``family`` (IPv4 when none is given, as ip),
    ``pref N``, ``table T``, ``not``, ``from PREFIX``, ``to PREFIX``, ``iif``/``oif NAME``,
    ``fwmark N``."""

    FIELDS = ("family", "pref", "table", "not_", "src", "dst", "iif", "oif", "fwmark")

    def __init__(self, family: int | str | None = None, pref: int | None = None,
                 table: int | str | None = None, not_: bool = False, src: Any = None,
                 dst: Any = None, iif: str | None = None, oif: str | None = None,
                 fwmark: int | None = None) -> None:
        self.family = family
        self.pref = pref
        self.table = table
        self.not_ = not_
        self.src = src
        self.dst = dst
        self.iif = iif
        self.oif = oif
        self.fwmark = fwmark
        self.__post_init__()

    def __post_init__(self) -> None:
        self._family = N.family_id(self.family) or N.AF_INET
        self._table = None if self.table in (None, "all") else N.table_id(self.table)
        self._src = None if self.src is None else _pfx(self.src, self._family, "from")
        self._dst = None if self.dst is None else _pfx(self.dst, self._family, "to")

    def select(self, msgs: Iterable[Any], ctx: Any = None) -> list[Any]:
        out = []
        for m in msgs:
            if m.type not in (RTM_NEWRULE, RTM_DELRULE):
                continue
            family, dst_len, src_len, _tos, table, _act, flags = m.header_tuple()
            if family != self._family:
                continue
            if self.pref is not None and (m.get("FRA_PRIORITY") or 0) != self.pref:
                continue
            if self.not_ and not flags & FIB_RULE_INVERT:
                continue
            if self._src is not None and not _prefix_ok(self._src, m.get("FRA_SRC"), src_len):
                continue
            if self._dst is not None and not _prefix_ok(self._dst, m.get("FRA_DST"), dst_len):
                continue
            if self.iif is not None and m.get("FRA_IIFNAME") != self.iif:
                continue
            if self.oif is not None and m.get("FRA_OIFNAME") != self.oif:
                continue
            if self.fwmark is not None and (m.get("FRA_FWMARK") or 0) != self.fwmark:
                continue
            if self._table is not None:
                t = m.get("FRA_TABLE")
                if (table if t is None else t) != self._table:
                    continue
            out.append(m)
        return out


def _prefix_ok(p: Any, addr: str | None, length: int) -> bool:
    if p.net is None:
        return True
    return p.bits <= length and p.covers(addr, length)


def select_rules(msgs: Iterable[Any], ctx: Any = None, **selectors: Any) -> list[Any]:
    """`RuleQuery(**selectors).select(msgs, ctx)`."""
    return RuleQuery(**selectors).select(msgs, ctx)
