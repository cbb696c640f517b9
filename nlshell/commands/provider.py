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


def tc_handle(value: int) -> str:
    """A tc handle as tc writes it: ``1:``, ``1:10``, ``ffff:`` (requests.tc's reading)."""
    from nlshell.engine.requests.tc import handle_text

    return handle_text(value)


Rows = list[tuple[str, str]]
# completion source -> which tc objects it offers (a parent may be a qdisc or a class)
TC_SOURCES = {"qdiscs": ("qdisc",), "classes": ("class",), "tc_parents": ("qdisc", "class")}


def tc_rows(qdiscs: list[Any], classes: list[Any], source: str, dev: int | None,
            name: Any) -> Rows:
    """(handle, meta) of the qdiscs and/or classes (``TC_SOURCES[source]``) on device
    index ``dev`` (every device when None); ``name(index)`` names a device for the meta.
    The default qdiscs (handle 0:) have no handle to type."""
    msgs = {"qdisc": qdiscs, "class": classes}
    out: Rows = []
    for what in TC_SOURCES[source]:
        for m in msgs[what]:
            handle = m.get("handle") or 0
            if not handle or (dev is not None and m.get("index") != dev):
                continue
            where = "" if dev is not None else f" dev {name(m.get('index')) or m.get('index')}"
            out.append((tc_handle(handle), f"{what} {m.get('kind') or '?'}{where}"))
    return out


def fdb_rows(entries: list[Any], dev: int | None, name: Any) -> Rows:
    """(MAC, meta) per forwarding entry, on device index ``dev`` (all when None)."""
    seen: dict[str, str] = {}
    for m in entries:
        mac = m.get("lladdr")
        if not mac or (dev is not None and m.get("ifindex") != dev):
            continue
        vlan = m.get("vlan")
        meta = f"dev {name(m.get('ifindex')) or m.get('ifindex')}" + (
            f" vlan {vlan}" if vlan else "")
        seen.setdefault(str(mac), meta)
    return list(seen.items())


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
        self._memo: dict[Any, list] = {}

    def _get_ipr(self) -> Any:
        if self._ipr is None:
            from nlshell.engine.iproute import IPRoute

            self._ipr = IPRoute(netns=self._netns)
        return self._ipr

    def _get(self, what: str) -> list[Any]:
        if what not in self._memo:
            try:
                self._memo[what] = getattr(self._get_ipr(), what)()
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

    def _dev_index(self, dev: str | None) -> int | None:
        if dev is None:
            return None
        return {name: i for name, i, _ in self.links()}.get(dev, -1)

    def _name(self, index: Any) -> str | None:
        return {i: name for name, i, _ in self.links()}.get(index)

    def fdb(self, dev: str | None = None) -> Rows:
        from nlshell.engine import cache_keys as K
        from nlshell.engine.codec.constants import AF_BRIDGE

        if "fdb" not in self._memo:
            try:
                self._memo["fdb"] = [m for m in self._get_ipr().get_neighbours(family=AF_BRIDGE)
                                     if K.wanted("fdb", m)]
            except (OSError, ValueError):
                self._memo["fdb"] = []
        return fdb_rows(self._memo["fdb"], self._dev_index(dev), self._name)

    def tc(self, source: str, dev: str | None = None) -> Rows:
        from nlshell.engine.cache import classful

        index = self._dev_index(dev)
        if ("classes", index) not in self._memo:
            try:
                ipr = self._get_ipr()
                # classes are dumped one device at a time: only those whose qdiscs have some
                devs = [i for i in classful(self._get("get_qdiscs"))
                        if index is None or i == index]
                self._memo["classes", index] = [c for i in devs for c in ipr.get_classes(i)]
            except (OSError, ValueError):
                self._memo["classes", index] = []
        return tc_rows(self._get("get_qdiscs"), self._memo["classes", index], source, index,
                       self._name)

    def tables(self) -> list[tuple[str | int, str]]:
        extra = sorted({m.get("table") for m in self._route_msgs()} - {253, 254, 255, None})
        return [*_TABLES, *((t, "table in use") for t in extra)]

