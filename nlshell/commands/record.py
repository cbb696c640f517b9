"""`Record`: the little of a dataclass the command layer uses, as a plain base class.

`nlshell -c 'link show'` must start fast: the dataclasses module (with inspect, ast, dis and
tokenize under it) and the code it generates for each class at import time cost more than
the interpreter's own start. The classes of the start-up path write their ``__init__`` by
hand and name their fields in ``FIELDS``; this base reads ``FIELDS`` for the repr, equality
and `replace`, the way a dataclass does.
"""

from __future__ import annotations

from _operator import itemgetter  # the C module: `operator` is a Python module on top

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Record:
    """Fields listed in ``FIELDS`` (in ``__init__`` order): a repr showing them and a copy
    with some of them changed. Equality stays identity (a dataclass's ``eq=False``)."""

    FIELDS: tuple[str, ...] = ()

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{type(self).__qualname__}({inner})"

    def fields(self) -> dict[str, Any]:
        """{field: value}, in ``FIELDS`` order."""
        return {name: getattr(self, name) for name in self.FIELDS}

    def replace(self, **changes: Any) -> Any:
        """A new instance with `changes` (an unknown name is a TypeError, as in __init__)."""
        return type(self)(**{**self.fields(), **changes})


class EqRecord(Record):
    """A `Record` compared by its fields, mutable and so unhashable (a dataclass's
    ``eq=True``)."""

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self.astuple() == other.astuple()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def astuple(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.FIELDS)


class ValueRecord(EqRecord):
    """An `EqRecord` that is read-only and hashed by its fields (``frozen=True``)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(self.astuple())


def tuple_record(name: str, fields: tuple[str, ...], defaults: tuple[Any, ...] = ()) -> type:
    """A tuple class with named fields (what `typing.NamedTuple` makes, without importing
    typing and collections, nor compiling code at import): ``cls(*values, **by_name)``, the
    fields as read-only properties, a repr with the names, ``_fields`` and ``_replace``.
    `defaults` are those of the last fields."""
    count = len(fields)
    index = {field: i for i, field in enumerate(fields)}
    # each field's value when it is not given: its default, or _MISSING (required)
    unset = (_MISSING,) * (count - len(defaults)) + tuple(defaults)

    def __new__(cls: type, *args: Any, **named: Any) -> Any:
        given = len(args)
        if given > count:
            raise TypeError(f"{name}() takes {count} values, {given} given")
        if named or given < count:
            values = [*args, *unset[given:]]
            for key, value in named.items():
                i = index.get(key)
                if i is None:
                    raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")
                if i < given:
                    raise TypeError(f"{name}() got multiple values for argument {key!r}")
                values[i] = value
            if _MISSING in values:  # (a scan in C; which one, only then: start-up time)
                missing = [f for f, v in zip(fields, values, strict=True) if v is _MISSING]
                if missing:
                    raise TypeError(f"{name}() missing argument {missing[0]!r}")
            args = tuple(values)
        return tuple.__new__(cls, args)

    def __repr__(self: tuple) -> str:
        inner = ", ".join(f"{field}={value!r}" for field, value in zip(fields, self, strict=True))
        return f"{type(self).__name__}({inner})"

    def _replace(self: tuple, **changes: Any) -> Any:
        return type(self)(**{**dict(zip(fields, self, strict=True)), **changes})

    namespace: dict[str, Any] = {"__slots__": (), "__new__": __new__, "__repr__": __repr__,
                                 "_fields": fields, "_replace": _replace,
                                 "__getnewargs__": lambda self: tuple(self)}
    for i, field in enumerate(fields):
        namespace[field] = property(itemgetter(i), doc=f"field {i}: {field}")
    return type(name, (tuple,), namespace)


_MISSING = object()
