"""``tracker segments``: customers per RFM segment, with each segment's persona."""

from __future__ import annotations

import argparse
import json

from streams.cli.common import EPILOG, Commands, read_insights
from streams.settings import Settings


def add(commands: Commands) -> None:
    segments = commands.add_parser("segments", help="customers per RFM segment, with each segment's persona",
                                   epilog=EPILOG)
    segments.add_argument("--json", action="store_true", help="JSON instead of a table")
    segments.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    insights = read_insights(Settings())
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
