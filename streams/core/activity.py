"""A customer's latest events, kept on the profile for the marketer's customer page.

Each kept event is a :data:`~streams.core.state.RecentEvent`: when it happened, its type,
the product or order it is about and the money it moved.  Which events are kept does not
depend on the order they arrive in: the list is the ``keep`` greatest of every event seen
under one total order — event time first, then the entry itself.  Two events equal in all
of that are the same to whoever reads the list, so keeping either gives the same profile;
a late event lands in its place and one older than the whole list is dropped.  Duplicates
never get here (the worker drops repeated event ids before applying).
"""

from __future__ import annotations

import bisect
import heapq
from datetime import datetime

from streams.core.events import (
    AnyEvent,
    CartItemAdded,
    CheckoutStarted,
    OrderPlaced,
    OrderRefunded,
    PageViewed,
    ProductViewed,
)
from streams.core.state import RecentEvent

Recent = tuple[RecentEvent, ...]


def entry_of(event: AnyEvent) -> RecentEvent | None:
    """The compact entry of ``event``, or ``None`` for an event the page does not list.

    >>> from streams.core.events import ANY_EVENT
    >>> e = ANY_EVENT.validate_python({"type": "product_viewed", "event_id": "e1", "customer_id": "c1",
    ...     "occurred_at": "2026-11-29T07:12:00Z", "product_id": "sku-12"})
    >>> entry_of(e)[1:]
    ('product_viewed', 'sku-12', None)
    """
    at = event.occurred_at
    match event:
        case PageViewed():
            return (at, event.type, None, None)
        case ProductViewed() | CartItemAdded():
            return (at, event.type, event.product_id, None)
        case CheckoutStarted():
            return (at, event.type, None, event.value)
        case OrderPlaced():
            return (at, event.type, event.order_id, event.total)
        case OrderRefunded():
            return (at, event.type, event.order_id, event.amount)
    return None


def remember(recent: Recent, event: AnyEvent, keep: int) -> Recent:
    """``recent`` with ``event`` in its place, the ``keep`` latest only (none when ``keep`` is 0)."""
    entry = entry_of(event)
    if keep <= 0:
        return ()
    if entry is None:
        return recent if len(recent) <= keep else recent[-keep:]
    # A later time alone puts it last; only a tie in time needs the whole order.
    if not recent or (len(recent) <= keep and (entry[0] > recent[-1][0] or _order(entry) >= _order(recent[-1]))):
        # In order (the usual case): the newest goes last, the oldest beyond ``keep`` goes
        # (``recent`` is oldest first, as :func:`latest` leaves it).
        return (*recent, entry)[-keep:]
    if len(recent) <= keep:
        # Out of order or tied in time: into its place in the sorted list, not a sort of it all.
        entries = list(recent)
        bisect.insort(entries, entry, key=_order)
        return tuple(entries[-keep:])
    return latest((*recent, entry), keep)


def latest(entries: Recent, keep: int) -> Recent:
    """The ``keep`` latest of ``entries``, oldest first (the union of two lists, say, at a merge).

    >>> from datetime import datetime, timezone
    >>> t = lambda h: datetime(2026, 11, 29, h, tzinfo=timezone.utc)
    >>> [e[1] for e in latest(((t(3), "page_viewed", None, None), (t(1), "order_placed", "o1", 9.5),
    ...                         (t(2), "product_viewed", "p1", None)), keep=2)]
    ['product_viewed', 'page_viewed']
    """
    if keep <= 0:
        return ()
    return tuple(sorted(heapq.nlargest(keep, entries, key=_order), key=_order))


def _order(entry: RecentEvent) -> tuple[datetime, str, bool, str, bool, float]:
    # A total order: a missing product/order id or value sorts before any (None does not compare).
    at, kind, ref, value = entry
    return (at, kind, ref is not None, ref or "", value is not None, value or 0.0)
