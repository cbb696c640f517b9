"""``ip neigh show`` as ip prints it, from the entries of ``render.neighbour``.

ip writes most words of a neighbour with a space after them (``192.0.2.1 dev v0 lladdr ...
REACHABLE ``), so every line ends in a space; ``-s`` inserts the cache times with a space
before them and none after ``used a/b/c``, hence ip's ``0/0/0probes 1``. ``-br`` is ip's
brief form: the address padded to 39 columns, the device to 16, then the link address.
``-o`` changes nothing (a neighbour is one line already).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any

from ..neighbour import neighbour_json
from ..safe import printable

# flag keys of the JSON entry, in the order ip prints them after the link address
_FLAGS = ("router", "proxy", "managed", "extern_learn", "offload")
# ip -br -j keeps these keys
BRIEF_KEYS = ("dst", "dev", "lladdr")


def entry_line(e: dict[str, Any]) -> str:
    """One neighbour's line (from its ``ip -j`` entry)."""
    out = []
    if e.get("deleted"):
        out.append("Deleted ")
    elif "miss" in e:
        out.append("miss ")
    if "dst" in e:
        out.append(f"{e['dst']} ")
    if "dev" in e:
        out.append(f"dev {printable(e['dev'])} ")
    if "lladdr" in e:
        out.append(f"lladdr {e['lladdr']} ")
    out += [f"{flag} " for flag in _FLAGS if flag in e]
    if "refcnt" in e:
        out.append(f" ref {e['refcnt']}")
    if "used" in e:
        out.append(f" used {e['used']}/{e['confirmed']}/{e['updated']}")
    if "probes" in e:
        out.append(f"probes {e['probes']} ")
    out += [f"{state} " for state in e.get("state", ())]
    if "protocol" in e:
        out.append(f"proto {e['protocol']} ")
    return "".join(out)


def brief_line(e: dict[str, Any]) -> str:
    """ip -br's line: address, device (unless a device was selected), link address."""
    text = f"{e.get('dst', ''):<39} "
    if "dev" in e:
        text += f"{printable(e['dev']):<16} "
    return text + e.get("lladdr", "")


def lines(msgs: Iterable[Any], rctx: Any, opts: Any, hide: Collection[str] = ()
          ) -> Iterator[str]:
    """ip's text (or with -br its brief lines) of these (selected) neighbour messages."""
    line = brief_line if opts.brief else entry_line
    for e in neighbour_json(msgs, rctx, hide):
        yield line(e)


def brief_json(msgs: Iterable[Any], rctx: Any, hide: Collection[str] = ()
               ) -> list[dict[str, Any]]:
    """``ip -br -j neigh``: each entry's address, device and link address only."""
    return [{k: e[k] for k in BRIEF_KEYS if k in e} for e in neighbour_json(msgs, rctx, hide)]
