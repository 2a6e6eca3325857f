"""What a customer does, as numbers: the features behavioural segments are learned on.

Each :class:`Measure` is one thing a marketer would say about a customer's behaviour — how
often they visit and buy, at what times, how big their baskets are, how price sensitive they
are (discounts, offers taken), how often they send things back, how eager they are (intent,
carts per visit) and what they are worth (a predicted value, where a value model gives one) —
plus the share of their interest in each product category and arrival channel.

:func:`behaviour_features` turns a customer into ``dict[str, float]`` on the scale the
clustering works on: counts, money and days through ``log1p`` (so one big spender does not
stretch the space), shares as they are. A measure that cannot be known for a customer (the
basket of someone who never bought, the visit length from an order log) is left out, so the
model imputes it rather than reading it as zero. Category and channel shares are given for
every name the customer has, and for the names in ``vocabulary`` that they do not have (as
0), so "never buys shoes" is a value while "nothing known of their categories" stays absent.

Times of day come from the visit histograms, or from the order histograms when the customer
was never seen on the site (an order log); a log that only has dates has no hours, and its
customers get no hour shares. Time shares are plain shares: pulling a customer's few visits
towards an even spread over the day would make every customer with few visits look like a
night owl in a shop nobody visits at night.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from typing import Literal, Protocol, TypeAlias

from models.customer_facts import Counts, CustomerFacts
from models.timing import mean_gap_days

__all__ = [
    "BEHAVIOUR_TRAITS",
    "BehaviourFacts",
    "CATEGORY",
    "CHANNEL",
    "MEASURES",
    "OTHER",
    "TRAIT_PREFIXES",
    "aspect_of",
    "Measure",
    "Unit",
    "Word",
    "behaviour_features",
    "display_value",
    "measure_of",
]

#: Prefixes of the per-name shares: ``category:shoes``, ``channel:email``.
CATEGORY = "category:"
CHANNEL = "channel:"

Unit: TypeAlias = Literal["share", "money", "count", "days", "minutes", "score"]
Role: TypeAlias = Literal["adjective", "noun"]


@dataclasses.dataclass(frozen=True, slots=True)
class Word:
    """How a persona's name says a trait: the text, its place in the name, and its policy word.

    ``trait`` is the word an offer policy may target (``behaviour_traits = ["weekend"]``).
    """

    text: str
    role: Role
    trait: str


@dataclasses.dataclass(frozen=True, slots=True)
class Measure:
    """One behaviour measure: its key, its words, and how it is scaled for clustering.

    ``high`` and ``low`` are what a segment clearly above or below the average customer is
    called; ``log`` means the feature is ``log1p`` of the figure. ``aspect`` is the side of
    behaviour it measures: the clustering gives each aspect the same weight, however many
    measures it has.
    """

    key: str
    label: str
    unit: Unit
    aspect: str
    log: bool = False
    high: Word | None = None
    low: Word | None = None


#: Every measure, in the order traits are read out when two are equally distinctive.
MEASURES: tuple[Measure, ...] = (
    Measure("discount_share", "orders with a discount", "share", "price",
            high=Word("Bargain Hunter", "noun", "bargain_hunter"), low=Word("Full-Price", "adjective", "full_price")),
    Measure("offer_use", "offers taken up", "share", "price",
            high=Word("Offer Taker", "noun", "offer_taker"), low=Word("Offer-Shy", "adjective", "offer_shy")),
    Measure("weekend_share", "activity at weekends", "share", "times",
            high=Word("Weekend", "adjective", "weekend"), low=Word("Weekday", "adjective", "weekday")),
    Measure("evening_share", "activity in the evening (18-24 h)", "share", "times",
            high=Word("Evening", "adjective", "evening")),
    Measure("night_share", "activity at night (0-6 h)", "share", "times",
            high=Word("Night-Owl", "adjective", "night_owl")),
    Measure("visits", "visits", "count", "rhythm", log=True,
            high=Word("Frequent-Visitor", "adjective", "frequent_visitor"),
            low=Word("Rare-Visitor", "adjective", "rare_visitor")),
    Measure("orders", "orders", "count", "rhythm", log=True,
            high=Word("Regular", "noun", "regular"), low=Word("Rare Buyer", "noun", "rare_buyer")),
    Measure("conversion", "visits with an order", "share", "rhythm",
            high=Word("Decisive", "adjective", "decisive"), low=Word("Window Shopper", "noun", "window_shopper")),
    Measure("gap_days", "days between purchases", "days", "rhythm", log=True,
            high=Word("Occasional", "adjective", "occasional"), low=Word("Frequent", "adjective", "frequent_buyer")),
    Measure("basket", "order value", "money", "basket", log=True,
            high=Word("Big-Basket", "adjective", "big_basket"), low=Word("Small-Basket", "adjective", "small_basket")),
    Measure("views_per_visit", "pages per visit", "count", "browsing", log=True,
            high=Word("Researcher", "noun", "researcher"), low=Word("Focused", "adjective", "focused")),
    Measure("minutes_per_visit", "minutes per visit", "minutes", "browsing", log=True,
            high=Word("Unhurried", "adjective", "unhurried"), low=Word("Quick", "adjective", "quick")),
    Measure("carts_per_visit", "cart adds per visit", "count", "browsing", log=True,
            high=Word("Cart Filler", "noun", "cart_filler")),
    Measure("checkouts_per_visit", "checkouts per visit", "count", "intent", log=True),
    Measure("refund_share", "spend refunded", "share", "refunds",
            high=Word("Returner", "noun", "returner")),
    Measure("rating", "mean rating (of 5)", "score", "satisfaction",
            high=Word("Delighted", "adjective", "delighted"), low=Word("Unhappy", "adjective", "unhappy")),
    Measure("intent", "purchase intent", "score", "intent",
            high=Word("Eager", "adjective", "eager"), low=Word("Hesitant", "adjective", "hesitant")),
    Measure("value", "predicted value", "money", "value", log=True,
            high=Word("High-Value", "adjective", "high_value"), low=Word("Low-Value", "adjective", "low_value")),
)
_BY_KEY = {m.key: m for m in MEASURES}

#: The trait words a segment can carry (and an offer policy can target), besides
#: ``category:<name>`` and ``channel:<name>`` for a favourite category or channel.
BEHAVIOUR_TRAITS: tuple[str, ...] = tuple(
    word.trait for m in MEASURES for word in (m.high, m.low) if word is not None
)
TRAIT_PREFIXES: tuple[str, ...] = (CATEGORY, CHANNEL)
#: The feature of the names outside the vocabulary (``channel:other``): how a new campaign's
#: channel or a new range of products shows before it has a feature of its own.
OTHER = "other"


def aspect_of(key: str) -> str:
    """The aspect of behaviour a feature measures (``categories`` and ``channels`` for the shares).

    >>> aspect_of("weekend_share"), aspect_of("channel:email")
    ('times', 'channels')
    """
    if key.startswith(CATEGORY):
        return "categories"
    if key.startswith(CHANNEL):
        return "channels"
    return _BY_KEY[key].aspect

class BehaviourFacts(Protocol):
    """What the behaviour features read of a customer: :class:`CustomerFacts`, or a cheaper view of a live profile.

    The worker places customers at every few events: building the 45 fields of a
    :class:`CustomerFacts` for the 20 these features read cost more than the features.
    """

    @property
    def visit_weekdays(self) -> tuple[int, ...]: ...
    @property
    def order_weekdays(self) -> tuple[int, ...]: ...
    @property
    def visit_hours(self) -> tuple[int, ...]: ...
    @property
    def order_hours(self) -> tuple[int, ...]: ...
    @property
    def sessions(self) -> int: ...
    @property
    def orders(self) -> int: ...
    @property
    def order_days(self) -> int: ...
    @property
    def gap_days_total(self) -> float: ...
    @property
    def cart_adds(self) -> int: ...
    @property
    def checkouts(self) -> int: ...
    @property
    def intent(self) -> float | None: ...
    @property
    def categories(self) -> Counts: ...
    @property
    def channels(self) -> Counts: ...
    @property
    def avg_session_seconds(self) -> float | None: ...
    @property
    def avg_views_per_session(self) -> float | None: ...
    @property
    def discount_share(self) -> float: ...
    @property
    def order_value(self) -> float | None: ...
    @property
    def refund_share(self) -> float: ...
    @property
    def mean_rating(self) -> float | None: ...


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def _times(facts: BehaviourFacts) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Weekday and hour histograms of the customer's activity: visits, else orders."""
    weekdays = facts.visit_weekdays if sum(facts.visit_weekdays) else facts.order_weekdays
    hours = facts.visit_hours if sum(facts.visit_hours) else facts.order_hours
    return weekdays, hours


def _figures(
    facts: BehaviourFacts, offers: int, offers_taken: int, predicted_value: float | None
) -> tuple[float | None, ...]:
    """Every measure's figure in its own unit (``None``: unknown for this customer), in :data:`MEASURES`' order.

    A tuple, not a dict: this runs at every placement, and the keys are :data:`_KEYS`.
    """
    weekdays, hours = _times(facts)
    week_total, hour_total = sum(weekdays), sum(hours)
    sessions, orders = facts.sessions, facts.orders
    seconds = facts.avg_session_seconds
    # Slices of the histograms (weekend: days 5-6, evening: hours 18-23, night: 0-5), summed in
    # the order a sum over the days or hours would.
    return (
        facts.discount_share if orders else None,  # discount_share
        _share(offers_taken, offers),  # offer_use
        _share(sum(weekdays[5:7]), week_total) if week_total else None,  # weekend_share
        _share(sum(hours[18:24]), hour_total) if hour_total else None,  # evening_share
        _share(sum(hours[0:6]), hour_total) if hour_total else None,  # night_share
        float(sessions),  # visits
        float(orders),  # orders
        min(orders / sessions, 1.0) if sessions else None,  # conversion
        mean_gap_days(facts),  # gap_days
        facts.order_value,  # basket
        facts.avg_views_per_session,  # views_per_visit
        None if seconds is None else seconds / 60,  # minutes_per_visit
        facts.cart_adds / sessions if sessions else None,  # carts_per_visit
        facts.checkouts / sessions if sessions else None,  # checkouts_per_visit
        facts.refund_share if orders else None,  # refund_share
        facts.mean_rating,  # rating
        facts.intent,  # intent
        predicted_value,  # value
    )


#: The measures' keys, and whether each feature is ``log1p`` of its figure, in :func:`_figures`' order.
_KEYS = tuple(m.key for m in MEASURES)
_LOGGED = tuple(m.log for m in MEASURES)


def measure_of(
    facts: CustomerFacts, *, offers: int = 0, offers_taken: int = 0, predicted_value: float | None = None
) -> dict[str, float]:
    """The customer's known measures in their own units (money, days, shares): for people to read.

    Examples
    --------
    >>> import datetime as dt
    >>> at = dt.datetime(2024, 1, 6, tzinfo=dt.UTC)
    >>> m = measure_of(CustomerFacts("c1", sessions=4, orders=2, revenue=90.0, discount_orders=2,
    ...                              last_order_at=at))
    >>> m["discount_share"], m["basket"], m["conversion"], "gap_days" in m
    (1.0, 45.0, 0.5, False)

    """
    figures = _figures(facts, offers, offers_taken, predicted_value)
    return {key: value for key, value in zip(_KEYS, figures) if value is not None}


def behaviour_features(
    facts: BehaviourFacts,
    *,
    offers: int = 0,
    offers_taken: int = 0,
    predicted_value: float | None = None,
    vocabulary: Iterable[str] = (),
) -> dict[str, float]:
    """The customer's features for clustering: measures (``log1p`` where heavy-tailed) and shares.

    Parameters
    ----------
    facts
        What is known of the customer.
    offers, offers_taken
        Offers sent to the customer and those that ended in a purchase (price sensitivity).
    predicted_value
        The value model's prediction of the customer's spend, where there is one.
    vocabulary
        ``category:…`` and ``channel:…`` names the model follows: the customer gets an
        explicit 0 for those they do not have (when they have any of that kind).

    Examples
    --------
    >>> import datetime as dt
    >>> at = dt.datetime(2024, 1, 6, tzinfo=dt.UTC)
    >>> facts = CustomerFacts("c1", sessions=3, orders=1, revenue=50.0, last_order_at=at,
    ...                       categories=(("shoes", 3), ("bags", 1)), channels=(("email", 2),))
    >>> x = behaviour_features(facts, vocabulary=["category:toys", "channel:social"])
    >>> round(x["basket"], 3), x["category:shoes"], x["category:toys"], x["channel:social"]
    (3.932, 0.75, 0.0, 0.0)
    >>> "gap_days" in x, "minutes_per_visit" in x
    (False, False)

    """
    x: dict[str, float] = {}
    log1p = math.log1p
    for key, value, log in zip(_KEYS, _figures(facts, offers, offers_taken, predicted_value), _LOGGED):
        if value is not None:
            x[key] = log1p(max(value, 0.0)) if log else value
    named = None
    for prefix, counts in ((CATEGORY, facts.categories), (CHANNEL, facts.channels)):
        total = sum(count for _, count in counts)
        if total <= 0:
            continue
        if named is None:
            named = _by_prefix(vocabulary)
        for name in named[prefix]:
            x[name] = 0.0
        for name, count in counts:
            x[prefix + name] = count / total
    return x


def _by_prefix(vocabulary: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The vocabulary's names of each prefix, in its order (kept for the latest vocabulary: a model has one)."""
    global _LAST_VOCABULARY
    if isinstance(vocabulary, tuple):
        last = _LAST_VOCABULARY
        if last is not None and last[0] is vocabulary:
            return last[1]
    names = tuple(vocabulary)
    found = {prefix: tuple(name for name in names if name.startswith(prefix)) for prefix in TRAIT_PREFIXES}
    if isinstance(vocabulary, tuple):
        _LAST_VOCABULARY = (vocabulary, found)
    return found


_LAST_VOCABULARY: tuple[tuple[str, ...], dict[str, tuple[str, ...]]] | None = None


def display_value(key: str, feature: float) -> float:
    """A feature's value back in the measure's unit (``expm1`` of a ``log1p`` feature).

    Examples
    --------
    >>> round(display_value("basket", math.log1p(45.0)), 6), display_value("weekend_share", 0.25)
    (45.0, 0.25)

    """
    measure = _BY_KEY.get(key)
    return math.expm1(feature) if measure is not None and measure.log else feature


def measures_by_key() -> Mapping[str, Measure]:
    """Every :class:`Measure` by its key."""
    return _BY_KEY
