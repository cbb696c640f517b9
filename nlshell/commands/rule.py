"""rule: routing policy rules, as ``ip rule``.

IPv4 unless ``-6``, as ip. ``rule add`` looks up table main unless a table, ``goto`` or an
action (blackhole, unreachable, prohibit, nop) is given; the kernel picks the priority
when none is. ``rule flush`` deletes every rule of the family that has a priority (all but
the ``local`` rule at 0 -- the main and default rules too, exactly like ip).
"""

from __future__ import annotations

from typing import Any

from nlshell.commands import slots as S
from nlshell.commands.grammar import REGISTRY, Flag, Kw, OneOf
from nlshell.commands.route import IPPROTO, REALMS  # the tables routes use too

H = "nlshell.commands.rule:"

U32 = S.NUMBER
TOS = S.number(0, 255, name="TOS", example="e.g. 0x10")



def _range(text: str, hi: int, both: bool) -> tuple[int, int]:
    """``A-B`` (or ``A`` when not `both`) -> (A, B), each 0..hi, A <= B."""
    first, dash, last = text.partition("-")
    if both and not dash:
        raise ValueError("expected a range START-END")
    start = S.parse_int(first, 0, hi)
    end = S.parse_int(last, 0, hi) if dash else start
    if end < start:
        raise ValueError(f"{end} is less than {start}")
    return start, end


UID_RANGE = S.Slot("UIDRANGE", "uid range", lambda t: _range(t, 0xFFFFFFFF, True),
                   kind="number", example="e.g. 1000-1999")
PORT_RANGE = S.Slot("PORT", "port or port range", lambda t: _range(t, 0xFFFF, False),
                    kind="number", example="e.g. 53 or 1024-2047")
TUN_ID = S.number(0, 2**64 - 1, name="TUNID", label="tunnel id", example="a number")

# selectors of ip 5.x+: keyword -> (slot, help); `l3mdev` is a flag of its own
EXTRA_SELECTORS: dict[str, tuple[S.Slot, str]] = {
    "uidrange": (UID_RANGE, "socket owner uid range START-END"),
    "ipproto": (IPPROTO, "IP protocol"),
    "sport": (PORT_RANGE, "source port (or range START-END)"),
    "dport": (PORT_RANGE, "destination port (or range START-END)"),
}


def _extra_params() -> list:
    return [*[Kw(w, slot, h) for w, (slot, h) in EXTRA_SELECTORS.items()],
            Flag("l3mdev", "look up the table of the l3mdev (VRF) device of the packet")]


rule = REGISTRY.object("rule", "routing policy rules", shortcuts=["ru"], default="show")

_SELECT = [
    Flag("not", "rules with an inverted selector"),
    Kw("from", S.PREFIX_ALL, "source prefix"),
    Kw("to", S.PREFIX_ALL, "destination prefix"),
    Kw("iif", S.IFNAME, "input device", aliases=["dev"]),
    Kw("oif", S.IFNAME, "output device"),
    Kw("fwmark", S.FWMARK, "firewall mark, with an optional /mask"),
    Kw("tos", TOS, "type of service", aliases=["dsfield"]),
    Kw("priority", U32, "rule priority", aliases=["preference", "order"]),
    Kw("table", S.TABLE, "routing table", aliases=["lookup"]),
    *_extra_params(),
]

rule.verb("show", "list rules (IPv4 unless -6)", aliases=["list", "lst"],
          shortcuts=["s", "sh", "l", "ls"], params=_SELECT, handler=H + "rule_show")
rule.verb("flush", "delete every rule with a priority (the main and default rules too)",
          shortcuts=["f"], params=_SELECT, handler=H + "rule_flush")

# action words -> FR_ACT_* (goto and table are keywords of their own)
ACTIONS = {
    "blackhole": (6, "drop silently"),
    "unreachable": (7, "reject: network unreachable"),
    "prohibit": (8, "reject: communication prohibited"),
    "nop": (3, "do nothing (a placeholder)"),
}


def _change_params() -> list:
    return [
        Flag("not", "invert the selector"),
        Kw("from", S.PREFIX_ALL, "source prefix"),
        Kw("to", S.PREFIX_ALL, "destination prefix"),
        Kw("iif", S.IFNAME, "input device", aliases=["dev"]),
        Kw("oif", S.IFNAME, "output device"),
        Kw("fwmark", S.FWMARK, "firewall mark, with an optional /mask"),
        Kw("priority", U32, "rule priority (the kernel picks one when left out)",
           aliases=["preference", "order"]),
        Kw("tos", TOS, "type of service", aliases=["dsfield"]),
        Kw("table", S.TABLE, "look the route up in this table", aliases=["lookup"]),
        Kw("goto", U32, "jump to the rule with this priority"),
        OneOf("action", {w: h for w, (_n, h) in ACTIONS.items()},
              values={w: n for w, (n, _h) in ACTIONS.items()}),
        Kw("suppress_prefixlength", S.number(0, 128),
           "ignore routes with this prefix length or shorter", aliases=["sup_pl"]),
        Kw("suppress_ifgroup", U32, "ignore routes through devices of this group",
           aliases=["sup_group"]),
        Kw("proto", S.PROTO, "who installed the rule", aliases=["protocol"]),
        Kw("tun_id", TUN_ID, "tunnel id of the packet (metadata)"),
        Kw("realms", REALMS, "route realms: [FROM/]TO", aliases=["realm"]),
        Kw("nat", S.ADDR, "network address translation (deprecated by the kernel)",
           aliases=["map-to"]),
        *_extra_params(),
    ]


_ACTION_CONFLICTS = [("table", "goto"), ("table", "action"), ("goto", "action"),
                     ("nat", "goto"), ("nat", "action"), ("nat", "l3mdev"),
                     ("l3mdev", "table"), ("l3mdev", "goto"), ("l3mdev", "action")]

rule.verb("add", "add a rule", _change_params(), shortcuts=["a"],
          conflicts=_ACTION_CONFLICTS, handler=H + "rule_change")
rule.verb("delete", "delete the first rule that matches", _change_params(),
          aliases=["del"], shortcuts=["d"], conflicts=_ACTION_CONFLICTS,
          handler=H + "rule_change")


rule.verb("help", "how to use this command (its verbs, `help rule VERB` for each one)",
               handler="nlshell.commands.address:object_help")


# == handlers ==================================================================================

from nlshell.engine.codec import constants as C  # noqa: E402 - a leaf: names only

AF_INET, AF_INET6 = C.AF_INET, C.AF_INET6
FR_ACT_TO_TBL, FR_ACT_GOTO = C.FR_ACT_TO_TBL, C.FR_ACT_GOTO
RT_TABLE_MAIN = C.RT_TABLE_MAIN
_AF = {AF_INET: "IPv4", AF_INET6: "IPv6"}
# grammar keys passed to rule_request under another name
_PLAIN = (("priority", "priority"), ("iif", "iifname"), ("oif", "oifname"), ("tos", "tos"),
          ("suppress_prefixlength", "suppress_prefixlength"),
          ("suppress_ifgroup", "suppress_ifgroup"), ("proto", "protocol"))


def _error(text: str) -> Exception:
    from nlshell.commands.context import CommandError

    return CommandError(text)


def _family(ctx: Any, values: dict[str, Any]) -> int:
    wanted = ctx.opts.family if ctx.opts.family in _AF else None
    found = None
    for word in ("from", "to"):
        fam = getattr(values.get(word), "family", None)
        if fam is None:
            continue
        if wanted is not None and fam != wanted:
            raise _error(f'{word} "{values[word]}": not an {_AF[wanted]} prefix')
        found = found or fam
    return wanted or found or AF_INET


def rule_keywords(ctx: Any, values: dict[str, Any], verb: str) -> dict[str, Any]:
    """Grammar values of a rule add/delete -> ``rule_request`` keywords (ip's defaults)."""
    from nlshell.commands.route import table_id

    v = values
    if not v:
        raise _error(f'"rule {verb}" needs at least one selector or action')
    kw: dict[str, Any] = {"family": _family(ctx, v)}
    for word, key in (("from", "src"), ("to", "dst")):
        if word in v:
            kw[key] = str(v[word])
    if v.get("not"):
        kw["invert"] = True
    if "fwmark" in v:
        mark, mask = v["fwmark"]
        kw["fwmark"] = mark
        if mask is not None:
            kw["fwmask"] = mask
    for key, name in _PLAIN:
        if key in v:
            kw[name] = v[key]
    if "uidrange" in v:
        kw["uid_range"] = dict(zip(("start", "end"), v["uidrange"], strict=True))
    if "ipproto" in v:
        kw["ipproto"] = v["ipproto"]
    for word in ("sport", "dport"):
        if word in v:
            kw[word + "_range"] = dict(zip(("start", "end"), v[word], strict=True))
    if "tun_id" in v:
        kw["tun_id"] = v["tun_id"]
    if "realms" in v:
        kw["flow"] = v["realms"]
    if "nat" in v:
        # ip sends the address as a gateway the kernel no longer reads: the action is all
        # that is left of it, shown as masquerade
        kw["action"] = C.RTN_NAT  # shown as masquerade by the kernel
        kw["table"] = table_id(v["table"]) if "table" in v else RT_TABLE_MAIN
    elif v.get("l3mdev"):
        kw["l3mdev"] = 1
        kw["action"] = FR_ACT_TO_TBL  # the table is the device's: none is sent (as ip)
    elif "table" in v:
        kw["table"] = table_id(v["table"])
        kw["action"] = FR_ACT_TO_TBL
    elif "goto" in v:
        kw["goto"] = v["goto"]
        kw["action"] = FR_ACT_GOTO
    elif "action" in v:
        kw["action"] = v["action"]
    elif verb == "add":
        kw["table"] = RT_TABLE_MAIN  # ip's default lookup
        kw["action"] = FR_ACT_TO_TBL
    else:
        kw["action"] = 0  # delete: any action
    return kw


def rule_change(ctx: Any, inv: Any) -> None:
    """rule add | delete."""
    from nlshell.engine import requests

    verb = "add" if inv.command.verb.name == "add" else "del"
    if "nat" in inv.values:
        ctx.warn("nat: deprecated, the kernel keeps only the action (shown as masquerade)")
    ctx.ipr.send(requests.rule_request(verb, rule_keywords(ctx, inv.values, verb)))


# -- show / flush ---------------------------------------------------------------------------------

def _query(ctx: Any, values: dict[str, Any]) -> Any:
    from nlshell.commands.render.rule import RuleQuery

    v = values
    sel: dict[str, Any] = {"family": ctx.opts.family if ctx.opts.family in _AF else None}
    for word, key in (("from", "src"), ("to", "dst"), ("iif", "iif"), ("oif", "oif"),
                      ("priority", "pref"), ("table", "table")):
        if word in v:
            sel[key] = v[word]
    if "fwmark" in v:
        sel["fwmark"] = v["fwmark"][0]  # the mask is checked by _extra_ok
    if "table" in v and v["table"] != 0:
        from nlshell.commands.route import table_id

        sel["table"] = table_id(v["table"])
    elif "table" in v:
        sel["table"] = "all"
    if v.get("not"):
        sel["not_"] = True
    try:
        return RuleQuery(**sel)
    except ValueError as exc:
        raise _error(str(exc)) from None


# show/flush selectors the renderer's RuleQuery does not know: grammar key -> attribute
# (ranges are compared as (start, end); a single port is the range N-N, as the kernel keeps it)
_EXTRA_ATTRS = {"uidrange": "FRA_UID_RANGE", "ipproto": "FRA_IP_PROTO",
                "sport": "FRA_SPORT_RANGE", "dport": "FRA_DPORT_RANGE"}


def _extra_ok(msg: Any, values: dict[str, Any]) -> bool:
    if "tos" in values and msg["tos"] != values["tos"]:
        return False
    mask = values["fwmark"][1] if "fwmark" in values else None
    if mask is not None and msg.get("FRA_FWMASK") != mask:
        return False
    for key, attr in _EXTRA_ATTRS.items():
        if key in values:
            got = msg.get(attr)
            if isinstance(values[key], tuple):
                got = None if got is None else (got["start"], got["end"])
            if got != values[key]:
                return False
    return not values.get("l3mdev") or bool(msg.get("FRA_L3MDEV"))


def _rules(ctx: Any, query: Any, values: dict[str, Any] | None = None) -> list[Any]:
    family = ctx.opts.family if ctx.opts.family in _AF else AF_INET  # as ip
    msgs = query.select(ctx.ipr.kernel_dump("rule", {"family": family}))
    if values and (not _EXTRA_KEYS.isdisjoint(values)):
        msgs = [m for m in msgs if _extra_ok(m, values)]
    return msgs


_EXTRA_KEYS = frozenset((*_EXTRA_ATTRS, "l3mdev", "tos", "fwmark"))


def rule_show(ctx: Any, inv: Any) -> None:
    from nlshell.commands.show import output, render_context

    query = _query(ctx, inv.values)
    output(ctx, "rule", _rules(ctx, query, inv.values), render_context(ctx))


def rule_flush(ctx: Any, inv: Any) -> None:
    from nlshell.commands.show import flush

    query = _query(ctx, inv.values)
    # the rule without a priority (local, 0) stays, as with ip
    rounds = flush(ctx, lambda: [m for m in _rules(ctx, query, inv.values)
                                 if m.get("priority")])
    if ctx.opts.stats and not ctx.opts.json:
        count = sum(n for _r, n in rounds)
        ctx.write(f"*** Deleted {count} rule{'s' if count != 1 else ''} ***")
