"""Typed slots: the value types of the command grammar.

A `Slot` is what may fill a value position (`dev IFNAME`, `route add PREFIX`). Each one has

- ``name``: the type name shown in help and used in lexer roles (``value:IFNAME``);
- ``convert(text)``: text -> value, or `SlotError` whose message names the bad text
  (``invalid prefix '300.1.1.1/24': octet 300 > 255``);
- ``words``: literal words the slot also accepts, each with a value and a help line
  (``default`` for PREFIX, ``forever`` for DURATION, the whole vocabulary of a choice);
- ``source``: where the completer takes live values from (a `Provider` method key:
  ``links``, ``ifindex``, ``netns``, ``addresses``, ``routes``, ``tables``, ``command``);
- ``kind``: a coarse token kind for the lexer (``ifname``, ``prefix``, ``number``...);
- ``example``: the hint shown when there are no live values (``e.g. 192.0.2.0/24``).

Converted value types (what handlers find in ``Invocation.values``):

====================  =====================================================================
IFNAME                str. An existing device. A word of ASCII digits may also be an index
                      (`index_of` is the one rule: '３' or '٣' are names, never indexes):
                      the name is tried first, then the index (completion offers both).
IFNAME_OR_INDEX       the same slot as IFNAME.
NEW_IFNAME            str, a device name to create (help shows it as IFNAME, no live check).
IFINDEX               int >= 1 (ASCII decimal digits, `index_of`).
PREFIX                `Prefix(address, length, family, special)`; `length` None when no
                      ``/len`` was typed; `special` is ``'default'``/``'all'`` (address None).
ADDR                  str, canonical text ('192.0.2.1', '2001:db8::1'); `family_of()` tells.
LLADDR / HWADDR       str, lower-case colon form 'aa:bb:cc:dd:ee:ff'.
NETNS / NEW_NETNS     str.
TABLE                 int (numbers, main/local/default/all) or str (another name: the runner
                      resolves it).
NUMBER, number()      int (decimal or 0x hex).
PROTO, SCOPE, RTTYPE,
NUD                   int (the kernel's number), names or numbers accepted.
FWMARK                (mark: int, mask: int | None).
DURATION              int seconds; ``forever`` -> FOREVER (0xFFFFFFFF).
FAMILY                int, the AF_* number of ``inet``, ``inet6``, ``link`` (``-f``/``-family``).
STRING, COMMAND       str.
choice()              the word itself, or the value declared for it.
====================  =====================================================================

This module is pure (standard library only) and cheap to import.
"""

from __future__ import annotations

# collections.abc's Mapping itself, from the module the interpreter has always loaded
# (`collections.abc` would import all of `collections`); _socket: `socket` imports enum
from _collections_abc import Mapping
from _socket import AF_INET6 as _SOCK_AF_INET6
from _socket import inet_ntop, inet_pton

from nlshell.commands.record import Record, tuple_record
from nlshell.engine.codec.constants import AF_INET, AF_INET6, AF_PACKET
from nlshell.engine.names import IFINDEX_MAX
from nlshell.engine.names import index_of as _index_of

# typing and collections.abc cost start-up time: only type checkers read them here
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

FOREVER = 0xFFFFFFFF  # the kernel's "infinite lifetime"
U32_MAX = 0xFFFFFFFF
IFNAMSIZ = 16
IFALIASZ = 256


class SlotError(ValueError):
    """A value does not fit its slot; the message names the bad text."""

    def __init__(self, message: str, text: str = "") -> None:
        super().__init__(message)
        self.text = text


# slot name -> lexer kind, filled as slots are created (see `kind_of`)
_KINDS: dict[str, str] = {}


def kind_of(name: str) -> str:
    """The lexer token kind of a slot name (from a ``value:NAME`` role); 'word' if unknown."""
    return _KINDS.get(name, "word")


class Slot(Record):
    """One value type. Build new ones with `number`, `choice`, `prefix` or `Slot.with_words`.
    Read-only once made (a plain class, not a dataclass: start-up time, see record.py)."""

    FIELDS = ("name", "label", "parse", "words", "abbrev", "source", "kind", "example",
              "must_exist")

    def __init__(self, name: str, label: str, parse: Callable[[str], Any] | None = None,
                 words: Mapping[str, tuple[Any, str]] | None = None, abbrev: bool = False,
                 source: str | None = None, kind: str = "word", example: str = "",
                 must_exist: bool = False) -> None:
        setter = object.__setattr__
        setter(self, "name", name)
        setter(self, "label", label)
        setter(self, "parse", parse)
        setter(self, "words", {} if words is None else words)
        setter(self, "abbrev", abbrev)  # literal words may be abbreviated to a unique prefix
        setter(self, "source", source)
        setter(self, "kind", kind)
        setter(self, "example", example)
        # the lexer may mark values the provider does not know
        setter(self, "must_exist", must_exist)
        _KINDS.setdefault(name, kind)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a Slot")

    __delattr__ = __setattr__  # type: ignore[assignment]

    @property
    def is_choice(self) -> bool:
        """Only the literal words are accepted (a closed vocabulary)."""
        return self.parse is None

    def convert(self, text: str) -> Any:
        """Text -> value; raises `SlotError` naming the text."""
        if text in self.words:
            return self.words[text][0]
        if self.abbrev and text:
            hits = [w for w in self.words if w.startswith(text)]
            if len(hits) == 1:
                return self.words[hits[0]][0]
            if hits and self.parse is None:
                raise SlotError(f"ambiguous {self.label} {text!r}: {', '.join(hits)}", text)
        if self.parse is None:
            raise SlotError(f"invalid {self.label} {text!r} (one of: {_listing(self.words)})", text)
        try:
            return self.parse(text)
        except SlotError:
            raise
        except (ValueError, OverflowError, UnicodeError) as exc:
            reason = str(exc)
            raise SlotError(f"invalid {self.label} {text!r}" + (f": {reason}" if reason else ""), text) from None

    def claims(self, text: str, exact: bool = False) -> bool:
        """Whether `text` converts; with `exact`, literal words must be typed in full.

        (`exact` keeps an optional positional choice such as route's TYPE from stealing
        an abbreviation meant for something else.)
        """
        if exact and self.parse is None:
            return text in self.words
        try:
            self.convert(text)
        except SlotError:
            return False
        return True

    def with_words(self, words: Mapping[str, Any], *, name: str | None = None,
                   label: str | None = None, **changes: Any) -> Slot:
        """A copy that also accepts literal words: ``{word: help}`` or ``{word: (value, help)}``."""
        merged = dict(self.words)
        merged.update(_word_table(words))
        return self.replace(words=merged, name=name or self.name, label=label or self.label, **changes)


def _word_table(words: Mapping[str, Any] | Iterable[str]) -> dict[str, tuple[Any, str]]:
    if not isinstance(words, Mapping):
        return {w: (w, "") for w in words}
    out: dict[str, tuple[Any, str]] = {}
    for word, spec in words.items():
        out[word] = spec if isinstance(spec, tuple) else (word, spec)
    return out


def _listing(words: Mapping[str, Any], limit: int = 10) -> str:
    names = list(words)
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


# -- parsers ------------------------------------------------------------------------------

_DEC = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")


def parse_int(text: str, lo: int = 0, hi: int = U32_MAX) -> int:
    """Decimal or 0x hex within lo..hi (no octal: '010' is ten)."""
    if text[:2] in ("0x", "0X"):
        digits, base, allowed = text[2:], 16, _HEX
    else:
        digits, base, allowed = text, 10, _DEC
    if not digits or any(c not in allowed for c in digits):
        if text[:1] == "-" and text[1:].isdigit():  # a number, just below any range we take
            raise ValueError(f"out of range {lo}..{hi}")
        raise ValueError("not a number")
    if len(digits) > 40:  # far beyond any netlink field; also dodges int()'s digit limit
        raise ValueError(f"out of range {lo}..{hi}")
    value = int(digits, base)
    if not lo <= value <= hi:
        raise ValueError(f"out of range {lo}..{hi}")
    return value


def index_of(text: str) -> int | None:
    """The interface index a device word stands for, or None when it is a name.

    The one rule for reading an index from what the user typed (it lives in the engine,
    which Cache.index shares): ASCII decimal digits only, 1..2**31-1. Unicode digits
    ('٣', '３') and other forms ('0x3', '+3', ' 3') are names, as for ip
    (`Cannot find device "３"`), never an index."""
    return _index_of(text)


def _parse_ifindex(text: str) -> int:
    index = index_of(text)
    if index is None:
        raise ValueError(f"not an index 1..{IFINDEX_MAX}")
    return index


def _ipv4(text: str, short: bool = False) -> str:
    """Dotted quad -> canonical text; `short` allows ip's '10' / '192.168' forms (zero-filled)."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or (len(parts) != 4 and not short):
        raise ValueError("not an IPv4 address")
    for part in parts:
        if not part.isascii() or not part.isdigit() or len(part) > 3:
            raise ValueError("not an IPv4 address")
        if len(part) > 1 and part[0] == "0":
            raise ValueError(f"leading zero in {part!r}")
        if int(part) > 255:
            raise ValueError(f"octet {part} > 255")
    return ".".join(parts + ["0"] * (4 - len(parts)))


def _ipv6(text: str) -> str:
    if not text.isascii():
        raise ValueError("not an IPv6 address")
    try:
        return inet_ntop(_SOCK_AF_INET6, inet_pton(_SOCK_AF_INET6, text))
    except OSError:
        raise ValueError("not an IPv6 address") from None


def family_of(address: str) -> int:
    """AF_INET6 if the address text is IPv6, else AF_INET."""
    return AF_INET6 if ":" in address else AF_INET


def parse_addr(text: str) -> str:
    """An IPv4 or IPv6 address -> canonical text."""
    return _ipv6(text) if ":" in text else _ipv4(text)


class Prefix(tuple_record("Prefix", ("address", "length", "family", "special"), (None,))):
    """A parsed PREFIX: ``Prefix('192.0.2.0', 24, AF_INET, None)`` or ``Prefix(None, None, None, 'default')``.

    address: str | None; length: int | None; family: int | None; special: str | None."""

    __slots__ = ()

    def __str__(self) -> str:
        if self.special:
            return self.special
        return self.address if self.length is None else f"{self.address}/{self.length}"  # type: ignore[return-value]


def parse_prefix(text: str) -> Prefix:
    addr, slash, length = text.partition("/")
    if ":" in addr:
        address, family, maxlen = _ipv6(addr), AF_INET6, 128
    else:
        # short forms ('10/8') only with an explicit length, like ip
        address, family, maxlen = _ipv4(addr, short=bool(slash)), AF_INET, 32
    if not slash:
        return Prefix(address, None, family)
    if not length.isascii() or not length.isdigit() or len(length) > 3 or int(length) > maxlen:
        raise ValueError(f"bad prefix length {length!r}")
    return Prefix(address, int(length), family)


def _parse_lladdr(text: str, octets: int | None = 6) -> str:
    parts = text.split(":")
    if (octets is not None and len(parts) != octets) or not 1 <= len(parts) <= 32:
        raise ValueError(f"need {octets} octets" if octets else "too many octets")
    for part in parts:
        if not 1 <= len(part) <= 2 or any(c not in "0123456789abcdefABCDEF" for c in part):
            raise ValueError(f"bad octet {part!r}")
    return ":".join(p.lower().zfill(2) for p in parts)


def ifname_problem(text: str) -> str | None:
    """Why `text` is not a valid interface name (the kernel's rules), or None."""
    if not text:
        return "empty"
    if len(text.encode("utf-8", "surrogatepass")) >= IFNAMSIZ:
        return f"longer than {IFNAMSIZ - 1} bytes"
    if text in (".", ".."):
        return "reserved name"
    for ch in text:
        if ch in "/:" or ch.isspace() or ch == "\0":
            return f"contains {ch!r}"
    return None


def _parse_ifname(text: str) -> str:
    problem = ifname_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def netns_problem(text: str) -> str | None:
    """Why `text` is not a valid namespace name, or None: the engine's own rule (imported
    here: a command without a namespace never loads nsenter)."""
    from nlshell.engine.nsenter import name_problem

    return name_problem(text)


def _parse_netns(text: str) -> str:
    problem = netns_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def _parse_alias(text: str) -> str:
    if len(text.encode("utf-8", "surrogatepass")) >= IFALIASZ:  # the kernel's limit, NUL included
        raise ValueError(f"longer than {IFALIASZ - 1} bytes")
    return text


def _parse_fwmark(text: str) -> tuple[int, int | None]:
    mark, slash, mask = text.partition("/")
    return parse_int(mark), (parse_int(mask) if slash else None)


def _parse_duration(text: str) -> int:
    body = text[:-3] if text.endswith("sec") else text
    return parse_int(body, 0, U32_MAX)


TABLE_NAME_MAX = 64  # longer than any name rt_tables can usefully hold


def _parse_table_name(text: str) -> int | str:
    if text[:1].isdigit():
        return parse_int(text)
    if not text.isascii() or not all(c.isalnum() or c in "_-." for c in text):
        raise ValueError("not a table number or name")
    if len(text) > TABLE_NAME_MAX:
        raise ValueError(f"longer than {TABLE_NAME_MAX} characters")
    return text


# -- factories ----------------------------------------------------------------------------

def number(lo: int = 0, hi: int = U32_MAX, *, name: str = "NUMBER", label: str = "number",
           example: str = "") -> Slot:
    """An integer slot accepting lo..hi (decimal or 0x hex)."""
    return Slot(name, label, lambda text: parse_int(text, lo, hi), kind="number",
                example=example or f"{lo}..{hi}")


def choice(name: str, words: Mapping[str, Any] | Iterable[str], *, label: str = "",
           abbrev: bool = True, numbers: tuple[int, int] | None = None, kind: str = "choice",
           source: str | None = None) -> Slot:
    """A closed vocabulary: ``{word: help}`` or ``{word: (value, help)}`` (value defaults to
    the word). With `numbers=(lo, hi)` a plain number is accepted too (SCOPE, PROTO)."""
    table = _word_table(words)
    parse = None
    if numbers:
        def parse(text: str) -> int:
            if text[:1].isdigit() or text[:1] == "-":
                return parse_int(text, *numbers)
            # a word that is not in the vocabulary: say what is, not "not a number"
            raise ValueError(f"not one of {_listing(table)} nor a number {numbers[0]}..{numbers[1]}")
    example = f"a name or a number {numbers[0]}..{numbers[1]}" if numbers else " | ".join(list(table)[:6])
    return Slot(name, label or name.lower(), parse, table, abbrev=abbrev, kind=kind,
                source=source, example=example)


def prefix(specials: Iterable[str] = ("default",), *, name: str = "PREFIX",
           source: str | None = None) -> Slot:
    """A v4/v6 prefix (``/len`` optional); `specials` are the words accepted instead
    (from ``default`` and ``all``)."""
    helps = {"default": "the default route (0/0)", "all": "every prefix"}
    words = {w: (Prefix(None, None, None, w), helps.get(w, "")) for w in specials}
    return Slot(name, "prefix", parse_prefix, words, source=source, kind="prefix",
                example="e.g. 192.0.2.0/24")


# -- the standard slots ---------------------------------------------------------------------

IFNAME = Slot("IFNAME", "interface name", _parse_ifname, source="links", kind="ifname",
              example="e.g. eth0", must_exist=True)
IFNAME_OR_INDEX = IFNAME
NEW_IFNAME = IFNAME.replace( source=None, must_exist=False, example="e.g. veth0")
IFINDEX = Slot("IFINDEX", "interface index", _parse_ifindex,
               source="ifindex", kind="ifindex", example="e.g. 3")
PREFIX = prefix(("default",))
PREFIX_ALL = prefix(("default", "all"))
IFADDR = prefix((), name="IFADDR")  # an interface address: 192.0.2.1/24
ADDR = Slot("ADDR", "address", parse_addr, kind="address", example="e.g. 192.0.2.1")
LLADDR = Slot("LLADDR", "MAC address", _parse_lladdr, kind="lladdr", example="e.g. 02:00:00:00:00:01")
HWADDR = Slot("HWADDR", "hardware address", lambda t: _parse_lladdr(t, None), kind="lladdr",
              example="e.g. 02:00:00:00:00:01")
NETNS = Slot("NETNS", "namespace name", _parse_netns, source="netns", kind="netns",
             example="e.g. sandbox", must_exist=True)
NEW_NETNS = NETNS.replace( source=None, must_exist=False)
NUMBER = number()
STRING = Slot("STRING", "text", str, kind="string", example="text")
ALIAS = Slot("STRING", "alias", _parse_alias, kind="string", example="text")
COMMAND = Slot("COMMAND", "command", str, source="command", kind="command", example="a command")
FWMARK = Slot("FWMARK", "firewall mark", _parse_fwmark, kind="number", example="e.g. 0x10/0xff")
DURATION = Slot("DURATION", "lifetime", _parse_duration,
                {"forever": (FOREVER, "never expires")}, kind="number", example="seconds or forever")

TABLE = Slot("TABLE", "table", _parse_table_name, _word_table({
    "main": (254, "the main table"),
    "local": (255, "local and broadcast addresses"),
    "default": (253, "the default table"),
    "all": (0, "every table"),
}), source="tables", kind="table", example="a number or name")

SCOPE = choice("SCOPE", {
    "global": (0, "valid everywhere"),
    "universe": (0, "= global"),
    "site": (200, "this site (IPv6)"),
    "link": (253, "this link only"),
    "host": (254, "this host only"),
    "nowhere": (255, "nowhere"),
}, numbers=(0, 255))

_PROTOS = {
    "unspec": (0, "unknown"), "redirect": (1, "ICMP redirect"), "kernel": (2, "the kernel"),
    "boot": (3, "at boot"), "static": (4, "by the administrator"), "gated": (8, "gated"),
    "ra": (9, "router advertisement"), "mrt": (10, "MRT"), "zebra": (11, "zebra"),
    "bird": (12, "BIRD"), "dnrouted": (13, "DECnet"), "xorp": (14, "XORP"), "ntk": (15, "Netsukuku"),
    "dhcp": (16, "DHCP client"), "mrouted": (17, "multicast daemon"), "keepalived": (18, "keepalived"),
    "babel": (42, "Babel"), "openr": (99, "Open/R"), "bgp": (186, "BGP"), "isis": (187, "IS-IS"),
    "ospf": (188, "OSPF"), "rip": (189, "RIP"), "eigrp": (192, "EIGRP"),
}
PROTO = choice("PROTO", _PROTOS, numbers=(0, 255), label="protocol")

RTTYPE = choice("RTTYPE", {
    "unicast": (1, "a normal route"), "local": (2, "a local address"),
    "broadcast": (3, "a broadcast address"), "anycast": (4, "an anycast address"),
    "multicast": (5, "a multicast route"), "blackhole": (6, "silently discard"),
    "unreachable": (7, "reject: host unreachable"), "prohibit": (8, "reject: prohibited"),
    "throw": (9, "continue lookup in the next rule"), "nat": (10, "address translation"),
}, label="route type")

NUD = choice("NUD", {
    "permanent": (0x80, "static entry"), "noarp": (0x40, "valid, never probed"),
    "reachable": (0x02, "confirmed reachable"), "stale": (0x04, "valid, to be confirmed"),
    "none": (0x00, "pseudo state"), "incomplete": (0x01, "resolution in progress"),
    "delay": (0x08, "waiting before probing"), "probe": (0x10, "being probed"),
    "failed": (0x20, "resolution failed"),
}, label="neighbour state")

LINK_KIND = choice("KIND", {
    "veth": "virtual ethernet pair", "bridge": "Ethernet bridge", "vxlan": "VXLAN tunnel",
    "macvlan": "MAC-based VLAN", "macvtap": "macvlan with a tap", "ipvlan": "IP-based VLAN",
    "ifb": "intermediate functional block", "tun": "TUN device", "tap": "TAP device",
    "dummy": "dummy device", "vlan": "802.1Q VLAN", "bond": "bonding master", "vrf": "VRF device",
    "gre": "GRE tunnel", "gretap": "GRE Ethernet tunnel", "ipip": "IP-in-IP tunnel",
    "sit": "IPv6-in-IPv4 tunnel", "geneve": "GENEVE tunnel", "wireguard": "WireGuard",
}, label="device kind")


# `-f FAMILY` / `-family FAMILY` (ip's names; `link` is -0). AF_BRIDGE and MPLS are not
# offered: no nlshell command has a bridge or MPLS view.
FAMILY_WORDS = {"inet": (AF_INET, "IPv4 (as -4)"), "inet6": (AF_INET6, "IPv6 (as -6)"),
                "link": (AF_PACKET, "link layer (as -0)")}
FAMILY = choice("FAMILY", FAMILY_WORDS, label="address family", abbrev=False)
