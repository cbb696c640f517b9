"""``ip netns list`` and ``ip netns list-id`` as ip prints them.

``list``: one name a line, in the order the directory gives them (ip does not sort), with
`` (id: N)`` when the namespace the command runs in has given it an nsid. ``list-id``: one
nsid a line, ``nsid N `` then ``(iproute2 netns name: NAME)`` when a name has it, the
``current-nsid`` of a target namespace between them when one was asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..safe import printable_text


def list_line(e: dict[str, Any]) -> str:
    """One ``netns list`` entry (``{"name", "id"?}``, the ``-j`` entry)."""
    return printable_text(e["name"]) + (f" (id: {e['id']})" if "id" in e else "")


def list_id_line(e: dict[str, Any]) -> str:
    """One ``netns list-id`` entry: ``{"nsid", "current-nsid"?, "name"?}`` (ip -j's keys);
    a missing or negative nsid is ip's ``unassigned``."""
    nsid = e.get("nsid")
    out = ["nsid unassigned " if nsid is None or nsid < 0 else f"nsid {nsid} "]
    if "current-nsid" in e:
        cur = e["current-nsid"]
        out.append("current-nsid unassigned " if cur < 0 else f"current-nsid {cur} ")
    if "name" in e:
        out.append(f"(iproute2 netns name: {printable_text(e['name'])})")
    return "".join(out)


_LINE = {"list": list_line, "list-id": list_id_line}


def lines(entries: Iterable[dict[str, Any]], rctx: Any, opts: Any, what: str = "list"
          ) -> Iterator[str]:
    """ip's text of ``netns list`` (``what='list'``) or ``netns list-id`` entries."""
    line = _LINE[what]
    for e in entries:
        yield line(e)
