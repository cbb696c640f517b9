"""Nexthop objects: `ip -j nexthop show` dicts from RTM_NEWNEXTHOP messages, ip's text line
(what ``-br`` prints) and the selection `nexthop show` does after the kernel's filters.

ip leaves out ``encap`` details here too: an encapsulated nexthop shows its other fields.
"""

from __future__ import annotations

from nlshell.engine.codec.constants import RTM_DELNEXTHOP, RTM_NEWNEXTHOP, USER_HZ

from . import names as N
from .route import rt_flags

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

_RES_ARGS = (("NHA_RES_GROUP_BUCKETS", "buckets", 1),
             ("NHA_RES_GROUP_IDLE_TIMER", "idle_timer", USER_HZ),
             ("NHA_RES_GROUP_UNBALANCED_TIMER", "unbalanced_timer", USER_HZ),
             ("NHA_RES_GROUP_UNBALANCED_TIME", "unbalanced_time", USER_HZ))


def _group(members: list[dict[str, int]]) -> list[dict[str, int]]:
    # ip shows a weight only when it is not the default (1)
    return [{"id": g["id"], "weight": g["weight"]} if g["weight"] != 1 else {"id": g["id"]}
            for g in members]


def nexthop_entry(m: Any, ctx: Any) -> dict[str, Any]:
    """One nexthop as ip prints it (-d adds scope and protocol where ip leaves them out)."""
    head, a = m.whole()
    _family, scope, proto, _resvd, flags = head
    details = ctx.details
    out: dict[str, Any] = {}
    if m.type == RTM_DELNEXTHOP:
        out["deleted"] = True
    out["id"] = a.get("NHA_ID")
    if "NHA_GROUP" in a:
        out["group"] = _group(a["NHA_GROUP"])
        gtype = a.get("NHA_GROUP_TYPE", "mpath")
        if gtype != "mpath":
            out["type"] = gtype if isinstance(gtype, str) else "<unknown>"
    res = a.get("NHA_RES_GROUP")
    if res is not None:
        r = res.attr_dict()
        out["resilient_args"] = {key: r[attr] // scale for attr, key, scale in _RES_ARGS
                                 if attr in r}
    if "NHA_GATEWAY" in a:
        out["gateway"] = a["NHA_GATEWAY"]
    if a.get("NHA_OIF"):
        out["dev"] = ctx.ifname(a["NHA_OIF"])
    if scope or details:
        out["scope"] = N.scope_name(scope, ctx.numeric)
    if a.get("NHA_BLACKHOLE"):
        out["blackhole"] = None
    if proto or details:
        out["protocol"] = N.proto_name(proto, ctx.numeric)
    out["flags"] = rt_flags(flags)
    if a.get("NHA_FDB"):
        out["fdb"] = None
    return out


def nexthop_meta(m: Any) -> str:
    """A short description of a nexthop for completion menus: ``via 192.0.2.1``,
    ``group 1,3/2``, ``blackhole``, ``dev #3``."""
    a = m.attr_dict()
    if "NHA_GROUP" in a:
        return "group " + group_text(_group(a["NHA_GROUP"]))
    if a.get("NHA_BLACKHOLE"):
        return "blackhole"
    if "NHA_GATEWAY" in a:
        return f"via {a['NHA_GATEWAY']}"
    return f"dev #{a.get('NHA_OIF', 0)}"


def nexthop_json(msgs: Iterable[Any], ctx: Any) -> list[dict[str, Any]]:
    """`ip -j nexthop show` for these messages."""
    return [nexthop_entry(m, ctx) for m in msgs if m.type in (RTM_NEWNEXTHOP, RTM_DELNEXTHOP)]


def group_text(group: list[dict[str, int]]) -> str:
    """ip's spelling of a group: ``1,3/2`` (weights only where not 1)."""
    return "/".join(f"{g['id']},{g['weight']}" if "weight" in g else str(g["id"])
                    for g in group)


def nexthop_line(e: dict[str, Any]) -> str:
    """ip's text line of one nexthop (from its JSON entry), without ip's trailing space."""
    from .iptext.nexthop import entry_line  # ip's text has one writer

    return entry_line(e).rstrip()


def nexthop_brief(msgs: Iterable[Any], ctx: Any) -> str:
    """One ip text line per nexthop (``-br``)."""
    from .safe import printable

    return "\n".join(printable(nexthop_line(e)) for e in nexthop_json(msgs, ctx))


def _group_cell(r: dict[str, Any], on: bool) -> str:
    text = group_text(r["group"]) if "group" in r else ""
    return f"{text} ({r['type']})" if "type" in r else text


def _cell(key: str, code: Any = None) -> Any:
    def cell(r: dict[str, Any], on: bool) -> str:
        from . import colors as C
        from .safe import printable

        value = r.get(key)
        text = "" if value is None else (",".join(value) if isinstance(value, list)
                                         else printable(str(value)))
        return C.paint(text, code(text) if callable(code) else code, on)
    return cell


def _words(*keys: str) -> Any:
    return lambda r, on: " ".join(k for k in keys if k in r)


def nexthop_table(msgs: Iterable[Any], ctx: Any, *, color: bool = False,
                  fmt: str | None = None) -> str:
    """`nexthop show` for people: one row per nexthop (empty columns left out)."""
    from . import colors as C
    from . import tables as T

    columns = [
        ("ID", _cell("id")), ("GROUP", _group_cell), ("VIA", _cell("gateway", C.family_code)),
        ("DEV", _cell("dev", C.IFNAME)), ("SCOPE", _cell("scope")),
        ("KIND", _words("blackhole", "fdb")), ("PROTO", _cell("protocol")),
        ("FLAGS", _cell("flags")),
    ]
    rows = [[cell(r, color) for _h, cell in columns] for r in nexthop_json(msgs, ctx)]
    return T.draw(rows, [h for h, _c in columns], fmt=fmt or T.TABLEFMT)
