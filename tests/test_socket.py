"""NetlinkSocket: the dump loop (fed crafted datagrams: it is sans-I/O apart from its
recv), and against the kernel: DUMP_INTR retries, replies lost in an overrun, pipelined
bulk chunks, echo."""

from __future__ import annotations

import errno
import struct
import subprocess
from collections.abc import Iterator

import pytest
from support.iporacle import batch, sh

from nlshell.engine import socket as S
from nlshell.engine.codec import DecodeError, encode
from nlshell.engine.codec import constants as C
from nlshell.engine.errors import DumpInterrupted, NetlinkError, NetlinkOverrun
from nlshell.engine.socket import NetlinkSocket, ReplyLost, collect_dump

# overrun handling gone wrong would wait forever for a reply: fail instead
pytestmark = pytest.mark.usefixtures("no_hang")

SEQ, PID = 77, 4242
MULTI = C.NLM_F_MULTI


def route_msg(i: int, flags: int = MULTI, seq: int = SEQ, pid: int = PID) -> bytes:
    return encode(C.RTM_NEWROUTE, flags, seq,
                  {"family": 2, "dst_len": 32, "table": 254, "type": 1},
                  [("table", 254), ("dst", f"10.0.0.{i}"), ("oif", 2)], pid=pid)


def done(error: int = 0, text: str | None = None, seq: int = SEQ, flags: int = MULTI) -> bytes:
    body = struct.pack("=i", -error)
    if text is not None:
        payload = text.encode() + b"\0"
        attr = struct.pack("=HH", 4 + len(payload), C.NLMSGERR_ATTR_MSG) + payload
        body += attr + b"\0" * (-len(attr) & 3)
        flags |= C.NLM_F_ACK_TLVS
    return struct.pack("=IHHII", 16 + len(body), C.NLMSG_DONE, flags, seq, PID) + body


def error(code: int, seq: int = SEQ) -> bytes:
    orig = struct.pack("=IHHII", 16, C.RTM_GETROUTE, 1, seq, PID)
    return struct.pack("=IHHIIi", 36, C.NLMSG_ERROR, C.NLM_F_CAPPED, seq, PID, -code) + orig


def feed(*datagrams: bytes):
    it = iter(datagrams)
    return lambda: next(it)


class Strays(list):
    def __call__(self, m, started: bool) -> None:
        self.append((m["event"], m.seq, started))


# --- the dump loop, on crafted datagrams ------------------------------------------------


def test_multipart_dump() -> None:
    strays = Strays()
    first = b"".join(route_msg(i) for i in range(3))
    second = b"".join(route_msg(i) for i in range(3, 5)) + done()
    msgs, interrupted = collect_dump(feed(first, second), strays, SEQ, PID)
    assert [m.get("dst") for m in msgs] == [f"10.0.0.{i}" for i in range(5)]
    assert not interrupted and strays == []
    assert all(m.seq == SEQ and m.pid == PID and m.flags == MULTI for m in msgs)


def test_done_in_its_own_datagram_and_old_style_done() -> None:
    old_done = struct.pack("=IHHII", 16, C.NLMSG_DONE, MULTI, SEQ, PID)  # no errno word
    msgs, _ = collect_dump(feed(route_msg(1), old_done), Strays(), SEQ, PID)
    assert len(msgs) == 1


def test_dump_intr_on_any_message_marks_the_dump() -> None:
    dgram = route_msg(1) + route_msg(2, flags=MULTI | C.NLM_F_DUMP_INTR) + route_msg(3)
    msgs, interrupted = collect_dump(feed(dgram, done()), Strays(), SEQ, PID)
    assert interrupted and len(msgs) == 3
    _, interrupted = collect_dump(feed(route_msg(1), done(flags=MULTI | C.NLM_F_DUMP_INTR)),
                                  Strays(), SEQ, PID)
    assert interrupted


def test_error_in_done() -> None:
    with pytest.raises(NetlinkError) as info:
        collect_dump(feed(route_msg(1), done(errno.EINVAL, "Invalid values in header")),
                     Strays(), SEQ, PID)
    assert info.value.code == errno.EINVAL and info.value.msg == "Invalid values in header"
    with pytest.raises(NetlinkError) as info:
        collect_dump(feed(done(errno.EMSGSIZE)), Strays(), SEQ, PID)
    assert info.value.code == errno.EMSGSIZE and info.value.msg == "Message too long"


def test_error_instead_of_a_dump() -> None:
    with pytest.raises(NetlinkError) as info:
        collect_dump(feed(error(errno.EOPNOTSUPP)), Strays(), SEQ, PID)
    assert info.value.code == errno.EOPNOTSUPP
    msgs, _ = collect_dump(feed(error(0)), Strays(), SEQ, PID)  # a bare ack ends it too
    assert msgs == []


def test_strays_go_aside_with_the_started_flag() -> None:
    strays = Strays()
    late = route_msg(9, flags=0, seq=SEQ - 1)  # the tail of an earlier exchange
    msgs, _ = collect_dump(feed(late + route_msg(1), error(0, seq=SEQ - 2) + done()),
                           strays, SEQ, PID)
    assert [m.get("dst") for m in msgs] == ["10.0.0.1"]
    assert strays == [("RTM_NEWROUTE", SEQ - 1, False), ("NLMSG_ERROR", SEQ - 2, True)]


def test_malformed_framing_is_a_decode_error() -> None:
    good = route_msg(1)
    with pytest.raises(DecodeError):
        collect_dump(feed(good[:-4]), Strays(), SEQ, PID)  # length beyond the datagram
    with pytest.raises(DecodeError):
        collect_dump(feed(good + b"\0\0"), Strays(), SEQ, PID)  # trailing bytes
    short = struct.pack("=IHHII", 16, C.RTM_NEWROUTE, MULTI, SEQ, PID)  # no rtmsg
    with pytest.raises(DecodeError):
        collect_dump(feed(short), Strays(), SEQ, PID)


# --- against the kernel -----------------------------------------------------------------

pytestmark_kernel = pytest.mark.requires_root


class Hooked(NetlinkSocket):
    """Runs `hook()` once after the next datagram it reads; counts the requests sent."""

    hook = None
    sent = 0

    def send(self, data: bytes) -> None:
        self.sent += 1
        super().send(data)

    def _recv_bytes(self, flags: int = 0) -> bytes:
        data = super()._recv_bytes(flags)
        hook, self.hook = self.hook, None
        if hook is not None:
            hook()
        return data


@pytest.fixture
def many_addrs(ns: str) -> str:
    """veth0 with 2000 IPv4 addresses: their dump takes several datagrams."""
    sh(ns, "link add veth0 type veth peer name veth1")
    batch(ns, "".join(f"addr add 10.{i >> 8}.{i & 255}.1/32 dev veth0\n"
                      for i in range(2000)))
    return ns


@pytestmark_kernel
def test_dump_intr_from_the_kernel_is_retried(many_addrs: str) -> None:
    ns = many_addrs
    with Hooked(netns=ns) as sock:
        # a change between two parts of the dump: the kernel marks the next part
        sock.hook = lambda: sh(ns, "addr add 10.200.0.1/32 dev veth0")
        msgs = sock.dump(C.RTM_GETADDR, fields={"family": C.AF_INET})
        assert sock.sent == 2  # the interrupted dump, and its retry
        got = {m.get("address") for m in msgs}
        assert "10.200.0.1" in got and len(got) == len(msgs) == 2002  # and lo's


@pytestmark_kernel
def test_dump_interrupted_every_time(many_addrs: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ns = many_addrs
    monkeypatch.setattr(S, "DUMP_RETRIES", 3)
    changes = iter(range(100))

    class Always(Hooked):
        def _recv_bytes(self, flags: int = 0) -> bytes:
            self.hook = lambda: subprocess.run(
                ["ip", "-n", ns, "addr", "add", f"10.201.0.{next(changes)}/32", "dev",
                 "veth0"], check=True)
            return super()._recv_bytes(flags)

    with Always(netns=ns) as sock:
        with pytest.raises(DumpInterrupted) as info:
            sock.dump(C.RTM_GETADDR, fields={"family": C.AF_INET})
        assert sock.sent == 3 and info.value.code == errno.EINTR


class NoDrain(NetlinkSocket):
    """A socket that does not make room before requests: as if a flood of events came
    between the drain and the reply."""

    def _begin(self) -> None:
        self._probes.clear()


def flood(ns: str, count: int = 1000) -> None:
    batch(ns, "".join(f"route add 10.{i >> 8}.{i & 255}.0/24 dev veth0\n"
                      for i in range(count)))


@pytest.fixture
def flooded(ns: str) -> Iterator[NoDrain]:
    sh(ns, "link add veth0 type veth peer name veth1")
    sh(ns, "link set veth0 up")
    with NoDrain(netns=ns, rcvbuf=4096) as sock:
        sock.bind(C.RTMGRP_IPV4_ROUTE)
        flood(ns)
        yield sock


@pytestmark_kernel
def test_a_reply_lost_in_an_overrun_raises(flooded: NoDrain) -> None:
    with pytest.raises(ReplyLost) as info:
        flooded.request(C.RTM_GETLINK, fields={"index": 1})  # its answer found no room
    assert isinstance(info.value, NetlinkOverrun)
    assert "lost" in str(info.value)
    (lo,) = flooded.request(C.RTM_GETLINK, fields={"index": 1})  # room again
    assert lo.get("ifname") == "lo"
    with pytest.raises(NetlinkOverrun):
        while True:
            flooded.recv_events(timeout=1)


@pytestmark_kernel
def test_a_dump_started_without_room_completes(flooded: NoDrain) -> None:
    # the kernel could not start the dump (no room): it does as the queue is read
    links = flooded.dump(C.RTM_GETLINK)
    assert sorted(m.get("ifname") for m in links) == ["lo", "veth0", "veth1"]
    assert len(flooded.dump(C.RTM_GETLINK)) == 3  # and the socket is in step


def test_enobufs_ack_of_a_dump_request_means_later() -> None:
    msgs, _ = collect_dump(feed(error(errno.ENOBUFS), route_msg(1) + done()), Strays(),
                           SEQ, PID)
    assert len(msgs) == 1


@pytestmark_kernel
def test_a_dump_left_half_read_is_finished_first(many_addrs: str) -> None:
    class Stop(Exception):
        pass

    def stop() -> None:
        raise Stop

    with Hooked(netns=many_addrs) as sock:
        sock.hook = stop  # as a Ctrl-C would, after the first datagram
        with pytest.raises(Stop):
            sock.dump(C.RTM_GETADDR, fields={"family": C.AF_INET})
        # the kernel still runs that dump; without reading its end this would be EBUSY
        assert len(sock.dump(C.RTM_GETADDR, fields={"family": C.AF_INET})) == 2001
        (lo,) = sock.request(C.RTM_GETLINK, fields={"index": 1})
        assert lo.get("ifname") == "lo"


@pytestmark_kernel
def test_bulk_acks_lost_in_an_overrun(ns: str, flooded: NoDrain) -> None:
    reqs = [(C.RTM_NEWROUTE, C.NLM_F_CREATE | C.NLM_F_EXCL,
             {"family": 2, "dst_len": 24, "table": 254, "proto": 3, "scope": 253, "type": 1},
             [("dst", "10.250.0.0"), ("oif", 2)])] * 2  # the second one fails (EEXIST)
    with pytest.raises(ReplyLost) as info:
        flooded.bulk(reqs)
    assert len(info.value.results) == 2


@pytestmark_kernel
def test_bulk_chunks_keep_positions(ns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(S, "BULK_CHUNK", 7)
    sh(ns, "link add veth0 type veth peer name veth1")
    sh(ns, "link set veth0 up")
    with NetlinkSocket(netns=ns) as sock:
        (veth,) = sock.request(C.RTM_GETLINK, attrs=[("ifname", "veth0")])
        hdr = {"family": 2, "dst_len": 24, "table": 254, "proto": 3, "scope": 253, "type": 1}
        flags = C.NLM_F_CREATE | C.NLM_F_EXCL
        reqs = [(C.RTM_NEWROUTE, flags, hdr, [("dst", f"10.9.{i}.0"), ("oif", veth["index"])])
                for i in range(30)]
        bad = {0, 6, 7, 13, 29}  # first, last of a datagram, first of the next, very last
        for i in bad:
            reqs[i] = reqs[i - 1 if i else 1]  # a duplicate of a neighbour
        results = sock.bulk(reqs)
        failed = {i for i, r in enumerate(results) if r is not None}
        dup_first = {i for i in bad if i > 0} | {1}  # request 0 added first: 1 is the dup
        assert failed == dup_first
        assert all(results[i].code == errno.EEXIST for i in failed)


@pytestmark_kernel
def test_echo(ns: str) -> None:
    sh(ns, "link add veth0 type veth peer name veth1")
    with NetlinkSocket(netns=ns) as sock:
        (veth,) = sock.request(C.RTM_GETLINK, attrs=[("ifname", "veth0")])
        echoed = sock.request(C.RTM_NEWADDR, C.NLM_F_CREATE | C.NLM_F_EXCL,
                              {"family": 2, "prefixlen": 24, "index": veth["index"]},
                              [("local", "192.0.2.1"), ("address", "192.0.2.1")], echo=True)
        assert [(m["event"], m.get("address")) for m in echoed] == [("RTM_NEWADDR",
                                                                     "192.0.2.1")]


@pytestmark_kernel
def test_rcvbuf_and_options(ns: str) -> None:
    with NetlinkSocket(netns=ns, rcvbuf=1 << 21) as sock:
        assert sock.rcvbuf >= 1 << 21  # SO_RCVBUFFORCE, beyond rmem_max
        assert sock.strict
        assert sock.pid > 0 and sock.fileno() >= 0
    assert sock.closed


class _Obj:
    __slots__ = ("a",)


def test_nogc_hands_a_big_dumps_objects_to_the_oldest_generation() -> None:
    import gc

    assert gc.isenabled()
    frozen = gc.get_freeze_count()  # by earlier tests (the program freezes its start-up)
    gc.unfreeze()
    try:
        with S.NoGC():
            assert not gc.isenabled()
            made = [_Obj() for _ in range(3 * S._YOUNG_MAX)]
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0  # frozen only for the move, none left frozen
        assert gc.get_count()[0] < S._YOUNG_MAX  # no young pass left to walk them all
    finally:
        if frozen:
            gc.freeze()
    assert len(made) == 3 * S._YOUNG_MAX


def test_nogc_leaves_a_programs_own_frozen_objects_frozen() -> None:
    import gc

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with S.NoGC():
            made = [_Obj() for _ in range(3 * S._YOUNG_MAX)]
        assert gc.get_freeze_count() == frozen and gc.isenabled()
    finally:
        gc.unfreeze()
    assert made
