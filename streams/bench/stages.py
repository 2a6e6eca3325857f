"""``stages``: µs per event in each stage of the real tracker on the real Redis, without and with the models."""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta, timezone

from prometheus_client import CollectorRegistry

from streams.bench.common import (
    BENCH_PREFIX,
    SIMULATED_PREFIX,
    NullPublisher,
    Progress,
    TimedStore,
    bench_store,
    clear,
    replay_parts,
)
from streams.broker.base import Topics
from streams.metrics import Metrics
from streams.settings import Settings
from streams.store import CachedStore, RedisStore
from streams.worker.tracker import Tracker


async def bench_stages(
    settings: Settings, *, customers: int = 2_000, rounds: int = 3, progress: Progress = print
) -> dict[str, object]:
    """µs per event in each stage of the real tracker on the real Redis.

    The same simulated events (several thousand, in batches of ``TRACKER_BATCH_SIZE``) go
    through the tracker ``rounds`` times without and with the online models, alternating;
    parsing is timed alone, Redis through a timing wrapper of the store; medians reported:

    - parse: bytes to a validated event;
    - state: sessions and profile updated from the events (without Redis, without models);
    - redis: waiting on Redis (load and save scripts, due lookups, outbox clears);
    - models: what scoring and learning add (with models minus without);
    - offers: the timer's work on due customers (sessions ended, offers decided, outbox).

    Within the models, the behavioural segments' share is timed directly (their learning at
    each ended visit, and placing customers as their visits double): ``segments_us_per_event``.
    """
    from streams.core.events import dump
    from streams.core.intake import Record
    from streams.demo.simulate import in_time_order, simulate
    from streams.worker.scoring import Scoring

    start = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    shoppers = simulate(customers, seed=13, start=start, pace=timedelta(minutes=1), spread=timedelta(hours=6))
    events = list(in_time_order(shoppers))
    policy, rules, intake = replay_parts(settings)
    records = [
        Record(intake.topic_of(e), 0, n, e.customer_id.encode(), dump(e))
        for n, e in enumerate(events)
    ]
    n = len(records)
    rows: dict[str, list[dict[str, float]]] = {"without": [], "with": []}
    parse: list[float] = []
    segments: dict[str, list[float]] = {"learn": [], "place": []}
    held_bytes: list[float] = []
    scoring = None
    for attempt in range(rounds * 2):
        variant = "without" if attempt % 2 == 0 else "with"
        started = time.perf_counter()
        now = datetime.now(timezone.utc)
        for record in records:
            intake.parse(record, now=now)
        parse.append(time.perf_counter() - started)
        store = bench_store(settings)
        await clear(store, settings.partitions, SIMULATED_PREFIX)
        # As the worker runs it: customers kept in memory between batches (TRACKER_STATE_CACHE_CUSTOMERS).
        timed = TimedStore(CachedStore(store, capacity=max(settings.state_cache_customers, 1),  # type: ignore[arg-type]
                                       dedupe_events=settings.dedupe_events))
        metrics = Metrics(CollectorRegistry())
        scoring = Scoring(metrics) if variant == "with" else None
        tracker = Tracker(
            store=timed, publisher=NullPublisher(), intake=intake, rules=rules, policy=policy,  # type: ignore[arg-type]
            topics=Topics(f"{BENCH_PREFIX}-t", f"{BENCH_PREFIX}-o", f"{BENCH_PREFIX}-d"),
            metrics=metrics, scoring=scoring, idle_seconds=0.0,
        )
        progress(f"round {attempt // 2 + 1}/{rounds} {variant} models: {n} events")
        handle = fire = redis_handle = redis_fire = 0.0
        for i in range(0, n, settings.batch_size):
            mark, waited = time.perf_counter(), timed.seconds
            await tracker.handle(records[i:i + settings.batch_size])
            handle += time.perf_counter() - mark
            redis_handle += timed.seconds - waited
            mark, waited = time.perf_counter(), timed.seconds
            await tracker.fire_due([0])
            fire += time.perf_counter() - mark
            redis_fire += timed.seconds - waited
        rows[variant].append({"handle": handle, "fire": fire, "redis_handle": redis_handle, "redis_fire": redis_fire})
        if scoring is not None and not held_bytes:
            held_bytes.append(await _bytes_per_held_customer(store, [s.customer_id for s in shoppers]))
        if scoring is not None:
            for op in segments:
                spent = metrics.registry.get_sample_value("tracker_model_seconds_total", {"model": "segments", "op": op})
                segments[op].append((spent or 0.0) / n * 1e6)
        await clear(store, settings.partitions, SIMULATED_PREFIX)
        await store.close()

    def median(variant: str, key: str) -> float:
        return statistics.median(row[key] for row in rows[variant]) / n * 1e6

    parse_us = statistics.median(parse) / n * 1e6
    without = median("without", "handle") + median("without", "fire")
    with_models = median("with", "handle") + median("with", "fire")
    stages = {
        "parse": parse_us,
        "state": median("without", "handle") - median("without", "redis_handle") - parse_us,
        "redis": median("with", "redis_handle") + median("with", "redis_fire"),
        "models": with_models - without,
        "offers": median("without", "fire") - median("without", "redis_fire"),
    }
    return {
        "events": n,
        "batch_size": settings.batch_size,
        "us_per_event_without_models": round(without, 1),
        "us_per_event_with_models": round(with_models, 1),
        "models_share": round((with_models - without) / with_models, 3),
        "us_per_event_by_stage": {name: round(value, 1) for name, value in stages.items()},
        "sessions_learned": scoring.intent.n_learned if scoring else 0,
        "segments_us_per_event": {op: round(statistics.median(values), 2) for op, values in segments.items() if values},
        "behaviour_segments": len(scoring.segments.segments) if scoring else 0,
        "memory_bytes_per_cached_customer": round(held_bytes[0]) if held_bytes else None,
    }


async def _bytes_per_held_customer(store: RedisStore, customer_ids: list[str], chunk: int = 500) -> float:
    """Python heap a worker spends per customer it keeps in memory (tracemalloc around loading them all)."""
    import tracemalloc

    cache = CachedStore(store, capacity=len(customer_ids) + 1)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(0, len(customer_ids), chunk):
            await cache.load({customer_id: () for customer_id in customer_ids[i:i + chunk]})
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return (after - before) / max(len(cache), 1)
