"""`ip` as the oracle: run `ip [-n NS] ...` (text or parsed JSON) inside test namespaces.

- `sh(ns, ...)` / `ipj(ns, ...)`: `ip -n NS ...` (text / parsed JSON); errors carry stderr.
- `batch(ns, text)`: `ip -n NS -batch -`; `VETH_V0`: the usual test link; `route_dsts`.

Tests never change the host's own namespace: `sh`/`ipj` refuse to run without a namespace.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Sequence
from typing import Any


class IpError(RuntimeError):
    """An `ip` command failed; the message holds the command line and its stderr."""

    def __init__(self, argv: Sequence[str], returncode: int, stderr: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr = stderr
        super().__init__(f"`{shlex.join(self.argv)}` exited {returncode}: {stderr.strip()}")


def _words(args: Sequence[Any]) -> list[str]:
    # sh(ns, "link set lo up") and sh(ns, "link", "set", "lo", "up") are the same
    if len(args) == 1 and isinstance(args[0], str):
        return shlex.split(args[0])
    return [str(a) for a in args]


def ip(*args: Any, ns: str | None = None, input: str | None = None) -> str:
    """Run `ip [-n NS] ARGS` and return stdout; raise IpError (with stderr) on failure."""
    argv = ["ip"] + (["-n", ns] if ns else []) + _words(args)
    proc = subprocess.run(argv, capture_output=True, text=True, input=input, timeout=60)
    if proc.returncode != 0:
        raise IpError(argv, proc.returncode, proc.stderr)
    return proc.stdout


def need_ns(ns: str | None) -> str:
    if not ns or not isinstance(ns, str):
        raise ValueError(f"a test namespace name is required, got {ns!r}: tests never touch the host")
    return ns


def sh(ns: str, *args: Any, input: str | None = None) -> str:
    """Run `ip -n NS ARGS...` inside a test namespace; return stdout, raise IpError on failure."""
    return ip(*args, ns=need_ns(ns), input=input)


def parse_json(text: str) -> Any:
    text = text.strip()
    return json.loads(text) if text else []


def ipj(ns: str, *args: Any) -> Any:
    """Run `ip -n NS -j ARGS...` and return the parsed JSON ([] for empty output)."""
    return parse_json(ip("-j", *_words(args), ns=need_ns(ns)))


def ip_names() -> set[str]:
    """The names `ip netns list` shows (every run's: other runs add and remove theirs)."""
    return {row["name"] for row in parse_json(ip("-j", "netns", "list"))}


def batch(ns: str, text: str, *opts: str) -> str:
    """Feed `text` (newline-ended lines) to `ip -n NS [OPTS] -batch -`: test setup in one process."""
    return sh(ns, *opts, "-batch", "-", input=text)


# a namespace's usual test link: veth v0 (up, 192.0.2.1/24, 2001:db8:1::1/64) and its peer v1 (up)
VETH_V0 = """\
link add v0 type veth peer name v1
link set v0 up
link set v1 up
addr add 192.0.2.1/24 dev v0
addr add 2001:db8:1::1/64 dev v0 nodad
"""


def route_dsts(ns: str, *args: str) -> set[str]:
    """The destinations `ip -j [ARGS] route show` lists in `ns`."""
    return {r["dst"] for r in ipj(ns, *args, "route", "show")}
