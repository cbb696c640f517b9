"""The bridge as iproute2's ``bridge`` prints it: `bridge -j fdb show`, `bridge -j link show`
and `bridge -j vlan show` dicts from AF_BRIDGE neighbour and link messages, and the vlan
table (bridge's text lines of fdb entries and ports are ``render.iptext.bridge``'s)."""

from __future__ import annotations

from nlshell.engine.codec import constants as C

from . import names as N

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

# fdb flags in the order bridge(8) prints them: (NTF_* bit, name)
_FDB_FLAGS = ((C.NTF_SELF, "self"), (C.NTF_ROUTER, "router"),
              (C.NTF_EXT_LEARNED, "extern_learn"), (C.NTF_OFFLOADED, "offload"),
              (C.NTF_MASTER, "master"), (C.NTF_STICKY, "sticky"))
# (NDA_* name, JSON key, text word) of the attributes after the device, in bridge's order
_FDB_NUMBERS = (("NDA_VLAN", "vlan", "vlan"), ("NDA_PORT", "port", "port"),
                ("NDA_VNI", "vni", "vni"), ("NDA_SRC_VNI", "src_vni", "src_vni"))


def fdb_state(state: int) -> str:
    """bridge's state word: permanent, static, stale, '' (dynamic), else the number."""
    if state & C.NUD_PERMANENT:
        return "permanent"
    if state & C.NUD_NOARP:
        return "static"
    if state & C.NUD_STALE:
        return "stale"
    if state & C.NUD_REACHABLE:
        return ""
    return f"{state:#x}"


def select_fdb(msgs: Iterable[Any], *, vlan: int | None = None, state: int | None = None,
               dynamic: bool = False) -> list[Any]:
    """What `bridge fdb show` keeps after the kernel's filters (port, bridge)."""
    out = []
    for m in msgs:
        if m.type != C.RTM_NEWNEIGH or m["family"] != C.AF_BRIDGE:
            continue
        if vlan is not None and m.get("NDA_VLAN") != vlan:
            continue
        if state is not None and not m["state"] & state:
            continue
        # bridge(8)'s `dynamic` leaves out the permanent entries only (static ones stay)
        if dynamic and m["state"] & C.NUD_PERMANENT:
            continue
        out.append(m)
    return out


def fdb_entry(m: Any, ctx: Any, *, with_dev: bool = True) -> dict[str, Any]:
    """One fdb entry as `bridge -j fdb show` prints it (``with_dev``: no ``dev`` filter)."""
    head, a = m.whole()
    _family, ifindex, state, flags, _type = head
    out: dict[str, Any] = {}
    if m.type == C.RTM_DELNEIGH:
        out["deleted"] = True
    if "NDA_LLADDR" in a:
        out["mac"] = a["NDA_LLADDR"]
    if with_dev and ifindex:
        out["ifname"] = ctx.ifname(ifindex)
    if "NDA_DST" in a:
        out["dst"] = a["NDA_DST"]
    for attr, key, _word in _FDB_NUMBERS:
        if attr in a:
            out[key] = a[attr]
    if "NDA_IFINDEX" in a:
        if "NDA_LINK_NETNSID" in a:
            out["viaIfIndex"] = a["NDA_IFINDEX"]
        else:
            out["viaIf"] = ctx.ifname(a["NDA_IFINDEX"])
    if "NDA_NH_ID" in a:
        out["nhid"] = a["NDA_NH_ID"]
    if "NDA_LINK_NETNSID" in a:
        out["linkNetNsId"] = a["NDA_LINK_NETNSID"]
    ci = a.get("NDA_CACHEINFO")
    if ctx.stats and ci is not None:
        out["used"] = ci["ndm_used"] // C.USER_HZ
        out["updated"] = ci["ndm_updated"] // C.USER_HZ
    names = [name for bit, name in _FDB_FLAGS if flags & bit]
    if a.get("NDA_FLAGS_EXT", 0) & C.NTF_EXT_LOCKED:
        names.append("locked")
    out["flags"] = names
    if "NDA_MASTER" in a:
        out["master"] = ctx.ifname(a["NDA_MASTER"])
    out["state"] = fdb_state(state)
    return out


def fdb_json(msgs: Iterable[Any], ctx: Any, *, with_dev: bool = True) -> list[dict[str, Any]]:
    return [fdb_entry(m, ctx, with_dev=with_dev) for m in msgs]


# -- ports -----------------------------------------------------------------------------------

# (IFLA_BRPORT_* name, JSON key, kind) of what -d shows, in bridge's order
_PORT_DETAILS = (
    ("IFLA_BRPORT_MODE", "hairpin", bool), ("IFLA_BRPORT_GUARD", "guard", bool),
    ("IFLA_BRPORT_PROTECT", "root_block", bool), ("IFLA_BRPORT_FAST_LEAVE", "fastleave", bool),
    ("IFLA_BRPORT_LEARNING", "learning", bool),
    ("IFLA_BRPORT_LEARNING_SYNC", "learning_sync", bool),
    ("IFLA_BRPORT_UNICAST_FLOOD", "flood", bool),
    ("IFLA_BRPORT_MCAST_FLOOD", "mcast_flood", bool),
    ("IFLA_BRPORT_BCAST_FLOOD", "bcast_flood", bool),
    ("IFLA_BRPORT_MULTICAST_ROUTER", "mcast_router", int),
    ("IFLA_BRPORT_MCAST_TO_UCAST", "mcast_to_unicast", bool),
    ("IFLA_BRPORT_NEIGH_SUPPRESS", "neigh_suppress", bool),
    ("IFLA_BRPORT_VLAN_TUNNEL", "vlan_tunnel", bool),
    ("IFLA_BRPORT_BACKUP_PORT", "backup_port", "ifname"),
    ("IFLA_BRPORT_ISOLATED", "isolated", bool), ("IFLA_BRPORT_LOCKED", "locked", bool),
)


def port_entry(m: Any, ctx: Any) -> dict[str, Any]:
    """One bridge port as `bridge -j [-d] link show` prints it."""
    head, a = m.whole()
    _family, _type, index, flags, _change = head
    out: dict[str, Any] = {}
    if m.type == C.RTM_DELLINK:
        out["deleted"] = True
    out["ifindex"] = index
    mdown = False
    if "IFLA_LINK" in a:
        iflink = a["IFLA_LINK"]
        out["link"] = ctx.ifname(iflink) if iflink else "NONE"
        peer = ctx.ifflags(iflink) if iflink else None
        mdown = peer is not None and not peer & C.IFF_UP
    out["ifname"] = a.get("IFLA_IFNAME", f"if{index}")
    out["flags"] = N.link_flags(flags, mdown)
    if "IFLA_MTU" in a:
        out["mtu"] = a["IFLA_MTU"]
    if a.get("IFLA_MASTER"):
        out["master"] = ctx.ifname(a["IFLA_MASTER"])
    info = a.get("IFLA_PROTINFO")
    if info is not None and not isinstance(info, bytes):
        p = info.attr_dict()
        if "IFLA_BRPORT_STATE" in p:
            out["state"] = C.BR_STATE_NAMES.get(p["IFLA_BRPORT_STATE"],
                                                str(p["IFLA_BRPORT_STATE"]))
        if "IFLA_BRPORT_PRIORITY" in p:
            out["priority"] = p["IFLA_BRPORT_PRIORITY"]
        if "IFLA_BRPORT_COST" in p:
            out["cost"] = p["IFLA_BRPORT_COST"]
        if ctx.details:
            for attr, key, kind in _PORT_DETAILS:
                if attr not in p:
                    continue
                value = p[attr]
                out[key] = ctx.ifname(value) if kind == "ifname" else kind(value)
    return out


def port_json(msgs: Iterable[Any], ctx: Any) -> list[dict[str, Any]]:
    return [port_entry(m, ctx) for m in msgs if m.type in (C.RTM_NEWLINK, C.RTM_DELLINK)]


# -- vlans -----------------------------------------------------------------------------------


def _vlan_flags(flags: int) -> list[str]:
    out = []
    if flags & C.BRIDGE_VLAN_INFO_PVID:
        out.append("PVID")
    if flags & C.BRIDGE_VLAN_INFO_UNTAGGED:
        out.append("Egress Untagged")
    return out


def port_vlans(m: Any) -> list[dict[str, Any]]:
    """The VLANs of one port (IFLA_AF_SPEC of an AF_BRIDGE link message), ranges joined."""
    spec = m.get("IFLA_AF_SPEC")
    if spec is None or isinstance(spec, bytes) or not hasattr(spec, "get_attrs"):
        return []
    out: list[dict[str, Any]] = []
    begin: dict[str, Any] | None = None
    for info in spec.get_attrs("IFLA_BRIDGE_VLAN_INFO"):
        flags, vid = info["flags"], info["vid"]
        if flags & C.BRIDGE_VLAN_INFO_RANGE_BEGIN:
            begin = {"vlan": vid, "flags": flags}
            continue
        entry: dict[str, Any] = {"vlan": vid}
        if flags & C.BRIDGE_VLAN_INFO_RANGE_END and begin is not None:
            entry = {"vlan": begin["vlan"], "vlanEnd": vid}
            begin = None
        names = _vlan_flags(flags)
        if names:
            entry["flags"] = names
        out.append(entry)
    return out


def vlan_json(msgs: Iterable[Any], ctx: Any, *, vid: int | None = None
              ) -> list[dict[str, Any]]:
    """`bridge -j vlan show`: the ports that have VLANs, each with its list."""
    out = []
    for m in msgs:
        vlans = port_vlans(m)
        if vid is not None:
            vlans = [v for v in vlans if v["vlan"] <= vid <= v.get("vlanEnd", v["vlan"])]
        if vlans:
            out.append({"ifname": m.get("IFLA_IFNAME") or ctx.ifname(m["index"]),
                        "vlans": vlans})
    return out


def vlan_text(entries: list[dict[str, Any]]) -> str:
    """bridge's table: a header, then the port's name beside its first VLAN."""
    lines = ["port              vlan-id  "]
    for e in entries:
        for i, v in enumerate(e["vlans"]):
            vid = f"{v['vlan']}-{v['vlanEnd']}" if "vlanEnd" in v else str(v["vlan"])
            text = " ".join([vid, *v.get("flags", [])])
            lines.append(f"{(e['ifname'] if i == 0 else ''):<16}  {text}")
    return "\n".join(lines)
