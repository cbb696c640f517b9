"""Keyword arguments (pyroute2 style) -> rtnetlink requests, one module per object.

Each ``*_request`` function turns ``(cmd, **kw)`` into a ``Request``: the message type,
the header flags, the fixed-header fields and the attributes. Nothing here does I/O;
the caller (IPRoute) sends it as a single request, a dump, or part of a bulk batch.
Unknown keywords and bad values raise ValueError naming them.

    base            Request, the verbs, readers of numbers, names, addresses and tables
    link addr route neigh rule    one translator per object
    route_defaults  ip's table / scope / protocol defaults by route type (one table)
    route_fast      the common route requests encoded straight to bytes (bulk adds)
    inverse         the delete undoing an add; the delete of a dumped object
"""

from __future__ import annotations

from .addr import addr_request
from .base import (
    F_CREATE,
    F_REPLACE,
    MSG,
    TABLE_NUMBERS,
    VERBS,
    Request,
    family_of,
    ip_bytes,
    named,
    ns_resolver,
    split_prefix,
    table_number,
    uint,
)
from .inverse import delete_of, retyped, undo_of
from .link import link_property_request, link_request
from .neigh import NUD_NUMBERS, neigh_request, nud_state
from .route import route_request
from .route_fast import fast_route
from .rule import ACTIONS, rule_request

__all__ = ["ACTIONS", "F_CREATE", "F_REPLACE", "MSG", "NUD_NUMBERS", "TABLE_NUMBERS", "VERBS",
           "Request", "addr_request", "delete_of", "family_of", "fast_route", "ip_bytes",
           "link_property_request", "link_request", "named", "neigh_request", "ns_resolver", "nud_state", "retyped",
           "route_request", "rule_request", "split_prefix", "table_number", "uint", "undo_of"]
