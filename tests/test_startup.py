"""Start-up (issue 13): what `nlshell -c 'link show'` imports, run through the `nlshell`
script itself (scripts/nlshell, what pip installs) in a child process. The standard library
modules below cost milliseconds each at start-up; the command path must not need them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support import nlrun, testns

pytestmark = testns.requires_root

SCRIPT = Path(nlrun.REPO) / "scripts" / "nlshell"

# run the script as the program (argv[0] is its path), then list the modules it added (at
# its os._exit: a command run ends there, without atexit hooks; see cli.run)
PROBE = ("import atexit, os, sys\n"
         "before = set(sys.modules)\n"
         "def report():\n"
         "    sys.stderr.write('\\nADDED ' + ' '.join(sorted(set(sys.modules) - before)) + '\\n')\n"
         "    sys.stderr.flush()\n"
         "real_exit = os._exit\n"
         "def exit_now(code):\n"
         "    report()\n"
         "    real_exit(code)\n"
         "os._exit = exit_now\n"
         "atexit.register(report)\n"
         "path = sys.argv[1]\n"
         "sys.argv = sys.argv[1:]\n"
         "exec(compile(open(path).read(), path, 'exec'), {'__name__': '__main__'})\n")

# never on the path of `link show`, whatever the options
HEAVY = {"dataclasses", "typing", "inspect", "ast", "socket", "threading", "contextlib",
         "importlib", "warnings", "prompt_toolkit", "pygments", "tabulate", "configparser",
         "asyncio", "ipaddress"}
# json imports re, and enum, functools, collections under it: -j writes its compact text
# with _json's encoder (render/jsontext.py); only -p (indented) imports json
JSON = {"json", "re", "enum", "functools", "collections"}
CTYPES = {"ctypes"}  # setns() for -n NS is bound with the C module _ctypes alone


def added(*args: str, wrapper: tuple[str, ...] = ()) -> set[str]:
    proc = subprocess.run([*wrapper, sys.executable, "-c", PROBE, str(SCRIPT), *args],
                          capture_output=True, text=True, timeout=60, env=nlrun.nlshell_env())
    assert proc.returncode == 0, proc.stderr
    assert "lo" in proc.stdout
    line = [x for x in proc.stderr.splitlines() if x.startswith("ADDED ")][-1]
    return set(line.split()[1:])


def top_level(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_the_script_is_what_pip_installs() -> None:
    text = (Path(nlrun.REPO) / "pyproject.toml").read_text()
    assert 'script-files = ["scripts/nlshell"]' in text
    assert '"nlshell.cli:main"' not in text  # pip's wrapper for entry points imports re first
    assert SCRIPT.stat().st_mode & 0o111


@pytest.mark.parametrize("opts", [(), ("-br",)])
def test_link_show_in_the_namespace_imports_nothing_heavy(ns: str, opts: tuple[str, ...]) -> None:
    """Run inside the namespace (no -n): not even ctypes or json."""
    mods = top_level(added(*opts, "-c", "link show", wrapper=("ip", "netns", "exec", ns)))
    assert not mods & (HEAVY | JSON | CTYPES)
    assert "nlshell" in mods


def test_link_show_with_netns_option_imports_nothing_heavy(ns: str) -> None:
    mods = top_level(added("-n", ns, "-c", "link show"))
    assert not mods & (HEAVY | JSON | CTYPES)


def test_json_link_show_imports_nothing_heavy(ns: str) -> None:
    mods = top_level(added("-n", ns, "-j", "-c", "link show"))
    assert not mods & (HEAVY | JSON | CTYPES)
    assert "json" in top_level(added("-n", ns, "-j", "-p", "-c", "link show"))


def test_compact_json_is_json_dumps_text() -> None:
    """jsontext.compact writes what json.dumps(obj, separators=(",", ":")) writes, errors
    included."""
    import json

    from nlshell.commands.render.jsontext import compact

    cyclic: list = []
    cyclic.append(cyclic)
    values = [None, True, 1, -2**70, 1.5, float("nan"), float("-inf"), -0.0, "",
              "é\x01\"\\/\u2028\U0001f600\x7f", [], {}, [[[]]], ("t", 1),
              {"a": [1, {"b": None, 2: "x", 3.5: True, None: 1, False: 0}], "ü": "\x7f"}]
    for value in values:
        assert compact(value) == json.dumps(value, separators=(",", ":")), value
    for bad in (object(), {"a": {1, 2}}, {(1,): 2}, cyclic):
        with pytest.raises((TypeError, ValueError)) as ours:
            compact(bad)
        with pytest.raises(ours.type) as theirs:
            json.dumps(bad, separators=(",", ":"))
        assert str(ours.value) == str(theirs.value)


# what the garbage collector is doing when the command runs (the probe's handler for
# `link show` is the real one, wrapped; it reports at once: the run ends in os._exit)
GC_PROBE = ("import gc, sys\n"
            "seen = []\n"
            "path = sys.argv[1]\n"
            "sys.argv = sys.argv[1:]\n"
            "import nlshell.commands.link as L\n"
            "show = L.link_show\n"
            "def probe(ctx, inv):\n"
            "    seen.append((gc.isenabled(), gc.get_freeze_count() > 0))\n"
            "    show(ctx, inv)\n"
            "    sys.stderr.write(f'\\nSEEN {seen} {gc.isenabled()}\\n')\n"
            "L.link_show = probe\n"
            "exec(compile(open(path).read(), path, 'exec'), {'__name__': '__main__'})\n")


def test_the_collector_pauses_for_the_start_up_only(ns: str) -> None:
    """Run as the program, nlshell pauses the garbage collector while it starts (imports
    make thousands of objects that live as long as the process); it is on again, the
    start-up's objects frozen out of its sight, by the time a command runs. Imported as a
    library (this test process), nothing touches the collector."""
    import gc

    proc = subprocess.run([sys.executable, "-c", GC_PROBE, str(SCRIPT), "-n", ns,
                           "-c", "link show"], capture_output=True, text=True, timeout=60,
                          env=nlrun.nlshell_env())
    assert proc.returncode == 0, proc.stderr
    assert "lo" in proc.stdout
    assert "SEEN [(True, True)] True" in proc.stderr
    import nlshell

    assert gc.isenabled() and not nlshell._STARTUP_GC_PAUSED
