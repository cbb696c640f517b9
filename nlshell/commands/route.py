"""route: routing table entries, as ``ip route``.

Declarations first (cheap to import: the grammar reads them for parsing, completion and
help), handlers after. Every change goes through one translation, `route_request`, which
turns an invocation into the engine's keyword request (``requests.route_request``): the
``route add`` handler and a batch's pipelined adds (`route_add_message`, see runner.py:
`route_add_request`'s message, encoded by the engine's fast encoder when it can) send the
very same message.

ip's defaults (protocol ``boot``, table ``main`` or ``local`` by route type, the scope by
type and gateway) are the engine's one table, ``engine/requests/route_defaults.py``: what is
not typed is left to it. IPv6 metric and preference are left to the kernel (1024,
medium). ``route flush`` dumps, selects like ``route show`` and sends the engine's deletes
pipelined; it is silent unless ``-s``.
"""

from __future__ import annotations

from typing import Any

from nlshell.commands import slots as S
from nlshell.commands.grammar import REGISTRY, Flag, Group, Kw, OneOf, Pos

H = "nlshell.commands.route:"

U32 = S.NUMBER
MTU = S.number(68, 0xFFFFFFFF, example="e.g. 1400")
ROUTE_PREF = S.choice("PREF", {
    "low": (3, "low router preference"), "medium": (0, "medium router preference"),
    "high": (1, "high router preference"),
}, label="route preference")

# the usual IP protocol names (ip reads /etc/protocols; these are the ones rules and
# `route get ipproto` meet)
IPPROTO = S.choice("IPPROTO", {
    "tcp": (6, "TCP"), "udp": (17, "UDP"), "icmp": (1, "ICMP"), "ipv6-icmp": (58, "ICMPv6"),
    "sctp": (132, "SCTP"), "udplite": (136, "UDP-Lite"), "gre": (47, "GRE"), "esp": (50, "ESP"),
    "ah": (51, "AH"), "igmp": (2, "IGMP"),
}, label="IP protocol", numbers=(0, 255))


def _realms(text: str) -> int:
    """``FROM/TO`` realm numbers (0..255 each) -> the flow attribute (FROM in the high 16
    bits); a single number is the attribute's raw value, as ip takes it."""
    first, slash, last = text.partition("/")
    if not slash:
        return S.parse_int(first, 0, 0xFFFFFFFF)
    return S.parse_int(first, 0, 255) << 16 | S.parse_int(last, 0, 255)


REALMS = S.Slot("REALMS", "realms", _realms, kind="number", example="e.g. 3/5 (or a raw number)")


route = REGISTRY.object("route", "routing table entries",
                        shortcuts=["r", "ro"], default="show")

# -- show / flush ----------------------------------------------------------------------------

_SELECT = [
    Pos("prefix", S.PREFIX_ALL, "exactly this destination", required=False, source="routes"),
    # ip's `to [root|match|exact] PREFIX`: `to` alone means exact, as a bare prefix does
    Group("to", "destination, optionally with how it is matched", [
        OneOf("how", {"root": "routes inside this prefix",
                      "match": "routes that contain this prefix",
                      "exact": "exactly this prefix (the default)"}),
        Pos("prefix", S.PREFIX_ALL, "the destination prefix", source="routes"),
    ], metavar="SELECTOR"),
    Kw("root", S.PREFIX_ALL, "routes inside this prefix"),
    Kw("match", S.PREFIX_ALL, "routes that contain this prefix"),
    Kw("exact", S.PREFIX_ALL, "exactly this prefix"),
    Kw("table", S.TABLE, "routing table (all: every table)"),
    Kw("dev", S.IFNAME, "output device", aliases=["oif"]),
    Kw("iif", S.IFNAME, "input device"),
    Kw("via", S.PREFIX, "gateway (address or prefix)"),
    Kw("src", S.PREFIX, "preferred source (address or prefix)"),
    Kw("proto", S.PROTO, "routing protocol", aliases=["protocol"]),
    Kw("scope", S.SCOPE, "route scope"),
    Kw("type", S.RTTYPE, "route type"),
    Kw("metric", U32, "route metric", aliases=["priority", "preference"]),
    Kw("tos", S.number(0, 255), "type of service", aliases=["dsfield"]),
]
_ONE_PREFIX = [("prefix", "to", "root", "match", "exact")]

route.verb("show", "list routes (main table, IPv4 unless -6 or a table is chosen)",
           aliases=["list", "lst"], shortcuts=["s", "sh", "l", "ls"],
           params=[*_SELECT, Flag("cache", "the cached routes (exceptions: PMTU, redirects)")],
           conflicts=[*_ONE_PREFIX, ("cache", "table")], handler=H + "route_show")
route.verb("flush", "delete every route the selectors match", shortcuts=["f"],
           params=[*_SELECT, Flag("cache", "the routing cache: IPv4's is flushed, IPv6's "
                                  "cached routes (exceptions) deleted")],
           conflicts=[*_ONE_PREFIX, ("cache", "table")], handler=H + "route_flush")

# -- add / del / replace / change / append / prepend -----------------------------------------

_TIME_UNITS = {"s": 1000, "sec": 1000, "secs": 1000, "ms": 1, "msec": 1, "msecs": 1}


def _parse_rtt(text: str) -> tuple[int, bool]:
    """ip's rtt/rttvar/rto_min value: a time with a unit (``100ms``, ``1.5s``) in ms, or a
    plain number (the kernel's raw value) -> (value, raw)."""
    low = text.lower()
    num = low.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = low[len(num):]
    if num.startswith("0x") and not unit:  # hex digits are letters too
        num, unit = low, ""
    if unit and unit not in _TIME_UNITS:
        raise ValueError(f"unknown unit {unit!r} (s or ms)")
    # ASCII digits only ('٣' is no number: int() would read it), and short enough that the
    # value stays finite (float('1' * 400) is inf, and int(inf) an OverflowError)
    if not num.isascii() or "_" in num or len(num) > 20:
        raise ValueError("not a time (e.g. 100ms, 1.5s or a plain number)")
    try:
        value = float(num) if "." in num else int(num, 0)
    except ValueError:
        raise ValueError("not a time (e.g. 100ms, 1.5s or a plain number)") from None
    if value < 0:
        raise ValueError("a time is not negative")
    return int(value * _TIME_UNITS.get(unit, 1)), not unit


RTT_TIME = S.Slot("TIME", "time", _parse_rtt, kind="number", example="e.g. 100ms, 1s")

# route metrics: keyword -> (RTAX_ attribute, slot, help)
METRICS: dict[str, tuple[str, S.Slot, str]] = {
    "mtu": ("RTAX_MTU", MTU, "path MTU"),
    "advmss": ("RTAX_ADVMSS", U32, "advertised maximal segment size"),
    "window": ("RTAX_WINDOW", U32, "maximal TCP window"),
    "hoplimit": ("RTAX_HOPLIMIT", S.number(0, 255), "hop limit (TTL)"),
    "initcwnd": ("RTAX_INITCWND", U32, "initial congestion window"),
    "initrwnd": ("RTAX_INITRWND", U32, "initial receive window"),
    "ssthresh": ("RTAX_SSTHRESH", U32, "slow start threshold"),
    "cwnd": ("RTAX_CWND", U32, "congestion window clamp"),
    "reordering": ("RTAX_REORDERING", U32, "maximal reordering"),
    "quickack": ("RTAX_QUICKACK", S.number(0, 1), "quick ack (1) or not (0)"),
    "fastopen_no_cookie": ("RTAX_FASTOPEN_NO_COOKIE", S.number(0, 1),
                           "TCP fast open without a cookie (1) or not (0)"),
    "rtt": ("RTAX_RTT", RTT_TIME, "initial round trip time estimate"),
    "rttvar": ("RTAX_RTTVAR", RTT_TIME, "initial round trip time variance"),
    "rto_min": ("RTAX_RTO_MIN", RTT_TIME, "minimal TCP retransmission timeout (always locked)"),
}
# the kernel keeps rtt in 1/8 ms and rttvar in 1/4 ms; a time with a unit is scaled as ip
# does, a plain number is sent as is (ip's "raw" value)
RTT_SCALE = {"rtt": 8, "rttvar": 4}
ALWAYS_LOCKED = ("rto_min",)  # ip locks rto_min whenever it is given

# metrics that take `lock` (the kernel then keeps the value): ip's list
LOCKABLE = ("mtu", "hoplimit", "advmss", "reordering", "window", "cwnd", "initcwnd",
            "initrwnd", "rtt", "rttvar", "ssthresh")


FEATURES = S.choice("FEATURES", {"ecn": (1, "explicit congestion notification")},
                    label="route feature", abbrev=False)
TTL_PROPAGATE = S.choice("TTLPROP", {"enabled": (1, "copy the TTL"),
                                     "disabled": (0, "do not copy the TTL")},
                         label="ttl-propagate", abbrev=False)
VIA_FAMILY = S.choice("FAMILY", {"inet": ("inet", "an IPv4 gateway"),
                                 "inet6": ("inet6", "an IPv6 gateway")},
                      label="address family", abbrev=False)


def _metric_param(word: str, slot: S.Slot, help: str) -> Group | Kw:
    if word not in LOCKABLE:
        return Kw(word, slot, help)
    # `mtu 1400` or `mtu lock 1400`: a group holding an optional `lock` and the value
    return Group(word, help, [
        Flag("lock", "the kernel may not change it"),
        Pos("value", slot, help),
    ], metavar=word.upper())


NEXTHOP = Group("nexthop", "one path of a multipath route", [
    Kw("via", S.ADDR, "gateway"),
    Kw("dev", S.IFNAME, "output device"),
    Kw("weight", S.number(1, 256), "relative weight (1..256)"),
    Flag("onlink", "the gateway is on the link even without a matching prefix"),
], repeat=True, metavar="NH",
    check=lambda v: None if ("via" in v or "dev" in v) else "nexthop needs via or dev")


def _change_params(prefix_source: str | None) -> list:
    return [
        Pos("type", S.RTTYPE, "route type (unicast when left out)", required=False,
            metavar="TYPE"),
        Pos("prefix", S.PREFIX, "destination", keyword="to", source=prefix_source),
        # `via [inet|inet6] ADDR`: a gateway of the other family travels as RTA_VIA. Two
        # positionals, so the family word is only taken before the address (ip calls
        # `via ADDR inet` garbage)
        Group("via", "gateway", [
            Pos("family", VIA_FAMILY, "the gateway's address family", required=False),
            Pos("addr", S.ADDR, "gateway address"),
        ], metavar="GATEWAY"),
        Kw("dev", S.IFNAME, "output device", aliases=["oif"]),
        Kw("src", S.ADDR, "preferred source address"),
        Kw("from", S.PREFIX, "source prefix (IPv6 source routing)"),
        Kw("metric", U32, "route metric", aliases=["priority", "preference"]),
        Kw("table", S.TABLE, "routing table"),
        Kw("proto", S.PROTO, "routing protocol", aliases=["protocol"]),
        Kw("scope", S.SCOPE, "route scope"),
        Kw("tos", S.number(0, 255), "type of service", aliases=["dsfield"]),
        Kw("pref", ROUTE_PREF, "IPv6 router preference"),
        Kw("expires", U32, "lifetime in seconds (IPv6)"),
        Kw("nhid", S.number(1, 0xFFFFFFFF), "use this nexthop object"),
        Kw("congctl", S.STRING, "TCP congestion control algorithm"),
        *[_metric_param(w, slot, h) for w, (_a, slot, h) in METRICS.items()],
        Flag("onlink", "the gateway is on the link even without a matching prefix"),
        Kw("realms", REALMS, "route realms: [FROM/]TO", aliases=["realm"]),
        Kw("features", FEATURES, "TCP features to enable on this route"),
        Kw("ttl-propagate", TTL_PROPAGATE, "copy the TTL into MPLS labels (or not)"),
        NEXTHOP,
    ]


_CHANGE_VERBS = (
    # verb, help, aliases, shortcuts
    ("add", "add a route", (), ("a",)),
    ("delete", "delete a route", ("del",), ("d",)),
    ("replace", "add a route or change an existing one", (), ("r", "repl")),
    ("change", "change an existing route", ("chg",), ("c",)),
    ("append", "add a route after existing ones of the same destination", (), ()),
    ("prepend", "add a route before existing ones of the same destination", (), ()),
)
for _verb, _help, _aliases, _shortcuts in _CHANGE_VERBS:
    route.verb(_verb, _help, _change_params("routes" if _verb == "delete" else None),
               aliases=_aliases, shortcuts=_shortcuts,
               conflicts=[("via", "nexthop"), ("nhid", "nexthop"), ("nhid", "via")],
               handler=H + "route_change")

route.verb("get", "the route a packet to this address would take", shortcuts=["g"], params=[
    Pos("to", S.ADDR, "destination address", keyword="to"),
    Kw("from", S.ADDR, "source address"),
    Kw("iif", S.IFNAME, "input device"),
    Kw("oif", S.IFNAME, "output device", aliases=["dev"]),
    Kw("mark", U32, "firewall mark"),
    Kw("tos", S.number(0, 255), "type of service", aliases=["dsfield"]),
    Kw("ipproto", IPPROTO, "IP protocol of the packet"),
    Kw("sport", S.number(0, 0xFFFF), "source port of the packet"),
    Kw("dport", S.number(0, 0xFFFF), "destination port of the packet"),
    Kw("uid", S.NUMBER, "uid of the socket sending it"),
    Kw("vrf", S.IFNAME, "look up in this VRF device's table"),
    Flag("fibmatch", "show the routing table entry rather than the resolved route"),
    Flag("connected", "ask again with the answer's preferred source as the source"),
], conflicts=[("vrf", "oif")], handler=H + "route_get")


route.verb("help", "how to use this command (its verbs, `help route VERB` for each one)",
                handler="nlshell.commands.address:object_help")


# == handlers ==================================================================================
# (engine and output code is imported inside them: declarations stay cheap)

from nlshell.engine.codec import constants as C  # noqa: E402 - a leaf: names only

AF_INET, AF_INET6 = C.AF_INET, C.AF_INET6

# grammar verb -> engine verb
_VERB = {"add": "add", "delete": "del", "replace": "replace", "change": "change",
         "append": "append", "prepend": "prepend"}
# plain grammar keys -> route_request keywords
_PLAIN = (("metric", "priority"), ("tos", "tos"), ("pref", "pref"), ("expires", "expires"),
          ("nhid", "nh_id"))
_PLAIN_KEYS = frozenset(key for key, _ in _PLAIN)
_FAMILY_NAME = {AF_INET: "IPv4", AF_INET6: "IPv6"}


def _error(text: str) -> Exception:
    from nlshell.commands.context import CommandError

    return CommandError(text)


def _text(p: Any) -> str:
    """A grammar PREFIX as route_request's text ('default', '10.0.0.0/8', '10.0.0.1')."""
    return str(p)


def _family(ctx: Any, words: list[tuple[str, Any]]) -> int:
    """The family of a request: -4/-6, else the first typed address's, else IPv4 (ip's rule).
    An address of the other family than -4/-6 asked for is an error naming it."""
    wanted = ctx.opts.family
    if wanted != AF_INET and wanted != AF_INET6:
        wanted = None
    found = None
    for word, value in words:
        fam = S.family_of(value) if isinstance(value, str) else getattr(value, "family", None)
        if fam is None:
            continue
        if wanted is not None and fam != wanted and word != "via":
            raise _error(f'{word} "{value}": not an {_FAMILY_NAME[wanted]} address')
        found = found or fam
    return wanted or found or AF_INET


def table_id(value: Any) -> int:
    """A TABLE slot value (number, or a name from rt_tables) -> the table number."""
    if isinstance(value, int):
        return value
    from nlshell.commands.render import names as N

    try:
        return N.table_id(value)
    except ValueError:
        raise _error(f'table "{value}": no such table name (a number or a name in '
                     f'/etc/iproute2/rt_tables)') from None


_METRIC_KEYS = frozenset((*METRICS, "congctl", "features"))  # the keys `_metrics` reads


def _metric_value(word: str, value: Any) -> int:
    if word in _RTT_WORDS:  # (ms or raw, raw)
        amount, raw = value
        value = amount if raw else amount * RTT_SCALE.get(word, 1)
        if value > 0xFFFFFFFF:
            raise _error(f'{word} "{amount}": too large')
    return value


_RTT_WORDS = frozenset(("rtt", "rttvar", "rto_min"))


def _rtax_number(attr: str) -> int:
    """A metric's RTAX_* number, from the codec's metrics table (the lock bit is 1 << it)."""
    from nlshell.engine.codec import route as route_tables

    return route_tables.METRICS.lookup(attr).type


def _metrics(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    lock = 0
    for word, (attr, _slot, _h) in METRICS.items():
        given = values.get(word)
        if given is None:
            continue
        if isinstance(given, dict):  # a lockable metric: {'value': N, 'lock': True}
            out[attr] = _metric_value(word, given["value"])
            if given.get("lock"):
                lock |= 1 << _rtax_number(attr)
        else:
            out[attr] = _metric_value(word, given)
        if word in ALWAYS_LOCKED:
            lock |= 1 << _rtax_number(attr)
    if "congctl" in values:
        out["RTAX_CC_ALGO"] = values["congctl"]
    if "features" in values:
        out["RTAX_FEATURES"] = values["features"]
    if lock:
        out = {"RTAX_LOCK": lock, **out}
    return out


def _nexthops(ctx: Any, hops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for hop in hops:
        entry: dict[str, Any] = {}
        if "via" in hop:
            entry["gateway"] = hop["via"]
        if "dev" in hop:
            entry["oif"] = ctx.ifindex(hop["dev"])
        if "weight" in hop:
            entry["weight"] = hop["weight"]
        if hop.get("onlink"):
            entry["flags"] = C.RTNH_F_ONLINK
        out.append(entry)
    return out


_VIA_FAMILY = {"inet": AF_INET, "inet6": AF_INET6}


def _via(given: Any) -> str:
    """`via [inet|inet6] ADDR` -> the address; a family word must fit the address."""
    if not isinstance(given, dict):
        return given
    addr = given["addr"]
    word = given.get("family")
    if word is not None and S.family_of(addr) != _VIA_FAMILY[word]:
        raise _error(f'via {word} "{addr}": not an {_FAMILY_NAME[_VIA_FAMILY[word]]} address')
    return addr


def route_keywords(ctx: Any, values: dict[str, Any], verb: str) -> dict[str, Any]:
    """Grammar values of a route change -> ``route_request`` keywords, with ip's defaults."""
    v = values
    if "via" in v:
        v = {**v, "via": _via(v["via"])}
    prefix = v["prefix"]
    hops = v.get("nexthop") or []
    if hops or "from" in v or "src" in v or ctx.opts.family in (AF_INET, AF_INET6):
        # the typed addresses, in the order that decides the family
        typed = [("prefix", prefix)]
        for key in ("from", "src", "via"):
            if key in v:
                typed.append((key, v[key]))
        for h in hops:
            if "via" in h:
                typed.append(("via", h["via"]))
        family = _family(ctx, typed)
    else:  # (the common case) the same rule: the destination's family, else the gateway's
        family = prefix.family or ("via" in v and S.family_of(v["via"])) or AF_INET
    kw: dict[str, Any] = {"family": family, "dst": str(prefix)}
    rtype = v.get("type")
    if rtype is not None:
        kw["type"] = rtype
    if "via" in v:
        kw["gateway"] = v["via"]
    if "dev" in v:
        kw["oif"] = ctx.ifindex(v["dev"])
    if "src" in v:
        kw["prefsrc"] = v["src"]
    if "from" in v:
        kw["src"] = _text(v["from"])
    if not _PLAIN_KEYS.isdisjoint(v):
        for key, name in _PLAIN:
            if key in v:
                kw[name] = v[key]
    if "proto" in v:
        kw["proto"] = v["proto"]
    # table and scope left out take ip's defaults for the route's type, in the engine
    # (requests.route_defaults); IPv6 routes are global there
    if "table" in v:
        kw["table"] = table_id(v["table"])
    if "scope" in v:
        kw["scope"] = v["scope"]
    if v.get("onlink"):
        kw["flags"] = C.RTNH_F_ONLINK
    if not _METRIC_KEYS.isdisjoint(v):
        metrics = _metrics(v)
        if metrics:
            kw["metrics"] = metrics
    if "realms" in v:
        kw["flow"] = v["realms"]
    if "ttl_propagate" in v:
        kw["ttl_propagate"] = v["ttl_propagate"]
    if hops:
        kw["multipath"] = _nexthops(ctx, hops)
    return kw


def route_request(ctx: Any, inv: Any) -> Any:
    """The engine Request of a route add/del/replace/change/append/prepend invocation."""
    from nlshell.engine import requests

    verb = _VERB[inv.command.verb.name]
    return requests.route_request(verb, route_keywords(ctx, inv.values, verb))


def route_add_request(ctx: Any, inv: Any) -> Any:
    """The Request of ``route add ...`` (the batch runner sends these pipelined)."""
    from nlshell.engine import requests

    return requests.route_request("add", route_keywords(ctx, inv.values, "add"))


def route_add_message(ctx: Any, inv: Any) -> Any:
    """`route_add_request`'s message for the batch runner: encoded by the engine's fast
    encoder when it takes the keywords (bytes, the very bytes of that Request), else the
    Request itself."""
    global _requests
    if _requests is None:
        from nlshell.engine import requests as _requests
    kw = route_keywords(ctx, inv.values, "add")
    raw = _requests.fast_route("add", kw)
    return raw if raw is not None else _requests.route_request("add", kw)


_requests: Any = None  # nlshell.engine.requests, imported on first use (start-up time)


def route_change(ctx: Any, inv: Any) -> None:
    """route add | delete | replace | change | append | prepend."""
    ctx.ipr.send(route_request(ctx, inv))


# -- show / flush ---------------------------------------------------------------------------------

def _query(ctx: Any, values: dict[str, Any]) -> Any:
    from nlshell.commands.render.route import RouteQuery

    v = values
    sel: dict[str, Any] = {}
    if "table" in v:
        t = v["table"]
        sel["table"] = "all" if t == 0 else table_id(t)
    if v.get("cache"):
        sel["table"] = "cache"
    for key in ("dev", "iif"):
        if key in v:
            sel[key] = ctx.ifindex(v[key])
    for key in ("proto", "scope", "type", "metric", "tos", "root", "match", "exact",
                "via", "src"):
        if key in v:
            sel[key] = v[key]
    if "prefix" in v:
        sel["exact"] = v["prefix"]
    if "to" in v:  # `to [root|match|exact] PREFIX`
        sel[v["to"].get("how", "exact")] = v["to"]["prefix"]
    sel["family"] = ctx.opts.family if ctx.opts.family in (AF_INET, AF_INET6) else None
    try:
        return RouteQuery(**sel)
    except ValueError as exc:
        raise _error(str(exc)) from None


def _dump(ctx: Any, query: Any) -> list[Any]:
    """Routes of the query's family, asking the kernel for one table when one is chosen
    (a number; the main table when none is) or for its cache."""
    return ctx.ipr.kernel_dump("route", *_dump_request(query))


def _dump_request(query: Any) -> tuple[dict[str, Any], list[Any]]:
    """The header fields and attributes of the route dump a query asks for."""
    attrs = []
    fields = {"family": query.effective_family}
    if query.table == "cache":
        fields["flags"] = C.RTM_F_CLONED  # the kernel adds its exceptions to the dump
    elif query.table != "all":
        attrs.append(("table", C.RT_TABLE_MAIN if query.table is None else query.table))
    # (a table the kernel has not made yet is an empty dump: the engine says so)
    return fields, attrs


def route_show(ctx: Any, inv: Any) -> None:
    """Streamed: routes are selected and printed as the kernel's datagrams arrive."""
    from nlshell.commands.show import render_context
    from nlshell.commands.streams import runs_fit, stream_routes

    query = _query(ctx, inv.values)
    rctx = render_context(ctx)
    if ctx.opts.details:
        # ip -d shows the nexthop object of a route using one (nh_info); the objects are
        # read first (a handful), as the routes stream after them
        rctx.nexthops = {m.get("NHA_ID"): m for m in ctx.ipr.get_nexthops()}
    # a plain selection on a big table reads the dump as runs of same-shape routes
    runs = query.plain and runs_fit(ctx.opts)
    stream_routes(ctx, ctx.ipr.kernel_dump_iter("route", *_dump_request(query), runs=runs),
                  query.select, rctx, query.hidden, runs=runs)


def route_flush(ctx: Any, inv: Any) -> None:
    from nlshell.commands.show import flush, report_rounds

    if not inv.values:
        raise _error('"route flush" needs a selector (table, dev, proto, root, ...)')
    if inv.values.get("cache") and ctx.opts.family != AF_INET6:
        # as ip: IPv4 has no cache to dump any more, the kernel is told to drop it
        _flush_ipv4_cache(ctx)
        if ctx.opts.stats and not ctx.opts.json:
            ctx.write("*** IPv4 routing cache is flushed.")
        return
    query = _query(ctx, inv.values)
    rounds = flush(ctx, lambda: query.select(_dump(ctx, query)))
    report_rounds(ctx, rounds)


def _flush_ipv4_cache(ctx: Any) -> None:
    """Write to the namespace's /proc/sys/net/ipv4/route/flush (opened from inside it:
    /proc/sys/net is the net namespace of the thread that opens it)."""
    from nlshell.engine import nsenter

    def write() -> None:
        with open("/proc/sys/net/ipv4/route/flush", "w") as f:
            f.write("-1")

    try:
        if ctx.netns is None:
            write()
        else:
            nsenter.in_new_thread(nsenter.open_ns_fd(ctx.netns), ctx.netns, write)
    except OSError as exc:
        raise _error(f"flush cache: {exc.strerror or exc}") from None


# -- get -------------------------------------------------------------------------------------------

# `route get` words sent as an attribute of the same name (the flow the lookup is for)
_GET_ATTRS = (("ipproto", "ip_proto"), ("sport", "sport"), ("dport", "dport"), ("uid", "uid"))


def get_selectors(ctx: Any, v: dict[str, Any]) -> dict[str, Any]:
    """The flow keys of a ``route get`` (ipproto, ports, uid, vrf) -> request keywords."""
    kw = {name: v[key] for key, name in _GET_ATTRS if key in v}
    if "vrf" in v:
        from nlshell.commands.address import vrf_index

        kw["oif"] = vrf_index(ctx, v["vrf"])  # as ip: the VRF device is the output device
    return kw


def route_get(ctx: Any, inv: Any) -> None:
    from nlshell.engine import requests

    v = inv.values
    family = _family(ctx, [("to", v["to"]), ("from", v.get("from"))])
    bits = 32 if family == AF_INET else 128
    kw: dict[str, Any] = {"family": family, "dst": f"{v['to']}/{bits}"}
    flags = C.RTM_F_LOOKUP_TABLE if family == AF_INET else 0  # only IPv4 knows it (as ip)
    if v.get("fibmatch"):
        flags |= C.RTM_F_FIB_MATCH
    if flags:
        kw["flags"] = flags
    if "from" in v:
        kw["src"] = f"{v['from']}/{bits}"
    for key in ("iif", "oif"):
        if key in v:
            kw[key] = ctx.ifindex(v[key])
    if "mark" in v:
        kw["mark"] = v["mark"]
    if "tos" in v:
        kw["tos"] = v["tos"]
    kw.update(get_selectors(ctx, v))
    msgs = ctx.ipr.send(requests.route_request("get", kw))
    if v.get("connected") and "from" not in v:
        # as ip: ask again with the answer's preferred source as the source
        back = msgs[0].get("prefsrc") if msgs else None
        if back is None:
            raise _error("Failed to connect the route (it has no preferred source)")
        kw["src"] = f"{back}/{bits}"
        msgs = ctx.ipr.send(requests.route_request("get", kw))
    from nlshell.commands.show import output, render_context

    output(ctx, "route", msgs, render_context(ctx))


