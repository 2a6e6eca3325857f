"""``tracker offers report``: the offers' uplift, treated vs hold-out customers."""

from __future__ import annotations

import argparse
import asyncio
import json

from streams.cli.common import EPILOG, Commands, store_of
from streams.errors import TrackerError


def add(commands: Commands) -> None:
    offers = commands.add_parser("offers", help="offer results: conversions of treated vs hold-out customers")
    offers_commands = offers.add_subparsers(dest="offers_command", metavar="SUBCOMMAND", required=True)
    report = offers_commands.add_parser(
        "report", help="uplift of the offers: conversion within validity, treated vs hold-out", epilog=EPILOG
    )
    report.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    report.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `tracker --help` and usage errors stay quick (streams.cli).
    from offers import Uplift
    from streams.core.offer_report import HOW_TO_READ, report_json, uplift_of
    from streams.settings import Settings

    settings = Settings()

    async def tally() -> tuple[Uplift, int]:
        from redis.exceptions import RedisError

        store = store_of(settings)
        try:
            return uplift_of([profile async for _, profile in store.profiles()])
        except (RedisError, OSError) as exc:
            raise TrackerError(f"could not read profiles from {settings.redis_url}: {exc}") from exc
        finally:
            await store.close()

    uplift, customers = asyncio.run(tally())
    if args.json:
        print(json.dumps(report_json(uplift, customers), indent=2))
        return 0
    print(f"Offers across {customers} customers (conversion = a purchase within the offer's validity)\n")
    print(uplift.format_report())
    print(f"\nHow to read it: {HOW_TO_READ}")
    return 0
