"""What the benchmark suites share: their error, percentiles, a store of their own, and cleaning up after."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from offers import Policy, QuietHours
from streams.core.intake import Intake
from streams.core.lifecycle import Rules
from streams.errors import TrackerError
from streams.settings import Settings, load_offer_policy, rules_of
from streams.store import RedisStore, open_store
from streams.store.keys import clock_key, customers_with_prefix, deadlines_key, offsets_key

Progress = Callable[[str], None]


class BenchError(TrackerError):
    """A benchmark that cannot run here, with the reason."""

BENCH_PREFIX = "bench"
#: Input topics of the suites that run a tracker in-process (stages, scale). Their own names:
#: a tracker saves how far it read each input partition and its replay clock under the topic's
#: name (``tracker:offsets:{p<n>}``, ``tracker:clock:{p<n>}``), which a worker of the real topics
#: would read back — resume from, and take the time of — after a benchmark on its Redis.
BENCH_INPUTS = (f"{BENCH_PREFIX}-site-visits", f"{BENCH_PREFIX}-purchases")
#: Customer ids of ``simulate(..., seed=13)``, which the models suite writes and removes.
SIMULATED_PREFIX = "c-013"


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) of ``values`` by linear interpolation.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5)
    2.5
    """
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def replay_parts(settings: Settings) -> tuple[Policy, Rules, Intake]:
    """Policy, rules and intake of a tracker that replays simulated history (event time, no quiet hours)."""
    policy = replace(load_offer_policy(settings), quiet_hours=QuietHours(start=0, end=0))
    rules = replace(rules_of(settings), event_time=True)
    intake = Intake(*BENCH_INPUTS, settings.max_event_bytes, max_future=timedelta(days=36_500))
    return policy, rules, intake


class TimedStore:
    """A store that adds up the time spent waiting on Redis, by caller (events or timer)."""

    def __init__(self, store: RedisStore) -> None:
        self._store = store
        self.seconds = 0.0

    def __getattr__(self, name: str) -> object:
        attribute = getattr(self._store, name)
        if name not in ("load", "save", "due", "delivered"):
            return attribute

        async def timed(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return await attribute(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
        return timed


class NullPublisher:
    async def publish(self, topic: str, key: str | None, value: bytes) -> None:
        return None


def bench_store(settings: Settings) -> RedisStore:
    """The store of the settings, with short TTLs: what a suite writes does not outlive it by long."""
    return open_store(settings, session_ttl_seconds=settings.session_timeout_seconds + 3600, dedupe_ttl_seconds=3600)


async def clear(store: RedisStore, partitions: int, prefix: str = BENCH_PREFIX) -> None:
    client = store.client
    async for key in client.scan_iter(match=customers_with_prefix(f"{prefix}-"), count=5000):
        await client.delete(key)
    for partition in range(partitions):
        members = await client.zrange(deadlines_key(partition), 0, -1)
        stale = [m for m in members if m.startswith(prefix.encode())]
        if stale:
            await client.zrem(deadlines_key(partition), *stale)
    await forget_bench_inputs(store, partitions)


async def forget_bench_inputs(store: RedisStore, partitions: int) -> None:
    """Drop how far the in-process trackers read the bench's inputs, and their replay clock.

    Left over, the next round's tracker would take the clock at the last round's end and end
    every visit at its first event (every later event then late), which is not the work measured.
    """
    for partition in range(partitions):
        await store.client.zrem(offsets_key(partition), *BENCH_INPUTS)
        await store.client.zrem(clock_key(partition), *BENCH_INPUTS)
