"""Waiting on a condition: polled, with a generous deadline, never a fixed sleep.

The machine running the suite may be loaded (two cores shared with other work), so deadlines
are long; a condition that holds returns at once, so a long deadline costs nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

DEADLINE = 30.0  # seconds: the default for anything a loaded machine may be slow to show


def until(what: str, cond: Callable[[], object], timeout: float = DEADLINE,
          interval: float = 0.02, detail: Callable[[], str] | None = None) -> float:
    """Poll `cond()` until it is true; the seconds that took. Fails the test after `timeout`
    seconds naming `what` (and `detail()`, the state to show, when given)."""
    start = time.monotonic()
    while not cond():
        if time.monotonic() - start > timeout:
            shown = f"\n{detail()}" if detail else ""
            pytest.fail(f"timed out after {timeout}s waiting for {what}{shown}", pytrace=False)
        time.sleep(interval)
    return time.monotonic() - start
