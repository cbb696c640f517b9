"""Neighbour requests: ``IPRoute.neigh(cmd, **kw)`` keywords -> Request."""

from __future__ import annotations

from typing import Any

from ..codec import constants as C
from ..codec import neigh as neigh_tables
from .base import (
    Request,
    attrs_left,
    check_left,
    raw_names,
    split_prefix,
    take,
    uint,
    verb_of,
)

NUD_NUMBERS = {v.lower(): k for k, v in C.NUD_NAMES.items()}
NUD_NUMBERS["none"] = C.NUD_NONE


def nud_state(value: Any) -> int:
    if isinstance(value, str):
        key = value.lower()
        if key in NUD_NUMBERS:
            return NUD_NUMBERS[key]
        raise ValueError(f"unknown neighbour state {value!r} (one of "
                         f"{', '.join(sorted(NUD_NUMBERS))})")
    return uint(value, "neighbour state", 0xFFFF)


def neigh_request(cmd: str, kw: dict) -> Request:
    kw = raw_names(kw, neigh_tables.ATTRS)
    action, flags, mtype = verb_of("neigh", cmd)
    fields: dict[str, int] = {}
    attrs: list[tuple[str, Any]] = []
    index = take(kw, "ifindex", "index")
    if index is not None:
        index = uint(index, "ifindex", 0x7FFFFFFF)
        fields["ifindex"] = index
    family = take(kw, "family")
    if family is not None:
        family = uint(family, "family", 255)
    dst = take(kw, "dst")
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
    lladdr = take(kw, "lladdr")
    if lladdr is not None:
        attrs.append(("lladdr", lladdr))
    state = take(kw, "state", "nud")
    if state is not None:
        fields["state"] = nud_state(state)
    elif action == "new":
        fields["state"] = C.NUD_PERMANENT  # as `ip neigh add` does
    nflags = take(kw, "flags")
    if nflags is not None:
        fields["flags"] = uint(nflags, "flags", 255)
    if take(kw, "proxy"):
        fields["flags"] = fields.get("flags", 0) | C.NTF_PROXY
    attrs_left(kw, neigh_tables.ATTRS, attrs)
    check_left("neigh", kw)
    if dst is None:
        raise ValueError(f"neigh {cmd} needs dst=")
    if index is None:
        raise ValueError(f"neigh {cmd} needs ifindex=")
    return Request(mtype, flags, fields, attrs, action)
