"""nlshell: a pure-Python netlink engine and an `ip`-like interactive shell.

The library face (pyroute2-style) is resolved lazily (PEP 562), so `import nlshell`
costs almost nothing: the engine is imported on first use of one of the names below.
"""

from __future__ import annotations

import _signal  # the C module: `signal` would import enum (start-up time)
import sys


def quiet_interrupt(signum: int, frame: object) -> None:
    raise SystemExit(130)  # quiet: SystemExit prints no traceback, even mid-import


# Run as the `nlshell` program (`python -m nlshell` while locating it, or the console
# script)? Then Ctrl-C ends it quietly with 130 from this first statement on, imports
# included; cli.main hands SIGINT back to KeyboardInterrupt once its handler is in place.
# A program that merely imports the library keeps its own SIGINT handling.
_ARGV0 = (getattr(sys, "argv", None) or [""])[0]
if _ARGV0 == "-m" or _ARGV0.rsplit("/", 1)[-1] == "nlshell":
    _signal.signal(_signal.SIGINT, quiet_interrupt)

import importlib  # noqa: E402
from typing import Any  # noqa: E402

__version__ = "0.1.0"

# public name -> (module, attribute or None for the module itself). One module per name:
# a wrong entry is an ImportError/AttributeError at first use (and in tests), never a
# quiet fallback to another module.
_LAZY: dict[str, tuple[str, str | None]] = {
    "IPRoute": ("nlshell.engine.iproute", "IPRoute"),
    "Iproute": ("nlshell.engine.iproute", "IPRoute"),
    "NetNS": ("nlshell.engine.iproute", "NetNS"),
    "Netns": ("nlshell.engine.iproute", "NetNS"),
    "NETNS": ("nlshell.engine.iproute", "NetNS"),
    "NetlinkError": ("nlshell.engine.errors", "NetlinkError"),
    "netns": ("nlshell.engine.netns", None),
    "Cache": ("nlshell.engine.cache", "Cache"),
}

__all__ = ["__version__", *_LAZY]


def _resolve(name: str) -> Any:
    modname, attr = _LAZY[name]
    module = importlib.import_module(modname)
    return module if attr is None else getattr(module, attr)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'nlshell' has no attribute {name!r}")
    value = _resolve(name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
