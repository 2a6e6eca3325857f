"""``tracker customer ID``: one customer's profile, segment, types, value, timing and latest events."""

from __future__ import annotations

import argparse
import json
from typing import Any

from streams.cli.common import EPILOG, Commands, find_customer, read_insights
from streams.errors import UsageError


def add(commands: Commands) -> None:
    customer = commands.add_parser("customer", help="one customer's profile, segment, types and timing",
                                   epilog=EPILOG)
    customer.add_argument("customer_id", metavar="ID")
    customer.add_argument("--json", action="store_true", help="JSON instead of text")
    customer.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `tracker --help` and usage errors stay quick (streams.cli).
    from streams.settings import Settings

    settings = Settings()
    found = find_customer(settings, args.customer_id)
    if found is None:
        raise UsageError(f"no customer {args.customer_id!r} in {settings.redis_url}")
    customer_id, profile = found
    # Everyone's profile still counts (the RFM quantiles, BG/NBD, the segments), but only this
    # customer's value and loyalty are scored: the view shows no one else's.
    insights = read_insights(settings, customers=[customer_id])
    view = insights.customer(customer_id, profile)
    if args.json:
        print(json.dumps(view, indent=2))
        return 0
    print(f"{customer_id}: {view['segment']}" + (f" (RFM {view['rfm']['code']})" if view["rfm"] else ""))
    for t in view["types"]:
        print(f"  {t['name']:<15} {t['evidence']}")
    from models.currencies import currency_of

    written = currency_of(insights.currency)
    predicted = view["predicted_value_90d"]
    if predicted:
        source = "learned" if predicted["source"] == "learned" else "rule"
        print(f"  predicted value, next 90 days: {written.sign}{predicted['amount']:,.{written.digits}f} ({source})")
        for reason in predicted["reasons"]:
            print(f"    {reason}")
    if view["cost"] and view["worst_kind"] == "costly":
        print(f"  costly: {view['cost']['cost_share'] * 100:.0f} % of what they bought given back or away")
        for reason in view["cost"]["reasons"]:
            print(f"    {reason}")
    timing = view["timing"]
    if timing.get("next_purchase_at"):
        overdue = " (overdue)" if timing.get("overdue") else ""
        print(f"  next purchase expected {timing['next_purchase_at'][:10]}{overdue}")
    if view["recent_events"]:
        print("  recent events, newest first:")
        for event in view["recent_events"]:
            print(f"    {recent_line(event, insights.currency)}")
    return 0


def recent_line(event: dict[str, Any], currency: str = "GBP") -> str:
    """One of the customer's latest events as the customer page shows it, money in ``currency`` (ISO 4217).

    >>> recent_line({"type": "product_viewed", "at": "2026-11-29T07:12:03+00:00", "product_id": "sku-12"})
    '2026-11-29 07:12 · product viewed · sku-12'
    >>> recent_line({"type": "order_placed", "at": "2026-11-29T07:15:00+00:00", "order_id": "o-7", "value": 1240.5},
    ...             "USD")
    '2026-11-29 07:15 · order placed · o-7 · $1,240.50'
    """
    from models.currencies import currency_of

    parts = [event["at"][:16].replace("T", " "), event["type"].replace("_", " ")]
    parts += [event[key] for key in ("product_id", "order_id") if key in event]
    if event.get("value") is not None:
        written = currency_of(currency)
        parts.append(f"{written.sign}{event['value']:,.{written.digits}f}")
    return " · ".join(parts)
