"""Link requests: ``IPRoute.link(cmd, **kw)`` keywords -> Request."""

from __future__ import annotations

from typing import Any

from ..codec import constants as C
from ..codec import link as link_tables
from .base import Request, check_left, take, uint, verb_of

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
_SLAVE_TABLES = {"bridge": link_tables.BRIDGE_PORT_DATA}
_STATES = {"up": True, "down": False}
# link keywords that are not IFLA_* names, and the attribute each one sets
_LINK_ALIASES = {"alias": "ifalias", "txqueuelen": "txqlen", "netns": "net_ns_fd",
                 "altname": "alt_ifname"}


def link_request(cmd: str, kw: dict, resolve_ns: Any = None) -> Request:
    """``resolve_ns(value) -> fd`` turns a namespace name/path into an fd (for net_ns_fd)."""
    kw = dict(kw)
    action, flags, mtype = verb_of("link", cmd)
    if action in ("dump", "get"):
        return _link_read(action, mtype, kw)
    fields: dict[str, int] = {}
    attrs: list[tuple[str, Any]] = []
    index = take(kw, "index", "ifindex")
    if index is not None:
        fields["index"] = uint(index, "index", 0x7FFFFFFF)
    family = take(kw, "family")
    if family is not None:
        fields["family"] = uint(family, "family", 255)
    state = take(kw, "state")
    if state is not None:
        if state not in _STATES:
            raise ValueError(f"invalid state {state!r} (up or down)")
        fields["change"] = C.IFF_UP
        if _STATES[state]:
            fields["flags"] = C.IFF_UP
    for hdr in ("flags", "change"):
        v = take(kw, hdr)
        if v is not None:
            fields[hdr] = fields.get(hdr, 0) | uint(v, hdr)

    kind = take(kw, "kind")
    peer = take(kw, "peer")
    slave_kind = take(kw, "slave_kind")
    info: list[tuple[str, Any]] = []
    data: list[tuple[str, Any]] = []
    slave_data: list[tuple[str, Any]] = []
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
    if slave_kind is not None:
        # a port's settings (ip's `type bridge_slave ...`): its master's kind, then the data
        table = _SLAVE_TABLES.get(slave_kind)
        if table is None:
            raise ValueError(f"invalid slave_kind {slave_kind!r} (one of "
                             f"{', '.join(_SLAVE_TABLES)})")
        info.append(("slave_kind", slave_kind))
        for key in list(kw):
            row = table.lookup(key) if isinstance(key, str) else None
            if row is not None:
                slave_data.append((row.short, _kind_value(row, kw.pop(key))))
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
    master = take(kw, "master")
    if master is not None:
        attrs.append(("master", uint(master, "master")))
    for key in list(kw):
        short = _LINK_ALIASES.get(key, key)
        row = link_tables.ATTRS.lookup(short) if isinstance(short, str) else None
        if row is None:
            continue
        attrs.append((row.short, kw.pop(key)))
    check_left("link", kw)
    if info:
        if data:
            info.append(("data", data))
        if slave_data:
            info.append(("slave_data", slave_data))
        attrs.append(("linkinfo", info))
    # without index or name, IFLA_GROUP selects every device of that group (ip's `group N`)
    if action in ("del", "set") and not fields.get("index") and not any(
            a[0] in ("ifname", "group") for a in attrs):
        raise ValueError(f"link {cmd} needs index=, ifname= or group=")
    return Request(mtype, flags, fields, attrs, action)


_PROP_TYPES = {"add": C.RTM_NEWLINKPROP, "del": C.RTM_DELLINKPROP}


def link_property_request(cmd: str, index: int, altnames: list[str]) -> Request:
    """RTM_NEWLINKPROP / RTM_DELLINKPROP: add or remove alternative names of a link."""
    if cmd not in _PROP_TYPES:
        raise ValueError(f"unknown link property command {cmd!r} (add or del)")
    fields = {"index": uint(index, "index", 0x7FFFFFFF)}
    # no names: an empty request the kernel acks (as ip sends it)
    attrs = [("prop_list", [("alt_ifname", name) for name in altnames])] if altnames else []
    flags = C.NLM_F_CREATE | C.NLM_F_EXCL if cmd == "add" else 0
    return Request(_PROP_TYPES[cmd], flags, fields, attrs, "new" if cmd == "add" else "del")


def _kind_value(row: Any, value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)  # on/off options are u8 in the kernel, not flags
    return value


def _link_read(action: str, mtype: int, kw: dict) -> Request:
    attrs: list[tuple[str, Any]] = []
    index = take(kw, "index", "ifindex")
    if action == "get":
        fields: dict[str, int] = {}
        if index is not None:
            fields["index"] = uint(index, "index", 0x7FFFFFFF)
        name = take(kw, "ifname")
        if name is not None:
            attrs.append(("ifname", name))
        alt = take(kw, "altname", "alt_ifname")
        if alt is not None:
            attrs.append(("alt_ifname", alt))
        attrs.append(("ext_mask", C.RTEXT_FILTER_VF))
        check_left("link", kw)
        if index is None and name is None and alt is None:
            raise ValueError("link get needs index= or ifname=")
        return Request(mtype, 0, fields, attrs, action)
    # a dump: the kernel filters by kind and master (strict checking); the header must
    # stay empty, so everything else is filtered here
    filters: dict[str, Any] = {}
    if index is not None:
        filters["index"] = index
    family = take(kw, "family")
    state = take(kw, "state")
    if state is not None:
        if state not in _STATES:
            raise ValueError(f"invalid state {state!r} (up or down)")
        up = _STATES[state]
        filters["flags"] = lambda f: f is not None and bool(f & C.IFF_UP) == up
    kind = take(kw, "kind")
    if kind is not None:
        attrs.append(("linkinfo", [("kind", kind)]))
        filters[("linkinfo", "kind")] = kind
    master = take(kw, "master")
    if master is not None:
        master = uint(master, "master")
        if master:
            attrs.append(("master", master))
            filters["master"] = master
        else:
            filters["master"] = lambda m: not m  # master=0: links without a master
    for key, value in kw.items():
        if not isinstance(key, str):
            raise ValueError(f"invalid link filter {key!r}")
        filters[_LINK_ALIASES.get(key, key)] = value
    fields = {"family": uint(family, "family", 255)} if family else {}
    return Request(mtype, 0, fields, attrs, action, filters)
