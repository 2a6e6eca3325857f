"""How the value model learns: the robust loss of the buyers' spend and the per-customer weighting."""

from __future__ import annotations

import copy
import datetime as dt
import math
import random
from collections.abc import Mapping
from typing import Any

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


def skewed(n: int, seed: int) -> list[float]:
    """Spend of which 90 % is 0 and 10 % about 1,000 (mean ~100, median 0; the buyers' median ~1,000)."""
    rng = random.Random(seed)
    return [1000.0 * math.exp(rng.gauss(0.0, 1.0)) if rng.random() < 0.1 else 0.0 for _ in range(n)]


def test_a_tweedie_target_estimates_the_mean_spend_zeros_included() -> None:
    """A log-link Tweedie regression of spend predicts its mean (~160 here), where log spend's regression
    predicts near its median (0); at a small rate, as the noise of its steps makes exp(average) fall short."""
    labels = skewed(20000, seed=1)
    mean = sum(labels) / len(labels)
    for power in (1.0, 1.5):
        part = Part("linear", "tweedie", 0.01, 0.0, 3000, 10, power=power)
        for spent in labels:
            part.learn({"orders": 1.0}, spent)
        assert math.expm1(part.score({"orders": 1.0})) == pytest.approx(mean, rel=0.2)
    log_part = Part("linear", "log", 0.1, 0.0, 3000, 10)
    for spent in labels:
        log_part.learn({"orders": 1.0}, spent)
    assert math.expm1(log_part.score({"orders": 1.0}, "none")) < 5.0


def test_a_gamma_loss_gives_the_two_part_model_the_buyers_mean_spend() -> None:
    """With ``spend_loss="gamma"`` the buyers' part is a log-link Gamma regression of their spend:
    P(buys) x its mean is the mean spend, with no log-normal correction."""
    labels = skewed(20000, seed=2)
    part = Part("linear", "two-part", 0.1, 0.0, 3000, 10, "gamma")
    for spent in labels:
        part.learn({"orders": 1.0}, spent)
    bought = [s for s in labels if s > 0]
    assert math.exp(part.spend.predict({"orders": 1.0})) == pytest.approx(sum(bought) / len(bought), rel=0.15)
    assert math.expm1(part.score({"orders": 1.0})) == pytest.approx(sum(labels) / len(labels), rel=0.15)


@pytest.mark.parametrize("config", [{"target": "tweedie"}, {"target": "tweedie", "tweedie_power": 1.5},
                                    {"spend_loss": "gamma"}, {"tier_quantile": 0.8}])
def test_the_mean_regressions_and_tiers_stay_finite_on_huge_inputs(config: dict[str, Any]) -> None:
    """Normalised steps over a running mean keep the log-link regressions finite on inputs and labels of any size."""
    model = ValueModel(learning_rate=0.9, **config)
    rng = random.Random(3)
    for _ in range(2000):
        revenue = 10 ** rng.uniform(0, 9)
        model.learn_one({"revenue": revenue, "net_spend": revenue, "orders": rng.uniform(1, 1e5)},
                        revenue * rng.random())
    assert math.isfinite(model.predict_one({"revenue": 1e9, "net_spend": 1e9, "orders": 1e5}))


def churning_top(n: int, seed: int) -> list[tuple[dict[str, float], float]]:
    """Customers who spend next about what they spent before, but the biggest past spenders spend nothing."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        past = 10 ** rng.uniform(1.0, 3.0)
        spent = 0.0 if past > 400.0 else past * math.exp(rng.gauss(0.0, 0.3))
        rows.append(({"orders": 2.0, "revenue": past, "net_spend": past}, spent))
    return rows


def test_top_tier_customers_get_slopes_of_their_own() -> None:
    """With ``tier_quantile=0.8`` a customer whose past spend is in the top fifth learned so far gets inputs
    of their own, so the model learns that the biggest past spenders here spend nothing next; without, it
    ranks them above the bulk."""
    tiered, plain = ValueModel(tier_quantile=0.8), ValueModel()
    for x, y in churning_top(8000, seed=4):
        tiered.learn_one(x, y)
        plain.learn_one(x, y)
    big, bulk = {"orders": 2.0, "revenue": 900.0, "net_spend": 900.0}, {"orders": 2.0, "revenue": 300.0, "net_spend": 300.0}
    threshold = tiered._tier.get() if tiered._tier is not None else None
    assert threshold is not None and 350.0 < threshold < 450.0  # past spend's 80th percentile: 10^(1 + 2 x 0.8) = 398
    assert tiered.score_one(big) < tiered.score_one(bulk)
    assert plain.score_one(big) > plain.score_one(bulk)


def test_bad_mean_and_tier_options_are_refused() -> None:
    """A Tweedie power outside [1, 2), a tier quantile outside (0, 1) or a tree with the tweedie target raise ValueError."""
    with pytest.raises(ValueError, match="Tweedie power"):
        ValueModel(target="tweedie", tweedie_power=2.0)
    with pytest.raises(ValueError, match="tier quantile"):
        ValueModel(tier_quantile=1.0)
    with pytest.raises(ValueError, match="linear"):
        ValueModel(family="arf", target="tweedie")


def test_a_checkpoint_from_before_the_mean_options_loads_as_it_was() -> None:
    """A model pickled before the tweedie target, the gamma loss and the tiers predicts and learns as it did."""
    model = ValueModel()
    for x, y in churning_top(300, seed=5):
        model.learn_one(x, y)
    old = copy.deepcopy(model)
    for key in ("tweedie_power", "tier_quantile", "_tier"):
        del old.__dict__[key]
    for _, part in old._parts:
        del part.__dict__["mean"]
    old = checkpoints.load(checkpoints.dump(old), ValueModel)
    assert (old.tier_quantile, old._parts[0][1].mean) == (None, False)
    x = {"orders": 3.0, "revenue": 120.0, "net_spend": 120.0}
    old.learn_one(x, 50.0)
    model.learn_one(x, 50.0)
    assert old.predict_one(x) == model.predict_one(x)
