"""`-br` lines byte for byte against `ip -br` (plain and coloured), and the human tables."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from support import testns

from nlshell.commands.render import (
    NeighbourQuery,
    RenderContext,
    RouteQuery,
    RuleQuery,
    address_brief,
    address_table,
    link_brief,
    link_table,
    neighbour_brief,
    neighbour_table,
    route_table,
    rule_table,
)
from nlshell.engine.iproute import IPRoute

ANSI = re.compile(r"\x1b\[[0-9;]*m")

SETUP = """\
link add d0 type veth peer name d1
link add br0 type bridge
link set d1 master br0
link add ifb0 type ifb
link set d0 up
link set d1 up
link set br0 up
addr add 192.0.2.1/24 dev d0
addr add 2001:db8::1/64 dev d0 nodad
addr add 10.9.0.1 peer 10.9.0.2/32 dev br0
route add 10.0.2.0/24 nexthop via 192.0.2.253 weight 2 nexthop via 192.0.2.252
route add blackhole 10.0.3.0/24
route add 10.1.0.0/16 via 192.0.2.254 table 100 mtu 1300
neigh add 192.0.2.10 lladdr 02:00:00:00:00:10 dev d0 nud permanent
neigh add 2001:db8::10 lladdr 02:00:00:00:00:12 dev d0 nud stale router
rule add from 192.0.2.0/24 table 100 pref 100
rule add not fwmark 0x10/0xff pref 101 blackhole
"""


@pytest.fixture(scope="module")
def small() -> Iterator[str]:
    with testns.netns_with(SETUP) as name:
        yield name


def ip_text(ns: str, *args: str) -> str:
    return subprocess.run(["ip", "-n", ns, *args], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def same_as_ip(ns: str, render, args: list[str], *, sort: bool = False) -> None:
    """ip's text equals one of two renderings taken around it (operstates may settle)."""
    before = render()
    got = ip_text(ns, *args)
    after = render()
    if sort:
        before, got, after = ("".join(sorted(x.splitlines(True))) for x in (before, got, after))
    assert got in (before, after), f"ip {' '.join(args)}:\n{got!r}\nnlshell:\n{before!r}"


# --- -br, byte for byte --------------------------------------------------------------


@pytest.mark.requires_root
@pytest.mark.parametrize("color", [False, True], ids=["plain", "color"])
def test_link_brief(small: str, color: bool) -> None:
    with IPRoute(netns=small) as ipr:
        def render() -> str:
            links = ipr.get_links()
            return link_brief(links, RenderContext(links), color=color)

        same_as_ip(small, render, (["-c=always"] if color else []) + ["-br", "link"])


@pytest.mark.requires_root
@pytest.mark.parametrize("color", [False, True], ids=["plain", "color"])
def test_address_brief(small: str, color: bool) -> None:
    with IPRoute(netns=small) as ipr:
        def render() -> str:
            ctx = RenderContext(ipr.get_links())
            return address_brief(ipr.get_addr(), ctx, color=color)

        same_as_ip(small, render, (["-c=always"] if color else []) + ["-br", "addr"])


@pytest.mark.requires_root
@pytest.mark.parametrize("color", [False, True], ids=["plain", "color"])
def test_neighbour_brief(small: str, color: bool) -> None:
    with IPRoute(netns=small) as ipr:
        def render() -> str:
            ctx = RenderContext(ipr.get_links())
            q = NeighbourQuery()
            return neighbour_brief(q.select(ipr.get_neighbours(), ctx), ctx, q.hidden,
                                   color=color)

        same_as_ip(small, render, (["-c=always"] if color else []) + ["-br", "neigh"],
                   sort=True)


# --- tables --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dumps(small: str) -> dict:
    with IPRoute(netns=small) as ipr:
        return {"links": ipr.get_links(), "addrs": ipr.get_addr(),
                "routes": ipr.get_routes(), "neigh": ipr.get_neighbours(),
                "rules": ipr.get_rules()}


def _lines(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


@pytest.mark.requires_root
def test_link_table(dumps: dict) -> None:
    ctx = RenderContext(dumps["links"])
    text = link_table(dumps["links"], ctx)
    assert not ANSI.search(text)
    head = text.splitlines()[0].split()
    assert head[:4] == ["INDEX", "NAME", "STATE", "MTU"]
    assert "RX" not in head  # no -s, no statistics columns
    rows = {r[1]: r for r in _lines(text)[2:]}
    assert rows["d1@d0"][-1].endswith("MULTICAST") and "br0" in rows["d1@d0"]
    stats = link_table(dumps["links"], RenderContext(dumps["links"], stats=1, details=True))
    assert "RX BYTES" in stats and "KIND" in stats and "veth" in stats


@pytest.mark.requires_root
def test_colour_only_when_asked(dumps: dict) -> None:
    ctx = RenderContext(dumps["links"])
    coloured = link_table(dumps["links"], ctx, color=True)
    assert "\x1b[36md0@d1\x1b[0m" in coloured  # names cyan, as ip
    assert "\x1b[32mUP\x1b[0m" in coloured  # UP green
    assert re.search(r"\x1b\[31mDOWN\x1b\[0m", coloured)  # ifb0 is down: red
    assert ANSI.sub("", coloured).split() == link_table(dumps["links"], ctx).split()
    addrs = address_table(dumps["addrs"], ctx, color=True)
    assert "\x1b[35m192.0.2.1/24\x1b[0m" in addrs  # IPv4 magenta
    assert "\x1b[34m2001:db8::1/64\x1b[0m" in addrs  # IPv6 blue


@pytest.mark.requires_root
def test_address_table(dumps: dict) -> None:
    ctx = RenderContext(dumps["links"])
    rows = _lines(address_table(dumps["addrs"], ctx))
    assert rows[0][:4] == ["NAME", "STATE", "FAMILY", "ADDRESS"]
    flat = [" ".join(r) for r in rows]
    assert any("192.0.2.1/24" in r and r.startswith("d0@d1") for r in flat)
    assert any("10.9.0.1 peer 10.9.0.2/32" in r for r in flat)
    assert any(r.startswith("ifb0 DOWN") for r in flat)  # a link without addresses: a row


@pytest.mark.requires_root
def test_route_table(dumps: dict) -> None:
    ctx = RenderContext(dumps["links"])
    q = RouteQuery(table="all")
    text = route_table(q.select(dumps["routes"], ctx), ctx, q.hidden)
    assert re.search(r"192\.0\.2\.253 dev d0 weight 2\s*\n\s+192\.0\.2\.252 dev d0 weight 1", text)
    assert re.search(r"blackhole\s+10\.0\.3\.0/24", text)
    assert re.search(r"10\.1\.0\.0/16\s+192\.0\.2\.254\s+d0\s+100", text)
    assert "mtu 1300" in text
    main = RouteQuery()
    assert "TABLE" not in route_table(main.select(dumps["routes"], ctx), ctx, main.hidden)


@pytest.mark.requires_root
def test_neighbour_and_rule_tables(dumps: dict) -> None:
    ctx = RenderContext(dumps["links"])
    q = NeighbourQuery()
    text = neighbour_table(q.select(dumps["neigh"], ctx), ctx, q.hidden)
    assert re.search(r"192\.0\.2\.10\s+d0\s+02:00:00:00:00:10\s+PERMANENT", text)
    assert re.search(r"2001:db8::10\s+d0\s+02:00:00:00:00:12\s+STALE\s+router", text)
    rules = rule_table(RuleQuery().select(dumps["rules"]), ctx)
    assert re.search(r"100\s+from 192\.0\.2\.0/24\s+lookup 100", rules)
    assert re.search(r"101\s+not from all fwmark 0x10/0xff\s+blackhole", rules)


def test_empty_input_draws_nothing() -> None:
    ctx = RenderContext()
    assert link_table([], ctx) == "" and route_table([], ctx) == ""
    assert link_brief([], ctx) == "" and rule_table([], ctx) == ""


# --- import hygiene ------------------------------------------------------------------


def test_imports_stay_light() -> None:
    """Importing and using the JSON/brief renderers loads neither tabulate nor
    prompt_toolkit nor pygments; the default "simple" table is laid out without tabulate,
    other formats load it only then."""
    code = (
        "import sys\n"
        "import nlshell.commands.render as r\n"
        "from nlshell.commands.render import tables, brief, names\n"
        "ctx = r.RenderContext()\n"
        "r.route_json([], ctx); r.link_brief([], ctx); r.link_table([], ctx)\n"
        "heavy = [m for m in ('tabulate', 'prompt_toolkit', 'pygments') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "tables.draw([['a']], ['H'])\n"
        "assert 'tabulate' not in sys.modules\n"
        "tables.draw([['a']], ['H'], fmt='grid')\n"
        "assert 'tabulate' in sys.modules\n"
        "assert 'prompt_toolkit' not in sys.modules and 'pygments' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_fast_layout_equals_tabulate() -> None:
    """"simple" tables are laid out without tabulate, exactly as tabulate would."""
    from tabulate import tabulate

    from nlshell.commands.render.tables import simple

    red = "\x1b[31m"
    rows = [["1", "lo", f"{red}DOWN\x1b[0m", ""],
            ["22", "a-much-longer-name", "UP", "x\ny-is-longer"],
            ["", "", "", "last"]]
    headers = ["INDEX", "NAME", "STATE", "NOTE"]
    want = tabulate(rows, headers, tablefmt="simple", disable_numparse=True)
    assert simple(rows, headers) == want
