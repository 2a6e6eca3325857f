"""The default targeting: who gets which incentive, and what decides when scores are missing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from offers import AbandonmentKind, Bound, Customer, Incentive, Policy, Rule, default_policy

NOON = datetime(2026, 1, 15, 12, tzinfo=UTC)
CART, CHECKOUT, BROWSE = AbandonmentKind.CART, AbandonmentKind.CHECKOUT, AbandonmentKind.BROWSE


@pytest.fixture(scope="module")
def policy() -> Policy:
    return replace(default_policy(), holdout_percent=0)


def customer(**values: object) -> Customer:
    return Customer(customer_id="c1", **values)  # type: ignore[arg-type]


LOYAL = dict(customer_types=("loyal",), orders=8, revenue=640.0, discount_orders=1, intent=0.6, loyalty=0.8)
PRICE_SENSITIVE = dict(orders=4, revenue=120.0, discount_orders=3, loyalty=0.5)

CASES = [
    # (why, kind, customer, rule, incentive type, percent)
    ("loyal full-price customer, checkout: free shipping", CHECKOUT, customer(**LOYAL),
     "loyal_full_price_checkout", "free_shipping", 0),
    ("loyal full-price customer, cart: a reminder, no discount", CART, customer(**LOYAL),
     "loyal_full_price", "reminder", 0),
    ("loyal full-price customer, browse: a reminder", BROWSE, customer(**LOYAL),
     "loyal_full_price", "reminder", 0),
    ("Champions segment, checkout: free shipping", CHECKOUT, customer(segment="Champions", orders=5, revenue=500.0),
     "champions_checkout", "free_shipping", 0),
    ("Loyal segment, cart: a reminder", CART, customer(segment="Loyal", orders=5, revenue=500.0),
     "champions", "reminder", 0),
    ("price-sensitive with high intent: 10 % off", CART, customer(**PRICE_SENSITIVE, intent=0.7),
     "price_sensitive_high_intent", "percent_off", 10),
    ("intent exactly at the 0.5 threshold counts as high", CART, customer(**PRICE_SENSITIVE, intent=0.5),
     "price_sensitive_high_intent", "percent_off", 10),
    ("price-sensitive with low intent: no discount", CART, customer(**PRICE_SENSITIVE, intent=0.3),
     "reminder", "reminder", 0),
    ("bargain hunter type with high intent, before any order: 10 % off", CART,
     customer(customer_types=("bargain_hunter",), intent=0.8), "bargain_hunter_high_intent", "percent_off", 10),
    ("loyal type who mostly buys on discount is price-sensitive, not full-price", CART,
     customer(**{**LOYAL, "discount_orders": 6}), "price_sensitive_high_intent", "percent_off", 10),
    ("At Risk segment: 15 % off", CART, customer(segment="At Risk", orders=6, revenue=400.0),
     "valuable_at_risk", "percent_off", 15),
    ("Can't Lose Them segment: 15 % off", BROWSE, customer(segment="Can't Lose Them", orders=9, revenue=900.0),
     "valuable_at_risk", "percent_off", 15),
    ("high spender whose loyalty is fading: 15 % off", CHECKOUT, customer(**{**LOYAL, "loyalty": 0.2}),
     "valuable_fading_loyalty", "percent_off", 15),
    ("fading loyalty but little spent: no win-back discount", CART,
     customer(orders=2, revenue=80.0, loyalty=0.2), "reminder", "reminder", 0),
    ("low-intent looker browsing: nothing", BROWSE, customer(intent=0.05, customer_types=("looker",)),
     "low_intent_looker", None, 0),
    ("low intent but has bought before: a reminder", BROWSE, customer(intent=0.05, orders=1, revenue=30.0),
     "reminder", "reminder", 0),
    ("low-intent first cart is still a cart: free shipping", CART, customer(intent=0.05),
     "first_cart", "free_shipping", 0),
    ("first checkout: free shipping", CHECKOUT, customer(), "first_cart", "free_shipping", 0),
    ("returning customer, nothing special: a reminder", CART, customer(orders=2, revenue=90.0, intent=0.3),
     "reminder", "reminder", 0),
]


@pytest.mark.parametrize(("why", "kind", "who", "rule", "incentive", "percent"), CASES, ids=[c[0] for c in CASES])
def test_default_targeting(policy, why, kind, who, rule, incentive, percent):
    """Each kind of customer gets the incentive a marketer would give them."""
    decision = policy.decide(kind, who, NOON)
    assert decision.rule == rule
    if incentive is None:
        assert (decision.action, decision.incentive) == ("suppress", None)
    else:
        assert decision.action == "send"
        assert decision.incentive is not None
        assert (decision.incentive.type, decision.incentive.value) == (incentive, percent)


FALLBACKS = [
    ("bargain hunter without an intent score: no discount yet, first-cart rule decides", CART,
     customer(customer_types=("bargain_hunter",)), "first_cart"),
    ("price-sensitive without an intent score: a reminder", CART, customer(**PRICE_SENSITIVE), "reminder"),
    ("high spender without a loyalty score: not treated as fading", CART,
     customer(orders=5, revenue=900.0), "reminder"),
    ("At Risk needs no score: the segment alone decides", CART, customer(segment="At Risk", orders=3),
     "valuable_at_risk"),
    ("browsing visitor without an intent score is not written off as a looker", BROWSE, customer(), "reminder"),
    ("loyal type needs no score", CART, customer(customer_types=("loyal",), orders=5, discount_orders=0),
     "loyal_full_price"),
]


@pytest.mark.parametrize(("why", "kind", "who", "rule"), FALLBACKS, ids=[c[0] for c in FALLBACKS])
def test_without_model_scores_profile_rules_decide(policy, why, kind, who, rule):
    """Rules that need intent or loyalty step aside while the models have no score."""
    assert policy.decide(kind, who, NOON).rule == rule


def test_first_matching_rule_wins():
    """Of two matching rules, the one listed first decides."""
    rules = (
        Rule(name="first", incentive=Incentive(type="free_shipping")),
        Rule(name="second", incentive=Incentive(type="reminder")),
    )
    assert Policy(version="v", rules=rules, holdout_percent=0).decide(CART, customer(), NOON).rule == "first"


def test_rule_conditions_all_have_to_hold():
    """kinds, segments, customer types and bounds are and-ed; each list is any-of."""
    rule = Rule(name="r", kinds=frozenset({CART, CHECKOUT}), segments=frozenset({"At Risk", "Lost"}),
                customer_types=frozenset({"loyal", "researcher"}), bounds=(Bound("revenue", at_least=100),),
                incentive=Incentive(type="reminder"))
    fits = customer(segment="Lost", customer_types=("new", "researcher"), revenue=100.0)
    assert rule.matches(CHECKOUT, fits)
    assert not rule.matches(BROWSE, fits)
    assert not rule.matches(CART, replace(fits, segment="Champions"))
    assert not rule.matches(CART, replace(fits, customer_types=("new",)))
    assert not rule.matches(CART, replace(fits, revenue=99.99))


def test_bounds_include_at_least_and_exclude_below():
    """at_least is >=, below is <, and an unknown value never holds."""
    bound = Bound("loyalty", at_least=0.2, below=0.3)
    assert [bound.holds(v) for v in (0.19, 0.2, 0.29, 0.3, None)] == [False, True, True, False, False]


def test_discount_share_is_unknown_before_the_first_order():
    """No orders: the share is None, so share-based rules do not match a brand-new customer."""
    assert customer().discount_share is None
    assert customer(orders=4, discount_orders=1).discount_share == 0.25


def test_rule_needs_exactly_one_of_incentive_or_suppress():
    """A rule that both offers and suppresses, or does neither, is a programming error."""
    with pytest.raises(ValueError, match="exactly one"):
        Rule(name="both", incentive=Incentive(type="reminder"), suppress="x")
    with pytest.raises(ValueError, match="exactly one"):
        Rule(name="neither")
