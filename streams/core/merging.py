"""Two histories of one person as one: an anonymous visitor's, merged at login."""

from __future__ import annotations

from datetime import timedelta

from streams.core.activity import latest
from streams.core.carts import merge_carts
from streams.core.features import merged_spend
from streams.core.frozen import replace
from streams.core.state import (
    RECENT_EVENTS,
    RECENT_ORDERS,
    TOP_CATEGORIES,
    TOP_CHANNELS,
    CustomerState,
    Profile,
    bump,
)
from streams.core.visits import gap_days, merge_visits, uncount_visit

MERGED_IDS_KEPT = 5


def stitch(
    customer: CustomerState, visitor: CustomerState, timeout: timedelta | None = None,
    recent_events: int = RECENT_EVENTS,
) -> tuple[CustomerState, CustomerState | None]:
    """Merge an anonymous visitor's history into the customer who just logged in, once.

    Returns the customer's new state and the visitor's, marked as merged (``None`` when it
    was merged before: a visitor id is merged only once).  A visitor marked merged has their
    later events sent on to the customer by the worker.
    With the session ``timeout``, a visit the visitor had open when they logged in goes on
    under the customer's id: what it did before the login (a started checkout, the cart it
    filled) is the customer's visit's, so its abandonment is the customer's.
    The merged profile keeps the ``recent_events`` latest events of the two histories.
    """
    visitor_id = visitor.customer_id
    p, v = customer.profile, visitor.profile
    if visitor_id == customer.customer_id or visitor_id in p.merged_ids or v.merged_into is not None:
        return customer, None
    linked = (*p.merged_ids, visitor_id)[-MERGED_IDS_KEPT:]
    marked = replace(visitor, profile=replace(v, merged_into=customer.customer_id))
    if v.first_seen is None:
        # Nothing of the visitor read yet (their events may be in another partition, behind): the
        # link is kept, and what they do from now on is sent on to the customer.
        return replace(customer, profile=replace(p, merged_ids=linked)), marked
    merged = replace(merge_profiles(p, v, recent_events), merged_ids=linked)
    customer = replace(customer, profile=merged)
    if timeout is not None:
        customer, marked = _one_visit(customer, marked, timeout)
    return customer, marked


def _one_visit(customer: CustomerState, visitor: CustomerState, timeout: timedelta) -> tuple[CustomerState,
                                                                                              CustomerState]:
    """The visitor's open visit and the customer's, when no more than the timeout apart, as one visit."""
    mine, theirs = customer.session, visitor.session
    if mine is None or theirs is None:
        return customer, visitor
    theirs = replace(theirs, earlier=None)
    if mine.started_at - theirs.last_event_at >= timeout or theirs.started_at - mine.last_event_at >= timeout:
        return customer, visitor
    first, second = sorted((theirs, replace(mine, earlier=None)), key=lambda s: s.started_at)
    joined = replace(merge_visits(first, second), earlier=mine.earlier)
    # Both visits were counted, one in each history; together they are one.
    profile = uncount_visit(customer.profile, second.started_at)
    return replace(customer, profile=profile, session=joined), replace(visitor, session=None)


_SUMMED = (
    "page_views", "sessions", "product_views", "cart_adds", "checkouts", "orders", "refunds",
    "discount_orders", "ratings", "rating_total", "complaints", "content_pages", "offers", "holdouts",
    "conversions", "holdout_conversions", "order_days",
)
_SUMMED_MONEY = ("revenue", "refunded", "discount_total", "session_seconds")
_HISTOGRAMS = ("visit_hours", "visit_weekdays", "order_hours", "order_weekdays", "order_months")


def merge_profiles(into: Profile, other: Profile, recent_events: int = RECENT_EVENTS) -> Profile:
    """Two histories of one person as one profile; ``into``'s own traits and consent win.

    The latest events are the ``recent_events`` latest of both lists together.

    >>> from datetime import datetime, timezone
    >>> a = Profile(page_views=2, categories=(("shoes", 2),), visit_hours=(1,) + (0,) * 23)
    >>> b = Profile(page_views=3, categories=(("hats", 1),), country="GB")
    >>> m = merge_profiles(a, b)
    >>> m.page_views, m.categories, m.country, sum(m.visit_hours)
    (5, (('shoes', 2), ('hats', 1)), 'GB', 1)
    """
    fields: dict[str, object] = {}
    for name in _SUMMED:
        fields[name] = getattr(into, name) + getattr(other, name)
    for name in _SUMMED_MONEY:
        fields[name] = round(getattr(into, name) + getattr(other, name), 4)
    for name in _HISTOGRAMS:
        a, b = getattr(into, name), getattr(other, name)
        fields[name] = tuple(x + y for x, y in zip(a, b)) if a and b else (a or b)
    for name, keep in (("categories", TOP_CATEGORIES), ("channels", TOP_CHANNELS)):
        counts = getattr(into, name)
        for label, count in getattr(other, name):
            counts = bump(counts, label, count, keep)
        fields[name] = counts
    for name in ("first_seen", "first_order_at"):
        values = [v for v in (getattr(into, name), getattr(other, name)) if v is not None]
        fields[name] = min(values) if values else None
    for name in ("last_seen", "last_order_at", "last_offer_at"):
        values = [v for v in (getattr(into, name), getattr(other, name)) if v is not None]
        fields[name] = max(values) if values else None
    for name in ("age_band", "country", "time_zone", "locale"):
        fields[name] = getattr(into, name) or getattr(other, name)
    # Both histories' orders in one sequence: its gaps add up to its last − first order.
    fields["gap_days_total"] = gap_days(fields["first_order_at"], fields["last_order_at"])  # type: ignore[arg-type]
    fields["recent_orders"] = tuple(sorted({*into.recent_orders, *other.recent_orders}))[-RECENT_ORDERS:]
    fields["recent_events"] = latest((*into.recent_events, *other.recent_events), recent_events)
    fields["consent"] = into.consent if into.consent is not None else other.consent
    # A visitor's cart joins the customer's at login, as shops merge a guest cart into the account's.
    fields["cart"] = merge_carts(into.cart, other.cart)
    return merged_spend(into, other, replace(into, **fields))
