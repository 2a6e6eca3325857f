"""``tracker evaluate intent|loyalty|segments``: the models on real data sets, beside published figures."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from streams.cli.args import data_file, positive_int
from streams.cli import evaluate_segments
from streams.cli.common import Commands
from streams.errors import UsageError


def add(commands: Commands) -> None:
    evaluate = commands.add_parser(
        "evaluate", help="offline evaluation of the models on real data sets, beside published figures"
    )
    evaluated = evaluate.add_subparsers(dest="model", metavar="MODEL", required=True)
    intent = evaluated.add_parser(
        "intent", help="purchase intent on the UCI Online Shoppers data (Sakar et al.'s protocol)",
        description="Random 70/30 splits, one online pass over the training rows, the test rows untouched; "
        "accuracy, TPR, TNR, F1 and ROC AUC (mean and spread) beside the paper's batch classifiers.",
    )
    intent.add_argument("--data", type=data_file, required=True, metavar="FILE",
                        help="online_shoppers_intention.csv (e.g. ../shared/data/online_shoppers_intention.csv)")
    intent.add_argument("--repeats", type=positive_int, default=10, help="seeded splits (default 10)")
    intent.add_argument("--seed", type=int, default=42, help="seed of the first split (default 42)")
    intent.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    intent.set_defaults(run=run)
    loyalty = evaluated.add_parser(
        "loyalty", help="buys-again-in-the-holdout ROC AUC of the loyalty model vs BG/NBD",
        description="Splits time into calibration and holdout; the online loyalty model and BG/NBD score the "
        "same customers at the end of calibration; for CDNOW also BG/NBD's fitted parameters.",
    )
    loyalty.add_argument("--data", type=data_file, required=True, metavar="FILE",
                         help="CDNOW_sample.txt or online_retail_ii_2009_2010.csv.gz")
    loyalty.add_argument("--format", dest="fmt", choices=("cdnow", "online-retail"), required=True,
                         help="the file's format")
    loyalty.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    loyalty.set_defaults(run=run)
    evaluate_segments.add(evaluated)


def run(args: argparse.Namespace) -> int:
    from models.errors import DataFileError
    from models.evaluation import (
        evaluate_intent,
        evaluate_loyalty,
        format_intent_report,
        format_loyalty_report,
    )

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty() and total:
            sys.stderr.write(f"\r  {args.model}: {done}/{total} ({100 * done / total:.0f} %)\x1b[K")
            if done >= total:
                sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()

    result: dict[str, Any]
    try:
        if args.model == "intent":
            result = evaluate_intent(args.data, repeats=args.repeats, seed=args.seed, progress=progress)
            text = format_intent_report(result)
        else:
            result = evaluate_loyalty(args.data, args.fmt, progress=progress)
            text = format_loyalty_report(result)
    except DataFileError as exc:
        raise UsageError(str(exc)) from exc
    print(json.dumps(result, indent=2, default=str) if args.json else text)
    return 0
