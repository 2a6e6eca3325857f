"""A replay worker restarted after it read everything still knows how far event time has come."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import CollectorRegistry

from streams.core.intake import Intake
from streams.core.lifecycle import Rules
from streams.metrics import Metrics
from streams.broker.base import Topics
from streams.worker.tracker import Tracker

from builders import T0, event, record

CAUGHT_UP = {("site-visits", 0): 2, ("purchases", 0): 0}


def replay_worker(store, publisher, clock, policy) -> Tracker:
    return Tracker(
        store=store, publisher=publisher, intake=Intake("site-visits", "purchases", 65_536),
        rules=Rules(session_timeout=timedelta(minutes=30), browse_views_threshold=3, event_time=True),
        policy=policy, topics=Topics("offer-triggers", "offer-outcomes", "tracker-dead-letters"),
        metrics=Metrics(CollectorRegistry()), clock=clock, retry_seconds=0.001, output_log=publisher,
    )


async def test_a_restarted_replay_fires_what_came_due_before_the_crash(store, publisher, clock, policy):
    first = replay_worker(store, publisher, clock, policy)
    await first.handle([record(event("cart_item_added", "c1"), offset=0),
                        record(event("page_viewed", "c2", at=timedelta(minutes=40)), offset=1)])
    # Killed before its timer ran: the input is consumed and committed, the abandonment not sent.
    successor = replay_worker(store, publisher, clock, policy)
    assert successor.until(0, CAUGHT_UP) is None  # nothing read: on its own it cannot tell the time
    assert await successor.fire_due([0], CAUGHT_UP) == 1
    assert [key for _, key, _ in publisher.sent] == ["c1"]


async def test_the_saved_clock_never_moves_back(store, publisher, clock, policy):
    """A batch redelivered after a crash is older than what was saved: the clock keeps the later time."""
    first = replay_worker(store, publisher, clock, policy)
    await first.handle([record(event("page_viewed", "c2", at=timedelta(minutes=40)), offset=1)])
    again = replay_worker(store, publisher, clock, policy)
    await again.handle([record(event("cart_item_added", "c1"), offset=0)])
    assert store.progress[("site-visits", 0)].offset == 1
    successor = replay_worker(store, publisher, clock, policy)
    await successor.fire_due([0], CAUGHT_UP)
    assert successor.until(0, CAUGHT_UP) == T0 + timedelta(minutes=40)
