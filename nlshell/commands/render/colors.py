"""ANSI colours, with ip's palette: names cyan, MACs yellow, IPv4 magenta, IPv6 blue,
UP green, DOWN red. Every function returns the text unchanged when `on` is false."""

from __future__ import annotations

RED, GREEN, YELLOW, BLUE, MAGENTA, CYAN = (f"\x1b[{n}m" for n in (31, 32, 33, 34, 35, 36))
BOLD = "\x1b[1m"
CLEAR = "\x1b[0m"

IFNAME, MAC, INET, INET6 = CYAN, YELLOW, MAGENTA, BLUE
OPERSTATE = {"UP": GREEN, "DOWN": RED, "LOWERLAYERDOWN": RED}
NUD = {"REACHABLE": GREEN, "PERMANENT": GREEN, "STALE": YELLOW, "DELAY": YELLOW,
       "PROBE": YELLOW, "FAILED": RED, "INCOMPLETE": RED}
ROUTE_TYPE = {"blackhole": RED, "unreachable": RED, "prohibit": RED, "throw": YELLOW,
              "local": GREEN, "broadcast": YELLOW, "multicast": YELLOW}


def paint(text: str, code: str | None, on: bool = True) -> str:
    """`text` wrapped in `code` and a reset (as ip does: padding stays inside)."""
    if not on or not code or not text:
        return text
    return f"{code}{text}{CLEAR}"


def family_code(addr: str | None) -> str | None:
    """The colour of an address: IPv6 blue, IPv4 magenta."""
    if not addr:
        return None
    return INET6 if ":" in addr else INET
