#!/usr/bin/env python3
"""Checkout abandonments in a shop's export: an independent count, and how many the tracker finds.

    .venv/bin/python scripts/checkout_abandonments.py EXPORT.jsonl[.gz] [--json]

The export is JSON Lines (plain or gzip) of e-commerce tracking spec messages (Segment /
RudderStack: ``page``, ``identify``, ``track`` with the V2 e-commerce event names).

The *independent count* uses nothing of the tracker — plain Python over the messages:

* a person is the ``userId``; an ``anonymousId`` that ever appears with a ``userId`` is
  that person all along (looking at the whole export, which the live tracker cannot);
* a person's visits split where they did nothing for 30 minutes (every message counts);
* their cart, in time order: ``Product Added`` adds, ``Product Removed`` takes away,
  ``Cart Viewed`` / ``Checkout Started`` with ``products`` replace it, ``Order Completed``
  empties it, and 14 days without a change empty it;
* a checkout abandonment is a visit with a ``Checkout Started``, no ``Order Completed``,
  and something in the person's cart at the visit's end.

The *tracker's count* runs the tracker's own code on the same messages — the spec parser
(:mod:`streams.core.segment`) and a worker's per-customer steps
(:class:`streams.worker.customers.CustomerSteps`, identity stitching included) in event
time, with every due step taken when the worker's timer would, under a policy that offers
every abandonment (no frequency cap, quiet hours or hold-out), and counts the checkout
abandonments it decides on (an anonymous visitor's, dropped once they logged in, is not).

A tracker abandonment *matches* when the person's independent abandonment's visit holds
the start of the tracker's visit.  Printed: both counts, the share of the independent ones
the tracker found, and the tracker's that the independent count does not have.
"""

from __future__ import annotations

import argparse
import gzip
import heapq
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

VISIT_GAP = timedelta(minutes=30)
CART_TTL = timedelta(days=14)


@dataclass(frozen=True, order=True)
class Abandonment:
    """A checkout abandoned by ``person`` in the visit from ``start`` to ``end``."""

    person: str
    start: datetime
    end: datetime


# ------------------------------------------------------------------ the export


def read_export(path: str) -> list[dict[str, Any]]:
    """The export's messages, each once (by ``messageId``); lines that are not JSON objects are skipped."""
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    opened = gzip.open(path, "rb") if gzipped else open(path, "rb")
    messages, seen = [], set()
    with opened as lines:
        for line in lines:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if not isinstance(message, dict):
                continue
            key = message.get("messageId")
            if isinstance(key, str) and key:
                if key in seen:
                    continue  # delivered twice: pipelines deliver at least once
                seen.add(key)
            messages.append(message)
    return messages


def _when(message: dict[str, Any]) -> datetime | None:
    text = message.get("timestamp") or message.get("originalTimestamp")
    if not isinstance(text, str):
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _id(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    return text if text and text.lower() not in {"null", "none", "undefined", "anonymous", "nan"} else None


def _name(message: dict[str, Any]) -> str:
    event = message.get("event")
    return " ".join(str(event).replace("_", " ").split()).lower() if message.get("type") == "track" else ""


def people(messages: Iterable[dict[str, Any]]) -> dict[str, str]:
    """anonymousId → userId, for every anonymous id ever seen with a user id."""
    alias: dict[str, str] = {}
    for m in messages:
        user, anonymous = _id(m.get("userId")), _id(m.get("anonymousId") or m.get("previousId"))
        if user and anonymous and anonymous != user:
            alias.setdefault(anonymous, user)
    return alias


def person_of(customer_id: str, alias: dict[str, str]) -> str:
    return alias.get(customer_id, customer_id)


# ------------------------------------------------------------ independent count


def independent_count(messages: list[dict[str, Any]], alias: dict[str, str]) -> list[Abandonment]:
    """Visits with a checkout, no order, and something in the cart (see the module doc)."""
    timelines: dict[str, list[tuple[datetime, int, dict[str, Any]]]] = defaultdict(list)
    for n, m in enumerate(messages):
        at, who = _when(m), _id(m.get("userId")) or _id(m.get("anonymousId"))
        if at is not None and who is not None:
            timelines[person_of(who, alias)].append((at, n, m))
    found = []
    for person, timeline in timelines.items():
        timeline.sort(key=lambda item: (item[0], item[1]))
        cart: dict[str, int] = {}
        changed: datetime | None = None
        visit: list[tuple[datetime, dict[str, Any]]] = []
        for at, _, m in [*timeline, (None, 0, {})]:  # type: ignore[list-item]
            if visit and (at is None or at - visit[-1][0] >= VISIT_GAP):
                end = visit[-1][0]
                names = {_name(v) for _, v in visit}
                live = changed is not None and end - changed <= CART_TTL
                if "checkout started" in names and "order completed" not in names and live and any(cart.values()):
                    found.append(Abandonment(person, visit[0][0], end))
                visit = []
            if at is None:
                break
            visit.append((at, m))
            cart, changed = _cart_after(cart, changed, at, m)
    return sorted(found)


def _cart_after(cart: dict[str, int], changed: datetime | None, at: datetime,
                m: dict[str, Any]) -> tuple[dict[str, int], datetime | None]:
    name, properties = _name(m), m.get("properties") if isinstance(m.get("properties"), dict) else {}
    if name == "order completed":
        return {}, at
    if name in ("cart viewed", "checkout started") and isinstance(properties.get("products"), list):
        snapshot: dict[str, int] = {}
        for item in properties["products"]:
            if isinstance(item, dict) and _product(item):
                snapshot[_product(item)] = snapshot.get(_product(item), 0) + _quantity(item)  # type: ignore[index]
        return snapshot, at
    if name in ("product added", "product removed") and _product(properties):
        if changed is not None and at - changed > CART_TTL:
            cart = {}
        cart = dict(cart)
        product = _product(properties)
        sign = 1 if name == "product added" else -1
        cart[product] = max(cart.get(product, 0) + sign * _quantity(properties), 0)  # type: ignore[index]
        return {p: q for p, q in cart.items() if q}, at
    return cart, changed


def _product(item: dict[str, Any]) -> str | None:
    return next((_id(item.get(k)) for k in ("product_id", "sku", "id") if _id(item.get(k))), None)


def _quantity(item: dict[str, Any]) -> int:
    quantity = item.get("quantity")
    return int(quantity) if isinstance(quantity, (int, float)) and not isinstance(quantity, bool) and quantity > 0 else 1


# ---------------------------------------------------------------- the tracker


def tracker_count(messages: list[dict[str, Any]], alias: dict[str, str], *, lateness: timedelta = timedelta(minutes=5),
                  cart_ttl: timedelta = CART_TTL) -> list[Abandonment]:
    """The checkout abandonments the tracker's own steps decide on, in event time."""
    from offers import QuietHours, default_policy
    from streams.core.events import AnyEvent
    from streams.core.intake import Ignored, Intake, Problem
    from streams.core.lifecycle import Deferred, HeldOut, Issued, Rules, SessionEnded, Suppressed, advance, next_due
    from streams.core.state import CustomerState, Session
    from streams.worker.customers import CustomerSteps

    rules = Rules(session_timeout=VISIT_GAP, browse_views_threshold=3, event_time=True, allowed_lateness=lateness,
                  cart_ttl=cart_ttl)
    policy = replace(default_policy(), quiet_hours=QuietHours(start=0, end=0), holdout_percent=0,
                     frequency_cap=timedelta(0))
    steps = CustomerSteps(rules, policy)
    intake = Intake("site-visits", "purchases", 1 << 20, max_future=timedelta(days=36_500))
    events: list[tuple[datetime, int, AnyEvent]] = []
    for n, m in enumerate(messages):
        event = intake.parse_message(m)
        if not isinstance(event, (Ignored, Problem)):
            events.append((event.occurred_at, n, event))
    events.sort(key=lambda item: (item[0], item[1]))
    states: dict[str, CustomerState] = {}
    due: list[tuple[datetime, str]] = []
    ended: dict[str, Session] = {}
    seen: dict[str, set[str]] = defaultdict(set)  # the worker's dedupe: event ids already handled
    found: set[Abandonment] = set()

    def note(customer_id: str, state: CustomerState, effects: Iterable[Any]) -> None:
        """Keep the state; a decision on an abandonment is about the customer's visit that ended last."""
        for effect in effects:
            if isinstance(effect, SessionEnded):
                ended[customer_id] = effect.session
                continue
            if isinstance(effect, Issued):
                kind = effect.trigger.kind.value
            elif isinstance(effect, (HeldOut, Deferred)) or (
                    isinstance(effect, Suppressed) and effect.reason != "identified"):
                kind = effect.kind
            else:
                continue  # outcomes, late events, and a visitor's interest dropped once they logged in
            if kind == "checkout_abandoned" and customer_id in ended:
                start = ended[customer_id].started_at
                found.add(Abandonment(person_of(customer_id, alias), start, start))
        states[customer_id] = state
        when = next_due(state, rules)
        if when is not None:
            heapq.heappush(due, (when, customer_id))

    def fire(until: datetime) -> None:
        """What the worker's timer does: every customer's steps that came due by ``until``."""
        while due and due[0][0] <= until:
            when, customer_id = heapq.heappop(due)
            state, effects = advance(states[customer_id], when, rules, policy, now=when)
            note(customer_id, state, effects)

    for at, _, event in events:
        fire(at)
        linked = states[event.customer_id].profile.merged_into if event.customer_id in states else None
        if linked is not None:  # the worker sends a linked visitor's events on to their customer
            event = event.model_copy(update={"customer_id": linked})
        state = states.get(event.customer_id, CustomerState(event.customer_id))
        linked = getattr(event, "anonymous_id", None)
        visitors = {linked: states[linked]} if linked in states else {}
        applied = steps.apply(state, seen[event.customer_id], [event], now=at, clock=at, visitors=visitors)
        seen[event.customer_id].update(applied.handled)
        for marked in applied.merged:
            states[marked.customer_id] = marked
        note(event.customer_id, applied.state, applied.effects)
    fire((events[-1][0] if events else datetime.now(timezone.utc)) + timedelta(days=30))
    return sorted(found)


# ---------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Comparison:
    independent: int
    tracker: int
    found: int
    invented: list[Abandonment]

    @property
    def recall(self) -> float:
        return self.found / self.independent if self.independent else 1.0


def compare(independent: list[Abandonment], tracker: list[Abandonment]) -> Comparison:
    by_person: dict[str, list[Abandonment]] = defaultdict(list)
    for a in independent:
        by_person[a.person].append(a)
    matched: set[Abandonment] = set()
    invented = []
    for t in tracker:
        hit = next((a for a in by_person.get(t.person, ()) if a.start <= t.start <= a.end), None)
        if hit is None:
            invented.append(t)
        else:
            matched.add(hit)
    return Comparison(len(independent), len(tracker), len(matched), invented)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="JSON Lines of spec messages, plain or gzip")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    try:
        messages = read_export(args.export)
    except OSError as exc:
        print(f"checkout_abandonments: could not read {args.export}: {exc}", file=sys.stderr)
        return 2
    alias = people(messages)
    result = compare(independent_count(messages, alias), tracker_count(messages, alias))
    figures = {"messages": len(messages), "independent": result.independent, "tracker": result.tracker,
               "found": result.found, "recall": round(result.recall, 4), "invented": len(result.invented)}
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"{len(messages)} messages: {result.independent} checkout abandonments by the independent count, "
              f"{result.tracker} by the tracker; the tracker found {result.found} ({result.recall:.1%}) and "
              f"invented {len(result.invented)}")
        for a in result.invented[:10]:
            print(f"  invented: {a.person} visit starting {a.start.isoformat()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
