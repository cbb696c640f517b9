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
from nlshell.commands.grammar import REGISTRY, Kw, Pos, Rest

H = "nlshell.commands.netns:"
PID = S.number(1, 2**22, name="PID", label="process id", example="a process id")
NSID = S.number(0, 2**31 - 1, name="NSID", label="nsid", example="a number").with_words(
    {"auto": (-1, "let the kernel choose")})

NSID_ONLY = S.number(0, 2**31 - 1, name="NSID", label="nsid", example="a number")

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
netns.verb("delete", "delete a namespace (every one with -all)", aliases=["del"],
           shortcuts=["d"], handler=H + "netns_delete",
           params=[Pos("name", S.NETNS, "the namespace (none with -all)", required=False)])
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
netns.verb("exec", "run a program inside a namespace (in each one with -all)",
           handler=H + "netns_exec", params=[
               # with -all there is no NAME: the first word is the program (see netns_exec)
               Pos("name", S.NETNS, "the namespace (none with -all)"),
               Rest("argv", "the program and its arguments", metavar="COMMAND"),
           ])
netns.verb("list-id", "the namespace ids this namespace has given (or another one has)",
           handler=H + "netns_list_id", params=[
               Kw("target-nsid", NSID_ONLY, "the ids given by the namespace with this id"),
               Kw("nsid", NSID_ONLY, "only this id"),
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

    names = _names_or_all(ctx, inv.values.get("name"), "delete")
    for name in names:
        with _errors(name):
            N.remove(name)
        ctx.forget(name)


def _names_or_all(ctx: Any, name: str | None, verb: str) -> list[str]:
    """[name], or with -all every named namespace (a name beside -all is refused: ip
    would quietly ignore it)."""
    from nlshell.commands.context import CommandError, quoted
    from nlshell.engine import netns as N

    if ctx.opts.all_ns:
        if name is not None and verb == "delete":
            raise CommandError(f"netns {verb} -all takes no name ({quoted(name)} given)")
        return N.listnetns()
    if name is None:
        raise CommandError(f"netns {verb}: which namespace? (a NAME, or -all for every one)")
    return [name]


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
    # one pid a line, -j or not: ip has no JSON form of this list and scripts read it so
    ctx.write("\n".join(str(p) for p in pids))


def netns_exec(ctx: Any, inv: Any) -> None:
    """Run a program with its network namespace switched (a child process); with -all in
    each named namespace in turn, under a ``netns: NAME`` heading, as ip."""
    from nlshell.commands.context import CommandError

    argv = list(inv.values.get("argv") or [])
    if ctx.opts.all_ns:
        argv = [inv.values["name"], *argv]  # no NAME with -all: the first word is the program
        for name in _names_or_all(ctx, None, "exec"):
            ctx.write(f"\nnetns: {name}")
            try:
                _exec_in(ctx, name, argv)
            except CommandError as exc:
                ctx.warn(str(exc))  # ip goes on with the next namespace (status 0)
        return
    if not argv:
        raise CommandError("netns exec: missing the program to run (COMMAND)")
    _exec_in(ctx, inv.values["name"], argv)


def _exec_in(ctx: Any, name: str, argv: list[str]) -> None:
    import os
    import subprocess

    from nlshell.commands.context import CommandError, quoted
    from nlshell.engine import nsenter

    program = quoted(argv[0])
    with _errors(name):
        fd = nsenter.open_ns_fd(name)
    try:
        # try the switch first, in a thread that ends: the child's own setns would fail
        # the same way, but only as an opaque "Exception occurred in preexec_fn"
        _may_enter(name, fd)
        ctx.out.flush()
        proc = subprocess.run(argv, preexec_fn=lambda: nsenter.sys_setns(fd),
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


def netns_list_id(ctx: Any, inv: Any) -> None:
    """The ids this namespace gives others (``target-nsid N``: those the namespace with id
    N gives, each with the id it has here as ``current-nsid``); names from here."""
    from nlshell.engine import netns as N

    v = inv.values
    target = v.get("target_nsid")
    if "nsid" in v:
        # one id: asked for (not dumped), so an id nobody has is the kernel's refusal
        found = ctx.ipr.get_netnsid(nsid=v["nsid"], target_nsid=target)
        pairs = [] if found is None else [(found["nsid"], found["current_nsid"])]
    else:
        attrs = [("NETNSA_TARGET_NSID", target)] if target is not None else []
        pairs = [(m.get("NETNSA_NSID"), m.get("NETNSA_CURRENT_NSID"))
                 for m in ctx.ipr.kernel_dump("nsid", {"family": 0}, attrs)]
    try:
        names = N.nsid_map(ctx.netns)
    except OSError:
        names = {}
    out, texts = [], []
    for nsid, current in pairs:
        # as ip: an id that is not assigned (-1) is left out of -j and said in words
        entry: dict[str, Any] = {}
        text: dict[str, Any] = {"nsid": -1 if nsid is None else nsid}
        if nsid is not None and nsid >= 0:
            entry["nsid"] = nsid
        if current is not None:
            text["current-nsid"] = current
            if current >= 0:
                entry["current-nsid"] = current
        # the name this namespace knows the peer by: through its id here when there is one
        name = names.get(current if current is not None and current >= 0 else nsid)
        if name is not None:
            entry["name"] = text["name"] = name
        out.append(entry)
        texts.append(text)
    if ctx.opts.json:
        ctx.emit(out)
        return
    # ip's own lines in either output mode (ip prints no table): render.iptext.netns's
    from nlshell.commands.render.iptext.netns import list_id_line

    for text in texts:
        ctx.write(list_id_line(text))
