"""Sans-I/O rtnetlink codec: bytes in, lazy message views out; keyword data in, bytes out.

Nothing here opens a socket or starts a thread. The names below load on first use, so that
importing ``nlshell.engine.codec.constants`` costs only the constants.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from typing import Any

_EXPORTS = {
    "AttrSet": "views", "StructView": "views", "Table": "views",
    "DecodeError": "errors",
    "ErrorMessage": "message", "Message": "message", "encode": "message", "parse": "message",
    "attr_number": "numbers",
}
_MODULES = ("constants", "numbers", "layout", "dump")

__all__ = sorted([*_EXPORTS, "constants"])


def _module(name: str) -> Any:
    __import__(name)  # importlib.import_module without importlib (start-up time)
    return sys.modules[name]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return _module(f"{__name__}.{name}")
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | set(_MODULES))
