"""The shell completion scripts in completions/ (they all ask `nlshell --complete`).

bash is run for real with COMP_WORDS/COMP_CWORD set and must offer a live interface name
from a test namespace; fish (`complete -C`) likewise when installed; zsh is syntax-checked.
A shell that is not installed is skipped, naming it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import iporacle, nlrun

ROOT = Path(nlrun.REPO)
COMPLETIONS = ROOT / "completions"


@pytest.fixture
def path_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH has an `nlshell` that runs this checkout."""
    shim = tmp_path / "bin" / "nlshell"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m nlshell "$@"\n')
    shim.chmod(0o755)
    return nlrun.nlshell_env(PATH=f"{shim.parent}{os.pathsep}{os.environ['PATH']}")


def need(shell: str) -> str:
    found = shutil.which(shell)
    if found is None:
        pytest.skip(f"{shell} is not installed")
    return found


def bash_complete(env: dict[str, str], words: list[str], cwd: Path | None = None) -> list[str]:
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    script = (f"source '{COMPLETIONS / 'nlshell.bash'}'\n"
              f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}\n"
              "_nlshell\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    proc = subprocess.run([need("bash"), "--norc", "--noprofile", "-c", script],
                          capture_output=True, text=True, env=env, timeout=60, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return [line for line in proc.stdout.splitlines() if line]


@pytest.mark.requires_root
def test_bash_offers_a_live_interface(ns: str, path_env: dict[str, str]) -> None:
    iporacle.sh(ns, "link", "add", "tcomp0", "type", "ifb")
    iporacle.sh(ns, "link", "add", "tcomp1", "type", "ifb")
    got = bash_complete(path_env, ["nlshell", "-n", ns, "link", "set", "dev", "tc"])
    assert got == ["tcomp0", "tcomp1"]
    got = bash_complete(path_env, ["nlshell", "-n", ns, "-c", "x", "link", "set", ""])
    assert "tcomp0" in got and "mtu" in got


@pytest.mark.requires_root
def test_bash_offers_namespaces(ns: str, path_env: dict[str, str]) -> None:
    got = bash_complete(path_env, ["nlshell", "-n", ns[:-1]])
    assert ns in got


def test_bash_offers_grammar_words(path_env: dict[str, str]) -> None:
    assert bash_complete(path_env, ["nlshell", "li"]) == ["link"]
    got = bash_complete(path_env, ["nlshell", "-j", "link", "add", "x0", "type", "vx"])
    assert got == ["vxlan"]
    assert "add" in bash_complete(path_env, ["nlshell", "address", ""])


def test_bash_batch_option_completes_files(path_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "routes.nl").write_text("")
    assert bash_complete(path_env, ["nlshell", "-b", "rou"], cwd=tmp_path) == ["routes.nl"]


def test_bash_syntax() -> None:
    proc = subprocess.run([need("bash"), "-n", str(COMPLETIONS / "nlshell.bash")],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr


def test_zsh_syntax() -> None:
    proc = subprocess.run([need("zsh"), "-n", str(COMPLETIONS / "_nlshell")],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr


def test_fish_syntax() -> None:
    proc = subprocess.run([need("fish"), "--no-execute", str(COMPLETIONS / "nlshell.fish")],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.requires_root
def test_fish_offers_a_live_interface(ns: str, path_env: dict[str, str]) -> None:
    fish = need("fish")
    iporacle.sh(ns, "link", "add", "fcomp0", "type", "ifb")
    script = (f"source '{COMPLETIONS / 'nlshell.fish'}'\n"
              f"complete -C 'nlshell -n {ns} link set dev fc'\n")
    proc = subprocess.run([fish, "--no-config", "-c", script], capture_output=True,
                          text=True, env=path_env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert [line.split("\t")[0] for line in proc.stdout.splitlines()] == ["fcomp0"]
