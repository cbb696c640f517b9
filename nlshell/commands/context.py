"""The context a command runs in: the current namespace, its IPRoute, output options.

One ``Context`` lives as long as an nlshell process (a ``-c`` run, a batch, the REPL).
``cd NAME`` switches the current namespace; each namespace's IPRoute is opened once and
reused. Handlers read ``ctx.ipr`` for requests, ``ctx.opts`` for output options, and
write with ``ctx.out`` / ``ctx.emit``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from nlshell.commands.render.safe import printable_text, quoted  # noqa: F401 (commands import them here)
from nlshell.engine.names import index_of

# exit codes, as ip's (measured side by side with ip 6.1: see the README's "Exit status")
EXIT_OK = 0
EXIT_LOOKUP = 1  # a lookup failed (no such device), an address or object ip cannot read
EXIT_KERNEL = 2  # the kernel refused
EXIT_USAGE = 255  # syntax and usage: a bad option, an unknown word, a bad value (ip's exit(-1))


class CommandError(Exception):
    """A lookup error found by a handler (exit code 1, as ip's "Cannot find device"): one
    line, naming the word. A usage error found by a handler is `CommandUsageError`."""

    exit_code = EXIT_LOOKUP


class NoSuchDevice(CommandError):
    """A device name that names no device (`Context.ifindex`); ``name`` is the name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Cannot find device {quoted(name)}")
        self.name = name


# ip's words for a missing device differ by command: the listings of links and addresses
# (and address flush) say this; every other command says "Cannot find device "X"".
DEVICE_MISSING_WORDS: dict[tuple[str, ...], str] = {
    ("link", "show"): 'Device {name} does not exist.',
    ("address", "show"): 'Device {name} does not exist.',
    ("address", "flush"): 'Device {name} does not exist.',
}


class CommandUsageError(CommandError):
    """A usage error a handler finds (a value or a combination ip refuses with its usage
    status): exit code 255."""

    exit_code = EXIT_USAGE


def _entry_refused(name: str, exc: OSError) -> CommandError:
    """The one line for a namespace that exists but cannot be entered (exit code 1, as
    for a namespace that does not exist: the command was not sent)."""
    return CommandError(_cannot_enter(name, exc))


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
    # ip's text output and the options that shape it (issue 12)
    output: str = "table"  # 'table' (nlshell's human tables) or 'ip' (ip's own text)
    oneline: bool = False  # -o: one record per line, '\\' for the line breaks
    human: bool = False  # -h: sizes and rates with K/M/G suffixes
    iec: bool = False  # -iec: with -h, powers of 1024 (Ki, Mi)
    tshort: bool = False  # -ts: short timestamps
    resolve: bool = False  # -r: addresses as DNS names
    numeric: bool = False  # -N: numbers instead of names (protocols, scopes, tables)
    all_ns: bool = False  # -a: every namespace (netns exec/delete)
    echo: bool = False  # -echo: print what the kernel made
    loops: int = 10  # -l: flush rounds
    rcvbuf: int = 0  # -rc: socket receive buffer (0: the engine's default)
    extra: dict = field(default_factory=dict)

    def with_family(self, family: int | None) -> Options:
        if family is None:
            return self
        clone = Options(**{k: getattr(self, k) for k in self.__dataclass_fields__})
        clone.family = family
        return clone


ROOT = "/"
MAX_OPEN = 8  # namespaces kept open at once (the current and previous ones always are)


def _cannot_enter(name: str, exc: OSError) -> str:
    return (f"cannot enter network namespace {quoted(name)}: {os.strerror(exc.errno or 1)} "
            "(this needs CAP_SYS_ADMIN)")


def removed_message(name: str) -> str:
    return f"namespace {quoted(name)} was removed; cd / or cd NAME"


@dataclass
class _Opened:
    """What is open in one namespace: its identity when opened, its IPRoute and Cache."""

    key: tuple[int, int] | None  # nsfs (st_dev, st_ino); None for the start namespace
    ipr: Any = None
    cache: Any = None

    def close(self) -> None:
        ipr, cache, self.ipr, self.cache = self.ipr, self.cache, None, None
        if ipr is not None:
            ipr.close()
        if cache is not None:
            cache.close()


class Context:
    """The current namespace and the open IPRoute of the namespaces visited lately.

    Namespaces are checked before each command uses them: a named namespace whose file was
    removed (or now names another namespace) since it was entered fails every command with
    one line, and the context stays "in" it until ``cd``, as a shell stays in a removed
    directory: nothing ever runs in the namespace nlshell started in instead. At most
    `MAX_OPEN` namespaces stay open; the least recently entered ones are closed (and
    reopened, checked, if entered again).
    """

    def __init__(self, netns: str | None = None, opts: Options | None = None,
                 out: IO[str] | None = None, err: IO[str] | None = None) -> None:
        self.opts = opts or Options()
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self._open_ns: OrderedDict[str, _Opened] = OrderedDict()  # least recent first
        self._removed: set[str] = set()  # entered, then removed under us (until cd)
        self._checked: str | None = None  # the namespace checked for this command
        self.current = ROOT
        self.previous = ROOT
        self.use_cache = False  # the REPL turns this on: lookups read the live cache
        # set by the front end: ``fn(argv) -> status`` runs the watch panes (shell layer)
        self.watch_main: Any = None
        self._memo: dict[str, int] = {}  # name -> index, kept while a batch adds in bulk
        # the shell's transaction (commands/transaction.py): open in `current` from `begin`
        # to `commit`/`rollback` (or a confirmed timer); `cd` elsewhere is refused meanwhile
        self.transaction: Any = None
        self.interactive = False  # the shell sets it: begin/commit/rollback work there only
        # set by the shell: ``fn(line)`` prints a line that arrives between commands (a
        # rollback timer that fired); None: stderr
        self.notice: Any = None
        if netns is not None:
            self.cd(netns)

    # --- namespaces -----------------------------------------------------------------

    @property
    def netns(self) -> str | None:
        """The current namespace's name, None for the one nlshell started in."""
        return None if self.current == ROOT else self.current

    def cd(self, name: str | None) -> str:
        """Enter a namespace ('/' or None: back to the start, '-': the previous one).
        A missing namespace is an error that creates nothing. Entering a name again
        reopens it if what was open there was removed (or the name now holds another)."""
        if name in (None, "", ROOT):
            target = ROOT
        elif name == "-":
            target = self.previous
        else:
            target = name
        tx = self.transaction
        if tx is not None and target != self.current:
            raise CommandError(f"a transaction is open in {self.current}: commit or rollback "
                               "before entering another namespace")
        self._checked = None
        if target != ROOT:
            opened = self._open_ns.get(target)
            if opened is not None and not self._same(target, opened):
                self._close(target)
            self._opened(target)  # raises CommandError when it does not exist
            self._removed.discard(target)
        if target != self.current:
            self.previous, self.current = self.current, target
            self._memo.clear()
        self._evict()
        return self.current

    def open_names(self) -> list[str]:
        """The namespaces open now, least recently entered first."""
        return list(self._open_ns)

    def check(self) -> None:
        """Raise CommandError when the current namespace was removed since it was entered.
        One stat per command: the answer holds until `forget_names` (which the runner calls
        around every command) or `cd`."""
        name = self.current
        if name == ROOT or self._checked == name:
            return
        if name in self._removed:
            raise CommandError(removed_message(name))
        opened = self._open_ns.get(name)
        if opened is not None and not self._same(name, opened):
            self._close(name)
            self._removed.add(name)
            raise CommandError(removed_message(name))
        self._checked = name

    def alive(self, name: str) -> bool:
        """Whether an open namespace is still the one that was entered (True if not open)."""
        opened = self._open_ns.get(name)
        return name not in self._removed and (opened is None or self._same(name, opened))

    @staticmethod
    def _same(name: str, opened: _Opened) -> bool:
        from nlshell.engine.netns import ns_path

        try:
            st = os.stat(ns_path(name))
        except (OSError, ValueError):
            return False
        return (st.st_dev, st.st_ino) == opened.key

    def _opened(self, name: str) -> _Opened:
        """What is open in `name`, opening it (by an fd, so the identity recorded is the
        one used) when it is not."""
        opened = self._open_ns.get(name)
        if opened is not None:
            self._open_ns.move_to_end(name)
            return opened
        if name == ROOT:
            from nlshell.engine.iproute import IPRoute

            opened = _Opened(None, IPRoute(**self._socket_args()))
        else:
            with self._ns_fd(name) as fd:
                from nlshell.engine.iproute import IPRoute

                st = os.fstat(fd)
                opened = _Opened((st.st_dev, st.st_ino), IPRoute(netns=fd,
                                                                 **self._socket_args()))
        self._open_ns[name] = opened
        return opened

    def _socket_args(self) -> dict[str, Any]:
        """-rcvbuf N: the receive buffer of the sockets opened from now on (else the
        engine's default)."""
        return {"rcvbuf": self.opts.rcvbuf} if self.opts.rcvbuf else {}

    @contextlib.contextmanager
    def _ns_fd(self, name: str) -> Iterator[int]:
        from nlshell.engine import netns

        try:
            netns.validate_name(name)
            fd = netns.open_ns_fd(name)
        except FileNotFoundError:
            raise CommandError(f"network namespace {quoted(name)} does not exist") from None
        except (ValueError, TypeError) as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:  # EPERM, EACCES (another user namespace's), ELOOP...
            raise _entry_refused(name, exc) from None
        try:
            yield fd
        except OSError as exc:  # setns refused (EPERM without CAP_SYS_ADMIN), or the like
            raise _entry_refused(name, exc) from None
        finally:
            os.close(fd)

    def _evict(self) -> None:
        """Close the least recently entered namespaces beyond MAX_OPEN."""
        keep = {self.current, self.previous}
        for name in list(self._open_ns):
            if len(self._open_ns) <= MAX_OPEN:
                break
            if name not in keep:
                self._close(name)

    def _close(self, name: str) -> None:
        opened = self._open_ns.pop(name, None)
        if opened is not None:
            opened.close()

    @property
    def ipr(self) -> Any:
        """IPRoute of the current namespace (opened on first use; checked, see `check`)."""
        self.check()
        opened = self._open_ns.get(self.current)
        if opened is None or opened.ipr is None:
            opened = self._opened(self.current)
        return opened.ipr

    def forget(self, name: str) -> None:
        """Close what was open in a namespace that went away. If it is the current one,
        the context stays in it and its commands fail until ``cd`` (see the class); if it
        is the previous one, ``cd -`` enters that name again or fails (never "/" instead)."""
        self._close(name)
        if name != ROOT and self.current == name:
            self._removed.add(name)
            self._checked = None

    def ns_fd(self) -> int:
        """A new fd (close-on-exec) of the current namespace, checked to be the one that
        was entered (the caller closes it)."""
        self.check()
        name = self.current
        if name == ROOT:
            return os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        with self._ns_fd(name) as fd:
            st = os.fstat(fd)
            opened = self._open_ns.get(name) or self._opened(name)
            if (st.st_dev, st.st_ino) != opened.key:
                raise CommandError(removed_message(name))
            return os.dup(fd)

    def close(self) -> None:
        for name in list(self._open_ns):
            self._close(name)

    # --- live cache (REPL) ----------------------------------------------------------

    @property
    def cache(self) -> Any:
        """The current namespace's live Cache, or None when not in cache mode."""
        if not self.use_cache:
            return None
        self.check()
        name = self.current
        opened = self._open_ns.get(name) or self._opened(name)
        if opened.cache is None:
            from nlshell.engine.cache import Cache

            if name == ROOT:
                cache = Cache()
            else:
                with self._ns_fd(name) as fd:
                    st = os.fstat(fd)
                    if (st.st_dev, st.st_ino) != opened.key:  # replaced just now
                        self._close(name)
                        self._removed.add(name)
                        raise CommandError(removed_message(name))
                    cache = Cache(netns=fd)
            cache.__enter__()
            opened.cache = cache
        return opened.cache

    # --- lookups --------------------------------------------------------------------

    def links(self) -> list[Any]:
        cache = self.cache
        return cache.links() if cache is not None else self.ipr.get_links()

    def forget_names(self) -> None:
        """Drop what was found out for the command before: name -> index answers (links
        may have changed) and the namespace check (it may have been removed)."""
        self._memo.clear()
        self._checked = None

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
        if not found:
            # digits are a name first (a device may be called "123"), then an index;
            # ASCII digits only (the one rule): '３' and '٣' are names, never index 3
            index = index_of(name)
            if index is not None:
                found = self._index_if_present(index)
        if found:
            self._memo[name] = found[0]
            return found[0]
        raise NoSuchDevice(name)

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
        import json  # here, not at the top: only -j needs it (start-up time)

        if self.opts.pretty:
            self.out.write(json.dumps(obj, indent=4) + "\n")
        else:
            self.out.write(json.dumps(obj, separators=(",", ":")) + "\n")

    def warn(self, text: str) -> None:
        """One line on stderr; control characters (a path may hold them) escaped."""
        self.err.write(printable_text(text.rstrip("\n")) + "\n")


def kernel_message(exc: Exception) -> str:
    """The one line shown for a kernel error, worded as ip words it: ``Error: TEXT.`` when
    the kernel explained itself (extended ack; a final full stop added unless it has one),
    else ``RTNETLINK answers: STRERROR``; plus the capability a refusal for lack of
    privilege needs."""
    code = getattr(exc, "code", None)
    extack = getattr(exc, "extack", None)
    if extack:
        line = f"Error: {extack}" + ("" if extack.endswith(".") else ".")
    else:
        text = getattr(exc, "msg", None) or str(exc)
        line = f"RTNETLINK answers: {text}"
    if code in (errno.EPERM, errno.EACCES):
        line += " (this operation needs CAP_NET_ADMIN)"
    return line


def color_default(stream: IO[str], setting: str = "auto") -> bool:
    """--color=auto|always|never; NO_COLOR (any value) turns auto off."""
    if setting == "always":
        return True
    if setting == "never":
        return False
    if os.environ.get("NO_COLOR") is not None:
        return False
    return hasattr(stream, "isatty") and stream.isatty() and os.environ.get("TERM") != "dumb"
