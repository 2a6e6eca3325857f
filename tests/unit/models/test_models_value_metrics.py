"""Ranking figures on what customers spent next: Spearman, capture with ties, intervals, progressive score."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.value_metrics import ValueScore, bootstrap_differences, capture, gains, ranking_scores, spearman


def test_capture_shares_tied_places_evenly() -> None:
    """Ties across the cut count with the share of the remaining places, as a random order would."""
    actual = [90.0, 10.0, 0.0, 0.0]
    assert capture(actual, [3, 2, 1, 0], 0.25) == pytest.approx(0.9)
    assert capture(actual, [1, 1, 0, 0], 0.25) == pytest.approx(0.5)  # one place among two tied
    assert capture(actual, [0, 0, 0, 0], 0.5) == pytest.approx(0.5)
    assert math.isnan(capture([0.0, 0.0], [1, 2], 0.5))


def test_gains_rise_to_everything() -> None:
    """The gains curve is read at the shares asked for and reaches 1 at 100 %."""
    curve = gains([5.0, 3.0, 2.0, 0.0], [4, 3, 2, 1], (0.25, 0.5, 1.0))
    assert curve == {"25%": 0.5, "50%": 0.8, "100%": 1.0}


def test_spearman_is_nan_for_a_constant_score() -> None:
    """A score that ranks no one above anyone has no rank correlation."""
    assert math.isnan(spearman([1.0, 2.0, 3.0], [5.0, 5.0, 5.0]))
    assert spearman([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == pytest.approx(1.0)


def test_ranking_scores_have_money_figures_only_for_money() -> None:
    """MAE and totals come with money scores; every score gets Spearman, capture, gains and AUC."""
    plain = ranking_scores([0.0, 5.0], [0.2, 0.9], money=False)
    assert set(plain) == {"spearman", "top_decile", "gains", "roc_auc"}
    money = ranking_scores([0.0, 5.0], [1.0, 4.0], money=True)
    assert (money["mae"], money["total_predicted"], money["total_actual"]) == (1.0, 5.0, 5.0)


def test_bootstrap_is_reproducible_and_brackets_the_difference() -> None:
    """The same seed gives the same intervals; a clearly better score has an interval above 0."""
    rng = np.random.default_rng(5)
    actual = rng.gamma(0.4, 50.0, 600) * (rng.random(600) < 0.4)
    good = actual + rng.normal(0, 5, 600)
    noise = rng.normal(0, 5, 600)
    first = bootstrap_differences(actual, good, {"noise": noise}, n=100, seed=3)
    assert first == bootstrap_differences(actual, good, {"noise": noise}, n=100, seed=3)
    spear = first["noise"]["spearman"]
    assert 0 < spear["low"] <= spear["mean"] <= spear["high"]


def test_value_score_keeps_totals_and_a_window() -> None:
    """MAE and totals run over all labels; rank figures over the latest window only."""
    score = ValueScore(window=3)
    for predicted, spent in [(100.0, 0.0), (1.0, 0.0), (2.0, 4.0), (3.0, 9.0)]:
        score.update(predicted, spent)
    assert (score.n, score.total_predicted, score.total_actual) == (4, 106.0, 13.0)
    assert score.mae == pytest.approx((100 + 1 + 2 + 6) / 4)
    assert score.spearman == pytest.approx(1.0)  # the first, badly ranked pair left the window
    assert score.roc_auc == 1.0
    assert set(score.as_dict()) == {"n", "mae", "total_predicted", "total_actual", "spearman", "top_decile", "roc_auc"}
