"""One rtnetlink socket: requests and acks, dumps, pipelined bulk requests, multicast.

The socket may live in another network namespace: it is created by a thread that enters
the namespace (``nsenter.run_in_netns``), and stays bound to it. The calling thread never
moves.

Replies are read as *lean* messages (``codec/dump.py``): the codec's ``Message`` API,
built with a fraction of the work, because a dump of 100,000 routes is the yardstick.

Overruns. When the receive buffer overflows the kernel drops what it was sending (events,
or a reply) and the next read fails with ENOBUFS. Events: the next ``recv_events`` raises
NetlinkOverrun, so a listener knows to re-read the state. Replies: after an overrun met
while waiting, the socket sends an NLMSG_NOOP *probe* (once there is room again); the
kernel answers requests in order, so if the probe's ack comes before the reply awaited,
that reply was dropped, and the request raises NetlinkOverrun instead of waiting forever.
A socket that joined multicast groups drains queued events before each request, so that
replies find room.
"""

from __future__ import annotations

# _socket, _thread and _collections are the C modules under socket, threading and
# collections: those import enum, functools and more (start-up time of `nlshell -c`)
import _socket as socket
import errno
import gc
import struct
import time
from _collections import deque
from _thread import RLock

from .codec import constants as C
from .codec.dump import dump_views, lean_parse, one_message
from .codec.errors import DecodeError
from .codec.message import ErrorMessage, Message, encode, parse
from .errors import DumpInterrupted, NetlinkError, NetlinkOverrun

# typing and collections.abc cost start-up time: only type checkers read them here
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

RECV_SIZE = 1 << 18  # larger than any datagram the kernel builds for us
DUMP_RETRIES = 8
BULK_CHUNK = 512  # requests per datagram; their error reports must fit the receive buffer
BULK_DGRAM = 1 << 16  # bytes per datagram (below the socket's send buffer)
ACK_ROOM = 2048  # receive-buffer bytes one error report may take (skb truesize, generous)

_I32 = struct.Struct("=i")
_U16 = struct.Struct("=H")
_U32 = struct.Struct("=I")
_NLH = struct.Struct("=IHHII")
_unpack_nlh = _NLH.unpack_from
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
_DATA = 16  # message types below this are netlink control messages
_CMSG_SPACE = socket.CMSG_SPACE(4)


def _setopt(sock: socket.socket, opt: int, value: int) -> bool:
    try:
        sock.setsockopt(C.SOL_NETLINK, opt, value)
        return True
    except OSError:
        return False  # an older kernel: go on without the feature


def _make_socket(protocol: int) -> socket.socket:
    return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, protocol)


_YOUNG_MAX = 10_000  # young objects (the collector's count) worth skipping a pass over


class NoGC:
    """Pause the cyclic GC while a dump builds its objects: a dump creates hundreds of
    thousands of acyclic objects, and every young-generation pass would rescan them."""

    __slots__ = ("was",)

    def __enter__(self) -> None:
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: Any) -> None:
        if self.was:
            if gc.get_count()[0] > _YOUNG_MAX and not gc.get_freeze_count():
                # what the dump made (no cycles among them) joins the oldest generation
                # at once: enabled with them all young, the collector's next young pass
                # would walk every one of them (~10 ms per 100,000 views) to find nothing.
                # Not when the program froze objects itself (unfreeze would thaw them).
                gc.freeze()
                gc.unfreeze()
            gc.enable()


class ReplyLost(NetlinkOverrun):
    """The receive buffer overran and the kernel's reply to a request was dropped."""


class NetlinkSocket:
    """A NETLINK_ROUTE socket with extended acks, strict dump checking and a large buffer."""

    def __init__(self, protocol: int = C.NETLINK_ROUTE, netns: Any = None,
                 rcvbuf: int | None = 1 << 20, groups: int = 0, *, ext_ack: bool = True,
                 strict_check: bool = True, fileno: int | None = None,
                 sndbuf: int | None = None) -> None:
        """``fileno``: an open netlink socket to use (bound already, or bound here).
        ``ext_ack`` and ``strict_check`` ask the kernel for its own error text and for
        dumps filtered by the request's header and attributes (both on by default)."""
        if fileno is not None:
            if netns is not None:
                raise ValueError("fileno= and netns= exclude each other")
            sock = socket.socket(fileno=fileno)
            if sock.family != socket.AF_NETLINK:
                sock.detach()
                raise ValueError(f"fileno {fileno} is not a netlink socket")
        elif netns is None:
            sock = _make_socket(protocol)
        else:
            from .nsenter import run_in_netns  # here: the host's sockets never need it

            sock = run_in_netns(netns, _make_socket, protocol)
        self._sock = sock
        self.netns = netns
        try:
            self.ext_ack = ext_ack and _setopt(sock, C.NETLINK_EXT_ACK, 1)
            _setopt(sock, C.NETLINK_CAP_ACK, 1)
            self.strict = strict_check and _setopt(sock, C.NETLINK_GET_STRICT_CHK, 1)
            if rcvbuf:
                self.set_rcvbuf(rcvbuf)
            if sndbuf:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
            if fileno is None or not sock.getsockname()[0]:
                sock.bind((0, 0))
        except Exception:
            if fileno is not None:
                sock.detach()  # the caller's fd stays the caller's
            else:
                sock.close()
            raise
        self.pid = sock.getsockname()[0]
        self._seq = 0
        self._lock = RLock()
        self._events: deque[Message] = deque()
        self._buf = bytearray(RECV_SIZE)
        self._view = memoryview(self._buf)
        self._overrun = False  # events were dropped: the next recv_events says so
        self._pending: deque[bytes] = deque()  # unicast datagrams read ahead (_drain)
        self._probes: set[int] = set()  # seqs of NOOP probes sent during this exchange
        self._unfinished = 0  # seq of a dump whose end was not read yet
        self.groups: set[int] = set()  # multicast groups joined
        self.all_nsid = False
        self._last_nsid: int | None = None
        self._mcast = False  # the last datagram read was multicast
        if groups:
            self.bind(groups)

    # --- plumbing -----------------------------------------------------------------

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._sock.close()

    @property
    def closed(self) -> bool:
        return self._sock.fileno() < 0

    def __enter__(self) -> NetlinkSocket:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def set_rcvbuf(self, size: int) -> None:
        """Root may exceed net.core.rmem_max (SO_RCVBUFFORCE); others get what they may."""
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, size)
        except OSError:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)

    @property
    def rcvbuf(self) -> int:
        return self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)

    def next_seq(self) -> int:
        with self._lock:
            self._seq = (self._seq + 1) & 0x7FFFFFFF or 1
            return self._seq

    def send(self, data: bytes) -> None:
        self._sock.sendto(data, (0, 0))

    def _recv_bytes(self, flags: int = 0) -> bytes:
        """One datagram. ENOBUFS becomes NetlinkOverrun. ``_mcast`` tells whether it was
        sent to a multicast group (events), ``_last_nsid`` which namespace sent it (on a
        socket listening to all namespaces)."""
        try:
            n, anc, _flags, addr = self._sock.recvmsg_into(
                [self._buf], _CMSG_SPACE if self.all_nsid else 0, flags)
        except OSError as exc:
            if exc.errno == errno.ENOBUFS:
                raise NetlinkOverrun() from None
            raise
        self._mcast = bool(addr[1])  # (portid, groups): groups only on multicast
        if self.all_nsid:
            self._last_nsid = _nsid_of(anc)
        return self._view[:n].tobytes()

    def recv_nowait(self) -> tuple[bytes, bool] | None:
        """One queued datagram and whether it was multicast, else None (nothing queued
        now): for callers driving the socket from an event loop. ENOBUFS raises
        NetlinkOverrun."""
        try:
            data = self._recv_bytes(socket.MSG_DONTWAIT)
        except BlockingIOError:
            return None
        return data, self._mcast

    def messages(self, data: bytes) -> list[Message]:
        """A datagram read from this socket as messages (lean views, or tagged with
        their nsid on a socket listening to all namespaces)."""
        return self._messages(data)

    def _messages(self, data: bytes) -> list[Message]:
        if not self.all_nsid:
            return lean_parse(data)
        msgs = parse(data)  # full messages: they carry .nsid
        for m in msgs:
            m.nsid = self._last_nsid
        return msgs

    def _keep_events(self, data: bytes) -> None:
        self._events.extend(m for m in self._messages(data) if m.type >= _DATA)

    # --- waiting for replies, and overruns ---------------------------------------------

    def _begin(self) -> None:
        """Before a request: end a dump left half read, make room for the reply by
        keeping the queued events, and drop late replies to earlier requests."""
        self._probes.clear()
        if self._unfinished:
            seq, self._unfinished = self._unfinished, 0
            self._finish_dump(seq)
        self._pending.clear()
        if self.groups:
            self._drain()
            self._pending.clear()

    def _drain(self) -> None:
        """Read everything queued, without waiting: events are kept, unicast datagrams
        wait in ``_pending``. The kernel delivers nothing more to a socket that overran
        until its queue has been emptied."""
        while True:
            try:
                data = self._recv_bytes(socket.MSG_DONTWAIT)
            except NetlinkOverrun:
                self._overrun = True
                continue
            except BlockingIOError:
                return
            if self._mcast:
                self._keep_events(data)
            else:
                self._pending.append(data)

    def _recv_reply(self, echo_seq: int = 0) -> bytes:
        """The next unicast datagram, while a reply is awaited; events met meanwhile are
        kept for recv_events (see the module docstring for overruns). The kernel's echo
        of request ``echo_seq`` comes marked as multicast: it counts as a reply."""
        while True:
            if self._pending:
                return self._pending.popleft()
            try:
                data = self._recv_bytes()
            except NetlinkOverrun:
                self._overrun = True
                self._drain()  # empty the queue: then the kernel delivers again
                seq = self.next_seq()
                self._probes.add(seq)
                self.send(_NLH.pack(16, C.NLMSG_NOOP, C.NLM_F_REQUEST | C.NLM_F_ACK, seq, 0))
                continue
            if self._mcast and not (echo_seq and len(data) >= 16
                                    and _unpack_nlh(data)[3] == echo_seq):
                self._keep_events(data)
                continue
            return data

    def _is_probe(self, m: Message) -> bool:
        return m.type == C.NLMSG_ERROR and m.seq in self._probes

    # --- requests -----------------------------------------------------------------

    def request(self, msg_type: int, flags: int = 0, fields: dict | None = None,
                attrs: Any = None, echo: bool = False) -> list[Message]:
        """Send one request and wait for its ack; return the replies before the ack.

        Raises NetlinkError with the kernel's text when the kernel refuses.
        """
        flags |= C.NLM_F_REQUEST | C.NLM_F_ACK | (C.NLM_F_ECHO if echo else 0)
        return self.request_raw(encode(msg_type, flags, 0, fields, attrs))

    def request_raw(self, data: bytes, with_ack: bool = False) -> list[Message]:
        """Send one already encoded message (its seq and NLM_F_REQUEST | NLM_F_ACK are
        set here) and wait for the ack, as ``request`` does. ``with_ack``: the ack
        message ends the list (what pyroute2's write calls return)."""
        flags = _U16.unpack_from(data, 6)[0] | C.NLM_F_REQUEST | C.NLM_F_ACK
        with self._lock:
            self._begin()
            seq = self.next_seq()
            self.send(data[:6] + _U16.pack(flags) + _U32.pack(seq) + data[12:])
            return self._await_ack(seq, seq if flags & C.NLM_F_ECHO else 0, with_ack)

    def _await_ack(self, seq: int, echo_seq: int = 0, with_ack: bool = False
                   ) -> list[Message]:
        col = AckCollector(seq, self.pid, with_ack, self._probes)
        while not col.feed(self._messages(self._recv_reply(echo_seq))):
            pass
        return col.replies

    def dump(self, msg_type: int, fields: dict | None = None, attrs: Any = None,
             flags: int = 0) -> list[Message]:
        """A whole dump; retried while the kernel marks it inconsistent (DUMP_INTR)."""
        data = encode(msg_type, C.NLM_F_REQUEST | C.NLM_F_DUMP | flags, 0, fields, attrs)
        with self._lock:
            for _attempt in range(DUMP_RETRIES):
                self._begin()
                seq = self.next_seq()
                self.send(data[:8] + _U32.pack(seq) + data[12:])
                self._unfinished = seq  # until its end is read (see _begin)
                try:
                    with NoGC():
                        result, interrupted = collect_dump(
                            self._recv_reply, _ignore, seq, self.pid, full=self.all_nsid)
                except NetlinkError as exc:
                    if getattr(exc, "ended", False):
                        self._unfinished = 0  # the kernel ended the dump with this error
                    raise
                self._unfinished = 0
                if not interrupted:
                    return result
        raise DumpInterrupted()

    def dump_stream(self, msg_type: int, fields: dict | None = None, attrs: Any = None,
                    flags: int = 0, runs: bool = False) -> DumpStream:
        """A dump read as it arrives: iterating gives the dump's messages one datagram at
        a time (a list per datagram), so a caller prints while the kernel still sends.
        It is not retried on DUMP_INTR (what was yielded cannot be taken back): the
        stream's ``interrupted`` tells, once iterated to its end, that the kernel marked
        it inconsistent. Errors raise as for ``dump``.
        ``runs``: each datagram's part as ``codec.runs.Run``\\ s (same-shape messages read
        by column) instead of one view per message."""
        data = encode(msg_type, C.NLM_F_REQUEST | C.NLM_F_DUMP | flags, 0, fields, attrs)
        return DumpStream(self, data, runs)

    def _stream(self, data: bytes, stream: DumpStream) -> Iterator[list[Message]]:
        with self._lock:
            self._begin()
            seq = self.next_seq()
            self.send(data[:8] + _U32.pack(seq) + data[12:])
            self._unfinished = seq  # until its end is read (see _begin)
            col = DumpCollector(seq, self.pid, _ignore, self.all_nsid, runs=stream.runs)
            feed, recv = col.feed, self._recv_reply
            with NoGC():
                while True:
                    try:
                        done = feed(recv())
                    except NetlinkError as exc:
                        if getattr(exc, "ended", False):
                            self._unfinished = 0
                        raise
                    if done:
                        self._unfinished = 0
                    if col.out:
                        batch, col.out = col.out, []
                        yield batch
                    if done:
                        break
            stream.interrupted = col.interrupted

    def _finish_dump(self, seq: int) -> None:
        """Read and drop the rest of dump ``seq``, left unread by an exception (a Ctrl-C):
        the kernel refuses new dumps on this socket (EBUSY) until one ends."""
        while True:
            data = self._recv_reply()
            off = 0
            while off + 16 <= len(data):
                ln, mtype, _flags, mseq, _pid = _unpack_nlh(data, off)
                if ln < 16:
                    break
                if mseq == seq and mtype in (C.NLMSG_DONE, C.NLMSG_ERROR):
                    if mtype == C.NLMSG_DONE or _I32.unpack_from(data, off + 16)[0] != \
                            -errno.ENOBUFS:
                        return
                off = (off + ln + 3) & ~3

    # --- pipelined requests ---------------------------------------------------------

    def bulk(self, requests: list[Any]) -> list[NetlinkError | None]:
        """Pipelined requests: many per datagram, acks matched by sequence number.

        Each request is (msg_type, flags, fields, attrs), or an already encoded message
        (bytes; its sequence number is set here). Returns one entry per request: None for
        success, else its NetlinkError. A failing request does not stop the others.
        Only failures and the last request of each datagram are acked; the kernel
        handles a datagram's requests in order, during send(). If an overrun drops
        acks, NetlinkOverrun is raised with ``.results`` (what is known so far).
        """
        parts: list[bytes] = []
        append = parts.append
        for req in requests:
            if type(req) is bytes:
                append(req)
            else:
                mtype, flags, fields, attrs = req
                append(encode(mtype, flags | C.NLM_F_REQUEST, 0, fields, attrs))
        results: list[NetlinkError | None] = [None] * len(parts)
        # the error reports of one datagram must fit the receive buffer
        chunk = max(1, min(BULK_CHUNK, self.rcvbuf // ACK_ROOM))
        with self._lock:
            start = 0
            total = len(parts)
            while start < total:
                end = start
                size = 0
                while end < total and end - start < chunk:
                    ln = len(parts[end])
                    if size + ln > BULK_DGRAM and end > start:
                        break
                    size += ln
                    end += 1
                self._begin()
                self._send_chunk(parts, start, end, results)
                start = end
        return results

    def _send_chunk(self, parts: list[bytes], start: int, end: int, results: list) -> None:
        data = bytearray(b"".join(parts[start:end]))
        seqs = {}  # seq -> position in `results`
        base = self._seq
        off = last_off = 0
        pack_seq = _U32.pack_into
        for i in range(start, end):
            base = (base + 1) & 0x7FFFFFFF or 1
            pack_seq(data, off + 8, base)
            seqs[base] = i
            last_off = off
            off += (len(parts[i]) + 3) & ~3
        self._seq = last_seq = base
        flags = _U16.unpack_from(data, last_off + 6)[0]
        _U16.pack_into(data, last_off + 6, flags | C.NLM_F_REQUEST | C.NLM_F_ACK)
        self.send(data)
        pid = self.pid
        while True:
            for m in self._messages(self._recv_reply()):
                if m.type != C.NLMSG_ERROR or m.pid != pid:
                    continue  # a late reply, or an echo
                mseq = m.seq
                i = seqs.get(mseq)
                if i is not None:
                    if m.code:
                        results[i] = NetlinkError(m.code, m.msg)
                    if mseq == last_seq:
                        return
                elif self._probes and mseq in self._probes:
                    exc = ReplyLost(f"the receive buffer overran: acks of requests "
                                    f"{start}..{end - 1} of the bulk were lost")
                    exc.results = results  # type: ignore[attr-defined]
                    raise exc

    # --- multicast ----------------------------------------------------------------

    def bind(self, groups: int = C.RTMGRP_DEFAULTS) -> None:
        """Join the multicast groups given as a legacy bitmask (RTMGRP_*)."""
        for bit in range(32):
            if groups & (1 << bit):
                self.add_membership(bit + 1)

    def add_membership(self, group: int) -> None:
        self._sock.setsockopt(C.SOL_NETLINK, C.NETLINK_ADD_MEMBERSHIP, group)
        self.groups.add(group)

    def drop_membership(self, group: int) -> None:
        self._sock.setsockopt(C.SOL_NETLINK, C.NETLINK_DROP_MEMBERSHIP, group)
        self.groups.discard(group)

    def enable_all_nsid(self) -> None:
        """Receive events from every namespace that has an nsid here; each message then
        carries ``.nsid`` (None for this namespace's own)."""
        self._sock.setsockopt(C.SOL_NETLINK, C.NETLINK_LISTEN_ALL_NSID, 1)
        self.all_nsid = True

    def recv_events(self, timeout: float | None = None) -> list[Message]:
        """Events received so far, waiting up to ``timeout`` seconds for at least one
        (None: wait forever, 0: don't wait). Raises NetlinkOverrun when events were lost;
        the events kept before the loss come with the next call."""
        if self._overrun:
            self._overrun = False
            raise NetlinkOverrun()
        if self._events:
            out = list(self._events)
            self._events.clear()
            return out
        deadline = None if timeout is None else time.monotonic() + timeout
        if deadline is not None:
            import select  # here, not at the top: only event readers wait (start-up time)
        while True:
            if deadline is not None:
                ready, _, _ = select.select([self._sock], [], [],
                                            max(0.0, deadline - time.monotonic()))
                if not ready:
                    return []
            with self._lock:
                data = self._recv_bytes()
                if self._mcast:  # else a late reply to an earlier request: skip it
                    return [m for m in self._messages(data) if m.type >= _DATA]


class AckCollector:
    """Sans-I/O: the replies to request ``seq`` up to its ack, fed a datagram's messages
    at a time (the synchronous socket and the asyncio face share it). ``feed`` returns
    True once the ack came; a refusal raises NetlinkError with the kernel's text. An ack
    of one of ``probes`` (NOOPs sent after an overrun) first means the reply was lost."""

    __slots__ = ("seq", "pid", "with_ack", "probes", "replies")

    def __init__(self, seq: int, pid: int, with_ack: bool = False,
                 probes: set[int] | None = None) -> None:
        self.seq = seq
        self.pid = pid
        self.with_ack = with_ack
        self.probes = probes
        self.replies: list[Message] = []

    def feed(self, msgs: list[Message]) -> bool:
        seq, pid, probes = self.seq, self.pid, self.probes
        for m in msgs:
            if m.seq != seq or m.pid != pid:
                if probes and m.type == C.NLMSG_ERROR and m.seq in probes:
                    raise ReplyLost(f"the receive buffer overran and the reply to "
                                    f"request {seq} was lost")
                continue  # a late reply to an earlier request
            if m.type == C.NLMSG_ERROR:
                if m.code:
                    raise NetlinkError(m.code, m.msg)
                if self.with_ack:
                    self.replies.append(m)
                return True
            if m.type == C.NLMSG_DONE:
                continue  # the end of a multi-part reply; the ack follows
            self.replies.append(m)
        return False


def _ignore(m: Message, started: bool) -> None:
    """Late replies met during a dump (and probe acks: a dump is never lost, the kernel
    resumes it as the socket is read)."""


def _nsid_of(ancillary: list) -> int | None:
    for level, ctype, data in ancillary:
        if level == C.SOL_NETLINK and ctype == C.NETLINK_LISTEN_ALL_NSID and len(data) >= 4:
            return _I32.unpack_from(data)[0]
    return None


def _ended(m: Any) -> NetlinkError:
    exc = NetlinkError(m.code, m.msg)
    exc.ended = True  # type: ignore[attr-defined]  # the dump is over: nothing left to read
    return exc


def collect_dump(recv: Callable[[], bytes], stray: Callable[[Message, bool], None],
                 seq: int, pid: int, full: bool = False) -> tuple[list[Message], bool]:
    """Read datagrams from ``recv()`` until dump ``seq`` ends: (messages, interrupted).
    See ``DumpCollector`` (which holds the state; this is its blocking loop)."""
    col = DumpCollector(seq, pid, stray, full)
    feed = col.feed
    while not feed(recv()):
        pass
    return col.out, col.interrupted


class DumpStream:
    """``NetlinkSocket.dump_stream``'s result: iterate it once for the dump's messages, a
    list per datagram; then ``interrupted`` tells whether the kernel marked the dump
    inconsistent (NLM_F_DUMP_INTR). Left unfinished (an exception, a closed pipe), the
    socket reads and drops the rest before its next request."""

    __slots__ = ("interrupted", "runs", "_it")

    def __init__(self, sock: NetlinkSocket, data: bytes, runs: bool = False) -> None:
        self.interrupted = False
        self.runs = runs
        self._it = sock._stream(data, self)

    def __iter__(self) -> Iterator[list[Message]]:
        return self._it


def _skim() -> Callable[..., tuple[int, bool]]:
    from .codec.runs import skim

    return skim


class DumpCollector:
    """Sans-I/O: the messages of dump ``seq``, fed a datagram at a time (the synchronous
    socket and the asyncio face share it). ``feed(data)`` returns True once the dump ended.

    Messages of the dump become lean views; anything else (events, late acks) goes to
    ``stray(message, started)``, where ``started`` tells whether any part of the dump
    came already. NLM_F_DUMP_INTR on any message marks the dump ``interrupted``. An error,
    in NLMSG_ERROR or in NLMSG_DONE, raises NetlinkError (an ENOBUFS error only says the
    kernel will start the dump when there is room: reading goes on). ``full`` builds
    ordinary messages instead (for sockets that tag messages with an nsid).
    """

    __slots__ = ("seq", "pid", "stray", "full", "out", "interrupted", "runs")

    def __init__(self, seq: int, pid: int, stray: Callable[[Message, bool], None] = None,
                 full: bool = False, runs: bool = False) -> None:
        # out holds codec.runs.Run objects instead of messages: the codec's `skim`, imported
        # only then (route show's big tables; the module costs start-up time elsewhere)
        self.runs = _skim() if runs else None
        self.seq = seq
        self.pid = pid
        self.stray = _ignore if stray is None else stray
        self.full = full
        self.out: list[Message] = []
        self.interrupted = False

    def feed(self, data: Any) -> bool:
        out = self.out
        append = out.append
        seq, pid, full = self.seq, self.pid, self.full
        off = 0
        n = len(data)
        while off + 16 <= n:
            # the dump's own messages, in the codec (the per-message hot loop) ...
            if self.runs is not None:
                off, intr_seen = self.runs(data, off, seq, pid, out, full)
            else:
                off, intr_seen = dump_views(data, off, seq, pid, append, full)
            if intr_seen:
                self.interrupted = True
            if off + 16 > n:
                break
            # ... then one message that is not part of it
            ln, mtype, flags, mseq, mpid = _unpack_nlh(data, off)
            end = off + ln
            m = one_message(data, off, end)
            if mseq != seq or mpid != pid:
                self.stray(m, bool(out))
            elif mtype == C.NLMSG_DONE:
                if flags & C.NLM_F_DUMP_INTR:
                    self.interrupted = True
                if isinstance(m, ErrorMessage) and ln >= 20 and m.code > 0:
                    raise _ended(m)
                return True
            elif mtype == C.NLMSG_ERROR:
                code = m.code
                if code and code != errno.ENOBUFS:
                    raise _ended(m)
                if not code:
                    return True  # an ack (the request asked for one)
                # ENOBUFS: no room to start the dump; the kernel resumes it as we read
            elif mtype == C.NLMSG_OVERRUN:
                raise NetlinkOverrun()
            # NLMSG_NOOP: nothing to do
            off = (end + 3) & ~3
        if off < n:
            raise DecodeError(f"{n - off} trailing bytes after the last message", off)
        return False
