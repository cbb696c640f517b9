"""One rtnetlink socket: requests and acks, dumps, pipelined bulk requests, multicast.

The socket may live in another network namespace: it is created by a thread that enters
the namespace (``netns.run_in_netns``), and stays bound to it. The calling thread never
moves.
"""

from __future__ import annotations

import errno
import select
import socket
import struct
import threading
from collections import deque
from typing import Any

from .codec import constants as C
from .codec.message import ErrorMessage, Message, encode, parse
from .errors import DumpInterrupted, NetlinkError, NetlinkOverrun

RECV_SIZE = 1 << 18  # larger than any datagram the kernel builds for us
DUMP_RETRIES = 8
BULK_CHUNK = 512  # requests per datagram; their error reports must fit the receive buffer
BULK_DGRAM = 1 << 16  # bytes per datagram (below the socket's send buffer)
_I32 = struct.Struct("=i")


def _setopt(sock: socket.socket, opt: int, value: int) -> bool:
    try:
        sock.setsockopt(C.SOL_NETLINK, opt, value)
        return True
    except OSError:
        return False  # an older kernel: go on without the feature


def _make_socket(protocol: int) -> socket.socket:
    return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, protocol)


class NetlinkSocket:
    """A NETLINK_ROUTE socket with extended acks, strict dump checking and a large buffer."""

    def __init__(self, protocol: int = C.NETLINK_ROUTE, netns: Any = None,
                 rcvbuf: int | None = 1 << 20, groups: int = 0) -> None:
        if netns is None:
            sock = _make_socket(protocol)
        else:
            from . import netns as _netns

            sock = _netns.run_in_netns(netns, _make_socket, protocol)
        self._sock = sock
        self.netns = netns
        try:
            _setopt(sock, C.NETLINK_EXT_ACK, 1)
            _setopt(sock, C.NETLINK_CAP_ACK, 1)
            self.strict = _setopt(sock, C.NETLINK_GET_STRICT_CHK, 1)
            if rcvbuf:
                self.set_rcvbuf(rcvbuf)
            sock.bind((0, 0))
        except Exception:
            sock.close()
            raise
        self.pid = sock.getsockname()[0]
        self._seq = 0
        self._lock = threading.RLock()
        self._events: deque[Message] = deque()
        self._buf = bytearray(RECV_SIZE)
        self.all_nsid = False
        if groups:
            self.bind(groups)

    # --- plumbing -----------------------------------------------------------------

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> NetlinkSocket:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def set_rcvbuf(self, size: int) -> None:
        """Root may exceed net.core.rmem_max (SO_RCVBUFFORCE); others get what they may."""
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, 33, size)  # SO_RCVBUFFORCE
        except OSError:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)

    def next_seq(self) -> int:
        with self._lock:
            self._seq = (self._seq + 1) & 0x7FFFFFFF or 1
            return self._seq

    def send(self, data: bytes) -> None:
        self._sock.sendto(data, (0, 0))

    def _recv(self) -> list[Message]:
        """One datagram, parsed. ENOBUFS becomes NetlinkOverrun."""
        try:
            if self.all_nsid:
                return self._recv_with_nsid()
            n = self._sock.recv_into(self._buf)
        except OSError as exc:
            if exc.errno == errno.ENOBUFS:
                raise NetlinkOverrun() from None
            raise
        return parse(bytes(self._buf[:n]))

    def _recv_with_nsid(self) -> list[Message]:
        n, anc, _flags, _addr = self._sock.recvmsg_into([self._buf], socket.CMSG_SPACE(4))
        nsid = None
        for level, ctype, data in anc:
            if level == C.SOL_NETLINK and ctype == C.NETLINK_LISTEN_ALL_NSID and len(data) >= 4:
                nsid = _I32.unpack_from(data)[0]
        msgs = parse(bytes(self._buf[:n]))
        for m in msgs:
            m.nsid = nsid
        return msgs

    # --- requests -----------------------------------------------------------------

    def request(self, msg_type: int, flags: int = 0, fields: dict | None = None,
                attrs: Any = None, echo: bool = False) -> list[Message]:
        """Send one request and wait for its ack; return the replies before the ack.

        Raises NetlinkError with the kernel's text when the kernel refuses.
        """
        flags |= C.NLM_F_REQUEST | C.NLM_F_ACK | (C.NLM_F_ECHO if echo else 0)
        with self._lock:
            seq = self.next_seq()
            self.send(encode(msg_type, flags, seq, fields, attrs))
            replies: list[Message] = []
            while True:
                for m in self._recv():
                    if m.seq != seq or m.pid != self.pid:
                        self._stray(m)
                        continue
                    if m.type == C.NLMSG_ERROR:
                        if m.code:
                            raise NetlinkError(m.code, m.msg)
                        return replies
                    if m.type == C.NLMSG_DONE:
                        continue  # the end of a multi-part reply; the ack follows
                    replies.append(m)

    def dump(self, msg_type: int, fields: dict | None = None, attrs: Any = None,
             flags: int = 0) -> list[Message]:
        """A whole dump; retried while the kernel marks it inconsistent (DUMP_INTR)."""
        data_flags = C.NLM_F_REQUEST | C.NLM_F_DUMP | flags
        with self._lock:
            for _attempt in range(DUMP_RETRIES):
                seq = self.next_seq()
                self.send(encode(msg_type, data_flags, seq, fields, attrs))
                result, interrupted = self._collect_dump(seq)
                if not interrupted:
                    return result
        raise DumpInterrupted()

    def _collect_dump(self, seq: int) -> tuple[list[Message], bool]:
        out: list[Message] = []
        interrupted = False
        pid = self.pid
        while True:
            msgs = self._recv()
            # fast path: a whole datagram of our dump's data messages
            last = msgs[-1] if msgs else None
            if (last is not None and last.seq == seq and msgs[0].seq == seq
                    and last.type >= 16 and last.pid == pid):
                for m in msgs:
                    if m.flags & C.NLM_F_DUMP_INTR:
                        interrupted = True
                out.extend(msgs)
                continue
            for m in msgs:
                if m.seq != seq or m.pid != pid:
                    self._stray(m)
                    continue
                if m.flags & C.NLM_F_DUMP_INTR:
                    interrupted = True
                if m.type == C.NLMSG_DONE:
                    if isinstance(m, ErrorMessage) and m._end - m._start >= 4 and m.code > 0:
                        raise NetlinkError(m.code, m.msg)
                    return out, interrupted
                if m.type == C.NLMSG_ERROR:
                    if m.code:
                        raise NetlinkError(m.code, m.msg)
                    return out, interrupted
                out.append(m)

    def _stray(self, m: Message) -> None:
        """Multicast events (seq 0) met while waiting for a reply are kept for recv_events."""
        if m.seq == 0 and m.type >= 16:
            self._events.append(m)

    def bulk(self, requests: list[tuple[int, int, dict | None, Any]]) -> list[NetlinkError | None]:
        """Pipelined requests: many per datagram, acks matched by sequence number.

        Each request is (msg_type, flags, fields, attrs). Returns one entry per request:
        None for success, else its NetlinkError. A failing request does not stop the others.
        Only failures and the last request of each datagram are acked, which the kernel
        processes synchronously during send().
        """
        results: list[NetlinkError | None] = [None] * len(requests)
        with self._lock:
            base = self._seq + 1
            encoded: list[bytes] = []
            for i, (mtype, flags, fields, attrs) in enumerate(requests):
                seq = (base + i) & 0x7FFFFFFF or 1
                encoded.append(encode(mtype, flags | C.NLM_F_REQUEST, seq, fields, attrs))
            self._seq = (base + len(requests) - 1) & 0x7FFFFFFF
            start = 0
            while start < len(encoded):
                end = start
                size = 0
                while end < len(encoded) and end - start < BULK_CHUNK and (
                        size + len(encoded[end]) <= BULK_DGRAM or end == start):
                    size += len(encoded[end])
                    end += 1
                self._send_chunk(encoded, start, end, base, results)
                start = end
        return results

    def _send_chunk(self, encoded: list[bytes], start: int, end: int, base: int,
                    results: list) -> None:
        last = bytearray(encoded[end - 1])
        flags = struct.unpack_from("=H", last, 6)[0] | C.NLM_F_ACK
        struct.pack_into("=H", last, 6, flags)
        self.send(b"".join(encoded[start:end - 1]) + bytes(last))
        last_seq = (base + end - 1) & 0x7FFFFFFF or 1
        first_seq = (base + start) & 0x7FFFFFFF or 1
        while True:
            for m in self._recv():
                if m.type != C.NLMSG_ERROR or m.pid != self.pid:
                    self._stray(m)
                    continue
                idx = (m.seq - first_seq) & 0x7FFFFFFF
                if idx < end - start and m.code:
                    results[start + idx] = NetlinkError(m.code, m.msg)
                if m.seq == last_seq:
                    return

    # --- multicast ----------------------------------------------------------------

    def bind(self, groups: int = C.RTMGRP_DEFAULTS) -> None:
        """Join the multicast groups given as a legacy bitmask (RTMGRP_*)."""
        for bit in range(32):
            if groups & (1 << bit):
                self.add_membership(bit + 1)

    def add_membership(self, group: int) -> None:
        self._sock.setsockopt(C.SOL_NETLINK, C.NETLINK_ADD_MEMBERSHIP, group)

    def drop_membership(self, group: int) -> None:
        self._sock.setsockopt(C.SOL_NETLINK, C.NETLINK_DROP_MEMBERSHIP, group)

    def enable_all_nsid(self) -> None:
        """Receive events from every namespace that has an nsid here; each message then
        carries ``.nsid`` (None for this namespace's own)."""
        self._sock.setsockopt(C.SOL_NETLINK, C.NETLINK_LISTEN_ALL_NSID, 1)
        self.all_nsid = True

    def recv_events(self, timeout: float | None = None) -> list[Message]:
        """Events received so far, waiting up to ``timeout`` seconds for at least one
        (None: wait forever, 0: don't wait). Raises NetlinkOverrun when events were lost."""
        if self._events:
            out = list(self._events)
            self._events.clear()
            return out
        if timeout is not None:
            ready, _, _ = select.select([self._sock], [], [], timeout)
            if not ready:
                return []
        with self._lock:
            return [m for m in self._recv() if m.type >= 16 or m.type == C.NLMSG_OVERRUN]

