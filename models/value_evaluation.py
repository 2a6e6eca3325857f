"""Offline evaluation of customer value: rankings scored on what customers spent next.

:func:`evaluate_value` reads any purchase log (:func:`models.datasets.load_log`), splits it into
a calibration period and a holdout of the next ``horizon_days`` (by default the log's last 90
days, :mod:`models.periods`), and replays the calibration period in time order through the
online value model (:mod:`models.value_replay`): it learns only as labels resolve before the
cutoff. It then ranks every customer known at the cutoff and scores the ranking on their spend
in the holdout (:mod:`models.value_metrics`), next to baselines on the same customers: past
spend, the RFM score, BG/NBD expected purchases, BG/NBD x Gamma-Gamma expected spend and the
rule :func:`models.value.expected_value`, with bootstrap intervals of the differences.

**Model selection uses the calibration period only.** Several configurations of
:class:`~models.value_model.ValueModel` (:data:`CANDIDATES`: target, learning rate, feature
groups) learn side by side in the same replay; at an inner cutoff one horizon before the cutoff
each ranks the customers known then against their spend in the following horizon (which ends
at the cutoff). The model evaluated is the one whose worse lead, in Spearman and in top-decile
capture, over the better of past spend and BG/NBD x Gamma-Gamma is largest there. No date,
threshold or column of a particular file is fitted.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from models.csv_logs import ColumnMap
from models.datasets import Format, load_log
from models.periods import DEFAULT_HORIZON_DAYS, PeriodError, periods_of
from models.reports import Progress, pct, table
from models.rfm import RFMScorer
from models.value import expected_value
from models.value_metrics import GAIN_SHARES, bootstrap_differences, ranking_scores
from models.value_model import FEATURE_GROUPS, ValueModel
from models.value_replay import Moment, replay_value, spend_between

__all__ = ["BASELINES", "CANDIDATES", "evaluate_value", "format_value_report", "value_candidates"]

#: Configurations of the value model that compete on the inner split (the first is the default).
CANDIDATES: tuple[dict[str, Any], ...] = (
    {"target": "two-part", "learning_rate": 0.1},
    {"target": "two-part", "learning_rate": 0.3},
    {"target": "two-part", "learning_rate": 0.03},
    {"target": "log", "learning_rate": 0.05},
    {"target": "log", "learning_rate": 0.2},
    {"target": "log", "learning_rate": 0.05, "feature_groups": ("rfm", "clv")},
)

#: The baselines, in report order.
BASELINES: tuple[str, ...] = (
    "past spend",
    "RFM score (R+F+M)",
    "BG/NBD expected purchases",
    "BG/NBD x Gamma-Gamma",
    "value rule (models.value)",
)
_MONEY = {"BG/NBD x Gamma-Gamma", "value rule (models.value)"}
_MIN_LEARNED = 200  # labels a candidate needs at the inner cutoff for the selection to count
_MODEL = "learned value model"


def _name(config: dict[str, Any]) -> str:
    groups = config.get("feature_groups", FEATURE_GROUPS)
    features = "all features" if tuple(groups) == FEATURE_GROUPS else "+".join(groups)
    return f"{config['target']}, rate {config['learning_rate']:g}, {features}"


def value_candidates(horizon_days: float = DEFAULT_HORIZON_DAYS) -> list[tuple[str, ValueModel]]:
    """Fresh models of every :data:`CANDIDATES` configuration, with their names.

    >>> [name for name, _ in value_candidates()][:2]
    ['two-part, rate 0.1, all features', 'two-part, rate 0.3, all features']

    """
    return [(_name(c), ValueModel(horizon_days=horizon_days, **c)) for c in CANDIDATES]


def _margin(figures: dict[str, Any], baselines: list[dict[str, Any]]) -> float:
    """The candidate's worst lead over the best baseline, on Spearman and on top-decile capture."""
    leads = []
    for metric in ("spearman", "top_decile"):
        best = max((float(b[metric]) for b in baselines if math.isfinite(float(b[metric]))), default=0.0)
        leads.append(float(figures[metric]) - best)
    lead = min(leads)
    return lead if math.isfinite(lead) else -math.inf


def _select(
    moment: Moment, names: list[str], actual: dict[str, float]
) -> tuple[int, list[dict[str, Any]], str | None]:
    """The candidate that ranks best at ``moment`` by its worst lead over past spend and BG/NBD x Gamma-Gamma.

    Returns its index, every candidate's figures, and why the default was kept (or ``None``).
    """
    spend = np.array([actual.get(c, 0.0) for c in moment.customers])
    references = [ranking_scores(spend, [f.net_spend for f in moment.facts], money=False)]
    if all("expected_spend" in x for x in moment.features):
        references.append(ranking_scores(spend, [x["expected_spend"] for x in moment.features], money=True))
    rows: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        figures = ranking_scores(spend, moment.money[i], money=True)
        rows.append({
            "name": name,
            "spearman": figures["spearman"],
            "top_decile": figures["top_decile"],
            "lead": _margin(figures, references),
            "learned": moment.learned[i],
        })
    if min(moment.learned) < _MIN_LEARNED or not np.any(spend > 0):
        return 0, rows, (
            f"fewer than {_MIN_LEARNED} labels learned by the inner cutoff, or no spend after it: "
            "the default configuration is used"
        )
    best = max(range(len(rows)), key=lambda i: (rows[i]["lead"], -i))
    return best, rows, None


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
    cutoff: dt.date | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    columns: ColumnMap | str | None = None,
    seed: int = 0,
    bootstrap: int = 1000,
    review_days: float = 30.0,
    refit_days: float = 30.0,
    progress: Progress | None = None,
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
        Last day of the calibration period; by default the log's last day less the horizon.
    horizon_days
        Days of the holdout, and the horizon of the spend predicted.
    columns
        Column mapping of a ``"csv"`` log.
    seed
        Seed of the bootstrap.
    bootstrap
        Number of bootstrap resamples of the customers (0: no intervals).
    review_days
        Days of silence after which a customer is snapshotted again.
    refit_days
        Days of stream time between refits of BG/NBD and Gamma-Gamma during the replay.
    progress
        ``progress(done, total)`` in transactions replayed.

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
    periods = periods_of(log, cutoff=cutoff, horizon_days=horizon_days)
    load_seconds = time.perf_counter() - started
    horizon = dt.timedelta(days=periods.horizon_days)
    scored_at = periods.scored_at
    inner_at = scored_at - horizon
    candidates = value_candidates(periods.horizon_days)
    names = [name for name, _ in candidates]
    started = time.perf_counter()
    moments = replay_value(
        log.transactions, scored_at, [model for _, model in candidates],
        horizon_days=periods.horizon_days, review_days=review_days, refit_days=refit_days,
        stops=[inner_at],
        progress=progress,
    )
    replay_seconds = time.perf_counter() - started
    final = moments[scored_at]
    if final.bgnbd is None or final.gammagamma is None:
        repeat = sum(1 for f in final.facts if f.order_days > 0)
        raise PeriodError(
            log.path,
            f"BG/NBD and Gamma-Gamma cannot be fitted up to the cutoff {periods.cutoff}: "
            f"{repeat} of {len(final.customers)} customers bought on two different days; expected "
            f"at least 20 (a later cutoff or a longer log)",
        )
    if inner_at in moments:
        chosen, selection_rows, skipped = _select(
            moments[inner_at], names, spend_between(log.transactions, inner_at, scored_at)
        )
    else:
        chosen, selection_rows, skipped = 0, [], "the inner cutoff is before the log's first day"
    model = candidates[chosen][1]

    actual_by_customer = spend_between(log.transactions, scored_at, periods.holdout_until)
    actual = np.array([actual_by_customer.get(c, 0.0) for c in final.customers])
    predicted = np.array(final.money[chosen])
    baselines = _baselines(final, periods.horizon_days)
    scores: dict[str, dict[str, Any]] = {_MODEL: ranking_scores(actual, predicted, money=True)}
    for name, values in baselines.items():
        scores[name] = ranking_scores(actual, values, money=name in _MONEY)
    started = time.perf_counter()
    differences = (
        bootstrap_differences(actual, predicted, baselines, n=bootstrap, seed=seed) if bootstrap else {}
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
        "refunds": sum(1 for t in log.transactions if t.refund),
        **periods.as_dict(),
        "customers": len(final.customers),
        "holdout_buyers": int(np.sum(actual > 0)),
        "holdout_revenue": float(actual.sum()),
        "model": {
            "name": names[chosen],
            **{k: (list(v) if isinstance(v, tuple) else v) for k, v in CANDIDATES[chosen].items()},
            "learned": model.n_learned,
            "pending": model.n_pending,
            "prequential": model.score.as_dict(),
        },
        "selection": {
            "inner_cutoff": (inner_at - dt.timedelta(days=1)).date().isoformat(),
            "criterion": (
                "largest worst lead over past spend and BG/NBD x Gamma-Gamma in Spearman and "
                "top-decile capture, on the spend of the horizon after the inner cutoff"
            ),
            "candidates": selection_rows,
            "chosen": names[chosen],
            "skipped": skipped,
        },
        "scores": scores,
        "bootstrap": {"n": bootstrap, "seed": seed, "differences": differences},
        "beats": {
            name: {
                "spearman": bool(own["spearman"] > scores[name]["spearman"]),
                "top_decile": bool(own["top_decile"] > scores[name]["top_decile"]),
            }
            for name in baselines
        },
        "bgnbd": {"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b},
        "gammagamma": {"p": gg.p, "q": gg.q, "gamma": gg.gamma},
        "timing": {
            "load_seconds": load_seconds,
            "replay_seconds": replay_seconds,
            "bootstrap_seconds": bootstrap_seconds,
        },
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
    ...           "selection": {"inner_cutoff": "2024-03-03", "candidates": [], "chosen": "two-part",
    ...                         "skipped": "too few labels"},
    ...           "scores": {"learned value model": money, "past spend": figures},
    ...           "bootstrap": {"n": 0, "seed": 0, "differences": {}},
    ...           "bgnbd": {"r": 0.2, "alpha": 4.0, "a": 0.8, "b": 2.4},
    ...           "gammagamma": {"p": 6.0, "q": 3.7, "gamma": 15.0}}
    >>> print(format_value_report(result).splitlines()[0])
    Customer value on shop.csv (CSV): 10 customers at the cutoff, 4 bought in the holdout (1,000 spent)

    """
    calibration, holdout, model = result["calibration"], result["holdout"], result["model"]
    rows, gain_rows = [], []
    for name, figures in result["scores"].items():
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
        f"Model: {model['name']} (chosen on the calibration period), {model['learned']} delayed labels "
        f"learned.",
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
    selection = result["selection"]
    lines += ["", f"Model selection at the inner cutoff {selection['inner_cutoff']} (spend of the "
                  f"following horizon, before the cutoff):"]
    if selection["candidates"]:
        lines += table(["configuration", "Spearman", "top 10 %", "worst lead", "labels"], [
            [("* " if c["name"] == selection["chosen"] else "  ") + c["name"], _num(c["spearman"]),
             pct(c["top_decile"]), _num(c["lead"]), str(c["learned"])]
            for c in selection["candidates"]
        ])
    if selection.get("skipped"):
        lines.append(f"  not used: {selection['skipped']}")
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
