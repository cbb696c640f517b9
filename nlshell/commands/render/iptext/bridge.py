"""``bridge fdb show`` and ``bridge link show`` as iproute2's bridge prints them, from the
entries of ``render.bridge``.

fdb: the MAC, then ``dev``, the remote and VLAN words, ``used A/B`` with -s, the flags,
``master BR`` and the state, one space between words and none at the end (a dynamic entry's
empty state word leaves one). link: ``INDEX: NAME[@LINK]: <FLAGS>`` and the port's words,
each followed by a space; -d adds a second line of the port's options, indented by four.
``-o`` changes neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..bridge import _PORT_DETAILS, fdb_entry, port_json, vlan_text
from ..safe import printable

# (entry key, bridge's word) after the MAC, in bridge's order
_FDB_WORDS = (("ifname", "dev"), ("dst", "dst"), ("vlan", "vlan"), ("port", "port"),
              ("vni", "vni"), ("src_vni", "src_vni"), ("viaIf", "via"),
              ("viaIfIndex", "via ifindex"), ("nhid", "nhid"), ("linkNetNsId", "link-netnsid"))
# entry keys of the port's words on its first line
_PORT_WORDS = ("mtu", "master", "state", "priority", "cost")
# -d's per-port options (entry keys) in bridge's order, as the entry knows them; booleans
# print as on/off
_PORT_OPTIONS = tuple(key for _attr, key, _kind in _PORT_DETAILS)


def fdb_line(e: dict[str, Any]) -> str:
    """One fdb entry's line (from its ``bridge -j`` entry)."""
    words = ["Deleted"] if e.get("deleted") else []
    if "mac" in e:
        words.append(e["mac"])
    words += [f"{word} {printable(str(e[key]))}" for key, word in _FDB_WORDS if key in e]
    if "used" in e:
        words.append(f"used {e['used']}/{e['updated']}")
    words += e["flags"]
    if "master" in e:
        words.append(f"master {printable(e['master'])}")
    words.append(e["state"])
    return " ".join(words)


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return printable(str(value))


def port_lines(e: dict[str, Any]) -> list[str]:
    """One port's line (and -d's second line) from its ``bridge -j link`` entry."""
    name = printable(e["ifname"]) + (f"@{printable(e['link'])}" if "link" in e else "")
    head = ("Deleted " if e.get("deleted") else "") + (
        f"{e['ifindex']}: {name}: <{','.join(e['flags'])}> ")
    out = [head + "".join(f"{key} {_word(e[key])} " for key in _PORT_WORDS if key in e)]
    options = [f"{key} {_word(e[key])} " for key in _PORT_OPTIONS if key in e]
    if options:
        out.append("    " + "".join(options))
    return out


def lines(msgs: Iterable[Any], rctx: Any, opts: Any, what: str = "fdb",
          with_dev: bool = True) -> Iterator[str]:
    """bridge's text of fdb entries (``what='fdb'``; ``with_dev``: no port was selected),
    of bridge ports (``what='link'``) or of ``bridge -j vlan show`` entries (``'vlan'``:
    bridge's table, its header first)."""
    if what == "vlan":
        yield from vlan_text(list(msgs)).split("\n")
        return
    if what == "fdb":
        for m in msgs:
            yield fdb_line(fdb_entry(m, rctx, with_dev=with_dev))
        return
    for e in port_json(msgs, rctx):
        yield from port_lines(e)
