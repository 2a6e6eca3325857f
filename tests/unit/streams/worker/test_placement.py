"""A customer is placed in a behavioural segment once per visit, when it ends, before its offer is decided.

The placement is stubbed (the segment named after the product views the profile counts), so each
test reads which part of the visit the decision's placement saw: all of it, on every path that
ends a visit — the timer, a later event in a batch, an event that shows the visit is over.
"""

from __future__ import annotations

import json
from datetime import timedelta

from prometheus_client import CollectorRegistry

from models.segments import BehaviourSegments
from streams.broker.base import Topics
from streams.core.events import ANY_EVENT
from streams.core.frozen import replace
from streams.core.intake import Intake
from streams.core.lifecycle import Rules
from streams.core.state import CustomerState
from streams.metrics import Metrics
from streams.worker.customers import CustomerSteps
from streams.worker.scoring import Scoring
from streams.worker.tracker import Tracker

from builders import T0, event, record


def stub_placement(scoring: Scoring) -> list[str]:
    """Make ``scoring`` place a customer in ``V<product views>``; return the placements' segments, in order."""
    placements: list[str] = []

    def place(state: CustomerState) -> CustomerState:
        segment = f"V{state.profile.product_views}"
        placements.append(segment)
        return replace(state, profile=replace(state.profile, behaviour_segment=segment))

    scoring.place = place  # type: ignore[method-assign]
    return placements


def tracker_with(store, publisher, clock, rules, policy) -> tuple[Tracker, list[str]]:
    metrics = Metrics(CollectorRegistry())
    scoring = Scoring(metrics, segments=BehaviourSegments())
    tracker = Tracker(
        store=store, publisher=publisher, intake=Intake("site-visits", "purchases", 65_536), rules=rules,
        policy=policy, topics=Topics("offer-triggers", "offer-outcomes", "dead"), metrics=metrics,
        clock=clock, scoring=scoring,
    )
    return tracker, stub_placement(scoring)


def browsing(customer: str, views: int, start: timedelta = timedelta(0)) -> list[dict[str, object]]:
    """A visit of ``views`` views of one product a minute apart (a browse abandonment from three on)."""
    return [event("product_viewed", customer, start + timedelta(minutes=i)) for i in range(views)]


def segments_read(publisher) -> list[str | None]:
    """The behavioural segment each trigger sent says its decision read."""
    return [json.loads(value)["reason"]["behaviour_segment"] for topic, _, value in publisher.sent
            if topic == "offer-triggers"]


async def test_a_visit_ended_by_the_timer_is_placed_once_with_all_of_it(store, publisher, clock, rules, policy):
    """A visit read over four batches is placed once, on the timer, and its offer reads that placement."""
    tracker, placements = tracker_with(store, publisher, clock, rules, policy)
    for offset, e in enumerate(browsing("c1", 4)):
        await tracker.handle([record(e, offset=offset)])
        await tracker.fire_due([0])
    assert placements == [] and store.states["c1"].profile.behaviour_segment is None  # not until the visit ends
    clock.advance(hours=1)
    await tracker.fire_due([0])
    assert placements == ["V4"] and segments_read(publisher) == ["V4"]
    assert store.states["c1"].profile.behaviour_segment == "V4"  # kept until the next visit ends


async def test_a_visit_ended_by_a_later_event_is_placed_before_its_offer(store, publisher, clock, rules, policy):
    """The next visit's first event (the timer behind) ends the visit in the batch: placed with all of it first."""
    tracker, placements = tracker_with(store, publisher, clock, rules, policy)
    await tracker.handle([record(e, offset=i) for i, e in enumerate(browsing("c1", 5))])
    later = event("product_viewed", "c1", timedelta(hours=2), product_id="p9")
    clock.advance(hours=2)  # the timer has not fired since
    await tracker.handle([record(later, offset=9)])
    assert placements == ["V5"] and segments_read(publisher) == ["V5"]


async def test_an_event_that_shows_the_visit_is_over_places_the_customer(policy):
    """Without the clock (a replay's not known yet), the event that ends a visit places the customer."""
    rules = Rules(session_timeout=timedelta(minutes=30), browse_views_threshold=3, event_time=True,
                  allowed_lateness=timedelta(minutes=5), scores_in_event_time=True)
    scoring = Scoring(Metrics(CollectorRegistry()), segments=BehaviourSegments())
    placements = stub_placement(scoring)
    steps = CustomerSteps(rules, policy, scoring)
    events = [ANY_EVENT.validate_python(e) for e in [*browsing("c1", 4), event("page_viewed", "c1", timedelta(hours=2))]]
    applied = steps.apply(CustomerState("c1"), set(), events, now=T0)
    assert placements == ["V4"] and applied.state.profile.behaviour_segment == "V4"
    assert applied.state.profile.pending is not None  # decided later, reading this placement


async def test_a_visit_that_never_ends_keeps_the_last_ended_visits_segment(store, publisher, clock, rules, policy):
    tracker, placements = tracker_with(store, publisher, clock, rules, policy)
    await tracker.handle([record(e, offset=i) for i, e in enumerate(browsing("c1", 3))])
    clock.advance(hours=1)
    await tracker.fire_due([0])
    await tracker.handle([record(e, offset=10 + i) for i, e in enumerate(browsing("c1", 6, timedelta(hours=3)))])
    assert placements == ["V3"] and store.states["c1"].profile.behaviour_segment == "V3"
