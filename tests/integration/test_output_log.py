"""KafkaOutputLog on the real broker: it finds what was published, from a point in time on."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

from aiokafka import AIOKafkaProducer

from streams.broker.output_log import KafkaOutputLog


async def test_published_records_are_found_by_key_from_a_time_on(services):
    servers = services["kafka"].removeprefix("kafka://").split(";")
    topic = f"output-log-{uuid.uuid4().hex[:8]}"
    log = KafkaOutputLog(servers)
    producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all")
    await producer.start()

    async def send(label: str) -> None:
        for n in range(50):
            await producer.send(topic, f'{{"offer_id":"{label}-{n}"}}'.encode(), key=f"c{n % 5}".encode())
        await producer.flush()

    def values(labels: tuple[str, ...], keys: set[int]) -> list[bytes]:
        return sorted(f'{{"offer_id":"{label}-{n}"}}'.encode() for label in labels for n in range(50) if n % 5 in keys)

    try:
        assert await log.published(topic, datetime.now(timezone.utc), {"c1"}) == []  # no such topic yet
        await send("early")
        await asyncio.sleep(0.05)  # record timestamps are milliseconds: keep the two groups apart
        middle = datetime.now(timezone.utc)
        await asyncio.sleep(0.05)
        await send("late")

        assert sorted(await log.published(topic, middle - timedelta(hours=1), {"c1", "c2"})) == values(
            ("early", "late"), {1, 2})
        assert sorted(await log.published(topic, middle, {"c1"})) == values(("late",), {1})
        assert await log.published(topic, datetime.now(timezone.utc) + timedelta(minutes=1), {"c1"}) == []
    finally:
        await producer.stop()
        await log.close()
