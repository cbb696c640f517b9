"""Nexthop objects against the kernel: the codec and `nlshell -j nexthop` equal to
`ip -j nexthop`, every verb performed by nlshell (and by the keyword API) and checked with
ip, routes using `nhid` (nh_info with -d), bad input refused with one line, nothing applied."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.iporacle import VETH_V0, batch, ipj, sh
from support.nlrun import nl, nlj, ok
from support.testns import no_dad, requires_root, temp_netns

pytestmark = requires_root

SETUP = VETH_V0 + """\
link add v2 type veth peer name v3
link set v2 up
link set v3 up
addr add 198.51.100.1/24 dev v2
nexthop add id 1 via 192.0.2.50 dev v0
nexthop add id 2 via 198.51.100.50 dev v2 proto static
nexthop add id 3 dev v0
nexthop add id 4 blackhole
nexthop add id 5 via 2001:db8:1::50 dev v0 proto bgp
nexthop add id 6 via 192.0.2.52 dev v0 onlink
nexthop add id 7 via 192.0.2.53 fdb
nexthop add id 10 group 1,3/2
nexthop add id 11 group 1/2/3,7 type resilient buckets 8 idle_timer 60
nexthop add id 12 group 7 fdb
route add 203.0.113.0/24 nhid 1 metric 5
route add 198.18.0.0/16 nhid 10
route add 2001:db8:9::/64 nhid 5
"""


@pytest.fixture(scope="module")
def rich() -> Iterator[str]:
    with temp_netns() as name:
        no_dad(name)
        batch(name, SETUP)
        yield name


def ids(ns: str, *args: str) -> list[int]:
    return [e["id"] for e in ipj(ns, "nexthop", "show", *args)]


# -- the codec ------------------------------------------------------------------------------


def test_codec_reads_what_ip_shows(rich: str) -> None:
    from nlshell import IPRoute

    with IPRoute(netns=rich) as ipr:
        msgs = {m.get("id"): m for m in ipr.get_nexthops()}
    want = {e["id"]: e for e in ipj(rich, "-d", "nexthop", "show")}
    assert set(msgs) == set(want)
    for nh_id, e in want.items():
        m = msgs[nh_id]
        assert m.get("gateway") == e.get("gateway")
        assert m.get("blackhole", False) == ("blackhole" in e)
        assert m.get("fdb", False) == ("fdb" in e)
        group = m.get("group")
        assert (group is None) == ("group" not in e)
        if group is not None:
            assert [(g["id"], g["weight"]) for g in group] == \
                [(g["id"], g.get("weight", 1)) for g in e["group"]]
    res = msgs[11].get(("res_group", "buckets"))
    assert res == 8 and msgs[11].get("group_type") == "resilient"


# -- show: nlshell -j == ip -j ----------------------------------------------------------------

SHOWS = ["nexthop show", "nexthop", "nh", "nh list", "-d nexthop show", "nexthop show id 10",
         "nexthop show dev v0", "nexthop show dev v2", "nexthop show groups",
         "nexthop show fdb", "nexthop show proto 4", "-4 nexthop show",
         "-6 nexthop show", "-d -6 nexthop show dev v0", "nexthop get id 11",
         "-d nexthop get id 4"]


@pytest.mark.parametrize("line", SHOWS)
def test_show_equals_ip(rich: str, line: str) -> None:
    # `nh` is nlshell's shortcut (ip 6.1 knows only `nexthop`)
    words = ["nexthop" if w == "nh" else w for w in line.split()]
    assert nlj(rich, line) == ipj(rich, *words)


@pytest.mark.parametrize("line", ["-d route show", "-d -6 route show",
                                  "-d route show 198.18.0.0/16", "route show"])
def test_route_nh_info_equals_ip(rich: str, line: str) -> None:
    got = nlj(rich, line)
    assert got == ipj(rich, *line.split())
    if line.startswith("-d"):
        assert any("nh_info" in r for r in got)


def test_brief_lines_are_ips_text(rich: str) -> None:
    text = ok(rich, "nexthop show", brief=True)
    want = sh(rich, "nexthop", "show")
    assert text.split("\n") == [line.rstrip() for line in want.split("\n")]


def test_table(rich: str) -> None:
    text = ok(rich, "nexthop show")
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["ID", "GROUP"]
    assert any(line.split()[:2] == ["10", "1,3/2"] for line in lines)
    assert any("blackhole" in line for line in lines)


# -- the verbs --------------------------------------------------------------------------------


@pytest.fixture
def v0(ns: str) -> str:
    batch(ns, VETH_V0)
    return ns


def test_add_replace_get_del(v0: str) -> None:
    ok(v0, "nexthop add id 20 via 192.0.2.20 dev v0 proto bgp")
    assert ipj(v0, "nexthop", "show", "id", "20") == [
        {"id": 20, "gateway": "192.0.2.20", "dev": "v0", "scope": "link", "protocol": "bgp",
         "flags": []}]
    ok(v0, "nh replace id 20 via 192.0.2.21 dev v0")
    assert ipj(v0, "nexthop", "show", "id", "20")[0]["gateway"] == "192.0.2.21"
    ok(v0, "nexthop add id 21 via 203.0.113.1 dev v0 onlink", "-6 nexthop add id 22 blackhole",
       "nexthop add id 23 via 192.0.2.23 fdb")
    assert ipj(v0, "nexthop", "show", "id", "21")[0]["flags"] == ["onlink"]
    assert ipj(v0, "nexthop", "show", "id", "22")[0]["blackhole"] is None
    assert "fdb" in ipj(v0, "nexthop", "show", "id", "23")[0]
    ok(v0, "nexthop add id 30 group 20,5/21",
       "nexthop add id 31 group 20/21 type resilient buckets 16 idle_timer 30")
    assert ipj(v0, "nexthop", "show", "id", "30")[0]["group"] == [
        {"id": 20, "weight": 5}, {"id": 21}]
    res = ipj(v0, "nexthop", "show", "id", "31")[0]
    assert res["type"] == "resilient" and res["resilient_args"]["buckets"] == 16
    assert res["resilient_args"]["idle_timer"] == 30
    assert nlj(v0, "nexthop get id 30") == ipj(v0, "nexthop", "get", "id", "30")
    ok(v0, "nexthop del id 30", "nh delete id 31")
    assert ids(v0) == [20, 21, 22, 23]


def test_flush(v0: str) -> None:
    batch(v0, "link add v2 type veth peer name v3\nlink set v2 up\nlink set v3 up\n"
                  "nexthop add id 1 via 192.0.2.9 dev v0\nnexthop add id 2 dev v2\n"
                  "nexthop add id 3 group 1/2\nnexthop add id 4 blackhole\n")
    assert ok(v0, "nexthop flush dev v2") == "Flushed 1 nexthops\n"
    assert ids(v0) == [1, 3, 4]
    assert ok(v0, "nexthop flush") == "Flushed 3 nexthops\n"
    assert ids(v0) == []
    assert ok(v0, "nexthop flush") == "Nothing to flush\n"


def test_route_with_nhid(v0: str) -> None:
    ok(v0, "nexthop add id 5 via 192.0.2.5 dev v0", "route add 203.0.113.0/24 nhid 5")
    route = ipj(v0, "-d", "route", "show", "203.0.113.0/24")[0]
    assert route["nhid"] == 5 and route["nh_info"]["gateway"] == "192.0.2.5"
    ok(v0, "nexthop del id 5")  # the kernel takes the route with it
    assert ipj(v0, "route", "show", "203.0.113.0/24") == []


BAD = [
    ("nexthop add id 9 group 1/x", "1/x"),
    ("nexthop add id 9 via 1.2.3 dev v0", "1.2.3"),
    ("nexthop add id 9 via 192.0.2.9 dev nosuch", "nosuch"),
    ("nexthop add id 9 blackhole via 192.0.2.9", "blackhole"),
    ("nexthop add id 9 group 1 via 192.0.2.9", "group"),
    ("nexthop add id 9", "nexthop add"),
    ("nexthop add via 192.0.2.9 dev v0", "id"),
    ("nexthop add id 0 dev v0", "0"),
    ("nexthop add id 9 dev v0 buckets 4", "buckets"),
    ("nexthop add id 9 group 1 buckets 4", "buckets"),
    ("nexthop add id 9 group 1,0", "1,0"),
    ("nexthop add id 9 group 1,257", "1,257"),
    ("nexthop add id 9 dev v0 proto nosuchproto", "nosuchproto"),
    ("-6 nexthop add id 9 via 192.0.2.9 dev v0", "192.0.2.9"),
    ("nexthop del", "id"),
    ("nexthop frob", "frob"),
    ("nexthop show id x", "x"),
]


@pytest.mark.parametrize(("line", "word"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_one_line_nothing_applied(v0: str, line: str, word: str) -> None:
    sh(v0, "nexthop", "add", "id", "1", "dev", "v0")
    before = ipj(v0, "nexthop", "show")
    code, out, err = nl(v0, line)
    assert code in (1, 255) and out == ""
    assert err.count("\n") == 1 and word in err, err
    assert ipj(v0, "nexthop", "show") == before


def test_kernel_refusal_is_rtnetlink_answers(v0: str) -> None:
    code, _o, err = nl(v0, "nexthop del id 99")
    assert code == 2 and err == "RTNETLINK answers: No such file or directory\n"
    code, _o, err = nl(v0, "nexthop add id 9 group 99")
    assert code == 2 and err.startswith(("Error: ", "RTNETLINK answers: "))


# -- the keyword API ----------------------------------------------------------------------------


def test_api(v0: str) -> None:
    from nlshell import IPRoute
    from nlshell.engine.errors import NetlinkError

    with IPRoute(netns=v0) as ipr:
        idx = ipr.link_lookup(ifname="v0")[0]
        ipr.nexthop("add", id=1, gateway="192.0.2.7", oif=idx, protocol="static")
        ipr.nexthop("add", id=2, oif=idx)
        ipr.nexthop("add", id=3, blackhole=True)
        ipr.nexthop("add", id=10, group=[(1, 4), 2])
        ipr.nexthop("add", id=11, group=[{"id": 1}, {"id": 2, "weight": 2}],
                    group_type="resilient", buckets=8)
        assert ipr.nexthop("get", id=10)[0].get("group") == [
            {"id": 1, "weight": 4}, {"id": 2, "weight": 1}]
        assert [m.get("id") for m in ipr.get_nexthops(groups=True)] == [10, 11]
        assert [m.get("id") for m in ipr.get_nexthops(oif=idx)] == [1, 2]
        assert [m.get("id") for m in ipr.get_nexthops(protocol="static")] == [1]
        assert [m.get("id") for m in ipr.get_nexthops(id=3)] == [3]
        ipr.nexthop("replace", id=1, gateway="192.0.2.8", oif=idx)
        with ipr.bulk() as b:
            b.nexthop("add", id=20, gateway="192.0.2.20", oif=idx)
            b.nexthop("add", id=1, gateway="192.0.2.20", oif=idx)  # exists
        assert b.results[0] is None and b.results[1].code == 17
        with pytest.raises(NetlinkError):
            ipr.nexthop("del", id=99)
        for bad in ({"id": 9}, {"id": 9, "group": []}, {"id": 9, "group": [(1, 0)]},
                    {"id": 9, "gateway": "x", "oif": idx}, {"id": 9, "oif": idx, "bogus": 1},
                    {"id": 9, "blackhole": True, "gateway": "192.0.2.1"},
                    {"id": 9, "group": [1], "buckets": 4}):
            with pytest.raises(ValueError):
                ipr.nexthop("add", **bad)
        with pytest.raises(ValueError, match="frob"):
            ipr.nexthop("frob", id=1)
        gone = ipr.nexthop("flush", oif=idx)
        assert sorted(m.get("id") for m in gone) == [1, 2, 20]
    assert ids(v0) == [3]  # the groups of 1 and 2 went with their members


# -- the cache ------------------------------------------------------------------------------------

CACHE_KINDS = ("link", "route", "nexthop")


def _cache_equals_kernel(cache: object, ns: str) -> bool:
    from support.cachecheck import differences, fresh_dump

    snap = cache.snapshot()  # type: ignore[attr-defined]
    dump = fresh_dump(ns)
    return not any(differences(k, snap[k], dump[k]) for k in CACHE_KINDS)


def _settled(cache: object, ns: str) -> None:
    from support.cachecheck import assert_matches_kernel
    from support.wait import DEADLINE as WAIT

    cache.wait_for(lambda: _cache_equals_kernel(cache, ns), WAIT)  # type: ignore[attr-defined]
    assert_matches_kernel(cache, ns, CACHE_KINDS)  # type: ignore[arg-type]


@pytest.fixture
def two_links(v0: str) -> str:
    batch(v0, "link add v2 type veth peer name v3\nlink set v2 up\nlink set v3 up\n"
                  "addr add 198.51.100.1/24 dev v2\n")
    return v0


def test_cache_follows_nexthops(two_links: str) -> None:
    from support.cachecheck import Recorder

    from nlshell.engine.cache import Cache

    ns = two_links
    sh(ns, "nexthop", "add", "id", "1", "via", "192.0.2.9", "dev", "v0")
    with Cache(netns=ns) as cache:
        assert [m.get("id") for m in cache.nexthops()] == [1]
        assert cache.counts()["nexthops"] == 1
        rec = Recorder(cache)
        batch(ns, "nexthop add id 2 via 198.51.100.9 dev v2\n"
                      "nexthop add id 3 blackhole\n"
                      "nexthop add id 10 group 1,2/2\n"
                      "nexthop replace id 1 via 192.0.2.10 dev v0\n"
                      "nexthop add id 4 via 192.0.2.11 dev v0\n"
                      "nexthop del id 4\n")
        _settled(cache, ns)
        assert [m.get("id") for m in cache.nexthops()] == [1, 2, 3, 10]
        assert cache.nexthops(id=1)[0].get("gateway") == "192.0.2.10"
        assert [m.get("id") for m in cache.nexthops(oif=cache.index("v2"))] == [2]
        rec.assert_replays_to(cache)


def test_deleting_a_nexthop_in_use_removes_its_routes(two_links: str) -> None:
    from support.cachecheck import Recorder
    from support.wait import DEADLINE as WAIT

    from nlshell.engine.cache import Cache

    ns = two_links
    batch(ns, "nexthop add id 1 via 192.0.2.9 dev v0\n"
                  "nexthop add id 2 via 198.51.100.9 dev v2\n"
                  "nexthop add id 10 group 1/2\n"
                  "nexthop add id 5 via 2001:db8:1::9 dev v0\n"
                  "route add 203.0.113.0/24 nhid 1\n"
                  "route add 203.0.113.128/25 nhid 1 table 100\n"
                  "route add 198.18.0.0/16 nhid 10\n"
                  "route add 2001:db8:9::/64 nhid 5\n")
    with Cache(netns=ns) as cache:
        rec = Recorder(cache)
        sh(ns, "nexthop", "del", "id", "5")  # the kernel says nothing of the route
        assert cache.wait_for(lambda: not cache.routes(dst="2001:db8:9::/64"), WAIT)
        sh(ns, "nexthop", "del", "id", "1")  # two routes go, group 10 shrinks
        assert cache.wait_for(lambda: not cache.routes(dst="203.0.113.0/24")
                              and not cache.routes(table=100), WAIT)
        _settled(cache, ns)
        assert cache.nexthops(id=10)[0].get("group") == [{"id": 2, "weight": 1}]
        assert len(cache.routes(dst="198.18.0.0/16")) == 1
        sh(ns, "nexthop", "del", "id", "2")  # the group's last member: all go
        assert cache.wait_for(lambda: not cache.routes(dst="198.18.0.0/16")
                              and not cache.nexthops(), WAIT)
        _settled(cache, ns)
        deleted = {(k, a) for k, a, _o, _n in rec.events if a == "deleted"}
        assert ("route", "deleted") in deleted and ("nexthop", "deleted") in deleted
        rec.assert_replays_to(cache)


def test_a_link_taking_its_nexthops(two_links: str) -> None:
    from support.wait import DEADLINE as WAIT

    from nlshell.engine.cache import Cache

    ns = two_links
    batch(ns, "nexthop add id 1 via 192.0.2.9 dev v0\n"
                  "nexthop add id 2 via 198.51.100.9 dev v2\n"
                  "nexthop add id 3 via 198.51.100.10 dev v2\n"
                  "nexthop add id 10 group 1/2\n"
                  "route add 203.0.113.0/24 nhid 2\n"
                  "route add 198.18.0.0/16 nhid 10\n")
    with Cache(netns=ns) as cache:
        sh(ns, "link", "set", "v2", "down")  # its nexthops go, without a word
        assert cache.wait_for(lambda: [m.get("id") for m in cache.nexthops()] == [1, 10], WAIT)
        _settled(cache, ns)
        sh(ns, "link", "del", "v0")
        assert cache.wait_for(lambda: not cache.nexthops(), WAIT)
        _settled(cache, ns)


# -- completion ----------------------------------------------------------------------------------


def test_completion_offers_nexthop_ids() -> None:
    from nlshell.commands.grammar import REGISTRY
    from nlshell.commands.suggest import StaticProvider, suggest

    provider = StaticProvider(links=[("v0", 2, "UP")],
                              nexthops=[(1, "via 192.0.2.1"), (10, "group 1,3/2"),
                                        (2, "blackhole")])

    def got(line: str) -> dict[str, str]:
        return {s.text: s.meta for s in suggest(line, provider, REGISTRY)}

    assert got("nexthop del id ") == {"1": "via 192.0.2.1", "10": "group 1,3/2",
                                      "2": "blackhole"}
    assert set(got("nh get id 1")) == {"1", "10"}
    assert set(got("nexthop show id ")) == {"1", "10", "2"}
    assert "1" not in got("nexthop add id ")  # a new id: nothing to offer
    # no nexthops, or a provider without the method (older ones): the slot's hint only
    for other in (StaticProvider(), object()):
        assert [s.kind for s in suggest("nexthop del id ", other, REGISTRY)] == ["hint"]


def test_complete_command_reads_the_kernel(two_links: str) -> None:
    import subprocess
    import sys

    batch(two_links, "nexthop add id 7 via 192.0.2.7 dev v0\nnexthop add id 71 group 7\n")
    out = subprocess.run([sys.executable, "-m", "nlshell", "--complete", "-n", two_links, "--",
                          "nexthop", "del", "id", "7"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.split() == ["7", "71"]


def test_shell_provider_reads_the_cache(two_links: str) -> None:
    from nlshell.engine.cache import Cache
    from nlshell.shell.live import LiveIndex, ShellProvider

    sh(two_links, "nexthop", "add", "id", "4", "blackhole")
    with Cache(netns=two_links) as cache:
        index = LiveIndex(cache, background=False)
        try:
            assert ShellProvider(lambda: index).nexthops() == [(4, "blackhole")]
        finally:
            index.close()


def test_toolbar_counts_nexthops_when_there_are_some() -> None:
    from nlshell.shell import toolbar

    def text(counts: dict[str, int]) -> str:
        return "".join(t for _, t in toolbar.render(toolbar.ToolbarInfo("x", counts), now=0))

    assert "nexthops 3" in text({"links": 1, "routes": 2, "nexthops": 3})
    assert "nexthops" not in text({"links": 1, "routes": 2, "nexthops": 0})


def test_cache_describes_a_nexthop(two_links: str) -> None:
    from support.wait import DEADLINE as WAIT

    from nlshell.engine.cache import Cache

    with Cache(netns=two_links) as cache:
        sh(two_links, "nexthop", "add", "id", "42", "blackhole")
        assert cache.wait_for(lambda: cache.last_event is not None
                              and cache.last_event.kind == "nexthop", WAIT)
        assert cache.last_event.describe() == "nexthop new: id 42"
