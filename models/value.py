"""Expected future value of a customer, and the best and worst customers ranked by it.

Over the next ``horizon_days`` (90, the loyalty model's horizon)::

    value = P(buys again) * expected orders if they do * mean order value
            * (1 - share of spend refunded) * (1 - DISCOUNT_DEPENDENCE * share of orders discounted)

- **P(buys again)** is the loyalty model's score when the profile has one. Without it (a cold
  start, an order log offline) a recency-frequency rule stands in, fitted to nothing. A repeat
  buyer with ``x`` purchase days after the first, the last ``t_x`` days after the first and
  ``T`` days of tenure is still active with probability
  ``1 / (1 + q / (1 - q) * (T / t_x) ** x)``: silence long against their own rhythm means
  gone. It is BG/NBD's P(alive) with nothing fitted: a flat prior on the buying rate and a fixed
  chance :data:`DROPOUT_P` (``q``) of dropping out after each purchase. An active customer then
  buys within the horizon with probability ``1 - (T / (T + horizon)) ** x`` (a Poisson rate with
  the posterior of ``x`` purchases in ``T`` days). A one-time buyer comes back with probability
  :data:`FIRST_REPEAT_P`, fading with a time constant of :data:`FIRST_REPEAT_DAYS` since the
  order. Tenure below :data:`MIN_TENURE_DAYS` counts as that, so that a burst of orders in a
  customer's first week is not read as an order every other day.
- **Expected orders** if they buy: ``max(1, x / T * horizon)`` purchase days, times their
  orders per purchase day.
- **Refunds** take back their share of the spend from every future order.
- **Discount dependence**: a customer who buys only with a discount costs the discount on
  every future order and may not buy without one; :data:`DISCOUNT_DEPENDENCE` of the value of
  their discounted share is written off.

A **learned** expected spend (:class:`models.value_model.ValueModel`'s prediction over the same
horizon, money) replaces the rule's value where the caller has one (``learned=``); the parts
above are still given, as the reasons a marketer reads.

**Best** customers have the highest value. **Worst** customers are the buyers with the lowest
value, compared in whole currency units (pennies of expected spend are noise): lapsed one-off
buyers, refund-heavy and discount-only ones. Customers who never bought are left out (they are
prospects, not bad customers). Among equal values the one who kept the least of what they paid
(net spend) comes first: those who returned everything head the list, and of two lapsed
customers worth nothing more, the one who spent less is the worse (the big spender who went
quiet is, in RFM's words, one you can't lose: a win-back target). Complaints do not move a
customer down: a valuable customer who complains is one to win back, and
:mod:`models.customer_types` marks them dissatisfied.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Literal, TypeAlias

from models.customer_facts import CustomerFacts
from models.timing import is_overdue
from models.wording import money, percent, plural, share_of_spend, span

__all__ = [
    "DISCOUNT_DEPENDENCE",
    "DROPOUT_P",
    "FIRST_REPEAT_DAYS",
    "FIRST_REPEAT_P",
    "HORIZON_DAYS",
    "MIN_TENURE_DAYS",
    "CustomerValue",
    "Order",
    "ValueSource",
    "expected_value",
    "p_buy_again",
    "rank",
]

Order: TypeAlias = Literal["best", "worst"]
#: Who says what a customer is worth: ``"learned"``, the value model; ``"rule"``, the value rule.
ValueSource: TypeAlias = Literal["learned", "rule"]

#: The horizon of the value, in days; the loyalty model's own horizon.
HORIZON_DAYS = 90.0
#: Share of the value of discounted orders written off for discount dependence.
DISCOUNT_DEPENDENCE = 0.25
#: Chance that a one-time buyer buys again within the horizon just after the first order, and
#: the time constant (days) with which it fades.
FIRST_REPEAT_P = 0.3
FIRST_REPEAT_DAYS = 180.0
#: Chance that a customer stops buying after any one purchase. Lower than the 0.25 of CDNOW's
#: fitted BG/NBD (a = 0.79, b = 2.43) because this rule, with no spread of buying rates across
#: customers, reads too much into a silence otherwise. Checked on what customers did next (90
#: days after six cut-offs in Online Retail II and CDNOW), these values rank about as well as a
#: fitted BG/NBD and match CDNOW's repeat rates (15-19 %); for the wholesaler of Online Retail,
#: where half the customers buy again each quarter, they are low by a third.
DROPOUT_P = 0.1
#: Tenure below this counts as this, so a burst of orders in a customer's first week does not
#: extrapolate to an order every other day.
MIN_TENURE_DAYS = 30.0

_DAY = 86400.0


@dataclasses.dataclass(frozen=True, slots=True)
class CustomerValue:
    """A customer's expected value over the horizon, its parts, and the reasons in sentences."""

    customer_id: str
    expected_value: float
    p_buy_again: float
    #: ``"loyalty"`` when the loyalty model's score was used, ``"recency"`` for the fallback rule.
    p_source: Literal["loyalty", "recency"]
    expected_orders: float
    order_value: float
    refund_share: float
    discount_share: float
    net_spend: float
    reasons: tuple[str, ...]
    #: ``"rule"`` for the value above, ``"learned"`` for the value model's prediction.
    value_source: ValueSource = "rule"


def _days(later: dt.datetime, earlier: dt.datetime) -> float:
    return max((later - earlier).total_seconds() / _DAY, 0.0)


def _tenure(facts: CustomerFacts, now: dt.datetime) -> float:
    first = facts.first_order_at or facts.last_order_at
    return max(_days(now, first), MIN_TENURE_DAYS) if first is not None else MIN_TENURE_DAYS


def p_buy_again(
    facts: CustomerFacts, now: dt.datetime, *, horizon_days: float = HORIZON_DAYS
) -> float:
    """P(the customer buys again within ``horizon_days``) by the recency-frequency rule.

    This is the fallback for customers without a loyalty score; see the module's notes.
    Customers who never bought get 0.

    Examples
    --------
    >>> now = dt.datetime(2024, 12, 1, tzinfo=dt.UTC)
    >>> regular = CustomerFacts("c1", orders=9, order_days=8,
    ...                         first_order_at=now - dt.timedelta(days=310),
    ...                         last_order_at=now - dt.timedelta(days=10))
    >>> gone = dataclasses.replace(regular, last_order_at=now - dt.timedelta(days=200))
    >>> round(p_buy_again(regular, now), 2), round(p_buy_again(gone, now), 3)
    (0.76, 0.002)

    """
    if not facts.orders or facts.last_order_at is None:
        return 0.0
    x = facts.order_days
    if x <= 0:
        return FIRST_REPEAT_P * math.exp(-_days(now, facts.last_order_at) / FIRST_REPEAT_DAYS)
    tenure = _tenure(facts, now)
    silence = _days(now, facts.last_order_at)
    t_x = max(tenure - silence, 1.0)
    # (T / t_x) ** x in logs: it overflows for frequent buyers long gone.
    log_odds = math.log(DROPOUT_P / (1.0 - DROPOUT_P)) + x * math.log(tenure / t_x)
    alive = 1.0 / (1.0 + math.exp(min(log_odds, 700.0)))
    return alive * (1.0 - (tenure / (tenure + horizon_days)) ** x)


def expected_value(
    facts: CustomerFacts,
    now: dt.datetime,
    *,
    horizon_days: float = HORIZON_DAYS,
    currency: str = "GBP",
    learned: float | None = None,
    learned_by: ValueSource = "learned",
) -> CustomerValue | None:
    """The customer's expected value over ``horizon_days``, ``None`` for one who never bought.

    Parameters
    ----------
    facts
        The customer.
    now
        The moment of the estimate.
    horizon_days
        The horizon; keep it equal to the loyalty model's when profiles carry its score.
    currency
        The ISO 4217 code of the amounts in the reasons (how they are written: :mod:`models.currencies`).
    learned
        The value model's expected spend over the same horizon, if known: it is then the value.
    learned_by
        Who said ``learned``: the model (``"learned"``) or, while the model does not rank better,
        the value rule from the features the model keeps (``"rule"``,
        :meth:`models.value_model.ValueModel.value_one`): the recency rule's value, so the chance
        of buying again in the reasons is the recency rule's too, not the loyalty score.

    Examples
    --------
    >>> now = dt.datetime(2024, 12, 1, tzinfo=dt.UTC)
    >>> facts = CustomerFacts("c1", orders=9, revenue=1240.0, order_days=8, loyalty=0.92,
    ...                       first_order_at=now - dt.timedelta(days=310),
    ...                       last_order_at=now - dt.timedelta(days=12))
    >>> v = expected_value(facts, now)
    >>> round(v.expected_value, 2), v.p_source
    (294.4, 'loyalty')
    >>> v.reasons[:3]
    ('spent £1,240 over 9 orders', '92 % likely to buy again within 90 days', 'no refunds')
    >>> learned = expected_value(facts, now, learned=310.0)
    >>> learned.expected_value, learned.value_source, learned.reasons[-1]
    (310.0, 'learned', 'expected to spend £310 in the next 90 days (learned from what customers spent)')
    >>> by_rule = expected_value(facts, now, learned=180.0, learned_by="rule")
    >>> by_rule.p_source, by_rule.reasons[1], by_rule.reasons[-1]
    ('recency', '75 % likely to buy again within 90 days', 'expected to spend £180 in the next 90 days (by the rule: the learned model does not rank better yet)')

    """
    if not facts.orders or facts.last_order_at is None:
        return None
    source: Literal["loyalty", "recency"]
    by_rule = learned is not None and learned_by == "rule"
    # The rule's value (the model does not rank better yet) is the recency rule's, whatever the
    # loyalty model says: its reasons give the chance it was computed with.
    if facts.loyalty is not None and not by_rule:
        p = min(max(facts.loyalty, 0.0), 1.0)
        source = "loyalty"
    else:
        p = p_buy_again(facts, now, horizon_days=horizon_days)
        source = "recency"
    per_day = facts.orders / (facts.order_days + 1)
    orders = max(1.0, facts.order_days / _tenure(facts, now) * horizon_days) * per_day
    order_value = facts.revenue / facts.orders
    keep = (1.0 - facts.refund_share) * (1.0 - DISCOUNT_DEPENDENCE * facts.discount_share)
    value = p * orders * order_value * keep
    use_learned = learned is not None and math.isfinite(learned)
    if learned is not None and use_learned:
        value = max(float(learned), 0.0)
    return CustomerValue(
        customer_id=facts.customer_id,
        expected_value=value,
        p_buy_again=p,
        p_source=source,
        expected_orders=orders,
        order_value=order_value,
        refund_share=facts.refund_share,
        discount_share=facts.discount_share,
        net_spend=facts.net_spend,
        reasons=_reasons(facts, _days(now, facts.last_order_at), is_overdue(facts, now), p, value,
                         horizon_days, currency, learned=learned_by if use_learned else None),
        value_source="learned" if use_learned and learned_by == "learned" else "rule",
    )


def _reasons(
    facts: CustomerFacts,
    idle_days: float,
    overdue: bool,
    p: float,
    value: float,
    horizon_days: float,
    currency: str,
    *,
    learned: ValueSource | None = None,
) -> tuple[str, ...]:
    reasons = [
        f"spent {money(facts.revenue, currency)} over {plural(facts.orders, 'order')}",
        f"{percent(p)} likely to buy again within {horizon_days:g} days",
    ]
    if facts.refunds or facts.refunded:
        reasons.append(
            f"{plural(facts.refunds, 'refund')} of {money(facts.refunded, currency)} "
            f"({share_of_spend(facts.refunded, facts.revenue, currency)})"
        )
    else:
        reasons.append("no refunds")
    if facts.discount_orders:
        reasons.append(f"{facts.discount_orders} of {facts.orders} orders used a discount")
    elif facts.orders > 1:
        reasons.append("always paid full price")
    last = f"last order {span(idle_days)} ago"
    reasons.append(f"{last}, overdue" if overdue else last)
    expected = f"expected to spend {money(value, currency)} in the next {horizon_days:g} days"
    reasons.append({"learned": f"{expected} (learned from what customers spent)",
                    "rule": f"{expected} (by the rule: the learned model does not rank better yet)",
                    None: expected}[learned])
    return tuple(reasons)


def rank(
    customers: Iterable[CustomerFacts],
    now: dt.datetime,
    *,
    order: Order = "best",
    limit: int = 10,
    horizon_days: float = HORIZON_DAYS,
    currency: str = "GBP",
    learned: Mapping[str, float] | None = None,
    learned_by: ValueSource = "learned",
) -> list[CustomerValue]:
    """The ``limit`` best or worst customers by expected value, in memory bounded by ``limit``.

    Best: highest value first (then highest net spend). Worst: among customers who bought,
    lowest value in whole currency units first, then lowest net spend; see the module's notes.
    Customer ids break the remaining ties, so the order is deterministic. ``learned`` maps
    customer ids to the value model's expected spend, which then ranks them (see
    :func:`expected_value`, with ``learned_by``); customers missing from it keep the rule's value.

    Raises
    ------
    ValueError
        If ``order`` is not ``"best"`` or ``"worst"``, or ``limit`` is negative.

    Examples
    --------
    >>> now = dt.datetime(2024, 12, 1, tzinfo=dt.UTC)
    >>> def buyer(cid, orders, revenue, days_ago, refunded=0.0):
    ...     return CustomerFacts(cid, orders=orders, revenue=revenue, refunded=refunded,
    ...                          refunds=int(refunded > 0), order_days=orders - 1,
    ...                          first_order_at=now - dt.timedelta(days=300),
    ...                          last_order_at=now - dt.timedelta(days=days_ago))
    >>> shop = [buyer("a", 10, 900.0, 5), buyer("b", 1, 40.0, 290), buyer("c", 3, 300.0, 20),
    ...         buyer("d", 1, 60.0, 300, refunded=60.0), CustomerFacts("looker", sessions=7)]
    >>> [v.customer_id for v in rank(shop, now, limit=2)]
    ['a', 'c']
    >>> [v.customer_id for v in rank(shop, now, order="worst", limit=3)]
    ['d', 'b', 'c']
    >>> [v.customer_id for v in rank(shop, now, limit=2, learned={"c": 2000.0, "a": 150.0})]
    ['c', 'a']

    """
    if order not in ("best", "worst"):
        raise ValueError(f"rank: expected order 'best' or 'worst', found {order!r}")
    if limit < 0:
        raise ValueError(f"rank: expected limit >= 0, found {limit!r}")

    def values() -> Iterator[CustomerValue]:
        for facts in customers:
            value = expected_value(
                facts, now, horizon_days=horizon_days, currency=currency,
                learned=learned.get(facts.customer_id) if learned is not None else None, learned_by=learned_by,
            )
            if value is not None:
                yield value

    if order == "best":
        return heapq.nsmallest(
            limit, values(), key=lambda v: (-v.expected_value, -v.net_spend, v.customer_id)
        )
    return heapq.nsmallest(
        limit, values(), key=lambda v: (round(v.expected_value), v.net_spend, v.customer_id)
    )
