"""Expected value from loyalty or recency and frequency, net of refunds and discounts; best and worst."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest

from models.customer_facts import CustomerFacts
from models.value import (
    DISCOUNT_DEPENDENCE,
    FIRST_REPEAT_DAYS,
    FIRST_REPEAT_P,
    expected_value,
    p_buy_again,
    rank,
)

NOW = dt.datetime(2024, 12, 1, tzinfo=dt.UTC)


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def buyer(
    cid: str = "c", orders: int = 6, revenue: float = 600.0, first: float = 300.0, last: float = 10.0
) -> CustomerFacts:
    """A buyer with one order per purchase day."""
    return CustomerFacts(
        cid,
        first_seen=ago(first),
        orders=orders,
        revenue=revenue,
        order_days=orders - 1,
        gap_days_total=first - last,
        first_order_at=ago(first),
        last_order_at=ago(last),
    )


def value(facts: CustomerFacts) -> float:
    v = expected_value(facts, NOW)
    assert v is not None
    return v.expected_value


def test_the_loyalty_score_is_used_when_the_profile_has_one() -> None:
    """With a loyalty score the value is proportional to it and says so."""
    facts = dataclasses.replace(buyer(), loyalty=0.5)
    v = expected_value(facts, NOW)
    assert v is not None and v.p_source == "loyalty" and v.p_buy_again == 0.5
    doubled = expected_value(dataclasses.replace(facts, loyalty=1.0), NOW)
    assert doubled is not None
    assert doubled.expected_value == pytest.approx(2 * v.expected_value)


def test_a_value_by_the_rule_is_the_recency_rules_and_its_reasons_say_its_chance() -> None:
    """The rule values a customer (the model does not rank better yet): as from the snapshot's features, loyalty aside."""
    from models.value_features import value_features
    from models.value_inputs import rule_spend

    facts = dataclasses.replace(buyer(last=150.0), loyalty=0.83)
    rule = rule_spend(value_features(facts, NOW))
    v = expected_value(facts, NOW, learned=rule, learned_by="rule")
    assert v is not None and (v.value_source, v.p_source) == ("rule", "recency")
    assert v.p_buy_again == p_buy_again(facts, NOW) < 0.83
    without_loyalty = expected_value(dataclasses.replace(facts, loyalty=None), NOW)
    assert without_loyalty is not None and v.expected_value == pytest.approx(without_loyalty.expected_value)
    assert v.reasons == without_loyalty.reasons[:-1] + (
        without_loyalty.reasons[-1] + " (by the rule: the learned model does not rank better yet)",)


def test_without_loyalty_recent_and_frequent_buyers_are_likelier_to_buy_again() -> None:
    """The fallback rule falls with silence and rises with the number of purchase days."""
    silences = [p_buy_again(buyer(last=d), NOW) for d in (5, 30, 90, 180, 290)]
    assert silences == sorted(silences, reverse=True)
    assert silences[0] > 0.5 and silences[-1] < 0.01
    frequent = [p_buy_again(buyer(orders=n, last=2), NOW) for n in (2, 4, 8, 16)]
    assert frequent == sorted(frequent)


def test_silence_weighs_more_against_a_frequent_buyer() -> None:
    """Thirty silent days say more against a fortnightly buyer than against a twice-a-year one."""
    frequent = [p_buy_again(buyer(orders=16, last=d), NOW) for d in (2, 30)]
    rare = [p_buy_again(buyer(orders=2, last=d), NOW) for d in (2, 30)]
    assert frequent[1] / frequent[0] < rare[1] / rare[0]


def test_one_time_buyers_fade_from_the_first_repeat_chance() -> None:
    """A one-time buyer starts at FIRST_REPEAT_P and fades with time since the order."""
    fresh = CustomerFacts("c", orders=1, revenue=30.0, first_order_at=NOW, last_order_at=NOW)
    assert p_buy_again(fresh, NOW) == pytest.approx(FIRST_REPEAT_P)
    old = dataclasses.replace(fresh, first_order_at=ago(365), last_order_at=ago(365))
    assert p_buy_again(old, NOW) == pytest.approx(FIRST_REPEAT_P * math.exp(-365 / FIRST_REPEAT_DAYS))
    assert p_buy_again(CustomerFacts("v", sessions=3), NOW) == 0.0


def test_refunds_take_their_share_of_the_value() -> None:
    """Refunding a fifth of the spend takes a fifth of the value; refunding all takes all."""
    facts = buyer()
    assert value(dataclasses.replace(facts, refunds=1, refunded=120.0)) == pytest.approx(0.8 * value(facts))
    assert value(dataclasses.replace(facts, refunds=6, refunded=600.0)) == 0.0


def test_discount_dependence_writes_off_part_of_the_discounted_share() -> None:
    """A customer who always buys with a discount is worth DISCOUNT_DEPENDENCE less."""
    facts = buyer()
    always = dataclasses.replace(facts, discount_orders=6)
    assert value(always) == pytest.approx((1 - DISCOUNT_DEPENDENCE) * value(facts))


def test_expected_orders_follow_the_rhythm_and_orders_per_day() -> None:
    """Buying every 30 days gives three purchase days in 90; two orders a purchase day doubles that."""
    steady = expected_value(dataclasses.replace(buyer(orders=11, first=300, last=0), loyalty=1.0), NOW)
    assert steady is not None and steady.expected_orders == pytest.approx(3.0)
    doubled = buyer(orders=22, revenue=1200.0, first=300, last=0)
    doubled = dataclasses.replace(doubled, order_days=10, loyalty=1.0)
    v = expected_value(doubled, NOW)
    assert v is not None and v.expected_orders == pytest.approx(6.0)


def test_customers_who_never_bought_have_no_value() -> None:
    """A looker gets no value estimate."""
    assert expected_value(CustomerFacts("v", sessions=9), NOW) is None


def test_reasons_say_what_was_spent_how_likely_and_what_came_back() -> None:
    """The reasons name net spend and orders, the chance to buy again, refunds, discounts and recency."""
    facts = dataclasses.replace(
        buyer(orders=9, revenue=1300.0), refunds=1, refunded=60.0, discount_orders=2, loyalty=0.92
    )
    v = expected_value(facts, NOW)
    assert v is not None
    assert v.reasons[:5] == (
        "spent £1,300 over 9 orders",
        "92 % likely to buy again within 90 days",
        "1 refund of £60 (5 % of the spend)",
        "2 of 9 orders used a discount",
        "last order 10 days ago",
    )
    assert v.reasons[-1].startswith("expected to spend £")
    plain = expected_value(buyer(), NOW, currency="EUR")
    assert plain is not None
    assert "no refunds" in plain.reasons and "always paid full price" in plain.reasons
    assert plain.reasons[0] == "spent €600 over 6 orders"


def test_an_overdue_customer_is_said_to_be() -> None:
    """A monthly buyer silent for two months has 'overdue' in the reasons."""
    v = expected_value(buyer(orders=6, first=210, last=60), NOW)
    assert v is not None and "last order 2 months ago, overdue" in v.reasons


SHOP = [
    buyer("regular", orders=10, revenue=900.0, last=5),
    buyer("big-but-gone", orders=10, revenue=5000.0, last=250),
    buyer("steady", orders=4, revenue=300.0, last=20),
    dataclasses.replace(buyer("returner", orders=1, revenue=60.0, last=300), refunds=1, refunded=60.0),
    buyer("one-off", orders=1, revenue=40.0, first=600, last=600),
    CustomerFacts("looker", sessions=12),
]


def test_best_customers_are_ranked_by_expected_not_past_value() -> None:
    """A big spender who has gone ranks below regular buyers, and below a recent small one."""
    assert [v.customer_id for v in rank(SHOP, NOW, limit=3)] == ["regular", "steady", "one-off"]


def test_worst_customers_are_buyers_with_the_least_value_refunders_first() -> None:
    """Worst starts with who returned everything; of two lapsed buyers, the smaller spender is worse."""
    worst = [v.customer_id for v in rank(SHOP, NOW, order="worst", limit=10)]
    assert worst == ["returner", "one-off", "big-but-gone", "steady", "regular"]
    assert "looker" not in worst


def test_ties_are_broken_by_customer_id_so_lists_are_deterministic() -> None:
    """Identical customers come out in id order, whatever order they came in."""
    twins = [buyer(cid) for cid in ("b", "c", "a")]
    assert [v.customer_id for v in rank(twins, NOW)] == ["a", "b", "c"]
    assert [v.customer_id for v in rank(reversed(twins), NOW, order="worst")] == ["a", "b", "c"]


def test_rank_reads_a_stream_once_and_keeps_only_the_limit() -> None:
    """A generator of many customers works and only `limit` come back."""
    many = (buyer(f"c{i:05d}", orders=1 + i % 7, last=i % 200) for i in range(5_000))
    top = rank(many, NOW, limit=5)
    assert len(top) == 5
    assert [v.expected_value for v in top] == sorted((v.expected_value for v in top), reverse=True)


def test_rank_refuses_an_unknown_order_or_a_negative_limit() -> None:
    """order must be best or worst and limit at least 0."""
    with pytest.raises(ValueError, match="'best' or 'worst', found 'top'"):
        rank(SHOP, NOW, order="top")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit >= 0"):
        rank(SHOP, NOW, limit=-1)
    assert rank(SHOP, NOW, limit=0) == []


def test_a_learned_value_replaces_the_rules_and_says_so() -> None:
    """With the value model's prediction, the value is that prediction and the last reason says it was learned."""
    facts = buyer()
    rule = expected_value(facts, NOW)
    learned = expected_value(facts, NOW, learned=123.0)
    assert rule is not None and learned is not None
    assert (learned.expected_value, learned.value_source, rule.value_source) == (123.0, "learned", "rule")
    assert learned.p_buy_again == rule.p_buy_again and learned.reasons[:-1] == rule.reasons[:-1]
    assert learned.reasons[-1].endswith("(learned from what customers spent)")
    assert expected_value(facts, NOW, learned=float("nan")).value_source == "rule"  # type: ignore[union-attr]


def test_rank_orders_by_learned_values_where_given() -> None:
    """Customers with a learned value are ranked by it; the others keep the rule's value."""
    shop = [buyer("a", revenue=6000.0), buyer("b", revenue=60.0), buyer("c", revenue=600.0)]
    assert [v.customer_id for v in rank(shop, NOW)] == ["a", "c", "b"]
    ranked = rank(shop, NOW, learned={"b": 1e6, "a": 0.0})
    assert [v.customer_id for v in ranked] == ["b", "c", "a"]
    assert [v.value_source for v in ranked] == ["learned", "rule", "learned"]
