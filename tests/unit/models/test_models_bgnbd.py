"""BG/NBD: the likelihood fit, p_alive, conditional expectations and the data summary."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from models.bgnbd import BGNBD, _log_likelihood, summarise
from models.errors import NotFittedError

TRUE_PARAMS = (0.6, 5.0, 0.7, 2.5)  # r, alpha, a, b


def simulate(n: int, seed: int, calibration: float, holdout: float) -> tuple[np.ndarray, ...]:
    """Simulate BG/NBD customers; returns x, t_x, T over the calibration and holdout counts."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = TRUE_PARAMS
    xs, txs, bigs, later = [], [], [], []
    for _ in range(n):
        rate = rng.gamma(r, 1.0 / alpha)
        drop = rng.beta(a, b)
        big_t = calibration * rng.uniform(0.5, 1.0)
        t, x, t_x, after = 0.0, 0, 0.0, 0
        while True:
            t += rng.exponential(1.0 / rate)
            if t > big_t + holdout:
                break
            if t <= big_t:
                x, t_x = x + 1, t
            else:
                after += 1
            if rng.uniform() < drop:
                break
        xs.append(x)
        txs.append(t_x)
        bigs.append(big_t)
        later.append(after)
    return np.array(xs, float), np.array(txs), np.array(bigs), np.array(later, float)


@pytest.fixture(scope="module")
def simulated() -> tuple[np.ndarray, ...]:
    return simulate(4000, seed=7, calibration=52.0, holdout=39.0)


@pytest.fixture(scope="module")
def fitted(simulated: tuple[np.ndarray, ...]) -> BGNBD:
    x, t_x, big_t, _ = simulated
    return BGNBD().fit(x, t_x, big_t)


def test_fit_finds_the_likelihood_maximum(simulated: tuple[np.ndarray, ...], fitted: BGNBD) -> None:
    """The fitted parameters have a higher likelihood than the true ones and than nudged ones."""
    x, t_x, big_t, _ = simulated
    fitted_ll = fitted.log_likelihood
    assert fitted_ll >= float(np.sum(_log_likelihood(np.array(TRUE_PARAMS), x, t_x, big_t)))
    best = np.array(fitted.params)
    for i in range(4):
        for factor in (0.98, 1.02):
            nudged = best.copy()
            nudged[i] *= factor
            assert fitted_ll > float(np.sum(_log_likelihood(nudged, x, t_x, big_t)))


def test_fit_recovers_the_parameters_of_simulated_customers(fitted: BGNBD) -> None:
    """On 4,000 simulated customers each parameter is within 20 % of the truth."""
    for estimate, truth in zip(fitted.params, TRUE_PARAMS, strict=True):
        assert estimate == pytest.approx(truth, rel=0.20)


def test_expected_purchases_match_the_simulated_holdout_in_total(
    simulated: tuple[np.ndarray, ...], fitted: BGNBD
) -> None:
    """Summed conditional expectations are within 10 % of the purchases made in the holdout."""
    x, t_x, big_t, later = simulated
    expected = fitted.expected_purchases(39.0, x, t_x, big_t)
    assert float(np.sum(expected)) == pytest.approx(float(np.sum(later)), rel=0.10)


def test_p_alive_is_one_without_repeat_purchases(fitted: BGNBD) -> None:
    """A customer who never bought again has not had a chance to drop out: p_alive is 1."""
    assert fitted.p_alive(0, 0, 30) == 1.0


def test_p_alive_falls_with_time_since_the_last_purchase(fitted: BGNBD) -> None:
    """For the same x and T, a later last purchase means a higher p_alive."""
    values = [fitted.p_alive(3, t_x, 40) for t_x in (5, 20, 35, 40)]
    assert values == sorted(values)
    assert 0 < values[0] < values[-1] <= 1


def test_expected_purchases_grow_with_the_horizon_and_the_frequency(fitted: BGNBD) -> None:
    """More time ahead, or a more frequent past, means more expected purchases."""
    assert 0 < fitted.expected_purchases(10, 2, 30, 40) < fitted.expected_purchases(20, 2, 30, 40)
    assert fitted.expected_purchases(10, 2, 38, 40) < fitted.expected_purchases(10, 6, 38, 40)


def test_arrays_in_give_arrays_out(fitted: BGNBD) -> None:
    """Vector inputs are scored element by element, scalars give floats."""
    alive = fitted.p_alive(np.array([0, 3]), np.array([0, 20]), np.array([40, 40]))
    assert isinstance(alive, np.ndarray)
    assert alive.tolist() == [fitted.p_alive(0, 0, 40), fitted.p_alive(3, 20, 40)]
    assert isinstance(fitted.p_alive(1, 2, 3), float)


def test_an_unfitted_model_refuses_to_predict() -> None:
    """Asking an unfitted model for anything raises NotFittedError."""
    with pytest.raises(NotFittedError):
        BGNBD().p_alive(1, 1, 2)
    with pytest.raises(NotFittedError):
        _ = BGNBD().log_likelihood


@pytest.mark.parametrize(
    ("x", "t_x", "big_t"),
    [([1, 2], [1], [3, 4]), ([], [], []), ([1], [5], [3]), ([-1], [0], [3])],
)
def test_inconsistent_summaries_are_refused(x: list[float], t_x: list[float], big_t: list[float]) -> None:
    """Mismatched lengths, empty arrays, t_x > T or negative x raise ValueError."""
    with pytest.raises(ValueError, match="BGNBD.fit"):
        BGNBD().fit(x, t_x, big_t)


def test_summarise_counts_distinct_days_up_to_the_end_inclusive() -> None:
    """x counts distinct later days up to the end day; later days and late customers are left out."""
    log = [
        ("a", dt.date(2020, 1, 1)),
        ("a", dt.date(2020, 1, 1)),
        ("a", dt.date(2020, 1, 8)),
        ("a", dt.date(2020, 1, 15)),
        ("a", dt.date(2020, 1, 16)),  # after the end
        ("b", dt.date(2020, 1, 15)),
        ("c", dt.date(2020, 2, 1)),  # first purchase after the end
    ]
    summary = summarise(log, dt.date(2020, 1, 15))
    assert summary.ids == ["a", "b"]
    assert summary.x.tolist() == [2.0, 0.0]
    assert summary.t_x.tolist() == [2.0, 0.0]
    assert summary.T.tolist() == [2.0, 0.0]


def test_the_likelihood_from_distinct_counts_is_the_same_bit_for_bit():
    """Computing the count terms once per distinct count changes no figure, so no fit moves."""
    x, t_x, big_t, _ = simulate(400, seed=9, calibration=30.0, holdout=10.0)
    for params in (np.array(TRUE_PARAMS), np.array([0.01, 40.0, 3.0, 0.2])):
        plain = _log_likelihood(params, x, t_x, big_t)
        shared = _log_likelihood(params, x, t_x, big_t, np.unique(x, return_inverse=True))
        assert np.array_equal(plain, shared)
