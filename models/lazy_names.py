"""A package's public names imported from their modules on first use (PEP 562), not with the package.

Importing one module of a package runs the package's ``__init__``; one that imported every
public name would load every model, and river and scipy with them, for a command that only
prints its help.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: dict[str, Any], homes: Mapping[str, tuple[str, ...]]) -> Callable[[str], object]:
    """The ``__getattr__`` of the package whose globals are ``package``: each name of ``homes`` (module → names)
    imported from its module when first asked for, then kept in the package's globals.

    >>> namespace = {"__name__": "demo"}
    >>> getattr_ = lazy_names(namespace, {"math": ("pi",)})
    >>> round(getattr_("pi"), 2), "pi" in namespace
    (3.14, True)
    >>> getattr_("tau")
    Traceback (most recent call last):
    ...
    AttributeError: module 'demo' has no attribute 'tau'
    """
    home_of = {name: module for module, names in homes.items() for name in names}

    def __getattr__(name: str) -> object:
        if name not in home_of:
            raise AttributeError(f"module {package['__name__']!r} has no attribute {name!r}")
        value = getattr(import_module(home_of[name]), name)
        package[name] = value  # later lookups find it without this function
        return value

    return __getattr__
