"""The worker's online models: live scores, learning from outcomes, checkpoints."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import CollectorRegistry

from streams.core.intake import Intake
from streams.metrics import Metrics
from streams.core.features import MIN_LEARNED
from streams.store import CheckpointStore
from streams.worker.scoring import Scoring
from streams.broker.base import Topics
from streams.worker.tracker import Tracker

from builders import event, record


class DictRedis:
    """The two Redis calls checkpoints use, on a dict."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    async def get(self, key: str) -> bytes | None:
        return self.data.get(key)

    async def set(self, key: str, value: bytes) -> None:
        self.data[key] = value


def scored_tracker(store, publisher, clock, rules, policy) -> tuple[Tracker, Scoring]:
    metrics = Metrics(CollectorRegistry())
    scoring = Scoring(metrics)
    tracker = Tracker(
        store=store, publisher=publisher, intake=Intake("site-visits", "purchases", 65_536), rules=rules,
        policy=policy, topics=Topics("offer-triggers", "offer-outcomes", "dead"), metrics=metrics,
        clock=clock, scoring=scoring,
    )
    return tracker, scoring


def warm(scoring: Scoring) -> None:
    """Teach both models enough that their scores are shown."""
    for n in range(MIN_LEARNED):
        scoring.intent.learn_one({"product_pages": float(n % 7), "cart_items": float(n % 2)}, n % 2 == 1)
        scoring.loyalty.learn_one({"orders": float(n % 5), "days_since_last": float(n % 90)}, n % 3 == 0)


async def test_an_untrained_model_shows_no_score(store, publisher, clock, rules, policy):
    """Until a model has learned enough, its 0.5-for-everyone is not passed off as an estimate."""
    tracker, _ = scored_tracker(store, publisher, clock, rules, policy)
    await tracker.handle([record(event("product_viewed")), record(event("order_placed"))])
    assert store.states["c1"].session.intent is None
    assert store.states["c1"].profile.loyalty is None


async def test_sessions_are_scored_live_and_learned_when_they_end(store, publisher, clock, rules, policy):
    """Every changed session gets an intent score; every ended session teaches the model."""
    tracker, scoring = scored_tracker(store, publisher, clock, rules, policy)
    warm(scoring)
    await tracker.handle([record(event("product_viewed")), record(event("cart_item_added"))])
    assert 0.0 <= store.states["c1"].session.intent <= 1.0
    assert store.states["c1"].profile.intent == store.states["c1"].session.intent
    clock.advance(hours=1)
    await tracker.fire_due([0])
    assert scoring.intent.n_learned == MIN_LEARNED + 1
    assert scoring.metrics.registry.get_sample_value("tracker_model_examples_total", {"model": "intent"}) == 1


async def test_orders_give_a_loyalty_score_and_snapshots(store, publisher, clock, rules, policy):
    """An order scores the customer's loyalty and keeps a snapshot for the delayed label."""
    tracker, scoring = scored_tracker(store, publisher, clock, rules, policy)
    warm(scoring)
    await tracker.handle([record(event("order_placed")), record(event("order_placed", order_id="o2",
                                                                      at=timedelta(days=20)))])
    assert 0.0 <= store.states["c1"].profile.loyalty <= 1.0
    assert scoring.loyalty.n_pending >= 1


async def test_checkpoints_round_trip_and_a_broken_one_means_a_fresh_model():
    """A saved model warm-starts the next worker; unreadable bytes are counted, not fatal."""
    redis = DictRedis()
    checkpoints = CheckpointStore(redis)
    first = Scoring(Metrics(CollectorRegistry()))
    first.intent.learn_one({"product_pages": 3.0}, True)
    await first.save(checkpoints)
    second = Scoring(Metrics(CollectorRegistry()))
    await second.load(checkpoints)
    assert second.loaded and second.intent.n_learned == 1

    redis.data["tracker:model:intent"] = b"not a checkpoint"
    third = Scoring(Metrics(CollectorRegistry()))
    await third.load(checkpoints)
    assert third.loaded and third.intent.n_learned == 0
    assert third.metrics.registry.get_sample_value(
        "tracker_model_checkpoint_errors_total", {"model": "intent"}) == 1
