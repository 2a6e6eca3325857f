"""Offline evaluation of the intent and loyalty models on the public data sets.

The same model code as the live worker runs here on the files described in
``../shared/data/SOURCES.md``; the results sit next to the published figures they are compared
against.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from models.bgnbd import BGNBD, summarise
from models.datasets import TransactionLog, load_cdnow, load_online_retail, load_online_shoppers
from models.features import PurchaseHistory, loyalty_features, record_order, record_refund
from models.intent import IntentModel
from models.loyalty import LoyaltyModel
from models.metrics import roc_auc

__all__ = [
    "LOYALTY_PERIODS",
    "PUBLISHED_BGNBD",
    "PUBLISHED_INTENT",
    "Progress",
    "evaluate_intent",
    "evaluate_loyalty",
    "format_intent_report",
    "format_loyalty_report",
]

#: ``progress(done, total)``, called now and then during a long evaluation.
Progress = Callable[[int, int], None]

#: Sakar et al. (2019), batch classifiers, 70/30 split, original (imbalanced) test set.
PUBLISHED_INTENT: tuple[dict[str, Any], ...] = (
    {"classifier": "Random forest", "accuracy": 0.8951, "tpr": 0.57, "tnr": 0.96, "f1": 0.58},
    {"classifier": "C4.5", "accuracy": 0.8892, "tpr": 0.57, "tnr": 0.96, "f1": 0.57},
    {"classifier": "MLP, 20 hidden", "accuracy": 0.8792, "tpr": 0.56, "tnr": 0.96, "f1": 0.58},
    {"classifier": "SVM, linear", "accuracy": 0.8825, "tpr": 0.42, "tnr": 0.97, "f1": 0.52},
)

#: Fader, Hardie & Lee (2005), BG/NBD on the CDNOW sample, 39-week calibration, weeks.
PUBLISHED_BGNBD: dict[str, float] = {
    "r": 0.243,
    "alpha": 4.414,
    "a": 0.793,
    "b": 2.426,
    "log_likelihood": -9582.4,
}

#: Calibration end and holdout end (both inclusive) of each purchase-log format.
LOYALTY_PERIODS: dict[str, tuple[dt.date, dt.date]] = {
    "cdnow": (dt.date(1997, 9, 30), dt.date(1998, 6, 30)),
    "online-retail": (dt.date(2010, 8, 31), dt.date(2010, 12, 9)),
}

_TEST_SHARE = 0.3
_PROGRESS_EVERY = 500


def _mean_std(values: Sequence[float]) -> dict[str, float]:
    return {
        "mean": statistics.fmean(values),
        "std": statistics.pstdev(values) if len(values) > 1 else 0.0,
    }


def _tick(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None and (done % _PROGRESS_EVERY == 0 or done == total):
        progress(done, total)


def _classification(
    y_true: NDArray[np.bool_], p: NDArray[np.float64], threshold: float
) -> dict[str, float]:
    predicted = p >= threshold
    tp = int(np.sum(predicted & y_true))
    fp = int(np.sum(predicted & ~y_true))
    fn = int(np.sum(~predicted & y_true))
    tn = int(np.sum(~predicted & ~y_true))
    return {
        "accuracy": (tp + tn) / len(y_true),
        "tpr": tp / (tp + fn) if tp + fn else 0.0,
        "tnr": tn / (tn + fp) if tn + fp else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
        "roc_auc": roc_auc(y_true, p),
    }


def evaluate_intent(
    path: str | Path,
    repeats: int = 10,
    seed: int = 42,
    progress: Progress | None = None,
    *,
    limit: int | None = None,
) -> dict[str, Any]:
    """Evaluate :class:`~models.intent.IntentModel` on the UCI Online Shoppers data set.

    Sakar et al.'s protocol, online: for each repeat, a random 70/30 split (seed ``seed + i``),
    one pass over the training rows in random order (each predicted before it is learned; the
    threshold comes from those predictions), then the test rows are scored without learning.
    Also one prequential pass over the whole file in file order.

    Parameters
    ----------
    path
        ``online_shoppers_intention.csv``.
    repeats
        Number of random splits.
    seed
        Seed of the first split.
    progress
        ``progress(done, total)`` in rows processed.
    limit
        Use only the first ``limit`` rows (for quick checks, not for reported figures).

    Returns
    -------
    dict
        ``test`` holds mean and std of accuracy, TPR, TNR, F1 and ROC AUC on the test rows;
        ``progressive`` the prequential figures in file order; ``published`` the paper's;
        ``timing_us`` microseconds per ``learn_one`` and ``predict_proba_one``.

    """
    rows = load_online_shoppers(path)
    if limit is not None:
        rows = rows[:limit]
    n = len(rows)
    n_test = round(n * _TEST_SHARE)
    n_train = n - n_test
    total = repeats * n + n
    done = 0
    per_repeat: list[dict[str, float]] = []
    learn_seconds = predict_seconds = 0.0
    learned = predicted = 0
    for repeat in range(repeats):
        order = np.random.default_rng(seed + repeat).permutation(n)
        model = IntentModel()
        started = time.perf_counter()
        for index in order[:n_train]:
            x, y = rows[index]
            model.learn_one(x, y)
            done += 1
            _tick(progress, done, total)
        learn_seconds += time.perf_counter() - started
        learned += n_train
        test = order[n_train:]
        started = time.perf_counter()
        p = np.array([model.predict_proba_one(rows[i][0]) for i in test])
        predict_seconds += time.perf_counter() - started
        predicted += len(test)
        done += len(test)
        _tick(progress, done, total)
        y_test = np.array([rows[i][1] for i in test], dtype=bool)
        figures = _classification(y_test, p, model.threshold)
        figures["threshold"] = model.threshold
        per_repeat.append(figures)

    stream_model = IntentModel()
    stream_p: list[float] = []
    for x, y in rows:
        stream_p.append(stream_model.predict_proba_one(x))
        stream_model.learn_one(x, y)
        done += 1
        _tick(progress, done, total)
    labels = np.array([y for _, y in rows], dtype=bool)

    names = ("accuracy", "tpr", "tnr", "f1", "roc_auc", "threshold")
    return {
        "data": str(path),
        "rows": n,
        "buyers": int(labels.sum()),
        "protocol": {
            "repeats": repeats,
            "seed": seed,
            "train_rows": n_train,
            "test_rows": n_test,
            "passes": 1,
            "threshold": "chosen on the training stream's prequential predictions",
        },
        "model": {
            "name": "IntentModel",
            "learning_rate": stream_model.learning_rate,
            "accuracy_tolerance": stream_model.accuracy_tolerance,
        },
        "test": {name: _mean_std([r[name] for r in per_repeat]) for name in names},
        "repeats": per_repeat,
        "progressive": {
            "order": "file",
            "roc_auc": roc_auc(labels, np.array(stream_p)),
            "river_roc_auc": stream_model.score.roc_auc,
            "log_loss": stream_model.score.log_loss,
        },
        "published": [dict(row) for row in PUBLISHED_INTENT],
        "timing_us": {
            "learn_one": 1e6 * learn_seconds / max(learned, 1),
            "predict_proba_one": 1e6 * predict_seconds / max(predicted, 1),
        },
    }


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def _fit_bgnbd(purchases: list[tuple[str, dt.date]], end: dt.date) -> BGNBD | None:
    summary = summarise(purchases, end)
    if len(summary.ids) < 20 or not np.any(summary.x > 0):
        return None
    try:
        return BGNBD().fit(summary.x, summary.t_x, summary.T)
    except ValueError:
        return None


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
    cutoff = _end_of(calibration_end)
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
        _tick(progress, done, total)
    advance(cutoff)
    return histories, purchases, events


def evaluate_loyalty(
    path: str | Path,
    fmt: Literal["cdnow", "online-retail"],
    progress: Progress | None = None,
    *,
    horizon_days: float = 90.0,
    review_days: float = 30.0,
) -> dict[str, Any]:
    """Compare :class:`~models.loyalty.LoyaltyModel` with BG/NBD on "buys again in the holdout".

    Time is split at a calibration end (CDNOW: 1997-09-30, the paper's; Online Retail II:
    2010-08-31, leaving 100 days of holdout to 2010-12-09). The loyalty model learns online over
    the calibration period only (snapshots at every order and every ``review_days`` for every
    customer, delayed labels over ``horizon_days``, BG/NBD features refitted at each review),
    then scores every customer at the calibration end. BG/NBD is fitted on the calibration
    period and scores the same customers by ``p_alive`` and by expected purchases in the holdout.
    The label is "ordered at least once in the holdout period".

    Parameters
    ----------
    path
        ``CDNOW_sample.txt`` or ``online_retail_ii_2009_2010.csv.gz``.
    fmt
        ``"cdnow"`` or ``"online-retail"``.
    progress
        ``progress(done, total)`` in transactions processed.
    horizon_days
        The loyalty model's horizon.
    review_days
        Days between review snapshots of every customer.

    """
    if fmt not in LOYALTY_PERIODS:
        raise ValueError(f"evaluate_loyalty: expected fmt in {sorted(LOYALTY_PERIODS)}, found {fmt!r}")
    started = time.perf_counter()
    log = load_cdnow(path) if fmt == "cdnow" else load_online_retail(path)
    load_seconds = time.perf_counter() - started
    calibration_end, holdout_end = LOYALTY_PERIODS[fmt]
    cutoff = _end_of(calibration_end)
    holdout_cutoff = _end_of(holdout_end)
    total = sum(1 for t in log.transactions if t.at < cutoff)

    model = LoyaltyModel(horizon_days=horizon_days)
    started = time.perf_counter()
    histories, purchases, events = _replay_loyalty(
        log, calibration_end, model, review_days, progress, total
    )
    replay_seconds = time.perf_counter() - started

    summary = summarise(purchases, calibration_end)
    bgnbd = BGNBD().fit(summary.x, summary.t_x, summary.T)
    holdout_buyers = {
        t.customer_id
        for t in log.transactions
        if not t.refund and cutoff <= t.at < holdout_cutoff
    }
    customers = [str(c) for c in summary.ids]
    labels = np.array([c in holdout_buyers for c in customers], dtype=bool)
    started = time.perf_counter()
    loyalty_scores = np.array(
        [
            model.predict_proba_one(
                loyalty_features(histories[c], cutoff, bgnbd=bgnbd, horizon_days=horizon_days)
            )
            for c in customers
        ]
    )
    score_seconds = time.perf_counter() - started
    holdout_units = (holdout_end - calibration_end).days / bgnbd.unit_days
    p_alive = np.asarray(bgnbd.p_alive(summary.x, summary.t_x, summary.T))
    expected = np.asarray(bgnbd.expected_purchases(holdout_units, summary.x, summary.t_x, summary.T))
    bgnbd_auc_alive = roc_auc(labels, p_alive)
    bgnbd_auc_expected = roc_auc(labels, expected)
    loyalty_auc = roc_auc(labels, loyalty_scores)
    params = bgnbd.params
    return {
        "data": str(path),
        "format": fmt,
        "transactions": len(log.transactions),
        "lines": log.lines,
        "guest_lines_skipped": log.guest_lines,
        "refunds": sum(1 for t in log.transactions if t.refund),
        "calibration": {"end": calibration_end.isoformat(), "transactions": events},
        "holdout": {
            "start": (calibration_end + dt.timedelta(days=1)).isoformat(),
            "end": holdout_end.isoformat(),
            "days": (holdout_end - calibration_end).days,
        },
        "customers": len(customers),
        "holdout_buyers": int(labels.sum()),
        "loyalty": {
            "roc_auc": loyalty_auc,
            "horizon_days": horizon_days,
            "review_days": review_days,
            "learned": model.n_learned,
            "prequential_roc_auc": model.score.roc_auc,
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
        "published_bgnbd": dict(PUBLISHED_BGNBD) if fmt == "cdnow" else None,
        "loyalty_beats_bgnbd": bool(loyalty_auc >= max(bgnbd_auc_alive, bgnbd_auc_expected)),
        "timing": {
            "load_seconds": load_seconds,
            "replay_seconds": replay_seconds,
            "score_us_per_customer": 1e6 * score_seconds / max(len(customers), 1),
        },
    }


def _pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{100 * value:.2f} %"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def format_intent_report(result: dict[str, Any]) -> str:
    """A human-readable report of :func:`evaluate_intent`'s result.

    Examples
    --------
    >>> stats = {"mean": 0.9, "std": 0.01}
    >>> result = {"data": "x.csv", "rows": 10, "buyers": 2,
    ...           "protocol": {"repeats": 1, "seed": 42, "train_rows": 7, "test_rows": 3},
    ...           "test": {k: stats for k in ("accuracy", "tpr", "tnr", "f1", "roc_auc", "threshold")},
    ...           "progressive": {"roc_auc": 0.8, "log_loss": 0.3},
    ...           "published": list(PUBLISHED_INTENT),
    ...           "timing_us": {"learn_one": 50.0, "predict_proba_one": 20.0}}
    >>> print(format_intent_report(result).splitlines()[0])
    Purchase intent on x.csv: 10 sessions, 2 buyers

    """
    test = result["test"]
    protocol = result["protocol"]

    def cell(name: str, digits: int = 2) -> str:
        stats = test[name]
        if name == "accuracy":
            return f"{100 * stats['mean']:.2f} % ± {100 * stats['std']:.2f}"
        return f"{stats['mean']:.{digits}f} ± {stats['std']:.{digits}f}"

    rows = [
        [
            "IntentModel (online, 1 pass)",
            cell("accuracy"),
            cell("tpr"),
            cell("tnr"),
            cell("f1", 3),
            cell("roc_auc", 3),
        ]
    ]
    for paper in result["published"]:
        rows.append(
            [
                f"{paper['classifier']} (batch, paper)",
                f"{100 * paper['accuracy']:.2f} %",
                f"{paper['tpr']:.2f}",
                f"{paper['tnr']:.2f}",
                f"{paper['f1']:.2f}",
                "",
            ]
        )
    lines = [
        f"Purchase intent on {result['data']}: {result['rows']} sessions, {result['buyers']} buyers",
        f"Protocol: {protocol['repeats']} random 70/30 splits (seed {protocol['seed']}+i), "
        f"{protocol['train_rows']} training rows learned once in random order, "
        f"{protocol['test_rows']} test rows never learned.",
        "",
        *_table(["classifier", "accuracy", "TPR", "TNR", "F1", "ROC AUC"], rows),
        "",
        f"Decision threshold (from the training stream): {cell('threshold', 3)}",
        f"Prequential over the whole file in file order: ROC AUC "
        f"{result['progressive']['roc_auc']:.3f}, log loss {result['progressive']['log_loss']:.3f}",
        f"Cost: {result['timing_us']['learn_one']:.0f} µs per learn_one, "
        f"{result['timing_us']['predict_proba_one']:.0f} µs per predict_proba_one",
        "Published figures: Sakar et al. (2019), original (imbalanced) test set.",
    ]
    return "\n".join(lines)


def format_loyalty_report(result: dict[str, Any]) -> str:
    """A human-readable report of :func:`evaluate_loyalty`'s result.

    Examples
    --------
    >>> result = {"data": "cd.txt", "format": "cdnow", "transactions": 10, "customers": 4,
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
    >>> print(format_loyalty_report(result).splitlines()[0])
    Loyalty on cd.txt (cdnow): 10 transactions, 4 customers at the calibration end

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
    lines = [
        f"Loyalty on {result['data']} ({result['format']}): {result['transactions']} transactions, "
        f"{result['customers']} customers at the calibration end",
        f"Calibration: up to {result['calibration']['end']} ({result['calibration']['transactions']} "
        f"transactions); holdout: {holdout['start']} to {holdout['end']} ({holdout['days']} days); "
        f"{result['holdout_buyers']} customers ordered in the holdout.",
        f"Guest lines skipped: {result['guest_lines_skipped']}; refunds: {result['refunds']}.",
        "",
        "ROC AUC for 'orders again in the holdout period', same customers:",
        *_table(["score", "ROC AUC"], rows),
        "",
        f"The loyalty model {verdict} BG/NBD. It learned {loyalty['learned']} delayed labels "
        f"(horizon {loyalty['horizon_days']:g} days, reviews every {loyalty['review_days']:g} days); "
        f"prequential ROC AUC {loyalty['prequential_roc_auc']:.3f}, "
        f"log loss {loyalty['prequential_log_loss']:.3f}.",
        "",
        "BG/NBD fitted on the calibration period (time in weeks):",
        *_table(["", "r", "alpha", "a", "b", "log-lik."], params),
    ]
    return "\n".join(lines)
