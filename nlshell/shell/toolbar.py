"""The bottom toolbar: context, live counts, the last event, and hints.

`render()` is pure (tests call it with plain values); the REPL gathers the values from the
current context's cache each time the toolbar is drawn (every keystroke and once a second).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

KEY_HINTS = "Tab complete · ? what next · ^R search · ^D exit"
# counts (the cache's names) shown only when non-zero, and the word the toolbar uses
_WHEN_IN_USE = (("nexthops", "nexthops"), ("fdb", "fdb"), ("qdiscs", "qdiscs"),
                ("classes", "classes"))


@dataclass
class ToolbarInfo:
    context: str  # '/' or the namespace name
    counts: dict[str, int] | None = None  # links / addresses / routes; None: not loaded yet
    last_event: Any = None  # engine.cache.EventInfo (time, kind, action, describe())
    hint: str = ""  # what the cursor expects, when no menu can show it
    warnings: list[str] = field(default_factory=list)
    monitoring: bool = False
    transaction: str = ""  # an open transaction, or its rollback timer counting down


def age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{int(seconds)}s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    return f"{int(seconds // 3600)}h ago"


def _event_text(event: Any, now: float) -> str:
    try:
        text = event.describe()
    except Exception:  # noqa: BLE001 - never let the toolbar fail
        text = f"{getattr(event, 'kind', '?')} {getattr(event, 'action', '?')}"
    when = getattr(event, "time", None)
    return f"{text} ({age(now - when)})" if isinstance(when, (int, float)) else text


def render(info: ToolbarInfo, now: float | None = None) -> list[tuple[str, str]]:
    """prompt_toolkit formatted text (style, text) pairs for one toolbar line."""
    now = time.time() if now is None else now
    out: list[tuple[str, str]] = [("class:toolbar.context", f" nlshell:{info.context} ")]
    if info.counts is None:
        out.append(("class:toolbar", " loading… "))
    else:
        c = info.counts
        out.append(("class:toolbar", f" links {c.get('links', 0)} · addrs "
                                     f"{c.get('addresses', 0)} · routes {c.get('routes', 0)} "))
        for key, word in _WHEN_IN_USE:  # only where these are in use
            if c.get(key):
                out.append(("class:toolbar", f"· {word} {c[key]} "))
    for warning in info.warnings:
        out.append(("class:toolbar.warning", f" {warning} "))
    if info.transaction:
        out.append(("class:toolbar.warning", f" {info.transaction} "))
    if info.monitoring:
        out.append(("class:toolbar.warning", " monitor on (^C stops) "))
    if info.last_event is not None:
        out.append(("class:toolbar", "│ last: "))
        out.append(("class:toolbar.event", _event_text(info.last_event, now) + " "))
    out.append(("class:toolbar", "│ "))
    out.append(("class:toolbar.hint", info.hint or KEY_HINTS))
    return out
