"""Two histories of one person as one: an anonymous visitor's, merged at login."""

from __future__ import annotations

from streams.core.features import merged_spend
from streams.core.frozen import replace
from streams.core.state import (
    RECENT_ORDERS,
    TOP_CATEGORIES,
    TOP_CHANNELS,
    CustomerState,
    Profile,
    bump,
)
from streams.core.visits import gap_days

MERGED_IDS_KEPT = 5


def stitch(customer: CustomerState, visitor: CustomerState) -> tuple[CustomerState, CustomerState | None]:
    """Merge an anonymous visitor's history into the customer who just logged in, once.

    Returns the customer's new state and the visitor's, marked as merged (``None`` when
    there was nothing to merge or it was merged before: a visitor id is merged only once).
    """
    visitor_id = visitor.customer_id
    p, v = customer.profile, visitor.profile
    if visitor_id == customer.customer_id or visitor_id in p.merged_ids or v.merged_into is not None:
        return customer, None
    if v.first_seen is None:  # the visitor never did anything
        return customer, None
    merged = merge_profiles(p, v)
    merged = replace(merged, merged_ids=(*p.merged_ids, visitor_id)[-MERGED_IDS_KEPT:])
    return replace(customer, profile=merged), replace(visitor, profile=replace(v, merged_into=customer.customer_id))


_SUMMED = (
    "page_views", "sessions", "product_views", "cart_adds", "checkouts", "orders", "refunds",
    "discount_orders", "ratings", "rating_total", "complaints", "content_pages", "offers", "holdouts",
    "conversions", "holdout_conversions", "order_days",
)
_SUMMED_MONEY = ("revenue", "refunded", "discount_total", "session_seconds")
_HISTOGRAMS = ("visit_hours", "visit_weekdays", "order_hours", "order_weekdays", "order_months")


def merge_profiles(into: Profile, other: Profile) -> Profile:
    """Two histories of one person as one profile; ``into``'s own traits and consent win.

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
    fields["consent"] = into.consent if into.consent is not None else other.consent
    return merged_spend(into, other, replace(into, **fields))
