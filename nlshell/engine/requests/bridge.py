"""Bridge requests: ``IPRoute.fdb``, ``brport``, ``vlan_filter``, ``get_vlans`` keywords
-> Request (pyroute2's names and arguments).

- fdb: neighbour messages of family AF_BRIDGE. ``lladdr``, ``ifindex`` (the port or the
  device), ``dst`` (a vxlan remote), ``vlan``, ``vni``, ``src_vni``, ``port``, ``master``
  (the bridge's index, NDA_MASTER), ``nhid``, ``state`` (a NUD_* number or name, or
  'permanent' | 'static' | 'dynamic' as bridge(8) spells them), ``flags`` (NTF_* bits, or
  names: 'self', 'master', 'extern_learn', 'sticky', 'use', 'router').
- brport: RTM_SETLINK of family AF_BRIDGE with IFLA_PROTINFO (nested IFLA_BRPORT_*: what
  ``bridge link set`` sends); options by short name (``cost=``, ``unicast_flood=``), on/off
  as booleans or 0/1; ``state`` also by name ('forwarding'...). ``show``/``dump`` read
  the ports of an AF_BRIDGE link dump.
- vlan_filter: ``vlan_info={'vid': 10 | '100-199', 'pvid': True, 'flags': int | names}``,
  ``vlan_flags`` ('self' | 'master'), ``vlan_tunnel_info={'vid': .., 'id': ..}``.
"""

from __future__ import annotations

from typing import Any

from ..codec import constants as C
from ..codec import link as link_tables
from .base import F_CREATE, F_REPLACE, Request, check_left, ip_bytes, take, uint
from .neigh import nud_state

FDB_VERBS = {"add": F_CREATE, "append": C.NLM_F_CREATE | C.NLM_F_APPEND,
             "replace": F_REPLACE, "del": 0, "delete": 0, "dump": None, "show": None}
# bridge(8)'s state words -> NUD_* (static is NOARP: not local, not aged)
FDB_STATES = {"permanent": C.NUD_PERMANENT, "local": C.NUD_PERMANENT,
              "static": C.NUD_NOARP, "dynamic": C.NUD_REACHABLE}
NTF_NUMBERS = {v: k for k, v in C.NTF_NAMES.items()}
# keyword -> (NDA_* name, reader) for the attributes an fdb entry may carry
_FDB_ATTRS = (("vlan", "NDA_VLAN", 4094), ("vni", "NDA_VNI", 0xFFFFFF),
              ("src_vni", "NDA_SRC_VNI", 0xFFFFFF), ("port", "NDA_PORT", 0xFFFF),
              ("master", "NDA_MASTER", 0x7FFFFFFF), ("nhid", "NDA_NH_ID", 0xFFFFFFFF),
              ("via", "NDA_IFINDEX", 0x7FFFFFFF))


def fdb_state(value: Any) -> int:
    if isinstance(value, str) and value.lower() in FDB_STATES:
        return FDB_STATES[value.lower()]
    return nud_state(value)


def ntf_flags(value: Any) -> int:
    """NTF_* bits from an integer, a name or a list of names."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, (list, tuple, set)):
        bits = 0
        for name in value:
            if name not in NTF_NUMBERS:
                raise ValueError(f"unknown fdb flag {name!r} (one of {', '.join(NTF_NUMBERS)})")
            bits |= NTF_NUMBERS[name]
        return bits
    return uint(value, "fdb flags", 0xFF)


def fdb_request(cmd: str, kw: dict) -> Request:
    """The request of ``fdb(cmd, **kw)`` with what the caller gives (no defaults added)."""
    kw = dict(kw)
    if not isinstance(cmd, str) or cmd not in FDB_VERBS:
        raise ValueError(f"unknown fdb command {cmd!r} (one of {', '.join(FDB_VERBS)})")
    take(kw, "family")  # always AF_BRIDGE (pyroute2 sets it too)
    index = take(kw, "ifindex", "index")
    if FDB_VERBS[cmd] is None:
        return _fdb_dump(index, kw)
    fields: dict[str, int] = {"family": C.AF_BRIDGE}
    if index is None:
        raise ValueError(f"fdb {cmd} needs ifindex=")
    fields["ifindex"] = uint(index, "ifindex", 0x7FFFFFFF)
    lladdr = take(kw, "lladdr", "mac")
    if lladdr is None:
        raise ValueError(f"fdb {cmd} needs lladdr=")
    attrs: list[tuple[str, Any]] = [("NDA_LLADDR", lladdr)]
    state = take(kw, "state", "nud")
    if state is not None:
        fields["state"] = fdb_state(state)
    flags = take(kw, "flags", "ndm_flags")
    if flags is not None:
        fields["flags"] = ntf_flags(flags)
    dst = take(kw, "dst")
    if dst is not None:
        ip_bytes(dst, "fdb dst")
        attrs.append(("NDA_DST", dst))
    for key, attr, limit in _FDB_ATTRS:
        value = take(kw, key)
        if value is not None:
            attrs.append((attr, uint(value, key, limit)))
    check_left("fdb", kw)
    if cmd in ("del", "delete"):
        return Request(C.RTM_DELNEIGH, 0, fields, attrs, "del")
    return Request(C.RTM_NEWNEIGH, FDB_VERBS[cmd], fields, attrs, "new")


def _fdb_dump(index: Any, kw: dict) -> Request:
    """A dump: the kernel filters by port (NDA_IFINDEX) and bridge (NDA_MASTER); the rest
    (lladdr, vlan, dst, vni, state, flags) is filtered here."""
    attrs: list[tuple[str, Any]] = []
    filters: dict[Any, Any] = {}
    if index is not None:
        index = uint(index, "ifindex", 0x7FFFFFFF)
        attrs.append(("NDA_IFINDEX", index))
        filters["ifindex"] = index
    master = take(kw, "master")
    if master is not None:
        attrs.append(("NDA_MASTER", uint(master, "master", 0x7FFFFFFF)))
    state = take(kw, "state", "nud")
    if state is not None:
        filters["state"] = fdb_state(state)
    flags = take(kw, "flags", "ndm_flags")
    if flags is not None:
        bits = ntf_flags(flags)
        filters["flags"] = lambda f, bits=bits: f is not None and f & bits == bits
    for key in ("lladdr", "dst", "vlan", "vni"):
        value = take(kw, key)
        if value is not None:
            filters[key] = value.lower() if key == "lladdr" and isinstance(value, str) \
                else value
    check_left("fdb filter", kw)
    return Request(C.RTM_GETNEIGH, 0, {"family": C.AF_BRIDGE}, attrs, "dump", filters)


def library_fdb_defaults(cmd: str, kw: dict) -> dict:
    """pyroute2's defaults for a change: the state has NOARP and, unless REACHABLE is
    asked, PERMANENT; the flags have SELF unless SELF or MASTER is asked."""
    kw = dict(kw)
    if cmd not in ("add", "append", "del", "delete"):
        return kw
    if "nud" in kw:
        kw["state"] = kw.pop("nud")
    state = fdb_state(kw.get("state", 0))
    if not state & C.NUD_NOARP:
        state |= C.NUD_NOARP
        if not state & (C.NUD_PERMANENT | C.NUD_REACHABLE):
            state |= C.NUD_PERMANENT
        flags = ntf_flags(kw.get("flags", 0))
        if not flags & (C.NTF_SELF | C.NTF_MASTER):
            kw["flags"] = flags | C.NTF_SELF
    kw["state"] = state
    return kw


# -- bridge ports --------------------------------------------------------------------------

BR_STATE_NUMBERS = {v: k for k, v in C.BR_STATE_NAMES.items()}
BRIDGE_MODES = {"veb": C.BRIDGE_MODE_VEB, "vepa": C.BRIDGE_MODE_VEPA}
# flags to say who applies a port/vlan change: the bridge (master) or the device (self)
BRIDGE_FLAG_NAMES = {"master": C.BRIDGE_FLAGS_MASTER, "self": C.BRIDGE_FLAGS_SELF}
# read-only rows of IFLA_BRPORT_* (the kernel's state, never set)
_BRPORT_READ_ONLY = frozenset((
    "root_id", "bridge_id", "designated_port", "designated_cost", "id", "no",
    "topology_change_ack", "config_pending", "message_age_timer", "forward_delay_timer",
    "hold_timer", "pad", "mcast_eht_hosts_cnt", "mcast_n_groups"))


def brport_value(name: str, value: Any) -> Any:
    """One IFLA_BRPORT_* option's value: booleans as 0/1, a state or mode by name."""
    if name == "state" and isinstance(value, str):
        if value not in BR_STATE_NUMBERS:
            raise ValueError(f"unknown port state {value!r} "
                             f"(one of {', '.join(BR_STATE_NUMBERS)})")
        return BR_STATE_NUMBERS[value]
    if name == "mode" and isinstance(value, str):
        if value not in BRIDGE_MODES:
            raise ValueError(f"unknown port mode {value!r} (one of {', '.join(BRIDGE_MODES)})")
        return BRIDGE_MODES[value]
    if isinstance(value, bool):
        return int(value)
    return value


def brport_request(cmd: str, kw: dict) -> Request:
    kw = dict(kw)
    if cmd in ("dump", "show"):
        return _port_dump(kw)
    if cmd != "set":
        raise ValueError(f"unknown brport command {cmd!r} (one of set, dump, show)")
    index = take(kw, "index", "ifindex")
    if index is None:
        raise ValueError("brport set needs index=")
    fields = {"family": C.AF_BRIDGE, "index": uint(index, "index", 0x7FFFFFFF)}
    attrs: list[tuple[str, Any]] = []
    bflags = take(kw, "vlan_flags", "bridge_flags")
    opts = []
    for key in list(kw):
        name = key.lower()[len("IFLA_BRPORT_"):] if isinstance(key, str) and \
            key.startswith("IFLA_BRPORT_") else key
        row = link_tables.BRPORT.lookup(name) if isinstance(name, str) else None
        if row is None or row.short in _BRPORT_READ_ONLY:
            continue
        opts.append((row.name, brport_value(row.short, kw.pop(key))))
    hwmode = take(kw, "hwmode")
    check_left("brport", kw)
    if not opts and hwmode is None:
        raise ValueError("brport set needs an option (cost=, priority=, learning=, ...)")
    if opts:
        attrs.append(("IFLA_PROTINFO", opts))
    spec: list[tuple[str, Any]] = []
    if bflags is not None:
        spec.append(("IFLA_BRIDGE_FLAGS", bridge_flags(bflags)))
    if hwmode is not None:
        if hwmode not in BRIDGE_MODES:
            raise ValueError(f"unknown hwmode {hwmode!r} (one of {', '.join(BRIDGE_MODES)})")
        spec.append(("IFLA_BRIDGE_MODE", BRIDGE_MODES[hwmode]))
    if spec:
        attrs.append(("IFLA_AF_SPEC", spec))
    return Request(C.RTM_SETLINK, 0, fields, attrs, "set")


def bridge_flags(value: Any) -> int:
    if isinstance(value, str):
        if value not in BRIDGE_FLAG_NAMES:
            raise ValueError(f"unknown bridge flags {value!r} (self or master)")
        return BRIDGE_FLAG_NAMES[value]
    return uint(value, "bridge flags", 0xFFFF)


def _port_dump(kw: dict) -> Request:
    """The AF_BRIDGE link dump (every bridge port, with IFLA_PROTINFO), filtered here by
    index and any other keyword; ``ext_mask`` adds VLAN info (get_vlans)."""
    attrs: list[tuple[str, Any]] = []
    ext = take(kw, "ext_mask")
    if ext is not None:
        attrs.append(("IFLA_EXT_MASK", uint(ext, "ext_mask")))
    filters: dict[Any, Any] = {}
    index = take(kw, "index", "ifindex")
    if index is not None:
        filters["index"] = uint(index, "index", 0x7FFFFFFF)
    for key, value in kw.items():
        if not isinstance(key, str):
            raise ValueError(f"invalid brport filter {key!r}")
        filters[key] = value
    return Request(C.RTM_GETLINK, 0, {"family": C.AF_BRIDGE}, attrs, "dump", filters)


def vlans_request(kw: dict) -> Request:
    """``get_vlans(**kw)``: the AF_BRIDGE link dump with VLAN info (RTEXT_FILTER_BRVLAN)."""
    return _port_dump({**kw, "ext_mask": C.RTEXT_FILTER_BRVLAN})


# -- vlan filters ------------------------------------------------------------------------

VLAN_INFO_NUMBERS = {v: k for k, v in C.BRIDGE_VLAN_INFO_NAMES.items()}


def vlan_info_flags(value: Any) -> int:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, (list, tuple, set)):
        bits = 0
        for name in value:
            if name not in VLAN_INFO_NUMBERS:
                raise ValueError(f"unknown vlan flag {name!r} "
                                 f"(one of {', '.join(VLAN_INFO_NUMBERS)})")
            bits |= VLAN_INFO_NUMBERS[name]
        return bits
    return uint(value, "vlan flags", 0xFFFF)


def vid_range(value: Any) -> tuple[int, int]:
    """10 -> (10, 10); '100-199' -> (100, 199); VLAN ids are 1..4094."""
    if isinstance(value, str) and "-" in value:
        lo_text, _, hi_text = value.partition("-")
        lo, hi = _vid(lo_text), _vid(hi_text)
        if lo >= hi:
            raise ValueError(f"invalid vlan range {value!r}")
        return lo, hi
    vid = _vid(value)
    return vid, vid


def _vid(value: Any) -> int:
    vid = uint(value.strip() if isinstance(value, str) else value, "vlan id", 4094)
    if vid == 0:
        raise ValueError("invalid vlan id 0 (1..4094)")
    return vid


def vlan_infos(spec: Any) -> list[tuple[str, dict[str, int]]]:
    """``{'vid': 10 | '100-199', 'pvid': bool, 'flags': ...}`` -> IFLA_BRIDGE_VLAN_INFO
    pairs: one, or a range's two (RANGE_BEGIN, RANGE_END)."""
    if not isinstance(spec, dict) or "vid" not in spec:
        raise ValueError(f"invalid vlan_info {spec!r} (a dict with 'vid')")
    unknown = set(spec) - {"vid", "pvid", "flags", "untagged"}
    if unknown:
        raise ValueError(f"unknown vlan_info key(s): {', '.join(sorted(map(str, unknown)))}")
    lo, hi = vid_range(spec["vid"])
    flags = vlan_info_flags(spec.get("flags", 0))
    if spec.get("pvid"):
        flags |= C.BRIDGE_VLAN_INFO_PVID | C.BRIDGE_VLAN_INFO_UNTAGGED
    if spec.get("untagged"):
        flags |= C.BRIDGE_VLAN_INFO_UNTAGGED
    if lo == hi:
        return [("IFLA_BRIDGE_VLAN_INFO", {"flags": flags, "vid": lo})]
    if flags & C.BRIDGE_VLAN_INFO_PVID:
        raise ValueError("a vlan range cannot be the pvid")
    return [("IFLA_BRIDGE_VLAN_INFO", {"flags": flags | C.BRIDGE_VLAN_INFO_RANGE_BEGIN,
                                       "vid": lo}),
            ("IFLA_BRIDGE_VLAN_INFO", {"flags": flags | C.BRIDGE_VLAN_INFO_RANGE_END,
                                       "vid": hi})]


def tunnel_infos(spec: Any) -> list[tuple[str, list]]:
    """``{'vid': 10 | '10-19', 'id': 1000 | '1000-1009'}`` -> IFLA_BRIDGE_VLAN_TUNNEL_INFO
    blocks (a range as its begin and end)."""
    if not isinstance(spec, dict) or set(spec) != {"vid", "id"}:
        raise ValueError(f"invalid vlan_tunnel_info {spec!r} (a dict of 'vid' and 'id')")
    vlo, vhi = vid_range(spec["vid"])
    text = spec["id"]
    if isinstance(text, str) and "-" in text:
        a, _, b = text.partition("-")
        ilo, ihi = uint(a, "tunnel id", 0xFFFFFF), uint(b, "tunnel id", 0xFFFFFF)
    else:
        ilo = ihi = uint(text, "tunnel id", 0xFFFFFF)
    if ihi - ilo != vhi - vlo:
        raise ValueError(f"vlan range and tunnel id range differ in size: {spec!r}")

    def block(tid: int, vid: int, flags: int) -> tuple[str, list]:
        return ("IFLA_BRIDGE_VLAN_TUNNEL_INFO",
                [("IFLA_BRIDGE_VLAN_TUNNEL_ID", tid), ("IFLA_BRIDGE_VLAN_TUNNEL_VID", vid),
                 ("IFLA_BRIDGE_VLAN_TUNNEL_FLAGS", flags)])
    if vlo == vhi:
        return [block(ilo, vlo, 0)]
    return [block(ilo, vlo, C.BRIDGE_VLAN_INFO_RANGE_BEGIN),
            block(ihi, vhi, C.BRIDGE_VLAN_INFO_RANGE_END)]


def vlan_filter_request(cmd: str, kw: dict) -> Request:
    """``vlan_filter('add' | 'del', index=, vlan_info=, vlan_flags=, vlan_tunnel_info=)``:
    RTM_SETLINK / RTM_DELLINK of family AF_BRIDGE with IFLA_AF_SPEC."""
    kw = dict(kw)
    verbs = {"add": C.RTM_SETLINK, "del": C.RTM_DELLINK, "delete": C.RTM_DELLINK}
    if cmd not in verbs:
        raise ValueError(f"unknown vlan_filter command {cmd!r} (add or del)")
    take(kw, "family")
    index = take(kw, "index", "ifindex")
    if index is None:
        raise ValueError(f"vlan_filter {cmd} needs index=")
    spec: list[tuple[str, Any]] = []
    bflags = take(kw, "vlan_flags", "flags")
    if bflags is not None:
        spec.append(("IFLA_BRIDGE_FLAGS", bridge_flags(bflags)))
    info = take(kw, "vlan_info")
    if info is not None:
        spec += vlan_infos(info)
    tunnel = take(kw, "vlan_tunnel_info")
    if tunnel is not None:
        spec += tunnel_infos(tunnel)
    check_left("vlan_filter", kw)
    if info is None and tunnel is None:
        raise ValueError(f"vlan_filter {cmd} needs vlan_info= or vlan_tunnel_info=")
    action = "set" if cmd == "add" else "del"
    return Request(verbs[cmd], 0, {"family": C.AF_BRIDGE,
                                   "index": uint(index, "index", 0x7FFFFFFF)},
                   [("IFLA_AF_SPEC", spec)], action)


__all__ = ["brport_request", "fdb_request", "library_fdb_defaults", "vlan_filter_request",
           "vlans_request"]


def fdb_flush_request(ifindex: Any, *, flags: int = 0, flags_mask: int = 0, state: int = 0,
                      state_mask: int = 0, brport: Any = None, vlan: Any = None) -> Request:
    """bridge(8)'s ``fdb flush``: one RTM_DELNEIGH with NLM_F_BULK; the kernel deletes the
    entries of ``ifindex`` whose state and flags match under the masks (NDA_NDM_*_MASK),
    of port ``brport`` and ``vlan`` when given."""
    fields = {"family": C.AF_BRIDGE, "ifindex": uint(ifindex, "ifindex", 0x7FFFFFFF),
              "state": state, "flags": flags}
    attrs: list[tuple[str, Any]] = []
    if brport is not None:
        attrs.append(("NDA_IFINDEX", uint(brport, "brport", 0x7FFFFFFF)))
    if vlan is not None:
        attrs.append(("NDA_VLAN", uint(vlan, "vlan", 4094)))
    if flags_mask:
        attrs.append(("NDA_NDM_FLAGS_MASK", flags_mask))
    if state_mask:
        attrs.append(("NDA_NDM_STATE_MASK", state_mask))
    return Request(C.RTM_DELNEIGH, C.NLM_F_BULK, fields, attrs, "del")


def vlan_options_request(index: Any, vid: Any, *, state: Any = None,
                         mcast_router: Any = None, neigh_suppress: Any = None) -> Request:
    """bridge(8)'s ``vlan set``: RTM_NEWVLAN with one BRIDGE_VLANDB_ENTRY (a range as its
    first id and BRIDGE_VLANDB_ENTRY_RANGE) carrying the options to change."""
    lo, hi = vid_range(vid)
    entry: list[tuple[str, Any]] = [("BRIDGE_VLANDB_ENTRY_INFO", {"flags": 0, "vid": lo})]
    if hi != lo:
        entry.append(("BRIDGE_VLANDB_ENTRY_RANGE", hi))
    if state is not None:
        entry.append(("BRIDGE_VLANDB_ENTRY_STATE", brport_value("state", state)))
    if mcast_router is not None:
        entry.append(("BRIDGE_VLANDB_ENTRY_MCAST_ROUTER", uint(mcast_router, "mcast_router",
                                                               255)))
    if neigh_suppress is not None:
        entry.append(("BRIDGE_VLANDB_ENTRY_NEIGH_SUPPRESS", int(bool(neigh_suppress))))
    if len(entry) == 1 + (hi != lo):
        raise ValueError("vlan set needs an option (state, mcast_router, neigh_suppress)")
    return Request(C.RTM_NEWVLAN, 0, {"family": C.AF_BRIDGE,
                                      "ifindex": uint(index, "index", 0x7FFFFFFF)},
                   [("BRIDGE_VLANDB_ENTRY", entry)], "set")
