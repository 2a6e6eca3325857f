"""A replay's timer reviews a silent customer only up to a time their partition has surely reached.

A partition found caught up by the end offsets a tick asked Kafka for has come as far as the
event time read *before* it asked: records read since (another partition's, a batch handled while
the tick is in flight) may have overtaken this partition's own records still on their way, and a
review taken at their time would come before an order of the customer not yet read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry

from streams.broker.base import Topics
from streams.core.intake import Intake
from streams.metrics import Metrics
from streams.worker.scoring import Scoring
from streams.worker.tracker import Tracker

from builders import T0, event, record
from fakes import MemoryStore

#: Both partitions read to the end as the tick saw it: one order each, no site visits.
ENDS = {("purchases", 0): 1, ("purchases", 1): 1, ("site-visits", 0): 0, ("site-visits", 1): 0}


class BatchDuringTick(MemoryStore):
    """A store whose first look for due customers lets a batch in: the tick is in flight meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.meanwhile: Callable[[], Awaitable[object]] | None = None

    async def due(self, partition: int, now: datetime, limit: int) -> list[str]:
        batch, self.meanwhile = self.meanwhile, None
        if batch is not None:
            await batch()
        return await super().due(partition, now, limit)


def replay_tracker(store, publisher, clock, rules, policy) -> tuple[Tracker, Scoring]:
    metrics = Metrics(CollectorRegistry())
    scoring = Scoring(metrics)
    tracker = Tracker(
        store=store, publisher=publisher, intake=Intake("site-visits", "purchases", 65_536),
        rules=replace(rules, event_time=True), policy=policy,
        topics=Topics("offer-triggers", "offer-outcomes", "dead"), metrics=metrics, clock=clock, scoring=scoring,
    )
    clock.advance(days=365)  # the wall clock of a replay is long after its history
    return tracker, scoring


def snapshot_days(scoring: Scoring, customer_id: str) -> list[int]:
    return sorted(round((e["at"] - T0.timestamp()) / 86400) for e in scoring.value.pending_for(customer_id))


async def test_a_batch_read_while_a_tick_is_in_flight_does_not_move_the_ticks_clock(publisher, clock, rules, policy):
    """Partition 0's day-60 order, read during the tick, does not make partition 1's time day 60.

    Partition 1 looked caught up by the tick's end offsets, but its customer's day-20 order came
    after them: reviewing them at day 30 would snapshot them once more than a replay in time
    order does (day 0, day 20, then day 50).
    """
    store = BatchDuringTick()
    tracker, scoring = replay_tracker(store, publisher, clock, rules, policy)
    await tracker.handle([record(event("order_placed", "b"), partition=0, offset=0),
                          record(event("order_placed", "a"), partition=1, offset=0)])
    store.meanwhile = lambda: tracker.handle([record(event("order_placed", "b", order_id="o2", at=timedelta(days=60)),
                                                     partition=0, offset=1)])
    await tracker.fire_due([0, 1], ENDS)
    await tracker.handle([record(event("order_placed", "a", order_id="o3", at=timedelta(days=20)),
                                 partition=1, offset=1)])
    assert snapshot_days(scoring, "a") == [0, 20]
    assert store.states["a"].profile.review_due_at == T0 + timedelta(days=50)


async def test_a_partition_caught_up_by_the_ticks_end_offsets_comes_only_as_far_as_was_read_before_them(
        publisher, clock, rules, policy):
    """The timer takes how far the replay had read before asking for the end offsets, and the tick keeps to it."""
    store = MemoryStore()
    tracker, scoring = replay_tracker(store, publisher, clock, rules, policy)
    await tracker.handle([record(event("order_placed", "b"), partition=0, offset=0),
                          record(event("order_placed", "a"), partition=1, offset=0)])
    read_before = tracker.latest_read()
    # After the timer asked Kafka, before its tick: partition 0 reads on, partition 1's next order is on its way.
    await tracker.handle([record(event("order_placed", "b", order_id="o2", at=timedelta(days=60)),
                                 partition=0, offset=1)])
    await tracker.fire_due([0, 1], ENDS, read_before=read_before)
    assert tracker.until(1, ENDS, read_before=read_before) == T0
    await tracker.handle([record(event("order_placed", "a", order_id="o3", at=timedelta(days=20)),
                                 partition=1, offset=1)])
    assert snapshot_days(scoring, "a") == [0, 20]
    # Once everything is read, the next tick takes the reviews that came due.
    clock.advance(seconds=1)
    ends = {**ENDS, ("purchases", 0): 2, ("purchases", 1): 2}
    await tracker.fire_due([0, 1], ends, read_before=tracker.latest_read())
    assert snapshot_days(scoring, "a") == [0, 20, 50]
