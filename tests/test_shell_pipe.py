"""The shell driven through prompt_toolkit pipe input, against real test namespaces.

The session runs in a thread (its own event loop) exactly as `run_repl` runs it; keys go in
through a pipe, the output is a plain-text recorder, command output and errors go to
StringIO. State is polled with timeouts, never fixed sleeps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from support.iporacle import ip, ipj, sh
from support.pipeshell import Session
from support.testns import new_ns_name, ns_exists, requires_root

pytestmark = requires_root


@pytest.fixture
def session(ns: str) -> Iterator[Session]:
    sh(ns, "link add veth0 type veth peer name peer0")
    s = Session(ns)
    try:
        yield s
    finally:
        s.close()


def test_tab_completes_a_live_name(session: Session) -> None:
    session.keys("link set dev ve")
    session.wait("the typed text", lambda: session.text == "link set dev ve")
    session.wait("the menu", lambda: "veth0" in session.menu())
    session.keys("\t")
    session.wait("the completion", lambda: session.text == "link set dev veth0")


def test_new_link_is_offered_without_typing(session: Session, ns: str) -> None:
    session.keys("link set dev ve")
    session.wait("the menu", lambda: session.menu() == ["veth0"])
    sh(ns, "link add vethnew type veth peer name peernew")  # from outside the shell
    # the open menu follows the cache (how fast is bench/'s business, never a timed assert)
    session.wait("the new name in the open menu", lambda: "vethnew" in session.menu())
    assert session.text == "link set dev ve"  # nothing was typed
    # and typing on narrows from both ("ve" + "t": both names still match)
    session.keys("t")
    session.wait("the menu after more text", lambda: set(session.menu()) == {"veth0", "vethnew"})


def test_renamed_and_deleted_links_leave_the_menu(session: Session, ns: str) -> None:
    sh(ns, "link add vold type veth peer name pold")
    session.keys("link set dev v")
    session.wait("vold offered", lambda: "vold" in session.menu())
    sh(ns, "link set vold name vnew")
    session.wait("the rename", lambda: "vnew" in session.menu() and "vold" not in session.menu())
    sh(ns, "link del vnew")
    session.wait("the deletion", lambda: "vnew" not in session.menu())


def test_commands_run_and_errors_never_end_the_session(session: Session, ns: str) -> None:
    session.run("link set dev veth0 up")
    assert "UP" in ipj(ns, "link show dev veth0")[0]["flags"]
    session.run("link set dev nosuch0 up")
    assert 'Cannot find device "nosuch0"' in session.err.getvalue()
    session.run("lnik show")
    assert "lnik" in session.err.getvalue()
    session.run("pwd")
    assert session.out.getvalue().splitlines()[-1] == ns
    assert session.close() == 0


def test_cd_switches_context_and_completion(session: Session, ns: str, ns2: str) -> None:
    sh(ns2, "link add other0 type veth peer name other1")
    assert session.shell.message()[1][1] == ns
    session.run(f"cd {ns2}")
    assert session.ctx.current == ns2
    assert "".join(t for _, t in session.shell.message()) == f"nlshell:{ns2}> "
    session.wait("the new context's index", lambda: session.shell.current_index() is not None
                 and session.shell.current_index().ready.is_set())
    session.keys("link set dev o")
    session.wait("names of the new context", lambda: set(session.menu()) == {"other0", "other1"})
    session.keys("\x15")
    session.run("link set dev other0 mtu 1400")
    assert ipj(ns2, "link show dev other0")[0]["mtu"] == 1400
    session.run("cd -")
    assert session.ctx.current == ns
    session.run("cd /")
    assert "".join(t for _, t in session.shell.message()) == "nlshell:/> "
    session.run("cd nlt-no-such-namespace")
    assert session.ctx.current == "/"
    assert "nlt-no-such-namespace" in session.err.getvalue()
    assert not ns_exists("nlt-no-such-namespace")


def test_removed_namespace_fails_every_line_until_cd(ns: str) -> None:
    """A namespace removed from outside while the shell is in it: typed and pasted lines
    fail, naming it (they never run in the orphan, nor in the start namespace), the shell
    says so once, and stays there until cd (as a shell in a removed directory)."""
    doomed = new_ns_name()
    ip("netns", "add", doomed)
    s = Session(ns)
    removed = f'namespace "{doomed}" was removed; cd / or cd NAME'
    try:
        s.run(f"cd {doomed}")
        assert s.ctx.current == doomed
        ip("netns", "del", doomed)
        s.run("link add typed0 type ifb")  # typed at the prompt drawn before the removal
        assert s.err.getvalue().splitlines()[-1] == removed
        count = s.lines_run
        s.keys("link add pasted0 type ifb\rlink add pasted1 type ifb\r")
        s.wait("the pasted lines", lambda: s.lines_run >= count + 2)
        s.wait("the next prompt", lambda: s.app.is_running and s.text == "")
        assert s.err.getvalue().splitlines()[-2:] == [removed, removed]
        assert s.ctx.current == doomed
        assert removed not in s.screen.getvalue()  # the failing line said it already
        s.run("pwd")
        assert s.out.getvalue().splitlines()[-1] == doomed
        s.run("cd -")  # back to where it came from (the test's namespace)
        s.run("pwd")
        assert s.out.getvalue().splitlines()[-1] == ns
        s.run("link add after0 type ifb")
        assert "after0" in {row["ifname"] for row in ipj(ns, "link", "show")}
        # removed while the shell waits at its prompt: the next prompt says it, once
        ip("netns", "add", doomed)
        s.run(f"cd {doomed}")
        ip("netns", "del", doomed)
        s.keys("\r")
        s.wait("the notice", lambda: removed in s.screen.getvalue())
        s.run("pwd")
        assert s.screen.getvalue().count(removed) == 1
        assert s.ctx.current == doomed
        names = {row["ifname"] for row in ipj(ns, "link", "show")}
        assert not names & {"typed0", "pasted0", "pasted1"}, names
    finally:
        s.close()
        if ns_exists(doomed):
            ip("netns", "del", doomed)


def test_question_mark_shows_help_and_keeps_the_line(session: Session) -> None:
    session.keys("link set dev veth0 m")
    session.wait("the line", lambda: session.text == "link set dev veth0 m")
    session.keys("?")
    session.wait("the help", lambda: "maximum transmission unit" in session.screen.getvalue()
                 or "master" in session.screen.getvalue())
    assert session.text == "link set dev veth0 m"  # kept as typed, no '?' added
    session.keys("\x15link set alias 'what?")  # inside quotes '?' is a character
    session.wait("the quoted ?", lambda: session.text.endswith("'what?"))


def test_ctrl_c_drops_the_line(session: Session) -> None:
    session.keys("link set dev veth0 down")
    session.wait("the line", lambda: session.text == "link set dev veth0 down")
    session.keys("\x03")
    session.wait("an empty prompt", lambda: session.text == "" and session.app.is_running)
    assert session.out.getvalue() == "" and session.err.getvalue() == ""
    assert session.close() == 0


def test_monitor_prints_above_the_prompt_until_ctrl_c(session: Session, ns: str) -> None:
    session.run("monitor link")
    session.wait("the monitor", lambda: session.shell.monitor is not None)
    sh(ns, "link set veth0 mtu 1400")
    session.wait("an event line", lambda: any("[LINK]" in line and "veth0" in line
                                              for line in session.above))
    session.keys("link sh")  # the prompt is usable meanwhile
    session.wait("typing", lambda: session.text == "link sh")
    session.keys("\x03")
    session.wait("the monitor to stop", lambda: session.shell.monitor is None)
    seen = len(session.above)
    sh(ns, "link set veth0 mtu 1300")
    time.sleep(0.3)
    assert len(session.above) == seen


def test_toolbar_counts_and_last_event(session: Session, ns: str) -> None:
    before = session.shell.current_index().counts()["addresses"]  # lo's are there
    sh(ns, "address add 192.0.2.1/24 dev veth0")

    def text() -> str:
        return "".join(t for _, t in session.shell.toolbar())

    session.wait("the address counted", lambda: f"addrs {before + 1}" in text())
    assert f"nlshell:{ns}" in text() and "links 3" in text()
    # the kernel adds the prefix and local routes after the address: one of them is last
    session.wait("the last event", lambda: "last: route new" in text()
                 or "last: address new" in text())


def test_output_colour_follows_the_option(ns: str) -> None:
    s = Session(ns)
    try:
        assert s.ctx.opts.color is False
        assert s.shell.session.lexer is None  # no colouring without colour
    finally:
        s.close()


def test_two_hundred_cds_keep_fds_and_threads_bounded() -> None:
    """Each context visited used to keep its sockets, cache thread and index for the life
    of the shell; now at most MAX_OPEN stay open (fds, threads flat after warm-up)."""
    from support.resources import fd_count

    from nlshell.commands.context import MAX_OPEN

    names = [new_ns_name() for _ in range(20)]
    for name in names:
        ip("netns", "add", name)
    s = None
    try:
        s = Session(None)
        for name in names[:MAX_OPEN]:
            s.run(f"cd {name}")
        s.wait("the warm index", lambda: s.shell.current_index() is not None
               and s.shell.current_index().ready.is_set())
        fds, threads = fd_count(), threading.active_count()
        for i in range(200):
            s.run(f"cd {names[i % len(names)]}")
            assert len(s.shell.indexes) <= MAX_OPEN
        s.wait("the last index", lambda: s.shell.current_index() is not None
               and s.shell.current_index().ready.is_set())
        s.wait("the threads to settle", lambda: threading.active_count() <= threads + 1,
               timeout=30)
        assert fd_count() <= fds + 2
        assert s.err.getvalue() == ""
    finally:
        if s is not None:
            s.close()
        for name in names:
            if ns_exists(name):
                ip("netns", "del", name)
