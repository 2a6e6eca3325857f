"""BG/NBD and Gamma-Gamma fitted on a purchase log up to a day, guarded for logs that break them.

On some logs the plain maximum-likelihood fit of BG/NBD runs off to parameters in the millions
(customers who all buy steadily and none drop out leave the dropout process unidentified), and
its conditional expectations overflow to NaN. :func:`fit_bgnbd` then refits with a growing L2
penalty until every customer's ``p_alive`` and expected purchases are finite, or gives up
(``None``). Both fits need a minimum number of customers, and Gamma-Gamma needs repeat buyers
with some spend.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable

import numpy as np

from models.bgnbd import BGNBD, Summary, summarise
from models.gammagamma import GammaGamma, SpendSummary, spend_summary

__all__ = ["MIN_CUSTOMERS", "fit_bgnbd", "fit_gammagamma"]

#: Fewer customers than this (or repeat buyers, for Gamma-Gamma) give no fit.
MIN_CUSTOMERS = 20

_PENALTIES = (0.0, 1e-4, 1e-3, 1e-2, 1e-1)


def _finite(model: BGNBD, summary: Summary, horizon_units: float) -> bool:
    with np.errstate(all="ignore"):
        alive = np.asarray(model.p_alive(summary.x, summary.t_x, summary.T))
        expected = np.asarray(model.expected_purchases(horizon_units, summary.x, summary.t_x, summary.T))
    return bool(np.all(np.isfinite(alive)) and np.all(np.isfinite(expected)) and np.all(expected >= 0))


def fit_bgnbd(
    purchases: Iterable[tuple[Hashable, dt.date]] | Summary,
    end: dt.date | None = None,
    *,
    horizon_days: float = 90.0,
    min_customers: int = MIN_CUSTOMERS,
) -> BGNBD | None:
    """BG/NBD (weeks) on ``(customer, day)`` purchases up to ``end``, or on a ready summary.

    ``None`` with fewer than ``min_customers`` customers, no repeat buyer, or no fit whose
    predictions over ``horizon_days`` are finite for every customer (see the module's notes).

    Examples
    --------
    >>> day = dt.date(2024, 1, 1)
    >>> log = [(c, day + dt.timedelta(days=d)) for c in range(30) for d in range(0, 7 * (c % 5) + 1, 7)]
    >>> model = fit_bgnbd(log, day + dt.timedelta(days=60))
    >>> model is not None and 0.0 < model.p_alive(2, 3.0, 8.0) <= 1.0
    True
    >>> fit_bgnbd(log[:5], day + dt.timedelta(days=60)) is None  # too few customers
    True

    """
    if isinstance(purchases, Summary):
        summary = purchases
    else:
        if end is None:
            raise ValueError("fit_bgnbd: expected the last day of the purchases (end)")
        summary = summarise(purchases, end)
    if len(summary.ids) < min_customers or not np.any(summary.x > 0):
        return None
    for penalty in _PENALTIES:
        try:
            model = BGNBD(penalizer=penalty).fit(summary.x, summary.t_x, summary.T)
        except ValueError:
            return None
        if _finite(model, summary, horizon_days / model.unit_days):
            return model
    return None


def fit_gammagamma(
    purchases: Iterable[tuple[Hashable, dt.date, float]] | SpendSummary,
    end: dt.date | None = None,
    *,
    min_customers: int = MIN_CUSTOMERS,
) -> GammaGamma | None:
    """Gamma-Gamma on ``(customer, day, amount)`` orders up to ``end``, or on a ready summary.

    Fitted on the repeat buyers whose repeat days have a positive mean value; ``None`` with
    fewer than ``min_customers`` of them.

    Examples
    --------
    >>> day = dt.date(2024, 1, 1)
    >>> log = [(c, day + dt.timedelta(days=d), 10.0 + c + d % 3) for c in range(30) for d in (0, 5, 9)]
    >>> model = fit_gammagamma(log, day + dt.timedelta(days=30))
    >>> model is not None and 10.0 < model.mean_order_value < 45.0
    True

    """
    if isinstance(purchases, SpendSummary):
        summary = purchases
    else:
        if end is None:
            raise ValueError("fit_gammagamma: expected the last day of the purchases (end)")
        summary = spend_summary(purchases, end)
    usable = (summary.x > 0) & (summary.monetary > 0) & np.isfinite(summary.monetary)
    if int(usable.sum()) < min_customers:
        return None
    try:
        return GammaGamma().fit(summary.x[usable], summary.monetary[usable])
    except ValueError:
        return None
