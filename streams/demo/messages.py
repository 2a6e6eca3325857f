"""A simulated shop's history as the tracking spec's messages: what analytics.js or RudderStack would send.

The inverse of :mod:`streams.core.segment`: each tracker event of a
:class:`~streams.demo.shop.Shopper` becomes the Segment message a shop instrumented with the
V2 e-commerce spec sends for it (``page``, ``identify``, ``Product Added``…, with
``userId`` once logged in and the browser's ``anonymousId`` always), and the long tail
becomes the track events the tracker has no event of its own for.  ``tracker simulate --format segment`` writes
them as an export would hold them; the demo produces them to Kafka keyed as RudderStack's
Kafka destination keys them (``userId``, else ``anonymousId``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from streams.core.events import (
    AnyEvent,
    CartItemAdded,
    CartItemRemoved,
    CartProduct,
    CartViewed,
    CheckoutStarted,
    CustomerIdentified,
    FeedbackSubmitted,
    OrderPlaced,
    OrderRefunded,
    PageViewed,
    ProductViewed,
    Searched,
)
from streams.demo.shop import Shopper, Tail

SHOP = "https://shop.example"


def stamp(at: datetime) -> str:
    """A timestamp as analytics.js writes it: UTC, milliseconds, ``Z``."""
    return at.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def messages_of(shopper: Shopper) -> list[dict[str, Any]]:
    """The shopper's messages (events and tail), in the order they happened."""
    rendered = [(e.occurred_at, message_of(e, shopper)) for e in shopper.events]
    rendered += [(t.at, _tail(t, shopper)) for t in shopper.tail]
    return [message for _, message in sorted(rendered, key=lambda pair: pair[0])]


def shop_messages(shoppers: list[Shopper]) -> Iterator[dict[str, Any]]:
    """Every shopper's messages, in the order they happened (an export's order)."""
    everything = [m for s in shoppers for m in messages_of(s)]
    return iter(sorted(everything, key=lambda m: m["timestamp"]))


def key_of(message: dict[str, Any]) -> str:
    """The key RudderStack's Kafka destination gives a message: ``userId``, else ``anonymousId``."""
    return str(message.get("userId") or message.get("anonymousId"))


def message_of(event: AnyEvent, shopper: Shopper) -> dict[str, Any]:
    """The spec message a shop sends for one tracker event."""
    user = event.customer_id if event.customer_id == shopper.user_id else None
    message: dict[str, Any] = {
        "messageId": event.event_id,
        "anonymousId": shopper.anonymous_ids[event.event_id],
        "userId": user,
        "timestamp": stamp(event.occurred_at),
        "context": {"library": {"name": "analytics.js", "version": "next-1.70.0"}, "locale": "en-GB",
                    "page": {"url": SHOP + "/"}},
    }
    match event:
        case PageViewed():
            message.update(type="page", name=event.page_type.title(),
                           properties={"url": SHOP + event.url, "path": event.url, "referrer": event.referrer or ""})
            if event.channel:
                message["context"]["campaign"] = {"medium": event.channel, "source": "simulated"}
        case CustomerIdentified():
            message.update(type="identify", userId=event.customer_id,
                           traits={"address": {"country": event.traits.country}, "age_band": event.traits.age_band,
                                   "accepts_marketing": event.marketing_consent})
            message["context"]["timezone"] = event.traits.time_zone
        case ProductViewed():
            message.update(_track("Product Viewed", product_id=event.product_id, category=event.category,
                                  price=event.price, currency=shopper.currency))
        case Searched():
            message.update(_track("Products Searched", query=event.query))
        case CartItemAdded():
            message.update(_track("Product Added", product_id=event.product_id, quantity=event.quantity,
                                  price=event.price, category=event.category))
        case CartItemRemoved():
            message.update(_track("Product Removed", product_id=event.product_id, quantity=event.quantity))
        case CartViewed():
            message.update(_track("Cart Viewed", **_products(event.products)))
        case CheckoutStarted():
            message.update(_track("Checkout Started", value=event.value, currency=event.currency,
                                  **_products(event.products)))
        case OrderPlaced():
            message.update(_track("Order Completed", order_id=event.order_id, total=event.total,
                                  currency=event.currency.lower() if event.currency else None, coupon=event.discount_code,
                                  discount=event.discount_amount or None, **_products(event.line_items)))
        case OrderRefunded():
            message.update(_track("Order Refunded", order_id=event.order_id, total=event.amount))
        case FeedbackSubmitted():
            message.update(_track("Product Reviewed", rating=event.rating))
    return message


def _track(name: str, **properties: Any) -> dict[str, Any]:
    return {"type": "track", "event": name,
            "properties": {k: v for k, v in properties.items() if v is not None}}


def _products(products: tuple[CartProduct, ...] | None) -> dict[str, Any]:
    if products is None:
        return {}
    return {"products": [{k: v for k, v in (("product_id", p.product_id), ("quantity", p.quantity),
                                            ("price", p.price), ("category", p.category)) if v is not None}
                         for p in products]}


def _tail(tail: Tail, shopper: Shopper) -> dict[str, Any]:
    user = tail.customer_id if tail.customer_id == shopper.user_id else None
    return {"type": "track", "event": tail.name, "messageId": tail.message_id,
            "anonymousId": shopper.anonymous_ids[tail.message_id],
            "userId": user, "timestamp": stamp(tail.at), "properties": {"session": tail.session_id},
            "context": {"library": {"name": "analytics.js", "version": "next-1.70.0"}}}
