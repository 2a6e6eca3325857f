"""Offline evaluation of customer value: rankings scored on what customers spent next.

:func:`evaluate_value` reads any purchase log (:func:`models.datasets.load_log`), splits it into
a calibration period and a holdout of the next ``horizon_days`` (by default the log's last 90
days, :mod:`models.periods`), and replays the calibration period in time order through the
worker's own value model (:mod:`models.value_replay`, :class:`~models.value_model.ValueModel`
with the worker's hyper-parameters): it learns only as labels resolve before the cutoff. It then
ranks every customer known at the cutoff as the worker would (by the model's money, or by the
value rule's while the model does not rank better than the rule on the labels so far,
:meth:`~models.value_model.ValueModel.value_one`) and scores the ranking on their spend in the holdout
(:mod:`models.value_metrics`), next to baselines on the same customers: past spend, the RFM
score, BG/NBD expected purchases, BG/NBD x Gamma-Gamma expected spend and the rule
:func:`models.value.expected_value`, with bootstrap intervals of the differences.

The same ranking is also scored at an **inner cutoff** one horizon earlier, on the spend of the
horizon that ends at the cutoff: training data only, the check on which the model's features
and configuration were chosen (docs/customers-and-models.md). No date, threshold or column of a
particular file is fitted.

The cutoff may also be a moment (a timezone-aware datetime): the customers are then ranked as
of it, everything up to and including it known, and the holdout is the horizon after it. That
is the view of a worker that replayed the log up to that moment in event time, whose ranking
is the same (``tests/integration/test_value_live.py``).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from models.csv_logs import ColumnMap
from models.datasets import Format, load_log
from models.periods import DEFAULT_HORIZON_DAYS, PeriodError, Periods, periods_of
from models.reports import Progress, pct, skipped_lines, table
from models.rfm import RFMScorer
from models.transactions import Transaction
from models.value import expected_value
from models.value_metrics import GAIN_SHARES, bootstrap_differences, ranking_scores
from models.value_model import MIN_EVIDENCE, ValueModel
from models.value_replay import Moment, replay_value

__all__ = ["BASELINES", "evaluate_value", "format_value_report", "ranking_of"]

#: The baselines, in report order.
BASELINES: tuple[str, ...] = (
    "past spend",
    "RFM score (R+F+M)",
    "BG/NBD expected purchases",
    "BG/NBD x Gamma-Gamma",
    "value rule (models.value)",
)
_MONEY = {"BG/NBD x Gamma-Gamma", "value rule (models.value)"}
_MODEL = "learned value model"
#: Customers listed in the result's ranking (best first), as the API's ``order=best`` lists them.
RANKING_SIZE = 1000


def ranking_of(moment: Moment, model: int = 0, limit: int = RANKING_SIZE) -> list[dict[str, Any]]:
    """The ``limit`` best customers at ``moment`` by the money model ``model`` ranks them by, as the API ranks them.

    Highest predicted spend first, then highest net spend, then customer id
    (:func:`models.value.rank`).
    """
    rows = sorted(
        zip(moment.customers, moment.ranked[model], moment.facts, strict=True),
        key=lambda row: (-row[1], -row[2].net_spend, row[0]),
    )
    return [{"customer_id": c, "predicted_value": money} for c, money, _ in rows[:limit]]


def _spend_in(
    transactions: list[Transaction], start: dt.datetime, end: dt.datetime, *, after: bool
) -> dict[str, float]:
    """Order spend per customer from ``start`` (or just after it, ``after``) to before ``end``."""
    spend: dict[str, float] = {}
    for t in transactions:
        if not t.refund and (t.at > start if after else t.at >= start) and t.at < end:
            spend[t.customer_id] = spend.get(t.customer_id, 0.0) + t.amount
    return spend


def _scores(moment: Moment, actual: np.ndarray, horizon_days: float) -> dict[str, dict[str, Any]]:
    scores: dict[str, dict[str, Any]] = {_MODEL: ranking_scores(actual, np.array(moment.ranked[0]), money=True)}
    for name, values in _baselines(moment, horizon_days).items():
        scores[name] = ranking_scores(actual, values, money=name in _MONEY)
    return scores


def _baselines(moment: Moment, horizon_days: float) -> dict[str, np.ndarray]:
    scorer = RFMScorer()
    for facts in moment.facts:
        scorer.learn_one(facts)
    rfm = []
    for facts in moment.facts:
        score = scorer.score_one(facts, moment.at)
        rfm.append(0.0 if score is None else float(score.recency + score.frequency + score.monetary))
    rule = []
    for facts in moment.facts:
        value = expected_value(facts, moment.at, horizon_days=horizon_days)
        rule.append(0.0 if value is None else value.expected_value)
    return {
        "past spend": np.array([f.net_spend for f in moment.facts]),
        "RFM score (R+F+M)": np.array(rfm),
        "BG/NBD expected purchases": np.array([x["expected_purchases"] for x in moment.features]),
        "BG/NBD x Gamma-Gamma": np.array([x["expected_spend"] for x in moment.features]),
        "value rule (models.value)": np.array(rule),
    }


def evaluate_value(
    path: str | Path,
    fmt: Format,
    *,
    cutoff: dt.date | dt.datetime | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    columns: ColumnMap | str | None = None,
    seed: int = 0,
    bootstrap: int = 1000,
    review_days: float = 30.0,
    model: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    bootstrap_progress: Progress | None = None,
) -> dict[str, Any]:
    """Score the learned value model's ranking, and the baselines', on the holdout's spend.

    See the module's notes for the protocol.

    Parameters
    ----------
    path
        A purchase log.
    fmt
        ``"cdnow"``, ``"online-retail"`` or ``"csv"`` (see :func:`models.datasets.load_log`).
    cutoff
        Last day of the calibration period (by default the log's last day less the horizon),
        or a moment: ranked as of it, the holdout the horizon after it.
    horizon_days
        Days of the holdout, and the horizon of the spend predicted.
    columns
        Column mapping of a ``"csv"`` log.
    seed
        Seed of the bootstrap.
    bootstrap
        Number of bootstrap resamples of the customers (0: no intervals).
    review_days
        Days of silence after which a customer is snapshotted again (the worker's
        ``TRACKER_REVIEW_DAYS``).
    model
        Hyper-parameters of :class:`~models.value_model.ValueModel` other than the horizon
        (default: the worker's).
    progress
        ``progress(done, total)`` in transactions replayed.
    bootstrap_progress
        ``bootstrap_progress(done, total)`` in bootstrap resamples drawn (a step of minutes on a big log).

    Raises
    ------
    DataFileError
        If the file cannot be read as ``fmt``, or (:class:`~models.periods.PeriodError`) the
        periods do not fit in it, or BG/NBD and Gamma-Gamma cannot be fitted before the cutoff
        (too few customers who bought on two different days).
    ValueError
        On an unknown format or a missing column mapping.

    """
    started = time.perf_counter()
    log = load_log(path, fmt, columns=columns)
    moment = cutoff if isinstance(cutoff, dt.datetime) else None
    if moment is not None and moment.tzinfo is None:
        raise ValueError(f"evaluate_value: expected a cutoff moment with a time zone, found {moment.isoformat()}")
    periods = periods_of(log, cutoff=moment.astimezone(dt.UTC).date() if moment else cutoff,
                         horizon_days=horizon_days)
    load_seconds = time.perf_counter() - started
    horizon = dt.timedelta(days=periods.horizon_days)
    scored_at = moment or periods.scored_at
    inner_at = scored_at - horizon
    learner = ValueModel(horizon_days=periods.horizon_days, **(model or {}))
    started = time.perf_counter()
    moments = replay_value(
        log.transactions, scored_at, [learner], horizon_days=periods.horizon_days,
        review_days=review_days, stops=[inner_at], through=moment is not None, progress=progress,
    )
    replay_seconds = time.perf_counter() - started
    final = moments[scored_at]
    if final.bgnbd is None or final.gammagamma is None:
        repeat = sum(1 for f in final.facts if f.order_days > 0)
        raise PeriodError(
            log.path,
            f"BG/NBD and Gamma-Gamma cannot be fitted up to the cutoff {periods.cutoff}: "
            f"{repeat} of {len(final.customers)} customers bought on two different days; expected "
            f"at least 20 (a later cutoff or a longer log){log.one_order_each()}",
        )
    transactions = log.transactions
    if moment is None:
        actual_by_customer = _spend_in(transactions, scored_at, periods.holdout_until, after=False)
    else:  # the horizon after the moment, its end included
        end = scored_at + horizon + dt.timedelta(microseconds=1)
        actual_by_customer = _spend_in(transactions, scored_at, end, after=True)
    actual = np.array([actual_by_customer.get(c, 0.0) for c in final.customers])
    scores = _scores(final, actual, periods.horizon_days)
    inner = _inner(moments.get(inner_at), transactions, inner_at, scored_at, periods)
    predicted = np.array(final.ranked[0])
    started = time.perf_counter()
    differences = (
        bootstrap_differences(actual, predicted, _baselines(final, periods.horizon_days), n=bootstrap, seed=seed,
                              progress=bootstrap_progress)
        if bootstrap else {}
    )
    bootstrap_seconds = time.perf_counter() - started
    own = scores[_MODEL]
    bg, gg = final.bgnbd.params, final.gammagamma.params
    return {
        "data": str(path),
        "format": fmt,
        "layout": log.layout,
        "transactions": len(log.transactions),
        "guest_lines_skipped": log.guest_lines,
        "not_sales_skipped": log.not_sales,
        "open_deals_skipped": log.open_deals,
        "refunds": sum(1 for t in log.transactions if t.refund),
        **periods.as_dict(),
        "scored_at": scored_at.isoformat(),
        "customers": len(final.customers),
        "holdout_buyers": int(np.sum(actual > 0)),
        "holdout_revenue": float(actual.sum()),
        "model": {
            "name": _name(learner),
            "target": learner.target,
            "family": learner.family,
            "family_weight": learner.family_weight,
            "family_target": learner.family_target,
            "spend_loss": learner.spend_loss,
            "weighting": learner.weighting,
            "learning_rate": learner.learning_rate,
            "feature_groups": list(learner.feature_groups),
            "review_days": review_days,
            "learned": learner.n_learned,
            "pending": learner.n_pending,
            "prequential": learner.score.as_dict(),
            "ranked_by": final.ranked_by[0],
            "rule_prequential": learner.rule_score.as_dict(),
            "verdict_labels": min(learner.score.in_window, learner.rule_score.in_window),
            "alone": _alone(final, actual),
        },
        "inner": inner,
        "scores": scores,
        "bootstrap": {"n": bootstrap, "seed": seed, "differences": differences},
        "beats": {
            name: {
                "spearman": bool(own["spearman"] > scores[name]["spearman"]),
                "top_decile": bool(own["top_decile"] > scores[name]["top_decile"]),
            }
            for name in BASELINES
        },
        "ranking": ranking_of(final),
        "bgnbd": {"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b},
        "gammagamma": {"p": gg.p, "q": gg.q, "gamma": gg.gamma},
        "timing": {
            "load_seconds": load_seconds,
            "replay_seconds": replay_seconds,
            "bootstrap_seconds": bootstrap_seconds,
        },
    }


_LOSS_NAMES = {"squared": "least squares", "huber": "Huber", "quantile": "median"}


def _name(model: ValueModel) -> str:
    target = f"{model.target} ({_LOSS_NAMES[model.spend_loss]})" if model.target == "two-part" else model.target
    weighting = ", customers weighed alike" if model.weighting == "customer" else ""
    name = f"{target}, rate {model.learning_rate:g}{weighting}, {'+'.join(model.feature_groups)}"
    if model.family == "linear":
        return name
    if model.family_weight >= 1.0:
        return f"{model.family} ({model.family_target}, {model.trees} trees), {'+'.join(model.feature_groups)}"
    return (f"{1 - model.family_weight:g} x linear ({name}) + {model.family_weight:g} x {model.family} "
            f"({model.family_target}, {model.trees} trees)")


def _ranked_by(model: Mapping[str, Any]) -> str:
    """Who ranked the customers, and the progressive figures the verdict read (see :func:`who_ranks`)."""
    ranked_by = model.get("ranked_by", "learned")
    mine, rule = model["prequential"], model.get("rule_prequential")
    if rule is None:
        return "Ranked by: the learned model."
    labels = int(model.get("verdict_labels", mine["n"]))
    figures = (f"progressive Spearman + top 10 % over its latest {labels} labels {_num(mine['spearman'], 3)} + "
               f"{pct(mine['top_decile'])} against the value rule's {_num(rule['spearman'], 3)} + {pct(rule['top_decile'])}")
    if ranked_by == "learned":
        return f"Ranked by: the learned model ({figures})."
    why = (f"the learned model has learned {labels} labels, fewer than the {MIN_EVIDENCE:,} a verdict needs"
           if labels < MIN_EVIDENCE
           else f"the learned model does not rank better yet ({figures})")
    alone = model["alone"]
    return (f"Ranked by: the value rule, as the worker would: {why}; the learned model alone would rank with "
            f"Spearman {_num(alone['spearman'])}, top 10 % {pct(alone['top_decile'])}.")


def _alone(moment: Moment, actual: np.ndarray) -> dict[str, Any]:
    """The model's own money ranked, whoever ranks the customers: Spearman and top-decile capture."""
    own = ranking_scores(actual, np.array(moment.money[0]), money=True)
    return {"spearman": own["spearman"], "top_decile": own["top_decile"]}


def _inner(
    moment: Moment | None, transactions: list[Transaction], inner_at: dt.datetime, scored_at: dt.datetime,
    periods: Periods,
) -> dict[str, Any]:
    """The model and the baselines at the inner cutoff, on the spend up to the cutoff: training data only."""
    cutoff = (inner_at - dt.timedelta(microseconds=1)).date().isoformat()
    if moment is None or moment.bgnbd is None or moment.gammagamma is None:
        return {"cutoff": cutoff, "scores": {}, "skipped": "the inner cutoff is too early in the log for the baselines"}
    spend = _spend_in(transactions, inner_at, scored_at, after=False)
    actual = np.array([spend.get(c, 0.0) for c in moment.customers])
    if not np.any(actual > 0):
        return {"cutoff": cutoff, "scores": {}, "skipped": "no spend between the inner cutoff and the cutoff"}
    scores = _scores(moment, actual, periods.horizon_days)
    return {
        "cutoff": cutoff,
        "customers": len(moment.customers),
        "learned": moment.learned[0],
        "ranked_by": moment.ranked_by[0],
        "scores": {name: {"spearman": f["spearman"], "top_decile": f["top_decile"]} for name, f in scores.items()},
        "skipped": None,
    }


def _num(value: Any, digits: int = 4) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _money(value: Any) -> str:
    return "" if value is None else f"{value:,.0f}"


def _interval(stats: dict[str, float] | None) -> str:
    if not stats or math.isnan(stats["mean"]):
        return "n/a"
    return f"{stats['mean']:+.4f} [{stats['low']:+.4f}, {stats['high']:+.4f}]"


def format_value_report(result: dict[str, Any]) -> str:
    """A human-readable report of :func:`evaluate_value`'s result: tables of figures and intervals.

    Examples
    --------
    >>> figures = {"spearman": 0.5, "top_decile": 0.55, "roc_auc": 0.7,
    ...            "gains": {f"{100 * s:g}%": 0.5 for s in GAIN_SHARES}}
    >>> money = {**figures, "mae": 12.0, "total_predicted": 900.0, "total_actual": 1000.0}
    >>> result = {"data": "shop.csv", "format": "csv", "layout": "CSV", "transactions": 50,
    ...           "customers": 10, "holdout_buyers": 4, "holdout_revenue": 1000.0, "source": "data",
    ...           "calibration": {"start": "2024-01-01", "end": "2024-06-01"},
    ...           "holdout": {"start": "2024-06-02", "end": "2024-08-30", "days": 90},
    ...           "model": {"name": "two-part", "learned": 80, "pending": 5,
    ...                     "prequential": {"n": 80.0, "mae": 10.0, "spearman": 0.4,
    ...                                     "top_decile": 0.5, "roc_auc": 0.7}},
    ...           "inner": {"cutoff": "2024-03-03", "scores": {}, "skipped": "too few labels"},
    ...           "scores": {"learned value model": money, "past spend": figures},
    ...           "bootstrap": {"n": 0, "seed": 0, "differences": {}},
    ...           "bgnbd": {"r": 0.2, "alpha": 4.0, "a": 0.8, "b": 2.4},
    ...           "gammagamma": {"p": 6.0, "q": 3.7, "gamma": 15.0}}
    >>> print(format_value_report(result).splitlines()[0])
    Customer value on shop.csv (CSV): 10 customers at the cutoff, 4 bought in the holdout (1,000 spent)

    """
    calibration, holdout, model = result["calibration"], result["holdout"], result["model"]
    rows, gain_rows = [], []
    by_rule = model.get("ranked_by") == "rule"
    for key, figures in result["scores"].items():
        name = f"{key} (the rule ranks)" if by_rule and key == _MODEL else key
        total = (
            f"{_money(figures['total_predicted'])} / {_money(figures['total_actual'])}"
            if "total_predicted" in figures else ""
        )
        rows.append([name, _num(figures["spearman"]), pct(figures["top_decile"]),
                     _num(figures["roc_auc"]), _money(figures.get("mae")), total])
        gain_rows.append([name, *(pct(figures["gains"][f"{100 * s:g}%"], 1) for s in GAIN_SHARES)])
    source = {"data": f"the log's last {holdout['days']} days", "cutoff": "the given cutoff"}.get(
        result.get("source", ""), "")
    lines = [
        f"Customer value on {result['data']} ({result['layout']}): {result['customers']} customers at "
        f"the cutoff, {result['holdout_buyers']} bought in the holdout ({_money(result['holdout_revenue'])} spent)",
        f"Calibration: {calibration['start']} to {calibration['end']}; holdout: {holdout['start']} to "
        f"{holdout['end']} ({holdout['days']} days{', ' + source if source else ''}).",
        skipped_lines(result.get("guest_lines_skipped", 0), result.get("not_sales_skipped", 0),
                      result.get("open_deals_skipped", 0)),
        f"Model: the worker's ({model['name']}), {model['learned']} delayed labels learned before the "
        f"cutoff.",
        _ranked_by(model),
        "",
        "Ranking against spend in the holdout, same customers:",
        *table(["score", "Spearman", "top 10 %", "AUC buys again", "MAE", "predicted / actual"], rows),
        "",
        "Share of the holdout's revenue captured by the top x % of customers:",
        *table(["score", *(f"{100 * s:g} %" for s in GAIN_SHARES)], gain_rows),
    ]
    boot = result["bootstrap"]
    if boot["differences"]:
        lines += [
            "",
            f"Learned model minus baseline, mean [95 % interval], {boot['n']} bootstrap resamples of "
            f"the customers (seed {boot['seed']}):",
            *table(["baseline", "Spearman", "top 10 %"], [
                [name, _interval(d.get("spearman")), _interval(d.get("top_decile"))]
                for name, d in boot["differences"].items()
            ]),
        ]
    inner = result["inner"]
    lines += ["", f"The same ranking at the inner cutoff {inner['cutoff']}, against the spend of the horizon "
                  f"after it (training data only: what the model was chosen on):"]
    if inner["scores"]:
        lines += table(["score", "Spearman", "top 10 %"], [
            [name, _num(f["spearman"]), pct(f["top_decile"])] for name, f in inner["scores"].items()
        ])
    if inner.get("skipped"):
        lines.append(f"  not scored: {inner['skipped']}")
    pre = model["prequential"]
    bg, gg = result["bgnbd"], result["gammagamma"]
    lines += [
        "",
        f"Prequential (each snapshot's prediction against its later spend, {pre['n']:.0f} labels): MAE "
        f"{_money(pre['mae'])}, Spearman {_num(pre['spearman'], 3)}, top 10 % {pct(pre['top_decile'])}, "
        f"AUC {_num(pre['roc_auc'], 3)} (last window).",
        f"BG/NBD at the cutoff (weeks): r {bg['r']:.4f}, alpha {bg['alpha']:.4f}, a {bg['a']:.4f}, "
        f"b {bg['b']:.4f}; Gamma-Gamma: p {gg['p']:.4f}, q {gg['q']:.4f}, gamma {gg['gamma']:.4f}.",
    ]
    return "\n".join(lines)
