"""The feature contract of the intent and loyalty models, shared by the live worker and offline runs.

Intent features describe one web session so far; loyalty features describe one customer's
purchase history at a moment. Both are plain ``dict[str, float]`` with fixed names, so the live
path (a session or profile from the state store) and the offline path (a row of a data set) go
through the same functions and the models never see anything else.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, overload

from models.errors import FieldError

if TYPE_CHECKING:
    from models.bgnbd import BGNBD

__all__ = [
    "INTENT_FEATURES",
    "LOYALTY_FEATURES",
    "MONTHS",
    "PurchaseHistory",
    "intent_features_from_session",
    "intent_features_from_uci_row",
    "intent_label_from_uci_row",
    "loyalty_features",
    "record_order",
    "record_refund",
]

#: Names of the intent features, in a fixed order.
INTENT_FEATURES: tuple[str, ...] = (
    "admin_pages",
    "admin_seconds",
    "info_pages",
    "info_seconds",
    "product_pages",
    "product_seconds",
    "bounce_rate",
    "exit_rate",
    "page_value",
    "special_day",
    "month",
    "weekend",
    "returning_visitor",
    "traffic_type",
    "region",
    "browser",
    "os",
    "cart_items",
    "cart_value",
    "checkout_started",
)

#: Names of the loyalty features; the last two are present only when a fitted BG/NBD is given.
LOYALTY_FEATURES: tuple[str, ...] = (
    "frequency",
    "recency_days",
    "tenure_days",
    "days_since_last",
    "monetary_mean",
    "orders",
    "refunds",
    "discount_share",
    "p_alive",
    "expected_purchases",
)

#: Month names as written in the UCI data set (note "June") and their usual short forms.
MONTHS: dict[str, int] = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}

# UCI column -> contract name, for the columns that are plain non-negative numbers.
_UCI_NUMERIC: dict[str, str] = {
    "Administrative": "admin_pages",
    "Administrative_Duration": "admin_seconds",
    "Informational": "info_pages",
    "Informational_Duration": "info_seconds",
    "ProductRelated": "product_pages",
    "ProductRelated_Duration": "product_seconds",
    "BounceRates": "bounce_rate",
    "ExitRates": "exit_rate",
    "PageValues": "page_value",
    "SpecialDay": "special_day",
    "TrafficType": "traffic_type",
    "Region": "region",
    "Browser": "browser",
    "OperatingSystems": "os",
}

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def _number(field: str, raw: object) -> float:
    if isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            raise FieldError(field, "a number", raw) from None
    else:
        raise FieldError(field, "a number", raw)
    if not math.isfinite(value):
        raise FieldError(field, "a finite number", raw)
    return value


def _flag(field: str, raw: str) -> float:
    text = raw.strip().lower()
    if text in _TRUE:
        return 1.0
    if text in _FALSE:
        return 0.0
    raise FieldError(field, "TRUE or FALSE", raw)


def _month(field: str, raw: str) -> float:
    month = MONTHS.get(raw.strip().lower())
    if month is None:
        raise FieldError(field, "a month name such as 'Feb' or 'June'", raw)
    return float(month)


def intent_features_from_uci_row(row: Mapping[str, str]) -> dict[str, float]:
    """Intent features of one row of the UCI Online Shoppers Purchasing Intention data set.

    The data set has no cart or checkout columns, so ``cart_items``, ``cart_value`` and
    ``checkout_started`` are 0.

    Parameters
    ----------
    row
        One row as read by :class:`csv.DictReader` (column name to raw text).

    Raises
    ------
    FieldError
        If a column is missing or holds a value of the wrong kind; ``field`` names the column.

    Examples
    --------
    >>> row = {"Administrative": "2", "Administrative_Duration": "40.5", "Informational": "0",
    ...        "Informational_Duration": "0", "ProductRelated": "12",
    ...        "ProductRelated_Duration": "300", "BounceRates": "0.01", "ExitRates": "0.02",
    ...        "PageValues": "12.5", "SpecialDay": "0", "Month": "June", "OperatingSystems": "2",
    ...        "Browser": "2", "Region": "1", "TrafficType": "3",
    ...        "VisitorType": "Returning_Visitor", "Weekend": "FALSE", "Revenue": "TRUE"}
    >>> x = intent_features_from_uci_row(row)
    >>> x["month"], x["returning_visitor"], x["weekend"], x["page_value"], x["cart_items"]
    (6.0, 1.0, 0.0, 12.5, 0.0)
    >>> tuple(x) == INTENT_FEATURES
    True

    """
    parsed: dict[str, float] = {}
    for column, name in _UCI_NUMERIC.items():
        if column not in row:
            raise FieldError(column, "a column of that name", None)
        value = _number(column, row[column])
        if value < 0:
            raise FieldError(column, "a number >= 0", row[column])
        parsed[name] = value
    for column in ("Month", "VisitorType", "Weekend"):
        if column not in row:
            raise FieldError(column, "a column of that name", None)
    parsed["month"] = _month("Month", row["Month"])
    parsed["weekend"] = _flag("Weekend", row["Weekend"])
    parsed["returning_visitor"] = 1.0 if row["VisitorType"].strip() == "Returning_Visitor" else 0.0
    parsed["cart_items"] = 0.0
    parsed["cart_value"] = 0.0
    parsed["checkout_started"] = 0.0
    return {name: parsed[name] for name in INTENT_FEATURES}


def intent_label_from_uci_row(row: Mapping[str, str]) -> bool:
    """Whether the session of one UCI row ended in a purchase (the ``Revenue`` column).

    Examples
    --------
    >>> intent_label_from_uci_row({"Revenue": "TRUE"}), intent_label_from_uci_row({"Revenue": "FALSE"})
    (True, False)

    """
    if "Revenue" not in row:
        raise FieldError("Revenue", "a column of that name", None)
    return _flag("Revenue", row["Revenue"]) == 1.0


def intent_features_from_session(session: Mapping[str, object]) -> dict[str, float]:
    """Intent features of a live session given as a plain mapping with the contract's names.

    Missing names count as 0, names outside the contract are ignored, booleans become 0/1.

    Parameters
    ----------
    session
        The session so far, keyed by the names in :data:`INTENT_FEATURES`.

    Raises
    ------
    FieldError
        If a value is not a finite number or a boolean.

    Examples
    --------
    >>> x = intent_features_from_session({"product_pages": 3, "cart_items": 1,
    ...                                   "checkout_started": True, "session_id": "s1"})
    >>> x["product_pages"], x["cart_items"], x["checkout_started"], x["page_value"]
    (3.0, 1.0, 1.0, 0.0)
    >>> len(x) == len(INTENT_FEATURES)
    True

    """
    return {name: _number(name, session.get(name, 0.0)) for name in INTENT_FEATURES}


@dataclasses.dataclass(frozen=True, slots=True)
class PurchaseHistory:
    """What the loyalty features know about one customer's orders.

    Parameters
    ----------
    first_at
        Time of the first order.
    last_at
        Time of the latest order.
    orders
        Number of orders.
    repeat_days
        Number of distinct days with an order after the day of the first one (BG/NBD's ``x``).
    revenue
        Total value of the orders, before refunds.
    refunds
        Number of refunds (cancellations).
    discounted_orders
        Number of orders bought with a discount.

    """

    first_at: dt.datetime
    last_at: dt.datetime
    orders: int = 1
    repeat_days: int = 0
    revenue: float = 0.0
    refunds: int = 0
    discounted_orders: int = 0


def record_order(
    history: PurchaseHistory | None, at: dt.datetime, amount: float, *, discounted: bool = False
) -> PurchaseHistory:
    """Return the history updated with one order; orders must arrive in time order.

    Examples
    --------
    >>> h = record_order(None, dt.datetime(2024, 1, 1, 9), 20.0)
    >>> h = record_order(h, dt.datetime(2024, 1, 1, 17), 5.0)
    >>> h = record_order(h, dt.datetime(2024, 1, 8, 10), 10.0, discounted=True)
    >>> h.orders, h.repeat_days, h.revenue, h.discounted_orders
    (3, 1, 35.0, 1)

    """
    if history is None:
        return PurchaseHistory(
            first_at=at, last_at=at, orders=1, revenue=amount, discounted_orders=int(discounted)
        )
    new_day = at.date() != history.last_at.date() and at > history.last_at
    return dataclasses.replace(
        history,
        last_at=max(at, history.last_at),
        orders=history.orders + 1,
        repeat_days=history.repeat_days + int(new_day),
        revenue=history.revenue + amount,
        discounted_orders=history.discounted_orders + int(discounted),
    )


@overload
def record_refund(history: PurchaseHistory) -> PurchaseHistory: ...


@overload
def record_refund(history: None) -> None: ...


def record_refund(history: PurchaseHistory | None) -> PurchaseHistory | None:
    """Return the history updated with one refund; a refund with no known order changes nothing.

    Examples
    --------
    >>> h = record_order(None, dt.datetime(2024, 1, 1), 20.0)
    >>> record_refund(h).refunds, record_refund(None)
    (1, None)

    """
    if history is None:
        return None
    return dataclasses.replace(history, refunds=history.refunds + 1)


def _days(delta: dt.timedelta) -> float:
    return max(delta.total_seconds() / 86400.0, 0.0)


def loyalty_features(
    history: PurchaseHistory,
    now: dt.datetime,
    *,
    bgnbd: BGNBD | None = None,
    horizon_days: float = 90.0,
) -> dict[str, float]:
    """Loyalty features of one customer at time ``now``.

    Parameters
    ----------
    history
        The customer's orders so far.
    now
        The moment the features describe (not before ``history.last_at``).
    bgnbd
        A fitted BG/NBD model; when given, ``p_alive`` and ``expected_purchases`` (over the
        next ``horizon_days``) are added.
    horizon_days
        Horizon of ``expected_purchases``.

    Examples
    --------
    >>> h = record_order(None, dt.datetime(2024, 1, 1), 30.0)
    >>> h = record_order(h, dt.datetime(2024, 1, 11), 10.0, discounted=True)
    >>> x = loyalty_features(h, dt.datetime(2024, 1, 31))
    >>> x["frequency"], x["recency_days"], x["tenure_days"], x["days_since_last"]
    (1.0, 10.0, 30.0, 20.0)
    >>> x["monetary_mean"], x["discount_share"], "p_alive" in x
    (20.0, 0.5, False)

    """
    orders = max(history.orders, 1)
    features = {
        "frequency": float(history.repeat_days),
        "recency_days": _days(history.last_at - history.first_at),
        "tenure_days": _days(now - history.first_at),
        "days_since_last": _days(now - history.last_at),
        "monetary_mean": history.revenue / orders,
        "orders": float(history.orders),
        "refunds": float(history.refunds),
        "discount_share": history.discounted_orders / orders,
    }
    if bgnbd is not None:
        unit = bgnbd.unit_days
        x = features["frequency"]
        t_x = features["recency_days"] / unit
        big_t = features["tenure_days"] / unit
        features["p_alive"] = bgnbd.p_alive(x, t_x, big_t)
        features["expected_purchases"] = bgnbd.expected_purchases(horizon_days / unit, x, t_x, big_t)
    return features
