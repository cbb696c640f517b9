"""Keyword arguments (pyroute2 style) -> rtnetlink requests.

Each ``*_request`` function turns ``(cmd, **kw)`` into a ``Request``: the message type,
the header flags, the fixed-header fields and the attributes. Nothing here does I/O;
the caller (IPRoute) sends it as a single request, a dump, or part of a bulk batch.
Unknown keywords and bad values raise ValueError naming them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from .codec import constants as C
from .codec import link as link_tables

F_CREATE = C.NLM_F_CREATE | C.NLM_F_EXCL
F_REPLACE = C.NLM_F_CREATE | C.NLM_F_REPLACE

# verb -> (message kind, extra header flags); 'dump' and 'get' read
VERBS = {
    "add": ("new", F_CREATE),
    "set": ("set", 0),
    "replace": ("new", F_REPLACE),
    "change": ("new", C.NLM_F_REPLACE),
    "append": ("new", C.NLM_F_CREATE | C.NLM_F_APPEND),
    "prepend": ("new", C.NLM_F_CREATE),
    "del": ("del", 0),
    "delete": ("del", 0),
    "remove": ("del", 0),
    "get": ("get", 0),
    "dump": ("dump", 0),
    "show": ("dump", 0),
}

MSG = {
    "link": {"new": C.RTM_NEWLINK, "set": C.RTM_NEWLINK, "del": C.RTM_DELLINK,
             "get": C.RTM_GETLINK, "dump": C.RTM_GETLINK},
    "addr": {"new": C.RTM_NEWADDR, "set": C.RTM_NEWADDR, "del": C.RTM_DELADDR,
             "get": C.RTM_GETADDR, "dump": C.RTM_GETADDR},
    "route": {"new": C.RTM_NEWROUTE, "set": C.RTM_NEWROUTE, "del": C.RTM_DELROUTE,
              "get": C.RTM_GETROUTE, "dump": C.RTM_GETROUTE},
    "neigh": {"new": C.RTM_NEWNEIGH, "set": C.RTM_NEWNEIGH, "del": C.RTM_DELNEIGH,
              "get": C.RTM_GETNEIGH, "dump": C.RTM_GETNEIGH},
    "rule": {"new": C.RTM_NEWRULE, "set": C.RTM_NEWRULE, "del": C.RTM_DELRULE,
             "get": C.RTM_GETRULE, "dump": C.RTM_GETRULE},
}


@dataclass
class Request:
    msg_type: int
    flags: int
    fields: dict = field(default_factory=dict)
    attrs: list = field(default_factory=list)
    action: str = "new"  # new | set | del | get | dump
    filters: dict = field(default_factory=dict)  # applied to dump results client-side

    def as_tuple(self) -> tuple[int, int, dict, list]:
        return self.msg_type, self.flags, self.fields, self.attrs


def _verb(obj: str, cmd: str) -> tuple[str, int, int]:
    if cmd not in VERBS:
        raise ValueError(f"unknown {obj} command {cmd!r} (one of {', '.join(VERBS)})")
    action, flags = VERBS[cmd]
    if obj == "link" and cmd == "set":
        flags = 0
    return action, flags, MSG[obj][action]


def _named(value: Any, names: dict[int, str], what: str, limit: int = 255) -> int:
    """A number given as a name ('static', 'link', 'blackhole') or an integer."""
    if isinstance(value, str):
        for num, name in names.items():
            if name == value:
                return num
        try:
            value = int(value, 0)
        except ValueError:
            raise ValueError(f"unknown {what} {value!r} (one of "
                             f"{', '.join(names.values())})") from None
    if not isinstance(value, int) or not 0 <= value <= limit:
        raise ValueError(f"invalid {what} {value!r}")
    return value


def family_of(addr: str) -> int:
    return C.AF_INET6 if ":" in addr else C.AF_INET


def split_prefix(value: str, what: str) -> tuple[str | None, int | None, int]:
    """'10.0.0.0/8' -> ('10.0.0.0', 8, AF_INET); 'default' -> (None, 0, AF_UNSPEC)."""
    if not isinstance(value, str):
        raise ValueError(f"invalid {what} {value!r}")
    if value in ("default", "any", "all"):
        return None, 0, C.AF_UNSPEC
    addr, _, plen = value.partition("/")
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        raise ValueError(f"invalid {what} {value!r}") from None
    if plen:
        if not plen.isdigit() or int(plen) > ip.max_prefixlen:
            raise ValueError(f"invalid prefix length in {what} {value!r}")
        return str(ip), int(plen), family_of(addr)
    return str(ip), None, family_of(addr)


def _take(kw: dict, *names: str, default: Any = None) -> Any:
    """Pop the first of several spellings of one keyword."""
    for name in names:
        if name in kw:
            value = kw.pop(name)
            for other in names:
                kw.pop(other, None)
            return value
    return default


def _check_left(obj: str, kw: dict) -> None:
    if kw:
        raise ValueError(f"unknown {obj} keyword(s): {', '.join(sorted(kw))}")


# --- links ------------------------------------------------------------------------

# kind-specific option prefixes: keyword 'vxlan_id' -> INFO_DATA attribute 'vxlan_id'
_KIND_TABLES = {
    "bridge": link_tables.BRIDGE_DATA,
    "vxlan": link_tables.VXLAN_DATA,
    "macvlan": link_tables.MACVLAN_DATA,
    "macvtap": link_tables.MACVLAN_DATA,
    "vlan": link_tables.VLAN_DATA,
    "bond": link_tables.BOND_DATA,
    "vrf": link_tables.VRF_DATA,
    "tun": link_tables.TUN_DATA,
}
# friendlier spellings accepted for bridge options (pyroute2 uses br_*)
_STATES = {"up": True, "down": False}


def link_request(cmd: str, kw: dict, resolve_ns: Any = None) -> Request:
    """``resolve_ns(value) -> fd`` turns a namespace name/path into an fd (for net_ns_fd)."""
    kw = dict(kw)
    action, flags, mtype = _verb("link", cmd)
    fields: dict[str, int] = {}
    attrs: list[tuple[str, Any]] = []
    index = _take(kw, "index", "ifindex")
    if index is not None:
        if not isinstance(index, int) or index < 0:
            raise ValueError(f"invalid index {index!r}")
        fields["index"] = index
    family = _take(kw, "family")
    if family is not None:
        fields["family"] = family
    state = _take(kw, "state")
    if state is not None:
        if state not in _STATES:
            raise ValueError(f"invalid state {state!r} (up or down)")
        fields["change"] = fields.get("change", 0) | C.IFF_UP
        if _STATES[state]:
            fields["flags"] = fields.get("flags", 0) | C.IFF_UP
    for hdr in ("flags", "change"):
        v = _take(kw, hdr)
        if v is not None:
            fields[hdr] = fields.get(hdr, 0) | v
    if action in ("dump", "get"):
        return _link_read(action, mtype, fields, kw)

    kind = _take(kw, "kind")
    peer = _take(kw, "peer")
    info: list[tuple[str, Any]] = []
    data: list[tuple[str, Any]] = []
    if kind is not None:
        info.append(("kind", kind))
        table = _KIND_TABLES.get(kind)
        if table is not None:
            for key in list(kw):
                row = table.lookup(key)
                if row is not None:
                    data.append((row.short, _kind_value(kind, row.short, kw.pop(key))))
        if kind == "veth" and peer is not None:
            peer_kw = {"ifname": peer} if isinstance(peer, str) else dict(peer)
            peer_req = link_request("add", peer_kw, resolve_ns)
            data.append(("peer", {**peer_req.fields, "attrs": peer_req.attrs}))
    elif peer is not None:
        raise ValueError("'peer' needs kind='veth'")
    for key, attr in (("net_ns_fd", "net_ns_fd"), ("netns", "net_ns_fd")):
        if key in kw:
            value = kw.pop(key)
            if not isinstance(value, int):
                if resolve_ns is None:
                    raise ValueError(f"cannot resolve namespace {value!r}")
                value = resolve_ns(value)
            attrs.append((attr, value))
    master = _take(kw, "master")
    if master is not None:
        attrs.append(("master", int(master)))
    alias = _take(kw, "ifalias", "alias")
    if alias is not None:
        attrs.append(("ifalias", alias))
    txq = _take(kw, "txqlen", "txqueuelen")
    if txq is not None:
        attrs.append(("txqlen", txq))
    for key in list(kw):
        row = link_tables.ATTRS.lookup(key)
        if row is None:
            continue
        attrs.append((row.short, kw.pop(key)))
    _check_left("link", kw)
    if info:
        if data:
            info.append(("data", data))
        attrs.append(("linkinfo", info))
    if action == "del" and not fields.get("index") and not any(
            a[0] in ("ifname", "IFLA_IFNAME") for a in attrs):
        raise ValueError("link delete needs index= or ifname=")
    return Request(mtype, flags, fields, attrs, action)


def _kind_value(kind: str, short: str, value: Any) -> Any:
    if short == "vxlan_port" or short == "vlan_protocol" or short == "br_vlan_protocol":
        return int(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _link_read(action: str, mtype: int, fields: dict, kw: dict) -> Request:
    attrs: list[tuple[str, Any]] = []
    filters: dict[str, Any] = {}
    if action == "get":
        name = _take(kw, "ifname")
        if name is not None:
            attrs.append(("ifname", name))
        alt = _take(kw, "altname", "alt_ifname")
        if alt is not None:
            attrs.append(("alt_ifname", alt))
        attrs.append(("ext_mask", C.RTEXT_FILTER_VF | C.RTEXT_FILTER_SKIP_STATS * 0))
        _check_left("link", kw)
        if not fields.get("index") and not name and not alt:
            raise ValueError("link get needs index= or ifname=")
    else:
        filters = kw  # e.g. ifname=, kind=, master=: filtered after the dump
    return Request(mtype, 0 if action == "dump" else 0, fields, attrs, action, filters)


# --- addresses --------------------------------------------------------------------


def addr_request(cmd: str, kw: dict) -> Request:
    kw = dict(kw)
    action, flags, mtype = _verb("addr", cmd)
    fields: dict[str, int] = {}
    index = _take(kw, "index", "ifindex")
    if index is not None:
        fields["index"] = int(index)
    family = _take(kw, "family")
    if action == "dump" or (action == "get"):
        if family:
            fields["family"] = family
        flt = {}
        if index is not None:
            flt["index"] = index
        flt.update(kw)
        return Request(mtype, 0, fields, [], "dump", flt)
    address = _take(kw, "address")
    local = _take(kw, "local")
    prefixlen = _take(kw, "prefixlen", "mask")
    if address is None and local is None:
        raise ValueError(f"addr {cmd} needs address=")
    base = address if address is not None else local
    ip, plen, fam = split_prefix(base, "address")
    if ip is None:
        raise ValueError(f"invalid address {base!r}")
    if plen is not None:
        prefixlen = plen
    if prefixlen is None:
        prefixlen = 32 if fam == C.AF_INET else 128
    if not isinstance(prefixlen, int) or not 0 <= prefixlen <= (32 if fam == C.AF_INET else 128):
        raise ValueError(f"invalid prefixlen {prefixlen!r}")
    if index is None:
        raise ValueError(f"addr {cmd} needs index=")
    fields.update(family=family or fam, prefixlen=prefixlen)
    attrs: list[tuple[str, Any]] = []
    if address is not None:
        attrs.append(("address", ip))
    if fam == C.AF_INET:
        attrs.append(("local", split_prefix(local, "local")[0] if local else ip))
    elif local is not None:
        attrs.append(("local", split_prefix(local, "local")[0]))
    brd = _take(kw, "broadcast", "brd")
    if brd is True or brd == "+":
        net = ipaddress.ip_network(f"{ip}/{prefixlen}", strict=False)
        if fam == C.AF_INET and prefixlen < 31:
            attrs.append(("broadcast", str(net.broadcast_address)))
    elif brd:
        attrs.append(("broadcast", split_prefix(brd, "broadcast")[0]))
    label = _take(kw, "label")
    if label is not None:
        attrs.append(("label", label))
    scope = _take(kw, "scope")
    if scope is not None:
        fields["scope"] = _named(scope, C.RT_SCOPE_NAMES, "scope")
    aflags = _take(kw, "flags", default=0)
    if isinstance(aflags, (list, tuple)):
        aflags = _flag_bits(aflags, C.IFA_F_NAMES, "address flag")
    if _take(kw, "nodad"):
        aflags |= C.IFA_F_NODAD
    if aflags:
        attrs.append(("flags", aflags))
    valid = _take(kw, "valid_lft")
    preferred = _take(kw, "preferred_lft")
    if valid is not None or preferred is not None:
        v = _lifetime(valid)
        p = _lifetime(preferred) if preferred is not None else v
        if p > v:
            raise ValueError("preferred_lft is greater than valid_lft")
        attrs.append(("cacheinfo", {"ifa_preferred": p, "ifa_valid": v}))
    metric = _take(kw, "metric", "priority")
    if metric is not None:
        attrs.append(("rt_priority", metric))
    _check_left("addr", kw)
    return Request(mtype, flags, fields, attrs, action)


def _lifetime(value: Any) -> int:
    if value is None or value == "forever":
        return C.INFINITY_LIFE_TIME
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"invalid lifetime {value!r}") from None
    if not 0 <= v <= C.INFINITY_LIFE_TIME:
        raise ValueError(f"invalid lifetime {value!r}")
    return v


def _flag_bits(names: Any, table: dict[int, str], what: str) -> int:
    bits = 0
    rev = {v: k for k, v in table.items()}
    for n in names:
        if n not in rev:
            raise ValueError(f"unknown {what} {n!r}")
        bits |= rev[n]
    return bits


# --- routes -----------------------------------------------------------------------

TABLE_NUMBERS = {v: k for k, v in C.TABLE_NAMES.items()}


def table_number(value: Any) -> int:
    if isinstance(value, str):
        if value in TABLE_NUMBERS:
            return TABLE_NUMBERS[value]
        try:
            value = int(value, 0)
        except ValueError:
            raise ValueError(f"unknown table {value!r}") from None
    if not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"invalid table {value!r}")
    return value


def route_request(cmd: str, kw: dict) -> Request:
    kw = dict(kw)
    action, flags, mtype = _verb("route", cmd)
    fields: dict[str, int] = {}
    attrs: list[tuple[str, Any]] = []
    family = _take(kw, "family")
    dst = _take(kw, "dst", "destination")
    dst_len = _take(kw, "dst_len")
    fam = C.AF_UNSPEC
    if dst is not None:
        ip, plen, fam = split_prefix(dst, "dst")
        if plen is None:
            plen = dst_len if dst_len is not None else (32 if fam == C.AF_INET else 128)
        dst_len = plen
        if ip is not None:
            attrs.append(("dst", ip))
    gateway = _take(kw, "gateway", "gw", "via")
    if gateway is not None:
        gip, _, gfam = split_prefix(gateway, "gateway")
        if fam and gfam != fam:
            attrs.append(("via", {"addr": gip}))
        else:
            attrs.append(("gateway", gip))
            fam = fam or gfam
    src = _take(kw, "src")
    src_len = _take(kw, "src_len")
    if src is not None:
        sip, splen, sfam = split_prefix(src, "src")
        attrs.append(("src", sip))
        src_len = splen if splen is not None else src_len
        fam = fam or sfam
    prefsrc = _take(kw, "prefsrc")
    if prefsrc is not None:
        pip, _, pfam = split_prefix(prefsrc, "prefsrc")
        attrs.append(("prefsrc", pip))
        fam = fam or pfam
    multipath = _take(kw, "multipath", "nexthops")
    if multipath:
        hops = []
        for hop in multipath:
            hop = dict(hop)
            entry: dict[str, Any] = {
                "oif": int(_take(hop, "oif", "index", default=0)),
                "hops": max(0, int(_take(hop, "hops", "weight", default=1)) - 1)
                if "weight" in hop else int(_take(hop, "hops", default=0)),
                "flags": int(_take(hop, "flags", default=0)),
            }
            hop_attrs = []
            gw = _take(hop, "gateway", "gw", "via")
            if gw is not None:
                gip, _, gfam = split_prefix(gw, "gateway")
                fam = fam or gfam
                if fam and gfam != fam:
                    hop_attrs.append(("via", {"addr": gip}))
                else:
                    hop_attrs.append(("gateway", gip))
            _check_left("nexthop", hop)
            entry["attrs"] = hop_attrs
            hops.append(entry)
        attrs.append(("multipath", hops))
    fields["family"] = family if family is not None else fam
    if dst_len is not None:
        fields["dst_len"] = dst_len
    if src_len:
        fields["src_len"] = src_len
    table = _take(kw, "table")
    rtype = _take(kw, "type")
    proto = _take(kw, "proto", "protocol")
    scope = _take(kw, "scope")
    if action in ("dump",):
        return _route_dump(mtype, fields, attrs, table, rtype, proto, scope, kw)
    if table is not None:
        t = table_number(table)
        fields["table"] = t if t < 256 else C.RT_TABLE_COMPAT
        attrs.append(("table", t))
    elif action != "get":
        fields["table"] = C.RT_TABLE_MAIN
    if action == "del":
        fields["scope"] = C.RT_SCOPE_NOWHERE if scope is None else _named(
            scope, C.RT_SCOPE_NAMES, "scope")
        if rtype is not None:
            fields["type"] = _named(rtype, C.RTN_NAMES, "route type")
        if proto is not None:
            fields["proto"] = _named(proto, C.RTPROT_NAMES, "protocol")
    elif action != "get":
        t = C.RTN_UNICAST if rtype is None else _named(rtype, C.RTN_NAMES, "route type")
        fields["type"] = t
        fields["proto"] = 3 if proto is None else _named(proto, C.RTPROT_NAMES, "protocol")
        if scope is None:
            if t in (2, 3, 10):  # local, broadcast, nat
                scope = C.RT_SCOPE_HOST
            elif t == C.RTN_UNICAST and gateway is None and not multipath:
                scope = C.RT_SCOPE_LINK if "oif" in kw or "index" in kw else 0
            else:
                scope = 0
        fields["scope"] = _named(scope, C.RT_SCOPE_NAMES, "scope")
    for key, attr in (("oif", "oif"), ("index", "oif"), ("iif", "iif"),
                      ("priority", "priority"), ("metric", "priority"), ("mark", "mark"),
                      ("uid", "uid"), ("nh_id", "nh_id"), ("expires", "expires"),
                      ("pref", "pref")):
        if key in kw:
            v = kw.pop(key)
            if v is not None:
                attrs.append((attr, v))
    for key in ("tos", "flags"):
        if key in kw:
            fields[key] = kw.pop(key)
    metrics = _take(kw, "metrics")
    if metrics:
        attrs.append(("metrics", list(metrics.items()) if isinstance(metrics, dict)
                      else metrics))
    if action == "get":
        fields.setdefault("dst_len", dst_len or 0)
    _check_left("route", kw)
    if action in ("new", "set") and dst is None and not fields.get("dst_len") and not attrs:
        raise ValueError("route needs dst=")
    return Request(mtype, flags, fields, attrs, action)


def _route_dump(mtype, fields, attrs, table, rtype, proto, scope, kw) -> Request:
    filters: dict[str, Any] = {}
    dump_attrs: list[tuple[str, Any]] = []
    hdr = {"family": fields.get("family", 0)}
    if table is not None:
        t = table_number(table)
        dump_attrs.append(("table", t))  # the kernel filters by table (strict dumps)
        filters["table"] = t
    if rtype is not None:
        hdr["type"] = _named(rtype, C.RTN_NAMES, "route type")
    if proto is not None:
        hdr["proto"] = _named(proto, C.RTPROT_NAMES, "protocol")
    if scope is not None:
        filters["scope"] = _named(scope, C.RT_SCOPE_NAMES, "scope")
    for name, value in attrs:
        filters[name] = value
    if "dst_len" in fields and any(a[0] == "dst" for a in attrs):
        filters["dst_len"] = fields["dst_len"]
    for key in ("oif", "index"):
        if key in kw:
            v = kw.pop(key)
            dump_attrs.append(("oif", v))
            filters["oif"] = v
    filters.update(kw)
    return Request(mtype, 0, hdr, dump_attrs, "dump", filters)


# --- neighbours -------------------------------------------------------------------

NUD_NUMBERS = {v.lower(): k for k, v in C.NUD_NAMES.items()}
NUD_NUMBERS["none"] = C.NUD_NONE


def nud_state(value: Any) -> int:
    if isinstance(value, str):
        key = value.lower()
        if key in NUD_NUMBERS:
            return NUD_NUMBERS[key]
        raise ValueError(f"unknown neighbour state {value!r} (one of "
                         f"{', '.join(sorted(NUD_NUMBERS))})")
    return int(value)


def neigh_request(cmd: str, kw: dict) -> Request:
    kw = dict(kw)
    action, flags, mtype = _verb("neigh", cmd)
    fields: dict[str, int] = {}
    attrs: list[tuple[str, Any]] = []
    index = _take(kw, "ifindex", "index")
    if index is not None:
        fields["ifindex"] = int(index)
    family = _take(kw, "family")
    dst = _take(kw, "dst")
    if dst is not None:
        ip, _, fam = split_prefix(dst, "dst")
        attrs.append(("dst", ip))
        family = family or fam
    if family:
        fields["family"] = family
    if action == "dump":
        flt = dict(kw)
        if index is not None:
            flt["ifindex"] = index
        if dst is not None:
            flt["dst"] = attrs[0][1]
        hdr_attrs = [("ifindex", index)] if index is not None else []
        return Request(mtype, 0, {"family": family or 0}, hdr_attrs, "dump", flt)
    lladdr = _take(kw, "lladdr")
    if lladdr is not None:
        attrs.append(("lladdr", lladdr))
    state = _take(kw, "state", "nud")
    if state is not None:
        fields["state"] = nud_state(state)
    elif action == "new":
        fields["state"] = 0x80  # permanent, as `ip neigh add` does
    nflags = _take(kw, "flags")
    if nflags is not None:
        fields["flags"] = nflags
    if _take(kw, "proxy"):
        fields["flags"] = fields.get("flags", 0) | 0x08
    _check_left("neigh", kw)
    if dst is None:
        raise ValueError(f"neigh {cmd} needs dst=")
    if index is None:
        raise ValueError(f"neigh {cmd} needs ifindex=")
    return Request(mtype, flags, fields, attrs, action)


# --- rules ------------------------------------------------------------------------

ACTIONS = {v: k for k, v in C.FR_ACT_NAMES.items()}


def rule_request(cmd: str, kw: dict) -> Request:
    kw = dict(kw)
    action, flags, mtype = _verb("rule", cmd)
    fields: dict[str, int] = {}
    attrs: list[tuple[str, Any]] = []
    family = _take(kw, "family")
    fam = 0
    for key, lenkey in (("src", "src_len"), ("dst", "dst_len")):
        value = _take(kw, key)
        given_len = _take(kw, lenkey)
        if value is not None:
            ip, plen, f = split_prefix(value, key)
            if ip is not None:
                attrs.append((key, ip))
                fam = fam or f
                fields[lenkey] = plen if plen is not None else (
                    given_len if given_len is not None else (32 if f == C.AF_INET else 128))
    fields["family"] = family if family is not None else (fam or C.AF_INET)
    if action == "dump":
        return Request(mtype, 0, {"family": family or 0}, [], "dump", {**kw})
    table = _take(kw, "table")
    if table is not None:
        t = table_number(table)
        fields["table"] = t if t < 256 else 0
        attrs.append(("table", t))
    act = _take(kw, "action")
    if act is not None:
        fields["action"] = ACTIONS[act] if isinstance(act, str) and act in ACTIONS else int(act)
    elif action != "del" or table is not None:
        fields["action"] = 1 if table is not None or action != "del" else 0
    if _take(kw, "invert", "not"):
        fields["flags"] = fields.get("flags", 0) | C.FIB_RULE_INVERT
    for key, attr in (("priority", "priority"), ("pref", "priority"), ("fwmark", "fwmark"),
                      ("fwmask", "fwmask"), ("iifname", "iifname"), ("iif", "iifname"),
                      ("oifname", "oifname"), ("oif", "oifname"), ("goto", "goto"),
                      ("suppress_prefixlength", "suppress_prefixlen"),
                      ("suppress_prefixlen", "suppress_prefixlen"),
                      ("suppress_ifgroup", "suppress_ifgroup"), ("flow", "flow"),
                      ("tos", None), ("l3mdev", "l3mdev"), ("protocol", "protocol"),
                      ("uid_range", "uid_range"), ("ipproto", "ip_proto")):
        if key in kw:
            v = kw.pop(key)
            if attr is None:
                fields[key] = v
            elif v is not None:
                attrs.append((attr, v))
    _check_left("rule", kw)
    return Request(mtype, flags, fields, attrs, action)


def ns_resolver(value: Any) -> int:
    """A namespace name or path -> an fd (the caller closes it)."""
    from . import netns

    return netns.open_ns_fd(value)


__all__ = ["Request", "link_request", "addr_request", "route_request", "neigh_request",
           "rule_request", "split_prefix", "table_number", "nud_state"]
