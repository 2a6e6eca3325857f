"""The one place where lifecycle effects touch the world: counted, learned from, sent.

:mod:`streams.core.lifecycle` returns effects as plain values; the worker interprets them
here in three separate steps — :meth:`Effects.count` (metrics and log lines),
:meth:`Effects.learn` (the intent model learns from ended sessions) and
:meth:`Effects.outbox` (the records to publish: triggers and outcomes).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from streams.broker.base import Topics
from streams.core.lifecycle import (
    Deferred,
    Effect,
    HeldOut,
    Issued,
    LateEvent,
    Resolved,
    SessionEnded,
    Suppressed,
    Withdrawn,
)
from streams.core.state import Profile
from streams.metrics import Metrics
from streams.store import OutboxEntry
from streams.worker.aggregates import DailyFigures
from streams.worker.scoring import Scoring

log = logging.getLogger("tracker")


class Effects:
    """Interprets a customer's effects: count, learn, and the outbox records they publish."""

    def __init__(
        self, *, metrics: Metrics, topics: Topics, scoring: Scoring | None, event_time: bool,
        daily: DailyFigures | None = None,
    ) -> None:
        self._metrics = metrics
        self._topics = topics
        self._scoring = scoring
        #: Replays decide at event time: their delay to the wall clock means nothing.
        self._event_time = event_time
        #: The page's daily counts of offers and outcomes (:mod:`streams.worker.aggregates`).
        self._daily = daily
        #: The metrics' labelled children, looked up once: ``labels()`` validates and locks on every
        #: call, which cost more than the count itself on the timer's path (labels are bounded).
        self._children: dict[tuple[str, tuple[str, ...]], Any] = {}

    def interpret(self, effects: Sequence[Effect], now: datetime, profile: Profile) -> list[OutboxEntry]:
        """All three steps; returns the records to publish."""
        if not effects:
            # Most customers of a batch: nothing happened to count, learn or send (the daily
            # figures' counters alone cost a few µs per customer to find that out).
            return []
        self.count(effects, now)
        if self._daily is not None:
            self._daily.count(effects, now)
        self.learn(effects, profile)
        return self.outbox(effects, now)

    def count(self, effects: Sequence[Effect], now: datetime) -> None:
        """Every effect on its metric; decisions that stop an offer also get a log line."""
        m, child = self._metrics, self._child
        for effect in effects:
            match effect:
                case LateEvent(event=event):
                    child("late_events", event.type).inc()
                case SessionEnded(session=session):
                    child("sessions_ended", "purchased" if session.purchased else "no_purchase").inc()
                case Suppressed(kind=kind, reason=reason):
                    child("suppressed", kind, reason).inc()
                    log.info("offer suppressed: kind=%s reason=%s", kind, reason)
                case HeldOut(kind=kind):
                    child("offers_opened", "holdout").inc()
                    child("held_out", kind).inc()
                case Deferred(kind=kind, until=until):
                    child("deferred", kind).inc()
                    log.info("offer deferred by quiet hours: kind=%s until=%s", kind, until.isoformat())
                case Issued(due_at=due_at):
                    child("offers_opened", "treated").inc()
                    if not self._event_time:
                        m.trigger_delay_seconds.observe(max((now - due_at).total_seconds(), 0.0))
                case Withdrawn(outcome=outcome):
                    child("withdrawn", outcome.kind.value).inc()
                case Resolved(outcome=outcome):
                    m.record_outcome(outcome.outcome, "holdout" if outcome.holdout else "treated")

    def _child(self, metric: str, *labels: str) -> Any:
        """The child of the metric named ``metric`` (a :class:`~streams.metrics.Metrics` attribute) for ``labels``."""
        key = (metric, labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = getattr(self._metrics, metric).labels(*labels)
        return found

    def learn(self, effects: Sequence[Effect], profile: Profile) -> None:
        """The intent model learns whether each ended session bought."""
        if self._scoring is None:
            return
        for effect in effects:
            if isinstance(effect, SessionEnded):
                self._scoring.learn_session(effect.session, profile)

    def outbox(self, effects: Sequence[Effect], now: datetime) -> list[OutboxEntry]:
        """The records the effects publish: each trigger, and each treated offer's outcome."""
        entries = []
        for effect in effects:
            if isinstance(effect, Issued):
                trigger = effect.trigger
                entries.append(OutboxEntry(
                    trigger.offer_id, self._topics.offer_triggers, trigger.customer_id,
                    trigger.model_dump_json(exclude_none=True).encode(), label=trigger.kind.value,
                    written_at=now.timestamp(),
                ))
            elif isinstance(effect, (Resolved, Withdrawn)) and not effect.outcome.holdout:
                # The control group never had an offer to follow up.
                outcome = effect.outcome
                entries.append(OutboxEntry(
                    f"{outcome.offer_id}:{outcome.outcome}", self._topics.offer_outcomes,
                    outcome.customer_id, outcome.model_dump_json(exclude_none=True).encode(),
                    label=outcome.outcome, written_at=now.timestamp(),
                ))
        return entries
