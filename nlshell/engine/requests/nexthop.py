"""Nexthop requests: ``IPRoute.nexthop(cmd, **kw)`` keywords -> Request.

nlshell's own API (pyroute2 has no ``nexthop()``), in its style: ``id``, ``gateway``,
``oif`` (or ``dev``: an index), ``blackhole``, ``fdb``, ``onlink``, ``group`` (ids, or
(id, weight) pairs, or {'id', 'weight'} dicts), ``group_type`` ('mpath' | 'resilient'),
``buckets``/``idle_timer``/``unbalanced_timer`` (resilient groups), ``protocol``, ``family``.

The kernel checks nexthop requests strictly: a delete or a get carries the id and nothing
else (a zero header), a dump only its filters (oif, master, groups, fdb).
"""

from __future__ import annotations

from typing import Any

from ..codec import constants as C
from .base import VERBS, Request, check_left, family_of, ip_bytes, named, take, uint

MSG = {"new": C.RTM_NEWNEXTHOP, "set": C.RTM_NEWNEXTHOP, "del": C.RTM_DELNEXTHOP,
       "get": C.RTM_GETNEXTHOP, "dump": C.RTM_GETNEXTHOP}
VERB_NAMES = ("add", "replace", "del", "delete", "get", "dump", "show", "flush")
GROUP_TYPES = ("mpath", "resilient")
# resilient group keywords -> NHA_RES_GROUP_* (timers in seconds, clock_t on the wire)
_RES_KEYS = (("buckets", "NHA_RES_GROUP_BUCKETS", 0xFFFF, 1),
             ("idle_timer", "NHA_RES_GROUP_IDLE_TIMER", 0xFFFFFFFF // C.USER_HZ, C.USER_HZ),
             ("unbalanced_timer", "NHA_RES_GROUP_UNBALANCED_TIMER",
              0xFFFFFFFF // C.USER_HZ, C.USER_HZ))
# dump keywords the kernel filters by (attributes of the dump request)
_DUMP_ATTRS = (("oif", "NHA_OIF"), ("master", "NHA_MASTER"))
_DUMP_FLAGS = (("groups", "NHA_GROUPS"), ("fdb", "NHA_FDB"))


def group_members(value: Any) -> list[dict[str, int]]:
    """[1, 2], [(1, 3), (2, 1)], [{'id': 1, 'weight': 3}] -> [{'id', 'weight'}]."""
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise ValueError(f"invalid nexthop group {value!r} (a list of ids or (id, weight))")
    out = []
    for entry in value:
        if isinstance(entry, dict):
            nh_id, weight = entry.get("id"), entry.get("weight", 1)
        elif isinstance(entry, (tuple, list)) and len(entry) == 2:
            nh_id, weight = entry
        else:
            nh_id, weight = entry, 1
        out.append({"id": uint(nh_id, "nexthop group id"),
                    "weight": _weight(weight)})
    if not out:
        raise ValueError("empty nexthop group")
    return out


def _weight(value: Any) -> int:
    w = uint(value, "nexthop weight", 256)
    if w == 0:
        raise ValueError("invalid nexthop weight 0 (1..256)")
    return w


def nexthop_request(cmd: str, kw: dict) -> Request:
    kw = dict(kw)
    if not isinstance(cmd, str) or cmd not in VERBS or cmd not in VERB_NAMES:
        raise ValueError(f"unknown nexthop command {cmd!r} "
                         f"(one of {', '.join(v for v in VERB_NAMES if v != 'flush')})")
    action, flags = VERBS[cmd]
    mtype = MSG[action]
    if action == "dump":
        return _dump(mtype, kw)
    nh_id = take(kw, "id", "nhid")
    if action in ("del", "get"):
        if nh_id is None:
            raise ValueError(f"nexthop {cmd} needs id=")
        check_left(f"nexthop {cmd}", kw)
        return Request(mtype, 0, {}, [("NHA_ID", uint(nh_id, "nexthop id"))], action)
    return _change(mtype, flags, action, nh_id, kw)


def _change(mtype: int, flags: int, action: str, nh_id: Any, kw: dict) -> Request:
    if nh_id is None:
        raise ValueError("nexthop add needs id= (the kernel's own ids are not read back)")
    nh_id = uint(nh_id, "nexthop id")
    if nh_id == 0:
        raise ValueError("invalid nexthop id 0")
    attrs: list[tuple[str, Any]] = [("NHA_ID", nh_id)]
    fields: dict[str, int] = {}
    family = take(kw, "family")
    gateway = take(kw, "gateway", "via")
    oif = take(kw, "oif", "dev")
    group = take(kw, "group")
    blackhole = bool(take(kw, "blackhole"))
    if group is not None:
        if gateway is not None or oif is not None or blackhole:
            raise ValueError("a nexthop group takes no gateway, oif or blackhole")
        attrs.append(("NHA_GROUP", group_members(group)))
        gtype = take(kw, "group_type", "type")
        res = [(attr, uint(v, key, limit) * scale) for key, attr, limit, scale in _RES_KEYS
               if (v := take(kw, key)) is not None]
        if gtype is not None:
            if gtype not in GROUP_TYPES:
                raise ValueError(f"unknown nexthop group type {gtype!r} "
                                 f"(one of {', '.join(GROUP_TYPES)})")
            attrs.append(("NHA_GROUP_TYPE", gtype))
        if res:
            if gtype != "resilient":
                raise ValueError("buckets/idle_timer/unbalanced_timer need "
                                 "group_type='resilient'")
            attrs.append(("NHA_RES_GROUP", res))
        fam = 0
    else:
        if blackhole:
            if gateway is not None or oif is not None:
                raise ValueError("a blackhole nexthop takes no gateway or oif")
            attrs.append(("NHA_BLACKHOLE", True))
        if gateway is not None:
            ip_bytes(gateway, "nexthop gateway")
            attrs.append(("NHA_GATEWAY", gateway))
        if oif is not None:
            attrs.append(("NHA_OIF", uint(oif, "nexthop oif")))
        if gateway is None and oif is None and not blackhole and not kw.get("fdb"):
            raise ValueError("a nexthop needs gateway=, oif=, blackhole=True or group=")
        fam = family_of(gateway) if gateway is not None else C.AF_INET
    fields["family"] = uint(family, "family", 255) if family is not None else fam
    if take(kw, "fdb"):
        attrs.append(("NHA_FDB", True))
    if take(kw, "onlink"):
        fields["flags"] = C.RTNH_F_ONLINK
    proto = take(kw, "protocol", "proto")
    if proto is not None:
        fields["protocol"] = named(proto, C.RTPROT_NAMES, "protocol")
    check_left("nexthop", kw)
    return Request(mtype, flags, fields, attrs, action)


def _dump(mtype: int, kw: dict) -> Request:
    family = take(kw, "family")
    fields = {"family": uint(family, "family", 255) if family is not None else 0}
    attrs: list[tuple[str, Any]] = []
    for key, attr in _DUMP_ATTRS:
        value = take(kw, key, *(("dev",) if key == "oif" else ()))
        if value is not None:
            attrs.append((attr, uint(value, key)))
    for key, attr in _DUMP_FLAGS:
        if take(kw, key):
            attrs.append((attr, True))
    filters: dict[Any, Any] = {}
    nh_id = take(kw, "id", "nhid")
    if nh_id is not None:
        filters["NHA_ID"] = uint(nh_id, "nexthop id")
    proto = take(kw, "protocol", "proto")
    if proto is not None:
        filters["protocol"] = named(proto, C.RTPROT_NAMES, "protocol")
    check_left("nexthop filter", kw)
    return Request(mtype, 0, fields, attrs, "dump", filters)


def delete_request(nh_id: int) -> Request:
    """The delete of nexthop ``nh_id`` (what flush and an undo send)."""
    return Request(C.RTM_DELNEXTHOP, 0, {}, [("NHA_ID", nh_id)], "del")


def flush_order(msgs: list[Any]) -> list[int]:
    """The ids of dumped nexthops in the order a flush deletes them: groups first (a
    member's delete would change or remove its group under us)."""
    groups = [m.get("NHA_ID") for m in msgs if m.get("NHA_GROUP") is not None]
    singles = [m.get("NHA_ID") for m in msgs if m.get("NHA_GROUP") is None]
    return groups + singles
