"""Tests of the test harness itself: namespace fixtures, ip helpers, host guard, bench helpers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from support.hostguard import diff_snapshots, host_snapshot
from support.iporacle import IpError, ipj, sh
from support.nlrun import REPO, nlshell_env
from support.testns import NETNS_DIR, NS_PREFIX, ns_exists, requires_root, temp_netns

_seen: list[str] = []  # names handed out by `ns`, checked by the next test


def test_ns_exists_with_lo_up(ns: str) -> None:
    assert ns.startswith(NS_PREFIX)
    assert ns_exists(ns)
    (lo,) = ipj(ns, "link", "show", "lo")
    assert "UP" in lo["flags"]
    assert ipj(ns, "link", "show") == [lo]  # nothing but lo in a fresh namespace
    _seen.append(ns)


def test_ns_is_gone_after_its_test() -> None:
    if not _seen:
        pytest.skip("runs after test_ns_exists_with_lo_up, which did not run")
    assert not any(ns_exists(name) for name in _seen)


def test_two_namespaces_are_distinct(ns: str, ns2: str) -> None:
    assert ns != ns2
    assert os.stat(f"{NETNS_DIR}/{ns}").st_ino != os.stat(f"{NETNS_DIR}/{ns2}").st_ino
    sh(ns, "link add nltv0 type veth peer name nltv1")
    assert {link["ifname"] for link in ipj(ns, "link")} == {"lo", "nltv0", "nltv1"}
    assert [link["ifname"] for link in ipj(ns2, "link")] == ["lo"]


def test_fixture_helpers_are_the_plain_ones(ns: str, request: pytest.FixtureRequest) -> None:
    assert request.getfixturevalue("sh") is sh
    assert request.getfixturevalue("ipj") is ipj
    assert ipj(ns, "-4", "addr", "show", "dev", "lo")[0]["ifname"] == "lo"
    assert sh(ns, "link", "show", "lo").startswith("1: lo")


def test_ipj_empty_output_is_empty_list(ns: str) -> None:
    assert ipj(ns, "neigh", "show") == []


def test_sh_raises_with_stderr(ns: str) -> None:
    with pytest.raises(IpError, match="nosuchdev") as info:
        sh(ns, "link set nosuchdev up")
    assert info.value.returncode != 0
    assert info.value.stderr


def test_helpers_refuse_the_host() -> None:
    for bad in (None, ""):
        with pytest.raises(ValueError, match="namespace"):
            sh(bad, "link show")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="namespace"):
            ipj(bad, "link show")  # type: ignore[arg-type]


@requires_root
def test_temp_netns_removed_on_error() -> None:
    with pytest.raises(RuntimeError, match="boom"):
        with temp_netns() as name:
            assert ns_exists(name)
            raise RuntimeError("boom")
    assert not ns_exists(name)


def test_host_snapshot_is_stable_and_diff_reports_changes() -> None:
    a, b = host_snapshot(), host_snapshot()
    assert diff_snapshots(a, b) == ([], [])
    changed = {**b, "link": [*b["link"], {"ifname": "ghost0"}]}
    errors, _ = diff_snapshots(a, changed)
    assert len(errors) == 1 and "ghost0" in errors[0]


def test_bench_timed_process_measures_a_child() -> None:
    sys.path.insert(0, os.path.join(REPO, "bench"))
    try:
        import common
    finally:
        sys.path.pop(0)
    res = common.timed_process([sys.executable, "-c", "pass"], runs=2, warmup=0)
    assert set(res) >= {"median_s", "min_s", "max_s", "peak_rss_kb"}
    assert 0 < res["min_s"] <= res["median_s"] <= res["max_s"] < 30
    assert res["peak_rss_kb"] > 1000
    with pytest.raises(RuntimeError, match="exited"):
        common.timed_process([sys.executable, "-c", "raise SystemExit(3)"], runs=1, warmup=0)


def test_import_nlshell_is_lazy() -> None:
    code = (
        "import sys, nlshell; "
        "assert nlshell.__version__ == '0.1.0'; "
        "assert not [m for m in sys.modules if m.startswith('nlshell.')], sorted(sys.modules); "
        "assert {'IPRoute', 'NetNS', 'netns', 'NetlinkError'} <= set(dir(nlshell))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=nlshell_env(), timeout=60)
