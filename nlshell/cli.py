"""PLACEHOLDER command line, written by the skeleton task so `nlshell` and
`python -m nlshell` run; the real cli.py (REPL, -c, -b, watch, --complete) replaces it."""

from __future__ import annotations

import sys

from nlshell import __version__

USAGE = "usage: nlshell [--help] [--version]  (the command line is not implemented yet)"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--version"]:
        print(f"nlshell {__version__}")
        return 0
    print(USAGE)
    return 0
