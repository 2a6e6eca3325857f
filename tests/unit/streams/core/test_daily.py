"""The page's daily figures: what the lifecycle's effects add to which day, and how the API reads them back."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from offers import QuietHours, default_policy
from streams.core.daily import decile_shares, offer_counts, series
from streams.core.events import ANY_EVENT, AnyEvent
from streams.core.lifecycle import Rules, advance, on_order, receive
from streams.core.state import CustomerState

from builders import T0, event

RULES = Rules(session_timeout=timedelta(minutes=30), browse_views_threshold=3)
DAY = T0.date().isoformat()


def typed(type: str, at: timedelta = timedelta(0), **fields: object) -> AnyEvent:
    return ANY_EVENT.validate_python(event(type, "c1", at, **fields))


def abandoned_cart(**identified: object) -> CustomerState:
    state = CustomerState("c1")
    for e in (typed("customer_identified", **identified), typed("cart_item_added", timedelta(minutes=1))):
        state, _ = receive(state, e, RULES)
    return state


def policy(holdout: float = 0):  # type: ignore[no-untyped-def]
    return replace(default_policy(), quiet_hours=QuietHours(start=0, end=0), holdout_percent=holdout)


def test_a_sent_offer_counts_on_its_day_by_kind_and_incentive_and_its_outcome_as_treated():
    state, effects = advance(abandoned_cart(marketing_consent=True), T0 + timedelta(hours=1), RULES, policy(),
                             now=T0 + timedelta(hours=1))
    offers, outcomes = offer_counts(effects, T0)
    assert offers == {f"{DAY}|sent|cart_abandoned|free_shipping": 1} and not outcomes
    order = ANY_EVENT.validate_python(event("order_placed", "c1", timedelta(minutes=90), order_id="o1", total=50.0))
    _, effects = on_order(state, order)  # type: ignore[arg-type]
    outcome = effects[0].outcome.outcome  # type: ignore[attr-defined]
    assert offer_counts(effects, T0)[1] == {f"{DAY}|treated|{outcome}": 1}


def test_held_out_and_suppressed_decisions_count_as_offers_that_sent_none():
    _, held = advance(abandoned_cart(marketing_consent=True), T0 + timedelta(hours=1), RULES, policy(100),
                      now=T0 + timedelta(hours=1))
    _, refused = advance(abandoned_cart(marketing_consent=False), T0 + timedelta(hours=1), RULES, policy(),
                         now=T0 + timedelta(hours=1))
    assert offer_counts(held, T0 - timedelta(days=3))[0] == {f"{DAY}|held_out|cart_abandoned|none": 1}
    assert offer_counts(refused, T0 - timedelta(days=3))[0] == {f"{DAY}|suppressed|cart_abandoned|no_consent": 1}


def test_value_deciles_hold_every_share_once_best_tenth_first():
    shares = decile_shares([float(v) for v in range(1, 101)])
    assert len(shares) == 10 and abs(sum(shares) - 1) < 1e-6 and shares == sorted(shares, reverse=True)


def test_series_leave_out_fields_of_another_width_and_values_that_are_not_numbers():
    counts = {"2026-03-01|a|b": 1.0, "2026-03-01|a": 2.0, "2026-03-02|a|b": float("nan")}
    assert series(counts, 2) == {"a|b": {"2026-03-01": 1.0}}
