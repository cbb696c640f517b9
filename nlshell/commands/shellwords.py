"""The shell's own words: ``cd``, ``pwd``, ``ls``, ``help``, ``exit``/``quit``, ``watch``.

``cd`` and ``pwd`` work in batch files and ``-c`` lists too: later lines run in the
namespace ``cd`` entered.
"""

from __future__ import annotations

from typing import Any

from nlshell.commands import slots as S
from nlshell.commands.grammar import REGISTRY, Kw, Pos, Rest

H = "nlshell.commands.shellwords:"

CD_TARGET = S.NETNS.with_words({"/": ("/", "where nlshell started"),
                                "-": ("-", "the previous namespace")})

REGISTRY.command("cd", "enter a network namespace (/ back to the start, - the previous)", [
    Pos("name", CD_TARGET, "the namespace", required=False, metavar="NETNS"),
], handler=H + "cd")
REGISTRY.command("pwd", "name the current namespace (/ for the start)", handler=H + "pwd")
REGISTRY.command("ls", "list the namespaces (* marks the current one)", handler=H + "ls")
REGISTRY.command("help", "help on commands: help [COMMAND [VERB [WORD...]]]", [
    Rest("topic", "command words", slot=S.COMMAND, metavar="WORDS"),
], handler=H + "help_")
REGISTRY.command("exit", "leave nlshell", aliases=["quit"], handler=H + "exit_")
# the watch panes (the watch app reads its pane words from here too)
WATCH_PANES = {"links": "links with rates", "addrs": "addresses", "routes": "routes",
               "neigh": "neighbours", "qdiscs": "qdiscs and classes with rates",
               "events": "the event log"}
# any word goes through (filter words, globs, options: the watch app checks them); the
# pane names are offered
PANE_WORDS = S.Slot("PANES", "panes and watch options", str,
                    example="links routes qdiscs events, dev GLOB, table ID").with_words(
    WATCH_PANES)

REGISTRY.command("watch", "live panes: links, addresses, routes, neighbours, qdiscs, events", [
    Kw("interval", S.number(1, 3600, name="SECONDS"), "seconds between refreshes"),
    Rest("panes", f"panes to show ({' '.join(WATCH_PANES)}) and watch options",
         slot=PANE_WORDS, metavar="PANES"),
], handler=H + "watch")


def cd(ctx: Any, inv: Any) -> None:
    ctx.cd(inv.values.get("name") or "/")


def pwd(ctx: Any, inv: Any) -> None:
    ctx.write(ctx.netns or "/")


def ls(ctx: Any, inv: Any) -> None:
    from nlshell.engine import netns

    current = ctx.netns
    names = netns.listnetns()
    if ctx.opts.json:
        ctx.emit([{"name": n, **({"current": True} if n == current else {})} for n in names])
        return
    for name in names:
        ctx.write(("* " if name == current else "  ") + name)


def help_(ctx: Any, inv: Any) -> None:
    from nlshell.commands.helptext import help_for

    ctx.write(help_for(inv.values.get("topic") or []))


def exit_(ctx: Any, inv: Any) -> None:
    from nlshell.commands.runner import ExitShell

    raise ExitShell()


def watch(ctx: Any, inv: Any) -> None:
    """Hand over to the watch panes, in the current namespace. The panes live in the shell
    layer, above this one: the front end (cli) hands them in as ``ctx.watch_main``."""
    from nlshell.commands.context import CommandError

    watch_main = getattr(ctx, "watch_main", None)
    if watch_main is None:
        raise CommandError("watch is not available here (it needs a terminal front end)")
    argv = list(inv.values.get("panes") or [])
    if "interval" in inv.values:
        argv += ["--interval", str(inv.values["interval"])]
    if ctx.netns and "-n" not in argv:
        argv += ["-n", ctx.netns]
    status = watch_main(argv)
    if status == 2:  # argparse's usage status: watch has said what was wrong
        raise CommandError(f"watch: invalid arguments: {' '.join(argv)}")
    if status:
        raise CommandError(f"watch exited with status {status}")
