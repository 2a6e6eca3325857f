"""A faster ``dataclasses.replace`` for the frozen, slotted state classes.

The tracker builds a new :class:`~streams.core.state.Profile` or
:class:`~streams.core.state.Session` several times per event; ``dataclasses.replace`` walks
``fields()`` and calls the generated ``__init__`` each time, which the worker's profile
showed as a sixth of its time.  Copying the slots directly does the same for a class
with no ``__post_init__`` (none of the state classes has one) at about half the cost.
"""

from __future__ import annotations

import dataclasses
from operator import attrgetter
from typing import Any, Callable, TypeVar

T = TypeVar("T")

_new = object.__new__
_set = object.__setattr__
#: Per class: its slot names and a getter of all of them at once (None: use dataclasses).
_LAYOUTS: dict[type, tuple[tuple[str, ...], frozenset[str], Callable[[Any], tuple[Any, ...]]] | None] = {}


def _layout(cls: type) -> tuple[tuple[str, ...], frozenset[str], Callable[[Any], tuple[Any, ...]]] | None:
    names = tuple(f.name for f in dataclasses.fields(cls))
    plain = (
        getattr(cls, "__slots__", None) is not None
        and not hasattr(cls, "__post_init__")
        and all(f.init for f in dataclasses.fields(cls))
        and len(names) > 1
    )
    return (names, frozenset(names), attrgetter(*names)) if plain else None


def replace(obj: T, /, **changes: Any) -> T:
    """``dataclasses.replace(obj, **changes)``, by copying slots when that is the same thing.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True, slots=True)
    ... class Point:
    ...     x: int
    ...     y: int = 0
    >>> replace(Point(1, 2), y=5)
    Point(x=1, y=5)
    >>> replace(Point(1), z=3)
    Traceback (most recent call last):
    ...
    TypeError: Point has no field 'z'
    """
    cls = obj.__class__
    try:
        layout = _LAYOUTS[cls]
    except KeyError:
        layout = _LAYOUTS[cls] = _layout(cls)
    if layout is None:
        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    names, known, get_all = layout
    new = _new(cls)
    for name, value in zip(names, get_all(obj)):
        _set(new, name, value)
    for name, value in changes.items():
        if name not in known:
            raise TypeError(f"{cls.__name__} has no field {name!r}")
        _set(new, name, value)
    return new
