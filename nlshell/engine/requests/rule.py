"""Rule requests: ``IPRoute.rule(cmd, **kw)`` keywords -> Request."""

from __future__ import annotations

from typing import Any

from ..codec import constants as C
from ..codec import rule as rule_tables
from .base import (
    Request,
    attrs_left,
    check_left,
    named,
    raw_names,
    split_prefix,
    table_number,
    take,
    uint,
    verb_of,
)

ACTIONS = {v: k for k, v in C.FR_ACT_NAMES.items()}
# keyword -> FRA_* attribute (None: a header field)
_RULE_ATTRS = (("priority", "priority"), ("pref", "priority"), ("fwmark", "fwmark"),
               ("fwmask", "fwmask"), ("iifname", "iifname"), ("iif", "iifname"),
               ("oifname", "oifname"), ("oif", "oifname"), ("goto", "goto"),
               ("suppress_prefixlength", "suppress_prefixlen"),
               ("suppress_prefixlen", "suppress_prefixlen"),
               ("suppress_ifgroup", "suppress_ifgroup"), ("flow", "flow"),
               ("tos", None), ("l3mdev", "l3mdev"), ("protocol", "protocol"),
               ("uid_range", "uid_range"), ("ipproto", "ip_proto"),
               ("sport_range", "sport_range"), ("dport_range", "dport_range"))


def rule_request(cmd: str, kw: dict) -> Request:
    kw = raw_names(kw, rule_tables.ATTRS)
    action, flags, mtype = verb_of("rule", cmd)
    fields: dict[str, int] = {}
    attrs: list[tuple[str, Any]] = []
    family = take(kw, "family")
    if family is not None:
        family = uint(family, "family", 255)
    fam = 0
    for key, lenkey in (("src", "src_len"), ("dst", "dst_len")):
        value = take(kw, key)
        given_len = take(kw, lenkey)
        if value is not None:
            ip, plen, f = split_prefix(value, key)
            if ip is not None:
                attrs.append((key, ip))
                fam = fam or f
                fields[lenkey] = plen if plen is not None else (
                    uint(given_len, lenkey, 128) if given_len is not None
                    else (32 if f == C.AF_INET else 128))
    if action == "dump":
        # strict dumps take only the family: everything else is filtered here
        filters: dict[str, Any] = dict(attrs)
        for lenkey in ("src_len", "dst_len"):
            if lenkey in fields:
                filters[lenkey] = fields[lenkey]
        for key, value in kw.items():
            if not isinstance(key, str):
                raise ValueError(f"invalid rule filter {key!r}")
            if key == "table":
                value = table_number(value)
            filters["priority" if key == "pref" else key] = value
        return Request(mtype, 0, {"family": family or fam}, [], "dump", filters)
    fields["family"] = family if family is not None else (fam or C.AF_INET)
    table = take(kw, "table")
    if table is not None:
        t = table_number(table)
        fields["table"] = t if t < 256 else 0
        attrs.append(("table", t))
    act = take(kw, "action")
    if act is not None:
        if isinstance(act, str) and act in ACTIONS:
            fields["action"] = ACTIONS[act]
        else:
            fields["action"] = named(act, C.FR_ACT_NAMES, "rule action")
    elif action != "del":
        fields["action"] = C.FR_ACT_GOTO if "goto" in kw else C.FR_ACT_TO_TBL
        if table is None and "goto" not in kw:
            fields["table"] = C.RT_TABLE_MAIN  # `ip rule add` without a table: main
    elif table is not None:
        fields["action"] = C.FR_ACT_TO_TBL
    if take(kw, "invert", "not"):
        fields["flags"] = fields.get("flags", 0) | C.FIB_RULE_INVERT
    for key, attr in _RULE_ATTRS:
        if key in kw:
            v = kw.pop(key)
            if attr is None:
                fields[key] = uint(v, key, 255)
            elif v is not None:
                attrs.append((attr, v))
    attrs_left(kw, rule_tables.ATTRS, attrs)
    check_left("rule", kw)
    return Request(mtype, flags, fields, attrs, action)
