"""`ip route show` / `ip route get` text, byte for byte, from route messages.

ip prints a route's JSON keys and its text in one pass, so the text is written here from
the same entry ``render.route.route_entry`` builds for ``-j`` (one reading of the message),
each key spelled as ip's text spells it. What the entry does not keep (locked metrics, the
metrics' text units, the nexthop object's text) is read from the message itself.

``lines(msgs, rctx, opts, hide=())``: the lines (without newline) ip prints for these
messages (already selected); ``text(entry, m, rctx)``: one route's record, its inner line
breaks included (``-o`` turns them into ``\\``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any

from nlshell.engine.codec.constants import RTAX_FEATURE_ECN, RTM_DELROUTE, RTM_NEWROUTE

from ..route import route_entry

HARD_BREAK = "\x00"  # a line break -o keeps (NUL ends every name: no route text has one)

# keys whose text is "<word> <value> " (ip's word differs from the JSON key at times)
_WORDED = {"nhid": "nhid", "tos": "tos", "gateway": "via", "dev": "dev", "table": "table",
           "protocol": "proto", "scope": "scope", "prefsrc": "src", "metric": "metric",
           "uid": "uid", "iif": "iif", "error": "error", "users": "users",
           "used": "used"}
_SECONDS = {"expires": "expires", "age": "age", "tsage": "tsage"}  # "<word> <n>sec "

# RTAX_* attribute -> ip's metric word, in ip's order (the index is the RTAX number)
_METRIC_WORDS = ((2, "RTAX_MTU", "mtu"), (3, "RTAX_WINDOW", "window"), (4, "RTAX_RTT", "rtt"),
                 (5, "RTAX_RTTVAR", "rttvar"), (6, "RTAX_SSTHRESH", "ssthresh"),
                 (7, "RTAX_CWND", "cwnd"), (8, "RTAX_ADVMSS", "advmss"),
                 (9, "RTAX_REORDERING", "reordering"), (10, "RTAX_HOPLIMIT", "hoplimit"),
                 (11, "RTAX_INITCWND", "initcwnd"), (12, "RTAX_FEATURES", "features"),
                 (13, "RTAX_RTO_MIN", "rto_min"), (14, "RTAX_INITRWND", "initrwnd"),
                 (15, "RTAX_QUICKACK", "quickack"), (16, "RTAX_CC_ALGO", "congctl"),
                 (17, "RTAX_FASTOPEN_NO_COOKIE", "fastopen_no_cookie"))
_TIME_SCALE = {"rtt": 8, "rttvar": 4, "rto_min": 1}  # kernel units -> milliseconds


def _msecs(value: int) -> str:
    """ip's time text for a metric in milliseconds: seconds from 1000 ms on."""
    if value >= 1000:
        return f"{value / 1000:g}s"
    return f"{value}ms"


def metric_words(mx: Any) -> list[str]:
    """Each metric of RTA_METRICS in ip's words: ``mtu lock 1400``, ``rtt 100ms``..."""
    a = mx.attr_dict()
    lock = a.get("RTAX_LOCK", 0)
    out = []
    for bit, attr, word in _METRIC_WORDS:
        value = a.get(attr)
        locked = lock >> bit & 1
        if value is None and not locked:
            continue
        if word == "hoplimit" and value == 0xFFFFFFFF:
            continue
        head = word + " lock " if locked else word + " "
        if word == "congctl":
            out.append(f"{head}{value or ''}")
            continue
        value = value or 0
        if word in _TIME_SCALE:
            out.append(head + _msecs(value // _TIME_SCALE[word]))
        elif word == "features":
            feats = (["ecn"] if value & RTAX_FEATURE_ECN else []) + (
                [f"{value & ~RTAX_FEATURE_ECN:#x}"] if value & ~RTAX_FEATURE_ECN else [])
            out.append(head + " ".join(feats) if feats else head.rstrip())
        else:
            out.append(f"{head}{value}")
    return out


def metrics_text(mx: Any) -> str:
    """The RTA_METRICS part of a route's text: ``mtu lock 1400 rtt 100ms ...``."""
    return "".join(w + " " for w in metric_words(mx))


def _hops_text(hops: list[dict[str, Any]]) -> str:
    out = []
    for nh in hops:
        out.append("\n\tnexthop ")
        if "gateway" in nh:
            out.append(f"via {nh['gateway']} ")
        if "via" in nh:
            out.append(f"via {nh['via']['family']} {nh['via']['host']} ")
        if "flow" in nh:
            out.append(_flow_text(nh["flow"]))
        out.append(f"dev {nh['dev']} ")
        if "weight" in nh:
            out.append(f"weight {nh['weight']} ")
        if "ttl" in nh:
            out.append(f"ttl {nh['ttl']} ")
        out.extend(f + " " for f in nh["flags"])
    return "".join(out)


def _flow_text(flow: dict[str, str]) -> str:
    if "from" in flow:
        return f"realms {flow['from']}/{flow['to']} "
    return f"realm {flow['to']} "


def text(e: dict[str, Any], m: Any, rctx: Any) -> str:
    """One route's record as ip prints it, without the final newline."""
    out = ["Deleted "] if e.get("deleted") else []
    app = out.append
    for key, value in e.items():
        word = _WORDED.get(key)
        if word is not None:
            app(f"{word} {value} ")
        elif key == "dst" or key == "type":
            app(f"{value} ")
        elif key == "from":
            app(f"from {value} ")
        elif key == "src":  # a source length without an address
            app(f"from {value} ")
        elif key == "via":
            app(f"via {value['family']} {value['host']} ")
        elif key == "flags":
            out.extend(f + " " for f in value)
        elif key == "pref":  # ip writes no space after this one
            app(f"pref {value}")
        elif key == "mark":
            app(f"mark {value} ")
        elif key == "flow":
            app(_flow_text(value))
        elif key == "cache":
            app("\n    cache ")
            if value:
                app("<" + ",".join(value) + "> ")
        elif key in _SECONDS:
            app(f"{_SECONDS[key]} {value}sec ")
        elif key == "ipid":
            app(f"ipid 0x{int(value, 16):04x} ")
        elif key == "ts":
            app(f"ts {value} ")
        elif key == "metrics":
            app(metrics_text(m.get("RTA_METRICS")))
        elif key == "ttl-propogate":
            app(f"ttl-propagate {'enabled' if value else 'disabled'} ")
        elif key == "nexthops":
            app(_hops_text(value))
        elif key == "nh_info":
            app(_nh_info_text(value))
        elif key != "deleted":
            raise ValueError(f"ip text: no spelling for route key {key!r}")
    return "".join(out)


def _nh_info_text(nh: dict[str, Any]) -> str:
    """-d: the nexthop object a route uses, after the route (``nh_info`` in ip -j)."""
    parts = [f"id {nh['id']} "]
    if "group" in nh:
        parts.append("group " + "/".join(
            str(g["id"]) + (f",{g['weight']}" if g.get("weight", 1) != 1 else "")
            for g in nh["group"]) + " ")
    if "gateway" in nh:
        parts.append(f"via {nh['gateway']} ")
    if "dev" in nh:
        parts.append(f"dev {nh['dev']} ")
    if nh.get("blackhole"):
        parts.append("blackhole ")
    if "scope" in nh:
        parts.append(f"scope {nh['scope']} ")
    if "protocol" in nh:
        parts.append(f"proto {nh['protocol']} ")
    parts.extend(f + " " for f in nh.get("flags", ()))
    return HARD_BREAK + "\tnh_info " + "".join(parts)


def record_lines(record: str, oneline: bool) -> list[str]:
    """A record's lines; with -o its inner breaks written as ``\\``, but for the hard
    ones (ip breaks the line before ``nh_info`` even with -o)."""
    parts = record.split(HARD_BREAK)
    if oneline:
        return [part.replace("\n", "\\") for part in parts]
    return [line for part in parts for line in part.split("\n")]


def lines(msgs: Iterable[Any], rctx: Any, opts: Any, hide: Collection[str] = ()
          ) -> Iterator[str]:
    """What `ip route show` prints for these (selected) route messages."""
    oneline = opts.oneline
    for m in msgs:
        if m.type != RTM_NEWROUTE and m.type != RTM_DELROUTE:
            continue
        yield from record_lines(text(route_entry(m, rctx, hide), m, rctx), oneline)
