"""Kernel-provided text made safe for a terminal.

Interface names, aliases, qdiscs, kinds and rule device names are bytes a user (or a
container) chose: they may hold ESC, CR, BEL and the like, which a terminal would obey.
Human output (tables, -br lines, monitor text) passes them through ``printable``; JSON
keeps the value (``json.dumps`` escapes control characters itself).
"""

from __future__ import annotations


def _escape(ch: str) -> str:
    n = ord(ch)
    if n < 0x100:
        return f"\\x{n:02x}"
    return f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


def printable(text: str) -> str:
    """``text`` with every non-printable character (controls, ESC, separators other than
    the space...) written as a ``\\xNN`` / ``\\uNNNN`` escape; printable text unchanged."""
    if text.isprintable():  # the common case: one C call
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)
