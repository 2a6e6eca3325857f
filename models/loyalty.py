"""The loyalty model: P(the customer buys again within a horizon | profile now), learned online.

Labels arrive late, as in river's delayed progressive validation (``stream.simulate_qa``,
``evaluate.progressive_val_score(..., delay=...)``): the features of a customer are snapshotted
(and scored) at a moment; the label is 1 once the customer buys again within the horizon
(:meth:`LoyaltyModel.resolve`) and 0 once the horizon has passed without a purchase
(:meth:`LoyaltyModel.expire`). Every snapshot is learned, and its prediction scored, when its
horizon ends, whatever its label: learning a positive as soon as it is known, while the
negatives of the same weeks are still pending, would teach the model that whatever is true of
recent snapshots (a long tenure, say) makes a customer loyal. This is river's constant-delay
case, with the delay equal to the horizon.

Snapshots are taken at each purchase and may also be taken on a timer or at a visit (a review):
a model that only ever saw snapshots taken at purchases would never see a customer who has been
silent for a while, which is exactly who it is asked about most.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import math
from collections.abc import Mapping
from typing import Any, TypedDict

from river import linear_model, optim

from models.metrics import ProgressiveScore

__all__ = ["LoyaltyModel", "PendingSnapshot", "loyalty_inputs"]

_DAY = 86400.0


class PendingSnapshot(TypedDict):
    """A snapshot waiting for the end of its horizon: plain data the worker can store as JSON."""

    at: float  # POSIX seconds
    features: dict[str, float]
    p: float | None  # the prediction as of the snapshot (None until the model is as it was then)
    bought: bool  # whether the customer has bought again within the horizon so far


def _seconds(moment: dt.datetime) -> float:
    if moment.tzinfo is None:  # naive times are taken as UTC, never as the host's local time
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


# Bin edges of days since the last order, of expected purchases and of frequency, for a
# piecewise-constant part next to the linear one.
_DAY_EDGES: tuple[float, ...] = (7.0, 30.0, 60.0, 90.0, 180.0, 365.0)
_EXPECTED_EDGES: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
_MAX_FREQUENCY_BIN = 6


def loyalty_inputs(x: Mapping[str, float]) -> dict[str, float]:
    """The model's inputs for a dict of loyalty features (see :func:`models.features.loyalty_features`).

    Counts, days and money go on a log scale; days since the last order, frequency and BG/NBD's
    expected purchases also get one-hot bins. Two ratios describe the rhythm of buying:
    ``overdue`` (days since the last order over the usual gap between orders) and ``rate``
    (repeat orders per 30 days of tenure).

    Examples
    --------
    >>> z = loyalty_inputs({"frequency": 2, "recency_days": 40, "days_since_last": 45.0,
    ...                     "tenure_days": 85, "p_alive": 0.5, "expected_purchases": 0.3})
    >>> round(z["frequency"], 4), z["days_since_last#2"], z["frequency#2"], z["expected#3"]
    (1.0986, 1.0, 1.0, 1.0)
    >>> round(z["overdue"], 4), z["p_alive_logit"], "no_bgnbd" in z
    (1.1451, 0.0, False)
    >>> loyalty_inputs({"orders": 1})["no_bgnbd"]
    1.0

    """
    get = x.get
    frequency = max(float(get("frequency", 0.0)), 0.0)
    recency = max(float(get("recency_days", 0.0)), 0.0)
    tenure = max(float(get("tenure_days", 0.0)), 0.0)
    days_since_last = max(float(get("days_since_last", 0.0)), 0.0)
    orders = max(float(get("orders", 0.0)), 1.0)
    inputs: dict[str, float] = {
        "frequency": math.log1p(frequency),
        "orders": math.log1p(orders),
        "refunds": math.log1p(max(float(get("refunds", 0.0)), 0.0)),
        "recency_days": math.log1p(recency) / 3.0,
        "tenure_days": math.log1p(tenure) / 3.0,
        "days_since_last": math.log1p(days_since_last) / 3.0,
        "monetary_mean": math.log1p(max(float(get("monetary_mean", 0.0)), 0.0)) / 3.0,
        "discount_share": float(get("discount_share", 0.0)),
        "refund_share": min(float(get("refunds", 0.0)) / orders, 1.0),
        "repeat_buyer": 1.0 if frequency > 0 else 0.0,
        "rate": math.log1p(30.0 * frequency / (tenure + 1.0)),
    }
    usual_gap = recency / frequency if frequency > 0 else tenure
    inputs["overdue"] = math.log1p(days_since_last / (usual_gap + 1.0))
    inputs[f"days_since_last#{bisect.bisect_right(_DAY_EDGES, days_since_last)}"] = 1.0
    inputs[f"frequency#{min(int(frequency), _MAX_FREQUENCY_BIN)}"] = 1.0
    if "p_alive" in x:
        p_alive = min(max(float(x["p_alive"]), 1e-6), 1 - 1e-6)
        expected = max(float(get("expected_purchases", 0.0)), 0.0)
        inputs["p_alive"] = p_alive
        inputs["p_alive_logit"] = math.log(p_alive / (1 - p_alive)) / 5.0
        inputs["expected_purchases"] = math.log1p(expected)
        inputs[f"expected#{bisect.bisect_right(_EXPECTED_EDGES, expected)}"] = 1.0
    else:
        inputs["no_bgnbd"] = 1.0
    return inputs


class LoyaltyModel:
    """Online P(buys again within ``horizon_days``) with labels that arrive late.

    Parameters
    ----------
    horizon_days
        The horizon of "buys again".
    learning_rate
        SGD learning rate of the logistic regression.
    intercept_lr
        Learning rate of the intercept.
    averaging_window
        Predictions use an exponential moving average of the weights over about this many
        learned labels (Polyak-Ruppert averaging; ``None``: the latest weights). Labels arrive
        in bursts of similar customers (everyone reviewed in the same week), and the latest
        weights would follow the last burst too closely.
    l2
        L2 penalty on the weights.
    max_pending_per_customer
        Oldest snapshots of a customer are dropped (never learned) beyond this many, to bound
        memory.

    Examples
    --------
    >>> import datetime as dt
    >>> day = lambda n: dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=n)
    >>> model = LoyaltyModel(horizon_days=30)
    >>> model.snapshot("c1", {"orders": 1, "frequency": 0}, at=day(0))
    >>> model.snapshot("c2", {"orders": 1, "frequency": 0}, at=day(0))
    >>> model.resolve("c1", bought_at=day(10))     # c1 came back within 30 days: label 1
    1
    >>> model.n_learned, model.n_pending           # ... learned when the horizon ends
    (0, 2)
    >>> model.expire(now=day(31))                  # c2 did not come back: label 0
    2
    >>> model.n_learned, model.n_pending
    (2, 0)

    """

    def __init__(
        self,
        horizon_days: float = 90.0,
        learning_rate: float = 0.01,
        intercept_lr: float = 0.01,
        l2: float = 0.0,
        averaging_window: int | None = 3000,
        max_pending_per_customer: int = 16,
    ) -> None:
        self.horizon_days = horizon_days
        self.learning_rate = learning_rate
        self.intercept_lr = intercept_lr
        self.l2 = l2
        self.averaging_window = averaging_window
        self.max_pending_per_customer = max_pending_per_customer
        self._classifier = linear_model.LogisticRegression(
            optimizer=optim.SGD(learning_rate), intercept_lr=intercept_lr, l2=l2
        )
        self._decay = 1.0 - 1.0 / averaging_window if averaging_window else 0.0
        self._average: dict[str, float] = {}
        self._average_intercept = 0.0
        self._score = ProgressiveScore()
        self._pending: dict[str, list[PendingSnapshot]] = {}
        # (horizon end, customer) entries; stale ones are skipped, so it may hold extras.
        self._deadlines: list[tuple[float, str]] = []
        # (snapshot time, customer) of snapshots without a prediction yet.
        self._unpredicted: list[tuple[float, str]] = []
        self._n = 0

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A checkpoint from before snapshots were predicted as of their time has none waiting.
        state.setdefault("_unpredicted", [])
        self.__dict__.update(state)

    # -- learning -----------------------------------------------------------------------------

    def learn_one(self, x: Mapping[str, float], y: bool) -> None:
        """Learn one labelled example directly (no snapshot, no scoring)."""
        self._classifier.learn_one(loyalty_inputs(x), bool(y))
        self._n += 1
        if self.averaging_window:
            decay = self._decay
            average = self._average
            for name, weight in self._classifier.weights.items():
                average[name] = decay * average.get(name, 0.0) + (1.0 - decay) * weight
            self._average_intercept = (
                decay * self._average_intercept + (1.0 - decay) * self._classifier.intercept
            )

    def predict_proba_one(self, x: Mapping[str, float]) -> float:
        """Probability of buying again within the horizon, for the given loyalty features."""
        inputs = loyalty_inputs(x)
        if not self.averaging_window or self._n == 0:
            return float(self._classifier.predict_proba_one(inputs)[True])
        # Dividing by the total weight of the average removes its bias towards the zero start.
        total = 1.0 - self._decay**self._n
        average = self._average
        z = (self._average_intercept + sum(average.get(k, 0.0) * v for k, v in inputs.items()))
        z /= total
        return 1.0 / (1.0 + math.exp(-min(max(z, -50.0), 50.0)))

    def snapshot(self, customer_id: str, features: Mapping[str, float], at: dt.datetime) -> None:
        """Keep the customer's features at ``at`` until its horizon ends.

        A second snapshot of the same customer at the same moment replaces the first. The
        progressive score scores the model's prediction for it as of ``at`` (see :meth:`expire`).
        """
        seconds = _seconds(at)
        entry: PendingSnapshot = {
            "at": seconds,
            "features": {k: float(v) for k, v in features.items()},
            "p": None,
            "bought": False,
        }
        heapq.heappush(self._unpredicted, (seconds, customer_id))
        queue = self._pending.setdefault(customer_id, [])
        if queue and queue[-1]["at"] == seconds:
            queue[-1] = entry
            return
        queue.append(entry)
        # Only snapshots within their horizon count: what is dropped does not depend on when
        # expire() ran.
        within = [i for i, e in enumerate(queue) if e["at"] + self.horizon_days * _DAY >= seconds]
        if len(within) > self.max_pending_per_customer:
            del queue[within[0]]
        heapq.heappush(self._deadlines, (seconds + self.horizon_days * _DAY, customer_id))

    def resolve(self, customer_id: str, bought_at: dt.datetime) -> int:
        """The customer bought at ``bought_at``: label their earlier snapshots.

        Snapshots taken before the purchase and within the horizon of it get label 1, learned
        when their horizon ends (:meth:`expire`). Returns the number of snapshots labelled.
        """
        queue = self._pending.get(customer_id)
        if not queue:
            return 0
        seconds = _seconds(bought_at)
        horizon = self.horizon_days * _DAY
        labelled = 0
        for entry in queue:
            if entry["at"] < seconds <= entry["at"] + horizon:
                labelled += not entry["bought"]
                entry["bought"] = True
        return labelled

    def expire(self, now: dt.datetime) -> int:
        """Learn every snapshot whose horizon ended before ``now``; returns how many.

        Snapshots the customer bought after (see :meth:`resolve`) are learned with label 1, the
        others with label 0, one at a time in the order their horizons end (then by customer),
        however often this is called. Each is scored first with the prediction the model made
        once it had learned every label that ended by the snapshot: a replay that outruns the
        labels scores what a model learning in time would have said. Call it only once every
        purchase before ``now`` is resolved.
        """
        seconds = _seconds(now)
        horizon = self.horizon_days * _DAY
        learned = 0
        while self._deadlines and self._deadlines[0][0] < seconds:
            deadline, customer_id = heapq.heappop(self._deadlines)
            self._predict_through(deadline)
            queue = self._pending.get(customer_id)
            if not queue:
                continue
            for i, entry in enumerate(queue):
                if entry["at"] + horizon == deadline:
                    del queue[i]
                    self._learn_pending(entry)
                    learned += 1
                    break
            self._store(customer_id, queue)
        return learned

    def _predict_through(self, seconds: float) -> None:
        """Predict the snapshots taken at or before ``seconds`` that have no prediction yet."""
        while self._unpredicted and self._unpredicted[0][0] <= seconds:
            at, customer_id = heapq.heappop(self._unpredicted)
            for entry in self._pending.get(customer_id, ()):
                if entry["at"] == at and entry["p"] is None:
                    entry["p"] = self.predict_proba_one(entry["features"])

    def _store(self, customer_id: str, queue: list[PendingSnapshot]) -> None:
        if queue:
            self._pending[customer_id] = queue
        else:
            self._pending.pop(customer_id, None)

    def _learn_pending(self, entry: PendingSnapshot) -> None:
        label = entry["bought"]
        p = entry["p"]
        self._score.update(label, self.predict_proba_one(entry["features"]) if p is None else p)
        self.learn_one(entry["features"], label)

    # -- state --------------------------------------------------------------------------------

    @staticmethod
    def _copy(entry: PendingSnapshot) -> PendingSnapshot:
        return {
            "at": float(entry["at"]),
            "features": {k: float(v) for k, v in entry["features"].items()},
            "p": None if entry["p"] is None else float(entry["p"]),
            "bought": bool(entry["bought"]),
        }

    @property
    def pending(self) -> dict[str, list[PendingSnapshot]]:
        """A copy of the snapshots waiting for the end of their horizon, as JSON-able data."""
        return {c: [self._copy(e) for e in queue] for c, queue in self._pending.items()}

    def restore_pending(self, pending: Mapping[str, list[PendingSnapshot]]) -> None:
        """Replace the waiting snapshots with ``pending`` (as returned by :attr:`pending`)."""
        self._pending = {c: [self._copy(e) for e in queue] for c, queue in pending.items() if queue}
        horizon = self.horizon_days * _DAY
        self._deadlines = [
            (e["at"] + horizon, c) for c, queue in self._pending.items() for e in queue
        ]
        heapq.heapify(self._deadlines)
        self._unpredicted = [
            (e["at"], c) for c, queue in self._pending.items() for e in queue if e["p"] is None
        ]
        heapq.heapify(self._unpredicted)

    def pending_for(self, customer_id: str) -> list[PendingSnapshot]:
        """A copy of one customer's waiting snapshots."""
        return [self._copy(e) for e in self._pending.get(customer_id, [])]

    def forget(self, customer_id: str) -> None:
        """Drop a customer's waiting snapshots (right to erasure); learned weights are kept."""
        self._pending.pop(customer_id, None)

    @property
    def n_learned(self) -> int:
        """Number of labelled examples learned."""
        return self._n

    @property
    def n_pending(self) -> int:
        """Number of snapshots waiting for the end of their horizon."""
        return sum(len(queue) for queue in self._pending.values())

    @property
    def score(self) -> ProgressiveScore:
        """Delayed prequential ROC AUC and log loss: each snapshot's prediction against its label."""
        return self._score
