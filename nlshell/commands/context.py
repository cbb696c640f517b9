"""The context a command runs in: the current namespace, its IPRoute, output options.

One ``Context`` lives as long as an nlshell process (a ``-c`` run, a batch, the REPL).
``cd NAME`` switches the current namespace; each namespace's IPRoute is opened once and
reused. Handlers read ``ctx.ipr`` for requests, ``ctx.opts`` for output options, and
write with ``ctx.out`` / ``ctx.emit``.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from dataclasses import dataclass, field
from typing import IO, Any

# exit codes, as ip's
EXIT_OK = 0
EXIT_USAGE = 1  # syntax, usage and lookup errors
EXIT_KERNEL = 2  # the kernel refused


class CommandError(Exception):
    """A usage or lookup error found by a handler (exit code 1): one line, naming the word."""

    exit_code = EXIT_USAGE


@dataclass
class Options:
    """Output and behaviour options (from the command line or a leading option in the REPL)."""

    json: bool = False
    pretty: bool = False
    brief: bool = False
    stats: int = 0
    details: bool = False
    family: int | None = None  # AF_INET / AF_INET6 / None
    color: bool = False
    force: bool = False
    check: bool = False  # parse only, apply nothing
    timestamp: bool = False
    table_format: str = "simple"  # human tables; the shell's config file may choose another
    extra: dict = field(default_factory=dict)

    def with_family(self, family: int | None) -> Options:
        if family is None:
            return self
        clone = Options(**{k: getattr(self, k) for k in self.__dataclass_fields__})
        clone.family = family
        return clone


ROOT = "/"


class Context:
    """The current namespace and the open IPRoute of every namespace visited."""

    def __init__(self, netns: str | None = None, opts: Options | None = None,
                 out: IO[str] | None = None, err: IO[str] | None = None) -> None:
        self.opts = opts or Options()
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self._iprs: dict[str, Any] = {}
        self._caches: dict[str, Any] = {}
        self.current = ROOT
        self.previous = ROOT
        self.use_cache = False  # the REPL turns this on: lookups read the live cache
        # set by the front end: ``fn(argv) -> status`` runs the watch panes (shell layer)
        self.watch_main: Any = None
        self._memo: dict[str, int] = {}  # name -> index, kept while a batch adds in bulk
        if netns is not None:
            self.cd(netns)

    # --- namespaces -----------------------------------------------------------------

    @property
    def netns(self) -> str | None:
        """The current namespace's name, None for the one nlshell started in."""
        return None if self.current == ROOT else self.current

    def cd(self, name: str | None) -> str:
        """Enter a namespace ('/' or None: back to the start, '-': the previous one).
        A missing namespace is an error that creates nothing."""
        if name in (None, "", ROOT):
            target = ROOT
        elif name == "-":
            target = self.previous
        else:
            target = name
        if target != ROOT:
            self._open(target)  # raises CommandError when it does not exist
        if target != self.current:
            self.previous, self.current = self.current, target
            self._memo.clear()
        return self.current

    def _open(self, name: str) -> Any:
        ipr = self._iprs.get(name)
        if ipr is None:
            from nlshell.engine import netns
            from nlshell.engine.iproute import IPRoute

            try:
                netns.validate_name(name)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            try:
                ipr = IPRoute(netns=name)
            except FileNotFoundError:
                raise CommandError(f'network namespace "{name}" does not exist') from None
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self._iprs[name] = ipr
        return ipr

    @property
    def ipr(self) -> Any:
        """IPRoute of the current namespace (opened on first use)."""
        key = self.current
        ipr = self._iprs.get(key)
        if ipr is None:
            if key == ROOT:
                from nlshell.engine.iproute import IPRoute

                ipr = self._iprs[key] = IPRoute()
            else:
                ipr = self._open(key)
        return ipr

    def forget(self, name: str) -> None:
        """Close what was open in a namespace that went away; leave it if current."""
        ipr = self._iprs.pop(name, None)
        if ipr is not None:
            ipr.close()
        cache = self._caches.pop(name, None)
        if cache is not None:
            cache.close()
        if self.current == name:
            self.current = ROOT
        if self.previous == name:
            self.previous = ROOT

    def close(self) -> None:
        for ipr in self._iprs.values():
            ipr.close()
        for cache in self._caches.values():
            cache.close()
        self._iprs.clear()
        self._caches.clear()

    # --- live cache (REPL) ----------------------------------------------------------

    @property
    def cache(self) -> Any:
        """The current namespace's live Cache, or None when not in cache mode."""
        if not self.use_cache:
            return None
        key = self.current
        cache = self._caches.get(key)
        if cache is None:
            from nlshell.engine.cache import Cache

            cache = Cache(netns=self.netns)
            cache.__enter__()
            self._caches[key] = cache
        return cache

    # --- lookups --------------------------------------------------------------------

    def links(self) -> list[Any]:
        cache = self.cache
        return cache.links() if cache is not None else self.ipr.get_links()

    def forget_names(self) -> None:
        """Drop remembered name -> index answers (after anything that may change links)."""
        self._memo.clear()

    def ifindex(self, name: str | int) -> int:
        """A device name (or index) -> its index; error naming it when missing."""
        if isinstance(name, int):
            return name
        memo = self._memo.get(name)
        if memo is not None:
            return memo
        cache = self.cache
        if cache is not None:
            msg = cache.link(name)
            if msg is not None:
                return msg["index"]
        # not cached (or not yet: the event of a link made a moment ago may still be on
        # its way): ask the kernel
        found = self.ipr.link_lookup(ifname=name)
        if not found and name.isdigit() and int(name) <= 0x7FFFFFFF:
            # digits are a name first (a device may be called "123"), then an index
            found = self._index_if_present(int(name))
        if found:
            self._memo[name] = found[0]
            return found[0]
        raise CommandError(f'Cannot find device "{name}"')

    def _index_if_present(self, index: int) -> list[int]:
        cache = self.cache
        if cache is not None and cache.link(index) is not None:
            return [index]
        from nlshell.engine.errors import NetlinkError

        try:
            return [m["index"] for m in self.ipr.get_links(index)]
        except NetlinkError:
            return []

    # --- output ---------------------------------------------------------------------

    def write(self, text: str) -> None:
        if text:
            self.out.write(text if text.endswith("\n") else text + "\n")

    def emit(self, obj: Any) -> None:
        """JSON output, pretty with -p, compact like ip -j otherwise."""
        if self.opts.pretty:
            self.out.write(json.dumps(obj, indent=4) + "\n")
        else:
            self.out.write(json.dumps(obj, separators=(",", ":")) + "\n")

    def warn(self, text: str) -> None:
        self.err.write(text.rstrip("\n") + "\n")


def kernel_message(exc: Exception) -> str:
    """The one line shown for a kernel error: the kernel's own words, plus the capability
    hint when the refusal is about permissions."""
    code = getattr(exc, "code", None)
    text = getattr(exc, "msg", None) or str(exc)
    if code in (errno.EPERM, errno.EACCES):
        return f"RTNETLINK answers: {text} (this operation needs CAP_NET_ADMIN)"
    return f"RTNETLINK answers: {text}"


def color_default(stream: IO[str], setting: str = "auto") -> bool:
    """--color=auto|always|never; NO_COLOR (any value) turns auto off."""
    if setting == "always":
        return True
    if setting == "never":
        return False
    if os.environ.get("NO_COLOR") is not None:
        return False
    return hasattr(stream, "isatty") and stream.isatty() and os.environ.get("TERM") != "dumb"
