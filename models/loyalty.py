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
import math
from collections.abc import Mapping
from typing import Any

from river import linear_model, optim

from models.late_labels import LateLabels, Snapshot, seconds_of
from models.metrics import ProgressiveScore

__all__ = ["LoyaltyModel", "PendingSnapshot", "loyalty_inputs"]


class PendingSnapshot(Snapshot):
    """A snapshot waiting for the end of its horizon: plain data the worker can store as JSON."""

    p: float | None  # the prediction as of the snapshot (None until the model is as it was then)
    bought: bool  # whether the customer has bought again within the horizon so far


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


class LoyaltyModel(LateLabels[PendingSnapshot]):
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
        self._start_waiting()
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
        self._keep(customer_id, {
            "at": seconds_of(at),
            "features": {k: float(v) for k, v in features.items()},
            "p": None,
            "bought": False,
        })

    def resolve(self, customer_id: str, bought_at: dt.datetime) -> int:
        """The customer bought at ``bought_at``: label their earlier snapshots.

        Snapshots taken before the purchase and within the horizon of it get label 1, learned
        when their horizon ends (:meth:`expire`). Returns the number of snapshots labelled.
        """
        labelled = 0
        for entry in self._covering(customer_id, bought_at):
            labelled += not entry["bought"]
            entry["bought"] = True
        return labelled

    def _predicted(self, entry: PendingSnapshot) -> float | None:
        return entry["p"]

    def _predict_now(self, entry: PendingSnapshot) -> None:
        entry["p"] = self.predict_proba_one(entry["features"])

    def _learn_pending(self, entry: PendingSnapshot, waiting: list[PendingSnapshot]) -> None:
        """Label 1 if the customer bought within the snapshot's horizon (:meth:`resolve`), else 0."""
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
    def score(self) -> ProgressiveScore:
        """Delayed prequential ROC AUC and log loss: each snapshot's prediction against its label."""
        return self._score
