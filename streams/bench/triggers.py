"""``triggers``: pending abandonments fired by the real timer logic; delay from due time to broker ack."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from prometheus_client import CollectorRegistry

from offers import QuietHours
from streams.bench.common import (
    BENCH_PREFIX,
    Progress,
    bench_store,
    clear,
    percentile,
)
from streams.broker.base import Topics
from streams.core.intake import Intake
from streams.core.lifecycle import Rules
from streams.core.state import Cart, CartLine, CustomerState, Profile, Session
from streams.metrics import Metrics
from streams.settings import Settings, load_offer_policy
from streams.store import Change
from streams.transport import aiokafka_options
from streams.store import CachedStore
from streams.worker.fences import Fences
from streams.worker.tracker import Tracker


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

    from streams.broker.topics import ensure_topics

    ensure_topics(settings.model_copy(update={
        "offer_triggers_topic": f"{BENCH_PREFIX}-offer-triggers",
        "offer_outcomes_topic": f"{BENCH_PREFIX}-offer-outcomes",
        "dead_letters_topic": f"{BENCH_PREFIX}-dead-letters",
    }))
    store = bench_store(settings)
    await clear(store, settings.partitions)
    producer = AIOKafkaProducer(bootstrap_servers=",".join(settings.bootstrap_servers), acks="all", linger_ms=5,
                                **aiokafka_options(settings))
    await producer.start()
    publisher = _TimedPublisher(producer)
    timeout = settings.session_timeout
    policy = replace(load_offer_policy(settings), quiet_hours=QuietHours(start=0, end=0), holdout_percent=0)
    metrics = Metrics(CollectorRegistry())
    # As in the worker: the partitions' fencing tokens are taken, and read before each publish.
    fences = Fences(store, metrics)
    await fences.take(set(range(settings.partitions)))
    tracker = Tracker(
        store=CachedStore(store, capacity=max(settings.state_cache_customers, 1)), publisher=publisher,
        intake=Intake(settings.site_visits_topic, settings.purchases_topic, settings.max_event_bytes),
        rules=Rules(session_timeout=timeout, browse_views_threshold=settings.browse_views_threshold,
                    allowed_lateness=settings.allowed_lateness, recent_events=settings.recent_events),
        policy=policy,
        topics=Topics(f"{BENCH_PREFIX}-offer-triggers", f"{BENCH_PREFIX}-offer-outcomes",
                      f"{BENCH_PREFIX}-dead-letters"),
        metrics=metrics, due_batch=2000, fences=fences,
    )
    try:
        first_due = datetime.now(timezone.utc) + timedelta(seconds=5)
        due: dict[str, float] = {}
        changes = []
        for n in range(pending):
            customer_id = f"{BENCH_PREFIX}-{n:07d}"
            at = first_due + timedelta(seconds=window * n / pending)
            last = at - timeout - settings.allowed_lateness  # a visit closes after both
            line = CartLine("sku-1", 1, 25.0, "bench")
            session = Session(started_at=last, last_event_at=last, events=2, cart=(line,))
            # The visit added to the cart, and the customer's cart holds it.
            profile = Profile(first_seen=last, last_seen=last, cart=Cart(lines=(line,), changed_at=last))
            changes.append(Change(CustomerState(customer_id, profile, session), n % settings.partitions, at))
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
        await clear(store, settings.partitions)
        await store.close()
