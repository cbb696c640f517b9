"""Reading an IPRoute's events (after `bind()`) until a condition holds, with a deadline.

Deadlines stay under the 30 s of the `no_hang` fixture that event tests use.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

EVENT_DEADLINE = 20.0  # seconds


def collect(ipr: Any, until: Callable[[list], bool], timeout: float = EVENT_DEADLINE) -> list:
    """Events until `until(events)` holds (or the time is up); the caller asserts on them."""
    out: list = []
    deadline = time.monotonic() + timeout
    while not until(out) and time.monotonic() < deadline:
        out += ipr.get(timeout=max(0.0, deadline - time.monotonic()))
    return out


def wait_for(ipr: Any, want: Callable[[Any], bool], timeout: float = EVENT_DEADLINE) -> list:
    """Events until one satisfies `want`; all of them, the match last. Fails after `timeout`."""
    seen: list = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for msg in ipr.get(timeout=max(0.0, deadline - time.monotonic())):
            seen.append(msg)
            if want(msg):
                return seen
    raise AssertionError(f"no matching event within {timeout}s; saw {[m.event for m in seen]}")
