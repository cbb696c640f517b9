"""``monitor``: kernel events as timestamped, labelled lines, until interrupted.

    monitor [link|address|route|neigh|rule|nsid|all]... [all-nsid]

Each event is one line, ``[2024-05-01T12:00:00.123456] [LINK] 3: v0: <...> mtu 1500 ...``
(``Deleted`` after the label for removals; ``[nsid N name]`` before it with all-nsid), or
with ``-j`` one JSON object per line: the ``ip -j`` entry plus ``timestamp``, ``object``
and, with all-nsid, ``nsid``/``netns``. Ctrl-C ends it with status 0.

For tests and scripts the environment may bound a run: ``NLSHELL_MONITOR_COUNT=N`` stops
after N events, ``NLSHELL_MONITOR_SECONDS=T`` after T seconds, and with
``NLSHELL_MONITOR_READY=1`` a line ``monitor: listening`` goes to stderr once subscribed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from nlshell.commands import slots as S
from nlshell.commands.grammar import REGISTRY, Flag, Pos

WHAT = S.choice("WHAT", {
    "all": "every kind below", "link": "devices", "address": "addresses",
    "route": "routes", "neigh": "neighbours (ARP/NDP)", "rule": "policy rules",
    "nsid": "namespace ids",
}, label="event kind")

REGISTRY.command("monitor", "print kernel events as they happen (Ctrl-C stops)", [
    Pos("objects", WHAT, "what to watch (default: all)", required=False, repeat=True),
    Flag("all-nsid", "also events of the namespaces that have an id here"),
], handler="nlshell.commands.monitor:monitor")

# object -> (label, IPv4 groups, IPv6 groups, family-independent groups) (RTNLGRP_* numbers)
OBJECTS: dict[str, tuple[str, tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = {
    "link": ("LINK", (), (), (1,)),
    "address": ("ADDR", (5,), (9,), ()),
    "route": ("ROUTE", (7,), (11,), ()),
    "neigh": ("NEIGH", (), (), (3,)),
    "rule": ("RULE", (8,), (19,), ()),
    "nsid": ("NSID", (), (), (28,)),
}
# message type -> object
MSG_OBJECT = {16: "link", 17: "link", 20: "address", 21: "address", 24: "route", 25: "route",
              28: "neigh", 29: "neigh", 32: "rule", 33: "rule", 88: "nsid", 89: "nsid"}
DELETES = frozenset((17, 21, 25, 29, 33, 89))


def groups_for(objects: list[str], family: int | None) -> list[int]:
    """The multicast groups to join for these objects and address family."""
    chosen = list(OBJECTS) if not objects or "all" in objects else objects
    out: list[int] = []
    for name in chosen:
        _, v4, v6, common = OBJECTS[name]
        out += common
        if family in (None, 0, S.AF_INET):
            out += v4
        if family in (None, 0, S.AF_INET6):
            out += v6
    return sorted(set(out))


# -- one line per event ------------------------------------------------------------------

def _flat(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _words(e: dict[str, Any], spec: tuple[tuple[str, str], ...]) -> str:
    """Keys of an ip -j entry as ip's words: ("dev", "dev") -> "dev v0"; "" -> bare."""
    out = []
    for key, word in spec:
        if key in e and e[key] not in (None, "", []):
            out.append(f"{word} {_flat(e[key])}" if word else _flat(e[key]))
    return " ".join(out)


_ROUTE = (("type", ""), ("dst", ""), ("gateway", "via"), ("dev", "dev"), ("table", "table"),
          ("protocol", "proto"), ("scope", "scope"), ("prefsrc", "src"), ("metric", "metric"))
_NEIGH = (("dst", ""), ("dev", "dev"), ("lladdr", "lladdr"), ("state", ""))
_ADDR = (("broadcast", "brd"), ("scope", "scope"), ("label", ""))
_RULE = (("src", "from"), ("dst", "to"), ("iif", "iif"), ("oif", "oif"),
         ("table", "lookup"), ("action", ""))


def _name(e: dict[str, Any]) -> str:
    """ip's ``name@link`` (``@NONE`` for a null link, ``@ifN`` in another namespace)."""
    name = e.get("ifname", "")
    if "link_index" in e:
        return f"{name}@if{e['link_index']}"
    if "link" in e:
        return f"{name}@{e['link'] or 'NONE'}"
    return name


def _link_text(e: dict[str, Any]) -> str:
    head = f"{e.get('ifindex')}: {_name(e)}: <{','.join(e.get('flags', []))}>"
    rest = _words(e, (("mtu", "mtu"), ("master", "master"), ("operstate", "state"),
                      ("address", "link/" + str(e.get("link_type", "ether")))))
    return f"{head} {rest}".rstrip()


def _addr_text(e: dict[str, Any]) -> str:
    local = f"{e.get('local', '')}/{e.get('prefixlen', '')}"
    return f"{e.get('ifindex')}: {e.get('dev', '')} {e.get('family', '')} {local} " \
           + _words(e, _ADDR)


def _rule_text(e: dict[str, Any]) -> str:
    return f"{e.get('priority', 0)}: " + ("not " if "not" in e else "") + _words(e, _RULE)


def _nsid_text(e: dict[str, Any]) -> str:
    return f"nsid {e.get('nsid')}" + (f" (netns {e['name']})" if e.get("name") else "")


TEXT: dict[str, Callable[[dict[str, Any]], str]] = {
    "link": _link_text, "address": _addr_text, "route": lambda e: _words(e, _ROUTE),
    "neigh": lambda e: _words(e, _NEIGH), "rule": _rule_text, "nsid": _nsid_text,
}


class Monitor:
    """Turns event messages into ip -j entries and lines, keeping link names current."""

    def __init__(self, ctx: Any, links: list[Any]) -> None:
        self.ctx = ctx
        self.links = {m["index"]: m for m in links}
        self._rctx: Any = None
        self.names: Any = None  # NsidMap with all-nsid

    def rctx(self) -> Any:
        if self._rctx is None:
            from nlshell.commands.link import render_context

            self._rctx = render_context(self.ctx, list(self.links.values()))
        return self._rctx

    def entry(self, obj: str, m: Any) -> dict[str, Any]:
        from nlshell.commands.render import address, link, neighbour, route, rule

        rctx = self.rctx()
        if obj == "link":
            return link.link_entry(m, rctx)
        if obj == "address":
            e = {"ifindex": m["index"], "dev": rctx.ifname(m["index"])}
            e.update(address.addr_info(m, rctx))
            return e
        if obj == "route":
            return route.route_entry(m, rctx)
        if obj == "neigh":
            return neighbour.neighbour_entry(m, rctx)
        if obj == "rule":
            return rule.rule_entry(m, rctx)
        nsid = m.get("NETNSA_NSID")
        e = {"nsid": nsid}
        if self.names is not None:
            self.names.invalidate()
        return e

    def observe_link(self, m: Any) -> None:
        if m.nsid is not None:
            return  # another namespace's link: its index means nothing here
        if m.type == 17:
            self.links.pop(m["index"], None)
        else:
            self.links[m["index"]] = m
        self._rctx = None

    def line(self, m: Any) -> str | None:
        obj = MSG_OBJECT.get(m.type)
        if obj is None:
            return None
        e = self.entry(obj, m)
        if obj == "link":
            self.observe_link(m)
        deleted = m.type in DELETES
        e.pop("deleted", None)
        stamp = _timestamp()
        source = self._source(m)
        if self.ctx.opts.json:
            import json

            head: dict[str, Any] = {"timestamp": stamp, "object": obj}
            if deleted:
                head["deleted"] = True
            if source is not None:
                head.update(source)
            return json.dumps({**head, **e}, separators=(",", ":"))
        label = OBJECTS[obj][0]
        where = ""
        if source is not None:
            where = f"[nsid {source['nsid']}{' ' + source['netns'] if source.get('netns') else ''}] "
        return f"[{stamp}] {where}[{label}] " + ("Deleted " if deleted else "") + TEXT[obj](e)

    def _source(self, m: Any) -> dict[str, Any] | None:
        if self.names is None or m.nsid is None:
            return None
        name = self.names.name(m.nsid)
        return {"nsid": m.nsid, **({"netns": name} if name else {})}


def _timestamp() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1e6):06d}"


def _limits() -> tuple[int | None, float | None]:
    def num(name: str, kind: type) -> Any:
        text = os.environ.get(name)
        try:
            return kind(text) if text else None
        except ValueError:
            return None

    return num("NLSHELL_MONITOR_COUNT", int), num("NLSHELL_MONITOR_SECONDS", float)


def monitor(ctx: Any, inv: Any) -> None:
    import sys

    from nlshell.engine.errors import NetlinkOverrun
    from nlshell.engine.socket import NetlinkSocket

    objects = inv.values.get("objects") or []
    sock = NetlinkSocket(netns=ctx.netns)
    try:
        for group in groups_for(objects, ctx.opts.family):
            sock.add_membership(group)
        mon = Monitor(ctx, ctx.ipr.get_links())
        if inv.values.get("all_nsid"):
            from nlshell.engine.nsmap import NsidMap

            sock.enable_all_nsid()
            mon.names = NsidMap(where=ctx.netns)
        if os.environ.get("NLSHELL_MONITOR_READY"):
            sys.stderr.write("monitor: listening\n")
            sys.stderr.flush()
        _loop(ctx, sock, mon, NetlinkOverrun)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a monitor ends: status 0
    finally:
        sock.close()


def _loop(ctx: Any, sock: Any, mon: Monitor, overrun: type) -> None:
    count, seconds = _limits()
    deadline = None if seconds is None else time.monotonic() + seconds
    seen = 0
    while count is None or seen < count:
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and wait <= 0:
            return
        try:
            msgs = sock.recv_events(wait)
        except overrun:
            ctx.write(f"[{_timestamp()}] [LOST] events were lost (receive buffer overrun)")
            continue
        for m in msgs:
            text = mon.line(m)
            if text is None:
                continue
            ctx.write(text)
            seen += 1
            if count is not None and seen >= count:
                break
        ctx.out.flush()
