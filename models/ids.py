"""Ids that stand for nobody: what exports and trackers write where an id is missing.

One list for the purchase logs (:func:`models.transactions.customer_id`: a guest's order) and
the worker's events (:mod:`streams.core.events`: refused as no customer), so a placeholder that
a replayed log skips is never a customer live either: read as an id, every guest would be one big
customer (WooCommerce's customer ``0``, a database's ``NULL`` or ``\\N``, a data frame's ``NaN``,
a tag manager's ``undefined``).
"""

from __future__ import annotations

__all__ = ["PLACEHOLDER_IDS", "is_placeholder"]

#: Placeholders, compared in lower case after stripping spaces; ids of only zeros and dashes too.
PLACEHOLDER_IDS = frozenset({"", "null", "none", "undefined", "anonymous", "nan", "n/a", "#n/a", "na", "\\n",
                             "guest"})


def is_placeholder(value: str) -> bool:
    """Whether ``value`` is no id at all.

    >>> [is_placeholder(v) for v in ("0", "000", "-", " NULL ", "\\\\N", "n/a", "guest", "17850", "A-0")]
    [True, True, True, True, True, True, True, False, False]
    """
    stripped = value.strip()
    # Only zeros and dashes (``set(stripped) <= {"0", "-"}``), without a set per call.
    return not stripped.strip("0-") or stripped.lower() in PLACEHOLDER_IDS
