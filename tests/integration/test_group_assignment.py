"""A consumer group of three workers on real Kafka: partition n of both input topics goes to one worker."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import CollectorRegistry

from streams.broker.consumer import BatchConsumer
from streams.broker.topics import ensure_topics
from streams.metrics import Metrics
from streams.settings import Settings


async def _nothing(records) -> None:
    return None


def _consumer(settings: Settings) -> BatchConsumer:
    return BatchConsumer(
        topics=[settings.site_visits_topic, settings.purchases_topic], bootstrap_servers=settings.bootstrap_servers,
        group_id=settings.app_id, handle=_nothing, metrics=Metrics(CollectorRegistry()), batch_size=100,
        batch_seconds=0.05, session_timeout_seconds=settings.broker_session_timeout,
        heartbeat_seconds=settings.broker_heartbeat_interval,
        rebalance_timeout_seconds=settings.broker_rebalance_timeout,
    )


async def test_three_workers_on_four_partitions_keep_each_customers_visits_and_orders_together(worker_settings):
    """The case aiokafka's default assignor (round robin) got wrong: 4 partitions do not split in 3."""
    settings = worker_settings.model_copy(update={"partitions": 4})
    ensure_topics(settings)
    consumers = [_consumer(settings) for _ in range(3)]
    try:
        for consumer in consumers:
            await consumer.start()
        deadline = time.monotonic() + 60
        while True:
            owned = [consumer.assignment() for consumer in consumers]
            if all(owned) and sum(map(len, owned)) == 8:
                break
            assert time.monotonic() < deadline, f"the group did not settle: {owned}"
            await asyncio.sleep(0.2)
        for partitions in owned:
            numbers = {topic: {tp.partition for tp in partitions if tp.topic == topic}
                       for topic in (settings.site_visits_topic, settings.purchases_topic)}
            assert numbers[settings.site_visits_topic] == numbers[settings.purchases_topic], owned
    finally:
        for consumer in consumers:
            await consumer.stop()
