"""CPU time of the value model per event: learn_one and predict_one on a real log's value features.

Replays Online Retail II up to 90 days before its default cutoff once (the features are cached
in ``--cache``), then times ``ValueModel().learn_one`` over every customer's features (label:
their spend in the next 90 days) and ``predict_one`` over the same, in CPU time of this process,
the median of ``--rounds`` rounds. ``--root DIR`` times the value model of another tree (e.g. a
snapshot of main) on the same features: run both alternately to compare on a shared machine;
``--model JSON`` times ``ValueModel(**JSON)`` (e.g. ``'{"target": "tweedie"}'``) in every tree.

    nice -n 10 .venv/bin/python scripts/value_cost.py --root /tmp/base6 --rounds 5
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import pickle
import statistics
import sys
import time

LOG = ("../shared/data/online_retail_ii_2009_2010.csv.gz", "online-retail")


def features(cache: str) -> list[tuple[dict[str, float], float]]:
    """(value features, spend in the next 90 days) of every customer at 90 days before the default cutoff."""
    if os.path.exists(cache):
        with open(cache, "rb") as f:
            rows: list[tuple[dict[str, float], float]] = pickle.load(f)
            return rows
    from models.datasets import load_log
    from models.periods import periods_of
    from models.value_evaluation import _spend_in
    from models.value_model import ValueModel
    from models.value_replay import replay_value

    log = load_log(*LOG)
    at = periods_of(log, horizon_days=90).scored_at - dt.timedelta(days=90)
    moment = replay_value(log.transactions, at, [ValueModel()], horizon_days=90)[at]
    spend = _spend_in(log.transactions, at, at + dt.timedelta(days=90), after=False)
    rows = [(x, spend.get(c, 0.0)) for c, x in zip(moment.customers, moment.features, strict=True)]
    with open(cache, "wb") as f:
        pickle.dump(rows, f)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", action="append", default=[], help="another tree's value model (repeatable)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cache", default="/tmp/value_cost_features.pickle")
    parser.add_argument("--model", default="{}", help="the ValueModel's keyword arguments, as JSON")
    args = parser.parse_args()
    rows = features(args.cache)
    roots = [os.getcwd(), *args.root]
    timings: dict[str, dict[str, list[float]]] = {r: {"learn": [], "predict": []} for r in roots}
    modules: dict[str, str] = {}
    for _ in range(args.rounds):
        for root in roots:  # each tree in a fresh interpreter, alternately
            code = (f"import sys; sys.path.insert(0, {root!r}); sys.argv = ['x', '--time', {args.cache!r}, {args.model!r}]; "
                    f"import runpy; runpy.run_path({os.path.abspath(__file__)!r}, run_name='__main__')")
            out = os.popen(f"{sys.executable} -c {json.dumps(code)}").read()
            result = json.loads(out.strip().splitlines()[-1])
            modules[root] = result["module"]
            for op in ("learn", "predict"):
                timings[root][op].append(result[op])
    for root, t in timings.items():
        print(f"{modules[root]}: learn {statistics.median(t['learn']):.1f} µs, predict "
              f"{statistics.median(t['predict']):.1f} µs of CPU per event (medians of {args.rounds} rounds; "
              f"learn {', '.join(f'{v:.1f}' for v in t['learn'])})")
    return 0


def time_one(cache: str, model_json: str = "{}") -> None:
    """Print this tree's µs of CPU per learn_one and per predict_one of ``ValueModel(**model_json)``, as JSON."""
    value_model = importlib.import_module("models.value_model")
    with open(cache, "rb") as f:
        rows = pickle.load(f)
    model = value_model.ValueModel(**json.loads(model_json))
    started = time.process_time()
    for x, y in rows:
        model.learn_one(x, y)
    learn = (time.process_time() - started) / len(rows) * 1e6
    started = time.process_time()
    for x, _ in rows:
        model.predict_one(x)
    predict = (time.process_time() - started) / len(rows) * 1e6
    print(json.dumps({"learn": learn, "predict": predict, "module": value_model.__file__}))


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "--time":
        time_one(*sys.argv[2:])
        sys.exit(0)
    sys.exit(main())
