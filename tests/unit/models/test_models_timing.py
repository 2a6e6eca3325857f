"""Timing: the usual gap between purchase days, the next purchase due, overdue, and peak times."""

from __future__ import annotations

import dataclasses
import datetime as dt

from models.customer_facts import CustomerFacts
from models.timing import is_overdue, mean_gap_days, next_purchase_expected, peaks, timing

LAST = dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)


def buyer(orders: int, order_days: int, gap_days_total: float) -> CustomerFacts:
    return CustomerFacts(
        "c", orders=orders, order_days=order_days, gap_days_total=gap_days_total, last_order_at=LAST
    )


def test_the_gap_is_per_purchase_day_not_per_order() -> None:
    """Five orders on three days 60 days apart in all have a 30-day gap, not 15."""
    assert mean_gap_days(buyer(5, 2, 60.0)) == 30.0


def test_no_gap_before_a_second_purchase_day() -> None:
    """One order, or several on one day, give no gap, no due date and never overdue."""
    for facts in (buyer(1, 0, 0.0), buyer(3, 0, 0.2), CustomerFacts("v")):
        assert mean_gap_days(facts) is None
        assert next_purchase_expected(facts) is None
        assert not is_overdue(facts, LAST + dt.timedelta(days=999))


def test_next_purchase_is_the_last_order_plus_the_gap() -> None:
    """A 12.5-day rhythm puts the next purchase 12.5 days after the last order."""
    assert next_purchase_expected(buyer(3, 2, 25.0)) == LAST + dt.timedelta(days=12.5)


def test_overdue_after_one_and_a_half_gaps() -> None:
    """With a 20-day gap the customer is overdue after 30 days, not at 30, and a factor can change it."""
    facts = buyer(4, 3, 60.0)
    assert not is_overdue(facts, LAST + dt.timedelta(days=30))
    assert is_overdue(facts, LAST + dt.timedelta(days=30, seconds=1))
    assert is_overdue(facts, LAST + dt.timedelta(days=21), factor=1.0)


def test_peaks_are_bins_clearly_above_an_even_spread() -> None:
    """Evening hours that hold most visits are peaks, one-off hours are not, ties go to the earlier bin."""
    hours = [0] * 24
    hours[9], hours[19], hours[20], hours[21] = 1, 5, 5, 3
    assert peaks(tuple(hours)) == (19, 20, 21)
    assert peaks(tuple(hours), top=2) == (19, 20)
    assert peaks((2, 2, 2, 2, 2, 2, 2)) == ()  # an even week has no favourite day
    assert peaks((1, 0, 0, 0, 0, 0, 0)) == ()  # one visit is not a habit


def test_timing_names_weekdays_and_months() -> None:
    """Histograms come back as weekday and month names and hours, with the rhythm."""
    months = [0] * 12
    months[10], months[11], months[3] = 4, 3, 1
    facts = dataclasses.replace(
        buyer(8, 7, 140.0),
        visit_weekdays=(0, 0, 0, 0, 0, 6, 5),
        visit_hours=tuple(4 if h == 20 else 0 for h in range(24)),
        order_months=tuple(months),
    )
    t = timing(facts, LAST + dt.timedelta(days=10))
    assert t.mean_gap_days == 20.0
    assert t.next_purchase_at == LAST + dt.timedelta(days=20)
    assert not t.overdue
    assert t.days_since_last_order == 10.0
    assert t.visit_weekdays == ("Saturday", "Sunday")
    assert t.visit_hours == (20,)
    assert t.order_months == ("November", "December")
    assert t.order_weekdays == () and t.order_hours == ()


def test_timing_of_a_visitor_who_never_bought() -> None:
    """A visitor has no gap, no due date, no days since an order, and is not overdue."""
    t = timing(CustomerFacts("v", sessions=3), LAST)
    assert (t.mean_gap_days, t.next_purchase_at, t.days_since_last_order, t.overdue) == (
        None,
        None,
        None,
        False,
    )
