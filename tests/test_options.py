"""The global options: one table (nlshell.commands.options), and the command line, the
parser, --help and --complete agree with it. The cases are generated from the table."""

from __future__ import annotations

import pytest

from nlshell.cli import UsageError, complete_words, parse_argv, usage
from nlshell.commands.options import OPTIONS, GlobalOption, lookup_option, offered
from nlshell.commands.parser import ParseError, parse
from nlshell.commands.suggest import complete_args, suggest

SAMPLE_VALUES = {"NETNS": "sandbox", "FAMILY": "inet6", "CMD": "link show", "FILE": "-",
                 "WHEN": "never", "SIZE": "1000", "COUNT": "2", "OUTPUT": "ip"}

SUPPORTED = [(s, o) for o in OPTIONS if not o.unsupported for s in o.all_spellings]
REFUSED = [(s, o) for o in OPTIONS if o.unsupported for s in o.all_spellings]


def _argv(spelling: str, opt: GlobalOption) -> list[str]:
    value = [SAMPLE_VALUES[opt.takes]] if opt.takes else []
    words = [] if opt.key in ("batch", "complete") else ["link", "show"]
    return [spelling, *value, *words]


@pytest.mark.parametrize("spelling,opt", SUPPORTED, ids=[s for s, _ in SUPPORTED])
def test_supported_option_is_read_by_cli_and_parser(spelling: str, opt: GlobalOption) -> None:
    st = parse_argv(_argv(spelling, opt))
    settings = {**st, **st["flags"], "command": st["commands"] or None}
    assert settings[opt.key] not in (None, False), settings
    if opt.where == "line":
        inv = parse(_argv(spelling, opt))
        assert inv.path == ("link", "show")
        assert opt.key == "family" and inv.family is not None or opt.key in inv.options
    else:
        with pytest.raises(ParseError, match="only on the nlshell command line"):
            parse(_argv(spelling, opt))


@pytest.mark.parametrize("spelling,opt", REFUSED, ids=[s for s, _ in REFUSED])
def test_unsupported_option_is_refused_everywhere(spelling: str, opt: GlobalOption) -> None:
    with pytest.raises(UsageError) as cli_err:
        parse_argv([spelling, "link", "show"])
    with pytest.raises(ParseError) as parse_err:
        parse([spelling, "link", "show"])
    for err in (cli_err.value, parse_err.value):
        assert f'"{spelling}"' in str(err) and opt.unsupported in str(err)
        assert "\n" not in str(err)
    assert spelling not in complete_args(["-"])
    assert not {spelling, spelling + ","} & set(_options_part(usage()).split())


def test_h_is_human_not_help() -> None:
    for where in ("cli", "line"):
        assert lookup_option("-h", where).key == "human"
    assert parse_argv(["--help"])["help"] and parse_argv(["-help"])["help"]
    assert parse_argv(["-he"])["help"]


def test_complete_offers_what_the_table_accepts() -> None:
    cli_offer = set(complete_args(["-"]))
    line_offer = {s.text for s in suggest("-") if s.kind == "option"}
    assert cli_offer >= {s for s, _ in SUPPORTED}
    assert line_offer == {s for s, o in SUPPORTED if o.where == "line"}
    assert {w for w, _ in offered("cli")} == {s for s, _ in SUPPORTED}
    # every word offered is accepted by the command line
    for word in cli_offer:
        if word.startswith("-"):
            opt = lookup_option(word, "cli")
            parse_argv(_argv(word, opt))


def _options_part(text: str) -> str:
    return text.split("  ip's")[0]


def test_help_lists_every_supported_option() -> None:
    text = usage()
    listed = _options_part(text).split()
    refused = text.split("  ip's")[1].split("\n")[0].split()
    for opt in OPTIONS:
        if not opt.unsupported:
            assert any(s in listed or s + "," in listed for s in opt.all_spellings), opt.name
        else:
            assert opt.name in refused


@pytest.mark.parametrize("word,key", [("-det", "details"), ("-jso", "json"), ("--stat", "stats"),
                                      ("-ti", "timestamp"), ("-fam", "family"),
                                      ("-ts", "tshort"), ("-t", "timestamp")])
def test_abbreviations_agree(word: str, key: str) -> None:
    assert lookup_option(word, "line").key == key
    assert lookup_option(word, "cli").key == key


@pytest.mark.parametrize("word", ["-numeric", "-x", "-", "--"])
def test_bad_or_ambiguous_options(word: str) -> None:
    if word in ("-", "--"):
        assert parse_argv([word, "link"])["words"][-1] == "link"
        return
    with pytest.raises(UsageError, match=word):
        parse_argv([word, "link"])


def test_complete_words_drops_cli_only_options() -> None:
    assert complete_words(["--check", "-j", "li"])[0] == ["-j", "li"]
    assert complete_words(["-n", "blue", "link", "s"]) == (["-n", "blue", "link", "s"], "blue")
    assert complete_words(["-c", ""]) == ([], None)
    assert complete_words(["--force", "-ts", "mon"])[0] == ["-ts", "mon"]
    assert complete_words(["-co", "-ti", "mon"])[0] == ["-ti", "mon"]


@pytest.mark.parametrize("argv", [["-\x1b[31mq"], ["--color=x\x1b]0;t\x07"], ["-f", "in\x1bet"],
                                  ["-b", "f", "x\x1b"]])
def test_words_in_usage_errors_are_escaped(argv: list[str]) -> None:
    # one line, no terminal escape: the command line and the option table echo words
    # through the one quoting rule (render.safe.quoted)
    with pytest.raises(UsageError) as err:
        parse_argv(argv)
    text = str(err.value)
    assert "\x1b" not in text and "\n" not in text and "\x07" not in text, text
    assert "\\x1b" in text, text


def test_a_bad_namespace_name_is_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    from nlshell.cli import main

    assert main(["-n", "a\x1bb/\nc", "link", "show"]) == 255  # ip: a bad -n is usage
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err and '"a\\x1bb/\\x0ac"' in err, err
