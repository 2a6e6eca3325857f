"""What a customer costs the shop: refunds, margin given away in discounts, buying only with a deal.

A marketer's *worst* customers are of two kinds, and they call for different actions:

- **low value**: they will spend little in the next horizon (lapsed one-off buyers, small
  occasional ones): nothing to lose, little to win;
- **costly**: they take back or take off a large part of what they pay — refunds, discount codes,
  orders placed only when an offer reached them (the ones who come for a deal and leave for the
  next one): every offer sent to them is margin given away.

:func:`cost_of` says how costly a customer is. Its **cost share** is the part of what they bought
that the shop did not keep, with the value rule's write-off for deal dependence
(:mod:`models.value`); without discount amounts it is::

    cost share = 1 - (1 - refund share) * (1 - DISCOUNT_DEPENDENCE * deal share)

where the refund share is the part of the revenue refunded and the deal share the part of the
orders that used a discount or came within an offer's validity. In money: the refunds, the
discount amounts where the orders carry them, and that write-off of the revenue kept; the share
is that cost over what the customer bought (revenue plus discounts). A customer is **costly** from
:data:`COSTLY_SHARE` (a quarter) up: a buyer who pays full price but returns a quarter of it, or
one who never buys without a deal. :func:`rank_costly` lists the costly buyers, largest cost
first; :func:`is_costly` is what keeps them off the low-value list (:func:`models.value.rank`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
from collections.abc import Iterable

from models.customer_facts import CustomerFacts
from models.value import DISCOUNT_DEPENDENCE
from models.wording import money, percent, plural, share_of_spend

__all__ = ["COSTLY_SHARE", "CustomerCost", "cost_of", "is_costly", "rank_costly"]

#: Cost share from which a buyer is costly: a quarter of what they bought given back or away.
COSTLY_SHARE = 0.25


@dataclasses.dataclass(frozen=True, slots=True)
class CustomerCost:
    """What a customer cost the shop, its parts, and the reasons in sentences."""

    customer_id: str
    #: Money the shop did not keep: refunds, discounts, and the write-off of deal dependence.
    cost: float
    #: ``cost`` over what the customer bought (revenue plus the discounts), between 0 and 1.
    cost_share: float
    refunded: float
    refund_share: float
    discounts: float
    #: Share of the orders placed with a discount or within an offer's validity.
    deal_share: float
    net_spend: float
    reasons: tuple[str, ...]


def _deal_share(facts: CustomerFacts) -> float:
    if not facts.orders:
        return 0.0
    return min(max(facts.discount_orders, facts.offer_orders) / facts.orders, 1.0)


def cost_of(facts: CustomerFacts, *, currency: str = "GBP") -> CustomerCost | None:
    """What the customer cost (see the module's notes), ``None`` for one who never bought.

    Examples
    --------
    >>> at = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    >>> deal_only = CustomerFacts("d", orders=4, revenue=120.0, discount_orders=4, discount_total=30.0,
    ...                           last_order_at=at)
    >>> c = cost_of(deal_only)
    >>> round(c.cost_share, 3), round(c.cost, 2), is_costly(deal_only)
    (0.4, 60.0, True)
    >>> c.reasons
    ('cost £60, 40 % of what they bought', '4 of 4 orders with a discount or an offer (£30 off)')
    >>> returner = CustomerFacts("r", orders=2, revenue=200.0, refunds=1, refunded=120.0, last_order_at=at)
    >>> round(cost_of(returner).cost_share, 2), cost_of(returner).reasons[1]
    (0.6, '1 refund of £120 (60 % of the spend)')
    >>> is_costly(CustomerFacts("f", orders=3, revenue=90.0, last_order_at=at))
    False

    A customer who got back more than they bought here is told so, not "100 %":

    >>> cost_of(CustomerFacts("m", orders=1, revenue=50.0, refunds=2, refunded=100.0, last_order_at=at)).reasons
    ('cost £100, more than the £50 they bought', '2 refunds of £100 (more than the £50 spent)')

    """
    if not facts.orders:
        return None
    deal = _deal_share(facts)
    discounts = max(facts.discount_total, 0.0)
    bought = facts.revenue + discounts
    # Refunds, the discounts given, and the margin a deal-dependent customer will want again.
    kept = facts.revenue * (1.0 - facts.refund_share)
    cost = facts.refunded + discounts + kept * DISCOUNT_DEPENDENCE * deal
    share = min(cost / bought, 1.0) if bought > 0 else 0.0
    # The shares are capped for the arithmetic; the sentences say it when a customer gave back more
    # than they bought here (refunds of orders older than the history, a till's corrections).
    if cost > bought:
        reasons = [f"cost {money(cost, currency)}, more than the {money(bought, currency)} they bought"]
    else:
        reasons = [f"cost {money(cost, currency)}, {percent(share)} of what they bought"]
    if facts.refunds or facts.refunded:
        reasons.append(f"{plural(facts.refunds, 'refund')} of {money(facts.refunded, currency)} "
                       f"({share_of_spend(facts.refunded, facts.revenue, currency)})")
    if facts.discount_orders or facts.offer_orders:
        off = f" ({money(facts.discount_total, currency)} off)" if facts.discount_total > 0 else ""
        deals = max(facts.discount_orders, facts.offer_orders)
        reasons.append(f"{deals} of {facts.orders} orders with a discount or an offer{off}")
    if len(reasons) == 1:
        reasons.append("no refunds, always paid full price")
    return CustomerCost(
        customer_id=facts.customer_id, cost=cost, cost_share=share, refunded=facts.refunded,
        refund_share=facts.refund_share, discounts=discounts, deal_share=deal,
        net_spend=facts.net_spend, reasons=tuple(reasons),
    )


def is_costly(facts: CustomerFacts) -> bool:
    """Whether the customer is costly: a cost share of :data:`COSTLY_SHARE` or more."""
    cost = cost_of(facts)
    return cost is not None and cost.cost_share >= COSTLY_SHARE - 1e-9


def rank_costly(customers: Iterable[CustomerFacts], *, limit: int = 10, currency: str = "GBP") -> list[CustomerCost]:
    """The ``limit`` costliest buyers: costly ones only, largest cost in money first.

    Ties go to the larger cost share, then the customer id, so the order is deterministic.

    Examples
    --------
    >>> at = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    >>> shop = [CustomerFacts("a", orders=2, revenue=500.0, refunds=1, refunded=200.0, last_order_at=at),
    ...         CustomerFacts("b", orders=3, revenue=90.0, discount_orders=3, last_order_at=at),
    ...         CustomerFacts("c", orders=5, revenue=900.0, last_order_at=at)]
    >>> [c.customer_id for c in rank_costly(shop)]
    ['a', 'b']

    """
    if limit < 0:
        raise ValueError(f"rank_costly: expected limit >= 0, found {limit!r}")
    costs = (cost_of(f, currency=currency) for f in customers)
    costly = (c for c in costs if c is not None and c.cost_share >= COSTLY_SHARE - 1e-9)
    return heapq.nsmallest(limit, costly, key=lambda c: (-round(c.cost, 2), -c.cost_share, c.customer_id))
