"""``tracker evaluate segments``: the behavioural segments on a purchase log or the demo shop, compared by method."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from models.segment_options import METHODS
from streams.cli.args import COLUMNS, column_map, data_file, positive_int
from streams.cli.common import json_document
from streams.cli.progress import Reporter
from streams.errors import UsageError


def add(evaluated: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    segments = evaluated.add_parser(
        "segments", help="behavioural segments on a purchase log or the demo shop: found, stable, cost",
        description="Replays a purchase log (or the simulated demo shop) in time order into the behavioural "
        "segments model, twice — the second time with another seed and each block of moments in another order — "
        "and reports per river clusterer the segments found, what sets each apart, the adjusted Rand index "
        "between the two replays (and with the demo's true kinds) and the cost per learned moment.",
    )
    source = segments.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=data_file, metavar="FILE",
                        help="a purchase log: CDNOW, Online Retail, or any CSV, .xlsx or Parquet table of orders")
    source.add_argument("--demo", type=positive_int, metavar="N", help="the demo shop with N simulated customers")
    segments.add_argument("--format", dest="fmt", choices=("cdnow", "online-retail", "csv"),
                          help="the log's format (default: told by its first line, as evaluate loyalty and value "
                          "tell it)")
    segments.add_argument("--columns", default=None, metavar="MAP",
                          help=f"which columns of a csv log hold what: {COLUMNS} (default: read from the header's "
                          "names)")
    segments.add_argument("--methods", default=",".join(METHODS),
                          help=f"comma-separated river clusterers to compare (default: {','.join(METHODS)})")
    segments.add_argument("--learn-share", type=float, default=None, metavar="SHARE",
                          help="share of the moments the model learns (default: the model's, as the worker learns)")
    segments.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    segments.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from models.datasets import load_log
    from models.errors import DataFileError
    from models.segment_evaluation import evaluate_segments, facts_of_log, format_segments_report

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise UsageError(f"--methods: unknown method {', '.join(unknown) or '(none)'} (expected some of: "
                         f"{', '.join(METHODS)})")

    progress = Reporter("segments").count  # as evaluate's other models report theirs

    if args.data is None and (args.fmt is not None or args.columns is not None):
        raise UsageError(f"--{'format' if args.fmt is not None else 'columns'} is for --data, not --demo")
    if args.data is not None:
        if args.fmt is None:
            from models.datasets import detect_format

            args.fmt = "csv" if args.columns is not None else detect_format(args.data)
            print(f"format: {args.fmt} (told by the file's first line; --format to choose)", file=sys.stderr)
        columns = column_map(args.fmt, args.columns)
        try:
            log = load_log(args.data, args.fmt, columns=columns)
            history = facts_of_log(log.transactions)
        except DataFileError as exc:
            raise UsageError(str(exc)) from exc
        if args.fmt == "csv" and args.columns is None:
            print(f"{args.data}: {log.layout}", file=sys.stderr)  # which columns were read as what
    else:
        from streams.demo.segments import demo_history

        history = demo_history(args.demo)
    hyper: dict[str, Any] = {}
    if args.learn_share is not None:
        if not 0.0 < args.learn_share <= 1.0:
            raise UsageError(f"--learn-share: expected a share in (0, 1], found {args.learn_share}")
        hyper["learn_share"] = args.learn_share
    result: dict[str, Any] = evaluate_segments(history, methods=methods, progress=progress,  # type: ignore[arg-type]
                                               **hyper)
    rows = list(result["methods"].values())
    if all("unformed" in row for row in rows):  # nothing to report: say why, as evaluate's other models do
        raise UsageError(rows[0]["unformed"] + _what_to_try(rows[0], args.learn_share))
    print(json_document(result) if args.json else format_segments_report(result))
    return 0


def _what_to_try(row: dict[str, Any], learn_share: float | None) -> str:
    """What gives the model enough moments to learn, when too few were the reason."""
    if row["learned"] >= row["warm_up"]:
        return ""
    every = "" if learn_share == 1.0 else ", or --learn-share 1 to learn every moment"
    return f" (more customers or a longer log{every})"
