"""The in-place steps of :class:`~streams.core.drafts.Draft` are the pure steps, over generated histories.

The histories are those of the lateness tests (out of order within and beyond the lateness,
visits bridged by a late event, orders, refunds, logins, cart snapshots, carts expiring):
the state after each event, and every effect, must equal what the pure ``advance`` /
``receive`` / ``on_order`` give, live and in event time, with and without lateness.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offers import QuietHours, default_policy
from streams.core.drafts import Draft
from streams.core.events import AnyEvent, CustomerIdentified, OrderPlaced
from streams.core.lifecycle import Effect, Rules, advance, on_order, receive
from streams.core.state import CustomerState, Session
from streams.worker.customers import CustomerSteps

from builders import T0
from test_lateness import CART_TTL, LATENESS, TIMEOUT, bridged_histories, histories

POLICY = replace(default_policy(), quiet_hours=QuietHours(start=0, end=0), holdout_percent=0)
NOW = T0 + timedelta(days=30)
RULES = [
    Rules(session_timeout=TIMEOUT, browse_views_threshold=3, event_time=event_time, allowed_lateness=lateness,
          cart_ttl=CART_TTL, recent_events=keep)
    for event_time in (False, True)
    for lateness, keep in ((LATENESS, 10), (timedelta(0), 3))
]


def pure(events: list[AnyEvent], rules: Rules) -> tuple[list[CustomerState], list[Effect]]:
    """The specification: each event through the pure steps (the tracker's order of them)."""
    state, effects, states = CustomerState("c1"), [], []
    for e in events:
        if not rules.event_time:
            state, due = advance(state, e.occurred_at, rules, POLICY, now=NOW)
            effects += due
        state, more = receive(state, e, rules)
        effects += more
        if isinstance(e, OrderPlaced):
            state, more = on_order(state, e, rules)
            effects += more
        states.append(state)
    return states, effects


def drafted(events: list[AnyEvent], rules: Rules) -> tuple[list[CustomerState], list[Effect]]:
    """The same through one draft, frozen after each event (what a batch of one event does)."""
    draft, effects, states = Draft(CustomerState("c1")), [], []
    for e in events:
        if not rules.event_time:
            effects += draft.advance(e.occurred_at, rules, POLICY, now=NOW)
        effects += draft.receive(e, rules)
        if isinstance(e, OrderPlaced):
            effects += draft.on_order(e, rules)
        states.append(draft.state())
    return states, effects


@settings(max_examples=600, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(histories(), bridged_histories()), st.sampled_from(RULES))
def test_the_draft_takes_the_pure_steps(history, rules):
    """Event by event: the same state and the same effects, in order."""
    _, arrived = history
    expected, expected_effects = pure(arrived, rules)
    actual, effects = drafted(arrived, rules)
    assert actual == expected
    assert effects == expected_effects


@pytest.mark.parametrize("owned", [False, True], ids=["copied", "owned"])
@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(histories(), bridged_histories()), st.sampled_from(RULES), st.integers(1, 40))
def test_a_batch_in_place_is_the_events_one_by_one(owned, history, rules, batch):
    """Whole batches through the worker's steps (one draft each) end where the pure steps end.

    ``owned``: as the worker's memory hands a customer to a batch, whose parts are changed
    without a first copy.
    """
    _, arrived = history
    expected, expected_effects = pure(arrived, rules)
    steps = CustomerSteps(rules, POLICY)
    state, effects, seen = CustomerState("c1"), [], set()
    for start in range(0, len(arrived), batch):
        applied = steps.apply(state, seen, arrived[start:start + batch], now=NOW, owned=owned)
        assert applied.state == expected[min(start + batch, len(arrived)) - 1]
        state, effects, seen = applied.state, effects + applied.effects, seen | set(applied.handled)
    assert effects == expected_effects


def _page_views(count: int) -> list[AnyEvent]:
    """``count`` page views of one visitor, a second apart."""
    from builders import event
    from streams.core.events import ANY_EVENT

    return [ANY_EVENT.validate_python(event("page_viewed", at=T0 + timedelta(seconds=i))) for i in range(count)]


def _handed_out(first: AnyEvent) -> tuple[Draft, CustomerState]:
    """A new customer's draft after ``first``, and the state it handed out then."""
    draft = Draft(CustomerState("c1"))
    draft.receive(first, RULES[0])
    return draft, draft.state()


def test_an_owned_state_is_changed_in_place_and_a_handed_out_one_is_not():
    rules = RULES[0]
    views = _page_views(2)
    _, given = _handed_out(views[0])
    owner = Draft(given, owned=True)
    owner.receive(views[1], rules)
    assert owner.state().profile is given.profile and given.profile.page_views == 2
    assert owner.state().session is given.session and given.session.events == 2


def test_a_state_handed_out_is_never_changed_after():
    """The draft copies a part before its first change after :meth:`Draft.state` handed it out."""
    rules = RULES[0]
    views = _page_views(3)
    draft, first = _handed_out(views[0])
    frozen = (replace(first.profile), replace(first.session))
    draft.receive(views[1], rules)
    draft.receive(views[2], rules)
    assert (first.profile, first.session) == frozen
    assert isinstance(first.session, Session) and first.session.events == 1
    assert draft.state().session.events == 3 and draft.state().profile.page_views == 3


def test_logins_are_drafted_too():
    """A login's traits and consent are set in place (no visitor to stitch)."""
    from builders import event
    from streams.core.events import ANY_EVENT

    login = ANY_EVENT.validate_python(event("customer_identified", at=T0, traits={"country": "GB"},
                                            marketing_consent=True))
    assert isinstance(login, CustomerIdentified)
    expected, _ = receive(CustomerState("c1"), login, RULES[0])
    draft = Draft(CustomerState("c1"))
    draft.receive(login, RULES[0])
    assert draft.state() == expected


@pytest.mark.parametrize("open_offer, pending", [(True, False), (False, True), (True, True)])
def test_an_order_resolves_the_open_offer_and_withdraws_the_pending_one(open_offer, pending):
    """With an offer open or pending, the draft's order is the pure ``on_order``."""
    from builders import event
    from streams.core.events import ANY_EVENT
    from streams.core.state import Abandonment, OpenOffer, Profile

    rules = RULES[0]
    profile = Profile(
        first_seen=T0, last_seen=T0,
        open_offer=OpenOffer("o-1", "cart_abandoned", T0, T0 + timedelta(days=2), "SAVE10") if open_offer else None,
        pending=Abandonment("browse_abandoned", T0 + timedelta(hours=1), T0) if pending else None,
    )
    start = CustomerState("c1", profile)
    order = ANY_EVENT.validate_python(event("order_placed", at=T0 + timedelta(hours=2), discount_code="SAVE10"))
    assert isinstance(order, OrderPlaced)
    expected, expected_effects = receive(start, order, rules)
    expected, more = on_order(expected, order)
    draft = Draft(start)
    effects = draft.receive(order, rules) + draft.on_order(order)
    assert draft.state() == expected
    assert effects == expected_effects + more and len(more) == open_offer + pending


@settings(max_examples=500, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(histories(), bridged_histories()), st.sampled_from(RULES), st.integers(1, 40),
       st.lists(st.integers(0, 60 * 24 * 4), min_size=1, max_size=4))
def test_the_timers_steps_in_place_are_the_pure_advance(history, rules, batch, minutes):
    """What the timer does between batches (visits ending, offers decided, expiring), through a draft
    and pure, at ticks from the last event on (none to days later): the same states and effects."""
    _, arrived = history
    steps = CustomerSteps(rules, POLICY)
    state, seen = CustomerState("c1"), set()
    for start in range(0, len(arrived), batch):
        state = steps.apply(state, seen, arrived[start:start + batch], now=NOW).state
        seen |= {e.event_id for e in arrived[start:start + batch]}
        last = max(e.occurred_at for e in arrived[:start + batch])
        expected, draft = state, Draft(state)
        for tick in sorted(minutes):
            until = last + timedelta(minutes=tick)
            expected, expected_effects = advance(expected, until, rules, POLICY, now=max(until, NOW))
            assert draft.advance(until, rules, POLICY, now=max(until, NOW)) == expected_effects
            assert draft.state() == expected
        state = expected
