"""The template path of `route show` (render.route_shapes over codec.runs) prints what the
general path prints, route for route, in the table, ip -j and ip's text: for routes of every
type, both families, metrics, multipath, nexthop objects, other tables, and values that vary
inside a run (destination and its length, gateway, device, preferred source, metric) or that
must send a run the general way (metrics, protocol). A device name that JSON escapes, and
more rows than the table's first window, are in it too."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import pytest
from support.nlrun import nl
from support.testns import netns_with

ODD = 'q"\\x'  # a device name JSON has to escape


def _setup() -> str:
    lines = ["link add v0 type veth peer name v1", "link set v0 up", "link set v1 up",
             f"link set v1 name '{ODD}'", f"link set '{ODD}' up",
             "addr add 10.0.0.1/24 dev v0", "addr add 10.0.0.3/24 dev v0",
             f"addr add 10.0.1.1/24 dev '{ODD}'", "addr add 2001:db8::1/64 dev v0 nodad",
             "nexthop add id 1 via 10.0.0.2 dev v0"]
    for i in range(40):
        lines += [
            f"route add 10.1.{i}.0/24 dev v0",
            f"route add 10.2.{i}.0/24 via 10.0.0.2",
            f"route add 10.3.{i}.0/24 via 10.0.0.{2 + i % 3}",
            f"route add 10.4.{i}.0/24 dev {'v0' if i % 2 else chr(39) + ODD + chr(39)}",
            f"route add 10.5.{i}.0/24 via 10.0.0.2 metric {i}",
            f"route add 10.6.{i}.0/{24 + i % 3} dev v0",
            f"route add 10.7.{i}.0/24 dev v0 src 10.0.0.{1 + 2 * (i % 2)}",
            f"route add blackhole 10.8.{i}.0/24",
            f"route add unreachable 10.9.{i}.0/24",
            f"route add prohibit 10.10.{i}.0/24",
            f"route add throw 10.11.{i}.0/24",
            f"route add 10.12.{i}.0/24 via 10.0.0.2 mtu lock 1400 rtt 100ms",
            f"route add 10.13.{i}.0/24 via 10.0.0.2 mtu {1000 + i}",
            f"route add 10.14.{i}.0/24 nexthop via 10.0.0.2 dev v0 nexthop via 10.0.1.2",
            f"route add 10.15.{i}.0/24 via 10.0.0.2 tos 0x10",
            f"route add 10.16.{i}.0/24 nhid 1",
            f"route add 10.17.{i}.0/24 dev v0 table 100",
            f"route add local 10.18.{i}.1 dev v0 table local",
            f"route add 10.19.{i}.0/24 dev v0 proto {10 + i}",
            f"route add 10.20.0.{i} dev v0",
            f"route add 2001:db8:1:{i:x}::/64 dev v0",
            f"route add 2001:db8:2:{i:x}::/64 via 2001:db8::2 metric {i}",
            f"route add 2001:db8:3:{i:x}::/64 via 2001:db8::2 pref high",
            f"route add blackhole 2001:db8:4:{i:x}::/64",
            f"route add 10.100.{i}.128/25 dev v0",  # wider than the first rows' column
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def many() -> Iterator[str]:
    with netns_with(_setup()) as name:
        yield name


CASES = [("route show", {}), ("route show", {"json": True}), ("route show", {"output": "ip"}),
         ("route show table all", {}), ("route show table all", {"json": True}),
         ("route show table all", {"output": "ip"}), ("route show", {"details": True}),
         ("route show", {"details": True, "json": True}),
         ("route show", {"details": True, "output": "ip"}),
         ("route show table all", {"numeric": True, "output": "ip"}),
         ("route show", {"family": 10}), ("route show", {"family": 10, "json": True}),
         ("route show", {"family": 10, "output": "ip"}),
         ("route show table 100", {"output": "ip"}), ("route show table local", {}),
         ("route show", {"oneline": True, "output": "ip"}),
         ("route show", {"oneline": True, "details": True, "output": "ip"}),
         ("route show table all", {"numeric": True, "details": True})]


@pytest.mark.parametrize(("line", "opts"), CASES)
def test_template_path_equals_general(many: str, line: str, opts: dict,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import nlshell.commands.streams as streams

    fast = nl(many, line, **opts)
    monkeypatch.setattr(streams, "runs_fit", lambda o: False)
    general = nl(many, line, **opts)
    assert fast.code == 0 and fast.err == ""
    assert len(fast.out) > 700
    assert fast.out == general.out


def test_table_lines_after_the_window(many: str) -> None:
    """The table's later lines (past its first rows) come from the template path and are
    laid out as the first rows settled the columns; a wider value is written whole."""
    out = nl(many, "route show").out.splitlines()
    assert len(out) > 700
    wide = [line.split() for line in out if "10.100." in line]
    assert len(wide) == 40 and all(w[1:] == ["v0", "link"] for w in wide)
    assert len(out[1].split()[1]) < len("10.100.39.128/25")  # DESTINATION's dashes


def test_runs_take_the_common_shapes(many: str) -> None:
    """The dump of the main table comes mostly as runs (the template path is used)."""
    from nlshell import IPRoute

    with IPRoute(netns=many) as ipr:
        runs = [r for b in ipr.kernel_dump_iter("route", {"family": 2}, [("table", 254)],
                                                runs=True) for r in b]
    long = [r for r in runs if r.n > 1]
    assert sum(r.n for r in long) > 300
    assert {"RTA_DST"} in [set(r.varying) for r in long]
    assert any("RTA_GATEWAY" in r.varying for r in long)
    assert any("RTA_OIF" in r.varying for r in long)
    assert any("RTA_PRIORITY" in r.varying for r in long)


def test_run_columns_equal_each_message(many: str) -> None:
    """A run's columns are each message's own values."""
    from nlshell import IPRoute

    with IPRoute(netns=many) as ipr:
        runs = [r for b in ipr.kernel_dump_iter("route", {"family": 0}, runs=True) for r in b]
    assert runs
    for r in runs:
        views = r.views()
        assert len(views) == r.n
        for name in ("RTA_DST", "RTA_GATEWAY", "RTA_OIF", "RTA_PRIORITY", "RTA_PREFSRC",
                     "dst_len", "family", "type"):
            want = [m.get(name) if name.startswith("RTA_") else m[name] for m in views]
            assert r.column(name) == want, name
        for name in set(_FIELDS) - set(r.varying):
            vals = [m.get(name) if name.startswith("RTA_") else m[name] for m in views]
            if r.n > 1 and name != "RTA_MULTIPATH" and name != "RTA_METRICS":
                assert all(v == vals[0] for v in vals), name


_FIELDS = ("RTA_DST", "RTA_GATEWAY", "RTA_OIF", "RTA_PRIORITY", "RTA_PREFSRC", "RTA_TABLE",
           "dst_len", "family", "type", "proto", "scope", "tos", "flags")


def _route(seq: int, dst: bytes, oif: int, flags: int = 0x2) -> bytes:
    body = struct.pack("=BBBBBBBBI", 2, 32, 0, 0, 254, 3, 253, 1, 0)
    body += struct.pack("=HHI", 8, 15, 254) + struct.pack("=HH4s", 8, 1, dst)
    body += struct.pack("=HHI", 8, 4, oif)
    return struct.pack("=IHHII", 16 + len(body), 24, flags, seq, 77) + body


def test_skim_splits_where_the_shape_changes() -> None:
    """A message whose header differs (DUMP_INTR) or whose values vary ends or joins a run
    as it should; a message of another dump ends the skim."""
    from nlshell.engine.codec.runs import skim

    msgs = [_route(5, bytes([10, 0, 0, i]), 2) for i in range(6)]
    msgs += [_route(5, bytes([10, 0, 1, 0]), 2, flags=0x2 | 0x10)]  # NLM_F_DUMP_INTR
    msgs += [_route(5, bytes([10, 0, 2, i]), 2 + i % 2) for i in range(5)]
    msgs += [_route(6, bytes([10, 0, 3, 0]), 2)]  # another request's
    data = b"".join(msgs)
    out: list = []
    off, intr = skim(data, 0, 5, 77, out)
    assert off == len(data) - len(msgs[-1]) and intr
    assert [r.n for r in out] == [6, 1, 5]
    assert out[0].varying == {"RTA_DST"} and out[2].varying == {"RTA_DST", "RTA_OIF"}
    assert out[0].column("RTA_DST") == [f"10.0.0.{i}" for i in range(6)]
    assert out[2].column("RTA_OIF") == [2, 3, 2, 3, 2]


def test_skim_full_reads_each_message_whole() -> None:
    """``full`` (a socket tagging messages with their nsid): one message per run, read as
    the codec's full message."""
    from nlshell.engine.codec.runs import skim

    data = b"".join(_route(5, bytes([10, 0, 0, i]), 2) for i in range(6))
    out: list = []
    assert skim(data, 0, 5, 77, out, full=True) == (len(data), False)
    assert [r.n for r in out] == [1] * 6
    assert [r.views()[0].get("RTA_DST") for r in out] == [f"10.0.0.{i}" for i in range(6)]


def _random_route(rng: Any, seq: int) -> bytes:
    """A route message of one of a few shapes, values drawn at random (few distinct ones,
    so runs form and break)."""
    fam_v6 = rng.random() < 0.2
    size = 16 if fam_v6 else 4
    dst_len = rng.choice([24, 25, 32] if not fam_v6 else [48, 64, 128])
    hdr = struct.pack("=BBBBBBBBI", 10 if fam_v6 else 2, dst_len, 0, rng.choice([0, 0, 16]),
                      254, rng.choice([3, 3, 4]), rng.choice([0, 253]), rng.choice([1, 1, 6]),
                      rng.choice([0, 0, 4]))
    attrs = struct.pack("=HHI", 8, 15, 254)
    attrs += struct.pack("=HH", 4 + size, 1) + bytes(rng.randrange(4) for _ in range(size))
    if rng.random() < 0.5:
        attrs += struct.pack("=HH", 4 + size, 5) + bytes(rng.randrange(3) for _ in range(size))
    attrs += struct.pack("=HHI", 8, 4, rng.choice([2, 2, 3]))
    if rng.random() < 0.5:
        attrs += struct.pack("=HHI", 8, 6, rng.choice([0, 20, 20, 100]))
    body = hdr + attrs
    return struct.pack("=IHHII", 16 + len(body), 24, 2, seq, 77) + body


def test_skim_fuzz_runs_hold_what_the_messages_say() -> None:
    """Random datagrams of route messages: the runs cover every message in order; a field
    a run says does not vary is the same in all its messages, and the columns of the
    varying ones are each message's values."""
    import random

    from nlshell.engine.codec.runs import skim

    rng = random.Random(1312)
    for _ in range(300):
        shape = [_random_route(rng, 9) for _ in range(rng.randrange(1, 5))]
        msgs = [rng.choice(shape) if rng.random() < 0.8 else _random_route(rng, 9)
                for _ in range(rng.randrange(1, 60))]
        data = b"".join(msgs)
        out: list = []
        assert skim(data, 0, 9, 77, out)[0] == len(data)
        views = [v for r in out for v in r.views()]
        assert [v.raw() for v in views] == msgs
        for r in out:
            mine = r.views()
            for name in _FIELDS:
                want = [m.get(name) if name.startswith("RTA_") else m[name] for m in mine]
                if name in r.varying or name == "dst_len" and "dst_len" in r.varying:
                    assert r.column(name) == want, name
                else:
                    assert all(w == want[0] for w in want), (name, r.varying)
                    assert r.column(name) == want, name
        # equal keys: equal values of every field that does not vary (templates rely on it)
        by_key: dict = {}
        for r in out:
            if r.n > 1:
                by_key.setdefault((r.key(), r.varying), []).append(r.first())
        for (_key, varying), firsts in by_key.items():
            for name in set(_FIELDS) - set(varying):
                vals = {m.get(name) if name.startswith("RTA_") else m[name] for m in firsts}
                assert len(vals) == 1, name
