"""Redis timing and the deadline gauges of the store, on the real Redis."""

from __future__ import annotations

import os
import time
import urllib.parse
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry

from streams.metrics import Metrics
from streams.store import DeadlineCounts, RedisStore
from streams.store.timing import instrument_redis
from streams.store.keys import deadlines_key, session_key

# A database of its own, so workers of other test runs on the same server are not disturbed.
_REDIS = urllib.parse.urlsplit(os.environ.get("TRACKER_REDIS_URL", "redis://127.0.0.1:16379/0"))
REDIS_URL = urllib.parse.urlunsplit(_REDIS._replace(path="/8"))


@pytest.fixture
async def client(services: dict[str, str]) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(REDIS_URL)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


def _count(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


async def test_redis_py_commands_scripts_and_pipelines_are_all_timed(client: aioredis.Redis) -> None:
    """PING, a Lua script run in a pipeline (as the store saves) and SCAN go through the timing wrapper."""
    metrics = Metrics(CollectorRegistry())
    instrument_redis(client, metrics.redis_command_seconds, metrics.redis_command_errors)
    script = client.register_script("return redis.call('SET', KEYS[1], ARGV[1])")
    assert await client.ping()
    pipe = client.pipeline(transaction=False)
    await script(keys=["tracker:{c1}:profile-test"], args=["1"], client=pipe)
    await pipe.execute()
    assert [key async for key in client.scan_iter(match="tracker:*")] == [b"tracker:{c1}:profile-test"]
    assert _count(metrics, "tracker_redis_command_seconds_count", command="PING") == 1
    assert _count(metrics, "tracker_redis_command_seconds_count", command="PIPELINE") == 1
    assert _count(metrics, "tracker_redis_command_seconds_count", command="SCAN") >= 1
    assert _count(metrics, "tracker_redis_command_seconds_sum", command="PING") > 0


async def test_a_server_error_is_counted_under_its_command(client: aioredis.Redis) -> None:
    """A command Redis refuses (WRONGTYPE) is counted as an error and still raised."""
    metrics = Metrics(CollectorRegistry())
    instrument_redis(client, metrics.redis_command_seconds, metrics.redis_command_errors)
    await client.set("tracker:not-a-set", "x")
    with pytest.raises(aioredis.ResponseError):
        await client.zcard("tracker:not-a-set")
    assert _count(metrics, "tracker_redis_command_errors_total", command="ZCARD") == 1
    assert _count(metrics, "tracker_redis_command_errors_total", command="SET") == 0


async def test_a_script_redis_has_not_cached_yet_is_no_error(client: aioredis.Redis) -> None:
    """EVALSHA's NOSCRIPT, which redis-py answers by loading the script, is not counted as a failure."""
    metrics = Metrics(CollectorRegistry())
    instrument_redis(client, metrics.redis_command_seconds, metrics.redis_command_errors)
    await client.script_flush()
    script = client.register_script("return 7")
    assert await script() == 7
    assert _count(metrics, "tracker_redis_command_seconds_count", command="EVALSHA") == 2
    assert _count(metrics, "tracker_redis_command_errors_total", command="EVALSHA") == 0


async def test_deadline_counts_split_pending_overdue_and_live_sessions(client: aioredis.Redis) -> None:
    """Only the owned partitions count; overdue is due by now; live sessions are due later and have a session."""
    now = time.time()
    await client.zadd(deadlines_key(0), {"due-later-with-session": now + 60, "overdue": now - 5,
                                         "open-offer-only": now + 3600})
    await client.zadd(deadlines_key(1), {"other-with-session": now + 30})
    await client.zadd(deadlines_key(2), {"not-owned": now + 30})
    for customer in ("due-later-with-session", "overdue", "other-with-session", "not-owned"):
        await client.hset(session_key(customer), "started_at", str(now))
    store = RedisStore(client, session_ttl_seconds=60, dedupe_ttl_seconds=60)
    counts = await store.deadline_counts([0, 1], now, chunk=2)
    assert (counts.pending, counts.overdue, counts.active_sessions) == (4, 1, 2)
    assert await store.deadline_counts([], now) == DeadlineCounts(0, 0, 0)
