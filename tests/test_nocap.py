"""Without CAP_NET_ADMIN: `show` commands work, changes fail with one line saying the
operation needs CAP_NET_ADMIN, exit status 2, and nothing changes.

nlshell runs inside a test namespace (`ip netns exec`) under `setpriv`, with NET_ADMIN
dropped from the bounding set (so a root process cannot hold it either).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from support import flat as helpers

pytestmark = helpers.requires_root

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
    helpers.batch(ns, SETUP)
    return ns


def without_net_admin(ns: str) -> list[str]:
    """argv prefix: run the rest in `ns` with CAP_NET_ADMIN gone (bounding set too)."""
    return ["ip", "netns", "exec", ns, "setpriv", "--inh-caps=-all", "--bounding-set=-net_admin",
            "--"]


def nocap(ns: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return helpers.run_nlshell(*args, input=stdin, wrapper=without_net_admin(ns))


def test_capability_is_really_dropped(world: str) -> None:
    proc = subprocess.run([*without_net_admin(world), "grep", "CapEff", "/proc/self/status"],
                          capture_output=True, text=True, timeout=30)
    assert not int(proc.stdout.split()[1], 16) >> 12 & 1  # CAP_NET_ADMIN is bit 12


@pytest.mark.parametrize("view", ["link show", "address show", "route show", "neigh show",
                                  "rule show"])
def test_show_works(world: str, view: str) -> None:
    proc = nocap(world, "-j", *view.split())
    assert proc.returncode == 0, proc.stderr
    mine, theirs = json.loads(proc.stdout), helpers.ipj(world, *view.split())
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
        rows = helpers.ipj(ns, *v)
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
    assert "192.0.2.9" not in helpers.sh(world, "addr")
