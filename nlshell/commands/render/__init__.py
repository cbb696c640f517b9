"""Output rendering: engine messages -> what `ip` shows (JSON dicts, tables, -br lines).

Nothing here talks to the kernel: callers dump (or read the cache), select, render.
Submodules load on first use, and tabulate only when a table is drawn.

Context
    ``RenderContext(links, details=False, stats=0, numeric=False, names=None)``: link
    lookups by index (``ifname(i)`` -> name, ``*`` for 0, ``if<N>`` when unknown, as ip;
    ``ifflags``, ``iftype``, ``link``, ``index_of(name)``) and ip's -d / -s (count) / -N.
    ``ctx.links`` are the links ``address_json`` groups addresses under.

JSON (the same keys and value formats as ``ip -j`` of iproute2 6.1)
    ``link_json(msgs, ctx)``, ``address_json(addrs, ctx, query=None)``,
    ``route_json(msgs, ctx, hide=())``, ``neighbour_json(msgs, ctx, hide=())``,
    ``rule_json(msgs, ctx)`` -> ``list[dict]``; per object: ``link_entry``, ``addr_info``,
    ``route_entry``, ``neighbour_entry``, ``rule_entry``.

Selection (ip's dump-side filters, as plain functions over messages)
    ``LinkQuery(dev, up, type, master, nomaster, group)``,
    ``AddressQuery(dev, scope, up, family, label, to, master, type, group)``,
    ``RouteQuery(table, family, dev, iif, proto, scope, type, metric, tos, root, match,
    exact, via, src)``, ``NeighbourQuery(dev, nud, family, to, proxy, flush)``,
    ``RuleQuery(family, pref, table, not_, src, dst, iif, oif, fwmark)``: ``.select(msgs,
    ctx)`` keeps what ip would show; ``RouteQuery.hidden`` / ``NeighbourQuery.hidden`` name
    the fields ip then leaves out (pass them as ``hide=``). Shortcuts: ``select_links``,
    ``select_addresses``, ``select_routes``, ``select_neighbours``, ``select_rules``.
    Devices are indexes or names; bad values raise ``ValueError`` naming the word.

Human output
    ``link_table``, ``address_table``, ``route_table``, ``neighbour_table``, ``rule_table``
    (``color: bool``, ANSI, ip's palette) and ``link_brief``, ``address_brief``,
    ``neighbour_brief`` (``ip -br``, byte for byte) -> ``str``.

Names
    ``names``: tables, protocols, scopes, realms, groups, route types, NUD states, link
    flags, families, link types -- with /etc/iproute2 files read as ip reads them.

Fields ip shows that these renderers leave out (deliberately):
    links: ``xdp``, ``vfinfo_list``, ``proto_down_reason``, ``info_xstats``, and
    ``info_data`` of kinds other than bridge, bridge_slave, vxlan, macvlan/macvtap and tun
    (veth and ifb have none in ip either); with -6, ``txqlen`` (ip asks ioctl) and
    ``stats64`` (ip shows IPv6 SNMP counters) -- the kernel's AF_INET6 link dump has neither.
    routes: ``encap`` (lwtunnels), ``to`` (MPLS newdst). rules: ``nat_gateway``.
Where ip prints an empty ``{}`` for a link or address a selector dropped (``addr show up``,
``addr show scope S``, ``label``), these renderers print nothing.
"""

from __future__ import annotations

from nlshell import _import_module as import_module  # importlib costs start-up time

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from typing import Any

_EXPORTS = {
    "RenderContext": "context",
    "link_json": "link", "link_entry": "link", "LinkQuery": "link", "select_links": "link",
    "address_json": "address", "addr_info": "address", "AddressQuery": "address",
    "select_addresses": "address",
    "route_json": "route", "route_entry": "route", "RouteQuery": "route",
    "select_routes": "route",
    "neighbour_json": "neighbour", "neighbour_entry": "neighbour",
    "NeighbourQuery": "neighbour", "select_neighbours": "neighbour",
    "rule_json": "rule", "rule_entry": "rule", "RuleQuery": "rule", "select_rules": "rule",
    "link_table": "tables", "address_table": "objtables", "route_table": "objtables",
    "neighbour_table": "objtables", "rule_table": "objtables",
    "link_brief": "brief", "address_brief": "brief", "neighbour_brief": "brief",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
