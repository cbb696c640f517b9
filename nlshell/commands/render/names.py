"""Number <-> name tables, as `ip` prints them.

Route tables, protocols, scopes, realms, DS fields and device groups start from iproute2's
built-in names and are extended by the same files `ip` reads: ``/etc/iproute2/{rt_tables,
rt_protos,rt_scopes,rt_realms,rt_dsfield,group}`` plus ``rt_tables.d/*.conf`` and
``rt_protos.d/*.conf`` (a file missing there is looked up in /usr/share/iproute2 and
/usr/lib/iproute2, where newer distributions keep the defaults). Files are read once, on first
use. Every ``*_name`` function takes ``numeric=True`` for ip's ``-N`` (numbers only).

The ``*_id`` functions turn a word back into a number and raise ``ValueError`` naming the
word when it is neither a known name nor a number in range.
"""

from __future__ import annotations

import os

from nlshell.engine.codec import constants as C

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

CONF_DIRS = ("/etc/iproute2", "/usr/share/iproute2", "/usr/lib/iproute2")

AF_UNSPEC, AF_INET, AF_BRIDGE, AF_INET6, AF_MPLS, AF_PACKET = (
    C.AF_UNSPEC, C.AF_INET, C.AF_BRIDGE, C.AF_INET6, C.AF_MPLS, C.AF_PACKET)
FAMILY_NAMES = {AF_INET: "inet", AF_INET6: "inet6", AF_PACKET: "link", AF_MPLS: "mpls",
                AF_BRIDGE: "bridge"}
HOST_BITS = {AF_INET: 32, AF_INET6: 128, AF_MPLS: 20}

RT_TABLE_UNSPEC, RT_TABLE_DEFAULT, RT_TABLE_MAIN, RT_TABLE_LOCAL = (
    C.RT_TABLE_UNSPEC, C.RT_TABLE_DEFAULT, C.RT_TABLE_MAIN, C.RT_TABLE_LOCAL)

# --- built-in tables (iproute2's defaults) ---------------------------------------------

_BUILTIN = {
    "rt_protos": {0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 8: "gated",
                  9: "ra", 10: "mrt", 11: "zebra", 12: "bird", 13: "dnrouted", 14: "xorp",
                  15: "ntk", 16: "dhcp", 18: "keepalived", 42: "babel", 186: "bgp",
                  187: "isis", 188: "ospf", 189: "rip", 192: "eigrp"},
    "rt_scopes": dict(C.RT_SCOPE_NAMES),
    "rt_realms": {0: "unknown"},
    "rt_dsfield": {0: "0"},
    "rt_tables": dict(C.TABLE_NAMES),
    "group": {},
}
_WITH_DIR = ("rt_tables", "rt_protos")  # these also read NAME.d/*.conf
_MAX_ID = {"rt_tables": 0xFFFFFFFF, "group": 0x7FFFFFFF}  # others: 0..255

_cache: dict[str, tuple[dict[int, str], dict[str, int]]] = {}


def _memo(fn: Callable[..., str]) -> Callable[..., str]:
    """``functools.lru_cache(maxsize=1024)`` without importing functools (start-up time):
    results kept by arguments, all forgotten when 1024 are kept; ``cache_clear()``."""
    memo: dict[Any, str] = {}

    def cached(*args: Any, **kwargs: Any) -> str:
        key = (args, tuple(kwargs.items())) if kwargs else args
        try:
            return memo[key]
        except KeyError:
            pass
        if len(memo) >= 1024:
            memo.clear()
        value = memo[key] = fn(*args, **kwargs)
        return value

    cached.cache_clear = memo.clear  # type: ignore[attr-defined]
    cached.__name__, cached.__doc__ = fn.__name__, fn.__doc__
    return cached


def _parse_db(path: str, limit: int) -> list[tuple[int, str]]:
    """(id, name) pairs of one iproute2 database file; unreadable files give nothing."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
    except OSError:
        return []
    out = []
    for line in lines:
        words = line.split("#", 1)[0].split()
        if len(words) < 2:
            continue
        try:
            num = int(words[0], 0)
        except ValueError:
            continue  # ip stops at a corrupt line with a warning; we skip it quietly
        if 0 <= num <= limit:
            out.append((num, words[1]))
    return out


def _db_files(name: str) -> list[str]:
    files: list[str] = []
    for base in CONF_DIRS:
        path = os.path.join(base, name)
        if os.path.exists(path):
            files.append(path)
            break
    if name in _WITH_DIR:
        for base in CONF_DIRS:
            d = os.path.join(base, name + ".d")
            try:
                entries = sorted(os.listdir(d))
            except OSError:
                continue
            files += [os.path.join(d, e) for e in entries
                      if e.endswith(".conf") and len(e) > 5 and not e.startswith(".")]
            break
    return files


def _table(name: str) -> tuple[dict[int, str], dict[str, int]]:
    """(number -> name, name -> number) for one database, read once."""
    got = _cache.get(name)
    if got is None:
        n2a = dict(_BUILTIN[name])
        for path in _db_files(name):
            for num, word in _parse_db(path, _MAX_ID.get(name, 255)):
                n2a[num] = word  # a later line wins, as in ip
        a2n: dict[str, int] = {}
        for num in sorted(n2a):
            a2n.setdefault(n2a[num], num)
        got = _cache[name] = (n2a, a2n)
    return got


def reload() -> None:
    """Forget what was read from the files (tests, or after editing /etc/iproute2)."""
    _cache.clear()
    _proto_cache.clear()
    for fn in (table_name, proto_name, scope_name, realm_name, dsfield_name, group_name):
        fn.cache_clear()


def _n2a(db: str, num: int, numeric: bool) -> str:
    if not numeric:
        tab = _cache.get(db) or _table(db)
        name = tab[0].get(num)
        if name is not None:
            return name
    return str(num)


def _a2n(db: str, word: str | int, what: str, limit: int) -> int:
    if isinstance(word, int):
        num = word
    else:
        known = _table(db)[1].get(word)
        if known is not None:
            return known
        try:
            num = int(word, 0)
        except (TypeError, ValueError):
            raise ValueError(f"unknown {what} {word!r}") from None
    if not 0 <= num <= limit:
        raise ValueError(f"{what} {word!r} is out of range 0..{limit}")
    return num


@_memo
def table_name(num: int, numeric: bool = False) -> str:
    return _n2a("rt_tables", num, numeric)


def table_id(word: str | int) -> int:
    """'main' -> 254, '100' -> 100; ValueError naming the word otherwise."""
    return _a2n("rt_tables", word, "table", 0xFFFFFFFF)


@_memo
def proto_name(num: int, numeric: bool = False) -> str:
    return _n2a("rt_protos", num, numeric)


def proto_id(word: str | int) -> int:
    return _a2n("rt_protos", word, "protocol", 255)


@_memo
def scope_name(num: int, numeric: bool = False) -> str:
    return _n2a("rt_scopes", num, numeric)


def scope_id(word: str | int) -> int:
    return _a2n("rt_scopes", word, "scope", 255)


@_memo
def realm_name(num: int, numeric: bool = False) -> str:
    return _n2a("rt_realms", num, numeric)


@_memo
def group_name(num: int, numeric: bool = False) -> str:
    if not numeric and num == 0 and 0 not in _table("group")[0]:
        return "default"  # ip's own name for group 0 when the file does not name it
    return _n2a("group", num, numeric)


def group_id(word: str | int) -> int:
    if word == "default" and "default" not in _table("group")[1]:
        return 0
    return _a2n("group", word, "group", 0x7FFFFFFF)


@_memo
def dsfield_name(num: int, numeric: bool = False) -> str:
    """TOS / DS field: a name from rt_dsfield, else 0x-hex (ip's rtnl_dsfield_n2a)."""
    if not numeric:
        name = _table("rt_dsfield")[0].get(num)
        if name is not None:
            return name
    return f"0x{num:02x}"


# --- fixed tables --------------------------------------------------------------------

RTN_NAMES = {0: "none", 1: "unicast", 2: "local", 3: "broadcast", 4: "anycast",
             5: "multicast", 6: "blackhole", 7: "unreachable", 8: "prohibit", 9: "throw",
             10: "nat", 11: "xresolve"}
_RTN_IDS = {v: k for k, v in RTN_NAMES.items()}


@_memo
def rtn_type_name(num: int, numeric: bool = False) -> str:
    if numeric:
        return str(num)
    return RTN_NAMES.get(num) or str(num)


def rtn_type_id(word: str | int) -> int:
    if isinstance(word, int):
        num = word
    elif word in _RTN_IDS and word != "none":
        return _RTN_IDS[word]
    else:
        try:
            num = int(word, 0)
        except ValueError:
            raise ValueError(f"unknown route type {word!r}") from None
    if not 0 <= num <= 255:
        raise ValueError(f"route type {word!r} is out of range 0..255")
    return num


def family_name(af: int) -> str | None:
    """'inet', 'inet6'...; None for a family ip prints as a number."""
    return FAMILY_NAMES.get(af)


_FAMILY_IDS = {"inet": AF_INET, "ipv4": AF_INET, "4": AF_INET, "inet6": AF_INET6,
               "ipv6": AF_INET6, "6": AF_INET6, "link": AF_PACKET, "mpls": AF_MPLS,
               "bridge": AF_BRIDGE, "unspec": AF_UNSPEC, "any": AF_UNSPEC}


def family_id(word: str | int | None) -> int:
    if word is None:
        return AF_UNSPEC
    if isinstance(word, int):
        return word
    try:
        return _FAMILY_IDS[word]
    except KeyError:
        raise ValueError(f"unknown address family {word!r}") from None


# interface flags in the order ip prints them (RUNNING is folded into NO-CARRIER)
IFF_RUNNING, IFF_UP = C.IFF_RUNNING, C.IFF_UP
_IFF_BITS = {name: bit for bit, name in C.IFF_FLAGS.items()}
LINK_FLAG_ORDER = tuple((_IFF_BITS[name], name) for name in (
    "LOOPBACK", "BROADCAST", "POINTOPOINT", "MULTICAST", "NOARP", "ALLMULTI", "PROMISC",
    "MASTER", "SLAVE", "DEBUG", "DYNAMIC", "AUTOMEDIA", "PORTSEL", "NOTRAILERS", "UP",
    "LOWER_UP", "DORMANT", "ECHO"))


def link_flags(flags: int, mdown: bool = False) -> list[str]:
    """ifi_flags -> ip's list: ["NO-CARRIER", "BROADCAST", ..., "UP"] (+ "M-DOWN")."""
    out = []
    if flags & IFF_UP and not flags & IFF_RUNNING:
        out.append("NO-CARRIER")
    flags &= ~IFF_RUNNING
    for bit, name in LINK_FLAG_ORDER:
        if flags & bit:
            out.append(name)
            flags &= ~bit
    if flags:
        out.append(f"{flags:x}")
    if mdown:
        out.append("M-DOWN")
    return out


NUD_ORDER = tuple(sorted(C.NUD_NAMES.items()))  # by bit, as ip lists them
NUD_NOARP, NUD_PERMANENT = C.NUD_NOARP, C.NUD_PERMANENT
NONE_STATE_BIT = 0x100  # ip's filter bit for state "none" (ndm_state == 0): not the kernel's
_NUD_IDS = {name.lower(): bit for bit, name in NUD_ORDER}
_NUD_IDS["none"] = 0


def nud_names(state: int) -> list[str]:
    return [name for bit, name in NUD_ORDER if state & bit]


def nud_id(word: str | int) -> int:
    """'reachable' -> 0x02; 'none' -> 0; one bit given as a number is accepted too."""
    if isinstance(word, int):
        num = word
    else:
        low = word.lower()
        if low in _NUD_IDS:
            return _NUD_IDS[low]
        try:
            num = int(word, 0)
        except ValueError:
            raise ValueError(f"unknown neighbour state {word!r}") from None
    if num >= 0x100 or num & (num - 1):
        raise ValueError(f"neighbour state {word!r} is not a single NUD bit")
    return num


OPERSTATES = C.OPERSTATES
LINKMODES = ("DEFAULT", "DORMANT")

# ARPHRD_* -> ip's link/TYPE word
LL_TYPES = {
    0: "netrom", 1: "ether", 2: "eether", 3: "ax25", 4: "pronet", 5: "chaos", 6: "ieee802",
    7: "arcnet", 8: "atalk", 15: "dlci", 19: "atm", 23: "metricom", 24: "ieee1394",
    32: "infiniband", 256: "slip", 257: "cslip", 258: "slip6", 259: "cslip6", 260: "rsrvd",
    264: "adapt", 270: "rose", 271: "x25", 272: "hwx25", 280: "can", 512: "ppp", 513: "hdlc",
    516: "lapb", 517: "ddcmp", 518: "rawhdlc", 768: "ipip", 769: "tunnel6", 770: "frad",
    771: "skip", 772: "loopback", 773: "ltalk", 774: "fddi", 775: "bif", 776: "sit",
    777: "ip/ddp", 778: "gre", 779: "pimreg", 780: "hippi", 781: "ash", 782: "econet",
    783: "irda", 784: "fcpp", 785: "fcal", 786: "fcpl", 800: "tr", 801: "ieee802.11",
    802: "ieee802.11/prism", 803: "ieee802.11/radiotap", 804: "ieee802.15.4",
    805: "ieee802.15.4/monitor", 820: "phonet", 821: "phonet_pipe", 822: "caif",
    823: "gre6", 824: "netlink", 825: "6lowpan", 0xFFFE: "none", 0xFFFF: "void",
}
LL_TYPES.update({787 + i: f"fcfb{i}" for i in range(13)})
ARPHRD_TUNNEL4 = (768, 776, 778)  # link addresses printed as IPv4 (ipip, sit, gre)
ARPHRD_TUNNEL6 = (769, 823)  # ... as IPv6


@_memo
def ll_type_name(num: int, numeric: bool = False) -> str:
    name = None if numeric else LL_TYPES.get(num)
    return name if name is not None else f"[{num}]"


def lladdr_text(mac: str | None, ll_type: int | None) -> str | None:
    """A link-layer address as ip prints it: hex octets, or an IP for tunnel devices."""
    if mac is None or ll_type is None:
        return mac
    n = mac.count(":") + 1
    if (n == 4 and ll_type in ARPHRD_TUNNEL4) or (n == 16 and ll_type in ARPHRD_TUNNEL6):
        import ipaddress  # rare: only tunnel devices

        return str(ipaddress.ip_address(bytes(int(x, 16) for x in mac.split(":"))))
    return mac


# --- IP protocols (rules' ipproto), from /etc/protocols like getprotobynumber ----------

_proto_cache: dict[int, str] = {}
_IP_PROTOS = {0: "ip", 1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 41: "ipv6", 47: "gre",
              50: "esp", 51: "ah", 58: "ipv6-icmp", 132: "sctp", 136: "udplite"}


def ip_proto_name(num: int, numeric: bool = False) -> str:
    if numeric:
        return f"ipproto-{num}"
    if not _proto_cache:
        _proto_cache.update(_IP_PROTOS)
        for num_, name in _read_protocols():
            _proto_cache.setdefault(num_, name)
        _proto_cache[-1] = ""  # marks the cache as filled
    return _proto_cache.get(num) or f"ipproto-{num}"


def _read_protocols() -> Iterable[tuple[int, str]]:
    try:
        with open("/etc/protocols", encoding="utf-8", errors="replace") as f:
            for line in f:
                words = line.split("#", 1)[0].split()
                if len(words) >= 2 and words[1].isdigit():
                    yield int(words[1]), words[0]
    except OSError:
        return
