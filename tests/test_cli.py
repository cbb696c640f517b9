"""The `nlshell` command line as a whole process: -c, -b, stdin, --force, -n, --check,
--help/help, exit codes, FILE:LINE: errors, comments, continuations, quoting, cd/pwd."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support import iporacle, nlrun, testns

pytestmark = testns.requires_root


def nlshell(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return nlrun.run_nlshell(*args, input=stdin if stdin is not None else "")


def links(ns: str) -> list[str]:
    return [row["ifname"] for row in iporacle.ipj(ns, "link", "show")]


def write(tmp_path: Path, text: str, name: str = "cmds.nl") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# --- help, version, usage errors (no namespace needed) ------------------------------------


def test_help_and_version() -> None:
    proc = nlshell("--help")
    assert proc.returncode == 0 and proc.stdout.startswith("usage: nlshell")
    assert "-c, --command" in proc.stdout and "exit status" in proc.stdout
    proc = nlshell("-V")
    assert proc.returncode == 0 and proc.stdout.startswith("nlshell ")


@pytest.mark.parametrize("words, expect", [
    (["help"], ["link", "address", "netns", "monitor", "cd", "exit"]),
    (["help", "link"], ["show", "add", "set", "delete"]),
    (["help", "link", "add"], ["usage: link add", "type vxlan :=", "peer"]),
    (["help", "a", "add"], ["usage: address add", "valid_lft", "nodad"]),
    (["help", "netns"], ["list", "add", "identify", "pids"]),
    (["help", "monitor"], ["all-nsid"]),
])
def test_help_command(words: list[str], expect: list[str]) -> None:
    proc = nlshell(*words)
    assert proc.returncode == 0, proc.stderr
    for text in expect:
        assert text in proc.stdout, text
    same = nlshell("-c", " ".join(words))
    assert same.stdout == proc.stdout


def test_help_unknown_word() -> None:
    proc = nlshell("help", "lnk", "frob")
    assert proc.returncode == 255 and "lnk" in proc.stderr  # ip help lnk: 255


def test_watch_bad_pane_is_a_usage_error() -> None:
    proc = nlshell("-c", "watch bogus")
    assert proc.returncode == 1 and "bogus" in proc.stderr


def test_usage_errors_exit_255() -> None:
    proc = nlshell("--bogus")
    assert proc.returncode == 255 and '"--bogus"' in proc.stderr
    proc = nlshell("-c")
    assert proc.returncode == 255 and "needs a value" in proc.stderr


# --- -c, argv words, -n ------------------------------------------------------------------


def test_c_repeated_runs_in_order(ns: str) -> None:
    proc = nlshell("-n", ns, "-c", "link add a0 type ifb", "-c", "link set a0 name b0",
                   "-c", "link set b0 up", "-c", "-j link show dev b0")
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads(proc.stdout)
    assert row["ifname"] == "b0" and "UP" in row["flags"]
    assert "a0" not in links(ns)


def test_c_stops_at_the_first_error(ns: str) -> None:
    proc = nlshell("-n", ns, "-c", "link add a0 type ifb", "-c", "link set nosuch up",
                   "-c", "link add a1 type ifb")
    assert proc.returncode == 1 and proc.stderr == '-c:2: Cannot find device "nosuch"\n'
    assert "a0" in links(ns) and "a1" not in links(ns)


def test_argv_words_are_one_command(ns: str) -> None:
    proc = nlshell("-n", ns, "link", "add", "w0", "alias", "two words", "type", "ifb")
    assert proc.returncode == 0, proc.stderr
    assert iporacle.ipj(ns, "link", "show", "w0")[0]["ifalias"] == "two words"


def test_exit_codes(ns: str) -> None:
    assert nlshell("-n", ns, "-c", "link show").returncode == 0
    proc = nlshell("-n", ns, "-c", "link frobnicate")
    assert proc.returncode == 255 and "frobnicate" in proc.stderr
    proc = nlshell("-n", ns, "-c", "link add lo type ifb")
    assert proc.returncode == 2 and proc.stderr == "RTNETLINK answers: File exists\n"
    proc = nlshell("-n", "nlt-nosuch-0", "-c", "link show")
    assert proc.returncode == 255 and "nlt-nosuch-0" in proc.stderr


def test_check_applies_nothing(ns: str) -> None:
    proc = nlshell("-n", ns, "--check", "-c", "link add k0 type ifb", "-c", "addr add "
                   "192.0.2.1/24 dev k0")
    assert proc.returncode == 0, proc.stderr
    assert "k0" not in links(ns)
    proc = nlshell("-n", ns, "--check", "-c", "link add k0 type ifb", "-c", "addr add "
                   "300.1.1.1/24 dev k0")
    assert proc.returncode == 1 and "300.1.1.1/24" in proc.stderr and "-c:2:" in proc.stderr
    assert "k0" not in links(ns)


def test_output_options(ns: str) -> None:
    iporacle.sh(ns, "link", "add", "o0", "type", "ifb")
    brief = nlshell("-n", ns, "-br", "link", "show", "dev", "o0").stdout
    assert brief == iporacle.sh(ns, "-br", "link", "show", "dev", "o0")
    pretty = nlshell("-n", ns, "-j", "-p", "link", "show", "dev", "o0").stdout
    assert pretty.startswith("[\n    {") and json.loads(pretty)[0]["ifname"] == "o0"
    coloured = nlshell("-n", ns, "--color=always", "-br", "link", "show", "dev", "o0").stdout
    assert "\x1b[" in coloured
    assert "\x1b[" not in nlshell("-n", ns, "--color=never", "link").stdout
    stats = nlshell("-n", ns, "-s", "-j", "link", "show", "dev", "o0").stdout
    assert "stats64" in json.loads(stats)[0]
    details = nlshell("-n", ns, "-d", "-j", "link", "show", "dev", "o0").stdout
    assert json.loads(details)[0]["linkinfo"]["info_kind"] == "ifb"


# --- batch files ---------------------------------------------------------------------------


BATCH = """\
# a comment line
link add b0 type ifb   # a trailing comment
link set b0 \\
    alias 'quoted # not a comment' \\
    up
link add b1 type ifb
"""


def test_batch_file(ns: str, tmp_path: Path) -> None:
    proc = nlshell("-n", ns, "-b", write(tmp_path, BATCH))
    assert proc.returncode == 0, proc.stderr
    row = iporacle.ipj(ns, "link", "show", "b0")[0]
    assert row["ifalias"] == "quoted # not a comment" and "UP" in row["flags"]
    assert "b1" in links(ns)


def test_batch_error_names_file_and_line(ns: str, tmp_path: Path) -> None:
    path = write(tmp_path, BATCH + "link set nosuch up\nlink add b2 type ifb\n")
    proc = nlshell("-n", ns, "-b", path)
    # continuation lines count: the bad line is the 7th line of the file
    assert proc.returncode == 1 and proc.stderr == f'{path}:7: Cannot find device "nosuch"\n'
    assert "b1" in links(ns) and "b2" not in links(ns)


def test_batch_error_on_line_3(ns: str, tmp_path: Path) -> None:
    text = "link add e1 type ifb\nlink add e2 type ifb\nlink add e1 type ifb\n" \
           "link add e4 type ifb\nlink frob\nlink add e6 type ifb\n"
    path = write(tmp_path, text)
    proc = nlshell("-n", ns, "-b", path)
    assert proc.returncode == 2
    assert proc.stderr == f"{path}:3: RTNETLINK answers: File exists\n"
    assert {"e1", "e2"} <= set(links(ns)) and "e4" not in links(ns)
    proc = nlshell("-n", ns, "--force", "-b", path)
    assert proc.returncode != 0
    errors = proc.stderr.splitlines()
    assert [e.split(": ", 1)[0] for e in errors] == [f"{path}:1", f"{path}:2", f"{path}:3",
                                                      f"{path}:5"]
    assert {"e4", "e6"} <= set(links(ns))


def test_batch_stdin_dash_and_pipe(ns: str) -> None:
    proc = nlshell("-n", ns, "-b", "-", stdin="link add s0 type ifb\nlink set s0 up\n")
    assert proc.returncode == 0, proc.stderr
    proc = nlshell("-n", ns, stdin="link add s1 type ifb\nlink set nosuch up\n")
    assert proc.returncode == 1 and proc.stderr == '-:2: Cannot find device "nosuch"\n'
    assert {"s0", "s1"} <= set(links(ns))


def test_batch_cd_and_pwd(ns: str, ns2: str, tmp_path: Path) -> None:
    text = f"pwd\ncd {ns}\npwd\nlink add c0 type ifb\ncd {ns2}\nlink add c1 type ifb\n" \
           "cd -\npwd\ncd /\npwd\n"
    proc = nlshell("-b", write(tmp_path, text))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["/", ns, ns, "/"]
    assert "c0" in links(ns) and "c1" in links(ns2) and "c1" not in links(ns)


def test_batch_unreadable_file(tmp_path: Path) -> None:
    proc = nlshell("-b", str(tmp_path / "missing.nl"))
    assert proc.returncode == 1 and "missing.nl" in proc.stderr


def test_batch_exit_stops(ns: str, tmp_path: Path) -> None:
    proc = nlshell("-n", ns, "-b", write(tmp_path, "link add x0 type ifb\nexit\n"
                                                   "link add x1 type ifb\n"))
    assert proc.returncode == 0
    assert "x0" in links(ns) and "x1" not in links(ns)


def test_batch_unterminated_quote(ns: str, tmp_path: Path) -> None:
    path = write(tmp_path, "link add q0 type ifb\nlink set q0 alias 'oops\n")
    proc = nlshell("-n", ns, "-b", path)
    assert proc.returncode == 255 and proc.stderr.startswith(f"{path}:2: ")
    assert "unterminated" in proc.stderr


def test_every_word_has_a_help_line() -> None:
    """The objects of this part of the language: each parameter, choice word and kind."""
    from nlshell.commands.grammar import REGISTRY, Group, OneOf, Switch

    mine = {"link", "tuntap", "address", "netns", "monitor", "cd", "pwd", "ls", "help",
            "exit", "watch"}
    missing: list[str] = []

    def walk(params, where: str) -> None:
        for p in params:
            if not p.help:
                missing.append(f"{where} {p.key}")
            if isinstance(p, OneOf):
                missing.extend(f"{where} {w}" for w, h in p.words.items() if not h)
            if isinstance(p, Group):
                walk(p.params, f"{where} {p.word}")
            if isinstance(p, Switch):
                for name, branch in p.branches.items():
                    if not branch.help:
                        missing.append(f"{where} {p.word} {name}")
                    walk(branch.params, f"{where} {p.word} {name}")
            slot = getattr(p, "slot", None)
            if slot is not None and slot.is_choice:
                missing.extend(f"{where} {p.key} {w}" for w, (_v, h) in slot.words.items()
                               if not h)

    commands = [c for c in REGISTRY.commands() if c.obj.name in mine]
    assert len(commands) >= 20
    for cmd in commands:
        if not cmd.help:
            missing.append(cmd.name)
        walk(cmd.params, cmd.name)
    assert missing == []
