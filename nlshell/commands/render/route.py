"""Routes: `ip -j route show` dicts from RTM_NEWROUTE messages, and ip's route selectors.

``RouteQuery(...).select(msgs, ctx)`` keeps the routes ``ip route show SELECTORS`` would
show (main table and IPv4 by default, no cloned routes), and ``RouteQuery.hidden`` names
the fields ip leaves out because a selector fixed them (``dev``, ``table``, ``protocol``...).
``route_json(routes, ctx, hide=query.hidden)`` renders them. Rendering is the hot path of
a 100,000-route table: one attribute walk per message, no per-field lookups.
"""

from __future__ import annotations

import _socket as socket  # the C module: socket.py imports enum (start-up time)
import json
import os

from nlshell.commands.record import EqRecord
from nlshell.engine.codec import constants as C
from nlshell.engine.codec.constants import (
    RTAX_FEATURE_ECN,
    RTM_DELROUTE,
    RTM_F_CLONED,
    RTM_NEWROUTE,
    RTN_MULTICAST,
    RTN_UNICAST,
    RTPROT_BOOT,
)

from . import names as N
from .link import _index

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Collection, Iterable
    from typing import Any

_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

# rtm_flags / rtnh_flags in ip's order
_RT_FLAGS = ((C.RTNH_F_DEAD, "dead"), (C.RTNH_F_ONLINK, "onlink"),
             (C.RTNH_F_PERVASIVE, "pervasive"), (C.RTNH_F_OFFLOAD, "offload"),
             (C.RTNH_F_TRAP, "trap"), (C.RTM_F_NOTIFY, "notify"),
             (C.RTNH_F_LINKDOWN, "linkdown"), (C.RTNH_F_UNRESOLVED, "unresolved"),
             (C.RTM_F_OFFLOAD, "rt_offload"), (C.RTM_F_TRAP, "rt_trap"),
             (C.RTM_F_OFFLOAD_FAILED, "rt_offload_failed"))
_RT_FLAG_MASK = 0
for _bit, _ in _RT_FLAGS:
    _RT_FLAG_MASK |= _bit

# RTCF_* cache flags of cloned IPv4 routes (high 16 bits of rtm_flags), in ip's order
_CACHE_FLAGS = ((0x80000000, "local"), (0x40000000, "reject"), (0x20000000, "mc"),
                (0x10000000, "brd"), (0x08000000, "dst-nat"), (0x00800000, "src-nat"),
                (0x00400000, "masq"), (0x00020000, "dst-direct"), (0x04000000, "src-direct"),
                (0x00040000, "redirected"), (0x01000000, "redirect"), (0x00200000, "fastroute"),
                (0x00010000, "notify"), (0x00080000, "proxy"))

# RTAX_* metric names (ip's mx_names); RTT/RTTVAR are scaled, CC_ALGO is a string
_METRICS = (("RTAX_MTU", "mtu"), ("RTAX_WINDOW", "window"), ("RTAX_RTT", "rtt"),
            ("RTAX_RTTVAR", "rttvar"), ("RTAX_SSTHRESH", "ssthresh"), ("RTAX_CWND", "cwnd"),
            ("RTAX_ADVMSS", "advmss"), ("RTAX_REORDERING", "reordering"),
            ("RTAX_HOPLIMIT", "hoplimit"), ("RTAX_INITCWND", "initcwnd"),
            ("RTAX_FEATURES", "features"), ("RTAX_RTO_MIN", "rto_min"),
            ("RTAX_INITRWND", "initrwnd"), ("RTAX_QUICKACK", "quickack"),
            ("RTAX_CC_ALGO", "congestion"), ("RTAX_FASTOPEN_NO_COOKIE", "fastopen_no_cookie"))
_PREFS = {0: "medium", 1: "high", 3: "low"}
CACHEINFO_FIELDS = ("rta_clntref", "rta_lastuse", "rta_expires", "rta_error", "rta_used",
                    "rta_id", "rta_ts", "rta_tsage")


def rt_flags(flags: int) -> list[str]:
    if not flags & _RT_FLAG_MASK:
        return []
    return [name for bit, name in _RT_FLAGS if flags & bit]


def _metrics(mx: Any) -> dict[str, Any]:
    a = mx.attr_dict()
    lock = a.get("RTAX_LOCK", 0)
    out: dict[str, Any] = {}
    for i, (attr, key) in enumerate(_METRICS, start=2):
        v = a.get(attr)
        if v is None:
            if not lock >> i & 1:
                continue
            v = 0  # a locked metric without a value prints 0, as ip
        if key == "hoplimit" and v == 0xFFFFFFFF:
            continue
        if key == "features":
            if v & RTAX_FEATURE_ECN:
                out["ecn"] = None
            if v & ~RTAX_FEATURE_ECN:
                out["features"] = f"{v:#x}"
        elif key == "rtt":
            out[key] = v // 8
        elif key == "rttvar":
            out[key] = v // 4
        else:
            out[key] = v
    return out


def _flow(v: int, numeric: bool) -> dict[str, str]:
    out = {}
    if v >> 16:
        out["from"] = N.realm_name(v >> 16, numeric)
    out["to"] = N.realm_name(v & 0xFFFF, numeric)
    return out


def _via(v: dict[str, Any]) -> dict[str, Any]:
    fam = N.family_name(v.get("family", 0)) or "???"
    return {"family": fam, "host": v.get("addr", "")}


def _cacheinfo(out: dict[str, Any], cacheinfo: dict[str, int], stats: int) -> None:
    # a short RTA_CACHEINFO decodes to the fields that fit: the others read as 0
    ci = dict.fromkeys(CACHEINFO_FIELDS, 0)
    ci.update(cacheinfo)
    exp = ci["rta_expires"]
    if exp:
        out["expires"] = int(exp / _HZ)
    if ci["rta_error"]:
        out["error"] = ci["rta_error"]
    if stats:
        if ci["rta_clntref"]:
            out["users"] = ci["rta_clntref"]
        if ci["rta_used"]:
            out["used"] = ci["rta_used"]
        if ci["rta_lastuse"]:
            out["age"] = ci["rta_lastuse"] // _HZ
    if ci["rta_id"]:
        out["ipid"] = f"{ci['rta_id']:#x}"
    if ci["rta_ts"] or ci["rta_tsage"]:
        out["ts"] = f"{ci['rta_ts']:#x}" if ci["rta_ts"] else "0"
        out["tsage"] = ci["rta_tsage"]


def _nexthops(hops: list[Any], family: int, mcast_cloned: bool, ctx: Any
              ) -> list[dict[str, Any]]:
    out = []
    for nh in hops:
        d: dict[str, Any] = {}
        a = nh.attr_dict()
        if "RTA_GATEWAY" in a:
            d["gateway"] = a["RTA_GATEWAY"]
        if "RTA_VIA" in a:
            d["via"] = _via(a["RTA_VIA"])
        if "RTA_FLOW" in a:
            d["flow"] = _flow(a["RTA_FLOW"], ctx.numeric)
        d["dev"] = ctx.ifname(nh["oif"])
        hops_ = nh["hops"]
        if mcast_cloned:
            if hops_ != 1:
                d["ttl"] = hops_
        elif family != N.AF_MPLS:
            d["weight"] = hops_ + 1
        d["flags"] = rt_flags(nh["flags"])
        out.append(d)
    return out


def _prefix_text(addr: str | None, length: int, host_bits: int) -> str | None:
    if addr is None:
        return f"0/{length} " if length else None  # ip's own spelling, space included
    return addr if length == host_bits else f"{addr}/{length}"


_HEADER = ("family", "dst_len", "src_len", "tos", "table", "proto", "scope", "type", "flags")
_COMMON = frozenset(("RTA_TABLE", "RTA_DST", "RTA_SRC", "RTA_GATEWAY", "RTA_OIF",
                     "RTA_PREFSRC", "RTA_PRIORITY", "RTA_NH_ID", "RTA_VIA"))


def route_entry(m: Any, ctx: Any, hide: Collection[str] = ()) -> dict[str, Any]:
    """One route as ip prints it; `hide` names fields a selector fixed (see RouteQuery)."""
    head, a = m.whole()
    family, dst_len, src_len, tos, rtable, proto, scope, rtype, rflags = head
    details = ctx.details
    numeric = ctx.numeric
    host_bits = N.HOST_BITS.get(family, 0)
    out: dict[str, Any] = {}
    if m.type == RTM_DELROUTE:
        out["deleted"] = True
    if rtype != RTN_UNICAST or details:
        out["type"] = N.rtn_type_name(rtype, numeric)
    out["dst"] = _prefix_text(a.get("RTA_DST"), dst_len, host_bits) or "default"
    if "RTA_SRC" in a:
        out["from"] = _prefix_text(a["RTA_SRC"], src_len, host_bits)
    elif src_len:
        out["src"] = f"0/{src_len}"
    if "RTA_NH_ID" in a:
        out["nhid"] = a["RTA_NH_ID"]
    if tos and "tos" not in hide:
        out["tos"] = N.dsfield_name(tos, numeric)
    if "RTA_GATEWAY" in a and "gateway" not in hide:
        out["gateway"] = a["RTA_GATEWAY"]
    if "RTA_VIA" in a:
        out["via"] = _via(a["RTA_VIA"])
    if "RTA_OIF" in a and "dev" not in hide:
        out["dev"] = ctx.ifname(a["RTA_OIF"])
    table = a.get("RTA_TABLE", rtable)
    if table and (table != N.RT_TABLE_MAIN or details) and "table" not in hide:
        out["table"] = N.table_name(table, numeric)
    cloned = rflags & RTM_F_CLONED
    if not cloned:
        if (proto != RTPROT_BOOT or details) and "protocol" not in hide:
            out["protocol"] = N.proto_name(proto, numeric)
        if (scope or details) and "scope" not in hide:
            out["scope"] = N.scope_name(scope, numeric)
    if "RTA_PREFSRC" in a and "prefsrc" not in hide:
        out["prefsrc"] = a["RTA_PREFSRC"]
    if "RTA_PRIORITY" in a and "metric" not in hide:
        out["metric"] = a["RTA_PRIORITY"]
    out["flags"] = rt_flags(rflags)
    if details and "RTA_NH_ID" in a:
        _nh_info(out, a["RTA_NH_ID"], ctx)
    if not _COMMON.issuperset(a):  # the rarer attributes; most routes stop here
        _rare(out, a, rflags, family, cloned, rtype, ctx, hide)
    return out


def _nh_info(out: dict[str, Any], nh_id: int, ctx: Any) -> None:
    """ip -d: the nexthop object a route uses, as `ip -d nexthop show` prints it."""
    nh = ctx.nexthops.get(nh_id)
    if nh is not None:
        from .nexthop import nexthop_entry

        out["nh_info"] = nexthop_entry(nh, ctx)


def _rare(out: dict[str, Any], a: dict[str, Any], flags: int, family: int, cloned: int,
          rtype: int, ctx: Any, hide: Collection[str]) -> None:
    if a.get("RTA_MARK"):
        out["mark"] = a["RTA_MARK"]
    if "RTA_FLOW" in a:
        out["flow"] = _flow(a["RTA_FLOW"], ctx.numeric)
    if "RTA_UID" in a:
        out["uid"] = a["RTA_UID"]
    if family == N.AF_INET and cloned:
        out["cache"] = [name for bit, name in _CACHE_FLAGS if flags & bit]
    if family in (N.AF_INET, N.AF_INET6) and "RTA_CACHEINFO" in a:
        _cacheinfo(out, a["RTA_CACHEINFO"], ctx.stats)
    if "RTA_METRICS" in a:
        out["metrics"] = [_metrics(a["RTA_METRICS"])]
    if "RTA_IIF" in a and "iif" not in hide:
        out["iif"] = ctx.ifname(a["RTA_IIF"])
    if "RTA_PREF" in a:
        pref = a["RTA_PREF"]
        out["pref"] = _PREFS.get(pref, pref)
    if "RTA_TTL_PROPAGATE" in a:
        out["ttl-propogate"] = bool(a["RTA_TTL_PROPAGATE"])  # sic: ip's key
    if "RTA_MULTIPATH" in a:
        out["nexthops"] = _nexthops(a["RTA_MULTIPATH"], family,
                                    bool(cloned and rtype == RTN_MULTICAST), ctx)


def route_json(msgs: Iterable[Any], ctx: Any, hide: Collection[str] = ()
               ) -> list[dict[str, Any]]:
    """`ip -j route show` for these route messages (select them first with RouteQuery)."""
    entry = RouteFast(ctx, hide).entry
    return [entry(m) for m in msgs if m.type in (RTM_NEWROUTE, RTM_DELROUTE)]


# --- the common route, read in one call ---------------------------------------------

# What a plain route's JSON and row need, read by ``wire_values`` (one struct call that
# also recognises the message's layout); the _RARE attributes must all be absent for
# this way (anything else route_entry renders), else route_entry reads the message.
_RARE = ("RTA_SRC", "RTA_NH_ID", "RTA_VIA", "RTA_MARK", "RTA_FLOW", "RTA_UID",
         "RTA_CACHEINFO", "RTA_METRICS", "RTA_IIF", "RTA_PREF", "RTA_TTL_PROPAGATE",
         "RTA_MULTIPATH")
READ = (*_HEADER, "RTA_TABLE", "RTA_DST", "RTA_GATEWAY", "RTA_OIF", "RTA_PREFSRC",
        "RTA_PRIORITY", *_RARE)
_NONE = (None,) * len(_RARE)
_dumps = json.JSONEncoder(separators=(",", ":")).encode  # ip -j's compact form
_NRARE = len(READ) - len(_RARE)
_ntoa = socket.inet_ntoa
AF_INET = C.AF_INET
_TEXT = {4: socket.inet_ntoa, 16: lambda b: socket.inet_ntop(socket.AF_INET6, b)}


class RouteFast:
    """JSON entries and table cells of plain routes (main-table style: dst, gateway, dev,
    prefsrc, metric), formatted from ``wire_values``; the parts a header decides (type,
    table, protocol, scope, flags) worked out once per distinct header, the device's name
    once per index. ``read(m)`` is None for a route it does not take (route_entry's)."""

    def __init__(self, ctx: Any, hide: Collection[str] = ()) -> None:
        self.ctx, self.hide = ctx, frozenset(hide)
        self._heads: dict[tuple, tuple] = {}
        self.devs: dict[int, str] = {}
        self._frags: dict[int, tuple] = {}  # id(head parts) -> JSON fragments
        self._jdevs: dict[int, str] = {}

    def read(self, m: Any) -> tuple | None:
        """(head parts, dst text, gateway, oif, prefsrc, metric, tos) of a plain route."""
        v = m.wire_values(READ)
        if v[_NRARE:] != _NONE or v[8] & RTM_F_CLONED or m.type != RTM_NEWROUTE:
            return None
        dst, gw, oif, src, metric = v[10:15]
        if oif is not None and oif.__class__ is not int or \
                metric is not None and metric.__class__ is not int or \
                v[9] is not None and v[9].__class__ is not int:
            return None
        dst_len = v[1]
        if dst is None:
            dst = f"0/{dst_len} " if dst_len else "default"
        else:
            if len(dst) == 4:  # (the common case first: one call, no lookups)
                dst = _ntoa(dst)
                if dst_len != 32 or v[0] != AF_INET:
                    if dst_len != N.HOST_BITS.get(v[0], 0):
                        dst = f"{dst}/{dst_len}"
            else:
                text = _TEXT.get(len(dst))
                if text is None:
                    return None
                dst = text(dst)
                if dst_len != N.HOST_BITS.get(v[0], 0):
                    dst = f"{dst}/{dst_len}"
        if gw is not None:
            text = _TEXT.get(len(gw))
            if text is None:
                return None
            gw = text(gw)
        if src is not None:
            text = _TEXT.get(len(src))
            if text is None:
                return None
            src = text(src)
        key = v[:10]
        head = self._heads.get(key) or self._head(key)
        return head, dst, gw, oif, src, metric

    def _head(self, key: tuple) -> tuple:
        family, dst_len, src_len, tos, rtable, proto, scope, rtype, rflags, table = key
        ctx, hide = self.ctx, self.hide
        details, numeric = ctx.details, ctx.numeric
        tname = N.rtn_type_name(rtype, numeric) if rtype != RTN_UNICAST or details else None
        tb = rtable if table is None else table
        tbname = (N.table_name(tb, numeric) if tb and (tb != N.RT_TABLE_MAIN or details)
                  and "table" not in hide else None)
        pname = (N.proto_name(proto, numeric) if (proto != RTPROT_BOOT or details)
                 and "protocol" not in hide else None)
        sname = (N.scope_name(scope, numeric) if (scope or details) and "scope" not in hide
                 else None)
        tosname = N.dsfield_name(tos, numeric) if tos and "tos" not in hide else None
        src = f"0/{src_len}" if src_len else None
        head = (tname, tbname, pname, sname, rt_flags(rflags), tosname, src)
        self._heads[key] = head
        return head

    def entry(self, m: Any) -> dict[str, Any]:
        """route_entry(m) (the same dict), the plain way when the route takes it."""
        r = self.read(m)
        if r is None:
            return route_entry(m, self.ctx, self.hide)
        (tname, tbname, pname, sname, flags, tosname, src), dst, gw, oif, psrc, metric = r
        hide = self.hide
        out: dict[str, Any] = {"type": tname, "dst": dst} if tname is not None else \
            {"dst": dst}
        if src is not None:
            out["src"] = src
        if tosname is not None:
            out["tos"] = tosname
        if gw is not None and "gateway" not in hide:
            out["gateway"] = gw
        if oif is not None and "dev" not in hide:
            dev = self.devs.get(oif)
            out["dev"] = dev if dev is not None else self._dev(oif)
        if tbname is not None:
            out["table"] = tbname
        if pname is not None:
            out["protocol"] = pname
        if sname is not None:
            out["scope"] = sname
        if psrc is not None and "prefsrc" not in hide:
            out["prefsrc"] = psrc
        if metric is not None and "metric" not in hide:
            out["metric"] = metric
        out["flags"] = list(flags)
        return out

    def _dev(self, index: int) -> str:
        name = self.devs[index] = self.ctx.ifname(index)
        return name

    def json_text(self, m: Any) -> str:
        """``entry(m)`` as ip -j's compact JSON text (what json.dumps gives), written
        from fragments: the header's parts and each device's made once."""
        r = self.read(m)
        if r is None:
            return _dumps(route_entry(m, self.ctx, self.hide))
        head, dst, gw, oif, psrc, metric = r
        frags = self._frags.get(id(head)) or self._fragments(head)
        parts = [frags[0], dst, frags[1]]
        if gw is not None and frags[4]:
            parts += (',"gateway":"', gw, '"')
        if oif is not None and frags[5]:
            dev = self._jdevs.get(oif)
            parts.append(dev if dev is not None else self._jdev(oif))
        parts.append(frags[2])
        if psrc is not None and frags[6]:
            parts += (',"prefsrc":"', psrc, '"')
        if metric is not None and frags[7]:
            parts += (',"metric":', str(metric))
        parts.append(frags[3])
        return "".join(parts)

    def _fragments(self, head: tuple) -> tuple:
        tname, tbname, pname, sname, flags, tosname, src = head
        pre = '{"type":' + _dumps(tname) + ',"dst":"' if tname is not None else '{"dst":"'
        mid = '"'  # closes dst; then src and tos
        if src is not None:
            mid += ',"src":' + _dumps(src)
        if tosname is not None:
            mid += ',"tos":' + _dumps(tosname)
        late = ""
        for key, value in (("table", tbname), ("protocol", pname), ("scope", sname)):
            if value is not None:
                late += f',"{key}":' + _dumps(value)
        end = ',"flags":' + _dumps(flags) + "}"
        hide = self.hide
        frags = (pre, mid, late, end, "gateway" not in hide, "dev" not in hide,
                 "prefsrc" not in hide, "metric" not in hide)
        self._frags[id(head)] = frags
        return frags

    def _jdev(self, index: int) -> str:
        text = self._jdevs[index] = ',"dev":' + _dumps(self.ctx.ifname(index))
        return text


# --- table rows, straight from the messages -----------------------------------------

# the human table's columns (objtables.ROUTE_COLUMNS has the same headers, read from the
# JSON rows: the way every route this fast path does not take goes)
ROUTE_HEADERS = ("TYPE", "DESTINATION", "GATEWAY", "DEV", "TABLE", "PROTO", "SCOPE", "SRC",
                 "METRIC", "METRICS", "PREF", "EXPIRES", "FLAGS", "TOS", "NHID")
_METRICS_CELL = ROUTE_HEADERS.index("METRICS")


class RouteRows:
    """The route table's rows, one per route message: a plain route's cells straight from
    ``RouteFast.read`` (the header's cells made once per distinct header, the device's
    once per index); any other route the general way, through ``route_entry`` and
    ``objtables.ROUTE_COLUMNS``: the same cells."""

    def __init__(self, ctx: Any, hide: Collection[str] = (), color: bool = False) -> None:
        from . import colors

        self.fast = RouteFast(ctx, hide)
        self.ctx, self.hide, self.color = ctx, frozenset(hide), color
        self._heads: dict[int, tuple[str, ...]] = {}
        self._devs: dict[int, str] = {}
        self._colors = colors

    def _head_cells(self, head: tuple) -> tuple[str, ...]:
        from .tables import _text

        tname, tbname, pname, sname, flags, tosname = head[:6]
        c, on = self._colors, self.color
        cells = (c.paint(tname, c.ROUTE_TYPE.get(tname), on) if tname else "",
                 _text(tbname), _text(pname), _text(sname), ",".join(flags), _text(tosname))
        self._heads[id(head)] = cells
        return cells

    def _dev(self, index: int) -> str:
        from .tables import _text

        c = self._colors
        cell = c.paint(_text(self.ctx.ifname(index)), c.IFNAME, self.color)
        self._devs[index] = cell
        return cell

    def rows(self, msgs: Iterable[Any]) -> list[list[str]]:
        out = []
        append = out.append
        heads, devs, on = self._heads, self._devs, self.color
        read = self.fast.read
        hide = self.hide
        show_gw, show_dev = "gateway" not in hide, "dev" not in hide
        show_src, show_metric = "prefsrc" not in hide, "metric" not in hide
        for m in msgs:
            r = read(m)
            if r is None:
                if m.type == RTM_NEWROUTE or m.type == RTM_DELROUTE:
                    out.extend(self._general((m,)))
                continue
            head, dst, gw, oif, src, metric = r
            hc = heads.get(id(head)) or self._head_cells(head)
            if not show_gw:
                gw = None
            if on:
                c = self._colors
                dst = c.paint(dst, c.family_code(dst if dst != "default" else None), on)
                if gw is not None:
                    gw = c.paint(gw, c.family_code(gw), on)
            append([hc[0], dst, gw or "",
                    "" if oif is None or not show_dev else (devs.get(oif) or self._dev(oif)),
                    hc[1], hc[2], hc[3], src if src is not None and show_src else "",
                    "" if metric is None or not show_metric else str(metric),
                    "", "", "", hc[4], hc[5], ""])
        return out

    def _general(self, msgs: Iterable[Any]) -> list[list[str]]:
        """Rows from the JSON entries; metrics in ip's words (``mtu lock 1400``, ``rtt
        100ms``: the lock is not in the JSON, so it is read from the message)."""
        return [self.row(route_entry(m, self.ctx, self.hide), m) for m in msgs]

    def row(self, entry: dict[str, Any], m: Any) -> list[str]:
        """The cells of one route: its entry's, metrics read from its message."""
        from .iptext.route import metric_words
        from .objtables import ROUTE_COLUMNS

        on = self.color
        row = [cell(entry, on) for _h, cell in ROUTE_COLUMNS]
        mx = m.get("RTA_METRICS")
        if mx is not None:
            row[_METRICS_CELL] = ",".join(metric_words(mx))
        return row


# --- selection ---------------------------------------------------------------------



def _addr_int(addr: str | None) -> int | None:
    if addr is None:
        return None
    try:
        raw = socket.inet_pton(socket.AF_INET6 if ":" in addr else socket.AF_INET, addr)
    except (OSError, TypeError):
        return None
    return int.from_bytes(raw, "big")


class _Pfx(EqRecord):
    """A selector prefix: address as an integer and ip's bit length (the host length
    when none was typed). ``net`` None is `default`/`all`: any family, length 0."""

    FIELDS = ("net", "bits", "family", "host_bits")

    def __init__(self, net: int | None, bits: int, family: int, host_bits: int = 32) -> None:
        self.net = net
        self.bits = bits
        self.family = family
        self.host_bits = host_bits

    def _same(self, addr: str | None, bits: int) -> bool:
        """Are the first `bits` bits of `addr` those of this prefix?"""
        value = _addr_int(addr)
        if value is None or self.net is None:
            return False
        shift = self.host_bits - bits
        return value >> shift == self.net >> shift

    def covers(self, addr: str | None, length: int) -> bool:
        """Is addr/length inside this prefix (its first `bits` bits equal)?"""
        if self.net is None or self.bits == 0:
            return True
        return self._same(addr, self.bits)

    def within(self, addr: str | None, length: int) -> bool:
        """Does addr/length (a route) contain this prefix's address?"""
        if length == 0:
            return True
        return self._same(addr, length)


def _pfx(prefix: Any, family: int, word: str) -> _Pfx:
    """A PREFIX from the grammar (`Prefix` tuple) or text -> _Pfx; ValueError names it."""
    special = getattr(prefix, "special", None)
    text = None
    if special is None:
        addr = getattr(prefix, "address", None)
        if addr is not None:
            text = addr if prefix.length is None else f"{addr}/{prefix.length}"
        else:
            text = str(prefix)
            if text in ("default", "all", "any"):
                special = text
    if special is not None:
        return _Pfx(None, 0, family)
    import ipaddress  # only when a selector has a prefix

    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(f"{word}: invalid prefix {text!r}") from None
    fam = N.AF_INET6 if net.version == 6 else N.AF_INET
    if family and fam != family:
        raise ValueError(f"{word}: {text!r} is not an address of the selected family")
    return _Pfx(int(net.network_address), net.prefixlen, fam, net.max_prefixlen)


class RouteQuery(EqRecord):
    """ip's `route show` selectors.

    ``table``: a number or name, ``'all'``, or ``'cache'`` (cloned routes); the main table
    by default. ``family``: 0, AF_INET/AF_INET6 or 'inet'/'inet6'; with a table selected and
    no family, ip shows IPv4 only. ``dev``/``iif``: index or name. ``proto``, ``scope``:
    number, name or ``'all'``. ``type``: route type. ``root``/``match``/``exact``: PREFIX
    (``match`` = routes that contain it, ``root`` = routes inside it). ``via`` and
    ``src``: an address (or prefix) of the gateway / preferred source. ``metric``, ``tos``.
    """

    FIELDS = ("table", "family", "dev", "iif", "proto", "scope", "type", "metric", "tos", "root",
              "match", "exact", "via", "src")

    def __init__(self, table: int | str | None = None, family: int | str | None = None,
                 dev: int | str | None = None, iif: int | str | None = None,
                 proto: int | str | None = None, scope: int | str | None = None,
                 type: int | str | None = None, metric: int | None = None, tos: int | None = None,
                 root: Any = None, match: Any = None, exact: Any = None, via: Any = None,
                 src: Any = None) -> None:
        self.table = table
        self.family = family
        self.dev = dev
        self.iif = iif
        self.proto = proto
        self.scope = scope
        self.type = type
        self.metric = metric
        self.tos = tos
        self.root = root
        self.match = match
        self.exact = exact
        self.via = via
        self.src = src
        self.hidden = frozenset()
        self.__post_init__()

    def __post_init__(self) -> None:
        self._cloned = False
        tb = self.table
        if tb is None:
            self._table = N.RT_TABLE_MAIN
        elif tb == "all":
            self._table = 0
        elif tb == "cache":
            self._table, self._cloned = N.RT_TABLE_MAIN, True
        else:
            self._table = N.table_id(tb)
        fam = N.family_id(self.family)
        self._proto = None if self.proto in (None, "all") else N.proto_id(self.proto)
        self._scope = None if self.scope in (None, "all") else N.scope_id(self.scope)
        self._type = None if self.type is None else N.rtn_type_id(self.type)
        self._root = self._match = None
        if self.exact is not None:
            self._root = self._match = _pfx(self.exact, fam, "exact")
        else:
            if self.root is not None:
                self._root = _pfx(self.root, fam, "root")
            if self.match is not None:
                self._match = _pfx(self.match, fam, "match")
        self._via = None if self.via is None else _pfx(self.via, fam, "via")
        self._src = None if self.src is None else _pfx(self.src, fam, "src")
        if not fam and self._table:
            fam = N.AF_INET  # ip: `route show` with a table (main by default) is IPv4
        self._family = fam
        hidden = set()
        for key, on in (("dev", self.dev is not None), ("iif", self.iif is not None),
                        ("protocol", self._proto is not None),
                        ("scope", self._scope is not None), ("table", bool(self._table)),
                        ("metric", self.metric is not None), ("tos", self.tos is not None),
                        ("gateway", self._via is not None and self._via.net is not None
                         and self._via.bits == self._via.host_bits),
                        ("prefsrc", self._src is not None and self._src.net is not None
                         and self._src.bits == self._src.host_bits)):
            if on:
                hidden.add(key)
        self.hidden = frozenset(hidden)

    @property
    def plain(self) -> bool:
        """Only a table and a family chosen: what the selection reads (the header's family,
        table and flags, RTA_TABLE) is the same in a run of same-shape routes."""
        return (self.dev is None and self.iif is None and self._proto is None
                and self._scope is None and self._type is None and self._root is None
                and self._match is None and self._via is None and self._src is None
                and self.metric is None and self.tos is None and not self._cloned)

    @property
    def effective_family(self) -> int:
        """The family ip dumps: AF_INET when a table is selected and no family was given."""
        return self._family

    def select(self, msgs: Iterable[Any], ctx: Any = None) -> list[Any]:
        oif = _index(self.dev, ctx, "dev")
        iif = _index(self.iif, ctx, "iif")
        fam, tb, cloned = self._family, self._table, self._cloned
        proto, scope, rtype = self._proto, self._scope, self._type
        root, match, via, src = self._root, self._match, self._via, self._src
        simple = (oif is None and iif is None and proto is None and scope is None
                  and rtype is None and root is None and match is None and via is None
                  and src is None and self.metric is None and self.tos is None)
        out = []
        for m in msgs:
            if m.type not in (RTM_NEWROUTE, RTM_DELROUTE):
                continue
            h = m.header_tuple()  # family dst_len src_len tos table proto scope type flags
            if fam and h[0] != fam:
                continue
            if bool(h[8] & RTM_F_CLONED) != cloned:
                continue
            if tb and h[4] != tb and (tb < 256 or m.get("RTA_TABLE") != tb):
                continue  # ids above 255 live in RTA_TABLE only
            if simple or self._more(m, h, oif, iif, proto, scope, rtype, root, match, via,
                                    src):
                out.append(m)
        return out

    def _more(self, m: Any, h: tuple, oif: int | None, iif: int | None, proto: int | None,
              scope: int | None, rtype: int | None, root: _Pfx | None, match: _Pfx | None,
              via: _Pfx | None, src: _Pfx | None) -> bool:
        family, dst_len = h[0], h[1]
        if proto is not None and h[5] != proto:
            return False
        if scope is not None and h[6] != scope:
            return False
        if rtype is not None and h[7] != rtype:
            return False
        if self.tos is not None and h[3] != self.tos:
            return False
        if root is not None:
            if (root.net is not None and root.family != family) or root.bits > dst_len:
                return False
            if not root.covers(m.get("RTA_DST"), dst_len):
                return False
        if match is not None:
            if match.net is not None and match.family != family:
                return False
            if match.bits < dst_len or not match.within(m.get("RTA_DST"), dst_len):
                return False
        if via is not None:
            gw = m.get("RTA_GATEWAY")
            if gw is None:
                v = m.get("RTA_VIA")
                gw = v.get("addr") if v else None
            if not via.covers(gw, via.bits):
                return False
        if src is not None and not src.covers(m.get("RTA_PREFSRC"), src.bits):
            return False
        if oif is not None and (m.get("RTA_OIF") or 0) != oif:
            return False
        if iif is not None and (m.get("RTA_IIF") or 0) != iif:
            return False
        if self.metric is not None and (m.get("RTA_PRIORITY") or 0) != self.metric:
            return False
        return True


def select_routes(msgs: Iterable[Any], ctx: Any = None, **selectors: Any) -> list[Any]:
    """`RouteQuery(**selectors).select(msgs, ctx)`."""
    return RouteQuery(**selectors).select(msgs, ctx)
