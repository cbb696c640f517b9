"""ip's text output (``--output ip``) compared with ``ip`` itself, byte for byte.

`compare(ns, command, masks)` runs ``ip -n NS COMMAND`` and nlshell's ``COMMAND`` in-process
with the Options the same global options set, masking only what differs by nature (`masks`:
regex -> replacement, for timers counting down). Counters move while a namespace settles
(IPv6 router solicitations, MLD reports), so ip runs before and after nlshell and the pair
is taken only when ip's two runs agree: a state that held still while nlshell looked.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable

from support.nlrun import nl

# ip's global options -> the Options fields nlshell's command line sets for them
FLAGS = {"-4": {"family": 2}, "-6": {"family": 10}, "-0": {"family": 17},
         "-d": {"details": True}, "-o": {"oneline": True}, "-br": {"brief": True},
         "-h": {"human": True}, "-iec": {"iec": True}}
TRIES = 50  # rounds to catch a still moment; each round is three quick commands


def split(command: str) -> tuple[dict, str]:
    """ip's leading options -> (Options fields with output='ip', the command line)."""
    words = command.split()
    opts: dict = {"output": "ip"}
    while words[0].startswith("-"):
        word = words.pop(0)
        if word == "-s":
            opts["stats"] = opts.get("stats", 0) + 1
        else:
            opts.update(FLAGS[word])
    return opts, " ".join(words)


def _ip(ns: str, command: str) -> str:
    return subprocess.run(["ip", "-n", ns, *command.split()], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def _masked(text: str, masks: Iterable[tuple[re.Pattern, str]]) -> str:
    for pattern, replacement in masks:
        text = pattern.sub(replacement, text)
    return text


def compare(ns: str, command: str, masks: Iterable[tuple[re.Pattern, str]] = ()
            ) -> tuple[str, str]:
    """(ip's text, nlshell's text) for `command` in `ns`, masked, from a round where ip
    printed the same before and after nlshell ran."""
    masks = list(masks)
    opts, line = split(command)
    for _ in range(TRIES):
        before = _masked(_ip(ns, command), masks)
        ours = nl(ns, line, **opts)
        after = _masked(_ip(ns, command), masks)
        assert (ours.code, ours.err) == (0, ""), ours
        if before == after:
            return before, _masked(ours.out, masks)
    raise AssertionError(f"{command!r}: ip's output never held still over {TRIES} rounds")
