"""The ``tracker`` command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from pydantic import ValidationError

from offers import PolicyError
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
    except (UsageError, PolicyError) as exc:
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

    offers = commands.add_parser("offers", help="offer results: conversions of treated vs hold-out customers")
    offers_commands = offers.add_subparsers(dest="offers_command", metavar="SUBCOMMAND", required=True)
    report = offers_commands.add_parser(
        "report", help="uplift of the offers: conversion within validity, treated vs hold-out", epilog=EPILOG
    )
    report.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    report.set_defaults(run=_offers_report)

    bench = commands.add_parser(
        "bench", help="measure the tracker on the configured Kafka and Redis", epilog=EPILOG,
        description="Benchmarks measure and report; they assert nothing. Run them on an otherwise idle "
        "Kafka and Redis: they write and then delete keys under tracker:{bench-*}.",
    )
    bench.add_argument(
        "--suite", type=_suites, default=("triggers", "lookup"), metavar="NAMES",
        help="comma-separated: triggers, lookup (default: both)",
    )
    bench.add_argument("--pending", type=_positive_int, default=10_000,
                       help="pending abandonments for the triggers suite (default 10000)")
    bench.add_argument("--window", type=_positive_float, default=20.0, metavar="SECONDS",
                       help="their due times are spread over this many seconds (default 20)")
    bench.add_argument("--sizes", type=_sizes, default=(10_000, 100_000, 1_000_000), metavar="N,N,...",
                       help="deadline-set sizes for the lookup suite (default 10000,100000,1000000)")
    bench.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    bench.set_defaults(run=_bench)

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


def _offers_report(args: argparse.Namespace) -> int:
    import asyncio

    from offers import Uplift

    settings = Settings()

    async def tally() -> tuple[Uplift, int]:
        from redis.exceptions import RedisError

        from streams.store import RedisStore

        store = RedisStore.from_url(
            settings.redis_url,
            password=settings.redis_password.get_secret_value() if settings.redis_password else None,
            session_ttl_seconds=settings.session_timeout_seconds, dedupe_ttl_seconds=settings.dedupe_ttl_seconds,
        )
        uplift, customers = Uplift(), 0
        try:
            async for _, profile in store.profiles():
                customers += 1
                uplift = Uplift(
                    uplift.treated_offers + profile.offers,
                    uplift.treated_conversions + profile.conversions,
                    uplift.holdout_offers + profile.holdouts,
                    uplift.holdout_conversions + profile.holdout_conversions,
                )
        except (RedisError, OSError) as exc:
            raise TrackerError(f"could not read profiles from {settings.redis_url}: {exc}") from exc
        finally:
            await store.close()
        return uplift, customers

    uplift, customers = asyncio.run(tally())
    if args.json:
        print(json.dumps({
            "customers": customers,
            "treated": {"offers": uplift.treated_offers, "conversions": uplift.treated_conversions,
                        "rate": uplift.treated_rate},
            "holdout": {"offers": uplift.holdout_offers, "conversions": uplift.holdout_conversions,
                        "rate": uplift.holdout_rate},
            "absolute_uplift": uplift.absolute_uplift,
            "relative_uplift": uplift.relative_uplift,
            "confidence_interval_95": uplift.confidence_interval(),
        }, indent=2))
        return 0
    print(f"Offers across {customers} customers (conversion = a purchase within the offer's validity)\n")
    print(uplift.format_report())
    return 0


def _bench(args: argparse.Namespace) -> int:
    import asyncio

    from streams.bench import bench_due_lookup, bench_triggers, format_report

    settings = Settings()
    progress = (lambda text: print(f"… {text}", file=sys.stderr)) if sys.stderr.isatty() or not args.json else (
        lambda text: None)
    results: dict[str, dict[str, object]] = {}
    if "triggers" in args.suite:
        results["triggers"] = asyncio.run(
            bench_triggers(settings, pending=args.pending, window=args.window, progress=progress))
    if "lookup" in args.suite:
        results["lookup"] = asyncio.run(bench_due_lookup(settings, sizes=args.sizes, progress=progress))
    print(json.dumps(results, indent=2) if args.json else format_report(results))
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


def _suites(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in names if name not in ("triggers", "lookup")]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"expected suites from: triggers, lookup; got {text!r}")
    return names


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole numbers separated by commas, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected sizes of at least 1, got {text!r}")
    return tuple(sorted(sizes))


def _explain_settings(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        name = "TRACKER_" + "_".join(str(part) for part in error["loc"]).upper()
        lines.append(f"  {name}={error.get('input')!r}: {error['msg']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
