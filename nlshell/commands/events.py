"""The one event formatter: a kernel event message -> what ``ip -o monitor`` prints for it.

``nlshell monitor``, the shell's background monitor and the watch panes' event log all go
through ``EventFormatter.format``, so one event reads the same everywhere, and the same as
``ip -o monitor`` (one line per event: ip's continuation lines joined by ``\\``, the way
``ip -o`` joins them; trailing blanks dropped). Callers put their timestamp and label in
front (``[2024-05-01T12:00:00.123456] [LINK] ...``, like ``ip -ts monitor label``).

The words come from the ``ip -j`` entry the renderers build (``commands.render``), so
``-j monitor`` and the text agree. Like ip, the formatter remembers links as their events
pass (a peer's name after ``@``, ``M-DOWN`` when that peer is down, ``master`` names).

A message that cannot be rendered never stops a monitor: ``format`` returns one line naming
the event type and what went wrong (``Formatted.error``).
"""

from __future__ import annotations

from nlshell.commands.record import EqRecord
from nlshell.engine.codec import constants as C

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

# message type -> (object, deleted); the object names are the monitor command's words
MSG_OBJECT: dict[int, tuple[str, bool]] = {
    C.RTM_NEWLINK: ("link", False), C.RTM_DELLINK: ("link", True),
    C.RTM_NEWADDR: ("address", False), C.RTM_DELADDR: ("address", True),
    C.RTM_NEWROUTE: ("route", False), C.RTM_DELROUTE: ("route", True),
    C.RTM_NEWNEIGH: ("neigh", False), C.RTM_DELNEIGH: ("neigh", True),
    C.RTM_GETNEIGH: ("neigh", False),  # an application-resolver miss ("miss ...")
    C.RTM_NEWRULE: ("rule", False), C.RTM_DELRULE: ("rule", True),
    C.RTM_NEWNSID: ("nsid", False), C.RTM_DELNSID: ("nsid", True),
    C.RTM_NEWNEXTHOP: ("nexthop", False), C.RTM_DELNEXTHOP: ("nexthop", True),
    C.RTM_NEWNETCONF: ("netconf", False), C.RTM_DELNETCONF: ("netconf", True),
}
# object -> ip's label (ip monitor label)
LABELS = {"link": "LINK", "address": "ADDR", "route": "ROUTE", "neigh": "NEIGH",
          "rule": "RULE", "nsid": "NSID", "nexthop": "NEXTHOP",
          "netconf": "NETCONF"}
# the cache's kind names -> the monitor's object names
KIND_OBJECT = {"link": "link", "address": "address", "route": "route", "neighbour": "neigh",
               "rule": "rule", "nsid": "nsid"}

NL = "\\"  # ip -o's line join
# control characters (a name may hold any byte but / and NUL) are printed escaped: one event
# stays one line and cannot drive the terminal; ip's own tab (rules, nexthops) stays
_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0)) if c != 0x09}


class Formatted(EqRecord):
    """One event, ready to print: ``text`` (ip's words, ``Deleted `` in front of removals)
    and ``entry`` (the ip -j dict, for -j). ``dev`` / ``table`` feed the panes' filters."""

    FIELDS = ("obj", "deleted", "text", "entry", "dev", "table", "error")

    def __init__(self, obj: str, deleted: bool, text: str, entry: dict[str, Any],
                 dev: str | None = None, table: int | None = None, error: bool = False) -> None:
        self.obj = obj
        self.deleted = deleted
        self.text = text
        self.entry = entry
        self.dev = dev
        self.table = table
        self.error = error

    @property
    def label(self) -> str:
        return LABELS.get(self.obj, self.obj.upper())


class LiveLinks:
    """What renderers ask of a ``RenderContext`` (``ifname``, ``ifflags``, ``iftype``,
    ``link``, ``index_of``, ``links``, -d/-s/-N), over links kept current event by event."""

    def __init__(self, links: Iterable[Any] = (), *, details: bool = False, stats: int = 0,
                 numeric: bool = False, resolve: Callable[[int], Any] | None = None) -> None:
        self.details = bool(details)
        self.stats = int(stats)
        self.numeric = numeric
        self.resolve = resolve  # index -> link message or None, for links not seen yet
        self._by_index: dict[int, Any] = {}
        self.reset(links)

    def reset(self, links: Iterable[Any]) -> None:
        self._by_index = {m["index"]: m for m in links}

    def remember(self, msg: Any, deleted: bool) -> None:
        if deleted:
            self._by_index.pop(msg["index"], None)
        elif msg["family"] == C.AF_UNSPEC or msg["index"] not in self._by_index:
            self._by_index[msg["index"]] = msg  # a bridge port's message is no full link

    @property
    def links(self) -> list[Any]:
        return list(self._by_index.values())

    def _get(self, index: int) -> Any:
        m = self._by_index.get(index)
        if m is None and self.resolve is not None and index:
            # an event can name a link before the link's own event (a new bridge's fdb
            # entry): ask the kernel, as ip does
            m = self.resolve(index)
            if m is not None:
                self._by_index[index] = m
        return m

    def ifname(self, index: int) -> str:
        if not index:
            return "*"
        m = self._get(index)
        name = m.get("ifname") if m is not None else None
        return name if name is not None else f"if{index}"

    def name(self, index: int) -> str | None:
        m = self._by_index.get(index)
        return None if m is None else m.get("ifname")

    def link(self, index: int) -> Any:
        return self._get(index)

    def ifflags(self, index: int) -> int | None:
        m = self._by_index.get(index)
        return None if m is None else m["flags"]

    def iftype(self, index: int) -> int | None:
        m = self._by_index.get(index)
        return None if m is None else m["ifi_type"]

    def index_of(self, name: str) -> int | None:
        for index, m in self._by_index.items():
            if m.get("ifname") == name:
                return index
        return None


# --- ip's words for each object, from the ip -j entry --------------------------------------


def _words(parts: list[str]) -> str:
    return "".join(parts)


def _link_text(e: dict[str, Any], m: Any, names: Callable[[int], str | None]) -> str:
    name = e["ifname"]
    if "link_index" in e:
        name += f"@if{e['link_index']}"
    elif "link" in e:
        name += f"@{e['link'] or 'NONE'}"
    out = [f"{e['ifindex']}: {name}: <{','.join(e.get('flags', []))}> "]
    for key, word in (("mtu", "mtu"), ("qdisc", "qdisc"), ("master", "master"),
                      ("operstate", "state")):
        if key in e:
            out.append(f"{word} {e[key]} ")
    if "operstate_index" in e:
        out.append(f"state {e['operstate_index']:#x}")
    if "group" in e:
        out.append(f"group {e['group']} ")
    if "event" in e:
        out.append(f"event {e['event']} ")
    if "link_type" in e:
        out.append(f"{NL}    link/{e['link_type']} ")
        if "address" in e:
            out.append(str(e["address"]))
        if "broadcast" in e:
            out.append(" peer " if e.get("link_pointtopoint") else " brd ")
            out.append(str(e["broadcast"]))
        if "permaddr" in e:
            out.append(f" permaddr {e['permaddr']}")
    if "link_netnsid" in e:
        nsid = e["link_netnsid"]
        known = names(nsid) if nsid >= 0 else None
        out.append(f" link-netns {known}" if known else f" link-netnsid {nsid}")
    if e.get("proto_down"):
        out.append(" protodown on ")
    return _words(out)


def _addr_text(e: dict[str, Any], m: Any, names: Callable[[int], str | None]) -> str:
    from nlshell.commands.render.iptext.address import address_lines  # ip's address text

    return f"{e['ifindex']}: {e['dev']}" + NL.join(address_lines(e, str))


def _route_text(e: dict[str, Any], m: Any, names: Callable[[int], str | None]) -> str:
    from nlshell.commands.render.iptext.route import text  # ip's route line, one place

    # a multipath route's hops stay on the event's one line, joined as ip -o joins them
    return text(e, m, None).replace("\n", NL)


def _neigh_text(e: dict[str, Any], m: Any, names: Callable[[int], str | None]) -> str:
    from nlshell.commands.render.iptext.neighbour import entry_line  # ip's text, one place

    return entry_line(e)


def _rule_text(e: dict[str, Any], m: Any, names: Callable[[int], str | None]) -> str:
    from nlshell.commands.render.iptext.rule import entry_line

    return entry_line(e)


def _nsid_text(e: dict[str, Any], m: Any, names: Callable[[int], str | None]) -> str:
    from nlshell.commands.render.iptext.netns import list_id_line  # ip's print_nsid words

    return list_id_line(e)


# netconf: attribute -> (ip's key, how the value reads); in ip's order (ip 6.1 shows no
# bc_forwarding: nor does nlshell)
_NETCONF = (("NETCONFA_FORWARDING", "forwarding", bool),
            ("NETCONFA_RP_FILTER", "rp_filter", {0: "off", 1: "strict", 2: "loose"}),
            ("NETCONFA_MC_FORWARDING", "mc_forwarding", bool),
            ("NETCONFA_PROXY_NEIGH", "proxy_neigh", bool),
            ("NETCONFA_IGNORE_ROUTES_WITH_LINKDOWN", "ignore_routes_with_linkdown", bool),
            ("NETCONFA_INPUT", "input", bool))
_NETCONF_FAMILY = {C.AF_INET: "inet", C.AF_INET6: "inet6", 28: "mpls"}
_NETCONF_IFINDEX = {-1: "all", -2: "default"}


def netconf_entry(msg: Any, ifname: Callable[[int], str]) -> dict[str, Any]:
    """A netconf message as `ip -j netconf` shows it."""
    family = msg["family"]
    e: dict[str, Any] = {"family": _NETCONF_FAMILY.get(family, str(family))}
    index = msg.get("NETCONFA_IFINDEX")
    if index is not None:
        e["interface"] = _NETCONF_IFINDEX.get(index) or ifname(index)
    for attr, key, how in _NETCONF:
        value = msg.get(attr)
        if value is not None:
            e[key] = bool(value) if how is bool else how.get(value, str(value))
    return e


def netconf_text(e: dict[str, Any]) -> str:
    """ip's one line of a netconf entry (``inet v0 forwarding on rp_filter loose ...``)."""
    words = [e["family"], *([e["interface"]] if "interface" in e else [])]
    for _attr, key, _how in _NETCONF:
        if key in e:
            value = e[key]
            words += [key, ("on" if value else "off") if isinstance(value, bool) else value]
    return " ".join(words)


def _nexthop_text(e: dict[str, Any], msg: Any, names: Callable[[int], str | None]) -> str:
    from nlshell.commands.render.nexthop import nexthop_line

    return nexthop_line(e)


TEXT: dict[str, Callable[[dict[str, Any], Any, Callable[[int], str | None]], str]] = {
    "link": _link_text, "address": _addr_text, "route": _route_text, "neigh": _neigh_text,
    "rule": _rule_text, "nsid": _nsid_text, "nexthop": _nexthop_text,
    "netconf": lambda e, m, n: netconf_text(e),
}


def _no_names(nsid: int) -> str | None:
    return None


class EventFormatter:
    """Event messages -> ``Formatted`` lines; keeps the links it has seen current.

    ``links``: the namespace's links at the start (a dump or the cache's); ``family``: ip's
    -4/-6 (hides the link/ether line, as ip does); ``nsid_names``: nsid -> namespace name,
    for ``link-netns NAME`` and nsid events (None: numbers only); ``resolve``: index ->
    link message or None, asked for a link no event has shown yet (None: ``if<N>``).
    """

    def __init__(self, links: Iterable[Any] = (), *, details: bool = False, stats: int = 0,
                 numeric: bool = False, family: int | None = None,
                 nsid_names: Callable[[int], str | None] | None = None,
                 resolve: Callable[[int], Any] | None = None) -> None:
        self.links = LiveLinks(links, details=details, stats=stats, numeric=numeric,
                               resolve=resolve)
        self.family = family or 0
        self.nsid_names = nsid_names or _no_names

    def reset(self, links: Iterable[Any]) -> None:
        """Start again from these links (after a resync)."""
        self.links.reset(links)

    def name(self, index: int) -> str | None:
        return self.links.name(index)

    def entry(self, obj: str, msg: Any) -> dict[str, Any]:
        """The ip -j entry of one event message (``deleted`` left to the caller)."""
        from nlshell.commands.render import address, link, neighbour, route, rule

        ctx = self.links
        if obj == "link":
            e = link.link_entry(msg, ctx, view="addr", family=self.family)
        elif obj == "address":
            e = {"ifindex": msg["index"], "dev": ctx.ifname(msg["index"])}
            e.update(address.addr_info(msg, ctx))
        elif obj == "route":
            e = route.route_entry(msg, ctx)
        elif obj == "neigh":
            e = neighbour.neighbour_entry(msg, ctx)
        elif obj == "rule":
            e = rule.rule_entry(msg, ctx)
        elif obj == "nexthop":
            from nlshell.commands.render.nexthop import nexthop_entry

            e = nexthop_entry(msg, ctx)
        elif obj == "netconf":
            e = netconf_entry(msg, ctx.ifname)
        else:
            nsid = msg.get("NETNSA_NSID")
            e = {"nsid": nsid}
            current = msg.get("NETNSA_CURRENT_NSID")
            if current is not None:
                e["current-nsid"] = current
            name = self.nsid_names(nsid) if isinstance(nsid, int) and nsid >= 0 else None
            if name:
                e["name"] = name
        e.pop("deleted", None)
        return e

    def format(self, msg: Any, deleted: bool | None = None, obj: str | None = None
               ) -> Formatted | None:
        """One event; None for messages ip monitor does not print (other types, cloned
        routes). ``deleted``/``obj`` override what the message type says (the cache
        reports a removal with the object's last message). Never raises for a decodable
        message: a renderer failure becomes one line naming the event type."""
        kind = MSG_OBJECT.get(msg.type)
        if obj is None:
            if kind is None:
                return None
            obj = kind[0]
        if deleted is None:
            deleted = kind[1] if kind is not None else False
        try:
            if obj == "route" and msg["flags"] & C.RTM_F_CLONED:
                return None
            if obj == "link":  # ip remembers a link before printing its event
                self.links.remember(msg, deleted)
            e = self.entry(obj, msg)
            text = TEXT[obj](e, msg, self.nsid_names).rstrip().translate(_ESCAPES)
        except Exception as exc:  # noqa: BLE001 - one odd event must not stop a monitor
            event = _type_name(msg.type)
            reason = f"{type(exc).__name__}: {exc}"
            return Formatted(obj, deleted, f"cannot show this {event} event ({reason})",
                             {"event": event, "error": reason}, error=True)
        if deleted:
            text = "Deleted " + text
        return Formatted(obj, deleted, text, e, _dev(obj, e), _table(obj, msg))


def _type_name(msg_type: int) -> str:
    """RTM_NEWROUTE for 24 (read off the constants: no second copy of the numbers)."""
    for name, value in vars(C).items():
        if name.startswith("RTM_") and type(value) is int and value == msg_type:
            return name
    return f"message type {msg_type}"


def _dev(obj: str, e: dict[str, Any]) -> str | None:
    if obj == "link":
        return e.get("ifname")
    return e.get("dev")


def _table(obj: str, msg: Any) -> int | None:
    if obj == "route":
        return msg.get("table") or msg["table"]
    if obj == "rule":
        return msg.get("FRA_TABLE") or msg["table"]
    return None
