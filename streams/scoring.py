"""The worker's online models: score sessions and customers live, learn from outcomes.

Where the models are called (and so what they cost per event):

- intent is *scored* once per customer per batch whose session changed (not per event),
  and *learned* once per session, when it ends (purchase → 1, timed out → 0);
- loyalty is *resolved, learned and snapshotted* at each order, and its delayed labels
  expire on the timer.

Both report progressive (prequential) ROC AUC and log loss, and are checkpointed to
Redis (``tracker:model:<name>``) on a timer and at shutdown; a worker warm-starts from
the newest checkpoint, and an unreadable one is logged, counted and replaced by a
fresh model — never fatal.
"""

from __future__ import annotations

import logging
import time
import zlib
from datetime import datetime
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge

from models import checkpoints
from models.bgnbd import BGNBD
from models.errors import CheckpointError
from models.features import PurchaseHistory, intent_features_from_session, loyalty_features
from models.intent import IntentModel
from models.loyalty import LoyaltyModel
from streams.events import OrderPlaced
from streams.frozen import replace
from streams.state import CustomerState, Profile, Session

log = logging.getLogger("tracker")

CHECKPOINT_PREFIX = "tracker:model"
#: Labelled examples a model needs before its scores are shown and used: an untrained
#: model says 0.5 to everyone, which would read as a real estimate.
MIN_LEARNED = 200
MODEL_NAMES = ("intent", "loyalty")


class ModelMetrics:
    """The models' Prometheus metrics (progressive quality, cost, checkpoints)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.roc_auc = Gauge("tracker_model_roc_auc", "Progressive (prequential) ROC AUC.", ["model"],
                             registry=registry)
        self.log_loss = Gauge("tracker_model_log_loss", "Progressive (prequential) log loss.", ["model"],
                              registry=registry)
        self.examples = Counter("tracker_model_examples_total", "Labelled examples learned.", ["model"],
                                registry=registry)
        self.seconds = Counter("tracker_model_seconds_total", "Time spent scoring and learning.",
                               ["model", "op"], registry=registry)
        self.checkpoint_saved = Gauge("tracker_model_checkpoint_saved_timestamp_seconds",
                                      "When the model was last checkpointed (Unix time).", ["model"],
                                      registry=registry)
        self.checkpoint_errors = Counter("tracker_model_checkpoint_errors_total",
                                         "Checkpoints that could not be read or written.", ["model"],
                                         registry=registry)
        for name in MODEL_NAMES:
            self.examples.labels(name)
            self.checkpoint_errors.labels(name)


def _channel_code(channel: str | None) -> float:
    # A stable small integer per channel name, like the UCI data's traffic type codes.
    return float(zlib.crc32(channel.encode()) % 20 + 1) if channel else 0.0


def session_features(session: Session, profile: Profile) -> dict[str, float]:
    """The intent model's features of a live session (see models.features.INTENT_FEATURES)."""
    return intent_features_from_session({
        "admin_pages": session.admin_pages,
        "admin_seconds": session.admin_seconds,
        "info_pages": session.info_pages,
        "info_seconds": session.info_seconds,
        "product_pages": session.product_pages,
        "product_seconds": session.product_seconds,
        "bounce_rate": 1.0 if session.events <= 1 else 0.0,
        "month": session.started_at.month,
        "weekend": session.started_at.weekday() >= 5,
        "returning_visitor": profile.sessions > 1,
        "traffic_type": _channel_code(session.channel),
        "cart_items": session.cart_items,
        "cart_value": session.cart_value,
        "checkout_started": session.checkout_started,
    })


class OrderHistory(Protocol):
    """What a purchase history is built from: a live Profile or the analytics' CustomerFacts."""

    first_order_at: datetime | None
    last_order_at: datetime | None
    orders: int
    order_days: int
    revenue: float
    refunds: int
    discount_orders: int


def purchase_history(source: OrderHistory) -> PurchaseHistory | None:
    """The loyalty features' view of a customer's orders, or None before the first one."""
    if source.first_order_at is None or source.last_order_at is None:
        return None
    return PurchaseHistory(
        first_at=source.first_order_at,
        last_at=source.last_order_at,
        orders=source.orders,
        repeat_days=source.order_days,
        revenue=source.revenue,
        refunds=source.refunds,
        discounted_orders=source.discount_orders,
    )


class Scoring:
    """The intent and loyalty models of one worker, and what the tracker asks of them."""

    def __init__(self, registry: CollectorRegistry, *, intent: IntentModel | None = None,
                 loyalty: LoyaltyModel | None = None) -> None:
        self.intent = intent or IntentModel()
        self.loyalty = loyalty or LoyaltyModel()
        self.metrics = ModelMetrics(registry)
        self.loaded = False
        #: The latest BG/NBD fit over all buyers (refitted on a timer): loyalty features.
        self.bgnbd: BGNBD | None = None
        self._reported: set[str] = set()

    # -------------------------------------------------------------- intent

    def score_session(self, state: CustomerState) -> CustomerState:
        """``state`` with the current session's purchase probability on session and profile."""
        if state.session is None:
            return state
        started = time.perf_counter()
        p = round(self.intent.predict_proba_one(session_features(state.session, state.profile)), 4)
        self.metrics.seconds.labels("intent", "score").inc(time.perf_counter() - started)
        if self.intent.n_learned < MIN_LEARNED:
            return state
        return replace(state, session=replace(state.session, intent=p), profile=replace(state.profile, intent=p))

    def learn_session(self, session: Session, profile: Profile) -> None:
        """A session ended: learn whether it ended in a purchase."""
        started = time.perf_counter()
        self.intent.learn_one(session_features(session, profile), session.purchased)
        self.metrics.seconds.labels("intent", "learn").inc(time.perf_counter() - started)
        self.metrics.examples.labels("intent").inc()
        self._report("intent", self.intent.score)

    # ------------------------------------------------------------- loyalty

    def on_order(self, state: CustomerState, order: OrderPlaced) -> CustomerState:
        """Resolve the customer's earlier snapshots, snapshot them now, score their loyalty."""
        history = purchase_history(state.profile)
        if history is None:
            return state
        started = time.perf_counter()
        self.loyalty.resolve(state.customer_id, order.occurred_at)
        features = loyalty_features(
            history, order.occurred_at, bgnbd=self.bgnbd, horizon_days=self.loyalty.horizon_days
        )
        self.loyalty.snapshot(state.customer_id, features, order.occurred_at)
        p = round(self.loyalty.predict_proba_one(features), 4)
        self.metrics.seconds.labels("loyalty", "learn").inc(time.perf_counter() - started)
        if self.loyalty.n_learned < MIN_LEARNED:
            return state
        return replace(state, profile=replace(state.profile, loyalty=p))

    def expire(self, now: datetime) -> None:
        """Learn the loyalty snapshots whose horizon passed."""
        learned = self.loyalty.expire(now)
        if learned:
            self.metrics.examples.labels("loyalty").inc(learned)
            self._report("loyalty", self.loyalty.score)

    def _report(self, name: str, score: object) -> None:
        # The gauges read the score when Prometheus scrapes: ROC AUC over river's confusion
        # matrices costs more than the learning step itself, so it is not computed per example.
        if name in self._reported:
            return
        self._reported.add(name)
        for gauge, attribute in ((self.metrics.roc_auc, "roc_auc"), (self.metrics.log_loss, "log_loss")):
            if getattr(score, attribute, None) is not None:
                gauge.labels(name).set_function(
                    lambda name=name, attribute=attribute: getattr(getattr(self, name).score, attribute))

    # --------------------------------------------------------- checkpoints

    async def load(self, redis: object) -> None:
        """Warm-start from the newest checkpoints; an unreadable one means a fresh model."""
        for name in MODEL_NAMES:
            data = await redis.get(f"{CHECKPOINT_PREFIX}:{name}")  # type: ignore[attr-defined]
            if data is None:
                log.info("model %s: no checkpoint, starting fresh", name)
                continue
            try:
                model = checkpoints.load(data, kind=type(getattr(self, name)))
            except CheckpointError as exc:
                self.metrics.checkpoint_errors.labels(name).inc()
                log.warning("model %s: checkpoint unreadable, starting fresh: %s", name, exc)
                continue
            setattr(self, name, model)
            log.info("model %s: warm-started from checkpoint (%d bytes)", name, len(data))
        self.loaded = True

    async def save(self, redis: object) -> None:
        """Write both checkpoints (a failure is counted and logged, the worker goes on)."""
        for name in MODEL_NAMES:
            try:
                data = checkpoints.dump(getattr(self, name))
                await redis.set(f"{CHECKPOINT_PREFIX}:{name}", data)  # type: ignore[attr-defined]
            except Exception as exc:  # a checkpoint must never take the worker down
                self.metrics.checkpoint_errors.labels(name).inc()
                log.warning("model %s: checkpoint not saved: %r", name, exc)
                continue
            self.metrics.checkpoint_saved.labels(name).set(time.time())
