"""Customer types: each rule at its threshold, several types at once, evidence with the numbers."""

from __future__ import annotations

import dataclasses
import datetime as dt

from models.customer_facts import CustomerFacts
from models.customer_types import (
    CUSTOMER_TYPES,
    LOYAL_MAX_IDLE_DAYS,
    NEW_MAX_DAYS,
    customer_types,
)

NOW = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def names(facts: CustomerFacts) -> list[str]:
    return [t.name for t in customer_types(facts, NOW)]


def evidence(facts: CustomerFacts, name: str) -> str:
    return next(t.evidence for t in customer_types(facts, NOW) if t.name == name)


# An established buyer with nothing remarkable: two orders, a year ago, no visits recorded.
PLAIN = CustomerFacts(
    "c",
    first_seen=ago(400),
    orders=2,
    revenue=80.0,
    order_days=1,
    gap_days_total=20.0,
    first_order_at=ago(380),
    last_order_at=ago(360),
)


def test_a_plain_buyer_has_no_type() -> None:
    """Two ordinary orders long ago make no type."""
    assert names(PLAIN) == []


def test_bargain_hunter_needs_half_of_at_least_two_orders_discounted() -> None:
    """1 of 2 discounted is a bargain hunter; 1 of 3 is not, nor is a single discounted order."""
    assert "bargain_hunter" in names(dataclasses.replace(PLAIN, discount_orders=1))
    assert "bargain_hunter" not in names(dataclasses.replace(PLAIN, orders=3, discount_orders=1))
    one = dataclasses.replace(PLAIN, orders=1, order_days=0, discount_orders=1)
    assert "bargain_hunter" not in names(one)
    assert evidence(dataclasses.replace(PLAIN, orders=5, discount_orders=4), "bargain_hunter") == (
        "4 of 5 orders used a discount"
    )


def test_loyal_by_history_needs_three_purchase_days_over_a_month_and_a_recent_order() -> None:
    """Three purchase days over 60 days, the last 10 days ago, is loyal; a burst or a lapse is not."""
    loyal = dataclasses.replace(
        PLAIN, orders=3, order_days=2, first_order_at=ago(70), last_order_at=ago(10)
    )
    assert "loyal" in names(loyal)
    assert evidence(loyal, "loyal") == "3 orders over 2 months, the last 10 days ago"
    burst = dataclasses.replace(loyal, first_order_at=ago(20))
    assert "loyal" not in names(burst)
    same_day = dataclasses.replace(loyal, order_days=1)
    assert "loyal" not in names(same_day)
    lapsed = dataclasses.replace(
        loyal, first_order_at=ago(LOYAL_MAX_IDLE_DAYS + 90), last_order_at=ago(LOYAL_MAX_IDLE_DAYS + 1)
    )
    assert "loyal" not in names(lapsed)


def test_loyal_by_the_loyalty_model() -> None:
    """A loyalty score of 0.6 or more makes a buyer loyal whatever the history, and is the evidence."""
    assert names(dataclasses.replace(PLAIN, loyalty=0.59)) == []
    facts = dataclasses.replace(PLAIN, loyalty=0.8)
    assert names(facts) == ["loyal"]
    assert evidence(facts, "loyal") == "80 % likely to buy again (loyalty model), 2 orders"


def test_new_is_first_seen_recently_or_a_first_order_recently() -> None:
    """First seen within 30 days, or one order within 30 days, is new; a 31-day-old visitor is not."""
    assert names(CustomerFacts("v", first_seen=ago(NEW_MAX_DAYS))) == ["new"]
    assert names(CustomerFacts("v", first_seen=ago(NEW_MAX_DAYS + 1))) == []
    first_order = CustomerFacts(
        "b", first_seen=ago(200), orders=1, first_order_at=ago(5), last_order_at=ago(5)
    )
    assert evidence(first_order, "new") == "first order 5 days ago"
    second_order = dataclasses.replace(first_order, orders=2, order_days=1, first_order_at=ago(9))
    assert "new" not in names(second_order)


def test_looker_visits_three_times_and_never_buys() -> None:
    """Three visits with no order is a looker, two is not, and buying ends it."""
    looker = CustomerFacts("v", first_seen=ago(90), sessions=3, product_views=11)
    assert names(looker) == ["looker"]
    assert evidence(looker, "looker") == "3 visits and 11 product views, never bought"
    assert names(dataclasses.replace(looker, sessions=2)) == []
    assert "looker" not in names(dataclasses.replace(looker, orders=1, last_order_at=ago(60)))


def test_researcher_has_long_visits_with_many_pages_and_rare_orders() -> None:
    """Ten long, page-heavy visits with one order is a researcher; three orders is too many."""
    researcher = dataclasses.replace(
        PLAIN, orders=1, order_days=0, sessions=10, avg_views_per_session=14.0, avg_session_seconds=900.0
    )
    assert "researcher" in names(researcher)
    assert evidence(researcher, "researcher") == "10 visits of 14 pages and 15 min on average, 1 order"
    assert "researcher" not in names(dataclasses.replace(researcher, orders=3))
    assert "researcher" not in names(dataclasses.replace(researcher, avg_session_seconds=300.0))


def test_convenience_buys_in_short_visits_of_few_pages() -> None:
    """Four visits of three pages and two minutes with two orders is convenience; long visits are not."""
    quick = dataclasses.replace(
        PLAIN, sessions=4, avg_views_per_session=3.0, avg_session_seconds=120.0
    )
    assert "convenience" in names(quick)
    assert evidence(quick, "convenience") == "2 orders in 4 visits of 3.0 pages and 2.0 min on average"
    assert "convenience" not in names(dataclasses.replace(quick, avg_session_seconds=600.0))
    assert "convenience" not in names(dataclasses.replace(quick, sessions=9))  # buys in 2 visits of 9


def test_visit_types_need_session_statistics() -> None:
    """An order log without visits is never convenience, researcher or looker."""
    facts = dataclasses.replace(PLAIN, sessions=0, avg_views_per_session=None, avg_session_seconds=None)
    assert not {"convenience", "researcher", "looker"} & set(names(facts))


def test_connected_needs_two_kinds_of_engagement() -> None:
    """Content reading and ratings make a connected customer; content alone does not."""
    reader = dataclasses.replace(PLAIN, content_pages=7)
    assert "connected" not in names(reader)
    engaged = dataclasses.replace(reader, ratings=2, rating_total=9)
    assert evidence(engaged, "connected") == "read 7 content pages, left 2 ratings"
    regular = dataclasses.replace(reader, sessions=6)
    assert "connected" in names(regular)


def test_dissatisfied_by_complaint_low_rating_or_refunds() -> None:
    """A complaint, a mean rating of 2 or a quarter of the spend refunded each mark dissatisfaction."""
    assert names(dataclasses.replace(PLAIN, complaints=1)) == ["dissatisfied"]
    assert names(dataclasses.replace(PLAIN, ratings=2, rating_total=4)) == ["dissatisfied"]
    assert names(dataclasses.replace(PLAIN, ratings=2, rating_total=5)) == []
    refunded = dataclasses.replace(PLAIN, refunds=1, refunded=20.0)
    assert evidence(refunded, "dissatisfied") == "1 refund taking back 25 % of the spend"
    beyond = dataclasses.replace(PLAIN, refunds=2, refunded=PLAIN.revenue * 2)  # refunds of orders before the history
    assert evidence(beyond, "dissatisfied") == "2 refunds taking back more than the spend"
    assert names(dataclasses.replace(PLAIN, refunds=1, refunded=10.0)) == []


def test_a_customer_carries_several_types_main_first() -> None:
    """A loyal bargain hunter who complained is dissatisfied first, then loyal, then a bargain hunter."""
    facts = dataclasses.replace(PLAIN, loyalty=0.9, discount_orders=2, complaints=2)
    assert names(facts) == ["dissatisfied", "loyal", "bargain_hunter"]
    assert [n for n in CUSTOMER_TYPES if n in names(facts)] == names(facts)
    assert evidence(facts, "dissatisfied") == "2 complaints"
