"""``address``: protocol addresses (ip address).

``address add`` lines of a batch are sent pipelined by the runner through
`address_add_request`, which the ``add`` handler uses too: one translation for both paths.
"""

from __future__ import annotations

import errno
from typing import Any

from nlshell.commands import slots as S
from nlshell.commands.grammar import REGISTRY, Flag, Kw, Pos
from nlshell.engine.codec import constants as C

H = "nlshell.commands.address:"

BRD = S.ADDR.with_words({"+": ("+", "derive from the prefix (host bits set)"),
                         "-": ("-", "host bits clear")}, name="BRD")
SCOPE_ALL = S.SCOPE.with_words({"all": ("all", "every scope")})
METRIC = S.number(0, 0xFFFFFFFF, name="METRIC")

# bare keywords of add/replace -> IFA_F_* bits (ip's words; the codec's names differ for two)
_IFA_F = {name: bit for bit, name in C.IFA_F_NAMES.items()}
ADDR_FLAGS = {word: _IFA_F[name] for word, name in (
    ("optimistic", "optimistic"), ("nodad", "nodad"), ("home", "home"),
    ("mngtmpaddr", "managetempaddr"),
    ("noprefixroute", "noprefixroute"), ("autojoin", "mcautojoin"))}
_FLAG_HELP = {"optimistic": "usable while duplicate address detection runs (IPv6)",
              "nodad": "skip duplicate address detection (IPv6)",
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
        # ip takes `mngtmpaddr` on delete too: the kernel then removes the temporary
        # addresses made from this one
        return params + [Flag("mngtmpaddr", _FLAG_HELP["mngtmpaddr"])]
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

# show/flush flag selectors, ip's words: WORD keeps the addresses with that flag, -WORD
# those without it; `dynamic` is -permanent and `primary` is -secondary (so `-dynamic` is
# permanent). word -> (IFA_F_* bit, wanted: True = set, False = clear)
_FILTER_BITS = {"secondary": 0x01, "temporary": 0x01, "nodad": 0x02, "optimistic": 0x04,
                "dadfailed": 0x08, "home": 0x10, "deprecated": 0x20, "tentative": 0x40,
                "permanent": 0x80, "mngtmpaddr": 0x100, "noprefixroute": 0x200,
                "autojoin": 0x400, "stable-privacy": 0x800}
_INVERTED = {"dynamic": "permanent", "primary": "secondary"}
ADDR_FILTERS: dict[str, tuple[int, bool]] = {}
for _word, _bit in _FILTER_BITS.items():
    ADDR_FILTERS[_word], ADDR_FILTERS["-" + _word] = (_bit, True), (_bit, False)
for _word, _base in _INVERTED.items():
    ADDR_FILTERS[_word], ADDR_FILTERS["-" + _word] = (_FILTER_BITS[_base], False), \
        (_FILTER_BITS[_base], True)


def _filter_help(word: str) -> str:
    name = word.lstrip("-")
    if name in _INVERTED:
        return f"only addresses {'without' if word[0] != '-' else 'with'} the " \
               f"{_INVERTED[name]} flag ({name})"
    return f"only addresses {'without' if word[0] == '-' else 'with'} the {name} flag"


def _filter_params() -> list:
    return [Flag(word, _filter_help(word), key="flag" + word) for word in ADDR_FILTERS]


def _select_params(flush: bool = False) -> list:
    common = [
        Pos("dev", S.IFNAME, "only on this device", keyword="dev", required=False),
        Kw("scope", SCOPE_ALL, "only with this scope"),
        Flag("up", "only on devices that are up"),
        Kw("to", S.PREFIX, "only inside this prefix"),
        Kw("label", S.STRING, "only with this label (a glob)"),
        *_filter_params(),
    ]
    # flush refuses the link selectors (address_flush): ip's flush accepts them and then
    # removes the addresses of every device, never reading them
    no = " (refused by flush)" if flush else ""
    return [*common,
            Kw("master", S.IFNAME, "only on ports of this master" + no),
            Kw("vrf", S.IFNAME, "only on ports of this VRF device" + no),
            Flag("nomaster", "only on devices without a master" + no),
            Kw("type", S.LINK_KIND, "only on devices of this kind" + no, metavar="KIND")]


_MASTERS = [("master", "nomaster"), ("vrf", "nomaster"), ("master", "vrf")]

address.verb("show", "list addresses", aliases=["list", "lst"], shortcuts=["s", "sh", "ls"],
             handler=H + "address_show", params=_select_params(),
             conflicts=_MASTERS)
address.verb("add", "add an address", handler=H + "address_add", params=_change_params())
address.verb("replace", "add an address or change its attributes",
             handler=H + "address_replace", params=_change_params())
address.verb("change", "change the attributes of an address", handler=H + "address_change",
             params=_change_params())
address.verb("delete", "remove an address", aliases=["del"], shortcuts=["d"],
             handler=H + "address_delete", params=_change_params(delete=True))
address.verb("flush", "remove the addresses selected", shortcuts=["f"],
             handler=H + "address_flush", params=_select_params(flush=True),
             conflicts=_MASTERS)


_HELP = "how to use this command (its verbs, `help OBJECT VERB` for each one)"
address.verb("help", _HELP, handler=H + "object_help")


def object_help(ctx: Any, inv: Any) -> None:
    """``OBJECT help``: the object's usage, from the grammar (as `help OBJECT`), on stdout."""
    from nlshell.commands.helptext import help_for

    ctx.write(help_for([inv.command.obj.name]))


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
    sel: dict[str, Any] = {k: v[k] for k in ("scope", "up", "label", "to", "type",
                                             "nomaster") if k in v}
    for word in ("dev", "master"):
        if word in v:
            sel[word] = ctx.ifindex(v[word])
    if "vrf" in v:
        sel["master"] = vrf_index(ctx, v["vrf"])
    flags = mask = 0
    for word, (bit, wanted) in ADDR_FILTERS.items():
        if v.get("flag" + word):
            mask |= bit
            flags = flags | bit if wanted else flags & ~bit
    family = ctx.opts.family or C.AF_UNSPEC
    return flag_query(family=C.AF_UNSPEC if family == AF_PACKET else family, flags=flags,
                      flagmask=mask, **sel)


def vrf_index(ctx: Any, name: str) -> int:
    """The index of a VRF device (ip refuses any other kind of device after ``vrf``)."""
    from nlshell.commands.context import CommandError, quoted

    index = ctx.ifindex(name)
    found = ctx.ipr.get_links(index)
    if not found or found[0].get(("linkinfo", "kind")) != "vrf":
        raise CommandError(f"vrf {quoted(name)}: not a VRF device")
    return index


AF_PACKET = C.AF_PACKET  # -0 / -f link: the links alone, no addresses (as ip)
_FLAG_QUERY: Any = None


def flag_query(**sel: Any) -> Any:
    """The renderer's AddressQuery plus ip's flag selectors and ``nomaster`` (the class is
    made on first use: the renderers stay unimported until a show runs)."""
    global _FLAG_QUERY
    if _FLAG_QUERY is None:
        from dataclasses import dataclass

        from nlshell.commands.render.address import AddressQuery, addr_flags
        from nlshell.commands.render.link import LinkQuery

        @dataclass
        class FlagQuery(AddressQuery):
            flags: int = 0  # wanted values of the bits in flagmask
            flagmask: int = 0
            nomaster: bool = False

            def match(self, m: Any, ctx: Any = None) -> bool:
                return (addr_flags(m) & self.flagmask) == self.flags and \
                    super().match(m, ctx)

            def links(self, ctx: Any) -> list[Any]:
                if not self.nomaster:
                    return super().links(ctx)
                q = LinkQuery(dev=self.dev, type=self.type, group=self.group, nomaster=True)
                return q.select(ctx.links, ctx)

        _FLAG_QUERY = FlagQuery
    return _FLAG_QUERY(**sel)


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


_FLUSH_REFUSED = ("master", "vrf", "nomaster", "type")
# already removed (a primary's secondaries go with it)
_GONE = (errno.ENOENT, errno.ENODEV, errno.EADDRNOTAVAIL)


def address_flush(ctx: Any, inv: Any, done: int = 0) -> None:
    from nlshell.commands.context import CommandError
    from nlshell.commands.render.address import addr_flags
    from nlshell.commands.show import render_context

    v = inv.values
    if not v:
        raise CommandError("address flush needs a selector (dev DEV, scope, to, label...)")
    for word in _FLUSH_REFUSED:
        if word in v:
            raise CommandError(f"address flush {word}: not a flush selector (ip takes it and "
                               "then flushes the addresses of every device)")
    links, addrs = _dumps(ctx)
    rctx = render_context(ctx, links)
    chosen = _query(ctx, v).select(addrs, rctx)
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
