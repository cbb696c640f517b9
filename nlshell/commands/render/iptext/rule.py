"""``ip rule show`` as ip prints it, from the entries of ``render.rule``.

A rule is ``PRIORITY:<TAB>`` then its selectors and its action, each word with a space
before it (``from`` comes first and has none). ``-o``, ``-s`` and ``-br`` change nothing in
ip's rule text; ``-d`` shows the protocol even when it is ``kernel`` or ``unspec`` (the
entry already carries it then).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..rule import rule_json
from ..safe import printable


def _prefix(value: str, length: Any) -> str:
    return value if length is None else f"{value}/{length}"


def _ports(e: dict[str, Any], key: str) -> str:
    if key in e:
        return f" {key} {e[key]}"
    if key + "_start" in e:
        return f" {key} {e[key + '_start']}-{e[key + '_end']}"
    return ""


def _detached(e: dict[str, Any], key: str) -> str:
    if key not in e:
        return ""
    return f" {key} {printable(e[key])}" + (" [detached]" if f"{key}_detached" in e else "")


def _action(e: dict[str, Any]) -> str:
    if "masquerade" in e:
        return " masquerade"
    if "goto" in e:
        return f" goto {e['goto']}" + (" [unresolved]" if "unresolved" in e else "")
    if "nop" in e:
        return " nop"
    if "action" in e:
        return f" {e['action']}"
    return ""


def entry_line(e: dict[str, Any]) -> str:
    """One rule's line (from its ``ip -j`` entry)."""
    out = ["Deleted " if e.get("deleted") else "", f"{e['priority']}:\t"]
    if "not" in e:
        out.append("not ")
    out.append("from " + _prefix(e["src"], e.get("srclen")))
    if "dst" in e:
        out.append(" to " + _prefix(e["dst"], e.get("dstlen")))
    if "tos" in e:
        out.append(f" tos {e['tos']}")
    if "fwmark" in e:
        out.append(f" fwmark {e['fwmark']}" + (f"/{e['fwmask']}" if "fwmask" in e else ""))
    out.append(_detached(e, "iif"))
    out.append(_detached(e, "oif"))
    if "l3mdev" in e:
        out.append(" lookup [l3mdev-table]")
    if "uid_start" in e:
        out.append(f" uidrange {e['uid_start']}-{e['uid_end']}")
    if "ipproto" in e:
        out.append(f" ipproto {e['ipproto']}")
    out.append(_ports(e, "sport"))
    out.append(_ports(e, "dport"))
    if "tun_id" in e:
        out.append(f" tun_id {e['tun_id']}")
    if "table" in e:
        out.append(f" lookup {e['table']}")
    if "suppress_prefixlen" in e:
        out.append(f" suppress_prefixlength {e['suppress_prefixlen']}")
    if "suppress_ifgroup" in e:
        out.append(f" suppress_ifgroup {e['suppress_ifgroup']}")
    if "flow_to" in e:
        realm = f"{e['flow_from']}/" if "flow_from" in e else ""
        out.append(f" realms {realm}{e['flow_to']}")
    out.append(_action(e))
    if "protocol" in e:
        out.append(f" proto {e['protocol']}")
    return "".join(out)


def lines(msgs: Iterable[Any], rctx: Any, opts: Any) -> Iterator[str]:
    """ip's text of these (selected) rule messages."""
    for e in rule_json(msgs, rctx):
        yield entry_line(e)
