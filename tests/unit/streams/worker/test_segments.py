"""Behavioural segments in the worker: learned from ended visits, customers placed, news reported."""

from __future__ import annotations

import logging
from datetime import timedelta

from prometheus_client import CollectorRegistry

from models.emergence import EmergenceRules
from models.segments import BehaviourSegments
from streams.broker.base import Topics
from streams.core.insights import compute
from streams.core.intake import Intake
from streams.metrics import Metrics
from streams.store import CheckpointStore
from streams.worker.scoring import Scoring
from streams.worker.segments import report
from streams.worker.tracker import Tracker

from builders import T0, event, record
from fakes import Clock, MemoryPublisher, MemoryStore
from test_scoring import DictRedis


def tracker_with(store, publisher, clock, rules, policy, model: BehaviourSegments) -> tuple[Tracker, Scoring]:
    metrics = Metrics(CollectorRegistry())
    scoring = Scoring(metrics, segments=model)
    tracker = Tracker(
        store=store, publisher=publisher, intake=Intake("site-visits", "purchases", 65_536), rules=rules,
        policy=policy, topics=Topics("offer-triggers", "offer-outcomes", "dead"), metrics=metrics,
        clock=clock, scoring=scoring,
    )
    return tracker, scoring


def visit(customer: str, start: timedelta, kind: str) -> list[dict[str, object]]:
    """Browsers look at many pages and leave; buyers add, check out and pay with a code."""
    if kind == "browser":
        return [event("product_viewed", customer, start + timedelta(minutes=i), product_id=f"p{i}") for i in range(6)]
    return [
        event("product_viewed", customer, start),
        event("cart_item_added", customer, start + timedelta(minutes=1)),
        event("order_placed", customer, start + timedelta(minutes=2), order_id=f"o-{customer}",
              discount_code="SAVE10", discount_amount=5.0),
    ]


async def shop(tracker: Tracker, clock, customers: int, at: timedelta = timedelta(0)) -> None:
    for n in range(customers):
        kind = "browser" if n % 2 else "buyer"
        # A minute apart, so the visits end (and teach the model) in turn, the kinds mixed.
        events = visit(f"{kind}-{n}", at + timedelta(minutes=n), kind)
        await tracker.handle([record(e, offset=i) for i, e in enumerate(events)])
    clock.advance(hours=2)
    await tracker.fire_due([0])


async def test_ended_visits_teach_the_segments_and_customers_are_placed(store, publisher, clock, rules, policy):
    """Each visit that ends is one learning moment; once segments exist, customers carry theirs to the policy."""
    model = BehaviourSegments(min_segments=2, warm_up=20, refresh_every=10, seed=1, learn_share=1.0)
    tracker, scoring = tracker_with(store, publisher, clock, rules, policy, model)
    await shop(tracker, clock, 40)
    assert model.n_learned == 40 and len(model.segments) == 2
    assert scoring.metrics.registry.get_sample_value("tracker_model_examples_total", {"model": "segments"}) == 40
    await tracker.handle([record(e, offset=9) for e in visit("newcomer", timedelta(hours=2), "browser")])
    assert store.states["newcomer"].profile.behaviour_segment is None  # placed once the visit ends
    clock.advance(hours=2)
    await tracker.fire_due([0])
    placed = store.states["newcomer"].profile
    assert placed.behaviour_segment in {s.id for s in model.segments}
    assert "rare_buyer" in placed.behaviour_traits or "window_shopper" in placed.behaviour_traits


async def test_the_report_logs_counts_and_keeps_the_news(store, publisher, clock, rules, policy, caplog):
    """A kind of customer that was not there before is news: a log line, a count and an entry for the API."""
    model = BehaviourSegments(min_segments=2, warm_up=20, refresh_every=10, seed=1, learn_share=1.0)
    tracker, scoring = tracker_with(store, publisher, clock, rules, policy, model)
    await shop(tracker, clock, 40)
    rules_ = EmergenceRules(min_customers=3)
    active = timedelta(days=30)
    profiles = [(c, s.profile) for c, s in store.states.items()]
    assert report(model, compute(profiles, clock(), model.snapshot()), rules_, active, scoring.metrics) == []
    # Night-time visitors who look at one product for long and never buy.
    night = timedelta(hours=16)  # 02:00 the next day (T0 is 10:00)
    clock.advance(hours=15)
    for n in range(30):
        events = [event("product_viewed", f"owl-{n}", night + timedelta(minutes=10 * i), category="telescopes",
                        dwell_seconds=400) for i in range(3)]
        await tracker.handle([record(e, offset=i) for i, e in enumerate(events)])
    clock.advance(days=2)
    await tracker.fire_due([0])
    profiles = [(c, s.profile) for c, s in store.states.items()]
    insights = compute(profiles, clock(), model.snapshot())
    with caplog.at_level(logging.INFO, logger="tracker"):
        news = report(model, insights, rules_, active, scoring.metrics)
    assert [n.change for n in news] == ["new"]
    assert "new segment:" in caplog.text and "% of active customers" in caplog.text
    assert scoring.metrics.registry.get_sample_value("tracker_segment_changes_total", {"change": "new"}) == 1
    assert insights.segment_news[0].segment == news[0].segment
    # The traits the page reads become the ones customers are placed with (the policy's words).
    assert all(model.traits_of(s) == insights.described.traits[s] for s in insights.described.traits)


async def test_the_segments_learn_a_fixed_share_of_the_ended_visits(rules, policy):
    """A quarter of 200 visits, drawn by their keys: a second run of the same visits learns the same ones."""
    learned = []
    for _ in range(2):
        model = BehaviourSegments(min_segments=2, warm_up=20, refresh_every=10, seed=1, learn_share=0.25)
        clock = Clock()
        tracker, scoring = tracker_with(MemoryStore(), MemoryPublisher(), clock, rules, policy, model)
        for block in range(4):
            await shop(tracker, clock, 50, at=timedelta(hours=2 * block))
        learned.append((model.n_learned, [s.id for s in model.segments]))
        assert scoring.metrics.registry.get_sample_value(
            "tracker_model_examples_total", {"model": "segments"}) == model.n_learned
    assert 30 <= learned[0][0] <= 70 and learned[0] == learned[1]


async def test_the_segments_checkpoint_with_the_other_models():
    redis = DictRedis()
    checkpoints = CheckpointStore(redis)
    model = BehaviourSegments(min_segments=2, warm_up=10, refresh_every=5, learn_share=1.0)
    first = Scoring(Metrics(CollectorRegistry()), segments=model)
    for n in range(30):
        first.segments.learn_one({"orders": float(n % 2), "basket": 3.0 + n % 2})
    await first.save(checkpoints)
    second = Scoring(Metrics(CollectorRegistry()))
    await second.load(checkpoints)
    assert second.segments.n_learned == 30 and len(second.segments.segments) == 2
