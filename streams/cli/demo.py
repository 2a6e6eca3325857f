"""``tracker demo``: the whole pipeline on the embedded broker and Redis, with a simulated shop."""

from __future__ import annotations

import argparse

from streams.cli.args import positive_float, positive_int
from streams.cli.common import Commands, configure_logging


def add(commands: Commands) -> None:
    demo = commands.add_parser(
        "demo",
        help="run the whole pipeline on an embedded broker and Redis with a simulated shop",
        description="Starts the embedded Tansu broker and a redis-server on free loopback ports, a worker, "
        "and a simulated clickstream; prints offer triggers as they fire; stops everything at the end.",
    )
    demo.add_argument("--customers", type=positive_int, default=40, help="simulated customers (default 40)")
    demo.add_argument("--seed", type=int, default=7, help="random seed of the simulation (default 7)")
    demo.add_argument(
        "--session-timeout", type=positive_float, default=5.0, metavar="SECONDS",
        help="inactivity that ends a session, compressed for the demo (default 5)",
    )
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from streams.demo.run import run_demo

    configure_logging("warning")
    triggers = run_demo(customers=args.customers, seed=args.seed, session_timeout=args.session_timeout)
    return 0 if triggers else 1
