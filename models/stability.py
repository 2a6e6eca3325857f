"""How much two segmentations of the same customers agree: the adjusted Rand index (Hubert & Arabie 1985).

1 means the same partition (whatever the segments are called), 0 what chance gives, below 0
worse than chance. It compares which customers are put *together*, so it needs no matching
of segment names between the two.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping

__all__ = ["adjusted_rand_index"]


def _pairs(n: int) -> float:
    return n * (n - 1) / 2.0


def adjusted_rand_index(a: Mapping[str, Hashable], b: Mapping[str, Hashable]) -> float:
    """The adjusted Rand index of two labellings of the same customers (their common keys).

    Examples
    --------
    >>> adjusted_rand_index({"a": 1, "b": 1, "c": 2, "d": 2}, {"a": "x", "b": "x", "c": "y", "d": "y"})
    1.0
    >>> round(adjusted_rand_index({"a": 1, "b": 1, "c": 2, "d": 2}, {"a": "x", "b": "y", "c": "x", "d": "y"}), 3)
    -0.5
    >>> round(adjusted_rand_index({"a": 1, "b": 1, "c": 1, "d": 2}, {"a": 1, "b": 1, "c": 2, "d": 2}), 3)
    0.0

    """
    keys = [k for k in a if k in b]
    n = len(keys)
    if n < 2:
        return 1.0
    together = sum(_pairs(c) for c in Counter((a[k], b[k]) for k in keys).values())
    in_a = sum(_pairs(c) for c in Counter(a[k] for k in keys).values())
    in_b = sum(_pairs(c) for c in Counter(b[k] for k in keys).values())
    expected = in_a * in_b / _pairs(n)
    most = (in_a + in_b) / 2.0
    if most == expected:
        return 1.0
    return (together - expected) / (most - expected)
