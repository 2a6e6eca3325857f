"""``tracker bench``: measurements on the real Redis and Kafka of the settings.

A benchmark measures and reports; it asserts nothing.  Figures are medians and
percentiles of many samples, with ratios against a baseline taken in the same run,
because the machines are shared and noisy.

Suites:

- ``triggers``: N pending abandonments whose due times are spread over a window; the
  worker's timer logic (the real :class:`~streams.tracker.Tracker` on the real Redis,
  publishing to the real Kafka) fires them; reported: delay from due time to the
  broker's acknowledgement (p50, p99, max).
- ``throughput``: raw aiokafka vs a naive Faust agent vs the worker (:mod:`streams.throughput`).
- ``stages``: the tracker's per-event cost on Redis by stage (parse, state, Redis, models,
  offers), without and with the online models.
- ``size``: Redis bytes per profile and per customer, of what is in Redis now.
- ``scale``: the tracker's per-event cost with 10k, 100k and 1M customers in Redis.
- ``lookup``: the due lookup (``ZRANGEBYSCORE … LIMIT``) on deadline sets of growing
  size, to show it stays O(log n): µs per lookup and the ratio to the smallest set.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import zlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from prometheus_client import CollectorRegistry

from offers import Policy, QuietHours
from streams.intake import Intake
from streams.lifecycle import Rules
from streams.metrics import Metrics
from streams.settings import Settings, load_offer_policy
from streams.state import CartLine, CustomerState, Session
from streams.store import Change, RedisStore, deadlines_key
from streams.tracker import Topics, Tracker
from streams.transport import aiokafka_options, redis_store

Progress = Callable[[str], None]

BENCH_PREFIX = "bench"
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


class _TimedPublisher:
    """Publishes with aiokafka and notes when the broker acknowledged each trigger."""

    def __init__(self, producer: object) -> None:
        self._producer = producer
        self.acked: dict[str, float] = {}

    async def publish(self, topic: str, key: str | None, value: bytes) -> None:
        await self._producer.send_and_wait(topic, value, key=key.encode() if key else None)  # type: ignore[attr-defined]
        if key is not None:
            self.acked[key] = time.time()


async def bench_triggers(
    settings: Settings, *, pending: int = 10_000, window: float = 20.0, progress: Progress = print
) -> dict[str, object]:
    """Fire ``pending`` abandonments due uniformly over ``window`` seconds; time each trigger."""
    from aiokafka import AIOKafkaProducer

    from streams.topics import ensure_topics

    ensure_topics(settings.model_copy(update={
        "offer_triggers_topic": f"{BENCH_PREFIX}-offer-triggers",
        "offer_outcomes_topic": f"{BENCH_PREFIX}-offer-outcomes",
        "dead_letters_topic": f"{BENCH_PREFIX}-dead-letters",
    }))
    store = _store(settings)
    await _clear(store, settings.partitions)
    producer = AIOKafkaProducer(bootstrap_servers=",".join(settings.bootstrap_servers), acks="all", linger_ms=5,
                                **aiokafka_options(settings))
    await producer.start()
    publisher = _TimedPublisher(producer)
    timeout = settings.session_timeout
    policy = replace(load_offer_policy(settings), quiet_hours=QuietHours(start=0, end=0), holdout_percent=0)
    tracker = Tracker(
        store=store, publisher=publisher,
        intake=Intake(settings.site_visits_topic, settings.purchases_topic, settings.max_event_bytes),
        rules=Rules(session_timeout=timeout, browse_views_threshold=settings.browse_views_threshold,
                    allowed_lateness=settings.allowed_lateness),
        policy=policy,
        topics=Topics(f"{BENCH_PREFIX}-offer-triggers", f"{BENCH_PREFIX}-offer-outcomes",
                      f"{BENCH_PREFIX}-dead-letters"),
        metrics=Metrics(CollectorRegistry()), due_batch=2000,
    )
    try:
        first_due = datetime.now(timezone.utc) + timedelta(seconds=5)
        due: dict[str, float] = {}
        changes = []
        for n in range(pending):
            customer_id = f"{BENCH_PREFIX}-{n:07d}"
            at = first_due + timedelta(seconds=window * n / pending)
            last = at - timeout - settings.allowed_lateness  # a visit closes after both
            session = Session(started_at=last, last_event_at=last, events=2,
                              cart=(CartLine("sku-1", 1, 25.0, "bench"),))
            changes.append(Change(CustomerState(customer_id, session=session), n % settings.partitions, at))
            due[customer_id] = at.timestamp()
        progress(f"writing {pending} pending abandonments to Redis")
        for i in range(0, len(changes), 1000):
            await store.save(changes[i:i + 1000])
        progress(f"firing them as they come due over {window:.0f}s (timer every "
                 f"{settings.timer_interval_seconds}s)")
        partitions = list(range(settings.partitions))
        deadline = time.time() + (first_due.timestamp() - time.time()) + window + 30
        while len(publisher.acked) < pending and time.time() < deadline:
            await tracker.fire_due(partitions)
            await asyncio.sleep(settings.timer_interval_seconds)
        delays = [publisher.acked[c] - due[c] for c in publisher.acked]
        return {
            "pending": pending,
            "window_seconds": window,
            "timer_interval_seconds": settings.timer_interval_seconds,
            "triggers": len(delays),
            "delay_p50_seconds": round(percentile(delays, 0.5), 4),
            "delay_p99_seconds": round(percentile(delays, 0.99), 4),
            "delay_max_seconds": round(max(delays, default=float("nan")), 4),
            "target_p99_seconds": 1.0,
        }
    finally:
        await producer.stop()
        await _clear(store, settings.partitions)
        await store.close()


async def bench_due_lookup(
    settings: Settings, *, sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000), samples: int = 300,
    progress: Progress = print,
) -> dict[str, object]:
    """µs per due lookup (500 due of n) as the deadline set grows."""
    store = _store(settings)
    client = store.client
    key = deadlines_key(9_999)  # a partition number no worker owns
    rows = []
    try:
        await client.delete(key)
        filled = 0
        now = time.time()
        for size in sizes:
            progress(f"deadline set of {size:,} customers")
            while filled < size:
                pipe = client.pipeline(transaction=False)
                # The first 500 are due, the rest later: every lookup returns exactly 500.
                batch = {f"{BENCH_PREFIX}-{filled + i:08d}": now - 1 if filled + i < 500
                         else now + 60 + 3600 * ((filled + i) % 977) / 977
                         for i in range(min(10_000, size - filled))}
                pipe.zadd(key, batch)
                await pipe.execute()
                filled += len(batch)
            timings = []
            for _ in range(samples):
                started = time.perf_counter()
                await client.zrangebyscore(key, "-inf", now + 1, start=0, num=500)
                timings.append((time.perf_counter() - started) * 1e6)
            rows.append({"size": size, "lookup_us_p50": round(statistics.median(timings), 1)})
        base = rows[0]["lookup_us_p50"]
        for row in rows:
            row["ratio_to_smallest"] = round(row["lookup_us_p50"] / base, 2)  # type: ignore[operator]
        return {"limit": 500, "samples": samples, "sizes": rows}
    finally:
        await client.delete(key)
        await store.close()


def _replay_parts(settings: Settings) -> tuple[Policy, Rules, Intake]:
    """Policy, rules and intake of a tracker that replays simulated history (event time, no quiet hours)."""
    policy = replace(load_offer_policy(settings), quiet_hours=QuietHours(start=0, end=0))
    rules = Rules(session_timeout=settings.session_timeout, browse_views_threshold=settings.browse_views_threshold,
                  event_time=True, allowed_lateness=settings.allowed_lateness)
    intake = Intake(settings.site_visits_topic, settings.purchases_topic, settings.max_event_bytes,
                    max_future=timedelta(days=36_500))
    return policy, rules, intake


class _TimedStore:
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
    """
    from streams.events import dump
    from streams.intake import Record
    from streams.scoring import Scoring
    from streams.simulate import in_time_order, simulate

    start = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    shoppers = simulate(customers, seed=13, start=start, pace=timedelta(minutes=1), spread=timedelta(hours=6))
    events = list(in_time_order(shoppers))
    records = [
        Record(settings.purchases_topic if e.type in ("order_placed", "order_refunded") else settings.site_visits_topic,
               0, n, e.customer_id.encode(), dump(e))
        for n, e in enumerate(events)
    ]
    policy, rules, intake = _replay_parts(settings)
    n = len(records)
    rows: dict[str, list[dict[str, float]]] = {"without": [], "with": []}
    parse: list[float] = []
    scoring = None
    for attempt in range(rounds * 2):
        variant = "without" if attempt % 2 == 0 else "with"
        started = time.perf_counter()
        now = datetime.now(timezone.utc)
        for record in records:
            intake.parse(record, now=now)
        parse.append(time.perf_counter() - started)
        store = _store(settings)
        await _clear(store, settings.partitions, SIMULATED_PREFIX)
        timed = _TimedStore(store)
        registry = CollectorRegistry()
        scoring = Scoring(registry) if variant == "with" else None
        tracker = Tracker(
            store=timed, publisher=_NullPublisher(), intake=intake, rules=rules, policy=policy,  # type: ignore[arg-type]
            topics=Topics(f"{BENCH_PREFIX}-t", f"{BENCH_PREFIX}-o", f"{BENCH_PREFIX}-d"),
            metrics=Metrics(registry), scoring=scoring, idle_seconds=0.0,
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
        await _clear(store, settings.partitions, SIMULATED_PREFIX)
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
    }


_FILL = """
local prefix, first, last = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
for n = first, last do
  local id = string.format('%s%07d', prefix, n)
  redis.call('HSET', 'tracker:{' .. id .. '}:profile', unpack(cjson.decode(ARGV[4])))
  redis.call('SET', 'tracker:{' .. id .. '}:seen', ARGV[5], 'EX', 86400)
end
return last - first + 1
"""

_UNFILL = """
local prefix, first, last = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
for n = first, last do
  local id = string.format('%s%07d', prefix, n)
  redis.call('UNLINK', 'tracker:{' .. id .. '}:profile', 'tracker:{' .. id .. '}:seen',
             'tracker:{' .. id .. '}:session', 'tracker:{' .. id .. '}:outbox')
end
return last - first + 1
"""

FILL_PREFIX = f"{BENCH_PREFIX}-fill-"


async def bench_scale(
    settings: Settings, *, sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000), rounds: int = 3,
    progress: Progress = print,
) -> dict[str, object]:
    """µs per event of the tracker (no models) on Redis holding 10k … 1M customers.

    Redis is filled with ``size`` customers (a typical profile and dedupe ring each, written by
    a server-side script), then the same simulated events, remapped onto those customers so
    each one lands on an existing profile, go through the tracker ``rounds`` times; medians
    per size, and the ratio to the smallest: flat means the cost does not grow with the shop.
    """
    from streams.codec import to_hash
    from streams.events import dump
    from streams.intake import Record
    from streams.simulate import in_time_order, simulate
    from streams.state import Profile
    from streams.store import DIGEST_BYTES

    start = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    events = list(in_time_order(simulate(2_000, seed=21, start=start, pace=timedelta(minutes=1),
                                         spread=timedelta(hours=6))))
    typical = Profile(first_seen=start - timedelta(days=90), last_seen=start - timedelta(days=3), sessions=7,
                      page_views=25, product_views=14, cart_adds=3, orders=2, revenue=118.5,
                      categories=(("shoes", 5), ("bags", 2)), channels=(("email", 3),))
    fields = [item for pair in to_hash(typical).items() for item in pair]
    ring = bytes(range(DIGEST_BYTES)) * 12
    policy, rules, intake = _replay_parts(settings)
    store = _store(settings)
    fill, unfill = store.client.register_script(_FILL), store.client.register_script(_UNFILL)
    filled = 0
    rows = []
    try:
        for size in sorted(sizes):
            progress(f"filling Redis up to {size:,} customers")
            while filled < size:
                upto = min(filled + 50_000, size)
                await fill(args=[FILL_PREFIX, filled, upto - 1, json.dumps(fields), ring])
                filled = upto
            def remap(customer_id: str) -> str:
                return f"{FILL_PREFIX}{zlib.crc32(customer_id.encode()) % size:07d}"
            records = []
            for n, e in enumerate(events):
                moved = e.model_copy(update={"customer_id": remap(e.customer_id)})
                topic = settings.purchases_topic if e.type in ("order_placed", "order_refunded") else \
                    settings.site_visits_topic
                records.append(Record(topic, 0, n, moved.customer_id.encode(), dump(moved)))
            timings = []
            for attempt in range(rounds):
                tracker = Tracker(
                    store=store, publisher=_NullPublisher(), intake=intake, rules=rules, policy=policy,
                    topics=Topics(f"{BENCH_PREFIX}-t", f"{BENCH_PREFIX}-o", f"{BENCH_PREFIX}-d"),
                    metrics=Metrics(CollectorRegistry()), idle_seconds=0.0,
                )
                started = time.perf_counter()
                for i in range(0, len(records), settings.batch_size):
                    await tracker.handle(records[i:i + settings.batch_size])
                    await tracker.fire_due([0])
                timings.append((time.perf_counter() - started) / len(records) * 1e6)
                # The next round starts from the same filled profiles: drop what this one wrote.
                await store.client.delete(*{f"tracker:{{{r.key.decode()}}}:{k}" for r in records
                                            for k in ("session", "outbox")})
                await store.client.delete(*{f"tracker:{{{r.key.decode()}}}:seen" for r in records})
            rows.append({"customers": size, "us_per_event": round(statistics.median(timings), 1),
                         "redis_used_memory_mb": round((await store.client.info("memory"))["used_memory"] / 2**20)})
            progress(f"  {size:,} customers: {rows[-1]['us_per_event']} µs/event")
    finally:
        progress(f"removing the {filled:,} filler customers")
        for first in range(0, filled, 50_000):
            await unfill(args=[FILL_PREFIX, first, min(first + 50_000, filled) - 1])
        await _clear(store, settings.partitions, FILL_PREFIX.rstrip("-"))
        await store.close()
    smallest = rows[0]["us_per_event"] if rows else float("nan")
    for row in rows:
        row["ratio_to_smallest"] = round(row["us_per_event"] / smallest, 2)  # type: ignore[operator]
    return {"events": len(events), "batch_size": settings.batch_size, "sizes": rows}


async def bench_profile_size(settings: Settings, *, progress: Progress = print) -> dict[str, object]:
    """Redis bytes per customer (``MEMORY USAGE`` of every key of each customer) in the configured Redis.

    Run it after a replay or on a live shop: it measures what is there.
    """
    store = _store(settings)
    client = store.client
    per_profile: list[int] = []
    per_customer: dict[str, int] = {}
    try:
        progress("measuring every customer's keys (MEMORY USAGE)")
        keys = [key async for key in client.scan_iter(match="tracker:{*}:*", count=5000)]
        for i in range(0, len(keys), 1000):
            chunk = keys[i:i + 1000]
            pipe = client.pipeline(transaction=False)
            for key in chunk:
                pipe.memory_usage(key, samples=0)
            for key, size in zip(chunk, await pipe.execute()):
                name = key.decode()
                customer = name[len("tracker:{"):name.rindex("}:")]
                per_customer[customer] = per_customer.get(customer, 0) + int(size or 0)
                if name.endswith("}:profile"):
                    per_profile.append(int(size or 0))
    finally:
        await store.close()
    totals = list(per_customer.values())
    return {
        "customers": len(per_customer),
        "profile_bytes_p50": round(percentile(per_profile, 0.5)),
        "profile_bytes_p99": round(percentile(per_profile, 0.99)),
        "profile_bytes_max": max(per_profile, default=0),
        "customer_bytes_p50": round(percentile(totals, 0.5)),
        "customer_bytes_p99": round(percentile(totals, 0.99)),
        "target_bytes": 1024,
    }


class _NullPublisher:
    async def publish(self, topic: str, key: str | None, value: bytes) -> None:
        return None


def _store(settings: Settings) -> RedisStore:
    return redis_store(settings, session_ttl_seconds=settings.session_timeout_seconds + 3600, dedupe_ttl_seconds=3600)


async def _clear(store: RedisStore, partitions: int, prefix: str = BENCH_PREFIX) -> None:
    client = store.client
    async for key in client.scan_iter(match=f"tracker:{{{prefix}-*", count=5000):
        await client.delete(key)
    for partition in range(partitions):
        members = await client.zrange(deadlines_key(partition), 0, -1)
        stale = [m for m in members if m.startswith(prefix.encode())]
        if stale:
            await client.zrem(deadlines_key(partition), *stale)


def format_report(results: dict[str, dict[str, object]]) -> str:
    """Human-readable tables of the suites that ran."""
    lines = []
    if "throughput" in results:
        from streams.throughput import format_throughput

        lines += format_throughput(results["throughput"])
    if "triggers" in results:
        r = results["triggers"]
        lines += [
            f"triggers: {r['triggers']} of {r['pending']} pending abandonments fired, due over "
            f"{r['window_seconds']}s, timer every {r['timer_interval_seconds']}s",
            f"  delay from due time to broker ack: p50 {r['delay_p50_seconds']}s, "
            f"p99 {r['delay_p99_seconds']}s (target ≤ {r['target_p99_seconds']}s), max {r['delay_max_seconds']}s",
        ]
    if "stages" in results:
        r = results["stages"]
        by_stage = r["us_per_event_by_stage"]
        lines += [
            f"stages: {r['events']} simulated events through the tracker on Redis (batches of {r['batch_size']}), "
            "median of alternating runs:",
            f"  {r['us_per_event_without_models']} µs/event without the models, "
            f"{r['us_per_event_with_models']} µs/event with them (models {100 * r['models_share']:.0f} % of the "
            f"path; {r['sessions_learned']} sessions learned)",
            "  µs/event by stage: " + ", ".join(f"{name} {value}" for name, value in by_stage.items()),  # type: ignore[attr-defined]
        ]
    if "size" in results:
        r = results["size"]
        lines += [
            f"size: {r['customers']} customers in Redis",
            f"  profile hash: p50 {r['profile_bytes_p50']} B, p99 {r['profile_bytes_p99']} B, max "
            f"{r['profile_bytes_max']} B (target ≤ {r['target_bytes']} B)",
            f"  all keys of a customer (profile, session, dedupe marks, outbox): p50 {r['customer_bytes_p50']} B, "
            f"p99 {r['customer_bytes_p99']} B",
        ]
    if "scale" in results:
        r = results["scale"]
        lines.append(f"scale: µs/event of the tracker (no models, {r['events']} events) by customers in Redis, "
                     "median of rounds:")
        for row in r["sizes"]:  # type: ignore[attr-defined]
            lines.append(f"  {row['customers']:>10,} customers  {row['us_per_event']:>8} µs/event  "
                         f"×{row['ratio_to_smallest']} of the smallest  (Redis {row['redis_used_memory_mb']} MB)")
    if "lookup" in results:
        r = results["lookup"]
        lines.append(f"due lookup (ZRANGEBYSCORE … LIMIT {r['limit']}), median of {r['samples']}:")
        for row in r["sizes"]:  # type: ignore[attr-defined]
            lines.append(f"  {row['size']:>10,} pending  {row['lookup_us_p50']:>8} µs  "
                         f"×{row['ratio_to_smallest']} of the smallest")
    return "\n".join(lines)
