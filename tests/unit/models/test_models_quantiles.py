"""Bounded-memory histograms: quantiles within their accuracy, forgetting, merging, the memory bound."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from models.quantiles import LinearHistogram, LogHistogram


def lognormal(n: int, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    return [rng.lognormvariate(3.0, 1.2) for _ in range(n)]


def test_log_histogram_quantiles_are_within_the_relative_accuracy() -> None:
    """Every decile of a skewed sample is within 1 % of the exact (lower) quantile."""
    values = lognormal(20_000)
    h = LogHistogram(relative_accuracy=0.01)
    for x in values:
        h.update(x)
    ordered = sorted(values)
    for q in (0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.99):
        exact = ordered[int(q * (len(ordered) - 1))]
        assert abs(h.quantile(q) - exact) <= 0.0101 * exact


def test_memory_does_not_grow_with_the_number_of_values() -> None:
    """Ten times the values from one distribution need about the same buckets, never more than the bound."""
    small, large = LogHistogram(max_buckets=400), LogHistogram(max_buckets=400)
    for x in lognormal(2_000):
        small.update(x)
    for x in lognormal(20_000, seed=8):
        large.update(x)
    assert large.buckets <= 400
    assert large.buckets < 1.5 * small.buckets


def test_the_lowest_buckets_merge_when_there_are_too_many() -> None:
    """Beyond max_buckets the low end collapses, every value stays counted and the top stays exact."""
    h = LinearHistogram(width=1.0, max_buckets=10)
    for day in range(100):
        h.update(day + 0.5)
    assert h.buckets == 10
    assert h.n == 100
    assert h.quantile(1.0) == 99.0
    assert h.quantile(0.0) == 90.0  # everything older shares the floor bucket
    h.revert(3.5)  # a value from the collapsed range is found in the floor bucket
    assert h.n == 99


def test_revert_undoes_update() -> None:
    """Counting values and taking some back gives the histogram of the rest."""
    values = lognormal(500)
    both, rest = LogHistogram(), LogHistogram()
    for x in values:
        both.update(x)
    for x in values[:200]:
        both.revert(x)
    for x in values[200:]:
        rest.update(x)
    assert both.n == rest.n == 300
    assert [both.quantile(q) for q in (0.1, 0.5, 0.9)] == [rest.quantile(q) for q in (0.1, 0.5, 0.9)]
    assert both.buckets == rest.buckets


def test_revert_of_a_value_never_counted_is_refused() -> None:
    """Taking back a value whose bucket is empty raises instead of going negative."""
    h = LogHistogram()
    h.update(10.0)
    with pytest.raises(ValueError, match="bucket holds 0"):
        h.revert(1000.0)


def test_merge_equals_one_histogram_of_everything() -> None:
    """Two workers' histograms merged give the quantiles of one histogram fed all values."""
    values = lognormal(4_000)
    a, b, whole = LogHistogram(), LogHistogram(), LogHistogram()
    for i, x in enumerate(values):
        (a if i % 2 else b).update(x)
        whole.update(x)
    a.merge(b)
    assert a.n == whole.n
    assert [a.quantile(q) for q in np.linspace(0, 1, 11)] == [
        whole.quantile(q) for q in np.linspace(0, 1, 11)
    ]


def test_merge_of_another_resolution_is_refused() -> None:
    """Histograms of different accuracies or kinds cannot be merged."""
    with pytest.raises(ValueError, match="relative accuracy 0.01"):
        LogHistogram(0.01).merge(LogHistogram(0.02))
    with pytest.raises(ValueError):
        LogHistogram().merge(LinearHistogram())


def test_mid_rank_gives_tied_values_one_rank() -> None:
    """Values in one bucket share the midpoint of their ranks."""
    h = LinearHistogram(width=1.0)
    for x in (1.0, 2.0, 2.0, 2.0, 3.0):
        h.update(x)
    assert h.mid_rank(2.0) == pytest.approx((1 + 1.5) / 5)
    assert h.mid_rank(0.0) == 0.0
    assert h.mid_rank(9.0) == 1.0


def test_zero_and_tiny_values_share_the_lowest_bucket() -> None:
    """Zero, negatives and values below min_value count as min_value."""
    h = LogHistogram(min_value=0.01)
    for x in (0.0, -5.0, 0.001):
        h.update(x)
    assert h.buckets == 1
    assert h.quantile(0.5) == 0.01


def test_empty_histograms_and_bad_input() -> None:
    """An empty histogram has no quantile; non-finite values and q outside [0, 1] are refused."""
    h = LogHistogram()
    assert math.isnan(h.quantile(0.5))
    assert math.isnan(h.mid_rank(1.0))
    with pytest.raises(ValueError, match="finite"):
        h.update(math.nan)
    with pytest.raises(ValueError, match="0 <= q <= 1"):
        h.quantile(1.5)
    with pytest.raises(ValueError, match="relative_accuracy"):
        LogHistogram(relative_accuracy=1.0)
    with pytest.raises(ValueError, match="max_buckets"):
        LinearHistogram(max_buckets=1)
