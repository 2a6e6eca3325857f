"""Offline evaluation of the loyalty model against BG/NBD on "buys again in the holdout".

Any purchase log (:func:`models.datasets.load_log`) is split into a calibration period and a
holdout of the following ``horizon_days`` (by default the log's last 90 days, see
:mod:`models.periods`). The CDNOW sample is the one exception: with no cutoff and no horizon
given, a CDNOW log that spans Fader, Hardie & Lee's calibration end is split as in their paper
(calibration to 1997-09-30, holdout to 1998-06-30), so that the BG/NBD fit can be set next to
their published parameters.
"""

from __future__ import annotations

import datetime as dt
import heapq
import time
from pathlib import Path
from typing import Any

import numpy as np

from models.bgnbd import BGNBD, summarise
from models.clv import fit_bgnbd
from models.csv_logs import ColumnMap
from models.datasets import Format, TransactionLog, load_log
from models.features import PurchaseHistory, loyalty_features, record_order, record_refund
from models.loyalty import LoyaltyModel
from models.metrics import roc_auc
from models.periods import DEFAULT_HORIZON_DAYS, PeriodError, Periods, end_of, periods_of
from models.reports import Progress, skipped_lines, table, tick

__all__ = [
    "PUBLISHED_BGNBD",
    "PUBLISHED_CDNOW_SPLIT",
    "evaluate_loyalty",
    "format_loyalty_report",
    "loyalty_periods",
]

#: Fader, Hardie & Lee (2005), BG/NBD on the CDNOW sample, 39-week calibration, weeks.
PUBLISHED_BGNBD: dict[str, float] = {
    "r": 0.243,
    "alpha": 4.414,
    "a": 0.793,
    "b": 2.426,
    "log_likelihood": -9582.4,
}


#: Fader, Hardie & Lee's CDNOW protocol: calibration to 1997-09-30 (39 weeks after the cohort's
#: first purchases began), holdout to 1998-06-30 (the following 39 weeks).
PUBLISHED_CDNOW_SPLIT: tuple[dt.date, dt.date] = (dt.date(1997, 9, 30), dt.date(1998, 6, 30))


def loyalty_periods(
    log: TransactionLog,
    fmt: Format,
    *,
    cutoff: dt.date | None = None,
    horizon_days: float | None = None,
    published_split: bool | None = None,
) -> Periods:
    """The periods :func:`evaluate_loyalty` uses for ``log`` (see the module's notes).

    ``published_split`` forces (``True``) or refuses (``False``) the paper's CDNOW split; by
    default it is used for a CDNOW log spanning 1997-09-30 when no cutoff or horizon is given.

    Raises
    ------
    PeriodError
        If the periods do not fit in the log (see :func:`models.periods.periods_of`).

    Examples
    --------
    >>> from models.transactions import Transaction
    >>> day = lambda y, m, d: dt.datetime(y, m, d, tzinfo=dt.UTC)
    >>> cdnow = TransactionLog("cd.txt", [Transaction("1", "1", day(1997, 1, 1), 9.0),
    ...                                   Transaction("1", "2", day(1998, 6, 30), 9.0)], lines=2)
    >>> loyalty_periods(cdnow, "cdnow").source, loyalty_periods(cdnow, "cdnow").cutoff
    ('published', datetime.date(1997, 9, 30))
    >>> p = loyalty_periods(cdnow, "cdnow", horizon_days=90)
    >>> p.source, p.cutoff
    ('data', datetime.date(1998, 4, 1))

    """
    calibration_end, holdout_end = PUBLISHED_CDNOW_SPLIT
    if published_split is None:
        published_split = fmt == "cdnow" and cutoff is None and horizon_days is None and bool(
            log.transactions
        ) and log.transactions[0].at.date() <= calibration_end < log.transactions[-1].at.date()
    if published_split:
        if not log.transactions or log.transactions[0].at.date() > calibration_end:
            raise PeriodError(log.path, f"the published split needs purchases up to {calibration_end}")
        return Periods(
            first_day=log.transactions[0].at.date(),
            cutoff=calibration_end,
            holdout_end=holdout_end,
            source="published",
        )
    return periods_of(
        log, cutoff=cutoff, horizon_days=DEFAULT_HORIZON_DAYS if horizon_days is None else horizon_days
    )


def _fit_bgnbd(purchases: list[tuple[str, dt.date]], end: dt.date) -> BGNBD | None:
    return fit_bgnbd(purchases, end)


def _replay_loyalty(
    log: TransactionLog,
    calibration_end: dt.date,
    model: LoyaltyModel,
    review_days: float,
    progress: Progress | None,
    total: int,
) -> tuple[dict[str, PurchaseHistory], list[tuple[str, dt.date]], int]:
    """Stream the calibration period through ``model``; returns histories, purchases, events.

    A customer is snapshotted at each order and, between orders, every ``review_days`` after
    the latest snapshot (as a per-customer timer in the worker would). BG/NBD is refitted on the
    orders so far every ``review_days`` of stream time.
    """
    cutoff = end_of(calibration_end)
    step = dt.timedelta(days=review_days)
    histories: dict[str, PurchaseHistory] = {}
    purchases: list[tuple[str, dt.date]] = []
    last_snapshot: dict[str, dt.datetime] = {}
    reviews: list[tuple[dt.datetime, str]] = []  # (due, customer); stale entries are skipped
    bgnbd: BGNBD | None = None
    events = 0
    transactions = [t for t in log.transactions if t.at < cutoff]
    next_refit = transactions[0].at + step if transactions else cutoff

    def snapshot(customer: str, at: dt.datetime) -> None:
        features = loyalty_features(
            histories[customer], at, bgnbd=bgnbd, horizon_days=model.horizon_days
        )
        model.snapshot(customer, features, at)
        last_snapshot[customer] = at
        heapq.heappush(reviews, (at + step, customer))

    def advance(now: dt.datetime) -> None:
        """Run the refits and reviews due up to ``now``, in time order, then expire labels."""
        nonlocal bgnbd, next_refit
        while True:
            due = reviews[0][0] if reviews else None
            if next_refit <= now and (due is None or next_refit <= due):
                bgnbd = _fit_bgnbd(purchases, (next_refit - dt.timedelta(days=1)).date()) or bgnbd
                next_refit += step
            elif due is not None and due <= now:
                _, customer = heapq.heappop(reviews)
                if last_snapshot[customer] + step <= due:
                    model.expire(due)
                    snapshot(customer, due)
            else:
                break
        model.expire(now)

    for done, transaction in enumerate(transactions, start=1):
        advance(transaction.at)
        customer = transaction.customer_id
        if transaction.refund:
            refunded = record_refund(histories.get(customer))
            if refunded is not None:
                histories[customer] = refunded
        else:
            model.resolve(customer, transaction.at)
            histories[customer] = record_order(
                histories.get(customer),
                transaction.at,
                transaction.amount,
                discounted=transaction.discounted,
            )
            purchases.append((customer, transaction.at.date()))
            snapshot(customer, transaction.at)
        events += 1
        tick(progress, done, total)
    advance(cutoff)
    return histories, purchases, events


def evaluate_loyalty(
    path: str | Path,
    fmt: Format,
    progress: Progress | None = None,
    *,
    cutoff: dt.date | None = None,
    horizon_days: float | None = None,
    columns: ColumnMap | str | None = None,
    review_days: float = 30.0,
    published_split: bool | None = None,
) -> dict[str, Any]:
    """Compare :class:`~models.loyalty.LoyaltyModel` with BG/NBD on "buys again in the holdout".

    The loyalty model learns online over the calibration period only (snapshots at every order
    and every ``review_days`` for every customer, delayed labels over its horizon, BG/NBD
    features refitted at each review), then scores every customer at the cutoff. BG/NBD is
    fitted on the calibration period and scores the same customers by ``p_alive`` and by
    expected purchases in the holdout. The label is "ordered at least once in the holdout".

    Parameters
    ----------
    path
        A purchase log, e.g. ``CDNOW_sample.txt`` or ``online_retail_ii_2009_2010.csv.gz``.
    fmt
        ``"cdnow"``, ``"online-retail"`` or ``"csv"`` (see :func:`models.datasets.load_log`).
    progress
        ``progress(done, total)`` in transactions processed.
    cutoff
        Last day of the calibration period; by default the log's last day less the horizon.
    horizon_days
        Days of the holdout and horizon of the loyalty model (default 90).
    columns
        Column mapping of a ``"csv"`` log.
    review_days
        Days between review snapshots of every customer.
    published_split
        Use Fader, Hardie & Lee's CDNOW periods (see :func:`loyalty_periods`).

    Raises
    ------
    DataFileError
        If the file cannot be read as ``fmt``, or (:class:`~models.periods.PeriodError`) the
        periods do not fit in it or no customer bought on two days before the cutoff.
    ValueError
        On an unknown format or a missing column mapping.

    """
    started = time.perf_counter()
    log = load_log(path, fmt, columns=columns)
    load_seconds = time.perf_counter() - started
    periods = loyalty_periods(
        log, fmt, cutoff=cutoff, horizon_days=horizon_days, published_split=published_split
    )
    calibration_end, holdout_end = periods.cutoff, periods.holdout_end
    cutoff_at, holdout_until = periods.scored_at, periods.holdout_until
    purchases_before = [(t.customer_id, t.at.date()) for t in log.transactions
                        if not t.refund and t.at < cutoff_at]
    summary = summarise(purchases_before, calibration_end)
    if not np.any(summary.x > 0):
        raise PeriodError(
            log.path,
            f"no customer bought on two different days up to the cutoff {calibration_end} "
            f"({len(summary.ids)} customers); BG/NBD and the loyalty model need repeat buyers: "
            f"expected a later cutoff or a longer log{log.one_order_each()}",
        )
    holdout_buyers = {
        t.customer_id for t in log.transactions if not t.refund and cutoff_at <= t.at < holdout_until
    }
    ordered = sum(1 for c in summary.ids if str(c) in holdout_buyers)
    if ordered in (0, len(summary.ids)):
        raise PeriodError(
            log.path,
            f"{'all' if ordered else 'none'} of the {len(summary.ids)} customers known at the cutoff "
            f"{calibration_end} ordered in the holdout; ROC AUC needs customers who did and customers who "
            f"did not: expected a log with more customers, or another cutoff",
        )
    total = sum(1 for t in log.transactions if t.at < cutoff_at)
    model_horizon = DEFAULT_HORIZON_DAYS if horizon_days is None else horizon_days
    model = LoyaltyModel(horizon_days=model_horizon)
    started = time.perf_counter()
    histories, _, events = _replay_loyalty(log, calibration_end, model, review_days, progress, total)
    replay_seconds = time.perf_counter() - started

    bgnbd = fit_bgnbd(summary, horizon_days=max(periods.horizon_days, model_horizon), min_customers=1)
    if bgnbd is None:
        raise PeriodError(
            log.path, f"BG/NBD cannot be fitted to the {len(summary.ids)} customers up to the cutoff "
            f"{calibration_end} (its predictions do not stay finite); expected a longer calibration period",
        )
    customers = [str(c) for c in summary.ids]
    labels = np.array([c in holdout_buyers for c in customers], dtype=bool)
    started = time.perf_counter()
    loyalty_scores = np.array(
        [
            model.predict_proba_one(
                loyalty_features(histories[c], cutoff_at, bgnbd=bgnbd, horizon_days=model_horizon)
            )
            for c in customers
        ]
    )
    score_seconds = time.perf_counter() - started
    holdout_units = periods.horizon_days / bgnbd.unit_days
    p_alive = np.asarray(bgnbd.p_alive(summary.x, summary.t_x, summary.T))
    expected = np.asarray(bgnbd.expected_purchases(holdout_units, summary.x, summary.t_x, summary.T))
    bgnbd_auc_alive = roc_auc(labels, p_alive)
    bgnbd_auc_expected = roc_auc(labels, expected)
    loyalty_auc = roc_auc(labels, loyalty_scores)
    params = bgnbd.params
    return {
        "data": str(path),
        "format": fmt,
        "layout": log.layout,
        "transactions": len(log.transactions),
        "lines": log.lines,
        "guest_lines_skipped": log.guest_lines,
        "not_sales_skipped": log.not_sales,
        "open_deals_skipped": log.open_deals,
        "refunds": sum(1 for t in log.transactions if t.refund),
        "periods": periods.source,
        "calibration": {
            "start": periods.first_day.isoformat(),
            "end": calibration_end.isoformat(),
            "transactions": events,
        },
        "holdout": {
            "start": periods.holdout_start.isoformat(),
            "end": holdout_end.isoformat(),
            "days": periods.horizon_days,
        },
        "customers": len(customers),
        "holdout_buyers": int(labels.sum()),
        "loyalty": {
            "roc_auc": loyalty_auc,
            "horizon_days": model_horizon,
            "review_days": review_days,
            "learned": model.n_learned,
            "prequential_roc_auc": model.score.roc_auc,
            "prequential_recent_roc_auc": model.score.recent_roc_auc,
            "prequential_log_loss": model.score.log_loss,
        },
        "bgnbd": {
            "r": params.r,
            "alpha": params.alpha,
            "a": params.a,
            "b": params.b,
            "log_likelihood": bgnbd.log_likelihood,
            "roc_auc_p_alive": bgnbd_auc_alive,
            "roc_auc_expected_purchases": bgnbd_auc_expected,
        },
        "published_bgnbd": dict(PUBLISHED_BGNBD) if periods.source == "published" else None,
        "loyalty_beats_bgnbd": bool(loyalty_auc >= max(bgnbd_auc_alive, bgnbd_auc_expected)),
        "timing": {
            "load_seconds": load_seconds,
            "replay_seconds": replay_seconds,
            "score_us_per_customer": 1e6 * score_seconds / max(len(customers), 1),
        },
    }


def format_loyalty_report(result: dict[str, Any]) -> str:
    """A human-readable report of :func:`evaluate_loyalty`'s result.

    Examples
    --------
    >>> result = {"data": "cd.txt", "format": "cdnow", "layout": "CDNOW sample", "transactions": 10,
    ...           "customers": 4,
    ...           "holdout_buyers": 2, "guest_lines_skipped": 0, "refunds": 0,
    ...           "calibration": {"end": "1997-09-30", "transactions": 6},
    ...           "holdout": {"start": "1997-10-01", "end": "1998-06-30", "days": 273},
    ...           "loyalty": {"roc_auc": 0.8, "horizon_days": 90.0, "review_days": 30.0,
    ...                       "learned": 12, "prequential_roc_auc": 0.7,
    ...                       "prequential_log_loss": 0.5},
    ...           "bgnbd": {"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4,
    ...                     "log_likelihood": -9582.4, "roc_auc_p_alive": 0.7,
    ...                     "roc_auc_expected_purchases": 0.75},
    ...           "published_bgnbd": None, "loyalty_beats_bgnbd": True}
    >>> print("\\n".join(format_loyalty_report(result).splitlines()[:2]))
    Loyalty on cd.txt (CDNOW sample): 10 transactions, 4 customers at the calibration end
    Calibration: up to 1997-09-30 (6 transactions); holdout: 1997-10-01 to 1998-06-30 (273 days); 2 customers ordered in the holdout.

    """
    bg = result["bgnbd"]
    loyalty = result["loyalty"]
    holdout = result["holdout"]
    rows = [
        ["LoyaltyModel (online, delayed labels)", f"{loyalty['roc_auc']:.4f}"],
        ["BG/NBD p_alive", f"{bg['roc_auc_p_alive']:.4f}"],
        ["BG/NBD expected purchases in holdout", f"{bg['roc_auc_expected_purchases']:.4f}"],
    ]
    params = [["this fit", f"{bg['r']:.4f}", f"{bg['alpha']:.4f}", f"{bg['a']:.4f}",
               f"{bg['b']:.4f}", f"{bg['log_likelihood']:.1f}"]]
    published = result.get("published_bgnbd")
    if published:
        params.append(["Fader, Hardie & Lee (2005)", f"{published['r']:.3f}",
                       f"{published['alpha']:.3f}", f"{published['a']:.3f}",
                       f"{published['b']:.3f}", f"{published['log_likelihood']:.1f}"])
    verdict = "beats" if result["loyalty_beats_bgnbd"] else "does NOT beat"
    source = {
        "data": f"the log's last {holdout['days']} days",
        "cutoff": "the given cutoff",
        "published": "Fader, Hardie & Lee's CDNOW split",
    }.get(result.get("periods", ""), "")
    lines = [
        f"Loyalty on {result['data']} ({result.get('layout') or result['format']}): "
        f"{result['transactions']} transactions, "
        f"{result['customers']} customers at the calibration end",
        f"Calibration: up to {result['calibration']['end']} ({result['calibration']['transactions']} "
        f"transactions); holdout: {holdout['start']} to {holdout['end']} ({holdout['days']} days); "
        f"{result['holdout_buyers']} customers ordered in the holdout.",
        *([f"Periods: {source}."] if source else []),
        skipped_lines(result["guest_lines_skipped"], result.get("not_sales_skipped", 0),
                      result.get("open_deals_skipped", 0)) + f" Refunds: {result['refunds']}.",
        "",
        "ROC AUC for 'orders again in the holdout period', same customers:",
        *table(["score", "ROC AUC"], rows),
        "",
        f"The loyalty model {verdict} BG/NBD. It learned {loyalty['learned']} delayed labels "
        f"(horizon {loyalty['horizon_days']:g} days, reviews every {loyalty['review_days']:g} days); "
        f"prequential ROC AUC {loyalty['prequential_roc_auc']:.3f}, "
        f"log loss {loyalty['prequential_log_loss']:.3f}.",
        "",
        "BG/NBD fitted on the calibration period (time in weeks):",
        *table(["", "r", "alpha", "a", "b", "log-lik."], params),
    ]
    return "\n".join(lines)
