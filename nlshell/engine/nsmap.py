"""Naming the namespaces that events come from, for all-namespace monitoring.

A socket with NETLINK_LISTEN_ALL_NSID (``IPRoute(all_ns=True)``) hears the events of every
namespace its own namespace has given an nsid to; each message's ``.nsid`` says which one,
as a number that only means something in the listener's namespace. :class:`NsidMap` turns
it into a name from /run/netns:

    from nlshell import IPRoute
    from nlshell.engine.codec import constants as C
    from nlshell.engine.nsmap import NsidMap

    with IPRoute(netns='A', all_ns=True) as ipr:
        ipr.bind(C.RTMGRP_LINK | C.RTMGRP_NSID)  # NSID: hear ids come and go
        names = NsidMap(where='A')             # where = the listener's namespace
        for msg in ipr.get():
            names.observe(msg)
            print(names.name(msg.nsid) or 'A', msg['event'])

The map is built by ``netns.nsid_map`` (one socket in ``where``, one request per named
namespace) and cached. It is rebuilt on the next lookup after an RTM_NEWNSID/RTM_DELNSID
event was observed, after :meth:`NsidMap.invalidate`, or when an nsid is not in it. An
nsid still unknown after a rebuild is remembered, and asked about again at most once per
``retry`` seconds: a stream of events from an unnamed namespace stays cheap.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from . import netns as _netns
from .codec import constants as C

_NSID_EVENTS = frozenset((C.RTM_NEWNSID, C.RTM_DELNSID))


class NsidMap:
    """A cached ``{nsid: name}`` as seen from namespace ``where`` (None: the caller's)."""

    def __init__(self, where: _netns.NsSpec | None = None, retry: float = 1.0) -> None:
        self.where = where
        self.retry = retry
        self._map: dict[int, str] | None = None
        self._misses: dict[int, float] = {}  # nsid -> when a rebuild last failed to name it
        self._lock = threading.Lock()

    def refresh(self) -> dict[int, str]:
        """Rebuild the map from the kernel now and return a copy of it."""
        fresh = _netns.nsid_map(self.where)
        with self._lock:
            self._map = fresh
        return dict(fresh)

    def invalidate(self) -> None:
        """Forget the map (and the ids it could not name): the next lookup rebuilds it."""
        with self._lock:
            self._map = None
            self._misses.clear()

    def observe(self, msg: Any) -> None:
        """Feed an event: nsid assignments and removals invalidate the map."""
        if getattr(msg, 'type', None) in _NSID_EVENTS:
            self.invalidate()

    def name(self, nsid: int | None) -> str | None:
        """The name of the namespace with id ``nsid``; None for None (the listener's own
        namespace) and for ids of namespaces that have no name."""
        if nsid is None:
            return None
        now = time.monotonic()
        with self._lock:
            current, missed = self._map, self._misses.get(nsid)
        if current is not None:
            if nsid in current:
                return current[nsid]
            if missed is not None and now - missed < self.retry:
                return None  # asked the kernel about this one moments ago
        found = self.refresh().get(nsid)
        if found is None:
            with self._lock:
                self._misses[nsid] = now
        return found

    def source(self, msg: Any) -> str | None:
        """:meth:`observe` the message, then name the namespace it came from."""
        self.observe(msg)
        return self.name(getattr(msg, 'nsid', None))

    def as_dict(self) -> dict[int, str]:
        """The current map (built if needed)."""
        with self._lock:
            current = self._map
        return dict(current) if current is not None else self.refresh()

    def __repr__(self) -> str:
        return f'<NsidMap where={self.where!r} {self._map!r}>'


__all__ = ['NsidMap']
