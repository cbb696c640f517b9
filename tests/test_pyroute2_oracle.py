"""pyroute2 as the oracle of nlshell's IPRoute: each method called side by side in a test
namespace (both libraries' IPRoute(netns=...)), comparing what comes back: the same
messages (event, header type and flags, fixed-header fields, attributes), the same return
values of writes, the same exceptions with the same ``code``. A write scenario is run by
each library in its own namespace and the kernel's state compared with ``ip -j``.

pyroute2 is a test-only dependency (``pip install .[test]``); without it these skip.
"""

from __future__ import annotations

import errno
import io
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

pyroute2 = pytest.importorskip("pyroute2", reason="pyroute2 (the oracle) is not installed: "
                               "pip install .[test]")

from support.iporacle import batch, ipj  # noqa: E402

import nlshell  # noqa: E402
from nlshell import IPRoute, NetlinkError  # noqa: E402
from nlshell.engine.codec import constants as C  # noqa: E402

AF_INET = socket.AF_INET
# attributes whose value moves between two reads (counters, timestamps), or that the two
# libraries decode into different shapes (structs, nested blocks): compared by presence
MOVING = {"IFA_CACHEINFO", "RTA_CACHEINFO", "NDA_CACHEINFO", "IFLA_STATS", "IFLA_STATS64",
          "IFLA_AF_SPEC", "IFLA_MAP", "IFLA_XDP", "IFLA_LINKINFO", "IFLA_PROP_LIST",
          "RTA_METRICS", "RTA_MULTIPATH", "IFLA_DEVLINK_PORT", "IFLA_DPLL_PIN",
          "IFLA_PERM_ADDRESS", "IFLA_PARENT_DEV_NAME", "IFLA_PARENT_DEV_BUS_NAME",
          "FRA_UID_RANGE", "FRA_SPORT_RANGE", "FRA_DPORT_RANGE", "FRA_IP_PROTO"}
# our views have no padding or reserved fields; pyroute2's carry them ('__align' of
# links, '__pad' of neighbours, 'res1'/'res2' of rules)
PADDING = {"__align", "__pad", "res1", "res2"}


@pytest.fixture
def both(vns: str) -> Iterator[tuple[Any, Any]]:
    """(nlshell's IPRoute, pyroute2's IPRoute), both inside `vns` (veth v0/v1 with
    addresses: see VETH_V0)."""
    with IPRoute(netns=vns) as ours, pyroute2.IPRoute(netns=vns) as theirs:
        yield ours, theirs


def view(msg: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """What must be equal: event, header type and flags, the fixed header, attributes
    (values, or presence for MOVING ones)."""
    attrs: dict[str, Any] = {}
    for name, value in msg["attrs"]:
        if name.startswith("UNKNOWN") or name.endswith("UNUSED") or name == "IFLA_UNSPEC":
            continue
        attrs.setdefault(name, "present" if name in MOVING else value)
    return {"event": msg["event"], "type": msg["header"]["type"],
            "flags": msg["header"]["flags"], **{f: msg[f] for f in fields}, "attrs": attrs}


def same(ours: Any, theirs: Any) -> None:
    """The same messages. Attributes pyroute2 does not know (it names them UNKNOWN)
    nlshell may name: those are the only ones allowed on our side alone."""
    ours, theirs = list(ours), list(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        fields = tuple(k for k in a.keys() if k not in ("attrs", "header", "event"))
        assert set(a.keys()) == set(b.keys()) - PADDING
        va, vb = view(a, fields), view(b, fields)
        extra = set(va["attrs"]) - set(vb["attrs"])
        unknown = sum(1 for name, _ in b["attrs"] if name.startswith("UNKNOWN"))
        assert len(extra) <= unknown, extra
        for name in extra:
            del va["attrs"][name]
        assert va == vb


def raised(fn: Any, *args: Any, **kw: Any) -> BaseException:
    try:
        fn(*args, **kw)
    except Exception as exc:  # noqa: BLE001 -- compared by the caller
        return exc
    raise AssertionError(f"{fn} did not raise")


def same_error(ours: Any, theirs: Any, *args: Any, **kw: Any) -> int:
    a, b = raised(ours, *args, **kw), raised(theirs, *args, **kw)
    assert isinstance(a, NetlinkError)
    assert isinstance(b, pyroute2.NetlinkError)
    assert a.code == b.code
    return a.code


def state(ns: str) -> dict[str, Any]:
    """The kernel's state of a namespace as ip shows it (what a scenario must leave)."""
    def clean(items: list[dict]) -> list[dict]:
        drop = {"ifindex", "link_index", "address", "broadcast", "stats64", "cacheinfo",
                "valid_life_time", "preferred_life_time"}
        return sorted(str({k: v for k, v in i.items() if k not in drop}) for i in items)

    # link-local addresses derive from random MACs: left out
    def info(a: dict) -> list[dict]:
        return [{k: v for k, v in i.items()
                 if k not in ("valid_life_time", "preferred_life_time")}
                for i in a["addr_info"]
                if i.get("scope") != "link" or i["family"] != "inet6"]

    addrs = [{**a, "addr_info": info(a)} for a in ipj(ns, "addr", "show")]
    return {"addr": clean(addrs), "route": clean(ipj(ns, "route", "show", "table", "all")),
            "rule": clean(ipj(ns, "rule", "show"))}


# -- readers ----------------------------------------------------------------------------


def test_dumps_are_the_same_messages(both: tuple[Any, Any]) -> None:
    ours, theirs = both
    same(ours.get_links(), theirs.get_links())
    same(ours.get_addr(), theirs.get_addr())
    same(ours.get_addr(family=AF_INET), theirs.get_addr(family=AF_INET))
    same(ours.get_routes(family=AF_INET), theirs.get_routes(family=AF_INET))
    same(ours.get_rules(), theirs.get_rules())
    same(ours.get_neighbours(), theirs.get_neighbours())
    same(ours.link("get", index=1), theirs.link("get", index=1))


def test_messages_read_as_pyroute2_dicts(both: tuple[Any, Any]) -> None:
    ours, theirs = both
    a, b = ours.link("get", index=1)[0], theirs.link("get", index=1)[0]
    assert a.get("state") == b.get("state") == "up"
    assert a["state"] == b["state"]
    assert "state" in a and "index" in a
    assert len(a) == len(set(b.keys()) - PADDING)
    assert dict(a).keys() == dict(b).keys() - PADDING
    assert {k: v for k, v in a.items() if k not in ("attrs", "header")} == \
        {k: v for k, v in b.items() if k not in ("attrs", "header", *PADDING)}
    assert a["header"]["type"] == b["header"]["type"]
    assert a["event"] == b["event"] == "RTM_NEWLINK"
    assert a.get_attr("IFLA_IFNAME") == b.get_attr("IFLA_IFNAME") == "lo"
    assert a.get_attrs("IFLA_IFNAME") == b.get_attrs("IFLA_IFNAME")
    assert a.get_nested("IFLA_AF_SPEC", "AF_INET6", "IFLA_INET6_ADDR_GEN_MODE") == \
        b.get_nested("IFLA_AF_SPEC", "AF_INET6", "IFLA_INET6_ADDR_GEN_MODE")


def test_match_filters_every_dump(both: tuple[Any, Any]) -> None:
    ours, theirs = both
    local = ours.route("dump", match={"table": 255})
    assert local and all(m.get("table") == 255 for m in local)
    same(local, theirs.route("dump", match={"table": 255}))
    same(ours.get_routes(match={"table": 255}), theirs.get_routes(match={"table": 255}))
    up = lambda m: bool(m["flags"] & C.IFF_UP)  # noqa: E731
    same(ours.get_links(match=up), theirs.get_links(match=up))
    same(ours.addr("dump", match={"IFA_LABEL": "v0"}), theirs.addr("dump", match={
        "IFA_LABEL": "v0"}))
    assert ours.link_lookup(match=up) == theirs.link_lookup(match=up)
    with pytest.raises(ValueError, match="match"):
        ours.link("get", index=1, match={"index": 1})


def test_link_lookup_and_default_routes(both: tuple[Any, Any], vns: str) -> None:
    ours, theirs = both
    assert ours.link_lookup(ifname="v0") == theirs.link_lookup(ifname="v0")
    assert ours.link_lookup(ifname="nope") == theirs.link_lookup(ifname="nope") == []
    assert ours.link_lookup(operstate="UP") == theirs.link_lookup(operstate="UP")
    assert not ours.get_default_routes() and not list(theirs.get_default_routes())
    batch(vns, "route add default via 192.0.2.2\nroute add default via 192.0.2.2 table 7\n")
    # pyroute2 0.9.7 takes table= and answers every table's default routes; nlshell
    # keeps to the table asked for (main by default; None: every table)
    every = list(theirs.get_default_routes())
    assert {m.get("table") for m in every} == {254, 7}
    same(ours.get_default_routes(table=None), every)
    same(ours.get_default_routes(), [m for m in every if m.get("table") == 254])
    same(ours.get_default_routes(table=7), [m for m in every if m.get("table") == 7])


def test_poll(both: tuple[Any, Any]) -> None:
    ours, theirs = both
    same(ours.poll(ours.addr, "dump", address="127.0.0.1", timeout=1),
         theirs.poll(theirs.addr, "dump", address="127.0.0.1", timeout=1))
    for ipr in (ours, theirs):
        with pytest.raises(TimeoutError):
            ipr.poll(ipr.addr, "dump", address="192.0.2.99", timeout=0.3, interval=0.1)


def test_status_and_constructor_keywords(vns: str) -> None:
    with IPRoute(netns=vns, ext_ack=True, strict_check=True) as ours, \
            pyroute2.IPRoute(netns=vns, ext_ack=True, strict_check=True) as theirs:
        assert ours.status["netns"] == theirs.status["netns"] == vns
        for key in ("ext_ack", "strict_check", "all_ns"):
            assert ours.status[key] == theirs.status[key], key
        assert ours.status["pid"] > 0
    fd = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0).detach()  # handed over
    with IPRoute(fileno=fd) as ipr:
        assert ipr.fileno() == fd
        assert ipr.link("get", index=1)[0].get("ifname") == "lo"


def test_netnsid(both: tuple[Any, Any], ns2: str) -> None:
    ours, theirs = both
    def u32(answer: dict) -> dict:
        # NETNSA_NSID is an s32: nlshell reads "none" as -1, pyroute2 0.9.7 as 2**32 - 1
        return {k: v & 0xFFFFFFFF if isinstance(v, int) else v for k, v in answer.items()}

    fd = os.open(f"/run/netns/{ns2}", os.O_RDONLY)
    try:
        assert ours.get_netnsid(fd=fd) == {"nsid": -1, "current_nsid": None}
        assert u32(ours.get_netnsid(fd=fd)) == theirs.get_netnsid(fd=fd)
        acks = ours.set_netnsid(nsid=7, fd=fd)
        assert [(m["event"], m["error"]) for m in acks] == [("NLMSG_ERROR", 0)]
        assert ours.get_netnsid(fd=fd) == theirs.get_netnsid(fd=fd)
        assert ours.get_netnsid(fd=fd)["nsid"] == 7
        assert ours.get_netnsid(nsid=7) == theirs.get_netnsid(nsid=7)
        assert same_error(ours.set_netnsid, theirs.set_netnsid, nsid=8, fd=fd) == errno.EEXIST
    finally:
        os.close(fd)


# -- writes: the same scenario by each library, the same kernel state --------------------


def scenario(ipr: Any) -> list[Any]:
    """Everyday writes, as a pyroute2 user spells them; what each call returned."""
    idx = ipr.link_lookup(ifname="v0")[0]
    out = [
        ipr.addr("add", index=idx, address="198.51.100.5", prefixlen=24, preferred=99,
                 valid=119),
        ipr.addr("add", index=idx, address="203.0.113.5/24"),
        ipr.route("add", dst="10.9.0.0/16", gateway="192.0.2.2"),
        ipr.route("add", dst="10.8.0.0/16", oif=idx, table=100),
        ipr.route("add", dst="10.7.0.0/16", RTA_GATEWAY="192.0.2.2", RTA_PRIORITY=7),
        ipr.rule("add", table=2048, priority=20103, FRA_FWMARK=10, FRA_FWMASK=12),
        ipr.rule("add", table=100, priority=20104, src="10.0.0.0/8"),
        ipr.neigh("add", dst="192.0.2.44", lladdr="02:00:00:00:00:44", ifindex=idx),
        ipr.link("set", index=idx, mtu=1400),
    ]
    return [[(m["event"], m["error"]) for m in r] for r in out]


def test_writes_leave_the_same_state_and_answer_acks(ns: str, ns2: str) -> None:
    batch(ns, "link add v0 type veth peer name v1\nlink set v0 up\nlink set v1 up\n"
              "addr add 192.0.2.1/24 dev v0\n")
    batch(ns2, "link add v0 type veth peer name v1\nlink set v0 up\nlink set v1 up\n"
               "addr add 192.0.2.1/24 dev v0\n")
    with IPRoute(netns=ns) as ours, pyroute2.IPRoute(netns=ns2) as theirs:
        a, b = scenario(ours), scenario(theirs)
        assert a == b
        assert all(r == [("NLMSG_ERROR", 0)] for r in a)
        assert state(ns) == state(ns2)
        # the library face adds routes as pyroute2 does: static, not boot (ip's), and
        # a route onto its device with scope global, not link (ip's)
        assert [(r["proto"], r["scope"]) for r in ours.get_routes(table=100)] == [
            (C.RTPROT_STATIC, C.RT_SCOPE_UNIVERSE)]
        same(ours.get_routes(family=AF_INET, table=254),
             theirs.get_routes(family=AF_INET, table=254))
        same(ours.get_rules(family=AF_INET), theirs.get_rules(family=AF_INET))
        lifetimes = [m.get("cacheinfo") for m in ours.get_addr(address="198.51.100.5")]
        assert lifetimes[0]["ifa_valid"] <= 119 and lifetimes[0]["ifa_preferred"] <= 99


def test_ensure_is_idempotent(ns: str, ns2: str) -> None:
    for name in (ns, ns2):
        batch(name, "link add v0 type veth peer name v1\nlink set v0 up\n")
    with IPRoute(netns=ns) as ours, pyroute2.IPRoute(netns=ns2) as theirs:
        for ipr in (ours, theirs):
            idx = ipr.link_lookup(ifname="v0")[0]
            for _ in range(2):  # twice: the second finds it there
                got = ipr.ensure(ipr.addr, present=True, index=idx,
                                 address="192.0.2.9/24")
                assert [m.get("address") for m in got] == ["192.0.2.9"]
        assert state(ns) == state(ns2)
        for ipr in (ours, theirs):
            idx = ipr.link_lookup(ifname="v0")[0]
            for _ in range(2):
                assert list(ipr.ensure(ipr.addr, present=False, index=idx,
                                       address="192.0.2.9/24")) == []
        assert state(ns) == state(ns2)


def flush_setup(ns: str) -> None:
    batch(ns, "link add v0 type veth peer name v1\nlink set v0 up\n"
              "addr add 192.0.2.1/24 dev v0\naddr add 192.0.2.7/24 dev v0\n"
              "addr add 198.51.100.1/24 dev v0\n"
              "route add 10.1.0.0/16 via 192.0.2.2\nroute add 10.2.0.0/16 via 192.0.2.2\n"
              "route add 10.3.0.0/16 dev v0 table 100\n"
              "rule add pref 100 table 100\nrule add pref 101 fwmark 5 table 100\n")


def test_flushes(ns: str, ns2: str) -> None:
    flush_setup(ns)
    flush_setup(ns2)
    with IPRoute(netns=ns) as ours, pyroute2.IPRoute(netns=ns2) as theirs:
        for ipr in (ours, theirs):
            idx = ipr.link_lookup(ifname="v0")[0]
            acks = ipr.flush_routes(table=100)
            assert [(m["event"], m["error"]) for m in acks] == [("NLMSG_ERROR", 0)]
            ipr.flush_routes(family=AF_INET, table=254, proto=C.RTPROT_BOOT)
            ipr.flush_rules(family=AF_INET, priority=101)
            ipr.flush_addr(index=idx, address="198.51.100.1")
        assert state(ns) == state(ns2)
        assert [r.get("priority") for r in ours.get_rules(family=AF_INET)
                if r.get("priority") in (100, 101)] == [100]
        for ipr in (ours, theirs):
            ipr.flush_addr(index=ipr.link_lookup(ifname="v0")[0])
        assert state(ns) == state(ns2)
        assert not ours.get_addr(family=AF_INET, label="v0")


def test_route_dump_loads_into_another_namespace(ns: str, ns2: str) -> None:
    for name in (ns, ns2):
        batch(name, "link add v0 type veth peer name v1\nlink set v0 up\nlink set v1 up\n"
                    "addr add 192.0.2.1/24 dev v0\n")
    batch(ns, "route add 10.1.0.0/16 via 192.0.2.2\nroute add 10.2.0.0/16 dev v0 table 9\n")
    with IPRoute(netns=ns) as ours, pyroute2.IPRoute(netns=ns) as theirs, \
            IPRoute(netns=ns2) as other:
        saved = ours.route_dumps(family=AF_INET)
        assert saved[:4] == C.IPROUTE2_DUMP_MAGIC.to_bytes(4, "little")
        from nlshell.engine.codec import parse
        mine, yours = parse(saved[4:]), parse(theirs.route_dumps(family=AF_INET)[4:])
        same(mine, yours)
        assert other.route_loads(saved) == []
        assert state(ns)["route"] == state(ns2)["route"]
        other.flush_routes(table=9)
        fd = io.BytesIO(saved)
        assert other.route_load(fd) == []  # a file object, as route_dump writes one
        assert state(ns)["route"] == state(ns2)["route"]
        out = io.BytesIO()
        ours.route_dump(out, family=AF_INET, fmt="raw")
        same(parse(out.getvalue()), yours)
        with pytest.raises(ValueError, match="magic"):
            other.route_loads(b"\0" * 8)


# -- errors -------------------------------------------------------------------------------


def test_the_same_errors(both: tuple[Any, Any]) -> None:
    ours, theirs = both
    assert same_error(ours.link, theirs.link, "get", index=9999) == errno.ENODEV
    assert same_error(ours.route, theirs.route, "add", dst="10.0.0.0/8",
                      gateway="203.0.113.1") == errno.ENETUNREACH
    assert same_error(ours.addr, theirs.addr, "del", index=1, address="192.0.2.200",
                      prefixlen=24) == errno.EADDRNOTAVAIL
    assert same_error(ours.rule, theirs.rule, "del", table=77, priority=777) == errno.ENOENT
    assert same_error(ours.route, theirs.route, "del", dst="10.0.0.0/8") == errno.ESRCH
    assert same_error(ours.link, theirs.link, "add", ifname="lo", kind="veth",
                      peer="lo2") == errno.EEXIST


def test_dump_interrupted_and_netns_import_as_pyroute2_spells_them() -> None:
    from nlshell import NetlinkDumpInterrupted
    from nlshell.netns import create, listnetns, remove

    assert issubclass(NetlinkDumpInterrupted, NetlinkError)
    assert nlshell.netns is nlshell.engine.netns
    assert create is nlshell.engine.netns.create and callable(remove) and callable(listnetns)
    from pyroute2.netlink import NLM_F_DUMP
    from pyroute2.netlink.rtnl import RTM_NEWLINK
    from pyroute2.netlink.rtnl.ifinfmsg import IFF_UP

    assert (nlshell.NLM_F_DUMP, nlshell.RTM_NEWLINK, nlshell.IFF_UP) == (
        NLM_F_DUMP, RTM_NEWLINK, IFF_UP)
    assert nlshell.AF_INET == socket.AF_INET and nlshell.RT_SCOPE_LINK == 253
    assert nlshell.RTPROT_STATIC == 4
    with pytest.raises(AttributeError):
        nlshell.IFF_NO_SUCH_FLAG  # noqa: B018


def test_ensure_a_link(ns: str, ns2: str) -> None:
    with IPRoute(netns=ns) as ours, pyroute2.IPRoute(netns=ns2) as theirs:
        for ipr in (ours, theirs):
            for _ in range(2):
                got = ipr.ensure(ipr.link, present=True, ifname="br9", kind="bridge",
                                 state="up")
                assert [(m.get("ifname"), m.get("state")) for m in got] == [("br9", "up")]
        # two namespaces: MACs differ; what ensure asked for is the same
        assert [(m.get("ifname"), m.get(("linkinfo", "kind")), m["flags"] & C.IFF_UP)
                for m in ours.link("dump", ifname="br9")] == \
            [(m.get("ifname"), m.get(("linkinfo", "kind")), m["flags"] & C.IFF_UP)
             for m in theirs.link("dump", ifname="br9")]
        for ipr in (ours, theirs):
            for _ in range(2):
                assert list(ipr.ensure(ipr.link, present=False, ifname="br9")) == []
        assert ours.link_lookup(ifname="br9") == theirs.link_lookup(ifname="br9") == []
