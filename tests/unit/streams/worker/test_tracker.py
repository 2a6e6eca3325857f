"""The tracker's logic between Kafka and Redis, on in-memory fakes."""

from __future__ import annotations

import json
from datetime import timedelta

from builders import event, record


async def test_cart_left_alone_fires_one_trigger_when_the_session_times_out(tracker, publisher, clock):
    """A cart with items and no purchase gives exactly one cart_abandoned trigger after the timeout."""
    clock.now = clock.now + timedelta(minutes=1)
    await tracker.handle([record(event("product_viewed")), record(event("cart_item_added", at=timedelta(seconds=30)))])
    assert await tracker.fire_due([0]) == 0
    clock.advance(minutes=31)
    assert await tracker.fire_due([0]) == 1
    clock.advance(minutes=31)
    assert await tracker.fire_due([0]) == 0
    [trigger] = [json.loads(v) for v in publisher.on("offer-triggers")]
    assert trigger["kind"] == "cart_abandoned"
    assert trigger["customer_id"] == "c1"
    assert trigger["products"][0]["product_id"] == "p1"
    issued, expires = (trigger[k] for k in ("issued_at", "expires_at"))
    from datetime import datetime

    assert datetime.fromisoformat(expires) - datetime.fromisoformat(issued) == timedelta(minutes=60)


async def test_purchase_before_the_timeout_means_no_trigger(tracker, publisher, clock):
    """A purchase in the session cancels the abandonment."""
    await tracker.handle([record(event("cart_item_added")), record(event("order_placed", at=timedelta(minutes=2)))])
    clock.advance(hours=2)
    await tracker.fire_due([0])
    assert publisher.on("offer-triggers") == []


async def test_event_after_a_timed_out_session_fires_the_old_abandonment(tracker, publisher, clock):
    """If the timer has not run yet, the next event closes the quiet session and its trigger is sent."""
    clock.advance(hours=3)
    await tracker.handle([record(event("cart_item_added"))])
    await tracker.handle([record(event("page_viewed", at=timedelta(hours=2)))])
    assert len(publisher.on("offer-triggers")) == 1


async def test_duplicate_events_count_once(tracker, store):
    """The same event_id delivered again changes nothing."""
    body = event("cart_item_added")
    first = await tracker.handle([record(body)])
    again = await tracker.handle([record(body), record(body)])
    assert (first.events, again.events, again.duplicates) == (1, 0, 2)
    assert store.states["c1"].profile.cart_adds == 1
    assert store.states["c1"].session.cart_items == 1


async def test_bad_records_go_to_dead_letters_and_the_batch_carries_on(tracker, publisher, store):
    """A broken record is dead-lettered with its reason and coordinates; good ones are kept."""
    good = event("page_viewed")
    report = await tracker.handle([record(b"{nope", key="c1", offset=7), record(good, offset=8)])
    [letter] = [json.loads(v) for v in publisher.on("tracker-dead-letters")]
    assert (letter["reason"], letter["topic"], letter["partition"], letter["offset"]) == (
        "malformed_json", "site-visits", 0, 7)
    import base64

    assert base64.b64decode(letter["value_base64"]) == b"{nope"
    assert report.events == 1
    assert store.states["c1"].profile.page_views == 1


async def test_redis_failure_is_retried_before_the_batch_is_acknowledged(tracker, store):
    """A Redis outage delays the batch instead of losing it."""
    store.fail_next = 3
    report = await tracker.handle([record(event("page_viewed"))])
    assert report.events == 1
    assert store.states["c1"].profile.page_views == 1


async def test_trigger_stays_in_the_outbox_while_the_broker_is_down(tracker, publisher, store, clock):
    """A trigger that Kafka did not acknowledge is kept and sent on a later tick, once."""
    await tracker.handle([record(event("cart_item_added"))])
    clock.advance(minutes=31)
    publisher.down = True
    assert await tracker.fire_due([0]) == 0
    assert store.outboxes["c1"]
    publisher.down = False
    clock.advance(seconds=1)
    assert await tracker.fire_due([0]) == 1
    clock.advance(seconds=1)
    assert await tracker.fire_due([0]) == 0
    assert len(publisher.on("offer-triggers")) == 1
    assert not store.outboxes["c1"]


async def test_frequency_cap_allows_one_trigger_per_day(tracker, publisher, clock):
    """A second abandonment within 24 h of an offer is suppressed."""
    await tracker.handle([record(event("cart_item_added"))])
    clock.advance(minutes=31)
    await tracker.fire_due([0])
    await tracker.handle([record(event("cart_item_added", at=timedelta(hours=2)))])
    clock.advance(hours=3)
    await tracker.fire_due([0])
    assert len(publisher.on("offer-triggers")) == 1


async def test_customer_who_said_no_to_marketing_gets_no_trigger(tracker, publisher, clock):
    """Marketing consent withdrawn at login suppresses offers."""
    await tracker.handle([
        record(event("customer_identified", marketing_consent=False)),
        record(event("cart_item_added", at=timedelta(seconds=5))),
    ])
    clock.advance(hours=1)
    await tracker.fire_due([0])
    assert publisher.on("offer-triggers") == []


async def test_only_the_given_partitions_fire(tracker, publisher, clock):
    """The timer fires deadlines of the partitions the worker owns and no others."""
    await tracker.handle([record(event("cart_item_added"), partition=3)])
    clock.advance(hours=1)
    assert await tracker.fire_due([0, 1]) == 0
    assert await tracker.fire_due([3]) == 1


async def test_a_customer_erased_while_scheduled_is_not_written_back(tracker, publisher, store, clock):
    """The due times the timer holds miss an erasure made elsewhere: it finds nothing stored, and leaves them be."""
    await tracker.handle([record(event("cart_item_added"))])
    scheduled = dict(store.deadlines[0])
    for customer_id in list(store.states):  # erased by another process, the deadline left behind
        del store.states[customer_id]
        store.versions.pop(customer_id)
    store.deadlines[0] = scheduled
    clock.advance(hours=1)

    assert await tracker.fire_due([0]) == 0
    assert store.states == {} and store.deadlines[0] == {}
    assert publisher.on("offer-triggers") == []


async def test_a_tick_that_waited_for_a_batch_decides_at_the_time_it_took_the_customers(tracker, publisher, clock):
    """A timer pass reads the clock once the batch holding the customers has let go of them.

    Read before, its offers were older than those the batch had just decided: a live frequency
    cap of 0 then took the second visit's offer for one made before the first's, and suppressed it.
    """
    import asyncio

    await tracker.handle([record(event("cart_item_added"))])
    clock.advance(minutes=31)
    async with tracker._lock:  # a batch applying events
        tick = asyncio.create_task(tracker.fire_due([0]))
        for _ in range(20):
            await asyncio.sleep(0)
        clock.advance(minutes=5)
    assert await tick == 1
    [trigger] = [json.loads(v) for v in publisher.on("offer-triggers")]
    from datetime import datetime

    assert datetime.fromisoformat(trigger["issued_at"]) == clock.now
