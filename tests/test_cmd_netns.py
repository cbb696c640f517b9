"""`netns` commands, checked with `ip netns` / `ip -j netns`; and cd/pwd/ls."""

from __future__ import annotations

import json

import pytest
from support import iporacle, nlrun, testns
from support.iporacle import ip_names
from support.nlrun import nl, ok
from support.testns import process_in_ns, unused_ns_name

pytestmark = testns.requires_root


# --- verbs -----------------------------------------------------------------------------


def test_add_and_delete() -> None:
    testns.need_privileges()
    with unused_ns_name() as name:
        ok(None, f"netns add {name}")
        assert name in ip_names()
        iporacle.ip("-n", name, "link", "show")  # a real, usable namespace
        res = nl(None, f"netns add {name}")
        assert res.code == 1 and f'namespace "{name}" already exists' in res.err
        ok(None, f"netns del {name}")
        assert name not in ip_names()
        res = nl(None, f"netns delete {name}")
        assert res.code == 1 and f'"{name}" does not exist' in res.err


def test_add_refuses_bad_names() -> None:
    testns.need_privileges()
    bad_names = ("-oops", "a/b", "..", "x" * 256)
    before = ip_names()
    for bad in bad_names:
        res = nl(None, f"netns add '{bad}'")
        assert res.code in (1, 255) and len(res.err.strip().splitlines()) == 1, (bad, res)
    # (other runs on the machine add and remove their own namespaces meanwhile)
    assert not (ip_names() - before) & {*bad_names, "a", "b"}


def test_list_equals_ip(ns: str, ns2: str) -> None:
    iporacle.sh(ns, "netns", "set", ns2, "17")
    mine = json.loads(ok(ns, "netns list", json=True))
    theirs = iporacle.ipj(ns, "netns", "list")
    assert sorted(mine, key=lambda e: e["name"]) == sorted(theirs, key=lambda e: e["name"])
    assert {"name": ns2, "id": 17} in mine
    text = ok(ns, "netns")
    assert f"{ns2} (id: 17)" in text.splitlines() and ns in text.splitlines()


@pytest.mark.parametrize("nsid", ["5", "auto"])
def test_set(ns: str, ns2: str, nsid: str) -> None:
    ok(ns, f"netns set {ns2} {nsid}")  # the id ns2 gets as seen from ns
    ids = {e["name"]: e.get("id") for e in iporacle.ipj(ns, "netns", "list")}
    assert ids[ns2] == 5 if nsid == "5" else isinstance(ids[ns2], int)
    res = nl(ns, f"netns set {ns2} 6")
    assert res.code == 2 or res.code == 1
    assert len(res.err.strip().splitlines()) == 1


def test_identify_and_pids(ns: str) -> None:
    with process_in_ns(ns) as pid:
        assert ok(None, f"netns identify {pid}").strip() == ns
        assert iporacle.ip("netns", "identify", str(pid)).strip() == ns
        pids = ok(None, f"netns pids {ns}").split()
        assert str(pid) in pids
        assert set(pids) == set(iporacle.ip("netns", "pids", ns).split())
        # -j changes nothing: ip prints the same lines
        assert ok(None, f"netns pids {ns}", json=True).split() == pids
    assert ok(ns, "netns identify").strip() == ns  # as `ip -n NS netns identify`


def test_attach(ns: str) -> None:
    with process_in_ns(ns) as pid, unused_ns_name() as alias:
        ok(None, f"netns attach {alias} {pid}")
        assert alias in ip_names()
        iporacle.sh(ns, "link", "add", "probe0", "type", "ifb")
        assert "probe0" in iporacle.sh(alias, "link", "show")  # the same namespace
        ok(None, f"netns del {alias}")
    assert alias not in ip_names()


def test_errors_name_the_namespace() -> None:
    testns.need_privileges()
    for line in ("netns pids nlt-nosuch-0", "netns del nlt-nosuch-0", "netns set nlt-nosuch-0 3"):
        res = nl(None, line)
        assert res.code == 1 and '"nlt-nosuch-0" does not exist' in res.err, (line, res)
    res = nl(None, "netns identify 4194300")
    assert res.code == 1 and res.err.strip()


def test_exec(ns: str) -> None:
    proc = nlrun.run_nlshell("-c", f"netns exec {ns} ip -br link show lo")
    assert proc.returncode == 0 and proc.stdout.startswith("lo "), proc


# --- shell words: cd, pwd, ls --------------------------------------------------------------


def test_cd_pwd_ls(ns: str, ns2: str) -> None:
    out = ok(None, "pwd", f"cd {ns}", "pwd", f"cd {ns2}", "pwd", "cd -", "pwd", "cd /", "pwd",
             "cd", "pwd")
    assert out.split() == ["/", ns, ns2, ns, "/", "/"]
    listing = ok(ns, "ls").splitlines()
    assert f"* {ns}" in listing and f"  {ns2}" in listing
    res = nl(None, "cd nlt-nosuch-0")
    assert res.code == 1 and '"nlt-nosuch-0" does not exist' in res.err


def test_cd_then_commands_run_there(ns: str, ns2: str) -> None:
    ok(None, f"cd {ns}", "link add here0 type ifb", f"cd {ns2}", "link add there0 type ifb")
    assert "here0" in iporacle.sh(ns, "link") and "there0" not in iporacle.sh(ns, "link")
    assert "there0" in iporacle.sh(ns2, "link")
