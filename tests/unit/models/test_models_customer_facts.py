"""CustomerFacts: histogram shapes checked at the edge, and the derived shares."""

from __future__ import annotations

import datetime as dt

import pytest

from models.customer_facts import CustomerFacts
from models.errors import FieldError

AT = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def test_histograms_must_have_their_number_of_bins_or_none() -> None:
    """24 hours, 7 weekdays, 12 months, or empty; anything else names the field."""
    CustomerFacts("c", visit_hours=(0,) * 24, order_weekdays=(0,) * 7, order_months=(0,) * 12)
    with pytest.raises(FieldError, match="'visit_weekdays': expected 7 counts or none"):
        CustomerFacts("c", visit_weekdays=(1, 2, 3))


def test_a_buyer_needs_the_time_of_the_latest_order() -> None:
    """Orders without a last order time are refused."""
    with pytest.raises(FieldError, match="last_order_at"):
        CustomerFacts("c", orders=2)


def test_derived_shares_stay_between_zero_and_one() -> None:
    """Refunds beyond the revenue cap at 1 and never make net spend negative; no orders gives zeros."""
    facts = CustomerFacts(
        "c", orders=2, revenue=50.0, refunded=80.0, discount_orders=1, last_order_at=AT
    )
    assert facts.refund_share == 1.0 and facts.net_spend == 0.0
    assert facts.discount_share == 0.5 and facts.order_value == 25.0
    empty = CustomerFacts("v")
    assert empty.refund_share == 0.0 and empty.discount_share == 0.0
    assert empty.order_value is None and empty.mean_rating is None
    assert CustomerFacts("r", ratings=3, rating_total=7).mean_rating == pytest.approx(7 / 3)
