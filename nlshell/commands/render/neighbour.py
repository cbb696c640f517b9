"""Neighbours: `ip -j neigh show` dicts from RTM_NEWNEIGH messages, and ip's selectors."""

from __future__ import annotations

import os

from nlshell.commands.record import EqRecord
from nlshell.engine.codec.constants import (
    NTF_EXT_LEARNED,
    NTF_EXT_MANAGED,
    NTF_OFFLOADED,
    NTF_PROXY,
    NTF_ROUTER,
    RTM_DELNEIGH,
    RTM_GETNEIGH,
    RTM_NEWNEIGH,
)

from . import names as N
from .address import _in, _network
from .link import _index

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Collection, Iterable
    from typing import Any

_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_HEADER = ("family", "ifindex", "state", "flags", "ndm_type")


def neighbour_entry(m: Any, ctx: Any, hide: Collection[str] = ()) -> dict[str, Any]:
    """One neighbour as ip prints it; ``hide={'dev'}`` when a device was selected."""
    head, a = m.whole()
    family, ifindex, state, flags, _t = head
    out: dict[str, Any] = {}
    if m.type == RTM_DELNEIGH:
        out["deleted"] = True
    elif m.type == RTM_GETNEIGH:
        out["miss"] = None
    if "NDA_DST" in a:
        out["dst"] = a["NDA_DST"]
    if ifindex and "dev" not in hide:
        out["dev"] = ctx.ifname(ifindex)
    if "NDA_LLADDR" in a:
        out["lladdr"] = N.lladdr_text(a["NDA_LLADDR"], ctx.iftype(ifindex))
    if flags & NTF_ROUTER:
        out["router"] = None
    if flags & NTF_PROXY:
        out["proxy"] = None
    if a.get("NDA_FLAGS_EXT", 0) & NTF_EXT_MANAGED:
        out["managed"] = None
    if flags & NTF_EXT_LEARNED:
        out["extern_learn"] = None
    if flags & NTF_OFFLOADED:
        out["offload"] = None
    if ctx.stats:
        ci = a.get("NDA_CACHEINFO")
        if ci is not None:
            # a short NDA_CACHEINFO decodes to the fields that fit: the others read as 0
            if ci.get("ndm_refcnt"):
                out["refcnt"] = ci["ndm_refcnt"]
            out["used"] = ci.get("ndm_used", 0) // _HZ
            out["confirmed"] = ci.get("ndm_confirmed", 0) // _HZ
            out["updated"] = ci.get("ndm_updated", 0) // _HZ
        if "NDA_PROBES" in a:
            out["probes"] = a["NDA_PROBES"]
    if state:
        out["state"] = N.nud_names(state)
    proto = a.get("NDA_PROTOCOL")
    if proto:
        out["protocol"] = N.proto_name(proto, ctx.numeric)
    return out


def neighbour_json(msgs: Iterable[Any], ctx: Any, hide: Collection[str] = ()
                   ) -> list[dict[str, Any]]:
    """`ip -j neigh show` for these messages (select them first with NeighbourQuery)."""
    hide = frozenset(hide)
    return [neighbour_entry(m, ctx, hide) for m in msgs
            if m.type in (RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH)]


class NeighbourQuery(EqRecord):
    """ip's `neigh show` selectors: ``dev X``, ``nud STATE`` (one word or a list of them,
    ``'all'`` for every state; NOARP entries are hidden by default), ``proxy``,
    ``to PREFIX``, ``family``. ``flush=True`` uses flush's default (not PERMANENT/NOARP).
    """

    FIELDS = ("dev", "nud", "family", "to", "proxy", "flush")

    def __init__(self, dev: int | str | None = None, nud: Any = None,
                 family: int | str | None = None, to: Any = None, proxy: bool = False,
                 flush: bool = False) -> None:
        self.dev = dev
        self.nud = nud
        self.family = family
        self.to = to
        self.proxy = proxy
        self.flush = flush
        self.__post_init__()

    def __post_init__(self) -> None:
        self.family = N.family_id(self.family)
        if self.nud is None:
            mask = ~(N.NUD_PERMANENT | N.NUD_NOARP) if self.flush else 0xFF & ~N.NUD_NOARP
        else:
            mask = 0
            words = [self.nud] if isinstance(self.nud, (str, int)) else list(self.nud)
            for word in words:
                if word == "all":
                    bit = ~N.NUD_NOARP if self.flush else ~0
                else:
                    bit = N.nud_id(word)
                mask |= bit or N.NONE_STATE_BIT
        self._mask = mask
        self._net = _network(self.to) if self.to is not None else None
        if self._net is not None and not self.family:
            self.family = N.AF_INET6 if self._net.version == 6 else N.AF_INET

    @property
    def hidden(self) -> frozenset[str]:
        return frozenset(("dev",)) if self.dev is not None else frozenset()

    def select(self, msgs: Iterable[Any], ctx: Any = None) -> list[Any]:
        dev = _index(self.dev, ctx, "dev")
        mask = self._mask
        out = []
        for m in msgs:
            if m.type not in (RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH):
                continue
            family, ifindex, state, flags, _t = m.header_tuple()
            if self.family and family != self.family:
                continue
            if dev is not None and ifindex != dev:
                continue
            if self.proxy and not flags & NTF_PROXY:
                continue
            if (not mask & state and not flags & (NTF_PROXY | NTF_EXT_LEARNED)
                    and (state or not mask & N.NONE_STATE_BIT)):
                continue
            if self._net is not None and not _in(m.get("NDA_DST"), self._net):
                continue
            out.append(m)
        return out


def select_neighbours(msgs: Iterable[Any], ctx: Any = None, **selectors: Any) -> list[Any]:
    """`NeighbourQuery(**selectors).select(msgs, ctx)`."""
    return NeighbourQuery(**selectors).select(msgs, ctx)
