"""The package face: every lazily exported name of `nlshell` resolves (fail loudly: a
wrong module or attribute in the table is an error here, not at a user's first call)."""

from __future__ import annotations

import subprocess
import sys

import nlshell


def test_every_lazy_name_resolves() -> None:
    code = ("import nlshell\n"
            "for name in nlshell.__all__:\n"
            "    assert getattr(nlshell, name) is not None, name\n"
            "print(len(nlshell.__all__))\n")
    # a fresh interpreter: names resolved by earlier tests are not cached in globals there
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == len(nlshell.__all__)
    assert nlshell.NetNS is nlshell.Netns is nlshell.NETNS
    assert nlshell.IPRoute is nlshell.Iproute


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        nlshell.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("nlshell.NoSuchThing resolved")
