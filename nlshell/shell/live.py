"""Completion values kept live from a namespace's `Cache`, ready before anyone asks.

`LiveIndex` subscribes to one `Cache` and keeps what completion offers -- link names with
index and state, addresses per link, route prefixes, tables in use -- updated from each
change, so a completion request only reads small structures and never waits on the kernel
(nor walks 100,000 route messages). `ShellProvider` is the `suggest.Provider` over the index
of the current context.

Route prefixes live in a `PrefixSet`: a sorted list searched with bisect, plus a small
sorted list of recent additions merged in now and then, so both a storm of route events
and a completion request stay cheap.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from nlshell.engine import cache_keys as K
from nlshell.engine.names import index_of

LOCAL_TABLE = 255  # local/broadcast routes: not worth offering to `route del`
MAIN_TABLE = 254  # `route del PREFIX` without `table` deletes from main: offer only those
DEFAULT_LIMIT = 200  # most live values one completion request shows
_FAMILIES = {socket.AF_INET: socket.AF_INET, socket.AF_INET6: socket.AF_INET6}
_TABLE_NAMES = {253: "default", 254: "main", 255: "local"}


def _ntop(family: int, raw: bytes) -> str | None:
    try:
        return socket.inet_ntop(_FAMILIES[family], raw)
    except (KeyError, ValueError, OSError):
        return None


def route_prefix(key: tuple) -> str | None:
    """'192.0.2.0/24', '192.0.2.1' (a host route) or 'default', from a cache route key
    (family, table, dst bytes, dst_len, ...); None for a route not to offer (one outside
    the main table: `route del PREFIX` would not find it there)."""
    family, table, dst, dst_len = key[0], key[1], key[2], key[3]
    if table != MAIN_TABLE or family not in _FAMILIES:
        return None
    if not dst or not dst_len:
        return "default"
    addr = _ntop(family, dst)
    if addr is None:
        return None
    full = 32 if family == socket.AF_INET else 128
    return addr if dst_len == full else f"{addr}/{dst_len}"


def address_text(key: tuple) -> str | None:
    """'192.0.2.1/24' from a cache address key (index, family, address bytes, prefixlen)."""
    _index, family, raw, plen = key
    addr = _ntop(family, raw)
    return None if addr is None else f"{addr}/{plen}"


class PrefixSet:
    """A multiset of strings answering "the first N that start with X" in O(log n + N).

    `base` is sorted; `recent` (sorted) holds values added since the last merge; a value
    whose count falls to zero stays in the lists until the next merge and is skipped.
    """

    MERGE_MIN = 1024

    def __init__(self, values: Counter[str] | None = None) -> None:
        self.counts: Counter[str] = Counter(values or ())
        self.base: list[str] = sorted(self.counts)
        self.recent: list[str] = []
        self.dead = 0

    def __len__(self) -> int:
        return len(self.counts)

    def add(self, value: str) -> None:
        n = self.counts[value]
        self.counts[value] = n + 1
        if n == 0:
            i = bisect.bisect_left(self.base, value)
            if i < len(self.base) and self.base[i] == value:
                self.dead -= 1  # back to life where it already sits
            else:
                bisect.insort(self.recent, value)
                self._maybe_merge()

    def remove(self, value: str) -> None:
        n = self.counts.get(value, 0)
        if n > 1:
            self.counts[value] = n - 1
        elif n == 1:
            del self.counts[value]
            i = bisect.bisect_left(self.recent, value)
            if i < len(self.recent) and self.recent[i] == value:
                del self.recent[i]
            else:
                self.dead += 1
                self._maybe_merge()

    def _maybe_merge(self) -> None:
        # merge when the side list or the dead entries grow past a share of the whole:
        # the total merge work stays proportional to the number of changes
        limit = max(self.MERGE_MIN, len(self.base) // 8)
        if len(self.recent) > limit or self.dead > limit:
            self.base = sorted(self.counts)
            self.recent = []
            self.dead = 0

    def starting(self, prefix: str, limit: int) -> tuple[list[str], bool]:
        """Up to `limit` live values starting with `prefix`, sorted; and whether more exist."""
        out: list[str] = []
        counts = self.counts
        for source in (self.base, self.recent):
            i = bisect.bisect_left(source, prefix)
            while i < len(source) and source[i].startswith(prefix):
                if source[i] in counts:
                    out.append(source[i])
                    if len(out) > 2 * limit:
                        break
                i += 1
        out.sort()
        return out[:limit], len(out) > limit


class LiveIndex:
    """Completion values of one cache, updated by its events (see the module docstring).

    Readers take a short lock; the initial build from the cache's snapshot runs in a thread
    (100,000 routes take a moment) while events that arrive meanwhile are queued.
    ``on_change`` callbacks run in the cache's thread after each change (kind, action).
    """

    def __init__(self, cache: Any, background: bool = True,
                 on_change: Callable[[str, str], Any] | None = None) -> None:
        self.cache = cache
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.version = 0
        self.links: dict[int, tuple[str, str]] = {}  # index -> (name, operstate)
        self.addrs: dict[int, Counter[str]] = {}  # link index -> its addresses
        self.routes = PrefixSet()
        self.tables: Counter[int] = Counter()
        self.on_change: list[Callable[[str, str], Any]] = [on_change] if on_change else []
        self._queued: list[tuple[str, str, Any, Any]] = []
        self._rows: list[tuple[str, int, str]] = []
        self._rows_version = -1
        self._closed = False
        with cache.lock:  # the snapshot is the exact starting point of the events we get
            cache.subscribe(self._event)
            snap = cache.snapshot()
        if background:
            threading.Thread(target=self._build, args=(snap,), daemon=True,
                             name="nlshell-complete-index").start()
        else:
            self._build(snap)

    # --- building and updating ---------------------------------------------------------

    def _build(self, snap: dict[str, dict[Any, Any]]) -> None:
        links = {index: _link_row(msg) for index, msg in snap.get("link", {}).items()}
        addrs: dict[int, Counter[str]] = {}
        for key in snap.get("address", {}):
            text = address_text(key)
            if text is not None:
                addrs.setdefault(key[0], Counter())[text] += 1
        prefixes: Counter[str] = Counter()
        tables: Counter[int] = Counter()
        for key in snap.get("route", {}):
            tables[key[1]] += 1
            text = route_prefix(key)
            if text is not None:
                prefixes[text] += 1
        with self.lock:
            self.links, self.addrs, self.tables = links, addrs, tables
            self.routes = PrefixSet(prefixes)
            queued, self._queued = self._queued, []
            for change in queued:
                self._apply(*change)
            self.version += 1
            self.ready.set()
        self._notify("all", "built")

    def _event(self, kind: str, action: str, old: Any, new: Any) -> None:
        with self.lock:
            if self._closed:
                return
            if not self.ready.is_set():
                self._queued.append((kind, action, old, new))
                return
            self._apply(kind, action, old, new)
            self.version += 1
        self._notify(kind, action)

    def _apply(self, kind: str, action: str, old: Any, new: Any) -> None:
        """Under the lock: fold one change into the index (a bad message is skipped)."""
        try:
            if kind == "link":
                msg = new if new is not None else old
                if action == "deleted":
                    self.links.pop(msg["index"], None)
                    self.addrs.pop(msg["index"], None)
                else:
                    self.links[msg["index"]] = _link_row(msg)
            elif kind == "address":
                if old is not None:
                    self._address(K.address_key(old), -1)
                if new is not None:
                    self._address(K.address_key(new), +1)
            elif kind == "route":
                if old is not None:
                    self._route(K.route_key(old), -1)
                if new is not None:
                    self._route(K.route_key(new), +1)
        except Exception:  # noqa: BLE001 - one odd message must not stop the updates
            pass

    def _address(self, key: tuple, delta: int) -> None:
        text = address_text(key)
        if text is None:
            return
        bag = self.addrs.setdefault(key[0], Counter())
        bag[text] += delta
        if bag[text] <= 0:
            del bag[text]

    def _route(self, key: tuple, delta: int) -> None:
        table = key[1]
        self.tables[table] += delta
        if self.tables[table] <= 0:
            del self.tables[table]
        text = route_prefix(key)
        if text is not None:
            (self.routes.add if delta > 0 else self.routes.remove)(text)

    def _notify(self, kind: str, action: str) -> None:
        for callback in tuple(self.on_change):
            with contextlib.suppress(Exception):
                callback(kind, action)

    def close(self) -> None:
        with self.lock:
            self._closed = True
        with contextlib.suppress(Exception):
            self.cache.unsubscribe(self._event)

    # --- reading -------------------------------------------------------------------------

    def link_rows(self) -> list[tuple[str, int, str]]:
        """(name, index, state) by index; the same list object until the index changes
        (callers must not modify it)."""
        with self.lock:
            if self._rows_version != self.version:
                self._rows = [(name, index, state)
                              for index, (name, state) in sorted(self.links.items())]
                self._rows_version = self.version
            return self._rows

    def addresses(self, dev: str | None) -> list[str]:
        with self.lock:
            if dev is None:
                return sorted({a for bag in self.addrs.values() for a in bag})
            index = next((i for i, (name, _) in self.links.items() if name == dev), None)
            if index is None:
                index = index_of(dev)  # ASCII digits only: '３' is a name
            return sorted(self.addrs.get(index, ()))

    def route_prefixes(self, prefix: str, limit: int) -> tuple[list[str], bool]:
        with self.lock:
            return self.routes.starting(prefix, limit)

    def table_ids(self) -> list[int]:
        with self.lock:
            return sorted(self.tables)

    def nexthop_rows(self) -> list[tuple[int, str]]:
        """(id, meta) per nexthop object, read from the cache (there are few)."""
        from nlshell.commands.render.nexthop import nexthop_meta

        return [(m.get("id"), nexthop_meta(m)) for m in self.cache.nexthops()]

    def _dev_index(self, dev: str | None) -> int | None:
        if dev is None:
            return None
        found = self.cache.index(dev)
        return -1 if found is None else found  # an unknown device has nothing to offer

    def fdb_rows(self, dev: str | None) -> list[tuple[str, str]]:
        """(MAC, meta) per forwarding entry, read from the cache."""
        from nlshell.commands.provider import fdb_rows

        return fdb_rows(self.cache.fdb(), self._dev_index(dev), self.cache.name)

    def tc_rows(self, source: str, dev: str | None) -> list[tuple[str, str]]:
        """(handle, meta) of the qdiscs / classes (see provider.TC_SOURCES), from the cache."""
        from nlshell.commands.provider import tc_rows

        index = self._dev_index(dev)
        flt = {} if index is None else {"index": index}
        return tc_rows(self.cache.qdiscs(**flt), self.cache.classes(**flt), source, index,
                       self.cache.name)

    def counts(self) -> dict[str, int]:
        """links / addresses / routes as the cache counts them (every table)."""
        try:
            return dict(self.cache.counts())
        except Exception:  # noqa: BLE001 - a closed cache: count what we hold
            with self.lock:
                return {"links": len(self.links),
                        "addresses": sum(len(b) for b in self.addrs.values()),
                        "routes": len(self.routes)}


def settle_heap() -> None:
    """Move what exists now (a context's cache: 100,000 route messages) out of the cyclic
    GC's sight. Without it a full collection walks them all -- 40 ms at 100,000 routes --
    and lands in the middle of a keystroke every few dozen completions. Reference counting
    still frees these objects; only cycles among them would wait."""
    gc.freeze()


def _link_row(msg: Any) -> tuple[str, str]:
    name = msg.get("ifname") or f"if{msg['index']}"
    state = msg.get("operstate") or ""
    return str(name), str(state)


_BASE_TABLES = [("main", "table 254"), ("local", "table 255"), ("default", "table 253"),
                ("all", "every table")]


class ShellProvider:
    """A `suggest.Provider` over the `LiveIndex` of the current context.

    ``index_of()`` returns the current index (or None while a context has none yet: then
    nothing live is offered). Route prefixes are narrowed to the word being completed and
    capped at ``limit``; `truncated` tells the completer that more were left out.
    """

    def __init__(self, index_of: Callable[[], LiveIndex | None],
                 netns_names: Callable[[], list[str]] | None = None,
                 limit: int = DEFAULT_LIMIT) -> None:
        self._index_of = index_of
        self._netns_names = netns_names or _list_netns
        self.limit = limit
        self._prefix = ""
        self.truncated = False

    @contextlib.contextmanager
    def narrowed(self, prefix: str) -> Iterator[None]:
        """Within the block, bulky sources only return values starting with `prefix`."""
        saved, self._prefix = self._prefix, prefix
        self.truncated = False
        try:
            yield
        finally:
            self._prefix = saved

    def links(self) -> list[tuple[str, int, str]]:
        index = self._index_of()
        return index.link_rows() if index is not None else []

    def netns(self) -> list[str]:
        return self._netns_names()

    def addresses(self, dev: str | None = None) -> list[str]:
        index = self._index_of()
        return index.addresses(dev) if index is not None else []

    def routes(self) -> list[str]:
        index = self._index_of()
        if index is None:
            return []
        found, more = index.route_prefixes(self._prefix, self.limit)
        self.truncated = self.truncated or more
        return found

    def nexthops(self) -> list[tuple[int, str]]:
        index = self._index_of()
        return index.nexthop_rows() if index is not None else []

    def fdb(self, dev: str | None = None) -> list[tuple[str, str]]:
        index = self._index_of()
        return index.fdb_rows(dev) if index is not None else []

    def tc(self, source: str, dev: str | None = None) -> list[tuple[str, str]]:
        index = self._index_of()
        return index.tc_rows(source, dev) if index is not None else []

    def tables(self) -> list[tuple[str | int, str]]:
        index = self._index_of()
        ids = index.table_ids() if index is not None else []
        extra = [(t, "table in use") for t in ids if t not in _TABLE_NAMES and t != 0]
        return [*_BASE_TABLES, *extra]


def _list_netns() -> list[str]:
    from nlshell.engine import netns

    try:
        return sorted(netns.listnetns())
    except OSError:
        return []
