"""The policy told the customer's RFM segment: rules on segments match live, and a customer without one is left as is."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from offers import AbandonmentKind, Customer, QuietHours, default_policy
from streams.worker.targeting import WithSegments

NOW = datetime(2026, 3, 2, 10, tzinfo=timezone.utc)
POLICY = replace(default_policy(), quiet_hours=QuietHours(start=0, end=0), holdout_percent=0)


def test_a_valuable_customer_at_risk_gets_the_discount_the_policy_gives_that_segment():
    policy = WithSegments(POLICY, {"c1": "At Risk"}.get)
    decision = policy.decide(AbandonmentKind.CART, Customer(customer_id="c1", consent=True, orders=5, revenue=900), NOW)
    assert decision.rule == "valuable_at_risk" and decision.incentive is not None
    assert decision.incentive.type == "percent_off"


def test_without_a_segment_the_policy_decides_as_before():
    policy = WithSegments(POLICY, lambda customer_id: None)
    customer = Customer(customer_id="c2", consent=True)
    assert policy.decide(AbandonmentKind.CART, customer, NOW) == POLICY.decide(AbandonmentKind.CART, customer, NOW)
    assert policy.rules == POLICY.rules
