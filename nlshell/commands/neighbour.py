"""neighbour: ARP / NDP entries, as ``ip neighbour``.

``neighbour add`` and a batch's pipelined adds share one translation
(`neighbour_add_request` -> ``requests.neigh_request``). As ip: ``add`` makes a permanent
entry unless ``nud`` says otherwise, ``proxy ADDR`` names a proxy entry, ``show`` hides
NOARP entries unless ``nud all`` (or ``nud noarp``), ``flush`` leaves permanent and NOARP
entries alone unless a ``nud`` selects them and is silent unless ``-s``.
"""

from __future__ import annotations

from typing import Any

from nlshell.commands import slots as S
from nlshell.commands.grammar import REGISTRY, Flag, Kw, Pos

H = "nlshell.commands.neighbour:"

NUD_SELECT = S.NUD.with_words({"all": ("all", "every state")})

neighbour = REGISTRY.object("neighbour", "ARP / NDP entries (neighbour cache)",
                            aliases=["neighbor", "neigh"], shortcuts=["n"], default="show")

_SELECT = [
    Pos("to", S.PREFIX_ALL, "only addresses inside this prefix", keyword="to", required=False),
    Kw("dev", S.IFNAME, "only on this device"),
    Kw("nud", NUD_SELECT, "only in this state (repeatable; all: every state)", repeat=True),
    Flag("proxy", "the proxy entries"),
    Kw("master", S.IFNAME, "only on ports of this master device"),
    Kw("vrf", S.IFNAME, "only on ports of this VRF device"),
    Flag("nomaster", "only on devices without a master"),
]
_MASTERS = [("master", "nomaster"), ("vrf", "nomaster"), ("master", "vrf")]

neighbour.verb("show", "list entries (NOARP ones only with nud all)", aliases=["list", "lst"],
               shortcuts=["s", "sh", "l", "ls"], params=_SELECT, handler=H + "neighbour_show",
               conflicts=_MASTERS)
neighbour.verb("flush", "delete the entries the selectors match (not permanent ones, "
               "unless nud says so)", shortcuts=["f"], params=_SELECT,
               handler=H + "neighbour_flush", conflicts=_MASTERS)


def _need_address(values: dict[str, Any]) -> str | None:
    if "to" in values and "proxy" in values:
        return "give the address once: ADDR or proxy ADDR"
    if "to" not in values and "proxy" not in values:
        return "missing the neighbour's address (ADDR or proxy ADDR)"
    return None


def _change_params() -> list:
    return [
        Pos("to", S.ADDR, "the neighbour's address", keyword="to", required=False),
        Kw("proxy", S.ADDR, "a proxy entry for this address"),
        Kw("dev", S.IFNAME, "the device", required=True),
        Kw("lladdr", S.LLADDR, "its link-layer address", aliases=["address"]),
        Kw("nud", S.NUD, "entry state (permanent when left out)"),
        Flag("router", "the neighbour is a router"),
        Flag("extern_learn", "learned by an external control plane"),
        Flag("use", "mark the entry as in use (the kernel resolves it)"),
        Flag("managed", "the kernel keeps the entry resolved by itself"),
        Kw("protocol", S.PROTO, "who installed the entry", aliases=["proto"]),
    ]


_CHANGE_VERBS = (
    ("add", "add an entry", (), ("a",)),
    ("delete", "delete an entry", ("del",), ("d",)),
    ("change", "change an existing entry", ("chg",), ("c",)),
    ("replace", "add an entry or change an existing one", (), ("r", "repl")),
)
for _verb, _help, _aliases, _shortcuts in _CHANGE_VERBS:
    neighbour.verb(_verb, _help, _change_params(), aliases=_aliases, shortcuts=_shortcuts,
                   check=_need_address, handler=H + "neighbour_change")

neighbour.verb("get", "look one entry up", shortcuts=["g"], params=[
    Pos("to", S.ADDR, "the neighbour's address", keyword="to"),
    Kw("dev", S.IFNAME, "the device", required=True),
    Flag("proxy", "look in the proxy entries"),
], handler=H + "neighbour_get")


neighbour.verb("help", "how to use this command (its verbs, `help neighbour VERB` for each one)",
                    handler="nlshell.commands.address:object_help")


# == handlers ==================================================================================

from nlshell.engine.codec import constants as C  # noqa: E402 - a leaf: names only

NTF_PROXY, NTF_EXT_LEARNED, NTF_ROUTER = C.NTF_PROXY, C.NTF_EXT_LEARNED, C.NTF_ROUTER
_VERB = {"add": "add", "delete": "del", "change": "change", "replace": "replace"}
_AF = {C.AF_INET: "IPv4", C.AF_INET6: "IPv6"}


def neighbour_keywords(ctx: Any, values: dict[str, Any], verb: str) -> dict[str, Any]:
    """Grammar values of a neighbour change -> ``neigh_request`` keywords (ip's defaults)."""
    v = values
    problem = _need_address(v)
    if problem:
        from nlshell.commands.context import CommandError

        raise CommandError(problem)
    dst = v["to"] if "to" in v else v["proxy"]
    family = S.family_of(dst)
    wanted = ctx.opts.family
    if wanted in _AF and wanted != family:
        from nlshell.commands.context import CommandError

        raise CommandError(f'address "{dst}": not an {_AF[wanted]} address')
    kw: dict[str, Any] = {"family": family, "dst": dst, "ifindex": ctx.ifindex(v["dev"])}
    if "lladdr" in v:
        kw["lladdr"] = v["lladdr"]
    if "nud" in v:
        kw["state"] = v["nud"]
    elif "managed" in v:
        kw["state"] = 0  # as ip: the kernel resolves a managed entry (never permanent)
    elif verb != "del":
        kw["state"] = C.NUD_PERMANENT  # as ip
    flags = 0
    for key, bit in (("proxy", NTF_PROXY), ("router", NTF_ROUTER),
                     ("extern_learn", NTF_EXT_LEARNED), ("use", C.NTF_USE)):
        if key in v:
            flags |= bit
    if flags:
        kw["flags"] = flags
    if "managed" in v:
        kw["NDA_FLAGS_EXT"] = C.NTF_EXT_MANAGED
    if "protocol" in v:
        kw["NDA_PROTOCOL"] = _protocol(v["protocol"])
    return kw


def _protocol(value: Any) -> int:
    """A PROTO slot value (a number, or a name of rt_protos) -> its number."""
    if isinstance(value, int):
        return value
    from nlshell.commands.render import names as N

    return N.proto_id(value)


def neighbour_request(ctx: Any, inv: Any) -> Any:
    from nlshell.engine import requests

    verb = _VERB[inv.command.verb.name]
    return requests.neigh_request(verb, neighbour_keywords(ctx, inv.values, verb))


def neighbour_add_request(ctx: Any, inv: Any) -> Any:
    """The Request of ``neighbour add ...`` (the batch runner sends these pipelined)."""
    from nlshell.engine import requests

    return requests.neigh_request("add", neighbour_keywords(ctx, inv.values, "add"))


def neighbour_change(ctx: Any, inv: Any) -> None:
    """neighbour add | delete | change | replace."""
    ctx.ipr.send(neighbour_request(ctx, inv))


# -- show / flush / get -------------------------------------------------------------------------

def _query(ctx: Any, values: dict[str, Any], flush: bool = False) -> Any:
    from nlshell.commands.render.neighbour import NeighbourQuery

    v = values
    sel: dict[str, Any] = {"flush": flush, "proxy": bool(v.get("proxy"))}
    if "dev" in v:
        sel["dev"] = ctx.ifindex(v["dev"])
    if "nud" in v:
        sel["nud"] = list(v["nud"])
    if "to" in v:
        sel["to"] = v["to"]
    fam = ctx.opts.family
    sel["family"] = fam if fam in _AF else None
    try:
        return NeighbourQuery(**sel)
    except ValueError as exc:
        from nlshell.commands.context import CommandError

        raise CommandError(str(exc)) from None


def _dump(ctx: Any, query: Any, master: list[Any]) -> list[Any]:
    """Entries of the query's family; the proxy entries are a dump of their own."""
    return ctx.ipr.kernel_dump("neigh", _fields(query), master)


def _master(ctx: Any, values: dict[str, Any]) -> list[Any]:
    """The dump's NDA_MASTER filter: the kernel keeps the ports of that master (-1: the
    devices without one), as ip asks it to."""
    if "master" in values:
        return [("NDA_MASTER", ctx.ifindex(values["master"]))]
    if "vrf" in values:
        from nlshell.commands.address import vrf_index

        return [("NDA_MASTER", vrf_index(ctx, values["vrf"]))]
    if values.get("nomaster"):
        return [("NDA_MASTER", 0xFFFFFFFF)]
    return []


def _fields(query: Any) -> dict[str, Any]:
    fields = {"family": query.family or 0}
    if query.proxy:
        fields["flags"] = NTF_PROXY
    return fields


def neighbour_show(ctx: Any, inv: Any) -> None:
    """Streamed: entries are selected and printed as the kernel's datagrams arrive."""
    from nlshell.commands.show import render_context
    from nlshell.commands.streams import stream_neighbours

    query = _query(ctx, inv.values)
    rctx = render_context(ctx)
    stream_neighbours(ctx, ctx.ipr.kernel_dump_iter("neigh", _fields(query),
                                                    _master(ctx, inv.values)),
                      lambda batch: query.select(batch, rctx), rctx, query.hidden)


def neighbour_flush(ctx: Any, inv: Any) -> None:
    from nlshell.commands.show import flush, render_context, report_rounds

    if not inv.values:
        from nlshell.commands.context import CommandError

        raise CommandError('"neighbour flush" needs a selector (dev, to, nud, proxy)')
    query = _query(ctx, inv.values, flush=True)
    master = _master(ctx, inv.values)
    rctx = None

    def select() -> list[Any]:
        nonlocal rctx
        if rctx is None:
            rctx = render_context(ctx)
        return query.select(_dump(ctx, query, master), rctx)

    report_rounds(ctx, flush(ctx, select))


def neighbour_get(ctx: Any, inv: Any) -> None:
    from nlshell.commands.show import output, render_context
    from nlshell.engine import requests

    v = inv.values
    kw: dict[str, Any] = {"family": S.family_of(v["to"]), "dst": v["to"],
                          "ifindex": ctx.ifindex(v["dev"])}
    if v.get("proxy"):
        kw["flags"] = NTF_PROXY
    msgs = ctx.ipr.send(requests.neigh_request("get", kw))
    output(ctx, "neighbour", msgs, render_context(ctx))
