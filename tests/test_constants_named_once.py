"""Netlink numbers are named once, in the codec (constants.py or its attribute tables).

Scans every module of nlshell/ outside engine/codec/ for a definition of a netlink number: an
assignment of an integer expression (``AF_PACKET = 17``, ``NTF_PROXY, NTF_ROUTER = 0x08, 0x80``,
``RTMGRP_LINK = 1 << 0``) to a name with a netlink prefix, at module level, in a class or in a
function. Names must come from ``nlshell.engine.codec.constants`` (or ``codec.numbers``
for attribute numbers) instead.
"""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "nlshell"
CODEC = ROOT / "engine" / "codec"

PREFIXES = ("AF_", "RTM_", "RTN_", "RTNLGRP_", "RTMGRP_", "IFLA_", "IFA_", "RTA_", "NDA_",
            "FRA_", "FR_ACT_", "NLM_", "NLMSG_", "NTF_", "NUD_", "FIB_RULE_", "RTAX_",
            "RT_SCOPE_", "RTPROT_", "RT_TABLE_", "IFF_", "TCA_", "NLA_", "NETLINK_",
            "SOL_NETLINK", "RTNH_", "RTEXT_", "NETNSA_", "NDTPA_", "NHA_", "ARPHRD_")

# Files outside this branch's ownership that still define such numbers; their owners are
# sweeping them at the same time. The lead empties this after merging.
PENDING: set[str] = set()


def _is_number(node: ast.AST) -> bool:
    """An integer literal, or arithmetic/bit operations on integer literals only."""
    if isinstance(node, ast.Constant):
        return type(node.value) is int
    if isinstance(node, ast.UnaryOp):
        return _is_number(node.operand)
    if isinstance(node, ast.BinOp):
        return _is_number(node.left) and _is_number(node.right)
    return False


def _netlink(name: str) -> bool:
    return name.lstrip("_").startswith(PREFIXES)


def _targets(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """(name, value) pairs an assignment binds to integer expressions."""
    if isinstance(node, ast.Assign):
        pairs = []
        for target in node.targets:
            if isinstance(target, ast.Name):
                pairs.append((target.id, node.value))
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                pairs += [(t.id, v) for t, v in zip(target.elts, node.value.elts, strict=False)
                          if isinstance(t, ast.Name)]
        return pairs
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
        return [(node.target.id, node.value)]
    return []


def definitions(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        for name, value in _targets(node):
            if _netlink(name) and _is_number(value):
                out.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    return out


def outside_codec() -> list[pathlib.Path]:
    return sorted(p for p in ROOT.rglob("*.py") if CODEC not in p.parents)


def test_no_netlink_number_defined_outside_the_codec() -> None:
    found = [d for p in outside_codec() if str(p.relative_to(ROOT)) not in PENDING
             for d in definitions(p)]
    assert not found, "netlink numbers defined outside engine/codec:\n" + "\n".join(found)


def test_pending_files_exist() -> None:
    # a stale entry would hide a new definition in a file of that name later
    missing = [f for f in PENDING if not (ROOT / f).exists()]
    assert not missing, missing


def test_the_scanner_finds_definitions(tmp_path: pathlib.Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("AF_PACKET = 17\nNTF_PROXY, X = 0x08, 1\nRTMGRP_LINK = 1 << 0\n"
                      "def f():\n    RTM_NEWROUTE = 24\nRTA_DST = C.RTA_DST\nIFF_UP: int = 1\n")
    global ROOT
    old, ROOT = ROOT, tmp_path
    try:
        names = [d.split(": ")[1] for d in definitions(sample)]
    finally:
        ROOT = old
    assert names == ["AF_PACKET", "NTF_PROXY", "RTMGRP_LINK", "IFF_UP", "RTM_NEWROUTE"] or \
        sorted(names) == sorted(["AF_PACKET", "NTF_PROXY", "RTMGRP_LINK", "RTM_NEWROUTE",
                                 "IFF_UP"])


def test_constants_agree_with_the_tables() -> None:
    # a name both in constants.py and in an attribute table (RTAX_*, NLMSGERR_ATTR_*...)
    # has one number
    from nlshell.engine.codec import constants as C
    from nlshell.engine.codec.numbers import ATTR_NUMBERS, CLASHES

    assert not CLASHES
    differ = {n: (getattr(C, n), ATTR_NUMBERS[n]) for n in dir(C)
              if n in ATTR_NUMBERS and getattr(C, n) != ATTR_NUMBERS[n]}
    assert not differ
    assert ATTR_NUMBERS["IFLA_IFNAME"] == 3 and ATTR_NUMBERS["RTA_MULTIPATH"] == 9


def test_message_names_are_the_constants() -> None:
    from nlshell.engine.codec import constants as C

    for number, name in C.MESSAGE_NAMES.items():
        assert getattr(C, name) == number
