"""``ip addr show`` as ip prints it (iproute2 6.1's text), byte for byte: each selected
link's head (as ``ip link`` prints it, without ``mode``), its addresses with their flags
and lifetimes, then with ``-s`` its counters; ``-o`` (one line per address, no link
lines), ``-4``/``-6``/``-0``, ``-d``, ``-br``.

The selection is the JSON renderer's (``render.address``: ``AddressQuery``), so the text
lists the same links and addresses as ``-j``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from nlshell.engine.codec.constants import AF_PACKET, AF_UNSPEC, RTM_NEWADDR

from ..address import INFINITY, AddressQuery, addr_info
from ..link import IFF_UP, link_entry
from ..safe import printable
from . import link as L

# the flag words of an address, in ip's order (addr_info's keys set to True)
_NOT_FLAGS = frozenset(("deleted",))


def _lifetime(v: int) -> str:
    return "forever" if v == INFINITY else f"{v}sec"


def address_lines(a: dict[str, Any], label: Any = printable) -> list[str]:
    """One address (an ``addr_info`` entry): its line and its lifetimes' line. ``label``
    writes the label (the monitor escapes its whole line itself: it passes ``str``)."""
    fam = a.get("family")
    out = [f"    {fam} " if fam is not None else f"    family {a.get('family_index')} "]
    if "local" in a:
        out.append(a["local"])
        if "address" in a:
            out.append(f" peer {a['address']}")
        out.append(f"/{a['prefixlen']} ")
        if "metric" in a:
            out.append(f"metric {a['metric']} ")
    if "broadcast" in a:
        out.append(f"brd {a['broadcast']} ")
    if "anycast" in a:
        out.append(f"any {a['anycast']} ")
    out.append(f"scope {a['scope']} ")
    out.extend(f"{key} " for key, value in a.items() if value is True and key not in _NOT_FLAGS)
    if "ifa_flags" in a:
        out.append(f"flags {a['ifa_flags']} ")
    if "label" in a:
        out.append(label(a["label"]))
    text = ["".join(out)]
    if "valid_life_time" in a:
        text.append(f"       valid_lft {_lifetime(a['valid_life_time'])}"
                    f" preferred_lft {_lifetime(a['preferred_life_time'])}")
    return text


def _selected(addrs: Iterable[Any], rctx: Any, q: AddressQuery
              ) -> Iterator[tuple[Any, list[Any]]]:
    """(link, its shown addresses) in ip's order, left out as ``address_json`` leaves
    them out (see there)."""
    by_link: dict[int, list[Any]] = {}
    for m in addrs:
        if m.type == RTM_NEWADDR:
            by_link.setdefault(m["index"], []).append(m)
    for link in q.links(rctx):
        if q.up and not link["flags"] & IFF_UP:
            continue
        mine = by_link.get(link["index"], [])
        shown = [a for a in mine if q.match(a, rctx)]
        if not shown and (mine or q.family not in (AF_UNSPEC, AF_PACKET)):
            continue
        yield link, shown


def lines(addrs: Iterable[Any], rctx: Any, opts: Any, query: AddressQuery | None = None,
          links: Any = None) -> Iterator[str]:
    """``ip [-4|-6|-0] [-o] [-s] [-d] [-br] addr show`` for these addresses (`query`: the
    selectors; `links`: the link dump, already in ``rctx``)."""
    q = query or AddressQuery()
    if opts.brief and opts.family == AF_PACKET:  # ip -br -0 addr: ip -br link's lines
        from ..brief import link_brief

        yield from link_brief([link for link, _ in _selected(addrs, rctx, q)],
                              rctx).splitlines()
        return
    if opts.brief:
        yield from _brief(addrs, rctx, q)
        return
    try:
        yield from _text(addrs, rctx, opts, q)
    finally:
        L.forget()


def _brief(addrs: Iterable[Any], rctx: Any, q: AddressQuery) -> Iterator[str]:
    if q.label is None:
        from ..brief import address_brief

        yield from address_brief(addrs, rctx, q).splitlines()
        return
    from ..address import address_json
    from ..brief import _addr_text

    # ip -br under `label GLOB`: each link's line without its name and state
    for e in address_json(addrs, rctx, q):
        yield "".join(_addr_text(a, False) for a in e["addr_info"])


def _text(addrs: Iterable[Any], rctx: Any, opts: Any, q: AddressQuery) -> Iterator[str]:
    links_only = opts.family == AF_PACKET
    # under `label GLOB` ip prints the matching addresses alone: no link heads, no counters
    no_link = q.label is not None and not links_only
    for link, shown in _selected(addrs, rctx, q):
        if no_link and not opts.oneline:
            for m in shown:
                yield from address_lines(addr_info(m, rctx))
            continue
        if opts.oneline and not links_only:
            name = f"{link['index']}: {printable(rctx.ifname(link['index']))}"
            for m in shown:
                yield name + L.SL.join(address_lines(addr_info(m, rctx)))
            continue
        e = link_entry(link, rctx, view="addr", family=q.family)
        out = L.head(link, e, rctx) + L.altnames(e)
        for m in shown:
            out += address_lines(addr_info(m, rctx))
        if rctx.stats:
            out += L.stats_lines(link.attr_dict(), rctx.stats, opts.human, opts.iec)
        yield from L.joined(out, opts.oneline)
