"""`nlshell diff FILE` / `nlshell apply FILE [--prune] [--dry-run]`: the namespace brought
to the state a batch file describes."""

from __future__ import annotations

from typing import Any

from support.iporacle import batch, ipj
from support.nlrun import run_nlshell
from support.richstate import MORE, SETUP, dumps, settled_equal, without_indexes
from support.testns import no_dad, requires_root

pytestmark = requires_root


def _save(ns: str, tmp_path: Any, name: str = "saved.nl") -> str:
    r = run_nlshell("-n", ns, "save")
    assert r.returncode == 0, r.stderr
    path = tmp_path / name
    path.write_text(r.stdout)
    return str(path)


def _equal_soon(ns: str, want: dict[str, Any]) -> dict[str, Any]:
    got = without_indexes(settled_equal(ns, {}, timeout=0))
    for _ in range(100):  # link-local addresses and their routes come a moment later
        if got == want:
            break
        got = without_indexes(settled_equal(ns, {}, timeout=0))
    return got


def test_diff_against_its_own_save_is_empty(ns: str, tmp_path: Any) -> None:
    no_dad(ns)
    batch(ns, SETUP + MORE)
    path = _save(ns, tmp_path)
    r = run_nlshell("-n", ns, "diff", path)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_apply_onto_an_empty_namespace_then_again(ns: str, ns2: str, tmp_path: Any) -> None:
    no_dad(ns)
    no_dad(ns2)
    batch(ns, SETUP + MORE)
    path = _save(ns, tmp_path)
    r = run_nlshell("-n", ns2, "apply", path)
    assert r.returncode == 0, r.stderr
    want = without_indexes(dumps(ns))
    got = _equal_soon(ns2, want)
    for kind in want:
        assert got[kind] == want[kind], kind
    again = run_nlshell("-n", ns2, "apply", path, "--dry-run")
    assert (again.returncode, again.stdout) == (0, ""), again.stdout + again.stderr


def test_apply_changes_what_differs(ns: str, tmp_path: Any) -> None:
    batch(ns, "link add v0 type veth peer name v1\naddr add 192.0.2.1/24 dev v0\n"
              "link set v0 up\nroute add 10.9.0.0/16 via 192.0.2.2\n")
    path = tmp_path / "want.nl"
    path.write_text("link add v0 mtu 1400 type veth peer name v1\n"
                    "address add 192.0.2.1/24 dev v0\nlink set v0 up\n"
                    "route add 10.9.0.0/16 via 192.0.2.3 dev v0\n")
    r = run_nlshell("-n", ns, "diff", str(path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "link set v0 mtu 1400", r.stdout
    assert "route replace 10.9.0.0/16" in r.stdout and "via 192.0.2.3" in r.stdout
    r = run_nlshell("-n", ns, "apply", str(path))
    assert r.returncode == 0, r.stderr
    v0 = [e for e in ipj(ns, "link", "show") if e["ifname"] == "v0"][0]
    assert v0["mtu"] == 1400
    assert [e["gateway"] for e in ipj(ns, "route", "show", "10.9.0.0/16")] == ["192.0.2.3"]
    assert run_nlshell("-n", ns, "diff", str(path)).stdout == ""


def test_apply_prune_removes_exactly_the_rest(ns: str, tmp_path: Any) -> None:
    no_dad(ns)
    batch(ns, SETUP + MORE)
    small = tmp_path / "small.nl"
    small.write_text("link add v0 type veth peer name v1\nlink set v0 up\nlink set v1 up\n"
                     "address add 192.0.2.1/24 dev v0\n"
                     "route add 10.9.0.0/16 dev v0\n"
                     "rule add from 10.0.0.0/8 table 100 pref 200\n")
    r = run_nlshell("-n", ns, "apply", str(small), "--prune")
    assert r.returncode == 0, r.stderr
    names = sorted(e["ifname"] for e in ipj(ns, "link", "show"))
    assert names == ["lo", "v0", "v1"]
    addrs = sorted(a["local"] for e in ipj(ns, "addr", "show") for a in e["addr_info"]
                   if not a["local"].startswith("fe80"))
    assert addrs == ["127.0.0.1", "192.0.2.1", "::1"]
    routes = {r.get("dst") for r in ipj(ns, "-4", "route", "show", "table", "all")
              if r.get("protocol") != "kernel"}
    assert routes == {"10.9.0.0/16"}
    assert not [r for r in ipj(ns, "-6", "route", "show", "table", "all")
                if r.get("protocol") not in ("kernel",)]
    prefs = sorted(r["priority"] for r in ipj(ns, "-4", "rule", "show"))
    assert prefs == [0, 200, 32766, 32767]
    assert not [n for n in ipj(ns, "neigh", "show") if "PERMANENT" in n.get("state", [])]
    assert run_nlshell("-n", ns, "apply", str(small), "--prune", "--dry-run").stdout == ""


def test_apply_file_that_fails(ns: str, tmp_path: Any) -> None:
    path = tmp_path / "bad.nl"
    path.write_text("link add v0 type ifb\naddress add 192.0.2.1/24 dev eth9\n")
    r = run_nlshell("-n", ns, "apply", str(path))
    assert r.returncode == 1
    assert r.stderr.startswith(f"{path}:2: "), r.stderr
    assert [e["ifname"] for e in ipj(ns, "link", "show")] == ["lo"]
