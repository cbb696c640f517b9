"""Live values for completion: interface names, namespaces, addresses, routes, tables.

``LiveProvider`` answers from one netlink dump per kind, taken on first need (for
``nlshell --complete``, a short-lived process). The REPL does not use it: it keeps its own
index fed by the live cache (``nlshell.shell.live``), so completion never waits there.
"""

from __future__ import annotations

from typing import Any

from nlshell.engine.codec.constants import RT_TABLE_MAIN

_TABLES = [("main", "table 254"), ("local", "table 255"), ("default", "table 253"),
           ("all", "every table")]


def _prefix(msg: Any) -> str:
    dst = msg.get("dst")
    if dst is None:
        return "default"
    plen = msg["dst_len"]
    full = 32 if ":" not in dst else 128
    return dst if plen == full else f"{dst}/{plen}"


def _addr(msg: Any) -> str:
    return f"{msg.get('local') or msg.get('address')}/{msg['prefixlen']}"


def _netns_names() -> list[str]:
    from nlshell.engine import netns

    try:
        return netns.listnetns()
    except OSError:
        return []


class LiveProvider:
    """Dumps on demand (memoised) from the namespace ``netns`` (None: this one)."""

    def __init__(self, netns: str | None = None) -> None:
        self._netns = netns
        self._ipr: Any = None
        self._memo: dict[str, list] = {}

    def _get(self, what: str) -> list[Any]:
        if what not in self._memo:
            try:
                if self._ipr is None:
                    from nlshell.engine.iproute import IPRoute

                    self._ipr = IPRoute(netns=self._netns)
                self._memo[what] = getattr(self._ipr, what)()
            except (OSError, ValueError):
                self._memo[what] = []  # no namespace or no permission: nothing to offer
        return self._memo[what]

    def _link_msgs(self) -> list[Any]:
        return self._get("get_links")

    def _addr_msgs(self) -> list[Any]:
        return self._get("get_addr")

    def _route_msgs(self) -> list[Any]:
        return self._get("get_routes")

    def close(self) -> None:
        if self._ipr is not None:
            self._ipr.close()

    def links(self) -> list[tuple[str, int, str]]:
        return [(m.get("ifname"), m["index"], m.get("operstate") or "")
                for m in self._link_msgs()]

    def netns(self) -> list[str]:
        return _netns_names()

    def addresses(self, dev: str | None = None) -> list[str]:
        msgs = self._addr_msgs()
        if dev is not None:
            idx = {name: i for name, i, _ in self.links()}.get(dev)
            msgs = [m for m in msgs if m["index"] == idx]
        return [_addr(m) for m in msgs]

    def routes(self) -> list[str]:
        seen: dict[str, None] = {}
        for m in self._route_msgs():
            if m.get("table") != RT_TABLE_MAIN:  # `route del PREFIX` deletes from main only
                continue
            seen[_prefix(m)] = None
        return list(seen)

    def nexthops(self) -> list[tuple[int, str]]:
        from nlshell.commands.render.nexthop import nexthop_meta

        return [(m.get("id"), nexthop_meta(m)) for m in self._get("get_nexthops")]

    def tables(self) -> list[tuple[str | int, str]]:
        extra = sorted({m.get("table") for m in self._route_msgs()} - {253, 254, 255, None})
        return [*_TABLES, *((t, "table in use") for t in extra)]

