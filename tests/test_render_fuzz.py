"""Fuzzing the renderers: odd but decodable messages never crash them.

Random and mutated real datagrams (the corpus and mutations of support/mutations.py) go through
every renderer of ``commands.render``: ip -j JSON, -br lines, tables and the selectors, for
links, addresses, routes, neighbours and rules, with and without -d/-s. The codec may refuse
a message (DecodeError, which the callers report); anything else is a renderer bug, shown
with the input as hex. A live monitor renders kernel events one by one: one strange event
must not end it.

Deterministic: fixed seeds.
"""

from __future__ import annotations

import random
import struct
import traceback
from collections.abc import Callable
from typing import Any

import pytest
from support import samples as S
from support.mutations import encoded_corpus, mutate

from nlshell.commands import render as R
from nlshell.commands.context import Options
from nlshell.commands.render.address import addr_info
from nlshell.commands.render.iptext import address as iptext_address
from nlshell.commands.render.iptext import link as iptext_link
from nlshell.commands.render.link import link_entry
from nlshell.engine.codec import DecodeError, parse
from nlshell.engine.codec import constants as C
from nlshell.engine.codec.message import MESSAGE_TYPES

SEED = 0x72656E64  # "rend"
MUTATED_CASES = 3000
RANDOM_CASES = 1500


_IP_TEXT = [Options(output="ip"), Options(output="ip", oneline=True, human=True, iec=True),
            Options(output="ip", brief=True)]


def _contexts(links: list[Any]) -> list[Any]:
    return [R.RenderContext(links), R.RenderContext(links, details=True, stats=2),
            R.RenderContext(links, numeric=True, stats=1)]


def _link(m: Any, ctx: Any) -> None:
    link_entry(m, ctx, view="link")
    link_entry(m, ctx, view="addr", family=C.AF_INET)
    R.link_json([m], ctx)
    R.link_brief([m], ctx, color=True)
    R.link_table([m], ctx, color=True)
    R.LinkQuery(up=True, type="bridge_slave", group="default").select([m], ctx)
    R.AddressQuery().links(_with(ctx, m))
    for opts in _IP_TEXT:  # ip's own text (--output ip)
        list(iptext_link.lines([m], ctx, opts))


def _with(ctx: Any, m: Any) -> Any:
    """The context with ``m`` among its links (addresses are grouped under links)."""
    return R.RenderContext([*ctx.links, m], details=ctx.details, stats=ctx.stats,
                           numeric=ctx.numeric)


def _address(m: Any, ctx: Any) -> None:
    addr_info(m, ctx)
    R.address_json([m], ctx)
    R.address_brief([m], ctx, color=True)
    R.address_table([m], ctx, color=True)
    for q in (R.AddressQuery(), R.AddressQuery(scope="link", label="*", to="10.0.0.0/8")):
        q.select([m], ctx)
        R.address_json([m], ctx, q)
        for opts in _IP_TEXT:
            list(iptext_address.lines([m], ctx, opts, q))


def _route(m: Any, ctx: Any) -> None:
    R.route_json([m], ctx)
    R.route_table([m], ctx, color=True)
    for q in (R.RouteQuery(table="all"), R.RouteQuery(table="cache", family="inet6"),
              R.RouteQuery(table="all", root="10.0.0.0/8", via="192.0.2.1", src="192.0.2.2",
                           proto="kernel", dev=1, metric=0)):
        sel = q.select([m], ctx)
        R.route_json(sel, ctx, q.hidden)


def _neighbour(m: Any, ctx: Any) -> None:
    R.neighbour_json([m], ctx)
    R.neighbour_brief([m], ctx, color=True)
    R.neighbour_table([m], ctx, color=True)
    for q in (R.NeighbourQuery(nud="all"), R.NeighbourQuery(to="2001:db8::/32", proxy=True)):
        q.select([m], ctx)


def _rule(m: Any, ctx: Any) -> None:
    R.rule_json([m], ctx)
    R.rule_table([m], ctx, color=True)
    for q in (R.RuleQuery(), R.RuleQuery(family="inet6", table="main", src="2001:db8::/32")):
        q.select([m], ctx)


RENDERERS: dict[int, Callable[[Any, Any], None]] = {
    C.RTM_NEWLINK: _link, C.RTM_DELLINK: _link,
    C.RTM_NEWADDR: _address, C.RTM_DELADDR: _address,
    C.RTM_NEWROUTE: _route, C.RTM_DELROUTE: _route,
    C.RTM_NEWNEIGH: _neighbour, C.RTM_DELNEIGH: _neighbour, C.RTM_GETNEIGH: _neighbour,
    C.RTM_NEWRULE: _rule, C.RTM_DELRULE: _rule,
}


def render_all(data: bytes, links: list[Any]) -> None:
    """Parse and render every message every way; DecodeError is the one allowed failure."""
    try:
        msgs = parse(data)
    except DecodeError:
        return
    for m in msgs:
        fn = RENDERERS.get(m.type)
        if fn is None:
            continue
        for ctx in _contexts(links):
            try:
                fn(m, ctx)
            except DecodeError:
                pass


class Failures:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.kinds: set[str] = set()

    def run(self, data: bytes, links: list[Any], label: str) -> None:
        try:
            render_all(data, links)
        except Exception as exc:  # everything but DecodeError is a renderer bug
            tb = traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:]
            self.kinds.add(f"{type(exc).__name__} at {tb[0].strip()}")
            self.items.append(f"{label}: {type(exc).__name__}: {exc}\n"
                              f"  input: {data.hex()}\n  " + "  ".join(tb))

    def check(self) -> None:
        if self.items:
            pytest.fail(f"{len(self.items)} inputs crashed a renderer ({len(self.kinds)} "
                        f"places), first ones:\n\n" + "\n\n".join(self.items[:5]),
                        pytrace=False)


@pytest.fixture(scope="module")
def corpus() -> list[bytes]:
    """Single real messages of every object kind (kernel dumps in a rich namespace), plus
    the table-built ones."""
    capture = S.kernel_capture()
    real = [m for label, datagrams in capture.dumps.items() for d in datagrams
            for m in S.split_messages(d)]
    return [m for m in real + encoded_corpus()
            if len(m) >= 16 and struct.unpack_from("=H", m, 4)[0] in RENDERERS]


@pytest.fixture(scope="module")
def links(corpus: list[bytes]) -> list[Any]:
    return [m for d in corpus for m in parse(d) if m.type == C.RTM_NEWLINK]


def test_corpus_renders(corpus: list[bytes], links: list[Any]) -> None:
    kinds = {struct.unpack_from("=H", m, 4)[0] for m in corpus}
    assert {C.RTM_NEWLINK, C.RTM_NEWADDR, C.RTM_NEWROUTE, C.RTM_NEWRULE} <= kinds
    failures = Failures()
    for i, m in enumerate(corpus):
        failures.run(m, links, f"corpus {i}")
    failures.check()


def test_mutated_messages_render(corpus: list[bytes], links: list[Any]) -> None:
    rng = random.Random(SEED)
    failures = Failures()
    for i in range(MUTATED_CASES):
        failures.run(mutate(rng, rng.choice(corpus), corpus), links, f"mutated case {i}")
    failures.check()


def test_random_bodies_render(links: list[Any]) -> None:
    """Random fixed headers and attributes of the types each table knows."""
    rng = random.Random(SEED + 1)
    failures = Failures()
    types = sorted(RENDERERS)
    for i in range(RANDOM_CASES):
        mtype = rng.choice(types)
        _cls, spec, table = MESSAGE_TYPES[mtype]
        body = bytes(rng.randrange(256) for _ in range(spec.size))
        for _ in range(rng.randint(1, 6)):
            atype = rng.choice(sorted(table.by_type))
            size = rng.choice([0, 1, 2, 3, 4, 6, 8, 12, 16, 20, 40, rng.randrange(80)])
            body += S.nlattr(atype, bytes(rng.randrange(256) for _ in range(size)))
        failures.run(S.NLMSGHDR.pack(16 + len(body), mtype, 0, i, 0) + body, links,
                     f"random case {i}")
    failures.check()


# -- the defects the fuzzing found, as plain cases ------------------------------------------


def _message(mtype: int, fields: dict, attrs: list[tuple[int, bytes]]) -> Any:
    _cls, spec, _table = MESSAGE_TYPES[mtype]
    body = spec.pack(fields) + b"".join(S.nlattr(t, p) for t, p in attrs)
    (m,) = parse(S.NLMSGHDR.pack(16 + len(body), mtype, 0, 1, 0) + body)
    return m


def test_address_cacheinfo_without_valid_lifetime() -> None:
    # IFA_CACHEINFO of 4 bytes: ifa_preferred only (the codec decodes the fields that fit)
    m = _message(C.RTM_NEWADDR, {"family": C.AF_INET, "prefixlen": 24, "index": 1},
                 [(2, bytes([192, 0, 2, 1])), (6, struct.pack("=I", 100))])
    info = addr_info(m, R.RenderContext(()))
    assert info["local"] == "192.0.2.1" and "valid_life_time" not in info
    assert info["preferred_life_time"] == 100


def test_rule_with_a_short_port_range() -> None:
    # FRA_SPORT_RANGE of 2 bytes: the start only
    m = _message(C.RTM_NEWRULE, {"family": C.AF_INET, "table": 254, "action": 1},
                 [(6, struct.pack("=I", 100)), (23, struct.pack("=H", 80))])
    (entry,) = R.rule_json([m], R.RenderContext(()))
    assert entry["sport"] == 80
