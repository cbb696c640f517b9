"""nlshell run by a test.

- `nl` / `ok` / `nlj` / `nl_batch` / `captured`: nlshell command lines run in-process in a
  namespace, output captured;
- `run_nlshell` / `nlshell_env` / `nlshell_argv`: nlshell as a child process of this checkout.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

# this checkout (tests/support/ is two levels down)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# -- nlshell run in-process ---------------------------------------------------------------


class Result(NamedTuple):
    """What nlshell lines did: exit status, stdout, stderr (compares equal to a tuple)."""

    code: int
    out: str
    err: str


class Captured:
    """A Context (inside `ns`, or where the test runs when None) whose output and errors go
    to strings, and a Runner on it."""

    def __init__(self, ns: str | None, **opts: Any) -> None:
        from nlshell.commands.context import Context, Options
        from nlshell.commands.runner import Runner

        self.out, self.err = io.StringIO(), io.StringIO()
        self.ctx = Context(netns=ns, opts=Options(**opts), out=self.out, err=self.err)
        self.runner = Runner(self.ctx)

    def result(self, code: int | None = None) -> Result:
        """(`code`, or the runner's status when None; stdout; stderr) so far."""
        status = self.runner.status if code is None else code
        return Result(status, self.out.getvalue(), self.err.getvalue())


@contextlib.contextmanager
def captured(ns: str | None, **opts: Any) -> Iterator[Captured]:
    """`Captured(ns, **opts)` (opts: Options fields), its Context closed afterwards."""
    cap = Captured(ns, **opts)
    try:
        yield cap
    finally:
        cap.ctx.close()


def nl(ns: str | None, *lines: str, **opts: Any) -> Result:
    """Run command lines one by one in-process (inside `ns` when given); the runner's
    final status, stdout and stderr."""
    with captured(ns, **opts) as cap:
        for line in lines:
            cap.runner.run_line(line)
    return cap.result()


def ok(ns: str | None, *lines: str, **opts: Any) -> str:
    """`nl(...)` that must succeed silently on stderr; its stdout."""
    res = nl(ns, *lines, **opts)
    assert (res.code, res.err) == (0, ""), f"{lines!r}: {res}"
    return res.out


def nlj(ns: str | None, line: str) -> Any:
    """The parsed JSON of `-j LINE` run in-process."""
    return json.loads(ok(ns, line, json=True))


def nl_batch(ns: str | None, text: str, source: str = "b", **opts: Any) -> Result:
    """Run `text` as a batch file named `source` in-process (Runner.run_lines)."""
    from nlshell.commands.runner import logical_lines

    with captured(ns, **opts) as cap:
        code = cap.runner.run_lines(logical_lines(io.StringIO(text), source))
    return cap.result(code)


# -- nlshell as a child process -----------------------------------------------------------


def nlshell_env(**extra: str) -> dict[str, str]:
    """This environment with the checkout first on PYTHONPATH (children import its nlshell),
    plus `extra`."""
    path = os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


def nlshell_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "nlshell", *args]


def run_nlshell(*args: str, input: str = "", env: dict[str, str] | None = None,
                wrapper: Sequence[str] = ()) -> subprocess.CompletedProcess:
    """Run `python -m nlshell ARGS` (after `wrapper`, e.g. `ip netns exec NS ...`) to the
    end: text stdout/stderr captured, `input` on stdin."""
    return subprocess.run([*wrapper, *nlshell_argv(*args)], capture_output=True, text=True,
                          input=input, timeout=60, env=nlshell_env() if env is None else env)
