"""The outbox on real Redis and Kafka: a crash between Kafka's ack and the outbox clear sends nothing twice.

The crash is placed exactly in that window (the store's clear raises), which random kill -9s
(test_crash.py) hit only by chance; the successor is a new Tracker with nothing in memory.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta, timezone

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client import CollectorRegistry

from offers import QuietHours, default_policy
from streams.core.intake import Intake
from streams.core.lifecycle import Rules
from streams.metrics import Metrics
from streams.broker.output_log import KafkaOutputLog
from streams.store import Delivered, RedisStore
from streams.broker.base import Topics
from streams.worker.tracker import Tracker

from builders import event, record


class Crash(Exception):
    """The process dies here: nothing after it runs (a stand-in for kill -9 at that line)."""


class DiesBeforeClearing(RedisStore):
    async def delivered(self, cleared: Sequence[Delivered]) -> None:
        if cleared:
            raise Crash("killed after Kafka acknowledged, before the outbox was cleared")
        await super().delivered(cleared)


class KafkaPublisher:
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def publish(self, topic: str, key: str | None, value: bytes | None) -> None:
        await self._producer.send_and_wait(topic, value, key=key.encode() if key is not None else None)


@pytest.fixture
async def producer(services) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=services["kafka"].removeprefix("kafka://").split(";"), acks="all")
    await producer.start()
    yield producer
    await producer.stop()


async def read_all(servers: list[str], topic: str) -> list[dict]:
    """Every record on ``topic``, up to its end offsets."""
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        numbers = (await consumer._client.fetch_all_metadata()).partitions_for_topic(topic) or ()
        partitions = [TopicPartition(topic, p) for p in sorted(numbers)]
        if not partitions:
            return []  # never published to
        ends = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        values: list[dict] = []

        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in partitions])

        while await behind():
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                values += [json.loads(r.value) for r in records]
        return values
    finally:
        await consumer.stop()


@pytest.mark.parametrize("acked", [True, False], ids=["acked-then-killed", "killed-before-publishing"])
async def test_a_successor_publishes_each_trigger_exactly_once(services, redis_client, producer, acked):
    servers = services["kafka"].removeprefix("kafka://").split(";")
    run = uuid.uuid4().hex[:8]
    topics = Topics(f"offer-triggers-{run}", f"offer-outcomes-{run}", f"dead-letters-{run}")
    # The wall clock, as in the worker: decision times and Kafka's record timestamps must agree.
    started = datetime.now(timezone.utc) - timedelta(minutes=35)
    rules = Rules(session_timeout=timedelta(minutes=30), browse_views_threshold=3)
    policy = default_policy()
    from dataclasses import replace

    policy = replace(policy, quiet_hours=QuietHours(start=0, end=0), holdout_percent=0)

    def tracker(store: RedisStore, publisher, output_log: KafkaOutputLog) -> Tracker:
        return Tracker(store=store, publisher=publisher, intake=Intake("site-visits", "purchases", 65_536),
                       rules=rules, policy=policy, topics=topics, metrics=Metrics(CollectorRegistry()),
                       output_log=output_log)

    def store(kind: type[RedisStore]) -> RedisStore:
        return kind.from_url(services["redis"], session_ttl_seconds=3600, dedupe_ttl_seconds=3600)

    class Down:
        async def publish(self, topic: str, key: str | None, value: bytes | None) -> None:
            raise Crash("killed before the record reached Kafka")

    first_store, first_log = store(DiesBeforeClearing), KafkaOutputLog(servers)
    first = tracker(first_store, KafkaPublisher(producer) if acked else Down(), first_log)
    customers = [f"c{n}" for n in range(5)]
    await first.handle([record(event("cart_item_added", c, started), offset=n) for n, c in enumerate(customers)])
    if acked:
        with pytest.raises(Crash):
            await first.fire_due([0])
    else:
        assert await first.fire_due([0]) == 0  # every publish failed: kept in the outbox
    await first_store.close()
    await first_log.close()
    assert all(redis_client.hlen(f"tracker:{{{c}}}:outbox") == 1 for c in customers)
    assert len(await read_all(servers, topics.offer_triggers)) == (5 if acked else 0)

    successor_store, successor_log = store(RedisStore), KafkaOutputLog(servers)
    successor = tracker(successor_store, KafkaPublisher(producer), successor_log)
    try:
        assert await successor.fire_due([0]) == (0 if acked else 5)
        assert await successor.fire_due([0]) == 0
    finally:
        await successor_store.close()
        await successor_log.close()
    triggers = await read_all(servers, topics.offer_triggers)
    assert sorted(t["customer_id"] for t in triggers) == customers
    assert len({t["offer_id"] for t in triggers}) == 5
    assert all(redis_client.hlen(f"tracker:{{{c}}}:outbox") == 0 for c in customers)
    already = successor._metrics.outbox_already_published._value.get()
    assert already == (5 if acked else 0)
