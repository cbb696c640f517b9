"""A fake `Cache` for the shell's pure tests: real encoded messages, no kernel.

It has what `nlshell.shell.live.LiveIndex` uses (lock, subscribe/unsubscribe, snapshot,
counts, last_event) and methods that change it and tell listeners, as the real cache's
thread would.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from nlshell.engine import cache_keys as K
from nlshell.engine.cache import EventInfo
from nlshell.engine.codec import constants as C
from nlshell.engine.codec import encode, parse

_KEYS = {"link": K.link_key, "address": K.address_key, "route": K.route_key}


def link_msg(index: int, name: str, state: str = "UP") -> Any:
    return parse(encode(C.RTM_NEWLINK, fields={"index": index, "flags": 1},
                        attrs=[("IFLA_IFNAME", name), ("IFLA_OPERSTATE", state)]))[0]


def addr_msg(index: int, cidr: str) -> Any:
    addr, plen = cidr.split("/")
    family = 10 if ":" in addr else 2
    return parse(encode(C.RTM_NEWADDR, fields={"family": family, "prefixlen": int(plen),
                                               "index": index},
                        attrs=[("IFA_LOCAL", addr), ("IFA_ADDRESS", addr)]))[0]


def route_msg(dst: str, table: int = 254, oif: int = 1, metric: int = 0) -> Any:
    attrs: list[tuple[str, Any]] = [("RTA_OIF", oif), ("RTA_TABLE", table)]
    if metric:
        attrs.append(("RTA_PRIORITY", metric))
    if dst == "default":
        family, plen = 2, 0
    else:
        addr, _, length = dst.partition("/")
        family = 10 if ":" in addr else 2
        plen = int(length) if length else (128 if family == 10 else 32)
        attrs.append(("RTA_DST", addr))
    return parse(encode(C.RTM_NEWROUTE, fields={"family": family, "dst_len": plen,
                                                "table": min(table, 255), "type": 1},
                        attrs=attrs))[0]


class FakeCache:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.objects: dict[str, dict[Any, Any]] = {k: {} for k in K.KINDS}
        self.listeners: list[Any] = []
        self.last_event: EventInfo | None = None
        self.closed = False

    # what LiveIndex reads
    def subscribe(self, cb: Any) -> Any:
        with self.lock:
            self.listeners.append(cb)
        return cb

    def unsubscribe(self, cb: Any) -> bool:
        with self.lock:
            if cb in self.listeners:
                self.listeners.remove(cb)
                return True
            return False

    def snapshot(self) -> dict[str, dict[Any, Any]]:
        with self.lock:
            return {k: dict(v) for k, v in self.objects.items()}

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {"links": len(self.objects["link"]),
                    "addresses": len(self.objects["address"]),
                    "routes": len(self.objects["route"]),
                    "neighbours": 0, "rules": 0}

    # changes
    def put(self, kind: str, msg: Any, tell: bool = True) -> None:
        key = _KEYS[kind](msg)
        with self.lock:
            old = self.objects[kind].get(key)
            self.objects[kind][key] = msg
            action = "new" if old is None else "changed"
            self.last_event = EventInfo(time.time(), kind, action, msg)
            listeners = list(self.listeners)
        if tell:
            for cb in listeners:
                cb(kind, action, old, msg)

    def remove(self, kind: str, msg: Any) -> None:
        key = _KEYS[kind](msg)
        with self.lock:
            old = self.objects[kind].pop(key, None)
            self.last_event = EventInfo(time.time(), kind, "deleted", msg)
            listeners = list(self.listeners)
        if old is not None:
            for cb in listeners:
                cb(kind, "deleted", old, None)

    def close(self) -> None:
        self.closed = True
