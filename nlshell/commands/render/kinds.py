"""`linkinfo.info_data` / `info_slave_data` per link kind, with ip's keys and formats (-d).

A kind is a list of rows ``(ATTRIBUTE, json_key, format)`` read in ip's order, or a function
for kinds whose output depends on several attributes at once. Kinds without an entry
(veth, ifb, and those this renderer does not decode: vlan, bond, vrf, ...) get no
``info_data``, which for veth and ifb is also what ip prints.
"""

from __future__ import annotations

from nlshell.engine.codec.constants import MACVLAN_MODES

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Fmt = Callable[[Any, Any], Any]  # (value, ctx) -> JSON value
    Rows = list[tuple[str, str, Fmt]]



def _hex(v: int, ctx: Any = None) -> str:
    return f"{v:#x}" if v else "0"  # C's %#llx: "0" for zero, "0x.." otherwise


def _bool(v: int, ctx: Any = None) -> bool:
    return bool(v)


def _int(v: int, ctx: Any = None) -> int:
    return v


def _timer(v: int, ctx: Any = None) -> float:
    # centiseconds printed by ip as "%i.%.2i": keep exactly two decimals
    return float(f"{v // 100}.{v % 100:02d}")


def _mac(v: str, ctx: Any = None) -> str:
    return v


def bridge_id(raw: bytes) -> str:
    """struct ifla_bridge_id -> '8000.aa:bb:..' (the MAC without leading zeros, as ip)."""
    if len(raw) < 8:
        return raw.hex()
    return f"{raw[0]:02x}{raw[1]:02x}." + ":".join(f"{b:x}" for b in raw[2:8])


def _bridge_id(v: bytes, ctx: Any = None) -> str:
    return bridge_id(v)


def _ifname(v: int, ctx: Any) -> str:
    return ctx.ifname(v)


_VLAN_PROTOS = {0x8100: "802.1Q", 0x88A8: "802.1ad"}


def _vlan_proto(v: int, ctx: Any = None) -> str:
    return _VLAN_PROTOS.get(v, f"[{v}]")


_PORT_STATES = ("disabled", "listening", "learning", "forwarding", "blocking")
_FWD_MASK_NAMES = {0: "stp", 2: "lacp", 14: "lldp"}


def _fwd_mask_str(mask: int) -> str:
    parts = [_FWD_MASK_NAMES.get(i, f"0x{1 << i:x}") for i in range(16) if mask >> i & 1]
    return ",".join(parts) or "0x0"


BRIDGE: Rows = [
    ("FORWARD_DELAY", "forward_delay", _int), ("HELLO_TIME", "hello_time", _int),
    ("MAX_AGE", "max_age", _int), ("AGEING_TIME", "ageing_time", _int),
    ("STP_STATE", "stp_state", _int), ("PRIORITY", "priority", _int),
    ("VLAN_FILTERING", "vlan_filtering", _int), ("VLAN_PROTOCOL", "vlan_protocol", _vlan_proto),
    ("BRIDGE_ID", "bridge_id", _bridge_id),
    ("ROOT_ID", "root_id", _bridge_id),  # see _bridge: ip 6.1 prints the bridge id here
    ("ROOT_PORT", "root_port", _int), ("ROOT_PATH_COST", "root_path_cost", _int),
    ("TOPOLOGY_CHANGE", "topology_change", _int),
    ("TOPOLOGY_CHANGE_DETECTED", "topology_change_detected", _int),
    ("HELLO_TIMER", "hello_timer", _timer), ("TCN_TIMER", "tcn_timer", _timer),
    ("TOPOLOGY_CHANGE_TIMER", "topology_change_timer", _timer),
    ("GC_TIMER", "gc_timer", _timer),
    ("VLAN_DEFAULT_PVID", "vlan_default_pvid", _int),
    ("VLAN_STATS_ENABLED", "vlan_stats_enabled", _int),
    ("VLAN_STATS_PER_PORT", "vlan_stats_per_port", _int),
    ("GROUP_FWD_MASK", "group_fwd_mask", _hex), ("GROUP_ADDR", "group_addr", _mac),
    ("MCAST_SNOOPING", "mcast_snooping", _int),
    ("MULTI_BOOLOPT", "", _int),  # handled in _bridge
    ("MCAST_ROUTER", "mcast_router", _int),
    ("MCAST_QUERY_USE_IFADDR", "mcast_query_use_ifaddr", _int),
    ("MCAST_QUERIER", "mcast_querier", _int),
    ("MCAST_HASH_ELASTICITY", "mcast_hash_elasticity", _int),
    ("MCAST_HASH_MAX", "mcast_hash_max", _int),
    ("MCAST_LAST_MEMBER_CNT", "mcast_last_member_cnt", _int),
    ("MCAST_STARTUP_QUERY_CNT", "mcast_startup_query_cnt", _int),
    ("MCAST_LAST_MEMBER_INTVL", "mcast_last_member_intvl", _int),
    ("MCAST_MEMBERSHIP_INTVL", "mcast_membership_intvl", _int),
    ("MCAST_QUERIER_INTVL", "mcast_querier_intvl", _int),
    ("MCAST_QUERY_INTVL", "mcast_query_intvl", _int),
    ("MCAST_QUERY_RESPONSE_INTVL", "mcast_query_response_intvl", _int),
    ("MCAST_STARTUP_QUERY_INTVL", "mcast_startup_query_intvl", _int),
    ("MCAST_STATS_ENABLED", "mcast_stats_enabled", _int),
    ("MCAST_IGMP_VERSION", "mcast_igmp_version", _int),
    ("MCAST_MLD_VERSION", "mcast_mld_version", _int),
    ("NF_CALL_IPTABLES", "nf_call_iptables", _int),
    ("NF_CALL_IP6TABLES", "nf_call_ip6tables", _int),
    ("NF_CALL_ARPTABLES", "nf_call_arptables", _int),
]

BRIDGE_SLAVE: Rows = [
    ("STATE", "state", _int),  # handled in _bridge_slave
    ("PRIORITY", "priority", _int), ("COST", "cost", _int), ("MODE", "hairpin", _bool),
    ("GUARD", "guard", _bool), ("PROTECT", "root_block", _bool),
    ("FAST_LEAVE", "fastleave", _bool), ("LEARNING", "learning", _bool),
    ("UNICAST_FLOOD", "flood", _bool), ("ID", "id", _hex), ("NO", "no", _hex),
    ("DESIGNATED_PORT", "designated_port", _int),
    ("DESIGNATED_COST", "designated_cost", _int),
    ("BRIDGE_ID", "bridge_id", _bridge_id), ("ROOT_ID", "root_id", _bridge_id),
    ("HOLD_TIMER", "hold_timer", _timer), ("MESSAGE_AGE_TIMER", "message_age_timer", _timer),
    ("FORWARD_DELAY_TIMER", "forward_delay_timer", _timer),
    ("TOPOLOGY_CHANGE_ACK", "topology_change_ack", _int),
    ("CONFIG_PENDING", "config_pending", _int), ("PROXYARP", "proxy_arp", _bool),
    ("PROXYARP_WIFI", "proxy_arp_wifi", _bool),
    ("MULTICAST_ROUTER", "multicast_router", _int), ("MCAST_FLOOD", "mcast_flood", _bool),
    ("BCAST_FLOOD", "bcast_flood", _bool), ("MCAST_TO_UCAST", "mcast_to_unicast", _bool),
    ("NEIGH_SUPPRESS", "neigh_suppress", _bool),
    ("GROUP_FWD_MASK", "group_fwd_mask", _hex),  # + group_fwd_mask_str in _bridge_slave
    ("VLAN_TUNNEL", "vlan_tunnel", _bool), ("ISOLATED", "isolated", _bool),
    ("LOCKED", "locked", _bool), ("BACKUP_PORT", "backup_port", _ifname),
]


def _rows(attrs: dict[str, Any], prefix: str, rows: Rows, ctx: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for suffix, key, fmt in rows:
        v = attrs.get(prefix + suffix)
        if v is not None and key:
            out[key] = fmt(v, ctx)
    return out


def _bridge(attrs: dict[str, Any], ctx: Any) -> dict[str, Any]:
    out = _rows(attrs, "IFLA_BR_", BRIDGE, ctx)
    if "root_id" in out and "IFLA_BR_BRIDGE_ID" in attrs:
        out["root_id"] = bridge_id(attrs["IFLA_BR_BRIDGE_ID"])  # ip 6.1 does so
    boolopt = attrs.get("IFLA_BR_MULTI_BOOLOPT")
    if isinstance(boolopt, bytes) and len(boolopt) >= 8:
        val = int.from_bytes(boolopt[0:4], "little")
        mask = int.from_bytes(boolopt[4:8], "little")
        extra = {}
        if mask & 1:  # BR_BOOLOPT_NO_LL_LEARN
            extra["no_linklocal_learn"] = int(bool(val & 1))
        if mask & 2:  # BR_BOOLOPT_MCAST_VLAN_SNOOPING
            extra["mcast_vlan_snooping"] = int(bool(val & 2))
        out = _insert_after(out, "mcast_snooping", extra)
    return out


def _insert_after(d: dict[str, Any], key: str, extra: dict[str, Any]) -> dict[str, Any]:
    if not extra:
        return d
    if key not in d:
        d.update(extra)
        return d
    out: dict[str, Any] = {}
    for k, v in d.items():
        out[k] = v
        if k == key:
            out.update(extra)
    return out


def _bridge_slave(attrs: dict[str, Any], ctx: Any) -> dict[str, Any]:
    out = _rows(attrs, "IFLA_BRPORT_", BRIDGE_SLAVE, ctx)
    state = attrs.get("IFLA_BRPORT_STATE")
    if state is not None:
        del out["state"]
        first = ({"state": _PORT_STATES[state]} if state < len(_PORT_STATES)
                 else {"state_index": state})
        out = {**first, **out}
    mask = attrs.get("IFLA_BRPORT_GROUP_FWD_MASK")
    if mask is not None:
        out = _insert_after(out, "group_fwd_mask", {"group_fwd_mask_str": _fwd_mask_str(mask)})
    return out


def _is_multicast(addr: str) -> bool:
    # the codec shows an address of an odd length as hex: not an address, not multicast
    if ":" in addr:
        return addr.lower().startswith("ff")
    first = addr.split(".", 1)[0]
    return "." in addr and first.isdigit() and 224 <= int(first) <= 239


def _vxlan(a: dict[str, Any], ctx: Any) -> dict[str, Any]:
    p = "IFLA_VXLAN_"
    out: dict[str, Any] = {}
    if a.get(p + "COLLECT_METADATA"):
        out["external"] = True
    if a.get(p + "VNIFILTER"):
        out["vnifilter"] = True
    if p + "ID" in a:
        out["id"] = a[p + "ID"]
    if p + "GROUP" in a:
        g = a[p + "GROUP"]
        if g != "0.0.0.0":
            out["group" if _is_multicast(g) else "remote"] = g
    elif p + "GROUP6" in a:
        g = a[p + "GROUP6"]
        if g != "::":
            out["group6" if _is_multicast(g) else "remote6"] = g
    if p + "LOCAL" in a:
        if a[p + "LOCAL"] != "0.0.0.0":
            out["local"] = a[p + "LOCAL"]
    elif p + "LOCAL6" in a and a[p + "LOCAL6"] != "::":
        out["local6"] = a[p + "LOCAL6"]
    if a.get(p + "LINK"):
        out["link"] = ctx.ifname(a[p + "LINK"])
    rng = a.get(p + "PORT_RANGE")
    if rng is not None:
        out["port_range"] = {"low": rng["low"], "high": rng["high"]}
    if p + "PORT" in a:
        out["port"] = a[p + "PORT"]
    if p + "LEARNING" in a:
        out["learning"] = bool(a[p + "LEARNING"])
    for suffix, key in (("PROXY", "proxy"), ("RSC", "rsc"), ("L2MISS", "l2miss"),
                        ("L3MISS", "l3miss")):
        if a.get(p + suffix):
            out[key] = True
    if a.get(p + "TOS"):
        out["tos"] = _hex(a[p + "TOS"])
    if not a.get(p + "TTL_INHERIT") and p + "TTL" in a:
        out["ttl"] = a[p + "TTL"]
    df = a.get(p + "DF")
    if df is not None and df < 3:
        out["df"] = ("unset", "set", "inherit")[df]
    if a.get(p + "LABEL"):
        out["label"] = _hex(a[p + "LABEL"])
    if p + "AGEING" in a:
        out["ageing"] = a[p + "AGEING"]
    if a.get(p + "LIMIT"):
        out["limit"] = a[p + "LIMIT"]
    for suffix, key in (("UDP_CSUM", "udp_csum"), ("UDP_ZERO_CSUM6_TX", "udp_zero_csum6_tx"),
                        ("UDP_ZERO_CSUM6_RX", "udp_zero_csum6_rx")):
        if p + suffix in a:
            out[key] = bool(a[p + suffix])
    for suffix, key in (("REMCSUM_TX", "remcsum_tx"), ("REMCSUM_RX", "remcsum_rx")):
        if a.get(p + suffix):
            out[key] = True
    for suffix, key in (("GBP", "gbp"), ("GPE", "gpe")):
        if p + suffix in a:
            out[key] = True
    return out


def _macvlan(a: dict[str, Any], ctx: Any) -> dict[str, Any]:
    mode = a.get("IFLA_MACVLAN_MODE")
    if mode is None:
        return {}
    if isinstance(mode, int):  # the codec names known modes; a number is an unknown one
        mode = MACVLAN_MODES.get(mode, "unknown")
    out: dict[str, Any] = {"mode": mode}
    flags = a.get("IFLA_MACVLAN_FLAGS") or 0
    if flags & 1:
        out["nopromisc"] = True
    if flags & 2:
        out["nodst"] = True
    if "IFLA_MACVLAN_BC_QUEUE_LEN" in a:
        out["bcqueuelen"] = a["IFLA_MACVLAN_BC_QUEUE_LEN"]
    if "IFLA_MACVLAN_BC_QUEUE_LEN_USED" in a:
        out["usedbcqueuelen"] = a["IFLA_MACVLAN_BC_QUEUE_LEN_USED"]
    if mode == "source" and "IFLA_MACVLAN_MACADDR_COUNT" in a:
        out["macaddr_count"] = a["IFLA_MACVLAN_MACADDR_COUNT"]
        if "IFLA_MACVLAN_MACADDR_DATA" in a:
            out["macaddr_data"] = list(a["IFLA_MACVLAN_MACADDR_DATA"])
    return out


def _tun(a: dict[str, Any], ctx: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    t = a.get("IFLA_TUN_TYPE")
    if t is not None:
        out["type"] = t if isinstance(t, str) else f"UNKNOWN:{t}"
    for suffix, key in (("PI", "pi"), ("VNET_HDR", "vnet_hdr")):
        if "IFLA_TUN_" + suffix in a:
            out[key] = bool(a["IFLA_TUN_" + suffix])
    if a.get("IFLA_TUN_MULTI_QUEUE"):
        out["multi_queue"] = True
        if "IFLA_TUN_NUM_QUEUES" in a:
            out["numqueues"] = a["IFLA_TUN_NUM_QUEUES"]
        if "IFLA_TUN_NUM_DISABLED_QUEUES" in a:
            out["numdisabled"] = a["IFLA_TUN_NUM_DISABLED_QUEUES"]
    else:
        out["multi_queue"] = False
    if "IFLA_TUN_PERSIST" in a:
        out["persist"] = bool(a["IFLA_TUN_PERSIST"])
    if "IFLA_TUN_OWNER" in a:
        out["user"] = _user(a["IFLA_TUN_OWNER"])
    if "IFLA_TUN_GROUP" in a:
        out["group"] = _group(a["IFLA_TUN_GROUP"])
    return out


def _user(uid: int) -> str | int:
    import pwd  # only for tun/tap owners

    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, OverflowError):
        return uid


def _group(gid: int) -> str | int:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except (KeyError, OverflowError):
        return gid


# kind -> renderer of its IFLA_INFO_DATA; "<kind>_slave" for IFLA_INFO_SLAVE_DATA
KINDS: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {
    "bridge": _bridge,
    "bridge_slave": _bridge_slave,
    "vxlan": _vxlan,
    "macvlan": _macvlan,
    "macvtap": _macvlan,
    "tun": _tun,
}


def info_data(kind: str, data: Any, ctx: Any) -> dict[str, Any] | None:
    """ip's `info_data` for `kind`, or None when this renderer does not show that kind."""
    fn = KINDS.get(kind)
    if fn is None:
        return None
    if data is None or not hasattr(data, "attrs"):
        return {}  # ip opens an empty info_data when the kernel sent none
    return fn(data.attr_dict(), ctx)
