"""``tracker demo``: the whole pipeline on the embedded broker and Redis, with a simulated shop."""

from __future__ import annotations

import argparse

from streams.cli.args import positive_float, positive_int
from streams.cli.common import Commands, configure_logging


def add(commands: Commands) -> None:
    demo = commands.add_parser(
        "demo",
        help="run the whole pipeline on an embedded broker and Redis with a simulated shop",
        description="Starts the embedded Tansu broker and a redis-server on free loopback ports and a worker; "
        "replays months of a simulated shop's history in event time, then plays its live traffic, printing the "
        "offers as they fire; then answers who the best and worst customers are, with segments, personas and the "
        "offers' uplift. In a terminal the worker and its page stay up until Ctrl-C.",
    )
    demo.add_argument("--customers", type=positive_int, default=100,
                      help="simulated customers, most with months of history (default 100)")
    demo.add_argument("--seed", type=int, default=7, help="random seed of the simulation (default 7)")
    demo.add_argument(
        "--session-timeout", type=positive_float, default=3.0, metavar="SECONDS",
        help="inactivity that ends a session, compressed for the demo (default 3)",
    )
    # A year: the value and loyalty models learn from snapshots whose 90-day horizon has passed,
    # three quarters of it; with half a year they had one, and a one-time buyer lost for months
    # was still given a third of a loyal customer's value.
    demo.add_argument("--days", type=positive_int, default=365, help="days of history before today (default 365)")
    stay = demo.add_mutually_exclusive_group()
    stay.add_argument("--keep-up", dest="keep_up", action="store_true", default=None,
                      help="keep the worker and its page up after the answer until Ctrl-C (default in a terminal)")
    stay.add_argument("--exit", dest="keep_up", action="store_false",
                      help="stop everything after the answer (default without a terminal)")
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from streams.demo.run import run_demo

    configure_logging("warning")
    triggers = run_demo(customers=args.customers, seed=args.seed, session_timeout=args.session_timeout,
                        days=args.days, keep_up=args.keep_up)
    return 0 if triggers else 1
