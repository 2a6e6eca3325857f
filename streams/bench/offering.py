"""What the benchmarks offer the worker: records produced as fast as the broker takes them, or each at its time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from streams.settings import Settings

#: (topic, key, value) of one record to produce.
Message = tuple[str, bytes, bytes]


async def produce(settings: Settings, messages: Sequence[Message]) -> float:
    """Produce ``messages``; return records per second acknowledged by the broker."""
    from aiokafka import AIOKafkaProducer

    from streams.transport import aiokafka_options

    producer = AIOKafkaProducer(bootstrap_servers=",".join(settings.bootstrap_servers), acks=1, linger_ms=20,
                                max_batch_size=512 * 1024, **aiokafka_options(settings))
    await producer.start()
    try:
        started = time.perf_counter()
        for i in range(0, len(messages), 5000):
            futures = [await producer.send(topic, value, key=key) for topic, key, value in messages[i:i + 5000]]
            await asyncio.gather(*futures)
        return len(messages) / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def produce_paced(settings: Settings, messages: Sequence[Message], rate: float) -> float:
    """Offer ``messages`` at ``rate`` per second in 10 ms ticks; return the rate achieved."""
    start = time.time()
    return await send_when_due(settings, [(start + i / rate, message) for i, message in enumerate(messages)])


async def send_when_due(settings: Settings, timed: Sequence[tuple[float, Message]]) -> float:
    """Send each message once the wall clock (POSIX seconds) reaches its time, in 10 ms ticks;
    return the rate achieved, from the first message's time until the broker acknowledged the last."""
    from aiokafka import AIOKafkaProducer

    from streams.transport import aiokafka_options

    if not timed:
        return 0.0
    producer = AIOKafkaProducer(bootstrap_servers=",".join(settings.bootstrap_servers), acks=1, linger_ms=2,
                                **aiokafka_options(settings))
    await producer.start()
    try:
        sent, futures = 0, []
        while sent < len(timed):
            now = time.time()
            while sent < len(timed) and timed[sent][0] <= now:
                topic, key, value = timed[sent][1]
                futures.append(await producer.send(topic, value, key=key))
                sent += 1
            await asyncio.sleep(0.01)
        await asyncio.gather(*futures)
        return len(timed) / max(time.time() - timed[0][0], 1e-9)
    finally:
        await producer.stop()
