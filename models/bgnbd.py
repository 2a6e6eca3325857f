"""The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005), fitted by maximum likelihood.

Each customer buys at a Poisson rate (gamma distributed over customers, shape ``r``, rate
``alpha``) and after each purchase drops out with a probability (beta distributed, ``a``,
``b``). A customer is summarised by ``x`` (repeat purchases: distinct purchase days after the
first), ``t_x`` (time from the first to the last of them) and ``T`` (time from the first
purchase to the end of the observation), in units of ``unit_days`` days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Hashable, Iterable
from typing import NamedTuple, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from models.errors import NotFittedError

__all__ = ["BGNBD", "BGNBDParams", "Summary", "summarise"]

FloatArray = NDArray[np.float64]

_LOG_BOUND = 15.0  # parameters stay within exp(-15) .. exp(15)


class BGNBDParams(NamedTuple):
    """Fitted BG/NBD parameters."""

    r: float
    alpha: float
    a: float
    b: float


@dataclasses.dataclass(frozen=True)
class Summary:
    """Per-customer BG/NBD summary of a purchase log (arrays aligned with ``ids``)."""

    ids: list[Hashable]
    x: FloatArray
    t_x: FloatArray
    T: FloatArray  # noqa: N815 - the model's own name for it


def summarise(
    purchases: Iterable[tuple[Hashable, dt.date]], end: dt.date, *, unit_days: float = 7.0
) -> Summary:
    """Summarise a purchase log as BG/NBD's ``(x, t_x, T)`` per customer, up to ``end`` inclusive.

    Purchases after ``end`` are ignored, and so are customers whose first purchase is after it.
    Several purchases on one day count as one.

    Parameters
    ----------
    purchases
        ``(customer_id, day)`` pairs in any order.
    end
        Last day of the observation period.
    unit_days
        Length of the time unit in days (7 for weeks).

    Examples
    --------
    >>> log = [("c1", dt.date(1997, 1, 1)), ("c1", dt.date(1997, 1, 18)),
    ...        ("c1", dt.date(1997, 8, 2)), ("c1", dt.date(1997, 12, 12)),
    ...        ("c2", dt.date(1997, 1, 1)), ("c2", dt.date(1997, 1, 1))]
    >>> s = summarise(log, dt.date(1997, 9, 30))
    >>> s.ids, s.x.tolist(), s.t_x.round(2).tolist(), s.T.round(2).tolist()
    (['c1', 'c2'], [2.0, 0.0], [30.43, 0.0], [38.86, 38.86])

    """
    days: dict[Hashable, set[dt.date]] = {}
    for customer, day in purchases:
        if day <= end:
            days.setdefault(customer, set()).add(day)
    ids = list(days)
    x = np.empty(len(ids))
    t_x = np.empty(len(ids))
    big_t = np.empty(len(ids))
    for i, customer in enumerate(ids):
        first, last = min(days[customer]), max(days[customer])
        x[i] = len(days[customer]) - 1
        t_x[i] = (last - first).days / unit_days
        big_t[i] = (end - first).days / unit_days
    return Summary(ids=ids, x=x, t_x=t_x, T=big_t)


def _log_likelihood(
    params: FloatArray, x: FloatArray, t_x: FloatArray, big_t: FloatArray,
    distinct_x: tuple[FloatArray, NDArray[np.intp]] | None = None,
) -> FloatArray:
    """Each customer's log-likelihood at ``params``.

    ``distinct_x`` is ``np.unique(x, return_inverse=True)``: the terms of ``x`` alone are then
    computed once per distinct count and spread to the customers, the same figures bit for bit,
    a few times faster (a fit evaluates this hundreds of times; counts take few values).
    """
    r, alpha, a, b = params
    counts, customer_count = distinct_x if distinct_x is not None else (x, None)
    a1 = special.gammaln(r + counts) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + counts) - special.betaln(a, b)
    if customer_count is not None:
        a1, a2 = a1[customer_count], a2[customer_count]
    a3 = -(r + x) * np.log(alpha + big_t)
    repeat = x > 0
    a4 = np.where(
        repeat,
        np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    result: FloatArray = a1 + a2 + np.logaddexp(a3, a4)
    return result


class BGNBD:
    """BG/NBD model of repeat buying, fitted by maximum likelihood with L-BFGS-B on log-parameters.

    Parameters
    ----------
    unit_days
        Length of the model's time unit in days (7: weeks, as in the paper). Callers that work in
        days divide by it, see :func:`models.features.loyalty_features`.
    penalizer
        L2 penalty on the parameters (0 gives the plain maximum-likelihood fit).

    Examples
    --------
    >>> model = BGNBD().fit(x=[0, 1, 2, 0, 5, 3, 0, 1], t_x=[0, 4, 10, 0, 30, 20, 0, 2],
    ...                     T=[38, 38, 37, 36, 39, 35, 30, 20])
    >>> round(model.p_alive(0, 0, 38), 3)
    1.0
    >>> model.p_alive(2, 5, 38) < model.p_alive(2, 30, 38)
    True

    """

    def __init__(self, unit_days: float = 7.0, penalizer: float = 0.0) -> None:
        self.unit_days = unit_days
        self.penalizer = penalizer
        self._params: BGNBDParams | None = None
        self._log_likelihood: float | None = None
        self._n: int = 0

    @property
    def params(self) -> BGNBDParams:
        """The fitted ``(r, alpha, a, b)``."""
        if self._params is None:
            raise NotFittedError("BGNBD.params: call fit() first")
        return self._params

    @property
    def log_likelihood(self) -> float:
        """Total log-likelihood of the data at the fitted parameters."""
        if self._log_likelihood is None:
            raise NotFittedError("BGNBD.log_likelihood: call fit() first")
        return self._log_likelihood

    @property
    def n_customers(self) -> int:
        """Number of customers the model was fitted on."""
        return self._n

    def fit(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> BGNBD:  # noqa: N803
        """Fit the parameters to per-customer summaries; returns ``self``.

        Raises
        ------
        ValueError
            If the arrays differ in length, are empty, or break ``0 <= t_x <= T``,
            ``x >= 0``, or ``t_x == 0`` when ``x == 0``.

        """
        xs = np.asarray(x, dtype=float)
        txs = np.asarray(t_x, dtype=float)
        bigs = np.asarray(T, dtype=float)
        if not (xs.shape == txs.shape == bigs.shape) or xs.ndim != 1 or xs.size == 0:
            raise ValueError(
                f"BGNBD.fit: expected three non-empty 1-D arrays of one length, "
                f"found shapes {xs.shape}, {txs.shape}, {bigs.shape}"
            )
        if np.any(xs < 0) or np.any(txs < 0) or np.any(txs > bigs + 1e-9):
            raise ValueError("BGNBD.fit: expected x >= 0 and 0 <= t_x <= T for every customer")

        n = xs.size
        distinct_x = np.unique(xs, return_inverse=True)

        def objective(log_params: FloatArray) -> float:
            params = np.exp(log_params)
            with np.errstate(all="ignore"):
                penalty = self.penalizer * float(np.sum(params**2))
                value = -float(np.sum(_log_likelihood(params, xs, txs, bigs, distinct_x))) / n + penalty
            return value if math.isfinite(value) else 1e300

        # Log-parameters are bounded so that a flat likelihood (a -> 0 on some data) cannot
        # send the search to overflow.
        bounds = [(-_LOG_BOUND, _LOG_BOUND)] * 4
        result = optimize.minimize(
            objective,
            np.zeros(4),
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-10},
        )
        # A Nelder-Mead polish guards against L-BFGS-B stopping early on a flat ridge.
        polished = optimize.minimize(
            objective,
            result.x,
            method="Nelder-Mead",
            bounds=bounds,
            options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 1000},
        )
        best = polished.x if polished.fun <= result.fun else result.x
        r, alpha, a, b = (float(v) for v in np.exp(best))
        self._params = BGNBDParams(r=r, alpha=alpha, a=a, b=b)
        self._log_likelihood = float(
            np.sum(_log_likelihood(np.array([r, alpha, a, b]), xs, txs, bigs))
        )
        self._n = n
        return self

    @overload
    def p_alive(self, x: float, t_x: float, T: float) -> float: ...  # noqa: N803

    @overload
    def p_alive(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> float | FloatArray: ...  # noqa: N803

    def p_alive(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> float | FloatArray:  # noqa: N803
        """Probability that a customer with summary ``(x, t_x, T)`` is still active at ``T``.

        Scalars give a float, arrays an array.
        """
        r, alpha, a, b = self.params
        xs = np.asarray(x, dtype=float)
        txs = np.asarray(t_x, dtype=float)
        bigs = np.asarray(T, dtype=float)
        repeat = xs > 0
        log_ratio = (
            np.log(a)
            - np.log(np.where(repeat, b + xs - 1, 1.0))
            + (r + xs) * (np.log(alpha + bigs) - np.log(alpha + txs))
        )
        odds = np.where(repeat, np.exp(np.minimum(log_ratio, 700.0)), 0.0)
        result = 1.0 / (1.0 + odds)
        return float(result) if result.ndim == 0 else result

    @overload
    def expected_purchases(self, t: float, x: float, t_x: float, T: float) -> float: ...  # noqa: N803

    @overload
    def expected_purchases(
        self, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike  # noqa: N803
    ) -> float | FloatArray: ...

    def expected_purchases(
        self, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike  # noqa: N803
    ) -> float | FloatArray:
        """Expected number of purchases in the next ``t`` time units, given ``(x, t_x, T)``.

        This is the paper's conditional expectation, equation (10).
        """
        r, alpha, a, b = self.params
        ts = np.asarray(t, dtype=float)
        xs = np.asarray(x, dtype=float)
        txs = np.asarray(t_x, dtype=float)
        bigs = np.asarray(T, dtype=float)
        if math.isclose(a, 1.0, abs_tol=1e-9):
            a = 1.0 + 1e-9  # the closed form has a removable singularity at a == 1
        z = ts / (alpha + bigs + ts)
        hyp = special.hyp2f1(r + xs, b + xs, a + b + xs - 1, z)
        head = (a + b + xs - 1) / (a - 1)
        tail = 1.0 - np.exp((r + xs) * (np.log(alpha + bigs) - np.log(alpha + bigs + ts))) * hyp
        repeat = xs > 0
        log_ratio = (
            np.log(a)
            - np.log(np.where(repeat, b + xs - 1, 1.0))
            + (r + xs) * (np.log(alpha + bigs) - np.log(alpha + txs))
        )
        odds = np.where(repeat, np.exp(np.minimum(log_ratio, 700.0)), 0.0)
        result = head * tail / (1.0 + odds)
        return float(result) if result.ndim == 0 else result
