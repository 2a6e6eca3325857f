"""Customer types read from behaviour, each with the evidence behind it in a sentence.

A customer can carry several types (a loyal bargain hunter). The thresholds are the module's
constants; they are marketers' rules of thumb, meant to be read and tuned, not learned.
:data:`CUSTOMER_TYPES` lists the types in order of what a marketer needs to know first, so the
first type found is a customer's main one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Literal, TypeAlias, get_args

from models.customer_facts import CustomerFacts
from models.wording import percent, plural, share_of_spend, span

__all__ = [
    "BARGAIN_MIN_ORDERS",
    "BARGAIN_MIN_SHARE",
    "CONNECTED_MIN_CONTENT_PAGES",
    "CONNECTED_MIN_SESSIONS",
    "CONNECTED_MIN_SIGNALS",
    "CONVENIENCE_MAX_SESSION_SECONDS",
    "CONVENIENCE_MAX_VIEWS",
    "CONVENIENCE_MIN_ORDERS_PER_SESSION",
    "CUSTOMER_TYPES",
    "CustomerType",
    "DISSATISFIED_MAX_RATING",
    "DISSATISFIED_MIN_REFUND_SHARE",
    "LOOKER_MIN_SESSIONS",
    "LOYAL_MAX_IDLE_DAYS",
    "LOYAL_MIN_ORDERS",
    "LOYAL_MIN_P",
    "LOYAL_MIN_SPAN_DAYS",
    "NEW_MAX_DAYS",
    "RESEARCHER_MAX_ORDERS_PER_SESSION",
    "RESEARCHER_MIN_SESSION_SECONDS",
    "RESEARCHER_MIN_SESSIONS",
    "RESEARCHER_MIN_VIEWS",
    "TypeEvidence",
    "customer_type_names",
    "customer_types",
]

#: The types, main first: a complaint outweighs everything, loyalty outweighs price
#: sensitivity (a loyal customer is not sent discounts), and a looker is what is left.
#: The offer policy is written in these words too (:mod:`offers.vocabulary`).
CustomerType: TypeAlias = Literal[
    "dissatisfied",
    "loyal",
    "bargain_hunter",
    "new",
    "convenience",
    "researcher",
    "connected",
    "looker",
]
CUSTOMER_TYPES: tuple[CustomerType, ...] = get_args(CustomerType)

#: Bargain hunter: at least half of at least two orders used a discount (one discounted
#: order is a welcome offer, not a habit).
BARGAIN_MIN_ORDERS = 2
BARGAIN_MIN_SHARE = 0.5

#: Convenience: buys, and visits are short and to the point: at most this many pages and
#: this long on average, with an order in at least one visit in four.
CONVENIENCE_MAX_VIEWS = 5.0
CONVENIENCE_MAX_SESSION_SECONDS = 300.0
CONVENIENCE_MIN_ORDERS_PER_SESSION = 0.25

#: Connected: engages beyond buying; at least two of: reads content pages, gives ratings,
#: keeps coming back.
CONNECTED_MIN_CONTENT_PAGES = 3
CONNECTED_MIN_SESSIONS = 5
CONNECTED_MIN_SIGNALS = 2

#: Loyal: the loyalty model gives at least this P(buys again), or, without a score, at least
#: three orders on different days spread over a month or more, the last one not long ago (a
#: customer silent for half a year is at risk, not loyal).
LOYAL_MIN_P = 0.6
LOYAL_MIN_ORDERS = 3
LOYAL_MIN_SPAN_DAYS = 30.0
LOYAL_MAX_IDLE_DAYS = 180.0

#: New: first seen within this many days, or a first and only order within them.
NEW_MAX_DAYS = 30.0

#: Looker: visits again and again, has never bought.
LOOKER_MIN_SESSIONS = 3

#: Researcher: long visits with many pages and few purchases (at most one visit in five).
RESEARCHER_MIN_VIEWS = 10.0
RESEARCHER_MIN_SESSION_SECONDS = 600.0
RESEARCHER_MAX_ORDERS_PER_SESSION = 0.2
RESEARCHER_MIN_SESSIONS = 2

#: Dissatisfied: a complaint, a mean rating this low (of 5), or a quarter of the spend refunded.
DISSATISFIED_MAX_RATING = 2.0
DISSATISFIED_MIN_REFUND_SHARE = 0.25

_DAY = 86400.0


@dataclasses.dataclass(frozen=True, slots=True)
class TypeEvidence:
    """One type a customer carries and why: ``bargain_hunter``, "4 of 5 orders used a discount"."""

    name: CustomerType
    evidence: str


def _days(since: dt.datetime | None, now: dt.datetime) -> float | None:
    return None if since is None else max((now - since).total_seconds() / _DAY, 0.0)


#: A rule's finding: ``None`` when the type does not apply, else what writes its evidence. The
#: sentence is written only when asked for: the offer policy reads the types' names alone, once
#: per decision, and the sentences cost more than the tests.
Finding: TypeAlias = Callable[[], str] | None


def _dissatisfied(f: CustomerFacts) -> Finding:
    mean = f.mean_rating
    unhappy = mean is not None and mean <= DISSATISFIED_MAX_RATING
    refunding = bool(f.refunds) and f.refund_share >= DISSATISFIED_MIN_REFUND_SHARE
    if not (f.complaints or unhappy or refunding):
        return None

    def evidence() -> str:
        signs = []
        if f.complaints:
            signs.append(plural(f.complaints, "complaint"))
        if unhappy:
            signs.append(f"mean rating {mean:.1f} of 5 over {plural(f.ratings, 'rating')}")
        if refunding:
            signs.append(
                f"{plural(f.refunds, 'refund')} taking back {share_of_spend(f.refunded, f.revenue, None)}"
            )
        return ", ".join(signs)

    return evidence


def _loyal(f: CustomerFacts, now: dt.datetime) -> Finding:
    loyalty = f.loyalty
    if loyalty is not None and loyalty >= LOYAL_MIN_P and f.orders:
        return lambda: f"{percent(loyalty)} likely to buy again (loyalty model), {plural(f.orders, 'order')}"
    if f.orders < LOYAL_MIN_ORDERS or f.order_days + 1 < LOYAL_MIN_ORDERS:
        return None
    spread = _days(f.first_order_at, f.last_order_at or now) or 0.0
    idle = _days(f.last_order_at, now)
    if spread < LOYAL_MIN_SPAN_DAYS or idle is None or idle > LOYAL_MAX_IDLE_DAYS:
        return None
    return lambda: f"{f.orders} orders over {span(spread)}, the last {span(idle)} ago"


def _bargain_hunter(f: CustomerFacts) -> Finding:
    if f.orders < BARGAIN_MIN_ORDERS or f.discount_share < BARGAIN_MIN_SHARE:
        return None
    return lambda: f"{f.discount_orders} of {f.orders} orders used a discount"


def _new(f: CustomerFacts, now: dt.datetime) -> Finding:
    seen = _days(f.first_seen, now)
    if seen is not None and seen <= NEW_MAX_DAYS:
        return lambda: f"first seen {span(seen)} ago"
    ordered = _days(f.first_order_at, now)
    if f.orders == 1 and ordered is not None and ordered <= NEW_MAX_DAYS:
        return lambda: f"first order {span(ordered)} ago"
    return None


def _convenience(f: CustomerFacts) -> Finding:
    views, seconds = f.avg_views_per_session, f.avg_session_seconds
    if views is None or seconds is None or not f.sessions or not f.orders:
        return None
    if (
        views > CONVENIENCE_MAX_VIEWS
        or seconds > CONVENIENCE_MAX_SESSION_SECONDS
        or f.orders / f.sessions < CONVENIENCE_MIN_ORDERS_PER_SESSION
    ):
        return None
    return lambda: (
        f"{plural(f.orders, 'order')} in {plural(f.sessions, 'visit')} of "
        f"{views:.1f} pages and {seconds / 60:.1f} min on average"
    )


def _researcher(f: CustomerFacts) -> Finding:
    views, seconds = f.avg_views_per_session, f.avg_session_seconds
    if views is None or seconds is None or f.sessions < RESEARCHER_MIN_SESSIONS:
        return None
    if (
        views < RESEARCHER_MIN_VIEWS
        or seconds < RESEARCHER_MIN_SESSION_SECONDS
        or f.orders / f.sessions > RESEARCHER_MAX_ORDERS_PER_SESSION
    ):
        return None
    return lambda: (
        f"{plural(f.sessions, 'visit')} of {views:.0f} pages and {seconds / 60:.0f} min on "
        f"average, {plural(f.orders, 'order')}"
    )


def _connected(f: CustomerFacts) -> Finding:
    reads = f.content_pages >= CONNECTED_MIN_CONTENT_PAGES
    returns = f.sessions >= CONNECTED_MIN_SESSIONS
    if reads + bool(f.ratings) + returns < CONNECTED_MIN_SIGNALS:
        return None

    def evidence() -> str:
        signs = []
        if reads:
            signs.append(f"read {plural(f.content_pages, 'content page')}")
        if f.ratings:
            signs.append(f"left {plural(f.ratings, 'rating')}")
        if returns:
            signs.append(f"came back for {plural(f.sessions, 'visit')}")
        return ", ".join(signs)

    return evidence


def _looker(f: CustomerFacts) -> Finding:
    if f.orders or f.sessions < LOOKER_MIN_SESSIONS:
        return None
    return lambda: f"{plural(f.sessions, 'visit')} and {plural(f.product_views, 'product view')}, never bought"


def _findings(facts: CustomerFacts, now: dt.datetime) -> tuple[tuple[CustomerType, Finding], ...]:
    """Every type's finding, in :data:`CUSTOMER_TYPES`' order."""
    return (
        ("dissatisfied", _dissatisfied(facts)),
        ("loyal", _loyal(facts, now)),
        ("bargain_hunter", _bargain_hunter(facts)),
        ("new", _new(facts, now)),
        ("convenience", _convenience(facts)),
        ("researcher", _researcher(facts)),
        ("connected", _connected(facts)),
        ("looker", _looker(facts)),
    )


def customer_type_names(facts: CustomerFacts, now: dt.datetime) -> tuple[CustomerType, ...]:
    """The names of :func:`customer_types`, without writing their evidence (what the offer policy reads).

    >>> now = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    >>> customer_type_names(CustomerFacts("v1", sessions=4, product_views=9), now)
    ('looker',)
    """
    return tuple(name for name, finding in _findings(facts, now) if finding is not None)


def customer_types(facts: CustomerFacts, now: dt.datetime) -> tuple[TypeEvidence, ...]:
    """The types a customer carries at ``now``, main first, each with its evidence.

    ================  =====================================================================
    dissatisfied      a complaint, a mean rating <= 2 of 5, or >= 25 % of the spend refunded
    loyal             loyalty score >= 0.6, or >= 3 orders on >= 3 days over >= 30 days with
                      the last within 180 days
    bargain_hunter    >= 50 % of >= 2 orders used a discount
    new               first seen <= 30 days ago, or a single order placed <= 30 days ago
    convenience       buys in >= 1 visit of 4, visits of <= 5 pages and <= 5 minutes
    researcher        >= 2 visits of >= 10 pages and >= 10 minutes, buys in <= 1 visit of 5
    connected         two of: >= 3 content pages read, a rating given, >= 5 visits
    looker            >= 3 visits, never bought
    ================  =====================================================================

    Visit-based types need the session statistics; an order log alone never shows them.

    Examples
    --------
    >>> now = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    >>> facts = CustomerFacts("c1", first_seen=now - dt.timedelta(days=200), orders=5,
    ...                       discount_orders=4, order_days=4,
    ...                       first_order_at=now - dt.timedelta(days=150),
    ...                       last_order_at=now - dt.timedelta(days=10))
    >>> for t in customer_types(facts, now):
    ...     print(t.name, "-", t.evidence)
    loyal - 5 orders over 5 months, the last 10 days ago
    bargain_hunter - 4 of 5 orders used a discount
    >>> [t.name for t in customer_types(CustomerFacts("v1", sessions=4, product_views=9), now)]
    ['looker']

    """
    return tuple(TypeEvidence(name, finding()) for name, finding in _findings(facts, now) if finding is not None)
