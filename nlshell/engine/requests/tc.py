"""Traffic control requests: ``IPRoute.tc(cmd, kind, index=, handle=, parent=, **options)``.

pyroute2's commands and keywords: ``add``/``del``/``change``/``replace``/``dump`` act on
qdiscs, ``add-class``/``del-class``/``change-class``/``replace-class``/``dump-class`` on
classes, ``add-filter``/``del-filter``/... on filters. Handles are integers (0x10000) or
tc's spelling ('1:', '1:10', 'root', 'ingress'). Rates are bytes per second as integers
(pyroute2's) or tc's words ('10mbit', '1gbit', '125kbps'); sizes bytes or '6kb'; times
microseconds or '10ms'.

Options per kind (keywords): htb qdisc ``default``, ``r2q``, ``direct_qlen``; htb class
``rate``, ``ceil``, ``burst``, ``cburst``, ``prio``, ``quantum``; tbf ``rate``, ``burst``,
``limit`` | ``latency``, ``mtu``; netem ``delay``, ``jitter``, ``loss``, ``duplicate``,
``reorder``, ``corrupt`` (percent), ``gap``, ``limit``, ``rate``; fq_codel ``limit``,
``flows``, ``target``, ``interval``, ``quantum``, ``ecn``; prio ``bands``, ``priomap``;
pfifo/bfifo ``limit``; ingress and clsact none. Filters: ``prio``, ``protocol``,
``chain``; matchall/u32/flower ``classid`` and ``action`` ('drop', 'pass', or a dict
{'kind': 'mirred', 'action': 'redirect'|'mirror', 'direction': 'egress'|'ingress',
'ifindex': n}); u32 ``keys`` (tc's '0xffffff00/0xc0000200+12' or dicts) or ``src``/``dst``
(IPv4 prefixes) ``sport``/``dport``; flower ``src_mac``/``dst_mac``/``eth_type``/
``ip_proto``/``src_ip``/``dst_ip``/``src_port``/``dst_port``.

Nothing here does I/O except reading the kernel's packet scheduler clock once
(/proc/net/psched: the tick that htb and tbf buffers are counted in).
"""

from __future__ import annotations

import _socket as socket  # the C module: socket.py imports enum (start-up time)
import functools
import ipaddress
import re
from typing import Any

from ..codec import constants as C
from .base import F_CREATE, F_REPLACE, Request, check_left, take, uint

# command -> (object, action, extra flags)
COMMANDS: dict[str, tuple[str, str, int]] = {}
for _suffix, _obj in (("", "qdisc"), ("-class", "class"), ("-filter", "filter")):
    COMMANDS.update({
        "add" + _suffix: (_obj, "new", F_CREATE),
        "replace" + _suffix: (_obj, "new", F_REPLACE),
        "change" + _suffix: (_obj, "new", C.NLM_F_REPLACE),
        "del" + _suffix: (_obj, "del", 0),
        "delete" + _suffix: (_obj, "del", 0),
        "remove" + _suffix: (_obj, "del", 0),
        "dump" + _suffix: (_obj, "dump", 0),
        "get" + _suffix: (_obj, "dump", 0),
    })
MSG = {"qdisc": {"new": C.RTM_NEWQDISC, "del": C.RTM_DELQDISC, "dump": C.RTM_GETQDISC},
       "class": {"new": C.RTM_NEWTCLASS, "del": C.RTM_DELTCLASS, "dump": C.RTM_GETTCLASS},
       "filter": {"new": C.RTM_NEWTFILTER, "del": C.RTM_DELTFILTER,
                  "dump": C.RTM_GETTFILTER}}
OBJECT_OF = {t: obj for obj, types in MSG.items() for t in types.values()}
OBJECT_OF.update({C.RTM_DELQDISC: "qdisc", C.RTM_DELTCLASS: "class",
                  C.RTM_DELTFILTER: "filter"})

# --- units as tc reads them ----------------------------------------------------------------

# rate suffix -> bits per second per unit (tc: a bare number is bits per second)
RATE_UNITS = {"": 1, "bit": 1, "kbit": 1000, "mbit": 10**6, "gbit": 10**9, "tbit": 10**12,
              "kibit": 1024, "mibit": 1024**2, "gibit": 1024**3, "tibit": 1024**4,
              "bps": 8, "kbps": 8000, "mbps": 8 * 10**6, "gbps": 8 * 10**9,
              "tbps": 8 * 10**12, "kibps": 8 * 1024, "mibps": 8 * 1024**2,
              "gibps": 8 * 1024**3, "tibps": 8 * 1024**4}
# size suffix -> bytes per unit (tc: a bare number is bytes; k/m/g are binary)
SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2,
              "g": 1024**3, "gb": 1024**3, "kbit": 128, "mbit": 1024**2 // 8,
              "gbit": 1024**3 // 8}
# time suffix -> microseconds per unit (tc: a bare number is microseconds)
TIME_UNITS = {"": 1, "s": 10**6, "sec": 10**6, "secs": 10**6, "ms": 1000, "msec": 1000,
              "msecs": 1000, "us": 1, "usec": 1, "usecs": 1}
_NUMBER = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([a-z]*)$")


def _scaled(value: Any, units: dict[str, int], what: str) -> int:
    m = _NUMBER.match(value.strip().lower()) if isinstance(value, str) else None
    if m is None or m.group(2) not in units:
        raise ValueError(f"invalid {what} {value!r}")
    return int(float(m.group(1)) * units[m.group(2)])


def rate_bytes(value: Any, what: str = "rate") -> int:
    """A rate in bytes per second: an integer (pyroute2's bytes/s) or tc's '10mbit'."""
    if isinstance(value, str):
        return _scaled(value, RATE_UNITS, what) // 8
    return uint(value, what, 2**64 - 1)


def size_bytes(value: Any, what: str = "size") -> int:
    if isinstance(value, str):
        return _scaled(value, SIZE_UNITS, what)
    return uint(value, what)


def time_us(value: Any, what: str = "time") -> int:
    if isinstance(value, str):
        return _scaled(value, TIME_UNITS, what)
    return uint(value, what)


def percent(value: Any, what: str) -> int:
    """A probability as the kernel keeps it: percent of 2**32 - 1."""
    text = value[:-1] if isinstance(value, str) and value.endswith("%") else value
    try:
        p = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"invalid {what} {value!r}") from None
    if isinstance(value, bool) or not 0 <= p <= 100:
        raise ValueError(f"invalid {what} {value!r} (0..100 percent)")
    return round(p / 100 * 0xFFFFFFFF)


def percent_word(value: Any) -> int:
    return percent(value, "percentage")


_SPECIAL_HANDLES = {"root": C.TC_H_ROOT, "ingress": C.TC_H_INGRESS,
                    "clsact": C.TC_H_CLSACT, "none": C.TC_H_UNSPEC}


def handle(value: Any, what: str = "handle") -> int:
    """0x10001, '1:1', '1:', 'ffff:', 'root' -> the u32 tc keeps (major:minor in hex)."""
    if isinstance(value, str):
        if value in _SPECIAL_HANDLES:
            return _SPECIAL_HANDLES[value]
        major, colon, minor = value.partition(":")
        try:
            if not colon:
                return uint(int(major, 16), what)
            hi = int(major, 16) if major else 0
            lo = int(minor, 16) if minor else 0
        except ValueError:
            raise ValueError(f"invalid {what} {value!r}") from None
        if not (0 <= hi <= 0xFFFF and 0 <= lo <= 0xFFFF):
            raise ValueError(f"invalid {what} {value!r}")
        return hi << 16 | lo
    return uint(value, what)


def handle_text(value: int) -> str:
    """The u32 as tc prints it: 'root', 'ingress', '1:', '1:10'."""
    if value == C.TC_H_ROOT:
        return "root"
    if value == C.TC_H_INGRESS:
        return "ingress"
    hi, lo = value >> 16, value & 0xFFFF
    return f"{hi:x}:" if lo == 0 else f"{hi:x}:{lo:x}"


@functools.cache
def psched() -> tuple[float, int]:
    """(ticks per microsecond, HZ for default bursts) of this kernel's packet scheduler."""
    with open("/proc/net/psched") as f:
        t2us, us2t, clock_res, hz = (int(w, 16) for w in f.read().split()[:4])
    return t2us / us2t * (clock_res / 10**6), hz if clock_res == 10**6 else 100


def xmit_ticks(rate: int, size: int) -> int:
    """The ticks ``size`` bytes take at ``rate`` bytes/s (a buffer, as tc computes it)."""
    tick, _hz = psched()
    return min(int(10**6 * size / rate * tick), 0xFFFFFFFF) if rate else 0


def ticks_bytes(rate: int, ticks: int) -> int:
    """A buffer in ticks back to bytes at ``rate`` (what tc prints as burst: it counts
    the time in whole microseconds first)."""
    tick, _hz = psched()
    return int(int(ticks / tick) * rate / 10**6)


def default_burst(rate: int, mtu: int = 1600) -> int:
    return rate // psched()[1] + mtu


# --- options per kind -----------------------------------------------------------------------


def _ratespec(prefix: str, rate: int) -> dict[str, int]:
    return {prefix: min(rate, 0xFFFFFFFF), f"{prefix}_linklayer": C.TC_LINKLAYER_ETHERNET}


def _htb(obj: str, kw: dict) -> Any:
    if obj == "qdisc":
        opts: list[tuple[str, Any]] = [("TCA_HTB_INIT", {
            "version": C.TC_HTB_PROTOVER,
            "rate2quantum": uint(take(kw, "r2q", default=10), "r2q"),
            "defcls": handle(take(kw, "default", default=0), "default class") & 0xFFFF})]
        qlen = take(kw, "direct_qlen")
        if qlen is not None:
            opts.append(("TCA_HTB_DIRECT_QLEN", uint(qlen, "direct_qlen")))
        return opts
    rate = take(kw, "rate")
    if rate is None:
        raise ValueError("an htb class needs rate=")
    rate = rate_bytes(rate)
    ceil = rate_bytes(take(kw, "ceil", default=rate), "ceil")
    if rate == 0 or ceil == 0:
        raise ValueError("htb rate and ceil must be above 0")
    burst = size_bytes(take(kw, "burst", default=default_burst(rate)), "burst")
    cburst = size_bytes(take(kw, "cburst", default=default_burst(ceil)), "cburst")
    parms = {**_ratespec("rate", rate), **_ratespec("ceil", ceil),
             "buffer": xmit_ticks(rate, burst), "cbuffer": xmit_ticks(ceil, cburst),
             "quantum": uint(take(kw, "quantum", default=0), "quantum"),
             "prio": uint(take(kw, "prio", default=0), "prio", 7)}
    opts = [("TCA_HTB_PARMS", parms)]
    if rate > 0xFFFFFFFF:
        opts.append(("TCA_HTB_RATE64", rate))
    if ceil > 0xFFFFFFFF:
        opts.append(("TCA_HTB_CEIL64", ceil))
    return opts


def _tbf(obj: str, kw: dict) -> Any:
    rate, burst = take(kw, "rate"), take(kw, "burst", "buffer", "maxburst")
    if rate is None or burst is None:
        raise ValueError("tbf needs rate= and burst=")
    rate, burst = rate_bytes(rate), size_bytes(burst, "burst")
    limit, latency = take(kw, "limit"), take(kw, "latency")
    if (limit is None) == (latency is None):
        raise ValueError("tbf needs one of limit= or latency=")
    if limit is not None:
        limit = size_bytes(limit, "limit")
    else:
        limit = rate * time_us(latency, "latency") // 10**6 + burst
    parms = {**_ratespec("rate", rate), "limit": limit, "buffer": xmit_ticks(rate, burst),
             "mtu": size_bytes(take(kw, "mtu", default=0), "mtu")}
    opts: list[tuple[str, Any]] = [("TCA_TBF_PARMS", parms)]
    if rate > 0xFFFFFFFF:
        opts.append(("TCA_TBF_RATE64", rate))
    opts.append(("TCA_TBF_BURST", burst))
    return opts


def _netem(obj: str, kw: dict) -> Any:
    tick, _hz = psched()
    delay = time_us(take(kw, "delay", "latency", default=0), "delay")
    jitter = time_us(take(kw, "jitter", default=0), "jitter")
    qopt = {"latency": min(int(delay * tick), 0xFFFFFFFF),
            "jitter": min(int(jitter * tick), 0xFFFFFFFF),
            "limit": uint(take(kw, "limit", default=1000), "limit"),
            "loss": percent(take(kw, "loss", default=0), "loss"),
            "gap": uint(take(kw, "gap", default=0), "gap"),
            "duplicate": percent(take(kw, "duplicate", default=0), "duplicate")}
    attrs: list[tuple[str, Any]] = []
    reorder = take(kw, "reorder")
    if reorder is not None:
        attrs.append(("TCA_NETEM_REORDER", {"probability": percent(reorder, "reorder"),
                                            "correlation": 0}))
    corrupt = take(kw, "corrupt")
    if corrupt is not None:
        attrs.append(("TCA_NETEM_CORRUPT", {"probability": percent(corrupt, "corrupt"),
                                            "correlation": 0}))
    rate = take(kw, "rate")
    if rate is not None:
        rate = rate_bytes(rate)
        attrs.append(("TCA_NETEM_RATE", {"rate": min(rate, 0xFFFFFFFF)}))
        if rate > 0xFFFFFFFF:
            attrs.append(("TCA_NETEM_RATE64", rate))
    if delay:
        attrs.append(("TCA_NETEM_LATENCY64", delay * 1000))
    if jitter:
        attrs.append(("TCA_NETEM_JITTER64", jitter * 1000))
    return {**qopt, "attrs": attrs}


_FQ_CODEL_KEYS = (("limit", "TCA_FQ_CODEL_LIMIT", uint), ("flows", "TCA_FQ_CODEL_FLOWS", uint),
                  ("target", "TCA_FQ_CODEL_TARGET", time_us),
                  ("interval", "TCA_FQ_CODEL_INTERVAL", time_us),
                  ("quantum", "TCA_FQ_CODEL_QUANTUM", size_bytes),
                  ("ce_threshold", "TCA_FQ_CODEL_CE_THRESHOLD", time_us),
                  ("memory_limit", "TCA_FQ_CODEL_MEMORY_LIMIT", size_bytes))


def _fq_codel(obj: str, kw: dict) -> Any:
    opts = [(attr, read(v, key)) for key, attr, read in _FQ_CODEL_KEYS
            if (v := take(kw, key)) is not None]
    ecn = take(kw, "ecn")
    if ecn is not None:
        opts.append(("TCA_FQ_CODEL_ECN", 1 if ecn else 0))
    return opts


def _prio(obj: str, kw: dict) -> Any:
    value: dict[str, Any] = {"bands": uint(take(kw, "bands", default=3), "bands", 16)}
    priomap = take(kw, "priomap")
    if priomap is not None:
        value["priomap"] = [uint(p, "priomap band", value["bands"] - 1) for p in priomap]
    return value


def _fifo(obj: str, kw: dict) -> Any:
    limit = take(kw, "limit")
    return None if limit is None else {"limit": uint(limit, "limit")}


def _none(obj: str, kw: dict) -> Any:
    return []


# --- filters and actions --------------------------------------------------------------------

_GACT_NUMBERS = {v: k for k, v in C.TC_ACT_NAMES.items()}
_MIRRED = {("egress", "redirect"): 1, ("egress", "mirror"): 2,
           ("ingress", "redirect"): 3, ("ingress", "mirror"): 4}


def action(value: Any) -> list[tuple[str, Any]]:
    """'drop' / 'pass' / {'kind': 'gact', 'action': 'drop'} / {'kind': 'mirred', ...} ->
    one TCA_ACT_* block."""
    if isinstance(value, str):
        value = {"kind": "gact", "action": value}
    if not isinstance(value, dict):
        raise ValueError(f"invalid action {value!r}")
    value = dict(value)
    kind = value.pop("kind", "gact")
    if kind == "gact":
        verdict = value.pop("action", "pass")
        if verdict not in _GACT_NUMBERS or verdict == "unspec":
            raise ValueError(f"unknown gact action {verdict!r} (drop, pass, ...)")
        check_left("gact action", value)
        return [("TCA_ACT_KIND", "gact"),
                ("TCA_ACT_OPTIONS", [("TCA_GACT_PARMS",
                                      {"action": _GACT_NUMBERS[verdict]})])]
    if kind == "mirred":
        how = (value.pop("direction", "egress"), value.pop("action", "redirect"))
        if how not in _MIRRED:
            raise ValueError(f"unknown mirred action {' '.join(how)!r}")
        ifindex = uint(value.pop("ifindex", value.pop("dev", 0)), "mirred ifindex")
        if not ifindex:
            raise ValueError("mirred needs ifindex=")
        # tc: a redirect steals the packet, a mirror lets it go on
        verdict = _GACT_NUMBERS["stolen" if how[1] == "redirect" else "pipe"]
        check_left("mirred action", value)
        return [("TCA_ACT_KIND", "mirred"),
                ("TCA_ACT_OPTIONS", [("TCA_MIRRED_PARMS", {
                    "action": verdict, "eaction": _MIRRED[how], "ifindex": ifindex})])]
    raise ValueError(f"unknown action kind {kind!r} (gact, mirred)")


def _actions(kw: dict) -> list[Any]:
    value = take(kw, "action", "actions")
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [action(a) for a in items]


def _classid(kw: dict, attr: str) -> list[tuple[str, Any]]:
    classid = take(kw, "classid", "flowid", "target")
    return [] if classid is None else [(attr, handle(classid, "classid"))]


def _matchall(obj: str, kw: dict) -> Any:
    opts = _classid(kw, "TCA_MATCHALL_CLASSID")
    acts = _actions(kw)
    if acts:
        opts.append(("TCA_MATCHALL_ACT", acts))
    return opts


# u32 basic matches: keyword -> (offset in the IPv4 header, width in bits)
_U32_MATCHES = {"src": (12, 32), "dst": (16, 32), "sport": (20, 16), "dport": (22, 16)}


def _u32_key(value: Any) -> dict[str, int]:
    if isinstance(value, dict):
        return {k: int(value.get(k, 0)) for k in ("mask", "val", "off", "offmask")}
    m = re.match(r"^(0x[0-9a-f]+|\d+)/(0x[0-9a-f]+|\d+)\+(-?\d+)$", str(value).lower())
    if m is None:
        raise ValueError(f"invalid u32 key {value!r} (val/mask+offset)")
    return {"val": int(m.group(1), 0), "mask": int(m.group(2), 0), "off": int(m.group(3)),
            "offmask": 0}


def _u32_match(key: str, value: Any) -> dict[str, int]:
    off, width = _U32_MATCHES[key]
    if width == 32:
        try:
            net = ipaddress.IPv4Network(value, strict=False)
        except (TypeError, ValueError):
            raise ValueError(f"invalid u32 {key} {value!r} (an IPv4 prefix)") from None
        return {"val": int(net.network_address), "mask": int(net.netmask), "off": off,
                "offmask": 0}
    port = uint(value, f"u32 {key}", 0xFFFF)
    # a port lives in the upper or lower half of the 32-bit word at off & ~3
    shift = 16 if off % 4 == 0 else 0
    return {"val": port << shift, "mask": 0xFFFF << shift, "off": off & ~3, "offmask": 0}


def _u32(obj: str, kw: dict) -> Any:
    keys = [_u32_key(k) for k in take(kw, "keys", default=[])]
    keys += [_u32_match(k, v) for k in _U32_MATCHES if (v := take(kw, k)) is not None]
    opts = _classid(kw, "TCA_U32_CLASSID")
    opts.append(("TCA_U32_SEL", {"flags": 1, "keys": keys}))  # TC_U32_TERMINAL
    acts = _actions(kw)
    if acts:
        opts.append(("TCA_U32_ACT", acts))
    return opts


_FLOWER_KEYS = (("dst_mac", "TCA_FLOWER_KEY_ETH_DST", str),
                ("src_mac", "TCA_FLOWER_KEY_ETH_SRC", str),
                ("eth_type", "TCA_FLOWER_KEY_ETH_TYPE", None),
                ("ip_proto", "TCA_FLOWER_KEY_IP_PROTO", None),
                ("src_ip", "SRC", None), ("dst_ip", "DST", None),
                ("src_port", "SRC_PORT", None), ("dst_port", "DST_PORT", None))
_ETH_TYPES = {"ip": C.ETH_P_IP, "ipv4": C.ETH_P_IP, "ipv6": C.ETH_P_IPV6, "all": C.ETH_P_ALL,
              "802.1q": C.ETH_P_8021Q}
_IP_PROTOS = {"tcp": socket.IPPROTO_TCP, "udp": socket.IPPROTO_UDP,
              "icmp": socket.IPPROTO_ICMP, "icmpv6": socket.IPPROTO_ICMPV6}


def _flower(obj: str, kw: dict) -> Any:
    opts = _classid(kw, "TCA_FLOWER_CLASSID")
    proto = None
    for key, attr, _ in _FLOWER_KEYS:
        value = take(kw, key)
        if value is None:
            continue
        if key == "eth_type":
            opts.append((attr, _ETH_TYPES[value] if value in _ETH_TYPES
                         else uint(value, "eth_type", 0xFFFF)))
        elif key == "ip_proto":
            proto = _IP_PROTOS[value] if value in _IP_PROTOS else uint(value, "ip_proto", 255)
            opts.append((attr, proto))
        elif key.endswith("_ip"):
            try:
                net = ipaddress.ip_network(value, strict=False)
            except (TypeError, ValueError):
                raise ValueError(f"invalid flower {key} {value!r}") from None
            fam = "IPV4" if net.version == 4 else "IPV6"
            opts.append((f"TCA_FLOWER_KEY_{fam}_{attr}", str(net.network_address)))
            opts.append((f"TCA_FLOWER_KEY_{fam}_{attr}_MASK", str(net.netmask)))
        elif key.endswith("_port"):
            if proto not in (socket.IPPROTO_TCP, socket.IPPROTO_UDP):
                raise ValueError(f"flower {key} needs ip_proto tcp or udp first")
            layer = "TCP" if proto == socket.IPPROTO_TCP else "UDP"
            opts.append((f"TCA_FLOWER_KEY_{layer}_{attr.split('_')[0]}",
                         uint(value, key, 0xFFFF)))
        else:
            opts.append((attr, value))
    acts = _actions(kw)
    if acts:
        opts.append(("TCA_FLOWER_ACT", acts))
    return opts


# kind -> (objects it builds, options builder)
KINDS: dict[str, tuple[tuple[str, ...], Any]] = {
    "htb": (("qdisc", "class"), _htb),
    "tbf": (("qdisc",), _tbf),
    "netem": (("qdisc",), _netem),
    "fq_codel": (("qdisc",), _fq_codel),
    "prio": (("qdisc",), _prio),
    "pfifo_fast": (("qdisc",), _prio),
    "pfifo": (("qdisc",), _fifo),
    "bfifo": (("qdisc",), _fifo),
    "ingress": (("qdisc",), _none),
    "clsact": (("qdisc",), _none),
    "matchall": (("filter",), _matchall),
    "u32": (("filter",), _u32),
    "flower": (("filter",), _flower),
}
_INGRESS_KINDS = ("ingress", "clsact")
_PROTOCOLS = {"all": C.ETH_P_ALL, "ip": C.ETH_P_IP, "ipv6": C.ETH_P_IPV6,
              "802.1q": C.ETH_P_8021Q}


def protocol_number(value: Any) -> int:
    if isinstance(value, str) and value in _PROTOCOLS:
        return _PROTOCOLS[value]
    return uint(value, "protocol", 0xFFFF)


def tc_request(cmd: str, kind: str | None, kw: dict) -> Request:
    """One tc request from pyroute2's ``tc()`` arguments (see the module's text)."""
    kw = dict(kw)
    if not isinstance(cmd, str) or cmd not in COMMANDS:
        raise ValueError(f"unknown tc command {cmd!r} (one of {', '.join(COMMANDS)})")
    obj, action_, flags = COMMANDS[cmd]
    mtype = MSG[obj][action_]
    index = take(kw, "index", "ifindex", "dev")
    fields: dict[str, int] = {"index": uint(index, "index", 0x7FFFFFFF) if index else 0}
    if action_ == "dump":
        return _dump(obj, mtype, fields, kind, kw)
    if not fields["index"]:
        raise ValueError(f"tc {cmd} needs index=")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown tc kind {kind!r} (one of {', '.join(KINDS)})")
    if kind is not None and obj not in KINDS[kind][0]:
        raise ValueError(f"{kind} makes no {obj} (a {' or '.join(KINDS[kind][0])})")
    if action_ == "new" and kind is None:
        raise ValueError(f"tc {cmd} needs a kind")
    h = take(kw, "handle", "classid" if obj == "class" else "handle")
    parent = take(kw, "parent")
    if kind in _INGRESS_KINDS:
        fields["handle"] = handle(h, "handle") if h is not None else 0xFFFF0000
        fields["parent"] = C.TC_H_INGRESS
    else:
        fields["handle"] = handle(h, "handle") if h is not None else 0
        fields["parent"] = handle(parent, "parent") if parent is not None else C.TC_H_ROOT
        if obj == "filter" and parent is None:
            raise ValueError(f"tc {cmd} needs parent=")
    attrs: list[tuple[str, Any]] = []
    if obj == "filter":
        prio = uint(take(kw, "prio", "priority", default=0), "prio", 0xFFFF)
        proto = protocol_number(take(kw, "protocol", default=C.ETH_P_ALL))
        fields["info"] = prio << 16 | socket.htons(proto)
        chain = take(kw, "chain")
        if chain is not None:
            attrs.append(("TCA_CHAIN", uint(chain, "chain")))
    if kind is not None:
        attrs.insert(0, ("TCA_KIND", kind))
    if action_ == "new":
        options = KINDS[kind][1](obj, kw)
        if options is not None:
            attrs.insert(1, ("TCA_OPTIONS", options))
    check_left(f"tc {kind or obj}", kw)
    return Request(mtype, flags, fields, attrs, action_)


def _dump(obj: str, mtype: int, fields: dict, kind: Any, kw: dict) -> Request:
    filters: dict[Any, Any] = {}
    attrs: list[tuple[str, Any]] = []
    if obj == "qdisc":
        # the kernel dumps every device's qdiscs: the device is picked here
        if fields["index"]:
            filters["index"] = fields["index"]
        fields = {}
    else:
        if not fields["index"]:
            raise ValueError(f"dumping tc {obj}es needs index=")
        if obj == "filter":
            parent = take(kw, "parent")
            fields["parent"] = handle(parent, "parent") if parent is not None else 0
            chain = take(kw, "chain")
            if chain is not None:
                attrs.append(("TCA_CHAIN", uint(chain, "chain")))
    h = take(kw, "handle")
    if h is not None and handle(h) != 0:
        filters["handle"] = handle(h)
    if kind is not None:
        filters["TCA_KIND"] = kind
    check_left(f"tc {obj} dump", kw)
    return Request(mtype, 0, fields, attrs, "dump", filters)
