"""How a word the user typed is read as an interface index: the one rule, shared by the
engine (Cache.index) and the commands (slots.index_of and every lookup built on it).

An index is ASCII decimal digits only, 1..2**31-1 (the kernel's ifindex is a positive int).
Unicode digits ('٣', '３'), signs, spaces, '0x3' are names, never an index: ip says
`Cannot find device "３"` and so do we; reading them with str.isdigit()/int() once deleted
the wrong device.
"""

from __future__ import annotations

IFINDEX_MAX = 0x7FFFFFFF


def index_of(text: str) -> int | None:
    """The interface index `text` stands for, or None when it is a name."""
    if len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= IFINDEX_MAX else None


def decimal_of(text: str, maximum: int) -> int | None:
    """A non-negative number written in ASCII decimal digits, at most `maximum`; else None
    (Unicode digits, signs and spaces are not numbers here either)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None
