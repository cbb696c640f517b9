"""ip's defaults for a route request, in one place: the table, scope and protocol a route
gets when they are not given, by route type.

Read by the keyword API (`route.route_request`), the batch fast path (`route_fast`) and,
through the keyword API, the command language: the three send the same header for the
same route.

- table: ``local`` for local, broadcast, nat and anycast routes, else ``main``;
- protocol: ``boot`` for what is added (as ip), nothing for a delete. The protocol is a
  parameter of the face: the command language sends ip's ``boot``, the library face
  (``IPRoute.route('add')``) pyroute2's ``static`` (LIBRARY_PROTO);
- scope: a delete matches any scope (``nowhere``); IPv6 routes are ``global``; IPv4 local
  and nat routes are ``host``, broadcast, multicast and anycast ones ``link``, and a
  unicast route without a gateway (nor nexthops, nor a nexthop object) is ``link``: it is
  onto its device. Everything else is ``global``.
"""

from __future__ import annotations

from ..codec import constants as C

# route type -> (table, IPv4 scope) when they differ from (main, global)
TYPE_DEFAULTS: dict[int, tuple[int, int]] = {
    C.RTN_LOCAL: (C.RT_TABLE_LOCAL, C.RT_SCOPE_HOST),
    C.RTN_NAT: (C.RT_TABLE_LOCAL, C.RT_SCOPE_HOST),
    C.RTN_BROADCAST: (C.RT_TABLE_LOCAL, C.RT_SCOPE_LINK),
    C.RTN_ANYCAST: (C.RT_TABLE_LOCAL, C.RT_SCOPE_LINK),
    C.RTN_MULTICAST: (C.RT_TABLE_MAIN, C.RT_SCOPE_LINK),
}
ADD_PROTO = C.RTPROT_BOOT  # what `ip route add` marks its routes with
LIBRARY_PROTO = C.RTPROT_STATIC  # what pyroute2's IPRoute.route('add') marks them with
DEL_SCOPE = C.RT_SCOPE_NOWHERE  # a delete without a scope matches any
ADD_TYPE = C.RTN_UNICAST


def default_table(rtype: int | None) -> int:
    """The table of a route of this type when none is given."""
    return TYPE_DEFAULTS.get(rtype or ADD_TYPE, (C.RT_TABLE_MAIN, 0))[0]


def default_scope(action: str, family: int, rtype: int | None, direct: bool) -> int:
    """The scope of a request without one. ``direct``: a unicast route with no gateway,
    nexthops or nexthop object (a route onto its device)."""
    if action == "del":
        return DEL_SCOPE
    if family == C.AF_INET6:
        return C.RT_SCOPE_UNIVERSE
    rtype = rtype or ADD_TYPE
    if rtype in TYPE_DEFAULTS:
        return TYPE_DEFAULTS[rtype][1]
    if rtype == C.RTN_UNICAST and direct:
        return C.RT_SCOPE_LINK
    return C.RT_SCOPE_UNIVERSE


def default_proto(action: str, proto: int = ADD_PROTO) -> int:
    """The protocol of a request without one: ``proto`` (the face's) for what is added."""
    return proto if action != "del" else C.RTPROT_UNSPEC
