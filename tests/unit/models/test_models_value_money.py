"""Money that adds up: the value model's estimate of the mean spend, however it is turned into money."""

from __future__ import annotations

import copy
import math
import pickle
import random

import numpy as np
import pytest

from models import checkpoints
from models.value_inputs import value_inputs
from models.value_model import ValueModel
from models.value_money import MONEY, Ratio, Smearing


def lognormal_buyers(n: int, seed: int) -> list[tuple[dict[str, float], float]]:
    """Half buy, with log-normal spend of sigma 1.5 around their past order value: mean = e^1.125 x median."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        order_value = math.exp(rng.uniform(2, 5))
        x = {"orders": 2.0, "revenue": 2 * order_value, "order_value": order_value, "days_since_last": 30.0,
             "tenure_days": 200.0}
        spend = order_value * math.exp(rng.gauss(0.0, 1.5)) if rng.random() < 0.5 else 0.0
        rows.append((x, spend))
    return rows


@pytest.mark.parametrize("money", MONEY)
def test_every_money_keeps_the_model_s_ranking(money: str) -> None:
    """The money is a monotone map of the model's own estimate: the same order of customers."""
    models = [ValueModel(money=m) for m in ("calibration", money)]  # type: ignore[arg-type]
    for x, y in lognormal_buyers(3000, seed=1):
        for model in models:
            model.learn_one(x, y)
    test = [x for x, _ in lognormal_buyers(300, seed=2)]
    orders = [np.argsort([m.score_one(x) for x in test], kind="stable") for m in models]
    assert list(orders[0]) == list(orders[1])
    money = [models[1].predict_one(x) for x in test]
    assert all(math.isfinite(v) and v >= 0 for v in money)
    by_score = [money[i] for i in orders[1]]
    assert all(a <= b + 1e-9 for a, b in zip(by_score, by_score[1:], strict=False))


def test_the_default_money_adds_up_to_the_mean_not_the_median() -> None:
    """Summed over new customers the default's money is near what they spent; exp of the median would be 1/3 of it."""
    model = ValueModel()
    for x, y in lognormal_buyers(8000, seed=3):
        model.learn_one(x, y)
    test = lognormal_buyers(2000, seed=4)
    predicted = sum(model.predict_one(x) for x, _ in test)
    actual = sum(y for _, y in test)
    assert predicted == pytest.approx(actual, rel=0.25)


def test_smearing_is_the_mean_of_exp_of_the_residuals() -> None:
    """Duan's factor: a plain mean until the window, then decayed; normal residuals' factor before any."""
    smearing = Smearing(window=1000, prior_variance=2.0)
    assert smearing.factor == pytest.approx(math.e)
    rng = random.Random(5)
    residuals = [rng.gauss(0.0, 1.0) for _ in range(800)]
    for r in residuals:
        smearing.update(r)
    assert smearing.factor == pytest.approx(sum(math.exp(r) for r in residuals) / 800)
    smearing.update(1e6)  # no overflow: capped at e^30
    assert math.isfinite(smearing.factor)


def test_the_ratio_is_spent_over_estimated() -> None:
    """The ratio estimator: 1 before any estimate, then the decayed sums' ratio."""
    ratio = Ratio(window=10)
    assert ratio.factor == 1.0
    ratio.update(estimate=4.0, spent=6.0)
    assert ratio.factor == 1.5


def test_smearing_and_ratio_models_predict_their_estimate_times_the_factor() -> None:
    """money="smearing" and "ratio": the two-part estimate with the factor in place of the log-normal one."""
    smeared, scaled = ValueModel(money="smearing"), ValueModel(money="ratio")
    for x, y in lognormal_buyers(2000, seed=6):
        smeared.learn_one(x, y)
        scaled.learn_one(x, y)
    x = lognormal_buyers(1, seed=7)[0][0]
    inputs = value_inputs(x)
    for model, factor in ((scaled, scaled._ratio.factor), (smeared, smeared._parts[0][1].smearing.factor)):
        (_, part), = model._parts
        median = part.buys.proba(inputs) * math.exp(part.spend.predict(inputs))
        assert model.predict_one(x) == pytest.approx(median * factor, rel=1e-9)


def test_bad_money_is_refused() -> None:
    """An unknown money, or the smearing of the rank target (which has no spend to smear), raises ValueError."""
    with pytest.raises(ValueError, match="money among"):
        ValueModel(money="median")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rank target"):
        ValueModel(target="rank", money="smearing")


def test_a_checkpoint_from_before_the_money_option_predicts_as_it_did() -> None:
    """A model pickled without ``money``, ``smearing_window`` or its parts' smearing loads as the calibration."""
    model = ValueModel(calibration_window=5000)
    for x, y in lognormal_buyers(500, seed=8):
        model.learn_one(x, y)
    state = copy.deepcopy(model.__dict__)
    for name in ("money", "smearing_window", "_ratio"):
        del state[name]
    for _, part in state["_parts"]:
        del part.__dict__["smearing"]
    old = ValueModel.__new__(ValueModel)
    old.__setstate__(pickle.loads(pickle.dumps(state)))  # the parts load as a checkpoint's do
    x = lognormal_buyers(1, seed=9)[0][0]
    assert old.money == "calibration" and old.predict_one(x) == model.predict_one(x)
    restored = checkpoints.load(checkpoints.dump(old), ValueModel)
    assert restored.predict_one(x) == model.predict_one(x)


def test_a_learned_dispersion_values_the_more_variable_customer_more() -> None:
    """dispersion="learned": same median spend, but the customer whose spend varies more is worth more on average."""
    rng = random.Random(10)
    model, flat = ValueModel(dispersion="learned"), ValueModel()
    for i in range(6000):
        varied = i % 2 == 1
        x = {"orders": 2.0, "revenue": 200.0, "order_value": 100.0, "refund_share": 0.5 if varied else 0.0}
        y = 100.0 * math.exp(rng.gauss(0.0, 2.0 if varied else 0.3))
        model.learn_one(x, y)
        flat.learn_one(x, y)
    steady, varied = ({"orders": 2.0, "revenue": 200.0, "order_value": 100.0, "refund_share": r} for r in (0.0, 0.5))
    gap = model.score_one(varied) - model.score_one(steady)
    assert gap > flat.score_one(varied) - flat.score_one(steady) + 0.5  # one variance for all: the medians' gap
    assert math.isfinite(model.predict_one(varied)) and model.predict_one(varied) > model.predict_one(steady)
    restored = checkpoints.load(checkpoints.dump(model), ValueModel)
    assert restored.predict_one(varied) == model.predict_one(varied)
    with pytest.raises(ValueError, match="dispersion among"):
        ValueModel(dispersion="per-customer")  # type: ignore[arg-type]
