"""What the models see of a live customer: the features of a session and of an order history.

The same functions serve the worker (on live profiles) and the marketers' insights (on
:class:`~models.customer_facts.CustomerFacts`), so a score means the same thing everywhere.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timezone
from typing import Protocol

from models.features import INTENT_FEATURES, PurchaseHistory
from models.value_features import SpendHistory, merge_spend, record_spend
from streams.core.frozen import replace
from streams.core.state import Profile, Session

#: Labelled examples a model needs before its scores are shown and used: an untrained
#: model says 0.5 to everyone, which would read as a real estimate.
MIN_LEARNED = 200


def channel_code(channel: str | None) -> float:
    """A stable small integer per channel name, like the UCI data's traffic type codes.

    >>> channel_code(None), channel_code("email") == channel_code("email")
    (0.0, True)
    """
    return float(zlib.crc32(channel.encode()) % 20 + 1) if channel else 0.0


def session_features(session: Session, profile: Profile) -> dict[str, float]:
    """The intent model's features of a live session (see ``models.features.INTENT_FEATURES``).

    What :func:`models.features.intent_features_from_session` gives for the session's fields,
    built directly: the session's fields are numbers already, and this runs for every customer
    of every batch.
    """
    x = dict(_NO_INTENT_FEATURES)
    x.update(
        admin_pages=float(session.admin_pages),
        admin_seconds=float(session.admin_seconds),
        info_pages=float(session.info_pages),
        info_seconds=float(session.info_seconds),
        product_pages=float(session.product_pages),
        product_seconds=float(session.product_seconds),
        bounce_rate=1.0 if session.events <= 1 else 0.0,
        month=float(session.started_at.month),
        weekend=1.0 if session.started_at.weekday() >= 5 else 0.0,
        returning_visitor=1.0 if profile.sessions > 1 else 0.0,
        traffic_type=channel_code(session.channel),
        cart_items=float(session.cart_items),
        cart_value=float(session.cart_value),
        checkout_started=1.0 if session.checkout_started else 0.0,
    )
    return x


_NO_INTENT_FEATURES = dict.fromkeys(INTENT_FEATURES, 0.0)


class OrderHistory(Protocol):
    """What a purchase history is built from: a live Profile or the analytics' CustomerFacts."""

    @property
    def first_order_at(self) -> datetime | None: ...
    @property
    def last_order_at(self) -> datetime | None: ...
    @property
    def orders(self) -> int: ...
    @property
    def order_days(self) -> int: ...
    @property
    def revenue(self) -> float: ...
    @property
    def refunds(self) -> int: ...
    @property
    def discount_orders(self) -> int: ...


def purchase_history(source: OrderHistory) -> PurchaseHistory | None:
    """The loyalty features' view of a customer's orders, or None before the first one."""
    if source.first_order_at is None or source.last_order_at is None:
        return None
    return PurchaseHistory(
        first_at=source.first_order_at,
        last_at=source.last_order_at,
        orders=source.orders,
        repeat_days=source.order_days,
        revenue=source.revenue,
        refunds=source.refunds,
        discounted_orders=source.discount_orders,
    )


def spend_history(profile: Profile) -> SpendHistory | None:
    """The value features' view of a profile's order spend, or None before the first order."""
    if profile.first_order_at is None or profile.last_order_at is None:
        return None
    return SpendHistory(
        first_day=profile.first_order_at.astimezone(timezone.utc).date(),
        first_day_spend=profile.first_day_spend,
        last_order_value=profile.last_order_value,
        max_order_value=profile.max_order_value,
        recent_units=profile.recent_spend_units,
        long_units=profile.long_spend_units,
        updated_at=profile.last_order_at.timestamp(),
    )


def _with(profile: Profile, spend: SpendHistory | None) -> Profile:
    if spend is None:
        return profile
    return replace(
        profile,
        first_day_spend=spend.first_day_spend,
        last_order_value=spend.last_order_value,
        max_order_value=spend.max_order_value,
        recent_spend_units=spend.recent_units,
        long_spend_units=spend.long_units,
    )


def merged_spend(into: Profile, other: Profile, merged: Profile) -> Profile:
    """``merged`` (the two profiles' merge) with their two spend histories merged."""
    return _with(merged, merge_spend(spend_history(into), spend_history(other)))


def with_spend(profile: Profile, at: datetime, amount: float) -> Profile:
    """``profile`` with one more order of ``amount`` at ``at`` in its spend history (any arrival order).

    Call it on the profile as it was before the order's totals and times were updated.
    """
    return _with(profile, record_spend(spend_history(profile), at, amount))
