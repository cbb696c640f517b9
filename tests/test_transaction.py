"""Transactions in the shell (`begin`, `rollback`, `commit [confirm N]`, `confirm`) through
pipe input, and the library form `Cache.transaction()`. The namespace is compared with
`ip -j` dumps taken before `begin`. The real-terminal runs are in test_transaction_e2e."""

from __future__ import annotations

import time
from typing import Any

import pytest
from support.iporacle import batch, ipj
from support.nlrun import run_nlshell
from support.pipeshell import Session
from support.testns import no_dad, requires_root
from support.wait import DEADLINE, until

pytestmark = requires_root

SETUP = """\
link add v0 type veth peer name v1
link add br0 type bridge
link set v1 master br0
link set v0 up
link set v1 up
addr add 192.0.2.1/24 dev v0
addr add 2001:db8:1::1/64 dev v0 nodad
route add 10.9.0.0/16 via 192.0.2.2
route add 10.8.0.0/16 via 192.0.2.2 table 100
rule add from 10.0.0.0/8 table 100 pref 200
neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev v0 nud permanent
"""

# one change of each kind, deletes included (v1 takes its peer v0 and everything on it)
CHANGES = [
    "link add a0 type ifb",
    "link set a0 up",
    "link set br0 mtu 1400",
    "address add 192.0.2.5/24 dev v0",
    "route replace 10.8.0.0/16 via 192.0.2.3 table 100",
    "route add blackhole 203.0.113.0/24",
    "rule add from 172.16.0.0/12 table 10 pref 100",
    "rule del pref 200",
    "link del v1",
]

TIMER = 2  # seconds of `commit confirm`
FIRED = TIMER + DEADLINE  # generous: the timer plus a loaded machine's 30 s


def _link(e: dict) -> tuple:
    flags = set(e["flags"])
    if "LOWER_UP" in flags:  # both at once: read while the carrier was coming up (transient)
        flags.discard("NO-CARRIER")
    return (e["ifindex"], e["ifname"], tuple(sorted(flags)), e["mtu"], e.get("master"),
            e.get("address"), e.get("link_index"))


def _sorted(rows: list[dict], drop: tuple[str, ...] = ()) -> list[str]:
    return sorted(repr(sorted((k, v) for k, v in r.items() if k not in drop)) for r in rows)


def dumps(ns: str) -> dict[str, Any]:
    """The namespace as `ip -j` shows it, minus what ticks on its own."""
    return {
        "link": sorted(map(_link, ipj(ns, "link", "show"))),
        "addr": sorted((a["ifname"], x["family"], x["local"], x["prefixlen"])
                       for a in ipj(ns, "addr", "show") for x in a.get("addr_info", [])),
        "route4": _sorted(ipj(ns, "-4", "route", "show", "table", "all")),
        "route6": _sorted(ipj(ns, "-6", "route", "show", "table", "all"), ("expires",)),
        "rule": _sorted(ipj(ns, "rule", "show")),
        "neigh": _sorted([n for n in ipj(ns, "neigh", "show")
                          if "PERMANENT" in n.get("state", [])]),
    }


def wait_dumps(ns: str, want: dict[str, Any], timeout: float = FIRED) -> None:
    """Until the dumps equal `want` (IPv6 link-locals and routes come back a moment after
    their links); fails showing the last difference."""
    seen: list[dict] = [{}]

    def same() -> bool:
        seen[0] = dumps(ns)
        return seen[0] == want

    until("the namespace to equal its dumps before begin", same, timeout, interval=0.2,
          detail=lambda: "\n".join(f"{k}: got {seen[0].get(k)}\n want {want[k]}"
                                   for k in want if seen[0].get(k) != want[k]))


@pytest.fixture
def rich(ns: str) -> str:
    no_dad(ns)
    batch(ns, SETUP)
    return ns


@pytest.fixture
def shell(rich: str) -> Any:
    s = Session(rich)
    yield s
    s.close()


def _changed(s: Session) -> None:
    for line in CHANGES:
        s.run(line)
    assert s.err.getvalue() == "", s.err.getvalue()


def test_begin_rollback_undoes_everything(shell: Session, rich: str) -> None:
    before = dumps(rich)
    shell.run("begin")
    assert shell.shell.message()[-1][1] == "*> "  # the prompt shows it
    _changed(shell)
    assert dumps(rich) != before
    shell.run("rollback")
    out = shell.out.getvalue()
    assert f"{rich} is as at begin" in out, out
    assert "undid: link a0 added" in out and "undid: link v1 deleted" in out, out
    assert "not exact" not in out and shell.err.getvalue() == ""
    assert shell.ctx.transaction is None and shell.shell.message()[-1][1] == "> "
    wait_dumps(rich, before)


def test_begin_commit_keeps(shell: Session, rich: str) -> None:
    shell.run("begin")
    _changed(shell)
    after = dumps(rich)
    shell.run("commit")
    assert "committed" in shell.out.getvalue()
    assert shell.ctx.transaction is None
    assert dumps(rich) == after
    shell.run("rollback")
    assert "no transaction is open" in shell.err.getvalue()


def test_cd_is_refused_while_open(shell: Session, rich: str) -> None:
    shell.run("begin")
    shell.run("cd /")
    shell.run("-n nosuch-ns link show")
    err = shell.err.getvalue().splitlines()
    assert len(err) == 2 and all(f"a transaction is open in {rich}" in e for e in err), err
    assert shell.ctx.current == rich
    shell.run("begin")
    assert "already open" in shell.err.getvalue()
    shell.run("commit")
    shell.run("cd /")
    assert shell.ctx.current == "/"


def test_commit_confirm_without_confirm_rolls_back(shell: Session, rich: str) -> None:
    before = dumps(rich)
    shell.run("begin")
    _changed(shell)
    shell.run(f"commit confirm {TIMER}")
    assert f"rolls back in {TIMER}s" in shell.out.getvalue()
    assert "rollback in" in "".join(t for _s, t in shell.shell.toolbar())
    shell.wait("the timer's report", lambda: shell.above, timeout=FIRED)
    assert f"rollback timer: {rich} rolled back" in shell.above[0], shell.above
    assert shell.ctx.transaction is None
    wait_dumps(rich, before)


def test_commit_confirm_then_confirm_keeps(shell: Session, rich: str) -> None:
    shell.run("begin")
    _changed(shell)
    after = dumps(rich)
    shell.run(f"commit confirm {TIMER}")
    dog = shell.ctx.transaction.watchdog
    shell.run("confirm")
    assert "confirmed" in shell.out.getvalue(), shell.err.getvalue()
    dog.proc.wait(timeout=DEADLINE)  # stood down and gone: nothing can roll back now
    assert dog.report == ["stood down"]
    assert dumps(rich) == after and shell.above == []


def test_rollback_during_the_timer(shell: Session, rich: str) -> None:
    before = dumps(rich)
    shell.run("begin")
    _changed(shell)
    shell.run("commit confirm 600")
    dog = shell.ctx.transaction.watchdog
    shell.run("rollback")
    assert "is as at begin" in shell.out.getvalue(), shell.err.getvalue()
    dog.proc.wait(timeout=DEADLINE)
    wait_dumps(rich, before)


@pytest.mark.parametrize("word", ["begin", "commit", "rollback", "confirm"])
def test_not_in_batches(ns: str, word: str) -> None:
    r = run_nlshell("-n", ns, "-c", word)
    assert r.returncode == 1
    assert r.stderr == f"{word}: transactions are for the interactive shell " \
                       "(for a batch: nlshell -b FILE --atomic)\n"


def test_confirm_without_a_timer(shell: Session) -> None:
    shell.run("begin")
    shell.run("confirm")
    assert "no rollback timer runs" in shell.err.getvalue()
    shell.run("commit confirm 0")
    assert shell.ctx.transaction is not None and shell.ctx.transaction.watchdog is None


def test_cache_transaction_rolls_back_on_an_exception(rich: str) -> None:
    from nlshell.engine.cache import Cache

    before = dumps(rich)
    with pytest.raises(KeyError), Cache(netns=rich) as c, c.transaction() as tx:
        tx.ipr.link("add", ifname="t9", kind="ifb")
        tx.ipr.link("del", index=c.index("v1") or tx.ipr.link_lookup(ifname="v1")[0])
        raise KeyError("boom")
    assert tx.notes == [] and tx.sent > 0
    wait_dumps(rich, before)


def test_cache_transaction_keeps_without_an_exception(rich: str) -> None:
    from nlshell.engine.cache import Cache

    with Cache(netns=rich) as c, c.transaction() as tx:
        tx.ipr.link("add", ifname="t9", kind="ifb")
    assert tx.sent == 0
    assert "t9" in {e["ifname"] for e in ipj(rich, "link", "show")}


def test_before_image_survives_bytes(rich: str) -> None:
    from nlshell import IPRoute
    from nlshell.engine import journal

    with IPRoute(netns=rich) as ipr:
        state = journal.capture(ipr)
        again = journal.load_state(journal.dump_state(state))
        assert {k: set(v) for k, v in again.items()} == {k: set(v) for k, v in state.items()}
        assert all(again[k][key].raw() == m.raw() for k in state for key, m in state[k].items())
        assert journal.differences(state, again) == []


def test_monotonic_deadline_only() -> None:
    """(the countdown is read from a monotonic clock: wall-clock jumps do not move it)"""
    from nlshell.engine import watchdog

    assert "time.monotonic()" in open(watchdog.__file__).read()
    assert time.monotonic() > 0
