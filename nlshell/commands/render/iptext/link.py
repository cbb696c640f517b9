"""``ip link show`` as ip prints it (iproute2 6.1's text), byte for byte: the plain
listing, ``-o`` (a record's lines joined by ``\\``), ``-s``/``-s -s`` counters (``-h``,
``-iec``), ``-d`` (kind details for veth, bridge and its ports, vxlan, macvlan, ifb,
tun/tap), ``-br``.

The words come from the ``ip -j`` entry the JSON renderer builds (``render.link``), so the
text and ``-j`` agree; only the layout is ip's text. ``address.py`` prints the same link
head in front of each link's addresses (``view="addr"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from nlshell.engine.codec.constants import RTM_DELLINK, RTM_NEWLINK

from ..link import link_entry
from ..safe import printable
from . import numbers

SL = "\\"  # ip -o's line join


# --- the first lines: index, name, flags; link/TYPE; -d details -----------------------------

# (json key, ip's word) on the first line, in ip's order; qlen ends without a blank
_HEAD = (("mtu", "mtu "), ("qdisc", "qdisc "), ("master", "master "),
         ("operstate", "state "), ("linkmode", "mode "), ("group", "group "))
_DETAIL_NUMBERS = (("num_tx_queues", "numtxqueues"), ("num_rx_queues", "numrxqueues"),
                   ("gso_max_size", "gso_max_size"), ("gso_max_segs", "gso_max_segs"),
                   ("tso_max_size", "tso_max_size"), ("tso_max_segs", "tso_max_segs"),
                   ("gro_max_size", "gro_max_size"), ("phys_port_name", "portname"),
                   ("phys_port_id", "portid"), ("phys_switch_id", "switchid"),
                   ("parentbus", "parentbus"), ("parentdev", "parentdev"))


def ifname_at(e: dict[str, Any]) -> str:
    """NAME, NAME@PEER, NAME@ifN (a peer in another namespace) or NAME@NONE."""
    name = printable(e["ifname"])
    if "link_index" in e:
        return f"{name}@if{e['link_index']}"
    if "link" in e:
        return f"{name}@{printable(e['link']) if e['link'] else 'NONE'}"
    return name


def head(m: Any, e: dict[str, Any], rctx: Any) -> list[str]:
    """The link's lines before its statistics: the first line, link/TYPE (when the entry
    has it), the -d details and kind lines, ``alias``. ``rctx.netns`` names the namespace
    the links are in (for ``link-netns NAME``)."""
    first = [f"{e['ifindex']}: {ifname_at(e)}: <{','.join(e['flags'])}> "]
    if m.type == RTM_DELLINK:
        first.insert(0, "Deleted ")
    for key, word in _HEAD:
        if key in e:
            first.append(f"{word}{printable(str(e[key]))} ")
        elif key == "operstate" and "operstate_index" in e:
            first.append(f"state {e['operstate_index']:#x} ")
        elif key == "linkmode" and "linkmode_index" in e:
            first.append(f"mode {e['linkmode_index']} ")
    qlen = e.get("txqlen")
    if qlen is None and m.get("IFLA_TXQLEN") is None:  # a -4/-6 dump leaves it out
        qlen = _ioctl_qlen(e["ifname"], getattr(rctx, "netns", None))
    if qlen:
        first.append(f"qlen {qlen}")
    if "event" in e:
        first.append(f"event {e['event']} ")
    cur = first
    out = [cur]
    if "link_type" in e:
        cur = [f"    link/{e['link_type']} "]
        out.append(cur)
        if "address" in e:
            cur.append(e["address"])
        if "broadcast" in e:
            cur.append((" peer " if e.get("link_pointtopoint") else " brd ") + e["broadcast"])
        if "permaddr" in e:
            cur.append(f" permaddr {e['permaddr']}")
    if "link_netnsid" in e:
        nsid = e["link_netnsid"]
        name = _nsid_name(nsid, getattr(rctx, "netns", None)) if nsid >= 0 else None
        cur.append(f" link-netns {name}" if name else f" link-netnsid {nsid}")
    if e.get("proto_down"):
        cur.append(" protodown on ")
    if "promiscuity" in e:  # -d
        cur.append(f" promiscuity {e['promiscuity']} ")
        if "allmulti" in e:
            cur.append(f" allmulti {e['allmulti']} ")
        for key, word in (("min_mtu", "minmtu"), ("max_mtu", "maxmtu")):
            if key in e:
                cur.append(f"{word} {e[key]} ")
        li = e.get("linkinfo")
        if li is not None:
            cur = _linkinfo(out, cur, li, m, rctx)
        if "inet6_addr_gen_mode" in e:
            cur.append(f"addrgenmode {e['inet6_addr_gen_mode']} ")
        for key, word in _DETAIL_NUMBERS:
            if key in e:
                cur.append(f"{word} {printable(str(e[key]))} ")
    if "ifalias" in e:
        out.append([f"    alias {printable(e['ifalias'])}"])
    return ["".join(parts) for parts in out]


def altnames(e: dict[str, Any]) -> list[str]:
    return [f"    altname {printable(n)}" for n in e.get("altnames", ())]


_nsid_cache: dict[Any, dict[int, str]] = {}


def _nsid_name(nsid: int, where: Any) -> str | None:
    """The name (in /run/netns) of the namespace with `nsid` as seen from `where`, as
    ip's ``link-netns NAME``; None when it has none. Asked once per command."""
    found = _nsid_cache.get(where)
    if found is None:
        from nlshell.engine.netns import nsid_map

        try:
            found = nsid_map(where)
        except OSError:
            found = {}
        _nsid_cache[where] = found
    return found.get(nsid)


_SIOCGIFTXQLEN = 0x8942
_qlen_socks: dict[Any, Any] = {}


def _ioctl_qlen(name: str, where: Any) -> int | None:
    """A link's queue length asked with SIOCGIFTXQLEN inside `where`, as ip does when the
    link message has no IFLA_TXQLEN (the kernel's AF_INET6 link dump)."""
    import fcntl
    import socket
    import struct

    sock = _qlen_socks.get(where)
    try:
        if sock is None:
            if where is None:
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            else:
                from nlshell.engine.netns import run_in_netns

                sock = run_in_netns(where, socket.socket, socket.AF_INET, socket.SOCK_DGRAM)
            _qlen_socks[where] = sock
        req = struct.pack("16si", name.encode()[:15], 0)
        return struct.unpack("16si", fcntl.ioctl(sock.fileno(), _SIOCGIFTXQLEN, req))[1]
    except OSError:
        return None  # gone meanwhile: ip prints no qlen either


def forget() -> None:
    """Drop what one command asked the kernel (nsid names, the qlen socket)."""
    _nsid_cache.clear()
    for sock in _qlen_socks.values():
        sock.close()
    _qlen_socks.clear()


# --- -d: the kind lines ---------------------------------------------------------------------


def _onoff(v: Any) -> str:
    return "on" if v else "off"


def _timer(v: float) -> str:
    cs = round(v * 100)  # the JSON holds centiseconds / 100; ip prints "%4i.%.2i"
    return f"{cs // 100:4d}.{cs % 100:02d}"


def _bridge(data: dict[str, Any], raw: Any, rctx: Any) -> str:
    out = []
    for key, value in data.items():
        word = key.replace("_intvl", "_interval").replace("_cnt", "_count")
        word = _BRIDGE_WORDS.get(word, word)
        if key.endswith("_timer"):
            value = _timer(value)
        out.append(f"{word} {value} ")
    return "".join(out)


_BRIDGE_WORDS = {"root_id": "designated_root", "group_addr": "group_address"}
_PORT_WORDS = {"id": "port_id", "no": "port_no", "bridge_id": "designated_bridge",
               "root_id": "designated_root", "multicast_router": "mcast_router"}


def _bridge_slave(data: dict[str, Any], raw: Any, rctx: Any) -> str:
    out = []
    for key, value in data.items():
        if key.endswith("_timer"):
            text = _timer(value)
        elif isinstance(value, bool):
            text = _onoff(value)
        else:
            text = str(value)
        out.append(f"{_PORT_WORDS.get(key, key)} {text} ")
        if key == "multicast_router" and "fastleave" in data:
            out.append(f"mcast_fast_leave {_onoff(data['fastleave'])} ")  # ip says it twice
    return "".join(out)


def _macvlan(data: dict[str, Any], raw: Any, rctx: Any) -> str:
    out = []
    for key, value in data.items():
        if value is True:
            out.append(f"{key} ")
        elif key == "macaddr_count":
            out.append(f"remotes ({value}) ")
        elif key == "macaddr_data":
            out.extend(f"{mac} " for mac in value)
        else:
            out.append(f"{key} {value} ")
    return "".join(out)


def _tun(data: dict[str, Any], raw: Any, rctx: Any) -> str:
    out = []
    for key, value in data.items():
        if key == "multi_queue":
            if value:
                out.append("multi_queue ")
        elif isinstance(value, bool):
            out.append(f"{key} {_onoff(value)} ")
        else:
            out.append(f"{key} {value} ")
    return "".join(out)


def _vxlan(data: dict[str, Any], raw: Any, rctx: Any) -> str:
    """vxlan from its attributes: ip's text says things its JSON leaves out (``ttl
    auto``, ``tos inherit``, ``nolearning``)."""
    a = raw.attr_dict() if raw is not None and hasattr(raw, "attr_dict") else {}
    p = "IFLA_VXLAN_"
    out = []
    if a.get(p + "COLLECT_METADATA"):
        out.append("external ")
    if a.get(p + "VNIFILTER"):
        out.append("vnifilter ")
    if p + "ID" in a:
        out.append(f"id {a[p + 'ID']} ")
    for group, local in ((p + "GROUP", p + "LOCAL"), (p + "GROUP6", p + "LOCAL6")):
        if group in a or local in a:
            g = a.get(group)
            if g is not None and g not in ("0.0.0.0", "::"):
                out.append(f"{'group' if _multicast(g) else 'remote'} {g} ")
            loc = a.get(local)
            if loc is not None and loc not in ("0.0.0.0", "::"):
                out.append(f"local {loc} ")
            break
    if a.get(p + "LINK"):
        out.append(f"dev {printable(rctx.ifname(a[p + 'LINK']))} ")
    rng = a.get(p + "PORT_RANGE")
    if rng is not None:
        out.append(f"srcport {rng['low']} {rng['high']} ")
    if p + "PORT" in a:
        out.append(f"dstport {a[p + 'PORT']} ")
    if p + "LEARNING" in a and not a[p + "LEARNING"]:
        out.append("nolearning ")
    for suffix in ("PROXY", "RSC", "L2MISS", "L3MISS"):
        if a.get(p + suffix):
            out.append(f"{suffix.lower()} ")
    tos = a.get(p + "TOS")
    if tos:
        out.append("tos inherit " if tos == 1 else f"tos {_hex(tos)} ")
    if a.get(p + "TTL_INHERIT"):
        out.append("ttl inherit ")
    elif p + "TTL" in a:
        ttl = a[p + "TTL"]
        out.append(f"ttl {ttl} " if ttl else "ttl auto ")
    df = a.get(p + "DF")
    if df in (1, 2):
        out.append(("", "df set ", "df inherit ")[df])
    if a.get(p + "LABEL"):
        out.append(f"flowlabel {_hex(a[p + 'LABEL'])} ")
    if p + "AGEING" in a:
        out.append(f"ageing {a[p + 'AGEING']} ")
    if a.get(p + "LIMIT"):
        out.append(f"maxaddr {a[p + 'LIMIT']} ")
    for suffix, word in (("UDP_CSUM", "udpcsum"), ("UDP_ZERO_CSUM6_TX", "udp6zerocsumtx"),
                         ("UDP_ZERO_CSUM6_RX", "udp6zerocsumrx")):
        if p + suffix in a:
            out.append(f"{'' if a[p + suffix] else 'no'}{word} ")
    for suffix, word in (("REMCSUM_TX", "remcsumtx"), ("REMCSUM_RX", "remcsumrx")):
        if a.get(p + suffix):
            out.append(f"{word} ")
    for suffix in ("GBP", "GPE"):
        if p + suffix in a:
            out.append(f"{suffix.lower()} ")
    return "".join(out)


def _multicast(addr: str) -> bool:
    # the codec shows an address of an odd length as hex: not an address, not multicast
    if ":" in addr:
        return addr.lower().startswith("ff")
    first = addr.split(".", 1)[0]
    return "." in addr and first.isdigit() and 224 <= int(first) <= 239


def _hex(v: Any) -> str:
    return f"{v:#x}" if isinstance(v, int) else str(v)  # odd bytes come as hex text


# kind -> its text after "KIND " (from the JSON info_data, and the raw IFLA_INFO_DATA)
KIND_TEXT = {"bridge": _bridge, "bridge_slave": _bridge_slave, "macvlan": _macvlan,
             "macvtap": _macvlan, "tun": _tun, "vxlan": _vxlan}


def _linkinfo(out: list[list[str]], cur: list[str], li: dict[str, Any], m: Any,
              rctx: Any) -> list[str]:
    """Append the kind line (and the port's line) to `out`; the line now being written."""
    raw = m.get("linkinfo")
    for kind_key, data_key, raw_key, suffix in (
            ("info_kind", "info_data", "data", ""),
            ("info_slave_kind", "info_slave_data", "slave_data", "_slave")):
        kind = li.get(kind_key)
        if not kind:
            continue
        cur = [f"    {printable(kind)}{suffix} "]
        out.append(cur)
        fn = KIND_TEXT.get(kind + suffix)
        if fn is not None:
            cur.append(fn(li.get(data_key, {}), raw.get(raw_key) if raw is not None else None,
                          rctx))
    return cur


def kind_details(m: Any, e: dict[str, Any], rctx: Any) -> str:
    """The -d words of a link's kind and of its port role, in ip's words (``id 42 remote
    192.0.2.9 dev v0 ...``; ``bridge_slave: state forwarding ...``), for the human table."""
    li = e.get("linkinfo")
    if not li:
        return ""
    out: list[list[str]] = []
    _linkinfo(out, [], li, m, rctx)
    texts = ["".join(parts).strip() for parts in out]
    kind = li.get("info_kind")
    # the KIND column names the kind already; a port's data is named by its role
    if kind and texts and texts[0].startswith(printable(kind) + " "):
        texts[0] = texts[0][len(printable(kind)) + 1:]
    elif kind and texts and texts[0] == printable(kind):
        texts[0] = ""
    return "; ".join(t for t in texts if t)


# --- -s: the counters -------------------------------------------------------------------

# column widths before the values widen them: "*X errors:", packets, errors, dropped,
# heartbt, overrun, compressed, otherhost
_WIDTHS = (10, 7, 6, 7, 7, 7, 10, 9)
_RX = ("rx_bytes", "rx_packets", "rx_errors", "rx_dropped", "rx_missed_errors", "multicast",
       "rx_compressed")
_RX2 = ("rx_length_errors", "rx_crc_errors", "rx_frame_errors", "rx_fifo_errors",
        "rx_over_errors", "rx_nohandler", "rx_otherhost_dropped")
_TX = ("tx_bytes", "tx_packets", "tx_errors", "tx_dropped", "tx_carrier_errors",
       "collisions", "tx_compressed")
_TX2 = ("tx_aborted_errors", "tx_fifo_errors", "tx_window_errors", "tx_heartbeat_errors")


def stats_lines(attrs: dict[str, Any], level: int, human: bool = False,
                iec: bool = False) -> list[str]:
    """ip's counter block (``-s``; ``level`` 2 for ``-s -s``): RX and TX rows, each under
    its header, columns as wide as their widest value."""
    s = attrs.get("IFLA_STATS64") or attrs.get("IFLA_STATS")
    if s is None:
        return []
    changes = attrs.get("IFLA_CARRIER_CHANGES") or 0
    rx = [s.get(k, 0) for k in _RX]
    tx = [s.get(k, 0) for k in _TX]
    rx2 = [0] + [s.get(k, 0) for k in _RX2]
    tx2 = [0] + [s.get(k, 0) for k in _TX2] + [changes]
    cols = list(_WIDTHS)
    rows = [rx, tx] + ([rx2, tx2] if level > 1 else [])
    for row in rows:
        for i, v in enumerate(row):
            cols[i] = max(cols[i], numbers.counter_width(v, human))

    def nums(values: list[int], first: int) -> str:
        return "".join(f"{numbers.counter(v, human, iec):>{cols[i]}} "
                       for i, v in enumerate(values) if i >= first)

    def titles(words: tuple[str, ...], first: int) -> str:
        return "".join(f" {w:>{cols[first + i]}}" for i, w in enumerate(words))

    out = []
    for tag, main, words, more, more_words, extra in (
            ("RX", rx, ("missed", "mcast"), rx2, ("length", "crc", "frame", "fifo", "overrun"),
             (("nohandler", 6), ("otherhost", 7))),
            ("TX", tx, ("carrier", "collsns"), tx2,
             ("aborted", "fifo", "window", "heartbt", "transns"), ())):
        compressed = main[6]
        out.append(f"    {tag}: {'bytes':>{cols[0] - 4}}"
                   + titles(("packets", "errors", "dropped") + words, 1)
                   + f" {'compressed' if compressed else '':>{cols[6]}}")
        out.append("    " + nums(main[:6] + ([compressed] if compressed else []), 0))
        if level > 1:
            shown = [w for w, i in extra if more[i]]
            out.append(f"    {tag} errors:" + titles(more_words + tuple(shown), 1))
            values = more[:6] + [more[i] for w, i in extra if more[i]]
            out.append(" " * (cols[0] + 5) + nums(values, 1))
    return out


# --- the whole record ---------------------------------------------------------------------


def record(m: Any, rctx: Any, opts: Any) -> list[str]:
    """One link's lines, as ``ip link show`` prints them."""
    e = link_entry(m, rctx)
    out = head(m, e, rctx)
    if rctx.stats:
        out += stats_lines(m.attr_dict(), rctx.stats, opts.human, opts.iec)
    return out + altnames(e)


def joined(record_lines: list[str], oneline: bool) -> Iterator[str]:
    """A record's lines, or with -o one line (ip's ``\\`` where the line breaks were)."""
    if oneline:
        yield SL.join(record_lines)
    else:
        yield from record_lines


def lines(msgs: Iterable[Any], rctx: Any, opts: Any) -> Iterator[str]:
    """``ip [-o] [-s [-s]] [-d] [-h [-iec]] [-br] link show`` for these (selected) links."""
    msgs = [m for m in msgs if m.type in (RTM_NEWLINK, RTM_DELLINK)]
    if opts.brief:
        from ..brief import link_brief

        yield from link_brief(msgs, rctx).splitlines()
        return
    try:
        for m in msgs:
            yield from joined(record(m, rctx, opts), opts.oneline)
    finally:
        forget()
