"""The ``tracker`` command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import typing
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from pydantic import SecretStr, ValidationError

from offers import PolicyError
from streams.errors import TrackerError, UsageError
from streams.settings import Settings, describe
from streams.transport import check_redis_login, kafka_python_options, redact_secrets

SUITES = ("throughput", "triggers", "stages", "lookup", "size", "scale")
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

    customers = commands.add_parser(
        "customers", help="best or worst customers by expected future value, with the reasons", epilog=EPILOG)
    customers.add_argument("order", choices=("best", "worst"), help="which end of the ranking")
    customers.add_argument("--segment", type=_segment_name, default=None, help="only this RFM segment")
    customers.add_argument("--limit", type=_positive_int, default=10, help="how many (default 10)")
    customers.add_argument("--json", action="store_true", help="JSON instead of a table")
    customers.set_defaults(run=_customers)

    customer = commands.add_parser("customer", help="one customer's profile, segment, types and timing",
                                   epilog=EPILOG)
    customer.add_argument("customer_id", metavar="ID")
    customer.add_argument("--json", action="store_true", help="JSON instead of text")
    customer.set_defaults(run=_customer)

    segments = commands.add_parser("segments", help="customers per RFM segment, with each segment's persona",
                                   epilog=EPILOG)
    segments.add_argument("--json", action="store_true", help="JSON instead of a table")
    segments.set_defaults(run=_segments)

    forget = commands.add_parser(
        "forget", help="erase a customer: every key in Redis, and a tombstone for downstream systems",
        epilog=EPILOG)
    forget.add_argument("customer_id", metavar="ID")
    forget.add_argument("--no-suppression", dest="suppress", action="store_false",
                        help="do not keep a marker: later events of this id are tracked again")
    forget.add_argument("--json", action="store_true", help="JSON instead of text")
    forget.set_defaults(run=_forget)

    replay = commands.add_parser(
        "replay", help="produce a real purchase history to the purchases topic, in event time", epilog=EPILOG,
        description="Orders and refunds of a public data set become order_placed / order_refunded events "
        "(cancellation invoices, starting with C, are refunds; guest lines without a customer id are counted "
        "and skipped). Event ids come from the invoices, so a second replay changes nothing. Run the worker "
        "with TRACKER_CLOCK=event so that its decisions follow the history.",
    )
    replay.add_argument("file", type=_data_file, metavar="FILE",
                        help="e.g. ../shared/data/online_retail_ii_2009_2010.csv.gz")
    replay.add_argument("--format", dest="fmt", choices=("online-retail", "cdnow"), required=True,
                        help="the file's format")
    replay.add_argument("--limit", type=_positive_int, default=None, help="only the first N transactions")
    replay.add_argument("--json", action="store_true", help="print the report as JSON")
    replay.set_defaults(run=_replay)

    evaluate = commands.add_parser(
        "evaluate", help="offline evaluation of the models on real data sets, beside published figures"
    )
    evaluated = evaluate.add_subparsers(dest="model", metavar="MODEL", required=True)
    intent = evaluated.add_parser(
        "intent", help="purchase intent on the UCI Online Shoppers data (Sakar et al.'s protocol)",
        description="Random 70/30 splits, one online pass over the training rows, the test rows untouched; "
        "accuracy, TPR, TNR, F1 and ROC AUC (mean and spread) beside the paper's batch classifiers.",
    )
    intent.add_argument("--data", type=_data_file, required=True, metavar="FILE",
                        help="online_shoppers_intention.csv (e.g. ../shared/data/online_shoppers_intention.csv)")
    intent.add_argument("--repeats", type=_positive_int, default=10, help="seeded splits (default 10)")
    intent.add_argument("--seed", type=int, default=42, help="seed of the first split (default 42)")
    intent.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    intent.set_defaults(run=_evaluate)
    loyalty = evaluated.add_parser(
        "loyalty", help="buys-again-in-the-holdout ROC AUC of the loyalty model vs BG/NBD",
        description="Splits time into calibration and holdout; the online loyalty model and BG/NBD score the "
        "same customers at the end of calibration; for CDNOW also BG/NBD's fitted parameters.",
    )
    loyalty.add_argument("--data", type=_data_file, required=True, metavar="FILE",
                         help="CDNOW_sample.txt or online_retail_ii_2009_2010.csv.gz")
    loyalty.add_argument("--format", dest="fmt", choices=("cdnow", "online-retail"), required=True,
                         help="the file's format")
    loyalty.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    loyalty.set_defaults(run=_evaluate)

    bench = commands.add_parser(
        "bench", help="measure the tracker on the configured Kafka and Redis", epilog=EPILOG,
        description="Benchmarks measure and report; they assert nothing. Run them on an otherwise idle "
        "Kafka and Redis: they write and then delete keys under tracker:{bench-*}.",
    )
    bench.add_argument(
        "--suite", type=_suites, default=("throughput", "triggers", "stages", "lookup"), metavar="NAMES",
        help="comma-separated: throughput, triggers, stages, lookup, size, scale "
        "(default: throughput, triggers, stages, lookup)",
    )
    bench.add_argument("--events", type=_positive_int, default=100_000,
                       help="backlog of simulated events for the throughput suite (default 100000)")
    bench.add_argument("--rate", type=_positive_int, default=10_000, metavar="EVENTS_PER_SECOND",
                       help="offered load at which the throughput suite measures latency (default 10000)")
    bench.add_argument("--offered-seconds", type=_positive_float, default=10.0, metavar="SECONDS",
                       help="how long that load is offered (default 10)")
    bench.add_argument("--redis-db", type=int, default=15, metavar="N",
                       help="Redis database the throughput suite takes for itself and empties (default 15)")
    bench.add_argument("--pending", type=_positive_int, default=10_000,
                       help="pending abandonments for the triggers suite (default 10000)")
    bench.add_argument("--window", type=_positive_float, default=20.0, metavar="SECONDS",
                       help="their due times are spread over this many seconds (default 20)")
    bench.add_argument("--sizes", type=_sizes, default=(10_000, 100_000, 1_000_000), metavar="N,N,...",
                       help="deadline-set sizes for the lookup suite (default 10000,100000,1000000)")
    bench.add_argument("--customers", type=_sizes, default=(10_000, 100_000, 1_000_000), metavar="N,N,...",
                       help="customers in Redis for the scale suite (default 10000,100000,1000000)")
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
    redact_secrets(settings)  # Kafka clients log passwords at debug level
    check_redis_login(settings)
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
        producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=20,
                                 **kafka_python_options(settings))
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

        store = _redis_store(settings)
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


def _insights(settings: Settings):  # type: ignore[no-untyped-def]
    import asyncio

    from redis.exceptions import RedisError

    from streams.insights import compute_from
    from streams.tracker import utc_now

    # A replayed history is seen as of its last event; a live shop as of now.
    now = None if settings.clock == "event" else utc_now()

    async def run():  # type: ignore[no-untyped-def]
        store = _redis_store(settings)
        try:
            return await compute_from(store, now)
        finally:
            await store.close()

    try:
        insights = asyncio.run(run())
    except (RedisError, OSError) as exc:
        raise TrackerError(f"could not read profiles from {settings.redis_url}: {exc}") from exc
    return insights


def _redis_store(settings: Settings):  # type: ignore[no-untyped-def]
    from streams.transport import redis_store

    return redis_store(
        settings, session_ttl_seconds=settings.session_timeout_seconds, dedupe_ttl_seconds=settings.dedupe_ttl_seconds,
    )


def _customers(args: argparse.Namespace) -> int:
    from streams.insights import jsonable

    insights = _insights(Settings())
    ranked = insights.ranked(args.order, args.segment, args.limit)
    if args.json:
        print(json.dumps([{**jsonable(v), "segment": insights.segment_of.get(v.customer_id)} for v in ranked],
                         indent=2))
        return 0
    where = f" in {args.segment}" if args.segment else ""
    print(f"{args.order.capitalize()} {len(ranked)} customers{where} by expected value over the next 90 days "
          f"(of {len(insights.facts)} customers, as of {insights.now:%Y-%m-%d %H:%M})\n")
    for n, v in enumerate(ranked, 1):
        segment = insights.segment_of.get(v.customer_id, "")
        print(f"{n:>3}. {v.customer_id:<16} £{v.expected_value:>10,.2f}  {segment}")
        for reason in v.reasons:
            print(f"       {reason}")
    return 0


def _customer(args: argparse.Namespace) -> int:
    import asyncio

    settings = Settings()
    insights = _insights(settings)

    async def load():  # type: ignore[no-untyped-def]
        store = _redis_store(settings)
        try:
            return (await store.load({args.customer_id: ()}))[args.customer_id].state.profile
        finally:
            await store.close()

    profile = asyncio.run(load())
    if profile.first_seen is None:
        raise UsageError(f"no customer {args.customer_id!r} in {settings.redis_url}")
    view = insights.customer(args.customer_id, profile)
    if args.json:
        print(json.dumps(view, indent=2))
        return 0
    print(f"{args.customer_id}: {view['segment']}" + (f" (RFM {view['rfm']['code']})" if view["rfm"] else ""))
    for t in view["types"]:
        print(f"  {t['name']:<15} {t['evidence']}")
    if view["value"]:
        print(f"  expected value £{view['value']['expected_value']:,.2f} over 90 days")
        for reason in view["value"]["reasons"]:
            print(f"    {reason}")
    timing = view["timing"]
    if timing.get("next_purchase_at"):
        overdue = " (overdue)" if timing.get("overdue") else ""
        print(f"  next purchase expected {timing['next_purchase_at'][:10]}{overdue}")
    return 0


def _segments(args: argparse.Namespace) -> int:
    insights = _insights(Settings())
    if args.json:
        print(json.dumps({"customers": len(insights.facts), "segments": insights.segments,
                          "personas": insights.persona_cards()}, indent=2))
        return 0
    print(f"{len(insights.facts)} customers, as of {insights.now:%Y-%m-%d %H:%M}\n")
    for name, count in insights.segments.items():
        print(f"  {name:<20} {count:>7}")
    print()
    for card in insights.persona_cards():
        print(f"  {card['summary']}")
    return 0


def _forget(args: argparse.Namespace) -> int:
    import asyncio
    from dataclasses import asdict

    from kafka import KafkaProducer
    from kafka.errors import KafkaError
    from redis.exceptions import RedisError

    from streams.erasure import forget
    from streams.topics import ensure_topics

    settings = Settings()
    try:
        ensure_topics(settings, wait_seconds=10)
        producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all",
                                 **kafka_python_options(settings))
    except (KafkaError, TrackerError) as exc:
        raise TrackerError(f"Kafka at {settings.kafka_broker} is needed for the tombstone: {exc}") from exc

    async def tombstone(topic: str, key: str) -> None:
        producer.send(topic, key=key.encode(), value=None).get(timeout=30)

    async def run():  # type: ignore[no-untyped-def]
        store = _redis_store(settings)
        try:
            return await forget(store, settings, args.customer_id, suppress=args.suppress, publish_tombstone=tombstone)
        finally:
            await store.close()

    try:
        erasure = asyncio.run(run())
    except (RedisError, OSError) as exc:
        raise TrackerError(f"could not erase in {settings.redis_url}: {exc}") from exc
    finally:
        producer.close()
    if args.json:
        print(json.dumps(asdict(erasure), indent=2))
    else:
        kept = "; later events of this id will be dropped" if erasure.suppressed else ""
        print(f"forgot {erasure.customer_id}: {erasure.deleted_keys} keys deleted, tombstone on "
              f"{erasure.tombstone_topic}{kept}")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from kafka.errors import KafkaError

    from models.errors import DataFileError
    from streams.replay import replay

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


def _evaluate(args: argparse.Namespace) -> int:
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


def _bench(args: argparse.Namespace) -> int:
    import asyncio

    from streams.bench import (
        bench_due_lookup, bench_profile_size, bench_scale, bench_stages, bench_triggers, format_report,
    )

    settings = Settings()
    progress = (lambda text: print(f"… {text}", file=sys.stderr)) if sys.stderr.isatty() or not args.json else (
        lambda text: None)
    results: dict[str, dict[str, object]] = {}
    if "throughput" in args.suite:
        from streams.throughput import bench_throughput

        results["throughput"] = asyncio.run(bench_throughput(
            settings, events=args.events, rate=args.rate, paced_seconds=args.offered_seconds,
            redis_db=args.redis_db, progress=progress))
    if "triggers" in args.suite:
        results["triggers"] = asyncio.run(
            bench_triggers(settings, pending=args.pending, window=args.window, progress=progress))
    if "stages" in args.suite:
        results["stages"] = asyncio.run(bench_stages(settings, progress=progress))
    if "lookup" in args.suite:
        results["lookup"] = asyncio.run(bench_due_lookup(settings, sizes=args.sizes, progress=progress))
    if "scale" in args.suite:
        results["scale"] = asyncio.run(bench_scale(settings, sizes=args.customers, progress=progress))
    if "size" in args.suite:
        results["size"] = asyncio.run(bench_profile_size(settings, progress=progress))
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


def _segment_name(text: str) -> str:
    from models.rfm import SEGMENTS

    from streams.insights import VISITORS

    names = (*SEGMENTS, VISITORS)
    if text not in names:
        raise argparse.ArgumentTypeError(f"unknown segment {text!r} (expected one of: {', '.join(names)})")
    return text


def _data_file(text: str) -> str:
    from pathlib import Path

    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return text


def _suites(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in names if name not in SUITES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"expected suites from: {', '.join(SUITES)}; got {text!r}")
    return names


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole numbers separated by commas, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected sizes of at least 1, got {text!r}")
    return tuple(sorted(sizes))


def _shown(field: str, value: object) -> str:
    """A rejected value as an error shows it: a secret's as ***."""
    annotation = Settings.model_fields[field].annotation if field in Settings.model_fields else None
    secret = annotation is SecretStr or SecretStr in typing.get_args(annotation)
    return "***" if secret else repr(value)


def _explain_settings(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        if not error["loc"]:  # a rule over several settings: its message names them; the input is all of them
            lines.append(f"  {error['msg'].removeprefix('Value error, ')}")
            continue
        name = "TRACKER_" + "_".join(str(part) for part in error["loc"]).upper()
        lines.append(f"  {name}={_shown(str(error['loc'][0]), error.get('input'))}: {error['msg']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
