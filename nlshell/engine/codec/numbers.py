"""Attribute numbers by name, read from the codec's attribute tables (never typed twice).

``attr_number('IFLA_IFNAME') -> 3``; ``ATTR_NUMBERS`` is the whole mapping. Every table the
message tables reach is included (nested blocks, per-kind data, nexthops, metrics). A name
is unique to one number across the tables (a test keeps it so).
"""

from __future__ import annotations

from typing import Any

from .message import MESSAGE_TYPES
from .views import Table


def _tables_of(kind: Any) -> list[Table]:
    """The attribute tables a composite kind reads through."""
    out: list[Table] = []
    table = getattr(kind, "table", None)
    if isinstance(table, Table):
        out.append(table)
    for sub in getattr(kind, "by_family", {}).values():  # link IFLA_AF_SPEC by family
        out.extend(_tables_of(sub))
    for sub in getattr(kind, "tables", {}).values():  # IFLA_INFO_DATA by kind
        out.extend(_tables_of(sub))
    return out


def _collect() -> tuple[dict[str, int], dict[str, set[int]]]:
    numbers: dict[str, set[int]] = {}
    seen: set[int] = set()
    todo = [table for _cls, _spec, table in MESSAGE_TYPES.values()]
    while todo:
        table = todo.pop()
        if id(table) in seen:
            continue
        seen.add(id(table))
        for number, (name, kind) in table.rows.items():
            numbers.setdefault(name, set()).add(number)
            todo.extend(_tables_of(kind))
    unique = {name: next(iter(nums)) for name, nums in numbers.items() if len(nums) == 1}
    clashes = {name: nums for name, nums in numbers.items() if len(nums) > 1}
    return unique, clashes


ATTR_NUMBERS, CLASHES = _collect()


def attr_number(name: str) -> int:
    """The number of attribute ``name`` (full name, e.g. 'RTA_GATEWAY'); KeyError naming it."""
    try:
        return ATTR_NUMBERS[name]
    except KeyError:
        raise KeyError(f"no attribute named {name!r} in the codec's tables") from None


__all__ = ["ATTR_NUMBERS", "attr_number"]
