"""The foundation end to end: real Kafka in, Redis state, offer triggers and dead letters out."""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timedelta, timezone


from builders import event
from harness import wait_until
from stored import profile_hash, session_hash

def at(seconds: float = 0) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def profile(redis_client, customer_id: str) -> dict[str, str]:
    raw = profile_hash(redis_client, customer_id)
    # ``_v`` counts the store's saves of the customer, not part of the profile.
    return {k.decode(): v.decode() for k, v in raw.items() if k != b"_v"}


def test_abandoned_cart_produces_exactly_one_timed_trigger(worker, kafka, worker_settings):
    """A cart left alone yields one offer-triggers record, valid for 60 minutes, and no second one."""
    kafka.send(event("product_viewed", "cart-1", at(), product_id="boot-9", category="shoes", price=80.0))
    kafka.send(event("cart_item_added", "cart-1", at(), product_id="boot-9", price=80.0, quantity=2))
    kafka.flush()
    triggers = kafka.read(worker_settings.offer_triggers_topic, at_least=1, timeout=30, settle=3)
    assert len(triggers) == 1
    [trigger] = triggers
    assert trigger["kind"] == "cart_abandoned"
    assert trigger["customer_id"] == "cart-1"
    assert trigger["cart_value"] == 160.0
    issued, expires = datetime.fromisoformat(trigger["issued_at"]), datetime.fromisoformat(trigger["expires_at"])
    assert expires - issued == timedelta(minutes=60)
    assert abs((issued - datetime.now(timezone.utc)).total_seconds()) < 30


def test_a_purchase_before_the_timeout_sends_no_trigger(worker, kafka, worker_settings, redis_client):
    """A customer who buys is not chased."""
    kafka.send(event("cart_item_added", "buyer-1", at()))
    kafka.send(event("order_placed", "buyer-1", at(0.2)))
    kafka.send(event("cart_item_added", "leaver-1", at(0.3)))
    kafka.flush()
    triggers = kafka.read(worker_settings.offer_triggers_topic, at_least=1, timeout=30, settle=3)
    assert [t["customer_id"] for t in triggers] == ["leaver-1"]
    assert profile(redis_client, "buyer-1")["orders"] == "1"


def test_replaying_the_same_events_twice_leaves_every_profile_as_after_one(worker, kafka, redis_client):
    """At-least-once delivery with exactly-once effects: a replay changes no profile."""
    from streams.core.events import dump
    from streams.demo.simulate import in_time_order, simulate

    shoppers = simulate(25, seed=3, start=at(-600), pace=timedelta(seconds=5), spread=timedelta(seconds=60))
    events = list(in_time_order(shoppers))
    customers = {c.customer_id for c in shoppers}

    def send_all() -> None:
        for e in events:
            kafka.send(json.loads(dump(e)))
        kafka.flush()

    def snapshot() -> dict[str, dict[str, str]]:
        return {c: profile(redis_client, c) for c in customers}

    send_all()
    wait_until(lambda: worker.metric_total("tracker_events_consumed_total") >= len(events), timeout=30, message=f"{len(events)} events consumed")
    # A visit closing (timeout + allowed lateness after its last event) updates the profile too.
    wait_until(lambda: not any(session_hash(redis_client, c) for c in customers), timeout=30,
               message="every visit closed")
    first = snapshot()
    assert all(first.values()), "every simulated customer has a profile"
    send_all()
    wait_until(lambda: worker.metric("tracker_duplicate_events_total") >= len(events), timeout=30,
               message="the replay to be recognised as duplicates")
    assert snapshot() == first



def test_health_and_ready_answer(worker):
    """/health says the process is alive and /ready that it has partitions and Redis."""
    with urllib.request.urlopen(worker.url("/health"), timeout=2) as response:
        assert json.load(response) == {"status": "ok"}
    with urllib.request.urlopen(worker.url("/ready"), timeout=2) as response:
        assert json.load(response)["ready"] is True


def test_a_worker_restart_between_scheduling_and_firing_still_gives_one_trigger(
    worker, kafka, worker_settings, redis_client
):
    """The abandonment deadline lives in Redis: a restarted worker fires it, once."""
    kafka.send(event("cart_item_added", "restart-1", at()))
    kafka.flush()
    wait_until(lambda: session_hash(redis_client, "restart-1"), message="the session in Redis")
    worker.stop()
    worker.start()
    triggers = kafka.read(worker_settings.offer_triggers_topic, at_least=1, timeout=30, settle=3)
    assert [t["customer_id"] for t in triggers] == ["restart-1"]
