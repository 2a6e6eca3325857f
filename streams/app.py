"""The Faust application: topics, the tracking agent, the abandonment timer, HTTP views.

This module only wires: every decision lives in :mod:`streams.tracker` and below.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import faust
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from streams.intake import Intake, Record
from streams.metrics import Metrics
from streams.lifecycle import Rules
from streams.settings import Settings, load_offer_policy
from streams.store import RedisStore
from streams.topics import ensure_topics
from streams.tracker import Topics, Tracker

log = logging.getLogger("tracker")


class FaustPublisher:
    """:class:`~streams.tracker.Publisher` on the worker's own Kafka producer."""

    def __init__(self, app: faust.App) -> None:
        self._app = app

    async def publish(self, topic: str, key: str | None, value: bytes) -> None:
        await self._app.producer.send_and_wait(
            topic, key.encode() if key is not None else None, value, partition=None, timestamp=None, headers=None
        )


@dataclass(frozen=True, slots=True)
class Worker:
    """A built application and the pieces a caller may want to reach."""

    app: faust.App
    tracker: Tracker
    store: RedisStore
    metrics: Metrics


def build(settings: Settings, registry: CollectorRegistry | None = None) -> Worker:
    """Build the Faust app for ``settings``; nothing connects until it starts."""
    registry = registry or CollectorRegistry()
    app = faust.App(
        settings.app_id,
        broker=settings.kafka_broker,
        store="memory://",
        autodiscover=False,
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        web_enabled=True,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=False,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        broker_session_timeout=settings.broker_session_timeout,
        broker_rebalance_timeout=settings.broker_rebalance_timeout,
        broker_heartbeat_interval=settings.broker_heartbeat_interval,
        broker_commit_every=settings.batch_size,
    )
    metrics = Metrics(registry)
    store = RedisStore.from_url(
        settings.redis_url,
        password=settings.redis_password.get_secret_value() if settings.redis_password else None,
        session_ttl_seconds=settings.session_timeout_seconds + settings.dedupe_ttl_seconds,
        dedupe_ttl_seconds=settings.dedupe_ttl_seconds,
    )
    tracker = Tracker(
        store=store,
        publisher=FaustPublisher(app),
        intake=Intake(
            settings.site_visits_topic,
            settings.purchases_topic,
            settings.max_event_bytes,
            max_future=timedelta(seconds=settings.max_future_seconds),
        ),
        rules=Rules(
            session_timeout=settings.session_timeout,
            browse_views_threshold=settings.browse_views_threshold,
            event_time=settings.clock == "event",
        ),
        policy=load_offer_policy(settings),
        topics=Topics(settings.offer_triggers_topic, settings.offer_outcomes_topic, settings.dead_letters_topic),
        metrics=metrics,
    )

    def raw_topic(name: str) -> faust.TopicT:
        return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")

    inputs = app.topic(
        settings.site_visits_topic,
        settings.purchases_topic,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )
    outputs = [
        raw_topic(name)
        for name in (settings.offer_triggers_topic, settings.offer_outcomes_topic, settings.dead_letters_topic)
    ]
    input_names = {settings.site_visits_topic, settings.purchases_topic}

    @app.task
    async def declare_outputs() -> None:
        for topic in outputs:
            await topic.maybe_declare()

    @app.agent(inputs, name="track")
    async def track(stream: faust.StreamT[bytes]) -> None:
        async for events in stream.take_events(settings.batch_size, within=settings.batch_seconds):
            records = [
                Record(
                    event.message.topic,
                    event.message.partition,
                    event.message.offset,
                    event.message.key,
                    event.message.value,
                    event.message.timestamp,
                )
                for event in events
            ]
            await tracker.handle(records)

    @app.timer(interval=settings.timer_interval_seconds)
    async def fire_due_abandonments() -> None:
        assignment = app.consumer.assignment() if app.consumer else set()
        inputs = [tp for tp in assignment if tp.topic in input_names]
        if not inputs:
            return
        end_offsets = None
        if settings.clock == "event":
            # A replay's clock waits for the input topic that is behind (see Tracker.until).
            highwaters = await app.consumer.highwaters(*inputs)
            end_offsets = {(tp.topic, tp.partition): offset for tp, offset in highwaters.items()}
        await tracker.fire_due(sorted({tp.partition for tp in inputs}), end_offsets)

    @app.page("/health")
    class Health(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})

    @app.page("/ready")
    class Ready(View):
        async def get(self, request: Request) -> Response:
            reasons = []
            assignment = app.consumer.assignment() if app.consumer else set()
            if not any(tp.topic in input_names for tp in assignment):
                reasons.append("no input partitions assigned yet")
            try:
                await store.ping()
            except Exception as exc:  # any failure means not ready, and says why
                reasons.append(f"redis unreachable: {exc!r}")
            status = 503 if reasons else 200
            return self.json({"ready": not reasons, "reasons": reasons}, status=status)

    @app.page("/metrics")
    class MetricsView(View):
        async def get(self, request: Request) -> Response:
            return self.bytes(generate_latest(registry), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    return Worker(app, tracker, store, metrics)


def run(settings: Settings) -> None:
    """Run a worker in this process until SIGINT/SIGTERM."""
    load_offer_policy(settings)  # a bad policy file stops the worker before it touches Kafka
    ensure_topics(settings)
    worker = build(settings)
    faust_worker = faust.Worker(
        worker.app,
        loglevel=settings.log_level.upper(),
        quiet=True,
    )
    log.info(
        "worker starting: broker=%s redis=%s inputs=%s,%s",
        settings.kafka_broker, _without_password(settings.redis_url),
        settings.site_visits_topic, settings.purchases_topic,
    )
    faust_worker.execute_from_commandline()


def _without_password(url: str) -> str:
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.split('@', 1)[1]}"
