"""``tracker customers best|worst``: the ends of the ranking by predicted value, with reasons."""

from __future__ import annotations

import argparse
import json
from typing import Any

from streams.cli.args import positive_int, segment_name
from streams.cli.common import EPILOG, Commands, read_insights
from streams.errors import UsageError

KINDS = ("low_value", "costly")


def add(commands: Commands) -> None:
    customers = commands.add_parser(
        "customers", help="best or worst customers by predicted value over the next 90 days, with the reasons",
        epilog=EPILOG,
        description="Best: the highest predicted spend over the next 90 days. Worst: the lowest, or with --kind "
        "low_value the lowest of those who are not costly, or with --kind costly those whose refunds, discounts "
        "and deal-only buying cost the most.",
    )
    customers.add_argument("order", choices=("best", "worst"), help="which end of the ranking")
    customers.add_argument("--kind", choices=KINDS, default=None,
                           help="worst only: low_value (little to expect) or costly (refunds, discounts, deals)")
    customers.add_argument("--segment", type=segment_name, default=None, help="only this RFM segment")
    customers.add_argument("--limit", type=positive_int, default=10, help="how many (default 10)")
    customers.add_argument("--json", action="store_true", help="JSON instead of a table")
    customers.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `tracker --help` and usage errors stay quick (streams.cli).
    from streams.settings import Settings

    if args.kind is not None and args.order != "worst":
        raise UsageError(f"--kind {args.kind} is for `tracker customers worst`")
    # --segment names an RFM segment (args.segment_name): nobody need be placed in a behavioural one.
    insights = read_insights(Settings(), behaviour=False)
    rows = insights.ranking(args.order, args.segment, args.limit, args.kind)
    if args.json:
        print(json.dumps(json_rows(rows, insights.currency), indent=2))
        return 0
    where = f" in {args.segment}" if args.segment else ""
    which = {"costly": " costly", "low_value": " low-value"}.get(args.kind or "", "")
    basis = "by what they cost" if args.kind == "costly" else "by predicted value over the next 90 days"
    print(f"{args.order.capitalize()} {len(rows)}{which} customers{where} {basis} "
          f"(of {len(insights.facts)} customers, as of {insights.now:%Y-%m-%d %H:%M})\n")
    from models.currencies import currency_of

    written = currency_of(insights.currency)
    for n, row in enumerate(rows, 1):
        kind = f"  [{row['kind'].replace('_', ' ')}]" if "kind" in row else ""
        value = f"{written.sign}{row['expected_value']:>10,.{written.digits}f}"
        print(f"{n:>3}. {row['customer_id']:<16} {value}  {row['segment'] or ''}{kind}")
        for reason in row["reasons"]:
            print(f"       {reason}")
    return 0


def json_rows(rows: list[dict[str, Any]], currency: str) -> list[dict[str, Any]]:
    """The ranking as ``--json`` prints it: still a bare list, each row naming the ``currency`` of its money.

    The list stays bare because scripts read it as one; the currency goes in every row, as
    ``tracker customer --json`` and the API's ``GET /customers`` carry it beside the amounts.

    >>> json_rows([{"customer_id": "c1", "expected_value": 12.5}], "USD")
    [{'customer_id': 'c1', 'expected_value': 12.5, 'currency': 'USD'}]
    """
    return [{**row, "currency": currency} for row in rows]
