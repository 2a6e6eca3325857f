"""A worker whose partition was given to another worker (a zombie) writes and publishes nothing of it."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from streams.broker.base import Topics
from streams.core.intake import Intake
from streams.metrics import Metrics
from streams.worker.fences import Fences
from streams.worker.tracker import Tracker

from builders import event, record


def fenced_tracker(store, publisher, clock, rules, policy) -> tuple[Tracker, Fences, Metrics]:
    metrics = Metrics(CollectorRegistry())
    fences = Fences(store, metrics)
    tracker = Tracker(
        store=store, publisher=publisher, intake=Intake("site-visits", "purchases", 65_536), rules=rules,
        policy=policy, topics=Topics("offer-triggers", "offer-outcomes", "tracker-dead-letters"),
        metrics=metrics, clock=clock, retry_seconds=0.001, output_log=publisher, fences=fences,
    )
    return tracker, fences, metrics


async def abandon_cart(tracker, clock) -> None:
    await tracker.handle([record(event("cart_item_added"))])
    clock.advance(minutes=31)


async def test_the_owner_of_a_partition_publishes_its_records(store, publisher, clock, rules, policy):
    tracker, fences, metrics = fenced_tracker(store, publisher, clock, rules, policy)
    await fences.take({0})
    await abandon_cart(tracker, clock)
    assert await tracker.fire_due([0]) == 1
    assert len(publisher.on("offer-triggers")) == 1
    assert metrics.fenced_records._value.get() == 0


async def test_a_zombie_leaves_the_records_to_the_new_owner_who_publishes_them_once(
        store, publisher, clock, rules, policy):
    """The zombie decided and saved the offer; the partition's new owner took a newer token before it could publish."""
    zombie, zombie_fences, metrics = fenced_tracker(store, publisher, clock, rules, policy)
    await zombie_fences.take({0})
    await abandon_cart(zombie, clock)
    owner, owner_fences, _ = fenced_tracker(store, publisher, clock, rules, policy)
    saving = store.save

    async def saved_then_partition_taken(changes, **options):
        refused = await saving(changes, **options)
        await owner_fences.take({0})  # the group gave partition 0 to another worker
        return refused

    store.save = saved_then_partition_taken
    assert await zombie.fire_due([0]) == 0
    store.save = saving
    assert publisher.on("offer-triggers") == []
    assert store.outboxes["c1"], "kept in the outbox for the new owner"
    assert metrics.fenced_records._value.get() == 1

    clock.advance(seconds=1)
    assert await owner.fire_due([0]) == 1
    assert await zombie.fire_due([0]) == 0
    assert len(publisher.on("offer-triggers")) == 1
    assert not store.outboxes["c1"]


async def test_a_zombie_writes_nothing_of_a_batch_and_leaves_its_records_unacknowledged(
        store, publisher, clock, rules, policy):
    zombie, zombie_fences, metrics = fenced_tracker(store, publisher, clock, rules, policy)
    await zombie_fences.take({0, 1})
    await store.take_fences({0})  # another worker was given partition 0

    report = await zombie.handle([record(event("cart_item_added", "c1"), partition=0),
                                  record(event("cart_item_added", "c2"), partition=1)])
    assert report.fenced == {0}
    assert report.events == 1
    assert "c1" not in store.states and "c2" in store.states
    assert metrics.fenced_writes._value.get() == 1
    assert metrics.stale_saves._value.get() == 0, "not applied again: the partition is another worker's"


async def test_a_zombie_timer_decides_nothing(store, publisher, clock, rules, policy):
    zombie, zombie_fences, _ = fenced_tracker(store, publisher, clock, rules, policy)
    await zombie_fences.take({0})
    await abandon_cart(zombie, clock)
    before = store.versions["c1"]
    await store.take_fences({0})

    assert await zombie.fire_due([0]) == 0
    assert store.versions["c1"] == before and not store.outboxes.get("c1")
    assert publisher.on("offer-triggers") == []


async def test_a_worker_assigned_the_partition_again_takes_a_new_token_and_publishes(
        store, publisher, clock, rules, policy):
    tracker, fences, _ = fenced_tracker(store, publisher, clock, rules, policy)
    await fences.take({0})
    await abandon_cart(tracker, clock)
    await store.take_fences({0})  # another worker owned it for a while
    assert await tracker.fire_due([0]) == 0
    fences.release({0})
    await fences.take({0})  # the next rebalance gave it back
    clock.advance(seconds=1)
    assert await tracker.fire_due([0]) == 1
    assert len(publisher.on("offer-triggers")) == 1


async def test_tokens_that_cannot_be_read_keep_the_records_for_the_next_tick(store, publisher, clock, rules, policy):
    tracker, fences, metrics = fenced_tracker(store, publisher, clock, rules, policy)
    await fences.take({0})
    await abandon_cart(tracker, clock)
    original = store.fences

    async def unreachable(partitions):
        from redis.exceptions import ConnectionError

        raise ConnectionError("injected failure")

    store.fences = unreachable
    assert await tracker.fire_due([0]) == 0
    assert publisher.on("offer-triggers") == [] and store.outboxes["c1"]
    assert metrics.fenced_records._value.get() == 0
    store.fences = original
    clock.advance(seconds=1)
    assert await tracker.fire_due([0]) == 1


async def test_each_assignment_takes_a_token_newer_than_any_before(store):
    first, second = Fences(store, Metrics(CollectorRegistry())), Fences(store, Metrics(CollectorRegistry()))
    await first.take({0, 1})
    await second.take({1})
    assert first.held == {0: 1, 1: 1} and second.held == {1: 2}
    assert await first.lost({0, 1}) == {1}
    assert await second.lost({0, 1}) == set()  # partition 0 is not second's: not checked
