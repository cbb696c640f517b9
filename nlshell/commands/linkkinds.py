"""The options each device kind takes after ``link add|set ... type KIND``: one table per kind.

A row (`Opt`) is one grammar parameter and the attributes its value becomes, so the
parser, help, completion and colouring read the same rows the request is built from. The
attribute names are the codec's short names of the kind's IFLA_INFO_DATA table
(``br_stp_state``, ``vxlan_ttl``...) or, for ports, of IFLA_INFO_SLAVE_DATA
(``brport_cost``). Values keep ip's syntax and units (bridge times in centiseconds,
vxlan ``tos`` in hex as ip reads it, ``on|off`` for port switches).

Every row's key is ``KIND.WORD`` so kind words never collide with the generic link words
they may shadow after ``type KIND`` (vxlan's ``dev`` and ``group``), as in ip, where
everything after the kind belongs to the kind.
"""

from __future__ import annotations

from nlshell.commands import slots as S
from nlshell.commands.grammar import Flag, Group, Kw, OneOf, Param, Pos
from nlshell.commands.record import EqRecord, ValueRecord

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

U8, U16, U32, U64 = 0xFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF

ONOFF01 = S.choice("on|off", {"on": (1, "enable"), "off": (0, "disable")}, label="on or off")
VLAN_PROTOCOL = S.choice("PROTO", {"802.1Q": (0x8100, "customer VLAN tag (the default)"),
                                   "802.1ad": (0x88A8, "service VLAN tag (QinQ)")},
                         label="VLAN protocol")
PORT_STATE = S.choice("STATE", {
    "disabled": (0, "the port is off"), "listening": (1, "STP listening"),
    "learning": (2, "STP learning"), "forwarding": (3, "forwarding frames"),
    "blocking": (4, "STP blocking"),
}, label="port state", numbers=(0, 4))


def _hex_byte(text: str) -> int:
    """A TOS byte as ip reads it: hex with or without 0x ('10' is 0x10)."""
    digits = text[2:] if text[:2] in ("0x", "0X") else text
    if not digits or len(digits) > 2 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise ValueError("not a hex byte (00..ff)")
    return int(digits, 16)


VX_TOS = S.Slot("TOS", "tos", _hex_byte, {"inherit": (1, "copy the inner packet's TOS")},
                kind="number", example="hex, e.g. 0x10, or inherit")
VX_TTL = S.number(0, 255, name="TTL").with_words({
    "auto": (0, "the kernel's default"), "inherit": ("inherit", "copy the inner packet's TTL")})
VX_DF = S.choice("DF", {"unset": (0, "never set DF"), "set": (1, "always set DF"),
                        "inherit": (2, "copy the inner packet's DF")}, label="DF")
VX_MAX = S.number(0, U32, name="NUMBER").with_words({"unlimited": (0, "no limit")})
# macaddr's operations (keywords of its group, so `add` is never taken as `address`)
MACADDR_OPS = {"add": "allow this source MAC", "del": "forget this source MAC",
               "flush": "forget every source MAC", "set": "allow exactly these source MACs"}
MACADDR_CODES = {"add": 0, "del": 1, "flush": 2, "set": 3}  # IFLA_MACVLAN_MACADDR_MODE


class Opt(ValueRecord):
    """One kind option: its grammar parameter and what its value becomes (read-only; a
    plain class, not a dataclass: start-up time, see commands/record.py).

    ``emit(ctx, value) -> [(attr, value), ...]``; the default puts the value under `attr`.
    """

    FIELDS = ("param", "attr", "emit")
    __slots__ = FIELDS

    def __init__(self, param: Param, attr: str = "",
                 emit: Callable[[Any, Any], list[tuple[str, Any]]] | None = None) -> None:
        setter = object.__setattr__
        setter(self, "param", param)
        setter(self, "attr", attr)
        setter(self, "emit", emit)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of an Opt")

    def attrs(self, ctx: Any, value: Any) -> list[tuple[str, Any]]:
        if self.emit is not None:
            return self.emit(ctx, value)
        return [(self.attr, value)]


def _pair_help(word: str, help: str) -> dict[str, str]:
    return {word: help, "no" + word: f"the opposite of {word}"}


def _key(kind: str, word: str) -> str:
    return f"{kind}.{word}"


def num(kind: str, word: str, attr: str, hi: int, help: str, lo: int = 0, **kw: Any) -> Opt:
    return Opt(Kw(word, S.number(lo, hi, name=word.upper()), help, key=_key(kind, word)), attr,
               **kw)


def onoff(kind: str, word: str, attr: str, help: str, aliases: Sequence[str] = ()) -> Opt:
    return Opt(Kw(word, ONOFF01, help, key=_key(kind, word), aliases=aliases), attr)


def pair(kind: str, word: str, attr: str, help: str) -> Opt:
    """``word`` / ``noword``: the u8 attribute set to 1 or 0."""
    return Opt(OneOf(_key(kind, word), _pair_help(word, help),
                     help, values={word: 1, "no" + word: 0}), attr)


def flag(kind: str, word: str, attr: str, help: str, value: Any = True) -> Opt:
    return Opt(Flag(word, help, key=_key(kind, word), value=value), attr)


def _boolopt(bit: int) -> Callable[[Any, Any], list[tuple[str, Any]]]:
    """A bridge bool option: struct br_boolopt_multi {optval, optmask} with one bit."""
    def emit(ctx: Any, value: Any) -> list[tuple[str, Any]]:
        import struct  # (not at import: start-up time)

        return [("br_multi_boolopt", struct.pack("=II", bit if value else 0, bit))]
    return emit


# -- bridge -----------------------------------------------------------------------------

def _br(word: str, attr: str, hi: int, help: str) -> Opt:
    return num("bridge", word, "br_" + attr, hi, help)


BRIDGE: list[Opt] = [
    flag("bridge", "fdb_flush", "br_fdb_flush", "forget every learned MAC address"),
    _br("forward_delay", "forward_delay", U32, "STP forwarding delay (centiseconds)"),
    _br("hello_time", "hello_time", U32, "STP hello interval (centiseconds)"),
    _br("max_age", "max_age", U32, "STP maximum message age (centiseconds)"),
    _br("ageing_time", "ageing_time", U32, "how long a learned MAC is kept (centiseconds)"),
    _br("stp_state", "stp_state", U32, "spanning tree: 0 off, 1 on"),
    _br("priority", "priority", U16, "bridge priority for STP"),
    _br("group_fwd_mask", "group_fwd_mask", U16, "bitmask of link-local groups forwarded"),
    Opt(Kw("group_address", S.LLADDR, "destination MAC of STP frames",
           key="bridge.group_address"), "br_group_addr"),
    Opt(Kw("no_linklocal_learn", S.number(0, 1, name="0|1"),
           "do not learn from link-local frames", key="bridge.no_linklocal_learn"),
        emit=_boolopt(1)),
    _br("vlan_filtering", "vlan_filtering", U8, "VLAN filtering: 0 off, 1 on"),
    Opt(Kw("vlan_protocol", VLAN_PROTOCOL, "VLAN protocol of filtering",
           key="bridge.vlan_protocol"), "br_vlan_protocol"),
    _br("vlan_default_pvid", "vlan_default_pvid", U16, "VLAN of untagged frames on new ports"),
    _br("vlan_stats_enabled", "vlan_stats_enabled", U8, "per-VLAN counters: 0 off, 1 on"),
    _br("vlan_stats_per_port", "vlan_stats_per_port", U8, "VLAN counters per port: 0|1"),
    _br("mcast_snooping", "mcast_snooping", U8, "IGMP/MLD snooping: 0 off, 1 on"),
    Opt(Kw("mcast_vlan_snooping", S.number(0, 1, name="0|1"), "snooping per VLAN",
           key="bridge.mcast_vlan_snooping"), emit=_boolopt(2)),
    _br("mcast_router", "mcast_router", U8, "multicast router port: 0 never, 1 learn, 2 always"),
    _br("mcast_query_use_ifaddr", "mcast_query_use_ifaddr", U8,
        "queries come from the bridge's address: 0|1"),
    _br("mcast_querier", "mcast_querier", U8, "act as IGMP/MLD querier: 0|1"),
    _br("mcast_hash_elasticity", "mcast_hash_elasticity", U32, "multicast hash chain limit"),
    _br("mcast_hash_max", "mcast_hash_max", U32, "size of the multicast group table"),
    _br("mcast_last_member_count", "mcast_last_member_cnt", U32,
        "queries sent after a leave"),
    _br("mcast_startup_query_count", "mcast_startup_query_cnt", U32,
        "queries sent at start-up"),
    _br("mcast_last_member_interval", "mcast_last_member_intvl", U64,
        "interval of last-member queries (centiseconds)"),
    _br("mcast_membership_interval", "mcast_membership_intvl", U64,
        "group membership timeout (centiseconds)"),
    _br("mcast_querier_interval", "mcast_querier_intvl", U64,
        "other querier timeout (centiseconds)"),
    _br("mcast_query_interval", "mcast_query_intvl", U64,
        "interval of general queries (centiseconds)"),
    _br("mcast_query_response_interval", "mcast_query_response_intvl", U64,
        "maximum response time in queries (centiseconds)"),
    _br("mcast_startup_query_interval", "mcast_startup_query_intvl", U64,
        "interval of start-up queries (centiseconds)"),
    _br("mcast_stats_enabled", "mcast_stats_enabled", U8, "multicast counters: 0|1"),
    _br("mcast_igmp_version", "mcast_igmp_version", U8, "IGMP version: 2 or 3"),
    _br("mcast_mld_version", "mcast_mld_version", U8, "MLD version: 1 or 2"),
    _br("nf_call_iptables", "nf_call_iptables", U8, "pass bridged IPv4 to iptables: 0|1"),
    _br("nf_call_ip6tables", "nf_call_ip6tables", U8, "pass bridged IPv6 to ip6tables: 0|1"),
    _br("nf_call_arptables", "nf_call_arptables", U8, "pass bridged ARP to arptables: 0|1"),
]


# -- bridge_slave (a port of a bridge) -----------------------------------------------------

def _bs(word: str, attr: str, help: str, aliases: Sequence[str] = ()) -> Opt:
    return onoff("bridge_slave", word, "brport_" + attr, help, aliases)


def _backup_port(ctx: Any, value: Any) -> list[tuple[str, Any]]:
    return [("brport_backup_port", ctx.ifindex(value))]


BRIDGE_SLAVE: list[Opt] = [
    flag("bridge_slave", "fdb_flush", "brport_flush", "forget the MACs learned on this port"),
    Opt(Kw("state", PORT_STATE, "STP state of the port (0..4 or its name)",
           key="bridge_slave.state"), "brport_state"),
    num("bridge_slave", "priority", "brport_priority", U16, "port priority for STP"),
    num("bridge_slave", "cost", "brport_cost", U32, "STP path cost of the port"),
    _bs("guard", "guard", "ignore STP frames (BPDU guard)"),
    _bs("hairpin", "mode", "send frames back out of the port they came in"),
    _bs("fastleave", "fast_leave", "drop a group at once on a leave",
        aliases=["mcast_fast_leave"]),
    _bs("root_block", "protect", "never become the root port"),
    _bs("learning", "learning", "learn source MACs on this port"),
    _bs("flood", "unicast_flood", "flood unknown unicast to this port"),
    _bs("proxy_arp", "proxyarp", "answer ARP for known hosts"),
    _bs("proxy_arp_wifi", "proxyarp_wifi", "proxy ARP for wireless clients"),
    num("bridge_slave", "mcast_router", "brport_multicast_router", U8,
        "multicast router port: 0 never, 1 learn, 2 always, 3 temporary"),
    _bs("mcast_flood", "mcast_flood", "flood unknown multicast to this port"),
    _bs("bcast_flood", "bcast_flood", "flood broadcast to this port"),
    _bs("mcast_to_unicast", "mcast_to_ucast", "turn multicast into unicast on this port"),
    num("bridge_slave", "group_fwd_mask", "brport_group_fwd_mask", U16,
        "bitmask of link-local groups forwarded from this port"),
    _bs("neigh_suppress", "neigh_suppress", "answer ARP/ND from the bridge's neighbours"),
    _bs("vlan_tunnel", "vlan_tunnel", "map VLANs to tunnel ids on this port"),
    _bs("isolated", "isolated", "no traffic with other isolated ports"),
    _bs("locked", "locked", "only known MACs may send through this port"),
    Opt(Kw("backup_port", S.IFNAME, "port that takes over when this one fails",
           key="bridge_slave.backup_port"), emit=_backup_port),
    flag("bridge_slave", "nobackup_port", "brport_backup_port", "no backup port", value=0),
]


# -- vxlan -------------------------------------------------------------------------------

def _family_attr(v4: str, v6: str) -> Callable[[Any, Any], list[tuple[str, Any]]]:
    def emit(ctx: Any, value: Any) -> list[tuple[str, Any]]:
        if value is None:  # 'any'
            return []
        return [(v6 if ":" in value else v4, value)]
    return emit


def _vx_ttl(ctx: Any, value: Any) -> list[tuple[str, Any]]:
    if value == "inherit":
        return [("vxlan_ttl_inherit", True)]
    return [("vxlan_ttl", value)]


def _vx_dev(ctx: Any, value: Any) -> list[tuple[str, Any]]:
    return [("vxlan_link", ctx.ifindex(value))]


def _vx_srcport(ctx: Any, value: Any) -> list[tuple[str, Any]]:
    return [("vxlan_port_range", {"low": value["min"], "high": value["max"]})]


def _vx_external(ctx: Any, value: Any) -> list[tuple[str, Any]]:
    # as ip: metadata mode learns nothing unless `learning` is given too (its row comes
    # next in the table, and of two IFLA_VXLAN_LEARNING the kernel keeps the last)
    return [("vxlan_collect_metadata", value)] + ([("vxlan_learning", 0)] if value else [])


def _vx(word: str, attr: str, help: str) -> Opt:
    return pair("vxlan", word, "vxlan_" + attr, help)


PORT = S.number(0, 65535, name="PORT")
VXLAN: list[Opt] = [
    Opt(Kw("id", S.number(0, 0xFFFFFF, name="VNI"), "VXLAN network identifier",
           key="vxlan.id", aliases=["vni"]), "vxlan_id"),
    Opt(Kw("remote", S.ADDR, "unicast address of the other end", key="vxlan.remote"),
        emit=_family_attr("vxlan_group", "vxlan_group6")),
    Opt(Kw("group", S.ADDR, "multicast group for flooding", key="vxlan.group"),
        emit=_family_attr("vxlan_group", "vxlan_group6")),
    Opt(Kw("local", S.ADDR, "source address", key="vxlan.local"),
        emit=_family_attr("vxlan_local", "vxlan_local6")),
    Opt(Kw("dev", S.IFNAME, "underlying device", key="vxlan.dev"), emit=_vx_dev),
    Opt(Kw("ttl", VX_TTL, "outer TTL (1..255, auto or inherit)", key="vxlan.ttl",
           aliases=["hoplimit"]), emit=_vx_ttl),
    Opt(Kw("tos", VX_TOS, "outer TOS (hex) or inherit", key="vxlan.tos",
           aliases=["dsfield"]), "vxlan_tos"),
    Opt(Kw("df", VX_DF, "Don't Fragment bit of outer IPv4", key="vxlan.df"), "vxlan_df"),
    Opt(Kw("flowlabel", S.number(0, 0xFFFFF, name="LABEL"), "outer IPv6 flow label",
           key="vxlan.flowlabel"), "vxlan_label"),
    Opt(Kw("dstport", PORT, "UDP destination port (IANA's is 4789)", key="vxlan.dstport",
           aliases=["port"]), "vxlan_port"),
    Opt(Group("srcport", "UDP source port range: MIN MAX", [
        Pos("min", PORT, "lowest source port", metavar="MIN"),
        Pos("max", PORT, "highest source port", metavar="MAX"),
    ], key="vxlan.srcport"), emit=_vx_srcport),
    Opt(pair("vxlan", "external", "vxlan_collect_metadata",
             "metadata mode, the tunnel set per packet (implies nolearning)").param,
        emit=_vx_external),
    _vx("learning", "learning", "learn remote MACs from received packets"),
    _vx("proxy", "proxy", "answer ARP from the forwarding table"),
    _vx("rsc", "rsc", "route short-circuit"),
    _vx("l2miss", "l2miss", "report unknown destination MACs"),
    _vx("l3miss", "l3miss", "report unknown destination IPs"),
    Opt(Kw("ageing", S.number(0, U32, name="SECONDS"), "forwarding entry lifetime (seconds)",
           key="vxlan.ageing"), "vxlan_ageing"),
    Opt(Kw("maxaddress", VX_MAX, "most forwarding entries (unlimited: 0)",
           key="vxlan.maxaddress"), "vxlan_limit"),
    _vx("udpcsum", "udp_csum", "UDP checksums over IPv4"),
    _vx("udp6zerocsumtx", "udp_zero_csum6_tx", "send IPv6 UDP with a zero checksum"),
    _vx("udp6zerocsumrx", "udp_zero_csum6_rx", "accept IPv6 UDP with a zero checksum"),
    _vx("remcsumtx", "remcsum_tx", "remote checksum offload on transmit"),
    _vx("remcsumrx", "remcsum_rx", "remote checksum offload on receive"),
    _vx("vnifilter", "vnifilter", "several VNIs on one device (needs external)"),
    flag("vxlan", "gbp", "vxlan_gbp", "Group Based Policy extension"),
    flag("vxlan", "gpe", "vxlan_gpe", "Generic Protocol Extension"),
]


# -- macvlan / macvtap -------------------------------------------------------------------

MACVLAN_MODE = S.choice("MODE", {
    "private": "no traffic between macvlans of one device",
    "vepa": "traffic between macvlans goes through the external switch",
    "bridge": "macvlans of one device talk directly",
    "passthru": "one macvlan takes over the device",
    "source": "accept only listed source MACs",
}, label="macvlan mode")
MACVLAN_FLAG_NOPROMISC, MACVLAN_FLAG_NODST = 1, 2


def _macaddr(ctx: Any, value: Any) -> list[tuple[str, Any]]:
    op, macs = MACADDR_CODES[value["op"]], value.get("macs", [])
    if op in (0, 1) and len(macs) != 1:
        raise ValueError("macaddr add|del takes one MAC address")
    if op == 2 and macs:
        raise ValueError("macaddr flush takes no MAC address")
    out: list[tuple[str, Any]] = [("macvlan_macaddr_mode", op)]
    if op in (0, 1):
        out.append(("macvlan_macaddr", macs[0]))
    elif op == 3 and macs:
        out.append(("macvlan_macaddr_data", list(macs)))
    return out


def _macvlan(kind: str) -> list[Opt]:
    return [
        Opt(Kw("mode", MACVLAN_MODE, "how macvlans of one device share it",
               key=f"{kind}.mode"), "macvlan_mode"),
        flag(kind, "nopromisc", "macvlan_flags", "passthru: leave the lower device's "
             "promiscuous mode alone", value=MACVLAN_FLAG_NOPROMISC),
        flag(kind, "nodst", "macvlan_flags", "source: listed MACs only, no delivery by "
             "destination", value=MACVLAN_FLAG_NODST),
        num(kind, "bcqueuelen", "macvlan_bc_queue_len", U32,
            "queue length for broadcast/multicast"),
        Opt(Group("macaddr", "source mode's MAC list: add|del MAC, set MAC..., flush", [
            OneOf("op", MACADDR_OPS, "what to do with the list", required=True),
            Pos("macs", S.LLADDR, "a source MAC", required=False, repeat=True,
                metavar="MAC"),
        ], key=f"{kind}.macaddr"), emit=_macaddr),
    ]


# -- veth: the peer takes the generic link words -------------------------------------------

def peer_params(generic: Sequence[Param]) -> list[Param]:
    """``peer [name] NAME [generic link words]`` for veth."""
    return [Group("peer", "the other end of the pair", [
        Pos("name", S.NEW_IFNAME, "name of the peer", keyword=["name", "dev"],
            required=False, metavar="NAME"),
        *generic,
    ])]


class Kinds(EqRecord):
    """Each kind's option rows (a plain class, not a dataclass: start-up time, see
    commands/record.py). The grammar's branches are link.py's, made of `params`."""

    FIELDS = ("tables",)

    def __init__(self, tables: dict[str, list[Opt]] | None = None) -> None:
        self.tables = {
            "bridge": BRIDGE, "bridge_slave": BRIDGE_SLAVE, "vxlan": VXLAN,
            "macvlan": _macvlan("macvlan"), "macvtap": _macvlan("macvtap"),
        } if tables is None else tables

    def params(self, kind: str) -> list[Param]:
        """The grammar parameters of ``type KIND``."""
        return [opt.param for opt in self.tables[kind]]

    def data(self, ctx: Any, kind: str, values: dict[str, Any]) -> list[tuple[str, Any]]:
        """The (attr, value) pairs of the kind options present in `values`."""
        out: list[tuple[str, Any]] = []
        for opt in self.tables.get(kind, ()):
            key = opt.param.key
            if key in values:
                for attr, value in opt.attrs(ctx, values[key]):
                    if attr in _OR_ATTRS and any(a == attr for a, _ in out):
                        # several flag words share one bitmask attribute
                        out = [(a, v | value if a == attr else v) for a, v in out]
                    else:
                        out.append((attr, value))
        return out


_OR_ATTRS = frozenset({"macvlan_flags"})


KINDS = Kinds()
