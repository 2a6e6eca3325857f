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
    "LONG_DAYS",
    "RECENT_DAYS",
    "VALUE_FEATURES",
    "SpendHistory",
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

_DAY = 86400.0


@dataclasses.dataclass(frozen=True, slots=True)
class SpendHistory:
    """What the value model reads beyond :class:`~models.customer_facts.CustomerFacts` (see the module).

    Parameters
    ----------
    first_day
        Day of the first order.
    first_day_spend
        Spend on that day.
    last_order_value, max_order_value
        Value of the latest and of the largest order.
    products
        Distinct products (or categories) bought, as far as the caller counts them.
    recent_spend, long_spend
        Order spend decayed exponentially with time constants :data:`RECENT_DAYS` and
        :data:`LONG_DAYS`, as of ``updated_at``.
    updated_at
        POSIX seconds of the decayed sums.

    """

    first_day: dt.date
    first_day_spend: float = 0.0
    last_order_value: float = 0.0
    max_order_value: float = 0.0
    products: int = 0
    recent_spend: float = 0.0
    long_spend: float = 0.0
    updated_at: float = 0.0

    def decayed(self, now: dt.datetime) -> tuple[float, float]:
        """``(recent_spend, long_spend)`` decayed to ``now``."""
        days = max(now.timestamp() - self.updated_at, 0.0) / _DAY
        return (
            self.recent_spend * math.exp(-days / RECENT_DAYS),
            self.long_spend * math.exp(-days / LONG_DAYS),
        )


def record_spend(
    history: SpendHistory | None, at: dt.datetime, amount: float, *, new_products: int = 0
) -> SpendHistory:
    """Return the history updated with one order of ``amount``; orders arrive in time order.

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

    """
    amount = max(float(amount), 0.0)
    if history is None:
        return SpendHistory(
            first_day=at.date(), first_day_spend=amount, last_order_value=amount,
            max_order_value=amount, products=new_products, recent_spend=amount,
            long_spend=amount, updated_at=at.timestamp(),
        )
    recent, long = history.decayed(at)
    same_day = at.date() == history.first_day
    return dataclasses.replace(
        history,
        first_day_spend=history.first_day_spend + (amount if same_day else 0.0),
        last_order_value=amount,
        max_order_value=max(history.max_order_value, amount),
        products=history.products + new_products,
        recent_spend=recent + amount,
        long_spend=long + amount,
        updated_at=max(at.timestamp(), history.updated_at),
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
