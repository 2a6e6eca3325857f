"""The ``tracker`` command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from pydantic import ValidationError

from streams.errors import TrackerError, UsageError
from streams.settings import Settings, describe

EPILOG = "Configuration comes from TRACKER_* environment variables; `tracker settings` lists them."


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except ValidationError as exc:
        print(f"tracker: invalid configuration:\n{_explain_settings(exc)}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"tracker {args.command}: {exc}", file=sys.stderr)
        return 2
    except TrackerError as exc:
        print(f"tracker {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ntracker: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tracker",
        description="Live customer profiles, purchase intent, loyalty and abandoned-interest offers "
        "from clickstream and purchase events in Kafka.",
        epilog=EPILOG,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    worker = commands.add_parser(
        "worker", help="run a stream worker (Kafka in, Redis state, triggers out)", epilog=EPILOG
    )
    worker.set_defaults(run=_worker)

    demo = commands.add_parser(
        "demo",
        help="run the whole pipeline on an embedded broker and Redis with a simulated shop",
        description="Starts the embedded Tansu broker and a redis-server on free loopback ports, a worker, "
        "and a simulated clickstream; prints offer triggers as they fire; stops everything at the end.",
    )
    demo.add_argument("--customers", type=_positive_int, default=40, help="simulated customers (default 40)")
    demo.add_argument("--seed", type=int, default=7, help="random seed of the simulation (default 7)")
    demo.add_argument(
        "--session-timeout", type=_positive_float, default=5.0, metavar="SECONDS",
        help="inactivity that ends a session, compressed for the demo (default 5)",
    )
    demo.set_defaults(run=_demo)

    simulate = commands.add_parser(
        "simulate", help="produce a simulated clickstream to the configured Kafka", epilog=EPILOG
    )
    simulate.add_argument("--customers", type=_positive_int, default=100, help="simulated customers (default 100)")
    simulate.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    simulate.add_argument(
        "--pace", type=_positive_float, default=30.0, metavar="SECONDS",
        help="mean seconds between a customer's events, in event time (default 30)",
    )
    simulate.add_argument(
        "--start", type=_aware_datetime, default=None, metavar="ISO-8601",
        help="event time of the first journey, with a zone (default: now)",
    )
    simulate.add_argument("--json", action="store_true", help="print the events as JSON lines instead of producing")
    simulate.set_defaults(run=_simulate)

    settings = commands.add_parser("settings", help="list every TRACKER_* setting with its default")
    settings.add_argument("--json", action="store_true", help="as JSON")
    settings.set_defaults(run=_settings)

    schema = commands.add_parser("schema", help="print the JSON Schema of the offer trigger record")
    schema.set_defaults(run=_schema)
    return parser


# ------------------------------------------------------------------ commands


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def _worker(args: argparse.Namespace) -> int:
    from streams.app import run

    settings = Settings()
    _configure_logging(settings.log_level)
    run(settings)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from streams.demo import run_demo

    _configure_logging("warning")
    triggers = run_demo(customers=args.customers, seed=args.seed, session_timeout=args.session_timeout)
    return 0 if triggers else 1


def _simulate(args: argparse.Namespace) -> int:
    from streams.events import dump
    from streams.simulate import in_time_order, simulate, topic_for

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
    try:
        producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=20)
        for event in events:
            topic = topic_for(event, site_visits=settings.site_visits_topic, purchases=settings.purchases_topic)
            producer.send(topic, key=event.customer_id.encode(), value=dump(event))
        producer.flush()
        producer.close()
    except KafkaError as exc:
        raise TrackerError(f"could not produce to {settings.kafka_broker}: {exc}") from exc
    print(f"produced {len(events)} events of {len(shoppers)} customers to {settings.kafka_broker}")
    return 0


def _settings(args: argparse.Namespace) -> int:
    rows = describe()
    if args.json:
        print(json.dumps([{"variable": v, "default": d, "description": t} for v, d, t in rows], indent=2))
        return 0
    width = max(len(v) for v, _, _ in rows)
    for variable, default, text in rows:
        print(f"{variable:<{width}}  {default:<26} {text}")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from offers.triggers import render_json_schema

    sys.stdout.write(render_json_schema())
    return 0


# ------------------------------------------------------------- argument types


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected more than 0 seconds, got {text}")
    return value


def _aware_datetime(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO-8601 time like 2026-01-01T09:00:00+00:00, got {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"expected a time zone in {text!r}, e.g. 2026-01-01T09:00:00+00:00")
    return value


def _explain_settings(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        name = "TRACKER_" + "_".join(str(part) for part in error["loc"]).upper()
        lines.append(f"  {name}={error.get('input')!r}: {error['msg']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
