"""Transactions in the shell: ``begin``, ``rollback``, ``commit [confirm SECONDS]``,
``confirm``.

``begin`` captures the current namespace's before-image (engine.journal); commands apply
at once as ever. ``rollback`` brings the namespace back to it and says what it took back
and what could not be made exact; ``commit`` keeps the changes. ``commit confirm N`` keeps
them for now and arms a watchdog process (engine.watchdog) holding the before-image: unless
``confirm`` (or ``commit``) is typed within N seconds it rolls the namespace back -- also
when the shell is gone by then (terminal closed, SSH link dropped, shell killed). Changes
made after ``commit confirm`` and before ``confirm`` are rolled back with the rest.

A transaction belongs to one namespace: ``cd`` (and ``-n``) elsewhere is refused while it
is open. These words work in the interactive shell only: in ``-c`` lists and batch files
they fail with one line pointing at ``--atomic``, which is the batch form.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from nlshell.commands import slots as S
from nlshell.commands.context import CommandError
from nlshell.commands.grammar import REGISTRY, Kw

H = "nlshell.commands.transaction:"
MAX_CONFIRM = 86400  # seconds
LISTED = 20  # changes named one by one in a rollback's report; the rest are counted

REGISTRY.command("begin", "start a transaction here: changes apply, rollback takes them back",
                 handler=H + "begin")
REGISTRY.command("rollback", "undo every change since begin", handler=H + "rollback")
REGISTRY.command("commit", "keep the changes since begin (confirm N: undone unless confirmed)", [
    Kw("confirm", S.number(1, MAX_CONFIRM, name="SECONDS"),
       "roll back after SECONDS unless confirm is typed"),
], handler=H + "commit")
REGISTRY.command("confirm", "keep the changes of commit confirm (stops its timer)",
                 handler=H + "confirm")


class Open:
    """An open transaction: its namespace, before-image, and (after ``commit confirm``)
    the watchdog whose timer runs."""

    def __init__(self, ctx: Any, where: str, tx: Any) -> None:
        self.ctx = ctx
        self.where = where
        self.tx = tx
        self.watchdog: Any = None
        self.lock = threading.Lock()
        self.claimed = False  # a command (confirm/rollback/commit) is ending it

    def status(self) -> str:
        """For the toolbar: 'transaction open', 'rollback in 12s (confirm keeps)'."""
        dog = self.watchdog
        if dog is None:
            return "transaction open (commit · rollback)"
        if dog.done.is_set():
            return "rolled back"
        return f"rollback in {int(dog.remaining() + 0.999)}s (confirm keeps)"

    def claim(self) -> bool:
        with self.lock:
            taken, self.claimed = self.claimed, True
            return not taken

    def timer_ended(self, report: list[str]) -> None:
        """In the watchdog's reader thread: the timer fired (or it stood down)."""
        if not self.claim():
            return  # a command is ending it and reports itself
        if self.ctx.transaction is self:
            self.ctx.transaction = None
        lines = report_lines(report, f"rollback timer: {self.where}")
        say = self.ctx.notice or self.ctx.warn
        for line in lines:
            say(line)


def report_lines(report: list[str], head: str) -> list[str]:
    """The watchdog's report as lines for the user."""
    changed = [r[len("changed "):] for r in report if r.startswith("changed ")]
    out: list[str] = []
    for line in report:
        if line.startswith("undone "):
            out.append(f"{head} rolled back ({len(changed)} changes undone, "
                       f"{line.split()[1]} requests sent)")
            out += _listed(changed)
        elif line.startswith("note "):
            out.append(f"  not exact: {line[5:]}")
        elif line.startswith("failed "):
            out.append(f"{head}: the rollback failed: {line[7:]}")
    return out


def _listed(changed: list[str]) -> list[str]:
    out = [f"  undid: {what}" for what in changed[:LISTED]]
    if len(changed) > LISTED:
        out.append(f"  ... and {len(changed) - LISTED} more")
    return out


def _shell_only(ctx: Any, word: str) -> None:
    if not getattr(ctx, "interactive", False):
        raise CommandError(f"{word}: transactions are for the interactive shell "
                           "(for a batch: nlshell -b FILE --atomic)")


def _open(ctx: Any, word: str) -> Open:
    _shell_only(ctx, word)
    tx = ctx.transaction
    if tx is None:
        raise CommandError(f"{word}: no transaction is open (begin first)")
    return tx


def begin(ctx: Any, inv: Any) -> None:
    from nlshell.engine.journal import Transaction

    _shell_only(ctx, "begin")
    if ctx.transaction is not None:
        raise CommandError(f"begin: a transaction is already open in {ctx.transaction.where} "
                           "(commit or rollback first)")
    tx = Transaction(ctx.ipr)
    tx.__enter__()  # the before-image
    ctx.transaction = Open(ctx, ctx.current, tx)
    ctx.write(f"transaction open in {ctx.current}: rollback undoes, commit keeps")


def rollback(ctx: Any, inv: Any) -> None:
    from nlshell.engine.journal import undo

    state = _open(ctx, "rollback")
    if not state.claim():
        raise CommandError("rollback: the rollback timer is firing now")
    dog = state.watchdog
    if dog is not None:
        report = dog.confirm()  # stand the timer down: this rollback does its work
        if report and report[0] != "stood down":  # it had fired: its rollback is done
            ctx.transaction = None
            for line in report_lines(report, f"rollback timer: {state.where}"):
                ctx.write(line)
            return
    ctx.transaction = None
    changed, sent, notes = undo(ctx.ipr, state.tx.before)
    exact = "as at begin" if not notes else "not exactly as at begin"
    ctx.write(f"rolled back {len(changed)} changes ({sent} requests sent); "
              f"{state.where} is {exact}")
    for line in _listed(changed):
        ctx.write(line)
    for note in notes:
        ctx.write(f"  not exact: {note}")


def commit(ctx: Any, inv: Any) -> None:
    from nlshell.engine.watchdog import Watchdog

    state = _open(ctx, "commit")
    seconds = inv.values.get("confirm")
    if state.watchdog is not None:
        if seconds is not None:
            raise CommandError("commit confirm: a rollback timer runs already "
                               "(confirm keeps the changes, rollback undoes them)")
        confirm(ctx, inv)
        return
    if seconds is None:
        ctx.transaction = None
        ctx.write(f"committed: the changes in {state.where} stay")
        return
    fd = ctx.ns_fd()
    try:
        state.watchdog = Watchdog(state.tx.before, fd, float(seconds),
                                  on_end=state.timer_ended)
    except (OSError, RuntimeError) as exc:
        raise CommandError(f"commit confirm: {exc}") from None
    finally:
        os.close(fd)
    ctx.write(f"committed: rolls back in {seconds}s unless confirm is typed")


def confirm(ctx: Any, inv: Any) -> None:
    state = _open(ctx, "confirm")
    dog = state.watchdog
    if dog is None:
        raise CommandError("confirm: no rollback timer runs (commit confirm SECONDS first)")
    if not state.claim():
        raise CommandError("confirm: too late, the rollback timer has fired")
    report = dog.confirm()
    ctx.transaction = None
    if report and report[0] == "stood down":
        ctx.write(f"confirmed: the changes in {state.where} stay")
        return
    for line in report_lines(report, f"rollback timer: {state.where}"):
        ctx.write(line)
    raise CommandError("confirm: too late, the rollback timer had fired")
