"""The program's start-up: its core modules loaded straight from their cached bytecode.

Python's import system spends about 60 us (some 290,000 instructions) on every module
before running a line of it: finders, specs, locks, module attributes, all Python code of
importlib. The `nlshell` program imports about 35 of its own modules before the first
command runs, so that fixed cost is about a third of what ``nlshell -c 'link show'`` adds to
the interpreter's own start. `load` reads the modules that every command needs from their
``__pycache__`` files and runs them, in an order where each one's imports are already
loaded, at a quarter of that cost per module; what they import then is found in
``sys.modules``.

Nothing changes but the time: each module gets the attributes the import system gives it
(``__spec__``, ``__loader__``, ``__file__``, ``__cached__``, its parent's attribute). A
module whose bytecode is missing, of another Python, or older than its source (an edited
checkout, ``PYTHONDONTWRITEBYTECODE``) ends the preloading there: it and the rest are
imported the ordinary way when they are first needed. ``CORE`` is kept equal to what the
program really imports by tests/test_preload.py.
"""

from __future__ import annotations

import marshal
import sys

TYPE_CHECKING = False  # typing costs start-up time: checkers only
if TYPE_CHECKING:
    from typing import Any

# the modules every command of the program imports, each after the ones it imports (the
# package itself and this module are imported the ordinary way, by scripts/nlshell)
CORE = (
    "nlshell.commands",
    "nlshell.commands.render",
    "nlshell.commands.render.safe",
    "nlshell.cli",
    "nlshell.commands.record",
    "nlshell.engine",
    "nlshell.engine.names",
    "nlshell.commands.context",
    "nlshell.commands.options",
    "nlshell.commands.runner",
    "nlshell.engine.codec",
    "nlshell.engine.codec.constants",
    "nlshell.commands.slots",
    "nlshell.commands.grammar",
    "nlshell.commands.parser",
    "nlshell.engine.requests",
    "nlshell.engine.codec.errors",
    "nlshell.engine.codec.layout",
    "nlshell.engine.codec.nla",
    "nlshell.engine.codec.views",
    "nlshell.engine.codec.message",
    "nlshell.engine.errors",
    "nlshell.engine.codec.dump",
    "nlshell.engine.socket",
    "nlshell.engine.iproute",
    "nlshell.engine.requests.base",
    "nlshell.commands.show",
    "nlshell.commands.render.names",
    "nlshell.commands.render.context",
)

_HEADER = 16  # magic, flags, source mtime, source size (PEP 552)


def load(names: tuple[str, ...] = CORE) -> int:
    """Load ``names`` (absolute module names, in order) from their cached bytecode; stop at
    the first one that cannot be. Returns how many were loaded here."""
    bootstrap = sys.modules.get("_frozen_importlib_external")
    tag = sys.implementation.cache_tag
    if bootstrap is None or tag is None or sys.flags.optimize:
        return 0
    import os

    magic = bootstrap.MAGIC_NUMBER
    loader_class = bootstrap.SourceFileLoader
    spec_class = sys.modules["_frozen_importlib"].ModuleSpec
    module_class = type(sys)
    modules = sys.modules
    done = 0
    for name in names:
        if name in modules:
            continue
        parent_name, _, short = name.rpartition(".")
        parent = modules.get(parent_name)
        if parent is None or not hasattr(parent, "__path__"):
            break
        base = f"{parent.__path__[0]}/{short}"
        package = os.path.isdir(base)
        source = f"{base}/__init__.py" if package else f"{base}.py"
        cached = (f"{base}/__pycache__/__init__.{tag}.pyc" if package
                  else f"{parent.__path__[0]}/__pycache__/{short}.{tag}.pyc")
        try:
            st = os.stat(source)
            with open(cached, "rb") as fh:
                data = fh.read()
        except OSError:
            break
        if (data[:4] != magic or data[4:8] != b"\0\0\0\0"
                or int.from_bytes(data[8:12], "little") != int(st.st_mtime) & 0xFFFFFFFF
                or int.from_bytes(data[12:16], "little") != st.st_size & 0xFFFFFFFF):
            break
        code = marshal.loads(memoryview(data)[_HEADER:])
        loader = loader_class(name, source)
        spec = spec_class(name, loader, origin=source, is_package=package)
        spec.cached = cached
        spec.has_location = True
        module = module_class(name)
        module.__spec__ = spec
        module.__loader__ = loader
        module.__file__ = source
        module.__cached__ = cached
        module.__package__ = name if package else parent_name
        if package:
            module.__path__ = spec.submodule_search_locations = [base]
        modules[name] = module
        try:
            exec(code, module.__dict__)
        except BaseException:
            del modules[name]
            raise
        setattr(parent, short, modules[name])
        done += 1
    return done


def import_module(name: str) -> Any:
    """The module ``name`` (absolute), loaded from its bytecode as `load` does when it can,
    else imported. For modules loaded by one thread at a time (the grammar's declaration
    modules, under its lock): two threads loading one module here at once could make it
    twice."""
    if name not in sys.modules and not load((name,)):
        __import__(name)
    return sys.modules[name]
