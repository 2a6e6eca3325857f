"""A purchase log streamed through value models in time order, as the live worker would see it.

Each order resolves the customer's pending snapshots, updates what is known of them
(:class:`~models.customer_facts.CustomerFacts` and a :class:`~models.value_features.SpendHistory`,
money in cents as on a live profile) and snapshots them; a customer silent for ``review_days``
since their latest snapshot is snapshotted again (the worker's review timer). Labels are learned
as their horizons pass, so at any moment the models know only what a live worker would have
known then: no peeking. Snapshots hold the customer's own history only (no population fit), so
a worker replaying the same log in event time learns exactly the same models (see
:meth:`~models.value_model.ValueModel.expire`).

At chosen moments (``stops``) and at the end, :func:`replay_value` takes a :class:`Moment`:
every customer known then, their facts and features (with BG/NBD and Gamma-Gamma fitted on
everything before the moment, the baselines), and each model's score and money prediction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
from collections.abc import Iterable, Sequence

from models.bgnbd import BGNBD
from models.clv import fit_bgnbd, fit_gammagamma
from models.customer_facts import CustomerFacts
from models.gammagamma import GammaGamma
from models.reports import Progress, tick
from models.transactions import Transaction
from models.value import ValueSource
from models.value_features import SpendHistory, record_spend, value_features
from models.value_model import ValueModel

__all__ = ["Moment", "spend_between", "replay_value"]

_DAY = 86400.0


@dataclasses.dataclass(frozen=True)
class Moment:
    """Every customer known at ``at``, with what the models and the classical fits say of them.

    ``scores[m][i]`` and ``money[m][i]`` are model ``m``'s ranking score and expected spend for
    customer ``customers[i]``; ``ranked[m][i]`` the money a worker with model ``m`` ranks them by
    (the value rule's while the model does not rank better, ``ranked_by[m]``:
    :meth:`~models.value_model.ValueModel.value_one`); ``learned[m]`` the labels model ``m``
    had learned by then.
    """

    at: dt.datetime
    customers: list[str]
    facts: list[CustomerFacts]
    features: list[dict[str, float]]
    bgnbd: BGNBD | None
    gammagamma: GammaGamma | None
    scores: list[list[float]]
    money: list[list[float]]
    ranked: list[list[float]]
    ranked_by: list[ValueSource]
    learned: list[int]


@dataclasses.dataclass
class _Customer:
    facts: CustomerFacts
    spend: SpendHistory | None = None
    products: set[str] = dataclasses.field(default_factory=set)
    spent: float = 0.0
    last_snapshot: dt.datetime | None = None


def _money(total: float, amount: float) -> float:
    # Cents first, as the live profile adds money: the same totals, to the last bit.
    return round(total + round(amount, 2), 2)


def _seen(facts: CustomerFacts, at: dt.datetime) -> CustomerFacts:
    return dataclasses.replace(
        facts,
        first_seen=at if facts.first_seen is None else min(facts.first_seen, at),
        last_seen=at if facts.last_seen is None else max(facts.last_seen, at),
    )


def _after_order(customer: _Customer | None, t: Transaction) -> _Customer:
    if customer is None:
        customer = _Customer(facts=CustomerFacts(t.customer_id))
    facts = _seen(customer.facts, t.at)
    first = facts.first_order_at or t.at
    last = facts.last_order_at
    new_day = last is not None and t.at.date() != last.date() and t.at > last
    latest = t.at if last is None else max(last, t.at)
    customer.facts = dataclasses.replace(
        facts,
        orders=facts.orders + 1,
        revenue=_money(facts.revenue, t.amount),
        discount_orders=facts.discount_orders + int(t.discounted),
        first_order_at=first,
        last_order_at=latest,
        order_days=facts.order_days + int(new_day),
        gap_days_total=round((latest - first).total_seconds() / _DAY, 4),
    )
    new_products = set(t.products) - customer.products
    customer.products |= new_products
    customer.spend = record_spend(customer.spend, t.at, t.amount, new_products=len(new_products))
    customer.spent = customer.facts.revenue
    return customer


def _after_refund(customer: _Customer | None, t: Transaction) -> _Customer:
    # A refund of an order from before the log counts too, as it does on a live profile.
    if customer is None:
        customer = _Customer(facts=CustomerFacts(t.customer_id))
    facts = _seen(customer.facts, t.at)
    customer.facts = dataclasses.replace(
        facts, refunds=facts.refunds + 1, refunded=_money(facts.refunded, t.amount)
    )
    return customer


def spend_between(
    transactions: Iterable[Transaction], start: dt.datetime, end: dt.datetime
) -> dict[str, float]:
    """Order spend per customer in ``[start, end)`` (refunds left out).

    >>> at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    >>> log = [Transaction("a", "1", at, 5.0), Transaction("a", "2", at, 2.0, refund=True),
    ...        Transaction("b", "3", at + dt.timedelta(days=9), 7.0)]
    >>> spend_between(log, at, at + dt.timedelta(days=5))
    {'a': 5.0}

    """
    spend: dict[str, float] = {}
    for t in transactions:
        if not t.refund and start <= t.at < end:
            spend[t.customer_id] = spend.get(t.customer_id, 0.0) + t.amount
    return spend


def replay_value(
    transactions: Sequence[Transaction],
    until: dt.datetime,
    models: Sequence[ValueModel],
    *,
    horizon_days: float = 90.0,
    review_days: float = 30.0,
    stops: Sequence[dt.datetime] = (),
    through: bool = False,
    progress: Progress | None = None,
) -> dict[dt.datetime, Moment]:
    """Stream the ``transactions`` before ``until`` (time-ordered) through ``models``.

    Returns a :class:`Moment` for each of ``stops`` before ``until`` and for ``until`` itself.
    With ``through``, the transactions at ``until`` count too: the view of a worker whose
    latest event is at ``until``. ``progress(done, total)`` counts transactions.

    Examples
    --------
    >>> at = lambda d: dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=d)
    >>> log = [Transaction("a", "1", at(0), 10.0), Transaction("b", "2", at(5), 8.0),
    ...        Transaction("a", "3", at(20), 30.0)]
    >>> model = ValueModel(horizon_days=30)
    >>> moment = replay_value(log, at(60), [model], horizon_days=30)[at(60)]
    >>> moment.customers, model.n_learned, model.score.total_actual  # a@0 saw 30 spent after it
    (['a', 'b'], 3, 30.0)

    """
    step = dt.timedelta(days=review_days)
    before = [t for t in transactions if t.at < until or (through and t.at == until)]
    customers: dict[str, _Customer] = {}
    days: list[tuple[str, dt.date]] = []
    spends: list[tuple[str, dt.date, float]] = []
    reviews: list[tuple[dt.datetime, str]] = []  # (due, customer); stale entries are skipped
    pending_stops = sorted(s for s in stops if s < until)
    moments: dict[dt.datetime, Moment] = {}

    def features(customer: _Customer, at: dt.datetime) -> dict[str, float]:
        return value_features(customer.facts, at, spend=customer.spend, horizon_days=horizon_days)

    def snapshot(customer_id: str, at: dt.datetime) -> None:
        customer = customers[customer_id]
        x = features(customer, at)
        for model in models:
            model.snapshot(customer_id, x, at, spent_so_far=customer.spent)
        customer.last_snapshot = at
        heapq.heappush(reviews, (at + step, customer_id))

    def advance(now: dt.datetime) -> None:
        """Take the reviews due up to ``now`` in time order, then expire labels."""
        while reviews and reviews[0][0] <= now:
            due, customer_id = heapq.heappop(reviews)
            last = customers[customer_id].last_snapshot
            if last is not None and last + step <= due:
                for model in models:
                    model.expire(due)
                snapshot(customer_id, due)
        for model in models:
            model.expire(now)

    def take(at: dt.datetime, *, inclusive: bool = False) -> None:
        advance(at)
        end = (at if inclusive else at - dt.timedelta(days=1)).date()
        bgnbd = fit_bgnbd([d for d in days if d[1] <= end], end, horizon_days=horizon_days)
        gammagamma = fit_gammagamma([s for s in spends if s[1] <= end], end)
        known = sorted(c for c, customer in customers.items() if customer.facts.orders)
        rows = [
            value_features(customers[c].facts, at, spend=customers[c].spend, bgnbd=bgnbd,
                           gammagamma=gammagamma, horizon_days=horizon_days)
            for c in known
        ]
        money = [[model.predict_one(x) for x in rows] for model in models]
        moments[at] = Moment(
            at=at,
            customers=known,
            facts=[customers[c].facts for c in known],
            features=rows,
            bgnbd=bgnbd,
            gammagamma=gammagamma,
            scores=[[model.score_one(x) for x in rows] for model in models],
            money=money,
            ranked=[own if model.ranked_by == "learned" else [model.rule_one(x) for x in rows]
                    for model, own in zip(models, money, strict=True)],
            ranked_by=[model.ranked_by for model in models],
            learned=[model.n_learned for model in models],
        )

    for done, t in enumerate(before, start=1):
        while pending_stops and pending_stops[0] <= t.at:
            take(pending_stops.pop(0))
        advance(t.at)
        customer = customers.get(t.customer_id)
        if t.refund:
            customers[t.customer_id] = _after_refund(customer, t)
        else:
            customer = customers[t.customer_id] = _after_order(customer, t)
            for model in models:
                model.resolve(t.customer_id, t.at, customer.spent)
            days.append((t.customer_id, t.at.date()))
            spends.append((t.customer_id, t.at.date(), t.amount))
            snapshot(t.customer_id, t.at)
        tick(progress, done, len(before))
    for stop in pending_stops:
        take(stop)
    take(until, inclusive=through)
    return moments
