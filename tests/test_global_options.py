"""ip's global options, exit codes and error words, side by side with ip (issue 12).

- every option of `ip -h`'s list, spelled and abbreviated as ip 6.1 reads them: the same
  exit status as `ip OPTION link show lo` (or, for the few nlshell refuses, a one-line error
  naming the word), and the Options field it sets;
- options at the start of a line reach the command they lead;
- exit codes for usage, lookup and kernel errors, with ip run on the same command in a twin
  namespace, and the kernel's words (`Error: ... .` for an extended ack, else
  `RTNETLINK answers: ...`) byte for byte;
- --output / NLSHELL_OUTPUT / the config file's `output =`;
- a closed output pipe ends nlshell silently with 141, as ip; --check -b lists every bad line.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from support import iporacle
from support.nlrun import captured, nl, nlshell_argv, nlshell_env, run_nlshell

from nlshell.cli import UsageError, main, make_context, parse_argv
from nlshell.commands.options import lookup_option, offered
from nlshell.commands.parser import ParseError, parse

EXIT_USAGE, EXIT_LOOKUP, EXIT_KERNEL = 255, 1, 2


def ip_status(ns: str, *words: str) -> tuple[int, str]:
    proc = subprocess.run(["ip", "-n", ns, *words], capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stderr


def nl_status(ns: str, *words: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """nlshell's command line run in-process (no interpreter start per case)."""
    capsys.readouterr()
    code = main(["-n", ns, *words])
    return code, capsys.readouterr().err


# --- every option of ip -h, side by side -------------------------------------------------

# options (with their value) that ip and nlshell both take or both refuse, with the same
# exit status for `OPTION link show lo`; abbreviations chosen where ip's order decides
SAME_STATUS = [
    ["-h"], ["-hu"], ["-human"], ["-human-readable"], ["-iec"], ["-i"], ["-s"], ["-s", "-s"],
    ["-stat"], ["-statistics"], ["-d"], ["-det"], ["-o"], ["-oneline"],
    ["-t"], ["-ti"], ["-timestamp"], ["-ts"], ["-tshort"], ["-f", "inet"], ["-family", "inet6"],
    ["-f", "link"], ["-fa", "inet"], ["-4"], ["-6"], ["-0"], ["-force"], ["-fo"], ["-N"],
    ["-Numeric"], ["-a"], ["-all"], ["-j"], ["-json"], ["--json"], ["--j"], ["-p"], ["-j", "-p"],
    ["-br"], ["-brief"], ["-rc", "65536"], ["-rcvbuf", "1048576"], ["-l", "3"], ["-loops", "0"],
    ["-co"], ["-col"], ["-color"], ["-color=never"], ["-c=auto"], ["-V"], ["-Version"],
    # refused by both, as unknown or bad
    ["-numeric"], ["-v"], ["-ver"], ["-x"], ["-e"], ["-ec"], ["-f", "xx"], ["-rc", "x"],
    ["-rc"], ["-js"],
]

# where nlshell differs on purpose (README, "Global options"): (options, ip's status, ours)
DIFFERENT = [
    (["-l"], 1, 255),  # ip reads -loops "link" as 0 (atoi), then fails on object "show"
    (["-l", "x"], 0, 255),  # ip: atoi("x") = 0 rounds; nlshell wants a number
    (["-help"], 255, 0),  # ip prints its usage with 255; nlshell its help, with 0
]

# ip takes these; nlshell refuses them by name (one line, 255): families nlshell has no
# view of, and -echo. -help: ip prints its usage with 255, nlshell its help with 0.
REFUSED = {
    ("-M",): "-M", ("-B",): "-B", ("-f", "mpls"): "mpls", ("-f", "bridge"): "bridge",
    ("-echo",): "-echo",
}


@pytest.mark.parametrize("opts", SAME_STATUS, ids=[" ".join(o) for o in SAME_STATUS])
def test_option_status_as_ip(ns: str, opts: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    ip_code, _ = ip_status(ns, *opts, "link", "show", "lo")
    code, err = nl_status(ns, *opts, "link", "show", "lo", capsys=capsys)
    assert code == ip_code, (opts, err)
    if code:
        assert err.count("\n") == 1 and err.startswith("nlshell: ")


@pytest.mark.parametrize("opts,ip_code,code", DIFFERENT, ids=[" ".join(d[0]) for d in DIFFERENT])
def test_documented_differences(ns: str, opts: list[str], ip_code: int, code: int,
                                capsys: pytest.CaptureFixture[str]) -> None:
    assert ip_status(ns, *opts, "link", "show", "lo")[0] == ip_code
    assert nl_status(ns, *opts, "link", "show", "lo", capsys=capsys)[0] == code


@pytest.mark.parametrize("opts,word", REFUSED.items(), ids=[" ".join(o) for o in REFUSED])
def test_refused_options_name_the_word(ns: str, opts: tuple[str, ...], word: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert ip_status(ns, *opts, "link", "show", "lo")[0] == 0  # ip takes it
    code, err = nl_status(ns, *opts, "link", "show", "lo", capsys=capsys)
    assert code == EXIT_USAGE and f'"{word}"' in err and err.count("\n") == 1, err
    # and at the start of a line too
    res = nl(ns, " ".join([*opts, "link", "show", "lo"]))
    assert res.code == EXIT_USAGE and f'"{word}"' in res.err, res


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    for word in ("--help", "-help", "-he"):
        assert main([word]) == 0 and "usage: nlshell" in capsys.readouterr().out
    for word in ("-V", "-Version", "--version"):
        assert main([word]) == 0 and capsys.readouterr().out.startswith("nlshell ")


# the Options field each option sets (argv), as ip reads the spelling
FIELDS = [
    (["-h"], {"human": True}), (["-human-readable"], {"human": True}), (["-i"], {"iec": True}),
    (["-o"], {"oneline": True}), (["-t"], {"timestamp": True, "tshort": False}),
    (["-ts"], {"timestamp": True, "tshort": True}),
    (["-N"], {"numeric": True}), (["-a"], {"all_ns": True}), (["-l", "4"], {"loops": 4}),
    (["-rc", "0x20000"], {"rcvbuf": 0x20000}), (["-s", "-stats"], {"stats": 2}),
    (["-d"], {"details": True}), (["-p"], {"pretty": True, "json": False}),
    (["-j", "-p"], {"pretty": True, "json": True}), (["-br"], {"brief": True}),
    (["-fo"], {"force": True}), (["--output", "ip"], {"output": "ip"}),
    (["-ou", "table"], {"output": "table"}), ([], {"output": "table", "loops": 10}),
]


@pytest.mark.parametrize("argv,fields", FIELDS, ids=[" ".join(a) or "none" for a, _ in FIELDS])
def test_option_sets_its_field(argv: list[str], fields: dict[str, Any],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NLSHELL_OUTPUT", raising=False)
    ctx = make_context(parse_argv([*argv, "link", "show"]))
    try:
        assert {k: getattr(ctx.opts, k) for k in fields} == fields
    finally:
        ctx.close()


def test_family_options() -> None:
    from socket import AF_INET, AF_INET6, AF_PACKET

    for argv, family in ((["-4"], AF_INET), (["-6"], AF_INET6), (["-0"], AF_PACKET),
                         (["-f", "inet6"], AF_INET6), (["-4", "-0"], AF_PACKET)):
        ctx = make_context(parse_argv([*argv, "link", "show"]))
        assert ctx.opts.family == family, argv
        ctx.close()


@pytest.mark.parametrize("loops", [[], ["-l", "1"], ["-l", "2"], ["-loops", "0"]])
def test_loops_bound_address_flush_as_ip(ns: str, ns2: str, loops: list[str],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    for name in (ns, ns2):
        iporacle.batch(name, "link add f0 type ifb\naddr add 10.9.0.1/24 dev f0\n"
                             "addr add 10.9.0.2/24 dev f0\n")
    ip_code, ip_err = ip_status(ns, *loops, "address", "flush", "dev", "f0")
    code, err = nl_status(ns2, *loops, "address", "flush", "dev", "f0", capsys=capsys)
    assert (code, err) == (ip_code, ip_err)  # -l 1: "*** Flush remains incomplete ..." 255
    assert iporacle.ipj(ns2, "addr", "show", "dev", "f0")[0].get("addr_info") == []


def test_rcvbuf_sizes_the_socket(ns: str) -> None:
    ctx = make_context(parse_argv(["-rc", "300000", "link", "show"]))
    try:
        ctx.cd(ns)
        # the kernel doubles what it is asked for (bookkeeping overhead)
        assert ctx.ipr.status["rcvbuf"] >= 300000
    finally:
        ctx.close()


def _applied(line: str) -> Any:
    """The Options a line's leading options give its command (the handler is a spy)."""
    seen: dict[str, Any] = {}
    inv = parse(line)
    spy = SimpleNamespace(command=SimpleNamespace(
        resolve_handler=lambda: lambda ctx, _inv: seen.update(opts=ctx.opts)),
        options=inv.options, family=inv.family)
    with captured(None) as cap:
        cap.runner.execute(spy)
        assert cap.ctx.opts is not seen["opts"]  # the line's options were its own
    return seen["opts"]


def test_options_at_the_start_of_a_line() -> None:
    opts = _applied("-o -h -iec -ts -N -a -l 2 -s -s -d --output ip link show")
    assert (opts.oneline, opts.human, opts.iec, opts.timestamp, opts.tshort,
            opts.numeric, opts.all_ns, opts.loops, opts.stats, opts.details, opts.output) == \
        (True, True, True, True, True, True, True, 2, 2, True, "ip")
    assert _applied("-t link show").tshort is False


@pytest.mark.parametrize("line,word", [("-c link show", "-c"), ("-rc 100 link show", "-rc"),
                                       ("-b f", "-b"), ("-co link show", "-co"),
                                       ("-numeric link show", "-numeric"),
                                       ("-output yaml link show", "yaml"),
                                       ("-l x link show", "x")])
def test_line_options_refused_name_the_word(line: str, word: str) -> None:
    with pytest.raises(ParseError) as err:
        parse(line)
    assert word in str(err.value) and err.value.exit_code == EXIT_USAGE


def test_abbreviations_follow_ips_order() -> None:
    cases = {"-s": "stats", "-h": "human", "-he": "help", "-rc": "rcvbuf",
             "-t": "timestamp", "-ts": "tshort", "-b": "batch", "-br": "brief", "-n": "netns",
             "-N": "numeric", "-a": "all_ns", "-at": "atomic", "-l": "loops", "-f": "family",
             "-fo": "force", "-i": "iec", "-o": "oneline", "-ou": "output", "-c": "command",
             "-co": "color", "-com": "command", "-ch": "check", "-d": "details",
             "-j": "json", "-p": "pretty", "-V": "version", "--stat": "stats"}
    assert {w: lookup_option(w, "cli").key for w in cases} == cases
    for word in ("-numeric", "-v", "-version", "-jx", "-e", "-hx", "-r", "-resolve"):
        with pytest.raises(ValueError, match=word):
            lookup_option(word, "cli")


def test_complete_offers_only_accepted_options() -> None:
    for word, _help in offered("cli"):
        opt = lookup_option(word, "cli")  # raises if refused
        args = [word, *(["1"] if opt.takes in ("COUNT", "SIZE") else
                        ["ip"] if opt.takes == "OUTPUT" else
                        ["inet"] if opt.takes == "FAMILY" else
                        ["x"] if opt.takes else [])]
        if opt.key not in ("complete", "batch", "command", "netns"):
            parse_argv([*args, "link", "show"])
    assert not {"-M", "-B", "-echo"} & {w for w, _ in offered("cli")}


# --- --output, NLSHELL_OUTPUT, the config file --------------------------------------------


def test_output_from_env_and_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLSHELL_OUTPUT", "ip")
    assert parse_argv(["link", "show"])["flags"]["output"] == "ip"
    assert parse_argv(["--output", "table", "link"])["flags"]["output"] == "table"  # argv wins
    monkeypatch.setenv("NLSHELL_OUTPUT", "")
    assert "output" not in parse_argv(["link"])["flags"]
    monkeypatch.setenv("NLSHELL_OUTPUT", "yaml")
    with pytest.raises(UsageError, match='NLSHELL_OUTPUT value "yaml"'):
        parse_argv(["link"])


IP_TEXT = [["link", "show", "lo"], ["-o", "link", "show"], ["-d", "link", "show", "lo"],
           ["-o", "-0", "address", "show"], ["-4", "address", "show", "dev", "lo"],
           ["-o", "-d", "address", "show"]]


@pytest.mark.parametrize("words", IP_TEXT, ids=[" ".join(w) for w in IP_TEXT])
def test_output_ip_from_argv_env_and_line(ns: str, words: list[str],
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """--output ip with ip's options: ip's bytes, whichever way the mode is chosen."""
    ip_text = iporacle.sh(ns, *words)
    capsys.readouterr()
    assert main(["-n", ns, "--output", "ip", *words]) == 0
    assert capsys.readouterr().out == ip_text
    assert main(["-n", ns, "-c", " ".join(["-output", "ip", *words])]) == 0
    assert capsys.readouterr().out == ip_text
    monkeypatch.setenv("NLSHELL_OUTPUT", "ip")
    assert main(["-n", ns, *words]) == 0
    assert capsys.readouterr().out == ip_text


def test_output_default_is_table_whatever_stdout_is(ns: str) -> None:
    env = {k: v for k, v in nlshell_env().items() if k != "NLSHELL_OUTPUT"}
    proc = run_nlshell("-n", ns, "link", "show", "lo", env=env)  # stdout is a pipe
    assert proc.returncode == 0 and proc.stdout.startswith("INDEX"), proc


def test_config_output_key(tmp_path: Path) -> None:
    from nlshell.shell import config

    path = tmp_path / "config"
    path.write_text("[shell]\noutput = ip\n")
    assert config.load(str(path)).output == "ip"
    path.write_text("[shell]\noutput = yaml\n")
    cfg = config.load(str(path))
    assert cfg.output == "table" and "output" in cfg.problems[0]


def test_repl_applies_config_output_unless_given() -> None:
    from nlshell.commands.context import Context, Options
    from nlshell.shell import config
    from nlshell.shell.repl import Shell

    for given, expect in ((False, "ip"), (True, "table")):
        opts = Options()
        if given:
            opts.extra["output_given"] = True
        shell = SimpleNamespace(ctx=Context(opts=opts))
        Shell._apply_config(shell, config.ShellConfig(output="ip"))  # type: ignore[arg-type]
        assert shell.ctx.opts.output == expect


# --- exit codes and error words, side by side with ip ----------------------------------------

SETUP = "link add v0 type veth peer name v1\naddress add 10.1.1.1/24 dev lo\n"

USAGE = [
    "link foo", "link set lo mtu abc", "route add 1.0.0.0/8 dev lo metric x",
    "neigh add 1.1.1.1 lladdr 00:11:22:33:44:55 dev lo nud xx", "link set lo alias",
    "link set lo mtu", "route add", "rule add from 1.2.3.0/24 table",
    "addr add 1.2.3.4/24 dev lo scope bogus", "-n", "-f xx link show", "link show lo extra",
]
LOOKUP = [
    "link set nosuch up", "link del nosuch", "addr add 1.2.3.4/24 dev nosuch",
    "addr add 1.2.3.4/33 dev lo", "route add 300.0.0.0/8 dev lo", "route add 10.0.0.0/8 via zz",
    "neigh add zz dev lo", "link show dev nosuch", "addr show dev nosuch", "foo",
    "link set lo address zz", "rule add from zz", "route get zz",
    "route add 10.0.0.0/8 dev nosuch",
    "addr add 10.2.2.2/24 dev lo valid_lft 10 preferred_lft 20",
]
KERNEL = [
    "addr add 10.1.1.1/24 dev lo", "addr del 9.9.9.9/24 dev lo",
    "route add 10.0.0.0/8 via 1.2.3.99", "route del 11.0.0.0/8", "route get 5.5.5.5",
    "link add v0 type veth peer name v1", "rule del from 9.9.9.0/24 table 5",
    "link set v0 mtu 100000", "route add 10.0.0.0/8 dev v0", "neigh del 1.2.3.9 dev lo",
    "route add 10.3.0.0/16 dev lo table 10 nhid 99", "link set v0 master v1",
]


@pytest.fixture(scope="module")
def twins() -> Any:
    """Two namespaces set up alike: ip runs in the first, nlshell in the second."""
    from support import testns

    with testns.temp_netns() as a, testns.temp_netns() as b:
        for name in (a, b):
            iporacle.batch(name, SETUP)
        yield a, b


def _compare(twins: Any, line: str, capsys: pytest.CaptureFixture[str]) -> tuple:
    a, b = twins
    words = line.split()
    ip_code, ip_err = ip_status(a, *words)
    code, err = nl_status(b, *words, capsys=capsys)
    return ip_code, ip_err, code, err


@pytest.mark.parametrize("line", USAGE)
def test_usage_errors_exit_255_as_ip(twins: Any, line: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    ip_code, ip_err, code, err = _compare(twins, line, capsys)
    assert (ip_code, code) == (EXIT_USAGE, EXIT_USAGE), (ip_err, err)
    assert err.count("\n") == 1


@pytest.mark.parametrize("line", LOOKUP)
def test_lookup_errors_exit_1_as_ip(twins: Any, line: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    ip_code, ip_err, code, err = _compare(twins, line, capsys)
    assert (ip_code, code) == (EXIT_LOOKUP, EXIT_LOOKUP), (ip_err, err)
    assert err.count("\n") == 1


@pytest.mark.parametrize("line", KERNEL)
def test_kernel_errors_exit_2_in_ips_words(twins: Any, line: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    ip_code, ip_err, code, err = _compare(twins, line, capsys)
    assert (ip_code, code) == (EXIT_KERNEL, EXIT_KERNEL)
    assert err == ip_err  # `Error: <ext-ack>.` or `RTNETLINK answers: <strerror>`


MISSING_DEVICE = ["link show dev nosuch", "address show dev nosuch", "address flush dev nosuch",
                  "link show nosuch", "link set nosuch up", "link del nosuch",
                  "route show dev nosuch", "neigh flush dev nosuch",
                  "addr add 1.2.3.4/24 dev nosuch", "route add 10.0.0.0/8 dev nosuch"]


@pytest.mark.parametrize("line", MISSING_DEVICE)
def test_missing_device_in_ips_words(twins: Any, line: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    # listings say 'Device "X" does not exist.', the rest 'Cannot find device "X"'
    ip_code, ip_err, code, err = _compare(twins, line, capsys)
    assert (code, err) == (ip_code, ip_err) == (EXIT_LOOKUP, ip_err)


def test_kernel_message_wording() -> None:
    from nlshell.commands.context import kernel_message
    from nlshell.engine.errors import NetlinkError

    assert kernel_message(NetlinkError(17)) == "RTNETLINK answers: File exists"
    assert kernel_message(NetlinkError(17, "ipv4: Address already assigned")) == \
        "Error: ipv4: Address already assigned."
    assert kernel_message(NetlinkError(22, "Done already.")) == "Error: Done already."
    assert kernel_message(NetlinkError(1)).endswith("(this operation needs CAP_NET_ADMIN)")


def test_a_bad_namespace_is_usage(capsys: pytest.CaptureFixture[str]) -> None:
    ip_code, _ = subprocess.run(["ip", "-n", "h-nosuch-ns", "link"], capture_output=True,
                                text=True).returncode, ""
    assert ip_code == EXIT_USAGE
    assert main(["-n", "h-nosuch-ns", "link"]) == EXIT_USAGE
    assert "h-nosuch-ns" in capsys.readouterr().err
    res = nl(None, "-n h-nosuch-ns link show")
    assert res.code == EXIT_USAGE and "h-nosuch-ns" in res.err


# --- SIGPIPE, --check -b ---------------------------------------------------------------------


def test_closed_pipe_is_silent_with_141(ns: str) -> None:
    iporacle.batch(ns, "".join(f"route add 10.{i // 250}.{i % 250}.0/24 dev lo\n"
                               for i in range(3000)).replace("dev lo", "dev lo table 7"))
    argv = " ".join(nlshell_argv("-n", ns, "route", "show", "table", "7"))
    script = f"{argv} | head -1 >/dev/null; echo ${{PIPESTATUS[0]}}"
    ip_script = f"ip -n {ns} route show table 7 | head -1 >/dev/null; echo ${{PIPESTATUS[0]}}"
    ip_proc = subprocess.run(["bash", "-c", ip_script], capture_output=True, text=True,
                             timeout=120)
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                          timeout=120, env=nlshell_env())
    assert proc.stderr == "" and proc.stdout.strip() == "141", proc
    assert ip_proc.stdout.strip() in ("141", "0") and ip_proc.stderr == ""


def test_check_batch_lists_every_bad_line(ns: str, tmp_path: Path) -> None:
    path = tmp_path / "b.nl"
    path.write_text("link add c0 type ifb\nlink frob\naddr add 300.1.1.1/24 dev lo\n"
                    "link show\nroute add 10.0.0.0/8 metric x\n")
    proc = run_nlshell("-n", ns, "--check", "-b", str(path))
    lines = proc.stderr.splitlines()
    assert [line.split(": ")[0] for line in lines] == [f"{path}:2", f"{path}:3", f"{path}:5"]
    assert proc.returncode == EXIT_USAGE
    assert "c0" not in iporacle.sh(ns, "link", "show")
    path.write_text("link add c0 type ifb\n")
    assert run_nlshell("-n", ns, "--check", "-b", str(path)).returncode == 0


def test_force_batch_status_is_the_worst_failure(ns: str) -> None:
    from support.nlrun import nl_batch

    res = nl_batch(ns, "link set nosuch up\nlink frob\nlink show lo\n", force=True)
    assert res.code == EXIT_USAGE and res.err.count("\n") == 2
    res = nl_batch(ns, "link set nosuch up\nroute del 11.0.0.0/8\n", force=True)
    assert res.code == EXIT_KERNEL


def test_no_ip_option_is_silently_ignored() -> None:
    """Each option of ip -h's list is either a row nlshell reads or refuses by name."""
    ip_list = ["-V", "-h", "-s", "-d", "-r", "-iec", "-f", "-4", "-6", "-B", "-M", "-0", "-l",
               "-o", "-t", "-ts", "-b", "-force", "-n", "-N", "-a", "-c", "-j", "-p", "-br",
               "-rc", "-echo", "-help"]
    for word in ip_list:
        try:
            opt = lookup_option(word, "cli")
        except ValueError as exc:
            assert f'"{word}"' in str(exc) and "\n" not in str(exc)
            continue
        assert opt.key  # a row that sets something


@pytest.fixture(autouse=True)
def _no_env_output(monkeypatch: pytest.MonkeyPatch) -> None:
    if "NLSHELL_OUTPUT" in os.environ:
        monkeypatch.delenv("NLSHELL_OUTPUT")
