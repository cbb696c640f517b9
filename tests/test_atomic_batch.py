"""`nlshell -b FILE --atomic`: a batch that fails is undone from the before-image, and the
namespace's `ip -j` dumps equal what they were before the batch."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Any

import pytest
from support.iporacle import batch, ip, ipj, sh
from support.nlrun import nlshell_argv, nlshell_env, run_nlshell
from support.richstate import SETUP, dumps, settled_equal
from support.testns import no_dad, requires_root

pytestmark = requires_root

# The starting state: links of every kind the batch touches (veth pair, bridge with a
# port, vxlan, macvlan, ifb), addresses of both families, routes in several tables
# (multipath, blackhole), rules and permanent neighbours.

# one change of each object type: adds, deletes (v2 takes its peer v3, a bridge port, its
# addresses, routes and neighbours with it), changes
CHANGES = """\
link add a0 type veth peer name a1
link set a0 up
link add br1 type bridge
link set a1 master br1
link add vx1 type vxlan id 7 dstport 4789
link set v0 mtu 1400
link set v1 address 02:11:22:33:44:55
link set ifb0 up
link del mv0
link del v2
link del vx0
address del 192.0.2.1/24 dev v0
address add 192.0.2.5/24 dev v0
address add 2001:db8:1::5/64 dev v0 nodad
route add 203.0.113.0/24 via 192.0.2.2 table 10
route replace 10.9.0.0/16 via 192.0.2.3
route del blackhole 10.6.0.0/16 table 101
rule add from 172.16.0.0/12 table 10 pref 100
rule del pref 300
neigh add 192.0.2.9 lladdr 02:00:00:00:00:01 dev v0 nud permanent
"""

# the failing last line: a kernel refusal on the pipelined path, on the one-by-one path,
# and a usage error
LAST_LINES = {
    "bulk": "route add 203.0.113.0/24 via 192.0.2.2 table 10",
    "single": "link add a0 type ifb",
    "usage": "route add 198.18.0.0/15 dev nosuchdev",
}












@pytest.fixture
def rich(ns: str) -> str:
    no_dad(ns)
    batch(ns, SETUP)
    return ns


@pytest.mark.parametrize("how", sorted(LAST_LINES))
def test_failing_last_line_leaves_the_namespace_as_before(rich: str, tmp_path: Any,
                                                          how: str) -> None:
    ns = rich
    before = settled_equal(ns, {}, timeout=0)
    path = tmp_path / "changes.nl"
    text = CHANGES + LAST_LINES[how] + "\n"
    path.write_text(text)
    last = len(text.splitlines())
    r = run_nlshell("-n", ns, "-b", str(path), "--atomic")
    assert r.returncode != 0, r.stderr
    first = r.stderr.splitlines()[0]
    assert first.startswith(f"{path}:{last}: "), r.stderr
    assert "atomic: batch undone" in r.stderr, r.stderr
    assert "not exact" not in r.stderr, r.stderr
    after = settled_equal(ns, before)
    for kind in before:
        assert after[kind] == before[kind], kind


def test_without_atomic_the_lines_before_stay(rich: str, tmp_path: Any) -> None:
    path = tmp_path / "changes.nl"
    path.write_text(CHANGES + LAST_LINES["single"] + "\n")
    r = run_nlshell("-n", rich, "-b", str(path))
    assert r.returncode == 2 and "atomic:" not in r.stderr
    assert ip("link", "show", "a0", ns=rich)


def test_atomic_batch_that_succeeds_keeps_its_changes(rich: str, tmp_path: Any) -> None:
    path = tmp_path / "changes.nl"
    path.write_text(CHANGES)
    r = run_nlshell("-n", rich, "-b", str(path), "--atomic")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert not [link for link in ipj(rich, "link", "show") if link["ifname"] == "v2"]


def test_a_device_that_cannot_be_recreated_is_named(ns: str, tmp_path: Any) -> None:
    sh(ns, "tuntap", "add", "dev", "t0", "mode", "tap")
    path = tmp_path / "changes.nl"
    path.write_text("link del t0\nlink add lo type ifb\n")
    r = run_nlshell("-n", ns, "-b", str(path), "--atomic")
    assert r.returncode == 2
    assert "atomic: not exact: link t0 (index" in r.stderr, r.stderr
    assert "cannot be re-created" in r.stderr


def test_atomic_is_refused_with_force() -> None:
    r = run_nlshell("-b", "-", "--atomic", "--force")
    assert r.returncode == 255 and "--atomic and --force" in r.stderr


def test_atomic_c_commands(ns: str) -> None:
    r = run_nlshell("-n", ns, "--atomic", "-c", "link add k0 type ifb", "-c",
                    "link add k0 type ifb")
    assert r.returncode == 2
    assert r.stderr.startswith("-c:2: RTNETLINK answers: File exists"), r.stderr
    assert "k0" not in {e["ifname"] for e in ipj(ns, "link", "show")}


def test_sigkill_before_the_undo_leaves_the_applied_lines(ns: str) -> None:
    """The undo runs in the nlshell process and nothing is written to disk: a process
    killed (SIGKILL, power loss) after applying lines and before undoing them leaves those
    lines applied, as a plain batch would."""
    proc = subprocess.Popen(nlshell_argv("-n", ns, "-b", "-", "--atomic"),
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=nlshell_env())
    try:
        assert proc.stdin is not None
        proc.stdin.write("link add k0 type ifb\nlink set k0 up\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 30
        while not [e for e in ipj(ns, "link", "show")
                   if e["ifname"] == "k0" and "UP" in e["flags"]]:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    k0 = [e for e in ipj(ns, "link", "show") if e["ifname"] == "k0"]
    assert k0 and "UP" in k0[0]["flags"]  # applied, never undone


def test_library_transaction_rolls_back_on_an_exception(rich: str) -> None:
    from nlshell import IPRoute
    from nlshell.engine.journal import Transaction

    before = dumps(rich)
    with IPRoute(netns=rich) as ipr:
        with pytest.raises(KeyError), Transaction(ipr) as tx:
            ipr.link("add", ifname="t9", kind="ifb")
            ipr.link("del", index=ipr.link_lookup(ifname="v2")[0])
            raise KeyError("boom")
        assert tx.notes == [] and tx.sent > 0
    after = settled_equal(rich, before)
    for kind in before:
        assert after[kind] == before[kind], kind


def test_ctrl_c_undoes_an_atomic_batch(ns: str) -> None:
    proc = subprocess.Popen(nlshell_argv("-n", ns, "-b", "-", "--atomic"),
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=nlshell_env())
    try:
        assert proc.stdin is not None
        proc.stdin.write("link add k0 type ifb\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 30
        while "k0" not in {e["ifname"] for e in ipj(ns, "link", "show")}:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert "atomic: batch undone" in err, err
    assert "k0" not in {e["ifname"] for e in ipj(ns, "link", "show")}
