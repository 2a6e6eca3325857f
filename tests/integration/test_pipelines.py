"""The store's pipelines (one timeout for all replies) answer exactly as redis-py's, on the real Redis."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, ResponseError

from streams.store.wire import OneTimeoutPipeline, pack_in_c

_REDIS = urllib.parse.urlsplit(os.environ.get("TRACKER_REDIS_URL", "redis://127.0.0.1:16379/0"))
REDIS_URL = urllib.parse.urlunsplit(_REDIS._replace(path="/9"))


@pytest.fixture
async def clients(services: dict[str, str]) -> AsyncIterator[tuple[aioredis.Redis, aioredis.Redis]]:
    """redis-py's own client and the store's (packing in C, one timeout per pipeline), on one database."""
    plain = aioredis.Redis.from_url(REDIS_URL, socket_timeout=10)
    store = pack_in_c(aioredis.Redis.from_url(REDIS_URL, socket_timeout=10))
    await plain.flushdb()
    yield plain, store
    await plain.flushdb()
    await plain.aclose()
    await store.aclose()


def _queue(pipe: aioredis.client.Pipeline) -> None:
    """Commands of every kind the store pipelines, with replies that go through redis-py's callbacks."""
    pipe.set("k", "v")
    pipe.get("k")
    pipe.get("missing")
    pipe.incr("n")
    pipe.zadd("z", {"a": 1.5, "b": 2})
    pipe.zrange("z", 0, -1, withscores=True)
    pipe.zrangebyscore("z", "-inf", 2, start=0, num=10)
    pipe.hset("h", mapping={"f": "1", "g": "2"})
    pipe.hdel("h", "f")
    pipe.hgetall("h")
    pipe.zcard("k")  # WRONGTYPE: an error reply in the middle
    pipe.execute_command("EVALSHA", "0" * 40, 0)  # NOSCRIPT
    pipe.eval("return {1, 'two', {3}}", 0)
    pipe.zrem("z", "a")
    pipe.exists("k", "h", "missing")


async def test_a_pipeline_answers_as_redis_pys_own(clients: tuple[aioredis.Redis, aioredis.Redis]) -> None:
    plain, store = clients
    pipe = store.pipeline(transaction=False)
    assert isinstance(pipe, OneTimeoutPipeline)
    _queue(pipe)
    ours = await pipe.execute(raise_on_error=False)
    await plain.flushdb()
    theirs_pipe = plain.pipeline(transaction=False)
    _queue(theirs_pipe)
    theirs = await theirs_pipe.execute(raise_on_error=False)
    assert len(ours) == len(theirs) == 15
    for mine, expected in zip(ours, theirs):
        if isinstance(expected, Exception):
            assert type(mine) is type(expected) and str(mine) == str(expected)
        else:
            assert mine == expected
    assert isinstance(ours[11], NoScriptError)


async def test_an_error_reply_is_raised_when_asked_and_the_connection_stays_usable(
    clients: tuple[aioredis.Redis, aioredis.Redis],
) -> None:
    _, store = clients
    await store.set("k", "v")
    pipe = store.pipeline(transaction=False)
    pipe.get("k")
    pipe.zcard("k")
    pipe.get("k")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        await pipe.execute()
    # Every reply was read: the pooled connection is in step with the server.
    assert await store.pipeline(transaction=False).get("k").incr("n").execute() == [b"v", 1]


async def test_transactions_are_redis_pys(clients: tuple[aioredis.Redis, aioredis.Redis]) -> None:
    _, store = clients
    pipe = store.pipeline(transaction=True)
    pipe.set("k", "1")
    pipe.incr("k")
    assert await pipe.execute() == [True, 2]
