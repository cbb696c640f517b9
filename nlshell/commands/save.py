"""``save [OBJECT...]``: the namespace's configuration as an nlshell batch file that
recreates it from an empty namespace (``nlshell -b FILE``).

Links come first (lower devices and veth peers by name, MACs fixed so random ones come
back the same), then masters and up/down, then addresses, routes (every table), rules and
permanent neighbours. What the kernel makes by itself is left out: routes of proto
kernel, IPv6 link-local addresses derived from the MAC, the default rules, lo's own
addresses. What cannot be written as a command is a ``#`` comment saying what is missing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from nlshell.commands import slots as S
from nlshell.commands.context import CommandError, quoted
from nlshell.commands.grammar import REGISTRY, Rest
from nlshell.engine.codec import constants as C
from nlshell.engine.requests import route_defaults as RD

H = "nlshell.commands.save:"

OBJECTS = {"link": "links (devices)", "address": "addresses", "route": "routes",
           "rule": "rules", "neighbour": "permanent neighbours"}
# the words ip accepts for each object
_OBJECT_WORDS = {"link": "link", "l": "link", "address": "address", "addr": "address",
                 "a": "address", "route": "route", "r": "route", "rule": "rule",
                 "neighbour": "neighbour", "neighbor": "neighbour", "neigh": "neighbour",
                 "n": "neighbour"}

REGISTRY.command("save", "print the configuration as a batch file recreating it", [
    Rest("objects", "only these objects (link address route rule neighbour)",
         slot=S.choice("OBJECT", OBJECTS), metavar="OBJECT"),
], handler=H + "save")


def save(ctx: Any, inv: Any) -> None:
    words = inv.values.get("objects") or []
    wanted = []
    for word in words:
        obj = _OBJECT_WORDS.get(word)
        if obj is None:
            raise CommandError(f"save: unknown object {quoted(word)} "
                               f"(one of {', '.join(OBJECTS)})")
        wanted.append(obj)
    for line in save_lines(ctx.ipr, set(wanted) or set(OBJECTS)):
        ctx.write(line)


def save_lines(ipr: Any, objects: set[str]) -> Iterator[str]:
    """The lines of `save` for these objects."""
    return (line for _key, line in saved_objects(ipr, objects))


def saved_objects(ipr: Any, objects: set[str] | None = None) -> Iterator[tuple[tuple, str]]:
    """(identity, line) for each line `save` prints: the identity names the object or
    setting the line makes (("link", name), ("up", name), ("route", family, table, dst,
    ...)...); a comment's is ("#", text)."""
    objects = set(OBJECTS) if objects is None else objects
    links = sorted(ipr.kernel_dump("link"), key=lambda m: m["index"])
    names = {m["index"]: m.get("ifname") for m in links}
    macs = {m["index"]: m.get("address") for m in links}
    if "link" in objects:
        yield from _links(links, names)
    if "address" in objects:
        for msg in ipr.kernel_dump("addr"):
            yield from _address(msg, names, macs)
    if "route" in objects:
        for msg in ipr.kernel_dump("route"):
            yield from _route(msg, names)
    if "rule" in objects:
        for msg in ipr.kernel_dump("rule"):
            yield from _rule(msg, names)
    if "neighbour" in objects:
        for msg in ipr.kernel_dump("neigh"):
            yield from _neighbour(msg, names)


# --- links --------------------------------------------------------------------------------

# kind -> (INFO_DATA attribute, the word that writes it, the kernel's default): a value
# equal to the default is left out (a kernel without VLAN filtering refuses even a 0)
_KIND_WORDS: dict[str, tuple[tuple[str, str, Any], ...]] = {
    "bridge": (("IFLA_BR_STP_STATE", "stp_state", 0),
               ("IFLA_BR_FORWARD_DELAY", "forward_delay", 1500),
               ("IFLA_BR_AGEING_TIME", "ageing_time", 30000),
               ("IFLA_BR_PRIORITY", "priority", 32768),
               ("IFLA_BR_VLAN_FILTERING", "vlan_filtering", 0)),
    "vxlan": (("IFLA_VXLAN_ID", "id", None), ("IFLA_VXLAN_PORT", "dstport", None),
              ("IFLA_VXLAN_LOCAL", "local", "0.0.0.0"), ("IFLA_VXLAN_LOCAL6", "local", "::"),
              ("IFLA_VXLAN_TTL", "ttl", 0)),
    "macvlan": (("IFLA_MACVLAN_MODE", "mode", None),),
    "macvtap": (("IFLA_MACVLAN_MODE", "mode", None),),
    "ifb": (),
    "veth": (),
}


def _links(links: list[Any], names: dict[int, str]) -> Iterator[tuple[tuple, str]]:
    done: set[int] = set()
    by_index = {m["index"]: m for m in links}
    # lower devices first: a macvlan or vxlan names its lower device
    order = sorted(links, key=lambda m: (m.get("link") in by_index
                                         and by_index[m.get("link")].get("link") is None
                                         and _kind(m) not in ("veth",), m["index"]))
    later: list[tuple[tuple, str]] = []
    for msg in order:
        kind = _kind(msg)
        lower = msg.get("link")
        if kind == "veth" and lower in by_index and msg.get("link_netnsid") is None and \
                by_index[lower].get("ifname") < msg.get("ifname"):
            msg = by_index[lower]  # a pair is written from the end whose name sorts first
        index, name = msg["index"], msg.get("ifname")
        if index in done:
            continue
        done.add(index)
        if name == "lo":
            if msg.get("mtu") not in (None, 65536):
                later.append((("mtu", "lo"), f"link set lo mtu {msg.get('mtu')}"))
        elif kind not in _KIND_WORDS:
            yield ("#", f"# link {name}: a {kind or 'physical'} device; nlshell cannot "
                   "create it (its settings follow and need it to exist)")
        else:
            words = ["link", "add", name, *_basic(msg), "type", kind]
            data = msg.get(("linkinfo", "data"))
            for attr, word, default in _KIND_WORDS[kind]:
                value = data.get(attr) if data is not None else None
                if value is not None and value != default:
                    words += [word, str(value)]
            if kind == "vxlan" and data is not None:
                _vxlan_words(data, names, words)
            lower = msg.get("link")
            if kind == "veth":
                peer = by_index.get(lower) if lower else None
                if peer is None or msg.get("link_netnsid") is not None:
                    yield ("#", f"# link {name}: its veth peer is in another namespace; "
                           "a peer is made here instead")
                    words += ["peer", "name", f"{name}-peer"[:15]]
                else:
                    done.add(lower)
                    words += ["peer", "name", peer.get("ifname"), *_basic(peer)]
                    later.extend(_link_set(peer, names))
            elif lower and kind in ("macvlan", "macvtap"):
                words[3:3] = ["link", names.get(lower, str(lower))]
            yield ("link", name), " ".join(words)
        later.extend(_link_set(msg, names))
    yield from later
    for msg in links:  # up last: a port is enslaved while down, as ip does it
        if msg["flags"] & C.IFF_UP:
            yield ("up", msg.get("ifname")), f"link set {msg.get('ifname')} up"


def _vxlan_words(data: Any, names: dict[int, str], words: list[str]) -> None:
    group = data.get("IFLA_VXLAN_GROUP") or data.get("IFLA_VXLAN_GROUP6")
    if group and group not in ("0.0.0.0", "::"):
        words += ["group" if ipaddress.ip_address(group).is_multicast else "remote", group]
    dev = data.get("IFLA_VXLAN_LINK")
    if dev:
        words += ["dev", names.get(dev, str(dev))]
    if data.get("IFLA_VXLAN_LEARNING") == 0:
        words.append("nolearning")


def _kind(msg: Any) -> str | None:
    return msg.get(("linkinfo", "kind"))


def _basic(msg: Any) -> list[str]:
    words = []
    if msg.get("mtu") is not None:
        words += ["mtu", str(msg.get("mtu"))]
    if msg.get("address"):
        words += ["address", msg.get("address")]
    return words


def _link_set(msg: Any, names: dict[int, str]) -> list[tuple[tuple, str]]:
    master = msg.get("master")
    if master:
        name = msg.get("ifname")
        return [(("master", name), f"link set {name} master {names.get(master, str(master))}")]
    return []


# --- addresses ----------------------------------------------------------------------------

_LO_ADDRESSES = {("127.0.0.1", 8), ("::1", 128)}


def _eui64(mac: str | None) -> str | None:
    """The link-local address the kernel derives from a MAC."""
    if not mac or mac.count(":") != 5:
        return None
    octets = bytes.fromhex(mac.replace(":", ""))
    iid = bytes([octets[0] ^ 2]) + octets[1:3] + b"\xff\xfe" + octets[3:]
    return str(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + iid))


def _address(msg: Any, names: dict[int, str], macs: dict[int, str]
             ) -> Iterator[tuple[tuple, str]]:
    family = msg["family"]
    local = msg.get("local") or msg.get("address")
    plen = msg["prefixlen"]
    index = msg["index"]
    name = names.get(index, str(index))
    if name == "lo" and (local, plen) in _LO_ADDRESSES:
        return
    flags = msg.get("IFA_FLAGS") or msg["flags"]
    if family == C.AF_INET6:
        if not flags & C.IFA_F_PERMANENT:
            return  # autoconfigured (SLAAC, temporary): the kernel makes it
        if plen == 64 and local == _eui64(macs.get(index)):
            return  # the link-local address the kernel derives from the MAC
    words = ["address", "add", f"{local}/{plen}"]
    peer = msg.get("address")
    if msg.get("local") and peer and peer != local:
        words += ["peer", f"{peer}/{plen}"]
    words += ["dev", name]
    label = msg.get("label")
    if label and label != name:
        words += ["label", label]
    brd = msg.get("broadcast")
    if brd:
        words += ["broadcast", brd]
    scope = msg["scope"]
    if scope != C.RT_SCOPE_UNIVERSE and not (family == C.AF_INET6 and scope == C.RT_SCOPE_LINK
                                             and local.startswith("fe80")):
        words += ["scope", C.RT_SCOPE_NAMES.get(scope, str(scope))]
    if family == C.AF_INET6:
        words.append("nodad")  # the saved address was already checked (DAD) once
    yield ("address", name, f"{local}/{plen}"), " ".join(words)


# --- routes -------------------------------------------------------------------------------


def _route(msg: Any, names: dict[int, str]) -> Iterator[tuple[tuple, str]]:
    # one read of the whole message: a save of 100,000 routes passes here 100,000 times
    (family, dst_len, src_len, tos, table, proto, scope, rtype, flags), a = msg.whole()
    if proto in (C.RTPROT_KERNEL, C.RTPROT_RA):
        return  # made by the kernel with addresses and links, or learnt from routers
    dst = a.get("RTA_DST")
    where = f"{dst}/{dst_len}" if dst is not None else \
        ("default" if family == C.AF_INET else "::/0")
    cache = a.get("RTA_CACHEINFO")
    if cache is not None and msg.get(("RTA_CACHEINFO", "rta_expires")):
        yield ("#", f"# route {where}: expires; saved without its lifetime")
    words = ["route", "add"]
    if rtype != C.RTN_UNICAST:
        words.append(C.RTN_NAMES.get(rtype, str(rtype)))
    words.append(where)
    src = a.get("RTA_SRC")
    if src:
        words += ["from", f"{src}/{src_len}"]
    if tos:
        words += ["tos", str(tos)]
    # what `route add` would choose anyway is left out (route_defaults: ip's table)
    table = a.get("RTA_TABLE") or table
    if table != RD.default_table(rtype):
        words += ["table", str(table)]
    if proto != RD.ADD_PROTO:
        words += ["proto", _PROTOS.get(proto) or str(proto)]
    gateway = a.get("RTA_GATEWAY")
    direct = rtype == C.RTN_UNICAST and not gateway and not a.get("RTA_MULTIPATH") \
        and not a.get("RTA_NH_ID")
    if scope != RD.default_scope("add", family, rtype, direct):
        words += ["scope", _SCOPES.get(scope) or str(scope)]
    metric = a.get("RTA_PRIORITY")
    if metric is not None and not (family == C.AF_INET6 and metric == _IPV6_METRIC):
        words += ["metric", str(metric)]
    if gateway:
        words += ["via", gateway]
    oif = a.get("RTA_OIF")
    if oif:
        words += ["dev", names.get(oif) or str(oif)]
    if a.get("RTA_PREFSRC"):
        words += ["src", a["RTA_PREFSRC"]]
    if flags & C.RTNH_F_ONLINK:
        words.append("onlink")
    if a.get("RTA_NH_ID"):
        words += ["nhid", str(a["RTA_NH_ID"])]
    for hop in a.get("RTA_MULTIPATH") or ():
        words += ["nexthop"]
        if hop.get("gateway"):
            words += ["via", hop.get("gateway")]
        if hop.get("oif"):
            words += ["dev", names.get(hop["oif"], str(hop["oif"]))]
        words += ["weight", str(hop.get("hops", 0) + 1)]
        if hop.get("flags", 0) & C.RTNH_F_ONLINK:
            words.append("onlink")
    metrics = a.get("RTA_METRICS")
    if metrics is not None:
        for attr, value in metrics.attr_dict().items():
            word = attr[len("RTAX_"):].lower()
            if word in _ROUTE_METRICS:
                words += [word, str(value)]
            else:
                yield ("#", f"# route {where}: metric {attr} {value} not saved")
    key = ("route", family, table, where, tos, metric, src and f"{src}/{src_len}")
    yield key, " ".join(words)


_IPV6_METRIC = 1024  # the kernel's metric for an IPv6 route added without one
_PROTOS = C.RTPROT_NAMES
_SCOPES = C.RT_SCOPE_NAMES
_ROUTE_METRICS = ("mtu", "advmss", "window", "hoplimit", "initcwnd", "initrwnd", "ssthresh",
                  "cwnd", "reordering", "quickack")


def _dst(msg: Any) -> str:
    dst = msg.get("dst")
    if dst is None:
        return "default" if msg["family"] == C.AF_INET else "::/0"
    return f"{dst}/{msg['dst_len']}"


# --- rules --------------------------------------------------------------------------------

_RULE_ACTIONS = {C.FR_ACT_BLACKHOLE: "blackhole", C.FR_ACT_UNREACHABLE: "unreachable",
                 C.FR_ACT_PROHIBIT: "prohibit", C.FR_ACT_NOP: "nop"}


def _rule(msg: Any, names: dict[int, str]) -> Iterator[tuple[tuple, str]]:
    if msg.get("FRA_PROTOCOL") == C.RTPROT_KERNEL:
        return  # the default rules
    words = ["rule", "add"]
    if msg["family"] == C.AF_INET6:
        words[0:0] = ["-6"]
    if msg["flags"] & C.FIB_RULE_INVERT:
        words.append("not")
    if msg.get("FRA_SRC"):
        words += ["from", f"{msg.get('FRA_SRC')}/{msg['src_len']}"]
    if msg.get("FRA_DST"):
        words += ["to", f"{msg.get('FRA_DST')}/{msg['dst_len']}"]
    if msg["tos"]:
        words += ["tos", str(msg["tos"])]
    mark = msg.get("FRA_FWMARK")
    if mark is not None:
        mask = msg.get("FRA_FWMASK")
        words += ["fwmark", f"{mark:#x}" + (f"/{mask:#x}" if mask not in (None, 0xFFFFFFFF)
                                            else "")]
    for attr, word in (("FRA_IIFNAME", "iif"), ("FRA_OIFNAME", "oif")):
        if msg.get(attr):
            words += [word, msg.get(attr)]
    words += ["priority", str(msg.get("FRA_PRIORITY") or 0)]
    action = msg["action"]
    if action == C.FR_ACT_GOTO:
        words += ["goto", str(msg.get("FRA_GOTO"))]
    elif action in _RULE_ACTIONS:
        words.append(_RULE_ACTIONS[action])
    else:
        words += ["table", str(msg.get("FRA_TABLE") or msg["table"])]
    plen = msg.get("FRA_SUPPRESS_PREFIXLEN")
    if plen not in (None, 0xFFFFFFFF):
        words += ["suppress_prefixlength", str(plen)]
    proto = msg.get("FRA_PROTOCOL")
    if proto:
        words += ["proto", C.RTPROT_NAMES.get(proto, str(proto))]
    line = " ".join(words)
    yield ("rule", line), line


# --- neighbours ---------------------------------------------------------------------------


def _neighbour(msg: Any, names: dict[int, str]) -> Iterator[tuple[tuple, str]]:
    if msg["family"] not in (C.AF_INET, C.AF_INET6):
        return
    dev = names.get(msg["ifindex"], str(msg["ifindex"]))
    if msg["flags"] & C.NTF_PROXY:
        yield ("proxy", dev, msg.get("dst")), f"neighbour add proxy {msg.get('dst')} dev {dev}"
        return
    if not msg["state"] & C.NUD_PERMANENT:
        return  # learnt entries come back with traffic
    words = ["neighbour", "add", msg.get("dst")]
    if msg.get("lladdr"):
        words += ["lladdr", msg.get("lladdr")]
    words += ["dev", dev, "nud", "permanent"]
    if msg["flags"] & C.NTF_ROUTER:
        words.append("router")
    yield ("neighbour", dev, msg.get("dst")), " ".join(words)
