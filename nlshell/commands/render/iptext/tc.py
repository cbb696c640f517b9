"""``tc qdisc show`` and ``tc class show`` as tc (iproute2 6.1) prints them.

A qdisc is ``qdisc KIND MAJ: [dev X ]root|parent P [refcnt N ]`` then its kind's options;
``-s`` adds `` Sent ... `` and `` backlog ...``. tc ends each of these with its line break,
which ``-o`` turns into a backslash: the whole listing is then one line with no newline at
its end, as tc prints it. A class is ``class KIND MAJ:MIN root|parent P [leaf L: ]`` then
its options; its line breaks stay real under ``-o`` except between ``Sent`` and
``backlog``. Rates and sizes are tc's (1000 units for rates, or 1024 with ``-iec``).

Kinds whose options this module does not write (tbf, netem, fq_codel... which this kernel
lacks) and filters are an error naming them, never a line that might differ from tc's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from nlshell.engine.codec.constants import TC_H_ROOT, TC_H_UNSPEC
from nlshell.engine.requests.tc import ticks_bytes

from ..safe import printable
from .numbers import rate as rate_text
from .numbers import size as size_text

_LINKLAYERS = {1: "ethernet", 2: "atm"}


def classid_text(value: int) -> str:
    """A handle or parent as tc prints a class id."""
    if value == TC_H_ROOT:
        return "root"
    if value == TC_H_UNSPEC:
        return "none"
    major, minor = value >> 16, value & 0xFFFF
    if major == 0:
        return f":{minor:x}"
    if minor == 0:
        return f"{major:x}:"
    return f"{major:x}:{minor:x}"


def _nested(value: Any) -> dict[str, Any]:
    """TCA_OPTIONS as a dict (a nest of attributes, or a struct the codec decoded)."""
    if value is None or isinstance(value, bytes):
        return {}
    if isinstance(value, dict):
        return value
    out = value.attr_dict()
    if hasattr(value, "fields"):
        out.update(value.fields())
    return out


# -- qdisc options, per kind: (options dict, -d, -iec) -> text --------------------------------


def _htb_qdisc(o: dict[str, Any], details: bool, iec: bool) -> str:
    text = ""
    init = o.get("TCA_HTB_INIT")
    if init is not None:
        default = init["defcls"]
        text += (f"r2q {init['rate2quantum']} default {default:#x}"
                 if default else f"r2q {init['rate2quantum']} default 0")
        text += f" direct_packets_stat {init['direct_pkts']}"
        if details:
            text += f" ver {init['version'] >> 16}.{init['version'] & 0xFFFF}"
    if "TCA_HTB_DIRECT_QLEN" in o:
        text += f" direct_qlen {o['TCA_HTB_DIRECT_QLEN']}"
    if o.get("TCA_HTB_OFFLOAD"):
        text += " offload"
    return text


def _prio(o: dict[str, Any], details: bool, iec: bool) -> str:
    return f"bands {o['bands']} priomap" + "".join(f" {p}" for p in o["priomap"])


def _packets(o: dict[str, Any], details: bool, iec: bool) -> str:
    return f"limit {o['limit']}p"


def _bytes(o: dict[str, Any], details: bool, iec: bool) -> str:
    return f"limit {size_text(o['limit'])}"


def _ingress(o: dict[str, Any], details: bool, iec: bool) -> str:
    return "---------------- "


def _nothing(o: dict[str, Any], details: bool, iec: bool) -> str:
    return ""


_QDISC_OPTIONS: dict[str, Callable[[dict[str, Any], bool, bool], str]] = {
    "htb": _htb_qdisc, "pfifo_fast": _prio, "ingress": _ingress,
    "clsact": _nothing, "pfifo": _packets, "pfifo_head_drop": _packets, "bfifo": _bytes}


def _not_written(what: str, kind: str) -> Exception:
    from nlshell.commands.context import CommandError

    return CommandError(f"ip's text output is not available for tc {what} kind "
                        f"{printable(kind)!r} yet (use -j)")


def _stats(a: dict[str, Any], nl: str, iec: bool) -> str:
    """`` Sent ...``, the rate estimator's `` rate ... pps`` when there is one, and
    ``backlog ...`` (tc's -s) with tc's breaks."""
    s2 = a.get("TCA_STATS2")
    if s2 is None:
        return ""
    s = _nested(s2)
    basic = s.get("TCA_STATS_BASIC") or {}
    q = s.get("TCA_STATS_QUEUE") or {}
    text = (f" Sent {basic.get('bytes', 0)} bytes {basic.get('packets', 0)} pkt "
            f"(dropped {q.get('drops', 0)}, overlimits {q.get('overlimits', 0)} "
            f"requeues {q.get('requeues', 0)}) ")
    est = s.get("TCA_STATS_RATE_EST64") or s.get("TCA_STATS_RATE_EST")
    if est is not None:
        # (tc breaks this line with a real newline, -o or not)
        text += f"\n rate {rate_text(est['bps'], iec)} {est['pps']}pps "
    if "TCA_STATS_QUEUE" in s:
        text += (f"{'' if est is not None else nl + ' '}backlog "
                 f"{size_text(q.get('backlog', 0))} {q.get('qlen', 0)}p "
                 f"requeues {q.get('requeues', 0)}")
    return text


def _size_table(base: dict[str, Any] | None) -> str:
    """-d's line of a qdisc's size table (``stab``): the settings that are not 0."""
    if base is None:
        return ""
    words = [f"linklayer {_LINKLAYERS.get(base['linklayer'], 'unknown')} "
             if base["linklayer"] else ""]
    words += [f"{key} {base[key]} " for key in ("overhead", "mpu", "mtu", "tsize")
              if base[key]]
    return " " + "".join(words)


def _where(parent: int) -> str:
    if parent == TC_H_ROOT:
        return "root "
    return f"parent {classid_text(parent)} " if parent else ""


def qdisc_text(m: Any, rctx: Any, opts: Any, one_dev: bool) -> str:
    """One qdisc with its line breaks (``\\`` for each under -o)."""
    head, a = m.whole()
    _family, index, handle, parent, info = head
    kind = a.get("TCA_KIND", "")
    nl = "\\" if opts.oneline else "\n"
    text = f"qdisc {printable(kind)} {handle >> 16:x}: "
    if not one_dev:
        text += f"dev {printable(rctx.ifname(index))} "
    text += _where(parent)
    if info != 1:
        text += f"refcnt {info} "
    if a.get("TCA_HW_OFFLOAD"):
        text += "offloaded "
    for attr, word in (("TCA_INGRESS_BLOCK", "ingress_block"),
                       ("TCA_EGRESS_BLOCK", "egress_block")):
        if a.get(attr):  # shared filter blocks (clsact, ingress)
            text += f"{word} {a[attr]} "
    if "TCA_OPTIONS" in a:
        fn = _QDISC_OPTIONS.get(kind)
        if fn is None or isinstance(a["TCA_OPTIONS"], bytes):  # bytes: a kind not decoded
            raise _not_written("qdisc", kind)
        text += fn(_nested(a["TCA_OPTIONS"]), opts.details, opts.iec)
    text += nl
    if opts.details and "TCA_STAB" in a:
        text += _size_table(_nested(a["TCA_STAB"]).get("TCA_STAB_BASE")) + nl
    if opts.stats and ("TCA_STATS2" in a or "TCA_STATS" in a):
        text += _stats(a, nl, opts.iec) + nl
    return text


# -- classes -----------------------------------------------------------------------------------


def _htb_class(o: dict[str, Any], details: bool, iec: bool) -> str:
    p = o.get("TCA_HTB_PARMS")
    if p is None:
        return ""
    out = []
    if p["level"] == 0:
        out.append(f"prio {p['prio']} ")
        if details:
            out.append(f"quantum {p['quantum']} ")
    rate = o.get("TCA_HTB_RATE64") or p["rate"]
    ceil = o.get("TCA_HTB_CEIL64") or p["ceil"]
    out.append(f"rate {rate_text(rate, iec)} ")
    if p["rate_overhead"]:
        out.append(f"overhead {p['rate_overhead']} ")
    out.append(f"ceil {rate_text(ceil, iec)} ")
    linklayer = p["rate_linklayer"] & 0x0F
    if linklayer > 1 or details:
        out.append(f"linklayer {_LINKLAYERS.get(linklayer, 'unknown')} ")
    burst, cburst = ticks_bytes(rate, p["buffer"]), ticks_bytes(ceil, p["cbuffer"])
    if details:
        out.append(f"burst {size_text(burst)}/{1 << p['rate_cell_log']} "
                   f"mpu {size_text(p['rate_mpu'])} ")
        out.append(f"cburst {size_text(cburst)}/{1 << p['ceil_cell_log']} "
                   f"mpu {size_text(p['ceil_mpu'])} ")
        out.append(f"level {p['level']} ")
    else:
        out.append(f"burst {size_text(burst)} cburst {size_text(cburst)} ")
    return "".join(out)


def _htb_xstats(x: Any) -> str:
    return (f" lended: {x['lends']} borrowed: {x['borrows']} giants: {x['giants']}\n"
            f" tokens: {x['tokens']} ctokens: {x['ctokens']}\n")


_CLASS_OPTIONS = {"htb": (_htb_class, _htb_xstats)}


def class_text(m: Any, rctx: Any, opts: Any, one_dev: bool) -> str:
    """One class with its line breaks (-s adds its counters and the kind's own)."""
    head, a = m.whole()
    _family, index, handle, parent, info = head
    kind = a.get("TCA_KIND", "")
    fns = _CLASS_OPTIONS.get(kind)
    if fns is None and ("TCA_OPTIONS" in a or (opts.stats and "TCA_XSTATS" in a)):
        raise _not_written("class", kind)
    text = f"class {printable(kind)} {classid_text(handle)} "
    if not one_dev:
        text += f"dev {printable(rctx.ifname(index))} "
    text += _where(parent)
    if info:
        text += f"leaf {info >> 16:x}: "
    if fns is not None and "TCA_OPTIONS" in a:
        text += fns[0](_nested(a["TCA_OPTIONS"]), opts.details, opts.iec)
    text += "\n"
    if opts.stats:
        nl = "\\" if opts.oneline else "\n"
        if "TCA_STATS2" in a or "TCA_STATS" in a:
            text += _stats(a, nl, opts.iec) + "\n"
        x = a.get("TCA_XSTATS")
        if fns is not None and isinstance(x, dict):
            text += fns[1](x) + "\n"
    return text


def _filters(m: Any, rctx: Any, opts: Any, one_dev: bool) -> str:
    raise _not_written("filter", m.get("TCA_KIND") or "")


_TEXT = {"qdisc": qdisc_text, "class": class_text, "filter": _filters}


def lines(msgs: Iterable[Any], rctx: Any, opts: Any, what: str = "qdisc",
          one_dev: bool = False) -> Iterator[str]:
    """tc's text of qdisc, class or filter messages line by line (``one_dev``: one device
    was asked for, so tc leaves ``dev`` out). A listing tc ends without a newline (``-o``
    qdiscs) gains one here: ``text`` is the exact one."""
    body = text(msgs, rctx, opts, what, one_dev)
    if body:
        yield from body.removesuffix("\n").split("\n")


def text(msgs: Iterable[Any], rctx: Any, opts: Any, what: str = "qdisc",
         one_dev: bool = False) -> str:
    """The whole listing as tc writes it, newlines (or -o's backslashes) included."""
    fn = _TEXT[what]
    return "".join(fn(m, rctx, opts, one_dev) for m in msgs)
