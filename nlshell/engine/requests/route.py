"""Route requests: ``IPRoute.route(cmd, **kw)`` keywords -> Request (ip's defaults for
table, scope and protocol come from `route_defaults`)."""

from __future__ import annotations

from typing import Any

from ..codec import constants as C
from ..codec import route as route_tables
from . import route_defaults as defaults
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

# keyword -> RTA_* attribute, in the order the attributes are packed
_ROUTE_ATTRS = (("oif", "oif"), ("index", "oif"), ("iif", "iif"), ("priority", "priority"),
                ("metric", "priority"), ("mark", "mark"), ("uid", "uid"), ("nh_id", "nh_id"),
                ("expires", "expires"), ("pref", "pref"))


def route_request(cmd: str, kw: dict, face: defaults.Face = defaults.IP_FACE) -> Request:
    """``face``: whose defaults fill what is not given (ip's by default; the library face
    passes pyroute2's, see route_defaults)."""
    kw = raw_names(kw, route_tables.ATTRS)
    action, flags, mtype = verb_of("route", cmd)
    fields: dict[str, int] = {}
    attrs: list[tuple[str, Any]] = []
    family = take(kw, "family")
    if family is not None:
        family = uint(family, "family", 255)
    dst = take(kw, "dst", "destination")
    dst_len = take(kw, "dst_len")
    fam = C.AF_UNSPEC
    if dst is not None:
        ip, plen, fam = split_prefix(dst, "dst")
        if plen is None:
            plen = dst_len if dst_len is not None else (32 if fam == C.AF_INET else 128)
        if isinstance(plen, bool) or not isinstance(plen, int) or \
                not 0 <= plen <= (32 if fam != C.AF_INET6 else 128):
            raise ValueError(f"invalid dst_len {plen!r}")
        dst_len = plen
        if ip is not None:
            attrs.append(("dst", ip))
    elif dst_len is not None:
        dst_len = uint(dst_len, "dst_len", 128)
    gateway = take(kw, "gateway", "gw", "via")
    if gateway is not None:
        gip, _, gfam = split_prefix(gateway, "gateway")
        if gip is None:
            raise ValueError(f"invalid gateway {gateway!r}")
        # the route's family: its dst's, else the one given (`default` has none)
        if (fam or family) and gfam != (fam or family):
            attrs.append(("via", {"addr": gip}))
        else:
            attrs.append(("gateway", gip))
            fam = fam or gfam
    src = take(kw, "src")
    src_len = take(kw, "src_len")
    if src is not None:
        sip, splen, sfam = split_prefix(src, "src")
        attrs.append(("src", sip))
        src_len = splen if splen is not None else src_len
        fam = fam or sfam
    prefsrc = take(kw, "prefsrc")
    if prefsrc is not None:
        pip, _, pfam = split_prefix(prefsrc, "prefsrc")
        attrs.append(("prefsrc", pip))
        fam = fam or pfam
    multipath = take(kw, "multipath", "nexthops")
    if multipath:
        hops, fam = _nexthops(multipath, fam)
        attrs.append(("multipath", hops))
    fields["family"] = family if family is not None else fam
    if dst_len is not None:
        fields["dst_len"] = dst_len
    if src_len:
        fields["src_len"] = uint(src_len, "src_len", 128)
    table = take(kw, "table")
    rtype = take(kw, "type")
    proto = take(kw, "proto", "protocol")
    scope = take(kw, "scope")
    if action == "dump":
        return _route_dump(mtype, fields, attrs, table, rtype, proto, scope, dst, kw)
    if action == "get":
        if rtype is not None or proto is not None or scope is not None:
            raise ValueError("route get takes no type=, proto= or scope=")
        if table is not None:
            t = table_number(table)
            fields["table"] = t if t < 256 else C.RT_TABLE_COMPAT
            attrs.append(("table", t))
    else:
        t_type = None if rtype is None else named(rtype, C.RTN_NAMES, "route type")
        if action != "del" and t_type is None:
            t_type = defaults.ADD_TYPE
        if t_type is not None:
            fields["type"] = t_type
        t = defaults.default_table(t_type) if table is None else table_number(table)
        fields["table"] = t if t < 256 else C.RT_TABLE_COMPAT
        if table is not None:
            attrs.append(("table", t))
        if proto is not None:
            fields["proto"] = named(proto, C.RTPROT_NAMES, "protocol")
        elif action != "del":
            fields["proto"] = defaults.default_proto(action, face)
        if scope is None:
            direct = gateway is None and not multipath and kw.get("nh_id") is None
            scope = defaults.default_scope(action, fields["family"] or C.AF_INET, t_type,
                                           direct, face)
        fields["scope"] = named(scope, C.RT_SCOPE_NAMES, "scope")
    for key, attr in _ROUTE_ATTRS:
        if key in kw:
            v = kw.pop(key)
            if v is not None:
                attrs.append((attr, uint(v, key, 255 if attr == "pref" else 0xFFFFFFFF)))
    for key in ("tos", "flags"):
        if key in kw:
            fields[key] = uint(kw.pop(key), key, 255 if key == "tos" else 0xFFFFFFFF)
    metrics = take(kw, "metrics")
    if metrics:
        if isinstance(metrics, dict):
            metrics = list(metrics.items())
        attrs.append(("metrics", metrics))
    if action == "get":
        fields.setdefault("dst_len", dst_len or 0)
    attrs_left(kw, route_tables.ATTRS, attrs)
    check_left("route", kw)
    if action in ("new", "set") and dst is None and not fields.get("dst_len") and not attrs:
        raise ValueError("route needs dst=")
    if action != "get" and not fields["family"]:
        fields["family"] = C.AF_INET  # 'default dev X': IPv4, as iproute2 assumes
    return Request(mtype, flags, fields, attrs, action)


def _nexthops(multipath: Any, fam: int) -> tuple[list[dict], int]:
    if not isinstance(multipath, (list, tuple)):
        raise ValueError(f"invalid multipath {multipath!r} (a list of dicts)")
    hops = []
    for hop in multipath:
        if not isinstance(hop, dict):
            raise ValueError(f"invalid nexthop {hop!r} (a dict of gateway, oif, hops)")
        hop = dict(hop)
        if "weight" in hop and "hops" not in hop:
            hop["hops"] = uint(hop.pop("weight"), "weight", 256) - 1  # hops = weight - 1
        entry: dict[str, Any] = {
            "oif": uint(take(hop, "oif", "index", default=0), "oif"),
            "hops": uint(take(hop, "hops", default=0), "hops", 255),
            "flags": uint(take(hop, "flags", default=0), "flags", 255),
        }
        hop_attrs = []
        gw = take(hop, "gateway", "gw", "via")
        if gw is not None:
            gip, _, gfam = split_prefix(gw, "gateway")
            fam = fam or gfam
            if gfam != fam:
                hop_attrs.append(("via", {"addr": gip}))
            else:
                hop_attrs.append(("gateway", gip))
        check_left("nexthop", hop)
        entry["attrs"] = hop_attrs
        hops.append(entry)
    return hops, fam


def _route_dump(mtype, fields, attrs, table, rtype, proto, scope, dst, kw) -> Request:
    # strict dumps: the kernel filters by family, table, protocol, type and oif; the
    # other keywords are filtered here
    filters: dict[str, Any] = {}
    dump_attrs: list[tuple[str, Any]] = []
    hdr = {"family": fields.get("family", 0)}
    if table is not None:
        t = table_number(table)
        dump_attrs.append(("table", t))
        filters["table"] = t
    if rtype is not None:
        hdr["type"] = named(rtype, C.RTN_NAMES, "route type")
    if proto is not None:
        hdr["proto"] = named(proto, C.RTPROT_NAMES, "protocol")
    if scope is not None:
        filters["scope"] = named(scope, C.RT_SCOPE_NAMES, "scope")
    for name, value in attrs:
        if name != "multipath":
            filters[name] = value
    if dst is not None:
        filters["dst_len"] = fields.get("dst_len", 0)
        if not any(a[0] == "dst" for a in attrs):
            filters["dst"] = lambda v: v is None  # 'default'
    for key in ("oif", "index"):
        if key in kw:
            v = uint(kw.pop(key), key)
            dump_attrs.append(("oif", v))
            filters["oif"] = v
    for key, value in kw.items():
        if not isinstance(key, str):
            raise ValueError(f"invalid route filter {key!r}")
        filters["priority" if key == "metric" else key] = value
    return Request(mtype, 0, hdr, dump_attrs, "dump", filters)
