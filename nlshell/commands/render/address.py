"""Addresses: `ip -j addr show` (links with their `addr_info`) and ip's address selectors.

ip groups addresses under their links, so ``address_json(addrs, ctx, query)`` takes the
links from ``ctx.links`` (a link dump in the same family as ip asks for: with -4/-6 the
kernel sends shorter link messages, and ip prints what it gets).
"""

from __future__ import annotations

from nlshell.commands.record import EqRecord
from nlshell.engine.codec import constants as C
from nlshell.engine.codec.constants import (
    IFA_F_DEPRECATED,
    IFA_F_PERMANENT,
    IFA_F_SECONDARY,
    INFINITY_LIFE_TIME,
    RTM_DELADDR,
    RTM_NEWADDR,
)

from . import names as N
from .link import IFF_UP, LinkQuery, _index, _stats, link_entry

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

INFINITY = INFINITY_LIFE_TIME

# IFA_F_* in ip's order; secondary reads "temporary" on IPv6; permanent prints its absence
_FLAGS = ((C.IFA_F_SECONDARY, "secondary"), (C.IFA_F_NODAD, "nodad"),
          (C.IFA_F_OPTIMISTIC, "optimistic"), (C.IFA_F_DADFAILED, "dadfailed"),
          (C.IFA_F_HOMEADDRESS, "home"), (C.IFA_F_DEPRECATED, "deprecated"),
          (C.IFA_F_TENTATIVE, "tentative"), (C.IFA_F_PERMANENT, "permanent"),
          (C.IFA_F_MANAGETEMPADDR, "mngtmpaddr"), (C.IFA_F_NOPREFIXROUTE, "noprefixroute"),
          (C.IFA_F_MCAUTOJOIN, "autojoin"), (C.IFA_F_STABLE_PRIVACY, "stable-privacy"))
_KNOWN_FLAGS = sum(bit for bit, _word in _FLAGS)


def addr_flags(m: Any) -> int:
    """The address flags: IFA_FLAGS (32 bits) when present, else the header's 8 bits."""
    f = m.get("IFA_FLAGS")
    return m["flags"] if f is None else f


def addr_info(m: Any, ctx: Any = None) -> dict[str, Any]:
    """One address as an element of ip's `addr_info` list."""
    a = m.attr_dict()
    family = m["family"]
    flags = addr_flags(m)
    out: dict[str, Any] = {}
    if m.type == RTM_DELADDR:  # (monitor)
        out["deleted"] = True
    name = N.family_name(family)
    if name is not None:
        out["family"] = name
    else:
        out["family_index"] = family
    local = a.get("IFA_LOCAL", a.get("IFA_ADDRESS"))
    peer = a.get("IFA_ADDRESS", local)
    if local is not None:
        out["local"] = local
        if peer != local:
            out["address"] = peer
        out["prefixlen"] = m["prefixlen"]
        if "IFA_RT_PRIORITY" in a:
            out["metric"] = a["IFA_RT_PRIORITY"]
    if "IFA_BROADCAST" in a:
        out["broadcast"] = a["IFA_BROADCAST"]
    if "IFA_ANYCAST" in a:
        out["anycast"] = a["IFA_ANYCAST"]
    out["scope"] = N.scope_name(m["scope"], bool(ctx and ctx.numeric))
    for bit, word in _FLAGS:
        if bit == IFA_F_PERMANENT:
            if not flags & bit:
                out["dynamic"] = True
        elif flags & bit:
            out["temporary" if bit == IFA_F_SECONDARY and family == N.AF_INET6 else word] = True
    if flags & ~_KNOWN_FLAGS:
        out["ifa_flags"] = f"{flags & ~_KNOWN_FLAGS:02x}"
    if "IFA_LABEL" in a:
        out["label"] = a["IFA_LABEL"]
    ci = a.get("IFA_CACHEINFO")
    if ci is not None:  # a short IFA_CACHEINFO decodes to the fields that fit
        if "ifa_valid" in ci:
            out["valid_life_time"] = ci["ifa_valid"]
        pref = ci.get("ifa_preferred")
        if pref is not None:
            if pref != INFINITY and flags & IFA_F_DEPRECATED and pref >= 1 << 31:
                pref -= 1 << 32  # ip prints a deprecated address's lifetime signed
            out["preferred_life_time"] = pref
    return out


# --- selection ---------------------------------------------------------------------


class AddressQuery(EqRecord):
    """ip's `addr show` selectors: ``dev X``, ``scope S|all``, ``up``, ``label GLOB``,
    ``to PREFIX``, address family (-4/-6), and the link selectors ``master``/``type``/
    ``group`` (see `LinkQuery`)."""

    FIELDS = ("dev", "scope", "up", "family", "label", "to", "master", "type", "group")

    def __init__(self, dev: int | str | None = None, scope: int | str | None = None,
                 up: bool = False, family: int | str | None = None, label: str | None = None,
                 to: Any = None, master: int | str | None = None, type: str | None = None,
                 group: int | str | None = None) -> None:
        self.dev = dev
        self.scope = scope
        self.up = up
        self.family = family
        self.label = label
        self.to = to
        self.master = master
        self.type = type
        self.group = group
        self.__post_init__()

    def __post_init__(self) -> None:
        self.family = N.family_id(self.family)
        if self.scope == "all":
            self.scope = None
        elif self.scope is not None:
            self.scope = N.scope_id(self.scope)
        self._net = _network(self.to) if self.to is not None else None
        if self._net is not None and not self.family:
            self.family = N.AF_INET6 if self._net.version == 6 else N.AF_INET

    def match(self, m: Any, ctx: Any = None) -> bool:
        """Does this address message pass the address-level selectors (not `up`)?"""
        if self.family and m["family"] != self.family:
            return False
        if self.scope is not None and m["scope"] != self.scope:
            return False
        if self.label is not None:
            label = m.get("IFA_LABEL")
            if label is None:
                label = ctx.ifname(m["index"]) if ctx is not None else ""
            import fnmatch  # only for `label GLOB`

            if not fnmatch.fnmatchcase(label, self.label):
                return False
        if self._net is not None:
            local = m.get("IFA_LOCAL") or m.get("IFA_ADDRESS")
            if local is None or not _in(local, self._net):
                return False
        return True

    def select(self, addrs: Iterable[Any], ctx: Any = None) -> list[Any]:
        """The address messages ip would show (a flat list, e.g. for `addr flush`)."""
        links = {m["index"]: m for m in self.links(ctx)} if ctx is not None else None
        dev = _index(self.dev, ctx, "dev")
        out = []
        for m in addrs:
            if m.type not in (RTM_NEWADDR, RTM_DELADDR):
                continue
            idx = m["index"]
            if dev is not None and idx != dev:
                continue
            if links is not None:
                link = links.get(idx)
                if link is None or (self.up and not link["flags"] & IFF_UP):
                    continue
            if self.match(m, ctx):
                out.append(m)
        return out

    def links(self, ctx: Any) -> list[Any]:
        """The links ip lists before it looks at addresses."""
        q = LinkQuery(dev=self.dev, master=self.master, type=self.type, group=self.group)
        return q.select(ctx.links, ctx)


def _network(prefix: Any) -> Any:
    """A PREFIX as given by the grammar (a `Prefix` tuple) or as text -> ip_network|None."""
    import ipaddress  # only for prefix selectors

    special = getattr(prefix, "special", None)
    if special in ("default", "all", "any"):
        return None
    addr = getattr(prefix, "address", None)
    if addr is not None:
        length = prefix.length
        text = addr if length is None else f"{addr}/{length}"
    else:
        text = str(prefix)
        if text in ("default", "all", "any"):
            return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(f"invalid prefix {text!r}") from None


def _in(addr: str, net: Any) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(addr) in net
    except (ValueError, TypeError):
        return False


def address_json(addrs: Iterable[Any], ctx: Any, query: AddressQuery | None = None
                 ) -> list[dict[str, Any]]:
    """`ip -j addr show`: each selected link of ``ctx.links`` with its `addr_info` list.

    As ip, a link whose addresses all fail the selectors is left out, and so is a link
    without addresses when a family is selected; a link that is down under ``up`` is left
    out too (ip prints an empty ``{}`` for it).
    """
    q = query or AddressQuery()
    by_link: dict[int, list[Any]] = {}
    for m in addrs:
        if m.type == RTM_NEWADDR:
            by_link.setdefault(m["index"], []).append(m)
    out = []
    for link in q.links(ctx):
        idx = link["index"]
        if q.up and not link["flags"] & IFF_UP:
            continue
        mine = by_link.get(idx, [])
        shown = [a for a in mine if q.match(a, ctx)]
        if not shown and (mine or q.family not in (N.AF_UNSPEC, N.AF_PACKET)):
            continue
        entry = link_entry(link, ctx, view="addr", family=q.family)
        entry["addr_info"] = [addr_info(a, ctx) for a in shown]
        if ctx.stats:
            st = _stats(link.attr_dict(), ctx.stats)
            if st is not None:
                entry[st[0]] = st[1]
        out.append(entry)
    return out


def select_addresses(addrs: Iterable[Any], ctx: Any = None, **selectors: Any) -> list[Any]:
    """`AddressQuery(**selectors).select(addrs, ctx)`: the address messages ip would show."""
    return AddressQuery(**selectors).select(addrs, ctx)
