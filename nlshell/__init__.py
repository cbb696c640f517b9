"""nlshell: a pure-Python netlink engine and an `ip`-like interactive shell.

The library face (pyroute2-style) is resolved lazily (PEP 562), so `import nlshell`
costs almost nothing: the engine is imported on first use of one of the names below.

The netlink constants pyroute2 users import most are here too, under their kernel names
(``from nlshell import IFF_UP, RTM_NEWLINK, NLM_F_DUMP, AF_INET, RT_SCOPE_LINK,
RTPROT_STATIC``): every name of ``nlshell.engine.codec.constants`` that starts with one of
``CONSTANT_PREFIXES``. ``nlshell.netns`` is a module (``from nlshell.netns import create``).
"""

from __future__ import annotations

import _signal  # the C module: `signal` would import enum (start-up time)
import gc
import sys


def quiet_interrupt(signum: int, frame: object) -> None:
    raise SystemExit(130)  # quiet: SystemExit prints no traceback, even mid-import


def resume_collector() -> None:
    """The start-up is over (cli.startup_over): the garbage collector paused below for the
    program's start-up is on again, and what the start-up made (it lives as long as the
    process) is frozen out of its sight, so later collections do not walk it. Nothing
    happens when it was not paused (the library imported by another program)."""
    global _STARTUP_GC_PAUSED
    if _STARTUP_GC_PAUSED:
        _STARTUP_GC_PAUSED = False
        gc.freeze()
        gc.enable()


# Run as the `nlshell` program (`python -m nlshell` while locating it, or the console
# script)? Then Ctrl-C ends it quietly with 130 from this first statement on, imports
# included; cli.main hands SIGINT back to KeyboardInterrupt once its handler is in place.
# The cyclic garbage collector pauses for the start-up too: the imports make thousands of
# objects that live as long as the process (modules, classes, the grammar), which it would
# walk a dozen times before the first command runs (1-2 ms); resume_collector turns it
# back on before any command runs. A program that merely imports the library keeps its
# own SIGINT handling and collector.
_ARGV0 = (getattr(sys, "argv", None) or [""])[0]
_STARTUP_GC_PAUSED = _ARGV0 == "-m" or _ARGV0.rsplit("/", 1)[-1] == "nlshell"
if _STARTUP_GC_PAUSED:
    _signal.signal(_signal.SIGINT, quiet_interrupt)
    gc.disable()

# `typing` costs about as much as the interpreter's own start (it pulls in re, enum,
# collections): only type checkers read it here
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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
    "NetlinkDumpInterrupted": ("nlshell.engine.errors", "DumpInterrupted"),
    "DumpInterrupted": ("nlshell.engine.errors", "DumpInterrupted"),
    "NetlinkOverrun": ("nlshell.engine.errors", "NetlinkOverrun"),
    "AsyncIPRoute": ("nlshell.engine.aio", "AsyncIPRoute"),
    "AsyncNetNS": ("nlshell.engine.aio", "AsyncNetNS"),
    "netns": ("nlshell.netns", None),
    "Cache": ("nlshell.engine.cache", "Cache"),
}

__all__ = ["__version__", *_LAZY]

# the netlink constants exported at the top level (resolved on first use, from the codec)
CONSTANT_PREFIXES = ("IFF_", "RTM_", "NLM_F_", "NLMSG_", "AF_", "RT_SCOPE_", "RTPROT_",
                     "RTMGRP_", "RTNLGRP_", "RTN_", "RT_TABLE_", "NUD_", "NTF_", "IFA_F_",
                     "FR_ACT_", "FIB_RULE_")


def _import_module(name: str) -> Any:
    """``importlib.import_module(name)`` for an absolute name, without importing importlib
    (and warnings under it: start-up time). nlshell's own modules use it too."""
    __import__(name)
    return sys.modules[name]


def _resolve(name: str) -> Any:
    modname, attr = _LAZY[name]
    module = _import_module(modname)
    return module if attr is None else getattr(module, attr)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        if name.startswith(CONSTANT_PREFIXES):
            constants = _import_module("nlshell.engine.codec.constants")
            if hasattr(constants, name):
                value = globals()[name] = getattr(constants, name)
                return value
        raise AttributeError(f"module 'nlshell' has no attribute {name!r}")
    value = _resolve(name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
