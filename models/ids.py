"""Customer ids as the tracker keeps them, and the ids that stand for nobody.

One reading for the purchase logs (:func:`models.transactions.customer_id`) and the worker's
events (:mod:`streams.core.events`, whichever way they arrive: Kafka, the collector, the
spec's messages, a replayed clickstream), so a customer a replayed log knows is the customer
the live stream names:

* placeholders (what exports and trackers write where an id is missing) are no id: a guest's
  order in a log, refused as no customer live; read as an id, every guest would be one big
  customer (WooCommerce's customer ``0``, a database's ``NULL`` or ``\\N``, a data frame's
  ``NaN``, a tag manager's ``undefined``);
* an e-mail address is one customer however its letters are cased (checkouts keep what each
  customer typed): it is kept in lower case (:func:`canonical_id`);
* a whole number written as a float (``12345.0``: a data frame's id column with gaps, saved as
  floats) is the id without its ``.0`` in the files read (:func:`without_float_zeros`), as a JSON
  number ``12345.0`` is ``12345`` in the spec's messages.
"""

from __future__ import annotations

import re

__all__ = ["PLACEHOLDER_IDS", "canonical_id", "is_placeholder", "spellings", "without_float_zeros"]

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


_FLOATED = re.compile(r"(\d+)\.0+")


def without_float_zeros(value: str) -> str:
    """``value`` without the ``.0`` of a whole number written as a float; other ids as they are.

    Only digits before the point: ``v2.0`` or ``A-17.0`` are ids of their own spelling, not floats.

    >>> without_float_zeros("12345.0"), without_float_zeros(" 17850.00 "), without_float_zeros("12345")
    ('12345', '17850', '12345')
    >>> without_float_zeros("v2.0"), without_float_zeros("1.5"), without_float_zeros("00123.0")
    ('v2.0', '1.5', '00123')
    """
    match = _FLOATED.fullmatch(value.strip())
    return value if match is None else match.group(1)


def canonical_id(value: str) -> str:
    """``value`` as the tracker keeps a customer id: without surrounding spaces, an e-mail address in lower case.

    Only an id with an ``@`` is lower-cased: other ids (``A-17``, a device's ``Ab3F…``) are the
    shop's own and keep their case.

    >>> canonical_id(" Ann@Shop.com "), canonical_id("A-17"), canonical_id("Ab3F9")
    ('ann@shop.com', 'A-17', 'Ab3F9')
    """
    stripped = value.strip()
    return stripped.lower() if "@" in stripped else stripped


def spellings(value: str) -> tuple[str, ...]:
    """The ids a customer asked for by ``value`` may be kept under: as the tracker keeps it, then as given.

    What a marketer types (``tracker customer``, ``tracker forget``, ``/customers/{id}``) may be
    cased otherwise than the kept id; a profile written before e-mail ids were kept in lower case
    is under the id as it came.

    >>> spellings("Ann@Shop.com"), spellings("ann@shop.com"), spellings("A-17")
    (('ann@shop.com', 'Ann@Shop.com'), ('ann@shop.com',), ('A-17',))
    """
    return tuple(dict.fromkeys((canonical_id(value), value.strip())))
