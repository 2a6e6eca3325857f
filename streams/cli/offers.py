"""``tracker offers report``: the offers' uplift, treated vs hold-out customers."""

from __future__ import annotations

import argparse
import asyncio
import json

from streams.cli.common import EPILOG, Commands, store_of
from streams.errors import TrackerError
from streams.settings import Settings


def add(commands: Commands) -> None:
    offers = commands.add_parser("offers", help="offer results: conversions of treated vs hold-out customers")
    offers_commands = offers.add_subparsers(dest="offers_command", metavar="SUBCOMMAND", required=True)
    report = offers_commands.add_parser(
        "report", help="uplift of the offers: conversion within validity, treated vs hold-out", epilog=EPILOG
    )
    report.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    report.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from offers import Uplift

    settings = Settings()

    async def tally() -> tuple[Uplift, int]:
        from redis.exceptions import RedisError

        store = store_of(settings)
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
