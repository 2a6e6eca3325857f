"""Offline evaluation of the intent model on the UCI Online Shoppers data set, next to Sakar et al. (2019)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.datasets import load_online_shoppers
from models.errors import DataFileError
from models.intent import IntentModel
from models.metrics import roc_auc
from models.reports import Progress, table, tick

__all__ = ["PUBLISHED_INTENT", "classification", "evaluate_intent", "format_intent_report"]

#: Sakar et al. (2019), batch classifiers, 70/30 split, original (imbalanced) test set.
PUBLISHED_INTENT: tuple[dict[str, Any], ...] = (
    {"classifier": "Random forest", "accuracy": 0.8951, "tpr": 0.57, "tnr": 0.96, "f1": 0.58},
    {"classifier": "C4.5", "accuracy": 0.8892, "tpr": 0.57, "tnr": 0.96, "f1": 0.57},
    {"classifier": "MLP, 20 hidden", "accuracy": 0.8792, "tpr": 0.56, "tnr": 0.96, "f1": 0.58},
    {"classifier": "SVM, linear", "accuracy": 0.8825, "tpr": 0.42, "tnr": 0.97, "f1": 0.52},
)

_TEST_SHARE = 0.3


def _mean_std(values: Sequence[float]) -> dict[str, float]:
    return {
        "mean": statistics.fmean(values),
        "std": statistics.pstdev(values) if len(values) > 1 else 0.0,
    }


def classification(
    y_true: NDArray[np.bool_], p: NDArray[np.float64], threshold: float
) -> dict[str, float]:
    """Accuracy, TPR, TNR and F1 of ``p >= threshold`` against ``y_true``, and the ROC AUC of ``p``."""
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
            tick(progress, done, total)
        learn_seconds += time.perf_counter() - started
        learned += n_train
        test = order[n_train:]
        started = time.perf_counter()
        p = np.array([model.predict_proba_one(rows[i][0]) for i in test])
        predict_seconds += time.perf_counter() - started
        predicted += len(test)
        done += len(test)
        tick(progress, done, total)
        y_test = np.array([rows[i][1] for i in test], dtype=bool)
        if y_test.all() or not y_test.any():  # no ROC AUC, TPR or TNR: their mean would be NaN, their spread fail
            held = "only buyers" if len(test) and y_test.all() else "no buyer"
            raise DataFileError(str(path), 0, "", f"the test rows of split {repeat + 1} (seed {seed + repeat}), "
                                f"{len(test)} of its {n} sessions, hold {held} ({sum(y for _, y in rows)} of the "
                                f"{n} sessions buy): there is nothing to tell apart; expected sessions that buy and "
                                "sessions that do not in every split (a bigger file: UCI's has 12,330)")
        figures = classification(y_test, p, model.threshold)
        figures["threshold"] = model.threshold
        per_repeat.append(figures)

    stream_model = IntentModel()
    stream_p: list[float] = []
    for x, y in rows:
        stream_p.append(stream_model.predict_proba_one(x))
        stream_model.learn_one(x, y)
        done += 1
        tick(progress, done, total)
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
        *table(["classifier", "accuracy", "TPR", "TNR", "F1", "ROC AUC"], rows),
        "",
        f"Decision threshold (from the training stream): {cell('threshold', 3)}",
        f"Prequential over the whole file in file order: ROC AUC "
        f"{result['progressive']['roc_auc']:.3f}, log loss {result['progressive']['log_loss']:.3f}",
        f"Cost: {result['timing_us']['learn_one']:.0f} µs per learn_one, "
        f"{result['timing_us']['predict_proba_one']:.0f} µs per predict_proba_one",
        "Published figures: Sakar et al. (2019), original (imbalanced) test set.",
    ]
    return "\n".join(lines)
