"""The two faces of the one route-defaults table (engine/requests/route_defaults.py): the
command language adds routes as ip does (proto boot, a route onto its device scope link),
the library face as pyroute2 does (proto static, scope global); ``ip route add`` is the
oracle of the first. Also the pyroute2 keyword spellings the library takes."""

from __future__ import annotations

from typing import Any

import pytest
from support.iporacle import batch, ipj
from support.nlrun import nl_batch, ok

from nlshell import IPRoute
from nlshell.engine import requests as R
from nlshell.engine.codec import constants as C
from nlshell.engine.codec import encode
from nlshell.engine.requests import route_defaults as D


def shown(ns: str, dst: str) -> dict[str, Any]:
    (found,) = [r for r in ipj(ns, "route", "show", "table", "all") if r["dst"] == dst]
    return {k: found.get(k) for k in ("protocol", "scope", "dev")}


def test_commands_keep_ips_defaults_library_takes_pyroute2s(vns: str) -> None:
    batch(vns, "route add 10.1.0.0/16 dev v0\n")  # ip itself: the oracle
    ok(vns, "route add 10.2.0.0/16 dev v0")
    assert nl_batch(vns, "route add 10.3.0.0/16 dev v0\n").code == 0  # the pipelined path
    with IPRoute(netns=vns) as ipr:
        idx = ipr.link_lookup(ifname="v0")[0]
        ipr.route("add", dst="10.4.0.0/16", oif=idx)  # the fast path
        ipr.route("add", dst="10.5.0.0/16", oif=idx, type="unicast")  # the general path
        with ipr.bulk() as b:
            b.route("add", dst="10.6.0.0/16", oif=idx)
    ip_way = shown(vns, "10.1.0.0/16")
    assert ip_way == {"protocol": None, "scope": "link", "dev": "v0"}  # None: boot
    assert shown(vns, "10.2.0.0/16") == shown(vns, "10.3.0.0/16") == ip_way
    for dst in ("10.4.0.0/16", "10.5.0.0/16", "10.6.0.0/16"):
        assert shown(vns, dst) == {"protocol": "static", "scope": None, "dev": "v0"}, dst
    with IPRoute(netns=vns) as ipr:
        got = {r.get("dst"): (r["proto"], r["scope"]) for r in ipr.get_routes(table=254)}
    assert got["10.1.0.0"] == got["10.2.0.0"] == got["10.3.0.0"] == (
        C.RTPROT_BOOT, C.RT_SCOPE_LINK)
    assert got["10.4.0.0"] == got["10.5.0.0"] == got["10.6.0.0"] == (
        C.RTPROT_STATIC, C.RT_SCOPE_UNIVERSE)


@pytest.mark.parametrize("face", [D.IP_FACE, D.LIBRARY_FACE])
def test_fast_path_bytes_equal_the_general_path_for_each_face(face: Any) -> None:
    for kw in ({"dst": "10.0.0.0/8", "oif": 3}, {"dst": "10.0.0.0/8", "gateway": "10.1.1.1"},
               {"dst": "2001:db8::/32", "oif": 3, "table": 1000, "priority": 5}):
        req = R.route_request("add", kw, face)
        assert R.fast_route("add", kw, face) == encode(
            req.msg_type, req.flags | C.NLM_F_REQUEST, 0, req.fields, req.attrs)
        assert req.fields["proto"] == face.proto


def test_pyroute2_spellings() -> None:
    a = R.addr_request("add", {"index": 2, "address": "192.0.2.5", "prefixlen": 24,
                               "preferred": 99, "valid": 119})
    assert ("cacheinfo", {"ifa_preferred": 99, "ifa_valid": 119}) in a.attrs
    r = R.rule_request("add", {"table": 2048, "priority": 20103, "FRA_FWMARK": 10,
                               "FRA_FWMASK": 12})
    assert ("fwmark", 10) in r.attrs and ("fwmask", 12) in r.attrs
    rt = R.route_request("add", {"RTA_DST": "10.0.0.0/8", "RTA_GATEWAY": "10.1.1.1",
                                 "RTA_ENCAP_TYPE": 0})
    assert ("dst", "10.0.0.0") in rt.attrs and ("gateway", "10.1.1.1") in rt.attrs
    assert ("RTA_ENCAP_TYPE", 0) in rt.attrs  # a name with no keyword: sent as given
    n = R.neigh_request("add", {"NDA_DST": "192.0.2.9", "ifindex": 2,
                                "NDA_LLADDR": "02:00:00:00:00:09"})
    assert ("lladdr", "02:00:00:00:00:09") in n.attrs
    with pytest.raises(ValueError, match="FRA_NOPE"):
        R.rule_request("add", {"FRA_NOPE": 1})
    with pytest.raises(ValueError, match="same attribute"):
        R.rule_request("add", {"FRA_FWMARK": 1, "fwmark": 2})
    with pytest.raises(ValueError, match="mask"):
        R.route_request("add", {"dst": "10.0.0.0", "mask": 8})  # not pyroute2's either
