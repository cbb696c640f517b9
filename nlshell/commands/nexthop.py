"""nexthop: nexthop objects, as ``ip nexthop`` (alias ``nh``).

``nexthop add id N via ADDR dev X``, ``... blackhole``, ``... group 1,3/2 [type resilient
buckets 8]``, ``... fdb``; ``replace`` changes one; ``del``/``get`` take the id; ``show``
filters by id, device, groups, fdb and protocol (the kernel filters by device, groups and
fdb, as for ip); ``flush`` deletes what ``show`` would list, groups first.
"""

from __future__ import annotations

from typing import Any

from nlshell.commands import slots as S
from nlshell.commands.grammar import REGISTRY, Flag, Kw

H = "nlshell.commands.nexthop:"

NHID = S.number(1, S.U32_MAX, name="NHID", label="nexthop id", example="e.g. 10")


def _parse_group(text: str) -> list[tuple[int, int]]:
    """``1,3/2`` -> [(1, 3), (2, 1)]: ids with optional weights (1..256), ip's spelling."""
    out = []
    for part in text.split("/"):
        nh_id, comma, weight = part.partition(",")
        if not nh_id:
            raise ValueError("an empty member")
        w = S.parse_int(weight, 1, 256) if comma else 1
        out.append((S.parse_int(nh_id, 1, S.U32_MAX), w))
    return out


GROUP = S.Slot("GROUP", "nexthop group", _parse_group, kind="number",
               example="ID[,WEIGHT]/ID[,WEIGHT]... e.g. 1,3/2")
GROUP_TYPE = S.choice("GROUPTYPE", {"mpath": "hash-threshold multipath (the default)",
                                    "resilient": "resilient hashing with buckets"},
                      label="group type")

nexthop = REGISTRY.object("nexthop", "nexthop objects (routes use them with nhid)",
                          shortcuts=["nh"], default="show")

_SELECT = [
    Kw("id", NHID, "this nexthop only", source="nexthops"),
    Kw("dev", S.IFNAME, "nexthops through this device"),
    Flag("groups", "groups only"),
    Flag("fdb", "fdb nexthops only"),
    Kw("proto", S.PROTO, "installed by this protocol", aliases=["protocol"]),
]

nexthop.verb("show", "list nexthop objects", _SELECT, aliases=["list", "lst"],
             shortcuts=["s", "sh", "l", "ls"], handler=H + "nexthop_show")
nexthop.verb("flush", "delete the nexthops show would list (groups first)", _SELECT,
             shortcuts=["f"], handler=H + "nexthop_flush")


def _change_params() -> list:
    return [
        Kw("id", NHID, "the nexthop's id", required=True),
        Kw("via", S.ADDR, "gateway address"),
        Kw("dev", S.IFNAME, "output device"),
        Flag("blackhole", "drop what uses it"),
        Flag("onlink", "the gateway is on the link even without a matching prefix"),
        Flag("fdb", "for the bridge/vxlan forwarding database (not for routes)"),
        Kw("group", GROUP, "members: ID[,WEIGHT]/ID[,WEIGHT]..."),
        Kw("type", GROUP_TYPE, "group type"),
        Kw("buckets", S.number(1, 0xFFFF), "buckets of a resilient group"),
        Kw("idle_timer", S.NUMBER, "seconds a bucket stays idle before moving (resilient)"),
        Kw("unbalanced_timer", S.NUMBER,
           "seconds a group may stay unbalanced (resilient)"),
        Kw("proto", S.PROTO, "who installed it", aliases=["protocol"]),
    ]


def _check_change(v: dict[str, Any]) -> str | None:
    if not any(k in v for k in ("via", "dev", "blackhole", "group", "fdb")):
        return "a nexthop needs via, dev, blackhole or group"
    for key in ("type", "buckets", "idle_timer", "unbalanced_timer"):
        if key in v and "group" not in v:
            return f'"{key}" needs a group'
    for key in ("buckets", "idle_timer", "unbalanced_timer"):
        if key in v and v.get("type") != "resilient":
            return f'"{key}" needs "type resilient"'
    return None


_CONFLICTS = [("group", "via"), ("group", "dev"), ("group", "blackhole"),
              ("group", "onlink"), ("blackhole", "via"), ("blackhole", "dev"),
              ("blackhole", "onlink")]

nexthop.verb("add", "add a nexthop object", _change_params(), shortcuts=["a"],
             conflicts=_CONFLICTS, check=_check_change, handler=H + "nexthop_change")
nexthop.verb("replace", "add a nexthop or change an existing one", _change_params(),
             shortcuts=["r", "repl"], conflicts=_CONFLICTS, check=_check_change,
             handler=H + "nexthop_change")
nexthop.verb("delete", "delete a nexthop (routes using it go with it)",
             [Kw("id", NHID, "the nexthop's id", required=True, source="nexthops")],
             aliases=["del"],
             shortcuts=["d"], handler=H + "nexthop_delete")
nexthop.verb("get", "show one nexthop",
             [Kw("id", NHID, "the nexthop's id", required=True, source="nexthops")],
             shortcuts=["g"], handler=H + "nexthop_get")


# == handlers ==================================================================================

from nlshell.engine.codec import constants as C  # noqa: E402 - a leaf: names only

_FAMILIES = (C.AF_INET, C.AF_INET6)
# grammar key -> nexthop_request keyword (values passed as they are)
_PLAIN = (("id", "id"), ("via", "gateway"), ("blackhole", "blackhole"), ("onlink", "onlink"),
          ("fdb", "fdb"), ("type", "group_type"), ("buckets", "buckets"),
          ("idle_timer", "idle_timer"), ("unbalanced_timer", "unbalanced_timer"),
          ("proto", "protocol"))


def _error(text: str) -> Exception:
    from nlshell.commands.context import CommandError

    return CommandError(text)


def _family(ctx: Any) -> int | None:
    return ctx.opts.family if ctx.opts.family in _FAMILIES else None


def change_keywords(ctx: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Grammar values of a nexthop add/replace -> ``nexthop_request`` keywords."""
    kw: dict[str, Any] = {key: values[word] for word, key in _PLAIN if word in values}
    if "dev" in values:
        kw["oif"] = ctx.ifindex(values["dev"])
    if "group" in values:
        kw["group"] = values["group"]
    family = _family(ctx)
    via = values.get("via")
    if via is not None and family is not None and S.family_of(via) != family:
        raise _error(f'via "{via}": not an {"IPv6" if family == C.AF_INET6 else "IPv4"} '
                     "address")
    if family is not None and "group" not in values:
        kw["family"] = family
    return kw


def nexthop_change(ctx: Any, inv: Any) -> None:
    """nexthop add | replace."""
    from nlshell.engine.requests.nexthop import nexthop_request

    verb = inv.command.verb.name
    try:
        req = nexthop_request(verb, change_keywords(ctx, inv.values))
    except ValueError as exc:
        raise _error(str(exc)) from None
    ctx.ipr.send(req)


def nexthop_delete(ctx: Any, inv: Any) -> None:
    ctx.ipr.nexthop("del", id=inv.values["id"])


def _filters(ctx: Any, values: dict[str, Any]) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    family = _family(ctx)
    if family is not None:
        kw["family"] = family
    if "dev" in values:
        kw["oif"] = ctx.ifindex(values["dev"])
    for word in ("id", "groups", "fdb"):
        if word in values:
            kw[word] = values[word]
    if "proto" in values:
        kw["protocol"] = values["proto"]
    return kw


def _output(ctx: Any, msgs: list[Any]) -> None:
    from nlshell.commands.render import nexthop as R
    from nlshell.commands.show import ip_text, render_context

    rctx = render_context(ctx)
    if ip_text(ctx, "nexthop", msgs, rctx):
        return
    if ctx.opts.json:
        ctx.emit(R.nexthop_json(msgs, rctx))
    elif ctx.opts.brief:
        ctx.write(R.nexthop_brief(msgs, rctx))
    else:
        ctx.write(R.nexthop_table(msgs, rctx, color=ctx.opts.color, fmt=ctx.opts.table_format))


def nexthop_show(ctx: Any, inv: Any) -> None:
    _output(ctx, ctx.ipr.nexthop("dump", **_filters(ctx, inv.values)))


def nexthop_get(ctx: Any, inv: Any) -> None:
    _output(ctx, ctx.ipr.nexthop("get", id=inv.values["id"]))


def nexthop_flush(ctx: Any, inv: Any) -> None:
    gone = ctx.ipr.nexthop("flush", **_filters(ctx, inv.values))
    # ip says it whatever the options (-j too)
    ctx.write(f"Flushed {len(gone)} nexthops" if gone else "Nothing to flush")
