"""What the customer analytics know about one customer, in plain values.

The worker keeps a live profile per customer (``streams.core.state.Profile``); ``models`` may not
import it, so the RFM scores, customer types, timing, value and personas all read this one
frozen value instead, which the worker builds from the profile and the offline path builds from
a purchase log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TypeAlias

from models.errors import FieldError

__all__ = ["MONTH_NAMES", "WEEKDAY_NAMES", "Counts", "CustomerFacts"]

#: Bounded "top-k" counters: ``(name, count)`` pairs, largest first.
Counts: TypeAlias = tuple[tuple[str, int], ...]

#: Names of the weekdays of the histograms, Monday first (``datetime.weekday()`` order).
WEEKDAY_NAMES: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)

#: Names of the months of the histograms, January first.
MONTH_NAMES: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Histogram field -> number of bins; an empty histogram means "nothing recorded yet".
_HISTOGRAMS: dict[str, int] = {
    "visit_hours": 24,
    "visit_weekdays": 7,
    "order_hours": 24,
    "order_weekdays": 7,
    "order_months": 12,
}


@dataclasses.dataclass(frozen=True, slots=True)
class CustomerFacts:
    """One customer's history, as the analytics read it.

    Times are timezone-aware. Histograms count events per hour of day, weekday (Monday first)
    or month (January first) in the customer's local time; an empty histogram means nothing was
    recorded. Session statistics are ``None`` where no clickstream is known (an order log only).

    Parameters
    ----------
    customer_id
        The customer.
    first_seen, last_seen
        First and latest event of any kind.
    sessions, page_views, product_views, cart_adds, checkouts
        Counts of web activity.
    orders, revenue
        Orders placed and their total value (what was paid, after discounts).
    refunds, refunded
        Refunds and their total value.
    discount_orders, discount_total
        Orders that used a discount, and the discounts' total value.
    offer_orders
        Orders placed within the validity of an offer the tracker sent.
    first_order_at, last_order_at
        First and latest order.
    order_days
        Distinct days with an order after the day of the first one (BG/NBD's ``x``).
    gap_days_total
        Sum of the days between consecutive orders.
    categories, channels
        Favourite product categories and arrival channels with their counts, largest first.
    ratings, rating_total, complaints
        Feedback: number of ratings (1-5), their sum, complaints.
    age_band, country, time_zone
        Traits the customer gave when identifying.
    intent, loyalty
        Latest model scores: purchase intent of the latest visit, P(buys again within the
        loyalty model's horizon).
    visit_hours, visit_weekdays, order_hours, order_weekdays, order_months
        When the customer visits and buys.
    avg_session_seconds, avg_views_per_session
        Mean length of a session and mean pages viewed in one.
    content_pages
        Content pages (information, help, blog) read.
    product_page_ratio
        Share of the page views that were product pages.

    Examples
    --------
    >>> at = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    >>> facts = CustomerFacts("c1", orders=4, revenue=200.0, refunded=20.0, discount_orders=1,
    ...                       first_order_at=at, last_order_at=at)
    >>> facts.net_spend, facts.order_value, facts.discount_share, facts.mean_rating
    (180.0, 50.0, 0.25, None)

    """

    customer_id: str
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    sessions: int = 0
    page_views: int = 0
    product_views: int = 0
    cart_adds: int = 0
    checkouts: int = 0
    orders: int = 0
    revenue: float = 0.0
    refunds: int = 0
    refunded: float = 0.0
    discount_orders: int = 0
    discount_total: float = 0.0
    offer_orders: int = 0
    first_order_at: dt.datetime | None = None
    last_order_at: dt.datetime | None = None
    order_days: int = 0
    gap_days_total: float = 0.0
    categories: Counts = ()
    channels: Counts = ()
    ratings: int = 0
    rating_total: int = 0
    complaints: int = 0
    age_band: str | None = None
    country: str | None = None
    time_zone: str | None = None
    intent: float | None = None
    loyalty: float | None = None
    visit_hours: tuple[int, ...] = ()
    visit_weekdays: tuple[int, ...] = ()
    order_hours: tuple[int, ...] = ()
    order_weekdays: tuple[int, ...] = ()
    order_months: tuple[int, ...] = ()
    avg_session_seconds: float | None = None
    avg_views_per_session: float | None = None
    content_pages: int = 0
    product_page_ratio: float | None = None

    def __post_init__(self) -> None:
        for name, size in _HISTOGRAMS.items():
            counts: tuple[int, ...] = getattr(self, name)
            if counts and len(counts) != size:
                raise FieldError(name, f"{size} counts or none", counts)
        if self.orders > 0 and self.last_order_at is None:
            raise FieldError("last_order_at", "the time of the latest order", None)

    @property
    def net_spend(self) -> float:
        """What the customer paid and kept: revenue less refunds, never below 0."""
        return max(self.revenue - self.refunded, 0.0)

    @property
    def order_value(self) -> float | None:
        """Mean value of an order (before refunds), ``None`` without orders."""
        return self.revenue / self.orders if self.orders else None

    @property
    def discount_share(self) -> float:
        """Share of the orders that used a discount (0 without orders)."""
        return min(self.discount_orders / self.orders, 1.0) if self.orders else 0.0

    @property
    def refund_share(self) -> float:
        """Share of the revenue that was refunded, between 0 and 1 (0 without revenue)."""
        return min(self.refunded / self.revenue, 1.0) if self.revenue > 0 else 0.0

    @property
    def mean_rating(self) -> float | None:
        """Mean of the customer's ratings (1-5), ``None`` without any."""
        return self.rating_total / self.ratings if self.ratings else None
