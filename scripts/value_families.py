"""Compare value-model configurations on training data only (issue 14's selection protocol).

For each purchase log, the calibration period before the log's default cutoff is replayed once
through every configuration at once; each is scored at the two inner cutoffs 90 and 180 days
before the default cutoff, against the spend of the 90 days after each — all of it before the
default cutoff: the holdout is never read. A configuration's lead at a check is its worse lead,
on Spearman and on top-decile capture, over the better of past spend and BG/NBD x Gamma-Gamma;
configurations are compared by their worst lead over the checks with at least six months of
history before them. Beside the leads, each configuration's money at each check: the total
predicted over the actual and the MAE (how ``money`` and ``calibration_window`` were chosen).
Prints a table and writes JSON (``--json FILE``). ``linear`` is the
default value model (the median regression of the buyers' log spend), ``linear-squared`` the
least-squares default before it; the comparisons, and why the best blend with a forest is not
the default, are in docs/customers-and-models.md ("How the model was chosen").

    nice -n 10 .venv/bin/python scripts/value_families.py --configs linear,arf-log --json out.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from typing import Any

import numpy as np

from models.datasets import load_log
from models.periods import periods_of
from models.value_evaluation import _baselines, _spend_in
from models.value_metrics import ranking_scores
from models.value_model import ValueModel
from models.value_replay import replay_value

LOGS = {
    "CDNOW": ("../shared/data/CDNOW_sample.txt", "cdnow"),
    "Online Retail II": ("../shared/data/online_retail_ii_2009_2010.csv.gz", "online-retail"),
}
_INTERACTIONS = ("rfm", "spend", "returns", "visits", "rule", "interactions")
# Compared when least squares fitted the buyers' log spend (the default until the median's won).
_LEAST_SQUARES: dict[str, dict[str, Any]] = {
    "linear-squared": {"family": "linear"},
    "linear+interactions": {"family": "linear", "feature_groups": _INTERACTIONS},
    "linear-rank": {"family": "linear", "target": "rank"},
    "linear-log": {"family": "linear", "target": "log"},
    "arf-two-part": {"family": "arf", "family_weight": 1.0, "family_target": None},
    "arf-log": {"family": "arf", "family_weight": 1.0, "target": "log"},
    "amf-log": {"family": "amf", "family_weight": 1.0, "target": "log"},
    "hat-two-part": {"family": "hat", "family_weight": 1.0, "family_target": None},
    "bagging-log": {"family": "bagging", "family_weight": 1.0, "target": "log"},
    "blend-arf-log-0.5": {"family": "arf", "family_target": "log", "family_weight": 0.5},
    "blend-arf-log-0.25": {"family": "arf", "family_target": "log", "family_weight": 0.25},
    "blend-amf-log-0.5": {"family": "amf", "family_target": "log", "family_weight": 0.5},
    "blend-hat-0.5": {"family": "hat", "family_weight": 0.5, "family_target": None},
    # each customer weighing about the same per horizon
    "linear-customer": {"family": "linear", "weighting": "customer"},
    "linear-customer-0.3": {"family": "linear", "weighting": "customer", "learning_rate": 0.3},
}
CONFIGS: dict[str, dict[str, Any]] = {
    "linear": {"family": "linear"},  # the default: the median regression of the buyers' log spend
    **{name: {"spend_loss": "squared", **config} for name, config in _LEAST_SQUARES.items()},
    # robust losses of the buyers' log spend, alone and with the other ideas
    "linear-huber": {"family": "linear", "spend_loss": "huber"},
    "linear-huber-0.3": {"family": "linear", "spend_loss": "huber", "learning_rate": 0.3},
    "linear-quantile-0.3": {"family": "linear", "spend_loss": "quantile", "learning_rate": 0.3},
    "linear-quantile-0.03": {"family": "linear", "spend_loss": "quantile", "learning_rate": 0.03},
    "linear-customer-huber": {"family": "linear", "weighting": "customer", "spend_loss": "huber"},
    "linear-customer-quantile": {"family": "linear", "weighting": "customer", "spend_loss": "quantile"},
    "linear-huber+interactions": {"family": "linear", "spend_loss": "huber", "feature_groups": _INTERACTIONS},
    "linear-quantile+interactions": {"family": "linear", "spend_loss": "quantile", "feature_groups": _INTERACTIONS},
    # money that adds up: Duan's smearing of the model's own estimate, or a faster calibration
    "linear-smearing": {"family": "linear", "money": "smearing"},
    "linear-smearing-300": {"family": "linear", "money": "smearing", "smearing_window": 300},
    "linear-smearing-5000": {"family": "linear", "money": "smearing", "smearing_window": 5000},
    "linear-squared-smearing": {"family": "linear", "spend_loss": "squared", "money": "smearing"},
    "linear-calibration-2000": {"family": "linear", "calibration_window": 2000},
    "linear-calibration-1000": {"family": "linear", "calibration_window": 1000},
    "linear-calibration-500": {"family": "linear", "calibration_window": 500},
    "linear-ratio": {"family": "linear", "money": "ratio"},
    "linear-ratio-2000": {"family": "linear", "money": "ratio", "calibration_window": 2000},
    "linear-ratio-1000": {"family": "linear", "money": "ratio", "calibration_window": 1000},
    "linear-ratio-500": {"family": "linear", "money": "ratio", "calibration_window": 500},
    "linear-ratio-300": {"family": "linear", "money": "ratio", "calibration_window": 300},
    "linear-median-calibration": {"family": "linear", "money": "median-calibration"},
    "linear-median-calibration-2000": {"family": "linear", "money": "median-calibration", "calibration_window": 2000},
    "linear-median-calibration-1000": {"family": "linear", "money": "median-calibration", "calibration_window": 1000},
    # the top decile: the log-normal mean with each customer's own dispersion, learned from the inputs
    "linear-dispersion": {"family": "linear", "dispersion": "learned"},
    "linear-dispersion+interactions": {"family": "linear", "dispersion": "learned", "feature_groups": _INTERACTIONS},
    "linear-squared-dispersion": {"family": "linear", "dispersion": "learned", "spend_loss": "squared"},
    # the mean of spend by a log-link GLM (implicit steps): Tweedie (Poisson at 1) of all spend, or Gamma of the buyers'
    "tweedie-1.0": {"family": "linear", "target": "tweedie", "tweedie_power": 1.0},
    "tweedie-1.0-0.03": {"family": "linear", "target": "tweedie", "tweedie_power": 1.0, "learning_rate": 0.03},
    "tweedie-1.0-0.01": {"family": "linear", "target": "tweedie", "tweedie_power": 1.0, "learning_rate": 0.01},
    "tweedie-1.5": {"family": "linear", "target": "tweedie", "tweedie_power": 1.5},
    "tweedie-1.5-0.03": {"family": "linear", "target": "tweedie", "tweedie_power": 1.5, "learning_rate": 0.03},
    "tweedie-1.5-0.01": {"family": "linear", "target": "tweedie", "tweedie_power": 1.5, "learning_rate": 0.01},
    "tweedie-1.8": {"family": "linear", "target": "tweedie", "tweedie_power": 1.8},
    "tweedie-1.8-0.03": {"family": "linear", "target": "tweedie", "tweedie_power": 1.8, "learning_rate": 0.03},
    "tweedie-1.8-0.01": {"family": "linear", "target": "tweedie", "tweedie_power": 1.8, "learning_rate": 0.01},
    "linear-gamma": {"family": "linear", "spend_loss": "gamma"},
    "linear-gamma-0.03": {"family": "linear", "spend_loss": "gamma", "learning_rate": 0.03},
    # slopes of their own for the customers whose past spend is in the top quintile (decile) so far
    "linear-tiers": {"family": "linear", "tier_quantile": 0.8},
    "linear-tiers-0.9": {"family": "linear", "tier_quantile": 0.9},
    "tweedie-1.5-0.03-tiers": {"family": "linear", "target": "tweedie", "tweedie_power": 1.5, "learning_rate": 0.03,
                               "tier_quantile": 0.8},
    "linear-gamma-tiers": {"family": "linear", "spend_loss": "gamma", "tier_quantile": 0.8},
    # a learned ranking: RankNet steps on pairs of labels correct the two-part score (models/value_ranking.py)
    "pairwise-gap": {"family": "linear", "ranker": "pairwise"},
    "pairwise-top": {"family": "linear", "ranker": "pairwise", "ranker_weighting": "top"},
    "pairwise-money": {"family": "linear", "ranker": "pairwise", "ranker_weighting": "money"},
    "pairwise-head": {"family": "linear", "ranker": "pairwise", "ranker_weighting": "head"},
    "pairwise-head-0.03": {"family": "linear", "ranker": "pairwise", "ranker_weighting": "head",
                           "ranker_learning_rate": 0.03},
    "pairwise-top-0.03": {"family": "linear", "ranker": "pairwise", "ranker_weighting": "top",
                          "ranker_learning_rate": 0.03},
    "pairwise-money-0.03": {"family": "linear", "ranker": "pairwise", "ranker_weighting": "money",
                            "ranker_learning_rate": 0.03},
    "pairwise-buyers": {"family": "linear", "ranker": "pairwise", "ranker_weighting": "buyers"},
    "pairwise-gap-0.01": {"family": "linear", "ranker": "pairwise", "ranker_learning_rate": 0.01},
    "pairwise-top-0.3-8": {"family": "linear", "ranker": "pairwise", "ranker_weighting": "top",
                           "ranker_learning_rate": 0.3, "ranker_pairs": 8},
    # the buyers' spend learned at 1 + log1p(spend) / c: closest where the top decile is decided
    "spend-weight-1": {"family": "linear", "spend_weight": 1.0},
    "spend-weight-3": {"family": "linear", "spend_weight": 3.0},
    "spend-weight-10": {"family": "linear", "spend_weight": 10.0},
}
MIN_HISTORY_DAYS = 182


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--logs", default=",".join(LOGS))
    parser.add_argument("--json")
    args = parser.parse_args()
    names = args.configs.split(",")
    out: dict[str, Any] = {}
    for log_name in args.logs.split(","):
        path, fmt = LOGS[log_name]
        log = load_log(path, fmt)
        periods = periods_of(log, horizon_days=90)
        horizon = dt.timedelta(days=90)
        checks = [periods.scored_at - 2 * horizon, periods.scored_at - horizon]
        models = [ValueModel(horizon_days=90, **CONFIGS[n]) for n in names]
        started = time.perf_counter()
        moments = replay_value(log.transactions, checks[1], models, horizon_days=90, stops=[checks[0]])
        seconds = time.perf_counter() - started
        first = min(t.at for t in log.transactions)
        for at in checks:
            moment = moments[at]
            spend = _spend_in(log.transactions, at, at + horizon, after=False)
            assert at + horizon <= periods.scored_at  # training data only
            actual = np.array([spend.get(c, 0.0) for c in moment.customers])
            base = {k: ranking_scores(actual, v, money=True) for k, v in _baselines(moment, 90).items()
                    if k in ("past spend", "BG/NBD x Gamma-Gamma")}
            best = {m: max(b[m] for b in base.values()) for m in ("spearman", "top_decile")}
            history = (at - first).days
            key = f"{log_name} {at.date()}"
            out[key] = {"history_days": history, "counted": history >= MIN_HISTORY_DAYS,
                        "baselines": {k: {m: b[m] for m in best} for k, b in base.items()},
                        "replay_seconds": seconds, "models": {}}
            for i, name in enumerate(names):
                s = ranking_scores(actual, np.array(moment.money[i]), money=True)
                lead = {m: s[m] - best[m] for m in best}
                out[key]["models"][name] = {"spearman": s["spearman"], "top_decile": s["top_decile"],
                                            "lead": min(lead.values()), "lead_by": lead,
                                            "mae": s["mae"], "total_predicted": s["total_predicted"],
                                            "total_actual": s["total_actual"], "learned": moment.learned[i]}
            gg = ranking_scores(actual, _baselines(moment, 90)["BG/NBD x Gamma-Gamma"], money=True)
            out[key]["baselines"]["BG/NBD x Gamma-Gamma"].update(
                mae=gg["mae"], total_predicted=gg["total_predicted"])
            print(f"{key} (history {history} d, replay {seconds:.0f} s): "
                  f"best baseline spearman {best['spearman']:.4f} top10 {best['top_decile']:.4f}; "
                  f"actual {actual.sum():,.0f}, BG/NBD x Gamma-Gamma predicts {gg['total_predicted']:,.0f} "
                  f"(MAE {gg['mae']:,.1f})", flush=True)
            for name, f in out[key]["models"].items():
                print(f"  {name:24s} spearman {f['spearman']:.4f} top10 {f['top_decile']:.4f} "
                      f"lead {f['lead']:+.4f}  predicted {f['total_predicted']:,.0f} "
                      f"({f['total_predicted'] / f['total_actual']:.2f} x actual)  MAE {f['mae']:,.1f}",
                      flush=True)
    summary = {}
    for name in names:
        leads = [c["models"][name]["lead"] for c in out.values() if c["counted"] and name in c["models"]]
        counted = [c["models"][name] for c in out.values() if c["counted"] and name in c["models"]]
        ratios = [f["total_predicted"] / f["total_actual"] for f in counted]
        summary[name] = {"worst": min(leads), "mean": sum(leads) / len(leads), "checks": len(leads),
                         # money: the total's worst miss (|log of predicted / actual|) and the MAE
                         "worst_total_miss": max(abs(np.log(r)) for r in ratios),
                         "total_ratios": ratios, "maes": [f["mae"] for f in counted]}
    print("\nworst / mean lead over the counted checks; predicted / actual totals; MAEs:")
    for name, s in sorted(summary.items(), key=lambda kv: -kv[1]["worst"]):
        print(f"  {name:24s} worst {s['worst']:+.4f}  mean {s['mean']:+.4f}  ({s['checks']} checks)  "
              f"totals {' '.join(f'{r:.2f}' for r in s['total_ratios'])}  "
              f"MAE {' '.join(f'{m:,.1f}' for m in s['maes'])}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"checks": out, "summary": summary}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
