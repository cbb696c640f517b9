"""tc: traffic control, as iproute2's ``tc qdisc|class|filter show|add|del|replace|change``.

``tc qdisc add dev X root handle 1: htb default 10``, ``tc class add dev X parent 1:
classid 1:10 htb rate 10mbit ceil 20mbit``, ``tc qdisc add dev X ingress`` (or ``clsact``),
``tc filter add dev X ingress matchall action drop``; ``show`` (the default) lists, ``-s``
adds statistics. Rates, sizes and times are read as tc reads them (``10mbit``, ``6kb``,
``10ms``). The second word (show, add, ...) must be typed in full, as tc's.
"""

from __future__ import annotations

from typing import Any

from nlshell.commands import slots as S
from nlshell.commands.grammar import REGISTRY, Flag, Group, Kw, OneOf

H = "nlshell.commands.tc:"


def _checked(reader_name: str) -> Any:
    """A slot parser that checks a word with requests.tc's reader and keeps the text (the
    request reads it again: one reading rule)."""
    def parse(text: str) -> str:
        from nlshell.engine.requests import tc as T

        try:
            getattr(T, reader_name)(text)
        except ValueError as exc:
            raise S.SlotError(str(exc), text) from None
        return text
    return parse


HANDLE = S.Slot("HANDLE", "tc handle", _checked("handle"), example="e.g. 1: or 1:10")
RATE = S.Slot("RATE", "rate", _checked("rate_bytes"), kind="number",
              example="e.g. 10mbit, 1gbit, 125kbps")
SIZE = S.Slot("SIZE", "size", _checked("size_bytes"), kind="number", example="e.g. 1600, 6kb")
TIME = S.Slot("TIME", "time", _checked("time_us"), kind="number", example="e.g. 10ms, 500us")
PERCENT = S.Slot("PERCENT", "percentage", _checked("percent_word"), kind="number",
                 example="e.g. 1%")


# tc's second word (a keyword here: typed in full it wins over a longer keyword's prefix,
# `del` over `delay`)
CMD_WORDS = {"show": "list them (the default)", "list": "list them", "add": "add one",
             "del": "delete one", "delete": "delete one",
             "replace": "add one or change an existing one",
             "change": "change an existing one"}

QDISC_KINDS = {"htb": "hierarchical token bucket (classes with rate and ceil)",
               "tbf": "token bucket filter (shaping)", "netem": "network emulator",
               "fq_codel": "fair queueing with controlled delay", "prio": "priority bands",
               "pfifo": "packet fifo", "bfifo": "byte fifo", "pfifo_fast": "3-band fifo",
               "ingress": "the ingress qdisc (filters on received packets)",
               "clsact": "ingress and egress filter hooks"}

tc = REGISTRY.object("tc", "traffic control: qdiscs, classes, filters", default="qdisc")

_COMMON = [
    OneOf("cmd", CMD_WORDS, "what to do"),
    Kw("dev", S.IFNAME, "the device"),
    Kw("parent", HANDLE, "the parent qdisc or class", source="tc_parents"),
]

tc.verb("qdisc", "queueing disciplines", [
    *_COMMON,
    Flag("root", "the device's root qdisc"),
    Kw("handle", HANDLE, "the qdisc's handle (MAJOR:)", source="qdiscs"),
    OneOf("kind", QDISC_KINDS, "qdisc kind"),
    Kw("default", S.STRING, "htb: the class (minor, hex) unclassified traffic goes to"),
    Kw("r2q", S.NUMBER, "htb: rate to quantum divisor"),
    Kw("direct_qlen", S.NUMBER, "htb: length of the direct queue"),
    Kw("rate", RATE, "tbf, netem: the rate"),
    Kw("burst", SIZE, "tbf: bucket size", aliases=["buffer", "maxburst"]),
    Kw("limit", S.NUMBER, "queue limit (packets; bytes for tbf and bfifo)"),
    Kw("latency", TIME, "tbf: the longest a packet waits"),
    Kw("mtu", SIZE, "tbf: peak-rate bucket size"),
    Kw("delay", TIME, "netem: added delay"),
    Kw("jitter", TIME, "netem: delay variation"),
    Kw("loss", PERCENT, "netem: random loss"),
    Kw("duplicate", PERCENT, "netem: duplicated packets"),
    Kw("reorder", PERCENT, "netem: reordered packets"),
    Kw("corrupt", PERCENT, "netem: corrupted packets"),
    Kw("gap", S.NUMBER, "netem: reorder every Nth packet"),
    Kw("flows", S.NUMBER, "fq_codel: number of flows"),
    Kw("target", TIME, "fq_codel: target queue delay"),
    Kw("interval", TIME, "fq_codel: width of the moving window"),
    Kw("quantum", SIZE, "fq_codel: bytes dequeued per round"),
    Flag("ecn", "fq_codel: mark instead of dropping"),
    Kw("bands", S.number(2, 16), "prio: number of bands"),
], handler=H + "tc_qdisc")

tc.verb("class", "traffic classes (htb)", [
    *_COMMON,
    Kw("classid", HANDLE, "the class's id (MAJOR:MINOR)", source="classes"),
    OneOf("kind", {"htb": "an htb class"}, "class kind"),
    Kw("rate", RATE, "guaranteed rate"),
    Kw("ceil", RATE, "the most it may borrow up to"),
    Kw("burst", SIZE, "bytes it may send at ceil speed", aliases=["buffer", "maxburst"]),
    Kw("cburst", SIZE, "bytes it may send at hardware speed", aliases=["cbuffer"]),
    Kw("prio", S.number(0, 7), "priority when borrowing (0 first)"),
    Kw("quantum", S.NUMBER, "bytes served per round"),
], handler=H + "tc_class")

def _action_check(v: dict[str, Any]) -> str | None:
    """One action's words make sense together (the grammar takes them in any order)."""
    if v.get("mirred"):
        if "verdict" in v or v.get("gact"):
            return f"mirred takes no {v.get('verdict', 'gact')!r} (it redirects or mirrors)"
        missing = [w for w, k in (("egress|ingress", "direction"), ("redirect|mirror", "how"),
                                  ("dev", "dev")) if k not in v]
        return f"action mirred needs {', '.join(missing)}" if missing else None
    extra = [v[k] if k != "dev" else "dev" for k in ("direction", "how", "dev") if k in v]
    if extra:
        return f"{extra[0]!r} is for action mirred"
    return None if "verdict" in v else "action needs drop, pass or mirred ..."


# tc's ``action drop``, ``action gact pass``, ``action mirred egress redirect dev X``
ACTION = Group("action", "what to do with matches (gact drop|pass, mirred)", [
    OneOf("verdict", {"drop": "gact: drop the packet", "pass": "gact: let it through",
                      "ok": "gact: let it through (as pass)"}, "the gact verdict"),
    Flag("gact", "the generic action (the default): drop or pass"),
    Flag("mirred", "mirror or redirect the packet to a device"),
    OneOf("direction", {"egress": "mirred: out of the device",
                        "ingress": "mirred: into the device"}, "mirred: which way"),
    OneOf("how", {"redirect": "mirred: the packet goes there instead",
                  "mirror": "mirred: a copy goes there"}, "mirred: redirect or mirror"),
    Kw("dev", S.IFNAME, "mirred: the device"),
], repeat=True, check=_action_check)


tc.verb("filter", "classifiers (matchall, u32, flower)", [
    *_COMMON,
    OneOf("hook", {"ingress": "clsact/ingress: received packets",
                   "egress": "clsact: sent packets"}, "where (clsact)"),
    Kw("handle", S.STRING, "the filter's handle"),
    Kw("protocol", S.STRING, "ethernet protocol: all, ip, ipv6, 802.1q or a number"),
    Kw("prio", S.number(0, 0xFFFF), "the filter's priority", aliases=["pref", "priority"]),
    Kw("chain", S.NUMBER, "the filter chain"),
    OneOf("kind", {"matchall": "every packet", "u32": "32-bit key matches",
                   "flower": "flow key matches"}, "classifier"),
    Kw("classid", HANDLE, "the class it sends packets to", aliases=["flowid"],
       source="classes"),
    ACTION,
    Group("match", "u32: match ip src|dst PREFIX, sport|dport PORT", [
        Flag("ip", "IPv4 header fields"),
        Kw("src", S.PREFIX, "source prefix"),
        Kw("dst", S.PREFIX, "destination prefix"),
        Kw("sport", S.number(0, 0xFFFF), "source port"),
        Kw("dport", S.number(0, 0xFFFF), "destination port"),
    ], repeat=True),
    Kw("src_mac", S.STRING, "flower: source MAC"),
    Kw("dst_mac", S.STRING, "flower: destination MAC"),
    Kw("ip_proto", S.STRING, "flower: tcp, udp, icmp or a number"),
    Kw("src_ip", S.STRING, "flower: source address or prefix"),
    Kw("dst_ip", S.STRING, "flower: destination address or prefix"),
    Kw("src_port", S.number(0, 0xFFFF), "flower: source port"),
    Kw("dst_port", S.number(0, 0xFFFF), "flower: destination port"),
], handler=H + "tc_filter")


# == handlers ==================================================================================

# command word -> requests.tc command stem
_VERBS = {"add": "add", "del": "del", "delete": "del", "replace": "replace",
          "change": "change"}
_SHOW = ("show", "list")
# grammar key -> requests.tc keyword, per object (values passed as typed)
_QDISC_OPTS = ("default", "r2q", "direct_qlen", "rate", "burst", "limit", "latency", "mtu",
               "delay", "jitter", "loss", "duplicate", "reorder", "corrupt", "gap", "flows",
               "target", "interval", "quantum", "ecn", "bands")
_CLASS_OPTS = ("rate", "ceil", "burst", "cburst", "prio", "quantum")
_FILTER_OPTS = ("protocol", "prio", "chain", "classid", "src_mac", "dst_mac",
                "ip_proto", "src_ip", "dst_ip", "src_port", "dst_port")
_HOOKS = {"ingress": "ffff:fff2", "egress": "ffff:fff3"}


def _error(text: str) -> Exception:
    from nlshell.commands.context import CommandError

    return CommandError(text)


def _send(ctx: Any, cmd: str, kind: Any, kw: dict[str, Any]) -> None:
    from nlshell.engine.requests.tc import tc_request

    try:
        req = tc_request(cmd, kind, kw)
    except ValueError as exc:
        raise _error(str(exc)) from None
    ctx.ipr.send(req)


def _index(ctx: Any, v: dict[str, Any], what: str) -> int:
    if "dev" not in v:
        raise _error(f"tc {what} needs dev")
    return ctx.ifindex(v["dev"])


def _where(v: dict[str, Any], kw: dict[str, Any]) -> None:
    if "parent" in v:
        kw["parent"] = v["parent"]
    elif v.get("root"):
        kw["parent"] = "root"


def tc_qdisc(ctx: Any, inv: Any) -> None:
    v = inv.values
    cmd = v.get("cmd", "show")
    if cmd in _SHOW:
        index = ctx.ifindex(v["dev"]) if "dev" in v else None
        msgs = ctx.ipr.get_qdiscs(index)
        if "handle" in v:
            from nlshell.engine.requests.tc import handle

            msgs = [m for m in msgs if m["handle"] == handle(v["handle"])]
        _output(ctx, "qdisc", msgs, "dev" in v)
        return
    kw: dict[str, Any] = {"index": _index(ctx, v, "qdisc")}
    _where(v, kw)
    if "handle" in v:
        kw["handle"] = v["handle"]
    kind = v.get("kind")
    if kind is None and cmd != "del":
        raise _error(f"tc qdisc {cmd} needs a qdisc kind ({', '.join(QDISC_KINDS)})")
    if kind is None and "parent" not in kw and "handle" not in kw:
        raise _error("tc qdisc del needs root, parent, handle or a kind")
    for key in _QDISC_OPTS:
        if key in v:
            kw[key] = v[key]
    if cmd == "del" and kind is None:
        kw.setdefault("parent", "root")
    _send(ctx, _VERBS[cmd], kind, kw)


def tc_class(ctx: Any, inv: Any) -> None:
    v = inv.values
    cmd = v.get("cmd", "show")
    index = _index(ctx, v, "class")
    if cmd in _SHOW:
        msgs = ctx.ipr.get_classes(index)
        if "parent" in v:
            from nlshell.engine.requests.tc import handle

            msgs = [m for m in msgs if m["parent"] == handle(v["parent"])]
        if "classid" in v:
            from nlshell.engine.requests.tc import handle

            msgs = [m for m in msgs if m["handle"] == handle(v["classid"])]
        _output(ctx, "class", msgs, False)
        return
    if "classid" not in v:
        raise _error(f"tc class {cmd} needs classid")
    kw: dict[str, Any] = {"index": index, "handle": v["classid"]}
    _where(v, kw)
    for key in _CLASS_OPTS:
        if key in v:
            kw[key] = v[key]
    kind = v.get("kind")
    if kind is None and cmd != "del":
        raise _error(f"tc class {cmd} needs a class kind (htb)")
    _send(ctx, _VERBS[cmd] + "-class", kind, kw)


def _u32_matches(v: dict[str, Any], kw: dict[str, Any]) -> None:
    for m in v.get("match") or []:
        for key in ("src", "dst"):
            if key in m:
                p = m[key]
                kw[key] = f"{p.address}/{p.length if p.length is not None else 32}"
        for key in ("sport", "dport"):
            if key in m:
                kw[key] = m[key]


def tc_filter(ctx: Any, inv: Any) -> None:
    v = inv.values
    cmd = v.get("cmd", "show")
    index = _index(ctx, v, "filter")
    kw: dict[str, Any] = {"index": index}
    if "hook" in v:
        kw["parent"] = _HOOKS[v["hook"]]
    elif "parent" in v:
        kw["parent"] = v["parent"]
    if cmd in _SHOW:
        msgs = ctx.ipr.get_filters(index, parent=kw.get("parent", 0))
        _output(ctx, "filter", msgs, True)
        return
    if "parent" not in kw:
        raise _error(f"tc filter {cmd} needs parent, ingress or egress")
    if "handle" in v:
        kw["handle"] = v["handle"]
    for key in _FILTER_OPTS:
        if key in v:
            kw[key] = v[key]
    if v.get("action"):
        kw["action"] = [_action(ctx, a) for a in v["action"]]
    kind = v.get("kind")
    if kind == "u32":
        _u32_matches(v, kw)
    elif v.get("match"):
        raise _error('"match" is for u32 filters')
    if kind is None and cmd != "del":
        raise _error(f"tc filter {cmd} needs a classifier (matchall, u32, flower)")
    _send(ctx, _VERBS[cmd] + "-filter", kind, kw)


# tc's verdict words -> requests.tc's gact names
_VERDICTS = {"drop": "drop", "pass": "pass", "ok": "pass"}


def _action(ctx: Any, a: dict[str, Any]) -> Any:
    """One ``action`` group -> the request's action (a gact verdict or a mirred dict)."""
    if a.get("mirred"):
        return {"kind": "mirred", "direction": a["direction"], "action": a["how"],
                "ifindex": ctx.ifindex(a["dev"])}
    return _VERDICTS[a["verdict"]]


def _output(ctx: Any, what: str, msgs: list[Any], one_dev: bool) -> None:
    from nlshell.commands.render import tc as R
    from nlshell.commands.show import render_context

    rctx = render_context(ctx)
    if ctx.opts.output == "ip" and not ctx.opts.json:
        # tc's exact text (not show.ip_text's lines): with -o tc ends it without a newline
        from nlshell.commands.render.iptext.tc import text

        # (classes are listed for one device: tc names none in their lines)
        ctx.out.write(text(msgs, rctx, ctx.opts, what, one_dev or what == "class"))
        return
    if ctx.opts.json:
        ctx.emit(R.tc_json(what, msgs, rctx, one_dev))
    else:
        text = R.tc_text(what, msgs, rctx, one_dev)
        if text:
            ctx.write(text)
