"""`python -m nlshell`: the same entry point as the `nlshell` command."""

from nlshell import preload

preload.load()

from nlshell.cli import run  # noqa: E402 (after the preloading, which makes it cheap)

if __name__ == "__main__":
    run()
