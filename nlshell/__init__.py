"""nlshell: a pure-Python netlink engine and an `ip`-like interactive shell.

The library face (pyroute2-style) is resolved lazily (PEP 562), so `import nlshell`
costs almost nothing: the engine is imported on first use of one of the names below.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> (module, attribute or None for the module itself).
# Several modules may be listed: the first one that provides the attribute wins
# (NetNS may live beside IPRoute or in a module of its own).
_LAZY: dict[str, tuple[tuple[str, ...], str | None]] = {
    "IPRoute": (("nlshell.engine.iproute",), "IPRoute"),
    "Iproute": (("nlshell.engine.iproute",), "IPRoute"),
    "NetNS": (("nlshell.engine.iproute", "nlshell.engine.netns_iproute"), "NetNS"),
    "Netns": (("nlshell.engine.iproute", "nlshell.engine.netns_iproute"), "NetNS"),
    "NETNS": (("nlshell.engine.iproute", "nlshell.engine.netns_iproute"), "NetNS"),
    "NetlinkError": (("nlshell.engine.errors",), "NetlinkError"),
    "netns": (("nlshell.engine.netns",), None),
    "Cache": (("nlshell.engine.cache",), "Cache"),
}

__all__ = ["__version__", *_LAZY]


def _resolve(name: str) -> Any:
    modules, attr = _LAZY[name]
    problems: list[str] = []
    for modname in modules:
        try:
            module = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            # only swallow "this candidate module does not exist", not its broken imports
            if exc.name != modname:
                raise
            problems.append(f"{modname} does not exist")
            continue
        if attr is None:
            return module
        if hasattr(module, attr):
            return getattr(module, attr)
        problems.append(f"{modname} has no {attr}")
    raise AttributeError(f"nlshell.{name} is not available: {'; '.join(problems)}")


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'nlshell' has no attribute {name!r}")
    value = _resolve(name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
