"""``ip nexthop show`` as ip prints it, from the entries of ``render.nexthop``.

Every word of a nexthop is written with a space after it (so the line ends in one), except
the closing ``fdb``. ``-d`` adds the scope and protocol ip otherwise leaves out (the entry
carries them then); ``-o``, ``-s`` and ``-br`` change nothing in ip 6.1.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..nexthop import group_text, nexthop_json
from ..safe import printable

# (entry key, ip's word) of the words after the group, in ip's order
_WORDS = (("gateway", "via"), ("dev", "dev"), ("scope", "scope"))


def entry_line(e: dict[str, Any]) -> str:
    """One nexthop's line (from its ``ip -j`` entry)."""
    out = ["Deleted " if e.get("deleted") else "", f"id {e['id']} "]
    if "group" in e:
        out.append(f"group {group_text(e['group'])} ")
    if "type" in e:
        out.append(f"type {e['type']} ")
    out += [f"{key} {value} " for key, value in e.get("resilient_args", {}).items()]
    out += [f"{word} {printable(str(e[key]))} " for key, word in _WORDS if key in e]
    if "blackhole" in e:
        out.append("blackhole ")
    if "protocol" in e:
        out.append(f"proto {e['protocol']} ")
    out += [f"{flag} " for flag in e["flags"]]
    if "fdb" in e:
        out.append("fdb")
    return "".join(out)


def lines(msgs: Iterable[Any], rctx: Any, opts: Any) -> Iterator[str]:
    """ip's text of these nexthop messages."""
    for e in nexthop_json(msgs, rctx):
        yield entry_line(e)
