"""Choosing a classifier's decision threshold online, from its own prequential predictions."""

from __future__ import annotations

__all__ = ["ThresholdTracker"]


class ThresholdTracker:
    """Decision threshold chosen from recent (prediction, label) pairs, kept in binned counts.

    Predictions are counted per label in ``bins`` equal-width bins of ``[0, 1]``; older counts
    fade with a half-life of about ``window`` updates. The threshold is the bin edge with the best
    F1 among the edges whose accuracy is within ``accuracy_tolerance`` of the best accuracy:
    accuracy decides, and F1 picks the lowest-cost point on the flat top of the accuracy curve.
    A tolerance of 0 gives the accuracy-optimal threshold, a tolerance of 1 the F1-optimal one.

    Parameters
    ----------
    accuracy_tolerance
        Accuracy that may be given up for F1.
    bins
        Number of bins (threshold resolution is ``1 / bins``).
    window
        Number of updates after which a count weighs half as much (``None``: never fade).
    default
        Threshold returned until both labels have been seen.

    Examples
    --------
    >>> tracker = ThresholdTracker(bins=10)
    >>> for p, y in [(0.1, False), (0.2, False), (0.3, False), (0.45, True), (0.6, True), (0.9, True)]:
    ...     tracker.update(y, p)
    >>> tracker.threshold
    0.4

    """

    def __init__(
        self,
        accuracy_tolerance: float = 0.002,
        bins: int = 200,
        window: int | None = 5000,
        default: float = 0.5,
    ) -> None:
        if bins < 2:
            raise ValueError(f"ThresholdTracker: expected bins >= 2, found {bins}")
        self.accuracy_tolerance = accuracy_tolerance
        self.bins = bins
        self.window = window
        self.default = default
        self._positives = [0.0] * bins
        self._negatives = [0.0] * bins
        # Counts are stored scaled by 1/_weight so fading costs O(1) per update.
        self._weight = 1.0
        self._decay = 0.5 ** (1.0 / window) if window else 1.0
        self._threshold = default
        self._dirty = False

    def update(self, y_true: bool, p_true: float) -> None:
        """Count one prediction ``p_true`` with its label."""
        self._weight /= self._decay
        if self._weight > 1e100:
            self._rescale()
        index = min(max(int(p_true * self.bins), 0), self.bins - 1)
        if y_true:
            self._positives[index] += self._weight
        else:
            self._negatives[index] += self._weight
        self._dirty = True

    def _rescale(self) -> None:
        scale = 1.0 / self._weight
        self._positives = [c * scale for c in self._positives]
        self._negatives = [c * scale for c in self._negatives]
        self._weight = 1.0

    @property
    def threshold(self) -> float:
        """Current threshold: predict positive when the probability is at least this."""
        if self._dirty:
            self._threshold = self._choose()
            self._dirty = False
        return self._threshold

    def _choose(self) -> float:
        total_pos = sum(self._positives)
        total_neg = sum(self._negatives)
        if total_pos <= 0 or total_neg <= 0:
            return self.default
        total = total_pos + total_neg
        # Walk edges from the top: at edge i, bins >= i are predicted positive.
        tp = fp = 0.0
        candidates: list[tuple[float, float, float]] = []  # (edge, accuracy, f1)
        for i in range(self.bins - 1, 0, -1):
            tp += self._positives[i]
            fp += self._negatives[i]
            accuracy = (tp + total_neg - fp) / total
            f1 = 2 * tp / (tp + fp + total_pos)
            candidates.append((i / self.bins, accuracy, f1))
        best_accuracy = max(accuracy for _, accuracy, _ in candidates)
        floor = best_accuracy - self.accuracy_tolerance - 1e-12
        edge, _, _ = max(
            (c for c in candidates if c[1] >= floor), key=lambda c: (c[2], c[1], c[0])
        )
        return edge
