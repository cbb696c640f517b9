"""Live watch panes: links with rates, addresses, routes, neighbours, qdiscs and classes
with rates, and an event log.

``main(argv)`` runs ``watch [links] [addrs] [routes] [neigh] [qdiscs] [events] [dev GLOB] [table ID]
[-n NS] [--interval S] [--all-ns] [--filter GLOB]`` (argv without the word ``watch``) and
returns the exit status.

Modules: ``model`` / ``tables`` / ``events`` / ``state`` are pure pane models (no terminal,
no kernel); ``source`` holds the threads that feed them; ``panes``, ``keys`` and ``app`` the
prompt_toolkit screen (imported only when the screen runs).
"""

from __future__ import annotations


def main(argv: list[str]) -> int:
    """Parse ``argv`` (the words after ``watch``), run the full-screen watch, return status."""
    from .app import main as _main

    return _main(argv)


__all__ = ["main"]
