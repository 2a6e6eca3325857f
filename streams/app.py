"""The Faust application: topics, the tracking agent, the abandonment timer, HTTP views.

This module only wires: every decision lives in :mod:`streams.tracker` and below.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import faust
import mode
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from faust.types.web import ResourceOptions
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from streams.consumer import BatchConsumer
from streams.intake import Intake
from streams.kafka_client import pause_after_failed_metadata_refresh
from streams.metrics import Metrics
from streams.observability import (
    ConsumerLag,
    Readiness,
    build_labels,
    configure_logging,
    deadline_counts,
    faust_monitor,
    instrument_redis,
)
from streams.lifecycle import Rules
from streams import web
from streams.scoring import Scoring
from streams.web import InsightsCache
from streams.settings import Settings, load_offer_policy
from streams.output_log import KafkaOutputLog
from streams.store import RedisStore
from streams.topics import ensure_topics
from streams.transport import aiokafka_options, faust_credentials, redis_store, without_password
from streams.tracker import Topics, Tracker

log = logging.getLogger("tracker")


class FaustPublisher:
    """:class:`~streams.tracker.Publisher` on the worker's own Kafka producer."""

    def __init__(self, app: faust.App) -> None:
        self._app = app

    async def publish(self, topic: str, key: str | None, value: bytes | None) -> None:
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
    scoring: Scoring
    #: Checks behind GET /ready; add one with ``readiness.register(name, check)``.
    readiness: Readiness


def build(settings: Settings, registry: CollectorRegistry | None = None) -> Worker:
    """Build the Faust app for ``settings``; nothing connects until it starts."""
    registry = registry or CollectorRegistry()
    pause_after_failed_metadata_refresh()  # no busy loop while the broker is away
    app = faust.App(
        settings.app_id,
        broker=settings.kafka_broker,
        broker_credentials=faust_credentials(settings),
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
        # Browsers may POST /events from the shop's own origins only.
        web_cors_options={
            origin: ResourceOptions(
                allow_credentials=False, expose_headers=(), allow_headers=("Content-Type", "X-API-Key", "Authorization"),
                allow_methods=("POST",), max_age=3600,
            )
            for origin in settings.allowed_origins
        },
    )
    # Faust's own consumer stays off: the input is read by streams.consumer.BatchConsumer.
    app.boot_strategy = app.BootStrategy(app, enable_kafka_consumer=False)
    metrics = Metrics(registry)
    metrics.build_info.labels(**build_labels()).set(1)
    app.monitor = faust_monitor(registry)  # Faust's own sensor: tracker_faust_* on the same registry
    scoring = Scoring(registry)
    store = redis_store(
        settings,
        session_ttl_seconds=settings.session_timeout_seconds + settings.dedupe_ttl_seconds,
        dedupe_ttl_seconds=settings.dedupe_ttl_seconds,
    )
    instrument_redis(store.client, metrics.redis_command_seconds, metrics.redis_command_errors)
    tracker_publisher = FaustPublisher(app)
    # Reads back offer-triggers/outcomes so an inherited outbox record is never published twice.
    output_log = KafkaOutputLog(
        settings.bootstrap_servers, auth=credentials_to_aiokafka_auth(app.conf.broker_credentials, app.conf.ssl_context)
    )
    tracker = Tracker(
        store=store,
        publisher=tracker_publisher,
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
            allowed_lateness=settings.allowed_lateness,
        ),
        policy=load_offer_policy(settings),
        topics=Topics(settings.offer_triggers_topic, settings.offer_outcomes_topic, settings.dead_letters_topic),
        metrics=metrics,
        scoring=scoring,
        output_log=output_log,
    )

    def raw_topic(name: str) -> faust.TopicT:
        return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")

    outputs = [
        raw_topic(name)
        for name in (settings.offer_triggers_topic, settings.offer_outcomes_topic, settings.dead_letters_topic)
    ]
    input_names = {settings.site_visits_topic, settings.purchases_topic}

    @app.task
    async def declare_outputs() -> None:
        for topic in outputs:
            await topic.maybe_declare()

    @app.service
    class ModelCheckpoints(mode.Service):
        """Warm-starts the models before events flow; saves them on a timer and at shutdown."""

        async def on_start(self) -> None:
            await scoring.load(store.client)

        @mode.Service.timer(settings.checkpoint_interval_seconds)
        async def _periodic(self) -> None:
            await scoring.save(store.client)

        async def on_stop(self) -> None:
            await scoring.save(store.client)
            log.info("models checkpointed at shutdown")

    @app.service
    class OutputLogCloser(mode.Service):
        async def on_stop(self) -> None:
            await output_log.close()

    # Input: whole fetches from aiokafka, not a Faust agent (see streams.consumer for why).
    intake = BatchConsumer(
        topics=[settings.site_visits_topic, settings.purchases_topic],
        bootstrap_servers=settings.bootstrap_servers,
        group_id=settings.app_id,
        handle=tracker.handle,
        metrics=metrics,
        batch_size=settings.batch_size,
        batch_seconds=settings.batch_seconds,
        session_timeout_seconds=settings.broker_session_timeout,
        heartbeat_seconds=settings.broker_heartbeat_interval,
        rebalance_timeout_seconds=settings.broker_rebalance_timeout,
        client_options=aiokafka_options(settings),
    )
    app.service(intake)  # type: ignore[arg-type]  # Faust takes an instance as well as a class

    @app.timer(interval=settings.timer_interval_seconds)
    async def fire_due_abandonments() -> None:
        inputs = [tp for tp in intake.assignment() if tp.topic in input_names]
        if not inputs:
            return
        end_offsets = None
        if settings.clock == "event":
            # A replay's clock waits for the input topic that is behind (see Tracker.until).
            highwaters = await intake.highwaters(*inputs)
            end_offsets = {(tp.topic, tp.partition): offset for tp, offset in highwaters.items()}
        await tracker.fire_due(sorted({tp.partition for tp in inputs}), end_offsets)

    def owned_partitions() -> list[int]:
        return sorted({tp.partition for tp in intake.assignment() if tp.topic in input_names})

    consumer_lag = ConsumerLag(metrics.consumer_lag, input_names)

    @app.timer(interval=5.0)
    async def observe_consumer_lag() -> None:
        try:
            await consumer_lag.refresh(intake, intake)
        except Exception as exc:  # a rebalance or a broker hiccup: measured again next tick
            log.warning("consumer lag not measured: error=%r", exc)

    @app.timer(interval=5.0)
    async def observe_deadlines() -> None:
        try:
            counts = await deadline_counts(store.client, owned_partitions(), time.time())
        except Exception as exc:  # Redis down: tracker_redis_command_errors_total counts it
            log.warning("deadline gauges not refreshed: error=%r", exc)
            return
        metrics.pending_deadlines.set(counts.pending)
        metrics.overdue_deadlines.set(counts.overdue)
        metrics.active_sessions.set(counts.active_sessions)

    readiness = Readiness()

    def kafka_assigned() -> str | None:
        return None if owned_partitions() else "no input partitions assigned yet"

    async def redis_reachable() -> str | None:
        try:
            await store.ping()
        except Exception as exc:  # any failure means not ready, and says why
            return f"redis unreachable: {exc!r}"
        return None

    readiness.register("kafka", kafka_assigned)
    readiness.register("redis", redis_reachable)
    readiness.register("models", lambda: None if scoring.loaded else "models not loaded yet")

    @app.page("/health")
    class Health(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})

    @app.page("/ready")
    class Ready(View):
        async def get(self, request: Request) -> Response:
            reasons = await readiness.reasons()
            status = 503 if reasons else 200
            return self.json({"ready": not reasons, "reasons": reasons}, status=status)

    @app.page("/metrics")
    class MetricsView(View):
        async def get(self, request: Request) -> Response:
            return self.bytes(generate_latest(registry), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    # Marketers' API and page; a replayed history is shown as of its last event.
    insights = InsightsCache(
        store, max_age_seconds=settings.insights_max_age_seconds,
        now=lambda: None if settings.clock == "event" else datetime.now(timezone.utc),
        loyalty=lambda: scoring.loyalty,
    )
    web.register(app, store, insights, settings, tracker_publisher)

    @app.timer(interval=settings.bgnbd_refit_seconds)
    async def refit_bgnbd() -> None:
        # BG/NBD over every buyer: a loyalty feature and the classical baseline in /customers/{id}.
        try:
            scoring.bgnbd = (await insights.get()).bgnbd
        except Exception as exc:  # a failed refit keeps the previous fit; the worker goes on
            log.warning("bgnbd refit failed, keeping the previous fit: %r", exc)
    return Worker(app, tracker, store, metrics, scoring, readiness)


def run(settings: Settings) -> None:
    """Run a worker in this process until SIGINT/SIGTERM."""
    configure_logging(settings.log_level)  # the worker's own lines as logfmt; Faust's keep theirs
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
        settings.kafka_broker,
        f"cluster:{settings.redis_cluster_nodes}" if settings.cluster_nodes else without_password(settings.redis_url),
        settings.site_visits_topic, settings.purchases_topic,
    )
    faust_worker.execute_from_commandline()

