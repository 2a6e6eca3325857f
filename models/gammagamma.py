"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005), by maximum likelihood.

"RFM and CLV: Using Iso-value Curves for Customer Base Analysis", Journal of Marketing Research
42(4), and Fader & Hardie's note "The Gamma-Gamma Model of Monetary Value" (2013). A customer's
transactions have values drawn from a gamma distribution with shape ``p`` and a rate ``nu``
of their own; ``nu`` is gamma distributed over customers (shape ``q``, rate ``gamma``). The
model is fitted on the customers with repeat transactions, each summarised by ``x`` (number of
repeat transactions) and ``m_x`` (their mean value), and gives a customer's expected value per
transaction: a weighted mean of the population mean ``p * gamma / (q - 1)`` and their own
``m_x``, the weight of their own growing with ``x``.

Transactions are purchase days, as in BG/NBD (:mod:`models.bgnbd`): the value of a day is the
sum of its orders, and the first day is left out (it is not a repeat purchase, and first
purchases are often unlike the later ones). See :func:`spend_summary`.
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

__all__ = ["GammaGamma", "GammaGammaParams", "SpendSummary", "spend_summary"]

FloatArray = NDArray[np.float64]

_LOG_BOUND = 15.0  # log-parameters stay within -15 .. 15


class GammaGammaParams(NamedTuple):
    """Fitted Gamma-Gamma parameters: ``p``, ``q`` and ``gamma`` (the paper's γ)."""

    p: float
    q: float
    gamma: float


@dataclasses.dataclass(frozen=True)
class SpendSummary:
    """Per-customer ``(x, m_x)`` of a purchase log (arrays aligned with ``ids``).

    ``x`` counts purchase days after the first; ``monetary`` is the mean value of those days
    (0 when ``x`` is 0).
    """

    ids: list[Hashable]
    x: FloatArray
    monetary: FloatArray


def spend_summary(
    purchases: Iterable[tuple[Hashable, dt.date, float]], end: dt.date
) -> SpendSummary:
    """Summarise ``(customer, day, amount)`` purchases up to ``end`` (inclusive) as ``(x, m_x)``.

    Amounts of one day are summed; the first day of each customer is not a repeat purchase.

    Examples
    --------
    >>> log = [("c1", dt.date(1997, 1, 1), 30.0), ("c1", dt.date(1997, 2, 1), 10.0),
    ...        ("c1", dt.date(1997, 2, 1), 5.0), ("c1", dt.date(1997, 3, 1), 25.0),
    ...        ("c2", dt.date(1997, 1, 5), 12.0), ("c1", dt.date(1998, 1, 1), 99.0)]
    >>> s = spend_summary(log, dt.date(1997, 9, 30))
    >>> s.ids, s.x.tolist(), s.monetary.tolist()
    (['c1', 'c2'], [2.0, 0.0], [20.0, 0.0])

    """
    days: dict[Hashable, dict[dt.date, float]] = {}
    for customer, day, amount in purchases:
        if day <= end:
            spend = days.setdefault(customer, {})
            spend[day] = spend.get(day, 0.0) + float(amount)
    ids = list(days)
    x = np.zeros(len(ids))
    monetary = np.zeros(len(ids))
    for i, customer in enumerate(ids):
        spend = days[customer]
        first = min(spend)
        repeat = [value for day, value in spend.items() if day != first]
        if repeat:
            x[i] = len(repeat)
            monetary[i] = sum(repeat) / len(repeat)
    return SpendSummary(ids=ids, x=x, monetary=monetary)


def _log_likelihood(params: FloatArray, x: FloatArray, m: FloatArray) -> FloatArray:
    p, q, gamma = params
    px = p * x
    result: FloatArray = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )
    return result


def _params(theta: FloatArray) -> FloatArray:
    # q = 1 + e^θ: the population mean p * gamma / (q - 1) must exist.
    return np.array([math.exp(theta[0]), 1.0 + math.exp(theta[1]), math.exp(theta[2])])


class GammaGamma:
    """Gamma-Gamma spend model, fitted by maximum likelihood (L-BFGS-B, then Nelder-Mead).

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters (0 gives the plain maximum-likelihood fit).

    Examples
    --------
    Customers drawn from the model with ``p = 6``, ``q = 4``, ``gamma = 15`` (mean 30):

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = rng.integers(1, 10, size=2000).astype(float)
    >>> nu = rng.gamma(4.0, 1 / 15.0, size=2000)
    >>> m_x = np.array([rng.gamma(6.0 * k, 1 / (n * k)) for k, n in zip(x, nu)])
    >>> model = GammaGamma().fit(x, m_x)
    >>> [round(v, 1) for v in model.params], round(model.mean_order_value, 2)
    ([7.0, 3.8, 12.2], 30.11)

    A big spender's expected order value moves towards the population mean, less so the more
    often they have bought; a customer without repeat purchases gets the population mean:

    >>> [round(model.expected_order_value(n, 100.0), 2) for n in (1, 9)]
    [79.85, 96.99]
    >>> round(model.expected_order_value(0, 0.0), 2)
    30.11

    """

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer
        self._params: GammaGammaParams | None = None
        self._log_likelihood: float | None = None
        self._n = 0

    @property
    def params(self) -> GammaGammaParams:
        """The fitted ``(p, q, gamma)``."""
        if self._params is None:
            raise NotFittedError("GammaGamma.params: call fit() first")
        return self._params

    @property
    def log_likelihood(self) -> float:
        """Total log-likelihood of the data at the fitted parameters."""
        if self._log_likelihood is None:
            raise NotFittedError("GammaGamma.log_likelihood: call fit() first")
        return self._log_likelihood

    @property
    def n_customers(self) -> int:
        """Number of customers the model was fitted on."""
        return self._n

    @property
    def mean_order_value(self) -> float:
        """The population's expected value per transaction, ``p * gamma / (q - 1)``."""
        p, q, gamma = self.params
        return p * gamma / (q - 1.0)

    def fit(self, frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGamma:
        """Fit to the repeat buyers' ``x`` and ``m_x``; returns ``self``.

        Raises
        ------
        ValueError
            If the arrays differ in length or are empty, or a customer has ``x < 1`` or
            ``m_x <= 0`` (leave out customers without repeat purchases or with no spend).

        """
        x = np.asarray(frequency, dtype=float)
        m = np.asarray(monetary_value, dtype=float)
        if x.shape != m.shape or x.ndim != 1 or x.size == 0:
            raise ValueError(
                f"GammaGamma.fit: expected two non-empty 1-D arrays of one length, "
                f"found shapes {x.shape}, {m.shape}"
            )
        if np.any(x < 1) or np.any(~np.isfinite(m)) or np.any(m <= 0):
            raise ValueError(
                "GammaGamma.fit: expected x >= 1 and a finite m_x > 0 for every customer "
                "(fit on repeat buyers only)"
            )
        n = x.size

        def objective(theta: FloatArray) -> float:
            params = _params(theta)
            with np.errstate(all="ignore"):
                penalty = self.penalizer * float(np.sum(params**2))
                value = -float(np.sum(_log_likelihood(params, x, m))) / n + penalty
            return value if math.isfinite(value) else 1e300

        bounds = [(-_LOG_BOUND, _LOG_BOUND)] * 3
        # Start from the method of moments' scale: gamma near the mean spend.
        start = np.array([0.0, 0.0, math.log(max(float(np.mean(m)), 1e-6))])
        start = np.clip(start, -_LOG_BOUND, _LOG_BOUND)
        result = optimize.minimize(
            objective,
            start,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 500, "ftol": 1e-14, "gtol": 1e-10},
        )
        polished = optimize.minimize(
            objective,
            result.x,
            method="Nelder-Mead",
            bounds=bounds,
            options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 600},
        )
        best = polished.x if polished.fun <= result.fun else result.x
        p, q, gamma = (float(v) for v in _params(best))
        self._params = GammaGammaParams(p=p, q=q, gamma=gamma)
        self._log_likelihood = float(np.sum(_log_likelihood(np.array([p, q, gamma]), x, m)))
        self._n = n
        return self

    @overload
    def expected_order_value(self, frequency: float, monetary_value: float) -> float: ...

    @overload
    def expected_order_value(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> float | FloatArray: ...

    def expected_order_value(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> float | FloatArray:
        """Expected value per transaction of a customer with ``x`` repeat transactions of mean ``m_x``.

        ``(q - 1) / (p x + q - 1)`` of the population mean plus ``p x / (p x + q - 1)`` of their
        own mean; a customer without repeat purchases (``x == 0``) gets the population mean.
        Scalars give a float, arrays an array.
        """
        p, q, gamma = self.params
        x = np.maximum(np.asarray(frequency, dtype=float), 0.0)
        m = np.maximum(np.asarray(monetary_value, dtype=float), 0.0)
        own = p * x / (p * x + q - 1.0)
        result = (1.0 - own) * (p * gamma / (q - 1.0)) + own * m
        return float(result) if result.ndim == 0 else result
