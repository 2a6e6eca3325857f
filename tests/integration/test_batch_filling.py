"""A live stream's fetches wait for some input (``batch_min_bytes``), never longer than ``batch_seconds``."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry

from streams.broker.consumer import BatchConsumer
from streams.broker.topics import ensure_topics
from streams.metrics import Metrics
from streams.settings import Settings


class _Batches:
    """What the consumer handed over: each batch's size, and when each record came."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.arrived: dict[bytes, float] = {}

    async def handle(self, records) -> None:
        self.sizes.append(len(records))
        for record in records:
            self.arrived[record.value] = time.monotonic()


def _consumer(settings: Settings, batches: _Batches, *, min_bytes: int, seconds: float) -> BatchConsumer:
    return BatchConsumer(
        topics=[settings.site_visits_topic], bootstrap_servers=settings.bootstrap_servers,
        group_id=settings.app_id, handle=batches.handle, metrics=Metrics(CollectorRegistry()), batch_size=500,
        batch_seconds=seconds, batch_min_bytes=min_bytes, session_timeout_seconds=settings.broker_session_timeout,
        heartbeat_seconds=settings.broker_heartbeat_interval,
        rebalance_timeout_seconds=settings.broker_rebalance_timeout,
    )


async def _assigned(consumer: BatchConsumer) -> None:
    deadline = time.monotonic() + 60
    while not consumer.assignment():
        assert time.monotonic() < deadline, "the consumer got no partitions"
        await asyncio.sleep(0.1)


async def test_a_trickle_comes_in_batches_and_a_lone_event_waits_no_longer_than_batch_seconds(worker_settings):
    settings = worker_settings.model_copy(update={"partitions": 1})
    ensure_topics(settings)
    batches = _Batches()
    consumer = _consumer(settings, batches, min_bytes=4096, seconds=1.0)
    producer = AIOKafkaProducer(bootstrap_servers=",".join(settings.bootstrap_servers))
    await consumer.start()
    await producer.start()
    try:
        await _assigned(consumer)
        # 200 records of ~200 bytes, one every 5 ms: one at a time without the wait for input.
        body = b"x" * 200
        for n in range(200):
            await producer.send_and_wait(settings.site_visits_topic, body + str(n).encode())
            await asyncio.sleep(0.005)
        deadline = time.monotonic() + 30
        while len(batches.arrived) < 200:
            assert time.monotonic() < deadline, f"{len(batches.arrived)} of 200 records handed over"
            await asyncio.sleep(0.05)
        assert sum(batches.sizes) / len(batches.sizes) >= 5, batches.sizes

        # Far less than batch_min_bytes: handed over once batch_seconds passed, not held for more input.
        await asyncio.sleep(1.5)
        sent = time.monotonic()
        await producer.send_and_wait(settings.site_visits_topic, b"alone")
        while b"alone" not in batches.arrived:
            assert time.monotonic() - sent < 10, "a lone record was held past batch_seconds"
            await asyncio.sleep(0.02)
    finally:
        await producer.stop()
        await consumer.stop()
