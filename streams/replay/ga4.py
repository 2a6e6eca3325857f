"""Google Analytics 4's BigQuery export (one event per JSON line) turned into the tracker's events.

GA4 writes a row per event (``events_YYYYMMDD``): ``event_timestamp`` in microseconds,
``event_name``, ``event_params`` as a list of ``{key, value: {string_value | int_value |
double_value | float_value}}``, ``user_id`` or ``user_pseudo_id``, ``items`` and ``ecommerce``.
Exported as newline-delimited JSON (``bq extract --destination_format NEWLINE_DELIMITED_JSON``,
plain or compressed), numbers may come as strings.  The recommended e-commerce events map to the
tracker's; the rest keep the visit going as counted activity:

=====================================  ================================================
GA4 event                              tracker event
=====================================  ================================================
page_view, screen_view                 ``page_viewed`` (``page_location``, ``page_referrer``)
view_item, select_item                 ``product_viewed``, one per item
add_to_cart / remove_from_cart         ``cart_item_added`` / ``cart_item_removed``, one per item
view_cart / begin_checkout             ``cart_viewed`` / ``checkout_started`` with the items
add_shipping_info, add_payment_info    ``checkout_started`` with the items: a step of the checkout
purchase / refund                      ``order_placed`` / ``order_refunded``
search, view_search_results            ``searched`` (``search_term``)
login                                  ``customer_identified`` (the pseudo id linked to the user id)
=====================================  ================================================

A visitor is ``user_id`` when the site sets it, else ``user_pseudo_id``.  GA4's placeholder
``(not set)`` counts as no value.  Event ids are digests of the line (one per item), so a
second replay changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from streams.core.intake import Problem

_NOT_SET = {"", "(not set)", "(not provided)", "(none)"}
_ITEM_EVENTS = {"view_item": "product_viewed", "select_item": "product_viewed",
                "add_to_cart": "cart_item_added", "remove_from_cart": "cart_item_removed"}
#: A checkout's steps (the shipping and payment details given) are the checkout, as a clickstream table's names are
#: read (:func:`streams.replay.clickstream.kind_of`): a site that sends no ``begin_checkout`` still starts one.
_CART_EVENTS = {"view_cart": "cart_viewed", "begin_checkout": "checkout_started",
                "add_shipping_info": "checkout_started", "add_payment_info": "checkout_started"}


def events_of(lines: Iterable[tuple[int, bytes | Problem]]) -> Iterator[tuple[int, bytes | Problem]]:
    """(line, the tracker event as JSON, or the line's problem) for every event of the export's lines."""
    for number, line in lines:
        if isinstance(line, Problem):  # the file's own damage (a broken gzip stream) at that line
            yield number, line
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError) as exc:
            yield number, Problem("malformed_json", f"not JSON: {exc}"[:300])
            continue
        if not isinstance(row, dict):
            yield number, Problem("wrong_type", f"expected a GA4 event object, got {type(row).__name__}")
            continue
        converted = events_of_row(row, hashlib.blake2b(line, digest_size=10).hexdigest())
        if isinstance(converted, Problem):
            yield number, converted
            continue
        for event in converted:
            yield number, json.dumps(event, separators=(",", ":")).encode()


def events_of_row(row: Mapping[str, Any], digest: str) -> list[dict[str, Any]] | Problem:
    """The tracker events of one GA4 row (``digest``: of the row, for the event ids).

    >>> row = {"event_timestamp": "1604188800000000", "event_name": "add_to_cart", "user_pseudo_id": "123.456",
    ...        "event_params": [{"key": "ga_session_id", "value": {"int_value": "77"}}],
    ...        "items": [{"item_id": "9195", "price": 12.5, "quantity": 2, "item_category": "Apparel"}]}
    >>> [event] = events_of_row(row, "d1")
    >>> event["type"], event["customer_id"], event["occurred_at"], event["session_id"], event["quantity"]
    ('cart_item_added', '123.456', '2020-11-01T00:00:00+00:00', '77', 2)
    """
    customer = _text(row.get("user_id")) or _text(row.get("user_pseudo_id"))
    if not customer:
        return Problem("missing_field", "user_id and user_pseudo_id: neither is set")
    micros = _micros(row.get("event_timestamp"))
    if isinstance(micros, Problem):
        return micros
    name = _text(row.get("event_name")) or "unnamed"
    params = _params(row.get("event_params"))
    base: dict[str, Any] = {"customer_id": customer,
                            "occurred_at": datetime.fromtimestamp(micros / 1e6, timezone.utc).isoformat()}
    session = _text(params.get("ga_session_id"))
    if session:
        base["session_id"] = session
    items = [item for item in row.get("items") or () if isinstance(item, Mapping) and _text(item.get("item_id"))]
    ecommerce = row.get("ecommerce") if isinstance(row.get("ecommerce"), Mapping) else {}

    def event(kind: str, suffix: str = "", **fields: Any) -> dict[str, Any]:
        return {**base, "event_id": f"ga4-{digest}{suffix}", "type": kind,
                **{key: value for key, value in fields.items() if value is not None}}

    if name in _ITEM_EVENTS and items:
        return [event(_ITEM_EVENTS[name], f"-{n}", **_product(item, quantity=name != "view_item" and
                                                             name != "select_item"))
                for n, item in enumerate(items)]
    if name in _CART_EVENTS:
        products = [_product(item, quantity=True) for item in items] or None
        return [event(_CART_EVENTS[name], products=products, value=_money(params.get("value")),
                      currency=_currency(params.get("currency")))]
    if name in ("page_view", "screen_view"):
        return [event("page_viewed", url=_text(params.get("page_location")) or "/",
                      referrer=_text(params.get("page_referrer")) or None)]
    if name in ("search", "view_search_results") and _text(params.get("search_term")):
        return [event("searched", query=_text(params.get("search_term"))[:512])]
    if name == "purchase":
        return [_purchase(event, items, params, ecommerce)]
    if name == "refund":
        order_id = _text(ecommerce.get("transaction_id")) or _text(params.get("transaction_id"))
        amount = _money(ecommerce.get("refund_value")) or _money(params.get("value"))
        if order_id and amount is not None:
            return [event("order_refunded", order_id=order_id[:128], amount=amount)]
    if name == "login" and _text(row.get("user_id")) and _text(row.get("user_pseudo_id")):
        return [event("customer_identified", anonymous_id=_text(row.get("user_pseudo_id")))]
    return [event("activity", name=name[:100])]


def _purchase(event: Any, items: list[Mapping[str, Any]], params: Mapping[str, Any],
              ecommerce: Mapping[str, Any]) -> dict[str, Any]:
    lines = [_product(item, quantity=True) for item in items][:1000]
    total = _money(ecommerce.get("purchase_revenue")) or _money(params.get("value"))
    if total is None:
        total = round(sum((line.get("price") or 0.0) * line["quantity"] for line in lines), 2)
    order_id = _text(ecommerce.get("transaction_id")) or _text(params.get("transaction_id"))
    placed: dict[str, Any] = event("order_placed", order_id=(order_id or "")[:128] or None, line_items=lines,
                                   total=total, currency=_currency(params.get("currency")),
                                   discount_code=(_text(params.get("coupon")) or "")[:64] or None)
    if "order_id" not in placed:
        placed["order_id"] = placed["event_id"]
    return placed


def _product(item: Mapping[str, Any], *, quantity: bool) -> dict[str, Any]:
    product: dict[str, Any] = {"product_id": _text(item.get("item_id"))[:128]}
    price = _money(item.get("price"))
    if price is not None:
        product["price"] = price
    category = _text(item.get("item_category"))
    if category:
        product["category"] = category[:128]
    if quantity:
        try:
            product["quantity"] = max(int(float(item.get("quantity") or 1)), 1)
        except (TypeError, ValueError):
            product["quantity"] = 1
    return product


def _micros(value: Any) -> int | Problem:
    """``event_timestamp`` (microseconds, a number or its text), or why it is none: absent, or not such a number.

    >>> _micros("1604188800000000"), _micros(None).reason, _micros("2020-11-01").reason, _micros(True).reason
    (1604188800000000, 'missing_field', 'wrong_type', 'wrong_type')
    """
    if value is None or value == "":
        return Problem("missing_field", "event_timestamp: no time (expected microseconds since 1970)")
    try:
        if isinstance(value, bool):
            raise TypeError("a boolean")
        micros = float(value)
        # Within datetime's range (years 1-9999); an infinity or NaN is no time either.
        if not -6.2e16 < micros < 2.5e17:
            raise ValueError("out of range")
    except (TypeError, ValueError):
        return Problem("wrong_type", f"event_timestamp: expected microseconds since 1970, found {value!r:.60}")
    return int(micros)


def _params(raw: Any) -> dict[str, Any]:
    """GA4's ``event_params`` as {key: the one value set}."""
    params: dict[str, Any] = {}
    for param in raw or ():
        if not isinstance(param, Mapping) or not isinstance(param.get("value"), Mapping):
            continue
        value = param["value"]
        for kind in ("string_value", "int_value", "double_value", "float_value"):
            if value.get(kind) is not None:
                params[str(param.get("key"))] = value[kind]
                break
    return params


def _text(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    return "" if text in _NOT_SET else text


def _money(value: Any) -> float | None:
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return None
    return round(amount, 2) if amount >= 0 else None


def _currency(value: Any) -> str | None:
    code = _text(value).upper()
    return code if len(code) == 3 and code.isalpha() else None
