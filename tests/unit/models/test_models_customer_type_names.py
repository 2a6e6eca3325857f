"""The type names the offer policy reads are customer_types' names, in its order, without their evidence."""

from __future__ import annotations

import datetime as dt
import itertools

from models.customer_facts import CustomerFacts
from models.customer_types import customer_type_names, customer_types

NOW = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)


def test_names_are_those_of_customer_types_over_a_grid_of_customers():
    checked = set()
    for orders, discounted, sessions, ratings, complaints, refunded, days, loyalty in itertools.product(
        (0, 1, 3, 6), (0, 2), (0, 2, 6), (0, 2), (0, 1), (0.0, 40.0), (5, 60, 400), (None, 0.7)
    ):
        at = NOW - dt.timedelta(days=days)
        facts = CustomerFacts(
            "c1", first_seen=at, orders=orders, revenue=100.0 * orders, refunds=int(refunded > 0), refunded=refunded,
            discount_orders=min(discounted, orders), order_days=max(orders - 1, 0),
            first_order_at=at if orders else None, last_order_at=NOW - dt.timedelta(days=3) if orders else None,
            sessions=sessions, product_views=12 * sessions, ratings=ratings, rating_total=3 * ratings,
            complaints=complaints, loyalty=loyalty, content_pages=4 if ratings else 0,
            avg_session_seconds=700.0 if sessions else None, avg_views_per_session=12.0 if sessions else None,
        )
        names = customer_type_names(facts, NOW)
        assert names == tuple(t.name for t in customer_types(facts, NOW))
        checked.update(names)
    assert len(checked) >= 6  # the grid reaches most of the types
