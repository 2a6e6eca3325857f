"""``tracker bench``: measure the tracker on the configured Kafka and Redis."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from streams.cli.args import positive_float, positive_int, sizes
from streams.cli.common import EPILOG, Commands
from streams.errors import TrackerError

if TYPE_CHECKING:
    from streams.settings import Settings

SUITES = ("throughput", "live", "triggers", "stages", "lookup", "size", "scale")


def suites(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in names if name not in SUITES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"expected suites from: {', '.join(SUITES)}; got {text!r}")
    return names


def add(commands: Commands) -> None:
    bench = commands.add_parser(
        "bench", help="measure the tracker on the configured Kafka and Redis", epilog=EPILOG,
        description="Benchmarks measure and report; they assert nothing. Run them on an otherwise idle "
        "Kafka and Redis: they write and then delete keys under tracker:{bench-*}.",
    )
    bench.add_argument(
        "--suite", type=suites, default=("throughput", "triggers", "stages", "lookup"), metavar="NAMES",
        help="comma-separated: throughput, live, triggers, stages, lookup, size, scale "
        "(default: throughput, triggers, stages, lookup)",
    )
    bench.add_argument("--events", type=positive_int, default=100_000,
                       help="backlog of simulated events for the throughput suite (default 100000)")
    bench.add_argument("--rate", type=positive_int, default=10_000, metavar="EVENTS_PER_SECOND",
                       help="offered load at which the throughput suite measures latency (default 10000)")
    bench.add_argument("--offered-seconds", type=positive_float, default=10.0, metavar="SECONDS",
                       help="how long that load is offered (default 10)")
    bench.add_argument("--live-rate", type=positive_int, default=3_000, metavar="EVENTS_PER_SECOND",
                       help="events per second the live suite sends, each as it happens (default 3000)")
    bench.add_argument("--live-seconds", type=positive_float, default=30.0, metavar="SECONDS",
                       help="how long the live suite's visits keep starting (default 30)")
    bench.add_argument("--redis-db", type=int, default=15, metavar="N",
                       help="Redis database the throughput and live suites take for themselves and empty "
                       "(default 15)")
    bench.add_argument("--pending", type=positive_int, default=10_000,
                       help="pending abandonments for the triggers suite (default 10000)")
    bench.add_argument("--window", type=positive_float, default=20.0, metavar="SECONDS",
                       help="their due times are spread over this many seconds (default 20)")
    bench.add_argument("--sizes", type=sizes, default=(10_000, 100_000, 1_000_000), metavar="N,N,...",
                       help="deadline-set sizes for the lookup suite (default 10000,100000,1000000)")
    bench.add_argument("--customers", type=sizes, default=(10_000, 100_000, 1_000_000), metavar="N,N,...",
                       help="customers in Redis for the scale suite (default 10000,100000,1000000)")
    bench.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    bench.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `tracker --help` and usage errors stay quick (streams.cli).
    from streams.bench.live import bench_live
    from streams.bench.lookup import bench_due_lookup
    from streams.bench.report import format_report
    from streams.bench.scale import bench_scale
    from streams.bench.size import bench_profile_size
    from streams.bench.stages import bench_stages
    from streams.bench.throughput import bench_throughput
    from streams.bench.triggers import bench_triggers
    from streams.settings import Settings

    settings = Settings()

    def progress(text: str) -> None:
        if sys.stderr.isatty() or not args.json:
            print(f"… {text}", file=sys.stderr)

    results: dict[str, dict[str, object]] = {}
    if "throughput" in args.suite:
        results["throughput"] = _measure("throughput", settings, bench_throughput(
            settings, events=args.events, rate=args.rate, paced_seconds=args.offered_seconds,
            redis_db=args.redis_db, progress=progress))
    if "live" in args.suite:
        results["live"] = _measure("live", settings, bench_live(
            settings, rate=args.live_rate, seconds=args.live_seconds, redis_db=args.redis_db, progress=progress))
    if "triggers" in args.suite:
        results["triggers"] = _measure("triggers", settings,
                                       bench_triggers(settings, pending=args.pending, window=args.window,
                                                      progress=progress))
    if "stages" in args.suite:
        results["stages"] = _measure("stages", settings, bench_stages(settings, progress=progress))
    if "lookup" in args.suite:
        results["lookup"] = _measure("lookup", settings,
                                     bench_due_lookup(settings, sizes=args.sizes, progress=progress))
    if "scale" in args.suite:
        results["scale"] = _measure("scale", settings,
                                    bench_scale(settings, sizes=args.customers, progress=progress))
    if "size" in args.suite:
        results["size"] = _measure("size", settings, bench_profile_size(settings, progress=progress))
    print(json.dumps(results, indent=2) if args.json else format_report(results))
    return 0


def _measure(suite: str, settings: Settings, benchmark: Coroutine[Any, Any, dict[str, object]]) -> dict[str, object]:
    """Run one suite; Redis out of reach is one line naming it, not a traceback."""
    from redis.exceptions import RedisError

    try:
        return asyncio.run(benchmark)
    except (RedisError, OSError) as exc:
        raise TrackerError(f"the {suite} suite needs Redis at {settings.redis_url}: {exc}") from exc
