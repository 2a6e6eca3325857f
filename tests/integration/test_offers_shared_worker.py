"""Offers end to end on one worker of default settings: each kind once, duplicates, outcomes, guard rails.

The cases share one worker (starting one per case cost about as much as the case): each has
customers of its own and reads only their triggers; the counters asserted (frequency cap,
consent) are moved only by their own case. Their own module, so the worker is gone before
another test's worker shares Redis with it (the timers of every worker on one Redis fire the
deadlines of their partitions). Cases that need other settings are in test_offers.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

import pytest
import redis

from builders import event
from harness import Kafka, RunningWorker, fresh_settings, wait_until
from stored import profile_hash


class Shared(NamedTuple):
    worker: RunningWorker
    kafka: Kafka
    redis: redis.Redis


def at(seconds: float = 0) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def of(*customers: str):
    """Records of these customers only: the worker's output topics hold the other cases' too."""
    return lambda record: record["customer_id"] in customers


@pytest.fixture(scope="module")
def shared(services, tmp_path_factory) -> Iterator[Shared]:
    client = redis.Redis.from_url(services["redis"])
    client.flushdb()
    settings = fresh_settings(services)
    running = RunningWorker(settings, tmp_path_factory.mktemp("offers") / "worker.log").start()
    kafka = Kafka(settings)
    yield Shared(running, kafka, client)
    kafka.close()
    running.stop()
    client.close()
    print("---- worker log (tail) ----\n" + running.log()[-4000:])


def test_each_kind_of_abandonment_fires_once(shared):
    """Checkout, cart and browse abandonment each give exactly one trigger of their kind."""
    kafka, settings = shared.kafka, shared.worker.settings
    kafka.send(event("cart_item_added", "k-checkout", at()))
    kafka.send(event("checkout_started", "k-checkout", at(0.1)))
    kafka.send(event("cart_item_added", "k-cart", at()))
    for n in range(3):
        kafka.send(event("product_viewed", "k-browse", at(n * 0.1), product_id="lamp-1"))
    kafka.send(event("product_viewed", "k-glance", at(), product_id="lamp-2"))
    kafka.flush()
    triggers = kafka.read(settings.offer_triggers_topic, at_least=3, timeout=30, settle=3,
                          where=of("k-checkout", "k-cart", "k-browse", "k-glance"))
    assert sorted((t["customer_id"], t["kind"]) for t in triggers) == [
        ("k-browse", "browse_abandoned"), ("k-cart", "cart_abandoned"), ("k-checkout", "checkout_abandoned"),
    ]
    browse = next(t for t in triggers if t["kind"] == "browse_abandoned")
    assert [p["product_id"] for p in browse["products"]] == ["lamp-1"]
    assert all(t["reason"]["rule"] and t["reason"]["policy_version"] for t in triggers)


def test_duplicated_events_still_give_one_trigger(shared):
    """The same cart event delivered three times counts once and triggers once."""
    kafka, settings = shared.kafka, shared.worker.settings
    body = event("cart_item_added", "dup-1", at(), quantity=2)
    for _ in range(3):
        kafka.send(body)
    kafka.flush()
    triggers = kafka.read(settings.offer_triggers_topic, at_least=1, timeout=30, settle=3, where=of("dup-1"))
    assert len(triggers) == 1 and triggers[0]["products"][0]["quantity"] == 2
    assert profile_hash(shared.redis, "dup-1").get(b"cart_adds") == b"1"


def test_a_purchase_after_the_trigger_is_reported_as_converted(shared):
    """Buying with the offer's code within its validity yields a `converted` outcome."""
    kafka, settings = shared.kafka, shared.worker.settings
    kafka.send(event("cart_item_added", "conv-1", at()))
    kafka.flush()
    [trigger] = kafka.read(settings.offer_triggers_topic, at_least=1, timeout=30, where=of("conv-1"))
    kafka.send(event("order_placed", "conv-1", at(), discount_code=trigger["incentive"]["code"]))
    kafka.flush()
    [outcome] = kafka.read(settings.offer_outcomes_topic, at_least=1, timeout=30, settle=1, where=of("conv-1"))
    assert (outcome["offer_id"], outcome["outcome"]) == (trigger["offer_id"], "converted")


def test_the_frequency_cap_allows_one_trigger_a_day(shared):
    """A second abandonment soon after an offer earns no second trigger."""
    kafka, settings = shared.kafka, shared.worker.settings
    kafka.send(event("cart_item_added", "cap-1", at()))
    kafka.flush()
    kafka.read(settings.offer_triggers_topic, at_least=1, timeout=30, where=of("cap-1"))
    kafka.send(event("cart_item_added", "cap-1", at(), product_id="p2"))
    kafka.flush()
    wait_until(lambda: shared.worker.metric("tracker_offers_suppressed_total", reason="frequency_cap") == 1,
               timeout=30, message="the capped abandonment")
    assert len(kafka.read(settings.offer_triggers_topic, at_least=1, timeout=5, settle=1, where=of("cap-1"))) == 1


def test_no_trigger_for_a_customer_who_declined_marketing(shared):
    """Marketing consent withdrawn at login is respected."""
    kafka, settings = shared.kafka, shared.worker.settings
    kafka.send(event("customer_identified", "no-1", at(), marketing_consent=False))
    kafka.send(event("cart_item_added", "no-1", at(0.1)))
    kafka.flush()
    wait_until(lambda: shared.worker.metric("tracker_offers_suppressed_total", reason="no_consent") == 1,
               timeout=30, message="the suppression")
    assert kafka.read(settings.offer_triggers_topic, at_least=1, timeout=3, where=of("no-1")) == []
