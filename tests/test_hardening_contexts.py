"""Contexts under hostile lifecycles: a namespace removed while nlshell is "in" it, and
many namespaces visited by one process.

A command whose namespace is gone fails with one line naming it and never runs elsewhere
(neither in the orphaned namespace nor in the one nlshell started in); the context stays in
the removed namespace until ``cd``. Open contexts are bounded: fds and threads stay flat
over 200 ``cd``s.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest
from support.iporacle import ip, ipj
from support.nlrun import nl_batch, run_nlshell
from support.resources import fd_count
from support.testns import new_ns_name, ns_exists, requires_root

from nlshell.commands.context import MAX_OPEN, Context, Options
from nlshell.commands.runner import Runner

pytestmark = requires_root

DOOMED = "@DOOMED@"  # replaced by a fresh namespace name in each case


def removed(name: str) -> str:
    return f'namespace "{name}" was removed; cd / or cd NAME'


def links(ns: str) -> set[str]:
    return {row["ifname"] for row in ipj(ns, "link", "show")}


@pytest.fixture
def doomed() -> Iterator[str]:
    name = new_ns_name()
    ip("netns", "add", name)
    try:
        yield name
    finally:
        if ns_exists(name):
            ip("netns", "del", name)


# batch text (removal by the batch itself) -> (exit code, stderr lines); @DOOMED@ is the name
BATCH_CASES = {
    "deleted by the batch, then a change": (
        "cd @DOOMED@\nnetns delete @DOOMED@\nlink add x0 type ifb\n",
        1, ["b:3: " + removed(DOOMED)]),
    "deleted and made again: still the removed one": (
        "cd @DOOMED@\nnetns delete @DOOMED@\nnetns add @DOOMED@\nlink add x0 type ifb\n",
        1, ["b:4: " + removed(DOOMED)]),
    "--force: every later line fails, none runs elsewhere": (
        "cd @DOOMED@\nnetns delete @DOOMED@\nlink add x0 type ifb\nlink add x1 type ifb\n"
        "address add 192.0.2.1/24 dev lo\n",
        1, ["b:3: " + removed(DOOMED), "b:4: " + removed(DOOMED), "b:5: " + removed(DOOMED)]),
    "the previous one deleted: cd - fails, nothing runs in /": (
        "cd @DOOMED@\ncd -\nnetns delete @DOOMED@\ncd -\nlink add x0 type ifb\n",
        1, ['b:4: network namespace "@DOOMED@" does not exist']),
    "a bulk run of adds fails too": (
        "cd @DOOMED@\nnetns delete @DOOMED@\nroute add 192.0.2.0/24 dev lo\n"
        "route add 198.51.100.0/24 dev lo\n",
        1, ["b:3: " + removed(DOOMED)]),
}


@pytest.mark.parametrize("case", list(BATCH_CASES))
def test_batch_never_runs_in_another_namespace(ns: str, doomed: str, case: str) -> None:
    text, code, err = BATCH_CASES[case]
    force = "force" in case
    before = links(ns)
    res = nl_batch(ns, text.replace(DOOMED, doomed), force=force)
    assert res.code == code
    assert res.err.splitlines() == [e.replace(DOOMED, doomed) for e in err]
    assert links(ns) == before  # nothing made where the batch started
    for route in ipj(ns, "route", "show"):
        assert route["dst"] not in ("192.0.2.0/24", "198.51.100.0/24")


def test_cd_into_a_remade_namespace_uses_the_new_one(ns: str, doomed: str) -> None:
    res = nl_batch(ns, f"cd {doomed}\nnetns delete {doomed}\nnetns add {doomed}\n"
                       f"cd {doomed}\nlink add fresh0 type ifb\n")
    assert (res.code, res.err) == (0, "")
    assert "fresh0" in links(doomed)
    assert "fresh0" not in links(ns)


def test_removed_from_outside_between_lines(ns: str, doomed: str) -> None:
    """The shell's case without a terminal: `cd`, removal by someone else, next lines."""
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(netns=ns, opts=Options(), out=out, err=err)
    runner = Runner(ctx)
    try:
        before = links(ns)
        assert runner.run_line(f"cd {doomed}") == 0
        ip("netns", "del", doomed)
        for line in ("link add x0 type ifb", "link show", "route add 192.0.2.0/24 dev lo"):
            assert runner.run_line(line) == 1, line
        assert err.getvalue().splitlines() == [removed(doomed)] * 3
        assert ctx.current == doomed  # stays there, as a shell in a removed directory
        assert runner.run_line("pwd") == 0 and out.getvalue().split() == [doomed]
        assert runner.run_line("cd -") == 0 and ctx.current == ns
        assert links(ns) == before
        assert runner.run_line("cd -") == 1  # the removed one cannot be entered again
        assert ctx.current == ns
    finally:
        ctx.close()


def test_dash_c_list(ns: str, doomed: str) -> None:
    proc = run_nlshell("-n", ns, "-c", f"cd {doomed}", "-c", f"netns del {doomed}",
                       "-c", "link add x0 type ifb")
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == ["-c:3: " + removed(doomed)]
    assert "x0" not in links(ns)


def test_dash_c_list_started_in_the_host_never_touches_it(doomed: str) -> None:
    """The issue's case: the start namespace is the host's; the change must not land there
    (`link add` of an ifb named for this test: checked absent on the host)."""
    name = f"h5x{new_ns_name()[-6:]}"[:15]
    proc = run_nlshell("-c", f"cd {doomed}", "-c", f"netns del {doomed}",
                       "-c", f"link add {name} type ifb")
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == ["-c:3: " + removed(doomed)]
    host = {row["ifname"] for row in ipj_host()}
    assert name not in host


def ipj_host() -> list:
    import json
    import subprocess

    return json.loads(subprocess.run(["ip", "-j", "link", "show"], capture_output=True,
                                     text=True, check=True).stdout)


# --- bounded contexts -----------------------------------------------------------------------

@pytest.fixture
def twenty() -> Iterator[list[str]]:
    names = [new_ns_name() for _ in range(20)]
    for name in names:
        ip("netns", "add", name)
    try:
        yield names
    finally:
        for name in names:
            if ns_exists(name):
                ip("netns", "del", name)


@pytest.mark.parametrize("use_cache", [False, True], ids=["batch", "shell-cache"])
def test_two_hundred_cds_stay_bounded(twenty: list[str], use_cache: bool) -> None:
    ctx = Context(opts=Options(), out=io.StringIO(), err=io.StringIO())
    ctx.use_cache = use_cache
    runner = Runner(ctx)
    try:
        for name in twenty[:MAX_OPEN]:  # warm up: as many open as will ever be
            assert runner.run_line(f"cd {name}") == 0
            assert runner.run_line("link show lo") == 0
            assert ctx.cache is not None or not use_cache
        fds, threads = fd_count(), threading.active_count()
        for i in range(200):
            assert runner.run_line(f"cd {twenty[i % len(twenty)]}") == 0
            assert runner.run_line("link show lo") == 0
            if use_cache:
                assert ctx.cache is not None
            assert len(ctx.open_names()) <= MAX_OPEN
        assert fd_count() <= fds + 2, "an fd per namespace visited"
        assert threading.active_count() <= threads + 1, "a thread per namespace visited"
        assert runner.run_line("cd -") == 0  # the previous one is still open
        assert ctx.current == twenty[198 % len(twenty)]
    finally:
        ctx.close()
    if use_cache:  # and closing gives every cache thread back
        assert threading.active_count() <= threads - MAX_OPEN + 1


# --- a namespace that cannot be entered -------------------------------------------------------

def without_sys_admin(ns: str) -> list[str]:
    """argv prefix: run the rest in `ns` with CAP_SYS_ADMIN gone (setns needs it)."""
    return ["ip", "netns", "exec", ns, "setpriv", "--inh-caps=-all",
            "--bounding-set=-sys_admin", "--"]


@pytest.mark.parametrize("argv", [["-n", "@DOOMED@", "link", "show"],
                                  ["-c", "cd @DOOMED@"],
                                  ["-c", "link show lo", "-c", "cd @DOOMED@"]])
def test_cannot_enter_is_one_line(ns: str, doomed: str, argv: list[str]) -> None:
    import shutil

    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux) to drop CAP_SYS_ADMIN")
    proc = run_nlshell(*[a.replace(DOOMED, doomed) for a in argv],
                       wrapper=without_sys_admin(ns))
    # -n NS that cannot be entered is a usage error as ip's (255); `cd NS` a failed lookup
    assert proc.returncode == (255 if argv[0] == "-n" else 1)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].endswith(f'cannot enter network namespace "{doomed}": Operation not '
                             "permitted (this needs CAP_SYS_ADMIN)")
