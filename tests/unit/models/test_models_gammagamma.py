"""Gamma-Gamma: the likelihood fit, the conditional expected order value and the spend summary."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from models.errors import NotFittedError
from models.gammagamma import GammaGamma, _log_likelihood, spend_summary

TRUE_PARAMS = (6.0, 4.0, 15.0)  # p, q, gamma


@pytest.fixture(scope="module")
def simulated() -> tuple[np.ndarray, np.ndarray]:
    """Repeat buyers drawn from the model: x transactions each, m_x their mean value."""
    rng = np.random.default_rng(3)
    p, q, gamma = TRUE_PARAMS
    x = rng.integers(1, 12, size=3000).astype(float)
    nu = rng.gamma(q, 1.0 / gamma, size=x.size)
    m = np.array([rng.gamma(p, 1.0 / n, size=int(k)).mean() for k, n in zip(x, nu)])
    return x, m


@pytest.fixture(scope="module")
def fitted(simulated: tuple[np.ndarray, np.ndarray]) -> GammaGamma:
    return GammaGamma().fit(*simulated)


def test_fit_finds_the_likelihood_maximum(simulated: tuple[np.ndarray, np.ndarray], fitted: GammaGamma) -> None:
    """The fit's likelihood beats the true parameters' and every nudged parameter's."""
    x, m = simulated
    best = np.array(fitted.params)
    assert fitted.log_likelihood >= float(np.sum(_log_likelihood(np.array(TRUE_PARAMS), x, m)))
    for i in range(3):
        for factor in (0.98, 1.02):
            nudged = best.copy()
            nudged[i] *= factor
            assert fitted.log_likelihood > float(np.sum(_log_likelihood(nudged, x, m)))
    assert fitted.n_customers == 3000


def test_fit_recovers_the_population_mean(fitted: GammaGamma) -> None:
    """The fitted mean order value p * gamma / (q - 1) is near the true 30."""
    assert fitted.mean_order_value == pytest.approx(30.0, rel=0.1)


def test_expected_order_value_shrinks_towards_the_population_mean(fitted: GammaGamma) -> None:
    """A big spender's estimate lies between the population mean and their own, nearer their own with more purchases."""
    population = fitted.mean_order_value
    one, many = np.asarray(fitted.expected_order_value(np.array([1.0, 20.0]), np.array([200.0, 200.0])))
    assert population < one < many < 200.0
    assert fitted.expected_order_value(0, 0.0) == pytest.approx(population)
    assert isinstance(fitted.expected_order_value(2, 50.0), float)


@pytest.mark.parametrize(
    ("x", "m", "match"),
    [
        ([], [], "non-empty"),
        ([1, 2], [10.0], "one length"),
        ([0, 2], [10.0, 5.0], "x >= 1"),
        ([1, 2], [10.0, 0.0], "m_x > 0"),
        ([1, 2], [10.0, float("nan")], "m_x > 0"),
    ],
)
def test_fit_refuses_what_it_cannot_fit(x: list[float], m: list[float], match: str) -> None:
    """Empty or unequal arrays, customers without repeat purchases or without spend raise ValueError."""
    with pytest.raises(ValueError, match=match):
        GammaGamma().fit(x, m)


def test_an_unfitted_model_says_so() -> None:
    """Parameters and predictions before fit() raise NotFittedError."""
    with pytest.raises(NotFittedError, match="fit"):
        GammaGamma().expected_order_value(1, 10.0)


def test_spend_summary_counts_repeat_days_and_their_mean_value() -> None:
    """Orders of a day are summed, the first day is left out, days after the end are ignored."""
    day = dt.date(2010, 1, 1)
    log = [
        ("a", day, 10.0),
        ("a", day, 5.0),
        ("a", day + dt.timedelta(days=3), 20.0),
        ("a", day + dt.timedelta(days=3), 4.0),
        ("a", day + dt.timedelta(days=9), 6.0),
        ("a", day + dt.timedelta(days=40), 100.0),
        ("b", day + dt.timedelta(days=2), 7.0),
    ]
    summary = spend_summary(log, day + dt.timedelta(days=30))
    assert summary.ids == ["a", "b"]
    assert summary.x.tolist() == [2.0, 0.0]
    assert summary.monetary.tolist() == [15.0, 0.0]
