"""``monitor`` in the shell: events printed above the prompt while you keep typing.

The command module (nlshell.commands.monitor) owns the words and the line format (through
nlshell.commands.events, the one event formatter); here the same `Monitor` runs in a thread on its own multicast socket, writing each line
above the prompt (prompt_toolkit's patch_stdout), until Ctrl-C at the prompt or ``stop()``.
The socket is opened before the thread starts, so a bad namespace or a missing permission
is an error of the ``monitor`` line itself.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import fields
from types import SimpleNamespace
from typing import Any

POLL = 0.2  # how often the thread looks at its stop flag
# monitor forms that end by themselves (replaying a file, help): the shell runs them in the
# foreground, like any other command
ONE_SHOT = ("file", "help")


def background(inv: Any) -> bool:
    """Whether this ``monitor`` line listens (and so runs beside the prompt)."""
    return not any(inv.values.get(word) for word in ONE_SHOT)


class BackgroundMonitor:
    """Started by the shell in place of the blocking ``monitor`` handler."""

    def __init__(self, ctx: Any, inv: Any, write: Callable[[str], Any]) -> None:
        from nlshell.commands.monitor import Monitor, groups_for
        from nlshell.engine.socket import NetlinkSocket

        opts = ctx.opts
        # a copy: the shell's options go on changing while this runs
        snapshot = type(opts)(**{f.name: getattr(opts, f.name) for f in fields(opts)})
        self.netns = ctx.netns
        self.describe = " ".join(inv.words) if getattr(inv, "words", None) else "monitor"
        self._write = write
        self._stop = threading.Event()
        objects = inv.values.get("objects") or []
        self._sock = NetlinkSocket(netns=ctx.netns)
        try:
            for group in groups_for(objects, opts.family):
                self._sock.add_membership(group)
            self._mon = Monitor(SimpleNamespace(opts=snapshot, netns=ctx.netns), ctx.links())
            if inv.values.get("dev") is not None:  # only that device's events
                ctx.ifindex(inv.values["dev"])  # (an unknown device is the line's error)
                self._mon.dev = inv.values["dev"]
            if inv.values.get("all_nsid"):
                from nlshell.engine.nsmap import NsidMap

                self._sock.enable_all_nsid()
                self._mon.names = NsidMap(where=ctx.netns)
        except BaseException:
            self._sock.close()
            raise
        self._thread = threading.Thread(target=self._run, daemon=True, name="nlshell-monitor")
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        from nlshell.engine.errors import NetlinkOverrun

        try:
            while not self._stop.is_set():
                try:
                    msgs = self._sock.recv_events(POLL)
                except NetlinkOverrun:
                    self._write(self._mon.lost())
                    continue
                for m in msgs:
                    if self._stop.is_set():
                        return
                    line = self._mon.line(m)  # never raises: a bad event is one line
                    if line:
                        self._write(line)
        except OSError as exc:
            if not self._stop.is_set():
                self._write(f"monitor stopped: {exc}")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2 * POLL + 1)
        with contextlib.suppress(OSError):
            self._sock.close()
        if self._thread is not threading.current_thread():
            self._mon.close()
