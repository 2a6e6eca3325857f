"""The live suite: one worker on a steady stream sent as it happens, not a backlog read at once.

Read as a backlog in event time (the throughput suite), most of a visit's events come in one
batch, so a customer is loaded, scored and saved about once for four events.  Live, a visitor's
next event comes a while later, after many other visitors' events: each event is a batch of its
own for its customer, and the worker pays those costs per event.  This suite offers simulated
visits on the wall clock, each event sent when it happens, with a visit's pace and the session
timeout shortened (about a second between a visitor's events, visits over after a few quiet
seconds) so that visits start, end and have their offers decided within the run; the worker
runs on the wall clock, as it does live.

It reports the worker's CPU per event from the first event sent until it is idle again (the
timer's work at each visit's end included; less what the worker uses idle over that time, its
timers' ticks, measured before the stream), the events per second that makes on one core,
the share of a core it used while the stream ran, event→state latency, visits ended and
triggers sent.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any
from datetime import datetime, timedelta, timezone

from streams.bench.common import BenchError, Progress
from streams.bench.offering import Message, send_when_due
from streams.bench.throughput import _claim, _renamed, _with_db
from streams.bench.watch import (
    Child,
    cpu_seconds,
    histogram_quantile,
    latency_buckets,
    poll,
    scrape,
    total_of,
    until_idle,
)
from streams.settings import Settings
from streams.transport import redis_options

#: Seconds between a simulated visitor's events (each drawn between half and one and a half of it).
PACE_SECONDS = 1.0
#: Quiet seconds after which the worker ends a visit in this suite (live default: 30 minutes).
TIMEOUT_SECONDS = 5.0
#: Seconds between building the visits and the first event: the producer starts.
_LEAD_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Stream:
    """Simulated visits on the wall clock: when each message is due, in order."""

    messages: list[tuple[float, Message]]  # (POSIX seconds it happens, message)
    visitors: int


def stream(settings: Settings, rate: float, seconds: float, start: datetime | None = None, seed: int = 8,
           pace: float = PACE_SECONDS) -> Stream:
    """Visits starting over ``seconds`` from ``start``, enough of them for about ``rate`` events a second,
    with about ``pace`` seconds between a visitor's events.

    Without ``start``, the visits start :data:`_LEAD_SECONDS` after they are built (the time
    to build them is told from a sample of 200): none is due before it can be sent.

    >>> s = Settings(partitions=1)
    >>> at = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    >>> live = stream(s, rate=20, seconds=5, start=at)
    >>> times = [when for when, _ in live.messages]
    >>> times == sorted(times) and times[0] >= at.timestamp()
    True
    >>> 60 <= len(times) <= 160 and live.visitors > 0
    True
    """
    from streams.core.events import dump
    from streams.demo.simulate import in_time_order, simulate
    from streams.settings import intake_of

    intake = intake_of(settings)
    spread = timedelta(seconds=seconds)
    began = time.perf_counter()
    probe = simulate(200, seed=seed, start=start or datetime.now(timezone.utc), pace=timedelta(seconds=pace),
                     spread=spread)
    per_visitor = sum(len(shopper.events) for shopper in probe) / len(probe)
    visitors = max(int(rate * seconds / per_visitor), 1)
    if start is None:
        # Building them costs about three times the sample's share (simulating, ordering, JSON).
        building = 3 * (time.perf_counter() - began) * visitors / len(probe)
        start = datetime.now(timezone.utc) + timedelta(seconds=_LEAD_SECONDS + building)
    events = in_time_order(simulate(visitors, seed=seed, start=start, pace=timedelta(seconds=pace), spread=spread))
    messages = [(event.occurred_at.timestamp(), (intake.topic_of(event), event.customer_id.encode(), dump(event)))
                for event in events]
    return Stream(messages, visitors)


async def bench_live(
    settings: Settings, *, rate: float = 3_000, seconds: float = 30.0, redis_db: int = 15,
    progress: Progress = print, pace: float = PACE_SECONDS, session_timeout: float = TIMEOUT_SECONDS,
) -> dict[str, object]:
    """One worker on a stream offered at ``rate`` events/s for ``seconds``, on the wall clock.

    ``pace`` (seconds between a visitor's events) and ``session_timeout`` (quiet seconds that end a
    visit, above the longest pace drawn, 1.5 times it) set how long the visits last.
    """
    import psutil
    import redis

    from streams.broker.topics import delete_topics, ensure_topics
    from streams.demo.embedded import free_port
    from streams.demo.run import settings_env

    bench = _renamed(settings, f"bench-{uuid.uuid4().hex[:6]}").model_copy(update={
        "redis_url": _with_db(settings.redis_url, redis_db), "web_port": free_port(), "clock": "wall",
        "session_timeout_seconds": session_timeout, "allowed_lateness_seconds": None,
        # Quiet hours are the customers' nights by the wall clock: off, or the figures would
        # depend on the hour the suite runs (a deferred offer is decided but not sent).
        "quiet_hours_enabled": False,
    })
    client = redis.Redis.from_url(bench.redis_url, **redis_options(bench))
    _claim(client, redis_db)
    ensure_topics(bench)
    child = Child([sys.executable, "-m", "streams.cli", "worker"], settings_env(bench))
    port = bench.web_port
    try:
        progress(f"  worker pid {child.process.pid} (attach a profiler: py-spy record -p {child.process.pid})")
        await poll(lambda: _serving(port), 1, 120.0, "tracker worker (starting)", child.problem, lambda _: None)
        await until_idle(child.process.pid, 60.0)
        process = psutil.Process(child.process.pid)
        idle = await _idle_share(process)
        live = stream(bench, rate, seconds, pace=pace)
        total = len(live.messages)
        progress(f"offering {total:,} events of {live.visitors:,} visitors at about {rate:,.0f}/s as they happen")
        cpu_before, wall_before = cpu_seconds(process), time.perf_counter()
        achieved = await send_when_due(bench, live.messages)
        offered_wall = time.perf_counter() - wall_before
        cpu_offered = cpu_seconds(process) - cpu_before
        await poll(lambda: total_of(scrape(port), "tracker_event_to_state_seconds_count"), total,
                   max(120.0, total / 300), "tracker worker (saving)", child.problem, progress)
        # The last visits end on the timer, once quiet for the timeout and the lateness allowed.
        await asyncio.sleep((bench.session_timeout + bench.allowed_lateness).total_seconds() + 1.0)
        await until_idle(child.process.pid, 60.0)
        cpu = cpu_seconds(process) - cpu_before
        wall = time.perf_counter() - wall_before
        after = scrape(port)
    finally:
        child.stop()
        delete_topics(bench)
        client.flushdb()
        client.close()
    handled = total_of(after, "tracker_events_consumed_total")
    if handled < total:
        raise BenchError(f"live: the worker handled {handled:,.0f} of {total:,} events")
    buckets = latency_buckets(after)
    # What the events cost: the worker's CPU less what it uses idle (its timers) over the same time.
    us = max(cpu - idle * wall, 0.0) / total * 1e6
    return {
        "events": total,
        "visitors": live.visitors,
        "pace_seconds": pace,
        "session_timeout_seconds": session_timeout,
        "visits_closed_after_seconds": (bench.session_timeout + bench.allowed_lateness).total_seconds(),
        "offered_per_second": round(achieved),
        "steady_per_second": round(rate),
        "idle_core_share": round(idle, 3),
        # All the worker used from the first event sent until idle again, its idle share included.
        "worker_cpu_seconds": round(cpu, 3),
        "cpu_us_per_event": round(us, 1),
        "events_per_second_on_one_core": round(1e6 / us) if us else None,
        "target_per_second": 30_000,
        "core_share_while_offered": round(cpu_offered / offered_wall, 2),
        "p50_seconds": histogram_quantile(buckets, 0.5),
        "p99_seconds": histogram_quantile(buckets, 0.99),
        "latency_target_p99_seconds": 0.1,
        # Live, a batch is what arrived while the one before was handled: a few events, most of
        # them of different visitors (each a load, an apply and a save of its own).
        "events_per_batch": round(total / max(total_of(after, "tracker_batch_seconds_count"), 1.0), 1),
        "visits_ended": int(total_of(after, "tracker_sessions_ended_total")),
        "triggers": int(sum(value for labels, value in after.get("tracker_offers_opened_total", [])
                            if labels.get("group") == "treated")),
    }


async def _idle_share(process: Any, seconds: float = 2.0) -> float:
    """The share of a core ``process`` (psutil's) uses over ``seconds`` with nothing to do."""
    before, started = cpu_seconds(process), time.perf_counter()
    await asyncio.sleep(seconds)
    return (cpu_seconds(process) - before) / (time.perf_counter() - started)


def _serving(port: int) -> float:
    """1 once the worker's web server answers (its metrics), else 0."""
    try:
        scrape(port)
    except OSError:
        return 0.0
    return 1.0
