"""Human tables of addresses, routes, neighbours and rules, one row per object (the
layout they share, and link's table, are tables.py).
"""

from __future__ import annotations

from . import colors as C
from .tables import TABLEFMT, _field, _name, _state, _table, _text, draw

# typing and collections.abc cost start-up time: only type checkers read them here
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Iterable
    from typing import Any

    from .tables import Cell, Row


# --- addresses ---------------------------------------------------------------------

_ADDR_FLAGS = ("secondary", "temporary", "dynamic", "deprecated", "tentative", "dadfailed",
               "nodad", "optimistic", "noprefixroute", "mngtmpaddr", "home", "autojoin",
               "stable-privacy")


def _lifetime(v: Any) -> str:
    if v is None:
        return ""
    return "forever" if v == 0xFFFFFFFF else f"{v}s"


def address_table(addrs: Iterable[Any], ctx: Any, query: Any = None, *,
                  color: bool = False, fmt: str = TABLEFMT) -> str:
    """`addr show` for people: one row per address (a link without one gets one row)."""
    rows = []
    from .address import address_json

    for link in address_json(addrs, ctx, query):
        head = [_name(link, color), _state(link, color)]
        infos = link["addr_info"] or [{}]
        for a in infos:
            local = a.get("local", "")
            text = f"{local}/{a['prefixlen']}" if local else ""
            if "address" in a:
                text = f"{local} peer {a['address']}/{a['prefixlen']}"
            code = C.family_code(local)
            flags = ",".join(f for f in _ADDR_FLAGS if a.get(f))
            valid = a.get("valid_life_time")
            lft = "" if valid in (None, 0xFFFFFFFF) else (
                f"{_lifetime(valid)}/{_lifetime(a.get('preferred_life_time'))}")
            rows.append(head + [a.get("family", ""), C.paint(text, code, color),
                                a.get("scope", ""),
                                C.paint(a.get("broadcast", ""), code, color),
                                _text(a.get("label")) if a.get("label") != link["ifname"]
                                else "",
                                flags, lft, _text(a.get("metric"))])
    headers = ["NAME", "STATE", "FAMILY", "ADDRESS", "SCOPE", "BROADCAST", "LABEL", "FLAGS",
               "LIFETIME", "METRIC"]
    return draw(rows, headers, fmt=fmt)


# --- routes ------------------------------------------------------------------------


def _gateway(r: Row, on: bool) -> str:
    if "nexthops" in r:
        hops = []
        for nh in r["nexthops"]:
            gw = nh.get("gateway") or (nh.get("via") or {}).get("host", "")
            text = C.paint(gw, C.family_code(gw), on)
            dev = C.paint(_text(nh["dev"]), C.IFNAME, on)
            hops.append(f"{text} dev {dev} weight {nh.get('weight', 1)}" if gw else f"dev {dev}")
        return "\n".join(hops)
    gw = r.get("gateway") or (r.get("via") or {}).get("host", "")
    return C.paint(gw, C.family_code(gw), on)


def _rtype(r: Row, on: bool) -> str:
    t = r.get("type", "")
    return C.paint(t, C.ROUTE_TYPE.get(t), on)


def _mtu(r: Row, on: bool) -> str:
    mx = (r.get("metrics") or [{}])[0]
    return ",".join(f"{k} {v}" if v is not None else k for k, v in mx.items())


ROUTE_COLUMNS: list[tuple[str, Cell]] = [
    ("TYPE", _rtype), ("DESTINATION", lambda r, on: C.paint(r["dst"], C.family_code(
        r["dst"] if r["dst"] != "default" else None), on)),
    ("GATEWAY", _gateway), ("DEV", _field("dev", C.IFNAME)), ("TABLE", _field("table")),
    ("PROTO", _field("protocol")), ("SCOPE", _field("scope")), ("SRC", _field("prefsrc")),
    ("METRIC", _field("metric")), ("METRICS", _mtu), ("PREF", _field("pref")),
    ("EXPIRES", lambda r, on: f"{r['expires']}s" if "expires" in r else ""),
    ("FLAGS", _field("flags")), ("TOS", _field("tos")), ("NHID", _field("nhid")),
]


def route_table(msgs: Iterable[Any], ctx: Any, hide: Collection[str] = (), *,
                color: bool = False, fmt: str = TABLEFMT) -> str:
    """`route show` for people; `hide` as for route_json (a selected dev is not repeated)."""
    from .route import ROUTE_HEADERS, RouteRows

    return draw(RouteRows(ctx, hide, color).rows(msgs), list(ROUTE_HEADERS), fmt=fmt)


# --- neighbours --------------------------------------------------------------------


def _nud(r: Row, on: bool) -> str:
    return ",".join(C.paint(s, C.NUD.get(s), on) for s in r.get("state", ()))


NEIGH_COLUMNS: list[tuple[str, Cell]] = [
    ("ADDRESS", lambda r, on: C.paint(r.get("dst", ""), C.family_code(r.get("dst")), on)),
    ("DEV", _field("dev", C.IFNAME)), ("LLADDR", _field("lladdr", C.MAC)), ("STATE", _nud),
    ("FLAGS", lambda r, on: ",".join(k for k in ("router", "proxy", "extern_learn",
                                                 "offload", "managed") if k in r)),
    ("PROTO", _field("protocol")),
    ("USED", lambda r, on: f"{r['used']}/{r['confirmed']}/{r['updated']}s" if "used" in r
     else ""),
]


def neighbour_table(msgs: Iterable[Any], ctx: Any, hide: Collection[str] = (), *,
                    color: bool = False, fmt: str = TABLEFMT) -> str:
    """`neigh show` for people: address, device, link-layer address, state, flags."""
    from .neighbour import neighbour_json

    return _table(neighbour_json(msgs, ctx, hide), NEIGH_COLUMNS, color, fmt)


# --- rules -------------------------------------------------------------------------


def _selector(r: Row, on: bool) -> str:
    parts = ["not"] if "not" in r else []
    src = r.get("src", "all")
    parts.append("from " + (f"{src}/{r['srclen']}" if "srclen" in r else src))
    if "dst" in r:
        parts.append("to " + (f"{r['dst']}/{r['dstlen']}" if "dstlen" in r else r["dst"]))
    for key, word in (("tos", "tos"), ("iif", "iif"), ("oif", "oif"), ("ipproto", "ipproto"),
                      ("tun_id", "tun_id")):
        if key in r:
            parts.append(f"{word} {_text(r[key])}")
    if "fwmark" in r:
        parts.append(f"fwmark {r['fwmark']}" + (f"/{r['fwmask']}" if "fwmask" in r else ""))
    if "uid_start" in r:
        parts.append(f"uidrange {r['uid_start']}-{r['uid_end']}")
    for port in ("sport", "dport"):
        if port in r:
            parts.append(f"{port} {r[port]}")
        elif port + "_start" in r:
            parts.append(f"{port} {r[port + '_start']}-{r[port + '_end']}")
    if "l3mdev" in r:
        parts.append("l3mdev")
    return " ".join(parts)


def _action(r: Row, on: bool) -> str:
    if "table" in r:
        text = f"lookup {_text(r['table'])}"
        if "suppress_prefixlen" in r:
            text += f" suppress_prefixlength {r['suppress_prefixlen']}"
        if "suppress_ifgroup" in r:
            text += f" suppress_ifgroup {r['suppress_ifgroup']}"
        return text
    if "goto" in r:
        return f"goto {r['goto']}"
    if "nop" in r:
        return "nop"
    if "l3mdev" in r:
        return "lookup [l3mdev-table]"
    action = r.get("action", "")
    return C.paint(action, C.ROUTE_TYPE.get(action), on)


RULE_COLUMNS: list[tuple[str, Cell]] = [
    ("PRIORITY", _field("priority")), ("SELECTOR", _selector), ("ACTION", _action),
    ("REALMS", lambda r, on: (f"{r['flow_from']}/" if "flow_from" in r else "")
     + r.get("flow_to", "")),
    ("PROTO", _field("protocol")),
]


def rule_table(msgs: Iterable[Any], ctx: Any, *, color: bool = False,
               fmt: str = TABLEFMT) -> str:
    """`rule show` for people: priority, selector, action."""
    from .rule import rule_json

    return _table(rule_json(msgs, ctx), RULE_COLUMNS, color, fmt)
