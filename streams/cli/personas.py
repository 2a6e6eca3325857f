"""``tracker personas``: every segment's persona — a name, a portrait, the traits with figures, a face."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from streams.cli.common import EPILOG, Commands, read_insights
from streams.errors import UsageError


def add(commands: Commands) -> None:
    personas = commands.add_parser(
        "personas", help="each segment's persona: name, portrait, distinguishing traits, typical customer",
        epilog=EPILOG,
        description="The persona of every RFM segment and every behavioural segment: a name built from what "
        "sets it apart, a portrait sentence, its traits beside the average customer's, favourite categories "
        "and channels, when it is active, its share of the spend and its most typical real customer.",
    )
    personas.add_argument("--kind", choices=("all", "rfm", "behaviour"), default="all", help="which segments")
    personas.add_argument("--svg", metavar="DIR", type=Path,
                          help="also write each persona's avatar to DIR/<kind>-<segment>.svg "
                          "(rfm-Champions.svg, behaviour-B3.svg)")
    personas.add_argument("--json", action="store_true", help="JSON instead of text")
    personas.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `tracker --help` and usage errors stay quick (streams.cli).
    from streams.settings import Settings

    insights = read_insights(Settings(), values=False)  # segments and personas show no predicted value
    cards: list[dict[str, Any]] = []
    if args.kind in ("all", "rfm"):
        cards += insights.persona_cards()
    if args.kind in ("all", "behaviour"):
        cards += insights.behaviour_cards()
    if args.svg is not None:
        _write_avatars(cards, args.svg)
    if args.json:
        print(json.dumps({"customers": len(insights.facts), "personas": cards}, indent=2))
        return 0
    print(f"{len(insights.facts)} customers, as of {insights.now:%Y-%m-%d %H:%M}")
    for card in cards:
        kind = "behavioural segment" if card.get("kind") == "behaviour" else "RFM segment"
        print(f"\n{card.get('name', card['segment'])}  ({kind} {card['segment']}, {card['size']} customers)")
        print(f"  {card.get('sentence') or card['summary']}")
        for trait in card.get("traits", []):
            print(f"    - {trait['text']}")
    return 0


def _write_avatars(cards: list[dict[str, Any]], folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for card in cards:
            if card.get("avatar"):
                name = "".join(ch if ch.isalnum() else "-" for ch in f"{card.get('kind', 'rfm')}-{card['segment']}")
                (folder / f"{name}.svg").write_text(card["avatar"], encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the avatars to {folder}: {exc.strerror or exc}") from None
