"""The cache's objects in memory: apply events, reconcile dumps, follow the kernel's cascades.

No sockets and no threads here: ``Cache`` feeds this store under its lock. Every mutation
is reported as a change ``(kind, action, old, new)`` so listeners can follow exactly, and
everything the store cannot know from the message alone (what the kernel removed without
saying so) comes back as a *follow-up*: a targeted re-dump the cache then performs.

Follow-ups are tuples:

- ``("route", family, ifindex)`` re-dump that family's routes through ``ifindex``
- ``("route", family, None)`` re-dump all routes of the family
- ``("neighbour", family, ifindex)`` re-dump that family's neighbours on ``ifindex``
- ``("link", 0, ifindex)`` re-read one link
- ``("prefsrc", AF_INET, address)`` re-dump IPv4 routes if some still prefer ``address``
- ``("nexthop", 0, None)`` re-dump the nexthop objects
- ``("tc", 0, ifindex)`` re-dump the qdiscs and classes of ``ifindex`` (the cache merges
  these: one qdisc dump serves all the links of a batch)

Nexthop objects cascade too, without a word from the kernel: deleting one takes the routes
using it (removed here at once) and shrinks the groups holding it (re-dumped, with the
routes through them when there are any); replacing one changes the routes using it; a link
going down or away takes the nexthops through it (re-dumped).

Traffic control is quieter still: deleting a qdisc takes its classes and the qdiscs below
it, deleting a class takes its leaf qdisc, a qdisc grafted under a class changes the class's
leaf, and the default qdisc a link gets when it comes up (or when its root qdisc goes)
appears, all without an event; those re-dump the link's qdiscs and classes. A deleted link
takes its qdiscs, classes and forwarding entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import cache_keys as K
from .cache_route import LinkIndex, RouteTable, key_family, message, pack_key
from .codec import constants as C
from .codec.message import Message
from .codec.nla import wire_attrs
from .codec.numbers import attr_number

Change = tuple[str, str, "Message | None", "Message | None"]
FollowUp = tuple[str, int, Any]

# a link going down flushes its IPv4 routes, and losing carrier marks them linkdown, both
# without RTM_DELROUTE/NEWROUTE; the way back clears the marks just as quietly
_ROUTE_FLAGS = C.IFF_UP | C.IFF_LOWER_UP
_ALT_IFNAME = attr_number("IFLA_ALT_IFNAME")
_NAMES = ("IFLA_IFNAME", "IFLA_PROP_LIST")


def link_flags(msg: Message) -> int:
    return msg["flags"]


def link_names(msg: Message) -> tuple[str, ...]:
    """The link's name followed by its alternative names (IFLA_PROP_LIST/IFLA_ALT_IFNAME)."""
    name, props = msg.wire_values(_NAMES)
    names = [] if name is None else [_asciiz(name)]
    if props is not None:
        names.extend(_asciiz(v) for t, v in wire_attrs(props) if t == _ALT_IFNAME)
    return tuple(names)


_TC_KINDS = ("qdisc", "class")
_LINK_TC = ("flags", "IFLA_QDISC")


def _tc_moved(old: Message | None, new: Message) -> bool:
    """The link came up or went down, or names another root qdisc: its default qdisc came
    or went without a tc event. (A new link that is down has none: storms cost nothing.)"""
    flags, qdisc = new.wire_values(_LINK_TC)
    if old is None:
        return bool(flags & C.IFF_UP)
    before, was = old.wire_values(_LINK_TC)
    return bool((before ^ flags) & C.IFF_UP) or was != qdisc


_OPERSTATE = ("IFLA_OPERSTATE",)


def _operstate_moved(old: Message, new: Message) -> bool:
    """The carrier change has been acted on: a link message sent between a carrier change
    and its processing (linkwatch runs later) already shows the new LOWER_UP flag, while
    the routes are marked linkdown (or back) only when the operational state follows, with
    no flag changing then. Re-reading the routes on that second message catches it."""
    return old.wire_values(_OPERSTATE) != new.wire_values(_OPERSTATE)


def _asciiz(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


class Store:
    """Links by index and the other objects by kernel identity, plus the lookup indexes.

    Routes are kept compact (``cache_route.RouteTable``): inside the store they go by
    packed key (``pack_key``), and the route indexes hold packed keys too; readers see
    tuple keys and messages."""

    def __init__(self) -> None:
        # kind -> {identity key: message}; routes are kept compact (see cache_route)
        self.objects: dict[str, Any] = {kind: {} for kind in K.KINDS}
        self.routes = self.objects["route"] = RouteTable()
        self.names: dict[str, int] = {}  # ifname and alternative names -> ifindex
        # the route indexes hold packed keys (cache_route.pack_key)
        self.route_links = LinkIndex(self.routes)  # ifindex -> routes through it
        self.route_prefsrc: dict[bytes, set[bytes]] = {}  # IPv4 preferred source -> routes
        self.route_nhids: dict[int, set[bytes]] = {}  # nexthop object id -> routes

    # --- events --------------------------------------------------------------------------

    def apply(self, msg: Message, changes: list[Change] | None,
              followups: set[FollowUp]) -> bool:
        """One kernel event. Returns False for messages the cache does not keep."""
        entry = K.kind_of(msg)
        if entry is None:
            self._other_event(msg, followups)
            return False
        kind, deleted = entry
        if kind == "route":  # the common case under load: one read of the bytes
            info = K.route_info(msg)
            if info is None:
                return False
            if not deleted:
                self._put_route(msg, info, changes)
            elif not self._partial_delete(info[0], msg, followups):
                self._remove_route(pack_key(info[0]), changes)
            return True
        if not K.wanted(kind, msg):
            if kind == "link" and msg.type == C.RTM_NEWLINK:
                # an AF_BRIDGE port message: the port's state moved but the link's own
                # message was not sent again, so read it afresh
                followups.add(("link", 0, K.link_key(msg)))
            return False
        if deleted:
            self.remove(kind, K.key_of(kind, msg), changes, followups)
            if kind in _TC_KINDS:
                # what went with it went silently (and a default qdisc may have come)
                followups.add(("tc", 0, K.qdisc_key(msg)[0]))
        else:
            self.put(kind, msg, changes, followups)
        if kind == "qdisc":
            index, parent, _handle = K.qdisc_key(msg)
            if parent == C.TC_H_ROOT:  # the link's IFLA_QDISC names it, without an event
                followups.add(("link", 0, index))
            elif parent != C.TC_H_INGRESS:
                # a qdisc under a class: the class's leaf (its tcm_info) moved silently
                followups.add(("tc", 0, index))
        return True

    def _partial_delete(self, key: tuple, msg: Message, followups: set[FollowUp]) -> bool:
        """An IPv6 multipath route losing some of its nexthops is announced as the deletion
        of those: re-read the route through its links instead of dropping all of it."""
        if key[0] != C.AF_INET6 or key[-1] is not None:
            return False
        old = self.objects["route"].get(key)
        if old is None:
            return False
        kept = K.route_info(old)[1]
        if sorted(kept) == sorted(K.route_info(msg)[1]):
            return False
        for oif in kept:
            followups.add(("route", C.AF_INET6, oif))
        return True

    def _other_event(self, msg: Message, followups: set[FollowUp]) -> None:
        pass  # nothing else moves the objects kept here

    def put(self, kind: str, msg: Message, changes: list[Change] | None,
            followups: set[FollowUp], key: Any = None) -> Any:
        """Add or replace one object; 'changed' only when more than counters moved.
        Returns its key (None for a route the cache does not keep)."""
        if kind == "route":
            info = K.route_info(msg)
            if info is None:
                return None
            self._put_route(msg, info, changes)
            return info[0]
        if key is None:
            key = K.key_of(kind, msg)
        table = self.objects[kind]
        old = table.get(key)
        if old is not None and old.payload() == msg.payload():
            return key  # the very same bytes: keep ours (the common case in a resync)
        table[key] = msg
        if kind == "link":
            self._link_index(key, old, msg, followups)
        elif kind == "nexthop" and old is not None and self._nexthop_used(key):
            # a replaced nexthop: the routes using it (or its groups) changed quietly
            self._redump_routes(followups)
        if old is None:
            if changes is not None:
                changes.append((kind, "new", None, msg))
        elif not K.same_state(kind, old, msg) and changes is not None:
            changes.append((kind, "changed", old, msg))
        return key

    def _put_route(self, msg: Message, info: tuple, changes: list[Change] | None) -> bytes:
        """Add or replace one route (``info``: its ``route_info``); returns its packed key."""
        packed = pack_key(info[0])
        raw = msg.raw()
        old_raw = self.routes.raw(packed)
        if old_raw is not None and old_raw[16:] == raw[16:]:
            return packed  # the very same bytes after the netlink header: keep ours
        self.routes.set_raw(packed, raw)
        old = None if old_raw is None else message(old_raw)
        self._route_index(packed, None if old is None else K.route_info(old), info)
        if changes is not None:
            if old is None:
                changes.append(("route", "new", None, msg))
            elif not K.same_state("route", old, msg):
                changes.append(("route", "changed", old, msg))
        return packed

    def _remove_route(self, packed: bytes, changes: list[Change] | None) -> None:
        old_raw = self.routes.pop_raw(packed)
        if old_raw is None:
            return
        old = message(old_raw)
        self._route_index(packed, K.route_info(old), None)
        if changes is not None:
            changes.append(("route", "deleted", old, None))

    def remove(self, kind: str, key: Any, changes: list[Change] | None,
               followups: set[FollowUp]) -> None:
        if kind == "route":
            self._remove_route(pack_key(key), changes)
            return
        old = self.objects[kind].pop(key, None)
        if old is not None:
            if kind == "link":
                self._drop_names(key, link_names(old))
            elif kind == "address" and key[1] == C.AF_INET and key[2] in self.route_prefsrc:
                # routes preferring this source go with it, silently (if it was the last)
                followups.add(("prefsrc", C.AF_INET, key[2]))
            if changes is not None:
                changes.append((kind, "deleted", old, None))
            if kind == "nexthop":
                self._nexthop_gone(key, changes, followups)
        if kind == "link":
            # even for a link we never saw: stale events may have added objects on it
            self.cascade(key, changes, followups)

    def cascade(self, index: int, changes: list[Change] | None,
                followups: set[FollowUp]) -> None:
        """What the kernel drops with a link: its addresses, neighbours and routes."""
        for kind in ("address", "neighbour"):
            doomed = [k for k in self.objects[kind] if k[0] == index]
            for k in doomed:
                self.remove(kind, k, changes, followups)
        for kind in _TC_KINDS:
            for k in [k for k in self.objects[kind] if k[0] == index]:
                self.remove(kind, k, changes, followups)
        fdb = self.objects["fdb"]
        for k in [k for k, m in fdb.items() if index in K.fdb_links(m)]:
            self.remove("fdb", k, changes, followups)
        if any(m.get("NHA_OIF") == index for m in self.objects["nexthop"].values()):
            followups.add(("nexthop", 0, None))  # its nexthops went too (and their routes)
        routes = self.routes
        for packed in list(self.route_links.get(index)):
            raw = routes.raw(packed)
            info = None if raw is None else K.route_info(message(raw))
            if info is None:
                continue
            if all(o == index for o in info[1]):
                self._remove_route(packed, changes)
            else:
                # a multipath route with other hops: the kernel may keep it, minus this hop
                followups.add(("route", key_family(packed), None))

    # --- dumps ---------------------------------------------------------------------------

    def reconcile(self, kind: str, msgs: Iterable[Message], changes: list[Change] | None,
                  followups: set[FollowUp], scope: Callable[[Any], bool] | None = None
                  ) -> None:
        """Make the objects of ``kind`` within ``scope`` (a key predicate; None: all of
        them) equal to a fresh dump: adds, changes and removals are reported."""
        seen = set()
        if kind == "route":  # (a route scope reads packed keys: see route_scope)
            route_info = K.route_info
            put_route = self._put_route
            for msg in msgs:
                info = route_info(msg)
                if info is not None:
                    seen.add(put_route(msg, info, changes))
            for packed in [k for k in self.routes.packed_keys()
                           if k not in seen and (scope is None or scope(k))]:
                self._remove_route(packed, changes)
            return
        table = self.objects[kind]
        put = self.put
        key_of = K.KEY_FUNCS[kind]
        wanted = K.wanted
        for msg in msgs:
            if wanted(kind, msg):
                seen.add(put(kind, msg, changes, followups, key_of(msg)))
        stale = [k for k in table if k not in seen and (scope is None or scope(k))]
        for key in stale:
            self.remove(kind, key, changes, followups)

    def load(self, kind: str, msgs: Iterable[Message]) -> None:
        """Fill an empty collection without reports (the fast path of the first dump)."""
        if kind != "route" or self.routes:
            self.reconcile(kind, msgs, None, set())
            return
        self.fill_routes(msgs)

    def fill_routes(self, msgs: Iterable[Message]) -> None:
        """Add routes without reports, as a first fill does (a part of one: the routes of
        a dump may come a datagram at a time)."""
        raw_of, set_raw = self.routes.raw, self.routes.set_raw
        add_link = self.route_links.add
        route_info = K.route_info
        for msg in msgs:
            info = route_info(msg)
            if info is None:
                continue
            key, oifs, prefsrc, nh_id = info
            packed = pack_key(key)
            if raw_of(packed) is not None:  # twice in one dump: the general path
                self._put_route(msg, info, None)
                continue
            set_raw(packed, msg.raw())
            if len(oifs) == 1:
                add_link(oifs[0], packed)
            else:
                for oif in set(oifs):
                    add_link(oif, packed)
            if prefsrc is not None:
                self.route_prefsrc.setdefault(prefsrc, set()).add(packed)
            if nh_id is not None:
                self.route_nhids.setdefault(nh_id, set()).add(packed)

    def clear_routes(self) -> None:
        """Forget every route (a first fill that must start again)."""
        self.routes.clear()
        self.route_links = LinkIndex(self.routes)
        self.route_prefsrc.clear()
        self.route_nhids.clear()

    # --- indexes -------------------------------------------------------------------------

    def _route_index(self, key: bytes, old: tuple | None, new: tuple | None) -> None:
        """Move packed ``key`` in the indexes from ``old`` to ``new`` (their route_info)."""
        was = frozenset(old[1]) if old is not None else frozenset()
        now = frozenset(new[1]) if new is not None else frozenset()
        for oif in was - now:
            self.route_links.drop(oif, key)
        for oif in now - was:
            self.route_links.add(oif, key)
        if old is not None:
            _key, _oifs, prefsrc, nh_id = old
            if nh_id is not None:
                keys = self.route_nhids.get(nh_id)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self.route_nhids[nh_id]
            if prefsrc is not None:
                keys = self.route_prefsrc.get(prefsrc)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self.route_prefsrc[prefsrc]
        if new is not None:
            _key, _oifs, prefsrc, nh_id = new
            if prefsrc is not None:
                self.route_prefsrc.setdefault(prefsrc, set()).add(key)
            if nh_id is not None:
                self.route_nhids.setdefault(nh_id, set()).add(key)

    def _link_index(self, index: int, old: Message | None, new: Message,
                    followups: set[FollowUp]) -> None:
        new_names = link_names(new)
        if _tc_moved(old, new):
            followups.add(("tc", 0, index))
        if old is not None:
            old_names = link_names(old)
            if old_names != new_names:
                self._drop_names(index, [n for n in old_names if n not in new_names])
            before, after = link_flags(old), link_flags(new)
            if (before ^ after) & _ROUTE_FLAGS or _operstate_moved(old, new):
                for family in (C.AF_INET, C.AF_INET6):
                    followups.add(("route", family, index))
                    if before & ~after & _ROUTE_FLAGS:  # down: neighbours are flushed
                        followups.add(("neighbour", family, index))
                if before & ~after & _ROUTE_FLAGS and any(
                        m.get("NHA_OIF") == index for m in self.objects["nexthop"].values()):
                    followups.add(("nexthop", 0, None))  # down: its nexthops are flushed
        for name in new_names:
            self.names[name] = index

    def _drop_names(self, index: int, names: Iterable[str]) -> None:
        links = self.objects["link"]
        for name in names:
            if self.names.get(name) != index:
                continue
            del self.names[name]
            # a name replayed out of order may belong to another link by now
            for other, msg in links.items():
                if other != index and name in link_names(msg):
                    self.names[name] = other
                    break

    # --- nexthop objects --------------------------------------------------------------------

    def _groups_of(self, nh_id: int) -> list[int]:
        """The ids of the cached groups holding nexthop ``nh_id``."""
        out = []
        for gid, m in self.objects["nexthop"].items():
            members = m.get("NHA_GROUP")
            if members and any(g["id"] == nh_id for g in members):
                out.append(gid)
        return out

    def _nexthop_used(self, nh_id: int) -> bool:
        """Routes use this nexthop, directly or through a group."""
        nhids = self.route_nhids
        return nh_id in nhids or any(g in nhids for g in self._groups_of(nh_id))

    @staticmethod
    def _redump_routes(followups: set[FollowUp]) -> None:
        followups.add(("route", C.AF_INET, None))
        followups.add(("route", C.AF_INET6, None))

    def _nexthop_gone(self, nh_id: int, changes: list[Change] | None,
                      followups: set[FollowUp]) -> None:
        """The kernel's silent cascade of a nexthop's deletion: its routes go, its groups
        shrink (or go, when it was their last member)."""
        for packed in list(self.route_nhids.get(nh_id, ())):
            self._remove_route(packed, changes)
        groups = self._groups_of(nh_id)
        if groups:
            followups.add(("nexthop", 0, None))
            if any(g in self.route_nhids for g in groups):
                self._redump_routes(followups)  # the groups' routes lost a hop

    def prefsrc_routes(self, address: bytes) -> bool:
        return bool(self.route_prefsrc.get(address))

    def route_scope(self, family: int, index: int | None) -> Callable[[bytes], bool]:
        """Packed-key predicate: the routes of ``family`` (through ``index``, when given)."""
        if index is None:
            return lambda packed: key_family(packed) == family
        through = set(self.route_links.get(index))  # as it is before the re-dump
        return lambda packed: packed in through and key_family(packed) == family

    def routes_via(self, index: int) -> RouteTable:
        """The routes with a nexthop through link ``index`` (a frozen view)."""
        return self.routes.subset(self.route_links.get(index))

    def counts(self) -> dict[str, int]:
        return {kind: len(table) for kind, table in self.objects.items()}
