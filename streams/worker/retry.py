"""Retrying a step that must succeed before a batch is acknowledged to Kafka."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from redis.exceptions import RedisError

from streams.metrics import Metrics

log = logging.getLogger("tracker")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Retry:
    """Retries with doubling backoff, counting each failure on the metric of its service."""

    metrics: Metrics
    first_seconds: float = 0.5
    #: Also the longest a batch waits once Redis is back (a refused connect costs nothing).
    max_seconds: float = 2.0

    async def until_done(self, what: str, attempt: Callable[[], Awaitable[T]], *, redis: bool = True) -> T:
        """Run ``attempt`` until it succeeds: the batch must not be acked before.

        ``redis`` says which service the attempt talks to, for the metric; a publish retries
        on any error (the producer's errors are many and all transient here).
        """
        delay = self.first_seconds
        retried: tuple[type[BaseException], ...] = (
            (RedisError, OSError, asyncio.TimeoutError) if redis else (Exception,)
        )
        while True:
            try:
                return await attempt()
            except retried as exc:
                (self.metrics.redis_errors if redis else self.metrics.publish_errors).inc()
                log.warning("%s failed, retrying in %.1fs: %r", what, delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_seconds)
