"""Progressive (prequential) quality of a probabilistic binary classifier, and exact ROC AUC.

Prequential evaluation scores each prediction before its label is learned, so the running
figures are honest estimates of how the model does on data it has not seen.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from river import metrics
from scipy.stats import rankdata

__all__ = ["ProgressiveScore", "roc_auc"]


class ProgressiveScore:
    """Running ROC AUC and log loss of probability predictions, updated one label at a time.

    ROC AUC is exact over probabilities rounded to ``n_thresholds`` equally spaced levels
    (ties counted half): an update adds one to a bin, the AUC is read from the bins.  River's
    :class:`~river.metrics.ROCAUC` keeps a confusion matrix per threshold and updates all of
    them per label, which cost more than the model's own learning step on the worker's hot
    path.  Log loss is river's :class:`~river.metrics.LogLoss`.

    Parameters
    ----------
    n_thresholds
        Levels the probabilities are rounded to; more is closer to the exact AUC (reading the
        AUC costs O(levels), updating O(1)).
    window
        About how many of the latest labels :attr:`recent_roc_auc` weighs: the quality of the
        model as it is now, where :attr:`roc_auc` also remembers its cold start.

    Examples
    --------
    >>> score = ProgressiveScore()
    >>> for y, p in [(False, 0.1), (False, 0.4), (True, 0.35), (True, 0.8)]:
    ...     score.update(y, p)
    >>> score.n, round(score.roc_auc, 2), round(score.log_loss, 3)
    (4, 0.75, 0.472)
    >>> sorted(score.as_dict())
    ['log_loss', 'n', 'positives', 'recent_roc_auc', 'roc_auc']

    """

    def __init__(self, n_thresholds: int = 101, window: int = 2000) -> None:
        self.n_thresholds = n_thresholds
        self.window = window
        self._positives_at = [0] * n_thresholds
        self._negatives_at = [0] * n_thresholds
        self._recent = _RecentBins(n_thresholds, window)
        self._log_loss = metrics.LogLoss()
        self._n = 0
        self._positives = 0

    def update(self, y_true: bool, p_true: float) -> None:
        """Account for one prediction ``p_true`` (probability of the positive class) and its label."""
        p = min(max(float(p_true), 0.0), 1.0)
        level = int(p * (self.n_thresholds - 1) + 0.5)
        if y_true:
            self._positives_at[level] += 1
        else:
            self._negatives_at[level] += 1
        if getattr(self, "_recent", None) is None:  # a checkpoint from before the window
            self._recent = _RecentBins(self.n_thresholds, getattr(self, "window", 2000))
        self._recent.add(bool(y_true), level)
        self._log_loss.update(bool(y_true), {True: p, False: 1.0 - p})
        self._n += 1
        self._positives += int(bool(y_true))

    @property
    def recent_roc_auc(self) -> float:
        """ROC AUC over about the latest ``window`` labels (exponentially weighted): today's model, not its cold start."""
        recent = getattr(self, "_recent", None)
        return 0.0 if recent is None else _auc(recent.positives_at, recent.negatives_at)

    @property
    def n(self) -> int:
        """Number of labelled predictions so far."""
        return self._n

    @property
    def positives(self) -> int:
        """Number of positive labels so far."""
        return self._positives

    @property
    def roc_auc(self) -> float:
        """Current ROC AUC (0.0 until both classes have been seen)."""
        return _auc(self._positives_at, self._negatives_at)

    @property
    def log_loss(self) -> float:
        """Current mean log loss (0.0 before the first update)."""
        return float(self._log_loss.get()) if self._n else 0.0

    def as_dict(self) -> dict[str, float]:
        """Current values as plain numbers, for metrics export or JSON."""
        return {
            "n": float(self._n),
            "positives": float(self._positives),
            "roc_auc": self.roc_auc,
            "recent_roc_auc": self.recent_roc_auc,
            "log_loss": self.log_loss,
        }


def _auc(positives_at: Sequence[float], negatives_at: Sequence[float]) -> float:
    """Mann-Whitney over the levels: pairs a positive ranks above a negative, ties half (0.0 without both)."""
    positives_total, negatives_total = sum(positives_at), sum(negatives_at)
    if positives_total <= 0 or negatives_total <= 0:
        return 0.0
    pairs, negatives_below = 0.0, 0.0
    for positives, negatives in zip(positives_at, negatives_at):
        pairs += positives * (negatives_below + 0.5 * negatives)
        negatives_below += negatives
    return pairs / (positives_total * negatives_total)


class _RecentBins:
    """Label counts per level, each label weighing ``(1 - 1/window) ** age``: O(1) per label.

    Weights grow instead of decaying (the newest label weighs most), and every bin is scaled
    back down before they get large; the AUC only reads ratios.
    """

    def __init__(self, levels: int, window: int) -> None:
        self.positives_at = [0.0] * levels
        self.negatives_at = [0.0] * levels
        self._growth = 1.0 / (1.0 - 1.0 / max(window, 2))
        self._weight = 1.0

    def add(self, positive: bool, level: int) -> None:
        (self.positives_at if positive else self.negatives_at)[level] += self._weight
        self._weight *= self._growth
        if self._weight > 1e100:
            self.positives_at = [v / self._weight for v in self.positives_at]
            self.negatives_at = [v / self._weight for v in self.negatives_at]
            self._weight = 1.0


def roc_auc(
    y_true: Sequence[bool] | NDArray[np.bool_], scores: Sequence[float] | NDArray[np.float64]
) -> float:
    """Exact ROC AUC (the Mann-Whitney statistic, ties counted half); NaN without both classes.

    Examples
    --------
    >>> roc_auc([False, False, True, True], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> roc_auc([True, True], [0.1, 0.2])
    nan

    """
    labels = np.asarray(y_true, dtype=bool)
    values = np.asarray(scores, dtype=float)
    positives = int(labels.sum())
    negatives = labels.size - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(values)
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))
