"""The e-commerce tracking spec as an input: one Segment-shaped message in, one tracker event out.

Segment, RudderStack, PostHog and Braze share one message shape (``type`` = ``track``,
``page``, ``identify``, ``alias``…, with ``userId`` / ``anonymousId``, ``messageId``,
``timestamp``, ``properties``, ``traits``, ``context``) and the V2 e-commerce event names.
A shop that already sends them needs no rewriting: the HTTP API (``/v1/batch``…), a
message of that shape on an input topic (RudderStack's Kafka destination) and a
warehouse export replayed with ``tracker replay --format segment`` all come through
:func:`from_message`, the one mapping:

================================  ===================================================
message                           tracker event
================================  ===================================================
``page``                          ``page_viewed`` (url, page type, referrer, UTM medium)
``identify``                      ``customer_identified`` (links ``anonymousId``; traits)
``alias``                         ``customer_identified`` (links ``previousId``)
Products Searched                 ``searched``
Product Viewed                    ``product_viewed``
Product Added / Product Removed   ``cart_item_added`` / ``cart_item_removed``
Cart Viewed / Checkout Started    ``cart_viewed`` / ``checkout_started`` (with products)
Checkout Step Viewed              ``page_viewed`` of a checkout page
Order Completed / Order Refunded  ``order_placed`` / ``order_refunded``
``screen``                        ``page_viewed`` (an app's screens are its pages)
any other track                   ``activity``: keeps the visit going, nothing else; one
                                  that cannot be placed is :class:`Ignored` — counted by
                                  name, never dead-lettered
``group``                         :class:`Ignored`
================================  ===================================================

``messageId`` is the event id (a message without one gets an id derived from its content,
so a replayed export stays idempotent); the customer is ``userId``, else ``anonymousId``;
``timestamp`` (else ``originalTimestamp``, else its ``receivedAt``, else the time it was received
over HTTP; a zone as a warehouse spells it, ``… UTC`` or ``…+00``, is read too) is when it happened — over HTTP, by the device's clock, corrected by how far its ``sentAt`` was from the
time it arrived (:func:`_deskewed`).  Names are matched without regard to case, spaces or underscores, and the
V1 names (``Viewed Product``, ``Completed Order``…) are accepted too.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from pydantic import AwareDatetime, TypeAdapter, ValidationError

from models.ids import canonical_id, is_placeholder
from streams.core.events import ANY_EVENT, AnyEvent
from streams.core.problems import Problem, explain
from streams.core.state import ADMIN_PAGES, INFO_PAGES, PRODUCT_PAGES

#: The message types (Segment "calls") of the spec; an object with one of these is a spec message.
CALLS: Final = frozenset({"track", "page", "screen", "identify", "alias", "group"})

#: Track event names (lower case, single spaces) and the tracker event type each becomes.
TRACKS: Final = {
    "products searched": "searched",
    "searched products": "searched",
    "product viewed": "product_viewed",
    "viewed product": "product_viewed",
    "product added": "cart_item_added",
    "added product": "cart_item_added",
    "product removed": "cart_item_removed",
    "removed product": "cart_item_removed",
    "cart viewed": "cart_viewed",
    "viewed cart": "cart_viewed",
    # A step of the checkout is a page of it (one-page checkouts send no page call for their steps).
    "checkout step viewed": "page_viewed",
    "viewed checkout step": "page_viewed",
    "checkout started": "checkout_started",
    "started checkout": "checkout_started",
    "started order": "checkout_started",
    "order completed": "order_placed",
    "completed order": "order_placed",
    "order refunded": "order_refunded",
    "refunded order": "order_refunded",
}

#: Page names and categories as shops call them, and the page type the tracker knows.
_PAGE_TYPES: Final = {
    **{name: name for name in ADMIN_PAGES | INFO_PAGES | PRODUCT_PAGES},
    "collection": "category", "product list": "category", "homepage": "home", "home page": "home",
    "index": "home", "search results": "search", "basket": "cart", "bag": "cart", "article": "blog",
}
_CONSENT_TRAITS: Final = ("marketing_consent", "accepts_marketing", "email_opt_in", "subscribed", "newsletter")
_WHAT = "spec message"


@dataclass(frozen=True, slots=True)
class Ignored:
    """A message the tracker takes nothing from: acknowledged and counted by ``name``, not dead-lettered."""

    name: str


class _Refused(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.problem = Problem(reason, detail)


def is_spec_message(body: object) -> bool:
    """True for an object in the spec's shape: its ``type`` is one of the spec's calls.

    >>> is_spec_message({"type": "track", "event": "Product Added"}), is_spec_message({"type": "page_viewed"})
    (True, False)
    """
    return isinstance(body, dict) and isinstance(body.get("type"), str) and body["type"].lower() in CALLS


def batch_messages(body: Mapping[str, Any]) -> list[object]:
    """The messages of a batch (``{"batch": [...], "context": …, "sentAt": …}``), the batch's ``sentAt`` and
    ``context`` given to each (a message's own win, its context merged over the batch's).

    >>> batch_messages({"batch": [{"type": "page"}, {"type": "page", "context": {"locale": "fr"}}],
    ...                 "context": {"locale": "en", "timezone": "UTC"}, "sentAt": "2026-03-02T10:00:00Z"})[1]
    {'sentAt': '2026-03-02T10:00:00Z', 'type': 'page', 'context': {'locale': 'fr', 'timezone': 'UTC'}}
    """
    batch = body.get("batch")
    if not isinstance(batch, list):
        return []
    # A batch's sentAt (the device's clock as it sent the batch) is each message's that has none.
    sent_at = body.get("sentAt")
    if sent_at is not None:
        batch = [{"sentAt": sent_at, **m} if isinstance(m, dict) else m for m in batch]
    shared = body.get("context")
    if not isinstance(shared, dict):
        return list(batch)
    # A batch's context applies to every message; a message's own context wins.
    return [{**m, "context": {**shared, **(m.get("context") or {})}} if isinstance(m, dict)
            and isinstance(m.get("context") or {}, dict) else m for m in batch]


def track_name(name: str) -> str:
    """A track event's name as matched: lower case, single spaces, underscores as spaces.

    >>> track_name("Product_Added"), track_name("  order   completed ")
    ('product added', 'order completed')
    """
    return " ".join(name.replace("_", " ").split()).lower()


def from_message(message: Mapping[str, Any], *, received_at: datetime | None = None) -> AnyEvent | Ignored | Problem:
    """The tracker event of one spec message, :class:`Ignored` for one it has no use for, or why neither.

    ``received_at`` stands in for a missing timestamp (the HTTP API's "now"); without it a
    message must say when it happened.

    >>> event = from_message({"type": "track", "event": "Product Added", "messageId": "m1",
    ...                       "anonymousId": "a1", "timestamp": "2026-03-02T10:00:00Z",
    ...                       "properties": {"product_id": "p1", "price": 18.99}})
    >>> event.type, event.customer_id, event.event_id, event.price, event.quantity
    ('cart_item_added', 'a1', 'm1', 18.99, 1)
    >>> from_message({"type": "track", "event": "Coupon Entered", "userId": "u1",
    ...               "timestamp": "2026-03-02T10:00:00Z"}).type
    'activity'
    >>> from_message({"type": "track", "event": "Coupon Entered"})  # no one to place it with
    Ignored(name='Coupon Entered')
    >>> from_message({"type": "page", "timestamp": "2026-03-02T10:00:00Z"}).reason
    'missing_field'
    """
    try:
        return _event(message, received_at)
    except _Refused as refused:
        return refused.problem


def _event(message: Mapping[str, Any], received_at: datetime | None, *,
           activity: str | None = None) -> AnyEvent | Ignored:
    call = message.get("type")
    if not isinstance(call, str) or call.lower() not in CALLS:
        raise _Refused("unknown_type", f"type {call!r} is not a spec call (expected one of {sorted(CALLS)})")
    call = call.lower()
    kind = None
    if call == "track" and activity is None:
        name = message.get("event")
        if not isinstance(name, str) or not name.strip():
            raise _Refused("missing_field", f"event: a track message needs the event's name (got {name!r})")
        kind = TRACKS.get(track_name(name))
        if kind is None:
            # A shop sends dozens of these: activity in the visit, never a dead letter.
            try:
                return _event(message, received_at, activity=name.strip()[:100])
            except _Refused:
                return Ignored(name.strip()[:100])
    elif call == "group":
        return Ignored(call)
    customer_id, anonymous_id = _ids(message, call)
    context = _object(message, "context")
    body: dict[str, Any] = {
        "event_id": _event_id(message),
        "customer_id": customer_id,
        "occurred_at": _timestamp(message, received_at),
    }
    session = context.get("sessionId")
    if isinstance(session, (str, int)) and not isinstance(session, bool) and str(session):
        body["session_id"] = str(session)[:128]
    paths: dict[str, str] = {}
    if activity is not None:
        body.update(type="activity", name=activity)
    elif call in ("page", "screen"):
        body.update(_page(message, context))
        paths = {"url": "properties.url"}
    elif call in ("identify", "alias"):
        body.update(_identify(message, context, call, anonymous_id))
        paths = {"anonymous_id": "previousId" if call == "alias" else "anonymousId"}
    else:
        properties = _object(message, "properties")
        body.update(_track(kind or "", properties, body["event_id"]))
        paths = {name: f"properties.{name}" for name in body if name not in ("event_id", "customer_id")}
        paths |= {"line_items": "properties.products", "products": "properties.products",
                  "total": "properties.total", "amount": "properties.total", "discount_amount": "properties.discount",
                  "discount_code": "properties.coupon"}
    paths |= {"occurred_at": "timestamp", "customer_id": "userId", "event_id": "messageId"}
    try:
        event: AnyEvent = ANY_EVENT.validate_python(body)
    except ValidationError as exc:
        problem = explain(exc, _WHAT, frozenset(TRACKS.values()) | {"page_viewed", "customer_identified", "activity"},
                          paths)
        raise _Refused(problem.reason, problem.detail) from None
    return event


# ------------------------------------------------------------------ the common fields


def _ids(message: Mapping[str, Any], call: str) -> tuple[str, str | None]:
    """(customer id, the anonymous id a login links) of a message."""
    user, anonymous = _person(message.get("userId")), _person(message.get("anonymousId"))
    if call == "alias":
        previous = _person(message.get("previousId"))
        if user is None or previous is None:
            raise _Refused("missing_field", "alias needs userId and previousId "
                           f"(got userId={message.get('userId')!r}, previousId={message.get('previousId')!r})")
        return user, previous
    customer = user or anonymous
    if customer is None:
        raise _Refused("missing_field", "neither userId nor anonymousId identifies anyone "
                       f"(got userId={message.get('userId')!r}, anonymousId={message.get('anonymousId')!r})")
    return customer, anonymous if user is not None and anonymous != user else None


def _person(value: object) -> str | None:
    """A user or visitor id as the tracker keeps it (:func:`~models.ids.canonical_id`), or None for none."""
    given = _identifier(value)
    return None if given is None else canonical_id(given)


def _identifier(value: object) -> str | None:
    """An id as text: a string, or a whole number, also one written as a float (``12345.0``, as a data frame
    writes an id column that has gaps) — the same id as ``12345``.

    >>> _identifier(" u1 "), _identifier(12345), _identifier(12345.0), _identifier(1.5), _identifier(True)
    ('u1', '12345', '12345', None, None)
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    if is_placeholder(text):
        return None
    return text


def _event_id(message: Mapping[str, Any]) -> str:
    given = message.get("messageId")
    if isinstance(given, (str, int)) and not isinstance(given, bool) and str(given).strip():
        return str(given).strip()[:128]
    # The same message gives the same id, so an export without ids replays idempotently.
    canonical = json.dumps(message, sort_keys=True, separators=(",", ":"), default=str)
    return "msg-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _timestamp(message: Mapping[str, Any], received_at: datetime | None) -> object:
    # A message carrying receivedAt was collected before (Segment's own, forwarded, or exported): its timestamp
    # is corrected already, its sentAt no longer the time it was sent to us, and when it arrived is known.
    collected = _given(message.get("receivedAt"))
    for name in ("timestamp", "originalTimestamp"):
        value = _given(message.get(name))
        if value is not None:
            value = _iso(value)
            return value if collected is not None else _deskewed(value, message.get("sentAt"), received_at)
    if collected is not None:
        return _iso(collected)
    if received_at is None:
        raise _Refused("missing_field", "timestamp: when the message happened is required (or originalTimestamp, "
                       "receivedAt)")
    return received_at


def _given(value: object) -> object:
    """A field's value, None for none: a warehouse's empty text is no value."""
    return None if isinstance(value, str) and not value.strip() else value


def _deskewed(value: object, sent_at: object, received_at: datetime | None) -> object:
    """When a message posted over HTTP happened by the tracker's clock: its device's clock was off by
    ``sentAt`` less the time it arrived, as Segment and PostHog correct it (a phone set an hour ahead, an
    offline queue sent later), and no later than it arrived.  As given when either time is not known or
    not read (the event's parser then names what is wrong with it).

    >>> from datetime import timezone
    >>> arrived = datetime(2026, 3, 2, 10, 0, 5, tzinfo=timezone.utc)
    >>> _deskewed("2026-03-02T11:00:00Z", "2026-03-02T11:00:04Z", arrived).isoformat()  # an hour ahead
    '2026-03-02T10:00:01+00:00'
    >>> _deskewed("2026-03-02T11:00:00Z", None, arrived), _deskewed("2026-03-02T11:00:00", "2026-03-02T11:00:04Z", arrived)
    ('2026-03-02T11:00:00Z', '2026-03-02T11:00:00')
    """
    if received_at is None or sent_at is None:
        return value
    try:
        happened, sent = _MOMENT.validate_python(value), _MOMENT.validate_python(_iso(sent_at))
    except ValidationError:
        return value
    return min(happened + (received_at - sent), received_at)


def _iso(value: object) -> object:
    """A time with its zone spelled as a warehouse writes it, in ISO 8601; anything else as it is.

    BigQuery exports ``2026-03-02 10:00:00 UTC``, PostgreSQL and Redshift ``2026-03-02 10:00:00+00``:
    the same moments as ``…+00:00``, which the events' parser reads.  A time without a zone stays one.

    >>> _iso("2026-03-02 10:00:00.5 UTC"), _iso("2026-03-02 10:00:00+05"), _iso("2026-03-02 10:00:00 -0330")
    ('2026-03-02 10:00:00.5+00:00', '2026-03-02 10:00:00+05:00', '2026-03-02 10:00:00-03:30')
    >>> _iso("2026-03-02 10:00:00"), _iso(1772445600)
    ('2026-03-02 10:00:00', 1772445600)
    """
    if not isinstance(value, str):
        return value
    found = _SPELLED_ZONE.match(value.strip())
    if found is None:
        return value
    clock, utc, hours, minutes = found.groups()
    return f"{clock}+00:00" if utc else f"{clock}{hours}:{minutes or '00'}"


_SPELLED_ZONE: Final = re.compile(
    r"^(\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)\s*(?:(UTC|GMT|Z)|([+-]\d\d)(?::?(\d\d))?)$", re.IGNORECASE)

#: A moment as the events' parser reads one: ISO 8601 with its zone, or Unix seconds or milliseconds.
_MOMENT: Final = TypeAdapter(AwareDatetime)


def _object(message: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = message.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Refused("wrong_type", f"{name}: expected an object (got {_short(value)})")
    return value


def _within(mapping: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """A nested object of a message, or an empty one (context and traits are optional, and free-form)."""
    value = mapping.get(name)
    return value if isinstance(value, dict) else {}


def _text(value: object, limit: int) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()[:limit]
    return None


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ------------------------------------------------------------------- page, identify


def _page(message: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    properties = _object(message, "properties")
    page, campaign = _within(context, "page"), _within(context, "campaign")
    url = _text(properties.get("url"), 2048) or _text(page.get("url"), 2048) or _text(properties.get("path"), 2048)
    if message.get("type") == "screen":
        url = url or f"screen:{_text(message.get('name'), 2000) or ''}"
    kind = next((_PAGE_TYPES[n.lower()] for n in (_text(message.get(k), 64) for k in ("category", "name"))
                 if n and n.lower() in _PAGE_TYPES), "other")
    return {
        "type": "page_viewed",
        "url": url or _text(page.get("path"), 2048) or "/",
        "page_type": kind,
        "referrer": _text(properties.get("referrer"), 2048) or _text(page.get("referrer"), 2048),
        "channel": _text(campaign.get("medium"), 64) or _text(campaign.get("source"), 64),
    }


def _identify(message: Mapping[str, Any], context: Mapping[str, Any], call: str,
              anonymous_id: str | None) -> dict[str, Any]:
    traits = _object(message, "traits") if call == "identify" else {}
    address = _within(traits, "address")
    zone = next((z for z in (_text(traits.get(k), 64) for k in ("timezone", "time_zone", "timeZone")) if z), None)
    return {
        "type": "customer_identified",
        "anonymous_id": anonymous_id,
        "traits": {
            "country": _text(traits.get("country"), 64) or _text(address.get("country"), 64),
            "time_zone": zone or _text(context.get("timezone"), 64),
            "locale": _text(traits.get("locale"), 16) or _text(context.get("locale"), 16),
            "age_band": _text(traits.get("age_band"), 16) or _age_band(traits.get("age")),
        },
        "marketing_consent": _consent(traits, context),
    }


def _age_band(age: object) -> str | None:
    if isinstance(age, bool) or not isinstance(age, (int, float)) or not 13 <= age < 130:
        return None
    for upper, band in ((25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54")):
        if age < upper:
            return band if age >= 18 else None
    return "55+"


def _consent(traits: Mapping[str, Any], context: Mapping[str, Any]) -> bool | None:
    for name in _CONSENT_TRAITS:
        if isinstance(traits.get(name), bool):
            return bool(traits[name])
    if isinstance(traits.get("unsubscribed"), bool):
        return not traits["unsubscribed"]
    preferences = _within(_within(context, "consent"), "categoryPreferences")
    for category, allowed in preferences.items():
        if isinstance(allowed, bool) and "marketing" in str(category).lower():
            return allowed
    return None


# ------------------------------------------------------------------------- tracks


def _track(kind: str, properties: Mapping[str, Any], event_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind}
    if kind == "searched":
        body["query"] = (_text(properties.get("query"), 512) or "")
    elif kind == "page_viewed":
        body.update(url=_text(properties.get("url"), 2048) or "/checkout", page_type="checkout")
    elif kind in ("product_viewed", "cart_item_added", "cart_item_removed"):
        body.update(_product(properties, "properties"))
        if kind == "product_viewed":
            body.pop("quantity", None)
    elif kind in ("cart_viewed", "checkout_started"):
        listed = _listed(properties.get("products"))
        if isinstance(listed, list):
            body["products"] = _products(listed)
        body["value"] = _first(properties, "value", "revenue", "total")
        body["currency"] = _currency(properties.get("currency"))
    elif kind == "order_placed":
        products = _products(_listed(properties.get("products")))
        total = _first(properties, "total", "revenue", "value")
        if total is None:
            total = lines_total(products)
        if total is None:
            raise _Refused("missing_field", "properties.total: an order needs its total (or revenue, value, "
                           "or products with prices)")
        body.update(order_id=_order_id(properties, event_id), line_items=products, total=total,
                    discount_code=_text(properties.get("coupon"), 64),
                    discount_amount=_first(properties, "discount") or 0.0)
        if _currency(properties.get("currency")):
            body["currency"] = _currency(properties.get("currency"))
    elif kind == "order_refunded":
        products = _products(_listed(properties.get("products")))
        amount = _first(properties, "total", "revenue", "value")
        # The spec requires only the order id: a refund of unknown amount still counts as a refund.
        body.update(order_id=_order_id(properties, event_id),
                    amount=amount if amount is not None else (lines_total(products) or 0.0))
    return body


def _listed(value: object, where: str = "properties.products") -> object:
    """A list as given, or as JSON text (a warehouse's or a form's column of it: ``"[{\"sku\": …}]"``).

    >>> _listed('[{"sku": "p1"}]'), _listed([1]), _listed("p1")
    ([{'sku': 'p1'}], [1], 'p1')
    """
    if not isinstance(value, str) or not value.lstrip().startswith("["):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        raise _Refused("wrong_type", f"{where}: expected a list of objects, found text that is not JSON "
                       f"({_short(value)})") from None


def _product(item: Mapping[str, Any], where: str) -> dict[str, Any]:
    product_id = next((_identifier(item.get(k)) for k in _PRODUCT_IDS if _identifier(item.get(k))), None)
    if product_id is None:
        raise _Refused("missing_field", f"{where}.product_id: the product's id is required (or sku, id, item_id)")
    quantity = item.get("quantity")
    return {
        "product_id": product_id[:128],
        "quantity": 1 if quantity is None else quantity,
        "price": item.get("price"),
        "category": _text(item.get("category"), 128) or _text(item.get("item_category"), 128),
    }


#: Where a product names its id, the first found: the spec's, then other tools' (GA4's ``item_id``).
_PRODUCT_IDS = ("product_id", "sku", "id", "item_id")


def _products(items: object, where: str = "properties.products") -> list[dict[str, Any]]:
    if not isinstance(items, list):
        return []
    products = []
    for n, item in enumerate(items[:1000]):
        if not isinstance(item, dict):
            raise _Refused("wrong_type", f"{where}.{n}: expected an object (got {_short(item)})")
        products.append(_product(item, f"{where}.{n}"))
    return products


def order_lines(items: object, where: str = "products") -> list[dict[str, Any]] | Problem:
    """A ``products`` list as the spec's orders and checkouts carry it, as lines; or the problem with it.

    Each object's id is ``product_id``, else ``sku``, ``id`` or ``item_id``; ``quantity`` (1 when
    not given), ``price`` and ``category`` (else GA4's ``item_category``) are passed on for the
    event's parser to check. Not a list: no lines. Also what other tools' exports of an order, a
    checkout or a cart read (:mod:`streams.replay.clickstream`).

    >>> order_lines([{"sku": "p1", "price": 5.0, "quantity": 2}])
    [{'product_id': 'p1', 'quantity': 2, 'price': 5.0, 'category': None}]
    >>> order_lines([{"name": "no id"}])
    Problem(reason='missing_field', detail="products.0.product_id: the product's id is required (or sku, id, item_id)")
    """
    try:
        return _products(items, where)
    except _Refused as refused:
        return refused.problem


def _first(properties: Mapping[str, Any], *names: str) -> object:
    return next((properties[n] for n in names if properties.get(n) is not None), None)


def lines_total(products: list[dict[str, Any]]) -> float | None:
    """The lines' prices times quantities, or None when one of them is not a number (or there are none)."""
    total = 0.0
    for product in products:
        price, quantity = _amount(product.get("price")), _amount(product.get("quantity"))
        if price is None or quantity is None:
            return None
        total += price * quantity
    return round(total, 2) if products else None


def _amount(value: object) -> float | None:
    """A number as the event's parser reads one: a JSON number, or text holding one (``"19.99"``, as many shops
    send prices); None for anything else.

    >>> _amount(2), _amount(" 19.99 "), _amount("$19.99"), _amount(True), _amount("nan")
    (2.0, 19.99, None, None, None)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _currency(value: object) -> str | None:
    return value.strip().upper() if isinstance(value, str) and len(value.strip()) == 3 else None


def _order_id(properties: Mapping[str, Any], event_id: str) -> str:
    for name in ("order_id", "checkout_id"):
        given = _identifier(properties.get(name))
        if given:
            return given[:128]
    return event_id
