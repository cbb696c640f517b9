"""IPRoute setup, threads and descriptors: `add_veth(ipr)`, `fd_count`, `run_threads`."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from typing import Any

# -- IPRoute, threads, descriptors --------------------------------------------------------


def add_veth(ipr: Any, up: bool = True, address: str | None = None) -> int:
    """veth0 and its peer veth1 made through `ipr`; veth0 set up and given `address`/24
    when asked. veth0's index."""
    ipr.link("add", ifname="veth0", peer="veth1", kind="veth")
    idx = ipr.link_lookup(ifname="veth0")[0]
    if up:
        ipr.link("set", index=idx, state="up")
    if address:
        ipr.addr("add", index=idx, address=address, prefixlen=24)
    return idx


def fd_count() -> int:
    """Open file descriptors of this process (a leak check)."""
    return len(os.listdir("/proc/self/fd"))


def run_threads(threads: Sequence[threading.Thread], timeout: float = 60.0) -> bool:
    """Start `threads` and join them all within `timeout` seconds; True when none is left
    running (False: something deadlocked)."""
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() for t in threads)
