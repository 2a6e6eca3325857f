"""ThresholdTracker: accuracy first, F1 on the flat top, and forgetting of old predictions."""

from __future__ import annotations

from models.thresholds import ThresholdTracker

# Positives spread over 0.3-0.9, negatives over 0.0-0.6 (mid-bin values, so binning is exact):
# accuracy peaks at a higher threshold than F1 does.
PAIRS = (
    [(p / 100 + 0.005, True) for p in range(30, 90, 4)]
    + [(p / 100 + 0.005, False) for p in range(0, 60, 1)]
)


def fill(tracker: ThresholdTracker) -> ThresholdTracker:
    for p, y in PAIRS:
        tracker.update(y, p)
    return tracker


def accuracy_and_f1(threshold: float) -> tuple[float, float]:
    tp = sum(1 for p, y in PAIRS if y and p >= threshold)
    fp = sum(1 for p, y in PAIRS if not y and p >= threshold)
    fn = sum(1 for p, y in PAIRS if y and p < threshold)
    accuracy = (len(PAIRS) - fp - fn) / len(PAIRS)
    return accuracy, 2 * tp / (2 * tp + fp + fn)


def best(metric: int) -> float:
    edges = [i / 100 for i in range(1, 100)]
    return max(accuracy_and_f1(e)[metric] for e in edges)


def test_zero_tolerance_picks_the_accuracy_optimal_threshold() -> None:
    """With accuracy_tolerance 0 the threshold reaches the best accuracy on the data."""
    tracker = fill(ThresholdTracker(accuracy_tolerance=0.0, bins=100, window=None))
    assert accuracy_and_f1(tracker.threshold)[0] == best(0)


def test_full_tolerance_picks_the_f1_optimal_threshold() -> None:
    """With accuracy_tolerance 1 the threshold reaches the best F1 on the data."""
    tracker = fill(ThresholdTracker(accuracy_tolerance=1.0, bins=100, window=None))
    assert accuracy_and_f1(tracker.threshold)[1] == best(1)


def test_a_small_tolerance_trades_a_little_accuracy_for_f1() -> None:
    """A tolerance keeps accuracy within it of the best and buys a lower threshold and higher F1."""
    strict = fill(ThresholdTracker(accuracy_tolerance=0.0, bins=100, window=None))
    loose = fill(ThresholdTracker(accuracy_tolerance=0.02, bins=100, window=None))
    assert accuracy_and_f1(loose.threshold)[0] >= best(0) - 0.02
    assert accuracy_and_f1(loose.threshold)[1] > accuracy_and_f1(strict.threshold)[1]
    assert loose.threshold < strict.threshold


def test_the_default_holds_until_both_labels_are_seen() -> None:
    """With only one label seen, the threshold is the default."""
    tracker = ThresholdTracker(default=0.3)
    for p in (0.1, 0.7, 0.9):
        tracker.update(True, p)
    assert tracker.threshold == 0.3


def test_old_predictions_fade_so_the_threshold_follows_a_shift() -> None:
    """After a shift in the score scale, a windowed tracker moves to the new separating point."""
    tracker = ThresholdTracker(bins=100, window=200, accuracy_tolerance=0.0)
    for _ in range(50):
        tracker.update(False, 0.05)
        tracker.update(True, 0.25)
    assert 0.05 < tracker.threshold <= 0.25
    for _ in range(1000):
        tracker.update(False, 0.55)
        tracker.update(True, 0.85)
    assert 0.55 < tracker.threshold <= 0.85


def test_counts_survive_very_long_streams() -> None:
    """Hundreds of thousands of updates with a short window keep the arithmetic finite."""
    tracker = ThresholdTracker(bins=10, window=10)
    for i in range(200_000):
        tracker.update(i % 2 == 0, 0.8 if i % 2 == 0 else 0.2)
    assert 0.2 < tracker.threshold <= 0.8
