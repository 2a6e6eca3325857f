"""An outbox record is published once, even across a crash between Kafka's ack and the outbox clear."""

from __future__ import annotations

import json
from datetime import timedelta

from prometheus_client import CollectorRegistry

from streams.core.intake import Intake
from streams.metrics import Metrics
from streams.store import OutboxEntry
from streams.broker.base import Topics
from streams.worker.outbox import published_entry_id
from streams.worker.tracker import Tracker

from builders import event, record


def restarted(store, publisher, clock, rules, policy) -> Tracker:
    """A new worker process on the same Redis and Kafka: it remembers nothing of the last one."""
    return Tracker(
        store=store, publisher=publisher, intake=Intake("site-visits", "purchases", 65_536), rules=rules,
        policy=policy, topics=Topics("offer-triggers", "offer-outcomes", "tracker-dead-letters"),
        metrics=Metrics(CollectorRegistry()), clock=clock, retry_seconds=0.001, output_log=publisher,
    )


async def abandon_cart(tracker, clock) -> None:
    await tracker.handle([record(event("cart_item_added"))])
    clock.advance(minutes=31)


async def test_the_normal_path_never_reads_the_output_back(tracker, publisher, store, clock):
    """Records this process decided and never tried to send go straight out: no lookup."""
    await abandon_cart(tracker, clock)
    assert await tracker.fire_due([0]) == 1
    assert publisher.lookups == []
    assert len(publisher.on("offer-triggers")) == 1
    assert not store.outboxes["c1"]


async def test_a_trigger_acked_before_a_crash_is_cleared_not_sent_again(tracker, publisher, store, clock, rules, policy):
    """The process dies after Kafka took the trigger and before the outbox was cleared."""
    await abandon_cart(tracker, clock)
    publisher.lose_acks = True  # on the topic, but this process never learns it
    assert await tracker.fire_due([0]) == 0
    assert store.outboxes["c1"] and len(publisher.on("offer-triggers")) == 1
    publisher.lose_acks = False

    successor = restarted(store, publisher, clock, rules, policy)
    clock.advance(seconds=1)
    assert await successor.fire_due([0]) == 0
    assert len(publisher.on("offer-triggers")) == 1
    assert not store.outboxes["c1"]
    assert successor._metrics.outbox_already_published._value.get() == 1
    # The topic is read from the record's decision time, less the margin for clock skew.
    [since] = publisher.lookups
    assert since == clock.now - timedelta(seconds=1) - timedelta(seconds=300)


async def test_a_trigger_never_sent_before_a_crash_is_sent_by_the_successor(tracker, publisher, store, clock, rules, policy):
    """Looked up, not found, published: a crash delays a trigger but never loses it."""
    await abandon_cart(tracker, clock)
    publisher.down = True
    assert await tracker.fire_due([0]) == 0
    publisher.down = False

    successor = restarted(store, publisher, clock, rules, policy)
    clock.advance(seconds=1)
    assert await successor.fire_due([0]) == 1
    assert len(publisher.lookups) == 1
    assert len(publisher.on("offer-triggers")) == 1
    assert not store.outboxes["c1"]


async def test_a_lost_acknowledgement_in_the_same_process_is_looked_up_too(tracker, publisher, store, clock):
    """An attempt that raised may still have landed: the next tick checks before sending."""
    await abandon_cart(tracker, clock)
    publisher.lose_acks = True
    assert await tracker.fire_due([0]) == 0
    publisher.lose_acks = False
    clock.advance(seconds=1)
    assert await tracker.fire_due([0]) == 0
    clock.advance(seconds=1)
    assert await tracker.fire_due([0]) == 0
    assert len(publisher.on("offer-triggers")) == 1
    assert not store.outboxes["c1"]


async def test_while_the_output_cannot_be_read_an_uncertain_record_stays_put(tracker, publisher, store, clock):
    """Neither sent nor dropped while undecidable; decided on the first tick the broker is back."""
    await abandon_cart(tracker, clock)
    publisher.down = True
    assert await tracker.fire_due([0]) == 0
    clock.advance(seconds=1)
    assert await tracker.fire_due([0]) == 0  # the lookup fails as well
    assert store.outboxes["c1"] and publisher.lookups == []
    publisher.down = False
    clock.advance(seconds=1)
    assert await tracker.fire_due([0]) == 1
    assert len(publisher.on("offer-triggers")) == 1
    assert not store.outboxes["c1"]


async def test_an_outcome_found_on_its_topic_is_cleared_by_its_own_id(tracker, publisher, store, clock, rules, policy):
    """Outcome records are matched as ``offer_id:outcome``, so a conversion is not taken for an expiry."""
    await abandon_cart(tracker, clock)
    assert await tracker.fire_due([0]) == 1
    publisher.lose_acks = True
    await tracker.handle([record(event("order_placed", at=timedelta(minutes=40)), offset=1)])
    publisher.lose_acks = False
    [outcome] = [json.loads(v) for v in publisher.on("offer-outcomes")]
    assert [e.entry_id for e in store.outboxes["c1"].values()] == [f"{outcome['offer_id']}:{outcome['outcome']}"]

    successor = restarted(store, publisher, clock, rules, policy)
    clock.advance(seconds=1)
    await successor.fire_due([0])
    assert len(publisher.on("offer-outcomes")) == 1
    assert not store.outboxes["c1"]


def test_entry_ids_are_read_from_triggers_and_outcomes():
    assert published_entry_id(b'{"offer_id":"o1","kind":"cart_abandoned"}', outcome=False) == "o1"
    assert published_entry_id(b'{"offer_id":"o1","outcome":"converted"}', outcome=True) == "o1:converted"
    assert published_entry_id(b"not json", outcome=False) is None
    assert published_entry_id(b'{"kind":"x"}', outcome=False) is None


def test_an_outbox_entry_keeps_its_decision_time_and_old_entries_read_as_unknown():
    entry = OutboxEntry("o1", "offer-triggers", "c1", b"{}", label="cart_abandoned", written_at=1_700_000_000.5)
    assert OutboxEntry.from_json("o1", entry.to_json()) == entry
    legacy = '{"topic":"offer-triggers","key":"c1","value":"{}","label":"cart_abandoned"}'
    assert OutboxEntry.from_json("o1", legacy).written_at == 0.0
