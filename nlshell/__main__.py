"""`python -m nlshell`: the same entry point as the `nlshell` command."""

from nlshell.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
