"""The demo's answer to "who are my best and worst customers?", read from the worker's own API.

What it prints comes from the same endpoints the page and the CLI read (``GET /customers``,
``/segments``, ``/offers``), so the terminal, the page and ``tracker customers`` /
``tracker offers report`` show the same figures.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any, TextIO

from models.currencies import currency_of

#: Rows of each list.
SHOWN = 5


def fetch(page: str, path: str) -> Any:
    with urllib.request.urlopen(page.rstrip("/") + path, timeout=30) as response:
        return json.load(response)


def _whole(value: float, currency: str) -> str:
    """An amount in whole units of ``currency`` (ISO 4217): ``£1,240``, ``$310``."""
    return f"{currency_of(currency).sign}{value:,.0f}"


def show_answer(page: str, out: TextIO) -> None:
    """Print best and worst customers, segments with their personas, and the offers' results."""
    ranking = fetch(page, f"/customers?order=best&limit={SHOWN}")
    best, currency = ranking["customers"], ranking["currency"]
    low = fetch(page, "/customers?order=worst&kind=low_value&limit=3")["customers"]
    costly = fetch(page, "/customers?order=worst&kind=costly&limit=3")["customers"]
    segments = fetch(page, "/segments")
    offers = fetch(page, "/offers")
    write = lambda text="": (out.write(text + "\n"), out.flush())  # noqa: E731
    write()
    write(f"Who are my best and worst customers?  ({segments['customers']} customers, "
          f"as of {segments['as_of'][:16].replace('T', ' ')})")
    write("  Best (predicted value, next 90 days)")
    for row in best:
        _customer(write, row, currency)
    write("  Worst: little to expect")
    for row in low:
        _customer(write, row, currency)
    write("  Worst: costly (refunds, discounts)")
    for row in costly:
        _customer(write, row, currency, cost=True)
    write("  Segments (RFM)    " + ", ".join(f"{name} {n}" for name, n in segments["segments"].items()))
    cards = segments["behaviour"]["personas"]
    if cards:
        write("  Behavioural segments, learned online")
    for card in cards[:6]:
        sentence = card.get("sentence") or card.get("summary", "")
        write(f"    {card['segment']:<4} {card.get('name') or '':<28} {card['size']:>4}  "
              f"{sentence[:90] + ('…' if len(sentence) > 90 else '')}")
    _offers(write, offers)


def _customer(write: Any, row: dict[str, Any], currency: str, cost: bool = False) -> None:
    reasons = list(row.get("reasons") or [])
    if cost and row.get("cost"):  # the cost leads: it is why they are here
        reasons = [f"costs {_whole(row['cost']['cost'], currency)}", *reasons[1:]]
    text = "; ".join(reasons)
    write(f"    {row['customer_id']:<12} {_whole(row['expected_value'], currency):>7}  {row.get('segment') or '':<16} "
          f"{text[:96] + ('…' if len(text) > 96 else '')}")


def _offers(write: Any, offers: dict[str, Any]) -> None:
    report = offers["report"]
    treated, holdout = report["treated"], report["holdout"]
    write("  Offers (history and today; conversion = a purchase within the offer's validity)")
    for name, group in (("treated", treated), ("held out", holdout)):
        rate = "–" if group["rate"] is None else f"{group['rate'] * 100:.1f} %"
        write(f"    {name:<9} {group['offers']:>5} offers  {group['conversions']:>4} converted  {rate:>7}")
    uplift, interval = report["absolute_uplift"], report["confidence_interval_95"]
    if uplift is None:
        write("    uplift    not measurable yet (each group needs at least one offer)")
    else:
        ci = f" (95 % CI {interval[0] * 100:+.1f} to {interval[1] * 100:+.1f})" if interval else ""
        if interval and interval[0] <= 0 <= interval[1]:
            ci += ", not yet told apart from no offer"  # a demo's few held-out windows rarely can
        write(f"    uplift    {uplift * 100:+.1f} points{ci}, from {report['offers']} offers "
              f"— how to read it: {offers['how_to_read']}")
