"""``monitor``: kernel events as timestamped, labelled lines, until interrupted.

    monitor [link|address|route|neigh|rule|nsid|all]... [all-nsid]

Each event is one line: a timestamp and ip's label, then what ``ip -o monitor`` prints for
it (``commands.events``: the one formatter the shell's monitor and the watch panes use too),
``[2024-05-01T12:00:00.123456] [LINK] 3: v0: <...> mtu 1500 ...``; ``[nsid N name]``
before the label with all-nsid. With ``-j`` one JSON object per line: the ``ip -j`` entry
plus ``timestamp``, ``object`` and, with all-nsid, ``nsid``/``netns``; lost events (a
receive-buffer overrun) are ``{"timestamp": ..., "lost": true, "reason": "overrun"}`` there,
a ``[LOST]`` line in text. Ctrl-C ends it with status 0.

For tests and scripts the environment may bound a run: ``NLSHELL_MONITOR_COUNT=N`` stops
after N events, ``NLSHELL_MONITOR_SECONDS=T`` after T seconds, and with
``NLSHELL_MONITOR_READY=1`` a line ``monitor: listening`` goes to stderr once subscribed.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from nlshell.commands import slots as S
from nlshell.commands.events import EventFormatter
from nlshell.commands.grammar import REGISTRY, Flag, Kw
from nlshell.engine.codec import constants as C

# the objects to watch: one keyword each (not a positional choice: `all` must not read as
# an abbreviation of `all-nsid`); word -> help
WHAT = {"all": "every kind below", "link": "devices", "address": "addresses",
        "route": "routes", "neigh": "neighbours (ARP/NDP)", "rule": "policy rules",
        "nsid": "namespace ids", "nexthop": "nexthop objects",
        "netconf": "per-device IP settings (forwarding, rp_filter...)"}
# ip's objects nlshell does not watch: word -> why (a one-line refusal, never a silent no-op)
REFUSED = {"prefix": "IPv6 prefix announcements are not decoded by nlshell",
           "stats": "link statistics events are not decoded by nlshell",
           "mroute": "multicast routes are not decoded by nlshell"}


def _objects(values: dict[str, Any]) -> str | None:
    """Collect the object keywords, in the order typed, into ``values['objects']`` (what
    the handlers read); refuse those nlshell cannot show."""
    words = [k[len("obj_"):] for k in values if k.startswith("obj_")]
    for word in words:
        if word in REFUSED:
            return f"{word}: {REFUSED[word]}"
    if words:
        values["objects"] = words
    return None


REGISTRY.command("monitor", "print kernel events as they happen (Ctrl-C stops)", [
    *(Flag(word, help, key="obj_" + word) for word, help in WHAT.items()),
    *(Flag(word, f"(refused: {why})", key="obj_" + word) for word, why in REFUSED.items()),
    Flag("all-nsid", "also events of the namespaces that have an id here"),
    Flag("label", "label each event with its kind (always done: accepted for ip's scripts)"),
    Kw("dev", S.IFNAME, "only events of this device"),
    Kw("file", S.STRING, "replay the events saved in this file (by rtmon) instead"),
    Flag("help", "how to use this command"),
], check=_objects, handler="nlshell.commands.monitor:monitor")

# object -> (IPv4 groups, IPv6 groups, family-independent groups)
OBJECTS: dict[str, tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = {
    "link": ((), (), (C.RTNLGRP_LINK,)),
    "address": ((C.RTNLGRP_IPV4_IFADDR,), (C.RTNLGRP_IPV6_IFADDR,), ()),
    "route": ((C.RTNLGRP_IPV4_ROUTE,), (C.RTNLGRP_IPV6_ROUTE,), ()),
    "neigh": ((), (), (C.RTNLGRP_NEIGH,)),
    "rule": ((C.RTNLGRP_IPV4_RULE,), (C.RTNLGRP_IPV6_RULE,), ()),
    "nsid": ((), (), (C.RTNLGRP_NSID,)),
    "nexthop": ((), (), (C.RTNLGRP_NEXTHOP,)),
    "netconf": ((C.RTNLGRP_IPV4_NETCONF,), (C.RTNLGRP_IPV6_NETCONF,), ()),
}
LOST = "events were lost (receive buffer overrun)"


def groups_for(objects: list[str], family: int | None) -> list[int]:
    """The multicast groups to join for these objects and address family."""
    chosen = list(OBJECTS) if not objects or "all" in objects else objects
    out: list[int] = []
    for name in chosen:
        v4, v6, common = OBJECTS[name]
        out += common
        if family in (None, 0, C.AF_INET):
            out += v4
        if family in (None, 0, C.AF_INET6):
            out += v6
    return sorted(set(out))


class LinkLookup:
    """One link by index from the kernel, on a connection of the monitor's own (opened on
    first need: a monitor may run in a thread beside the shell's own connection)."""

    def __init__(self, netns: Any) -> None:
        self.netns = netns
        self._ipr: Any = None

    def __call__(self, index: int) -> Any:
        from nlshell.engine.errors import NetlinkError

        try:
            if self._ipr is None:
                from nlshell.engine.iproute import IPRoute

                self._ipr = IPRoute(netns=self.netns)
            found = self._ipr.get_links(index)
        except (NetlinkError, OSError):
            return None  # gone meanwhile: ip prints if<N> then too
        return found[0] if found else None

    def close(self) -> None:
        if self._ipr is not None:
            self._ipr.close()
            self._ipr = None


class Monitor:
    """Event messages -> printable lines (text or -j JSON), through the one formatter."""

    def __init__(self, ctx: Any, links: list[Any], lookup: bool = True) -> None:
        self.ctx = ctx
        self.dev: str | None = None  # `dev X`: only the events of that device
        self.names: Any = None  # NsidMap with all-nsid
        self._nsids: Any = None  # NsidMap for link-netns names, made on first need
        self.lookup = LinkLookup(ctx.netns) if lookup else None
        opts = ctx.opts
        self.fmt = EventFormatter(links, details=opts.details, stats=opts.stats,
                                  family=opts.family, nsid_names=self._nsid_name,
                                  resolve=self.lookup)

    def close(self) -> None:
        if self.lookup is not None:
            self.lookup.close()

    def _nsid_name(self, nsid: int) -> str | None:
        if self.names is not None:
            return self.names.name(nsid)
        if self._nsids is None:
            from nlshell.engine.nsmap import NsidMap

            self._nsids = NsidMap(where=self.ctx.netns)
        return self._nsids.name(nsid)

    def line(self, m: Any) -> str | None:
        """The line to print for one message (None: nothing to print)."""
        if m.nsid is not None and m.type in (C.RTM_NEWLINK, C.RTM_DELLINK):
            # another namespace's link: its index means nothing here; show it, keep ours
            f = EventFormatter(nsid_names=self._nsid_name).format(m)
        else:
            f = self.fmt.format(m)
        if f is None or (self.dev is not None and f.dev != self.dev):
            return None
        if f.obj == "nsid":
            for names in (self.names, self._nsids):
                if names is not None:
                    names.invalidate()
        source = self._source(m)
        stamp = _timestamp()
        if self.ctx.opts.json:
            head: dict[str, Any] = {"timestamp": stamp, "object": f.obj}
            if f.deleted:
                head["deleted"] = True
            if source is not None:
                head.update(source)
            return json.dumps({**head, **f.entry}, separators=(",", ":"), default=str)
        where = ""
        if source is not None:
            where = f"[nsid {source['nsid']}{' ' + source['netns'] if source.get('netns') else ''}] "
        return f"[{stamp}] {where}[{f.label}] {f.text}"

    def lost(self) -> str:
        """The notice for an overrun: a JSON object with -j, else a labelled line."""
        stamp = _timestamp()
        if self.ctx.opts.json:
            return json.dumps({"timestamp": stamp, "lost": True, "reason": "overrun"},
                              separators=(",", ":"))
        return f"[{stamp}] [LOST] {LOST}"

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

    if inv.values.get("help"):
        from nlshell.commands.helptext import help_for

        ctx.write(help_for(["monitor"]))
        return
    objects = inv.values.get("objects") or []
    if "file" in inv.values:
        _replay(ctx, inv.values, objects)
        return
    sock = NetlinkSocket(netns=ctx.netns)
    mon: Monitor | None = None
    try:
        for group in groups_for(objects, ctx.opts.family):
            sock.add_membership(group)
        mon = Monitor(ctx, ctx.ipr.get_links())
        mon.dev = _dev(ctx, inv.values)
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
        if mon is not None:
            mon.close()


def _dev(ctx: Any, values: dict[str, Any]) -> str | None:
    if "dev" not in values:
        return None
    ctx.ifindex(values["dev"])  # a device that does not exist is an error, as with ip
    return values["dev"]


def _replay(ctx: Any, values: dict[str, Any], objects: list[str]) -> None:
    """``monitor file F``: the netlink messages saved in F (rtmon's format: the messages
    one after another) printed as if they had just arrived, filtered as a live monitor."""
    from nlshell.commands.context import CommandError, quoted
    from nlshell.commands.events import MSG_OBJECT
    from nlshell.engine.codec.errors import DecodeError
    from nlshell.engine.codec.message import parse

    path = values["file"]
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise CommandError(f"file {quoted(path)}: {exc.strerror or exc}") from None
    chosen = set(OBJECTS) if not objects or "all" in objects else set(objects)
    mon = Monitor(ctx, [], lookup=False)
    mon.dev = values.get("dev")
    try:
        for m in parse(data):
            kind = MSG_OBJECT.get(m.type)
            if kind is None or kind[0] not in chosen:
                continue  # rtmon's own records (timestamps) and what was not asked for
            text = mon.line(m)
            if text is not None:
                ctx.write(text)
    except DecodeError as exc:
        raise CommandError(f"file {quoted(path)}: not a file of netlink messages ({exc})") \
            from None


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
            ctx.write(mon.lost())
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
