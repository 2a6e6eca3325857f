"""When a customer buys and visits: the usual gap between purchases, the next one due, and peaks.

The profile keeps the *sum* of the gaps between orders, not each gap, so the typical gap is a
mean; a median would need every gap. The sum runs from the first order to the last, and is
divided by the number of distinct purchase days after the first (not ``orders - 1``), so that
several orders on one day do not make a customer look like a fast, regular buyer.

Peaks in the hour, weekday and month histograms are the bins clearly above an even spread:
at least :data:`MIN_PEAK_COUNT` events and :data:`PEAK_LIFT` times the even share (months need
:data:`SEASONAL_LIFT`, as a year holds few orders).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Protocol

from models.customer_facts import MONTH_NAMES, WEEKDAY_NAMES, CustomerFacts

__all__ = [
    "MIN_PEAK_COUNT",
    "OVERDUE_FACTOR",
    "PEAK_LIFT",
    "SEASONAL_LIFT",
    "TOP_PEAKS",
    "OrderGaps",
    "Timing",
    "is_overdue",
    "mean_gap_days",
    "next_purchase_expected",
    "peaks",
    "timing",
]


class OrderGaps(Protocol):
    """What :func:`mean_gap_days` reads: :class:`CustomerFacts`, or a view of a live profile."""

    @property
    def order_days(self) -> int: ...
    @property
    def gap_days_total(self) -> float: ...


#: A bin is a peak with at least this many events ...
MIN_PEAK_COUNT = 2
#: ... and at least this many times the share an even spread would give it.
PEAK_LIFT = 1.5
#: Months are seasonal at twice the even share (2/12 of the orders or more).
SEASONAL_LIFT = 2.0
#: At most this many peaks are reported, largest first.
TOP_PEAKS = 3
#: A customer is overdue once this many usual gaps have passed since the last order: half a
#: gap of slack past the expected date, as no one buys like clockwork.
OVERDUE_FACTOR = 1.5

_DAY = 86400.0


@dataclasses.dataclass(frozen=True, slots=True)
class Timing:
    """A customer's rhythm: the usual gap between purchases and when they visit and buy."""

    mean_gap_days: float | None
    next_purchase_at: dt.datetime | None
    overdue: bool
    days_since_last_order: float | None
    visit_weekdays: tuple[str, ...]
    visit_hours: tuple[int, ...]
    order_weekdays: tuple[str, ...]
    order_hours: tuple[int, ...]
    order_months: tuple[str, ...]


def mean_gap_days(facts: OrderGaps) -> float | None:
    """Mean days between purchase days, ``None`` before a purchase on a second day.

    Examples
    --------
    >>> mean_gap_days(CustomerFacts("c1", orders=4, order_days=3, gap_days_total=90.0,
    ...                             last_order_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)))
    30.0
    >>> mean_gap_days(CustomerFacts("c2")) is None
    True

    """
    if facts.order_days <= 0 or facts.gap_days_total <= 0:
        return None
    return facts.gap_days_total / facts.order_days


def next_purchase_expected(facts: CustomerFacts) -> dt.datetime | None:
    """When the next purchase is due: the last order plus the mean gap (``None`` without one).

    Examples
    --------
    >>> last = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    >>> next_purchase_expected(CustomerFacts("c1", orders=3, order_days=2, gap_days_total=40.0,
    ...                                      last_order_at=last))
    datetime.datetime(2024, 3, 21, 0, 0, tzinfo=datetime.timezone.utc)

    """
    gap = mean_gap_days(facts)
    if gap is None or facts.last_order_at is None:
        return None
    return facts.last_order_at + dt.timedelta(days=gap)


def is_overdue(facts: CustomerFacts, now: dt.datetime, *, factor: float = OVERDUE_FACTOR) -> bool:
    """Whether more than ``factor`` usual gaps have passed since the last order.

    Customers without a usual gap (fewer than two purchase days) are never overdue.

    Examples
    --------
    >>> last = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    >>> facts = CustomerFacts("c1", orders=3, order_days=2, gap_days_total=40.0, last_order_at=last)
    >>> [is_overdue(facts, last + dt.timedelta(days=d)) for d in (25, 31)]
    [False, True]

    """
    gap = mean_gap_days(facts)
    if gap is None or facts.last_order_at is None:
        return False
    return (now - facts.last_order_at).total_seconds() / _DAY > factor * gap


def peaks(
    counts: tuple[int, ...], *, lift: float = PEAK_LIFT, top: int = TOP_PEAKS
) -> tuple[int, ...]:
    """Indices of the bins clearly above an even spread, largest first (earlier bin on ties).

    A peak holds at least :data:`MIN_PEAK_COUNT` events and ``lift`` times the even share.

    Examples
    --------
    >>> hours = [0] * 24
    >>> hours[19], hours[20], hours[9] = 6, 4, 1
    >>> peaks(tuple(hours))
    (19, 20)
    >>> peaks((1, 1, 1, 1, 1, 1, 1)), peaks(())
    ((), ())

    """
    total = sum(counts)
    if not total:
        return ()
    least = max(MIN_PEAK_COUNT, lift * total / len(counts))
    ranked = sorted(range(len(counts)), key=lambda i: (-counts[i], i))
    return tuple(i for i in ranked[:top] if counts[i] >= least)


def timing(facts: CustomerFacts, now: dt.datetime) -> Timing:
    """A customer's timing at ``now``: gap, next purchase due, overdue, and peak times.

    Examples
    --------
    >>> last = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    >>> weekdays = (0, 0, 0, 0, 3, 4, 0)
    >>> t = timing(CustomerFacts("c1", orders=7, order_days=6, gap_days_total=60.0,
    ...                          last_order_at=last, order_weekdays=weekdays),
    ...        last + dt.timedelta(days=20))
    >>> t.mean_gap_days, t.overdue, t.order_weekdays, t.days_since_last_order
    (10.0, True, ('Saturday', 'Friday'), 20.0)

    """
    since = (
        None
        if facts.last_order_at is None
        else max((now - facts.last_order_at).total_seconds() / _DAY, 0.0)
    )
    return Timing(
        mean_gap_days=mean_gap_days(facts),
        next_purchase_at=next_purchase_expected(facts),
        overdue=is_overdue(facts, now),
        days_since_last_order=since,
        visit_weekdays=tuple(WEEKDAY_NAMES[i] for i in peaks(facts.visit_weekdays)),
        visit_hours=peaks(facts.visit_hours),
        order_weekdays=tuple(WEEKDAY_NAMES[i] for i in peaks(facts.order_weekdays)),
        order_hours=peaks(facts.order_hours),
        order_months=tuple(
            MONTH_NAMES[i] for i in peaks(facts.order_months, lift=SEASONAL_LIFT)
        ),
    )
