"""fastparse's byte templates (the batch fast path): whenever a template builds a line's
message, it is byte for byte what the general path (parse + the bulk builder) builds; a
line that does not fit its template goes to the general path; and a batch run through
templates leaves the namespace as ip -batch does (test_batch_fast.py has the ip twins)."""

from __future__ import annotations

import random

import pytest
from support import iporacle, nlrun, testns

from nlshell.commands.context import Context, Options
from nlshell.commands.fastparse import ByteTemplates
from nlshell.commands.parser import parse
from nlshell.commands.route import route_add_message

pytestmark = testns.requires_root

# shapes (with {} for an IPv4 address, {p} for a prefix's address) the templates may take
SHAPES = [
    "route add {p}/24 via {}",
    "route add {p}/32 dev v0",
    "route add {} dev v0",
    "route add {p}/16 via {} dev v0",
    "route add {p}/24 via {} metric 7",
    "route add {p}/24 dev v0 metric 0 table 100",
    "route add {p}/24 dev v0 table 1000",
    "route add {p}/8 dev v0 table main",
    "route add {p}/0 via {}",
    "route add {p}/24 via {} onlink dev v0",
    "route add {p}/24 dev v0 proto static",
    "route add {p}/24 dev v0 scope host",
    "route add {p}/24 src {} dev v0",
    "route add {p}/24 nexthop via {} nexthop via {}",
    "route add {p}/30   via\t{}",
]


def _v4(rng: random.Random) -> str:
    return ".".join(str(rng.randrange(256)) for _ in range(4))


def _line(shape: str, rng: random.Random) -> str:
    out = shape
    while "{p}" in out or "{}" in out:
        out = out.replace("{p}", _v4(rng), 1) if "{p}" in out else out.replace("{}", _v4(rng), 1)
    return out


@pytest.fixture
def general(vns: str):
    ctx = Context(netns=vns)
    ctx.opts = Options()
    try:
        yield lambda text: route_add_message(ctx, parse(text))
    finally:
        ctx.close()


def test_templates_build_what_the_general_path_builds(general) -> None:
    rng = random.Random(13)
    templated = 0
    for shape in SHAPES:
        templates = ByteTemplates()
        first = _line(shape, rng)
        raw = general(first)
        templates.learn(first, parse(first), raw, general)
        for _ in range(60):
            line = _line(shape, rng)
            got = templates.build(line)
            if got is not None:
                templated += 1
                assert got == general(line), line
    assert templated >= 60 * 10  # most shapes take a template


@pytest.mark.parametrize("line", [
    "route add 10.1.2.0/25 via 192.0.2.9",     # another prefix length
    "route add 10.1.2.0/024 via 192.0.2.9",    # not canonical
    "route add 010.1.2.0/24 via 192.0.2.9",
    "route add 10.1.2.0/24 via 192.0.2.09",
    "route add 10.1.2.0/24 via 2001:db8::1",
    "route add 10.1.2.0/24 via 192.0.2.9 metric 1",
    "route add 10.1.2.0/24 via '192.0.2.9'",
    "route add 10.1.2.0/24 via 192.0.2.9\x1f",
    "route add 10.1.2.0/24 via 192.0.2.９",
    "-4 route add 10.1.2.0/24 via 192.0.2.9",
    "route add 10.1.2.0/24 via 192.0.2.256",
    "ro add 10.1.2.0/24 via 192.0.2.9",
])
def test_lines_off_the_template_take_the_general_path(general, line: str) -> None:
    templates = ByteTemplates()
    first = "route add 10.0.0.0/24 via 192.0.2.1"
    templates.learn(first, parse(first), general(first), general)
    assert templates.build("route add 10.0.9.0/24 via 192.0.2.7") is not None
    assert templates.build(line) is None


def test_no_template_for_a_value_dependent_message(general) -> None:
    # a probe whose message differs elsewhere than in the address (here: none is bytes)
    templates = ByteTemplates()
    first = "route add 10.0.0.0/24 nexthop via 192.0.2.2 nexthop via 192.0.2.3"
    templates.learn(first, parse(first), general(first), general)
    assert templates.by_key == {}
    calls = []

    def flaky(text: str) -> bytes:
        calls.append(text)
        return general(text)[:-1] + b"\x01"  # a byte outside the address changes

    first = "route add 10.0.0.0/24 via 192.0.2.1"
    templates.learn(first, parse(first), general(first), flaky)
    assert calls and templates.by_key == {}


def test_batch_through_templates_matches_ip(vns: str, ns2: str) -> None:
    iporacle.batch(ns2, iporacle.VETH_V0)
    rng = random.Random(7)
    lines = []
    for i in range(3000):
        lines.append(f"route add 10.{rng.randrange(1, 200)}.{i >> 8}.{i & 255}/32 "
                     f"via 192.0.2.{i % 200 + 2}")
        if i % 500 == 0:
            lines.append(f"route add 10.250.{i >> 8}.0/24 dev v0 metric {i}")
    text = "\n".join(dict.fromkeys(lines)) + "\n"
    code, _out, err = nlrun.nl_batch(vns, text)
    assert (code, err) == (0, "")
    iporacle.batch(ns2, text)
    mine = iporacle.ipj(vns, "-4", "route", "show", "table", "all")
    theirs = iporacle.ipj(ns2, "-4", "route", "show", "table", "all")
    key = lambda r: (r["dst"], r.get("metric", 0), r.get("table", ""))  # noqa: E731
    assert sorted(mine, key=key) == sorted(theirs, key=key)


def test_a_command_between_templated_lines_clears_the_templates(vns: str) -> None:
    lines = [f"route add 10.61.{i}.0/24 dev v1" for i in range(50)]
    lines.append("link set dev v1 name v7")
    lines += [f"route add 10.62.{i}.0/24 dev v1" for i in range(5)]
    code, _out, err = nlrun.nl_batch(vns, "\n".join(lines) + "\n")
    assert code == 1 and err == 'b:52: Cannot find device "v1"\n', err
    got = {d for d in iporacle.route_dsts(vns) if d.startswith("10.6")}
    assert got == {f"10.61.{i}.0/24" for i in range(50)}


def test_kernel_error_on_a_templated_line_names_it(vns: str) -> None:
    lines = [f"route add 10.63.{i >> 8}.{i & 255}/32 dev v0" for i in range(5000)]
    lines[4321] = "route add 10.63.0.9/32 dev v0"  # added before: File exists
    code, _out, err = nlrun.nl_batch(vns, "\n".join(lines) + "\n")
    assert code == 2 and err == "b:4322: RTNETLINK answers: File exists\n", err
    got = {d for d in iporacle.route_dsts(vns) if d.startswith("10.63.")}
    assert len(got) == 4321


def test_a_failure_in_the_chunk_sent_by_the_thread_stops_the_batch_there(vns: str) -> None:
    # line 2000 fails in the first chunk (sent while chunk two is read): the lines after
    # it are undone or never sent, and only that line is reported
    lines = [f"route add 10.64.{i >> 8}.{i & 255}/32 dev v0" for i in range(9000)]
    lines[1999] = "route add 10.64.0.5/32 dev v0"
    code, _out, err = nlrun.nl_batch(vns, "\n".join(lines) + "\n")
    assert code == 2 and err == "b:2000: RTNETLINK answers: File exists\n", err
    got = {d for d in iporacle.route_dsts(vns) if d.startswith("10.64.")}
    assert len(got) == 1999


def test_force_reports_every_failure_in_line_order_across_chunks(vns: str) -> None:
    lines = [f"route add 10.65.{i >> 8}.{i & 255}/32 dev v0" for i in range(9000)]
    bad = [1999, 5000, 8999]
    for n in bad:
        lines[n] = "route add 10.65.0.5/32 dev v0"
    code, _out, err = nlrun.nl_batch(vns, "\n".join(lines) + "\n", force=True)
    assert code == 2
    assert err == "".join(f"b:{n + 1}: RTNETLINK answers: File exists\n" for n in bad), err
    got = {d for d in iporacle.route_dsts(vns) if d.startswith("10.65.")}
    assert len(got) == 9000 - len(bad)
