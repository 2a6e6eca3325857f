"""The feature contract of the value model: what a live profile knows about a customer at a moment.

:func:`value_features` reads a :class:`~models.customer_facts.CustomerFacts` (RFM facts, refunds,
discounts, favourite categories, visits) and a small :class:`SpendHistory` that the value model
needs beyond them: spend of the first purchase day (Gamma-Gamma's repeat spend leaves it out),
the latest and the largest order, distinct products, and spend decayed over about 90 and 365
days, whose ratio says whether a customer is buying more or less than they used to. With a fitted
BG/NBD and Gamma-Gamma it adds their expected purchases over the horizon, ``p_alive``, expected
order value and expected spend. The live worker and the offline evaluation build the same dict,
so the model never sees anything else. Visit features are zeros where no clickstream is known.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import TYPE_CHECKING

from models.customer_facts import CustomerFacts

if TYPE_CHECKING:
    from models.bgnbd import BGNBD
    from models.gammagamma import GammaGamma

__all__ = [
    "ERA_DAYS",
    "LONG_DAYS",
    "RECENT_DAYS",
    "UNITS",
    "VALUE_FEATURES",
    "SpendHistory",
    "merge_spend",
    "record_spend",
    "value_features",
]

#: Time constants (days) of the decayed spend: recent and long-run.
RECENT_DAYS = 90.0
LONG_DAYS = 365.0

#: Names of the value features; the last five only with fitted BG/NBD and Gamma-Gamma models.
VALUE_FEATURES: tuple[str, ...] = (
    "orders",
    "repeat_days",
    "tenure_days",
    "recency_days",
    "days_since_last",
    "revenue",
    "net_spend",
    "order_value",
    "repeat_order_value",
    "last_order_value",
    "max_order_value",
    "recent_spend",
    "long_spend",
    "refunds",
    "refund_share",
    "discount_share",
    "products",
    "categories",
    "sessions",
    "product_views",
    "cart_adds",
    "checkouts",
    "days_since_seen",
    "p_alive",
    "p_buy",
    "expected_purchases",
    "expected_order_value",
    "expected_spend",
)

#: Decayed spend is kept as whole millionths of money grown from the start of a span of
#: :data:`ERA_DAYS`: each order adds ``amount * exp((t - era start) / tau)``, rounded, so the sums
#: are exact integers that do not depend on the order they were added in.
UNITS = 1_000_000
ERA_DAYS = 730.0

_DAY = 86400.0


def _era(seconds: float) -> float:
    """Start (POSIX seconds) of the span of :data:`ERA_DAYS` that ``seconds`` falls in."""
    era = ERA_DAYS * _DAY
    return math.floor(seconds / era) * era


def _grown(amount: float, seconds: float, era: float, tau_days: float) -> int:
    return round(amount * UNITS * math.exp((seconds - era) / _DAY / tau_days))


@dataclasses.dataclass(frozen=True, slots=True)
class SpendHistory:
    """What the value model reads beyond :class:`~models.customer_facts.CustomerFacts` (see the module).

    Parameters
    ----------
    first_day
        UTC day of the first order.
    first_day_spend
        Spend on that day.
    last_order_value, max_order_value
        Value of the orders of the latest order moment, and of the largest order.
    products
        Distinct products (or categories) bought, as far as the caller counts them.
    recent_units, long_units
        Order spend decayed exponentially with time constants :data:`RECENT_DAYS` and
        :data:`LONG_DAYS`, in whole :data:`UNITS` grown from the start of the era of
        ``updated_at`` (read them with :meth:`decayed`).
    updated_at
        POSIX seconds of the latest order.

    """

    first_day: dt.date
    first_day_spend: float = 0.0
    last_order_value: float = 0.0
    max_order_value: float = 0.0
    products: int = 0
    recent_units: int = 0
    long_units: int = 0
    updated_at: float = 0.0

    def decayed(self, now: dt.datetime) -> tuple[float, float]:
        """``(recent spend, long-run spend)``: order spend decayed to ``now`` (from the latest order on)."""
        days = (max(now.timestamp(), self.updated_at) - _era(self.updated_at)) / _DAY
        return (
            self.recent_units / UNITS * math.exp(-days / RECENT_DAYS),
            self.long_units / UNITS * math.exp(-days / LONG_DAYS),
        )


def _utc_day(at: dt.datetime) -> dt.date:
    """The UTC day of ``at`` (naive times are taken as UTC), whatever offset it carries."""
    return at.astimezone(dt.UTC).date() if at.tzinfo is not None else at.date()


def _money(total: float, amount: float) -> float:
    # Cents first, as the live profile adds money: sums then do not depend on the order.
    return round(total + round(amount, 2), 2)


def record_spend(
    history: SpendHistory | None, at: dt.datetime, amount: float, *, new_products: int = 0
) -> SpendHistory:
    """Return the history updated with one order of ``amount``, in any order of arrival.

    The result does not depend on the order the orders arrive in: the first day's spend is that
    of the earliest day, the latest order's value that of the latest moment (orders of one
    moment summed), and the decayed sums add whole units (:data:`UNITS`) computed from each
    order's own time. (Only when the latest order moves into a new era of :data:`ERA_DAYS` are
    the sums scaled down, and rounded, once.)

    Examples
    --------
    >>> day = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    >>> h = record_spend(None, day, 30.0, new_products=2)
    >>> h = record_spend(h, day + dt.timedelta(hours=5), 10.0, new_products=1)
    >>> h = record_spend(h, day + dt.timedelta(days=90), 20.0)
    >>> h.first_day_spend, h.last_order_value, h.max_order_value, h.products
    (40.0, 20.0, 30.0, 3)
    >>> [round(s, 2) for s in h.decayed(day + dt.timedelta(days=90))]
    [34.72, 51.26]
    >>> late = record_spend(record_spend(None, day + dt.timedelta(days=90), 20.0), day, 30.0)
    >>> late = record_spend(late, day + dt.timedelta(hours=5), 10.0, new_products=3)
    >>> late == h
    True

    """
    amount = round(max(float(amount), 0.0), 2)
    seconds = at.timestamp()
    day = _utc_day(at)
    if history is None:
        era = _era(seconds)
        return SpendHistory(
            first_day=day, first_day_spend=amount, last_order_value=amount,
            max_order_value=amount, products=new_products,
            recent_units=_grown(amount, seconds, era, RECENT_DAYS),
            long_units=_grown(amount, seconds, era, LONG_DAYS), updated_at=seconds,
        )
    if day < history.first_day:
        first_day, first_day_spend = day, amount
    else:
        first_day = history.first_day
        first_day_spend = _money(history.first_day_spend, amount) if day == first_day else history.first_day_spend
    recent, long = history.recent_units, history.long_units
    era = _era(history.updated_at)
    if _era(seconds) > era:  # a new era: the sums so far are scaled to start from it
        shift = (_era(seconds) - era) / _DAY
        recent = round(recent * math.exp(-shift / RECENT_DAYS))
        long = round(long * math.exp(-shift / LONG_DAYS))
        era = _era(seconds)
    if seconds > history.updated_at:
        last_value, updated = amount, seconds
    else:
        same = seconds == history.updated_at
        last_value = _money(history.last_order_value, amount) if same else history.last_order_value
        updated = history.updated_at
    return SpendHistory(
        first_day=first_day,
        first_day_spend=first_day_spend,
        last_order_value=last_value,
        max_order_value=max(history.max_order_value, amount),
        products=history.products + new_products,
        recent_units=recent + _grown(amount, seconds, era, RECENT_DAYS),
        long_units=long + _grown(amount, seconds, era, LONG_DAYS),
        updated_at=updated,
    )


def merge_spend(a: SpendHistory | None, b: SpendHistory | None) -> SpendHistory | None:
    """One person's two spend histories as one (an anonymous visitor's merged at login).

    Examples
    --------
    >>> day = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    >>> a = record_spend(None, day, 30.0)
    >>> b = record_spend(None, day + dt.timedelta(days=10), 20.0)
    >>> merge_spend(a, b) == record_spend(a, day + dt.timedelta(days=10), 20.0)
    True

    """
    if a is None or b is None:
        return a or b
    if b.updated_at > a.updated_at:
        a, b = b, a  # a is the one with the latest order
    shift = (_era(a.updated_at) - _era(b.updated_at)) / _DAY
    if a.first_day == b.first_day:
        first_day_spend = _money(a.first_day_spend, b.first_day_spend)
    else:
        first_day_spend = (a if a.first_day < b.first_day else b).first_day_spend
    same = b.updated_at == a.updated_at
    return SpendHistory(
        first_day=min(a.first_day, b.first_day),
        first_day_spend=first_day_spend,
        last_order_value=_money(a.last_order_value, b.last_order_value) if same else a.last_order_value,
        max_order_value=max(a.max_order_value, b.max_order_value),
        products=a.products + b.products,
        recent_units=a.recent_units + round(b.recent_units * math.exp(-shift / RECENT_DAYS)),
        long_units=a.long_units + round(b.long_units * math.exp(-shift / LONG_DAYS)),
        updated_at=a.updated_at,
    )


def _days(later: dt.datetime | None, earlier: dt.datetime | None) -> float:
    if later is None or earlier is None:
        return 0.0
    return max((later - earlier).total_seconds() / _DAY, 0.0)


def value_features(
    facts: CustomerFacts,
    now: dt.datetime,
    *,
    spend: SpendHistory | None = None,
    bgnbd: BGNBD | None = None,
    gammagamma: GammaGamma | None = None,
    horizon_days: float = 90.0,
) -> dict[str, float]:
    """Value features of one customer at ``now`` (see :data:`VALUE_FEATURES`).

    Without ``spend``, the order value stands in for the repeat, latest and largest order
    values, and the decayed spends are 0. ``p_alive``, ``p_buy`` (BG/NBD's probability of at
    least one purchase within ``horizon_days``) and ``expected_purchases`` need ``bgnbd``; ``expected_order_value`` needs ``gammagamma``;
    ``expected_spend`` needs both.

    Examples
    --------
    >>> day = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    >>> spend = record_spend(record_spend(None, day, 30.0), day + dt.timedelta(days=10), 50.0)
    >>> facts = CustomerFacts("c1", orders=2, revenue=80.0, order_days=1, refunds=1, refunded=8.0,
    ...                       first_order_at=day, last_order_at=day + dt.timedelta(days=10))
    >>> x = value_features(facts, day + dt.timedelta(days=40), spend=spend)
    >>> x["repeat_days"], x["recency_days"], x["days_since_last"], x["repeat_order_value"]
    (1.0, 10.0, 30.0, 50.0)
    >>> x["net_spend"], x["refund_share"], round(x["recent_spend"], 2), "p_alive" in x
    (72.0, 0.1, 55.06, False)

    """
    orders = max(facts.orders, 0)
    order_value = facts.revenue / orders if orders else 0.0
    x = float(max(facts.order_days, 0))
    if spend is not None:
        repeat_value = (facts.revenue - spend.first_day_spend) / x if x > 0 else 0.0
        recent, long = spend.decayed(now)
        last_value, max_value, products = spend.last_order_value, spend.max_order_value, spend.products
    else:
        repeat_value = order_value if x > 0 else 0.0
        recent = long = 0.0
        last_value = max_value = order_value
        products = 0
    repeat_value = max(repeat_value, 0.0)
    features = {
        "orders": float(orders),
        "repeat_days": x,
        "tenure_days": _days(now, facts.first_order_at),
        "recency_days": _days(facts.last_order_at, facts.first_order_at),
        "days_since_last": _days(now, facts.last_order_at),
        "revenue": facts.revenue,
        "net_spend": facts.net_spend,
        "order_value": order_value,
        "repeat_order_value": repeat_value,
        "last_order_value": last_value,
        "max_order_value": max_value,
        "recent_spend": recent,
        "long_spend": long,
        "refunds": float(facts.refunds),
        "refund_share": facts.refund_share,
        "discount_share": facts.discount_share,
        "products": float(products),
        "categories": float(len(facts.categories)),
        "sessions": float(facts.sessions),
        "product_views": float(facts.product_views),
        "cart_adds": float(facts.cart_adds),
        "checkouts": float(facts.checkouts),
        "days_since_seen": _days(now, facts.last_seen) if facts.last_seen else 0.0,
    }
    if bgnbd is not None:
        unit = bgnbd.unit_days
        t_x = features["recency_days"] / unit
        big_t = features["tenure_days"] / unit
        features["p_alive"] = bgnbd.p_alive(x, t_x, big_t)
        r, alpha, _, _ = bgnbd.params
        # P(no purchase in the horizon | alive) = ((alpha + T) / (alpha + T + t)) ** (r + x).
        quiet = math.exp((r + x) * math.log((alpha + big_t) / (alpha + big_t + horizon_days / unit)))
        features["p_buy"] = features["p_alive"] * (1.0 - quiet)
        features["expected_purchases"] = bgnbd.expected_purchases(horizon_days / unit, x, t_x, big_t)
    if gammagamma is not None:
        features["expected_order_value"] = gammagamma.expected_order_value(x, repeat_value)
        if bgnbd is not None:
            features["expected_spend"] = (
                features["expected_purchases"] * features["expected_order_value"]
            )
    return features
