"""The worker's online models: score sessions and customers live, learn from outcomes.

Where the models are called (and so what they cost per event):

- intent is *scored* once per customer per batch whose session changed (not per event), from
  the ``MIN_LEARNED``-th learned session on (before, no score is shown, so none is computed),
  and *learned* once per session, when it ends (purchase → 1, timed out → 0);
- loyalty and value are *resolved and snapshotted* at each order, and snapshotted again
  every ``review_days`` a customer stays silent (``Profile.review_due_at``, which the deadline
  timer wakes the customer for), so that they learn what silence means; their delayed labels
  expire on the timer, and are learned in the order their horizons end (see
  :meth:`models.value_model.ValueModel.expire`), so that a replay in event time learns what
  the offline evaluation learns.
- behavioural segments *learn* from a customer's profile when a visit ends (or an order
  comes outside a visit) — a fixed share of these updates, drawn by a hash of the customer
  and the moment (``TRACKER_SEGMENTS_LEARN_SHARE``) — and *place* the customer
  (:mod:`streams.core.segmentation`) once per visit, when it ends, before its offer is decided
  (:func:`streams.core.lifecycle.advance` calls :meth:`Scoring.place` as its ``place``).

Intent and loyalty report progressive (prequential) ROC AUC and log loss, value its MAE,
Spearman, top-decile capture and ROC AUC for "buys again"; all three are checkpointed to
Redis on a timer and at shutdown (:class:`~streams.store.checkpoints.CheckpointStore`); a
worker warm-starts from the newest checkpoint, and an unreadable one is logged, counted
and replaced by a fresh model — never fatal.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from models import checkpoints
from models.bgnbd import BGNBD
from models.errors import CheckpointError
from models.features import loyalty_features
from models.intent import IntentModel
from models.loyalty import LoyaltyModel
from models.segments import BehaviourSegments
from models.value_features import value_features
from models.value_model import ValueModel
from streams.core.events import OrderPlaced
from streams.core.features import MIN_LEARNED, purchase_history, session_features, spend_history
from streams.core.frozen import replace
from streams.core.insights import LiveFacts, facts_of
from streams.core.segmentation import placed, predicted_value
from streams.core.state import CustomerState, Profile, Session
from streams.metrics import MODELS, Metrics
from streams.store.checkpoints import CheckpointStore

log = logging.getLogger("tracker")


class Scoring:
    """The intent, loyalty, value and behavioural-segments models of one worker, and what the tracker asks of them."""

    def __init__(self, metrics: Metrics, *, intent: IntentModel | None = None,
                 loyalty: LoyaltyModel | None = None, value: ValueModel | None = None,
                 segments: BehaviourSegments | None = None, review_days: float = 30.0) -> None:
        self.intent = intent or IntentModel()
        self.loyalty = loyalty or LoyaltyModel()
        self.value = value or ValueModel()
        self.segments = segments or BehaviourSegments()
        #: Days of silence after which a customer is snapshotted again.
        self.review_days = review_days
        self.metrics = metrics
        self.loaded = False
        #: The latest BG/NBD fit over all buyers (refitted on a timer): loyalty features.
        self.bgnbd: BGNBD | None = None
        self._reported: set[str] = set()
        # The metrics' labelled children, looked up once (a lookup costs about as much as a score).
        self._seconds: dict[tuple[str, str], Any] = {}
        self._learned: dict[str, Any] = {}

    # -------------------------------------------------------------- intent

    def score_session(self, session: Session, profile: Profile) -> float | None:
        """The purchase probability of ``session`` (None until the model has learned enough to be shown).

        The caller writes it on the visit and the profile (:meth:`streams.core.drafts.Draft.score`, in
        place): returning the number, not a copied state, spares a copy of both per customer per batch.
        """
        if self.intent.n_learned < MIN_LEARNED:
            return None  # an untrained model's score would not be shown: not computed either
        started = time.perf_counter()
        p = round(self.intent.predict_proba_one(session_features(session, profile)), 4)
        self._took("intent", "score", started)
        return p

    def learn_session(self, session: Session, profile: Profile) -> None:
        """A session ended: learn whether it ended in a purchase."""
        started = time.perf_counter()
        self.intent.learn_one(session_features(session, profile), session.purchased)
        self._took("intent", "learn", started)
        self._examples("intent").inc()
        self._report("intent", self.intent.score)
        # The effect names no customer: the visit's start and the customer's first event draw the sample.
        self.learn_behaviour(profile, f"{profile.first_seen}|{session.started_at}|{session.session_id}")

    # ----------------------------------------------------- loyalty and value

    def on_order(self, state: CustomerState, order: OrderPlaced) -> CustomerState:
        """Resolve the customer's earlier snapshots, snapshot them now, score them.

        ``state`` already holds the order. Its loyalty label is "bought again"; its value
        label the spend since each earlier snapshot, from the profile's revenue (a duplicate
        order the profile ignored changes nothing).
        """
        if purchase_history(state.profile) is None:
            return state
        if state.session is None:
            # An order from outside a visit.
            self.learn_behaviour(state.profile, f"{state.customer_id}|{order.occurred_at}")
        at = order.occurred_at
        self.loyalty.resolve(state.customer_id, at)
        self.value.resolve(state.customer_id, at, state.profile.revenue)
        state = self._snapshot(state, at)
        due = at + timedelta(days=self.review_days)
        if state.profile.review_due_at is not None and state.profile.review_due_at > due:
            due = state.profile.review_due_at  # an order that came late: a later snapshot stands
        return replace(state, profile=replace(state.profile, review_due_at=due))

    def review(self, state: CustomerState, until: datetime) -> CustomerState:
        """Snapshot a silent customer at each review that came due by ``until``, at its due time."""
        profile = state.profile
        while profile.review_due_at is not None and profile.review_due_at <= until:
            at = profile.review_due_at
            if purchase_history(profile) is None:  # a refund alone: nothing to learn from yet
                return replace(state, profile=replace(profile, review_due_at=None))
            state = self._snapshot(state, at)
            profile = replace(state.profile, review_due_at=at + timedelta(days=self.review_days))
            state = replace(state, profile=profile)
        return state

    def _snapshot(self, state: CustomerState, at: datetime) -> CustomerState:
        """Both models keep the customer's features at ``at``; the profile gets their scores."""
        profile = state.profile
        history = purchase_history(profile)
        assert history is not None
        # The scores are written once a model has learned enough to be shown (and computed only then).
        started = time.perf_counter()
        features = loyalty_features(history, at, bgnbd=self.bgnbd, horizon_days=self.loyalty.horizon_days)
        self.loyalty.snapshot(state.customer_id, features, at)
        if self.loyalty.n_learned >= MIN_LEARNED:
            profile = replace(profile, loyalty=round(self.loyalty.predict_proba_one(features), 4))
        self._took("loyalty", "learn", started)
        started = time.perf_counter()
        before = state.profile  # the value features read the profile as it was, without the new loyalty score
        x = value_features(facts_of(state.customer_id, before), at, spend=spend_history(before),
                           horizon_days=self.value.horizon_days)
        self.value.snapshot(state.customer_id, x, at, spent_so_far=before.revenue)
        if self.value.n_learned >= MIN_LEARNED:  # the model's money, or the rule's while it does not rank better
            profile = replace(profile, value=round(self.value.value_one(x), 2))
        self._took("value", "learn", started)
        return replace(state, profile=profile) if profile is not state.profile else state

    def forget(self, customer_id: str) -> None:
        """Drop the customer's snapshots waiting for a label (erasure); what was learned stays."""
        self.loyalty.forget(customer_id)
        self.value.forget(customer_id)

    # ------------------------------------------------ behavioural segments

    def learn_behaviour(self, profile: Profile, key: str) -> None:
        """The segments learn what the customer does now (a visit ended, or an order outside one).

        Only the share of these updates that ``key`` draws (``BehaviourSegments.learn_share``): a
        replay learns the same ones.
        """
        if not self.segments.learns(key):
            return
        started = time.perf_counter()
        self.segments.learn_facts(LiveFacts(profile), offers=profile.offers, offers_taken=profile.conversions,
                                  predicted_value=predicted_value(profile))
        self._took("segments", "learn", started)
        self._examples("segments").inc()

    def place(self, state: CustomerState) -> CustomerState:
        """``state`` with the customer's behavioural segment and its traits (the offer policy reads them)."""
        if not self.segments.segments:
            return state  # none yet (warming up): nothing to place in
        started = time.perf_counter()
        state = placed(state, LiveFacts(state.profile), self.segments)
        self._took("segments", "place", started)
        return state

    def expire(self, now: datetime) -> None:
        """Learn the loyalty and value snapshots whose horizon passed.

        ``now`` must be a time every input partition of this worker has reached (in a replay,
        the slowest partition's clock): a snapshot's label is complete only once every order
        within its horizon has been read.
        """
        learned = self.loyalty.expire(now)
        if learned:
            self.metrics.model_examples.labels("loyalty").inc(learned)
            self._report("loyalty", self.loyalty.score)
        learned = self.value.expire(now)
        if learned:
            self.metrics.model_examples.labels("value").inc(learned)
            self._report("value", self.value.score)

    def _examples(self, model: str) -> Any:
        child = self._learned.get(model)
        if child is None:
            child = self._learned[model] = self.metrics.model_examples.labels(model)
        return child

    def _took(self, model: str, op: str, started: float) -> None:
        child = self._seconds.get((model, op))
        if child is None:
            child = self._seconds[model, op] = self.metrics.model_seconds.labels(model, op)
        child.inc(time.perf_counter() - started)

    def _report(self, name: str, score: object) -> None:
        # The gauges read the score when Prometheus scrapes: ROC AUC over river's confusion
        # matrices costs more than the learning step itself, so it is not computed per example.
        if name in self._reported:
            return
        self._reported.add(name)
        m = self.metrics
        # ROC AUC over the latest labels where the score keeps it (loyalty): the model as it is now.
        auc = "recent_roc_auc" if hasattr(score, "recent_roc_auc") else "roc_auc"
        for gauge, attribute in ((m.model_roc_auc, auc), (m.model_log_loss, "log_loss"),
                                 (m.model_mae, "mae"), (m.model_spearman, "spearman"),
                                 (m.model_top_decile, "top_decile")):
            if getattr(score, attribute, None) is not None:
                gauge.labels(name).set_function(
                    lambda name=name, attribute=attribute: getattr(getattr(self, name).score, attribute))
        if name == "value":
            m.model_ranks.labels(name).set_function(lambda: float(self.value.ranked_by == "learned"))

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
