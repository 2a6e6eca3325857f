"""What the worker does on the clock: fire due steps, checkpoint the models, refresh gauges and BG/NBD."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import faust
import mode

from streams.broker.consumer import BatchConsumer
from streams.http.insights import InsightsCache
from streams.metrics import Metrics
from streams.settings import Settings
from streams.store import CachedStore, CheckpointStore
from streams.worker.lag import ConsumerLag
from streams.worker.retry import Retry
from streams.worker.scoring import Scoring
from streams.worker.tracker import Tracker

log = logging.getLogger("tracker")


@dataclass(frozen=True, slots=True)
class Clockwork:
    """The parts the timers drive."""

    settings: Settings
    tracker: Tracker
    consumer: BatchConsumer
    #: The worker's store: the due times of its partitions in memory (the gauges count them there).
    store: CachedStore
    scoring: Scoring
    insights: InsightsCache
    metrics: Metrics

    def owned_partitions(self) -> list[int]:
        """The input partitions this worker owns now."""
        inputs = {self.settings.site_visits_topic, self.settings.purchases_topic}
        return sorted({tp.partition for tp in self.consumer.assignment() if tp.topic in inputs})


def register(app: faust.App, parts: Clockwork) -> None:
    """Add the worker's timers to ``app``."""
    settings, consumer, metrics = parts.settings, parts.consumer, parts.metrics
    inputs = {settings.site_visits_topic, settings.purchases_topic}

    @app.timer(interval=settings.timer_interval_seconds)
    async def fire_due_abandonments() -> None:
        assigned = [tp for tp in consumer.assignment() if tp.topic in inputs]
        if not assigned:
            return
        end_offsets = None
        read_before = None
        if settings.clock == "event":
            # A replay's clock waits for the input topic that is behind (see ReplayClock.until); one
            # the end offsets find caught up has come as far as was read before asking for them.
            read_before = parts.tracker.latest_read()
            highwaters = await consumer.highwaters(*assigned)
            end_offsets = {(tp.topic, tp.partition): offset for tp, offset in highwaters.items()}
        await parts.tracker.fire_due(sorted({tp.partition for tp in assigned}), end_offsets, read_before)

    consumer_lag = ConsumerLag(metrics.consumer_lag, inputs)

    @app.timer(interval=5.0)
    async def observe_consumer_lag() -> None:
        try:
            await consumer_lag.refresh(consumer, consumer)
        except Exception as exc:  # a rebalance or a broker hiccup: measured again next tick
            log.warning("consumer lag not measured: error=%r", exc)

    @app.timer(interval=5.0)
    async def observe_deadlines() -> None:
        try:
            counts = await parts.store.deadline_counts(parts.owned_partitions(), time.time())
        except Exception as exc:  # Redis down: tracker_redis_command_errors_total counts it
            log.warning("deadline gauges not refreshed: error=%r", exc)
            return
        metrics.pending_deadlines.set(counts.pending)
        metrics.overdue_deadlines.set(counts.overdue)
        metrics.active_sessions.set(counts.active_sessions)

    @app.timer(interval=settings.bgnbd_refit_seconds)
    async def refit_bgnbd() -> None:
        # BG/NBD over every buyer: a loyalty feature and the classical baseline in /customers/{id}.
        try:
            parts.scoring.bgnbd = (await parts.insights.get()).bgnbd
        except Exception as exc:  # a failed refit keeps the previous fit; the worker goes on
            log.warning("bgnbd refit failed, keeping the previous fit: %r", exc)


def register_checkpoints(app: faust.App, settings: Settings, scoring: Scoring, checkpoints: CheckpointStore) -> None:
    """Add the service that loads the models at start (register it before the consumer) and saves them."""

    @app.service
    class ModelCheckpoints(mode.Service):
        """Warm-starts the models before events flow; saves them on a timer and at shutdown."""

        async def on_start(self) -> None:
            # Redis may come up after the worker: it waits here, before the consumer starts, while
            # the web server already answers /ready with why it is not ready.
            await Retry(scoring.metrics).until_done("loading the models", lambda: scoring.load(checkpoints))

        @mode.Service.timer(settings.checkpoint_interval_seconds)
        async def _periodic(self) -> None:
            await scoring.save(checkpoints)

        async def on_stop(self) -> None:
            if not scoring.loaded:  # stopped while waiting for Redis: fresh models must not replace its checkpoints
                return
            await scoring.save(checkpoints)
            log.info("models checkpointed at shutdown")
