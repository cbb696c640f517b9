"""`nlshell save`: a rich namespace printed as a batch file, run onto an empty namespace,
gives the same `ip -j` dumps (modulo interface indexes)."""

from __future__ import annotations

import re
from typing import Any

from support.iporacle import batch, sh
from support.nlrun import run_nlshell
from support.testns import no_dad, requires_root

from tests.test_atomic_batch import SETUP, dumps, settled_equal

pytestmark = requires_root

MORE = """\
route add 2001:db8:8::/48 table 7 nexthop via 2001:db8:2::2 dev v2 nexthop via 2001:db8:1::2 dev v0
route add unreachable 10.5.0.0/16 table 102 metric 7
route add 10.4.0.0/16 via 192.0.2.2 mtu 1400 proto static
neigh add 192.0.2.8 lladdr 02:00:00:00:00:08 dev v0 nud permanent
"""


def _without_indexes(state: dict[str, Any]) -> dict[str, Any]:
    """Links re-made in another namespace get other indexes: compare them by name."""
    out = dict(state)
    out["link"] = sorted(line for line in (
        re.sub(r"'(ifindex|link_index)': \d+", r"'\1': N", entry)
        for entry in state["link"]))
    return out


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
    want = _without_indexes(dumps(ns))
    got = _without_indexes(settled_equal(ns2, {}, timeout=0))
    for _ in range(100):  # link-local addresses and their routes come a moment later
        if got == want:
            break
        got = _without_indexes(settled_equal(ns2, {}, timeout=0))
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
