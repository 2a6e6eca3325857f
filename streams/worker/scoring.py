"""The worker's online models: score sessions and customers live, learn from outcomes.

Where the models are called (and so what they cost per event):

- intent is *scored* once per customer per batch whose session changed (not per event),
  and *learned* once per session, when it ends (purchase → 1, timed out → 0);
- loyalty is *resolved, learned and snapshotted* at each order, and its delayed labels
  expire on the timer;
- behavioural segments *learn* from a customer's profile when a visit ends (or an order
  comes outside a visit), and *place* the customer
  (:mod:`streams.core.segmentation`) each time its visit has doubled in events.

Both report progressive (prequential) ROC AUC and log loss, and are checkpointed to
Redis on a timer and at shutdown (:class:`~streams.store.checkpoints.CheckpointStore`); a
worker warm-starts from the newest checkpoint, and an unreadable one is logged, counted
and replaced by a fresh model — never fatal.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from models import checkpoints
from models.bgnbd import BGNBD
from models.errors import CheckpointError
from models.features import loyalty_features
from models.intent import IntentModel
from models.loyalty import LoyaltyModel
from models.segments import BehaviourSegments
from streams.core.events import OrderPlaced
from streams.core.features import MIN_LEARNED, purchase_history, session_features
from streams.core.frozen import replace
from streams.core.insights import facts_of
from streams.core.segmentation import behaviour_of, placed
from streams.core.state import CustomerState, Profile, Session
from streams.metrics import MODELS, Metrics
from streams.store.checkpoints import CheckpointStore

log = logging.getLogger("tracker")


class Scoring:
    """The intent and loyalty models of one worker, and what the tracker asks of them."""

    def __init__(self, metrics: Metrics, *, intent: IntentModel | None = None,
                 loyalty: LoyaltyModel | None = None, segments: BehaviourSegments | None = None) -> None:
        self.intent = intent or IntentModel()
        self.loyalty = loyalty or LoyaltyModel()
        self.segments = segments or BehaviourSegments()
        self.metrics = metrics
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
        self.metrics.model_seconds.labels("intent", "score").inc(time.perf_counter() - started)
        if self.intent.n_learned < MIN_LEARNED:
            return state
        return replace(state, session=replace(state.session, intent=p), profile=replace(state.profile, intent=p))

    def learn_session(self, session: Session, profile: Profile) -> None:
        """A session ended: learn whether it ended in a purchase."""
        started = time.perf_counter()
        self.intent.learn_one(session_features(session, profile), session.purchased)
        self.metrics.model_seconds.labels("intent", "learn").inc(time.perf_counter() - started)
        self.metrics.model_examples.labels("intent").inc()
        self._report("intent", self.intent.score)
        self.learn_behaviour("", profile)

    # ------------------------------------------------------------- loyalty

    def on_order(self, state: CustomerState, order: OrderPlaced) -> CustomerState:
        """Resolve the customer's earlier snapshots, snapshot them now, score their loyalty."""
        history = purchase_history(state.profile)
        if history is None:
            return state
        if state.session is None:
            self.learn_behaviour(state.customer_id, state.profile)  # an order from outside a visit
        started = time.perf_counter()
        self.loyalty.resolve(state.customer_id, order.occurred_at)
        features = loyalty_features(
            history, order.occurred_at, bgnbd=self.bgnbd, horizon_days=self.loyalty.horizon_days
        )
        self.loyalty.snapshot(state.customer_id, features, order.occurred_at)
        p = round(self.loyalty.predict_proba_one(features), 4)
        self.metrics.model_seconds.labels("loyalty", "learn").inc(time.perf_counter() - started)
        if self.loyalty.n_learned < MIN_LEARNED:
            return state
        return replace(state, profile=replace(state.profile, loyalty=p))

    # ------------------------------------------------ behavioural segments

    def learn_behaviour(self, customer_id: str, profile: Profile) -> None:
        """The segments learn what the customer does now (a visit ended, or an order outside one)."""
        started = time.perf_counter()
        x = behaviour_of(profile, facts_of(customer_id, profile), self.segments.vocabulary)
        self.segments.learn_one(x)
        self.metrics.model_seconds.labels("segments", "learn").inc(time.perf_counter() - started)
        self.metrics.model_examples.labels("segments").inc()

    def place(self, state: CustomerState) -> CustomerState:
        """``state`` with the customer's behavioural segment and its traits (the offer policy reads them)."""
        started = time.perf_counter()
        state = placed(state, facts_of(state.customer_id, state.profile), self.segments)
        self.metrics.model_seconds.labels("segments", "place").inc(time.perf_counter() - started)
        return state

    def expire(self, now: datetime) -> None:
        """Learn the loyalty snapshots whose horizon passed."""
        learned = self.loyalty.expire(now)
        if learned:
            self.metrics.model_examples.labels("loyalty").inc(learned)
            self._report("loyalty", self.loyalty.score)

    def _report(self, name: str, score: object) -> None:
        # The gauges read the score when Prometheus scrapes: ROC AUC over river's confusion
        # matrices costs more than the learning step itself, so it is not computed per example.
        if name in self._reported:
            return
        self._reported.add(name)
        for gauge, attribute in ((self.metrics.model_roc_auc, "roc_auc"), (self.metrics.model_log_loss, "log_loss")):
            if getattr(score, attribute, None) is not None:
                gauge.labels(name).set_function(
                    lambda name=name, attribute=attribute: getattr(getattr(self, name).score, attribute))

    # --------------------------------------------------------- checkpoints

    async def load(self, store: CheckpointStore) -> None:
        """Warm-start from the newest checkpoints; an unreadable one means a fresh model."""
        for name in MODELS:
            data = await store.load(name)
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

    async def save(self, store: CheckpointStore) -> None:
        """Write every checkpoint (a failure is counted and logged, the worker goes on)."""
        for name in MODELS:
            try:
                await store.save(name, checkpoints.dump(getattr(self, name)))
            except Exception as exc:  # a checkpoint must never take the worker down
                self.metrics.checkpoint_errors.labels(name).inc()
                log.warning("model %s: checkpoint not saved: %r", name, exc)
                continue
            self.metrics.checkpoint_saved.labels(name).set(time.time())
