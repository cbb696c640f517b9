"""bridge: the forwarding database, VLAN filters and port options, as iproute2's ``bridge``.

``bridge fdb [show|add|append|replace|del|flush] ...``, ``bridge vlan [show|add|del|set]
...``, ``bridge link [show|set] ...``. The grammar has two levels (object, verb): the
third word (``show``, ``add``...) opens its own parameter list (a group), so completion
after ``bridge fdb add`` offers only what ``add`` takes. Without one, ``show`` is meant.
"""

from __future__ import annotations

from typing import Any

from nlshell.commands import slots as S
from nlshell.commands.grammar import REGISTRY, Flag, Group, Kw, OneOf, Pos

H = "nlshell.commands.bridge:"

VID = S.number(1, 4094, name="VID", label="VLAN id", example="1..4094")


def _parse_vids(text: str) -> str:
    """``10`` or ``100-199`` (kept as text: the engine reads ranges)."""
    lo, dash, hi = text.partition("-")
    a = S.parse_int(lo, 1, 4094)
    if dash and S.parse_int(hi, 1, 4094) <= a:
        raise ValueError(f"{text!r} is no VLAN range (low-high)")
    return text


VIDS = S.Slot("VIDS", "VLAN id or range", _parse_vids, kind="number",
              example="VID or VID-VID, e.g. 100-199")
ONOFF = S.choice("BRONOFF", {"on": (True, "enable"), "off": (False, "disable")})
PORT_STATE = S.choice("BRSTATE", {"disabled": (0, "no traffic"), "listening": (1, "STP"),
                                  "learning": (2, "STP: learning, not forwarding"),
                                  "forwarding": (3, "forwarding"),
                                  "blocking": (4, "STP: blocking")},
                      numbers=(0, 4), label="port state")
FDB_STATE = S.choice("FDBSTATE", {"permanent": "local (the device's own)",
                                  "static": "static (never aged)",
                                  "dynamic": "learnt/aged"},
                     numbers=(0, 0xFFFF), label="fdb state")

bridge = REGISTRY.object("bridge", "bridge forwarding database, VLANs and ports (as bridge(8))",
                         shortcuts=["br"])

# -- fdb -------------------------------------------------------------------------------------


def _fdb_change(verb: str, help: str) -> Group:
    return Group(verb, help, [
        Pos("lladdr", S.LLADDR, "the MAC address", source="fdb"),
        Kw("dev", S.IFNAME, "the port (or device)", required=True),
        Flag("self", "the device's own table"),
        Flag("master", "the bridge's table (the port's master)"),
        OneOf("state", {"local": "a local address (permanent)",
                        "permanent": "a local address", "static": "static, never aged",
                        "dynamic": "aged like a learnt entry"}),
        Flag("use", "mark as used (refreshes a dynamic entry)"),
        Flag("router", "the destination is a router"),
        Flag("extern_learn", "learnt outside the kernel"),
        Flag("sticky", "never moves to another port"),
        Kw("vlan", VID, "the VLAN"),
        Kw("dst", S.ADDR, "the remote (vxlan)"),
        Kw("port", S.number(1, 0xFFFF), "the remote UDP port (vxlan)"),
        Kw("vni", S.number(0, 0xFFFFFF), "the VXLAN id"),
        Kw("src_vni", S.number(0, 0xFFFFFF), "the source VNI (vxlan collect metadata)"),
        Kw("nhid", S.number(1, S.U32_MAX), "an fdb nexthop (group)"),
        Kw("via", S.IFNAME, "the outgoing device (vxlan)"),
    ], conflicts=[("self", "master")])


_FDB_SHOW = Group("show", "list forwarding entries", [
    Kw("br", S.IFNAME, "entries of this bridge"),
    Kw("brport", S.IFNAME, "entries of this port", aliases=["dev"]),
    Kw("vlan", VID, "of this VLAN"),
    Kw("state", FDB_STATE, "in this state"),
    Flag("dynamic", "learnt (aged) entries only"),
], aliases=["list", "lst"])

# flush's state/flag words: word -> (state or flags, set or clear, its mask)
_FLUSH_WORDS = {"permanent": "entries that are local", "static": "static entries",
                "dynamic": "learnt entries", "added_by_user": "entries added by a user",
                "extern_learn": "entries learnt outside", "sticky": "sticky entries",
                "offloaded": "offloaded entries"}
_FDB_FLUSH = Group("flush", "delete matching forwarding entries", [
    Kw("dev", S.IFNAME, "the bridge or port to flush", required=True),
    Kw("brport", S.IFNAME, "of this port"),
    Kw("vlan", VID, "of this VLAN"),
    Flag("self", "the device's own table"),
    Flag("master", "the bridge's table"),
    *(Flag(w, f"only {h}", key=f"f_{w}") for w, h in _FLUSH_WORDS.items()),
    *(Flag("no" + w, f"all but {h}", key=f"f_no{w}") for w, h in _FLUSH_WORDS.items()),
])

_FDB_VERBS = ("show", "add", "append", "replace", "del", "flush")
bridge.verb("fdb", "the forwarding database", [
    _FDB_SHOW,
    _fdb_change("add", "add an entry"),
    _fdb_change("append", "add an entry for one more remote (vxlan)"),
    _fdb_change("replace", "add or change an entry"),
    _fdb_change("del", "delete an entry"),
    _FDB_FLUSH,
], conflicts=[_FDB_VERBS], handler=H + "fdb")

# -- vlan ------------------------------------------------------------------------------------


def _vlan_change(verb: str, help: str) -> Group:
    return Group(verb, help, [
        Kw("vid", VIDS, "the VLAN id or range", required=True),
        Kw("dev", S.IFNAME, "the port", required=True),
        Flag("pvid", "ingress untagged traffic goes to this VLAN"),
        Flag("untagged", "egress untagged"),
        Flag("self", "the device's own VLANs"),
        Flag("master", "the bridge's VLANs (the default)"),
    ])


_VLAN_VERBS = ("show", "add", "del", "set")
bridge.verb("vlan", "VLAN filters of the bridge ports", [
    Group("show", "list the VLANs of the ports", [
        Kw("dev", S.IFNAME, "of this port"),
        Kw("vid", VID, "this VLAN only"),
    ], aliases=["list", "lst"]),
    _vlan_change("add", "let a VLAN (or range) through a port"),
    _vlan_change("del", "stop a VLAN (or range) at a port"),
    Group("set", "change a port's VLAN options", [
        Kw("vid", VIDS, "the VLAN id or range", required=True),
        Kw("dev", S.IFNAME, "the port", required=True),
        Kw("state", PORT_STATE, "the VLAN's STP state"),
        Kw("mcast_router", S.number(0, 2), "multicast router mode"),
    ], check=lambda v: None if "state" in v or "mcast_router" in v
       else "needs state or mcast_router"),
], conflicts=[_VLAN_VERBS], handler=H + "vlan")

# -- link ------------------------------------------------------------------------------------

# `bridge link set` on/off words -> IFLA_BRPORT_* short names
PORT_SWITCHES = {"guard": "guard", "hairpin": "mode", "fastleave": "fast_leave",
                 "root_block": "protect", "learning": "learning",
                 "learning_sync": "learning_sync", "flood": "unicast_flood",
                 "mcast_flood": "mcast_flood", "bcast_flood": "bcast_flood",
                 "mcast_to_unicast": "mcast_to_ucast", "neigh_suppress": "neigh_suppress",
                 "vlan_tunnel": "vlan_tunnel", "isolated": "isolated", "locked": "locked"}
_LINK_VERBS = ("show", "set")
bridge.verb("link", "bridge ports", [
    Group("show", "list the bridge ports", [Kw("dev", S.IFNAME, "this port only")],
          aliases=["list", "lst"]),
    Group("set", "change a port's options", [
        Kw("dev", S.IFNAME, "the port", required=True),
        Kw("cost", S.number(1, 0xFFFFFFFF), "STP path cost"),
        Kw("priority", S.number(0, 63), "STP port priority"),
        Kw("state", PORT_STATE, "STP state"),
        *(Kw(word, ONOFF, f"{word.replace('_', ' ')} on or off")
          for word in PORT_SWITCHES),
        Kw("mcast_router", S.number(0, 3), "multicast router mode"),
        Kw("hwmode", S.choice("HWMODE", {"vepa": "reflect to the port", "veb": "bridge"}),
           "hardware bridging mode (with self)"),
        Kw("backup_port", S.IFNAME, "forward here when the port is down"),
        Flag("nobackup_port", "no backup port"),
        Flag("self", "the device itself"),
        Flag("master", "the bridge (the default)"),
    ], conflicts=[("backup_port", "nobackup_port")]),
], conflicts=[_LINK_VERBS], handler=H + "link")


# == handlers ==================================================================================

from nlshell.engine.codec import constants as C  # noqa: E402 - a leaf: names only


def _error(text: str) -> Exception:
    from nlshell.commands.context import CommandError

    return CommandError(text)


def _verb(values: dict[str, Any], verbs: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
    for verb in verbs:
        if verb in values:
            return verb, values[verb]
    return "show", {}


def _send(ctx: Any, build: Any) -> None:
    try:
        req = build()
    except ValueError as exc:
        raise _error(str(exc)) from None
    ctx.ipr.send(req)


def _render_context(ctx: Any) -> Any:
    from nlshell.commands.show import render_context

    return render_context(ctx)


def _show(ctx: Any, entries: Any, msgs: list[Any], rctx: Any, *what: Any) -> None:
    """-j: bridge's JSON (``entries()``); else bridge's own text, in either output mode
    (bridge prints no table): ``render.iptext.bridge`` writes it."""
    if ctx.opts.json:
        ctx.emit(entries())
        return
    from nlshell.commands.render.iptext.bridge import lines

    ctx.out.write("".join(line + "\n" for line in lines(msgs, rctx, ctx.opts, *what)))


# -- fdb


def fdb(ctx: Any, inv: Any) -> None:
    verb, v = _verb(inv.values, _FDB_VERBS)
    if verb == "show":
        return _fdb_show(ctx, v)
    if verb == "flush":
        return _fdb_flush(ctx, v)
    from nlshell.engine.requests.bridge import fdb_request

    _send(ctx, lambda: fdb_request(verb, fdb_keywords(ctx, verb, v)))


def fdb_keywords(ctx: Any, verb: str, v: dict[str, Any]) -> dict[str, Any]:
    """The grammar's values of fdb add/append/replace/del -> ``fdb_request`` keywords, with
    bridge(8)'s defaults: flag ``self`` unless self or master is given, state permanent."""
    flags = [w for w in ("self", "master", "use", "router", "extern_learn", "sticky")
             if v.get(w)]
    if not {"self", "master"} & set(flags):
        flags.append("self")
    kw: dict[str, Any] = {"ifindex": ctx.ifindex(v["dev"]), "lladdr": v["lladdr"],
                          "flags": flags, "state": v.get("state", "permanent")}
    for key in ("vlan", "dst", "port", "vni", "src_vni", "nhid"):
        if key in v:
            kw[key] = v[key]
    if "via" in v:
        kw["via"] = ctx.ifindex(v["via"])
    return kw


def _fdb_show(ctx: Any, v: dict[str, Any]) -> None:
    from nlshell.commands.render import bridge as R

    kw: dict[str, Any] = {}
    if "brport" in v:
        kw["ifindex"] = ctx.ifindex(v["brport"])
    if "br" in v:
        kw["master"] = ctx.ifindex(v["br"])
    msgs = ctx.ipr.fdb("dump", **kw)
    state = v.get("state")
    if isinstance(state, str):
        from nlshell.engine.requests.bridge import FDB_STATES

        state = FDB_STATES[state]
    msgs = R.select_fdb(msgs, vlan=v.get("vlan"), state=state, dynamic=bool(v.get("dynamic")))
    rctx = _render_context(ctx)
    with_dev = "brport" not in v
    _show(ctx, lambda: R.fdb_json(msgs, rctx, with_dev=with_dev), msgs, rctx, "fdb", with_dev)


_P, _N = C.NUD_PERMANENT, C.NUD_NOARP
# flush word -> (state bits set, state bits cleared, state mask, flag bits set, flags mask):
# in the kernel PERMANENT is a local entry and NOARP a static one (a local entry is both)
_FLUSH_BITS = {
    "f_permanent": (_P, 0, _P, 0, 0), "f_nopermanent": (0, _P, _P, 0, 0),
    "f_static": (_N, 0, _N | _P, 0, 0), "f_nostatic": (0, _N, _N, 0, 0),
    "f_dynamic": (0, _N | _P, _N | _P, 0, 0), "f_nodynamic": (_N, 0, _N, 0, 0),
    **{f"f_{w}": (0, 0, 0, bit, bit) for w, bit in (
        ("added_by_user", C.NTF_USE), ("extern_learn", C.NTF_EXT_LEARNED),
        ("sticky", C.NTF_STICKY), ("offloaded", C.NTF_OFFLOADED))},
    **{f"f_no{w}": (0, 0, 0, 0, bit) for w, bit in (
        ("added_by_user", C.NTF_USE), ("extern_learn", C.NTF_EXT_LEARNED),
        ("sticky", C.NTF_STICKY), ("offloaded", C.NTF_OFFLOADED))},
}


def flush_masks(v: dict[str, Any]) -> dict[str, int]:
    """bridge(8)'s flush words -> the state/flags values and masks the kernel matches."""
    out = {"state": 0, "state_mask": 0, "flags": 0, "flags_mask": 0}
    for word in _FLUSH_WORDS:
        if v.get(f"f_{word}") and v.get(f"f_no{word}"):
            raise _error(f'"{word}" and "no{word}" exclude each other')
    for key, (sset, sclear, smask, fset, fmask) in _FLUSH_BITS.items():
        if v.get(key):
            out["state"] = (out["state"] | sset) & ~sclear
            out["state_mask"] |= smask
            out["flags"] |= fset
            out["flags_mask"] |= fmask
    for word, bit in (("self", C.NTF_SELF), ("master", C.NTF_MASTER)):
        if v.get(word):
            out["flags"] |= bit
    if not out["flags"] & (C.NTF_SELF | C.NTF_MASTER):
        out["flags"] |= C.NTF_SELF  # as bridge(8): the device's own table
    return out


def _fdb_flush(ctx: Any, v: dict[str, Any]) -> None:
    from nlshell.engine.requests.bridge import fdb_flush_request

    masks = flush_masks(v)
    brport = ctx.ifindex(v["brport"]) if "brport" in v else None
    _send(ctx, lambda: fdb_flush_request(ctx.ifindex(v["dev"]), brport=brport,
                                         vlan=v.get("vlan"), **masks))


# -- vlan


def vlan(ctx: Any, inv: Any) -> None:
    verb, v = _verb(inv.values, _VLAN_VERBS)
    if verb == "show":
        return _vlan_show(ctx, v)
    if verb == "set":
        from nlshell.engine.requests.bridge import vlan_options_request

        index = ctx.ifindex(v["dev"])
        _send(ctx, lambda: vlan_options_request(index, v["vid"], state=v.get("state"),
                                                mcast_router=v.get("mcast_router")))
        return
    from nlshell.engine.requests.bridge import vlan_filter_request

    info: dict[str, Any] = {"vid": v["vid"]}
    if v.get("pvid"):
        info["pvid"] = True
    if v.get("untagged"):
        info["untagged"] = True
    kw: dict[str, Any] = {"index": ctx.ifindex(v["dev"]), "vlan_info": info}
    if v.get("self"):
        kw["vlan_flags"] = C.BRIDGE_FLAGS_SELF | (C.BRIDGE_FLAGS_MASTER if v.get("master")
                                                  else 0)
    _send(ctx, lambda: vlan_filter_request(verb, kw))


def _vlan_show(ctx: Any, v: dict[str, Any]) -> None:
    from nlshell.commands.render import bridge as R

    msgs = ctx.ipr.get_vlans()
    if "dev" in v:
        index = ctx.ifindex(v["dev"])
        msgs = [m for m in msgs if m["index"] == index]
    rctx = _render_context(ctx)
    entries = R.vlan_json(msgs, rctx, vid=v.get("vid"))
    _show(ctx, lambda: entries, entries, rctx, "vlan")


# -- link


def link(ctx: Any, inv: Any) -> None:
    verb, v = _verb(inv.values, _LINK_VERBS)
    if verb == "show":
        return _link_show(ctx, v)
    from nlshell.engine.requests.bridge import brport_request

    _send(ctx, lambda: brport_request("set", port_keywords(ctx, v)))


def port_keywords(ctx: Any, v: dict[str, Any]) -> dict[str, Any]:
    """The grammar's values of ``bridge link set`` -> ``brport_request`` keywords."""
    kw: dict[str, Any] = {"index": ctx.ifindex(v["dev"])}
    for key in ("cost", "priority", "state", "mcast_router"):
        if key in v:
            kw[key if key != "mcast_router" else "multicast_router"] = v[key]
    for word, short in PORT_SWITCHES.items():
        if word in v:
            kw[short] = v[word]
    if "backup_port" in v:
        kw["backup_port"] = ctx.ifindex(v["backup_port"])
    if v.get("nobackup_port"):
        kw["backup_port"] = 0
    if "hwmode" in v:
        kw["hwmode"] = v["hwmode"]
    if v.get("self"):
        kw["vlan_flags"] = C.BRIDGE_FLAGS_SELF | (C.BRIDGE_FLAGS_MASTER if v.get("master")
                                                  else 0)
    return kw


def _link_show(ctx: Any, v: dict[str, Any]) -> None:
    from nlshell.commands.render import bridge as R

    kw = {"index": ctx.ifindex(v["dev"])} if "dev" in v else {}
    msgs = ctx.ipr.brport("dump", **kw)
    rctx = _render_context(ctx)
    _show(ctx, lambda: [R.port_entry(m, rctx) for m in msgs], msgs, rctx, "link")
