"""Address requests: ``IPRoute.addr(cmd, **kw)`` keywords -> Request."""

from __future__ import annotations

import _socket as socket  # the C module: socket.py imports enum (start-up time)
from typing import Any

from ..codec import addr as addr_tables
from ..codec import constants as C
from .base import (
    Request,
    attrs_left,
    check_left,
    flag_bits,
    ip_bytes,
    named,
    raw_names,
    split_prefix,
    take,
    uint,
    verb_of,
)


def _ipv4_broadcast(raw: bytes, prefixlen: int) -> str:
    host_bits = (1 << (32 - prefixlen)) - 1
    return socket.inet_ntoa((int.from_bytes(raw, "big") | host_bits).to_bytes(4, "big"))


def addr_request(cmd: str, kw: dict) -> Request:
    kw = raw_names(kw, addr_tables.ATTRS)
    action, flags, mtype = verb_of("addr", cmd)
    fields: dict[str, int] = {}
    index = take(kw, "index", "ifindex")
    if index is not None:
        fields["index"] = uint(index, "index", 0x7FFFFFFF)
    family = take(kw, "family")
    if family is not None:
        family = uint(family, "family", 255)
    if action in ("dump", "get"):
        return _addr_dump(mtype, fields, family, kw)
    address = take(kw, "address")
    local = take(kw, "local")
    prefixlen = take(kw, "prefixlen", "mask")
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
    brd = take(kw, "broadcast", "brd")
    if brd is not None and brd is not False and fam != C.AF_INET:
        raise ValueError(f"broadcast {brd!r}: only IPv4 addresses have a broadcast address")
    if brd is True or brd == "+":
        if prefixlen < 31:
            attrs.append(("broadcast", _ipv4_broadcast(ip_bytes(ip)[0], prefixlen)))
    elif brd:
        attrs.append(("broadcast", split_prefix(brd, "broadcast")[0]))
    label = take(kw, "label")
    if label is not None:
        if not isinstance(label, str):
            raise ValueError(f"invalid label {label!r}")
        attrs.append(("label", label))
    scope = take(kw, "scope")
    if scope is not None:
        fields["scope"] = named(scope, C.RT_SCOPE_NAMES, "scope")
    aflags = take(kw, "flags", default=0)
    if isinstance(aflags, (list, tuple)):
        aflags = flag_bits(aflags, C.IFA_F_NAMES, "address flag")
    else:
        aflags = uint(aflags, "address flags")
    if take(kw, "nodad"):
        aflags |= C.IFA_F_NODAD
    if aflags:
        attrs.append(("flags", aflags))
    valid = take(kw, "valid_lft", "valid")
    preferred = take(kw, "preferred_lft", "preferred")
    if valid is not None or preferred is not None:
        v = _lifetime(valid)
        p = _lifetime(preferred) if preferred is not None else v
        if p > v:
            raise ValueError("preferred_lft is greater than valid_lft")
        attrs.append(("cacheinfo", {"ifa_preferred": p, "ifa_valid": v}))
    metric = take(kw, "metric", "priority")
    if metric is not None:
        attrs.append(("rt_priority", uint(metric, "metric")))
    attrs_left(kw, addr_tables.ATTRS, attrs)
    check_left("addr", kw)
    return Request(mtype, flags, fields, attrs, action)


def _addr_dump(mtype: int, fields: dict, family: int | None, kw: dict) -> Request:
    # the kernel filters by family and index; the rest is filtered here
    if family:
        fields["family"] = family
    filters: dict[str, Any] = {}
    if "index" in fields:
        filters["index"] = fields["index"]
    for key in ("address", "local", "broadcast"):
        value = take(kw, key)
        if value is not None:
            ip, plen, _fam = split_prefix(value, key)
            filters[key] = ip
            if plen is not None:
                filters["prefixlen"] = plen
    prefixlen = take(kw, "prefixlen", "mask")
    if prefixlen is not None:
        filters["prefixlen"] = prefixlen
    scope = take(kw, "scope")
    if scope is not None:
        filters["scope"] = named(scope, C.RT_SCOPE_NAMES, "scope")
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
