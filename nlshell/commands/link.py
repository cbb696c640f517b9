"""``link``: network devices (ip link), and ``tuntap`` (ip tuntap).

This module is the declarations and ``link show``; the other handlers are in linkops.py.
Both are import-cheap for ``nlshell -c 'link show'``: the engine, the renderers and
tabulate are imported inside handlers, linkops when one of its handlers first runs, and
every verb but ``show`` declares its words through a builder (`grammar.Params`) run when
the verb is first parsed, helped or completed (so neither ``link add``'s hundreds of words
nor `linkkinds` are made). Device kinds are two tables: `kind_branches` (the words each
kind adds to ``link add ... type KIND``) and `linkops.KIND_DATA` (a function turning those
words into the engine's keyword arguments), so a new kind is a row in each.
tun/tap devices are not made over rtnetlink (the kernel refuses): `linkops.tun_create`
opens /dev/net/tun inside the current namespace instead.
"""

from __future__ import annotations

from nlshell.commands import slots as S
from nlshell.commands.grammar import REGISTRY, Branch, Flag, Group, Kw, OneOf, Pos, Switch

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

H = "nlshell.commands.linkops:"  # the handlers of every verb but show (see linkops.py)

MTU = S.number(0, 0x7FFFFFFF, name="MTU", example="e.g. 1500")
TXQLEN = S.number(0, 0xFFFFFFFF, name="TXQLEN", example="e.g. 1000")
ONOFF = S.choice("ONOFF", {"on": (True, "enable"), "off": (False, "disable")})
STATE = {"up": "bring the device up", "down": "bring the device down"}

BOND_MODE = S.choice("MODE", {
    "balance-rr": (0, "round robin"), "active-backup": (1, "one port active"),
    "balance-xor": (2, "by hash"), "broadcast": (3, "every port"),
    "802.3ad": (4, "LACP"), "balance-tlb": (5, "adaptive transmit"),
    "balance-alb": (6, "adaptive load"),
}, label="bond mode", numbers=(0, 6))
VLAN_PROTO = S.choice("PROTO", {"802.1Q": (0x8100, "customer VLAN (default)"),
                                "802.1ad": (0x88A8, "service VLAN (QinQ)")},
                      label="VLAN protocol")
ID_MAX = 0xFFFFFFFE  # uid_t / gid_t; (uid_t)-1 means "nobody chosen"


def _owner_word(what: str) -> Any:
    """A user/group slot's reader: a name (looked up when the command runs), or ASCII digits
    that fit an id."""
    def parse(text: str) -> str:
        if text.isascii() and text.isdigit() and int(text) > ID_MAX:
            raise ValueError(f"not a {what} id (0..{ID_MAX})")
        return text
    return parse


TUN_OWNER = S.Slot("USER", "user", _owner_word("user"), kind="string",
                   example="a user name or uid")
TUN_GROUP = S.Slot("GROUP", "group", _owner_word("group"), kind="string",
                   example="a group name or gid")

# `link show type` also takes the port kinds (bridge_slave...) as ip does
SHOW_KIND = S.LINK_KIND.with_words({
    "bridge_slave": "ports of a bridge", "bond_slave": "ports of a bond",
    "vrf_slave": "ports of a VRF",
})

TUN_PARAMS = [
    Kw("user", TUN_OWNER, "owner (name or uid)"),
    Kw("group", TUN_GROUP, "owning group (name or gid)"),
    Flag("pi", "keep the packet information header"),
    Flag("vnet_hdr", "virtio-net header"),
    Flag("multi_queue", "several queues"),
]

U32 = 0xFFFFFFFF
GROUP = S.number(0, U32, name="GROUP", example="a number, or default").with_words(
    {"default": (0, "the group every device starts in")})
ADDRGENMODE = S.choice("MODE", {
    "eui64": (0, "from the MAC address (EUI-64)"), "none": (1, "no link-local address"),
    "stable_secret": (2, "stable privacy (RFC 7217)"), "random": (3, "random, made once"),
}, label="addrgenmode")
XDP_MODE = S.choice("XDP", {"off": "detach the XDP program"}, label="xdp action")
COUNT = S.number(1, 4096, name="COUNT", example="1..4096")

# the on|off words of `link add|set` (what each one sets: linkops._IFF_WORDS)
_IFF_HELP = {"arp": "ARP on this device", "promisc": "promiscuous mode",
             "multicast": "the MULTICAST flag (multicast capable)",
             "allmulticast": "receive all multicast",
             "dynamic": "the DYNAMIC flag (address may change)",
             "trailers": "trailers (clears NOTRAILERS)"}


def _generic(add: bool) -> list[Any]:
    """The words every device takes, on ``link add`` (and a veth peer) or ``link set``."""
    params: list[Any] = [
        Kw("mtu", MTU, "maximum transmission unit"),
        Kw("txqueuelen", TXQLEN, "transmit queue length", aliases=["txqlen", "qlen"]),
        Kw("address", S.LLADDR, "MAC address"),
        Kw("broadcast", S.LLADDR, "broadcast MAC address", aliases=["brd"]),
        Kw("netns", S.NETNS, "create it in this namespace" if add
           else "move it into this namespace (a name, or a pid)"),
        Kw("alias", S.ALIAS, "a description" if add else "a description (empty to clear)"),
        OneOf("state", STATE, "bring it up or leave it down"),
        Kw("group", GROUP, "the device group it belongs to"),
        Kw("gso_max_size", S.number(0, U32, name="BYTES"), "largest GSO packet"),
        Kw("gso_max_segs", S.number(0, U32, name="SEGMENTS"), "most segments of a GSO packet"),
        Kw("gro_max_size", S.number(0, U32, name="BYTES"), "largest GRO packet"),
        *(Kw(word, ONOFF, help) for word, help in _IFF_HELP.items()),
        Kw("link-netns", S.NETNS, "the namespace of the lower device (by name)",
           key="link_netns"),
        Kw("link-netnsid", S.number(0, 0x7FFFFFFF, name="NSID"),
           "the namespace of the lower device (by its id here)", key="link_netnsid"),
    ]
    if add:
        params += [
            Kw("index", S.number(1, 0x7FFFFFFF, name="IFINDEX"), "the index it gets"),
            Kw("numtxqueues", COUNT, "number of transmit queues"),
            Kw("numrxqueues", COUNT, "number of receive queues"),
        ]
    return params


def _tun_kind_params() -> list[Any]:
    """After `link add ... type tun|tap`, `group` is the owning group (the device group's
    key is `group`)."""
    return [Kw("group", TUN_GROUP, "owning group (name or gid)", key="tun_group")
            if getattr(p, "word", "") == "group" else p for p in TUN_PARAMS]


_KIND_HELP = {
    "veth": "virtual ethernet pair", "bridge": "Ethernet bridge", "vxlan": "VXLAN tunnel",
    "macvlan": "MAC-based VLAN (needs link DEV)", "macvtap": "macvlan with a tap (needs link DEV)",
    "bridge_slave": "settings of a bridge port",
}
_TABLE_BRANCHES: dict[str, Branch] = {}  # kind -> its one Branch, shared by link add and set


def _table_branch(kind: str) -> Branch:
    """The `Branch` of a kind whose words are a `linkkinds` table; one object for ``link
    add`` and ``link set`` (checked once). linkkinds is imported when its words are read."""
    if kind not in _TABLE_BRANCHES:
        _TABLE_BRANCHES[kind] = Branch(_KIND_HELP[kind], lambda: _kinds().params(kind))
    return _TABLE_BRANCHES[kind]


def _kinds() -> Any:
    """`linkkinds.KINDS`, imported on first use (its tables are hundreds of words)."""
    from nlshell.commands.linkkinds import KINDS

    return KINDS


def _veth_params() -> list[Any]:
    from nlshell.commands.linkkinds import peer_params

    return peer_params(_generic(True))


def kind_branches() -> dict[str, Branch | str]:
    """kind -> the words it adds to ``link add ... type KIND`` (each built when read)."""
    tun_params = _tun_kind_params
    return {
        "veth": Branch(_KIND_HELP["veth"], _veth_params),
        **{kind: _table_branch(kind) for kind in ("bridge", "vxlan", "macvlan", "macvtap")},
        "ifb": "intermediate functional block",
        "dummy": "dummy device",
        "tun": Branch("TUN device (layer 3), made through /dev/net/tun", tun_params),
        "tap": Branch("TAP device (layer 2), made through /dev/net/tun", tun_params),
        "vlan": Branch("802.1Q VLAN (needs link DEV)", lambda: [
            Kw("id", S.number(0, 4094, name="VLANID"), "VLAN id", required=True),
            Kw("protocol", VLAN_PROTO, "VLAN protocol"),
        ]),
        "bond": Branch("bonding master", lambda: [
            Kw("mode", BOND_MODE, "bonding mode"),
            Kw("miimon", S.NUMBER, "link check interval (ms)"),
        ]),
        "vrf": Branch("VRF device", lambda: [
            Kw("table", S.TABLE, "routing table of the VRF", required=True)]),
    }


def set_branches() -> dict[str, Branch | str]:
    """The kinds `link set ... type KIND` changes."""
    return {kind: _table_branch(kind)
            for kind in ("bridge", "bridge_slave", "vxlan", "macvlan", "macvtap")}


NEEDS_LINK = ("macvlan", "macvtap", "vlan")

# -- declarations ------------------------------------------------------------------------

link = REGISTRY.object("link", "network devices", shortcuts=["l"], default="show")

link.verb("show", "list devices and their attributes", aliases=["list", "lst"],
          shortcuts=["sh", "ls"], handler="nlshell.commands.link:link_show", params=[
              Pos("dev", S.IFNAME, "only this device", keyword="dev", required=False),
              Kw("group", GROUP, "only devices of this group"),
              Flag("up", "only devices that are up"),
              Kw("type", SHOW_KIND, "only devices of this kind", metavar="KIND"),
              Kw("master", S.IFNAME, "only ports of this master"),
              Kw("vrf", S.IFNAME, "only ports of this VRF"),
              Flag("nomaster", "only devices without a master"),
          ], conflicts=[("master", "nomaster", "vrf"), ("dev", "group")])


def _macvlan_check(kind: str, values: dict[str, Any]) -> str | None:
    """ip's rule: nopromisc goes with mode passthru, nodst with mode source."""
    mode = values.get(f"{kind}.mode")
    if f"{kind}.nopromisc" in values and mode != "passthru":
        return "nopromisc needs mode passthru"
    if f"{kind}.nodst" in values and mode != "source":
        return "nodst needs mode source"
    return None


def _vxlan_check(values: dict[str, Any]) -> str | None:
    """ip's rule: remote is a unicast address, group a multicast one."""
    import ipaddress

    for word, multicast in (("remote", False), ("group", True)):
        addr = values.get(f"vxlan.{word}")
        if addr is not None and ipaddress.ip_address(addr).is_multicast != multicast:
            return f"{word} {addr}: not a {'multicast' if multicast else 'unicast'} address"
    return None


_KIND_CHECKS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "vxlan": _vxlan_check,
    "macvlan": lambda v: _macvlan_check("macvlan", v),
    "macvtap": lambda v: _macvlan_check("macvtap", v),
}


_TUN_REFUSED = frozenset({"link", "netns", "index", "numtxqueues", "numrxqueues", "link_netns",
                          "link_netnsid"})


def _add_check(values: dict[str, Any]) -> str | None:
    kind = values.get("type")
    if kind in NEEDS_LINK and "link" not in values:
        return f"type {kind} needs link DEV (the lower device)"
    if kind in ("tun", "tap"):
        # made through /dev/net/tun, then changed like any device: what only creation
        # over rtnetlink can do is refused, naming the word
        bad = sorted(_TUN_REFUSED & set(values))
        if bad:
            return f"type {kind}: {bad[0].replace('_', '-')} cannot be given (tun/tap " \
                   "devices are made through /dev/net/tun)"
    peer = values.get("peer") or {}
    if "alias" in peer and "name" not in peer:
        return "peer alias needs the peer's name (it is set once the pair exists)"
    if kind == "vxlan" and "vxlan.id" not in values and values.get("vxlan.external") != 1:
        return "type vxlan needs id VNI (or external)"
    check = _KIND_CHECKS.get(kind)  # type: ignore[arg-type]
    return check(values) if check else None


link.verb("add", "create a virtual device", handler=H + "link_add", check=_add_check,
          params=lambda: [
              Pos("name", S.NEW_IFNAME, "name of the new device", keyword=["name", "dev"],
                  metavar="NAME"),
              Kw("link", S.IFNAME, "the lower device (macvlan, vlan)"),
              *_generic(True),
              Switch("type", "device kind", kind_branches(), required=True, metavar="KIND"),
          ])


def _set_check(values: dict[str, Any]) -> str | None:
    if "dev" not in values and "group" not in values:
        return "missing the device (DEV, dev DEV or group N)"
    check = _KIND_CHECKS.get(values.get("type"))  # type: ignore[arg-type]
    return check(values) if check else None


# `ip link s` is set (ip tries set before show for link, unlike address and route)
link.verb("set", "change device attributes (several at once)", aliases=["change"],
          shortcuts=["s", "se"], handler=H + "link_set", check=_set_check, params=lambda: [
              Pos("dev", S.IFNAME, "the device (or group N: every device of that group)",
                  keyword="dev", required=False),
              *_generic(False),
              Kw("name", S.NEW_IFNAME, "rename it", metavar="NAME"),
              Kw("master", S.IFNAME, "make it a port of this bridge/bond/VRF"),
              Kw("vrf", S.IFNAME, "make it a port of this VRF (master, checked to be one)"),
              Flag("nomaster", "release it from its master"),
              Kw("carrier", ONOFF, "force the carrier on or off (devices that allow it)"),
              Kw("protodown", ONOFF, "hold the device down for a protocol's reasons"),
              Group("protodown_reason", "set or clear one reason bit: REASON on|off", [
                  Pos("reason", S.number(0, 31, name="REASON"), "the reason's bit (0..31)"),
                  Pos("on", ONOFF, "set (on) or clear (off) it", metavar="on|off"),
              ]),
              Kw("addrgenmode", ADDRGENMODE, "how IPv6 link-local addresses are made"),
              Kw("xdp", XDP_MODE, "XDP program: only off (nlshell loads no programs)",
                 aliases=["xdpgeneric", "xdpdrv", "xdpoffload"]),
              Switch("type", "change settings of the device's kind (or of a port)",
                     set_branches(), metavar="KIND"),
          ], conflicts=[("master", "nomaster", "vrf")])

link.verb("delete", "delete a virtual device", aliases=["del"], shortcuts=["d"],
          handler=H + "link_delete",
          check=lambda v: None if "dev" in v or "group" in v else
          "missing the device (DEV, dev DEV or group N)",
          params=lambda: [
              Pos("dev", S.IFNAME, "the device", keyword="dev", required=False),
              Kw("group", GROUP, "every device of this group"),
              Kw("type", S.LINK_KIND, "only if it is of this kind", metavar="KIND"),
          ], conflicts=[("dev", "group")])

link.verb("help", "the syntax of the link commands (or of one kind's words)",
          handler=H + "link_help", params=lambda: [
              Pos("kind", S.choice("KIND", {**{k: b if isinstance(b, str) else b.help
                                               for k, b in kind_branches().items()},
                                            "bridge_slave": _KIND_HELP["bridge_slave"]},
                                   label="kind"),
                  "only the words of this kind", required=False),
          ])

link.verb("property", "add or remove alternative names of a device",
          handler=H + "link_property", params=lambda: [
              OneOf("op", {"add": "give the device these names too",
                           "delete": "take these names away"}, "what to do", required=True,
                    shortcuts={"del": "delete"}),
              Pos("dev", S.IFNAME, "the device", keyword="dev"),
              Kw("altname", S.NEW_IFNAME, "an alternative name", repeat=True, metavar="NAME"),
          ])
link.verb("xstats", "extended counters of a kind's devices (bridge, bridge_slave)",
          handler=H + "link_xstats", params=lambda: [
              Kw("type", S.choice("KIND", {"bridge": "multicast counters of bridges",
                                           "bridge_slave": "multicast and STP counters of "
                                                           "bridge ports"}, label="kind"),
                 "devices of this kind", required=True, metavar="KIND"),
              Kw("dev", S.IFNAME, "only this device"),
          ])
link.verb("afstats", "per-family counters (the kernel keeps them for MPLS)",
          handler=H + "link_afstats", params=lambda: [
              Pos("dev", S.IFNAME, "only this device", keyword="dev", required=False),
          ])

tuntap = REGISTRY.object("tuntap", "TUN/TAP devices (as ip tuntap)", default="show")
tuntap.verb("show", "list TUN/TAP devices", aliases=["list", "lst"], shortcuts=["s", "sh"],
            handler=H + "tuntap_show")
tuntap.verb("add", "create a persistent TUN/TAP device", handler=H + "tuntap_add",
            params=lambda: [
                Pos("name", S.NEW_IFNAME, "name of the device", keyword=["dev", "name"],
                    metavar="NAME"),
                Kw("mode", S.choice("MODE", {"tun": "layer 3", "tap": "layer 2"}),
                   "device mode", required=True),
                *TUN_PARAMS,
            ])
tuntap.verb("delete", "delete a TUN/TAP device", aliases=["del"], shortcuts=["d"],
            handler=H + "tuntap_delete", params=lambda: [
                Pos("name", S.IFNAME, "the device", keyword=["dev", "name"], metavar="NAME"),
                Kw("mode", S.choice("MODE", {"tun": "layer 3", "tap": "layer 2"}),
                   "only if of this mode"),
            ])


# -- show ---------------------------------------------------------------------------

def link_show(ctx: Any, inv: Any) -> None:
    from nlshell.commands.render import link_json, select_links
    from nlshell.commands.show import brief_json, ip_text, render_context

    v = inv.values
    msgs = ctx.ipr.get_links()
    rctx = render_context(ctx, msgs)
    sel = {k: v[k] for k in ("up", "type", "nomaster") if k in v}
    if "group" in v:
        msgs = [m for m in msgs if (m.get("group") or 0) == v["group"]]
    for word in ("dev", "master"):
        if word in v:
            sel[word] = ctx.ifindex(v[word])
    if "vrf" in v:
        sel["master"] = _vrf_index(ctx, v["vrf"])
    chosen = select_links(msgs, rctx, **sel)
    opts = ctx.opts
    if ip_text(ctx, "link", chosen, rctx):
        return
    if opts.json:
        entries = link_json(chosen, rctx)
        ctx.emit([brief_json(e, _BRIEF_LINK) for e in entries] if opts.brief else entries)
    elif opts.brief:
        from nlshell.commands.render import link_brief

        ctx.write(link_brief(chosen, rctx, color=opts.color))
    else:
        from nlshell.commands.render import link_table

        ctx.write(link_table(chosen, rctx, color=opts.color, fmt=opts.table_format))


_BRIEF_LINK = ("link", "link_index", "ifname", "operstate", "address", "flags")


def _link_msg(ctx: Any, index: int) -> Any:
    msgs = ctx.ipr.get_links(index)
    return msgs[0] if msgs else None


def _vrf_index(ctx: Any, name: str) -> int:
    """The index of VRF device `name` (an error naming it when it is no VRF, as ip)."""
    from nlshell.commands.context import CommandUsageError

    index = ctx.ifindex(name)
    m = _link_msg(ctx, index)
    if m is None or m.get(("linkinfo", "kind")) != "vrf":  # ip: a usage error (255)
        raise CommandUsageError(f'vrf "{name}": not a VRF device')
    return index
