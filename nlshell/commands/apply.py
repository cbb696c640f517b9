"""``diff FILE`` and ``apply FILE [--prune] [--dry-run]``: bring the namespace to the state
a batch file describes.

The desired state is what FILE makes in an empty namespace: it is run in a scratch
namespace (created and removed here), and both namespaces are read back as `save` lines
(commands.save: one line per object or setting, with its identity). The plan is the
difference: what is missing is added, what differs is replaced or set, and with
``--prune`` what FILE does not make is removed. `diff` prints the plan as nlshell
commands; `apply` runs it as a batch (pipelined). Applying the same file twice changes
nothing the second time: the plan is then empty.

A file that names devices it does not create (a physical eth0) cannot be run in the
scratch namespace: its error is reported as ``FILE:LINE:``.
"""

from __future__ import annotations

import io
import os
from typing import Any

from nlshell.commands import slots as S
from nlshell.commands.context import CommandError, quoted
from nlshell.commands.grammar import REGISTRY, Flag, Pos

H = "nlshell.commands.apply:"

REGISTRY.command("diff", "the commands that would bring the namespace to FILE's state", [
    Pos("file", S.STRING, "a batch file (add lines, or `save` output)", metavar="FILE"),
], handler=H + "diff")
REGISTRY.command("apply", "bring the namespace to the state FILE describes", [
    Pos("file", S.STRING, "a batch file (add lines, or `save` output)", metavar="FILE"),
    Flag("prune", "also remove what FILE does not make", aliases=["--prune"]),
    Flag("dry-run", "print the commands instead of running them", key="dry_run",
         aliases=["--dry-run"]),
], handler=H + "apply")

Item = tuple[tuple, str]  # (identity, save line)

# object identities in the order their removals run (before the links they sit on)
_REMOVE_ORDER = ("neighbour", "proxy", "rule", "route", "address")


def diff(ctx: Any, inv: Any) -> None:
    for line in plan_for(ctx, inv.values["file"], prune=False):
        ctx.write(line)


def apply(ctx: Any, inv: Any) -> None:
    lines = plan_for(ctx, inv.values["file"], prune=bool(inv.values.get("prune")))
    if inv.values.get("dry_run"):
        for line in lines:
            ctx.write(line)
        return
    if not lines:
        return
    from nlshell.commands.runner import Runner, logical_lines

    runner = Runner(ctx)
    status = runner.run_lines(logical_lines(io.StringIO("\n".join(lines) + "\n"), "apply"))
    if status:
        err = CommandError("apply: stopped at the error above (the lines before it are "
                           "applied)")
        err.exit_code = status
        raise err


def plan_for(ctx: Any, path: str, prune: bool) -> list[str]:
    from nlshell.commands.save import saved_objects

    desired = desired_state(ctx, path)
    current = list(saved_objects(ctx.ipr))
    return plan(current, desired, prune, stated_macs(path))


def stated_macs(path: str) -> set[str]:
    """The links whose MAC the file states (`link add|set ... address`): the others got
    a random one in the scratch namespace, which is no part of the desired state."""
    from nlshell.commands.parser import ParseError, parse
    from nlshell.commands.runner import logical_lines

    names: set[str] = set()
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in logical_lines(fh, path):
            if "address" not in line.text or not line.text.lstrip().startswith(("l", "-")):
                continue  # only link lines (and options before one) can state a MAC
            try:
                inv = parse(line.text)
            except ParseError:  # the file ran in the scratch namespace; this line states no MAC
                continue
            if inv.path not in (("link", "add"), ("link", "set")):
                continue
            values = inv.values
            if "address" in values:
                names.add(values.get("name") or values.get("dev"))
            peer = values.get("peer") or {}
            if "address" in peer:
                names.add(peer["name"])
    return names


def desired_state(ctx: Any, path: str) -> list[Item]:
    """FILE run in a scratch namespace, read back as `save` items."""
    from nlshell.commands.context import Context
    from nlshell.commands.runner import Runner, logical_lines
    from nlshell.commands.save import saved_objects
    from nlshell.engine import netns

    try:
        fh = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise CommandError(f"cannot read {quoted(path)}: {exc.strerror}") from None
    scratch = f"nlshell-desired-{os.getpid()}"
    netns.create(scratch)
    try:
        sub = Context(netns=scratch, opts=ctx.opts, out=io.StringIO(), err=ctx.err)
        try:
            with fh:
                status = Runner(sub).run_lines(logical_lines(fh, path))
            if status:
                err = CommandError(f"{path}: the desired state cannot be made (the error "
                                   "above); nothing was changed")
                err.exit_code = status
                raise err
            return list(saved_objects(sub.ipr))
        finally:
            sub.close()
    finally:
        netns.remove(scratch)


def plan(current: list[Item], desired: list[Item], prune: bool,
         macs: set[str] | None = None) -> list[str]:
    """The commands that turn `current` into `desired` (both as `save` items). `macs`:
    the links whose MAC is part of the desired state (None: every link's)."""
    if macs is not None:
        desired = [(k, _without_macs(line, macs) if k[0] == "link" else line)
                   for k, line in desired]
        current = [(k, _without_macs(line, macs) if k[0] == "link" else line)
                   for k, line in current]
    cur = {k: line for k, line in current if k[0] != "#"}
    want = {k: line for k, line in desired if k[0] != "#"}
    made = {k[1] for k in want if k[0] == "link"}  # links the file creates
    out: list[str] = []
    # links to make again: their kind or peer differs (their objects go with them)
    remake = [k[1] for k in want if k[0] == "link" and k in cur
              and _strip_settings(cur[k]) != _strip_settings(want[k])]
    for name in remake:
        for k in [k for k, line in cur.items() if f" dev {name}" in f"{line} "
                  or k[1:2] == (name,)]:
            del cur[k]
    if prune:
        for kind in _REMOVE_ORDER:
            out += [_removal(k, line) for k, line in cur.items() if k[0] == kind and k not in want]
        out += [f"link delete {k[1]}" for k in cur if k[0] == "link" and k not in want]
    out += [f"link delete {name}" for name in remake]
    # settings of links the file makes that it leaves at the default
    for k in cur:
        if k in want or len(k) < 2 or k[1] not in made:
            continue
        if k[0] == "master":
            out.append(f"link set {k[1]} nomaster")
        elif k[0] == "up":
            out.append(f"link set {k[1]} down")
    for k, line in desired:
        if k[0] == "#" or cur.get(k) == line:
            continue
        old = cur.get(k)
        if old is None:
            out.append(line)
        elif k[0] == "link":
            out += _link_changes(old, line)
        elif k[0] in ("address", "route", "neighbour"):
            out.append(line.replace(" add ", " replace ", 1))
        else:
            out.append(line)
    return out


def _without_macs(line: str, keep: set[str]) -> str:
    """A `link add` line without the MACs of the links not in `keep`."""
    words = line.split()
    out: list[str] = []
    name = words[2] if len(words) > 2 else ""
    i = 0
    while i < len(words):
        word = words[i]
        if word == "name" and i > 0 and words[i - 1] == "peer":
            name = words[i + 1]
        if word == "address" and i > 2 and words[i - 1] != "type" and name not in keep:
            i += 2
            continue
        out.append(word)
        i += 1
    return " ".join(out)


def _removal(key: tuple, line: str) -> str:
    if key[0] == "address":
        return f"address delete {key[2]} dev {key[1]}"
    return line.replace(" add ", " delete ", 1)


_SETTINGS = ("mtu", "address")


def _strip_settings(line: str) -> list[str]:
    words = line.split()
    out = []
    skip = False
    for i, word in enumerate(words):
        if skip:
            skip = False
            continue
        if word in _SETTINGS and i > 2 and words[i - 1] != "type":
            skip = True
            continue
        out.append(word)
    return out


def _settings_by_link(line: str) -> dict[str, dict[str, str]]:
    """{link name: {setting: value}} of a `link add` line (its veth peer's too)."""
    words = line.split()
    name = words[2]
    found: dict[str, dict[str, str]] = {name: {}}
    for i, word in enumerate(words[:-1]):
        if word == "peer" and words[i + 1] == "name":
            name = words[i + 2]
            found[name] = {}
        elif word in _SETTINGS and i > 2:
            found[name][word] = words[i + 1]
    return found


def _link_changes(old: str, new: str) -> list[str]:
    """A link whose kind and peer stay: `link set` of the settings that differ."""
    before, after = _settings_by_link(old), _settings_by_link(new)
    out = []
    for name, settings in after.items():
        changed = [f"{w} {v}" for w, v in settings.items() if before.get(name, {}).get(w) != v]
        if changed:
            out.append(f"link set {name} {' '.join(changed)}")
    return out
