"""How a value model turns its log-scale estimate into money that adds up: a mean, not a median.

A value model learns spend on a log scale (:class:`models.value_learners.Part`): the buyers' log
spend by a median regression, so that a few huge orders do not pull the ranking. ``exp`` of a
log-scale estimate is a median of spend, not a mean, and spend is heavy-tailed: summed over the
customers it falls short of what they spend. Two ways back to the mean (``ValueModel(money=...)``):

- ``"calibration"``: the mean spend of past snapshots with that score (:class:`Calibration`:
  binned scores, decayed, monotone by pool-adjacent-violators, interpolated);
- ``"smearing"``: Duan's smearing estimate (Duan 1983, "Smearing estimate: a nonparametric
  retransformation method"): E[spend | x] = P(buys | x) x exp(mu(x)) x E[exp(residual)], the
  last the mean of ``exp`` of the residuals of the buyers' log spend, kept online
  (:class:`Smearing`). It assumes nothing about the residuals' shape (the log-normal mean
  correction assumes they are normal, which heavy-tailed spend is not) and keeps the ranking of
  the model's own estimate: the factor is the same for every customer;
- ``"ratio"``: the model's own median estimate (no correction) times the ratio
  of what the latest labels spent to what it estimated for them (:class:`Ratio`, the ratio
  estimator): totals that add up over the latest labels by construction, the same ranking, and
  no ``exp`` of a residual, so one customer who spent a thousand times their estimate counts
  for their spend, not for a thousand estimates.

Which one the worker uses was chosen on training-data checks by the total predicted against
the actual and the MAE (docs/customers-and-models.md, "How the model was chosen").
"""

from __future__ import annotations

import bisect
import math
from typing import Literal

__all__ = ["MONEY", "Calibration", "Money", "Ratio", "Smearing"]

Money = Literal["calibration", "median-calibration", "smearing", "ratio"]
#: The ways a value model turns its estimate into money.
MONEY: tuple[str, ...] = ("calibration", "median-calibration", "smearing", "ratio")


class Calibration:
    """Mean spend of past snapshots by binned score, decayed, monotone (pool adjacent violators)."""

    def __init__(self, width: float = 0.25, bins: int = 64, window: int = 5000) -> None:
        self.width = width
        self.decay = 1.0 - 1.0 / window
        self.weight = [0.0] * bins
        self.score_sum = [0.0] * bins
        self.spend_sum = [0.0] * bins
        self._curve: list[tuple[float, float]] | None = None

    def update(self, score: float, spent: float) -> None:
        decay = self.decay
        for stats in (self.weight, self.score_sum, self.spend_sum):
            for i, value in enumerate(stats):
                if value:
                    stats[i] = value * decay
        i = min(max(int(score / self.width), 0), len(self.weight) - 1)
        self.weight[i] += 1.0
        self.score_sum[i] += score
        self.spend_sum[i] += spent
        self._curve = None

    def curve(self) -> list[tuple[float, float]]:
        """``(score, mean spend)`` points, increasing in both."""
        if self._curve is None:
            blocks: list[list[float]] = []  # [weight, score sum, spend sum]
            for w, s, y in zip(self.weight, self.score_sum, self.spend_sum, strict=True):
                if w <= 1e-9:
                    continue
                blocks.append([w, s, y])
                while len(blocks) > 1 and blocks[-2][2] / blocks[-2][0] >= blocks[-1][2] / blocks[-1][0]:
                    last = blocks.pop()
                    for k in range(3):
                        blocks[-1][k] += last[k]
            self._curve = [(s / w, y / w) for w, s, y in blocks]
        return self._curve

    def money(self, score: float, fallback: float) -> float:
        curve = self.curve()
        if not curve:
            return fallback
        scores = [s for s, _ in curve]
        i = bisect.bisect_left(scores, score)
        if i == 0:
            return curve[0][1]
        if i == len(curve):
            return curve[-1][1]
        (s0, y0), (s1, y1) = curve[i - 1], curve[i]
        return y0 + (y1 - y0) * (score - s0) / (s1 - s0) if s1 > s0 else y1


class Smearing:
    """The mean of ``exp(residual)`` of a log-scale regression, over about ``window`` recent residuals.

    Each residual is the label's log less the regression's prediction *before* it learned the
    label (out of sample, as a prediction will be). Until it has seen one, the factor is that of
    normal residuals of variance ``prior_variance``.

    >>> s = Smearing(window=1000)
    >>> for r in (-1.0, 0.0, 1.0):
    ...     s.update(r)
    >>> round(s.factor, 3) == round((math.exp(-1) + 1 + math.e) / 3, 3)
    True
    """

    def __init__(self, window: int = 1000, prior_variance: float = 1.0) -> None:
        self.window = window
        self.factor = math.exp(prior_variance / 2.0)
        self.n = 0

    def update(self, residual: float) -> None:
        self.n += 1
        # exp of a residual beyond 30 (a factor e^30) is no spend anyone had: capped, never inf
        self.factor += (math.exp(min(residual, 30.0)) - self.factor) / min(self.n, self.window)


class Ratio:
    """What the latest labels spent over what was estimated for them, each sum over about ``window`` labels.

    Estimates are the model's before it learned the label (out of sample, as a prediction will
    be). Until there is an estimate, the factor is 1.

    >>> r = Ratio(window=1000)
    >>> r.update(estimate=10.0, spent=0.0); r.update(estimate=10.0, spent=30.0)
    >>> round(r.factor, 2)
    1.5
    """

    def __init__(self, window: int = 1000) -> None:
        self.decay = 1.0 - 1.0 / window
        self.estimated = 0.0
        self.spent = 0.0

    def update(self, estimate: float, spent: float) -> None:
        self.estimated = self.decay * self.estimated + estimate
        self.spent = self.decay * self.spent + spent

    @property
    def factor(self) -> float:
        return self.spent / self.estimated if self.estimated > 0.0 else 1.0
