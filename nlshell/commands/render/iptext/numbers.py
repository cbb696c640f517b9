"""ip's number formats, shared by every object's text: counters with ``-h`` (``-human``)
and ``-iec``, and tc's rates and sizes.

Only number formatting lives here (no object knows about another through this module).
"""

from __future__ import annotations

_PREFIXES = "kMGTPE"  # ip's counter suffixes, lower-case k as ip prints them


def counter(count: int, human: bool = False, iec: bool = False) -> str:
    """A statistics counter as ip prints it: the number, or with ``-h`` a short form such
    as ``1.50k`` (``1.46ki`` with ``-iec``): at most three significant digits, the
    precision shrinking as the value grows (``1.50k``, ``15.0k``, ``150k``)."""
    base = 1024 if iec else 1000
    if not human or count < base:
        return str(count)
    power, step = base, 0
    # climb while the value still reads as 1000 or more of the current unit
    while count // base >= power and step < len(_PREFIXES) - 1:
        power *= base
        step += 1
    whole = count // power
    digits = 2 if whole < 10 else 1 if whole < 100 else 0
    return f"{count / power:.{digits}f}{_PREFIXES[step]}{'i' if iec else ''}"


def counter_width(count: int, human: bool = False) -> int:
    """How wide a counter column must be for `count` (ip widens a column to the longest
    plain number in it; with ``-h`` the short forms always fit the headers)."""
    return 0 if human else len(str(count))


# tc's rates: bits per second with decimal (or, with -iec, binary) prefixes
_RATE_PREFIXES = ("", "K", "M", "G", "T")


def rate(bytes_per_second: int, iec: bool = False) -> str:
    """A rate in bytes/s as tc prints it: ``1500Kbit``, ``8bit``, ``1Gbit``, ``1464Kibit``
    with -iec. The next prefix is taken while the value divides evenly by it, or is at
    least 1000 of it (then the rest is dropped: ``1234567bit`` reads ``1234Kbit``)."""
    kilo = 1024 if iec else 1000
    value = bytes_per_second * 8
    step = 0
    while step < len(_RATE_PREFIXES) - 1 and value >= kilo and (
            value % kilo == 0 or value >= 1000 * kilo):
        value //= kilo
        step += 1
    prefix = _RATE_PREFIXES[step]
    return f"{value}{prefix}{'i' if iec and prefix else ''}bit"


def size(nbytes: int) -> str:
    """A size in bytes as tc prints it: ``Mb`` within 1 KiB of a whole number of MiB,
    ``Kb`` within 16 bytes of a whole number of KiB, else bytes (``15Kb``, ``1599b``)."""
    for unit, slack, word in ((1 << 20, 1024, "Mb"), (1 << 10, 16, "Kb")):
        if nbytes >= unit:
            whole = round(nbytes / unit)
            if abs(whole * unit - nbytes) < slack:
                return f"{whole}{word}"
    return f"{nbytes}b"
