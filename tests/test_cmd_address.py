"""`address` commands against the kernel, every verb checked with `ip -j`."""

from __future__ import annotations

import json

import pytest
from support import iporacle, nlrun, testns
from support.nlrun import nl, ok

pytestmark = testns.requires_root
AF_INET, AF_INET6 = 2, 10


def addrs(ns: str, dev: str = "d0", *extra: str) -> dict[str, dict]:
    """local -> addr_info entry, as ip -j sees them on `dev`."""
    rows = iporacle.ipj(ns, *extra, "addr", "show", "dev", dev)
    return {a["local"]: a for r in rows for a in r.get("addr_info", [])}


@pytest.fixture
def dev(ns: str) -> str:
    # no duplicate address detection: link-local addresses must not change while compared
    testns.no_dad(ns)
    iporacle.batch(ns, "link add d0 type veth peer name d1\nlink set d0 up\nlink set d1 up\n")
    return ns


SETUP = """\
addr add 192.0.2.1/24 dev d0 brd + label d0:main
addr add 192.0.2.2/24 dev d0
addr add 198.51.100.1/24 dev d1 scope link
addr add 2001:db8::1/64 dev d0 nodad
addr add 2001:db8:1::1/64 dev d1 nodad noprefixroute valid_lft 3000 preferred_lft 2000
addr add 10.9.0.1 peer 10.9.0.2/32 dev d1
"""


@pytest.fixture
def rich(dev: str) -> str:
    iporacle.batch(dev, SETUP)
    return dev


# --- show ----------------------------------------------------------------------------


def _flat(rows: list[dict]) -> list[dict]:
    """Every address of the output (lifetimes tick between two dumps: left out)."""
    return [{k: v for k, v in a.items() if not k.endswith("_life_time")}
            for r in rows for a in r.get("addr_info", []) if a]


@pytest.mark.parametrize("args", [
    "", "dev d0", "dev d1", "scope link", "scope global", "up", "to 192.0.2.0/24",
    "label d0:*", "-4", "-6", "-6 dev d1",
])
def test_show_json_equals_ip(rich: str, args: str) -> None:
    words = args.split()
    opts = [w for w in words if w.startswith("-")]
    sel = [w for w in words if not w.startswith("-")]
    theirs = iporacle.ipj(rich, *opts, "addr", "show", *sel)
    family = {"-4": AF_INET, "-6": AF_INET6}.get(opts[0]) if opts else None
    mine = json.loads(ok(rich, " ".join(["address", "show", *sel]), json=True, family=family))
    assert _flat(mine) == _flat(theirs) and _flat(mine)
    links = {r["ifname"]: r for r in mine}
    for r in theirs:  # ip's `{}` / link-less placeholders for what a selector dropped aside
        if "ifname" in r and r.get("addr_info"):
            mine_link = links[r["ifname"]]
            for key in set(r) & set(mine_link) - {"addr_info"}:  # the fields both show
                assert mine_link[key] == r[key], key


def test_show_brief_equals_ip(rich: str) -> None:
    assert ok(rich, "a", brief=True) == iporacle.sh(rich, "-br", "addr")
    assert json.loads(ok(rich, "addr show dev d0", brief=True, json=True)) == \
        iporacle.ipj(rich, "-br", "addr", "show", "dev", "d0")


def test_show_table(rich: str) -> None:
    text = ok(rich, "addr show dev d0")
    assert text.splitlines()[0].split()[:4] == ["NAME", "STATE", "FAMILY", "ADDRESS"]
    assert "192.0.2.1/24" in text and "2001:db8::1/64" in text and "d0:main" in text


# --- add / replace / change / delete ----------------------------------------------------


@pytest.mark.parametrize("line, local, expect", [
    ("addr add 192.0.2.9/24 dev d0", "192.0.2.9", {"prefixlen": 24, "scope": "global"}),
    ("a add 192.0.2.9/24 dev d0 brd +", "192.0.2.9", {"broadcast": "192.0.2.255"}),
    ("addr add 192.0.2.9/24 dev d0 brd -", "192.0.2.9", {"broadcast": "192.0.2.0"}),
    ("addr add 192.0.2.9/24 dev d0 broadcast 192.0.2.254", "192.0.2.9",
     {"broadcast": "192.0.2.254"}),
    ("addr add 192.0.2.9/24 dev d0 label d0:web", "192.0.2.9", {"label": "d0:web"}),
    ("addr add 192.0.2.9/24 dev d0 scope link", "192.0.2.9", {"scope": "link"}),
    ("addr add 192.0.2.9 dev d0", "192.0.2.9", {"prefixlen": 32}),
    ("addr add local 192.0.2.9/24 dev d0 metric 300", "192.0.2.9", {"metric": 300}),
    ("addr add 192.0.2.9/24 dev d0 valid_lft 600 preferred_lft 300", "192.0.2.9",
     {"dynamic": True}),
    ("addr add 192.0.2.9/24 dev d0 noprefixroute", "192.0.2.9", {"noprefixroute": True}),
    ("addr add 10.1.0.1 peer 10.1.0.2/32 dev d0", "10.1.0.1",
     {"address": "10.1.0.2", "prefixlen": 32}),
    ("addr add 2001:db8::9/64 dev d0 nodad", "2001:db8::9", {"nodad": True, "prefixlen": 64}),
    ("addr add 2001:db8::9/64 dev d0 nodad valid_lft forever preferred_lft 0",
     "2001:db8::9", {"deprecated": True}),
    ("address add 2001:db8::9/128 dev d0 nodad home", "2001:db8::9", {"home": True}),
])
def test_add(dev: str, line: str, local: str, expect: dict) -> None:
    ok(dev, line)
    got = addrs(dev)[local]
    for key, value in expect.items():
        assert got.get(key) == value, (key, got)


def test_add_lifetimes(dev: str) -> None:
    ok(dev, "addr add 2001:db8::9/64 dev d0 nodad valid_lft 600 preferred_lft 300")
    got = addrs(dev)["2001:db8::9"]
    assert 590 <= got["valid_life_time"] <= 600 and 290 <= got["preferred_life_time"] <= 300


def test_add_existing_is_kernel_error(dev: str) -> None:
    ok(dev, "addr add 192.0.2.9/24 dev d0")
    res = nl(dev, "addr add 192.0.2.9/24 dev d0")
    assert res.code == 2 and res.err.startswith(("Error: ", "RTNETLINK answers: "))
    assert len(res.err.strip().splitlines()) == 1


def test_replace_and_change(dev: str) -> None:
    ok(dev, "addr replace 192.0.2.9/24 dev d0")  # replace creates when missing
    assert "192.0.2.9" in addrs(dev)
    ok(dev, "addr replace 192.0.2.9/24 dev d0 valid_lft 900 preferred_lft 900")
    assert addrs(dev)["192.0.2.9"].get("dynamic") is True
    ok(dev, "addr change 192.0.2.9/24 dev d0 valid_lft forever preferred_lft forever")
    assert "dynamic" not in addrs(dev)["192.0.2.9"]


@pytest.mark.parametrize("line", ["addr del 192.0.2.2/24 dev d0", "a d 192.0.2.2/24 dev d0",
                                  "address delete 192.0.2.2/24 dev d0 label d0"])
def test_delete(rich: str, line: str) -> None:
    ok(rich, line)
    left = addrs(rich)
    assert "192.0.2.2" not in left and "192.0.2.1" in left


def test_delete_ipv6_and_missing(rich: str) -> None:
    ok(rich, "addr del 2001:db8::1/64 dev d0")
    assert "2001:db8::1" not in addrs(rich)
    res = nl(rich, "addr del 2001:db8::1/64 dev d0")
    assert res.code == 2 and res.err.startswith(("Error: ", "RTNETLINK answers: "))


# --- flush -----------------------------------------------------------------------------


def test_flush_dev(rich: str) -> None:
    ok(rich, "addr flush dev d0")
    assert addrs(rich) == {}
    assert "198.51.100.1" in addrs(rich, "d1")


@pytest.mark.parametrize("args, gone, kept", [
    ("dev d1 scope link", {"198.51.100.1"}, {"10.9.0.1", "2001:db8:1::1"}),
    ("to 192.0.2.0/24", {"192.0.2.1", "192.0.2.2"}, {"2001:db8::1", "198.51.100.1"}),
    # 192.0.2.2 is the secondary of 192.0.2.1 (label d0:main): only it goes, as with ip
    ("label d0", {"192.0.2.2", "2001:db8::1"}, {"192.0.2.1", "198.51.100.1"}),
    ("dev d1 dynamic", {"2001:db8:1::1"}, {"10.9.0.1", "198.51.100.1"}),
    ("dev d1 permanent", {"10.9.0.1", "198.51.100.1"}, {"2001:db8:1::1"}),
])
def test_flush_selectors(rich: str, args: str, gone: set, kept: set) -> None:
    ok(rich, f"addr flush {args}")
    left = set(addrs(rich, "d0")) | set(addrs(rich, "d1"))
    assert not gone & left and kept <= left


def test_flush_family(rich: str) -> None:
    ok(rich, "addr flush dev d0", family=AF_INET6)
    left = addrs(rich)
    assert set(left) == {"192.0.2.1", "192.0.2.2"}


def test_flush_needs_selector(rich: str) -> None:
    res = nl(rich, "addr flush")
    assert res.code == 1 and "needs a selector" in res.err
    assert len(addrs(rich)) >= 4


# --- the batch path: address add lines are pipelined through address_add_request -------


def test_batch_address_adds(dev: str) -> None:
    lines = [f"addr add 10.{i // 250}.{i % 250}.1/32 dev d0" for i in range(300)]
    code, _out, err = nlrun.nl_batch(dev, "\n".join(lines) + "\n")
    assert code == 0, err
    assert len([a for a in addrs(dev) if a.startswith("10.")]) == 300
