"""How well a ranking of customers by expected value matches what they spent next.

- **Spearman**: rank correlation of the scores with the spend in the horizon (ties averaged).
- **Capture** (gains): the share of the horizon's revenue spent by the top ``x`` % of customers
  by score; the top decile's is the headline. Customers tied on a score share the places at the
  edge, each with the fraction of the remaining places: what a random order among them would
  capture on average, so coarse scores (RFM's 1-5) are neither favoured nor penalised.
- **ROC AUC** of the score for "buys again" (any spend in the horizon).
- **MAE** and **total predicted against actual**, for scores that are money.

:func:`bootstrap_differences` gives percentile intervals of model-minus-baseline differences
by resampling customers; :class:`ValueScore` keeps the same figures progressively over the
predictions a model made and the labels that arrived later.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import rankdata

from models.metrics import roc_auc

__all__ = [
    "GAIN_SHARES",
    "ValueScore",
    "bootstrap_differences",
    "capture",
    "gains",
    "ranking_scores",
    "spearman",
]

#: Shares of the customers (top by score) the gains curve is read at.
GAIN_SHARES: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.5)

FloatArray = NDArray[np.float64]


def spearman(actual: ArrayLike, scores: ArrayLike) -> float:
    """Spearman rank correlation, ties averaged; NaN when either side is constant.

    >>> spearman([0, 0, 5, 20], [0.1, 0.3, 0.2, 0.9])
    0.632455532033676

    """
    a = rankdata(np.asarray(actual, dtype=float))
    s = rankdata(np.asarray(scores, dtype=float))
    if a.size < 2 or np.all(a == a[0]) or np.all(s == s[0]):
        return float("nan")
    return float(np.corrcoef(a, s)[0, 1])


def capture(actual: ArrayLike, scores: ArrayLike, share: float) -> float:
    """Share of the total ``actual`` spent by the top ``share`` of customers by ``scores``.

    Ties at the edge share the remaining places (see the module's notes); NaN without spend.

    >>> capture([100, 0, 50, 50], [4, 3, 2, 1], 0.25)
    0.5
    >>> capture([100, 0, 50, 50], [1, 1, 1, 1], 0.25)  # all tied: a quarter of the total
    0.25

    """
    a = np.asarray(actual, dtype=float)
    s = np.asarray(scores, dtype=float)
    total = float(a.sum())
    if a.size == 0 or total <= 0:
        return float("nan")
    order = np.argsort(-s, kind="stable")
    a, s = a[order], s[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    sizes = np.diff(np.r_[starts, a.size])
    sums = np.add.reduceat(a, starts)
    taken = np.clip(share * a.size - starts, 0.0, sizes)
    return float(np.sum(sums * taken / sizes) / total)


def gains(actual: ArrayLike, scores: ArrayLike, shares: Sequence[float] = GAIN_SHARES) -> dict[str, float]:
    """The gains curve: :func:`capture` at each share, keyed ``"5%"``, ``"10%"``, ...

    >>> gains([100, 0, 50, 50], [4, 3, 2, 1], (0.25, 0.5))
    {'25%': 0.5, '50%': 0.5}

    """
    return {f"{100 * share:g}%": capture(actual, scores, share) for share in shares}


def ranking_scores(actual: ArrayLike, scores: ArrayLike, *, money: bool) -> dict[str, object]:
    """Spearman, top-decile capture, gains, ROC AUC for "buys again", and for money MAE and totals.

    Examples
    --------
    >>> r = ranking_scores([0.0, 10.0, 0.0, 40.0], [1.0, 12.0, 3.0, 30.0], money=True)
    >>> round(r["spearman"], 3), r["top_decile"], r["roc_auc"], r["mae"], r["total_predicted"]
    (0.949, 0.32, 1.0, 4.0, 46.0)

    """
    a = np.asarray(actual, dtype=float)
    s = np.asarray(scores, dtype=float)
    result: dict[str, object] = {
        "spearman": spearman(a, s),
        "top_decile": capture(a, s, 0.1),
        "gains": gains(a, s),
        "roc_auc": roc_auc(a > 0, s),
    }
    if money:
        result["mae"] = float(np.mean(np.abs(a - s))) if a.size else float("nan")
        result["total_predicted"] = float(s.sum())
        result["total_actual"] = float(a.sum())
    return result


def _interval(values: FloatArray) -> dict[str, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"mean": float("nan"), "low": float("nan"), "high": float("nan")}
    low, high = np.percentile(finite, [2.5, 97.5])
    return {"mean": float(finite.mean()), "low": float(low), "high": float(high)}


def bootstrap_differences(
    actual: ArrayLike,
    model: ArrayLike,
    baselines: Mapping[str, ArrayLike],
    *,
    n: int = 1000,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """95 % percentile intervals of model-minus-baseline Spearman and top-decile capture.

    Customers are resampled with replacement ``n`` times (seeded); each resample scores the
    model and every baseline on the same customers. ``{baseline: {"spearman": {"mean", "low",
    "high"}, "top_decile": {...}}}``; an interval above 0 means the model ranks better.
    ``progress(done, n)`` is called before the first resample and after each: on a log of a
    million customers each takes seconds, the whole minutes.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> spend = rng.gamma(0.5, 100.0, size=400)
    >>> good, poor = spend + rng.normal(0, 20, 400), spend + rng.normal(0, 200, 400)
    >>> d = bootstrap_differences(spend, good, {"poor": poor}, n=200, seed=1)
    >>> d["poor"]["spearman"]["low"] > 0, d["poor"]["top_decile"]["low"] > 0
    (True, True)

    """
    a = np.asarray(actual, dtype=float)
    m = np.asarray(model, dtype=float)
    bases = {name: np.asarray(s, dtype=float) for name, s in baselines.items()}
    rng = np.random.default_rng(seed)
    diffs = {name: {"spearman": np.empty(n), "top_decile": np.empty(n)} for name in bases}
    if progress is not None:
        progress(0, n)
    for i in range(n):
        pick = rng.integers(0, a.size, size=a.size)
        sample = a[pick]
        ranks = rankdata(sample)
        own_rho = _rho(ranks, m[pick])
        own_top = capture(sample, m[pick], 0.1)
        for name, scores in bases.items():
            diffs[name]["spearman"][i] = own_rho - _rho(ranks, scores[pick])
            diffs[name]["top_decile"][i] = own_top - capture(sample, scores[pick], 0.1)
        if progress is not None:
            progress(i + 1, n)
    return {
        name: {metric: _interval(values) for metric, values in by_metric.items()}
        for name, by_metric in diffs.items()
    }


def _rho(actual_ranks: FloatArray, scores: FloatArray) -> float:
    s = rankdata(scores)
    if np.all(s == s[0]) or np.all(actual_ranks == actual_ranks[0]):
        return float("nan")
    return float(np.corrcoef(actual_ranks, s)[0, 1])


class ValueScore:
    """Progressive quality of money predictions whose labels (spend in the horizon) arrive later.

    MAE and the totals run over every labelled prediction; Spearman, top-decile capture and ROC
    AUC for "bought again" over the latest ``window`` of them (computed when read).

    Examples
    --------
    >>> score = ValueScore(window=100)
    >>> for predicted, spent in [(5.0, 0.0), (40.0, 60.0), (10.0, 0.0), (90.0, 70.0)]:
    ...     score.update(predicted, spent)
    >>> score.n, score.mae, score.total_predicted, score.total_actual
    (4, 13.75, 145.0, 130.0)
    >>> round(score.spearman, 3), score.top_decile, score.roc_auc
    (0.949, 0.2154, 1.0)

    """

    def __init__(self, window: int = 2000) -> None:
        self.window = window
        self._pairs: collections.deque[tuple[float, float]] = collections.deque(maxlen=window)
        self._n = 0
        self._abs_error = 0.0
        self._predicted = 0.0
        self._actual = 0.0

    def update(self, predicted: float, spent: float) -> None:
        """Account for one prediction (money) and the spend that followed it."""
        predicted, spent = float(predicted), float(spent)
        self._pairs.append((predicted, spent))
        self._n += 1
        self._abs_error += abs(predicted - spent)
        self._predicted += predicted
        self._actual += spent

    @property
    def n(self) -> int:
        """Number of labelled predictions so far."""
        return self._n

    @property
    def mae(self) -> float:
        """Mean absolute error in money (0.0 before the first label)."""
        return self._abs_error / self._n if self._n else 0.0

    @property
    def total_predicted(self) -> float:
        """Sum of the labelled predictions."""
        return self._predicted

    @property
    def total_actual(self) -> float:
        """Sum of the spend that followed them."""
        return self._actual

    def _window(self) -> tuple[FloatArray, FloatArray]:
        pairs = np.array(self._pairs, dtype=float).reshape(-1, 2)
        return pairs[:, 1], pairs[:, 0]

    @property
    def spearman(self) -> float:
        """Spearman of predictions and spend over the window (NaN while either is constant)."""
        return spearman(*self._window())

    @property
    def top_decile(self) -> float:
        """Share of the window's spend by the top tenth of its predictions (rounded to 4 digits)."""
        value = capture(*self._window(), 0.1)
        return value if math.isnan(value) else round(value, 4)

    @property
    def in_window(self) -> int:
        """Labelled predictions in the window of the rank figures."""
        return len(self._pairs)

    @property
    def ranking(self) -> float:
        """Spearman plus top-decile capture over the window, each 0 where undefined: one figure of how well it ranks."""
        return sum(0.0 if math.isnan(v) else v for v in (self.spearman, self.top_decile))

    @property
    def roc_auc(self) -> float:
        """ROC AUC of the predictions for "spent anything" over the window."""
        actual, predicted = self._window()
        return roc_auc(actual > 0, predicted)

    def as_dict(self) -> dict[str, float]:
        """Current values as plain numbers, for metrics export or JSON."""
        return {
            "n": float(self._n),
            "mae": self.mae,
            "total_predicted": self._predicted,
            "total_actual": self._actual,
            "spearman": self.spearman,
            "top_decile": self.top_decile,
            "roc_auc": self.roc_auc,
        }
