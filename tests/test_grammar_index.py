"""grammar.OBJECT_INDEX: a line loads only its object's declaration module, and the index
says exactly what the modules declare (so lazy loading answers as a full load would).

Pure tests: no kernel. Each check that looks at what got imported runs in a fresh
interpreter (this one has loaded everything long ago).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

from nlshell.commands.grammar import (
    COMMAND_MODULES,
    OBJECT_INDEX,
    REGISTRY,
    GrammarError,
    Registry,
)
from nlshell.commands.parser import ParseError, parse


def _fresh(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def test_index_lists_what_each_module_declares_in_order() -> None:
    # module by module into a registry without an index: who declares what, in what order
    code = (
        "import importlib, json\n"
        "from nlshell.commands import grammar\n"
        "grammar.REGISTRY._index.clear()\n"
        "rows = []\n"
        "for m in grammar.COMMAND_MODULES:\n"
        "    importlib.import_module(m)\n"
        "    for n, o in grammar.REGISTRY._objects.items():\n"
        "        if n not in [r[0] for r in rows]:\n"
        "            rows.append([n, list(o.word.aliases), list(o.word.shortcuts), m])\n"
        "print(json.dumps(rows))\n")
    declared = _fresh(code)
    indexed = [[n, list(a), list(s), m] for n, a, s, m in OBJECT_INDEX]
    assert declared == indexed


def test_every_index_module_is_a_command_module() -> None:
    assert {m for *_, m in OBJECT_INDEX} == set(COMMAND_MODULES)


@pytest.mark.parametrize("line, wanted, unwanted", [
    ("link show", "nlshell.commands.link", "nlshell.commands.route"),
    ("l", "nlshell.commands.link", "nlshell.commands.address"),
    ("ro show", "nlshell.commands.route", "nlshell.commands.link"),
    ("addr show", "nlshell.commands.address", "nlshell.commands.save"),
    ("neigh", "nlshell.commands.neighbour", "nlshell.commands.monitor"),
])
def test_a_line_loads_only_its_object(line: str, wanted: str, unwanted: str) -> None:
    code = (
        "import json, sys\n"
        "from nlshell.commands.parser import parse\n"
        f"inv = parse({line!r})\n"
        "mods = [m for m in sys.modules if m.startswith('nlshell.commands.')]\n"
        "print(json.dumps({'path': list(inv.command.path), 'mods': mods}))\n")
    got = _fresh(code)
    assert wanted in got["mods"]
    assert unwanted not in got["mods"]


def test_lazy_answers_equal_full_ones() -> None:
    # the same lines through a registry that loads lazily (fresh) and the loaded REGISTRY
    lines = ["link show", "l sh", "a", "ro ad 10.0.0.0/8 dev lo", "nh", "t", "x", "r",
             "neighbor show", "quit", "ru"]
    code = (
        "import json\n"
        "from nlshell.commands.parser import ParseError, parse\n"
        "out = []\n"
        f"for line in {lines!r}:\n"
        "    try:\n"
        "        out.append(list(parse(line).command.path))\n"
        "    except ParseError as exc:\n"
        "        out.append(str(exc))\n"
        "print(json.dumps(out))\n")
    lazy = _fresh(code)
    REGISTRY.load()
    full = []
    for line in lines:
        try:
            full.append(list(parse(line).command.path))
        except ParseError as exc:
            full.append(str(exc))
    assert lazy == full


def test_objects_keep_index_order_whatever_loaded_first() -> None:
    code = (
        "import json\n"
        "from nlshell.commands.grammar import REGISTRY\n"
        "from nlshell.commands.parser import parse\n"
        "parse('route show')\n"
        "print(json.dumps([o.name for o in REGISTRY.objects]))\n")
    assert _fresh(code) == [name for name, *_ in OBJECT_INDEX]


def test_an_object_missing_from_the_index_is_loud(tmp_path, monkeypatch) -> None:
    (tmp_path / "nlt_index_extra.py").write_text(
        "from nlshell.commands.grammar import REG\n"
        "REG.object('ghost', 'not indexed')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import nlshell.commands.grammar as grammar

    reg = Registry(["nlt_index_extra"], [("link", (), ("l",), "nlt_index_extra")])
    monkeypatch.setattr(grammar, "REG", reg, raising=False)
    with pytest.raises(GrammarError, match="ghost.*OBJECT_INDEX"):
        reg.load()
    sys.modules.pop("nlt_index_extra", None)


def test_an_indexed_object_never_declared_is_loud(tmp_path, monkeypatch) -> None:
    (tmp_path / "nlt_index_empty.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = Registry(["nlt_index_empty"], [("ghost", (), (), "nlt_index_empty")])
    with pytest.raises(GrammarError, match="does not declare 'ghost'"):
        reg.lookup("ghost")
    with pytest.raises(GrammarError):
        reg.load()
    sys.modules.pop("nlt_index_empty", None)
    importlib.invalidate_caches()
