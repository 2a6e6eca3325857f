"""``tracker customers best|worst``: the ends of the ranking by expected future value, with reasons."""

from __future__ import annotations

import argparse
import json

from streams.cli.args import positive_int, segment_name
from streams.cli.common import EPILOG, Commands, read_insights
from streams.core.insights import jsonable
from streams.settings import Settings


def add(commands: Commands) -> None:
    customers = commands.add_parser(
        "customers", help="best or worst customers by expected future value, with the reasons", epilog=EPILOG)
    customers.add_argument("order", choices=("best", "worst"), help="which end of the ranking")
    customers.add_argument("--segment", type=segment_name, default=None, help="only this RFM segment")
    customers.add_argument("--limit", type=positive_int, default=10, help="how many (default 10)")
    customers.add_argument("--json", action="store_true", help="JSON instead of a table")
    customers.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    insights = read_insights(Settings())
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
