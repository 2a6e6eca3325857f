"""How the value model learns: the robust loss of the buyers' spend and the per-customer weighting."""

from __future__ import annotations

import copy
import datetime as dt
import math
import random
from collections.abc import Mapping

import pytest

from models import checkpoints
from models.value_learners import Part
from models.value_model import ValueModel

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def buyers(n: int, huge_share: float, seed: int) -> list[float]:
    """Order spend around 50 (log-normal), a share of it a thousand times larger."""
    rng = random.Random(seed)
    return [5e4 if rng.random() < huge_share else 50.0 * math.exp(rng.gauss(0.0, 0.5)) for _ in range(n)]


@pytest.mark.parametrize(("loss", "pulled"), [("quantile", False), ("huber", False), ("squared", True)])
def test_a_few_huge_orders_pull_only_the_least_squares_fit(loss: str, pulled: bool) -> None:
    """With 3 % of buyers spending 1,000 times the usual, the median and Huber fits of log spend stay
    near the usual log 50; least squares moves towards the huge orders by about 3 % of their log ratio."""
    part = Part("linear", "two-part", 0.1, 0.0, 3000, 10, loss)
    inputs = {"orders": 1.0}
    for spent in buyers(6000, 0.03, seed=1):
        part.learn(dict(inputs), spent)
    shift = part.spend.predict(inputs) - math.log(50.0)
    assert (shift > 0.15) is pulled and abs(shift) < 0.3


def test_the_robust_loss_is_for_the_two_part_spend_only() -> None:
    """A log-spend target stays least squares: the median of mostly-zero spend would be zero."""
    assert type(Part("linear", "log", 0.1, 0.0, None, 10, "quantile").spend.model.loss).__name__ == "Squared"
    assert type(Part("linear", "two-part", 0.1, 0.0, None, 10, "quantile").spend.model.loss).__name__ == "Quantile"
    assert ValueModel().spend_loss == "quantile"  # the default


class Weights(ValueModel):
    """A value model that records the weight of every label it learns, as (snapshot day, weight)."""

    def __init__(self, **kwargs: str) -> None:
        super().__init__(horizon_days=30, **kwargs)  # type: ignore[arg-type]
        self.weights: list[tuple[float, float]] = []

    def learn_one(self, x: Mapping[str, float], y: float, weight: float = 1.0) -> None:
        self.weights.append((x["day"], weight))
        super().learn_one(x, y, weight)


@pytest.mark.parametrize(("weighting", "expected"), [
    ("customer", [(0.0, 1 / 3), (10.0, 1 / 2), (20.0, 1.0), (50.0, 1.0)]),
    ("snapshot", [(0.0, 1.0), (10.0, 1.0), (20.0, 1.0), (50.0, 1.0)]),
])
def test_customer_weighting_shares_a_weight_among_a_customers_snapshots_in_a_horizon(
    weighting: str, expected: list[tuple[float, float]]
) -> None:
    """Each label weighs 1 / the customer's snapshots from it to the end of its horizon (itself
    included), so a customer snapshotted every 10 days of a 30-day horizon weighs 1/3 each time."""
    model = Weights(weighting=weighting)
    for n in (0, 10, 20, 50):
        model.snapshot("c", {"orders": 1.0, "day": float(n)}, at=day(n), spent_so_far=10.0)
    model.snapshot("d", {"orders": 1.0, "day": -1.0}, at=day(5), spent_so_far=10.0)  # another customer's
    model.expire(day(100))
    learned = [w for w in model.weights if w[0] >= 0]
    assert [d for d, _ in learned] == [d for d, _ in expected]
    assert [w for _, w in learned] == pytest.approx([w for _, w in expected])


def test_bad_learning_options_are_refused() -> None:
    """An unknown spend loss or weighting raises ValueError naming the choices."""
    with pytest.raises(ValueError, match="spend loss among"):
        ValueModel(spend_loss="absolute")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weighting among"):
        ValueModel(weighting="order")  # type: ignore[arg-type]


def test_a_checkpoint_from_before_the_learning_options_loads_as_least_squares() -> None:
    """A model pickled before ``spend_loss`` and ``weighting`` existed predicts and learns as it did."""
    model = ValueModel(spend_loss="squared")
    rng = random.Random(2)
    rows = [({"orders": rng.uniform(1, 9), "revenue": rng.uniform(10, 900)}, rng.uniform(0, 300)) for _ in range(300)]
    for x, y in rows:
        model.learn_one(x, y)
    state = copy.deepcopy(model.__dict__)
    del state["spend_loss"], state["weighting"]
    old = ValueModel.__new__(ValueModel)
    old.__setstate__(state)
    assert (old.spend_loss, old.weighting) == ("squared", "snapshot")
    x = {"orders": 3.0, "revenue": 120.0}
    old.learn_one(x, 50.0)
    model.learn_one(x, 50.0)
    assert old.predict_one(x) == model.predict_one(x)
    assert checkpoints.load(checkpoints.dump(old), ValueModel).predict_one(x) == old.predict_one(x)
