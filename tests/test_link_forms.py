"""Every `ip link` form and kind option this kernel has, side by side with ip (issue 12).

Each case is one command line in ip's words. Two fresh namespaces get the same set-up (by
`ip -batch`); `ip` runs the line in one and nlshell in the other, then both namespaces'
`ip -j -d` state is compared with only what differs by nature masked (random MACs and what
derives from them, timers; see support/twins.py).

`REFUSED` are bad values and kind words out of place: nlshell refuses them with ip's status
(or the usage status, where `STATUS_DIFFERS` says why), with one line naming the word, and
applies nothing (the namespace stays as ip leaves it).
"""

from __future__ import annotations

import pytest
from support.nlrun import nl
from support.twins import assert_same_as_ip, run_ip_line, run_nl_line, twin_pair, wait_equal

from nlshell.commands.context import EXIT_USAGE

pytestmark = pytest.mark.requires_root

M1, M2, M3, M4 = ("02:aa:00:00:00:01", "02:aa:00:00:00:02", "02:aa:00:00:00:03",
                  "02:aa:00:00:00:04")

# a veth pair with fixed MACs (so what derives from them compares equal)
V = (f"link add v0 address {M1} type veth peer name v1 address {M2}\n"
     "link set v0 up\nlink set v1 up\n"
     "addr add 192.0.2.1/24 dev v0\naddr add 2001:db8:1::1/64 dev v0 nodad\n")
# a bridge with two ports (p0, q0)
BR = (f"link add br0 address {M3} type bridge\n"
      f"link add p0 address {M1} type veth peer name p1 address {M2}\n"
      f"link add q0 address {M4} type veth peer name q1 address 02:aa:00:00:00:05\n"
      "link set p0 master br0\nlink set q0 master br0\n")
VX = V + "link add vx0 type vxlan id 42 dstport 4789 dev v0\n"
MVS = V + "link add mv0 link v0 type macvlan mode source\n"
VXA = "link add vx0 type vxlan id 42 dstport 4789"  # a vxlan line's start

CASES: list[tuple[str, str]] = [
    # -- link add: the name's forms and the generic words
    ("", "link add dev veth1 type veth peer name veth2"),
    ("", "link add dev veth1 type veth peer dev veth2"),
    ("", "link add veth1 type veth peer veth2"),
    ("", "link add veth1 type veth peer"),
    ("", "link add veth1 type veth peer name veth2 mtu 1400 txqueuelen 50"),
    ("", f"link add veth1 type veth peer name veth2 address {M2}"),
    ("", "link add veth1 type veth peer name veth2 group 4"),
    ("", "link add veth1 type veth peer name veth2 numtxqueues 3 numrxqueues 3"),
    ("", "link add veth1 index 77 type veth peer name veth2 index 78"),
    ("", "link add veth1 group 5 type veth peer name veth2"),
    ("", "link add veth1 numtxqueues 4 numrxqueues 2 type veth peer name veth2"),
    ("", "link add veth1 gso_max_size 32000 gso_max_segs 100 type veth peer name veth2"),
    ("", "link add veth1 gro_max_size 32000 type veth peer name veth2"),
    ("", "link add veth1 txqlen 10 mtu 9000 type veth"),
    ("", f"link add dev veth1 address {M1} broadcast 02:aa:ff:ff:ff:ff type veth"),
    ("", "link add veth1 up type veth peer name veth2"),
    ("", "link add ifb0 type ifb"),
    ("", "link add dev ifb0 mtu 1400 type ifb"),
    ("", "link add ifb0 arp off type ifb"),
    ("", "link add ifb0 multicast off type ifb"),
    ("", "link add ifb0 group default type ifb"),
    # -- bridge: every option on add
    ("", "link add br0 type bridge"),
    ("", "link add br0 type bridge stp_state 1"),
    ("", "link add br0 type bridge forward_delay 500 hello_time 300 max_age 1000"),
    ("", "link add br0 type bridge ageing_time 10000 priority 100"),
    ("", "link add br0 type bridge group_fwd_mask 8"),
    ("", "link add br0 type bridge group_address 01:80:c2:00:00:0e"),
    ("", "link add br0 type bridge mcast_snooping 0"),
    ("", "link add br0 type bridge mcast_router 2 mcast_query_use_ifaddr 1"),
    ("", "link add br0 type bridge mcast_querier 1 mcast_hash_max 1024 "
         "mcast_hash_elasticity 16"),
    ("", "link add br0 type bridge mcast_last_member_count 3 mcast_startup_query_count 3"),
    ("", "link add br0 type bridge mcast_last_member_interval 200 "
         "mcast_membership_interval 30000"),
    ("", "link add br0 type bridge mcast_querier_interval 30000 mcast_query_interval 10000"),
    ("", "link add br0 type bridge mcast_query_response_interval 500 "
         "mcast_startup_query_interval 3000"),
    ("", "link add br0 type bridge mcast_stats_enabled 1 mcast_igmp_version 3 "
         "mcast_mld_version 2"),
    ("", "link add br0 type bridge nf_call_iptables 1 nf_call_ip6tables 1 nf_call_arptables 1"),
    ("", "link add br0 type bridge vlan_protocol 802.1ad vlan_default_pvid 5"),
    ("", "link add br0 type bridge vlan_stats_enabled 1"),
    ("", "link add br0 type bridge no_linklocal_learn 1"),
    ("", "link add br0 type bridge vlan_stats_per_port 1"),
    ("", "link add br0 type bridge forward_delay 100 stp_state 1"),
    ("", "link add br0 type bridge fdb_flush"),
    # -- bridge: set
    (BR, "link set br0 type bridge stp_state 1"),
    (BR, "link set br0 type bridge ageing_time 20000"),
    (BR, "link set dev br0 type bridge forward_delay 800"),
    (BR, "link set br0 type bridge priority 4096 hello_time 150"),
    (BR, "link set br0 type bridge mcast_snooping 0 mcast_querier 1"),
    (BR, "link set br0 type bridge fdb_flush"),
    (BR, "link set br0 up type bridge group_fwd_mask 16"),
    # -- bridge_slave: every port option
    (BR, "link set p0 type bridge_slave cost 10"),
    (BR, "link set p0 type bridge_slave priority 5"),
    (BR, "link set p0 type bridge_slave guard on"),
    (BR, "link set p0 type bridge_slave hairpin on"),
    (BR, "link set p0 type bridge_slave fastleave on"),
    (BR, "link set p0 type bridge_slave mcast_fast_leave on"),
    (BR, "link set p0 type bridge_slave root_block on"),
    (BR, "link set p0 type bridge_slave learning off"),
    (BR, "link set p0 type bridge_slave flood off"),
    (BR, "link set p0 type bridge_slave mcast_flood off"),
    (BR, "link set p0 type bridge_slave bcast_flood off"),
    (BR, "link set p0 type bridge_slave mcast_to_unicast on"),
    (BR, "link set p0 type bridge_slave proxy_arp on"),
    (BR, "link set p0 type bridge_slave proxy_arp_wifi on"),
    (BR, "link set p0 type bridge_slave neigh_suppress on"),
    (BR, "link set p0 type bridge_slave isolated on"),
    (BR, "link set p0 type bridge_slave locked on"),
    (BR + "link set br0 up\nlink set p0 up\nlink set p1 up\n",
     "link set p0 type bridge_slave state 2"),
    (BR, "link set p0 type bridge_slave mcast_router 2"),
    (BR, "link set p0 type bridge_slave group_fwd_mask 8"),
    (BR, "link set p0 type bridge_slave fdb_flush"),
    (BR, "link set p0 type bridge_slave backup_port q0"),
    (BR, "link set p0 type bridge_slave cost 10 priority 5 learning off guard on"),
    (BR + "link set p0 type bridge_slave backup_port q0\n",
     "link set p0 type bridge_slave nobackup_port"),
    # -- vxlan: every option on add
    (V, "link add vx0 type vxlan id 42 dstport 4789 dev v0"),
    (V, "link add vx0 type vxlan vni 42 dstport 4789 remote 192.0.2.7 local 192.0.2.1"),
    (V, f"{VXA} group 239.1.1.1 dev v0"),
    (V, f"{VXA} ttl 10 tos 0x10"),
    (V, f"{VXA} ttl inherit"),
    (V, f"{VXA} ttl auto"),
    (V, f"{VXA} tos inherit"),
    (V, f"{VXA} tos 28"),
    (V, f"{VXA} df set"),
    (V, f"{VXA} df inherit"),
    (V, f"{VXA} df unset"),
    (V, f"{VXA} remote 2001:db8:1::7 flowlabel 5"),
    (V, f"{VXA} srcport 1000 2000"),
    (V, f"{VXA} nolearning proxy"),
    (V, f"{VXA} rsc l2miss l3miss"),
    (V, f"{VXA} ageing 100 maxaddress 50"),
    (V, f"{VXA} maxaddress unlimited"),
    (V, f"{VXA} noudpcsum"),
    (V, f"{VXA} remote 2001:db8:1::7 udp6zerocsumtx udp6zerocsumrx"),
    (V, f"{VXA} remcsumtx remcsumrx"),
    (V, f"{VXA} gbp"),
    (V, "link add vx0 type vxlan external dstport 4789"),
    (V, "link add vx0 type vxlan external vnifilter dstport 4789"),
    (V, "link add vx0 type vxlan external gpe dstport 4790"),
    (V, f"{VXA} learning"),
    (V, "link add vx0 type vxlan id 42 dstport 4789 remote 2001:db8:1::7 "
        "local 2001:db8:1::1"),
    (V, "link add vx0 type vxlan id 42"),
    (V, "link add vx0 group 3 type vxlan id 42 dstport 4789 group 239.1.1.1 dev v0"),
    (V, "link add vx0 type vxlan external learning dstport 4789"),
    # -- vxlan: set
    (VX, "link set vx0 type vxlan ageing 600"),
    (VX, "link set vx0 type vxlan ttl 20"),
    # -- macvlan / macvtap
    (V, "link add mv0 link v0 type macvlan mode bridge"),
    (V, "link add mv0 link v0 type macvlan mode private"),
    (V, "link add mv0 link v0 type macvlan mode vepa"),
    (V, "link add mv0 link v0 type macvlan mode passthru"),
    (V, "link add mv0 link v0 type macvlan mode passthru nopromisc"),
    (V, "link add mv0 link v0 type macvlan mode source"),
    (V, "link add mv0 link v0 type macvlan mode source nodst"),
    (V, "link add mv0 link v0 type macvlan mode bridge bcqueuelen 200"),
    (V, f"link add mv0 link v0 type macvlan mode source macaddr add {M3}"),
    (V, "link add mv0 link v0 type macvtap mode bridge"),
    (V, "link add mv0 link v0 type macvtap mode vepa bcqueuelen 100"),
    (MVS, f"link set mv0 type macvlan macaddr set {M3} {M4}"),
    (MVS, f"link set mv0 type macvlan macaddr add {M3}"),
    (MVS + f"link set mv0 type macvlan macaddr add {M3}\n",
     f"link set mv0 type macvlan macaddr del {M3}"),
    (MVS + f"link set mv0 type macvlan macaddr add {M3}\n",
     "link set mv0 type macvlan macaddr flush"),
    # -- link set: the generic words
    (V, "link set v0 group 7"),
    (V, "link set dev v0 group default"),
    (V + "link set v0 group 5\nlink set v1 group 5\n", "link set group 5 mtu 1280"),
    (V + "link set v0 group 5\n", "link set group 5 down"),
    (V, "link set v0 dynamic on"),
    (V, "link set v0 trailers off"),
    (V, "link set v0 xdp off"),
    (V, "link set v0 xdpgeneric off"),
    (V, "link set v0 addrgenmode none"),
    (V, "link set v0 addrgenmode random"),
    (V, "link set v0 addrgenmode eui64"),
    (V, "link set v0 gso_max_size 32000"),
    (V, "link set v0 gso_max_segs 100"),
    (V, "link set v0 gro_max_size 32000"),
    (V, "link set v0 gso_max_size 32000 gso_max_segs 100 gro_max_size 32000 mtu 1400"),
    (V, "link set v0 multicast off arp off"),
    (V, "link set v0 allmulticast on promisc on"),
    # -- alternative names
    (V, "link property add dev v0 altname uplink0"),
    (V, "link property add dev v0 altname a1 altname a2"),
    (V, "link property add dev v0"),
    (V + "link property add dev v0 altname uplink0\n", "link property del dev v0 altname uplink0"),
    (V + "link property add dev v0 altname uplink0\n", "link set uplink0 mtu 1300"),
    # -- link delete
    (V + "link set v0 group 3\n", "link delete group 3"),
    (V, "link delete dev v0 type veth"),
]

# bad values and words out of place: a usage error, nothing applied
REFUSED: list[tuple[str, str, str]] = [  # (setup, line, a word the message names)
    ("", "link add br0 type bridge priority 70000", "70000"),
    ("", "link add br0 type bridge stp_state", "stp_state"),
    ("", "link add br0 type bridge vlan_protocol 802.1x", "802.1x"),
    ("", "link add br0 type bridge mcast_igmp_version 300", "300"),
    ("", "link add br0 type bridge id 5", "id"),
    ("", "link add br0 type bridge group_address zz", "zz"),
    (V, "link add vx0 type vxlan id 16777216", "16777216"),
    (V, "link add vx0 type vxlan id 42 dstport 70000", "70000"),
    (V, "link add vx0 type vxlan id 42 tos zz", "zz"),
    (V, "link add vx0 type vxlan id 42 df maybe", "maybe"),
    (V, "link add vx0 type vxlan id 42 ttl 300", "300"),
    (V, "link add vx0 type vxlan id 42 flowlabel 2000000", "2000000"),
    (V, "link add vx0 type vxlan id 42 srcport 1000", "MAX"),
    (V, "link add vx0 type vxlan id 42 remote 239.1.1.1", "239.1.1.1"),
    (V, "link add vx0 type vxlan id 42 group 192.0.2.1", "192.0.2.1"),
    (V, "link add vx0 type vxlan id 42 local 300.1.1.1", "300.1.1.1"),
    (V, "link add vx0 type vxlan id 42 maxaddress lots", "lots"),
    (V, "link add vx0 type vxlan dstport 4789", "id"),
    (V, "link add vx0 type vxlan id 42 cost 5", "cost"),
    (V, "link add mv0 link v0 type macvlan mode fancy", "fancy"),
    (V, "link add mv0 link v0 type macvlan mode bridge nopromisc", "nopromisc"),
    (V, "link add mv0 link v0 type macvlan mode bridge stp_state 1", "stp_state"),
    (BR, "link set p0 type bridge_slave cost lots", "lots"),
    (BR, "link set p0 type bridge_slave guard maybe", "maybe"),
    (BR, "link set p0 type bridge_slave learning", "learning"),
    (BR, "link set p0 type bridge_slave state 9", "9"),
    (BR, "link set p0 type bridge_slave vni 5", "vni"),
    (BR, "link set br0 type bridge forward_delay -1", "-1"),
    (V, "link set v0 addrgenmode fancy", "fancy"),
    (V, "link set v0 group lots", "lots"),
    (V, "link set v0 gso_max_size big", "big"),
    (V, "link set v0 dynamic maybe", "maybe"),
    (V, "link set v0 carrier maybe", "maybe"),
    (V, "link set v0 xdp maybe", "maybe"),
    (V, "link set v0 mtu", "mtu"),
    (V, "link add veth1 type veth peer name veth2 mtu huge", "huge"),
    (V, "link add veth1 numtxqueues 0 type veth", "0"),
    (V, "link delete group zz", "zz"),
    (V, "link set v0 vrf v1", "v1"),
    (V, "link set v0 mtu 1400 type bridge stp_state 1", "type bridge"),
    (V, "link set v0 mtu 1400 type bridge_slave cost 5", "type bridge_slave"),
    (V, "link set v0 type vxlan ttl 5", "type vxlan"),
    (V, "link show vrf v1", "v1"),
    (V, "link set v0 mtu 1400 type bridge_slave cost 5 mcast_snooping 1", "mcast_snooping"),
]


def _ids(cases: list) -> list[str]:
    return [case[1] for case in cases]


def test_the_lists_are_long_enough() -> None:
    lines = _ids(CASES)
    assert len(lines) >= 90 and len(set(lines)) == len(lines)
    assert len(set(_ids(REFUSED))) == len(REFUSED)


@pytest.mark.parametrize(("setup", "line"), CASES, ids=_ids(CASES))
def test_the_line_leaves_the_kernel_as_ip_does(setup: str, line: str) -> None:
    assert_same_as_ip(setup, line)


# where nlshell's status differs from ip's, on purpose: a bad word is a usage error (255)
# wherever it stands, while ip's kind parsers exit 1 (and a few checks ip leaves to the
# kernel come back as 2, or 22 for `carrier`)
STATUS_DIFFERS = {
    "link add br0 type bridge id 5": 1,
    "link add vx0 type vxlan dstport 4789": 1,
    "link add vx0 type vxlan id 42 cost 5": 1,
    "link add mv0 link v0 type macvlan mode fancy": 1,
    "link add mv0 link v0 type macvlan mode bridge nopromisc": 1,
    "link add mv0 link v0 type macvlan mode bridge stp_state 1": 1,
    "link set p0 type bridge_slave guard maybe": 1,
    "link set p0 type bridge_slave vni 5": 1,
    "link set v0 mtu 1400 type bridge_slave cost 5 mcast_snooping 1": 1,
    "link set v0 dynamic maybe": 1,
    "link set v0 carrier maybe": 22,
    "link set p0 type bridge_slave state 9": 2,
    "link add veth1 numtxqueues 0 type veth": 2,
    "link set v0 mtu 1400 type bridge stp_state 1": 2,
    "link set v0 mtu 1400 type bridge_slave cost 5": 2,
    "link set v0 type vxlan ttl 5": 2,
}


@pytest.mark.parametrize(("setup", "line", "word"), REFUSED, ids=_ids(REFUSED))
def test_a_bad_line_is_refused_naming_the_word_and_applies_nothing(setup: str, line: str,
                                                                   word: str) -> None:
    with twin_pair(setup) as (ns_ip, ns_nl):
        ip_code, _ = run_ip_line(ns_ip, line)
        assert ip_code != 0, f"the case is wrong: ip accepts `{line}`"
        res = nl(ns_nl, line)
        if line in STATUS_DIFFERS:
            assert ip_code == STATUS_DIFFERS[line], f"ip's status changed: {ip_code}"
            assert res.code == EXIT_USAGE, res
        else:  # ip's status: 255 for a word it refuses, 1 for an address or MAC
            assert res.code == ip_code, res
        lines = res.err.strip().splitlines()
        assert len(lines) == 1 and word in lines[0], res.err
        wait_equal(ns_ip, ns_nl)


def test_link_show_group(vns: str) -> None:
    from support.iporacle import batch
    from support.nlrun import nlj

    batch(vns, "link set v0 group 9\n")
    assert [e["ifname"] for e in nlj(vns, "link show group 9")] == ["v0"]
    assert "v0" not in [e["ifname"] for e in nlj(vns, "link show group default")]


def test_link_xstats_and_afstats_as_ip() -> None:
    from support.iporacle import batch, ip
    from support.testns import temp_netns

    with temp_netns() as ns:
        batch(ns, BR)
        for args in ("link xstats type bridge", "link xstats type bridge_slave",
                     "link xstats type bridge_slave dev q0", "link xstats type bridge dev p0",
                     "link afstats", "link afstats dev p0"):
            for json in (False, True):
                want = ip(*(["-j"] if json else []), *args.split(), ns=ns)
                res = nl(ns, args, json=json)
                assert (res.code, res.err) == (0, ""), res
                if json:
                    import json as j

                    assert j.loads(res.out) == j.loads(want or "[]"), args
                else:
                    assert res.out == want, args


def test_link_help_is_nlshells_own_text_on_stdout() -> None:
    res = nl(None, "link help")
    assert res.code == 0 and res.err == ""
    for verb in ("show", "add", "set", "delete", "help"):
        assert f"usage: link {verb}" in res.out
    res = nl(None, "link help bridge_slave")
    assert res.code == 0 and "cost COST" in res.out and "neigh_suppress" in res.out
    res = nl(None, "link help vxlan")
    assert "srcport" in res.out and "udp6zerocsumrx" in res.out


def test_kind_words_are_in_the_grammar_readers() -> None:
    """Completion and `?` offer a kind's words after `type KIND`; its `dev` shadows the name."""
    from nlshell.commands.parser import parse
    from nlshell.commands.suggest import suggest

    words = {e.text for e in suggest("link set p0 type bridge_slave ")}
    assert {"cost", "neigh_suppress", "backup_port", "fdb_flush"} <= words
    words = {e.text for e in suggest("link add vx0 type vxlan ")}
    assert {"udp6zerocsumtx", "noudp6zerocsumtx", "srcport", "gbp"} <= words
    for line in ("link add dev vx0 type vxlan id 5 dev eth0 group 239.1.1.1",
                 "link add dev vx0 type vxlan id 5 de eth0 grou 239.1.1.1"):  # abbreviated
        inv = parse(line)
        assert inv.values["name"] == "vx0" and inv.values["vxlan.dev"] == "eth0"
        assert inv.values["vxlan.group"] == "239.1.1.1" and "group" not in inv.values
    assert parse("link add vx0 group 4 type vxlan id 5").values["group"] == 4


def test_encodings_the_kernel_here_cannot_check() -> None:
    """protodown and carrier need a driver that supports them (veth, bridge, ifb do not):
    the request carries what ip sends."""
    from nlshell.commands.linkops import link_set_kwargs
    from nlshell.commands.parser import parse
    from nlshell.engine import requests as R
    from nlshell.engine.codec import encode
    from nlshell.engine.codec import parse as decode

    class Ctx:
        def ifindex(self, name: str) -> int:
            return 7

    req = R.link_request("set", link_set_kwargs(Ctx(), parse(
        "link set x0 protodown on carrier off xdp off addrgenmode none")))
    (msg,) = decode(encode(req.msg_type, req.flags, fields=req.fields, attrs=req.attrs))
    assert msg.get("index") == 7 and msg.get("proto_down") == 1 and msg.get("carrier") == 0
    assert msg.get("xdp") == bytes.fromhex("08000100ffffffff")
    assert msg.get(("af_spec", "AF_INET6", "addr_gen_mode")) == 1
    req = R.link_request("set", link_set_kwargs(Ctx(), parse(
        "link set x0 protodown_reason 3 on")))
    (msg,) = decode(encode(req.msg_type, req.flags, fields=req.fields, attrs=req.attrs))
    # { IFLA_PROTO_DOWN_REASON_MASK = bit 3, IFLA_PROTO_DOWN_REASON_VALUE = bit 3 }
    assert msg.get("proto_down_reason") == bytes.fromhex("0800010008000000" "0800020008000000")


# lines this kernel refuses: the kernel's answer reaches the user (status 2), as with ip
KERNEL_REFUSES = [
    ("link set v0 protodown on", "Protodown not supported"),
    ("link set v0 protodown_reason 3 on", "Protodown not supported"),
    ("link add br0 type bridge vlan_filtering 1", "Operation not supported"),
    ("link add br0 type bridge mcast_vlan_snooping 1", "vlan filtering disabled"),
    ("link add br0 type bridge mcast_igmp_version 4", "Invalid argument"),
    ("link add vx0 type vxlan id 5 gpe dstport 4790", "GPE does not support"),
]


def test_what_this_kernel_refuses_is_refused_alike() -> None:
    with twin_pair(V) as (ns_ip, ns_nl):
        for line, why in KERNEL_REFUSES:
            assert run_ip_line(ns_ip, line)[0] == 2, line
            code, err = run_nl_line(ns_nl, line)
            assert code == 2 and why in err, (line, err)
        wait_equal(ns_ip, ns_nl)


def test_peer_in_another_namespace_as_ip() -> None:
    """`peer name P netns NS mtu N`: the peer is made in NS with its words, as ip makes it."""
    from support.iporacle import ipj
    from support.testns import temp_netns

    with temp_netns() as ns_ip, temp_netns() as ns_nl, temp_netns() as other:
        code, err = run_ip_line(ns_ip, f"link add a1 type veth peer name a2 netns {other} "
                                       "mtu 1400 txqueuelen 7 group 3")
        assert code == 0, err
        res = nl(ns_nl, f"link add b1 type veth peer name b2 netns {other} mtu 1400 "
                        "txqueuelen 7 group 3")
        assert (res.code, res.err) == (0, ""), res
        peers = {e["ifname"]: e for e in ipj(other, "link show")}
        for name in ("a2", "b2"):
            assert (peers[name]["mtu"], peers[name]["txqlen"], peers[name]["group"]) == \
                (1400, 7, "3"), peers[name]
