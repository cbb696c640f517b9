"""`nlshell save`: a rich namespace printed as a batch file, run onto an empty namespace,
gives the same `ip -j` dumps (modulo interface indexes)."""

from __future__ import annotations

import time
from typing import Any

from support.iporacle import batch, sh
from support.nlrun import run_nlshell
from support.richstate import MORE, SETUP, dumps, without_indexes
from support.testns import no_dad, requires_root
from support.wait import DEADLINE

pytestmark = requires_root





def test_save_then_batch_onto_an_empty_namespace(ns: str, ns2: str, tmp_path: Any) -> None:
    no_dad(ns)
    no_dad(ns2)
    batch(ns, SETUP + MORE)
    sh(ns, "-6", "rule", "add", "from", "2001:db8::/32", "table", "7", "pref", "400")
    saved = run_nlshell("-n", ns, "save")
    assert saved.returncode == 0, saved.stderr
    assert saved.stderr == ""
    path = tmp_path / "saved.nl"
    path.write_text(saved.stdout)
    r = run_nlshell("-n", ns2, "-b", str(path))
    assert r.returncode == 0, r.stderr + saved.stdout
    want = without_indexes(dumps(ns))
    deadline = time.monotonic() + DEADLINE  # link-local addresses and routes come later
    got = without_indexes(dumps(ns2))
    while got != want and time.monotonic() < deadline:
        time.sleep(0.2)
        got = without_indexes(dumps(ns2))
    for kind in want:
        assert got[kind] == want[kind], kind
    # saving the copy gives the same lines
    again = run_nlshell("-n", ns2, "save")
    assert sorted(again.stdout.splitlines()) == sorted(saved.stdout.splitlines())


def test_save_one_object(ns: str) -> None:
    batch(ns, "link add v0 type veth peer name v1\naddr add 192.0.2.1/24 dev v0\n")
    r = run_nlshell("-n", ns, "save", "address")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "address add 192.0.2.1/24 dev v0\n"


def test_save_bad_object(ns: str) -> None:
    r = run_nlshell("-n", ns, "save", "links")
    assert r.returncode == 1
    assert '"links"' in r.stderr and "\n" == r.stderr[-1] and r.stderr.count("\n") == 1
