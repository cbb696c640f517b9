"""Every `ip` command line an admin types does to the kernel what `ip` does.

Each case is one command line in ip's words (from the man pages' synopses, one per option,
for the kinds this kernel has). Two fresh namespaces get the same set-up (by `ip -batch`);
then `ip` runs the line in one and nlshell in the other, and the two namespaces' state is
compared through `ip -j -d` (links, addresses, routes of every table, neighbours, rules,
nexthops) with only what differs by nature masked (see support/twins.py).

`REFUSED` are lines ip itself refuses: nlshell must refuse them too, with ip's exit status,
and leave the namespace as ip does.
"""

from __future__ import annotations

import pytest
from support.iporacle import VETH_V0
from support.twins import assert_same_as_ip, run_ip_line, run_nl_line, twin_pair, wait_equal

pytestmark = pytest.mark.requires_root

M1, M2, M3 = "02:aa:00:00:00:01", "02:aa:00:00:00:02", "02:aa:00:00:00:03"

# the usual veth pair with fixed MACs (so what derives from them compares equal)
V = (f"link add v0 address {M1} type veth peer name v1 address {M2}\n"
     "link set v0 up\nlink set v1 up\n"
     "addr add 192.0.2.1/24 dev v0\naddr add 2001:db8:1::1/64 dev v0 nodad\n")
assert VETH_V0  # the oracle module's pair, without fixed MACs, is for other tests
# a bridge with one port
BR = (f"link add br0 address {M3} type bridge\n"
      f"link add p0 address {M1} type veth peer name p1 address {M2}\n"
      "link set p0 master br0\n")
IFB = "link add ifb0 type ifb\n"
VX = V + "link add vx0 type vxlan id 42 dstport 4789 dev v0\n"
# routes to play with
R = V + ("route add 198.51.100.0/24 via 192.0.2.2\n"
         "route add 203.0.113.0/24 dev v0 table 100\n"
         "route add 2001:db8:2::/64 via 2001:db8:1::2\n")
RULES = ("rule add pref 100 from 192.0.2.0/24 table 100\n"
         "rule add pref 200 fwmark 0x5 table 200\n")
NH = V + "nexthop add id 1 via 192.0.2.2 dev v0\nnexthop add id 2 via 192.0.2.3 dev v0\n"
NEIGH = V + f"neigh add 192.0.2.9 lladdr {M3} dev v0\n"

CASES: list[tuple[str, str]] = [
    # -- link add: kinds and the forms of their names
    ("", "link add dev veth1 type veth peer name veth2"),
    ("", "link add name veth1 type veth peer name veth2"),
    ("", "link add veth1 type veth peer name veth2"),
    ("", "link add veth1 type veth"),
    ("", f"link add veth1 address {M1} type veth peer name veth2 address {M2}"),
    ("", "link add veth1 mtu 1400 type veth peer name veth2 mtu 1300"),
    ("", "link add veth1 txqueuelen 50 type veth peer name veth2"),
    ("", "link add veth1 numtxqueues 4 numrxqueues 2 type veth peer name veth2"),
    ("", "link add veth1 index 77 type veth peer name veth2"),
    ("", "link add veth1 group 5 type veth peer name veth2"),
    ("", "link add veth1 gso_max_size 32000 gso_max_segs 100 type veth peer name veth2"),
    ("", "link add veth1 gro_max_size 32000 type veth peer name veth2"),
    ("", "link add ifb0 type ifb"),
    ("", f"link add ifb0 address {M1} type ifb"),
    ("", "link add br0 type bridge"),
    ("", "link add br0 type bridge stp_state 1"),
    ("", "link add br0 type bridge forward_delay 500 hello_time 300 max_age 1000"),
    ("", "link add br0 type bridge ageing_time 10000 priority 100"),
    ("", "link add br0 type bridge group_fwd_mask 8"),
    ("", "link add br0 type bridge mcast_snooping 0"),
    ("", "link add br0 type bridge mcast_router 2 mcast_query_use_ifaddr 1"),
    ("", "link add br0 type bridge mcast_querier 1 mcast_hash_max 1024"),
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
    (V, "link add vx0 type vxlan id 42 dstport 4789 dev v0"),
    (V, "link add vx0 type vxlan vni 42 dstport 4789 remote 192.0.2.7 local 192.0.2.1"),
    (V, "link add vx0 type vxlan id 42 dstport 4789 group 239.1.1.1 dev v0"),
    (V, "link add vx0 type vxlan id 42 dstport 4789 ttl 10 tos 0x10"),
    (V, "link add vx0 type vxlan id 42 dstport 4789 df set"),
    (V, "link add vx0 type vxlan id 42 dstport 4789 remote 2001:db8:1::7 flowlabel 5"),
    (V, "link add vx0 type vxlan id 42 dstport 4789 srcport 1000 2000"),
    (V, "link add vx0 type vxlan id 42 dstport 4789 nolearning proxy"),
    (V, "link add vx0 type vxlan id 42 dstport 4789 rsc l2miss l3miss"),
    (V, "link add vx0 type vxlan id 42 dstport 4789 ageing 100 maxaddress 50"),
    (V, "link add vx0 type vxlan id 42 dstport 4789 noudpcsum"),
    (V, "link add vx0 type vxlan id 42 dstport 4789 gbp"),
    (V, "link add vx0 type vxlan external dstport 4789"),
    (V, "link add vx0 type vxlan id 42 dstport 4789 learning"),
    (V, "link add mv0 link v0 type macvlan mode bridge"),
    (V, "link add mv0 link v0 type macvlan mode private"),
    (V, "link add mv0 link v0 type macvlan mode vepa"),
    (V, "link add mv0 link v0 type macvlan mode passthru"),
    (V, "link add mv0 link v0 type macvlan mode source"),
    (V, "link add mv0 link v0 type macvlan mode passthru nopromisc"),
    (V, "link add mv0 link v0 type macvlan mode bridge bcqueuelen 200"),
    (V, "link add mv0 link v0 type macvtap mode bridge"),
    # -- link set
    (V, "link set v0 down"),
    (V, "link set dev v0 mtu 1400"),
    (V, "link set v0 name w0"),
    (V, f"link set v0 address {M3}"),
    (V, "link set v0 txqueuelen 50"),
    (V, "link set v0 txqlen 60"),
    (V, "link set v0 alias uplink"),
    (V, "link set v0 group 7"),
    (V, "link set v0 arp off"),
    (V, "link set v0 multicast off"),
    (V, "link set v0 allmulticast on"),
    (V, "link set v0 promisc on"),
    (V, "link set v0 dynamic on"),
    (V, "link set v0 trailers on"),
    (V, "link set v0 addrgenmode none"),
    (V, "link set v0 addrgenmode random"),
    (V, "link set v0 xdp off"),
    (V, "link set v0 gso_max_size 32000"),
    (V, "link set v0 gso_max_segs 100"),
    (V, "link set v0 gro_max_size 32000"),
    (V, "link set v0 arp off multicast on"),
    (V, "link property add dev v0 altname uplink0"),
    (V, "link set group 0 mtu 1280"),
    (V, "link set v0 up mtu 1500 alias x"),
    (BR, "link set p0 nomaster"),
    (BR, "link set p0 type bridge_slave cost 10"),
    (BR, "link set p0 type bridge_slave priority 5"),
    (BR, "link set p0 type bridge_slave guard on"),
    (BR, "link set p0 type bridge_slave hairpin on"),
    (BR, "link set p0 type bridge_slave fastleave on"),
    (BR, "link set p0 type bridge_slave root_block on"),
    (BR, "link set p0 type bridge_slave learning off"),
    (BR, "link set p0 type bridge_slave flood off"),
    (BR, "link set p0 type bridge_slave mcast_flood off"),
    (BR, "link set p0 type bridge_slave bcast_flood off"),
    (BR, "link set p0 type bridge_slave proxy_arp on"),
    (BR, "link set p0 type bridge_slave neigh_suppress on"),
    (BR, "link set p0 type bridge_slave isolated on"),
    (BR + "link set br0 up\nlink set p0 up\nlink set p1 up\n", "link set p0 type bridge_slave state 2"),
    (BR, "link set br0 type bridge stp_state 1"),
    (BR, "link set br0 type bridge ageing_time 20000"),
    (BR, "link set dev br0 type bridge forward_delay 800"),
    (BR, "link set p1 master br0"),
    (IFB, "link set ifb0 up"),
    (VX, "link set vx0 type vxlan ttl 20"),
    # -- link delete
    (V, "link delete v0"),
    (V, "link del dev v1"),
    (V, "link delete v0 type veth"),
    (IFB + "link set ifb0 group 3\n", "link delete group 3"),
    # -- address
    (V, "address add 10.0.0.1/24 dev v0"),
    (V, "addr add 10.0.0.1/24 brd + dev v0"),
    (V, "addr add 10.0.0.1/24 broadcast 10.0.0.127 dev v0"),
    (V, "addr add 10.0.0.1/24 dev v0 label v0:1"),
    (V, "addr add 10.0.0.1/24 dev v0 scope link"),
    (V, "addr add 10.0.0.1 peer 10.0.0.2 dev v0"),
    (V, "addr add 10.0.0.1/24 dev v0 noprefixroute"),
    (V, "addr add 10.0.0.1/24 dev v0 metric 50"),
    (V, "addr add 10.0.0.1/24 dev v0 valid_lft forever preferred_lft forever"),
    (V, "addr add 192.0.2.50/24 dev v0"),
    (V, "addr add 2001:db8:9::1/64 dev v0 nodad"),
    (V, "addr add 2001:db8:9::1/64 dev v0 nodad noprefixroute"),
    (V, "-6 addr add 2001:db8:9::1/64 dev v0 nodad"),
    (V, "addr add 2001:db8:9::1/64 dev v0 optimistic"),
    (V, "addr add 2001:db8:9::1/64 dev v0 nodad home"),
    (V, "addr add 2001:db8:9::/64 dev v0 mngtmpaddr nodad"),
    (V, "addr del 192.0.2.1/24 dev v0"),
    (V, "addr del 2001:db8:1::1/64 dev v0"),
    (V + "addr add 192.0.2.50/24 dev v0\n", "addr del 192.0.2.50/24 dev v0"),
    (V, "addr flush dev v0"),
    (V, "-4 addr flush dev v0"),
    (V, "-6 addr flush dev v0"),
    (V + "addr add 192.0.2.50/24 dev v0\n", "addr flush dev v0 secondary"),
    (V + "addr add 192.0.2.50/24 dev v0\n", "addr flush dev v0 primary"),
    (V, "addr flush dev v0 scope global"),
    (V, "addr flush to 192.0.2.0/24"),
    (V, "addr change 192.0.2.1/24 dev v0 preferred_lft 100"),
    (V, "addr replace 192.0.2.1/24 dev v0 valid_lft 1000 preferred_lft 500"),
    # -- routes
    (V, "route add 198.51.100.0/24 via 192.0.2.2"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 dev v0"),
    (V, "route add 198.51.100.0/24 dev v0"),
    (V, "route add 198.51.100.7 dev v0"),
    (V, "route add default via 192.0.2.254"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 metric 50"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 table 100"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 proto static"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 proto 99"),
    (V, "route add 198.51.100.0/24 dev v0 scope link"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 src 192.0.2.1"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 mtu 1400"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 mtu lock 1400"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 advmss 1300 window 1000"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 rtt 100ms rttvar 20ms"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 hoplimit 10 initcwnd 10 initrwnd 20"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 reordering 5 ssthresh 100"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 features ecn"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 quickack 1"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 congctl reno"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 rto_min 50ms"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 fastopen_no_cookie 1"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 realms 5"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 tos 0x10"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 dev v0 onlink"),
    (V, "route add 198.51.100.0/24 nexthop via 192.0.2.2 nexthop via 192.0.2.3"),
    (V, "route add 198.51.100.0/24 nexthop via 192.0.2.2 weight 2 nexthop via 192.0.2.3 "
        "weight 3"),
    (V, "route add blackhole 198.51.100.0/24"),
    (V, "route add unreachable 198.51.100.0/24"),
    (V, "route add prohibit 198.51.100.0/24"),
    (V, "route add throw 198.51.100.0/24"),
    (V, "route add local 198.51.100.1 dev v0"),
    (V, "route add broadcast 198.51.100.255 dev v0 table local"),
    (V, "route add multicast 239.1.1.0/24 dev v0"),
    (V, "route add 198.51.100.0/24 via inet 192.0.2.2"),
    (V, "route append 198.51.100.0/24 via 192.0.2.2"),
    (V, "route prepend 198.51.100.0/24 via 192.0.2.2"),
    (V, "route replace 192.0.2.0/24 dev v0 proto kernel scope link src 192.0.2.1 metric 5"),
    (R, "route change 198.51.100.0/24 via 192.0.2.3"),
    (R, "route replace 198.51.100.0/24 via 192.0.2.4 metric 0"),
    (R, "route del 198.51.100.0/24"),
    (R, "route del 198.51.100.0/24 via 192.0.2.2"),
    (R, "route delete 203.0.113.0/24 table 100"),
    (R, "route flush table 100"),
    (R, "route flush 198.51.100.0/24"),
    (R, "route flush dev v0"),
    (R, "-6 route flush dev v0"),
    (R, "route flush proto boot"),
    (R, "route flush cache"),
    (V, "-6 route add 2001:db8:2::/64 via 2001:db8:1::2"),
    (V, "route add 2001:db8:2::/64 via 2001:db8:1::2 metric 50"),
    (V, "route add 2001:db8:2::/64 dev v0 pref high"),
    (V, "route add 2001:db8:2::/64 via 2001:db8:1::2 expires 100"),
    (V, "route add 2001:db8:2::/64 nexthop via 2001:db8:1::2 nexthop via 2001:db8:1::3"),
    (V, "route add blackhole 2001:db8:2::/64"),
    (V, "route add 198.51.100.0/24 via inet6 2001:db8:1::2"),
    (R, "-6 route del 2001:db8:2::/64"),
    (NH, "route add 198.51.100.0/24 nhid 1"),
    # -- nexthop objects
    (V, "nexthop add id 10 via 192.0.2.2 dev v0"),
    (V, "nexthop add id 10 dev v0"),
    (V, "nexthop add id 10 blackhole"),
    (V, "nexthop add id 10 via 2001:db8:1::2 dev v0"),
    (NH, "nexthop add id 10 group 1/2"),
    (NH, "nexthop add id 10 group 1,3/2,5"),
    (NH, "nexthop replace id 1 via 192.0.2.9 dev v0"),
    (NH, "nexthop del id 2"),
    (NH, "nexthop flush"),
    (V, "nexthop add id 10 via 192.0.2.2 dev v0 proto static"),
    # -- neighbours
    (V, f"neigh add 192.0.2.9 lladdr {M3} dev v0"),
    (V, f"neigh add 192.0.2.9 lladdr {M3} dev v0 nud permanent"),
    (V, f"neigh add 192.0.2.9 lladdr {M3} dev v0 nud reachable"),
    (V, f"neigh add 192.0.2.9 lladdr {M3} dev v0 nud stale"),
    (V, f"neigh add 192.0.2.9 lladdr {M3} dev v0 nud noarp"),
    (V, f"neigh add 2001:db8:1::9 lladdr {M3} dev v0"),
    (V, f"neigh add 192.0.2.9 lladdr {M3} dev v0 router"),
    (V, f"neigh add 192.0.2.9 lladdr {M3} dev v0 extern_learn"),
    (V, "neigh add proxy 192.0.2.77 dev v0"),
    (V, f"neigh replace 192.0.2.9 lladdr {M3} dev v0"),
    (NEIGH, f"neigh change 192.0.2.9 lladdr {M1} dev v0"),
    (NEIGH, "neigh del 192.0.2.9 dev v0"),
    (NEIGH, "neigh flush dev v0"),
    (NEIGH, "neigh flush all"),
    (V, f"neigh add 192.0.2.9 lladdr {M3} dev v0 use"),
    (V, f"neigh add 192.0.2.9 lladdr {M3} dev v0 managed"),
    # -- rules
    ("", "rule add from 192.0.2.0/24 table 100"),
    ("", "rule add pref 10 to 198.51.100.0/24 table 100"),
    ("", "rule add pref 10 from all lookup 100"),
    ("", "rule add pref 10 fwmark 0x5 table 100"),
    ("", "rule add pref 10 fwmark 0x5/0xff table 100"),
    ("", "rule add pref 10 iif lo table 100"),
    ("", "rule add pref 10 oif lo table 100"),
    ("", "rule add pref 10 tos 0x10 table 100"),
    ("", "rule add pref 10 dsfield 0x10 table 100"),
    ("", "rule add pref 10 not from 192.0.2.0/24 table 100"),
    ("", "rule add pref 10 from 192.0.2.0/24 prohibit"),
    ("", "rule add pref 10 from 192.0.2.0/24 blackhole"),
    ("", "rule add pref 10 from 192.0.2.0/24 unreachable"),
    ("", "rule add pref 10 goto 20"),
    ("", "rule add pref 10 table 100 suppress_prefixlength 0"),
    ("", "rule add pref 10 table 100 suppress_ifgroup 5"),
    ("", "rule add pref 10 uidrange 100-200 table 100"),
    ("", "rule add pref 10 ipproto tcp dport 80 table 100"),
    ("", "rule add pref 10 ipproto udp sport 1000-2000 table 100"),
    ("", "rule add pref 10 from 192.0.2.0/24 table 100 protocol static"),
    ("", "rule add pref 10 from 192.0.2.0/24 table 100 realms 5"),
    ("", "rule add pref 10 tun_id 5 table 100"),
    ("", "-6 rule add from 2001:db8::/32 table 100"),
    (RULES, "rule del pref 100"),
    (RULES, "rule del from 192.0.2.0/24 table 100"),
    (RULES, "rule flush"),
    (RULES, "-6 rule flush"),
]

# lines ip refuses: nlshell must refuse them with ip's exit status, applying nothing
REFUSED: list[tuple[str, str]] = [
    (V, "route add 10.0.0.0/8 via 192.168.10.254 inet"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 metric lots"),
    (V, "addr add 192.0.2.1/24 dev v0"),
    (V, "link set nosuch up"),
    (V, "link add v0 type veth"),
    (V, "route del 203.0.113.0/24"),
    (V, "neigh add 192.0.2.9 lladdr zz dev v0"),
    (V, "rule add pref 10 fwmark 0x5/0xff/0x1 table 100"),
    (V, "link set v0 mtu 10"),
    (V, "addr add 300.1.1.1/24 dev v0"),
]


def _ids(cases: list[tuple[str, str]]) -> list[str]:
    return [line for _setup, line in cases]


def test_the_list_is_long_enough() -> None:
    lines = _ids(CASES)
    assert len(lines) >= 150 and len(set(lines)) == len(lines)


@pytest.mark.parametrize(("setup", "line"), CASES, ids=_ids(CASES))
def test_the_line_leaves_the_kernel_as_ip_does(setup: str, line: str) -> None:
    assert_same_as_ip(setup, line)


@pytest.mark.parametrize(("setup", "line"), REFUSED, ids=_ids(REFUSED))
def test_a_line_ip_refuses_is_refused_alike(setup: str, line: str) -> None:
    with twin_pair(setup) as (ns_ip, ns_nl):
        ip_code, ip_err = run_ip_line(ns_ip, line)
        assert ip_code != 0, f"the case is wrong: ip accepts `{line}`"
        nl_code, nl_err = run_nl_line(ns_nl, line)
        assert nl_code == ip_code, f"ip exits {ip_code} ({ip_err.strip()}), nlshell " \
                                   f"{nl_code} ({nl_err.strip()})"
        assert nl_err.strip(), "no message"
        wait_equal(ns_ip, ns_nl)
