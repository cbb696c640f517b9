"""Without CAP_NET_ADMIN: `show` commands work, changes fail with one line saying the
operation needs CAP_NET_ADMIN, exit status 2, and nothing changes.

nlshell runs inside a test namespace (`ip netns exec`) under `setpriv`, with NET_ADMIN
dropped from the bounding set (so a root process cannot hold it either).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

import pytest
from support.iporacle import batch, ipj, sh
from support.nlrun import nlshell_env, run_nlshell
from support.testns import (
    NETNS_DIR,
    mount_count,
    ns_exists,
    requires_root,
    temp_netns,
    unused_ns_name,
)

pytestmark = requires_root

SETUP = """\
link add d0 type veth peer name d1
link set d0 up
addr add 192.0.2.1/24 dev d0
route add 198.51.100.0/24 via 192.0.2.254
neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev d0
rule add from 192.0.2.0/24 table 100 pref 100
"""


@pytest.fixture
def world(ns: str) -> str:
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux) to drop CAP_NET_ADMIN")
    batch(ns, SETUP)
    return ns


def without_net_admin(ns: str) -> list[str]:
    """argv prefix: run the rest in `ns` with CAP_NET_ADMIN gone (bounding set too)."""
    return ["ip", "netns", "exec", ns, "setpriv", "--inh-caps=-all", "--bounding-set=-net_admin",
            "--"]


def nocap(ns: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return run_nlshell(*args, input=stdin, wrapper=without_net_admin(ns))


def test_capability_is_really_dropped(world: str) -> None:
    proc = subprocess.run([*without_net_admin(world), "grep", "CapEff", "/proc/self/status"],
                          capture_output=True, text=True, timeout=30)
    assert not int(proc.stdout.split()[1], 16) >> 12 & 1  # CAP_NET_ADMIN is bit 12


@pytest.mark.parametrize("view", ["link show", "address show", "route show", "neigh show",
                                  "rule show"])
def test_show_works(world: str, view: str) -> None:
    proc = nocap(world, "-j", *view.split())
    assert proc.returncode == 0, proc.stderr
    mine, theirs = json.loads(proc.stdout), ipj(world, *view.split())
    assert len(mine) == len([r for r in theirs if r]) and mine


def test_show_human_output(world: str) -> None:
    proc = nocap(world, "-c", "link", "-c", "-br addr", "-c", "tuntap show", "-c", "netns list")
    assert proc.returncode == 0, proc.stderr
    assert "d0@d1" in proc.stdout and "192.0.2.1/24" in proc.stdout


CHANGES = [
    "link add x0 type ifb",
    "link set d0 down",
    "link set d0 mtu 1400 alias nope",
    "link delete d1",
    "tuntap add t0 mode tap",
    "link add t0 type tun",
    "address add 192.0.2.9/24 dev d0",
    "address del 192.0.2.1/24 dev d0",
    "address flush dev d0",
    "route add 203.0.113.0/24 via 192.0.2.254",
    "route del 198.51.100.0/24",
    "neigh add 192.0.2.8 lladdr 02:00:00:00:00:08 dev d0",
    "rule add from 203.0.113.0/24 table 7 pref 7",
]


def _state(ns: str) -> list:
    views = [("link",), ("addr",), ("route",), ("neigh",), ("rule",)]
    out = []
    for v in views:
        rows = ipj(ns, *v)
        out.append([{k: x for k, x in r.items() if k not in ("stats64", "addr_info")}
                    for r in rows])
    return out


@pytest.mark.parametrize("line", CHANGES)
def test_changes_fail_with_one_line(world: str, line: str) -> None:
    before = _state(world)
    proc = nocap(world, "-c", line)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stderr.count("\n") == 1 and "needs CAP_NET_ADMIN" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert _state(world) == before


def test_batch_stops_at_the_first_refusal(world: str) -> None:
    proc = nocap(world, "-b", "-", stdin="link show\naddress add 192.0.2.9/24 dev d0\n"
                                         "address add 192.0.2.10/24 dev d0\n")
    assert proc.returncode == 2
    assert proc.stderr.startswith("-:2: ") and "needs CAP_NET_ADMIN" in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert "192.0.2.9" not in sh(world, "addr")


# -- every command of the grammar, unprivileged ----------------------------------------------
#
# One representative line per command path of the real grammar, run without CAP_NET_ADMIN
# and CAP_SYS_ADMIN inside the test namespace: a look (show/list/get) works; a change fails
# with one line naming the capability it needs, a non-zero status, and nothing changed.
# The lines run in one child process (a Context and Runner per line: each line's own status
# and stderr), and once more as one `-b - --force` batch through the command line.

SKIPPED = {  # command paths not run here, and why
    ("monitor",): "blocks until interrupted (covered by test_cmd_monitor)",
    ("netns", "list-id"): "prints nothing without nsids (covered by test_forms_objects)",
    ("watch",): "a full-screen program (covered by test_watch_e2e)",
    ("exit",): "leaves the shell: no privilege involved",
    ("help",): "prints the grammar: no privilege involved",
    ("diff",): "needs a file and a scratch namespace (covered by test_apply)",
    ("apply",): "needs a file and a scratch namespace (covered by test_apply)",
    **{(w,): "shell only: elsewhere one line pointing at --atomic (covered by "
            "test_transaction)" for w in ("begin", "rollback", "commit", "confirm")},
}

NS_WORD, SCRATCH_WORD, PID_WORD, NEW_WORD = "@NS@", "@SCRATCH@", "@PID@", "@NEW@"

LOOKS = {  # path -> line; exit 0 and some output
    ("save",): "save",
    ("link", "show"): "link show",
    ("tuntap", "show"): "tuntap show",
    ("address", "show"): "address show dev d0",
    ("route", "show"): "route show",
    ("route", "get"): "route get 198.51.100.1",
    ("neighbour", "show"): "neighbour show dev d0",
    ("neighbour", "get"): "neighbour get 192.0.2.7 dev d0",
    ("rule", "show"): "rule show",
    ("nexthop", "show"): "nexthop show",
    ("nexthop", "get"): "nexthop get id 7",
    # bridge's third word (show, add, ...) is a group of its verb: one path each
    ("bridge", "fdb"): "bridge fdb show",
    ("bridge", "vlan"): "bridge vlan show",
    ("bridge", "link"): "bridge link show",
    ("tc", "qdisc"): "tc qdisc show",
    ("netns", "list"): "netns list",
    ("address", "help"): "address help",
    ("route", "help"): "route help",
    ("neighbour", "help"): "neigh help",
    ("rule", "help"): "rule help",
    ("netns", "identify"): "netns identify",
    ("netns", "pids"): f"netns pids {NS_WORD}",
    ("pwd",): "pwd",
    ("ls",): "ls",
    ("link", "help"): "link help",
    ("link", "xstats"): "-j link xstats type bridge",
    ("link", "afstats"): "-j link afstats",
}

NET_ADMIN, SYS_ADMIN = "CAP_NET_ADMIN", "CAP_SYS_ADMIN"
CHANGES_BY_PATH = {  # path -> (line, the capability its refusal must name)
    ("link", "add"): ("link add x0 type ifb", NET_ADMIN),
    ("link", "set"): ("link set d0 mtu 1400", NET_ADMIN),
    ("link", "delete"): ("link delete d1", NET_ADMIN),
    ("link", "property"): ("link property add dev d0 altname d0alt", NET_ADMIN),
    ("tuntap", "add"): ("tuntap add t0 mode tap", NET_ADMIN),
    ("tuntap", "delete"): ("tuntap delete tp0 mode tap", NET_ADMIN),
    ("address", "add"): ("address add 192.0.2.9/24 dev d0", NET_ADMIN),
    ("address", "replace"): ("address replace 192.0.2.1/24 dev d0", NET_ADMIN),
    ("address", "change"): ("address change 192.0.2.1/24 dev d0", NET_ADMIN),
    ("address", "delete"): ("address delete 192.0.2.1/24 dev d0", NET_ADMIN),
    ("address", "flush"): ("address flush dev d0", NET_ADMIN),
    ("route", "flush"): ("route flush 198.51.100.0/24", NET_ADMIN),
    ("route", "add"): ("route add 203.0.113.0/24 via 192.0.2.254", NET_ADMIN),
    ("route", "delete"): ("route delete 198.51.100.0/24", NET_ADMIN),
    ("route", "replace"): ("route replace 198.51.100.0/24 via 192.0.2.253", NET_ADMIN),
    ("route", "change"): ("route change 198.51.100.0/24 via 192.0.2.253", NET_ADMIN),
    ("route", "append"): ("route append 203.0.113.0/24 via 192.0.2.254", NET_ADMIN),
    ("route", "prepend"): ("route prepend 203.0.113.0/24 via 192.0.2.254", NET_ADMIN),
    ("neighbour", "flush"): ("neighbour flush dev d0 nud all", NET_ADMIN),
    ("neighbour", "add"): ("neighbour add 192.0.2.8 lladdr 02:00:00:00:00:08 dev d0", NET_ADMIN),
    ("neighbour", "delete"): ("neighbour delete 192.0.2.7 dev d0", NET_ADMIN),
    ("neighbour", "change"): ("neighbour change 192.0.2.7 lladdr 02:00:00:00:00:09 dev d0",
                              NET_ADMIN),
    ("neighbour", "replace"): ("neighbour replace 192.0.2.7 lladdr 02:00:00:00:00:09 dev d0",
                               NET_ADMIN),
    ("rule", "flush"): ("rule flush", NET_ADMIN),
    ("rule", "add"): ("rule add from 203.0.113.0/24 table 7 pref 7", NET_ADMIN),
    ("rule", "delete"): ("rule delete pref 100", NET_ADMIN),
    ("nexthop", "add"): ("nexthop add id 8 blackhole", NET_ADMIN),
    ("nexthop", "replace"): ("nexthop replace id 7 blackhole", NET_ADMIN),
    ("nexthop", "delete"): ("nexthop delete id 7", NET_ADMIN),
    ("nexthop", "flush"): ("nexthop flush", NET_ADMIN),
    ("tc", "class"): ("tc class add dev d0 parent 1: classid 1:1 htb rate 1mbit", NET_ADMIN),
    ("tc", "filter"): ("tc filter add dev d0 ingress matchall action drop", NET_ADMIN),
    ("netns", "set"): (f"netns set {NS_WORD} 7", NET_ADMIN),
    ("netns", "add"): (f"netns add {NEW_WORD}", SYS_ADMIN),
    ("netns", "attach"): (f"netns attach {NEW_WORD} {PID_WORD}", SYS_ADMIN),
    ("netns", "delete"): (f"netns delete {SCRATCH_WORD}", SYS_ADMIN),
    ("netns", "exec"): (f"netns exec {NS_WORD} true", SYS_ADMIN),
    ("cd",): (f"cd {NS_WORD}", SYS_ADMIN),
}
# entering a namespace inside a line is a change of context too
EXTRA_CHANGES = [(f"-n {NS_WORD} link show", SYS_ADMIN),
                 # the changes of the bridge paths (their looks are in LOOKS)
                 ("bridge fdb add 02:00:00:00:00:99 dev nbp0 master static", NET_ADMIN),
                 ("bridge fdb append 02:00:00:00:00:98 dev nbp0", NET_ADMIN),
                 ("bridge fdb replace 02:00:00:00:00:97 dev nbp0 master", NET_ADMIN),
                 ("bridge fdb del 02:00:00:00:00:96 dev nbp0 master", NET_ADMIN),
                 ("bridge fdb flush dev nb0", NET_ADMIN),
                 ("bridge vlan add vid 10 dev nbp0", NET_ADMIN),
                 ("bridge vlan del vid 10 dev nbp0", NET_ADMIN),
                 ("bridge vlan set vid 10 dev nbp0 state forwarding", NET_ADMIN),
                 ("bridge link set dev nbp0 cost 5", NET_ADMIN)]

_CHILD = r"""
import io, json, sys
from nlshell.commands.context import Context, Options
from nlshell.commands.runner import Runner
results = []
for line in json.load(sys.stdin):
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(opts=Options(force=True), out=out, err=err)
    try:
        code = Runner(ctx).run_line(line)
    finally:
        ctx.close()
    results.append([code, out.getvalue(), err.getvalue()])
json.dump(results, sys.stdout)
"""


def without_admin_caps(ns: str) -> list[str]:
    """argv prefix: run the rest in `ns` with CAP_NET_ADMIN and CAP_SYS_ADMIN gone."""
    return ["ip", "netns", "exec", ns, "setpriv", "--inh-caps=-all",
            "--bounding-set=-net_admin,-sys_admin", "--"]


def test_every_command_path_is_covered() -> None:
    from nlshell.commands.grammar import REGISTRY

    paths = {c.path for c in REGISTRY.commands()}
    listed = set(LOOKS) | set(CHANGES_BY_PATH) | set(SKIPPED)
    assert paths == listed, (sorted(paths - listed), sorted(listed - paths))
    assert not set(LOOKS) & set(CHANGES_BY_PATH)


@pytest.fixture
def grammar_world(world: str) -> Any:
    batch(world, "tuntap add tp0 mode tap\nnexthop add id 7 blackhole\n"
                 "link add nb0 type bridge\nlink add nbp0 type veth peer name nbp1\n"
                 "link set nbp0 master nb0\n")
    with temp_netns() as scratch, unused_ns_name() as new:
        yield {NS_WORD: world, SCRATCH_WORD: scratch, NEW_WORD: new, PID_WORD: str(os.getpid())}


def _filled(line: str, words: dict[str, str]) -> str:
    for key, value in words.items():
        line = line.replace(key, value)
    return line


def _netns_dir(words: dict[str, str]) -> list[bool]:
    """Our entries of /run/netns (other runs add and remove theirs meanwhile): the test and
    scratch namespaces still mounted, the new name never made."""
    return [ns_exists(words[NS_WORD]), ns_exists(words[SCRATCH_WORD]),
            mount_count(os.path.join(NETNS_DIR, words[SCRATCH_WORD])) > 0,
            ns_exists(words[NEW_WORD])]


def test_every_command_unprivileged(grammar_world: dict[str, str]) -> None:
    ns = grammar_world[NS_WORD]
    looks = [_filled(line, grammar_world) for line in LOOKS.values()]
    changes = [(_filled(line, grammar_world), cap)
               for line, cap in [*CHANGES_BY_PATH.values(), *EXTRA_CHANGES]]
    lines = [*looks, *(line for line, _ in changes)]
    before, dir_before = _state(ns), _netns_dir(grammar_world)

    proc = subprocess.run([*without_admin_caps(ns), sys.executable, "-c", _CHILD],
                          input=json.dumps(lines), capture_output=True, text=True, timeout=120,
                          env=nlshell_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = dict(zip(lines, json.loads(proc.stdout), strict=True))
    bad = []
    for line in looks:
        code, out, err = results[line]
        if code or err or not out.strip():
            bad.append(f"look {line!r}: status {code}, stderr {err!r}, stdout {out[:80]!r}")
    for line, cap in changes:
        code, out, err = results[line]
        other = SYS_ADMIN if cap == NET_ADMIN else NET_ADMIN
        if (code == 0 or err.count("\n") != 1 or not err.endswith("\n") or cap not in err
                or other in err or "Traceback" in err or "internal error" in err):
            bad.append(f"change {line!r}: status {code}, stderr {err!r} (wants {cap})")
    assert not bad, "\n".join(bad)
    assert _state(ns) == before
    assert _netns_dir(grammar_world) == dir_before == [True, True, True, False]

    # the same lines as one batch through the command line: each change is one numbered
    # line on stderr, the looks print, and the batch's status is not 0
    proc = nocap_admin(ns, "--force", "-b", "-", stdin="\n".join(lines) + "\n")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    numbered = [e.split(":", 2)[1] for e in proc.stderr.splitlines()]
    assert numbered == [str(n) for n in range(len(looks) + 1, len(lines) + 1)], proc.stderr
    assert _state(ns) == before
    assert _netns_dir(grammar_world) == dir_before == [True, True, True, False]


def nocap_admin(ns: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return run_nlshell(*args, input=stdin, wrapper=without_admin_caps(ns))
