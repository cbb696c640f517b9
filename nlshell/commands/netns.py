"""``netns``: named network namespaces (ip netns), through `nlshell.engine.netns`.

nsids are per observing namespace: ``netns set NAME NSID`` and the ids ``netns list`` shows
are those of the namespace the command runs in (``cd``/``-n``), as with ``ip -n``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from nlshell.commands import slots as S
from nlshell.commands.grammar import REGISTRY, Pos, Rest

H = "nlshell.commands.netns:"
PID = S.number(1, 2**22, name="PID", label="process id", example="a process id")
NSID = S.number(0, 2**31 - 1, name="NSID", label="nsid", example="a number").with_words(
    {"auto": (-1, "let the kernel choose")})

netns = REGISTRY.object("netns", "network namespaces", default="list")
netns.verb("list", "list namespaces (with their ids as seen from here)",
           aliases=["show", "lst"], shortcuts=["l", "s", "sh", "ls"], handler=H + "netns_list")
netns.verb("add", "create a namespace", handler=H + "netns_add", params=[
    Pos("name", S.NEW_NETNS, "its name", metavar="NAME"),
])
netns.verb("attach", "name the namespace of a process", handler=H + "netns_attach", params=[
    Pos("name", S.NEW_NETNS, "the name to give", metavar="NAME"),
    Pos("pid", PID, "the process"),
])
netns.verb("delete", "delete a namespace", aliases=["del"], shortcuts=["d"],
           handler=H + "netns_delete", params=[Pos("name", S.NETNS, "the namespace")])
netns.verb("set", "give a namespace an id (nsid) in the current namespace",
           handler=H + "netns_set", params=[
               Pos("name", S.NETNS, "the namespace"),
               Pos("nsid", NSID, "the id, or auto"),
           ])
netns.verb("identify", "the namespace name of a process (default: the current one)",
           handler=H + "netns_identify", params=[
               Pos("pid", PID, "the process", required=False),
           ])
netns.verb("pids", "the processes inside a namespace", handler=H + "netns_pids", params=[
    Pos("name", S.NETNS, "the namespace"),
])
netns.verb("exec", "run a program inside a namespace", handler=H + "netns_exec", params=[
    Pos("name", S.NETNS, "the namespace"),
    Rest("argv", "the program and its arguments", metavar="COMMAND", required=True),
])


@contextlib.contextmanager
def _errors(name: str = "") -> Iterator[None]:
    """Engine errors -> one line naming the namespace (exit 1; 2 when not permitted)."""
    from nlshell.commands.context import CommandError, quoted

    try:
        yield
    except PermissionError as exc:
        err = CommandError(f"{quoted(name) if name else 'netns'}: {exc.strerror or exc} "
                           "(this operation needs CAP_SYS_ADMIN)")
        err.exit_code = 2
        raise err from None
    except FileExistsError:
        raise CommandError(f"namespace {quoted(name)} already exists") from None
    except ProcessLookupError as exc:
        raise CommandError(exc.strerror or str(exc)) from None
    except FileNotFoundError:
        raise CommandError(f"network namespace {quoted(name)} does not exist") from None
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def netns_list(ctx: Any, inv: Any) -> None:
    from nlshell.engine import netns as N

    names = N.listnetns()
    try:
        ids = {name: nsid for nsid, name in N.nsid_map(ctx.netns).items()}
    except OSError:
        ids = {}  # a namespace without rtnetlink access still lists its names
    out = [{"name": n, **({"id": ids[n]} if n in ids else {})} for n in names]
    from nlshell.commands.render.context import RenderContext
    from nlshell.commands.show import ip_text

    if ip_text(ctx, "netns", _directory_order(out, N.NETNS_RUN_DIR), RenderContext(), "list"):
        return
    if ctx.opts.json:
        ctx.emit(out)
        return
    for e in out:
        ctx.write(e["name"] + (f" (id: {e['id']})" if "id" in e else ""))


def _directory_order(entries: list[dict[str, Any]], path: str) -> list[dict[str, Any]]:
    """`entries` in the order the directory lists the names, as ip prints them (unsorted);
    a name gone meanwhile keeps its place at the end."""
    try:
        order = {name: i for i, name in enumerate(os.listdir(path))}
    except OSError:
        return entries
    return sorted(entries, key=lambda e: order.get(e["name"], len(order)))


def netns_add(ctx: Any, inv: Any) -> None:
    from nlshell.engine import netns as N

    name = inv.values["name"]
    with _errors(name):
        N.create(name)


def netns_attach(ctx: Any, inv: Any) -> None:
    from nlshell.engine import netns as N

    name = inv.values["name"]
    with _errors(name):
        N.attach(name, inv.values["pid"])


def netns_delete(ctx: Any, inv: Any) -> None:
    from nlshell.engine import netns as N

    name = inv.values["name"]
    with _errors(name):
        N.remove(name)
    ctx.forget(name)


def netns_set(ctx: Any, inv: Any) -> None:
    from nlshell.engine import netns as N

    name = inv.values["name"]
    with _errors(name):
        N.set_nsid(name, inv.values["nsid"], ctx.netns)


def netns_identify(ctx: Any, inv: Any) -> None:
    import os

    from nlshell.engine import netns as N

    pid = inv.values.get("pid")
    if pid is None and ctx.netns:
        ctx.write(ctx.netns)  # we run "inside" it the way ip -n does
        return
    with _errors():
        found = N.identify(pid or os.getpid())
    if found:
        ctx.write(found)


def netns_pids(ctx: Any, inv: Any) -> None:
    from nlshell.engine import netns as N

    name = inv.values["name"]
    with _errors(name):
        pids = N.pids(name)
    if ctx.opts.json:
        ctx.emit(pids)
        return
    ctx.write("\n".join(str(p) for p in pids))


def netns_exec(ctx: Any, inv: Any) -> None:
    """Run a program with its network namespace switched (a child process)."""
    import os
    import subprocess

    from nlshell.commands.context import CommandError, quoted
    from nlshell.engine import nsenter

    name = inv.values["name"]
    program = quoted(inv.values["argv"][0])
    with _errors(name):
        fd = nsenter.open_ns_fd(name)
    try:
        # try the switch first, in a thread that ends: the child's own setns would fail
        # the same way, but only as an opaque "Exception occurred in preexec_fn"
        _may_enter(name, fd)
        ctx.out.flush()
        proc = subprocess.run(inv.values["argv"], preexec_fn=lambda: nsenter.sys_setns(fd),
                              pass_fds=(fd,), check=False)
    except subprocess.SubprocessError:
        raise _refused(name) from None
    except OSError as exc:
        raise CommandError(f"exec {program}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if proc.returncode:
        # the program's own status, as `ip netns exec` (a signal: 128 + its number, as sh)
        status = proc.returncode if proc.returncode > 0 else 128 - proc.returncode
        err = CommandError(f"exec {program}: exited {status}")
        err.exit_code = status
        raise err


def _may_enter(name: str, fd: int) -> None:
    """Raise the one-line refusal when this process may not enter the namespace."""
    from nlshell.engine import nsenter

    try:
        nsenter.in_new_thread(os.dup(fd), name, lambda: None)
    except PermissionError:
        raise _refused(name) from None


def _refused(name: str) -> Exception:
    from nlshell.commands.context import CommandError, quoted

    err = CommandError(f"netns exec {quoted(name)}: entering the namespace was refused "
                       "(this needs CAP_SYS_ADMIN)")
    err.exit_code = 2
    return err
