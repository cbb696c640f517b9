"""Hostile history and config files: links, FIFOs, open directories, other owners, hard links,
binary garbage, a huge history, write failures mid-session.

Each case plants something in a temporary HOME (XDG_STATE_HOME / XDG_CONFIG_HOME) next to an
"outside" directory holding a file nobody may touch. Asserted: nothing outside is created,
changed or chmod-ed; the history/config is used, or refused with one line; never a hang or a
traceback. Module level (ShellHistory, config.load) and through a real shell start.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from nlshell.shell import config as config_mod
from nlshell.shell.history import ShellHistory

NOBODY = 65534  # the "other user" who planted things (we run as root)
VICTIM_TEXT = b"precious\n"


@dataclass
class Home:
    root: Path

    @property
    def outside(self) -> Path:
        return self.root / "outside"

    @property
    def victim(self) -> Path:
        return self.outside / "victim"

    @property
    def hdir(self) -> Path:
        return self.root / "state" / "nlshell"

    @property
    def history(self) -> Path:
        return self.hdir / "history"

    @property
    def cdir(self) -> Path:
        return self.root / "config" / "nlshell"

    @property
    def config(self) -> Path:
        return self.cdir / "config"

    def env(self) -> dict[str, str]:
        return {"HOME": str(self.root), "XDG_STATE_HOME": str(self.root / "state"),
                "XDG_CONFIG_HOME": str(self.root / "config")}


def snapshot(top: Path) -> dict[str, tuple]:
    """Every entry under `top`: type, mode, owner, size, mtime, content hash."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in [*dirnames, *filenames]:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest = ""
            if stat.S_ISREG(st.st_mode):
                digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            out[os.path.relpath(path, top)] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode),
                                               st.st_uid, st.st_size, st.st_mtime_ns, digest)
    st = os.lstat(top)
    out["."] = (stat.S_IMODE(st.st_mode), st.st_uid)
    return out


@pytest.fixture
def home(tmp_path: Path) -> Home:
    h = Home(tmp_path)
    h.outside.mkdir()
    h.victim.write_bytes(VICTIM_TEXT)
    os.chmod(h.victim, 0o644)
    (h.outside / "open").mkdir(mode=0o777)
    os.chmod(h.outside / "open", 0o777)
    return h


def their_link(target: Path | str, link: Path) -> None:
    """A symbolic link planted by another user."""
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)
    os.lchown(link, NOBODY, NOBODY)


def entries_file(n: int) -> bytes:
    return b"".join(f"\n# t\n+link show dev veth{i}\n".encode() for i in range(n))


# --- history cases: plant(home) -> expected refusal text (None: the history works) ---------

def _link_to_victim(h: Home) -> None:
    their_link(h.victim, h.history)


def _dangling(h: Home) -> None:
    their_link(h.outside / "new-file", h.history)


def _tmp_links(h: Home) -> None:
    h.hdir.mkdir(parents=True, mode=0o700)
    h.history.write_bytes(entries_file(50))  # big enough to be trimmed at start
    for pid in (os.getpid(), *range(1, 400)):
        their_link(h.victim, h.hdir / f"history.tmp{pid}")
        their_link(h.victim, h.hdir / f".history.tmp{pid}")


def _fifo(h: Home) -> None:
    h.hdir.mkdir(parents=True, mode=0o700)
    os.mkfifo(h.history)


def _open_dir_ours(h: Home) -> None:
    h.hdir.mkdir(parents=True)
    os.chmod(h.hdir, 0o777)


def _open_dir_theirs(h: Home) -> None:
    h.hdir.mkdir(parents=True)
    os.chmod(h.hdir, 0o777)
    os.chown(h.hdir, NOBODY, NOBODY)


def _dir_link_theirs(h: Home) -> None:
    their_link(h.outside / "open", h.hdir)


def _hard_link(h: Home) -> None:
    h.hdir.mkdir(parents=True, mode=0o700)
    os.link(h.victim, h.history)


def _their_file(h: Home) -> None:
    h.hdir.mkdir(parents=True, mode=0o700)
    h.history.write_bytes(entries_file(2))
    os.chown(h.history, NOBODY, NOBODY)


def _directory(h: Home) -> None:
    h.history.mkdir(parents=True)


def _loose_file(h: Home) -> None:
    h.hdir.mkdir(parents=True, mode=0o700)
    h.history.write_bytes(entries_file(2))
    os.chmod(h.history, 0o666)


def _not_a_dir(h: Home) -> None:
    h.hdir.parent.mkdir(parents=True)
    h.hdir.write_bytes(b"x")


HISTORY_CASES: dict[str, tuple[Callable[[Home], None], str | None]] = {
    "link to an existing file": (_link_to_victim, "is a symbolic link"),
    "dangling link": (_dangling, "is a symbolic link"),
    "history.tmp* links, then a trim": (_tmp_links, None),
    "FIFO": (_fifo, "not a regular file"),
    "0777 directory of ours": (_open_dir_ours, None),
    "0777 directory of another user": (_open_dir_theirs, "directory belongs to uid 65534"),
    "directory link planted by another user": (_dir_link_theirs, "symbolic link someone else"),
    "hard link to another file": (_hard_link, "has other hard links"),
    "file of another user": (_their_file, "belongs to uid 65534"),
    "a directory in its place": (_directory, "not a regular file"),
    "loose 0666 file of ours": (_loose_file, None),
    "a file in place of the directory": (_not_a_dir, "is not a directory"),
}


@pytest.mark.parametrize("case", list(HISTORY_CASES))
def test_history_module(home: Home, case: str) -> None:
    plant, refusal = HISTORY_CASES[case]
    plant(home)
    outside = snapshot(home.outside)
    warnings: list[str] = []
    if refusal is None:
        hist = ShellHistory(str(home.history), size=10, warn=warnings.append)
        hist.store_string("pwd")
        assert list(hist.load_history_strings())[:0] == []
        assert stat.S_IMODE(os.stat(home.history).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(home.hdir).st_mode) == 0o700
        assert b"+pwd\n" in home.history.read_bytes()
        assert hist.broken is None and warnings == []
    else:
        with pytest.raises(OSError) as err:
            ShellHistory(str(home.history), size=10, warn=warnings.append)
        assert refusal in str(err.value.strerror), err.value
        assert "\n" not in str(err.value)
    assert snapshot(home.outside) == outside, "something outside the history was touched"
    assert home.victim.read_bytes() == VICTIM_TEXT


def test_trim_keeps_the_newest_and_leaves_no_temporary(home: Home) -> None:
    _tmp_links(home)
    before = set(os.listdir(home.hdir))
    hist = ShellHistory(str(home.history), size=10)
    assert list(hist.load_history_strings()) == [f"link show dev veth{i}"
                                                 for i in range(49, 39, -1)]
    assert home.history.read_bytes().count(b"+link show") == 10
    assert set(os.listdir(home.hdir)) == before  # no temporary left behind


# --- a huge and a garbage history -----------------------------------------------------------

def test_huge_history_reads_only_its_tail(home: Home) -> None:
    home.hdir.mkdir(parents=True, mode=0o700)
    chunk = entries_file(1000)
    with open(home.history, "wb") as fh:
        for _ in range((50 << 20) // len(chunk) + 1):
            fh.write(chunk)
        fh.write(b"\n# t\n+the newest\n")
    assert home.history.stat().st_size > 50 << 20
    hist = ShellHistory(str(home.history), size=100)
    strings = list(hist.load_history_strings())
    assert strings[0] == "the newest" and len(strings) == 100
    assert home.history.stat().st_size < 1 << 20  # rewritten to its newest entries


def test_binary_garbage_history(home: Home) -> None:
    home.hdir.mkdir(parents=True, mode=0o700)
    garbage = bytes(range(256)) * 64 + b"\n+\xff\xfe\x00bad\n" + b"\n+ok\x00nul\n"
    home.history.write_bytes(garbage + b"\n# t\n+link show\n")
    warnings: list[str] = []
    hist = ShellHistory(str(home.history), size=100, warn=warnings.append)
    strings = list(hist.load_history_strings())
    assert strings[0] == "link show"
    assert all("\0" not in s for s in strings)
    assert len(warnings) == 1 and "non-text bytes" in warnings[0]
    again = ShellHistory(str(home.history), size=100, warn=warnings.append)  # rewritten clean
    assert len(warnings) == 1 and "link show" in list(again.load_history_strings())


def _hist_garbage(h: Home) -> None:
    h.hdir.mkdir(parents=True, mode=0o700)
    h.history.write_bytes(b"\n+\xff\xfe\x00bad\n" + bytes(range(256)) * 64)


def _hist_huge(h: Home) -> None:
    h.hdir.mkdir(parents=True, mode=0o700)
    chunk = entries_file(1000)
    with open(h.history, "wb") as fh:
        for _ in range((50 << 20) // len(chunk) + 1):
            fh.write(chunk)


# --- write failures mid-session ---------------------------------------------------------------

def _replace_by_directory(h: Home) -> None:
    h.history.unlink()
    h.history.mkdir()


def _replace_by_link(h: Home) -> None:
    h.history.unlink()
    their_link(h.victim, h.history)


WRITE_FAILURES = {
    "file replaced by a directory": _replace_by_directory,
    "file replaced by a link": _replace_by_link,
}


@pytest.mark.parametrize("case", list(WRITE_FAILURES))
def test_write_failure_is_said_once(home: Home, case: str) -> None:
    warnings: list[str] = []
    hist = ShellHistory(str(home.history), size=10, warn=warnings.append)
    hist.store_string("pwd")
    outside = snapshot(home.outside)
    WRITE_FAILURES[case](home)
    for _ in range(3):
        hist.append_string("link show")  # what prompt_toolkit calls on Enter
    assert len(warnings) == 1 and "history is kept for this session only" in warnings[0]
    assert "\n" not in warnings[0]
    assert hist.get_strings()[-3:] == ["link show"] * 3  # the session keeps them
    assert snapshot(home.outside) == outside


def test_no_fds_left_is_said_once(home: Home) -> None:
    """EMFILE: a real limit on open files, reached by opening files until it bites."""
    import resource

    warnings: list[str] = []
    hist = ShellHistory(str(home.history), size=10, warn=warnings.append)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    held: list[int] = []
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
        while True:
            try:
                held.append(os.open("/dev/null", os.O_RDONLY))
            except OSError:
                break
        hist.append_string("one")
        hist.append_string("two")
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert len(warnings) == 1 and "Too many open files" in warnings[0]


# --- config ---------------------------------------------------------------------------------

def _cfg_fifo(h: Home) -> None:
    h.cdir.mkdir(parents=True)
    os.mkfifo(h.config)


def _cfg_their_link(h: Home) -> None:
    their_link(h.victim, h.config)


def _cfg_our_link(h: Home) -> None:
    h.cdir.mkdir(parents=True)
    real = h.root / "dotfiles-config"
    real.write_text("[shell]\ntable_format = github\n")
    os.symlink(real, h.config)


def _cfg_binary(h: Home) -> None:
    h.cdir.mkdir(parents=True)
    h.config.write_bytes(bytes(range(256)) * 16)


def _cfg_nul(h: Home) -> None:
    h.cdir.mkdir(parents=True)
    h.config.write_bytes(b"[shell]\ncolor = never\x00\n")


def _cfg_escapes(h: Home) -> None:
    h.cdir.mkdir(parents=True)
    h.config.write_bytes(b"\x1b]0;pwned\x07\x1b[2J\n" + b"[x\x1b[31m]\n" * 50)


def _cfg_dir(h: Home) -> None:
    h.config.mkdir(parents=True)


def _cfg_huge(h: Home) -> None:
    h.cdir.mkdir(parents=True)
    h.config.write_bytes(b"# comment\n" * 300_000)


# case -> (plant, text in the single problem line or None for no problem, table_format)
CONFIG_CASES: dict[str, tuple[Callable[[Home], None], str | None, str]] = {
    "FIFO": (_cfg_fifo, "not a regular file", "simple"),
    "link planted by another user": (_cfg_their_link, "is a symbolic link", "simple"),
    "our own link (a dotfile manager's)": (_cfg_our_link, None, "github"),
    "binary garbage": (_cfg_binary, "not UTF-8", "simple"),
    "NUL bytes": (_cfg_nul, "binary data", "simple"),
    "terminal escapes": (_cfg_escapes, "cannot read it", "simple"),
    "a directory": (_cfg_dir, "not a regular file", "simple"),
    "huge": (_cfg_huge, "too big", "simple"),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_config_module(home: Home, case: str) -> None:
    plant, problem, table_format = CONFIG_CASES[case]
    plant(home)
    outside = snapshot(home.outside)
    cfg = config_mod.load(str(home.config))
    assert cfg.table_format == table_format
    if problem is None:
        assert cfg.problems == []
    else:
        assert len(cfg.problems) == 1 and problem in cfg.problems[0], cfg.problems
        assert all(c.isprintable() for c in cfg.problems[0]), cfg.problems
    assert snapshot(home.outside) == outside


# --- through a real shell start ---------------------------------------------------------------

SHELL_CASES = {
    "history and config FIFOs": ([_fifo, _cfg_fifo], ["not a regular file"] * 2),
    "history link to a file, config link of another user": (
        [_link_to_victim, _cfg_their_link], ["is a symbolic link"] * 2),
    "history.tmp links": ([_tmp_links], []),
    "0777 directory of ours": ([_open_dir_ours], []),
    "0777 directory of another user": ([_open_dir_theirs], ["directory belongs to uid"]),
    "binary garbage everywhere": ([_cfg_binary, _hist_garbage], ["not UTF-8", "non-text"]),
    "a huge history": ([_hist_huge], []),
}


@pytest.fixture
def shell_env(home: Home, monkeypatch: pytest.MonkeyPatch) -> Home:
    for key, value in home.env().items():
        monkeypatch.setenv(key, value)
    return home


@pytest.mark.parametrize("case", list(SHELL_CASES))
def test_shell_starts(shell_env: Home, ns: str, case: str) -> None:
    from support.pipeshell import Session

    home = shell_env
    plants, expected = SHELL_CASES[case]
    for plant in plants:
        plant(home)
    outside = snapshot(home.outside)
    s = Session(ns, real_files=True)
    try:
        s.run("pwd")
        s.run("pwd")
        assert s.out.getvalue().split() == [ns, ns]
        err = s.err.getvalue().splitlines()
        assert len(err) == len(expected), err
        for line, text in zip(err, expected, strict=True):
            assert text in line and line.startswith("nlshell: "), err
        assert "Traceback" not in s.screen.getvalue() + s.err.getvalue()
        assert "Unhandled exception" not in s.screen.getvalue()
    finally:
        assert s.close() == 0
    assert snapshot(home.outside) == outside
    assert home.victim.read_bytes() == VICTIM_TEXT


def test_shell_history_write_failure_mid_session(shell_env: Home, ns: str) -> None:
    from support.pipeshell import Session

    home = shell_env
    s = Session(ns, real_files=True)
    try:
        s.run("pwd")
        s.wait("the entry in the file", lambda: b"+pwd" in home.history.read_bytes())
        _replace_by_directory(home)
        for i in range(1, 4):
            s.run("pwd" + " " * i)  # (an entry equal to the last one is not stored again)
        screen = s.screen.getvalue()
        assert screen.count("cannot write the history file") == 1, screen
        assert "Unhandled exception" not in screen and "Traceback" not in screen
        assert s.out.getvalue().split() == [ns] * 4
    finally:
        assert s.close() == 0


def test_no_thread_left_waiting_on_a_fifo(shell_env: Home, ns: str) -> None:
    """The FIFO cases open nothing that blocks: no thread stays behind."""
    from support.pipeshell import Session

    _fifo(shell_env)
    _cfg_fifo(shell_env)
    before = threading.active_count()
    s = Session(ns, real_files=True)
    assert s.close() == 0
    s.wait("threads to go", lambda: threading.active_count() <= before, timeout=30)
