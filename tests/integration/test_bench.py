"""Every benchmark suite but throughput runs on the real Kafka and Redis and reports its figures.

A benchmark measures and asserts nothing about speed; these tests only keep the suites
working (tiny sizes), so ``tracker bench`` does not break unnoticed. The throughput suite,
which starts workers of its own on large backlogs, is run by hand (docs/benchmarks.md); the
live suite's one worker runs here on a few seconds of visits, at a quicker pace.
"""

from __future__ import annotations

import pytest
import redis

from streams.bench.lookup import bench_due_lookup
from streams.bench.report import format_report
from streams.bench.scale import bench_scale
from streams.bench.size import bench_profile_size
from streams.bench.stages import bench_stages
from streams.bench.triggers import bench_triggers
from streams.settings import Settings
from streams.store.keys import clock_key, offsets_key

pytestmark = pytest.mark.integration


def _quiet(text: str) -> None:
    return None


async def test_the_small_suites_measure_and_report(worker_settings: Settings) -> None:
    """stages, triggers, lookup, scale and size run on tiny sizes and give their figures."""
    settings = worker_settings
    results = {
        "stages": await bench_stages(settings, customers=40, rounds=1, progress=_quiet),
        "triggers": await bench_triggers(settings, pending=50, window=1.0, progress=_quiet),
        "lookup": await bench_due_lookup(settings, sizes=(100, 1000), samples=5, progress=_quiet),
        "scale": await bench_scale(settings, sizes=(50, 200), rounds=1, progress=_quiet),
        "size": await bench_profile_size(settings, progress=_quiet),
    }
    assert results["stages"]["us_per_event_with_models"] > 0
    assert results["stages"]["segments_us_per_event"]["learn"] > 0
    assert results["triggers"]["triggers"] == 50
    assert [row["size"] for row in results["lookup"]["sizes"]] == [100, 1000]  # type: ignore[index]
    assert [row["customers"] for row in results["scale"]["sizes"]] == [50, 200]  # type: ignore[index]
    assert "customers" in results["size"]
    report = format_report(results)
    for heading in ("stages:", "triggers:", "scale:", "due lookup", "size:"):
        assert heading in report


async def test_the_in_process_suites_leave_a_workers_offsets_and_clock_alone(
    worker_settings: Settings, redis_client: redis.Redis
) -> None:
    """stages and scale run a tracker on the worker's Redis: how far a worker read its inputs, and its
    replay clock, stay as they were, and the suites leave no such record of their own inputs.

    They once fed the tracker records of the real input topics: a worker of partition 0 would
    then resume where the benchmark's backlog ended, and each round began at the last one's end
    of time, ending every visit at its first event.
    """
    settings = worker_settings
    redis_client.zadd(offsets_key(0), {settings.site_visits_topic: 7, settings.purchases_topic: 3})
    redis_client.zadd(clock_key(0), {settings.site_visits_topic: 1_700_000_000.0})
    before = {key: redis_client.zrange(key, 0, -1, withscores=True) for key in (offsets_key(0), clock_key(0))}

    await bench_stages(settings, customers=40, rounds=2, progress=_quiet)
    await bench_scale(settings, sizes=(50,), rounds=2, progress=_quiet)

    after = {key: redis_client.zrange(key, 0, -1, withscores=True) for key in (offsets_key(0), clock_key(0))}
    assert after == before
    for partition in range(1, settings.partitions):
        assert redis_client.zcard(offsets_key(partition)) == 0
        assert redis_client.zcard(clock_key(partition)) == 0


async def test_the_live_suite_sends_visits_as_they_happen_and_the_worker_ends_them(worker_settings: Settings) -> None:
    """A worker of its own on the wall clock: every visit sent is ended on its timer, and the CPU is priced.

    Visits at a fifth of the suite's pace, ended after a second of quiet (the suite's: a second
    between events, five of quiet), so that they start, end and are waited for in seconds, not tens.
    """
    from streams.bench.live import bench_live

    results = {"live": await bench_live(worker_settings, rate=60, seconds=2.0, redis_db=14, progress=_quiet,
                                        pace=0.2, session_timeout=1.0)}
    live = results["live"]
    assert live["events"] > 0
    assert live["visits_ended"] >= live["visitors"]
    # Priced from the worker's CPU; a run this short can use no more than its idle share says
    # (its timers' ticks, measured apart): the difference is then 0, not a failure.
    assert live["worker_cpu_seconds"] > 0
    assert live["cpu_us_per_event"] >= 0 and live["idle_core_share"] >= 0
    assert "live:" in format_report(results)
