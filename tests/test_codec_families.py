"""The codec's message families (link, addr, route, tc, ...) load on first use of one of
their types (start-up time: `link show` needs the link family alone). Loaded or not, the
tables answer as if every family were there; a family module that cannot be imported is an
error, never a quiet raw message."""

from __future__ import annotations

import struct
import subprocess
import sys

import pytest

from nlshell.engine.codec import constants as C
from nlshell.engine.codec import dump, message


def _run(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


# the family modules imported, by name
FAMILIES = ("sorted(n for n in C.FAMILY_TYPES if 'nlshell.engine.codec.' + n in sys.modules)")


def test_the_codec_loads_no_family_until_asked() -> None:
    code = ("import sys\n"
            "from nlshell.engine.codec import constants as C, dump, message\n"
            f"print({FAMILIES})\n"
            "message.encode(C.RTM_GETLINK, fields={})\n"
            f"print({FAMILIES})\n")
    assert _run(code).splitlines() == ["[]", "['link']"]


@pytest.mark.parametrize("parse", ["message.parse", "dump.lean_parse"])
def test_a_message_of_an_unloaded_family_is_read_with_its_table(parse: str) -> None:
    data = message.encode(C.RTM_NEWADDR, fields={"family": C.AF_INET, "prefixlen": 24,
                                                  "index": 3}, attrs=[("IFA_LABEL", "b0")])
    code = ("import sys\n"
            "from nlshell.engine.codec import constants as C, dump, message\n"
            f"m = {parse}({data!r})[0]\n"
            "print(type(m).__name__, m['prefixlen'], m.get('IFA_LABEL'))\n"
            f"print({FAMILIES})\n")
    lean = parse == "dump.lean_parse"
    assert _run(code).splitlines() == [
        f"{'Lean_RTM_NEWADDR' if lean else 'Message'} 24 b0", "['addr']"]


def test_the_tables_hold_every_family() -> None:
    message.load_all_families()
    every = {t for types in C.FAMILY_TYPES.values() for t in types}
    assert set(message.MESSAGE_TYPES) == every | {C.NLMSG_ERROR, C.NLMSG_DONE}
    assert set(message.SCHEMAS) == set(dump.LEAN_CLASSES) == every
    for name, types in C.FAMILY_TYPES.items():
        mod = sys.modules[f"nlshell.engine.codec.{name}"]
        assert mod.TYPES == types
        for t in types:
            assert message.MESSAGE_TYPES[t] == (message.Message, mod.HEADER, mod.ATTRS)
            assert message.SCHEMAS[t].spec is mod.HEADER
            assert dump.LEAN_CLASSES[t].type == t
            assert dump.LEAN_CLASSES.get(t) is dump.lean_class(t) is dump.LEAN_CLASSES[t]


def test_the_lazy_tables_answer_like_dicts() -> None:
    assert C.RTM_NEWLINK in message.MESSAGE_TYPES and C.NLMSG_ERROR in message.MESSAGE_TYPES
    assert C.NLMSG_NOOP not in message.MESSAGE_TYPES and 999 not in message.SCHEMAS
    assert C.NLMSG_ERROR not in dump.LEAN_CLASSES
    with pytest.raises(KeyError):
        message.MESSAGE_TYPES[999]
    assert message.MESSAGE_TYPES.get(999) is None and not message.load_family(999)
    assert len(message.MESSAGE_TYPES) == len(dict(message.MESSAGE_TYPES.items()))


def test_a_family_that_cannot_load_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(message.FAMILY_OF, 9999, "no_such_family")
    with pytest.raises(ModuleNotFoundError, match="no_such_family"):
        message.MESSAGE_TYPES[9999]
    raw = struct.pack("=IHHII", 20, 9999, 0, 0, 0) + bytes(4)
    with pytest.raises(ModuleNotFoundError):
        message.parse(raw)
    with pytest.raises(ModuleNotFoundError):
        dump.lean_parse(raw)
