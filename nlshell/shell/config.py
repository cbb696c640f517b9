"""The shell's configuration file: ``$XDG_CONFIG_HOME/nlshell/config`` (``~/.config/...``).

A small INI file; every key is optional and a bad value is reported in one line and replaced
by its default (the shell starts anyway). ``# `` (with a space) starts a comment, so
``#rrggbb`` colours need no quoting::

    [shell]
    history_size = 5000          # entries kept in the history file
    table_format = simple        # tabulate format of human tables (plain, simple, github...)
    output = table               # table | ip (ip's own text); --output and NLSHELL_OUTPUT win
    color = auto                 # auto | always | never (auto: what the command line said)
    complete_while_typing = yes  # open the completion menu as you type (else on Tab)
    edit_mode = emacs            # emacs | vi
    toolbar = yes                # the bottom toolbar

    [colors]                     # prompt_toolkit style strings, per word role
    object = bold #5f87ff
    ifname = #d787ff
    unknown = #ff5f5f underline
    prompt.context = bold #00afaf

Colour names: see `DEFAULT_COLORS`.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nlshell.shell.safefile import read_regular

# role or screen part -> style; roles are the lexer's (see lexer.py)
DEFAULT_COLORS: dict[str, str] = {
    "object": "bold #5f87ff",
    "verb": "#00afaf",
    "keyword": "#5faf5f",
    "option": "#d7af00",
    "ifname": "#d787ff",
    "ifindex": "#d787ff",
    "prefix": "#ffaf5f",
    "address": "#ffaf5f",
    "lladdr": "#87afaf",
    "number": "#87d7ff",
    "netns": "#5fd7af",
    "table": "#87d7ff",
    "choice": "#afaf87",
    "string": "#d7d7af",
    "command": "",
    "unknown": "#ff5f5f underline",
    "error": "bg:#870000 #ffffff",
    "partial": "",
    "prompt": "bold",
    "prompt.context": "bold #00afaf",
    "toolbar": "bg:#303030 #d0d0d0 noreverse",
    "toolbar.context": "bold #5fd7ff",
    "toolbar.event": "#d7af5f",
    "toolbar.hint": "#8a8a8a",
    "toolbar.warning": "bold #ff5f5f",
    "help.word": "bold",
    "help.text": "#8a8a8a",
    "notice": "#d7af5f",
}

TABLE_FORMATS = ("plain", "simple", "github", "grid", "simple_grid", "rounded_grid",
                 "fancy_grid", "pipe", "orgtbl", "rst", "psql", "outline", "simple_outline",
                 "rounded_outline", "presto", "pretty", "tsv", "heavy_grid", "mixed_grid")

MAX_BYTES = 1 << 20  # a config file is a few lines: more is a mistake
MAX_PROBLEMS = 5
TRUE = {"1", "yes", "true", "on"}
FALSE = {"0", "no", "false", "off"}


@dataclass
class ShellConfig:
    history_size: int = 5000
    table_format: str = "simple"
    output: str = "table"
    color: str = "auto"
    complete_while_typing: bool = True
    edit_mode: str = "emacs"
    toolbar: bool = True
    colors: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_COLORS))
    path: str = ""
    problems: list[str] = field(default_factory=list)  # one line per bad setting


def config_path(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"),
                                                      ".config")
    return os.path.join(base, "nlshell", "config")


def _printable(text: str) -> str:
    """Text quoted from the file, its control characters escaped (never sent raw)."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _int_in(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not lo <= value <= hi:
            raise ValueError(f"out of range {lo}..{hi}")
        return value
    return parse


def _one_of(*words: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.lower() not in words:
            raise ValueError(f"one of {', '.join(words)}")
        return text.lower()
    return parse


def _boolean(text: str) -> bool:
    low = text.lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    raise ValueError("yes or no")


# [shell] key -> parser (raises ValueError with the reason)
SHELL_KEYS: dict[str, Callable[[str], Any]] = {
    "history_size": _int_in(0, 10_000_000),
    "table_format": _one_of(*TABLE_FORMATS),
    "output": _one_of("table", "ip"),
    "color": _one_of("auto", "always", "never"),
    "complete_while_typing": _boolean,
    "edit_mode": _one_of("emacs", "vi"),
    "toolbar": _boolean,
}


def _check_style(text: str) -> str:
    from prompt_toolkit.styles import Style

    Style.from_dict({"x": text})  # raises ValueError on a bad colour
    return text


def load(path: str | None = None) -> ShellConfig:
    """Read the config file (missing: defaults). Never raises on bad content."""
    cfg = ShellConfig(path=path or config_path())
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=("# ", "; "))
    try:
        # never a FIFO, a device or a link someone else planted (see safefile)
        text = read_regular(cfg.path, MAX_BYTES).decode("utf-8")
        if "\0" in text:
            raise ValueError("it holds binary data (NUL bytes)")
        parser.read_string(text, source=cfg.path)
    except FileNotFoundError:
        return cfg
    except UnicodeDecodeError as exc:
        cfg.problems.append(f"{cfg.path}: cannot read it: not UTF-8 text (byte {exc.start})")
        return cfg
    except (OSError, ValueError, configparser.Error) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else \
            _printable(" ".join(str(exc).split())[:200])
        cfg.problems.append(f"{cfg.path}: cannot read it: {why}")
        return cfg
    for section in parser.sections():
        if section not in ("shell", "colors", "colours"):
            cfg.problems.append(f"{cfg.path}: unknown section [{_printable(section)}] "
                                f"(shell, colors)")
    if parser.has_section("shell"):
        for key, raw in parser.items("shell"):
            conv = SHELL_KEYS.get(key)
            if conv is None:
                cfg.problems.append(f"{cfg.path}: unknown setting {key!r} in [shell] "
                                    f"(one of {', '.join(SHELL_KEYS)})")
                continue
            try:
                setattr(cfg, key, conv(raw.strip()))
            except ValueError as exc:
                cfg.problems.append(f"{cfg.path}: bad {key} {raw.strip()!r}: {exc}")
    for section in ("colors", "colours"):
        if not parser.has_section(section):
            continue
        for key, raw in parser.items(section):
            if key not in DEFAULT_COLORS:
                cfg.problems.append(f"{cfg.path}: unknown colour {key!r} in [{section}]")
                continue
            try:
                cfg.colors[key] = _check_style(raw.strip())
            except (ValueError, AssertionError) as exc:
                cfg.problems.append(f"{cfg.path}: bad style for {key} {raw.strip()!r}: {exc}")
    if len(cfg.problems) > MAX_PROBLEMS:  # a file of garbage: a few lines, not a screenful
        more = len(cfg.problems) - MAX_PROBLEMS + 1
        cfg.problems[MAX_PROBLEMS - 1:] = [f"{cfg.path}: {more} more problems"]
    return cfg
