"""The behavioural segments' options known before any model is built: the clusterers and the learn share.

A leaf module without numpy or river: the settings' defaults and the help of ``tracker evaluate
segments`` read it, and stay quick to import (:mod:`models.segments` holds the model itself).
"""

from __future__ import annotations

from typing import Literal, TypeAlias

__all__ = ["LEARN_SHARE", "METHODS", "Method"]

Method: TypeAlias = Literal["clustream", "kmeans", "streamkmeans", "denstream", "dbstream"]
#: The river clusterers the behavioural segments can learn with (compared in docs/customers-and-models.md).
METHODS: tuple[Method, ...] = ("clustream", "kmeans", "streamkmeans", "denstream", "dbstream")

#: Share of the customer updates the segments learn from (the rest are skipped, a fixed draw per update).
LEARN_SHARE = 0.25
