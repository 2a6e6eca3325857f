"""Progressive quality trackers and the exact ROC AUC."""

from __future__ import annotations

import math
import random

import pytest

from models.metrics import ProgressiveScore, roc_auc


def test_exact_auc_counts_pairs_and_half_ties() -> None:
    """AUC is the share of positive-negative pairs ranked right, ties counting one half."""
    assert roc_auc([True, False, True, False], [0.9, 0.1, 0.8, 0.3]) == 1.0
    assert roc_auc([True, False], [0.5, 0.5]) == 0.5
    assert roc_auc([False, True, True], [0.4, 0.4, 0.9]) == 0.75
    assert math.isnan(roc_auc([False, False], [0.1, 0.2]))


def test_progressive_auc_is_close_to_the_exact_one() -> None:
    """With the default 101 thresholds the running AUC is within 0.01 of the exact AUC."""
    rng = random.Random(0)
    labels = [rng.random() < 0.3 for _ in range(3000)]
    scores = [min(max(rng.gauss(0.6 if y else 0.4, 0.15), 0.0), 1.0) for y in labels]
    score = ProgressiveScore()
    for y, p in zip(labels, scores, strict=True):
        score.update(y, p)
    assert score.roc_auc == pytest.approx(roc_auc(labels, scores), abs=0.01)


def test_progressive_log_loss_is_the_mean_negative_log_likelihood() -> None:
    """Log loss is the mean of -log p of the true class; probabilities are clipped to [0, 1]."""
    score = ProgressiveScore()
    score.update(True, 0.8)
    score.update(False, 0.4)
    score.update(False, -0.3)  # clipped to 0
    expected = -(math.log(0.8) + math.log(0.6) + math.log(1.0)) / 3
    assert score.log_loss == pytest.approx(expected, rel=1e-6)


def test_an_empty_or_one_class_score_reports_zero_auc() -> None:
    """Before both classes are seen the AUC reads 0.0, and nothing has been counted."""
    score = ProgressiveScore()
    assert score.as_dict() == {"n": 0.0, "positives": 0.0, "roc_auc": 0.0, "recent_roc_auc": 0.0, "log_loss": 0.0}
    score.update(True, 0.9)
    assert score.roc_auc == 0.0


def test_the_recent_auc_forgets_a_cold_start() -> None:
    """After a model that ranked backwards learns to rank well, the recent AUC shows it; the whole-run AUC lags."""
    score = ProgressiveScore(window=200)
    for n in range(2000):
        label = n % 2 == 0
        score.update(label, 0.2 if label else 0.8)  # backwards
    for n in range(1000):
        label = n % 2 == 0
        score.update(label, 0.8 if label else 0.2)  # right
    assert score.recent_roc_auc > 0.99 and score.roc_auc < 0.5
