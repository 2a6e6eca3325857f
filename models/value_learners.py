"""The learners inside a value model: the two parts (or the one log-spend regression) of each family.

:class:`~models.value_model.ValueModel` asks two things of its learners, whatever their family:
a regression (``learn``/``predict``, of log spend) and a classifier (``learn``/``proba``, of
"buys in the horizon"). The ``linear`` family is river's linear models with normalised steps
and averaged weights (:class:`Averaged`); the tree families are river's online trees and
forests, which can express what a linear model cannot — thresholds and interactions, e.g.
that past spend counts only while a customer is still alive:

- ``arf``: adaptive random forests (``forest.ARFRegressor``/``ARFClassifier``);
- ``amf``: aggregated Mondrian forests (``forest.AMFRegressor``/``AMFClassifier``);
- ``hat``: one Hoeffding adaptive tree (``tree.HoeffdingAdaptiveTree*``);
- ``bagging``: online bagging of Hoeffding trees (``ensemble.Bagging*``).

Beside the regressions of log spend, :class:`MeanGLM` regresses spend itself with a log link
(Tweedie deviance: Poisson at power 1, Gamma at power 2), so that it estimates the mean spend
directly: the ``tweedie`` target (zeros included, one part) and the ``gamma`` loss of the
two-part model's buyers' spend.

Trees get the numeric inputs only (a split on days since the last order needs no one-hot
bins), always the same keys, and a fixed seed: the same sequence of labels makes the same
model, so a live worker and an offline replay agree (live = offline).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, Protocol

from river import ensemble, forest, linear_model, optim, tree

from models.value_inputs import log1p
from models.value_money import Smearing

__all__ = [
    "DISPERSIONS", "FAMILIES", "LOSSES", "WEIGHTINGS", "Averaged", "Classifier", "Dispersion", "Family", "Loss",
    "MeanGLM", "Part", "Ranks", "Regressor", "Target", "Weighting", "classifier", "regressor",
]

Family = Literal["linear", "arf", "amf", "hat", "bagging"]
Target = Literal["log", "two-part", "rank", "tweedie"]
Loss = Literal["squared", "huber", "quantile", "gamma"]
Weighting = Literal["snapshot", "customer"]
Dispersion = Literal["global", "learned"]
#: The model families a value model may use.
FAMILIES: tuple[str, ...] = ("linear", "arf", "amf", "hat", "bagging")
#: The losses of the two-part model's linear regression of the buyers' log spend: least squares,
#: Huber's (residuals beyond 1, a factor e in spend, count linearly) or the median's (quantile
#: 0.5: a few huge orders pull the fit no more than any other order above it), or a Gamma
#: regression of the spend itself with a log link (its mean: no log-normal correction).
LOSSES: tuple[str, ...] = ("squared", "huber", "quantile", "gamma")
#: How a value model weighs its labels: every snapshot alike, or every customer alike per horizon.
WEIGHTINGS: tuple[str, ...] = ("snapshot", "customer")
#: The variance of the buyers' log spend in the log-normal mean: one for all, or learned from the inputs.
DISPERSIONS: tuple[str, ...] = ("global", "learned")

_SEED = 42


class Regressor(Protocol):
    """A regression learned one example at a time."""

    def learn(self, inputs: dict[str, float], y: float, weight: float = 1.0) -> None: ...

    def predict(self, inputs: Mapping[str, float]) -> float: ...


class Classifier(Protocol):
    """A binary classifier learned one example at a time."""

    def learn(self, inputs: dict[str, float], y: bool, weight: float = 1.0) -> None: ...

    def proba(self, inputs: Mapping[str, float]) -> float: ...


class Averaged:
    """A river linear model whose predictions use an exponential moving average of its weights."""

    def __init__(self, model: Any, window: int | None) -> None:
        self.model = model
        self.decay = 1.0 - 1.0 / window if window else 0.0
        self.weights: dict[str, float] = {}
        self.intercept = 0.0
        self.n = 0

    def learn(self, inputs: dict[str, float], y: float | bool, weight: float = 1.0) -> None:
        # Normalised steps (NLMS): the update shrinks with the inputs' size, so that no input
        # scale or learning rate below 1 makes the regression diverge; ``weight`` scales it.
        self.model.learn_one(inputs, y, weight / (1.0 + sum(v * v for v in inputs.values())))
        self.n += 1
        if self.decay:
            decay, average = self.decay, self.weights
            for name, value in self.model.weights.items():
                average[name] = decay * average.get(name, 0.0) + (1.0 - decay) * value
            self.intercept = decay * self.intercept + (1.0 - decay) * self.model.intercept

    def linear(self, inputs: Mapping[str, float]) -> float:
        """The linear predictor (before any link function)."""
        if not self.decay or self.n == 0:
            weights: Mapping[str, float] = self.model.weights
            return float(self.model.intercept) + sum(weights.get(k, 0.0) * v for k, v in inputs.items())
        average = self.weights
        z = self.intercept + sum(average.get(k, 0.0) * v for k, v in inputs.items())
        return z / (1.0 - self.decay**self.n)  # removes the average's bias towards the zero start

    def predict(self, inputs: Mapping[str, float]) -> float:
        return self.linear(inputs)

    def proba(self, inputs: Mapping[str, float]) -> float:
        z = min(max(self.linear(inputs), -30.0), 30.0)
        return 1.0 / (1.0 + math.exp(-z))


def _numeric(inputs: Mapping[str, float]) -> dict[str, float]:
    """The inputs without one-hot bins: the same keys for every customer, as trees want them."""
    return {k: v for k, v in inputs.items() if "#" not in k}


class _Tree:
    """A river tree or forest behind the :class:`Regressor` and :class:`Classifier` protocols."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.n = 0

    def learn(self, inputs: dict[str, float], y: float | bool, weight: float = 1.0) -> None:
        self.model.learn_one(_numeric(inputs), y)  # trees learn every example at full weight
        self.n += 1

    def predict(self, inputs: Mapping[str, float]) -> float:
        return float(self.model.predict_one(_numeric(inputs))) if self.n else 0.0

    def proba(self, inputs: Mapping[str, float]) -> float:
        if not self.n:
            return 0.5
        p = float(self.model.predict_proba_one(_numeric(inputs)).get(True, 0.0))
        return min(max(p, 1e-6), 1.0 - 1e-6)


def _loss(loss: str) -> optim.losses.RegressionLoss:
    if loss == "huber":
        return optim.losses.Huber(epsilon=1.0)
    if loss == "quantile":
        return optim.losses.Quantile(alpha=0.5)
    if loss == "squared":
        return optim.losses.Squared()
    raise ValueError(f"value model: expected a loss among {LOSSES}, found {loss!r}")


def regressor(family: str, learning_rate: float, l2: float, window: int | None, size: int,
              loss: str = "squared") -> Regressor:
    """A regression of family ``family`` (``size`` trees for the ensembles; ``loss``: linear only)."""
    if family == "linear":
        return Averaged(
            linear_model.LinearRegression(optimizer=optim.SGD(learning_rate), loss=_loss(loss),
                                          intercept_lr=learning_rate, l2=l2),
            window,
        )
    if family == "arf":
        return _Tree(forest.ARFRegressor(n_models=size, seed=_SEED))
    if family == "amf":
        return _Tree(forest.AMFRegressor(n_estimators=size, seed=_SEED))
    if family == "hat":
        return _Tree(tree.HoeffdingAdaptiveTreeRegressor(seed=_SEED))
    if family == "bagging":
        return _Tree(ensemble.BaggingRegressor(tree.HoeffdingTreeRegressor(), n_models=size, seed=_SEED))
    raise ValueError(f"value model: expected a family among {FAMILIES}, found {family!r}")


def classifier(family: str, learning_rate: float, l2: float, window: int | None, size: int) -> Classifier:
    """A classifier of family ``family`` (``size`` trees for the ensembles)."""
    if family == "linear":
        return Averaged(
            linear_model.LogisticRegression(optimizer=optim.SGD(learning_rate), intercept_lr=learning_rate, l2=l2),
            window,
        )
    if family == "arf":
        return _Tree(forest.ARFClassifier(n_models=size, seed=_SEED))
    if family == "amf":
        return _Tree(forest.AMFClassifier(n_estimators=size, seed=_SEED))
    if family == "hat":
        return _Tree(tree.HoeffdingAdaptiveTreeClassifier(seed=_SEED))
    if family == "bagging":
        return _Tree(ensemble.BaggingClassifier(tree.HoeffdingTreeClassifier(), n_models=size, seed=_SEED))
    raise ValueError(f"value model: expected a family among {FAMILIES}, found {family!r}")


class _LogLink:
    """Implicit stochastic gradient steps on the Tweedie deviance of a log-link linear model (river's shape).

    An explicit step moves the linear predictor by the rate times ``mu^(1 - p) (y - mu)``, which a
    heavy-tailed label makes huge and the next ``mu`` overshoot without bound (at rate 0.1 the
    Poisson regression diverged on log-normal spend). The implicit step (Toulis & Airoldi 2017)
    takes the residual *after* the step instead: ``r = mu'^(1 - p) (y - mu')`` with
    ``mu' = exp(eta + a s r)`` (``a`` the step, ``s`` the inputs' squared norm with the
    intercept's 1), which lies between 0 and the explicit residual and is found by bisection:
    stable at any rate. Its steps vanish on average at the mean, but at a constant rate exp of the
    (noisy) linear predictor falls short of it, the more so the larger the rate (on log-normal
    spend of sigma 1, about 10 % at rate 0.01 and 35 % at 0.1): the money calibration absorbs it.
    """

    def __init__(self, power: float, learning_rate: float, l2: float) -> None:
        self.power = power
        self.learning_rate = learning_rate
        self.l2 = l2
        self.weights: dict[str, float] = {}
        self.intercept = 0.0

    def _residual(self, eta: float, y: float) -> float:
        mu = math.exp(min(max(eta, -30.0), 30.0))
        return float(mu ** (1.0 - self.power) * (y - mu))

    def learn_one(self, x: Mapping[str, float], y: float, w: float = 1.0) -> None:
        weights = self.weights
        eta = self.intercept + sum(weights.get(k, 0.0) * v for k, v in x.items())
        step = self.learning_rate * w
        reach = step * (1.0 + sum(v * v for v in x.values()))  # d(eta) / d(residual) along the step
        low, high = sorted((0.0, self._residual(eta, y)))
        for _ in range(50):  # the residual after the step falls as it grows: one root in [low, high]
            r = (low + high) / 2.0
            if self._residual(eta + reach * r, y) > r:
                low = r
            else:
                high = r
        r = (low + high) / 2.0
        self.intercept += step * r
        for k, v in x.items():
            old = weights.get(k, 0.0)
            weights[k] = old + step * (r * v - self.l2 * old)


class MeanGLM:
    """A regression of spend itself with a log link: ``predict`` is the log of its mean given the inputs.

    The Tweedie deviance of power ``power`` (1: Poisson, zeros allowed; 2: Gamma, positive spend
    only; between: compound Poisson-Gamma), learned online with normalised steps and averaged
    weights (:class:`Averaged`), of the spend over its running mean (over about ``scale_window``
    labels), so that the steps do not depend on the currency; the steps are implicit (:class:`_LogLink`).

    >>> glm = MeanGLM(power=1.0, learning_rate=0.1, l2=0.0, window=None)
    >>> for _ in range(2000):
    ...     glm.learn({"big": 1.0}, 300.0)
    ...     glm.learn({"big": 0.0}, 0.0)
    ...     glm.learn({"big": 0.0}, 100.0)
    >>> round(math.exp(glm.predict({"big": 1.0})), -1), round(math.exp(glm.predict({"big": 0.0})), -1)
    (300.0, 50.0)

    """

    def __init__(self, power: float, learning_rate: float, l2: float, window: int | None,
                 scale_window: int = 1000) -> None:
        if not 1.0 <= power <= 2.0:
            raise ValueError(f"value model: expected a Tweedie power in [1, 2], found {power!r}")
        self.power = power
        self.glm = Averaged(_LogLink(power, learning_rate, l2), window)
        self.scale_window = scale_window
        self.scale = 0.0  # the running mean of the spend learned
        self.n = 0

    def learn(self, inputs: dict[str, float], y: float, weight: float = 1.0) -> None:
        self.n += 1
        self.scale += (y - self.scale) / min(self.n, self.scale_window)
        if self.scale > 0.0:
            self.glm.learn(inputs, y / self.scale, weight)

    def predict(self, inputs: Mapping[str, float]) -> float:
        if self.scale <= 0.0:
            return -30.0
        return math.log(self.scale) + min(max(self.glm.linear(inputs), -30.0), 30.0)


_RANK_SCALE = 10.0
# A learned variance of log spend is capped: e^(20 / 2) times the median is no mean anyone spends.
_MAX_LOG_VARIANCE = 20.0


class Ranks:
    """Mid-rank of a spend among past labels (log1p bins of 0.1, decayed): the ``rank`` target."""

    def __init__(self, width: float = 0.1, bins: int = 200, window: int = 5000) -> None:
        self.width = width
        self.decay = 1.0 - 1.0 / window
        self.weight = [0.0] * bins

    def rank(self, spent: float) -> float:
        weight = self.weight
        for i, value in enumerate(weight):
            if value:
                weight[i] = value * self.decay
        i = min(int(math.log1p(spent) / self.width), len(weight) - 1)
        weight[i] += 1.0
        return (sum(weight[:i]) + weight[i] / 2.0) / sum(weight)


class Part:
    """One scorer of a value model: log1p of a spend estimate, from learners of one family.

    ``target``: a regression of log1p spend (``log``); P(buys) x E[spend | buys] with the
    log-normal mean correction (``two-part``; ``loss``: of the buyers' log-spend regression,
    whose median is its mean where log spend is symmetric about it, as log-normal spend is);
    or a regression of the spend's mid-rank among past labels (``rank``), scaled to the range
    of log spends. ``score(inputs, correction=...)``: ``"smearing"`` corrects the log-scale
    estimate by Duan's smearing factor of its residuals instead (:class:`models.value_money.Smearing`,
    over about ``smearing_window`` labels); ``"none"`` leaves it uncorrected (a median).
    ``dispersion="learned"``: the log-normal correction uses the variance of the buyers' log
    spend *given the inputs* — a linear regression of the squared residuals — instead of one
    variance for everyone: E[spend | buys] = exp(mu(x) + sigma(x)^2 / 2), so that of two customers
    with the same median spend, the one whose spend varies more is worth more on average.
    ``target="tweedie"`` (power ``power``) and ``loss="gamma"`` (of the two-part buyers' spend)
    regress the spend itself with a log link (:class:`MeanGLM`, linear only): the estimate is a
    mean already, and no correction applies.
    """

    def __init__(self, family: str, target: Target, learning_rate: float, l2: float, window: int | None,
                 size: int, loss: str = "squared", smearing_window: int = 1000, dispersion: str = "global",
                 power: float = 1.0) -> None:
        self.target = target
        # log1p(spend); for two-part, log(spend) of the buyers; for tweedie, log of the mean spend
        # the robust loss is for the buyers' spend, whose median given the inputs is not 0
        self.mean = (target == "tweedie") or (target == "two-part" and loss == "gamma")
        if self.mean and family != "linear":
            raise ValueError(f"value model: a mean regression of spend is linear; found family {family!r}")
        self.spend: Regressor
        if self.mean:  # the mean given the inputs: Tweedie of all spend, or Gamma of the buyers'
            self.spend = MeanGLM(power if target == "tweedie" else 2.0, learning_rate, l2, window)
        else:
            self.spend = regressor(family, learning_rate, l2, window, size,
                                   loss if target == "two-part" else "squared")
        self.buys = classifier(family, learning_rate, l2, window, size) if target == "two-part" else None
        self.log_variance = 1.0  # of log(spend) around the two-part regression, decayed
        self.n = 0
        self.ranks = Ranks() if target == "rank" else None
        self.smearing = Smearing(smearing_window)
        learned = dispersion == "learned" and target == "two-part"
        self.variance = regressor("linear", learning_rate, l2, window, size) if learned else None

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A checkpoint from before the smearing: the log-normal factor of its residuals' variance.
        if "smearing" not in state:
            state["smearing"] = Smearing(prior_variance=state.get("log_variance", 1.0))
        state.setdefault("variance", None)
        state.setdefault("mean", False)
        self.__dict__.update(state)

    def _half_variance(self, inputs: Mapping[str, float]) -> float:
        if self.variance is None:
            return self.log_variance / 2.0
        return min(max(self.variance.predict(inputs), 0.0), _MAX_LOG_VARIANCE) / 2.0

    def score(self, inputs: Mapping[str, float], correction: str = "log-normal") -> float:
        if self.ranks is not None:  # the predicted rank among past labels, on a log-spend-like scale
            return min(max(self.spend.predict(inputs), 0.0), 1.0) * _RANK_SCALE
        if self.mean:  # the log of a mean already: no correction
            log_mean = min(self.spend.predict(inputs), 30.0)
            return log1p(math.exp(log_mean) * (1.0 if self.buys is None else self.buys.proba(inputs)))
        shift = math.log(self.smearing.factor) if correction == "smearing" else 0.0 if correction == "none" else None
        if self.buys is None:  # log1p(spend): E[1 + spend] = exp(prediction) x the smearing factor
            return min(max(self.spend.predict(inputs) + (shift or 0.0), 0.0), 30.0)
        log_spend = self.spend.predict(inputs) + (self._half_variance(inputs) if shift is None else shift)
        return log1p(self.buys.proba(inputs) * math.exp(min(log_spend, 30.0)))

    def learn(self, inputs: dict[str, float], spent: float, weight: float = 1.0, spend_weight: float = 1.0) -> None:
        """Learn one label; ``spend_weight`` scales the weight of the spend regression's step (not P(buys)'s)."""
        if self.ranks is not None:
            self.spend.learn(inputs, self.ranks.rank(spent), weight)
        elif self.mean:
            if self.buys is not None:
                self.buys.learn(inputs, spent > 0, weight)
            if self.buys is None or spent > 0:
                self.spend.learn(inputs, spent, weight)
        elif self.buys is None:
            self.smearing.update(math.log1p(spent) - self.spend.predict(inputs))
            self.spend.learn(inputs, math.log1p(spent), weight)
        else:
            self.buys.learn(inputs, spent > 0, weight)
            if spent > 0:
                residual = math.log(spent) - self.spend.predict(inputs)
                self.smearing.update(residual)
                self.log_variance += (residual**2 - self.log_variance) / min(self.n + 1, 1000)
                if self.variance is not None:
                    self.variance.learn(inputs, residual**2, weight)
                self.spend.learn(inputs, math.log(spent), weight * spend_weight)
        self.n += 1
