"""Google Analytics 360's sessions export (``ga_sessions_*``, Universal Analytics in BigQuery) as a clickstream.

The export is a visit per row, its hits nested (``bq extract --destination_format
NEWLINE_DELIMITED_JSON``: a visit per line, numbers often as text).  A hit's time is the
milliseconds since the visit started (``hits.time`` after ``visitStartTime``, Unix seconds), what
it did to products a digit (``hits.eCommerceAction.action_type``), its products nested again
(``hits.product``) and its money in millionths (``productPrice``, ``transactionRevenue``).
:func:`hits_table` turns the visits into a row per hit, by names the header guess reads
(:data:`~streams.replay.clickstream.HEADER_NAMES`):

- ``user_id``: ``userId`` when the site sets one, ``visitor_id`` the ``fullVisitorId`` (a row
  without a user is its visitor's, and the first naming both is a login), ``session`` the visitor
  and its ``visitId``;
- ``time``: ``visitStartTime`` plus the hit's ``time``, in Unix milliseconds;
- ``event``: the action type's meaning (``1`` a list click, ``2`` a product's details, ``3`` a cart
  add, ``4`` a remove, ``5`` a checkout, ``6`` a purchase, ``7`` a refund of the ``transaction``'s id, ``8`` a
  checkout option),
  else the hit's type (``PAGE`` a page view; an ``EVENT`` its ``eventInfo.eventAction``, visit
  activity; a classic e-commerce ``TRANSACTION`` with its id a purchase);
- ``products``: the hit's products as a JSON list (``productSKU``, the price in currency units,
  ``productQuantity``, ``v2ProductCategory``), without the ones only shown in a list
  (``isImpression``); ``order`` and ``total`` the ``transaction``'s id and revenue (tax and
  shipping included; a refund's total the money given back, ``refund.refundAmount``), ``url`` the page's
  ``hostname`` and ``pagePath``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from models.textfiles import CsvTable

__all__ = ["hits_table", "is_sessions"]

#: What ``eCommerceAction.action_type`` says a hit did (``0``: nothing, or unknown), as the tracker's event names.
_ACTIONS = {"1": "product_click", "2": "view_item", "3": "add_to_cart", "4": "remove_from_cart",
            "5": "begin_checkout", "6": "purchase", "7": "refund", "8": "checkout_option"}
#: Universal Analytics' amounts are in millionths of the currency.
_MICROS = 1_000_000
#: The rows' columns: named as the header guess reads them, what each came from in brackets (shown in the mapping
#: read; no points, which would make a name a nested field's).
_COLUMNS = ["user_id (userId)", "visitor_id (fullVisitorId)", "session (fullVisitorId-visitId)",
            "time (visitStartTime + the hit's time)", "event (the hit's eCommerceAction, else its type)",
            "products (the hit's product list)", "order (its transactionId)", "total (its transactionRevenue)",
            "url (its page's hostname and pagePath)"]


def is_sessions(header: Sequence[str]) -> bool:
    """Whether a JSON export's fields are GA360's sessions: a visitor, the visit's start and its hits.

    >>> is_sessions(["fullVisitorId", "visitId", "visitStartTime", "date", "totals.hits", "hits"])
    True
    >>> is_sessions(["session", "events"])
    False
    """
    return {"fullvisitorid", "visitstarttime", "hits"} <= {name.lower() for name in header}


def hits_table(table: CsvTable) -> CsvTable:
    """The visits' hits as a clickstream's rows (see the module), each on its visit's line.

    >>> header = ["fullVisitorId", "visitId", "visitStartTime", "hits"]
    >>> hits = [{"time": "0", "type": "PAGE", "page": {"hostname": "shop.example", "pagePath": "/mug"},
    ...          "eCommerceAction": {"action_type": "2"},
    ...          "product": [{"productSKU": "MUG-1", "productPrice": "18990000", "productQuantity": None}]},
    ...         {"time": "65000", "type": "EVENT", "eCommerceAction": {"action_type": "3"},
    ...          "product": [{"productSKU": "MUG-1", "productPrice": "18990000", "productQuantity": "2"},
    ...                      {"productSKU": "CUP-9", "productPrice": "5000000", "isImpression": True}]}]
    >>> rows = hits_table(CsvTable("ga.jsonl", header, [(1, ["7194", "1501583974", "1709287200", json.dumps(hits)])])).rows
    >>> [(values[4], values[3], json.loads(values[5])) for _, values in rows]  # doctest: +NORMALIZE_WHITESPACE
    [('view_item', '1709287200000', [{'productSKU': 'MUG-1', 'price': 18.99}]),
     ('add_to_cart', '1709287265000', [{'productSKU': 'MUG-1', 'price': 18.99, 'quantity': 2}])]
    >>> rows[0][1][:3], rows[0][1][8]
    (['', '7194', '7194-1501583974'], 'shop.example/mug')
    """
    at = {name.lower(): index for index, name in enumerate(table.header)}

    def cell(values: list[str], name: str) -> str:
        return values[at[name]].strip() if name in at else ""

    rows: list[tuple[int, list[str]]] = []
    for line, values in table.rows:
        visitor = cell(values, "fullvisitorid")
        session = f"{visitor}-{cell(values, 'visitid')}" if cell(values, "visitid") else ""
        start = cell(values, "visitstarttime")
        for hit in _hits(cell(values, "hits")):
            products = [_product(product) for product in _listed(hit.get("product"))
                        if not _flag(product.get("isImpression"))]
            transaction = _object(hit.get("transaction"))
            revenue = _amount(transaction.get("transactionRevenue"))
            if _event(hit) == "refund":  # the money given back, else the transaction's revenue as the refund gave it
                given_back = _refunded(hit)
                revenue = given_back if given_back is not None else None if revenue is None else abs(revenue)
            rows.append((line, [cell(values, "userid"), visitor, session, _time(start, hit.get("time")), _event(hit),
                                json.dumps(products) if products else "", _text(transaction.get("transactionId")),
                                "" if revenue is None else f"{revenue:.2f}", _url(_object(hit.get("page")))]))
    return CsvTable(table.path, list(_COLUMNS), rows, delimiter=table.delimiter)


def _hits(raw: str) -> list[Mapping[str, Any]]:
    """A visit's hits (the ``hits`` field's JSON list of objects), in the order of their time; none if unreadable."""
    try:
        hits = json.loads(raw) if raw else []
    except (ValueError, RecursionError):
        return []
    listed = [hit for hit in hits if isinstance(hit, Mapping)] if isinstance(hits, list) else []
    return sorted(listed, key=lambda hit: _millis(hit.get("time")))


def _event(hit: Mapping[str, Any]) -> str:
    """What a hit did: its action type's meaning, else its type's.

    >>> _event({"type": "PAGE", "eCommerceAction": {"action_type": "0"}}), _event({"type": "EVENT",
    ...        "eventInfo": {"eventAction": "Quickview Click"}}), _event({"type": "TRANSACTION",
    ...        "transaction": {"transactionId": "T1"}}), _event({"type": "PAGE", "eCommerceAction": {"action_type": 6}})
    ('page_view', 'Quickview Click', 'purchase', 'purchase')
    """
    action = _text(_object(hit.get("eCommerceAction")).get("action_type"))
    if action in _ACTIONS:
        return _ACTIONS[action]
    kind = _text(hit.get("type")).upper()
    if kind in ("PAGE", "APPVIEW"):
        return "page_view"
    if kind == "TRANSACTION" and _text(_object(hit.get("transaction")).get("transactionId")):
        return "purchase"
    if kind == "EVENT":
        return _text(_object(hit.get("eventInfo")).get("eventAction")) or "event"
    return kind.lower() or "hit"


def _refunded(hit: Mapping[str, Any]) -> float | None:
    """A refund hit's money given back: its ``refund.refundAmount``, else its products' ``productRefundAmount``; None
    when it names neither (its ``transactionRevenue`` then, as a refund may give it, else its products' worth).

    >>> _refunded({"refund": {"refundAmount": "23990000"}}), _refunded({"product": [
    ...     {"productRefundAmount": "18990000"}, {"productRefundAmount": "5000000"}]}), _refunded({})
    (23.99, 23.99, None)
    """
    whole = _amount(_object(hit.get("refund")).get("refundAmount"))
    if whole is not None:
        return whole
    lines = [_amount(product.get("productRefundAmount")) for product in _listed(hit.get("product"))]
    given = [line for line in lines if line is not None]
    return round(sum(given), 2) if given else None


def _product(product: Mapping[str, Any]) -> dict[str, Any]:
    """A hit's product as a products list names its fields, its price in currency units."""
    line: dict[str, Any] = {"productSKU": _text(product.get("productSKU"))}
    price = _amount(product.get("productPrice"))
    if price is not None:
        line["price"] = price
    quantity = _text(product.get("productQuantity"))
    if quantity.isdigit() and int(quantity) > 0:
        line["quantity"] = int(quantity)
    category = _text(product.get("v2ProductCategory"))
    if category and category != "(not set)":
        line["category"] = category
    return line


def _time(start: str, offset: object) -> str:
    """The hit's time in Unix milliseconds: the visit's start (Unix seconds) plus the hit's offset; the start as
    given when it is no number (the row is then reported for its time)."""
    try:
        return str(int(float(start)) * 1000 + _millis(offset))
    except ValueError:
        return start


def _millis(value: object) -> int:
    try:
        return max(int(float(str(value))), 0)
    except ValueError:
        return 0


def _amount(value: object) -> float | None:
    """An amount in millionths as currency units; None when there is none."""
    try:
        return round(float(str(value)) / _MICROS, 2) if value not in (None, "") else None
    except ValueError:
        return None


def _url(page: Mapping[str, Any]) -> str:
    return f"{_text(page.get('hostname'))}{_text(page.get('pagePath'))}"


def _listed(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _object(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _flag(value: object) -> bool:
    return value is True or str(value).lower() == "true"


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()
