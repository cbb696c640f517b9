"""Keyword arguments (pyroute2 style) -> rtnetlink requests.

Each ``*_request`` function turns ``(cmd, **kw)`` into a ``Request``: the message type,
the header flags, the fixed-header fields and the attributes. Nothing here does I/O;
the caller (IPRoute) sends it as a single request, a dump, or part of a bulk batch.
Unknown keywords and bad values raise ValueError naming them.

``fast_route`` encodes the common route requests straight to bytes (bulk adds of
100,000 routes); it gives exactly the bytes the general path would, or None to say
"use the general path".
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from .codec import constants as C
from .codec import link as link_tables

F_CREATE = C.NLM_F_CREATE | C.NLM_F_EXCL
F_REPLACE = C.NLM_F_CREATE | C.NLM_F_REPLACE

# verb -> (action, extra header flags); the actions 'dump' and 'get' read
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


class Request:
    """One translated request. ``filters`` are applied to dump results client-side."""

    __slots__ = ("msg_type", "flags", "fields", "attrs", "action", "filters")

    def __init__(self, msg_type: int, flags: int, fields: dict | None = None,
                 attrs: list | None = None, action: str = "new",
                 filters: dict | None = None) -> None:
        self.msg_type = msg_type
        self.flags = flags
        self.fields = {} if fields is None else fields
        self.attrs = [] if attrs is None else attrs
        self.action = action  # new | set | del | get | dump
        self.filters = {} if filters is None else filters

    def as_tuple(self) -> tuple[int, int, dict, list]:
        return self.msg_type, self.flags, self.fields, self.attrs

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Request):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __repr__(self) -> str:
        return (f"Request({C.MESSAGE_NAMES.get(self.msg_type, self.msg_type)}, "
                f"flags={self.flags:#x}, fields={self.fields}, attrs={self.attrs}, "
                f"action={self.action!r}, filters={self.filters})")


def _verb(obj: str, cmd: Any) -> tuple[str, int, int]:
    if not isinstance(cmd, str) or cmd not in VERBS:
        raise ValueError(f"unknown {obj} command {cmd!r} (one of {', '.join(VERBS)})")
    action, flags = VERBS[cmd]
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
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise ValueError(f"invalid {what} {value!r}")
    return value


def _uint(value: Any, what: str, limit: int = 0xFFFFFFFF) -> int:
    """A non-negative integer (ints or digit strings, as the codec's encoders take)."""
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"invalid {what} {value!r}") from None
    if isinstance(value, bool) or isinstance(value, float) or not 0 <= v <= limit:
        raise ValueError(f"invalid {what} {value!r}")
    return v


def family_of(addr: str) -> int:
    return C.AF_INET6 if ":" in addr else C.AF_INET


def ip_bytes(addr: Any, what: str = "address") -> tuple[bytes, int]:
    """'192.0.2.1' / '2001:db8::1' -> (packed bytes, family); ValueError naming ``what``."""
    if not isinstance(addr, str):
        raise ValueError(f"invalid {what} {addr!r}")
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    try:
        return socket.inet_pton(fam, addr), fam
    except (OSError, ValueError):
        raise ValueError(f"invalid {what} {addr!r}") from None


def split_prefix(value: Any, what: str) -> tuple[str | None, int | None, int]:
    """'10.0.0.0/8' -> ('10.0.0.0', 8, AF_INET); 'default' -> (None, 0, AF_UNSPEC).

    Addresses come back in the kernel's spelling (compressed IPv6), so they compare
    equal to what dumps return.
    """
    if not isinstance(value, str):
        raise ValueError(f"invalid {what} {value!r}")
    if value in ("default", "any", "all"):
        return None, 0, C.AF_UNSPEC
    addr, slash, plen = value.partition("/")
    raw, fam = ip_bytes(addr, what)
    if slash:
        if not plen.isdigit() or int(plen) > len(raw) * 8:
            raise ValueError(f"invalid prefix length in {what} {value!r}")
        return socket.inet_ntop(fam, raw), int(plen), fam
    return socket.inet_ntop(fam, raw), None, fam


def _take(kw: dict, *names: str, default: Any = None) -> Any:
    """Pop the first of several spellings of one keyword (all spellings are removed)."""
    value = default
    found = False
    for name in names:
        if name in kw:
            v = kw.pop(name)
            if not found:
                value, found = v, True
    return value


def _check_left(obj: str, kw: dict) -> None:
    if kw:
        raise ValueError(f"unknown {obj} keyword(s): {', '.join(sorted(map(str, kw)))}")


# --- links ------------------------------------------------------------------------

# kind -> its IFLA_INFO_DATA table: keyword 'vxlan_id' is that table's 'vxlan_id' row
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
_STATES = {"up": True, "down": False}
# link keywords that are not IFLA_* names, and the attribute each one sets
_LINK_ALIASES = {"alias": "ifalias", "txqueuelen": "txqlen", "netns": "net_ns_fd",
                 "altname": "alt_ifname"}


def link_request(cmd: str, kw: dict, resolve_ns: Any = None) -> Request:
    """``resolve_ns(value) -> fd`` turns a namespace name/path into an fd (for net_ns_fd)."""
    kw = dict(kw)
    action, flags, mtype = _verb("link", cmd)
    if action in ("dump", "get"):
        return _link_read(action, mtype, kw)
    fields: dict[str, int] = {}
    attrs: list[tuple[str, Any]] = []
    index = _take(kw, "index", "ifindex")
    if index is not None:
        fields["index"] = _uint(index, "index", 0x7FFFFFFF)
    family = _take(kw, "family")
    if family is not None:
        fields["family"] = _uint(family, "family", 255)
    state = _take(kw, "state")
    if state is not None:
        if state not in _STATES:
            raise ValueError(f"invalid state {state!r} (up or down)")
        fields["change"] = C.IFF_UP
        if _STATES[state]:
            fields["flags"] = C.IFF_UP
    for hdr in ("flags", "change"):
        v = _take(kw, hdr)
        if v is not None:
            fields[hdr] = fields.get(hdr, 0) | _uint(v, hdr)

    kind = _take(kw, "kind")
    peer = _take(kw, "peer")
    info: list[tuple[str, Any]] = []
    data: list[tuple[str, Any]] = []
    if kind is not None:
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"invalid kind {kind!r}")
        info.append(("kind", kind))
        table = _KIND_TABLES.get(kind)
        if table is not None:
            for key in list(kw):
                row = table.lookup(key) if isinstance(key, str) else None
                if row is not None:
                    data.append((row.short, _kind_value(row, kw.pop(key))))
        if kind == "veth" and peer is not None:
            if isinstance(peer, str):
                peer_kw = {"ifname": peer}
            elif isinstance(peer, dict):
                peer_kw = dict(peer)
            else:
                raise ValueError(f"invalid peer {peer!r} (a name or a dict of link keywords)")
            peer_req = link_request("add", peer_kw, resolve_ns)
            data.append(("peer", {**peer_req.fields, "attrs": peer_req.attrs}))
    elif peer is not None:
        raise ValueError("'peer' needs kind='veth'")
    for key in ("net_ns_fd", "netns"):
        if key in kw:
            value = kw.pop(key)
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise ValueError(f"invalid {key} {value!r} (a namespace name, path or fd)")
            if isinstance(value, str):
                if resolve_ns is None:
                    raise ValueError(f"cannot resolve namespace {value!r}")
                value = resolve_ns(value)
            attrs.append(("net_ns_fd", value))
    master = _take(kw, "master")
    if master is not None:
        attrs.append(("master", _uint(master, "master")))
    for key in list(kw):
        short = _LINK_ALIASES.get(key, key)
        row = link_tables.ATTRS.lookup(short) if isinstance(short, str) else None
        if row is None:
            continue
        attrs.append((row.short, kw.pop(key)))
    _check_left("link", kw)
    if info:
        if data:
            info.append(("data", data))
        attrs.append(("linkinfo", info))
    if action in ("del", "set") and not fields.get("index") and not any(
            a[0] == "ifname" for a in attrs):
        raise ValueError(f"link {cmd} needs index= or ifname=")
    return Request(mtype, flags, fields, attrs, action)


def _kind_value(row: Any, value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)  # on/off options are u8 in the kernel, not flags
    return value


def _link_read(action: str, mtype: int, kw: dict) -> Request:
    attrs: list[tuple[str, Any]] = []
    index = _take(kw, "index", "ifindex")
    if action == "get":
        fields: dict[str, int] = {}
        if index is not None:
            fields["index"] = _uint(index, "index", 0x7FFFFFFF)
        name = _take(kw, "ifname")
        if name is not None:
            attrs.append(("ifname", name))
        alt = _take(kw, "altname", "alt_ifname")
        if alt is not None:
            attrs.append(("alt_ifname", alt))
        attrs.append(("ext_mask", C.RTEXT_FILTER_VF))
        _check_left("link", kw)
        if not fields.get("index") and name is None and alt is None:
            raise ValueError("link get needs index= or ifname=")
        return Request(mtype, 0, fields, attrs, action)
    # a dump: the kernel filters by kind and master (strict checking); the header must
    # stay empty, so everything else is filtered here
    filters: dict[str, Any] = {}
    if index is not None:
        filters["index"] = index
    family = _take(kw, "family")
    state = _take(kw, "state")
    if state is not None:
        if state not in _STATES:
            raise ValueError(f"invalid state {state!r} (up or down)")
        up = _STATES[state]
        filters["flags"] = lambda f: f is not None and bool(f & C.IFF_UP) == up
    kind = _take(kw, "kind")
    if kind is not None:
        attrs.append(("linkinfo", [("kind", kind)]))
        filters[("linkinfo", "kind")] = kind
    master = _take(kw, "master")
    if master is not None:
        master = _uint(master, "master")
        if master:
            attrs.append(("master", master))
            filters["master"] = master
        else:
            filters["master"] = lambda m: not m  # master=0: links without a master
    for key, value in kw.items():
        if not isinstance(key, str):
            raise ValueError(f"invalid link filter {key!r}")
        filters[_LINK_ALIASES.get(key, key)] = value
    fields = {"family": _uint(family, "family", 255)} if family else {}
    return Request(mtype, 0, fields, attrs, action, filters)


# --- addresses --------------------------------------------------------------------


def _ipv4_broadcast(raw: bytes, prefixlen: int) -> str:
    host_bits = (1 << (32 - prefixlen)) - 1
    return socket.inet_ntoa((int.from_bytes(raw, "big") | host_bits).to_bytes(4, "big"))


def addr_request(cmd: str, kw: dict) -> Request:
    kw = dict(kw)
    action, flags, mtype = _verb("addr", cmd)
    fields: dict[str, int] = {}
    index = _take(kw, "index", "ifindex")
    if index is not None:
        fields["index"] = _uint(index, "index", 0x7FFFFFFF)
    family = _take(kw, "family")
    if family is not None:
        family = _uint(family, "family", 255)
    if action in ("dump", "get"):
        return _addr_dump(mtype, fields, family, kw)
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
    maxlen = 32 if fam == C.AF_INET else 128
    if prefixlen is None:
        prefixlen = maxlen
    if isinstance(prefixlen, bool) or not isinstance(prefixlen, int) or \
            not 0 <= prefixlen <= maxlen:
        raise ValueError(f"invalid prefixlen {prefixlen!r}")
    if index is None:
        raise ValueError(f"addr {cmd} needs index=")
    fields.update(family=family or fam, prefixlen=prefixlen)
    attrs: list[tuple[str, Any]] = []
    if address is not None:
        attrs.append(("address", ip))
    if local is not None:
        attrs.append(("local", split_prefix(local, "local")[0]))
    elif fam == C.AF_INET:
        attrs.append(("local", ip))
    brd = _take(kw, "broadcast", "brd")
    if brd is True or brd == "+":
        if fam != C.AF_INET:
            raise ValueError("broadcast is for IPv4 addresses")
        if prefixlen < 31:
            attrs.append(("broadcast", _ipv4_broadcast(ip_bytes(ip)[0], prefixlen)))
    elif brd:
        attrs.append(("broadcast", split_prefix(brd, "broadcast")[0]))
    label = _take(kw, "label")
    if label is not None:
        if not isinstance(label, str):
            raise ValueError(f"invalid label {label!r}")
        attrs.append(("label", label))
    scope = _take(kw, "scope")
    if scope is not None:
        fields["scope"] = _named(scope, C.RT_SCOPE_NAMES, "scope")
    aflags = _take(kw, "flags", default=0)
    if isinstance(aflags, (list, tuple)):
        aflags = _flag_bits(aflags, C.IFA_F_NAMES, "address flag")
    else:
        aflags = _uint(aflags, "address flags")
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
        attrs.append(("rt_priority", _uint(metric, "metric")))
    _check_left("addr", kw)
    return Request(mtype, flags, fields, attrs, action)


def _addr_dump(mtype: int, fields: dict, family: int | None, kw: dict) -> Request:
    # the kernel filters by family and index; the rest is filtered here
    if family:
        fields["family"] = family
    filters: dict[str, Any] = {}
    if "index" in fields:
        filters["index"] = fields["index"]
    for key in ("address", "local", "broadcast"):
        value = _take(kw, key)
        if value is not None:
            ip, plen, _fam = split_prefix(value, key)
            filters[key] = ip
            if plen is not None:
                filters["prefixlen"] = plen
    prefixlen = _take(kw, "prefixlen", "mask")
    if prefixlen is not None:
        filters["prefixlen"] = prefixlen
    scope = _take(kw, "scope")
    if scope is not None:
        filters["scope"] = _named(scope, C.RT_SCOPE_NAMES, "scope")
    for key, value in kw.items():
        if not isinstance(key, str):
            raise ValueError(f"invalid address filter {key!r}")
        filters[key] = value
    return Request(mtype, 0, fields, [], "dump", filters)


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
# route types whose default scope is not 'global' (as iproute2 chooses them)
_TYPE_SCOPES = {2: C.RT_SCOPE_HOST, 10: C.RT_SCOPE_HOST,  # local, nat
                3: C.RT_SCOPE_LINK, 4: C.RT_SCOPE_LINK, 5: C.RT_SCOPE_LINK}  # brd, any, mcast
# keyword -> RTA_* attribute, in the order the attributes are packed
_ROUTE_ATTRS = (("oif", "oif"), ("index", "oif"), ("iif", "iif"), ("priority", "priority"),
                ("metric", "priority"), ("mark", "mark"), ("uid", "uid"), ("nh_id", "nh_id"),
                ("expires", "expires"), ("pref", "pref"))


def table_number(value: Any) -> int:
    if isinstance(value, str):
        if value in TABLE_NUMBERS:
            return TABLE_NUMBERS[value]
        try:
            value = int(value, 0)
        except ValueError:
            raise ValueError(f"unknown table {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"invalid table {value!r}")
    return value


def route_request(cmd: str, kw: dict) -> Request:
    kw = dict(kw)
    action, flags, mtype = _verb("route", cmd)
    fields: dict[str, int] = {}
    attrs: list[tuple[str, Any]] = []
    family = _take(kw, "family")
    if family is not None:
        family = _uint(family, "family", 255)
    dst = _take(kw, "dst", "destination")
    dst_len = _take(kw, "dst_len")
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
        dst_len = _uint(dst_len, "dst_len", 128)
    gateway = _take(kw, "gateway", "gw", "via")
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
        hops, fam = _nexthops(multipath, fam)
        attrs.append(("multipath", hops))
    fields["family"] = family if family is not None else fam
    if dst_len is not None:
        fields["dst_len"] = dst_len
    if src_len:
        fields["src_len"] = _uint(src_len, "src_len", 128)
    table = _take(kw, "table")
    rtype = _take(kw, "type")
    proto = _take(kw, "proto", "protocol")
    scope = _take(kw, "scope")
    if action == "dump":
        return _route_dump(mtype, fields, attrs, table, rtype, proto, scope, dst, kw)
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
            if t in _TYPE_SCOPES:
                scope = _TYPE_SCOPES[t]
            elif t == C.RTN_UNICAST and gateway is None and not multipath:
                # a route straight onto a device (iproute2 does the same)
                scope = C.RT_SCOPE_LINK if ("oif" in kw or "index" in kw) else 0
            else:
                scope = 0
        fields["scope"] = _named(scope, C.RT_SCOPE_NAMES, "scope")
    elif rtype is not None or proto is not None or scope is not None:
        raise ValueError("route get takes no type=, proto= or scope=")
    for key, attr in _ROUTE_ATTRS:
        if key in kw:
            v = kw.pop(key)
            if v is not None:
                attrs.append((attr, _uint(v, key, 255 if attr == "pref" else 0xFFFFFFFF)))
    for key in ("tos", "flags"):
        if key in kw:
            fields[key] = _uint(kw.pop(key), key, 255 if key == "tos" else 0xFFFFFFFF)
    metrics = _take(kw, "metrics")
    if metrics:
        if isinstance(metrics, dict):
            metrics = list(metrics.items())
        attrs.append(("metrics", metrics))
    if action == "get":
        fields.setdefault("dst_len", dst_len or 0)
    _check_left("route", kw)
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
            hop["hops"] = _uint(hop.pop("weight"), "weight", 256) - 1  # hops = weight - 1
        entry: dict[str, Any] = {
            "oif": _uint(_take(hop, "oif", "index", default=0), "oif"),
            "hops": _uint(_take(hop, "hops", default=0), "hops", 255),
            "flags": _uint(_take(hop, "flags", default=0), "flags", 255),
        }
        hop_attrs = []
        gw = _take(hop, "gateway", "gw", "via")
        if gw is not None:
            gip, _, gfam = split_prefix(gw, "gateway")
            fam = fam or gfam
            if gfam != fam:
                hop_attrs.append(("via", {"addr": gip}))
            else:
                hop_attrs.append(("gateway", gip))
        _check_left("nexthop", hop)
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
        hdr["type"] = _named(rtype, C.RTN_NAMES, "route type")
    if proto is not None:
        hdr["proto"] = _named(proto, C.RTPROT_NAMES, "protocol")
    if scope is not None:
        filters["scope"] = _named(scope, C.RT_SCOPE_NAMES, "scope")
    for name, value in attrs:
        if name != "multipath":
            filters[name] = value
    if dst is not None:
        filters["dst_len"] = fields.get("dst_len", 0)
        if not any(a[0] == "dst" for a in attrs):
            filters["dst"] = lambda v: v is None  # 'default'
    for key in ("oif", "index"):
        if key in kw:
            v = _uint(kw.pop(key), key)
            dump_attrs.append(("oif", v))
            filters["oif"] = v
    for key, value in kw.items():
        if not isinstance(key, str):
            raise ValueError(f"invalid route filter {key!r}")
        filters["priority" if key == "metric" else key] = value
    return Request(mtype, 0, hdr, dump_attrs, "dump", filters)


# the common route requests, packed directly (see fast_route)
_RTMSG = struct.Struct("=IHHIIBBBBBBBBI")  # nlmsghdr + rtmsg
_ATTR_U32 = struct.Struct("=HHI")
_ATTR_HDR = struct.Struct("=HH")
_DST4 = _ATTR_HDR.pack(8, 1)  # RTA_DST headers
_DST6 = _ATTR_HDR.pack(20, 1)
_FAST_ROUTE_KEYS = frozenset(("dst", "oif", "index", "gateway", "table", "priority",
                              "metric"))
# verb -> (message type, header flags, proto, type, scope without a gateway, with one)
_FAST_ROUTE_VERBS = {
    cmd: ((C.RTM_DELROUTE, VERBS[cmd][1] | C.NLM_F_REQUEST, 0, 0, C.RT_SCOPE_NOWHERE,
           C.RT_SCOPE_NOWHERE) if VERBS[cmd][0] == "del" else
          (C.RTM_NEWROUTE, VERBS[cmd][1] | C.NLM_F_REQUEST, 3, C.RTN_UNICAST,
           C.RT_SCOPE_LINK, C.RT_SCOPE_UNIVERSE))
    for cmd in ("add", "replace", "append", "change", "prepend", "del", "delete", "remove")
}
_inet_pton = socket.inet_pton
_AF4, _AF6 = socket.AF_INET, socket.AF_INET6
_MAIN, _COMPAT = C.RT_TABLE_MAIN, C.RT_TABLE_COMPAT


def _fast_ip(text: Any) -> tuple[bytes, int] | None:
    if type(text) is not str:
        return None
    try:
        if ":" in text:
            return _inet_pton(_AF6, text), C.AF_INET6
        return _inet_pton(_AF4, text), C.AF_INET
    except OSError:
        return None


def _u32_attr(atype: int, v: Any) -> bytes | None:
    if type(v) is not int or not 0 <= v <= 0xFFFFFFFF:
        return None
    return _ATTR_U32.pack(8, atype, v)


def fast_route(cmd: str, kw: dict) -> bytes | None:
    """The request for route add/replace/append/change/del with only dst (a prefix
    string), oif, gateway (same family), table, priority, as one encoded message with seq
    0, NLM_F_REQUEST set; None when the keywords need the general path. The bytes equal
    ``encode(*route_request(cmd, kw).as_tuple())`` with NLM_F_REQUEST added."""
    verb = _FAST_ROUTE_VERBS.get(cmd)
    if verb is None or not _FAST_ROUTE_KEYS.issuperset(kw) or None in kw.values():
        return None
    dst = kw.get("dst")
    if type(dst) is not str:
        return None
    addr, _, plen = dst.partition("/")
    try:
        if ":" in addr:
            raw, fam, maxlen, body = _inet_pton(_AF6, addr), C.AF_INET6, 128, _DST6
        else:
            raw, fam, maxlen, body = _inet_pton(_AF4, addr), C.AF_INET, 32, _DST4
    except OSError:
        return None
    if plen:
        if not plen.isdigit():
            return None
        dst_len = int(plen)
        if dst_len > maxlen:
            return None
    else:
        dst_len = maxlen
    body += raw
    gateway = kw.get("gateway")
    if gateway is not None:
        got = _fast_ip(gateway)
        if got is None or got[1] != fam:
            return None
        body += _ATTR_HDR.pack(4 + len(got[0]), 5) + got[0]
    table = kw.get("table")
    hdr_table = _MAIN
    if table is not None:
        attr = _u32_attr(15, table)
        if attr is None:
            return None
        hdr_table = table if table < 256 else _COMPAT
        body += attr
    if "index" in kw:
        if "oif" in kw:
            return None  # both: the general path packs both
        oif = kw["index"]
    else:
        oif = kw.get("oif")
    if oif is not None:
        attr = _u32_attr(4, oif)
        if attr is None:
            return None
        body += attr
    prio = kw.get("priority")
    if "metric" in kw:
        if prio is not None:
            return None
        prio = kw["metric"]
    if prio is not None:
        attr = _u32_attr(6, prio)
        if attr is None:
            return None
        body += attr
    mtype, flags, proto, rtype, scope, gw_scope = verb
    if gateway is not None or oif is None:
        scope = gw_scope
    return _RTMSG.pack(28 + len(body), mtype, flags, 0, 0, fam, dst_len, 0, 0, hdr_table,
                       proto, scope, rtype, 0) + body


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
    return _uint(value, "neighbour state", 0xFFFF)


def neigh_request(cmd: str, kw: dict) -> Request:
    kw = dict(kw)
    action, flags, mtype = _verb("neigh", cmd)
    fields: dict[str, int] = {}
    attrs: list[tuple[str, Any]] = []
    index = _take(kw, "ifindex", "index")
    if index is not None:
        index = _uint(index, "ifindex", 0x7FFFFFFF)
        fields["ifindex"] = index
    family = _take(kw, "family")
    if family is not None:
        family = _uint(family, "family", 255)
    dst = _take(kw, "dst")
    if dst is not None:
        ip, _, fam = split_prefix(dst, "dst")
        if ip is None:
            raise ValueError(f"invalid dst {dst!r}")
        attrs.append(("dst", ip))
        family = family or fam
    if family:
        fields["family"] = family
    if action == "dump":
        # strict dumps: the header stays empty; the kernel filters by NDA_IFINDEX
        filters: dict[str, Any] = {}
        if index is not None:
            filters["ifindex"] = index
        if dst is not None:
            filters["dst"] = attrs[0][1]
        for key, value in kw.items():
            if not isinstance(key, str):
                raise ValueError(f"invalid neighbour filter {key!r}")
            filters[key] = nud_state(value) if key == "state" else value
        dump_attrs = [("ifindex", index)] if index is not None else []
        return Request(mtype, 0, {"family": family or 0}, dump_attrs, "dump", filters)
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
        fields["flags"] = _uint(nflags, "flags", 255)
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
    kw = dict(kw)
    action, flags, mtype = _verb("rule", cmd)
    fields: dict[str, int] = {}
    attrs: list[tuple[str, Any]] = []
    family = _take(kw, "family")
    if family is not None:
        family = _uint(family, "family", 255)
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
                    _uint(given_len, lenkey, 128) if given_len is not None
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
    table = _take(kw, "table")
    if table is not None:
        t = table_number(table)
        fields["table"] = t if t < 256 else 0
        attrs.append(("table", t))
    act = _take(kw, "action")
    if act is not None:
        if isinstance(act, str) and act in ACTIONS:
            fields["action"] = ACTIONS[act]
        else:
            fields["action"] = _named(act, C.FR_ACT_NAMES, "rule action")
    elif action != "del":
        fields["action"] = 2 if "goto" in kw else 1  # FR_ACT_GOTO / FR_ACT_TO_TBL
        if table is None and "goto" not in kw:
            fields["table"] = C.RT_TABLE_MAIN  # `ip rule add` without a table: main
    elif table is not None:
        fields["action"] = 1
    if _take(kw, "invert", "not"):
        fields["flags"] = fields.get("flags", 0) | C.FIB_RULE_INVERT
    for key, attr in _RULE_ATTRS:
        if key in kw:
            v = kw.pop(key)
            if attr is None:
                fields[key] = _uint(v, key, 255)
            elif v is not None:
                attrs.append((attr, v))
    _check_left("rule", kw)
    return Request(mtype, flags, fields, attrs, action)


def ns_resolver(value: Any) -> int:
    """A namespace name or path -> an fd (the caller closes it)."""
    from . import netns

    return netns.open_ns_fd(value)


__all__ = ["Request", "link_request", "addr_request", "route_request", "neigh_request",
           "rule_request", "fast_route", "split_prefix", "ip_bytes", "table_number",
           "nud_state"]
