"""Hostile command lines (issue 15): each case is one line on stderr, the documented exit
status (1: usage, syntax or lookup; 2: the kernel refused; 130: interrupted), no traceback,
and nothing changed: not the test namespace, not the host.

The cases run `nlshell` as a child process inside a namespace holding a veth pair."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from typing import Any, NamedTuple

import pytest
from support.iporacle import VETH_V0, batch, ip, ipj, sh
from support.nlrun import nlshell_argv, nlshell_env
from support.testns import no_dad, requires_root, temp_netns

from nlshell.commands import slots as S

pytestmark = requires_root


class Case(NamedTuple):
    id: str
    argv: tuple[str | bytes, ...]  # NS stands for the test namespace; bytes stay bytes
    code: int
    stderr: str  # a piece of the one line
    xfail: str = ""


NS = "\0NS"  # placeholder
BIG = "x" * 120_000  # under the kernel's 128 KiB limit for one argument

CASES = [
    # the wrong device: an index is ASCII digits only
    Case("arabic-digit-delete", ("-n", NS, "link", "delete", "٣"), 1,
         'Cannot find device "٣"'),
    Case("fullwidth-digit-delete", ("-n", NS, "link", "delete", "３"), 1,
         'Cannot find device "３"'),
    Case("fullwidth-digit-set", ("-n", NS, "link", "set", "３", "mtu", "1400"), 1,
         'Cannot find device "３"'),
    Case("fullwidth-digit-addr", ("-n", NS, "address", "add", "192.0.2.9/24", "dev", "３"), 1,
         'Cannot find device "３"'),
    # the wrong namespace: an empty or invalid -n is a usage error (255, as ip), nothing runs
    Case("empty-netns", ("-n", "", "link", "add", "zz", "type", "ifb"), 255,
         'invalid namespace name ""'),
    Case("slash-netns", ("-n", "../x", "link", "add", "zz", "type", "ifb"), 255,
         "invalid namespace name"),
    Case("dotdot-netns", ("-n", "..", "-c", "link add zz type ifb"), 255, "invalid namespace name"),
    Case("missing-netns", ("-n", "nlt-surely-absent", "link", "add", "zz", "type", "ifb"), 255,
         "nlt-surely-absent"),
    Case("empty-netns-in-line", ("-n", NS, "-c", "-n '' link add zz type ifb"), 255, "-netns"),
    # -c with -b: refused, not half-ignored
    Case("c-and-b", ("-n", NS, "-c", "link add zz type ifb", "-b", "/dev/null"), 255,
         "-c and -b cannot be used together"),
    Case("b-and-words", ("-n", NS, "-b", "/dev/null", "link", "add", "zz", "type", "ifb"), 255,
         "unexpected words with -b"),
    # ip options nlshell refuses: by name, not ignored (ip's -h is -human, which works)
    Case("bridge-family-refused", ("-n", NS, "-B", "link"), 255, '"-B"'),
    Case("echo-in-line", ("-n", NS, "-c", "-echo link"), 255, "not supported yet"),
    # bytes that are not UTF-8
    Case("non-utf8-device", ("-n", NS, "link", "delete", b"v\xff0"), 255, "v\\xff0"),
    Case("non-utf8-netns", ("-n", b"ns\xfe", "link"), 255, "ns\\xfe"),
    Case("non-utf8-in-c", ("-n", NS, "-c", b"link set \xff up"), 255, "\\xff"),
    # a 1 MB word is not echoed whole
    Case("huge-device", ("-n", NS, "link", "delete", BIG), 255, "x" * 40 + "'…"),
    Case("huge-verb", ("-n", NS, "link", BIG), 255, "x" * 40 + "'…"),
    Case("huge-option", (BIG, "link"), 1, "x" * 30),  # an unknown object: 1, as ip
    Case("huge-netns", ("-n", BIG, "link"), 255, "invalid namespace name"),
    Case("huge-in-c", ("-n", NS, "-c", "link set dev lo mtu " + "9" * 100000), 255, "9" * 40 + "'…"),
    # control characters and NUL-free oddities in names
    Case("newline-device", ("-n", NS, "link", "set", "v0\nx", "up"), 255, "invalid interface name"),
    Case("tab-netns", ("-n", "a\tb", "link"), 255, "a\\x09b"),  # control characters escaped
]


def _argv(case: Case, ns: str) -> list[bytes]:
    return [os.fsencode(ns if a == NS else a) if isinstance(a, str) else a for a in case.argv]


def _ns_state(ns: str) -> list[Any]:
    out = []
    for view in (("link",), ("addr",), ("route",), ("-6", "route"), ("rule",), ("neigh",)):
        rows = ipj(ns, *view)
        out.append([{k: v for k, v in r.items() if k not in ("stats64", "stats")} for r in rows])
    return out


def _host_links() -> list[Any]:
    rows = json.loads(ip("-j", "link") or "[]")  # read-only look at the host
    return sorted((r["ifindex"], r["ifname"], r.get("mtu"), r.get("flags")) for r in rows)


def run(argv: list[bytes], stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([os.fsencode(sys.executable), b"-m", b"nlshell", *argv],
                          capture_output=True, input=stdin, timeout=60,
                          env=nlshell_env())


def _veth_ns() -> Any:
    ctx = temp_netns()
    ns = ctx.__enter__()
    no_dad(ns)  # link-local addresses final at once: states compare equal
    batch(ns, VETH_V0)
    return ctx, ns


@pytest.fixture(scope="module")
def world() -> Any:
    ctx, ns = _veth_ns()
    try:
        yield ns
    finally:
        ctx.__exit__(None, None, None)


@pytest.fixture
def own_world() -> Any:
    ctx, ns = _veth_ns()
    try:
        yield ns
    finally:
        ctx.__exit__(None, None, None)


_PARAMS = [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(reason=c.xfail)] if c.xfail else [])
           for c in CASES]


@pytest.mark.parametrize("case", _PARAMS)
def test_hostile_command_line(request: pytest.FixtureRequest, case: Case) -> None:
    # a known failure may change its namespace: it gets one of its own
    world = request.getfixturevalue("own_world" if case.xfail else "world")
    before, host = _ns_state(world), _host_links()
    proc = run(_argv(case, world))
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err and "internal error" not in err, err[-2000:]
    assert err.count("\n") == 1 and err.endswith("\n"), err[:500]
    assert len(err) < 300, err[:500]
    assert case.stderr in err, err
    assert proc.returncode == case.code, (proc.returncode, err)
    assert _ns_state(world) == before
    assert _host_links() == host


def test_unicode_digits_are_never_indexes() -> None:
    for word in ("٣", "３", "𝟑", "³", "0x3", "+3", " 3", "3 ", "0", "", "2147483648", "1" * 40):
        assert S.index_of(word) is None, word
    assert S.index_of("3") == 3 and S.index_of("2147483647") == 2147483647
    assert S.IFINDEX.convert("12") == 12
    for word in ("٣", "３", "0x3"):
        with pytest.raises(S.SlotError):
            S.IFINDEX.convert(word)
    assert S.IFNAME.convert("３") == "３"  # a name like any other


# -- a namespace that cannot be entered ----------------------------------------------------

def test_netns_without_cap_sys_admin_is_one_line(world: str) -> None:
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux) to drop CAP_SYS_ADMIN")
    host = _host_links()
    for args in (["-n", world, "link", "add", "zz", "type", "ifb"], ["-n", world, "-c", "link"],
                 ["-n", world]):
        proc = subprocess.run(["setpriv", "--inh-caps=-all", "--bounding-set=-sys_admin", "--",
                               *nlshell_argv(*args)], capture_output=True, text=True,
                              input="", timeout=60, env=nlshell_env())
        assert proc.returncode == 255, proc  # ip: a namespace -n cannot enter is usage
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert "CAP_SYS_ADMIN" in proc.stderr and "CAP_NET_ADMIN" not in proc.stderr
        assert world in proc.stderr
    assert "zz" not in sh(world, "link")
    assert _host_links() == host


# -- Ctrl-C at start-up ----------------------------------------------------------------------

_STAGES = {
    # right after nlshell/__init__ ran (the first moment nlshell's own code can act)
    "after-package": "import nlshell, os, signal\nos.kill(os.getpid(), signal.SIGINT)\n"
                     "import time\ntime.sleep(5)\n",
    # while cli is being imported
    "in-cli-import": "import nlshell, os, signal, builtins\n"
                     "real = builtins.__import__\n"
                     "def imp(name, *a, **k):\n"
                     "    if name == 'nlshell.commands.options':\n"
                     "        os.kill(os.getpid(), signal.SIGINT)\n"
                     "    return real(name, *a, **k)\n"
                     "builtins.__import__ = imp\n"
                     "from nlshell.cli import main\nraise SystemExit(main(['--help']))\n",
    # inside main, once KeyboardInterrupt is back
    "in-main": "import nlshell, os, signal\nfrom nlshell import cli\n"
               "def boom(argv):\n    os.kill(os.getpid(), signal.SIGINT)\n"
               "    import time; time.sleep(5)\n"
               "cli.parse_argv = boom\nraise SystemExit(cli.main(['link']))\n",
}


@pytest.mark.parametrize("stage", list(_STAGES))
def test_ctrl_c_at_start_up_is_quiet(stage: str) -> None:
    # sys.argv[0] says "nlshell", as for the installed console script
    code = "import sys\nsys.argv[0] = '/usr/bin/nlshell'\n" + _STAGES[stage]
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=nlshell_env())
    assert (proc.returncode, proc.stderr) == (130, "")


def test_ctrl_c_soon_after_start_never_shows_nlshell_frames() -> None:
    """SIGINT sent at many moments of a real start: never a traceback through nlshell's
    code (the interpreter's own start-up, before any nlshell code runs, is out of reach)."""
    for n in range(12):
        proc = subprocess.Popen(nlshell_argv("-c", "netns list"), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=nlshell_env())
        time.sleep(0.01 * n)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert "nlshell/" not in err, err
        assert proc.returncode in (0, 130, -signal.SIGINT, 1), (proc.returncode, err)
        if "Traceback" in err:  # only the interpreter's own start-up may print one
            assert "<frozen" in err or "site" in err, err


def test_library_import_keeps_the_programs_sigint_handler() -> None:
    code = ("import signal, nlshell\n"
            "assert signal.getsignal(signal.SIGINT) is signal.default_int_handler\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=nlshell_env())
    assert proc.returncode == 0, proc.stderr
