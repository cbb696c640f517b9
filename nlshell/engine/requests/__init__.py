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

import sys

# name -> the submodule defining it, imported on first use (PEP 562): `nlshell -c 'link
# show'` needs the link translator, not the route encoders (start-up time)
_WHERE: dict[str, str] = {
    "addr_request": "addr",
    **dict.fromkeys(("F_CREATE", "F_REPLACE", "MSG", "TABLE_NUMBERS", "VERBS", "Request",
                     "family_of", "ip_bytes", "named", "ns_resolver", "split_prefix",
                     "table_number", "uint"), "base"),
    **dict.fromkeys(("delete_of", "retyped", "undo_of"), "inverse"),
    **dict.fromkeys(("link_property_request", "link_request"), "link"),
    **dict.fromkeys(("NUD_NUMBERS", "neigh_request", "nud_state"), "neigh"),
    "route_request": "route",
    "LIBRARY_FACE": "route_defaults",
    "fast_route": "route_fast",
    **dict.fromkeys(("ACTIONS", "rule_request"), "rule"),
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> object:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = f"{__name__}.{where}"
    __import__(module)  # importlib.import_module without importlib (start-up time)
    value = getattr(sys.modules[module], name)
    globals()[name] = value  # later lookups skip __getattr__
    return value
