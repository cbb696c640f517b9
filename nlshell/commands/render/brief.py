"""`-br` output, character for character as `ip -br link|addr|neigh` prints it.

One line per object; with ``color=True`` the same ANSI codes in the same places as
``ip -c -br`` (padding inside the colour, as ip does).
"""

from __future__ import annotations

from . import colors as C
from .link import link_entry
from .safe import printable

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Collection, Iterable
    from typing import Any

    from .address import AddressQuery


def _name(entry: dict[str, Any]) -> str:
    name = entry["ifname"]
    if "link_index" in entry:
        name = f"{name}@if{entry['link_index']}"
    elif "link" in entry:
        name = f"{name}@{entry['link'] or 'NONE'}"
    return printable(name)


def _head(entry: dict[str, Any], color: bool) -> str:
    """ip's first two columns: NAME[@LINK] padded to 16, operstate padded to 14."""
    out = C.paint(f"{_name(entry):<16} ", C.IFNAME, color)
    state = entry.get("operstate")
    if state is not None:
        out += C.paint(f"{state:<14} ", C.OPERSTATE.get(state), color)
    elif "operstate_index" in entry:
        out += f"state {entry['operstate_index']:#x}"
    return out


def link_brief(msgs: Iterable[Any], ctx: Any, *, color: bool = False) -> str:
    """`ip -br link show` for these link messages (selected beforehand)."""
    lines = []
    for m in msgs:
        e = link_entry(m, ctx)
        line = _head(e, color)
        if "address" in e:
            line += C.paint(f"{e['address']} ", C.MAC, color)
        line += "<" + ",".join(e["flags"]) + "> "
        lines.append(line)
    return "".join(line + "\n" for line in lines)


def _addr_text(a: dict[str, Any], color: bool) -> str:
    if "local" not in a:
        return ""
    code = C.INET6 if a.get("family") == "inet6" else C.INET if a.get("family") == "inet" else None
    out = C.paint(a["local"], code, color)
    if "address" in a:
        out += " peer " + C.paint(a["address"], code, color)
    out += f"/{a['prefixlen']} "
    if "metric" in a:
        out += f"metric {a['metric']} "
    return out


def address_brief(addrs: Iterable[Any], ctx: Any, query: AddressQuery | None = None, *,
                  color: bool = False) -> str:
    """`ip -br addr show`: one line per link with its addresses."""
    from .address import address_json  # (here: `link -br` never loads it, start-up time)

    lines = []
    for e in address_json(addrs, ctx, query):
        lines.append(_head(e, color) + "".join(_addr_text(a, color) for a in e["addr_info"]))
    return "".join(line + "\n" for line in lines)


def neighbour_brief(msgs: Iterable[Any], ctx: Any, hide: Collection[str] = (), *,
                    color: bool = False) -> str:
    """`ip -br neigh show`: address, device (unless selected), link-layer address."""
    from .neighbour import neighbour_json  # (here: `link -br` never loads it)

    lines = []
    for e in neighbour_json(msgs, ctx, hide):
        line = ""
        if "dst" in e:
            line += C.paint(f"{e['dst']:<39} ", C.family_code(e["dst"]), color)
        if "dev" in e:
            line += C.paint(f"{printable(e['dev']):<16} ", C.IFNAME, color)
        if "lladdr" in e:
            line += C.paint(e["lladdr"], C.MAC, color)
        lines.append(line)
    return "".join(line + "\n" for line in lines)
