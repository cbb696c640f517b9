"""Traffic control: `tc -j qdisc show` dicts and tc's text lines from RTM_NEWQDISC,
RTM_NEWTCLASS and RTM_NEWTFILTER messages (``-s`` adds the statistics).

tc 6.1 prints htb classes as text even with ``-j``; their JSON here is nlshell's own:
rates in bits per second, bursts in bytes, as the text shows them.
"""

from __future__ import annotations

import _socket as socket  # the C module: socket.py imports enum (start-up time)

from nlshell.engine.codec.constants import TC_ACT_NAMES, TC_H_INGRESS, TC_H_ROOT
from nlshell.engine.requests.tc import handle_text, ticks_bytes

from .safe import printable

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

_PROTOCOLS = {0x0003: "all", 0x0800: "ip", 0x86DD: "ipv6", 0x8100: "802.1Q"}


def tc_rate(bits: int) -> str:
    """A rate (bits per second) as tc prints it (``iptext.numbers.rate``: one writer)."""
    from .iptext.numbers import rate

    return rate(bits // 8)


def tc_size(size: int) -> str:
    """A size as tc prints it (``iptext.numbers.size``)."""
    from .iptext.numbers import size as size_text

    return size_text(size)


def _stats(a: dict[str, Any]) -> dict[str, int]:
    s2 = a.get("TCA_STATS2")
    out: dict[str, int] = {}
    if s2 is None:
        return out
    s = s2.attr_dict()
    basic = s.get("TCA_STATS_BASIC") or {}
    queue = s.get("TCA_STATS_QUEUE") or {}
    out["bytes"] = basic.get("bytes", 0)
    out["packets"] = basic.get("packets", 0)
    for key in ("drops", "overlimits", "requeues", "backlog", "qlen"):
        out[key] = queue.get(key, 0)
    return out


def _options_dict(a: dict[str, Any]) -> dict[str, Any]:
    opts = a.get("TCA_OPTIONS")
    if opts is None or isinstance(opts, (bytes, dict)):
        return opts if isinstance(opts, dict) else {}
    if hasattr(opts, "attr_dict"):
        out = opts.attr_dict()
        if hasattr(opts, "fields"):
            out.update(opts.fields())
        return out
    return {}


def _htb_qdisc(o: dict[str, Any]) -> dict[str, Any]:
    init = o.get("TCA_HTB_INIT") or {}
    out = {"r2q": init.get("rate2quantum", 0), "default": f"{init.get('defcls', 0):#x}",
           "direct_packets_stat": init.get("direct_pkts", 0)}
    if "TCA_HTB_DIRECT_QLEN" in o:
        out["direct_qlen"] = o["TCA_HTB_DIRECT_QLEN"]
    return out


def _tbf(o: dict[str, Any]) -> dict[str, Any]:
    p = o.get("TCA_TBF_PARMS") or {}
    rate = o.get("TCA_TBF_RATE64") or p.get("rate", 0)
    return {"rate": rate * 8, "burst": ticks_bytes(rate, p.get("buffer", 0)),
            "limit": p.get("limit", 0)}


def _netem(o: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"limit": o.get("limit", 0)}
    if o.get("TCA_NETEM_LATENCY64"):
        out["delay"] = o["TCA_NETEM_LATENCY64"] / 1e9
    if o.get("TCA_NETEM_JITTER64"):
        out["jitter"] = o["TCA_NETEM_JITTER64"] / 1e9
    for key in ("loss", "duplicate"):
        if o.get(key):
            out[key] = o[key] / 0xFFFFFFFF
    return out


def _fq_codel(o: dict[str, Any]) -> dict[str, Any]:
    keys = (("TCA_FQ_CODEL_LIMIT", "limit"), ("TCA_FQ_CODEL_FLOWS", "flows"),
            ("TCA_FQ_CODEL_QUANTUM", "quantum"), ("TCA_FQ_CODEL_TARGET", "target"),
            ("TCA_FQ_CODEL_INTERVAL", "interval"), ("TCA_FQ_CODEL_MEMORY_LIMIT",
                                                    "memory_limit"))
    out = {key: o[attr] for attr, key in keys if attr in o}
    if o.get("TCA_FQ_CODEL_ECN"):
        out["ecn"] = True
    return out


def _prio(o: Any) -> dict[str, Any]:
    return {"bands": o.get("bands"), "priomap": o.get("priomap"), "multiqueue": False}


def _fifo(o: Any) -> dict[str, Any]:
    return {"limit": o.get("limit", 0)} if o else {}


_QDISC_OPTIONS = {"htb": _htb_qdisc, "tbf": _tbf, "netem": _netem, "fq_codel": _fq_codel,
                  "prio": _prio, "pfifo_fast": _prio, "pfifo": _fifo, "bfifo": _fifo}


def qdisc_entry(m: Any, ctx: Any) -> dict[str, Any]:
    head, a = m.whole()
    _family, index, handle, parent, info = head
    kind = a.get("TCA_KIND", "")
    out: dict[str, Any] = {"kind": kind, "handle": handle_text(handle),
                           "dev": ctx.ifname(index)}
    if parent == TC_H_ROOT:
        out["root"] = True
    elif parent:
        out["parent"] = _parent_text(parent)
    if info != 1:
        out["refcnt"] = info
    fn = _QDISC_OPTIONS.get(kind)
    raw = a.get("TCA_OPTIONS")
    if fn is not None and raw is not None:
        out["options"] = fn(raw if isinstance(raw, dict) else _options_dict(a))
    else:
        out["options"] = {}
    if ctx.stats:
        out.update(_stats(a))
    return out


def _parent_text(parent: int) -> str:
    # tc prints the clsact/ingress parent in full (ffff:fff1), others as handles
    if parent == TC_H_INGRESS:
        return "ffff:fff1"
    return handle_text(parent) if parent & 0xFFFF else f"{parent >> 16:x}:"


def class_entry(m: Any, ctx: Any) -> dict[str, Any]:
    head, a = m.whole()
    _family, index, handle, parent, info = head
    kind = a.get("TCA_KIND", "")
    out: dict[str, Any] = {"class": kind, "handle": handle_text(handle),
                           "dev": ctx.ifname(index)}
    if parent == TC_H_ROOT:
        out["root"] = True
    else:
        out["parent"] = _parent_text(parent)
    if info:
        out["leaf"] = handle_text(info)
    o = _options_dict(a)
    p = o.get("TCA_HTB_PARMS")
    if kind == "htb" and p:
        rate = o.get("TCA_HTB_RATE64") or p["rate"]
        ceil = o.get("TCA_HTB_CEIL64") or p["ceil"]
        if p["level"] == 0:
            out["prio"] = p["prio"]
            out["quantum"] = p["quantum"]
        out.update({"rate": rate * 8, "ceil": ceil * 8,
                    "burst": ticks_bytes(rate, p["buffer"]),
                    "cburst": ticks_bytes(ceil, p["cbuffer"]), "level": p["level"]})
    if ctx.stats:
        out.update(_stats(a))
        x = a.get("TCA_XSTATS")
        if isinstance(x, dict):
            out.update({"lended": x["lends"], "borrowed": x["borrows"],
                        "giants": x["giants"], "tokens": x["tokens"],
                        "ctokens": x["ctokens"]})
    return out


def _action(act: Any) -> dict[str, Any]:
    d = act.attr_dict()
    kind = d.get("TCA_ACT_KIND")
    out: dict[str, Any] = {"kind": kind}
    opts = d.get("TCA_ACT_OPTIONS")
    parms = opts.attr_dict() if hasattr(opts, "attr_dict") else {}
    if kind == "gact" and "TCA_GACT_PARMS" in parms:
        verdict = parms["TCA_GACT_PARMS"]["action"]
        out["control_action"] = {"type": TC_ACT_NAMES.get(verdict, str(verdict))}
    if kind == "mirred" and "TCA_MIRRED_PARMS" in parms:
        pm = parms["TCA_MIRRED_PARMS"]
        out["ifindex"] = pm["ifindex"]
        out["eaction"] = pm["eaction"]
    return out


def filter_entry(m: Any, ctx: Any) -> dict[str, Any]:
    head, a = m.whole()
    _family, index, handle, parent, info = head
    proto = socket.ntohs(info & 0xFFFF)
    out: dict[str, Any] = {"parent": _parent_text(parent),
                           "protocol": _PROTOCOLS.get(proto, f"{proto:#06x}"),
                           "pref": info >> 16, "kind": a.get("TCA_KIND", ""),
                           "chain": a.get("TCA_CHAIN", 0)}
    if handle:
        out["options"] = {"handle": f"{handle:#x}"}
        o = _options_dict(a)
        for attr in ("TCA_MATCHALL_CLASSID", "TCA_U32_CLASSID", "TCA_FLOWER_CLASSID"):
            if attr in o:
                out["options"]["flowid"] = handle_text(o[attr])
        for attr in ("TCA_MATCHALL_ACT", "TCA_U32_ACT", "TCA_FLOWER_ACT"):
            if attr in o:
                out["options"]["actions"] = [_action(x) for x in o[attr]]
    return out


_ENTRY = {"qdisc": qdisc_entry, "class": class_entry, "filter": filter_entry}


def tc_json(what: str, msgs: Iterable[Any], ctx: Any, one_dev: bool = False
            ) -> list[dict[str, Any]]:
    """tc's dicts; ``one_dev``: the listing was asked for one device (tc leaves out
    ``dev`` then)."""
    fn = _ENTRY[what]
    out = [fn(m, ctx) for m in msgs]
    if one_dev:
        for e in out:
            e.pop("dev", None)
    return out


def _stats_lines(e: dict[str, Any]) -> list[str]:
    if "bytes" not in e:
        return []
    return [f" Sent {e['bytes']} bytes {e['packets']} pkt (dropped {e['drops']}, "
            f"overlimits {e['overlimits']} requeues {e['requeues']}) ",
            f" backlog {tc_size(e['backlog'])} {e['qlen']}p requeues {e['requeues']}"]


def _options_text(kind: str, o: dict[str, Any]) -> str:
    if kind == "ingress":
        return " ---------------- "
    if kind == "htb":
        text = (f" r2q {o['r2q']} default {o['default']} "
                f"direct_packets_stat {o['direct_packets_stat']}")
        if "direct_qlen" in o:
            text += f" direct_qlen {o['direct_qlen']}"
        return text
    return "".join(f" {k} {v}" for k, v in o.items())


def qdisc_line(e: dict[str, Any]) -> str:
    where = " root" if e.get("root") else f" parent {e['parent']}" if "parent" in e else ""
    refcnt = f" refcnt {e['refcnt']}" if "refcnt" in e else ""
    dev = f" dev {printable(e['dev'])}" if "dev" in e else ""
    return (f"qdisc {printable(e['kind'])} {e['handle']}{dev}{where}"
            f"{refcnt}{_options_text(e['kind'], e['options'])}")


def class_line(e: dict[str, Any]) -> str:
    where = " root" if e.get("root") else f" parent {e['parent']}"
    parts = [f"class {printable(e['class'])} {e['handle']}{where}"]
    if "leaf" in e:
        parts.append(f"leaf {e['leaf']}")
    if "prio" in e:
        parts.append(f"prio {e['prio']}")
    if "rate" in e:
        parts.append(f"rate {tc_rate(e['rate'])} ceil {tc_rate(e['ceil'])} "
                     f"burst {tc_size(e['burst'])} cburst {tc_size(e['cburst'])} ")
    lines = [" ".join(parts)]
    lines += _stats_lines(e)
    if "lended" in e:
        lines += [f" lended: {e['lended']} borrowed: {e['borrowed']} giants: {e['giants']}",
                  f" tokens: {e['tokens']} ctokens: {e['ctokens']}", ""]
    return "\n".join(lines)


def filter_line(e: dict[str, Any]) -> str:
    text = (f"filter parent {e['parent']} protocol {e['protocol']} pref {e['pref']} "
            f"{printable(e['kind'])} chain {e['chain']}")
    o = e.get("options") or {}
    if "handle" in o:
        text += f" handle {o['handle']}"
    if "flowid" in o:
        text += f" flowid {o['flowid']}"
    for act in o.get("actions", []):
        verdict = act.get("control_action", {}).get("type")
        text += f"\n\taction order {o['actions'].index(act) + 1}: {act['kind']}" + (
            f" action {verdict}" if verdict else "")
    return text


def tc_text(what: str, msgs: Iterable[Any], ctx: Any, one_dev: bool = False) -> str:
    entries = tc_json(what, msgs, ctx, one_dev)
    if what == "qdisc":
        return "\n".join("\n".join([qdisc_line(e), *_stats_lines(e)]) for e in entries)
    if what == "class":
        return "\n".join(class_line(e) for e in entries)
    return "\n".join(filter_line(e) for e in entries)
