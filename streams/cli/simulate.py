"""``tracker simulate``: a simulated clickstream, produced to Kafka or printed as JSON lines."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta, timezone

from streams.cli.args import aware_datetime, positive_float, positive_int
from streams.cli.common import EPILOG, Commands
from streams.errors import TrackerError
from streams.settings import Settings, intake_of
from streams.transport import kafka_python_options


def add(commands: Commands) -> None:
    simulate = commands.add_parser(
        "simulate", help="produce a simulated clickstream to the configured Kafka", epilog=EPILOG
    )
    simulate.add_argument("--customers", type=positive_int, default=100, help="simulated customers (default 100)")
    simulate.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    simulate.add_argument(
        "--pace", type=positive_float, default=30.0, metavar="SECONDS",
        help="mean seconds between a customer's events, in event time (default 30)",
    )
    simulate.add_argument(
        "--start", type=aware_datetime, default=None, metavar="ISO-8601",
        help="event time of the first journey, with a zone (default: now)",
    )
    simulate.add_argument("--json", action="store_true", help="print the events as JSON lines instead of producing")
    simulate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from streams.core.events import dump
    from streams.demo.simulate import in_time_order, simulate

    start = args.start or datetime.now(timezone.utc)
    shoppers = simulate(
        args.customers, seed=args.seed, start=start, pace=timedelta(seconds=args.pace),
        spread=timedelta(seconds=args.pace * args.customers / 4),
    )
    events = list(in_time_order(shoppers))
    if args.json:
        for event in events:
            sys.stdout.write(dump(event).decode() + "\n")
        return 0
    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    settings = Settings()
    intake = intake_of(settings)
    try:
        producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=20,
                                 **kafka_python_options(settings))
        for event in events:
            producer.send(intake.topic_of(event), key=event.customer_id.encode(), value=dump(event))
        producer.flush()
        producer.close()
    except KafkaError as exc:
        raise TrackerError(f"could not produce to {settings.kafka_broker}: {exc}") from exc
    print(f"produced {len(events)} events of {len(shoppers)} customers to {settings.kafka_broker}")
    return 0
