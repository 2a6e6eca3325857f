"""The worker as a Faust app: wiring only — every decision lives in :mod:`streams.worker.tracker` and below.

Faust serves the web pages, the timers and the producer; the input is read by the worker's
own batch consumer (:mod:`streams.broker.consumer`), not by a Faust agent.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import faust
import mode
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from faust.types.web import ResourceOptions
from prometheus_client import CollectorRegistry

from streams.broker.client import pause_after_failed_metadata_refresh
from streams.broker.base import Topics
from streams.broker.consumer import BatchConsumer
from streams.broker.output_log import KafkaOutputLog
from streams.broker.publisher import FaustPublisher
from streams.broker.topics import ensure_topics
from streams.http import collector, marketers, ops, tracking_api
from streams.http.insights import InsightsCache
from streams.http.ops import Readiness
from streams.logs import configure_logging
from streams.metrics import Metrics, build_labels
from streams.settings import Settings, behaviour_segments_of, intake_of, load_offer_policy, rules_of
from streams.store import CachedStore, CheckpointStore, DailyStore, RedisStore, open_store
from streams.store.timing import instrument_redis
from streams.transport import aiokafka_options, faust_credentials, without_password
from streams.worker import aggregates, segments, timers
from streams.worker.fences import Fences
from streams.worker.retry import Retry
from streams.worker.scoring import Scoring
from streams.worker.targeting import WithSegments, segment_in
from streams.worker.collector import freeze_startup_objects, tune_collector
from streams.worker.tracker import Tracker

log = logging.getLogger("tracker")

#: How long /ready waits for the broker to answer (under the readiness check's own timeout).
_BROKER_ANSWER_SECONDS = 1.5


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
    """Build the worker for ``settings``; nothing connects until it starts."""
    registry = registry or CollectorRegistry()
    pause_after_failed_metadata_refresh()  # no busy loop while the broker is away
    app = _faust_app(settings)
    metrics = Metrics(registry)
    metrics.build_info.labels(**build_labels()).set(1)
    app.monitor = _faust_monitor(registry)  # Faust's own sensor: tracker_faust_* on the same registry
    scoring = Scoring(metrics, segments=behaviour_segments_of(settings), review_days=settings.review_days)
    store = open_store(settings)
    instrument_redis(store.client, metrics.redis_command_seconds, metrics.redis_command_errors)
    publisher = FaustPublisher(app)
    # Reads back offer-triggers/outcomes so an inherited outbox record is never published twice.
    output_log = KafkaOutputLog(
        settings.bootstrap_servers, auth=credentials_to_aiokafka_auth(app.conf.broker_credentials, app.conf.ssl_context)
    )
    intake = intake_of(settings)
    daily = aggregates.DailyFigures()
    policy = load_offer_policy(settings)
    if settings.clock == "wall" or settings.scores_in_event_time:
        # The RFM segment of the latest insights (``insights`` is built below; read only when deciding).
        policy = WithSegments(policy, lambda customer_id: segment_in(insights.latest, customer_id))  # type: ignore[assignment]
    # The tracker reads customers from memory once read or written (Redis stays the store the API reads),
    # and the due times of its partitions once read after their assignment.
    def counted(hits: int, misses: int) -> None:
        metrics.state_cache_hits.inc(hits)
        metrics.state_cache_misses.inc(misses)

    state = CachedStore(store, capacity=settings.state_cache_customers, dedupe_events=settings.dedupe_events,
                        counted=counted)
    # A worker that lost its partitions without knowing it (a zombie) publishes none of their records.
    fences = Fences(store, metrics)

    async def assigned(partitions: set[int]) -> None:
        state.drop_deadlines(partitions)  # another worker may have written them since
        await fences.take(partitions)

    def revoked(partitions: set[int]) -> None:
        state.drop_deadlines(partitions)
        fences.release(partitions)

    tracker = Tracker(
        store=state, publisher=publisher, intake=intake, rules=rules_of(settings), policy=policy,
        topics=Topics.of(settings), metrics=metrics, scoring=scoring, output_log=output_log, daily=daily,
        fences=fences,
    )
    consumer = BatchConsumer(
        topics=[settings.site_visits_topic, settings.purchases_topic],
        bootstrap_servers=settings.bootstrap_servers,
        group_id=settings.app_id,
        handle=tracker.handle,
        metrics=metrics,
        batch_size=settings.batch_size,
        batch_seconds=settings.batch_seconds,
        batch_min_bytes=settings.batch_min_bytes,
        session_timeout_seconds=settings.broker_session_timeout,
        heartbeat_seconds=settings.broker_heartbeat_interval,
        rebalance_timeout_seconds=settings.broker_rebalance_timeout,
        client_options=aiokafka_options(settings),
        on_assigned=assigned,
        on_revoked=revoked,
        saved_offsets=lambda partitions: Retry(metrics).until_done(
            "reading the saved offsets", lambda: store.saved_offsets(partitions)),
        commit_interval_seconds=settings.commit_interval_seconds,
    )
    # Services start in the order registered: the models are loaded before the first batch.
    _declare_outputs(app, settings)
    timers.register_checkpoints(app, settings, scoring, CheckpointStore(store.client))
    _close_on_stop(app, output_log)
    app.service(consumer)  # type: ignore[arg-type]  # Faust takes an instance as well as a class
    # Marketers' API and page; a replayed history is shown as of its last event.
    insights = InsightsCache(
        store, max_age_seconds=settings.insights_max_age_seconds,
        now=lambda: None if settings.clock == "event" else datetime.now(timezone.utc),
        loyalty=lambda: scoring.loyalty, segments=lambda: scoring.segments, value=lambda: scoring.value,
        currency=settings.currency,
    )
    clockwork = timers.Clockwork(settings, tracker, consumer, state, scoring, insights, metrics)
    timers.register(app, clockwork)
    segments.register(app, settings, scoring, insights, metrics)
    aggregates.register(app, settings, daily, DailyStore(store.client), insights, scoring,
                        leads=lambda: 0 in clockwork.owned_partitions())
    readiness = _readiness(clockwork)
    ops.register(app, readiness, registry)
    marketers.register(app, store, insights, settings, publisher, forget_in_models=scoring.forget)
    # POST /events and the Segment Tracking API (/v1/*) share each key's rate limit.
    limiter = collector.RateLimiter(settings.collector_rate_per_minute)
    collector.register(app, settings, intake, publisher, limiter)
    tracking_api.register(app, settings, intake, publisher, limiter, metrics)
    return Worker(app, tracker, store, metrics, scoring, readiness)


def _faust_app(settings: Settings) -> faust.App:
    app = faust.App(
        settings.app_id,
        datadir=faust_scratch_directory(settings.app_id),
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
    # Faust's own consumer stays off: the input is read by streams.broker.consumer.BatchConsumer.
    app.boot_strategy = app.BootStrategy(app, enable_kafka_consumer=False)
    return app


def faust_scratch_directory(app_id: str) -> str:
    """A directory of this process's own for Faust, removed at exit.

    Faust creates ``<datadir>/v1/tables`` at start even with in-memory tables, and its default
    datadir is ``<app id>-data`` in the working directory: every worker, demo and test run left
    an empty directory wherever it was started.  Nothing is kept there (tables are
    ``memory://``, the state lives in Redis), so a temporary directory does.
    """
    path = tempfile.mkdtemp(prefix=f"{app_id}-faust-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def _faust_monitor(registry: CollectorRegistry, prefix: str = "tracker_faust") -> Any:
    """Faust's own Prometheus sensor, on ``registry``, its metrics named ``<prefix>_…``.

    The same sensor as ``faust.sensors.prometheus.setup_prometheus_sensors``, without the
    ``/metrics`` page that helper adds (the worker has its own, serving the whole registry).
    """
    from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor

    return PrometheusMonitor(metrics=FaustMetrics.create(registry, prefix))


def _declare_outputs(app: faust.App, settings: Settings) -> None:
    outputs = [
        app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
        for name in (settings.offer_triggers_topic, settings.offer_outcomes_topic, settings.dead_letters_topic)
    ]

    @app.task
    async def declare_outputs() -> None:
        for topic in outputs:
            await topic.maybe_declare()


def _close_on_stop(app: faust.App, output_log: KafkaOutputLog) -> None:
    @app.service
    class OutputLogCloser(mode.Service):
        async def on_stop(self) -> None:
            await output_log.close()


def _readiness(parts: timers.Clockwork) -> Readiness:
    readiness = Readiness()

    def kafka_assigned() -> str | None:
        return None if parts.owned_partitions() else "no input partitions assigned yet"

    async def redis_reachable() -> str | None:
        try:
            await parts.store.ping()
        except Exception as exc:  # any failure means not ready, and says why
            return f"redis unreachable: {exc!r}"
        return None

    async def broker_reachable() -> str | None:
        # Assigned partitions outlive a broker outage (the group is not left): ask the broker
        # for one partition's end offset, which needs its leader to answer.
        assigned = sorted(parts.consumer.assignment())
        if not assigned:
            return None  # "kafka" says why
        try:
            await asyncio.wait_for(parts.consumer.highwaters(assigned[0]), _BROKER_ANSWER_SECONDS)
        except asyncio.TimeoutError:
            return f"kafka broker unreachable: no answer within {_BROKER_ANSWER_SECONDS:g}s"
        except Exception as exc:  # any failure means not ready, and says why
            return f"kafka broker unreachable: {exc!r}"
        return None

    readiness.register("kafka", kafka_assigned)
    readiness.register("broker", broker_reachable)
    readiness.register("redis", redis_reachable)
    readiness.register("models", lambda: None if parts.scoring.loaded else "models not loaded yet")
    return readiness


class _FaustWorker(faust.Worker):
    """Faust's worker, less the idle second at the end of every stop.

    Once the loop has stopped and every task is gathered, mode's worker runs the loop once more
    on a task that sleeps a whole second, so that callbacks scheduled by the last closes run.
    They are scheduled to run at once: a short turn of the loop runs them, and a SIGTERM (a
    rolling restart, ``docker stop``, a test's worker) ends the process a second sooner.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Its progress spinner writes terminal escapes to stdout (Faust drops it once it sets up
        # logging, which the tracker does instead: configure_logging).
        self.spinner = None

    @property
    def label(self) -> str:
        return "Worker"  # its log lines read as Faust's worker's did

    async def _sentinel_task(self) -> None:
        await asyncio.sleep(_LAST_TURN_SECONDS)


#: How long the loop turns after the shutdown, for the callbacks the last closes scheduled.
_LAST_TURN_SECONDS = 0.05


def run(settings: Settings) -> None:
    """Run a worker in this process until SIGINT/SIGTERM."""
    configure_logging(settings.log_level)  # every line of the process as logfmt, Faust's too (below)
    load_offer_policy(settings)  # a bad policy file stops the worker before it touches Kafka
    ensure_topics(settings)
    tune_collector()
    worker = build(settings)
    # Faust would replace the root logger's handlers with its own (coloured, to stdout, another format).
    faust_worker = _FaustWorker(worker.app, loglevel=settings.log_level.upper(), quiet=True, override_logging=False)
    log.info(
        "worker starting: broker=%s redis=%s inputs=%s",
        settings.kafka_broker,
        f"cluster:{settings.redis_cluster_nodes}" if settings.cluster_nodes else without_password(settings.redis_url),
        f"{settings.site_visits_topic},{settings.purchases_topic}",
    )
    freeze_startup_objects()
    faust_worker.execute_from_commandline()
