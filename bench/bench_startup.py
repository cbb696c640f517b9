"""Start-up cost: `import nlshell` (and the CLI, once it exists) against `ip link show`.

Proves the bench harness works; the numbers are whole-process wall-clock medians.
"""

from __future__ import annotations

from common import (
    compile_nlshell,
    emit,
    have_nlshell_cli,
    have_pyroute2,
    make_ns,
    nlshell_argv,
    ns_name,
    python_argv,
    timed_process,
)


def main() -> None:
    compile_nlshell()
    baseline = timed_process(python_argv("pass"))
    base_note = f"python -c pass: {baseline['median_s']:.4f}s"
    with make_ns(ns_name("startup")) as ns:
        ip_link = timed_process(["ip", "-n", ns, "link", "show"])
        imported = timed_process(python_argv("import nlshell"))
        pr2 = timed_process(python_argv("import pyroute2")) if have_pyroute2() else None
        emit("startup: import nlshell vs ip link show", imported, ip_link, pr2, note=base_note)

        if not have_nlshell_cli():
            emit("startup: nlshell --version vs ip -V", None, note="skipped: no nlshell/cli.py yet")
            return
        ip_version = timed_process(["ip", "-V"])
        try:
            cli = timed_process(nlshell_argv("--version"))
        except RuntimeError as exc:
            emit("startup: nlshell --version vs ip -V", None, ip_version, note=f"failed: {exc}")
            return
        emit("startup: nlshell --version vs ip -V", cli, ip_version, note=base_note)


if __name__ == "__main__":
    main()
