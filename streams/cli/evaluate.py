"""``tracker evaluate intent|loyalty|value|segments``: the models on real data sets, beside published figures and baselines."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from streams.cli.args import CLICK_COLUMNS, COLUMNS, column_map, data_file, positive_int
from streams.cli import evaluate_segments
from streams.cli.common import Commands, json_document, say_bad_lines
from streams.cli.progress import Reporter, later_step
from streams.errors import UsageError

FORMATS = ("cdnow", "online-retail", "csv")
#: UCI's one row per session, or a shop's events as ``tracker replay`` reads them.
INTENT_FORMATS = ("uci", "clickstream", "segment", "ga4", "events")


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2010-09-10, got {text!r}") from None


def _purchase_log(parser: argparse.ArgumentParser, examples: str) -> None:
    """The flags of a purchase log and its periods, shared by ``loyalty`` and ``value``."""
    parser.add_argument("--data", type=data_file, required=True, metavar="FILE", help=examples)
    parser.add_argument("--format", dest="fmt", choices=FORMATS, default=None,
                        help="the file's format (default: told by its first line — CDNOW's numbers, Online Retail's "
                        "header, else csv; csv: a CSV, .xlsx or Parquet table, with --columns, or as its header names the "
                        "columns; without a header, --columns by column number, 1 for the first)")
    parser.add_argument("--columns", default=None, metavar="MAP",
                        help=f"which columns of a csv log hold what: {COLUMNS} (default: read from the header's names, "
                        "e.g. customer_id, order_date, amount, order_id)")
    parser.add_argument("--cutoff", type=iso_date, default=None, metavar="DATE",
                        help="last day of the calibration period (default: the log's last day less the horizon)")
    parser.add_argument("--horizon-days", type=positive_int, default=None, metavar="DAYS",
                        help="days of the holdout after the cutoff, and the models' horizon (default 90)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    parser.set_defaults(run=run)


def add(commands: Commands) -> None:
    evaluate = commands.add_parser(
        "evaluate", help="offline evaluation of the models on real data sets, beside published figures"
    )
    evaluated = evaluate.add_subparsers(dest="model", metavar="MODEL", required=True)
    intent = evaluated.add_parser(
        "intent", help="purchase intent on the UCI Online Shoppers data (Sakar et al.'s protocol) or a shop's clickstream",
        description="UCI's sessions: random 70/30 splits, one online pass over the training rows, the test rows "
        "untouched; accuracy, TPR, TNR, F1 and ROC AUC (mean and spread) beside the paper's batch classifiers. "
        "A shop's clickstream (--format clickstream, segment, ga4 or events, read as tracker replay reads it): "
        "cut into visits by the worker's steps and session timeout, learned by the worker's intent model in the "
        "order they ended; its progressive ROC AUC, and a holdout of the latest 30 % of the visits scored by "
        "the model that learned the ones before, beside the rules 'started a checkout' and 'added to cart'.",
    )
    intent.add_argument("--data", type=data_file, required=True, metavar="FILE",
                        help="online_shoppers_intention.csv (e.g. ../shared/data/online_shoppers_intention.csv), "
                        "or a clickstream")
    intent.add_argument("--format", dest="fmt", choices=INTENT_FORMATS, default=None,
                        help="the file's format (default: uci when its header is UCI's, else clickstream)")
    intent.add_argument("--columns", default=None, metavar="MAP",
                        help=f"which columns of a clickstream hold what: {CLICK_COLUMNS} (default: read from the "
                        "header's names)")
    intent.add_argument("--repeats", type=positive_int, default=10, help="UCI: seeded splits (default 10)")
    intent.add_argument("--seed", type=int, default=42, help="UCI: seed of the first split (default 42)")
    intent.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    intent.set_defaults(run=run)
    loyalty = evaluated.add_parser(
        "loyalty", help="buys-again-in-the-holdout ROC AUC of the loyalty model vs BG/NBD",
        description="Splits time into calibration and holdout (by default the log's last 90 days); the online "
        "loyalty model and BG/NBD score the same customers at the end of calibration; for CDNOW with no "
        "period flags, Fader and Hardie's published split and BG/NBD's parameters beside theirs.",
    )
    _purchase_log(loyalty, "a purchase log, e.g. CDNOW_sample.txt or online_retail_ii_2009_2010.csv.gz")
    value = evaluated.add_parser(
        "value", help="the ranking by predicted value scored on what customers spent next, vs baselines",
        description="Replays the log up to the cutoff through the worker's own value model (learning only from "
        "labels known by then), ranks every customer at the cutoff and scores the ranking on their spend in "
        "the horizon after it: Spearman, top-decile capture and gains, AUC for 'buys again', MAE and totals; "
        "beside past spend, RFM, BG/NBD and BG/NBD x Gamma-Gamma on the same customers, with bootstrap "
        "95 % intervals of the differences.",
    )
    _purchase_log(value, "a purchase log: CDNOW (sample or master), Online Retail I or II, or any CSV, .xlsx or "
                   "Parquet table of orders")
    evaluate_segments.add(evaluated)


def run(args: argparse.Namespace) -> int:
    from models.errors import DataFileError
    from models.evaluation import (
        evaluate_intent,
        evaluate_loyalty,
        format_intent_report,
        format_loyalty_report,
    )
    from models.value_evaluation import evaluate_value, format_value_report

    reporter = Reporter(args.model, unit="transactions" if args.model in ("loyalty", "value") else "")
    result: dict[str, Any]
    if args.model in ("loyalty", "value") and args.fmt is None:
        from models.datasets import detect_format

        args.fmt = "csv" if args.columns is not None else detect_format(args.data)
        print(f"format: {args.fmt} (told by the file's first line; --format to choose)", file=sys.stderr)
    try:
        if args.model == "intent" and _intent_format(args) != "uci":
            with reporter.meanwhile(f"reading {args.data}"):
                result, text = _clickstream_intent(args, reporter)
        elif args.model == "intent":
            result = evaluate_intent(args.data, repeats=args.repeats, seed=args.seed, progress=reporter.count)
            text = format_intent_report(result)
        elif args.model == "loyalty":
            # The log is read before the first count: said to be going on meanwhile, for a big file.
            with reporter.meanwhile(f"reading {args.data}"):
                result = evaluate_loyalty(args.data, args.fmt, reporter.count, cutoff=args.cutoff,
                                          horizon_days=args.horizon_days, columns=column_map(args.fmt, args.columns))
            text = format_loyalty_report(result)
        else:
            with reporter.meanwhile(f"reading {args.data}"):
                result = evaluate_value(args.data, args.fmt, cutoff=args.cutoff,
                                        columns=column_map(args.fmt, args.columns), progress=reporter.count,
                                        bootstrap_progress=later_step("value bootstrap", unit="resamples"),
                                        **_horizon(args))
            text = format_value_report(result)
    except DataFileError as exc:  # one line naming the file, line and column
        raise UsageError(str(exc)) from exc
    print(json_document(result) if args.json else text)
    return 0


def _intent_format(args: argparse.Namespace) -> str:
    """UCI's sessions or a clickstream: as given, else UCI's header (its ``Revenue`` label and page counts)."""
    from models.textfiles import header_cells, normalise

    if args.fmt is None:
        names = {normalise(name) for name in header_cells(args.data)}
        args.fmt = "uci" if {"revenue", "productrelated"} <= names else "clickstream"
        print(f"format: {args.fmt} (told by the file's first line; --format to choose)", file=sys.stderr)
    if args.fmt == "uci" and args.columns is not None:
        raise UsageError("--columns is for a clickstream, not UCI's sessions")
    if args.fmt in ("segment", "ga4", "events") and args.columns is not None:
        raise UsageError(f"--columns is for --format clickstream, not {args.fmt}")
    return str(args.fmt)


def _clickstream_intent(args: argparse.Namespace, reporter: Reporter) -> tuple[dict[str, Any], str]:
    from streams.replay.clickstream import parse_click_columns
    from streams.replay.intent_check import evaluate_clickstream_intent, format_clickstream_intent_report
    from streams.settings import Settings

    try:
        columns = parse_click_columns(args.columns) if args.columns is not None else None
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    try:
        reporter.unit = " customers' visits cut"
        result = evaluate_clickstream_intent(args.data, args.fmt, Settings(), columns=columns, reading=reporter.lines,
                                             stage=reporter.stage, count=reporter.count)
    except OSError as exc:
        raise UsageError(f"could not read {args.data}: {exc.strerror or exc}") from exc
    if args.fmt == "clickstream" and args.columns is None and result["columns"]:
        read = ",".join(f"{key}={column}" for key, column in result["columns"].items())
        print(f"columns read from the header: {read} (--columns to choose others)", file=sys.stderr)
    if not args.json:
        say_bad_lines(result["first_bad_lines"], result["bad_lines"])  # as tracker replay says them
    return result, format_clickstream_intent_report(result)


def _horizon(args: argparse.Namespace) -> dict[str, int]:
    return {} if args.horizon_days is None else {"horizon_days": args.horizon_days}
