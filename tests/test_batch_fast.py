"""The quick batch path sends what the slow one would: `route_add_message` (the batch's
builder for ``route add``) gives the very bytes of `route_add_request`'s Request whenever
it encodes by itself, the runner parses batch lines with the shape cache, and a failing
line still leaves exactly the lines before it applied."""

from __future__ import annotations

from support import iporacle, nlrun, testns

from nlshell.commands.context import Context, Options
from nlshell.commands.parser import parse
from nlshell.commands.route import route_add_message, route_add_request
from nlshell.engine.codec import constants as C
from nlshell.engine.codec.message import encode

pytestmark = testns.requires_root

LINES = [
    "route add 10.0.0.0/24 via 192.0.2.254",
    "route add 10.0.0.1/32 dev v0",
    "route add 10.0.0.1 dev v0",
    "route add 10.0.0.0/24 via 192.0.2.254 dev v0",
    "route add 10.0.0.0/24 via 192.0.2.254 metric 7",
    "route add 10.0.0.0/24 dev v0 metric 0 table 100",
    "route add 10.0.0.0/24 dev v0 table 1000",
    "route add 10.0.0.0/24 dev v0 table main",
    "route add 10.0.0.0/24",  # no device, no gateway: scope link kept, general path
    "route add 10.0.0.0/24 dev v0 scope host",
    "route add 10.0.0.0/24 via 192.0.2.254 scope link",
    "route add 10.0.0.0/24 via 192.0.2.254 dev v0 onlink",
    "route add 10.0.0.0/24 dev v0 proto static",
    "route add 10.0.0.0/24 dev v0 mtu 1400",
    "route add blackhole 10.0.0.0/24",
    "route add unicast 10.0.0.0/24 dev v0",
    "route add local 10.0.0.1 dev v0",
    "route add default via 192.0.2.254",
    "route add 0.0.0.0/0 via 192.0.2.254",
    "route add 2001:db8:5::/64 via 2001:db8:1::2",
    "route add 2001:db8:5::/64 dev v0",
    "route add 2001:db8:5::1 dev v0 metric 5",
    "-6 route add 2001:db8:5::/64 dev v0",
    "-4 route add 10.0.0.0/24 dev v0",
    "route add 10.0.0.0/24 via 2001:db8:1::2",
    "route add 10.0.0.0/24 nexthop via 192.0.2.2 nexthop via 192.0.2.3",
    "route add 10.0.0.0/24 src 192.0.2.1 dev v0",
]


def test_route_add_message_is_route_add_request(vns: str) -> None:
    ctx = Context(netns=vns)
    fast = 0
    try:
        for line in LINES:
            inv = parse(line)
            ctx.opts = Options().with_family(inv.family)
            req = route_add_request(ctx, inv)
            got = route_add_message(ctx, inv)
            if isinstance(got, bytes):
                fast += 1
                assert got == encode(req.msg_type, req.flags | C.NLM_F_REQUEST, 0,
                                     req.fields, req.attrs), line
            else:
                assert got == req, line
    finally:
        ctx.close()
    assert fast >= 10  # the common shapes take the quick encoder


def run(ns: str, text: str, force: bool = False) -> tuple[int, str]:
    code, _out, err = nlrun.nl_batch(ns, text, force=force)
    return code, err


def test_batch_of_each_shape_applies_as_ip_would(vns: str, ns2: str) -> None:
    # the same batch through nlshell and through ip -batch: the same routes
    iporacle.batch(ns2, iporacle.VETH_V0)
    lines = []
    for i in range(250):
        lines.append(f"route add 10.1.{i}.0/24 via 192.0.2.{i % 50 + 2}")
        lines.append(f"route add 10.2.{i}.1 dev v0 metric {i}")
        lines.append(f"route add 2001:db8:{i:x}::/64 via 2001:db8:1::2")
    text = "\n".join(lines) + "\n"
    assert run(vns, text) == (0, "")
    iporacle.batch(ns2, text)
    for args in ((), ("-6",)):
        mine = iporacle.ipj(vns, *args, "route", "show", "table", "all")
        theirs = iporacle.ipj(ns2, *args, "route", "show", "table", "all")
        key = lambda r: (r["dst"], r.get("metric", 0), r.get("table", ""))  # noqa: E731
        strip = [dict(r, flags=[]) for r in sorted(mine, key=key)
                 if not r["dst"].startswith("fe80") and r.get("type") != "multicast"]
        want = [dict(r, flags=[]) for r in sorted(theirs, key=key)
                if not r["dst"].startswith("fe80") and r.get("type") != "multicast"]
        assert strip == want


def test_failure_late_in_a_big_run_undoes_the_lines_after_it(vns: str) -> None:
    lines = [f"route add 10.3.{i >> 8}.{i & 255}/32 dev v0" for i in range(3000)]
    lines[2500] = "route add 10.3.0.7/32 dev v0"  # already there: File exists
    status, err = run(vns, "\n".join(lines) + "\n")
    assert status == 2 and err == "b:2501: RTNETLINK answers: File exists\n", err
    got = {d for d in iporacle.route_dsts(vns) if d.startswith("10.3.")}
    assert len(got) == 2500
    assert f"10.3.{2499 >> 8}.{2499 & 255}" in got and f"10.3.{2501 >> 8}.{2501 & 255}" not in got


def test_parse_error_after_shapes_were_learned(vns: str) -> None:
    lines = [f"route add 10.4.{i}.0/24 dev v0" for i in range(20)]
    lines[12] = "route add 10.4.300.0/24 dev v0"
    status, err = run(vns, "\n".join(lines) + "\n")
    assert status == 1 and err.startswith("b:13: Error: invalid prefix '10.4.300.0/24'"), err
    got = {d for d in iporacle.route_dsts(vns) if d.startswith("10.4.")}
    assert got == {f"10.4.{i}.0/24" for i in range(12)}
    more = [line.replace("10.4.", "10.5.") for line in lines]
    status, err = run(vns, "\n".join(more) + "\n", force=True)
    assert status == 1 and err.startswith("b:13: Error: invalid prefix '10.5.300.0/24'"), err
    assert err.count("\n") == 1
    got = {d for d in iporacle.route_dsts(vns) if d.startswith("10.5.")}
    assert got == {f"10.5.{i}.0/24" for i in range(20) if i != 12}
