"""Exceptions of the engine (the codec's DecodeError lives in codec.errors)."""

from __future__ import annotations

import errno
import os


class NetlinkError(Exception):
    """The kernel refused a request. ``code`` is the errno; the text is the kernel's own
    extended-ack message when it gave one, else strerror. ``extack`` is the kernel's own
    message alone (None when it gave none): ip prints ``Error: <extack>.`` then, and
    ``RTNETLINK answers: <strerror>`` otherwise."""

    def __init__(self, code: int, msg: str | None = None) -> None:
        self.code = code
        self.extack = msg or None
        self.msg = msg or (os.strerror(code) if code else "Success")
        super().__init__(code, self.msg)

    @property
    def errno_name(self) -> str:
        return errno.errorcode.get(self.code, str(self.code))

    def __str__(self) -> str:
        return f"[Errno {self.code}] {self.msg}"


class NetlinkOverrun(NetlinkError):
    """ENOBUFS: the socket's receive buffer overflowed and events were lost."""

    def __init__(self, msg: str | None = None) -> None:
        super().__init__(errno.ENOBUFS, msg or "netlink receive buffer overrun: events were lost")
        self.extack = None  # our words, not the kernel's


class DumpInterrupted(NetlinkError):
    """A dump kept changing under us (NLM_F_DUMP_INTR) on every retry."""

    def __init__(self, msg: str | None = None) -> None:
        super().__init__(errno.EINTR, msg or "dump interrupted by concurrent changes; retries exhausted")
        self.extack = None  # our words, not the kernel's


NetlinkDumpInterrupted = DumpInterrupted  # pyroute2's name for it
