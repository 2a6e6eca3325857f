"""``tracker replay FILE``: a real history produced to the input topics, in event time.

Two kinds of history: purchase logs (``online-retail``, ``cdnow``, ``csv``: orders and refunds) and
JSON Lines of visits and orders (``events``: the tracker's own events; ``segment``: messages
of the e-commerce tracking spec, as Segment or RudderStack export them).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from streams.cli.args import CLICK_COLUMNS, COLUMNS, column_map, data_file, positive_int
from streams.cli.common import EPILOG, Commands, say_bad_lines
from streams.cli.progress import Reporter
from streams.errors import TrackerError, UsageError

if TYPE_CHECKING:
    from streams.settings import Settings

PURCHASE_LOGS = ("online-retail", "cdnow", "csv")
HISTORIES = ("events", "segment", "ga4", "clickstream")


def add(commands: Commands) -> None:
    replay = commands.add_parser(
        "replay", help="produce a real history (purchase log or JSON Lines of events) to Kafka, in event time",
        epilog=EPILOG,
        description="Purchase logs (online-retail, cdnow, or any csv, with --columns or as its header names them): orders and refunds become "
        "order_placed / order_refunded events (cancellation invoices, starting with C, are refunds; guest lines "
        "without a customer id are counted and skipped); event ids come from the invoices. JSON Lines or a JSON array, plain, "
        "gzip, bzip2, xz or zipped (events: the tracker's own events; segment: Segment/RudderStack messages, as their bucket "
        "destinations or a warehouse export write them): every line is checked as the worker would, a bad line is "
        "reported with its number and reason and the replay goes on, and what an earlier replay produced is left "
        "out; ga4: Google Analytics 4's BigQuery export as JSON Lines. Clickstream: a CSV or Parquet table (one row per event; without a header, columns named by number) or JSON Lines (one object per event, as Mixpanel, Amplitude or PostHog export them; nested fields named outer.inner), with --columns or as its header names them (event names read by what they say: view, "
        "cart, add_to_cart, remove_from_cart, begin_checkout, purchase, transaction, ...; the purchase rows of one "
        "order id, or without one a customer's purchase rows of one session each within a minute of the one "
        "before, as a checkout writes its items, are one order). Either way a second "
        "replay changes nothing. Run the worker with TRACKER_CLOCK=event so that its "
        "decisions follow the history.",
    )
    replay.add_argument("file", type=data_file, metavar="FILE",
                        help="e.g. ../shared/data/online_retail_ii_2009_2010.csv.gz or export.jsonl.gz")
    replay.add_argument("--format", dest="fmt", choices=(*PURCHASE_LOGS, *HISTORIES), required=True,
                        help="the file's format")
    replay.add_argument("--columns", default=None, metavar="MAP",
                        help=f"which columns hold what: of a csv purchase log {COLUMNS}; of a clickstream "
                        f"{CLICK_COLUMNS}")
    replay.add_argument("--currency", default=None, metavar="CODE", type=currency,
                        help="ISO 4217 code of a purchase log's amounts (default: GBP for online-retail, USD for "
                        "cdnow; the orders of a csv log carry none unless given, and are then in the shop's "
                        "TRACKER_CURRENCY)")
    replay.add_argument("--limit", type=positive_int, default=None,
                        help="only the first N transactions (purchase logs) or lines (JSON Lines)")
    replay.add_argument("--json", action="store_true", help="print the report as JSON")
    replay.set_defaults(run=run)


def currency(text: str) -> str:
    code = text.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise argparse.ArgumentTypeError(f"expected a three-letter currency code such as EUR, got {text!r}")
    return code


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `tracker --help` and usage errors stay quick (streams.cli).
    from kafka.errors import KafkaError
    from redis.exceptions import RedisError

    from streams.settings import Settings

    if args.fmt in HISTORIES and args.currency is not None:
        raise UsageError(f"--currency is for purchase logs, not --format {args.fmt}")
    if args.fmt in ("events", "segment", "ga4") and args.columns is not None:
        raise UsageError(f"--columns is for --format csv or clickstream, not {args.fmt}")
    settings = Settings()
    try:
        if args.fmt in HISTORIES:
            return _history(args, settings)
        return _purchase_log(args, settings)
    except KafkaError as exc:
        raise TrackerError(f"could not produce to {settings.kafka_broker}: {exc}") from exc
    except RedisError as exc:
        raise TrackerError(f"could not read or write the replay ledger in Redis: {exc}") from exc


def _purchase_log(args: argparse.Namespace, settings: Settings) -> int:
    from models.errors import DataFileError
    from streams.replay.produce import replay

    columns = column_map(args.fmt, args.columns)
    reporter = Reporter("replay", unit="events")
    try:
        with reporter.meanwhile(f"reading {args.file}"):
            report = replay(args.file, args.fmt, settings, limit=args.limit, columns=columns, currency=args.currency,
                            progress=lambda done, total, _: reporter.count(done, total))
    except DataFileError as exc:
        raise UsageError(str(exc)) from exc
    if args.json:
        print(json.dumps({**asdict(report), "events": report.events}, indent=2))
    else:
        if args.fmt == "csv" and args.columns is None:
            print(report.layout, file=sys.stderr)  # which columns were read as what
        print(f"replayed {report.path}: {report.events} events ({report.orders} orders, {report.refunds} refunds) "
              f"of {report.customers} customers to {settings.purchases_topic} in {report.seconds}s; "
              f"{report.guest_lines} guest lines{f', {report.not_sales} of orders that were no sale' if report.not_sales else ''}"
              f"{f', {report.open_deals} of deals not won (yet)' if report.open_deals else ''} of {report.lines} skipped")
    return 0


def _history(args: argparse.Namespace, settings: Settings) -> int:
    from models.errors import DataFileError
    from streams.replay.clickstream import parse_click_columns
    from streams.replay.history import DATES_ONLY, replay_history

    columns = None
    if args.fmt == "clickstream" and args.columns is not None:
        try:
            columns = parse_click_columns(args.columns)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    try:
        reporter = Reporter("replay", unit="events")
        with reporter.meanwhile(f"reading {args.file}"):
            report = replay_history(args.file, args.fmt, settings, limit=args.limit, columns=columns,
                                    progress=lambda done, total, _: reporter.count(done, total), reading=reporter.lines)
    except OSError as exc:
        raise UsageError(f"could not read {args.file}: {exc.strerror or exc}") from exc
    except DataFileError as exc:  # a clickstream's missing column or time column without dates: one line
        raise UsageError(str(exc)) from exc
    if args.json:
        body: dict[str, Any] = asdict(report)
        print(json.dumps(body, indent=2))
        return 0
    if report.dates_only:
        print(f"warning: {report.path}: {DATES_ONLY}", file=sys.stderr)
    if args.fmt == "clickstream" and args.columns is None:
        read = ",".join(f"{key}={column}" for key, column in report.columns.items())
        print(f"columns read from the header: {read} (--columns to choose others)", file=sys.stderr)
    say_bad_lines([asdict(bad) for bad in report.bad_lines], report.bad)
    span = f" from {report.first_event_at} to {report.last_event_at}" if report.first_event_at else ""
    unmapped = sum(report.unmapped.values())
    print(f"replayed {report.path}: {report.produced} events of {report.customers} customers{span} in "
          f"{report.seconds}s; {report.already_replayed} already replayed, {unmapped} without an event of their own "
          f"(visit activity), {report.bad} bad line(s) of {report.lines}")
    return 0
