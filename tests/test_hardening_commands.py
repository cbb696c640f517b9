"""Issue 15's defects in the commands and the engine's requests, one table per defect:
each row is what a user typed and the one line (and exit code) it must give, with the
state left as ip would leave it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator

import pytest
from support import iporacle, nlrun, testns

from nlshell.engine.iproute import IPRoute

pytestmark = testns.requires_root


@pytest.fixture
def fresh() -> Iterator[str]:
    """A namespace exactly as `ip netns add` leaves it: lo down, no main table yet."""
    with testns.temp_netns(lo_up=False) as name:
        yield name


# -- a new user's first command: an empty main table, not "FIB table does not exist" ----

FIRST_SHOWS = [
    ("route show", ""), ("-j route show", "[]\n"), ("-br route show", ""),
    ("route show table main", ""), ("route show dev lo", ""), ("route show 10.0.0.0/8", ""),
    ("route show root 10.0.0.0/8", ""), ("-6 route show", ""), ("route", ""),
]


@pytest.mark.parametrize("line,out", FIRST_SHOWS)
def test_first_route_show_in_a_fresh_namespace(fresh: str, line: str, out: str) -> None:
    proc = nlrun.run_nlshell("-n", fresh, *line.split())
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, out, "")


def test_get_routes_of_a_missing_main_table_is_empty(fresh: str) -> None:
    with IPRoute(netns=fresh) as ipr:
        assert ipr.get_routes(family=2, table=254) == []
        assert ipr.get_routes(family=2) == []


def test_another_missing_table_is_still_the_kernels_error(fresh: str) -> None:
    res = nlrun.nl(fresh, "route show table 55")  # as ip: exit 2, the kernel's words
    assert res.code == 2 and "FIB table does not exist" in res.err


# -- one line naming the bad word, nothing left behind --------------------------------

BAD_LINES = [
    # (command, exit code, words the one line must hold)
    ("address add 2001:db8::9/64 dev v0 brd +", 1, ("broadcast", "IPv4")),
    ("address add 2001:db8::9/64 dev v0 broadcast 2001:db8::ff", 1, ("broadcast", "IPv4")),
    ("link add t2 type tun user 99999999999", 255, ("99999999999", "user")),
    ("link add t2 type tap group 4294967295", 255, ("4294967295", "group")),
    ("tuntap add t2 mode tap user 99999999999", 255, ("99999999999",)),
    ("link set 0 up", 1, ('Cannot find device "0"',)),
    ("link delete 0", 1, ('Cannot find device "0"',)),
    ("link add t1 type tun mtu 70000", 2, ("mtu", '"t1" was not kept')),
    ("link add t1 type tap mtu 70000 alias x", 2, ('"t1" was not kept',)),
]


@pytest.mark.parametrize("line,code,words", BAD_LINES)
def test_bad_input_is_one_line(vns: str, line: str, code: int, words: tuple[str, ...]) -> None:
    before = iporacle.ipj(vns, "-d", "link", "show"), iporacle.ipj(vns, "addr", "show")
    proc = nlrun.run_nlshell("-n", vns, *line.split())
    lines = proc.stderr.splitlines()
    assert proc.returncode == code and len(lines) == 1, proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    after = iporacle.ipj(vns, "-d", "link", "show"), iporacle.ipj(vns, "addr", "show")
    assert [x["ifname"] for x in after[0]] == [x["ifname"] for x in before[0]]
    assert after[1] == before[1]


def test_tun_owner_up_to_the_largest_id(ns: str) -> None:
    nlrun.ok(ns, "link add t3 type tun user 4294967294")
    assert "user 4294967294" in nlrun.ok(ns, "tuntap show")


# -- batch lines: bounded length -------------------------------------------------------

LONG = 10_000_000  # one line of 10 MB


@pytest.fixture(scope="module")
def long_batch() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "long.batch")
        with open(path, "w") as fh:
            fh.write("link show\n" + "x" * LONG + "\nlink show\n")
        yield path


def _max_rss_kb(argv: list[str], stdin_path: str | None = None) -> tuple[int, str, int]:
    """Run argv to the end (bounded), returning (exit code, stderr, its peak RSS in kB)."""
    code = ("import resource, subprocess, sys\n"
            "stdin = open(sys.argv[1], 'rb') if sys.argv[1] else subprocess.DEVNULL\n"
            "p = subprocess.run(sys.argv[2:], stdin=stdin, stdout=subprocess.DEVNULL,"
            " stderr=subprocess.PIPE, timeout=60)\n"
            "sys.stdout.write(f'{p.returncode} "
            "{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n')\n"
            "sys.stdout.write(p.stderr.decode())\n")
    proc = subprocess.run([sys.executable, "-c", code, stdin_path or "", *argv],
                          capture_output=True, text=True, timeout=90,
                          env=nlrun.nlshell_env())
    first, _, err = proc.stdout.partition("\n")
    rc, rss = first.split()
    return int(rc), err, int(rss)


@pytest.mark.parametrize("how", ["file", "stdin", "check"])
def test_batch_line_too_long(ns: str, long_batch: str, how: str) -> None:
    base = nlrun.nlshell_argv("-n", ns)
    if how == "file":
        argv, stdin, where = [*base, "-b", long_batch], None, f"{long_batch}:2"
    elif how == "stdin":
        argv, stdin, where = [*base, "-b", "-"], long_batch, "-:2"
    else:
        argv, stdin, where = [*base, "--check", "-b", long_batch], None, f"{long_batch}:2"
    rc, err, rss_kb = _max_rss_kb(argv, stdin)
    assert rc == 1 and err == f"{where}: line too long\n"
    assert rss_kb < 100_000  # flat: the 10 MB line is never held whole (~20 MB usual)


def test_batch_line_too_long_with_force_goes_on(ns: str, long_batch: str) -> None:
    proc = subprocess.run([*nlrun.nlshell_argv("-n", ns, "--force", "-j", "-b", long_batch)],
                          capture_output=True, text=True, timeout=60, env=nlrun.nlshell_env())
    assert proc.returncode == 1 and proc.stderr == f"{long_batch}:2: line too long\n"
    assert [len(json.loads(x)) for x in proc.stdout.splitlines()] == [1, 1]  # lo, twice


def test_batch_of_continued_lines_too_long(ns: str) -> None:
    from nlshell.commands.runner import LINE_LIMIT

    text = "link show \\\n" + ("x" * 1000 + " \\\n") * (LINE_LIMIT // 1000 + 1) + "\n"
    res = nlrun.nl_batch(ns, text, source="b")
    assert res.code == 1 and res.err == "b:1: line too long\n"


# -- netns without the privilege: one line naming the capability ----------------------

def _unprivileged() -> list[str]:
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux)")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]


NETNS_REFUSED = [
    ("netns exec {ns} true", ("netns exec", "CAP_SYS_ADMIN")),
    ("netns attach x 1", ("pid 1", "permission denied", "CAP_SYS_ADMIN")),
]


@pytest.mark.parametrize("line,words", NETNS_REFUSED)
def test_netns_refusals_name_the_capability(ns: str, line: str, words: tuple[str, ...]
                                            ) -> None:
    proc = subprocess.run([*_unprivileged(), *nlrun.nlshell_argv(*line.format(ns=ns).split())],
                          capture_output=True, text=True, timeout=60, env=nlrun.nlshell_env())
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "internal error" not in lines[0] and "no process" not in lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert not os.path.exists("/run/netns/x")


def test_netns_exec_still_runs_with_the_privilege(ns: str) -> None:
    proc = nlrun.run_nlshell("netns", "exec", ns, "ip", "-br", "link", "show", "lo")
    assert proc.returncode == 0 and proc.stdout.startswith("lo"), proc.stderr
