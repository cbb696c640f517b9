"""``address``: protocol addresses (ip address).

``address add`` lines of a batch are sent pipelined by the runner through
`address_add_request`, which the ``add`` handler uses too: one translation for both paths.
"""

from __future__ import annotations

import errno
from typing import Any

from nlshell.commands import slots as S
from nlshell.commands.grammar import REGISTRY, Flag, Kw, OneOf, Pos
from nlshell.engine.codec import constants as C

H = "nlshell.commands.address:"

BRD = S.ADDR.with_words({"+": ("+", "derive from the prefix (host bits set)"),
                         "-": ("-", "host bits clear")}, name="BRD")
SCOPE_ALL = S.SCOPE.with_words({"all": ("all", "every scope")})
METRIC = S.number(0, 0xFFFFFFFF, name="METRIC")

# bare keywords of add/replace -> IFA_F_* bits (ip's words; the codec's names differ for two)
_IFA_F = {name: bit for bit, name in C.IFA_F_NAMES.items()}
ADDR_FLAGS = {word: _IFA_F[name] for word, name in (
    ("nodad", "nodad"), ("home", "home"), ("mngtmpaddr", "managetempaddr"),
    ("noprefixroute", "noprefixroute"), ("autojoin", "mcautojoin"))}
_FLAG_HELP = {"nodad": "skip duplicate address detection (IPv6)",
              "home": "home address (IPv6 mobility)",
              "mngtmpaddr": "make temporary addresses from this one (IPv6)",
              "noprefixroute": "do not add the prefix route",
              "autojoin": "join the multicast group (IPv6)"}


def _change_params(delete: bool = False) -> list:
    params = [
        Pos("local", S.IFADDR, "the address and prefix length", keyword="local",
            metavar="PREFIX", source="addresses" if delete else None),
        Kw("dev", S.IFNAME, "the device", required=True),
        Kw("label", S.STRING, "a label: DEV or DEV:TAG (IPv4)"),
    ]
    if delete:
        return params
    return params + [
        Kw("peer", S.IFADDR, "the remote end of a point-to-point link", metavar="PREFIX"),
        Kw("broadcast", BRD, "broadcast address ('+' derives it)", aliases=["brd"], bare="+"),
        Kw("anycast", S.ADDR, "anycast address"),
        Kw("scope", S.SCOPE, "address scope"),
        Kw("valid_lft", S.DURATION, "valid lifetime (seconds or forever)"),
        Kw("preferred_lft", S.DURATION, "preferred lifetime (seconds or forever)"),
        Kw("metric", METRIC, "metric of the prefix route", aliases=["priority"]),
        *(Flag(word, help) for word, help in _FLAG_HELP.items()),
    ]


address = REGISTRY.object("address", "protocol addresses", aliases=["addr"], shortcuts=["a"],
                          default="show")

address.verb("show", "list addresses", aliases=["list", "lst"], shortcuts=["s", "sh", "ls"],
             handler=H + "address_show", params=[
                 Pos("dev", S.IFNAME, "only on this device", keyword="dev", required=False),
                 Kw("scope", SCOPE_ALL, "only with this scope"),
                 Flag("up", "only on devices that are up"),
                 Kw("to", S.PREFIX, "only inside this prefix"),
                 Kw("label", S.STRING, "only with this label (a glob)"),
                 Kw("master", S.IFNAME, "only on ports of this master"),
                 Kw("type", S.LINK_KIND, "only on devices of this kind", metavar="KIND"),
             ])
address.verb("add", "add an address", handler=H + "address_add", params=_change_params())
address.verb("replace", "add an address or change its attributes",
             handler=H + "address_replace", params=_change_params())
address.verb("change", "change the attributes of an address", handler=H + "address_change",
             params=_change_params())
address.verb("delete", "remove an address", aliases=["del"], shortcuts=["d"],
             handler=H + "address_delete", params=_change_params(delete=True))
address.verb("flush", "remove the addresses selected", shortcuts=["f"],
             handler=H + "address_flush", params=[
                 Pos("dev", S.IFNAME, "only on this device", keyword="dev", required=False),
                 Kw("scope", SCOPE_ALL, "only with this scope"),
                 Kw("to", S.PREFIX, "only inside this prefix"),
                 Kw("label", S.STRING, "only with this label (a glob)"),
                 OneOf("kind", {"permanent": "only permanent addresses",
                                "dynamic": "only dynamic addresses (with a lifetime)"},
                       "permanent or dynamic addresses only"),
             ])


# -- requests ----------------------------------------------------------------------------

def _broadcast(value: str, prefix: Any) -> str | None:
    """``brd +`` / ``brd -`` / ``brd ADDR`` -> the address to send (None: leave it out)."""
    if prefix.family != S.AF_INET:
        from nlshell.commands.context import CommandError, quoted

        # as ip: IPv6 has no broadcast address
        raise CommandError(f'broadcast {quoted(value)}: only IPv4 addresses have a broadcast '
                           f'address ({prefix} is IPv6)')
    if value not in ("+", "-"):
        return value
    import ipaddress

    plen = 32 if prefix.length is None else prefix.length
    if plen >= 31:
        return None
    net = ipaddress.ip_network(f"{prefix.address}/{plen}", strict=False)
    return str(net.broadcast_address if value == "+" else net.network_address)


def _check_label(label: str, dev: str) -> None:
    if label != dev and not label.startswith(dev + ":"):
        from nlshell.commands.context import CommandError, quoted

        raise CommandError(f'label {quoted(label)} must be "{dev}" or start with "{dev}:"')
    if len(label.encode("utf-8", "surrogateescape")) > 15:
        from nlshell.commands.context import CommandError, quoted

        raise CommandError(f"label {quoted(label)} is longer than 15 bytes")


def address_kwargs(ctx: Any, inv: Any) -> dict[str, Any]:
    """IPRoute.addr keywords for a parsed ``address add|replace|change|delete``."""
    v = inv.values
    local = v["local"]
    kw: dict[str, Any] = {"index": ctx.ifindex(v["dev"])}
    peer = v.get("peer")
    if peer is not None:
        if peer.family != local.family:
            from nlshell.commands.context import CommandError

            raise CommandError(f"peer {peer}: not the same family as {local}")
        kw["local"] = local.address
        kw["address"] = str(peer)
        if peer.length is None and local.length is not None:
            kw["address"] = f"{peer.address}/{local.length}"
    else:
        kw["address"] = str(local)
    if "label" in v:
        _check_label(v["label"], v["dev"])
        kw["label"] = v["label"]
    if "broadcast" in v:
        brd = _broadcast(v["broadcast"], local)
        if brd is not None:
            kw["broadcast"] = brd
    for word in ("anycast", "scope", "valid_lft", "preferred_lft", "metric"):
        if word in v:
            kw[word] = v[word]
    flags = 0
    for word, bit in ADDR_FLAGS.items():
        if v.get(word):
            flags |= bit
    if flags:
        kw["flags"] = flags
    return kw


def _request(ctx: Any, inv: Any, verb: str) -> Any:
    from nlshell.engine import requests as R

    kw = address_kwargs(ctx, inv)
    anycast = kw.pop("anycast", None)
    req = R.addr_request(verb, kw)
    if anycast is not None:
        req.attrs.append(("anycast", anycast))
    return req


def address_add_request(ctx: Any, inv: Any) -> Any:
    """The engine Request of an ``address add`` (the batch runner pipelines these)."""
    return _request(ctx, inv, "add")


def address_add(ctx: Any, inv: Any) -> None:
    ctx.ipr.send(address_add_request(ctx, inv))


def address_replace(ctx: Any, inv: Any) -> None:
    ctx.ipr.send(_request(ctx, inv, "replace"))


def address_change(ctx: Any, inv: Any) -> None:
    ctx.ipr.send(_request(ctx, inv, "change"))


def address_delete(ctx: Any, inv: Any) -> None:
    ctx.ipr.send(_request(ctx, inv, "del"))


# -- show and flush --------------------------------------------------------------------

def _query(ctx: Any, v: dict[str, Any]) -> Any:
    from nlshell.commands.render import AddressQuery

    sel: dict[str, Any] = {k: v[k] for k in ("scope", "up", "label", "to", "type") if k in v}
    for word in ("dev", "master"):
        if word in v:
            sel[word] = ctx.ifindex(v[word])
    family = ctx.opts.family or C.AF_UNSPEC
    return AddressQuery(family=C.AF_UNSPEC if family == AF_PACKET else family, **sel)


AF_PACKET = C.AF_PACKET  # -0 / -f link: the links alone, no addresses (as ip)


def _dumps(ctx: Any) -> tuple[list[Any], list[Any]]:
    family = ctx.opts.family or C.AF_UNSPEC
    if family == AF_PACKET:
        return ctx.ipr.get_links(), []
    links = ctx.ipr.link("dump", family=family) if family else ctx.ipr.get_links()
    return links, ctx.ipr.get_addr(family=family)


def address_show(ctx: Any, inv: Any) -> None:
    from nlshell.commands.show import brief_json, ip_text, render_context

    query = _query(ctx, inv.values)
    links, addrs = _dumps(ctx)
    if ctx.opts.family and isinstance(query.dev, int):
        # ip asks for the one device by index: the kernel answers with the whole link
        # message, not the family dump's short one (qdisc, group, altnames...)
        links = [m for m in links if m["index"] != query.dev] + ctx.ipr.get_links(query.dev)
    rctx = render_context(ctx, links)
    opts = ctx.opts
    if ip_text(ctx, "address", addrs, rctx, query, links):
        return
    if opts.json:
        from nlshell.commands.render import address_json

        entries = address_json(addrs, rctx, query)
        if opts.family == AF_PACKET:  # ip -0 prints the links without addr_info
            entries = [{k: v for k, v in e.items() if k != "addr_info"} for e in entries]
        if opts.brief:
            entries = [{**brief_json(e, ("link", "link_index", "ifname", "operstate")),
                        "addr_info": [brief_json(a, ("local", "address", "prefixlen"))
                                      for a in e.get("addr_info", [])]} for e in entries]
        ctx.emit(entries)
    elif opts.brief:
        from nlshell.commands.render import address_brief

        ctx.write(address_brief(addrs, rctx, query, color=opts.color))
    else:
        from nlshell.commands.render import address_table

        ctx.write(address_table(addrs, rctx, query, color=opts.color,
                                    fmt=opts.table_format))


# already removed (a primary's secondaries go with it)
_GONE = (errno.ENOENT, errno.ENODEV, errno.EADDRNOTAVAIL)


def address_flush(ctx: Any, inv: Any, done: int = 0) -> None:
    from nlshell.commands.context import CommandError
    from nlshell.commands.render.address import addr_flags
    from nlshell.commands.show import render_context

    v = inv.values
    if not v:
        raise CommandError("address flush needs a selector (dev DEV, scope, to, label...)")
    links, addrs = _dumps(ctx)
    rctx = render_context(ctx, links)
    chosen = _query(ctx, v).select(addrs, rctx)
    kind = v.get("kind")
    if kind is not None:
        want = kind == "permanent"
        chosen = [m for m in chosen if bool(addr_flags(m) & C.IFA_F_PERMANENT) == want]
    # secondaries first: deleting a primary first would take them along (or promote them)
    chosen.sort(key=lambda m: not addr_flags(m) & C.IFA_F_SECONDARY)
    if not chosen:
        return
    ipr = ctx.ipr
    for err in ipr.send_pipelined([ipr.delete_of(m) for m in chosen]):
        if err is not None and err.code not in _GONE:
            raise err
    _next_round(ctx, inv, done + 1)


def _next_round(ctx: Any, inv: Any, done: int) -> None:
    """ip's -loops N (default 10, 0: no limit): a round that deleted addresses is followed
    by another (addresses may come back meanwhile) until one finds none; after N rounds
    that all deleted some, ip gives up with its words and status 255."""
    from nlshell.commands.context import CommandUsageError

    limit = ctx.opts.loops
    if limit and done >= limit:
        raise CommandUsageError(f"*** Flush remains incomplete after {limit} rounds. ***")
    address_flush(ctx, inv, done)
