"""Builders of test events and Kafka records (importable from any test: tests/ is on sys.path)."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone

from streams.core.intake import Record

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
_ids = itertools.count(1)


def event(type: str, customer_id: str = "c1", at: datetime | timedelta = timedelta(0), **fields: object) -> dict[str, object]:
    """A valid inbound event as a dict; ``at`` is a time or an offset from T0."""
    when = T0 + at if isinstance(at, timedelta) else at
    defaults: dict[str, dict[str, object]] = {
        "page_viewed": {"url": "/", "page_type": "home"},
        "product_viewed": {"product_id": "p1", "category": "shoes", "price": 50.0},
        "searched": {"query": "boots"},
        "cart_item_added": {"product_id": "p1", "quantity": 1, "price": 50.0, "category": "shoes"},
        "cart_item_removed": {"product_id": "p1", "quantity": 1},
        "checkout_started": {},
        "cart_viewed": {},
        "customer_identified": {},
        "feedback_submitted": {"rating": 4},
        "activity": {"name": "Coupon Entered"},
        "order_placed": {"order_id": "o1", "total": 50.0, "line_items": [{"product_id": "p1", "price": 50.0}]},
        "order_refunded": {"order_id": "o1", "amount": 50.0},
    }
    body: dict[str, object] = {
        "event_id": f"e{next(_ids)}",
        "type": type,
        "customer_id": customer_id,
        "occurred_at": when.isoformat(),
        **defaults[type],
    }
    body.update(fields)
    return body


def topic_of(body: dict[str, object]) -> str:
    return "purchases" if body.get("type") in ("order_placed", "order_refunded") else "site-visits"


def record(event: dict[str, object] | bytes, *, topic: str | None = None, partition: int = 0,
           offset: int = 0, key: str | None = None) -> Record:
    """A Kafka record holding ``event`` (a dict is JSON-encoded and keyed by its customer)."""
    if isinstance(event, dict):
        topic = topic or topic_of(event)
        value = json.dumps(event, default=str).encode()
        key = key if key is not None else str(event.get("customer_id"))
    else:
        value = event
        topic = topic or "site-visits"
    return Record(topic, partition, offset, key.encode() if key is not None else None, value)
