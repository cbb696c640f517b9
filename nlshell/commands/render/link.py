"""Links: `ip -j link show` dicts from RTM_NEWLINK messages, and ip's link selectors.

``link_json(msgs, ctx)`` renders what ``ip -j [-d] [-s] link show`` prints; ``link_entry``
is the per-link part shared with ``ip addr`` (which prints a link a little differently:
no linkmode/ifalias/af_spec, statistics after the addresses, no link/ether line under -4).
"""

from __future__ import annotations

from nlshell.commands.record import EqRecord
from nlshell.engine.codec.constants import IFF_POINTOPOINT, IFF_UP, RTM_DELLINK, RTM_NEWLINK
from nlshell.engine.names import index_of

from . import names as N

# typing and collections.abc cost start-up time: only type checkers read them here
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

_EVENTS = ("NONE", "REBOOT", "FEATURE CHANGE", "BONDING FAILOVER", "NOTIFY PEERS",
           "RESEND IGMP", "BONDING OPTION")
_ADDR_GEN_MODES = {0: "eui64", 1: "none", 2: "stable_secret", 3: "random"}

# -s: (json key, stats field); the second list only with -s -s; the third: only when nonzero
_RX = (("bytes", "rx_bytes"), ("packets", "rx_packets"), ("errors", "rx_errors"),
       ("dropped", "rx_dropped"), ("over_errors", "rx_over_errors"), ("multicast", "multicast"))
_RX2 = (("length_errors", "rx_length_errors"), ("crc_errors", "rx_crc_errors"),
        ("frame_errors", "rx_frame_errors"), ("fifo_errors", "rx_fifo_errors"),
        ("missed_errors", "rx_missed_errors"))
_TX = (("bytes", "tx_bytes"), ("packets", "tx_packets"), ("errors", "tx_errors"),
       ("dropped", "tx_dropped"), ("carrier_errors", "tx_carrier_errors"),
       ("collisions", "collisions"))
_TX2 = (("aborted_errors", "tx_aborted_errors"), ("fifo_errors", "tx_fifo_errors"),
        ("window_errors", "tx_window_errors"), ("heartbeat_errors", "tx_heartbeat_errors"))

# -d: plain numbers and strings in ip's order
_DETAIL_NUMBERS = (("IFLA_NUM_TX_QUEUES", "num_tx_queues"), ("IFLA_NUM_RX_QUEUES",
                   "num_rx_queues"), ("IFLA_GSO_MAX_SIZE", "gso_max_size"),
                   ("IFLA_GSO_MAX_SEGS", "gso_max_segs"), ("IFLA_TSO_MAX_SIZE", "tso_max_size"),
                   ("IFLA_TSO_MAX_SEGS", "tso_max_segs"), ("IFLA_GRO_MAX_SIZE", "gro_max_size"),
                   ("IFLA_PHYS_PORT_NAME", "phys_port_name"))


def stats_json(s: dict[str, int], level: int, carrier_changes: int | None = None
               ) -> dict[str, Any]:
    """IFLA_STATS64 (or IFLA_STATS) as ip's {"rx": {...}, "tx": {...}}."""
    rx = {k: s.get(f, 0) for k, f in _RX}
    if s.get("rx_compressed"):
        rx["compressed"] = s["rx_compressed"]
    tx = {k: s.get(f, 0) for k, f in _TX}
    if s.get("tx_compressed"):
        tx["compressed"] = s["tx_compressed"]
    if level > 1:
        rx.update((k, s.get(f, 0)) for k, f in _RX2)
        if s.get("rx_nohandler"):
            rx["nohandler"] = s["rx_nohandler"]
        if s.get("rx_otherhost_dropped"):
            rx["otherhost"] = s["rx_otherhost_dropped"]
        tx.update((k, s.get(f, 0)) for k, f in _TX2)
        if carrier_changes is not None:
            tx["carrier_changes"] = carrier_changes
    return {"rx": rx, "tx": tx}


def _stats(a: dict[str, Any], level: int) -> tuple[str, dict[str, Any]] | None:
    s = a.get("IFLA_STATS64")
    key = "stats64"
    if s is None:
        s, key = a.get("IFLA_STATS"), "stats"
    if s is None:
        return None
    return key, stats_json(s, level, a.get("IFLA_CARRIER_CHANGES"))


def _linkinfo(li: Any, ctx: Any) -> dict[str, Any]:
    from .kinds import info_data  # -d only (start-up time of a plain `link show`)

    out: dict[str, Any] = {}
    kind = li.get("kind")
    if kind:
        out["info_kind"] = kind
        data = info_data(kind, li.get("data"), ctx)
        if data is not None:
            out["info_data"] = data
    slave = li.get("slave_kind")
    if slave:
        out["info_slave_kind"] = slave
        data = info_data(slave + "_slave", li.get("slave_data"), ctx)
        if data is not None:
            out["info_slave_data"] = data
    return out


def link_entry(m: Any, ctx: Any, *, view: str = "link", family: int = 0) -> dict[str, Any]:
    """One link as ip prints it in `ip link` (view='link') or `ip addr` (view='addr').

    `family` is ip's -4/-6 filter: in the address view it hides the link/ether line
    unless -d is given, as ip does.
    """
    a = m.attr_dict()
    index = m["index"]
    flags = m["flags"]
    out: dict[str, Any] = {}
    if m.type == RTM_DELLINK:  # (monitor)
        out["deleted"] = True
    out["ifindex"] = index
    mdown = False
    iflink = a.get("IFLA_LINK")
    if iflink is not None:
        if not iflink:
            out["link"] = None
        elif "IFLA_LINK_NETNSID" in a:
            out["link_index"] = iflink
        else:
            out["link"] = ctx.ifname(iflink)
            peer_flags = ctx.ifflags(iflink)
            mdown = peer_flags is not None and not peer_flags & IFF_UP
    name = a.get("IFLA_IFNAME")
    out["ifname"] = name if name is not None else f"if{index}"
    out["flags"] = N.link_flags(flags, mdown)
    if "IFLA_MTU" in a:
        out["mtu"] = a["IFLA_MTU"]
    if "IFLA_QDISC" in a:
        out["qdisc"] = a["IFLA_QDISC"]
    if "IFLA_MASTER" in a:
        out["master"] = ctx.ifname(a["IFLA_MASTER"])
    op = a.get("IFLA_OPERSTATE")
    if op is not None:
        if isinstance(op, str) and not op.isdigit():
            out["operstate"] = op
        else:
            out["operstate_index"] = int(op)
    is_link = view == "link"
    if is_link and "IFLA_LINKMODE" in a:
        mode = a["IFLA_LINKMODE"]
        if mode < len(N.LINKMODES):
            out["linkmode"] = N.LINKMODES[mode]
        else:
            out["linkmode_index"] = mode
    if "IFLA_GROUP" in a:
        out["group"] = N.group_name(a["IFLA_GROUP"], ctx.numeric)
    if a.get("IFLA_TXQLEN"):
        out["txqlen"] = a["IFLA_TXQLEN"]
    event = a.get("IFLA_EVENT")
    if event:
        out["event"] = _EVENTS[event] if event < len(_EVENTS) else event
    if is_link or not family or ctx.details:
        ll_type = m["ifi_type"]
        out["link_type"] = N.ll_type_name(ll_type, ctx.numeric)
        if "IFLA_ADDRESS" in a:
            out["address"] = N.lladdr_text(a["IFLA_ADDRESS"], ll_type)
        if "IFLA_BROADCAST" in a:
            if flags & IFF_POINTOPOINT:
                out["link_pointtopoint"] = True
            out["broadcast"] = N.lladdr_text(a["IFLA_BROADCAST"], ll_type)
        perm = a.get("IFLA_PERM_ADDRESS")
        if perm is not None and perm != a.get("IFLA_ADDRESS"):
            out["permaddr"] = N.lladdr_text(perm, ll_type)
    if "IFLA_LINK_NETNSID" in a:
        out["link_netnsid"] = a["IFLA_LINK_NETNSID"]
    if a.get("IFLA_PROTO_DOWN"):
        out["proto_down"] = True
    if ctx.details:
        _details(out, a, ctx, is_link)
    if (is_link or ctx.details) and "IFLA_IFALIAS" in a:
        out["ifalias"] = a["IFLA_IFALIAS"]
    if is_link and ctx.stats:
        st = _stats(a, ctx.stats)
        if st is not None:
            out[st[0]] = st[1]
    props = a.get("IFLA_PROP_LIST")
    if props is not None:
        out["altnames"] = props.get_attrs("alt_ifname")
    return out


def _details(out: dict[str, Any], a: dict[str, Any], ctx: Any, is_link: bool) -> None:
    for attr, key in (("IFLA_PROMISCUITY", "promiscuity"), ("IFLA_ALLMULTI", "allmulti"),
                      ("IFLA_MIN_MTU", "min_mtu"), ("IFLA_MAX_MTU", "max_mtu")):
        if attr in a:
            out[key] = a[attr]
    li = a.get("IFLA_LINKINFO")
    if li is not None:
        out["linkinfo"] = _linkinfo(li, ctx)
    spec = a.get("IFLA_AF_SPEC")
    if is_link and spec is not None:
        mode = spec.get(("AF_INET6", "IFLA_INET6_ADDR_GEN_MODE"))
        if mode is not None:
            out["inet6_addr_gen_mode"] = _ADDR_GEN_MODES.get(mode, f"{mode:#04x}")
    for attr, key in _DETAIL_NUMBERS:
        if attr in a:
            out[key] = a[attr]
    for attr, key in (("IFLA_PHYS_PORT_ID", "phys_port_id"),
                      ("IFLA_PHYS_SWITCH_ID", "phys_switch_id")):
        if attr in a:
            out[key] = a[attr].hex()
    if "IFLA_PARENT_DEV_BUS_NAME" in a:
        out["parentbus"] = a["IFLA_PARENT_DEV_BUS_NAME"]
    if "IFLA_PARENT_DEV_NAME" in a:
        out["parentdev"] = a["IFLA_PARENT_DEV_NAME"]


def link_json(msgs: Iterable[Any], ctx: Any) -> list[dict[str, Any]]:
    """`ip -j link show` for these link messages (select them first with `select_links`)."""
    return [link_entry(m, ctx) for m in msgs if m.type in (RTM_NEWLINK, RTM_DELLINK)]


# --- selection ---------------------------------------------------------------------


class LinkQuery(EqRecord):
    """ip's `link show` selectors: ``dev X``, ``up``, ``type KIND`` (``KIND_slave`` for
    ports), ``master X`` (``nomaster=True`` for links without one), ``group G``.

    Devices are indexes or names (names are looked up in the `RenderContext`).
    """

    FIELDS = ("dev", "up", "type", "master", "nomaster", "group")

    def __init__(self, dev: int | str | None = None, up: bool = False,
                 type: str | None = None, master: int | str | None = None,
                 nomaster: bool = False, group: int | str | None = None) -> None:
        self.dev = dev
        self.up = up
        self.type = type
        self.master = master
        self.nomaster = nomaster
        self.group = group

    def select(self, msgs: Iterable[Any], ctx: Any = None) -> list[Any]:
        dev = _index(self.dev, ctx, "dev")
        master = _index(self.master, ctx, "master")
        group = None if self.group is None else N.group_id(self.group)
        kind, slave = None, None
        if self.type:
            if self.type.endswith("_slave"):
                slave = self.type[: -len("_slave")]
            else:
                kind = self.type
        out = []
        for m in msgs:
            if dev is not None and m["index"] != dev:
                continue
            if self.up and not m["flags"] & IFF_UP:
                continue
            if master is not None and m.get("master") != master:
                continue
            if self.nomaster and m.get("master"):
                continue
            if group is not None and (m.get("group") or 0) != group:
                continue
            if kind is not None and m.get(("linkinfo", "kind")) != kind:
                continue
            if slave is not None and m.get(("linkinfo", "slave_kind")) != slave:
                continue
            out.append(m)
        return out


def _index(dev: int | str | None, ctx: Any, word: str) -> int | None:
    if dev is None or isinstance(dev, int):
        return dev
    index = ctx.index_of(dev) if ctx is not None else None
    if index is None:
        index = index_of(dev)  # a name first, then an index (ASCII digits only)
    if index is None:
        raise ValueError(f'{word} "{dev}": no such device')
    return index


def select_links(msgs: Iterable[Any], ctx: Any = None, **selectors: Any) -> list[Any]:
    """`LinkQuery(**selectors).select(msgs, ctx)`."""
    return LinkQuery(**selectors).select(msgs, ctx)
