"""``tracker segments``: customers per RFM and behavioural segment, with each segment's persona and the news."""

from __future__ import annotations

import argparse
import json

from streams.cli.common import EPILOG, Commands, read_insights


def add(commands: Commands) -> None:
    segments = commands.add_parser(
        "segments", help="customers per RFM and behavioural segment, with each segment's persona", epilog=EPILOG,
        description="Customers per RFM segment and per behavioural segment (learned online by the worker's "
        "model, read from its checkpoint), each segment's persona, and the latest news about the behavioural "
        "segments (new, growing, changed, gone).",
    )
    segments.add_argument("--json", action="store_true", help="JSON instead of a table")
    segments.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `tracker --help` and usage errors stay quick (streams.cli).
    from streams.http.marketers import behaviour_json
    from streams.settings import Settings

    insights = read_insights(Settings(), values=False)  # segments and personas show no predicted value
    if args.json:
        print(json.dumps({"customers": len(insights.facts), "segments": insights.segments,
                          "personas": insights.persona_cards(), "behaviour": behaviour_json(insights)}, indent=2))
        return 0
    print(f"{len(insights.facts)} customers, as of {insights.now:%Y-%m-%d %H:%M}\n")
    print("RFM segments")
    for name, count in insights.segments.items():
        print(f"  {name:<20} {count:>7}")
    print()
    for card in insights.persona_cards():
        print(f"  {card['summary']}")
    print("\nBehavioural segments")
    cards = insights.behaviour_cards()
    if not cards:
        print("  none yet: the worker's model has not learned enough (or no checkpoint is in the store)")
    for card in cards:
        print(f"  {card['segment']:<5} {card.get('name', ''):<40} {card['size']:>7}  {card.get('mostly', '')}")
    if insights.segment_news:
        print("\nNews")
        for change in insights.segment_news:
            print(f"  {change.at:%Y-%m-%d %H:%M}  {change.detail}")
    return 0
