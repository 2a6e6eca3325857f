"""The policy's guard rails, in their order: consent, frequency cap, targeting, hold-out, quiet hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from offers import (
    POLICY_VERSION,
    AbandonmentKind,
    Customer,
    Incentive,
    Policy,
    Rule,
    default_policy,
    in_holdout,
    incentive_code,
)

NOON = datetime(2026, 1, 15, 12, tzinfo=UTC)
NIGHT = datetime(2026, 1, 15, 23, tzinfo=UTC)
CART = AbandonmentKind.CART


@pytest.fixture
def policy() -> Policy:
    """The default policy without its hold-out, so guard-rail tests do not depend on ids."""
    return replace(default_policy(), holdout_percent=0)


def held_out_id(policy: Policy, percent: float = 10) -> str:
    return next(f"c{i}" for i in range(10_000) if in_holdout(f"c{i}", percent, policy.holdout_salt))


def treated_id(policy: Policy, percent: float = 10) -> str:
    return next(f"c{i}" for i in range(10_000) if not in_holdout(f"c{i}", percent, policy.holdout_salt))


def test_explicit_no_to_marketing_suppresses_the_offer(policy):
    """consent=False → suppress with reason no_consent, decided by the consent guard rail."""
    decision = policy.decide(CART, Customer(customer_id="c1", consent=False), NOON)
    assert (decision.action, decision.rule, decision.suppressed, decision.incentive) == (
        "suppress", "consent", "no_consent", None)


def test_unknown_consent_does_not_stop_an_offer(policy):
    """consent=None (never asked) is not a refusal."""
    assert policy.decide(CART, Customer(customer_id="c1", consent=None), NOON).action == "send"


def test_consent_is_checked_before_everything_else(policy):
    """A refusing customer who is also capped and would be held out is suppressed for consent."""
    held = replace(policy, holdout_percent=100)
    customer = Customer(customer_id="c1", consent=False, last_offer_at=NOON - timedelta(hours=1))
    assert held.decide(CART, customer, NOON).suppressed == "no_consent"


@pytest.mark.parametrize(("ago", "capped"), [
    (timedelta(hours=1), True),
    (timedelta(hours=23, minutes=59), True),
    (timedelta(hours=24), False),
    (timedelta(days=3), False),
])
def test_frequency_cap_allows_one_offer_per_24_hours(policy, ago, capped):
    """An offer less than 24 h ago suppresses the next one; at 24 h the customer is eligible again."""
    decision = policy.decide(CART, Customer(customer_id="c1", last_offer_at=NOON - ago), NOON)
    assert (decision.suppressed == "frequency_cap") is capped
    assert (decision.rule == "frequency_cap") is capped


def test_frequency_cap_is_a_policy_setting(policy):
    """A one-hour cap lets a customer have an offer two hours after the previous one."""
    hourly = replace(policy, frequency_cap=timedelta(hours=1))
    customer = Customer(customer_id="c1", last_offer_at=NOON - timedelta(hours=2))
    assert hourly.decide(CART, customer, NOON).action == "send"


def test_frequency_cap_comes_before_targeting(policy):
    """A capped customer is suppressed for the cap even when a rule would also suppress."""
    looker = Customer(customer_id="v1", intent=0.01, last_offer_at=NOON - timedelta(hours=1))
    assert policy.decide(AbandonmentKind.BROWSE, looker, NOON).suppressed == "frequency_cap"


def test_no_matching_rule_means_no_offer():
    """A policy whose rules all miss sends nothing and says so."""
    only_checkout = Policy(version="v", holdout_percent=0, rules=(
        Rule(name="checkout_only", kinds=frozenset({AbandonmentKind.CHECKOUT}), incentive=Incentive(type="reminder")),
    ))
    decision = only_checkout.decide(CART, Customer(customer_id="c1"), NOON)
    assert (decision.action, decision.suppressed) == ("suppress", "no_matching_rule")


def test_held_out_customer_gets_no_trigger_but_a_tracked_decision(policy):
    """In the hold-out: action hold_out, with the incentive they would have had but no code."""
    held = replace(policy, holdout_percent=10)
    customer = Customer(customer_id=held_out_id(held), orders=0)
    decision = held.decide(CART, customer, NOON, offer_id="of-1")
    assert (decision.action, decision.rule) == ("hold_out", "first_cart")
    assert decision.incentive == Incentive(type="free_shipping")
    assert decision.validity == timedelta(minutes=60)


def test_customer_outside_the_holdout_is_sent_the_offer(policy):
    """The same policy sends to a customer whose hash falls outside the hold-out."""
    held = replace(policy, holdout_percent=10)
    assert held.decide(CART, Customer(customer_id=treated_id(held)), NOON).action == "send"


def test_quiet_hours_defer_held_out_customers_too(policy):
    """A held-out customer at night is deferred like a treated one, and held out when quiet hours end:
    both groups' windows open at the same hour, so the uplift compares like with like."""
    held = replace(policy, holdout_percent=10)
    customer = Customer(customer_id=held_out_id(held))
    decision = held.decide(CART, customer, NIGHT)
    assert decision.action == "defer" and decision.defer_until is not None
    assert held.decide(CART, customer, decision.defer_until).action == "hold_out"


def test_a_rule_that_says_no_offer_wins_over_the_holdout(policy):
    """A low-intent looker is suppressed even when in the hold-out: there was no offer to hold out."""
    held = replace(policy, holdout_percent=100)
    looker = Customer(customer_id="v1", intent=0.01)
    decision = held.decide(AbandonmentKind.BROWSE, looker, NOON)
    assert (decision.action, decision.suppressed, decision.rule) == ("suppress", "low_intent", "low_intent_looker")


def test_quiet_hours_defer_the_offer_to_their_end(policy):
    """At 23:00 UTC for a customer without a time zone: defer until 08:00 UTC next day."""
    decision = policy.decide(CART, Customer(customer_id="c1"), NIGHT, offer_id="of-1")
    assert decision.action == "defer"
    assert decision.defer_until == datetime(2026, 1, 16, 8, tzinfo=UTC)
    assert decision.incentive is not None and decision.incentive.code == incentive_code("of-1")


def test_deciding_again_when_the_deferral_ends_sends_the_same_offer(policy):
    """Re-checking at defer_until gives send, with the same incentive and code."""
    customer = Customer(customer_id="c1")
    deferred = policy.decide(CART, customer, NIGHT, offer_id="of-1")
    assert deferred.defer_until is not None
    later = policy.decide(CART, customer, deferred.defer_until, offer_id="of-1")
    assert later.action == "send"
    assert later.incentive == deferred.incentive


def test_discount_and_free_shipping_get_a_code_derived_from_the_offer_id(policy):
    """The code is incentive_code(offer_id): the same id always gives the same code."""
    customer = Customer(customer_id="c1", segment="At Risk")
    first = policy.decide(CART, customer, NOON, offer_id="of-42")
    again = policy.decide(CART, customer, NOON, offer_id="of-42")
    other = policy.decide(CART, customer, NOON, offer_id="of-43")
    assert first.incentive is not None and first.incentive.type == "percent_off"
    assert first.incentive.code == again.incentive.code == incentive_code("of-42")
    assert other.incentive.code != first.incentive.code


def test_reminders_and_decisions_without_an_offer_id_carry_no_code(policy):
    """A reminder has nothing to redeem; without an offer id the caller derives the code later."""
    loyal = Customer(customer_id="c1", customer_types=("loyal",), orders=5, discount_orders=0)
    assert policy.decide(CART, loyal, NOON, offer_id="of-1").incentive == Incentive(type="reminder")
    at_risk = Customer(customer_id="c1", segment="At Risk")
    assert policy.decide(CART, at_risk, NOON).incentive.code is None


def test_validity_and_call_to_action_come_from_the_policy_per_kind(policy):
    """A policy with a 30-minute cart validity puts it, and the cart wording, on the decision."""
    custom = replace(policy, validity={**policy.validity, CART: timedelta(minutes=30)},
                     calls_to_action={**policy.calls_to_action, CART: "Half an hour left"})
    decision = custom.decide(CART, Customer(customer_id="c1"), NOON)
    assert (decision.validity, decision.call_to_action) == (timedelta(minutes=30), "Half an hour left")
    browse = custom.decide(AbandonmentKind.BROWSE, Customer(customer_id="c1"), NOON)
    assert browse.validity == timedelta(minutes=60)


def test_decision_time_must_be_timezone_aware(policy):
    """A naive time would make quiet hours and the cap guess; it is refused."""
    with pytest.raises(ValueError, match="timezone-aware"):
        policy.decide(CART, Customer(customer_id="c1"), datetime(2026, 1, 15, 12))


def test_kind_may_be_given_as_its_string_value(policy):
    """'cart_abandoned' decides like AbandonmentKind.CART."""
    assert policy.decide("cart_abandoned", Customer(customer_id="c1"), NOON).rule == "first_cart"


def test_reason_records_rule_version_and_what_was_known():
    """The trigger's reason says which rule, which policy, and the segment, types and scores used."""
    customer = Customer(customer_id="c1", segment="At Risk", customer_types=("loyal", "researcher"),
                        intent=0.4, loyalty=0.2)
    decision = default_policy().decide(CART, customer, NOON)
    reason = decision.reason(customer)
    assert (reason.rule, reason.policy_version, reason.segment) == ("valuable_at_risk", POLICY_VERSION, "At Risk")
    assert (reason.customer_type, reason.intent, reason.loyalty) == ("loyal,researcher", 0.4, 0.2)

