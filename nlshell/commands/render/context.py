"""What a renderer needs besides the messages: link names by index and ip's output options."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class RenderContext:
    """Link lookups by index (for `dev`, `master`, `link`) and the options -d, -s, -N;
    ``nexthops`` (id -> message) for the ``nh_info`` of routes using nexthop objects.

    ``links`` are link messages (a dump, or the cache's objects); ``names`` may add or
    override index -> name pairs (for links known without a message). ``stats`` is ip's
    count of ``-s`` (0, 1 or 2); ``True`` means 1.
    """

    __slots__ = ("links", "details", "stats", "numeric", "nexthops", "netns", "_names",
                 "_by_index")

    def __init__(self, links: Iterable[Any] = (), *, details: bool = False,
                 stats: int | bool = 0, numeric: bool = False,
                 names: Mapping[int, str] | None = None,
                 nexthops: Mapping[int, Any] | None = None) -> None:
        self.links = list(links)
        self.nexthops = nexthops or {}  # id -> nexthop message (routes' nh_info with -d)
        self.details = bool(details)
        self.stats = int(stats)
        self.numeric = numeric
        self.netns: str | None = None  # the namespace the links are in (link-netns NAME)
        self._by_index = {m["index"]: m for m in self.links}
        self._names = {i: m.get("ifname") for i, m in self._by_index.items()}
        if names:
            self._names.update(names)

    def ifname(self, index: int) -> str:
        """The name of link `index`; ``*`` for 0 and ``if<N>`` when unknown, as ip prints."""
        if not index:
            return "*"
        name = self._names.get(index)
        return name if name is not None else f"if{index}"

    def link(self, index: int) -> Any:
        """The link message of `index`, or None."""
        return self._by_index.get(index)

    def ifflags(self, index: int) -> int | None:
        m = self._by_index.get(index)
        return None if m is None else m["flags"]

    def iftype(self, index: int) -> int | None:
        m = self._by_index.get(index)
        return None if m is None else m["ifi_type"]

    def index_of(self, name: str) -> int | None:
        """The index of the link called `name` (or an altname), or None."""
        for index, known in self._names.items():
            if known == name:
                return index
        for index, m in self._by_index.items():
            props = m.get("prop_list")
            if props is not None and name in props.get_attrs("alt_ifname"):
                return index
        return None
