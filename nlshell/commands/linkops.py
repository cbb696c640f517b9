"""The handlers of ``link`` and ``tuntap`` other than ``link show``: building the engine's
keywords for ``link add|set``, tun/tap devices through /dev/net/tun, ``link xstats`` and
``afstats``. Their declarations are link.py's; this module is imported when one of these
handlers first runs (``nlshell -c 'link show'`` never reads it: start-up time).
"""

from __future__ import annotations

from nlshell.commands.link import ID_MAX, _kinds, _link_msg, _vrf_index, link
from nlshell.engine.codec import constants as C

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

# -- building engine keywords ----------------------------------------------------------

def _vlan(ctx: Any, v: dict[str, Any]) -> dict[str, Any]:
    kw = {"vlan_id": v["id"]}
    if "protocol" in v:
        kw["vlan_protocol"] = v["protocol"]
    return kw


def _bond(ctx: Any, v: dict[str, Any]) -> dict[str, Any]:
    return {eng: v[word] for word, eng in (("mode", "bond_mode"), ("miimon", "bond_miimon"))
            if word in v}


def _vrf(ctx: Any, v: dict[str, Any]) -> dict[str, Any]:
    table = v["table"]
    if isinstance(table, str):
        from nlshell.engine.requests import table_number

        table = table_number(table)
    return {"vrf_table": table}


# kinds whose words are not in linkkinds' tables (veth's peer is built by _generic_kw)
KIND_DATA: dict[str, Callable[[Any, dict[str, Any]], dict[str, Any]]] = {
    "vlan": _vlan, "bond": _bond, "vrf": _vrf,
}

# on|off words of `link add|set` -> (IFF_ bit, True when "on" sets the bit)
_IFF = {name: bit for bit, name in C.IFF_FLAGS.items()}
_IFF_WORDS = {"arp": (_IFF["NOARP"], False), "promisc": (_IFF["PROMISC"], True),
              "multicast": (_IFF["MULTICAST"], True), "allmulticast": (_IFF["ALLMULTI"], True),
              "dynamic": (_IFF["DYNAMIC"], True), "trailers": (_IFF["NOTRAILERS"], False)}

# generic words -> IPRoute.link keywords (values passed as they are)
_PLAIN = {"mtu": "mtu", "txqueuelen": "txqlen", "address": "address",
          "broadcast": "broadcast", "netns": "netns", "alias": "ifalias", "state": "state",
          "group": "group", "gso_max_size": "gso_max_size", "gso_max_segs": "gso_max_segs",
          "gro_max_size": "gro_max_size", "index": "index", "numtxqueues": "num_tx_queues",
          "numrxqueues": "num_rx_queues", "name": "ifname", "carrier": "carrier",
          "protodown": "proto_down", "link_netnsid": "link_netnsid"}


def _xdp_off() -> bytes:
    """IFLA_XDP { IFLA_XDP_FD = -1 }: detach whatever program is attached."""
    import struct  # (not at import: start-up time)

    return struct.pack("=HHi", 8, 1, -1)


def _link_nsid(ctx: Any, name: str) -> int:
    """The id the current namespace gives namespace `name`, one assigned if it has none
    (as ip does for link-netns)."""
    from nlshell.engine import netns as N

    nsid = N.get_nsid(name, ctx.netns)
    return nsid if nsid is not None else N.set_nsid(name, -1, ctx.netns)


def _generic_kw(v: dict[str, Any], ctx: Any = None) -> dict[str, Any]:
    """The IPRoute.link keywords of the generic words in `v` (a command's or a peer's)."""
    kw: dict[str, Any] = {eng: v[word] for word, eng in _PLAIN.items() if word in v}
    if "link_netns" in v:
        kw["link_netnsid"] = _link_nsid(ctx, v["link_netns"])
    if isinstance(kw.get("carrier"), bool):
        kw["carrier"] = int(kw["carrier"])
    if isinstance(kw.get("proto_down"), bool):
        kw["proto_down"] = int(kw["proto_down"])
    flags = change = 0
    for word, (bit, on_sets) in _IFF_WORDS.items():
        if word in v:
            change |= bit
            if v[word] == on_sets:
                flags |= bit
    if change:
        kw["flags"], kw["change"] = flags, change
    return kw


def _kind_kw(ctx: Any, v: dict[str, Any]) -> dict[str, Any]:
    """The keywords of ``type KIND ...`` (kind data, a port's data, a veth peer)."""
    kind = v.get("type")
    if kind is None:
        return {}
    if kind == "bridge_slave":
        return {"slave_kind": "bridge", **dict(_kinds().data(ctx, kind, v))}
    kw: dict[str, Any] = {"kind": kind, **dict(_kinds().data(ctx, kind, v))}
    builder = KIND_DATA.get(kind)
    if builder is not None:
        kw.update(builder(ctx, v))
    peer = v.get("peer")
    if kind == "veth" and peer:
        kw["peer"] = {("ifname" if k == "name" else k): val
                      for k, val in {**_generic_kw(peer, ctx),
                                     **({"name": peer["name"]} if "name" in peer else {})
                                     }.items()}
        kw["peer"].pop("ifalias", None)  # set afterwards, as for the device itself
    return kw


def link_add_kwargs(ctx: Any, inv: Any) -> dict[str, Any]:
    """The IPRoute.link('add', ...) keywords for a parsed ``link add`` (tun/tap excluded)."""
    v = inv.values
    kw: dict[str, Any] = {"ifname": v["name"], **_generic_kw(v, ctx)}
    if "link" in v:
        kw["link"] = ctx.ifindex(v["link"])
    kw.update(_kind_kw(ctx, v))
    return kw



def _protodown_reason(v: dict[str, Any]) -> bytes:
    """IFLA_PROTO_DOWN_REASON { MASK = the reason's bit, VALUE = it or 0 }."""
    import struct

    bit = 1 << v["reason"]
    return struct.pack("=HHIHHI", 8, 1, bit, 8, 2, bit if v["on"] else 0)


def link_set_kwargs(ctx: Any, inv: Any) -> dict[str, Any]:
    """The IPRoute.link('set', ...) keywords for a parsed ``link set``."""
    v = inv.values
    kw = _generic_kw(v, ctx)
    if "dev" in v:
        kw["index"] = ctx.ifindex(v["dev"])
    if "master" in v:
        kw["master"] = ctx.ifindex(v["master"])
    if "vrf" in v:
        kw["master"] = _vrf_index(ctx, v["vrf"])
    if v.get("nomaster"):
        kw["master"] = 0
    if "netns" in v:
        kw["netns"] = _netns_target(v["netns"])
    if "addrgenmode" in v:
        kw["af_spec"] = [("AF_INET6", [("addr_gen_mode", v["addrgenmode"])])]
    if "xdp" in v:
        kw["xdp"] = _xdp_off()
    if "protodown_reason" in v:
        kw["proto_down_reason"] = _protodown_reason(v["protodown_reason"])
    kw.update(_kind_kw(ctx, v))
    return kw


def _netns_target(name: str) -> str:
    """A namespace name, or a pid's namespace (``netns 1234``) when no such name exists."""
    import os

    from nlshell.engine import netns

    if name.isascii() and name.isdigit() and not os.path.exists(os.path.join(netns.NETNS_RUN_DIR, name)):
        path = f"/proc/{name}/ns/net"
        if not os.path.exists(path):
            from nlshell.commands.context import CommandError

            raise CommandError(f'netns "{name}": no such namespace or process')
        return path
    return name



# -- handlers ----------------------------------------------------------------------------

def link_add(ctx: Any, inv: Any) -> None:
    v = inv.values
    if v["type"] in ("tun", "tap"):
        tun_create(ctx, v["name"], v["type"], {**v, "group": v.get("tun_group")})
        _then_set(ctx, v["name"], _generic_kw(v, ctx))
        return
    kw = link_add_kwargs(ctx, inv)
    alias = kw.pop("ifalias", None)  # the kernel ignores IFLA_IFALIAS when creating
    ctx.ipr.link("add", **kw)
    if alias is not None:
        _then_set(ctx, v["name"], {"ifalias": alias}, v.get("netns"))
    peer = v.get("peer") or {}
    if "alias" in peer:  # the peer's alias too (the kernel ignores it at creation)
        _then_set(ctx, peer["name"], {"ifalias": peer["alias"]}, peer.get("netns"))


def _then_set(ctx: Any, name: str, kw: dict[str, Any], netns: str | None = None) -> None:
    """Attributes set right after creating `name` (in `netns` when it was made there).
    If the kernel refuses them, the device just made is removed again, so a failed
    command leaves nothing behind; the error says so."""
    if not kw:
        return
    from nlshell.commands.context import CommandError, kernel_message
    from nlshell.engine.errors import NetlinkError

    ctx.forget_names()
    other = None
    try:
        if netns is None:
            ipr = ctx.ipr
        else:
            from nlshell.engine.iproute import IPRoute

            ipr = other = IPRoute(netns=_netns_target(netns))
        found = ipr.link_lookup(ifname=name)
        if not found:
            err = CommandError(f'"{name}" was created, but is gone before setting '
                               f'{", ".join(kw)}')
            err.exit_code = 2
            raise err
        try:
            ipr.link("set", index=found[0], **kw)
        except NetlinkError as exc:
            why = kernel_message(exc)
            try:
                ipr.link("del", index=found[0])
                outcome = f'"{name}" was not kept'
            except NetlinkError as gone:
                outcome = f'"{name}" was created and stays ({kernel_message(gone)})'
            err = CommandError(f'setting {", ".join(kw)} of the new "{name}" failed: '
                               f'{why}; {outcome}')
            err.exit_code = 2
            raise err from None
    finally:
        ctx.forget_names()
        if other is not None:
            other.close()


def link_set(ctx: Any, inv: Any) -> None:
    kw = link_set_kwargs(ctx, inv)
    if "type" in inv.values and "dev" in inv.values:
        _check_kind(ctx, inv.values["dev"], kw["index"], inv.values["type"])
    ctx.ipr.link("set", **kw)


def _check_kind(ctx: Any, dev: str, index: int, kind: str) -> None:
    """`link set DEV type KIND ...` on a device of another kind (or a port of no bridge):
    a usage error naming the kind, before anything is sent (ip relays the kernel's
    "Operation not supported", status 2)."""
    from nlshell.commands.context import CommandUsageError as CommandError

    m = _link_msg(ctx, index)
    if m is None:
        return  # gone meanwhile: the kernel's answer says so
    if kind.endswith("_slave"):
        have = m.get(("linkinfo", "slave_kind"))
        if have != kind[:-len("_slave")]:
            raise CommandError(f'type {kind}: "{dev}" is not a port of a '
                               f'{kind[:-len("_slave")]}')
        return
    have = m.get(("linkinfo", "kind"))
    if have != kind:
        raise CommandError(f'type {kind}: "{dev}" is a {have or "physical"} device')



def link_help(ctx: Any, inv: Any) -> None:
    """The link commands' syntax, from their declarations (nlshell's words, not ip's);
    exit status 0: help that was asked for is not an error (ip exits 255)."""
    from nlshell.commands.helptext import help_for, usage

    kind = inv.values.get("kind")
    if kind is None:
        text = "\n\n".join(usage(cmd) for cmd in link.verbs)
        ctx.write(text + "\n\nKIND words: `link help KIND`; each word: `help link VERB WORD`.")
        return
    verb = "set" if kind == "bridge_slave" else "add"
    ctx.write(help_for(["link", verb, "type", kind]))


def link_property(ctx: Any, inv: Any) -> None:
    from nlshell.engine.requests import link_property_request

    v = inv.values
    op = "add" if v["op"] == "add" else "del"
    ctx.ipr.send(link_property_request(op, ctx.ifindex(v["dev"]), v.get("altname", [])))
    ctx.forget_names()  # names resolve to indexes through a cache that knows altnames


def link_delete(ctx: Any, inv: Any) -> None:
    from nlshell.commands.context import CommandError

    v = inv.values
    if "group" in v:  # every device of the group, in one request (as ip)
        if "type" in v:
            raise CommandError("type: not with group (it checks one device)")
        ctx.ipr.link("del", group=v["group"])
        return
    dev = v["dev"]
    index = ctx.ifindex(dev)
    want = v.get("type")
    if want is not None:
        m = _link_msg(ctx, index)
        if m is None or m.get(("linkinfo", "kind")) != want:
            raise CommandError(f'device "{dev}" is not of type {want}')
    ctx.ipr.link("del", index=index)



# -- tun/tap: /dev/net/tun ioctls (the kernel makes no tun devices over rtnetlink) --------

_TUNSETIFF, _TUNSETPERSIST, _TUNSETOWNER, _TUNSETGROUP = 0x400454CA, 0x400454CB, 0x400454CC, 0x400454CE
_TUN_MODE = {"tun": C.IFF_TUN, "tap": C.IFF_TAP}
_TUN_FLAGS = {"vnet_hdr": C.IFF_VNET_HDR, "multi_queue": C.IFF_MULTI_QUEUE}  # flag -> IFF_ bit


def _owner_id(text: str | None, kind: str) -> int | None:
    """A user/group name or number -> its id; error naming it when unknown."""
    if text is None:
        return None
    if text.isascii() and text.isdigit():
        value = int(text)
        if value > ID_MAX:
            from nlshell.commands.context import CommandError, quoted

            raise CommandError(f"{kind} {quoted(text)}: not a {kind} id (0..{ID_MAX})")
        return value
    import grp
    import pwd

    from nlshell.commands.context import CommandError, quoted

    try:
        return pwd.getpwnam(text).pw_uid if kind == "user" else grp.getgrnam(text).gr_gid
    except (KeyError, ValueError):  # ValueError: a NUL in the word
        raise CommandError(f"{kind} {quoted(text)} does not exist") from None


def _c_int(value: int) -> int:
    """An id as ioctl's C int argument (the kernel reads it back as a 32-bit id)."""
    return value - (1 << 32) if value > 0x7FFFFFFF else value


def tun_create(ctx: Any, name: str, mode: str, v: dict[str, Any]) -> None:
    """Create a persistent tun/tap device NAME in the current namespace."""
    import struct

    from nlshell.commands.context import CommandError

    uid, gid = _owner_id(v.get("user"), "user"), _owner_id(v.get("group"), "group")
    flags = _TUN_MODE[mode] | C.IFF_TUN_EXCL | (0 if v.get("pi") else C.IFF_NO_PI)
    for word, bit in _TUN_FLAGS.items():
        if v.get(word):
            flags |= bit
    ifreq = struct.pack("16sH22x", name.encode(), flags)

    def make() -> None:
        import fcntl
        import os

        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
        try:
            fcntl.ioctl(fd, _TUNSETIFF, ifreq)
            if uid is not None:
                fcntl.ioctl(fd, _TUNSETOWNER, _c_int(uid))
            if gid is not None:
                fcntl.ioctl(fd, _TUNSETGROUP, _c_int(gid))
            fcntl.ioctl(fd, _TUNSETPERSIST, 1)
        finally:
            os.close(fd)

    try:
        if ctx.netns:
            from nlshell.engine.netns import run_in_netns

            run_in_netns(ctx.netns, make)
        else:
            make()
    except OSError as exc:
        import errno

        why = {errno.EBUSY: "a device of that name exists",
               errno.EPERM: "this operation needs CAP_NET_ADMIN",
               errno.ENOENT: "no /dev/net/tun"}.get(exc.errno or 0)
        err = CommandError(f'cannot create {mode} device "{name}": {exc.strerror}'
                           + (f" ({why})" if why else ""))
        err.exit_code = 2  # the kernel refused
        raise err from None


def tuntap_add(ctx: Any, inv: Any) -> None:
    tun_create(ctx, inv.values["name"], inv.values["mode"], inv.values)


def tuntap_delete(ctx: Any, inv: Any) -> None:
    from nlshell.commands.context import CommandError

    name = inv.values["name"]
    index = ctx.ifindex(name)
    m = _link_msg(ctx, index)
    if m is None or m.get(("linkinfo", "kind")) != "tun":
        raise CommandError(f'device "{name}" is not a TUN/TAP device')
    mode = inv.values.get("mode")
    if mode is not None and m.get(("linkinfo", "data", "IFLA_TUN_TYPE")) != mode:
        raise CommandError(f'device "{name}" is not in mode {mode}')
    ctx.ipr.link("del", index=index)


_TUN_SHOW_FLAGS = (("IFLA_TUN_PI", "pi"), ("IFLA_TUN_VNET_HDR", "vnet_hdr"),
                   ("IFLA_TUN_MULTI_QUEUE", "multi_queue"), ("IFLA_TUN_PERSIST", "persist"))


def tuntap_show(ctx: Any, inv: Any) -> None:
    out = []
    for m in ctx.ipr.get_links():
        if m.get(("linkinfo", "kind")) != "tun":
            continue
        data = m.get(("linkinfo", "data"))
        get = data.get if data is not None else (lambda *_: None)
        entry: dict[str, Any] = {"ifname": m.get("ifname")}
        flags = [get("IFLA_TUN_TYPE") or "tun"]
        flags += [word for attr, word in _TUN_SHOW_FLAGS if get(attr)]
        entry["flags"] = flags
        for attr, key in (("IFLA_TUN_OWNER", "user"), ("IFLA_TUN_GROUP", "group")):
            value = get(attr)
            if value is not None and value != 0xFFFFFFFF:
                entry[key] = value
        out.append(entry)
    if ctx.opts.json:
        ctx.emit(out)
        return
    for e in out:
        extra = "".join(f" {k} {e[k]}" for k in ("user", "group") if k in e)
        ctx.write(f"{e['ifname']}: {' '.join(e['flags'])}{extra}")


# -- link xstats / afstats: RTM_GETSTATS --------------------------------------------------

_XSTATS_ATTR = {"bridge": "IFLA_STATS_LINK_XSTATS", "bridge_slave": "IFLA_STATS_LINK_XSTATS_SLAVE"}
_XSTATS_BIT = {"bridge": 2, "bridge_slave": 3}  # IFLA_STATS_LINK_XSTATS(_SLAVE)
# ip's JSON per protocol: (protocol, its versions)
_MCAST_PROTOS = (("igmp", (1, 2, 3)), ("mld", (1, 2)))
_STP_KEYS = ("rx_bpdu", "tx_bpdu", "rx_tcn", "tx_tcn", "transition_blk", "transition_fwd")


def _mcast_json(mc: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for proto, versions in _MCAST_PROTOS:
        for what in ("queries", "reports"):
            out[f"{proto}_{what}"] = {f"{d}_v{v}": mc[f"{proto}_v{v}{what}_{d}"]
                                      for d in ("rx", "tx") for v in versions}
        out[f"{proto}_leaves"] = {d: mc[f"{proto}_leaves_{d}"] for d in ("rx", "tx")}
        out[f"{proto}_parse_errors"] = mc[f"{proto}_parse_errors"]
    return out


def xstats_entries(msgs: list[Any], kind: str, names: dict[int, str],
                   only: int | None = None) -> list[dict[str, Any]]:
    """RTM_NEWSTATS messages -> ip's ``-j link xstats type KIND`` entries."""
    attr = _XSTATS_ATTR[kind]
    out = []
    for m in msgs:
        index = m.get("ifindex")
        block = m.get((attr, "LINK_XSTATS_TYPE_BRIDGE"))
        if block is None or (only is not None and index != only):
            continue
        entry: dict[str, Any] = {"ifname": names.get(index, str(index))}
        mc = block.get("BRIDGE_XSTATS_MCAST")
        if mc is not None:
            entry["multicast"] = _mcast_json(mc)
        stp = block.get("BRIDGE_XSTATS_STP")
        if stp is not None:
            entry["stp"] = {k: stp[k] for k in _STP_KEYS}
        out.append(entry)
    return out


_IND, _IND2 = " " * 20, " " * 22


def _versions(block: dict[str, int], d: str) -> str:
    return " ".join(f"v{k[4:]} {v}" for k, v in block.items() if k.startswith(d + "_"))


def xstats_text(entry: dict[str, Any]) -> list[str]:
    """ip's text lines for one ``link xstats`` entry."""
    lines = [f"{entry['ifname']:<16}"]
    mc = entry.get("multicast")
    if mc is not None:
        for proto in ("igmp", "mld"):
            up = proto.upper()
            for what in ("queries", "reports"):
                block = mc[f"{proto}_{what}"]
                lines += [f"{_IND}{up} {what}:", f"{_IND2}RX: {_versions(block, 'rx')}",
                          f"{_IND2}TX: {_versions(block, 'tx')}"]
            leaves = mc[f"{proto}_leaves"]
            lines += [f"{_IND}{up} leaves: RX: {leaves['rx']} TX: {leaves['tx']}",
                      f"{_IND}{up} parse errors: {mc[f'{proto}_parse_errors']}"]
    stp = entry.get("stp")
    if stp is not None:
        lines += [f"{_IND}STP BPDU:  RX: {stp['rx_bpdu']} TX: {stp['tx_bpdu']}",
                  f"{_IND}STP TCN:   RX: {stp['rx_tcn']} TX: {stp['tx_tcn']}",
                  f"{_IND}STP Transitions: Blocked: {stp['transition_blk']} "
                  f"Forwarding: {stp['transition_fwd']}"]
    return lines


def _stats_dump(ctx: Any, bit: int) -> list[Any]:
    from nlshell.engine.codec.stats import filter_bit

    return ctx.ipr.kernel_dump("stats", fields={"filter_mask": filter_bit(bit)})


def link_xstats(ctx: Any, inv: Any) -> None:
    v = inv.values
    kind = v["type"]
    only = ctx.ifindex(v["dev"]) if "dev" in v else None
    names = {m.get("index"): m.get("ifname") for m in ctx.ipr.get_links()}
    entries = xstats_entries(_stats_dump(ctx, _XSTATS_BIT[kind]), kind, names, only)
    if ctx.opts.json:
        ctx.emit(entries)
        return
    for entry in entries:
        ctx.write("\n".join(xstats_text(entry)))


def link_afstats(ctx: Any, inv: Any) -> None:
    """Per-family counters: the kernel keeps them for MPLS only (no MPLS here: ip prints
    nothing, and so does this; -j an empty list)."""
    only = ctx.ifindex(inv.values["dev"]) if "dev" in inv.values else None
    entries = []
    for m in _stats_dump(ctx, 5):  # IFLA_STATS_AF_SPEC
        spec = m.get("IFLA_STATS_AF_SPEC")
        if spec and (only is None or m.get("ifindex") == only):
            from nlshell.commands.context import CommandError

            raise CommandError("afstats: MPLS counters are not decoded by nlshell")
    if ctx.opts.json:
        ctx.emit(entries)
