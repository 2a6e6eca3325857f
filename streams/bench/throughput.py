"""``tracker bench --suite throughput``: the worker against the limit and the baseline.

In one run, on the same broker and Redis, the same simulated backlog (``events`` records
on fresh topics) is read four ways:

(a) **raw**: an aiokafka consumer that fetches and JSON-decodes every record — the limit
    no Python worker on this machine can beat;
(b) **naive**: a Faust agent that parses each event and makes its own Redis round trips
    (:mod:`streams.bench.naive`) — the baseline a first version would be;
(c) **worker**: the real ``tracker worker`` — sessions, models, offers, dead letters;
(d) **two workers** in one consumer group (:mod:`streams.bench.pair`).

Rates are steady-state: events between 10 % and 90 % of the backlog over the time they
took, so start-up and the last partition's tail do not count.  Then, with the worker
caught up, events are offered at a fixed rate (the target's 10k/s, then half the rate
the worker just sustained) and the worker's own ``tracker_event_to_state_seconds``
histogram (Kafka create time → state saved in Redis) gives the latency percentiles at
each load.  Everything runs in its own topics and in a
Redis database of its own, removed at the end.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from streams.bench.common import BenchError, Progress
from streams.bench.offering import Message, produce, produce_paced
from streams.bench.watch import (
    IDLE_WAIT,
    Child,
    Sample,
    histogram_quantile,
    latency_buckets,
    poll,
    scrape,
    steady_rate,
    total_of,
    until_idle,
)
from streams.settings import Settings
from streams.transport import redis_options


# ------------------------------------------------------------------ workload


@dataclass(frozen=True, slots=True)
class Workload:
    backlog: list[Message]
    paced: list[Message]
    customers: int


def workload(settings: Settings, backlog: int, paced: int, seed: int = 8) -> Workload:
    """Simulated shoppers' events in time order: ``backlog`` to read at once, ``paced`` to offer later."""
    from streams.core.events import dump
    from streams.demo.simulate import in_time_order, simulate
    from streams.settings import intake_of

    intake = intake_of(settings)

    wanted = backlog + paced
    customers = max(wanted // 5, 100)
    start = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    while True:
        shoppers = simulate(customers, seed=seed, start=start, pace=timedelta(minutes=1), spread=timedelta(hours=12))
        events = list(in_time_order(shoppers))
        if len(events) >= wanted:
            break
        customers = int(customers * wanted / max(len(events), 1)) + 100
    messages = [
        (intake.topic_of(e),
         e.customer_id.encode(), dump(e))
        for e in events[:wanted]
    ]
    return Workload(messages[:backlog], messages[backlog:], customers)


# ------------------------------------------------------------------ (a) raw


async def raw_rate(settings: Settings, total: int) -> tuple[float, list[Sample]]:
    """aiokafka ``getmany`` + ``json.loads`` of every record of both input topics."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from streams.transport import aiokafka_options

    consumer = AIOKafkaConsumer(bootstrap_servers=",".join(settings.bootstrap_servers), enable_auto_commit=False,
                                **aiokafka_options(settings),
                                max_partition_fetch_bytes=4 * 1024 * 1024, fetch_max_bytes=64 * 1024 * 1024)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for topic in (settings.site_visits_topic, settings.purchases_topic)
                      for p in range(settings.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        done, samples, started = 0, [(0.0, 0.0)], time.perf_counter()
        while done < total:
            batches = await consumer.getmany(timeout_ms=1000, max_records=1000)
            if not batches and time.perf_counter() - started > 120:
                raise BenchError(f"raw consumer read {done} of {total} records in 120 s")
            for records in batches.values():
                for record in records:
                    json.loads(record.value)
                done += sum(len(records) for records in batches.values())
            samples.append((time.perf_counter() - started, float(done)))
        return steady_rate(samples, total), samples
    finally:
        await consumer.stop()


# ------------------------------------------------------------------ (b) naive, (c) worker


async def naive_rate(settings: Settings, total: int, timeout: float, progress: Progress) -> tuple[float, list[Sample]]:
    import redis

    from streams.bench.naive import COUNT_KEY
    from streams.demo.embedded import free_port

    client = redis.Redis.from_url(settings.redis_url, **redis_options(settings))
    child = Child([sys.executable, "-m", "streams.bench.naive"], {
        "NAIVE_BROKER": settings.kafka_broker, "NAIVE_REDIS_URL": settings.redis_url,
        "NAIVE_APP_ID": f"{settings.app_id}-naive", "NAIVE_PORT": str(free_port()),
        "NAIVE_TOPICS": f"{settings.site_visits_topic},{settings.purchases_topic}",
    })
    try:
        samples = await poll(lambda: float(client.get(COUNT_KEY) or 0), total, timeout, "naive Faust agent",
                              child.problem, progress)
        return steady_rate(samples, total), samples
    finally:
        child.stop()
        client.close()


@dataclass(frozen=True, slots=True)
class Latency:
    """Event→state latency while events were offered at a fixed rate."""

    offered_rate: float
    p50: float
    p99: float
    events: int
    #: Events still unprocessed when the offering stopped: the worker could not keep up.
    behind: int

    def as_dict(self) -> dict[str, object]:
        return {"offered_per_second": round(self.offered_rate), "p50_seconds": self.p50, "p99_seconds": self.p99,
                "events": self.events, "behind_when_offering_stopped": self.behind}


@dataclass(frozen=True, slots=True)
class WorkerFigures:
    rate: float
    samples: list[Sample]
    latencies: list[Latency]
    #: Seconds the worker still worked once the whole backlog was read: its timer closing the
    #: visits that ended (the events' rate does not count them).
    catch_up: float = 0.0

    @property
    def sustained(self) -> float:
        """Events per second from the backlog's first event read to the worker done with it all."""
        if len(self.samples) < 2:
            return float("nan")
        return self.samples[-1][1] / (self.samples[-1][0] - self.samples[0][0] + self.catch_up)


async def worker_run(
    settings: Settings, total: int, paced: Sequence[Message], rate: float, seconds: float, timeout: float,
    progress: Progress,
) -> WorkerFigures:
    """The real worker: the backlog's steady rate, then latency at ``rate`` and at half its own rate.

    ``paced`` holds the events to offer: ``rate × seconds`` for the first load, the rest for
    the second (half the steady rate just measured, so a load the worker can carry).  Each load
    is offered once the worker is done with what came before (:func:`until_idle`).
    """
    from streams.demo.run import settings_env

    port = settings.web_port
    child = Child([sys.executable, "-m", "streams.cli", "worker"], settings_env(settings))
    progress(f"  worker pid {child.process.pid} (attach a profiler: py-spy record -p {child.process.pid})")
    try:
        read = lambda: total_of(scrape(port), "tracker_events_consumed_total")  # noqa: E731
        samples = await poll(read, total, timeout, "tracker worker", child.problem, progress)
        steady = steady_rate(samples, total)
        catch_up = await until_idle(child.process.pid, IDLE_WAIT)
        done = total
        latencies = []
        first = int(rate * seconds)
        for offered_rate, messages in ((rate, paced[:first]), (min(rate, steady / 2), paced[first:])):
            messages = messages[:int(offered_rate * seconds)]
            if not messages:
                continue
            # Events are counted when parsed and their latency when saved: wait for the saves.
            await poll(lambda: total_of(scrape(port), "tracker_event_to_state_seconds_count"), done, timeout,
                        "tracker worker (saving)", child.problem, lambda _: None)
            await until_idle(child.process.pid, IDLE_WAIT)
            before = scrape(port)
            progress(f"offering {len(messages):,} more events at {offered_rate:,.0f}/s")
            achieved = await produce_paced(settings, messages, offered_rate)
            behind = done + len(messages) - read()
            done += len(messages)
            await poll(lambda: total_of(scrape(port), "tracker_event_to_state_seconds_count"), done, timeout,
                        "tracker worker (saving)", child.problem, lambda _: None)
            after = scrape(port)
            earlier = dict(latency_buckets(before))
            delta = [(bound, count - earlier.get(bound, 0.0)) for bound, count in latency_buckets(after)]
            latencies.append(Latency(achieved, histogram_quantile(delta, 0.5), histogram_quantile(delta, 0.99),
                                     int(delta[-1][1]) if delta else 0, max(int(behind), 0)))
        return WorkerFigures(steady, samples, latencies, catch_up)
    finally:
        child.stop()


# ------------------------------------------------------------------ the suite


async def bench_throughput(
    settings: Settings, *, events: int = 100_000, rate: float = 10_000, paced_seconds: float = 10.0,
    redis_db: int = 15, progress: Progress = print,
) -> dict[str, object]:
    """Run (a), (b) and (c) on the same fresh topics and report rates, ratios and latency."""
    import redis

    from streams.broker.topics import delete_topics, ensure_topics
    from streams.demo.embedded import free_port

    bench = _renamed(settings, f"bench-{uuid.uuid4().hex[:6]}").model_copy(update={
        "redis_url": _with_db(settings.redis_url, redis_db), "web_port": free_port(), "clock": "event",
    })
    client = redis.Redis.from_url(bench.redis_url, **redis_options(bench))
    _claim(client, redis_db)
    ensure_topics(bench)
    try:
        paced = int(rate * paced_seconds * 1.5)  # the target load, then up to half of it
        progress(f"simulating {events:,} + {paced:,} events")
        load = workload(bench, events, paced)
        progress(f"producing the backlog of {events:,} events to {bench.partitions} partitions of two topics")
        produced = await produce(bench, load.backlog)
        progress("(a) raw aiokafka consume + JSON decode")
        raw, _ = await raw_rate(bench, events)
        progress("(b) naive Faust agent, Redis round trips per event")
        naive, _ = await naive_rate(bench, events, timeout=max(300.0, events / 500), progress=progress)
        client.flushdb()
        _claim(client, redis_db)
        progress("(c) tracker worker")
        worker = await worker_run(bench, events, load.paced, rate, paced_seconds, timeout=max(300.0, events / 300),
                                  progress=progress)
        from streams.bench.size import bench_profile_size

        size = await bench_profile_size(bench, progress=progress)
        pair = None
        if bench.partitions >= 2:
            from streams.bench.pair import pair_run

            client.flushdb()
            _claim(client, redis_db)
            progress("(d) two tracker workers in one group, the same backlog on topics of their own")
            pair_settings = _renamed(bench, f"{bench.app_id}-pair")
            moved = {bench.site_visits_topic: pair_settings.site_visits_topic,
                     bench.purchases_topic: pair_settings.purchases_topic}
            pair = await pair_run(pair_settings, [(moved[topic], key, value) for topic, key, value in load.backlog],
                                  timeout=max(300.0, events / 300), progress=progress)
    finally:
        client.flushdb()
        client.close()
        delete_topics(bench)
    return {
        "events": events,
        "customers": load.customers,
        "partitions": bench.partitions,
        "batch_size": bench.batch_size,
        "produce_per_second": round(produced),
        "raw_per_second": round(raw),
        "naive_per_second": round(naive),
        "worker_per_second": round(worker.rate),
        "worker_to_raw": round(worker.rate / raw, 3),
        "worker_to_naive": round(worker.rate / naive, 2),
        "worker_catch_up_seconds": round(worker.catch_up, 1),
        "worker_sustained_per_second": round(worker.sustained),
        "target_per_second": 30_000,
        "target_share_of_raw": 0.2,
        "latency": [latency.as_dict() for latency in worker.latencies],
        "latency_target_p99_seconds": 0.1,
        "two_workers_per_second": round(pair.rate) if pair else None,
        "two_workers_to_one": round(pair.rate / worker.rate, 2) if pair else None,
        "two_workers_events_each": pair.shares if pair else None,
        "customer_bytes_p50": size["customer_bytes_p50"],
        "customer_bytes_p99": size["customer_bytes_p99"],
        "profile_bytes_p50": size["profile_bytes_p50"],
    }


def _renamed(settings: Settings, name: str) -> Settings:
    """``settings`` with a consumer group and topics of their own, all named after ``name``."""
    return settings.model_copy(update={
        "app_id": name, "site_visits_topic": f"{name}-site-visits", "purchases_topic": f"{name}-purchases",
        "offer_triggers_topic": f"{name}-offer-triggers", "offer_outcomes_topic": f"{name}-offer-outcomes",
        "dead_letters_topic": f"{name}-dead-letters",
    })


def _with_db(url: str, db: int) -> str:
    """``url`` with its database number replaced by ``db``.

    >>> _with_db("redis://127.0.0.1:16379/0", 15)
    'redis://127.0.0.1:16379/15'
    >>> _with_db("redis://h:1", 3)
    'redis://h:1/3'
    """
    base, _, query = url.partition("?")
    scheme, rest = base.split("://", 1)
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/{db}" + (f"?{query}" if query else "")


_OWNER_KEY = "bench:owner"


def _claim(client: object, db: int) -> None:
    """Take Redis database ``db`` for the benchmark, unless something else lives there."""
    size = client.dbsize()  # type: ignore[attr-defined]
    if size and not client.exists(_OWNER_KEY):  # type: ignore[attr-defined]
        raise BenchError(f"Redis database {db} holds {size} keys that are not the benchmark's; "
                         "pick an empty one with --redis-db")
    client.set(_OWNER_KEY, "tracker bench")  # type: ignore[attr-defined]
