"""Shared fixtures and the host guard.

Fixtures: `ns`, `ns2` (fresh namespaces, names yielded), `sh`, `ipj` (the helpers);
`vns` (`ns` holding iporacle.VETH_V0); `made` (a namespace made by nlshell's netns.create);
`ipr` (an IPRoute inside `ns`) and `veth` (veth0 up with 192.0.2.1/24, through it);
`no_hang` (a test running over 30 s fails: use with `pytest.mark.usefixtures`).
Marker: `@pytest.mark.requires_root` (or `testns.requires_root`).

The session guard snapshots the host (links, addresses, routes, /run/netns) before the run;
after it, it removes this run's leftover `nlt-<pid>-*` namespaces, puts /run/netns back as it
was, and fails the run (exit status 1, diff printed) if the host changed.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # `import support` whatever the rootdir layout

from support import hostguard, iporacle, resources, testns

_guard: dict[str, Any] = {"before": None, "errors": [], "warnings": [], "notes": []}


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def ns() -> Iterator[str]:
    """A fresh network namespace (lo up) for one test; its name. Deleted afterwards."""
    with testns.temp_netns() as name:
        yield name


@pytest.fixture
def ns2() -> Iterator[str]:
    """A second fresh namespace, for tests that need two."""
    with testns.temp_netns() as name:
        yield name


@pytest.fixture
def vns(ns: str) -> str:
    """`ns` with the veth pair of iporacle.VETH_V0 (v0 up with addresses, v1 up)."""
    iporacle.batch(ns, iporacle.VETH_V0)
    return ns


@pytest.fixture
def made() -> Iterator[str]:
    """A namespace made by nlshell's netns.create (not by ip); removed afterwards."""
    with testns.created_ns() as name:
        yield name


@pytest.fixture
def ipr(ns: str) -> Iterator[Any]:
    """An IPRoute open inside `ns` (closed afterwards)."""
    from nlshell import IPRoute  # the code under test: imported only by tests that use it

    with IPRoute(netns=ns) as ipr:
        yield ipr


@pytest.fixture
def veth(ipr: Any) -> int:
    """veth0 (up, 192.0.2.1/24) and its peer veth1, made through `ipr`; veth0's index."""
    return resources.add_veth(ipr, address="192.0.2.1")


@pytest.fixture
def no_hang() -> Iterator[None]:
    """A test that waits forever (say, for a reply lost in an overrun) fails after 30 s."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError("the test took over 30 s (a reply that never came?)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def sh() -> Callable[..., str]:
    return iporacle.sh


@pytest.fixture
def ipj() -> Callable[..., Any]:
    return iporacle.ipj


# -- marker -------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requires_root: needs CAP_NET_ADMIN/CAP_SYS_ADMIN (skipped otherwise, failed in CI)"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("requires_root"):
        testns.need_privileges()


# -- host guard ---------------------------------------------------------------------------


def pytest_sessionstart(session: pytest.Session) -> None:
    try:
        _guard["before"] = hostguard.host_snapshot()
    except Exception as exc:  # an unreadable host is itself a setup failure, reported at the end
        _guard["errors"].append(f"could not snapshot the host before the run: {exc}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = _guard["before"]
    try:
        if before is not None:
            _guard["notes"] += testns.cleanup_run_namespaces(before["netns"])
            errors, warnings = hostguard.diff_snapshots(before, hostguard.host_snapshot())
            _guard["errors"] += errors
            _guard["warnings"] += warnings
    except Exception as exc:
        _guard["errors"].append(f"could not check the host after the run: {exc}")
    if _guard["errors"] and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    tr = terminalreporter
    for note in _guard["notes"] + _guard["warnings"]:
        tr.write_line(f"host guard: {note}", yellow=True)
    if _guard["errors"]:
        tr.write_sep("=", "HOST STATE CHANGED BY THE TEST RUN (run marked failed)", red=True, bold=True)
        for err in _guard["errors"]:
            tr.write_line(err, red=True)
