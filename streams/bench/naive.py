"""The baseline of ``tracker bench``: a naive Faust agent with a Redis round trip per step.

This is how a first version of the tracker would be written: one Faust agent over both
input topics, each event parsed with the same schemas, then its own Redis round trips,
awaited one after the other — mark it seen, count it on the profile, note when the
customer was last seen, count it for the benchmark.  It does none of the tracker's real
work (sessions, models, offers), so it flatters the baseline, not the worker.

Run by the benchmark as ``python -m streams.bench.naive`` with its settings in the environment
(``NAIVE_BROKER``, ``NAIVE_REDIS_URL``, ``NAIVE_APP_ID``, ``NAIVE_TOPICS``, ``NAIVE_PORT``).
"""

from __future__ import annotations

import os
import time

import faust
import redis.asyncio as aioredis

from streams.core.events import ANY_EVENT
from streams.settings import Settings
from streams.transport import faust_credentials, redis_options
from streams.worker.app import faust_scratch_directory

#: Redis keys the benchmark reads: events handled, and when the first one was.
COUNT_KEY = "bench:naive:count"


def build(broker: str, redis_url: str, app_id: str, topics: list[str], web_port: int) -> faust.App:
    # Credentials and TLS as the worker has them (the TRACKER_* settings the benchmark runs with).
    settings = Settings()
    app = faust.App(
        app_id, datadir=faust_scratch_directory(app_id), broker=broker, store="memory://", autodiscover=False, web_port=web_port,
        consumer_auto_offset_reset="earliest", broker_session_timeout=6, broker_rebalance_timeout=5,
        broker_credentials=faust_credentials(settings),
    )
    client = aioredis.Redis.from_url(redis_url, **redis_options(settings))
    inputs = app.topic(*topics, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")

    @app.agent(inputs, name="naive")
    async def naive(stream: faust.StreamT[bytes]) -> None:
        async for value in stream:
            try:
                event = ANY_EVENT.validate_json(value)
            except ValueError:
                continue
            customer = f"naive:{{{event.customer_id}}}"
            if await client.set(f"{customer}:seen:{event.event_id}", 1, nx=True, ex=3600):
                await client.hincrby(f"{customer}:profile", "events", 1)
                await client.hset(f"{customer}:profile", "last_seen", event.occurred_at.isoformat())
            await client.incr(COUNT_KEY)

    return app


def main() -> None:
    env = os.environ
    app = build(env["NAIVE_BROKER"], env["NAIVE_REDIS_URL"], env["NAIVE_APP_ID"], env["NAIVE_TOPICS"].split(","),
                int(env["NAIVE_PORT"]))
    started = time.monotonic()
    faust.Worker(app, loglevel="WARNING", quiet=True).execute_from_commandline()
    print(f"naive worker ran {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main()
