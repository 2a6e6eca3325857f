"""What marketers ask: segments, personas, best and worst customers, one customer's profile.

One :class:`Insights` is computed from every profile in Redis (one SCAN; RFM quantiles
estimated in bounded memory) and answers the HTTP API, the CLI and the dashboard alike, so
all three show the same figures. The worker recomputes it at most every
``max_age_seconds``; the CLI computes its own.

Every buyer's predicted value over the next 90 days is computed as of ``now`` by the learned
value model (:meth:`Insights.rescore_value`, as :meth:`Insights.rescore_loyalty` does for
loyalty); best and worst rank by it. The worst are of two kinds (:mod:`models.costs`): *low
value* (little to expect) and *costly* (refunds, discounts, buying only with a deal).
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from models.costs import cost_of, is_costly, rank_costly
from models.customer_facts import CustomerFacts
from models.customer_types import customer_types
from models.emergence import SegmentChange
from models.features import loyalty_features
from models.personas import VISITORS, Persona, PersonaBuilder, describe
from models.rfm import RFMScorer
from models.timing import timing
from models.value import CustomerValue, ValueSource, expected_value, rank
from models.value_features import SpendHistory, value_features
from streams.core import segmentation
from streams.core.features import MIN_LEARNED, purchase_history, spend_history
from streams.core.state import Profile, non_default_fields

if TYPE_CHECKING:  # the models' classes are only types here: a command that reads no model does not import river
    from models.bgnbd import BGNBD
    from models.loyalty import LoyaltyModel
    from models.segments import BehaviourSegments
    from models.value_model import ValueModel

V = TypeVar("V")

#: The kinds of worst customers: little to expect, or costing what they bring.
WORST_KINDS = ("low_value", "costly")


def facts_of(customer_id: str, p: Profile, *, scores: bool = True) -> CustomerFacts:
    """The analytics' view of a live profile; without ``scores``, without the models' intent and loyalty."""
    seconds, views = _per_session(p)
    return CustomerFacts(
        customer_id=customer_id, first_seen=p.first_seen, last_seen=p.last_seen, sessions=p.sessions,
        page_views=p.page_views, product_views=p.product_views, cart_adds=p.cart_adds, checkouts=p.checkouts,
        orders=p.orders, revenue=p.revenue, refunds=p.refunds, refunded=p.refunded,
        discount_orders=p.discount_orders, discount_total=p.discount_total, first_order_at=p.first_order_at,
        last_order_at=p.last_order_at, order_days=p.order_days, gap_days_total=p.gap_days_total,
        categories=p.categories, channels=p.channels, ratings=p.ratings, rating_total=p.rating_total,
        complaints=p.complaints, age_band=p.age_band, country=p.country, time_zone=p.time_zone,
        intent=p.intent if scores else None, loyalty=p.loyalty if scores else None, visit_hours=p.visit_hours, visit_weekdays=p.visit_weekdays,
        order_hours=p.order_hours, order_weekdays=p.order_weekdays, order_months=p.order_months,
        offer_orders=p.conversions,
        avg_session_seconds=seconds, avg_views_per_session=views, content_pages=p.content_pages,
    )


def _per_session(p: Profile) -> tuple[float | None, float | None]:
    """The profile's mean seconds and pages per visit (``None`` before a visit)."""
    if not p.sessions:
        return None, None
    return p.session_seconds / p.sessions, (p.page_views + p.product_views) / p.sessions


class LiveFacts:
    """The fields of :func:`facts_of` that the behaviour features read, and no more: what placing costs per event.

    The worker places a customer at every few events of a visit; building all 45 fields of
    a :class:`CustomerFacts` for it cost more than the features. The figures are the same:
    the shares are :class:`CustomerFacts`' own properties, the per-visit means
    :func:`facts_of`'s (:func:`models.behaviour.behaviour_features` reads either).
    """

    __slots__ = ("visit_weekdays", "order_weekdays", "visit_hours", "order_hours", "sessions", "orders",
                 "discount_orders", "order_days", "gap_days_total", "revenue", "refunded", "ratings", "rating_total",
                 "cart_adds", "checkouts", "intent", "categories", "channels", "avg_session_seconds",
                 "avg_views_per_session")

    discount_share = CustomerFacts.discount_share
    order_value = CustomerFacts.order_value
    refund_share = CustomerFacts.refund_share
    mean_rating = CustomerFacts.mean_rating

    def __init__(self, p: Profile) -> None:
        self.visit_weekdays, self.order_weekdays = p.visit_weekdays, p.order_weekdays
        self.visit_hours, self.order_hours = p.visit_hours, p.order_hours
        self.sessions, self.orders, self.discount_orders = p.sessions, p.orders, p.discount_orders
        self.order_days, self.gap_days_total = p.order_days, p.gap_days_total
        self.revenue, self.refunded, self.ratings, self.rating_total = p.revenue, p.refunded, p.ratings, p.rating_total
        self.cart_adds, self.checkouts, self.intent = p.cart_adds, p.checkouts, p.intent
        self.categories, self.channels = p.categories, p.channels
        self.avg_session_seconds, self.avg_views_per_session = _per_session(p)


@dataclass(repr=False)
class Insights:
    """Segments, personas and rankings of every customer at ``now``."""

    now: datetime
    scorer: RFMScorer
    facts: dict[str, CustomerFacts] = field(default_factory=dict)
    segment_of: dict[str, str] = field(default_factory=dict)
    personas: list[Persona] = field(default_factory=list)
    #: BG/NBD fitted on every buyer's (x, t_x, T) as of ``now``; None with too few buyers.
    bgnbd: BGNBD | None = None
    #: What the value model reads beyond the facts, per buyer.
    spend: dict[str, SpendHistory] = field(default_factory=dict)
    #: The value model's predicted spend over its horizon as of ``now``, per buyer (once it learned enough).
    learned: dict[str, float] = field(default_factory=dict)
    #: Who said ``learned``: the model, or the value rule while the model does not rank better.
    learned_by: ValueSource = "learned"
    computed_in_seconds: float = 0.0
    #: Behavioural segments and every segment's portrait (:mod:`streams.core.segmentation`).
    described: segmentation.Described = field(default_factory=segmentation.Described)
    #: News about the behavioural segments, newest first (:mod:`models.emergence`).
    segment_news: tuple[SegmentChange, ...] = ()
    #: The behavioural segments' model the customers were placed with (a snapshot), if any.
    segments_model: BehaviourSegments | None = None
    #: The shop's currency (ISO 4217), in which every reason and portrait writes money.
    currency: str = "GBP"

    def __repr__(self) -> str:
        # Not every field: asyncio.run (3.11) writes the repr of the task that returned these
        # insights when it restores the SIGINT handler, and every customer's facts written out
        # took 0.13-0.25 s on 4,400 customers, growing with their number.
        return f"Insights(now={self.now.isoformat()}, customers={len(self.facts)}, currency={self.currency!r})"

    @property
    def segments(self) -> dict[str, int]:
        """Customers per segment, largest first."""
        return dict(Counter(self.segment_of.values()).most_common())

    def ranked(
        self, order: str = "best", segment: str | None = None, limit: int = 10, kind: str | None = None
    ) -> list[CustomerValue]:
        """Best or worst customers by predicted value, optionally within one segment.

        ``kind`` narrows the worst: ``"low_value"`` leaves the costly out, ``"costly"`` lists
        the costly, largest cost first (:mod:`models.costs`).
        """
        chosen: Iterable[CustomerFacts] = self.facts.values()
        if segment is not None:
            of = self.described.behaviour_of if segment in self.behaviour_segments else self.segment_of
            chosen = (f for cid, f in self.facts.items() if of.get(cid) == segment)
        if kind is not None and (order != "worst" or kind not in WORST_KINDS):
            raise ValueError(f"ranked: expected a kind in {WORST_KINDS} with order 'worst', found {kind!r} with {order!r}")
        if kind == "costly":
            values = (expected_value(self.facts[c.customer_id], self.now, learned=self.learned.get(c.customer_id),
                                     learned_by=self.learned_by, currency=self.currency)
                      for c in rank_costly(chosen, limit=limit, currency=self.currency))
            return [v for v in values if v is not None]
        if kind == "low_value":
            chosen = (f for f in chosen if not is_costly(f))
        return rank(chosen, self.now, order=order, limit=limit, learned=self.learned,  # type: ignore[arg-type]
                    learned_by=self.learned_by, currency=self.currency)

    def ranking(
        self, order: str = "best", segment: str | None = None, limit: int = 10, kind: str | None = None
    ) -> list[dict[str, Any]]:
        """:meth:`ranked` as JSON-ready rows: value, segment, and for the worst their kind and cost."""
        rows = []
        for value in self.ranked(order, segment, limit, kind):
            facts = self.facts[value.customer_id]
            row = {**jsonable(value), "segment": self.segment_of.get(value.customer_id)}
            if order == "worst":
                row["kind"] = "costly" if is_costly(facts) else "low_value"
            cost = cost_of(facts, currency=self.currency)
            row["cost"] = None if cost is None else jsonable(cost)
            if kind == "costly" and cost is not None:  # what they cost first, then what they are worth
                row["reasons"] = [*cost.reasons, *(r for r in value.reasons if r not in cost.reasons)]
            rows.append(row)
        return rows

    def customer(self, customer_id: str, profile: Profile) -> dict[str, Any]:
        """Everything known about one customer, as JSON-ready data."""
        facts = self.facts.get(customer_id) or facts_of(customer_id, profile)
        score = self.scorer.score_one(facts, self.now)
        value = expected_value(facts, self.now, learned=self.learned.get(customer_id), learned_by=self.learned_by,
                               currency=self.currency)
        cost = cost_of(facts, currency=self.currency)
        return {
            "customer_id": customer_id,
            "currency": self.currency,
            "segment": score.segment if score else VISITORS,
            "rfm": None if score is None else {
                "recency": score.recency, "frequency": score.frequency, "monetary": score.monetary,
                "code": score.code,
            },
            "types": [{"name": t.name, "evidence": t.evidence} for t in customer_types(facts, self.now)],
            "behaviour": self.behaviour_view(customer_id, profile),
            "bgnbd": self.bgnbd_view(facts),
            "value": None if value is None else jsonable(value),
            "predicted_value_90d": None if value is None else {
                "amount": round(value.expected_value, 2), "source": value.value_source, "reasons": list(value.reasons),
            },
            "worst_kind": None if cost is None else ("costly" if is_costly(facts) else "low_value"),
            "cost": None if cost is None else jsonable(cost),
            "timing": jsonable(timing(facts, self.now)),
            "recent_events": recent_events_view(profile),
            "profile": {name: _plain(value) for name, value in non_default_fields(profile).items()
                        if name != "recent_events"},
        }

    def bgnbd_view(self, facts: CustomerFacts) -> dict[str, float] | None:
        """BG/NBD's P(alive) and expected purchases in the next 90 days, the classical baseline."""
        summary = _bgnbd_summary(facts, self.now)
        if self.bgnbd is None or summary is None:
            return None
        x, t_x, big_t = summary
        return {
            "p_alive": round(float(self.bgnbd.p_alive(x, t_x, big_t)), 4),
            "expected_purchases_90d": round(float(self.bgnbd.expected_purchases(90 / WEEK, x, t_x, big_t)), 4),
        }

    def rescore_loyalty(self, loyalty: LoyaltyModel | None, customers: Collection[str] | None = None) -> Insights:
        """Score every buyer's loyalty (or only ``customers``') as of ``now`` with ``loyalty``, once it has learned enough.

        Call it where the model lives (the worker's event loop): it reads the model.
        """
        if loyalty is None or loyalty.n_learned < MIN_LEARNED:
            return self
        for customer_id, facts in self._chosen(self.facts, customers):
            history = purchase_history(facts)
            if history is None:
                continue
            features = loyalty_features(history, max(self.now, history.last_at), bgnbd=self.bgnbd,
                                        horizon_days=loyalty.horizon_days)
            p = round(loyalty.predict_proba_one(features), 4)
            self.facts[customer_id] = dataclasses.replace(facts, loyalty=p)
        return self

    def rescore_value(self, model: ValueModel | None, customers: Collection[str] | None = None) -> Insights:
        """Every buyer's predicted spend (or only ``customers``') as of ``now`` with ``model``, once it has learned enough.

        The model's, or the value rule's while the model does not rank better
        (:meth:`~models.value_model.ValueModel.value_one`). Call it where the model lives (the
        worker's event loop): it reads the model.
        """
        if model is None or model.n_learned < MIN_LEARNED:
            return self
        learned = {}
        for customer_id, spend in self._chosen(self.spend, customers):
            features = value_features(self.facts[customer_id], self.now, spend=spend,
                                      horizon_days=model.horizon_days)
            learned[customer_id] = model.value_one(features)
        self.learned, self.learned_by = learned, model.ranked_by
        return self

    @staticmethod
    def _chosen(per_customer: dict[str, V], customers: Collection[str] | None) -> list[tuple[str, V]]:
        """The items of ``per_customer``, or of ``customers`` only (those it has), in the same order."""
        if customers is None:
            return list(per_customer.items())
        return [(c, per_customer[c]) for c in customers if c in per_customer]

    def persona_cards(self) -> list[dict[str, Any]]:
        """The RFM segments' personas, each with its name, portrait and face."""
        return [{**jsonable(p), "summary": describe(p, self.currency), **self._face("rfm", p.segment)}
                for p in self.personas]

    @property
    def behaviour_segments(self) -> dict[str, int]:
        """Customers per behavioural segment, largest first."""
        return dict(Counter(self.described.behaviour_of.values()).most_common())

    def behaviour_cards(self) -> list[dict[str, Any]]:
        """The behavioural segments' personas, largest first, each with its name, portrait and face."""
        return [{**jsonable(p), "summary": describe(p, self.currency), **self._face("behaviour", p.segment)}
                for p in sorted(self.described.behaviour_personas, key=lambda p: -p.size)]

    def behaviour_view(self, customer_id: str, profile: Profile | None = None) -> dict[str, Any] | None:
        """The customer's behavioural segment: its id, name and traits (``None`` if not placed).

        With the live ``profile``, the customer is placed as they are now (a newcomer since
        the insights were computed too).
        """
        segment_id = self.described.behaviour_of.get(customer_id)
        model = self.segments_model
        if profile is not None and model is not None:
            x = segmentation.behaviour_of(profile, facts_of(customer_id, profile), model.vocabulary)
            segment_id = model.predict_one(x) or segment_id
        if segment_id is None:
            return None
        card = self.described.portraits.get(("behaviour", segment_id))
        return {"segment": segment_id, "name": card.name if card else segment_id,
                "traits": list(self.described.traits.get(segment_id, ()))}

    def _face(self, kind: str, segment: str) -> dict[str, Any]:
        card = self.described.portraits.get((kind, segment))  # type: ignore[arg-type]
        if card is None:
            return {}
        shown = jsonable(card)
        return {"kind": kind, **{k: shown[k] for k in ("name", "sentence", "traits", "active", "spend_share",
                                                       "value_share", "typical_customer", "mostly", "avatar")}}


def compute(
    profiles: Iterable[tuple[str, Profile]], now: datetime | None, segments: BehaviourSegments | None = None,
    *, currency: str = "GBP", describe: bool = True, fit: bool = True,
) -> Insights:
    """Insights of the given profiles (merged visitor profiles are left out: they live on).

    ``now=None`` means "as of the latest event seen": the view of a replayed history.
    ``segments`` (a copy of the worker's model, or the checkpointed one) places every
    customer in a behavioural segment. ``currency`` is the shop's (ISO 4217): the reasons and
    portraits write money in it.
    Without ``describe`` no segment is portrayed and nobody is placed in a behavioural segment
    (``described`` stays empty: a ranking reads none of it); without ``fit`` BG/NBD is not fitted
    (the segments and personas read none of it). What is computed is the same either way.
    Loyalty scores kept on profiles are as old as each customer's last order, so they are
    dropped here: :meth:`Insights.rescore_loyalty` scores every buyer as of ``now``, and
    until then the rankings use the recency rule of :mod:`models.value`.
    """
    started = time.perf_counter()
    scorer = RFMScorer()
    facts_by_id: dict[str, CustomerFacts] = {}
    kept: list[tuple[str, Profile]] = []
    spends: dict[str, SpendHistory] = {}
    for customer_id, profile in profiles:
        if profile.merged_into is not None:
            continue
        kept.append((customer_id, profile))
        facts = facts_of(customer_id, profile)
        facts_by_id[customer_id] = facts
        spend = spend_history(profile)
        if spend is not None:
            spends[customer_id] = spend
        scorer.learn_one(facts)
    if now is None:
        seen = [f.last_seen for f in facts_by_id.values() if f.last_seen is not None]
        now = max(seen) if seen else datetime.now(timezone.utc)
    insights = Insights(now=now, scorer=scorer, facts=facts_by_id, spend=spends, currency=currency)
    builder = PersonaBuilder()
    for customer_id, facts in insights.facts.items():
        score = scorer.score_one(facts, now)
        segment = score.segment if score else VISITORS
        insights.segment_of[customer_id] = segment
        builder.learn_one(facts, None if segment == VISITORS else segment)
    insights.personas = builder.personas()
    if describe:
        insights.described = segmentation.describe(kept, insights.facts, insights.segment_of, insights.personas,
                                                   segments, currency=currency)
        if segments is not None:
            insights.segment_news = segments.watch.changes
            insights.segments_model = segments
    if fit:
        insights.bgnbd = fit_bgnbd(insights.facts.values(), now)
    for customer_id, facts in insights.facts.items():
        insights.facts[customer_id] = dataclasses.replace(facts, loyalty=None)
    insights.computed_in_seconds = round(time.perf_counter() - started, 3)
    return insights


WEEK = 7.0
#: Fewer buyers than this give BG/NBD nothing to fit.
MIN_BUYERS_FOR_BGNBD = 20


def _bgnbd_summary(facts: CustomerFacts, now: datetime) -> tuple[float, float, float] | None:
    if facts.first_order_at is None or facts.last_order_at is None or now < facts.first_order_at:
        return None
    t_x = (facts.last_order_at - facts.first_order_at).total_seconds() / 86400 / WEEK
    big_t = (now - facts.first_order_at).total_seconds() / 86400 / WEEK
    return float(facts.order_days), max(t_x, 0.0), max(big_t, t_x, 1e-6)


def fit_bgnbd(facts: Iterable[CustomerFacts], now: datetime) -> BGNBD | None:
    """BG/NBD by maximum likelihood on the buyers' (x, t_x, T) in weeks, or None if it cannot fit."""
    rows = [row for row in (_bgnbd_summary(f, now) for f in facts) if row is not None]
    if len(rows) < MIN_BUYERS_FOR_BGNBD:
        return None
    from models.bgnbd import BGNBD  # scipy's optimiser, imported by the first shop with buyers enough to fit

    x, t_x, big_t = (np.array(column, dtype=float) for column in zip(*rows))
    try:
        return BGNBD(unit_days=WEEK).fit(x, t_x, big_t)
    except (ValueError, RuntimeError, FloatingPointError, ArithmeticError):
        return None  # a degenerate population (e.g. nobody bought twice): no baseline today


def jsonable(value: Any) -> Any:
    """Dataclasses, datetimes and tuples as JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return _plain(value)


def recent_events_view(profile: Profile) -> list[dict[str, Any]]:
    """The customer's latest events, newest first: type, time and the product or order they are about."""
    view: list[dict[str, Any]] = []
    for at, kind, ref, value in reversed(profile.recent_events):
        entry: dict[str, Any] = {"type": kind, "at": at.isoformat()}
        if ref is not None:
            entry["order_id" if kind.startswith("order_") else "product_id"] = ref
        if value is not None:
            entry["value"] = value
        view.append(entry)
    return view


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(value)
    return value
