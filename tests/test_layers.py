"""Only the codec reads a message's insides.

Every module of nlshell/ outside engine/codec/ is scanned (AST) for attribute access to the
private slots and helpers of the codec's views (``m._buf``, ``m._start``, ``row._idx``,
``table._by_name``...), on anything but ``self``/``cls`` (a class's own private attributes
are its business). Messages are read through their public accessors: ``get``, ``header_tuple``,
``whole``/``attr_dict``, ``wire_values``, ``wire_attrs``, ``payload``, ``raw``.
"""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "nlshell"
CODEC = ROOT / "engine" / "codec"

PRIVATE = frozenset((
    "_buf", "_start", "_end", "_idx", "_spec", "_table", "_fields", "_depth",  # views
    "_rows", "_hdr", "_schema", "_min",  # lean dump views
    "_by_name", "_by_type", "_compile",  # tables
    "_index", "_attr_start", "_field", "_value", "_span_value", "_layout", "_entry",
))


def private_reads(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or node.attr not in PRIVATE:
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
            continue
        out.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
    return out


def test_no_module_outside_the_codec_reads_view_internals() -> None:
    found = [hit for p in sorted(ROOT.rglob("*.py")) if CODEC not in p.parents
             for hit in private_reads(p)]
    assert not found, "codec internals read outside engine/codec:\n" + "\n".join(found)


def test_the_scan_sees_them(tmp_path: pathlib.Path) -> None:
    global ROOT
    sample = tmp_path / "m.py"
    sample.write_text("def f(m):\n    return m._buf, m.x._start, self._end, getattr(m, 'y')\n")
    old, ROOT = ROOT, tmp_path
    try:
        assert [h.split(": ")[1] for h in private_reads(sample)] == ["._buf", "._start"]
    finally:
        ROOT = old


def test_codec_constants_import_alone() -> None:
    # importing the constants must not run the codec (a leaf, behind a lazy package)
    import subprocess
    import sys

    code = ("import sys, nlshell.engine.codec.constants as C; "
            "print(sorted(m for m in sys.modules if m.startswith('nlshell.engine.codec.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "['nlshell.engine.codec.constants']"
