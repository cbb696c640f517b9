"""Kernel-provided text made safe for a terminal.

Interface names, aliases, qdiscs, kinds and rule device names are bytes a user (or a
container) chose: they may hold ESC, CR, BEL and the like, which a terminal would obey.
Human output (tables, -br lines, monitor text) passes them through ``printable``; JSON
keeps the value (``json.dumps`` escapes control characters itself).

Words a user typed are echoed in errors through ``quoted`` (escaped and cut), wherever the
error is made: the command line, the option table, the parser's limit, the commands.
"""

from __future__ import annotations

ECHO_LIMIT = 40  # an error echoes at most this many characters of a word


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


def printable_text(text: str) -> str:
    """`text` for a terminal: bytes that were not UTF-8 (lone surrogates) as \\xNN, control
    and other unprintable characters escaped (``printable``)."""
    if text.isprintable():  # the common case
        return text
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return printable(text)


def quoted(word: str) -> str:
    """A user's word as an error message echoes it: in double quotes (as ip), control
    characters and bytes that were not UTF-8 escaped, cut after ECHO_LIMIT characters with
    '…' (a newline in a word must not make two lines, nor 100 KB one)."""
    text = printable_text(word)
    return '"' + text[:ECHO_LIMIT] + ("…" if len(text) > ECHO_LIMIT else "") + '"'
