"""Regressions found by trying nlshell as an admin would: each test names what went wrong."""

from __future__ import annotations

import pytest
from support import iporacle, nlrun, testns

from nlshell.cli import complete_words, parse_argv
from nlshell.commands import slots as S
from nlshell.commands.parser import parse

# --- pure: no kernel ------------------------------------------------------------------------


def test_link_s_is_set_as_in_ip() -> None:
    # `ip link s eth0 up` brings eth0 up; nlshell showed it instead
    assert parse("l s lo up").command.path == ("link", "set")
    assert parse("link sh").command.path == ("link", "show")
    assert parse("a s").command.path == ("address", "show")  # ip: show there
    assert parse("r s").command.path == ("route", "show")


@pytest.mark.parametrize("slot, text, words", [
    (S.SCOPE, "bogus", ["'bogus'", "global", "host", "0..255"]),
    (S.PROTO, "bogs", ["'bogs'", "static", "0..255"]),
])
def test_unknown_name_in_a_numbered_choice_lists_the_names(slot, text, words) -> None:
    # it said "invalid scope 'bogus': not a number"
    with pytest.raises(S.SlotError) as err:
        slot.convert(text)
    assert "not a number" not in str(err.value)
    assert all(w in str(err.value) for w in words), err.value


def test_negative_number_is_out_of_range_not_not_a_number() -> None:
    with pytest.raises(S.SlotError, match=r"'-1': out of range 0\.\.255"):
        S.number(0, 255).convert("-1")


def test_color_when_is_optional() -> None:
    # `--color[=WHEN]`: `--color link show` took "link" as WHEN and failed
    st = parse_argv(["--color", "link", "show"])
    assert st["color"] == "always" and st["words"] == ["link", "show"]
    assert parse_argv(["--color", "never", "link"])["color"] == "never"
    assert parse_argv(["-color=never", "link"])["color"] == "never"
    assert complete_words(["--color", "link", "s"])[0] == ["link", "s"]
    assert complete_words(["--color", "always", "link", "s"])[0] == ["link", "s"]


def test_codec_integer_error_names_the_type() -> None:
    from nlshell.engine.codec import encode

    with pytest.raises(ValueError, match=r"'abc' is not a valid unsigned 32-bit integer"):
        encode(16, attrs=[("IFLA_MTU", "abc")])


def test_os_errors_lose_the_errno_prefix() -> None:
    from nlshell.commands.runner import describe_error
    from nlshell.engine.netns import NamespaceNotFound

    code, text = describe_error(NamespaceNotFound(2, "network namespace 'x' does not exist"))
    assert (code, text) == (1, "network namespace 'x' does not exist")


# --- with the kernel -------------------------------------------------------------------------


@testns.requires_root
def test_link_table_keeps_up_when_state_does_not_say_it(ns: str) -> None:
    # lo up is operstate UNKNOWN: dropping UP from FLAGS hid whether it was up at all
    out = nlrun.ok(ns, "link show lo")
    assert "UNKNOWN" in out and "LOOPBACK,UP,LOWER_UP" in out
    iporacle.sh(ns, "link add qa0 type veth peer name qa1")
    iporacle.sh(ns, "link set qa0 up")  # its peer is down: LOWERLAYERDOWN, but admin up
    row = next(line for line in nlrun.ok(ns, "link show qa0").splitlines() if "qa0" in line)
    assert "LOWERLAYERDOWN" in row and ",UP" in row


@testns.requires_root
def test_digit_names_are_names_first_then_indexes(ns: str) -> None:
    iporacle.sh(ns, "link add 123 type ifb")
    nlrun.ok(ns, "link set 123 up", "link set dev 1 mtu 65000")  # a name, then lo's index
    assert iporacle.ipj(ns, "link show dev 123")[0]["flags"].count("UP") == 1
    assert iporacle.ipj(ns, "link show dev lo")[0]["mtu"] == 65000
    res = nlrun.nl(ns, "link set 999 up")  # neither: a lookup error, not the kernel's ENODEV
    assert res.code == 1 and 'Cannot find device "999"' in res.err
    nlrun.ok(ns, "link del 123")
    assert "123" not in [r["ifname"] for r in iporacle.ipj(ns, "link show")]


@testns.requires_root
def test_link_set_netns_missing_message(ns: str) -> None:
    res = nlrun.nl(ns, "link set lo netns nlt-qa-no-such-ns")
    assert res.code == 1 and "[Errno" not in res.err and "nlt-qa-no-such-ns" in res.err


@testns.requires_root
def test_netns_exec_passes_the_exit_status_on(ns: str) -> None:
    # as `ip netns exec`: scripts test the program's status, not a flat 1
    proc = nlrun.run_nlshell("netns", "exec", ns, "sh", "-c", "exit 3")
    assert proc.returncode == 3
    assert nlrun.run_nlshell("netns", "exec", ns, "true").returncode == 0


@testns.requires_root
def test_alias_takes_255_bytes_and_refuses_more_before_creating(ns: str) -> None:
    # sent with a NUL, 255 bytes failed policy validation; 256 created the link, then failed
    iporacle.sh(ns, "link add qa0 type ifb")
    nlrun.ok(ns, f"link set qa0 alias {'y' * 255}")
    assert iporacle.ipj(ns, "link show qa0")[0]["ifalias"] == "y" * 255
    nlrun.ok(ns, "link set qa0 alias ''")
    assert "ifalias" not in iporacle.ipj(ns, "link show qa0")[0]
    res = nlrun.nl(ns, f"link add qa1 alias {'x' * 256} type ifb")
    assert res.code == 255 and "alias" in res.err and "255 bytes" in res.err
    assert "qa1" not in [r["ifname"] for r in iporacle.ipj(ns, "link show")]


@pytest.mark.parametrize("line", ["link show", "address show", "route show"])
def test_table_format_from_the_config_reaches_every_table(ns: str, line: str) -> None:
    """The shell's `table_format` (Options.table_format) is used by the human tables."""
    iporacle.sh(ns, "link add tf0 type veth peer name tf1")
    iporacle.sh(ns, "address add 192.0.2.1/24 dev tf0")
    iporacle.sh(ns, "link set tf0 up")
    iporacle.sh(ns, "link set tf1 up")
    grid = nlrun.ok(ns, line, table_format="grid")
    assert grid.splitlines()[0].startswith("+-"), grid
    assert not nlrun.ok(ns, line).splitlines()[0].startswith("+-")
