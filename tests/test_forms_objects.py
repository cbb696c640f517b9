"""The address / neighbour / route / rule / netns / monitor forms of issue 12, side by side
with `ip` on the kernel.

- `CHANGES`: a line run by `ip` in one namespace and by nlshell in its twin (set up alike);
  both must accept it and leave the kernels equal (`ip -j -d` dumps, support/twins.py).
- `SHOWS`: a show line run by `ip -j` and by nlshell (-j) in one richly set-up namespace;
  the objects each selects (links and addresses, neighbours, rules, routes) must be the same.
- `REFUSED`: lines ip refuses; nlshell refuses them too (a non-zero status, one line on
  stderr naming the bad word) and leaves the namespace as ip does.
- netns list-id / -all netns exec|delete / netns pids, monitor forms and the help verbs
  have tests of their own below.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import pytest
from support import iporacle, nlrun, testns
from support.nlrun import nl
from support.twins import assert_same_as_ip, run_ip_line, run_nl_line, twin_pair, wait_equal
from support.wait import DEADLINE

pytestmark = pytest.mark.requires_root

M1, M2, M3 = "02:aa:00:00:00:01", "02:aa:00:00:00:02", "02:aa:00:00:00:03"
# the veth pair with fixed MACs, one IPv4 and one IPv6 address (no DAD: stable flags)
V = (f"link add v0 address {M1} type veth peer name v1 address {M2}\n"
     "link set v0 up\nlink set v1 up\n"
     "addr add 192.0.2.1/24 dev v0\naddr add 2001:db8:1::1/64 dev v0 nodad\n")
SEC = V + "addr add 192.0.2.50/24 dev v0\naddr add 192.0.2.51/24 dev v0\n"
NEIGH = V + f"neigh add 192.0.2.9 lladdr {M3} dev v0\n"
R = V + "route add 198.51.100.0/24 via 192.0.2.2\n"
RULES = "rule add pref 100 fwmark 0x5/0xff table 100\nrule add pref 200 tos 0x10 table 200\n"

CHANGES: list[tuple[str, str]] = [
    # -- address add: the flag words
    (V, "addr add 2001:db8:9::1/64 dev v0 optimistic"),
    (V, "addr add 2001:db8:9::1/64 dev v0 nodad"),
    (V, "addr add 2001:db8:9::1/64 dev v0 nodad home"),
    (V, "addr add 2001:db8:9::1/64 dev v0 nodad noprefixroute"),
    (V, "addr add 2001:db8:9::/64 dev v0 nodad mngtmpaddr"),
    (V, "addr add 10.0.0.1/24 dev v0 noprefixroute"),
    (V, "addr add 239.1.1.1/32 dev v0 autojoin"),
    (V, "addr add ff15::1/128 dev v0 autojoin"),
    (V, "addr add 2001:db8:9::1/64 dev v0 nodad optimistic home"),
    (V, "addr replace 2001:db8:1::1/64 dev v0 nodad noprefixroute"),
    (V, "addr change 192.0.2.1/24 dev v0 noprefixroute"),
    # -- address del mngtmpaddr
    (V + "addr add 2001:db8:9::/64 dev v0 nodad mngtmpaddr\n",
     "addr del 2001:db8:9::/64 dev v0 mngtmpaddr"),
    (V + "addr add 2001:db8:9::/64 dev v0 nodad mngtmpaddr\n",
     "addr del 2001:db8:9::/64 dev v0"),
    # -- address flush with selectors
    (SEC, "addr flush dev v0 secondary"),
    (SEC, "addr flush dev v0 primary"),
    (SEC, "addr flush dev v0 -secondary"),
    (SEC, "addr flush dev v0 temporary"),
    (SEC, "addr flush dev v0 permanent"),
    (SEC, "addr flush dev v0 dynamic"),
    (SEC + "addr add 10.9.0.1/24 dev v0 valid_lft 1000 preferred_lft 500\n",
     "addr flush dev v0 dynamic"),
    (SEC + "addr add 10.9.0.1/24 dev v0 valid_lft 1000 preferred_lft 500\n",
     "addr flush dev v0 -dynamic"),
    (SEC, "addr flush dev v0 nodad"),
    (SEC, "addr flush dev v0 -nodad"),
    (SEC, "addr flush up secondary"),
    (SEC, "addr flush up"),
    (SEC, "-4 addr flush up primary"),
    (SEC + "addr add 10.9.0.1/24 dev v0 noprefixroute\n", "addr flush dev v0 noprefixroute"),
    (SEC, "addr flush dev v0 label v0"),
    (SEC, "addr flush to 192.0.2.48/28"),
    # -- neighbours
    (V, f"neigh add 192.0.2.9 lladdr {M3} dev v0 use"),
    (V, f"neigh add 192.0.2.9 lladdr {M3} dev v0 managed"),
    (V, "neigh add 192.0.2.9 dev v0 managed"),
    (V, f"neigh add 192.0.2.9 lladdr {M3} dev v0 extern_learn"),
    (V, f"neigh add 192.0.2.9 lladdr {M3} dev v0 protocol static"),
    (V, f"neigh add 192.0.2.9 lladdr {M3} dev v0 protocol 99"),
    (V, f"neigh add 192.0.2.9 lladdr {M3} dev v0 proto boot nud stale"),
    (V, f"neigh replace 192.0.2.9 lladdr {M3} dev v0 protocol zebra"),
    (V, f"neigh add 2001:db8:1::9 lladdr {M3} dev v0 protocol static router"),
    (NEIGH, "neigh flush dev v0 nud all"),
    (NEIGH + "link add br0 type bridge\nlink set v1 master br0\n"
     f"neigh add 192.0.2.10 lladdr {M3} dev v1 nud reachable\n", "neigh flush nomaster"),
    (NEIGH + "link add br0 type bridge\nlink set v1 master br0\n"
     f"neigh add 192.0.2.10 lladdr {M3} dev v1 nud stale\n", "neigh flush master br0"),
    # -- routes
    (V, "route add 198.51.100.0/24 via 192.0.2.2 realms 5"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 realms 3/5"),
    (V, "route add 198.51.100.0/24 dev v0 realm 7"),
    (V, "route add 198.51.100.0/24 dev v0 realms 70000"),
    (V, "route add 198.51.100.0/24 dev v0 realms 0x10"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 features ecn"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 ttl-propagate enabled"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 ttl-propagate disabled"),
    (V, "route add 198.51.100.0/24 via 192.0.2.2 features ecn realms 1/2 mtu 1400"),
    (V, "route add 2001:db8:2::/64 via 2001:db8:1::2 features ecn"),
    (V, "route add 198.51.100.0/24 via inet 192.0.2.2 realms 4"),
    (R, "route replace 198.51.100.0/24 via 192.0.2.3 realms 9"),
    (R, "route flush cache"),
    (R, "-4 route flush cache"),
    (R, "-6 route flush cache"),
    # -- rules
    (V, "rule add tun_id 5 table 10"),
    (V, "rule add tun_id 0x1234 pref 50 table 11"),
    (V, "rule add realms 3/4 table 11"),
    (V, "rule add realms 6 table 12"),
    (V, "rule add nat 192.0.2.77 from 10.2.0.0/16"),
    (V, "rule add map-to 192.0.2.77 from 10.3.0.0/16 pref 300"),
    (V, "rule add fwmark 0x5/0xff tos 0x10 table 13"),
    (V, "rule add dsfield 0x08 table 14"),
    (V + RULES, "rule del fwmark 0x5/0xff table 100"),
    (V + RULES, "rule del tos 0x10"),
    (V + "rule add tun_id 5 table 10\n", "rule del tun_id 5"),
]

REFUSED: list[tuple[str, str, str]] = [  # (setup, line, a word the error names)
    (V, "route add 10.0.0.0/8 via 192.0.2.254 inet", "inet"),
    (V, "route add 10.0.0.0/8 via 192.0.2.254 inet6", "inet6"),
    (V, "route add 10.0.0.0/8 via 192.0.2.254 features nosuch", "nosuch"),
    (V, "route add 10.0.0.0/8 via 192.0.2.254 ttl-propagate maybe", "maybe"),
    (V, "route add 10.0.0.0/8 via 192.0.2.254 realms 1/2/3", "1/2/3"),
    (V, "route add 10.0.0.0/8 via 192.0.2.254 realms 300/5", "300"),
    (V, "route add 10.0.0.0/8 via 192.0.2.254 realms 4294967296", "4294967296"),
    (V, "route add 10.0.0.0/8 via 192.0.2.254 realms 1/x", "1/x"),
    (V, "addr flush dev v0 nosuchflag", "nosuchflag"),
    (V, "addr add 10.0.0.1/24 dev v0 nosuchflag", "nosuchflag"),
    (V, "addr del 192.0.2.1/24 dev v0 nosuchflag", "nosuchflag"),
    (V, "rule add tun_id x table 5", "x"),
    (V, "rule add realms a/b/c table 5", "a/b/c"),
    (V, "neigh add 192.0.2.9 lladdr 02:aa:00:00:00:03 dev v0 protocol", "protocol"),
    (V, "neigh add 192.0.2.9 lladdr 02:aa:00:00:00:03 dev v0 nosuch", "nosuch"),
    (V, "neigh flush vrf v1", "v1"),
]


def _ids(cases: list[tuple[Any, ...]]) -> list[str]:
    return [c[1] for c in cases]


def test_the_lists_are_long_enough() -> None:
    assert len(CHANGES) + len(SHOWS) + len(REFUSED) + len(OTHERS) >= 80
    for cases in (CHANGES, SHOWS, REFUSED):
        ids = _ids(cases)
        assert len(set(zip(ids, [c[0] for c in cases], strict=True))) == len(ids)


@pytest.mark.parametrize(("setup", "line"), CHANGES, ids=_ids(CHANGES))
def test_change_leaves_the_kernel_as_ip_does(setup: str, line: str) -> None:
    assert_same_as_ip(setup, line)


@pytest.mark.parametrize(("setup", "line", "word"), REFUSED, ids=_ids(REFUSED))
def test_refused_alike(setup: str, line: str, word: str) -> None:
    with twin_pair(setup) as (ns_ip, ns_nl):
        ip_code, _ = run_ip_line(ns_ip, line)
        assert ip_code != 0, f"the case is wrong: ip accepts `{line}`"
        nl_code, nl_err = run_nl_line(ns_nl, line)
        assert nl_code != 0, f"nlshell accepts `{line}`"
        lines = nl_err.strip().splitlines()
        assert len(lines) == 1 and word in lines[0], nl_err
        wait_equal(ns_ip, ns_nl)


@pytest.mark.parametrize("words", ["master v1", "nomaster", "type veth", "vrf v1"])
def test_address_flush_refuses_link_selectors_ip_ignores(ns: str, words: str) -> None:
    # ip accepts these after `addr flush` and then flushes every device's addresses
    iporacle.batch(ns, V)
    before = iporacle.ipj(ns, "addr", "show")
    res = nl(ns, f"addr flush {words}")
    assert res.code != 0 and words.split()[0] in res.err
    assert len(res.err.strip().splitlines()) == 1
    assert iporacle.ipj(ns, "addr", "show") == before


# -- show forms: what each selects, ip -j against nlshell -j ---------------------------------

SHOW_SETUP = f"""\
link add v0 address {M1} type veth peer name v1 address {M2}
link set v0 up
link set v1 up
link add t0 type veth peer name t1
link set t0 up
link add br0 type bridge
link add p0 type veth peer name p1
link set p0 master br0
link set br0 up
link set p0 up
link set p1 up
link add if0 type ifb
addr add 192.0.2.1/24 dev v0
addr add 192.0.2.50/24 dev v0
addr add 192.0.2.51/24 dev v0 label v0:sec
addr add 2001:db8:1::1/64 dev v0 nodad
addr add 2001:db8:1::2/64 dev v0 nodad noprefixroute
addr add 2001:db8:1::3/64 dev v0 nodad home
addr add 2001:db8:1::/64 dev v0 nodad mngtmpaddr
addr add 10.9.0.1/24 dev v0 valid_lft 1000 preferred_lft 500
addr add 10.9.1.1/24 dev v0 valid_lft 1000 preferred_lft 0
addr add 2001:db8:7::1/64 dev t0
addr add 2001:db8:7::2/64 dev t0 optimistic
addr add 10.5.0.1/24 dev br0
addr add 10.6.0.1/24 dev p1
addr add 10.8.0.1/24 dev if0
neigh add 192.0.2.9 lladdr {M3} dev v0
neigh add 192.0.2.10 lladdr {M3} dev v0 nud stale
neigh add 192.0.2.11 lladdr {M3} dev v0 nud noarp
neigh add 192.0.2.12 lladdr {M3} dev v0 protocol static
neigh add proxy 192.0.2.77 dev v0
neigh add 10.6.0.9 lladdr {M3} dev p0 nud permanent
neigh add 10.5.0.9 lladdr {M3} dev br0 nud permanent
rule add pref 100 fwmark 0x5/0xff table 100
rule add pref 101 fwmark 0x5 table 101
rule add pref 102 fwmark 0x6/0xf table 102
rule add pref 200 tos 0x10 table 200
rule add pref 201 dsfield 0x08 table 201
route add 198.51.100.0/24 via 192.0.2.2 realms 3/5
route add 203.0.113.0/24 dev v0 features ecn
"""

SHOWS: list[tuple[str, str]] = [  # (what the lines select: a key function's name, line)
    *(("addr", f"addr show {sel}") for sel in (
        "secondary", "primary", "-secondary", "-primary", "temporary", "-temporary",
        "permanent", "dynamic", "-dynamic", "-permanent", "tentative", "-tentative",
        "deprecated", "-deprecated", "nodad", "-nodad", "home", "-home", "mngtmpaddr",
        "noprefixroute", "-noprefixroute", "optimistic", "dadfailed", "-dadfailed",
        "autojoin", "stable-privacy", "up", "nomaster", "master br0", "type veth",
        "type bridge", "dev v0 secondary", "dev v0 dynamic",
        "dev t0 tentative", "up secondary", "nomaster secondary", "type veth primary",
        "secondary permanent", "primary -deprecated")),
    # with `label` ip prints the addresses without their links: only those are compared
    ("addrs", "addr show label v0:sec"),
    ("addrs", "addr show label 'v0*'"),
    ("addrs", "addr show label 'v0*' secondary"),
    ("addr", "-4 addr show secondary"),
    ("addr", "-6 addr show nodad"),
    ("addr", "-6 addr show -tentative"),
    ("neigh", "neigh show"),
    ("neigh", "neigh show nomaster"),
    ("neigh", "neigh show master br0"),
    ("neigh", "neigh show proxy"),
    ("neigh", "neigh show nud stale"),
    ("neigh", "neigh show nud all"),
    ("neigh", "neigh show nud noarp"),
    ("neigh", "neigh show nud permanent nomaster"),
    ("neigh", "neigh show dev v0 nud all"),
    ("rule", "rule show fwmark 0x5"),
    ("rule", "rule show fwmark 0x5/0xff"),
    ("rule", "rule show fwmark 0x6/0xf"),
    ("rule", "rule show fwmark 0x6/0xff"),
    ("rule", "rule show tos 0x10"),
    ("rule", "rule show dsfield 0x08"),
    ("rule", "rule show tos 0x04"),
    ("route", "route show 198.51.100.0/24"),
    ("route", "route show table all type unicast dev v0"),
]


def _addr_key(entries: list[dict[str, Any]]) -> list[Any]:
    # ip -j prints {} for each address a flag selector drops and for each link `up` or
    # `label` drops (a quirk): neither is an address
    return [(e["ifname"], [(a.get("local"), a.get("prefixlen"))
                           for a in e.get("addr_info", []) if a]) for e in entries if e]


def _addrs_key(entries: list[dict[str, Any]]) -> list[Any]:
    return sorted((a.get("local"), a.get("prefixlen")) for e in entries
                  for a in e.get("addr_info", []) if a)


def _neigh_key(entries: list[dict[str, Any]]) -> list[Any]:
    return sorted((e.get("dst"), e.get("dev"), tuple(e.get("state", ())),
                   e.get("protocol")) for e in entries)


def _rule_key(entries: list[dict[str, Any]]) -> list[Any]:
    return [(e["priority"], e.get("table")) for e in entries]


def _route_key(entries: list[dict[str, Any]]) -> list[Any]:
    return [(e.get("dst"), e.get("dev"), e.get("table")) for e in entries]


KEYS = {"addr": _addr_key, "addrs": _addrs_key, "neigh": _neigh_key, "rule": _rule_key, "route": _route_key}


@pytest.fixture(scope="module")
def shown() -> Iterator[str]:
    with testns.temp_netns() as ns:
        iporacle.batch(ns, SHOW_SETUP)
        _wait_settled(ns)
        yield ns


def _wait_settled(ns: str) -> None:
    """Until every IPv6 address that can finish DAD has (t0 has no carrier: its addresses
    stay tentative for good)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        busy = [e["ifname"] for e in iporacle.ipj(ns, "-6", "addr", "show", "tentative")
                if any(e.get("addr_info", [])) and e["ifname"] != "t0"]
        if not busy:
            return
        time.sleep(0.1)


@pytest.mark.parametrize(("kind", "line"), SHOWS, ids=_ids(SHOWS))
def test_show_selects_what_ip_selects(shown: str, kind: str, line: str) -> None:
    import shlex

    key = KEYS[kind]
    words = shlex.split(line)
    ip_side = key(iporacle.ipj(shown, *words))
    res = nl(shown, line, json=True)
    assert (res.code, res.err) == (0, ""), res
    assert key(json.loads(res.out) if res.out.strip() else []) == ip_side
    assert ip_side or kind == "rule" or line.endswith(("dadfailed", "autojoin",
                                                       "stable-privacy", "tos 0x04")), \
        "the case selects nothing: a weak case"


# -- route get flow keys ---------------------------------------------------------------------

GETS = [
    "route get 192.0.2.5 ipproto tcp sport 5 dport 80",
    "route get 192.0.2.5 ipproto udp dport 53",
    "route get 192.0.2.5 uid 1000",
    "route get 192.0.2.5 ipproto 6 sport 1 dport 2 uid 0 mark 5",
    "route get 198.51.100.7 from 192.0.2.1 ipproto icmp",
    "route get 198.51.100.7 fibmatch ipproto tcp dport 22",
]


@pytest.mark.parametrize("line", GETS)
def test_route_get_flow_keys(shown: str, line: str) -> None:
    words = line.split()
    want = [(e.get("dst"), e.get("dev"), e.get("gateway"), e.get("uid"))
            for e in iporacle.ipj(shown, *words)]
    res = nl(shown, line, json=True)
    assert (res.code, res.err) == (0, ""), res
    got = [(e.get("dst"), e.get("dev"), e.get("gateway"), e.get("uid"))
           for e in json.loads(res.out)]
    assert got == want


# -- netns -----------------------------------------------------------------------------------

def test_netns_list_id_as_ip(ns: str, ns2: str) -> None:
    iporacle.ip("netns", "set", ns2, "5", ns=ns)
    iporacle.ip("netns", "set", ns, "3", ns=ns2)
    lines = ("netns list-id", "netns list-id nsid 5", "netns list-id target-nsid 5",
             "netns list-id target-nsid 5 nsid 5", "netns list-id nsid 5 target-nsid 5")
    for line in lines:
        _list_id_as_ip(ns, line)
    iporacle.ip("netns", "set", ns2, "9", ns=ns2)  # ids of their own: current-nsid shows
    iporacle.ip("netns", "set", ns, "11", ns=ns)
    for line in lines:
        _list_id_as_ip(ns, line)


def _list_id_as_ip(ns: str, line: str) -> None:
    words = line.split()
    want = iporacle.ipj(ns, *words)
    assert json.loads(nl(ns, line, json=True).out or "[]") == want, line
    text = subprocess.run(["ip", "-n", ns, *words], capture_output=True, text=True,
                          check=True).stdout
    assert nlrun.ok(ns, line) == text, line


def test_netns_list_id_refuses_a_bad_number(ns: str) -> None:
    res = nl(ns, "netns list-id nsid x")
    assert res.code != 0 and "x" in res.err and len(res.err.strip().splitlines()) == 1
    # an id nobody has: the kernel's refusal, as ip prints it
    proc = subprocess.run(["ip", "-n", ns, "netns", "list-id", "nsid", "6"],
                          capture_output=True, text=True)
    res = nl(ns, "netns list-id nsid 6")
    assert res.code == proc.returncode == 2
    assert "Peer netns reference is invalid" in res.err, res


def test_netns_pids_is_text_even_with_json(ns: str) -> None:
    with testns.process_in_ns(ns) as pid:
        out = nlrun.ok(None, f"netns pids {ns}", json=True)
        assert str(pid) in out.split()
        assert out.split() == iporacle.ip("-j", "netns", "pids", ns).split()


_ALL_SCRIPT = textwrap.dedent("""\
    import json, sys
    sys.path.insert(0, {tests!r})
    from support.nlrun import nl
    out = [list(nl(None, line, all_ns=True)) for line in sys.argv[2:]]
    with open(sys.argv[1], "w") as f:
        json.dump(out, f)
""")


def _in_private_run_dir(tmp: Any, shell: str, *lines: str
                        ) -> tuple[str, str, list[list[Any]]]:
    """Run `shell` then nlshell `lines` (with -all) in a mount namespace of their own with
    an empty /run/netns: -all can only ever see the namespaces made there. Returns what the
    programs printed, the names left in /run/netns and nlshell's (status, out, err)s."""
    script = _ALL_SCRIPT.format(tests=os.path.dirname(os.path.abspath(__file__)))
    results = str(tmp / "results.json")
    cmd = ("mount -t tmpfs none /run/netns && " + shell + " && "
           + " ".join([sys.executable, "-c", _quote(script), results, *map(_quote, lines)])
           + " && echo '--' && ls /run/netns")
    proc = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", cmd],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    printed, _, left = proc.stdout.partition("--\n")
    with open(results) as f:
        return printed, left, json.load(f)


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def test_all_netns_exec_runs_in_each_namespace(tmp_path: Any) -> None:
    printed, left, results = _in_private_run_dir(
        tmp_path, "ip netns add a1 && ip netns add a2 && ip -n a1 link add x1 type ifb",
        "netns exec ip -br link show type ifb", "netns exec false")
    code, out, err = results[0]
    assert (code, err) == (0, "")
    assert out == "\nnetns: a1\n\nnetns: a2\n"  # a heading before each one, as ip
    assert printed.count("x1 ") == 1  # the program ran in both: x1 is in a1 only
    assert left.split() == ["a1", "a2"]
    code, out, err = results[1]  # as ip: a failing program does not stop the others
    assert code == 0 and out.count("netns: ") == 2 and err.count("exited 1") == 2


def test_all_netns_delete_deletes_every_one(tmp_path: Any) -> None:
    _, left, results = _in_private_run_dir(tmp_path, "ip netns add a1 && ip netns add a2",
                                           "netns delete a1", "netns delete")
    assert results[0][0] != 0 and "a1" in results[0][2]  # a name beside -all: refused
    assert results[1][0] == 0
    assert left.split() == []


def test_netns_exec_without_a_program_is_refused(ns: str) -> None:
    res = nl(None, f"netns exec {ns}")
    assert res.code != 0 and "COMMAND" in res.err


# -- monitor ---------------------------------------------------------------------------------

def _monitor(ns: str, args: list[str], changes: str, count: int) -> list[str]:
    env = nlrun.nlshell_env(NLSHELL_MONITOR_READY="1", NLSHELL_MONITOR_SECONDS="20",
                            NLSHELL_MONITOR_COUNT=str(count))
    proc = subprocess.Popen(nlrun.nlshell_argv("-n", ns, *args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    ready = proc.stderr.readline()
    assert ready == "monitor: listening\n", ready + proc.stderr.read()
    iporacle.batch(ns, changes)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return [re.sub(r"^\[[^]]*\] ", "", line) for line in out.splitlines()]


def test_monitor_all_all_nsid_parses(ns: str) -> None:
    # (all: ip's objects, netconf included: the new device's settings come first)
    lines = _monitor(ns, ["monitor", "all", "all-nsid"], "link add m0 type ifb\n", 3)
    assert any(line.startswith("[LINK]") for line in lines), lines


def test_monitor_nexthop(ns: str) -> None:
    lines = _monitor(ns, ["monitor", "nexthop"],
                     "nexthop add id 9 blackhole\nnexthop del id 9\n", 2)
    assert lines == ["[NEXTHOP] id 9 blackhole", "[NEXTHOP] Deleted id 9 blackhole"]


def test_monitor_dev_keeps_that_device(ns: str) -> None:
    iporacle.batch(ns, "link add m0 type ifb\nlink add m1 type ifb\n")
    lines = _monitor(ns, ["monitor", "address", "dev", "m1", "label"],
                     "addr add 10.0.0.1/24 dev m0\naddr add 10.0.1.1/24 dev m1\n", 1)
    assert len(lines) == 1 and "m1" in lines[0] and "10.0.1.1/24" in lines[0]


def test_monitor_netconf_as_ip_shows_it(ns: str) -> None:
    lines = _monitor(ns, ["monitor", "netconf"], "link add m0 type ifb\n", 2)
    want = subprocess.run(["ip", "-n", ns, "netconf", "show", "dev", "m0"],
                          capture_output=True, text=True, check=True).stdout
    assert [line.removeprefix("[NETCONF] ") for line in lines] == \
        [line.rstrip() for line in want.splitlines()]


def test_monitor_refuses_what_it_cannot_show() -> None:
    for word in ("prefix", "stats", "mroute"):
        res = nl(None, f"monitor {word}")
        assert res.code != 0 and word in res.err and len(res.err.strip().splitlines()) == 1


def test_monitor_file_replays_rtmon(ns: str, tmp_path: Any) -> None:
    path = str(tmp_path / "events")
    rtmon = subprocess.Popen(["ip", "netns", "exec", ns, "rtmon", "file", path])
    try:
        deadline = time.monotonic() + DEADLINE
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        iporacle.batch(ns, "link add m0 type ifb\naddr add 10.0.0.1/24 dev m0\n"
                           "link del m0\n")
        time.sleep(0.5)
    finally:
        rtmon.terminate()
        rtmon.wait(timeout=30)
    res = nl(ns, f"monitor file {path}")
    assert (res.code, res.err) == (0, "")
    labels = [re.match(r"\[[^]]*\] \[([A-Z]+)\]", line).group(1)  # type: ignore[union-attr]
              for line in res.out.splitlines()]
    assert "LINK" in labels and "ADDR" in labels
    assert any("10.0.0.1/24" in line for line in res.out.splitlines())
    only = nl(ns, f"monitor address file {path}")
    assert only.out and all("[ADDR]" in line for line in only.out.splitlines())


def test_monitor_file_missing() -> None:
    res = nl(None, "monitor file /nosuch-file")
    assert res.code != 0 and "/nosuch-file" in res.err and "No such file" in res.err


# -- help verbs: usage in nlshell's own words on stdout -----------------------------------

HELPS = ["route help", "address help", "neigh help", "rule help", "monitor help"]


@pytest.mark.parametrize("line", HELPS)
def test_help_verb(line: str) -> None:
    res = nl(None, line)
    assert (res.code, res.err) == (0, "")
    assert res.out.startswith(line.split()[0][:5]) and "usage:" in res.out


# -- watch: README's word order, pane names completed ------------------------------------

def test_watch_interval_among_the_panes() -> None:
    from nlshell.shell.watch.app import UsageError, parse_args

    args = parse_args(["links", "interval", "2"])
    assert (args.panes, args.interval) == (["links"], 2.0)
    args = parse_args(["links", "interval", "0.5", "events"])
    assert (args.panes, args.interval) == (["links", "events"], 0.5)
    for bad in (["links", "interval"], ["links", "interval", "soon"]):
        with pytest.raises(UsageError, match="interval"):
            parse_args(bad)


def test_watch_pane_words_are_the_apps() -> None:
    from nlshell.commands.shellwords import PANE_WORDS
    from nlshell.shell.watch.app import PANES

    assert set(PANES) <= set(PANE_WORDS.words)


def test_bash_completes_watch_panes(tmp_path: Any) -> None:
    shim = tmp_path / "nlshell"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m nlshell "$@"\n')
    shim.chmod(0o755)
    env = nlrun.nlshell_env(PATH=f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    script = (f"source '{nlrun.REPO}/completions/nlshell.bash'\n"
              "COMP_WORDS=(nlshell watch ''); COMP_CWORD=2\n"
              "_nlshell\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", script],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert {"links", "addrs", "routes", "neigh", "qdiscs", "events"} <= set(proc.stdout.split())


def test_route_del_completion_offers_what_it_can_delete(ns: str) -> None:
    from nlshell.commands.provider import LiveProvider

    iporacle.batch(ns, V + "route add 10.100.5.0/24 dev v0 table 300\n"
                           "route add 10.100.6.0/24 dev v0\n")
    offered = LiveProvider(ns).routes()
    assert "10.100.6.0/24" in offered and "10.100.5.0/24" not in offered
    assert nl(ns, "route del 10.100.6.0/24").code == 0


OTHERS = [*GETS, *HELPS, "flush master", "flush nomaster", "flush type", "flush vrf", "watch interval", "watch panes", "bash watch", "route del tab",
          "list-id", "list-id nsid", "pids -j", "-all exec", "-all delete", "exec no program", "monitor all all-nsid", "monitor nexthop", "monitor netconf", "monitor dev",
          "monitor refusals", "monitor file", "monitor file missing"]
