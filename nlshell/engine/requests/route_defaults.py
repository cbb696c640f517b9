"""ip's defaults for a route request, in one place: the table, scope and protocol a route
gets when they are not given, by route type.

Read by the keyword API (`route.route_request`), the batch fast path (`route_fast`) and,
through the keyword API, the command language: the three send the same header for the
same route.

- table: ``local`` for local, broadcast, nat and anycast routes, else ``main``;
- protocol: ``boot`` for what is added (as ip), nothing for a delete;
- scope: a delete matches any scope (``nowhere``); IPv6 routes are ``global``; IPv4 local
  and nat routes are ``host``, broadcast, multicast and anycast ones ``link``, and a
  unicast route without a gateway (nor nexthops, nor a nexthop object) is ``link``: it is
  onto its device. Everything else is ``global``.

Two faces read this table: the command language (``IP_FACE``, ip's defaults above) and the
library (``LIBRARY_FACE``, pyroute2's: an added route is ``static``, and a route onto its
device keeps scope ``global`` unless scope= is given). A face is a parameter of the
translators (``route_request``, ``fast_route``), not a second table.
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
DEL_SCOPE = C.RT_SCOPE_NOWHERE  # a delete without a scope matches any
ADD_TYPE = C.RTN_UNICAST


class Face(tuple):
    """What differs between the command language's defaults and the library's: a pair
    (a NamedTuple, written by hand: typing costs start-up time)."""

    __slots__ = ()

    def __new__(cls, proto: int, direct_link_scope: bool) -> Face:
        return tuple.__new__(cls, (proto, direct_link_scope))

    # the protocol of an added route without one
    proto = property(lambda self: self[0])
    # a route onto its device is scope link (ip), else global
    direct_link_scope = property(lambda self: self[1])

    def __repr__(self) -> str:
        return f"Face(proto={self[0]!r}, direct_link_scope={self[1]!r})"


IP_FACE = Face(ADD_PROTO, True)
LIBRARY_FACE = Face(C.RTPROT_STATIC, False)  # pyroute2's IPRoute.route('add')


def default_table(rtype: int | None) -> int:
    """The table of a route of this type when none is given."""
    return TYPE_DEFAULTS.get(rtype or ADD_TYPE, (C.RT_TABLE_MAIN, 0))[0]


def default_scope(action: str, family: int, rtype: int | None, direct: bool,
                  face: Face = IP_FACE) -> int:
    """The scope of a request without one. ``direct``: a unicast route with no gateway,
    nexthops or nexthop object (a route onto its device)."""
    if action == "del":
        return DEL_SCOPE
    if family == C.AF_INET6:
        return C.RT_SCOPE_UNIVERSE
    rtype = rtype or ADD_TYPE
    if rtype in TYPE_DEFAULTS:
        return TYPE_DEFAULTS[rtype][1]
    if rtype == C.RTN_UNICAST and direct and face.direct_link_scope:
        return C.RT_SCOPE_LINK
    return C.RT_SCOPE_UNIVERSE


def default_proto(action: str, face: Face = IP_FACE) -> int:
    """The protocol of a request without one: the face's for what is added."""
    return face.proto if action != "del" else C.RTPROT_UNSPEC
