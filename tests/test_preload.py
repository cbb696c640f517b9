"""nlshell.preload (issue 13, start-up): the program's core modules loaded from their cached
bytecode. Run in child processes over a private copy of the package with its own bytecode
(these sessions set PYTHONDONTWRITEBYTECODE: the checkout may have none), so what is
checked is what an installed nlshell does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import nlrun, testns

PACKAGE = Path(nlrun.REPO) / "nlshell"


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package, byte-compiled as pip compiles it (timestamp pycs)."""
    root = tmp_path_factory.mktemp("preload")
    shutil.copytree(PACKAGE, root / "nlshell",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "nlshell")],
                   check=True, capture_output=True, timeout=300)
    return root


def child(root: Path, code: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in nlrun.nlshell_env().items()
           if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    env["PYTHONPATH"] = str(root)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, timeout=120, env=env, cwd=str(root))


def expect(root: Path, code: str, out: str) -> None:
    """``code`` run in a child over ``root`` ends well and prints exactly ``out``."""
    proc = child(root, code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == out


# load the core, then say how many, whether each came from the copy, and which of the
# package's modules were imported the ordinary way while loading (none: each module of
# CORE comes after the ones it imports)
LOAD = """
import sys
import nlshell.preload as P
before = set(sys.modules)
n = P.load()
ordinary = sorted(m for m in set(sys.modules) - before
                  if m.startswith('nlshell') and m not in P.CORE)
print(n, len(P.CORE), ordinary)
print(all(sys.modules[m].__file__.startswith(sys.argv[1]) for m in P.CORE))
"""


def test_the_core_loads_in_order_from_bytecode(copy: Path) -> None:
    proc = child(copy, LOAD, str(copy))
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.splitlines()
    n, total, ordinary = first.split(" ", 2)
    assert n == total, proc.stdout
    assert ordinary == "[]", f"imported the ordinary way while preloading: {ordinary}"
    assert second == "True"


def test_a_preloaded_module_looks_imported(copy: Path) -> None:
    """The attributes import gives a module: spec, loader, file, cached, parent's
    attribute; its source can be read back (tracebacks, inspect)."""
    code = ("import inspect, sys\n"
            "import nlshell.preload as P\n"
            "P.load()\n"
            "m = sys.modules['nlshell.commands.parser']\n"
            "import nlshell.commands as pkg\n"
            "assert pkg.parser is m\n"
            "assert m.__spec__.name == m.__name__ and m.__spec__.origin == m.__file__\n"
            "assert m.__cached__ == m.__spec__.cached and m.__cached__.endswith('.pyc')\n"
            "assert m.__package__ == 'nlshell.commands'\n"
            "assert 'def parse' in inspect.getsource(m)\n"
            "r = sys.modules['nlshell.commands.render']\n"
            "assert r.__path__ == r.__spec__.submodule_search_locations\n"
            "assert r.__package__ == 'nlshell.commands.render'\n"
            "print('ok')\n")
    expect(copy, code, "ok\n")


def test_stale_bytecode_stops_the_preloading(copy: Path, tmp_path: Path) -> None:
    """A source newer than its bytecode (an edited checkout): the preloading stops there and
    that module, and the rest, are imported the ordinary way, from the source."""
    root = tmp_path / "stale"
    shutil.copytree(copy, root)
    target = root / "nlshell" / "commands" / "grammar.py"
    target.write_text(target.read_text() + "\nEDITED = True\n")
    st = target.stat()
    os.utime(target, (st.st_atime, st.st_mtime + 10))
    code = ("import sys\n"
            "import nlshell.preload as P\n"
            "n = P.load()\n"
            "assert P.CORE[n] == 'nlshell.commands.grammar', (n, P.CORE[n])\n"
            "from nlshell.commands import grammar\n"
            "assert grammar.EDITED\n"
            "print('ok')\n")
    expect(root, code, "ok\n")


def test_a_failing_module_is_not_left_behind(copy: Path, tmp_path: Path) -> None:
    """A module whose code raises is removed from sys.modules and the error propagates, as
    the import system does."""
    pkg = tmp_path / "pk"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "bad.py").write_text("raise ValueError('broken module')\n")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(pkg)], check=True,
                   capture_output=True, timeout=60)
    code = ("import sys\n"
            f"sys.path.insert(0, {str(tmp_path)!r})\n"
            "import pk\n"
            "import nlshell.preload as P\n"
            "try:\n"
            "    P.load(('pk.bad',))\n"
            "except ValueError as exc:\n"
            "    print('raised', exc, 'pk.bad' in sys.modules)\n")
    expect(copy, code, "raised broken module False\n")


@testns.requires_root
@pytest.mark.parametrize("command", ["link show", "-j address show", "route show",
                                     "-br neighbour show", "rule show"])
def test_every_command_needs_the_core(copy: Path, ns: str, command: str) -> None:
    """CORE is what every command imports anyway: run without preloading (cli.main called
    directly), each command has imported all of it; run as the program (preloaded), the
    output is the same."""
    code = ("import sys\n"
            "from nlshell.cli import main\n"
            "import nlshell.preload as P\n"
            "status = main(['-n', sys.argv[1], '-c', sys.argv[2]])\n"
            "sys.stdout.flush()\n"
            "missing = [m for m in P.CORE if m not in sys.modules]\n"
            "sys.stderr.write(f'MISSING {missing} {status}')\n")
    plain = child(copy, code, ns, command)
    assert plain.stderr.endswith("MISSING [] 0"), plain.stderr
    program = child(copy, "import runpy, sys\n"
                          "sys.argv = ['nlshell', *sys.argv[1:]]\n"
                          "runpy.run_module('nlshell', run_name='__main__')\n",
                    "-n", ns, "-c", command)
    assert program.returncode == 0, program.stderr
    assert program.stdout == plain.stdout
