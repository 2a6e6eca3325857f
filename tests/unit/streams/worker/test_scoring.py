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

from builders import T0, event, record


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


def warm_value(scoring: Scoring) -> None:
    """Teach the value model enough that its predictions are shown."""
    for n in range(MIN_LEARNED):
        scoring.value.learn_one({"orders": float(1 + n % 5), "revenue": 20.0 * (1 + n % 5)}, 10.0 * (n % 3))


async def test_an_order_snapshots_the_value_model_and_schedules_a_review(store, publisher, clock, rules, policy):
    """An order is a value snapshot with the spend so far; the customer is due a review when silent."""
    tracker, scoring = scored_tracker(store, publisher, clock, rules, policy)
    warm_value(scoring)
    await tracker.handle([record(event("order_placed", total=40.0))])
    profile = store.states["c1"].profile
    assert [e["spent_so_far"] for e in scoring.value.pending_for("c1")] == [40.0]
    assert profile.review_due_at == T0 + timedelta(days=scoring.review_days)
    assert profile.value is not None and profile.value >= 0.0
    assert store.deadlines[0]["c1"] <= profile.review_due_at


async def test_a_silent_customer_is_snapshotted_at_each_review_by_the_timer(store, publisher, clock, rules, policy):
    """The deadline timer wakes a silent buyer at each review, snapshotted at the time it was due."""
    tracker, scoring = scored_tracker(store, publisher, clock, rules, policy)
    await tracker.handle([record(event("order_placed", total=40.0))])
    clock.advance(days=65)
    await tracker.fire_due([0])
    days = [round((e["at"] - T0.timestamp()) / 86400) for e in scoring.value.pending_for("c1")]
    assert days == [0, 30, 60]
    assert [round((e["at"] - T0.timestamp()) / 86400) for e in scoring.loyalty.pending_for("c1")] == [0, 30, 60]
    assert store.states["c1"].profile.review_due_at == T0 + timedelta(days=90)


async def test_a_later_order_labels_the_earlier_snapshots_with_the_spend_since(store, publisher, clock, rules, policy):
    """The value label of a snapshot is what the customer spent in the horizon after it, learned when it ends."""
    tracker, scoring = scored_tracker(store, publisher, clock, rules, policy)
    clock.advance(days=10)
    await tracker.handle([record(event("order_placed", total=40.0)),
                          record(event("order_placed", order_id="o2", total=25.0, at=timedelta(days=10)))])
    assert [e["spent"] for e in scoring.value.pending_for("c1")] == [25.0, 0.0]
    clock.advance(days=85)
    await tracker.fire_due([0])
    assert scoring.value.n_learned == 1 and scoring.value.score.total_actual == 25.0
    assert scoring.metrics.registry.get_sample_value("tracker_model_examples_total", {"model": "value"}) == 1
    assert scoring.metrics.registry.get_sample_value("tracker_model_mean_absolute_error", {"model": "value"}) >= 0


async def test_labels_wait_for_the_slowest_partition_of_a_replay(store, publisher, clock, rules, policy):
    """In event time, snapshots are learned only once every partition's clock has passed their horizon."""
    from dataclasses import replace as with_rules

    tracker, scoring = scored_tracker(store, publisher, clock, with_rules(rules, event_time=True), policy)
    clock.advance(days=365)  # the wall clock of a replay is long after its history
    await tracker.handle([record(event("order_placed", "a"), partition=0, offset=0),
                          record(event("order_placed", "b"), partition=1, offset=0)])
    await tracker.handle([record(event("order_placed", "a", order_id="o2", at=timedelta(days=120)),
                                 partition=0, offset=1)])
    ends = {("purchases", 0): 5, ("purchases", 1): 5, ("site-visits", 0): 0, ("site-visits", 1): 0}
    await tracker.fire_due([0, 1], ends)
    assert scoring.value.n_learned == 0  # partition 1 is still at day 0: b may yet buy
    await tracker.handle([record(event("order_placed", "b", order_id="o3", at=timedelta(days=100)),
                                 partition=1, offset=1)])
    await tracker.fire_due([0, 1], ends)
    learned = scoring.value.score
    assert scoring.value.n_learned >= 2 and learned.total_actual == 0.0  # b's day-100 order is past every horizon


async def test_the_value_model_is_checkpointed_with_its_pending_snapshots():
    """The value model warm-starts from its checkpoint, waiting snapshots included."""
    redis = DictRedis()
    checkpoints = CheckpointStore(redis)
    first = Scoring(Metrics(CollectorRegistry()))
    warm_value(first)
    from datetime import datetime, timezone

    first.value.snapshot("c9", {"orders": 2.0, "revenue": 50.0}, datetime(2024, 1, 1, tzinfo=timezone.utc), 50.0)
    await first.save(checkpoints)
    second = Scoring(Metrics(CollectorRegistry()))
    await second.load(checkpoints)
    assert second.value.n_learned == MIN_LEARNED and second.value.n_pending == 1


async def test_a_review_the_timer_has_not_taken_yet_holds_the_models_back(store, publisher, clock, rules, policy):
    """While a silent customer's review waits (the timer is behind a replay), no later label is learned."""
    from dataclasses import replace as with_rules

    metrics = Metrics(CollectorRegistry())
    scoring = Scoring(metrics)
    tracker = Tracker(
        store=store, publisher=publisher, intake=Intake("site-visits", "purchases", 65_536),
        rules=with_rules(rules, event_time=True), policy=policy,
        topics=Topics("offer-triggers", "offer-outcomes", "dead"), metrics=metrics, clock=clock,
        scoring=scoring, due_batch=1,
    )
    clock.advance(days=365)
    await tracker.handle([record(event("order_placed", "a"), offset=0), record(event("order_placed", "b"), offset=1),
                          record(event("order_placed", "c", at=timedelta(days=200)), offset=2)])
    ends = {("purchases", 0): 3, ("site-visits", 0): 0}
    await tracker.fire_due([0], ends)  # one customer per tick: a's or b's reviews still wait
    assert scoring.value.n_learned == 0
    for _ in range(20):
        await tracker.fire_due([0], ends)
    assert scoring.value.n_learned >= 2  # every review taken: a's and b's day-0 snapshots are learned


async def test_a_forgotten_customer_leaves_no_snapshot_in_the_models(store, publisher, clock, rules, policy):
    """Erasure drops the customer's snapshots waiting for a label from both delayed-label models."""
    tracker, scoring = scored_tracker(store, publisher, clock, rules, policy)
    await tracker.handle([record(event("order_placed", "gone"))])
    assert scoring.value.pending_for("gone") and scoring.loyalty.pending_for("gone")
    scoring.forget("gone")
    assert not scoring.value.pending_for("gone") and not scoring.loyalty.pending_for("gone")
