"""Fuzzing the decoder: random and mutated real messages may only ever raise DecodeError.

Every input is parsed and every message fully decoded (dump, repr, attrs, every get of every
row, down into every nested block). Any other exception, or a case that runs longer than
CASE_SECONDS, is a codec bug: the failure prints the input as hex so it can become a
regression test (the ones found so far are in REGRESSIONS below).

Deterministic: a fixed seed for the mutation loop, derandomized hypothesis.
"""

from __future__ import annotations

import contextlib
import random
import signal
import struct
import time
import traceback
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import samples as S
from support.mutations import encoded_corpus, mutate

from nlshell.engine.codec import DecodeError, parse
from nlshell.engine.codec import constants as C
from nlshell.engine.codec.message import MESSAGE_TYPES

SEED = 0x6E6C7368  # "nlsh"
MUTATED_CASES = 10_000  # split over the corpus groups below
CASE_SECONDS = 2.0  # far beyond any honest message; a loop forever trips it

HYPO = settings(derandomize=True, deadline=None, database=None, max_examples=600,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Raise Hang in this (main) thread if the block runs longer than `seconds`."""
    def alarm(signum: int, frame: object) -> None:
        raise Hang(f"decoding took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def decode_all(data: bytes) -> int:
    """Parse and fully decode; DecodeError is the one allowed failure. Returns messages seen."""
    try:
        msgs = parse(data)
    except DecodeError:
        return 0
    for msg in msgs:
        try:
            S.exercise(msg)
        except DecodeError as exc:
            assert exc.offset is None or isinstance(exc.offset, int)
    return len(msgs)


class Failures:
    """Collects non-DecodeError exceptions with a reproducer, reports the first few."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def run(self, data: bytes, label: str = "") -> None:
        try:
            with time_bound(CASE_SECONDS):
                decode_all(data)
        except Exception as exc:  # everything but DecodeError is a codec bug
            tb = traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:]
            self.items.append(f"{label}: {type(exc).__name__}: {exc}\n"
                              f"  input: {data.hex()}\n  " + "  ".join(tb))

    def check(self) -> None:
        if self.items:
            pytest.fail(f"{len(self.items)} inputs crashed the decoder, first ones:\n\n"
                        + "\n\n".join(self.items[:5]), pytrace=False)


# -- the corpus ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def capture() -> S.Capture:
    return S.kernel_capture()


@pytest.fixture(scope="module")
def corpus(capture: S.Capture) -> dict[str, list[bytes]]:
    """Single messages by group: real kernel ones (plus encoded ones for coverage)."""
    real: dict[str, list[bytes]] = {}
    for label, datagrams in capture.dumps.items():
        real[label] = [m for d in datagrams for m in S.split_messages(d)]
    real["errors"] = [m for d in capture.errors for m in S.split_messages(d)]
    groups = {
        "link": real.get("link", []) + real.get("link_bridge", []),
        "addr-route": real.get("addr", []) + real.get("route", []),
        "neigh-rule-errors": (real.get("neigh", []) + real.get("rule", [])
                              + real.get("nsid", []) + real.get("nexthop", [])
                              + real["errors"]),
        "encoded": encoded_corpus(),
    }
    return {k: v for k, v in groups.items() if v}


# -- tests --------------------------------------------------------------------------------


def test_corpus_decodes_cleanly(corpus: dict[str, list[bytes]]) -> None:
    """The unmutated corpus decodes without even a DecodeError."""
    for group, msgs in corpus.items():
        for msg in msgs:
            for m in parse(msg):
                S.exercise(m)
        assert msgs, group


@pytest.mark.parametrize("group", ["link", "addr-route", "neigh-rule-errors", "encoded"])
def test_mutated_messages(corpus: dict[str, list[bytes]], group: str) -> None:
    msgs = corpus.get(group)
    if not msgs:
        pytest.skip(f"no {group} messages captured")
    n = MUTATED_CASES // 4
    rng = random.Random(f"{SEED}-{group}")
    failures = Failures()
    others = [m for ms in corpus.values() for m in ms]
    started = time.monotonic()
    for i in range(n):
        failures.run(mutate(rng, rng.choice(msgs), others), f"{group} case {i}")
    failures.check()
    assert time.monotonic() - started < 120  # only a guard against a runaway loop


def test_random_datagrams_with_valid_framing() -> None:
    """Random payloads behind valid netlink headers of every known type."""
    rng = random.Random(SEED)
    failures = Failures()
    types = list(MESSAGE_TYPES) + [C.NLMSG_NOOP, C.NLMSG_OVERRUN, 999]
    for i in range(2000):
        parts = []
        for _ in range(rng.randint(1, 3)):
            body = bytes(rng.randrange(256) for _ in range(rng.choice([0, 3, 4, 8, 12, 16,
                                                                        20, 40, 100])))
            mtype = rng.choice(types)
            flags = rng.choice([0, C.NLM_F_MULTI, C.NLM_F_ACK_TLVS, C.NLM_F_CAPPED,
                                C.NLM_F_ACK_TLVS | C.NLM_F_CAPPED, rng.randrange(1 << 16)])
            parts.append(S.NLMSGHDR.pack(16 + len(body), mtype, flags, i, 0) + body
                         + bytes(-len(body) & 3))
        failures.run(b"".join(parts), f"random case {i}")
    failures.check()


# -- hypothesis ---------------------------------------------------------------------------


@HYPO
@given(st.binary(max_size=300))
def test_hypothesis_raw_bytes(data: bytes) -> None:
    failures = Failures()
    failures.run(data)
    failures.check()


def _attr(atype: int, payload: bytes) -> bytes:
    return S.nlattr(atype, payload)


attr_type = st.one_of(st.integers(0, 70), st.integers(0, 0xFFFF))
leaf = st.builds(_attr, attr_type, st.one_of(
    st.binary(max_size=24),
    st.sampled_from([b"", b"\0", b"\x01\x00", b"\xff" * 4, b"\0" * 6, b"\x01" * 8,
                     b"veth\0", b"bridge\0", b"vxlan\0", b"macvlan\0", b"bridge\0\0\0",
                     bytes(16), bytes(96), bytes(192)])))
trees = st.recursive(
    st.lists(leaf, max_size=4).map(b"".join),
    lambda children: st.lists(st.builds(_attr, attr_type, children), min_size=1,
                              max_size=4).map(b"".join),
    max_leaves=24,
)


@st.composite
def structured_messages(draw: st.DrawFn) -> bytes:
    mtype = draw(st.sampled_from(sorted(MESSAGE_TYPES)))
    _cls, spec, _table = MESSAGE_TYPES[mtype]
    header = draw(st.binary(min_size=spec.size, max_size=spec.size))
    flags = draw(st.sampled_from([0, C.NLM_F_ACK_TLVS, C.NLM_F_ACK_TLVS | C.NLM_F_CAPPED]))
    if mtype == C.NLMSG_ERROR:  # an echoed request header before the TLVs
        header += draw(st.binary(min_size=16, max_size=16))
    body = header + draw(trees)
    return S.NLMSGHDR.pack(16 + len(body), mtype, flags, 1, 0) + body


@HYPO
@given(structured_messages())
def test_hypothesis_attribute_trees(data: bytes) -> None:
    failures = Failures()
    failures.run(data)
    failures.check()


@st.composite
def typed_messages(draw: st.DrawFn) -> bytes:
    """Attributes with the types the tables know, so each kind's decoder sees junk."""
    mtype = draw(st.sampled_from(sorted(t for t in MESSAGE_TYPES if t >= 16)))
    spec, table = MESSAGE_TYPES[mtype][1], MESSAGE_TYPES[mtype][2]
    rows = sorted(table.by_type)
    attrs = []
    for _ in range(draw(st.integers(1, 6))):
        atype = draw(st.sampled_from(rows))
        attrs.append(_attr(atype, draw(st.one_of(st.binary(max_size=40), trees))))
    body = bytes(spec.size) + b"".join(attrs)
    return S.NLMSGHDR.pack(16 + len(body), mtype, 0, 1, 0) + body


@HYPO
@given(typed_messages())
def test_hypothesis_typed_attributes(data: bytes) -> None:
    failures = Failures()
    failures.run(data)
    failures.check()


# -- regressions: inputs that once crashed the decoder ------------------------------------

REGRESSIONS = {
    # NLMSG_DONE without its error word: .code raised KeyError
    "done-without-error-word": S.NLMSGHDR.pack(16, C.NLMSG_DONE, C.NLM_F_MULTI, 1, 0),
    # error codes no C int holds: text() raised OverflowError from os.strerror
    "error-int-min": S.NLMSGHDR.pack(20, C.NLMSG_ERROR, 0, 1, 0) + struct.pack("=i", -2**31),
    # the same as a DONE
    "done-int-min": S.NLMSGHDR.pack(20, C.NLMSG_DONE, 0, 1, 0) + struct.pack("=i", -2**31),
}


@pytest.mark.parametrize("name", list(REGRESSIONS))
def test_regression(name: str) -> None:
    decode_all(REGRESSIONS[name])
