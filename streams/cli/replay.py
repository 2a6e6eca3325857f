"""``tracker replay FILE``: a real purchase history produced to the purchases topic, in event time."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from streams.cli.args import data_file, positive_int
from streams.cli.common import EPILOG, Commands
from streams.errors import TrackerError, UsageError
from streams.settings import Settings


def add(commands: Commands) -> None:
    replay = commands.add_parser(
        "replay", help="produce a real purchase history to the purchases topic, in event time", epilog=EPILOG,
        description="Orders and refunds of a public data set become order_placed / order_refunded events "
        "(cancellation invoices, starting with C, are refunds; guest lines without a customer id are counted "
        "and skipped). Event ids come from the invoices, so a second replay changes nothing. Run the worker "
        "with TRACKER_CLOCK=event so that its decisions follow the history.",
    )
    replay.add_argument("file", type=data_file, metavar="FILE",
                        help="e.g. ../shared/data/online_retail_ii_2009_2010.csv.gz")
    replay.add_argument("--format", dest="fmt", choices=("online-retail", "cdnow"), required=True,
                        help="the file's format")
    replay.add_argument("--limit", type=positive_int, default=None, help="only the first N transactions")
    replay.add_argument("--json", action="store_true", help="print the report as JSON")
    replay.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kafka.errors import KafkaError

    from models.errors import DataFileError
    from streams.replay.produce import replay

    settings = Settings()

    def progress(done: int, total: int, seconds: float) -> None:
        if sys.stderr.isatty():
            rate = done / seconds if seconds else 0.0
            sys.stderr.write(f"\r  replay: {done}/{total} events ({rate:,.0f}/s)\x1b[K")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    try:
        report = replay(args.file, args.fmt, settings, limit=args.limit, progress=progress)
    except DataFileError as exc:
        raise UsageError(str(exc)) from exc
    except KafkaError as exc:
        raise TrackerError(f"could not produce to {settings.kafka_broker}: {exc}") from exc
    if args.json:
        print(json.dumps({**asdict(report), "events": report.events}, indent=2))
    else:
        print(f"replayed {report.path}: {report.events} events ({report.orders} orders, {report.refunds} refunds) "
              f"of {report.customers} customers to {settings.purchases_topic} in {report.seconds}s; "
              f"{report.guest_lines} guest lines of {report.lines} skipped")
    return 0
