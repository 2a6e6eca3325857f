"""The offer lifecycle as a specification: each step's new state and the exact effects it returns."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from unittest.mock import ANY

from offers import AbandonmentKind, OfferOutcome, QuietHours
from offers import offer_id
from streams.core.events import ANY_EVENT, AnyEvent
from streams.core.lifecycle import (
    Deferred,
    HeldOut,
    Issued,
    LateEvent,
    Resolved,
    Rules,
    SessionEnded,
    Suppressed,
    Withdrawn,
    advance,
    next_due,
    on_order,
    receive,
)
from streams.core.state import Abandonment, CartLine, CustomerState

from builders import T0, event

RULES = Rules(session_timeout=timedelta(minutes=30), browse_views_threshold=3)
DUE = T0 + timedelta(minutes=30)


def typed(type: str, at: timedelta = timedelta(0), **fields: object) -> AnyEvent:
    return ANY_EVENT.validate_python(event(type, "c1", at, **fields))


def after(*events: AnyEvent, rules: Rules = RULES) -> CustomerState:
    state = CustomerState("c1")
    for e in events:
        state, _ = receive(state, e, rules)
    return state


def test_an_event_opens_a_visit_and_causes_nothing_else():
    state, effects = receive(CustomerState("c1"), typed("page_viewed"), RULES)
    assert effects == []
    assert state.session is not None and state.session.started_at == T0


def test_an_event_after_a_closed_visit_ended_is_late_and_only_counted():
    state, _ = advance(after(typed("page_viewed", timedelta(minutes=40))), T0 + timedelta(hours=2), RULES,
                       _policy(), now=T0 + timedelta(hours=2))
    old = typed("page_viewed", timedelta(minutes=5))
    state, effects = receive(state, old, RULES)
    assert effects == [LateEvent(old)]
    assert state.session is None and state.profile.page_views == 2


def test_a_quiet_cart_ends_its_visit_and_is_decided_when_due():
    state, effects = advance(after(typed("cart_item_added")), DUE, RULES, _policy(), now=DUE)
    assert effects == [SessionEnded(ANY), Issued(ANY, DUE)]
    assert state.session is None and state.profile.pending is None


def test_a_visit_ends_only_once_its_timeout_has_passed():
    state = after(typed("cart_item_added"))
    same, effects = advance(state, DUE - timedelta(seconds=1), RULES, _policy(), now=DUE)
    assert (same, effects) == (state, [])


def test_an_abandoned_cart_is_offered_with_its_products_and_value():
    state, effects = advance(after(typed("cart_item_added", price=40.0, quantity=2)), DUE, RULES, _policy(), now=DUE)
    issued = effects[1]
    assert effects == [SessionEnded(ANY), Issued(ANY, DUE)]
    assert isinstance(issued, Issued)
    trigger = issued.trigger
    assert (trigger.kind, trigger.cart_value, trigger.issued_at) == (AbandonmentKind.CART, 80.0, DUE)
    assert [(p.product_id, p.quantity, p.price) for p in trigger.products] == [("p1", 2, 40.0)]
    assert state.profile.open_offer is not None and state.profile.open_offer.offer_id == trigger.offer_id
    assert state.profile.offers == 1 and state.profile.last_offer_at == DUE


def test_a_started_checkout_is_a_checkout_abandonment():
    _, effects = advance(after(typed("cart_item_added"), typed("checkout_started", timedelta(minutes=1))),
                         DUE + timedelta(minutes=1), RULES, _policy(), now=DUE)
    assert isinstance(effects[1], Issued) and effects[1].trigger.kind is AbandonmentKind.CHECKOUT


def test_a_visit_that_bought_leaves_nothing_to_offer():
    order = typed("order_placed", timedelta(minutes=2))
    state, _ = receive(after(typed("cart_item_added")), order, RULES)
    state, _ = on_order(state, order)  # type: ignore[arg-type]
    state, effects = advance(state, DUE + timedelta(minutes=2), RULES, _policy(), now=DUE)
    assert effects == [SessionEnded(ANY)] and effects[0].purchased  # type: ignore[union-attr]
    assert state.profile.pending is None and state.profile.open_offer is None


def test_no_consent_suppresses_the_offer_with_its_reason():
    state = after(typed("customer_identified", marketing_consent=False), typed("cart_item_added"))
    state, effects = advance(state, DUE, RULES, _policy(), now=DUE)
    assert effects == [SessionEnded(ANY), Suppressed("cart_abandoned", "no_consent")]
    assert state.profile.pending is None and state.profile.open_offer is None


def test_a_held_out_customer_gets_an_open_offer_but_no_trigger():
    state, effects = advance(after(typed("cart_item_added")), DUE, RULES, _policy(holdout_percent=100), now=DUE)
    assert effects == [SessionEnded(ANY), HeldOut("cart_abandoned")]
    assert state.profile.open_offer is not None and state.profile.open_offer.holdout
    assert (state.profile.offers, state.profile.holdouts) == (0, 1)


def test_quiet_hours_defer_the_decision_to_their_end():
    night = QuietHours(start=21, end=8)
    late = T0.replace(hour=22)
    state = after(typed("cart_item_added", late - T0))
    due = late + timedelta(minutes=30)
    state, effects = advance(state, due, RULES, _policy(quiet_hours=night), now=due)
    morning = (late + timedelta(days=1)).replace(hour=8, minute=0)
    assert effects == [SessionEnded(ANY), Deferred("cart_abandoned", morning)]
    assert state.profile.pending is not None and state.profile.pending.due_at == morning
    assert next_due(state, RULES) == morning


def test_quiet_hours_defer_a_held_out_customer_too_so_both_windows_open_at_the_same_hour():
    night = QuietHours(start=21, end=8)
    late = T0.replace(hour=22)
    due = late + timedelta(minutes=30)
    morning = (late + timedelta(days=1)).replace(hour=8, minute=0)
    policy = _policy(quiet_hours=night, holdout_percent=100)
    state, effects = advance(after(typed("cart_item_added", late - T0)), due, RULES, policy, now=due)
    assert effects == [SessionEnded(ANY), Deferred("cart_abandoned", morning)]
    state, effects = advance(state, morning, RULES, policy, now=morning)
    assert effects == [HeldOut("cart_abandoned")]
    offer = state.profile.open_offer
    assert offer is not None and offer.holdout and offer.issued_at == morning


def test_a_purchase_before_a_deferred_offer_went_out_withdraws_it():
    pending = Abandonment("cart_abandoned", DUE, T0, None, (CartLine("p1", 1, 50.0),), 50.0)
    state = replace(CustomerState("c1"), profile=replace(CustomerState("c1").profile, pending=pending))
    order = typed("order_placed", timedelta(hours=1))
    state, effects = on_order(state, order)  # type: ignore[arg-type]
    assert effects == [Withdrawn(OfferOutcome(
        offer_id=offer_id("c1", T0), customer_id="c1", outcome="cancelled", kind=AbandonmentKind.CART,
        occurred_at=order.occurred_at, order_id="o1", order_total=50.0, holdout=False))]
    assert state.profile.pending is None and state.profile.conversions == 0


def test_a_purchase_with_the_offers_code_within_its_validity_converts_it():
    state, effects = advance(after(typed("cart_item_added")), DUE, RULES, _policy(), now=DUE)
    trigger = effects[1].trigger  # type: ignore[union-attr]
    order = typed("order_placed", timedelta(minutes=45), discount_code=trigger.incentive.code)
    state, effects = on_order(state, order)  # type: ignore[arg-type]
    assert effects == [Resolved(OfferOutcome(
        offer_id=trigger.offer_id, customer_id="c1", outcome="converted", kind=AbandonmentKind.CART,
        occurred_at=order.occurred_at, order_id="o1", order_total=50.0, holdout=False))]
    assert state.profile.open_offer is None and state.profile.conversions == 1


def test_an_offer_nobody_used_expires_at_the_end_of_its_validity():
    state, effects = advance(after(typed("cart_item_added")), DUE, RULES, _policy(), now=DUE)
    trigger = effects[1].trigger  # type: ignore[union-attr]
    state, effects = advance(state, trigger.expires_at, RULES, _policy(), now=trigger.expires_at)
    assert effects == [Resolved(OfferOutcome(
        offer_id=trigger.offer_id, customer_id="c1", outcome="expired", kind=AbandonmentKind.CART,
        occurred_at=trigger.expires_at, holdout=False))]
    assert state.profile.open_offer is None


def test_the_next_due_time_is_the_earliest_step_or_now_while_records_wait():
    state = after(typed("page_viewed"))
    assert next_due(state, RULES) == DUE
    assert next_due(state, RULES, undelivered_since=T0) == T0
    assert next_due(CustomerState("c1"), RULES) is None


def test_a_replay_decides_at_the_due_time_not_at_the_clock():
    replay = replace(RULES, event_time=True)
    wall = T0 + timedelta(days=300)
    _, effects = advance(after(typed("cart_item_added"), rules=replay), DUE, replay, _policy(), now=wall)
    assert isinstance(effects[1], Issued) and effects[1].trigger.issued_at == DUE


def _policy(**changes: object):  # type: ignore[no-untyped-def]
    from offers import default_policy

    base = replace(default_policy(), quiet_hours=QuietHours(start=0, end=0), holdout_percent=0)
    return replace(base, **changes)


def test_the_policy_is_told_the_customers_types_and_a_profile_it_cannot_read_has_none():
    """customer_view gives the policy the types of the profile at the decision; an odd profile decides without them."""
    from streams.core.lifecycle import customer_view
    from streams.core.state import Profile

    loyal = CustomerState("c1", profile=Profile(first_seen=T0 - timedelta(days=200), orders=4, order_days=3,
                                                revenue=400.0, first_order_at=T0 - timedelta(days=120),
                                                last_order_at=T0 - timedelta(days=10)))
    assert "loyal" in customer_view(loyal, at=T0).customer_types
    assert customer_view(loyal).customer_types == ()
    odd = CustomerState("c2", profile=Profile(orders=3))
    assert customer_view(odd, at=T0).customer_types == ()
