"""Out-of-order events: within the allowed lateness they change nothing; later ones are counted.

The property tests generate one customer's history and an arrival order in which every
event comes at most ``LATENESS`` (event time) after the events that happened after it,
and compare the result with the sorted history's, field by field.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offers import QuietHours, default_policy, offer_id
from streams.store.codec import to_hash
from streams.core.events import ANY_EVENT, AnyEvent, OrderPlaced
from streams.core.lifecycle import (
    Deferred,
    Effect,
    HeldOut,
    Issued,
    LateEvent,
    Resolved,
    Rules,
    SessionEnded,
    Suppressed,
    Withdrawn,
    advance,
    on_order,
    receive,
)
from streams.core.state import CustomerState, Profile

from builders import T0, event

TIMEOUT = timedelta(minutes=30)
LATENESS = timedelta(minutes=5)
#: A short cart TTL, so that the generated gaps (up to a day) let carts expire between changes.
CART_TTL = timedelta(hours=1)
RULES = Rules(session_timeout=TIMEOUT, browse_views_threshold=3, event_time=True, allowed_lateness=LATENESS,
              cart_ttl=CART_TTL)
LIVE = replace(RULES, event_time=False)
POLICY = replace(default_policy(), quiet_hours=QuietHours(start=0, end=0), holdout_percent=0)
NOW = T0 + timedelta(days=30)
#: Each product has one category and price, as a shop's catalogue does (labels agree).
PRODUCTS = {"p1": ("shoes", 19.99), "p2": ("hats", 5.5), "p3": ("bags", 120.0), "p4": ("socks", 3.25)}

products = st.sampled_from(sorted(PRODUCTS))
money = st.integers(min_value=0, max_value=50_000).map(lambda cents: cents / 100)
dwell = st.none() | st.floats(min_value=0, max_value=900, allow_nan=False)


def _product_viewed(product_id: str, seconds: float | None) -> dict[str, object]:
    category, price = PRODUCTS[product_id]
    return {"type": "product_viewed", "product_id": product_id, "category": category, "price": price,
            "dwell_seconds": seconds}


def _added(product_id: str, quantity: int) -> dict[str, object]:
    category, price = PRODUCTS[product_id]
    return {"type": "cart_item_added", "product_id": product_id, "quantity": quantity, "price": price,
            "category": category}


def _snapshot(type_: str, lines: list[tuple[str, int]], value: float | None) -> dict[str, object]:
    """A checkout or cart view that carries the cart's products (it replaces the known cart)."""
    products = [{"product_id": p, "quantity": q, "price": PRODUCTS[p][1], "category": PRODUCTS[p][0]}
                for p, q in lines]
    return {"type": type_, "products": products, "value": value}


def _order(total: float, discount: float, product_id: str) -> dict[str, object]:
    category, price = PRODUCTS[product_id]
    return {"type": "order_placed", "total": total, "discount_amount": discount,
            "line_items": [{"product_id": product_id, "price": price, "category": category}]}


kinds = st.one_of(
    st.builds(lambda page, seconds, channel: {"type": "page_viewed", "page_type": page, "dwell_seconds": seconds,
                                                "channel": channel},
              st.sampled_from(["home", "product", "cart", "checkout", "info", "blog", "other"]), dwell,
              st.sampled_from([None, "email"])),
    st.builds(_product_viewed, products, dwell),
    st.just({"type": "searched", "query": "boots"}),
    st.builds(_added, products, st.integers(1, 3)),
    st.builds(lambda p, q: {"type": "cart_item_removed", "product_id": p, "quantity": q}, products, st.integers(1, 2)),
    st.just({"type": "checkout_started"}),
    st.just({"type": "cart_viewed"}),
    st.just({"type": "activity", "name": "Coupon Entered"}),
    st.builds(_snapshot, st.sampled_from(["checkout_started", "cart_viewed"]),
              st.lists(st.tuples(products, st.integers(1, 3)), max_size=3), st.none() | money),
    st.just({"type": "customer_identified", "traits": {"country": "GB"}, "marketing_consent": True}),
    st.builds(lambda r, c: {"type": "feedback_submitted", "rating": r, "complaint": c}, st.integers(1, 5),
              st.booleans()),
    st.builds(_order, money, st.sampled_from([0.0, 2.5]), products),
    st.builds(lambda amount: {"type": "order_refunded", "amount": amount}, money),
)
# Gaps straddle the session timeout and the timeout + lateness, where sessions split and close;
# one just under the timeout followed by a short one is where a late event bridges two visits.
seconds = int(LATENESS.total_seconds())
gaps = st.one_of(
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=0, max_value=seconds + 60),
    st.integers(min_value=int(TIMEOUT.total_seconds()) - 60, max_value=int(TIMEOUT.total_seconds()) - 1),
    st.integers(min_value=int((TIMEOUT - LATENESS).total_seconds()), max_value=int((TIMEOUT + LATENESS).total_seconds())),
    st.integers(min_value=0, max_value=50 * 60),
    st.sampled_from([0, 1, 299, 300, 301, 1799, 1800, 1801, 2099, 2100, 2101, 7200, 86_400]),
)
delays = st.one_of(st.just(0), st.integers(0, seconds), st.integers(seconds - 60, seconds))


Step = tuple[int, dict[str, object], "str | None"]
steps_of = st.tuples(gaps, kinds, st.sampled_from([None, "s1"]))


def _arrive(steps: list[Step], late_by: list[int]) -> tuple[list[AnyEvent], list[AnyEvent]]:
    """(events in time order, the same events arriving ``late_by`` seconds after they happened)."""
    at, in_order = T0, []
    for gap, body, session_id in steps:
        at += timedelta(seconds=gap)
        fields = {k: v for k, v in body.items() if k != "type" and v is not None}
        in_order.append(ANY_EVENT.validate_python(event(str(body["type"]), at=at, session_id=session_id, **fields)))
    # An event comes after a later one only if that one happened at most the lateness after it.
    arrival = sorted(range(len(in_order)), key=lambda i: (in_order[i].occurred_at + timedelta(seconds=late_by[i]), i))
    return in_order, [in_order[i] for i in arrival]


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[AnyEvent], list[AnyEvent]]:
    """A customer's events, and an arrival order within the lateness."""
    steps = draw(st.lists(steps_of, min_size=2, max_size=40))
    return _arrive(steps, draw(st.lists(delays, min_size=len(steps), max_size=len(steps))))


@st.composite
def bridged_histories(draw: st.DrawFn) -> tuple[list[AnyEvent], list[AnyEvent]]:
    """Two visits joined by one event that arrives after the second started: the hard case."""
    timeout, lateness = int(TIMEOUT.total_seconds()), int(LATENESS.total_seconds())
    first = draw(st.lists(steps_of, min_size=1, max_size=10))
    bridge_gap = draw(st.integers(timeout - lateness + 1, timeout - 1))
    second_gap = draw(st.integers(timeout - bridge_gap, lateness))  # a timeout or more after the first visit
    second = draw(st.lists(steps_of, min_size=1, max_size=10))
    bridge, resume = draw(steps_of), draw(steps_of)
    steps = [*first, (bridge_gap, bridge[1], bridge[2]), (second_gap, resume[1], resume[2]), *second]
    late_by = draw(st.lists(delays, min_size=len(steps), max_size=len(steps)))
    late_by[len(first)] = lateness
    return _arrive(steps, late_by)


def run(events: list[AnyEvent], rules: Rules) -> tuple[CustomerState, list[Effect]]:
    """What the tracker does for one customer's events (live, it first takes the steps come due)."""
    state, effects = CustomerState("c1"), []
    for e in events:
        if not rules.event_time:
            state, due = advance(state, e.occurred_at, rules, POLICY, now=NOW)
            effects += due
        state, more = receive(state, e, rules)
        effects += more
        if isinstance(e, OrderPlaced):
            state, more = on_order(state, e, rules)
            effects += more
    return state, effects


def flushed(state: CustomerState, rules: Rules) -> tuple[CustomerState, list[Effect]]:
    """Time passes: every session closes and its offer is decided."""
    last = state.profile.last_seen or T0
    return advance(state, last + timedelta(days=2), rules, POLICY, now=NOW)


def sessions_ended(effects: list[Effect]) -> list[object]:
    return [e.session for e in effects if isinstance(e, SessionEnded)]


def without_offers(profile: Profile) -> Profile:
    """Live, offers are decided at the clock's time, on the profile as it is then."""
    return replace(profile, pending=None, open_offer=None, offers=0, holdouts=0, last_offer_at=None,
                   conversions=0, holdout_conversions=0)


@settings(max_examples=1500, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_events_late_by_at_most_the_lateness_give_the_sorted_result(history):
    """Replays (event time): same profile, open and closed sessions, triggers; nothing late."""
    in_order, arrived = history
    expected, expected_effects = run(in_order, RULES)
    actual, effects = run(arrived, RULES)
    assert actual == expected
    assert sessions_ended(effects) == sessions_ended(expected_effects)
    assert not [e for e in effects if isinstance(e, LateEvent)]
    expected_end, expected_more = flushed(expected, RULES)
    actual_end, more = flushed(actual, RULES)
    assert actual_end == expected_end
    assert sessions_ended(effects + more) == sessions_ended(expected_effects + expected_more)
    issued = [e.trigger for e in expected_effects + expected_more if isinstance(e, Issued)]
    assert [e.trigger for e in effects + more if isinstance(e, Issued)] == issued
    # About 1 KB in Redis, plus the latest events' 10 to 24 bytes each (these ids are short).
    stored = to_hash(actual_end.profile)
    recent = "".join(v for k, v in stored.items() if k.startswith("recent_events"))
    assert len(recent.encode()) < 24 * RULES.recent_events
    assert len("".join(k + v for k, v in stored.items()).encode()) < 1024 + 24 * RULES.recent_events


@settings(max_examples=1000, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(bridged_histories())
def test_a_late_event_bridging_two_visits_gives_the_sorted_result(history):
    """Whatever the two visits held, the bridged visit is the one of the sorted stream."""
    in_order, arrived = history
    expected, expected_effects = run(in_order, RULES)
    actual, effects = run(arrived, RULES)
    assert actual == expected
    assert sessions_ended(effects) == sessions_ended(expected_effects)
    assert flushed(actual, RULES) == flushed(expected, RULES)


@settings(max_examples=1500, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_live_events_late_by_at_most_the_lateness_give_the_sorted_sessions(history):
    """Live (steps come due by each event's time first): same sessions and lifetime profile."""
    in_order, arrived = history
    expected, expected_effects = run(in_order, LIVE)
    actual, effects = run(arrived, LIVE)
    assert actual.session == expected.session
    assert without_offers(actual.profile) == without_offers(expected.profile)
    assert sessions_ended(effects) == sessions_ended(expected_effects)
    assert not [e for e in effects if isinstance(e, LateEvent)]


# ------------------------------------------------------------- too late


def receive_all(*bodies: dict[str, object]) -> tuple[CustomerState, list[Effect]]:
    state, effects = CustomerState("c1"), []
    for body in bodies:
        state, more = receive(state, ANY_EVENT.validate_python(body), RULES)
        effects += more
    return state, effects


def late(effects: list[Effect]) -> list[str]:
    return [e.event.type for e in effects if isinstance(e, LateEvent)]


def test_an_event_later_than_the_lateness_counts_in_totals_but_not_in_the_session():
    """A page view 10 minutes older than the newest (lateness 5) is counted and kept out."""
    state, effects = receive_all(
        event("page_viewed", at=timedelta(minutes=20)),
        event("page_viewed", at=timedelta(minutes=30)),
        event("page_viewed", at=timedelta(minutes=19)),
    )
    assert late(effects) == ["page_viewed"]
    assert state.profile.page_views == 3 and state.session.page_views == 2
    assert state.session.started_at == T0 + timedelta(minutes=20)
    assert state.profile.first_seen == T0 + timedelta(minutes=19) and state.profile.sessions == 1


def test_a_late_event_never_reopens_a_closed_session_or_starts_one_that_would_trigger():
    """After a visit closed, an event from inside it (or before it) changes no session."""
    state, effects = receive_all(
        event("cart_item_added", at=timedelta(0)),
        event("page_viewed", at=timedelta(minutes=40)),  # 30 + 5 not passed yet: the first visit stays open
        event("page_viewed", at=timedelta(minutes=36)),  # joins the second visit
        event("page_viewed", at=timedelta(hours=2)),     # closes both
    )
    [first, second] = sessions_ended(effects)
    assert (first.cart_items, second.page_views, second.started_at) == (1, 2, T0 + timedelta(minutes=36))
    before = state
    state, more = receive(state, ANY_EVENT.validate_python(event("cart_item_added", at=timedelta(minutes=50))), RULES)
    assert late(more) == ["cart_item_added"] and sessions_ended(more) == []
    assert state.session == before.session and state.profile.sessions == 3
    assert state.profile.cart_adds == 2
    state, more = receive(state, ANY_EVENT.validate_python(event("page_viewed", at=-timedelta(days=1))), RULES)
    assert late(more) == ["page_viewed"] and state.session == before.session
    assert state.profile.first_seen == T0 - timedelta(days=1) and state.profile.sessions == 3


def test_a_late_order_counts_in_revenue_but_does_not_mark_the_closed_visit():
    """Lifetime orders and revenue stay exact; the visit whose offer was decided is not rewritten."""
    state, effects = receive_all(
        event("cart_item_added", at=timedelta(0)),
        event("page_viewed", at=timedelta(hours=2)),
        event("order_placed", at=timedelta(minutes=10), total=30.0),
    )
    [ended] = sessions_ended(effects)
    assert not ended.purchased and late(effects) == ["order_placed"]
    assert (state.profile.orders, state.profile.revenue) == (1, 30.0)
    assert state.profile.pending is not None  # the abandonment stands: its visit is over


def test_a_late_event_bridging_two_visits_merges_them():
    """An event in the gap between two open visits shows they were one visit."""
    state, effects = receive_all(
        event("page_viewed", at=timedelta(0)),
        event("page_viewed", at=timedelta(minutes=34)),
        event("page_viewed", at=timedelta(minutes=29)),
    )
    assert sessions_ended(effects) == [] and state.profile.sessions == 1
    assert state.session.earlier is None and state.session.page_views == 3
    assert state.session.started_at == T0 and sum(state.profile.visit_hours) == 1


def test_removes_read_before_their_adds_leave_the_same_cart():
    """Cart lines are net quantities per product: a remove read first is not lost."""
    a, _ = receive_all(event("cart_item_added", quantity=2, price=10.0), event("cart_item_removed", at=timedelta(minutes=1)))
    b, _ = receive_all(event("cart_item_removed", at=timedelta(minutes=1)), event("cart_item_added", quantity=2, price=10.0))
    assert a.session.cart == b.session.cart and (b.session.cart_items, b.session.cart_value) == (1, 10.0)


def test_an_order_after_the_visit_read_before_it_closed_leaves_nothing_to_offer():
    """Bought after the visit ended, within the lateness: no abandonment to decide."""
    state, effects = receive_all(
        event("cart_item_added", at=timedelta(0)),
        event("order_placed", at=timedelta(minutes=32)),
        event("page_viewed", at=timedelta(hours=2)),
    )
    [ended] = sessions_ended(effects)
    assert not ended.purchased and state.profile.pending is None


def test_an_order_days_after_the_visit_read_before_it_closed_leaves_the_offer_due_on_the_event_clock():
    """On the event clock a cart left and bought days later (the order read first) is still offered at its due time."""
    state, effects = receive_all(
        event("cart_item_added", at=timedelta(0), price=10.0),
        event("order_placed", at=timedelta(days=2)),
        event("page_viewed", at=timedelta(days=3)),
    )
    assert [ended.purchased for ended in sessions_ended(effects)] == [False]
    assert state.profile.pending is not None and state.profile.pending.due_at == T0 + TIMEOUT
    _, decided = advance(state, T0 + timedelta(days=3), RULES, POLICY, now=NOW)
    [issued] = [e for e in decided if isinstance(e, Issued)]
    assert issued.trigger.issued_at == T0 + TIMEOUT


def test_on_the_event_clock_an_order_after_the_offer_was_due_leaves_it_to_be_decided():
    """A replay's clock behind its purchases: the order days later does not withdraw the offer due before it."""
    state, _ = receive_all(event("cart_item_added", at=timedelta(0), price=10.0), event("page_viewed", at=timedelta(days=1)))
    order = ANY_EVENT.validate_python(event("order_placed", at=timedelta(days=2)))
    kept, effects = on_order(state, order, RULES)
    assert kept.profile.pending == state.profile.pending and effects == []
    withdrawn, _ = on_order(state, order, LIVE)
    assert withdrawn.profile.pending is None


def test_on_the_event_clock_an_order_withdraws_only_the_abandonments_due_after_it():
    """Two visits ended before the clock reached either: the order between them stops only the second's offer."""
    state, _ = receive_all(
        event("cart_item_added", at=timedelta(0), price=10.0),
        event("cart_item_added", at=timedelta(hours=2), price=20.0),
        event("page_viewed", at=timedelta(days=1)),
    )
    first, second = state.profile.pending, state.profile.queued[0]
    order = ANY_EVENT.validate_python(event("order_placed", at=timedelta(hours=2, minutes=10)))
    state, effects = on_order(state, order, RULES)
    assert [(e.outcome.offer_id, e.outcome.outcome) for e in effects if isinstance(e, Withdrawn)] == [
        (offer_id("c1", second.session_started_at), "cancelled")]
    assert (state.profile.pending, state.profile.queued) == (first, ())
    _, decided = advance(state, T0 + timedelta(days=1), RULES, POLICY, now=NOW)
    assert [e.trigger.issued_at for e in decided if isinstance(e, Issued)] == [first.due_at]


def test_live_an_order_read_before_the_visit_closed_leaves_nothing_to_offer_however_late():
    """Live, the offer would go out now, after the purchase: none is decided."""
    state, live = CustomerState("c1"), []
    for body in (event("cart_item_added", at=timedelta(0)), event("order_placed", at=timedelta(days=2)),
                 event("page_viewed", at=timedelta(days=3))):
        state, more = receive(state, ANY_EVENT.validate_python(body), LIVE)
        live += more
    assert sessions_ended(live) and state.profile.pending is None


def test_distinct_order_days_do_not_depend_on_arrival():
    """Two orders on one day and one the next give one extra order day, read in any order."""
    days = [event("order_placed", at=timedelta(hours=h)) for h in (1, 3, 25)]
    for arrival in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        state, _ = receive_all(*[days[i] for i in arrival])
        assert (state.profile.order_days, state.profile.gap_days_total) == (1, 1.0)


def test_at_any_arrival_order_the_profile_lists_ties_by_name():
    """Bounded counters order equal counts by name, so arrival order does not show."""
    a, _ = receive_all(event("product_viewed", category="shoes"), event("product_viewed", category="hats"))
    b, _ = receive_all(event("product_viewed", category="hats"), event("product_viewed", category="shoes"))
    assert a.profile.categories == b.profile.categories == (("hats", 1), ("shoes", 1))


def test_the_lateness_must_not_exceed_the_session_timeout():
    """More lateness than the timeout is refused with both values named."""
    with pytest.raises(ValueError, match="session timeout"):
        Rules(session_timeout=TIMEOUT, browse_views_threshold=3, allowed_lateness=TIMEOUT + timedelta(seconds=1))


# ------------------------------------------------------------- through the tracker


@pytest.fixture
def rules() -> Rules:
    return LIVE


async def test_the_tracker_places_events_within_the_lateness_and_counts_later_ones(tracker, publisher, clock, store):
    """Live: a cart add two minutes late joins its visit, which closes after timeout + lateness;
    one read after the visit closed is counted late and changes nothing but the totals."""
    from builders import record

    clock.now = T0 + timedelta(minutes=4)
    await tracker.handle([record(event("cart_item_added", at=timedelta(0))),
                          record(event("page_viewed", at=timedelta(minutes=3)))])
    await tracker.handle([record(event("cart_item_added", at=timedelta(minutes=1), product_id="p2", price=5.0))])
    clock.now = T0 + timedelta(minutes=3) + TIMEOUT
    assert await tracker.fire_due([0]) == 0  # a late event could still join the visit
    clock.now += LATENESS
    assert await tracker.fire_due([0]) == 1
    await tracker.handle([record(event("cart_item_added", at=timedelta(minutes=2), product_id="p3"))])
    [trigger] = [json.loads(v) for v in publisher.on("offer-triggers")]
    assert [p["product_id"] for p in trigger["products"]] == ["p1", "p2"]
    registry = tracker._metrics.registry
    assert registry.get_sample_value("tracker_late_events_total", {"type": "cart_item_added"}) == 1
    assert store.states["c1"].profile.cart_adds == 3 and store.states["c1"].session is None


# ------------------------------------------------- a replay's clock held back

browsing = st.one_of(
    st.builds(lambda page: {"type": "page_viewed", "page_type": page}, st.sampled_from(["home", "product", "cart"])),
    st.builds(_product_viewed, products, dwell),
    st.builds(_added, products, st.integers(1, 3)),
    st.builds(lambda p, q: {"type": "cart_item_removed", "product_id": p, "quantity": q}, products, st.integers(1, 2)),
    st.just({"type": "checkout_started"}),
    st.builds(_snapshot, st.sampled_from(["checkout_started", "cart_viewed"]),
              st.lists(st.tuples(products, st.integers(1, 3)), max_size=3), st.none() | money),
)
#: Visits minutes to hours apart, across the night's quiet hours: offers decided, deferred, capped.
visit_gaps = st.one_of(st.integers(0, 20 * 60), st.integers(31 * 60, 6 * 3600), st.sampled_from([1801, 2101, 3600, 9 * 3600]))


def decisions(effects: list[Effect]) -> list[object]:
    """What a replay decided, in order: offers made, held out, deferred, suppressed, ended."""
    kept = (Issued, HeldOut, Deferred, Suppressed, Resolved, Withdrawn)
    return [(e.trigger.offer_id, e.trigger.issued_at, e.trigger.products) if isinstance(e, Issued) else e
            for e in effects if isinstance(e, kept)]


@pytest.mark.parametrize("policy", [POLICY, replace(default_policy(), holdout_percent=0)],
                         ids=["no quiet hours", "default quiet hours"])
@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(visit_gaps, browsing), min_size=2, max_size=30))
def test_a_replay_whose_clock_lags_decides_every_visit_as_one_that_kept_up(policy, steps):
    """The clock held back (a slower topic) while one customer's visits run ahead: the same offers.

    Kept up, each visit's abandonment is decided at its due time before the next visit ends; held
    back, several visits end before the first comes due, and each must still be decided in turn.
    """
    at, history = T0, []
    for gap, body in steps:
        at += timedelta(seconds=gap)
        fields = {k: v for k, v in body.items() if k != "type" and v is not None}
        history.append(ANY_EVENT.validate_python(event(str(body["type"]), at=at, **fields)))
    end = history[-1].occurred_at + timedelta(days=2)

    kept_up, expected = CustomerState("c1"), []
    for e in history:
        kept_up, due = advance(kept_up, e.occurred_at, RULES, policy, now=NOW)
        kept_up, more = receive(kept_up, e, RULES)
        expected += due + more
    kept_up, more = advance(kept_up, end, RULES, policy, now=NOW)
    expected += more

    held_back, effects = CustomerState("c1"), []
    for e in history:
        held_back, more = receive(held_back, e, RULES)
        effects += more
    held_back, more = advance(held_back, end, RULES, policy, now=NOW)

    assert decisions(effects + more) == decisions(expected)
    assert (held_back.profile.pending, held_back.profile.queued) == (None, ())
