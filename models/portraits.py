"""Personas with a name and a face: what sets a segment apart from the average customer, in words and figures.

A :class:`TraitSketch` sums the behaviour features (:mod:`models.behaviour`) of a group of
customers in bounded memory; comparing a segment's sketch with everyone's gives each measure's
distance from the average customer in standard deviations, and the largest distances are the
segment's traits (:func:`models.segments.distinguishing`). :func:`portrait` turns them into a
name ("Weekend Bargain Hunter": up to two adjectives and a noun, from the traits' words), a
portrait sentence, the traits with their figures beside the average's, and an avatar drawn from
the traits (:mod:`models.avatars`), next to what the segment's :class:`~models.personas.Persona`
already knows (favourite categories and channels, active times) and its share of the spend.

Typical figures of heavy-tailed measures (money, counts, days) are geometric-style means: the
mean of ``log1p`` turned back, which a few very large customers do not drag up.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Literal, TypeAlias

from models.avatars import avatar
from models.behaviour import CATEGORY, CHANNEL, OTHER, TRAIT_PREFIXES, Measure, display_value, measures_by_key
from models.customer_facts import Counts
from models.personas import Persona
from models.traits import distinguishing
from models.wording import money, percent

__all__ = ["Kind", "Portrait", "TraitFigure", "TraitSketch", "persona_name", "portrait"]

Kind: TypeAlias = Literal["behaviour", "rfm"]


class TraitSketch:
    """Count, sum and sum of squares of each feature over a group of customers, and their spend.

    A category's or channel's share is averaged over every customer with any category (or
    channel): one who never came via a channel has a share of 0 in it, not an unknown one.

    Examples
    --------
    >>> s = TraitSketch()
    >>> for share in (0.2, 0.4, 0.6):
    ...     s.update({"discount_share": share}, spend=10.0)
    >>> round(s.mean("discount_share"), 2), round(s.sd("discount_share"), 3), s.n, s.spend
    (0.4, 0.163, 3, 30.0)

    """

    def __init__(self) -> None:
        self.n = 0
        self.spend = 0.0
        self.value = 0.0
        self.valued = 0
        self._count: dict[str, int] = {}
        self._sum: dict[str, float] = {}
        self._squares: dict[str, float] = {}
        self._kinds: dict[str, int] = {}

    def update(self, x: Mapping[str, float], spend: float = 0.0, value: float | None = None) -> None:
        """Count one customer: their features, what they spent (net), their predicted value."""
        self.n += 1
        self.spend += spend
        if value is not None:
            self.value += value
            self.valued += 1
        for key, v in x.items():
            self._count[key] = self._count.get(key, 0) + 1
            self._sum[key] = self._sum.get(key, 0.0) + v
            self._squares[key] = self._squares.get(key, 0.0) + v * v
        for prefix in TRAIT_PREFIXES:
            if any(key.startswith(prefix) for key in x):
                self._kinds[prefix] = self._kinds.get(prefix, 0) + 1

    def keys(self) -> list[str]:
        """The features seen."""
        return list(self._count)

    def count(self, key: str) -> int:
        """Customers for whom ``key`` is known (for a share: who have any of its kind)."""
        if key.startswith(TRAIT_PREFIXES) and key in self._count:
            return self._kinds.get(key[: key.index(":") + 1], 0)
        return self._count.get(key, 0)

    def mean(self, key: str) -> float | None:
        """Mean of ``key`` over the customers who have it."""
        n = self.count(key)
        return self._sum[key] / n if n else None

    def sd(self, key: str) -> float:
        """Standard deviation of ``key`` (0 for fewer than two customers)."""
        n = self.count(key)
        if n < 2:
            return 0.0
        mean = self._sum[key] / n
        return math.sqrt(max(self._squares[key] / n - mean * mean, 0.0))

    def z(self, everyone: TraitSketch, coverage: float = 0.25) -> dict[str, float]:
        """How far this group's mean of each feature is from ``everyone``'s, in their standard deviations.

        A feature known for less than ``coverage`` of the group (the gap between orders in a
        group of mostly one-order customers) does not say what the group is like: left out.
        """
        out = {}
        for key in self._count:
            mine, theirs, sd = self.mean(key), everyone.mean(key), everyone.sd(key)
            if mine is None or theirs is None or sd <= 1e-9 or self.count(key) < coverage * self.n:
                continue
            out[key] = (mine - theirs) / sd
        return out


@dataclasses.dataclass(frozen=True, slots=True)
class TraitFigure:
    """One trait with its figures: the segment's typical value beside the average customer's."""

    trait: str
    label: str
    value: float
    average: float
    z: float
    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class Portrait:
    """A segment's persona: a name, a sentence, the traits with figures, favourites, a face.

    ``spend_share`` is the segment's share of everyone's net spend; ``value_share`` its share
    of the predicted value, where a value model predicts one; ``typical_customer`` the real
    customer nearest the segment's centre; ``avatar`` an SVG badge drawn from the traits.
    """

    segment: str
    kind: Kind
    name: str
    sentence: str
    size: int
    share: float
    traits: tuple[TraitFigure, ...]
    categories: Counts
    channels: Counts
    active: str
    spend_share: float
    value_share: float | None
    typical_customer: str | None
    mostly: str
    avatar: str


#: What each trait says of the customers, with ``{v}`` their figure.
_PHRASES: dict[str, str] = {
    "bargain_hunter": "buy with a discount ({v} of orders)",
    "full_price": "pay full price ({v} of orders discounted)",
    "offer_taker": "take up offers ({v} of them)",
    "offer_shy": "rarely take up an offer ({v})",
    "weekend": "come at weekends ({v} of their activity)",
    "weekday": "come on weekdays ({v} at weekends)",
    "evening": "come in the evening ({v})",
    "night_owl": "come at night ({v})",
    "frequent_visitor": "visit often ({v} visits)",
    "rare_visitor": "rarely visit ({v} visits)",
    "regular": "buy more often ({v} orders)",
    "rare_buyer": "rarely buy ({v} orders)",
    "decisive": "buy in most visits ({v})",
    "window_shopper": "look more than they buy ({v} of visits with an order)",
    "occasional": "buy now and then (every {v} days)",
    "frequent_buyer": "buy often (every {v} days)",
    "big_basket": "fill big baskets ({v} an order)",
    "small_basket": "buy small baskets ({v} an order)",
    "researcher": "read a lot ({v} pages a visit)",
    "focused": "go straight to the point ({v} pages a visit)",
    "unhurried": "take their time ({v} minutes a visit)",
    "quick": "are quick ({v} minutes a visit)",
    "cart_filler": "fill carts ({v} adds a visit)",
    "returner": "send things back ({v} of the spend refunded)",
    "delighted": "rate highly ({v} of 5)",
    "unhappy": "rate poorly ({v} of 5)",
    "eager": "show strong intent ({v})",
    "hesitant": "show little intent ({v})",
    "high_value": "are worth a lot ({v} predicted)",
    "low_value": "are worth little ({v} predicted)",
}


def _figure(measure: Measure | None, value: float, currency: str) -> str:
    unit = measure.unit if measure is not None else "share"
    if unit == "share":
        return percent(value)
    if unit == "money":
        return money(value, currency)
    if unit == "score":
        return f"{value:.2g}" if value < 1 else f"{value:.1f}"
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _title(name: str) -> str:
    return " ".join(part.capitalize() for part in name.replace("_", " ").replace("-", " ").split())


def _key_of(trait: str) -> str | None:
    if trait.startswith(TRAIT_PREFIXES):
        return trait
    for m in measures_by_key().values():
        for word in (m.high, m.low):
            if word is not None and word.trait == trait:
                return m.key
    return None


def _label(key: str) -> str:
    if key.startswith(CATEGORY):
        return f"interest in {key[len(CATEGORY):]}"
    if key.startswith(CHANNEL):
        return f"arrivals via {key[len(CHANNEL):]}"
    return measures_by_key()[key].label


def persona_name(traits: Sequence[str], buyers: bool = True) -> str:
    """A short human name from a segment's traits: up to two adjectives and a noun.

    The noun is the first trait that is one ("Bargain Hunter"), a favourite category only when
    no behaviour gives one ("Toys Fan"), else "Shopper" for a segment of buyers and "Visitor"
    for one of people who mostly never bought.

    Examples
    --------
    >>> persona_name(["weekend", "bargain_hunter", "small_basket"])
    'Weekend Small-Basket Bargain Hunter'
    >>> persona_name(["weekend", "category:shoes", "bargain_hunter"])
    'Weekend Bargain Hunter'
    >>> persona_name(["night_owl", "category:toys"]), persona_name(["channel:paid_search"], buyers=False)
    ('Night-Owl Toys Fan', 'Paid Search Visitor')
    >>> persona_name([]), persona_name(["channel:other"])
    ('Shopper', 'New-Channel Shopper')

    """
    measures = measures_by_key()
    words = {w.trait: w for m in measures.values() for w in (m.high, m.low) if w is not None}
    adjectives: list[str] = []
    nouns: list[str] = []
    favourite: str | None = None
    for trait in traits:
        if trait.startswith(CATEGORY):
            name = trait[len(CATEGORY):]
            if favourite is None:
                favourite = "New-Range Fan" if name == OTHER else f"{_title(name)} Fan"
            continue
        if trait.startswith(CHANNEL):
            name = trait[len(CHANNEL):]
            text, role = ("New-Channel" if name == OTHER else _title(name)), "adjective"
        elif trait in words:
            text, role = words[trait].text, words[trait].role
        else:
            continue
        if role == "noun":
            nouns.append(text)
        elif len(adjectives) < 2:
            adjectives.append(text)
    noun = nouns[0] if nouns else favourite or ("Shopper" if buyers else "Visitor")
    return " ".join([*adjectives, noun])


def _active(persona: Persona) -> str:
    days = persona.visit_weekdays or persona.order_weekdays
    hours = persona.visit_hours or persona.order_hours
    when = ", ".join(days)
    if hours:
        when += (" " if when else "") + "around " + ", ".join(f"{h}h" for h in hours)
    return when


def _plural(name: str) -> str:
    return name if name.endswith("s") else name + "s"


def portrait(
    segment: str,
    kind: Kind,
    persona: Persona,
    group: TraitSketch,
    everyone: TraitSketch,
    *,
    traits: Sequence[str] | None = None,
    typical_customer: str | None = None,
    name: str | None = None,
    currency: str = "GBP",
) -> Portrait:
    """The persona of one segment, with its name and face.

    ``traits`` are the segment's traits if known (a behavioural segment's, from the model), else
    read from how ``group`` differs from ``everyone``; ``name`` overrides the name built from them.

    Examples
    --------
    >>> import datetime as dt
    >>> from models.customer_facts import CustomerFacts
    >>> from models.personas import personas
    >>> everyone, hunters = TraitSketch(), TraitSketch()
    >>> for i in range(20):
    ...     bargain = i < 5
    ...     x = {"discount_share": 0.9 if bargain else 0.1, "weekend_share": 0.8 if bargain else 0.2}
    ...     everyone.update(x, spend=20.0)
    ...     if bargain:
    ...         hunters.update(x, spend=20.0)
    >>> at = dt.datetime(2024, 1, 6, tzinfo=dt.UTC)
    >>> p = personas([(CustomerFacts(f"c{i}", orders=2, revenue=40.0, last_order_at=at), "B1")
    ...               for i in range(5)])[0]
    >>> card = portrait("B1", "behaviour", p, hunters, everyone, typical_customer="c3")
    >>> card.name, [t.text for t in card.traits]
    ('Weekend Bargain Hunter', ['orders with a discount: 90 % (average 30 %)', 'activity at weekends: 80 % (average 35 %)'])
    >>> print(card.sentence)
    Weekend Bargain Hunters: 5 customers (100 % of all), 25 % of the spend. They buy with a discount (90 % of orders), come at weekends (80 % of their activity). Most typical: customer c3.

    """
    z = group.z(everyone)
    chosen = tuple(traits) if traits is not None else distinguishing(z)
    figures = []
    for trait in chosen:
        key = _key_of(trait)
        mine = None if key is None else group.mean(key)
        theirs = None if key is None else everyone.mean(key)
        if key is None or mine is None or theirs is None:
            continue
        measure = measures_by_key().get(key)
        value, average = display_value(key, mine), display_value(key, theirs)
        label = _label(key)
        text = f"{label}: {_figure(measure, value, currency)} (average {_figure(measure, average, currency)})"
        figures.append(TraitFigure(trait, label, round(value, 4), round(average, 4), round(z.get(key, 0.0), 2), text))
    the_name = name or persona_name(chosen, buyers=persona.buyers * 2 >= persona.size)
    spend_share = group.spend / everyone.spend if everyone.spend > 0 else 0.0
    value_share = group.value / everyone.value if everyone.valued and everyone.value > 0 else None
    phrases = []
    for f in figures:
        template = _PHRASES.get(f.trait)
        shown = _figure(measures_by_key().get(_key_of(f.trait) or ""), f.value, currency)
        if template is not None:
            phrases.append(template.format(v=shown))
        elif f.trait.startswith(CATEGORY):
            phrases.append(f"love {f.trait[len(CATEGORY):]} ({shown} of their interest)")
        elif f.trait.startswith(CHANNEL):
            phrases.append(f"arrive via {f.trait[len(CHANNEL):]} ({shown})")
    parts = [f"{_plural(the_name)}: {persona.size} customers ({percent(persona.share)} of all), "
             f"{percent(spend_share)} of the spend."]
    if phrases:
        parts.append("They " + ", ".join(phrases) + ".")
    likes = [name for name, _ in persona.categories]
    if likes:
        parts.append("They like " + ", ".join(likes) + ".")
    if persona.channels:
        parts.append("They come via " + ", ".join(name for name, _ in persona.channels) + ".")
    active = _active(persona)
    if active:
        parts.append(f"Active {active}.")
    if typical_customer is not None:
        parts.append(f"Most typical: customer {typical_customer}.")
    mostly = ", ".join(f"{f.label} {_figure(measures_by_key().get(_key_of(f.trait) or ''), f.value, currency)}"
                       for f in figures)
    return Portrait(
        segment=segment, kind=kind, name=the_name, sentence=" ".join(parts), size=persona.size,
        share=persona.share, traits=tuple(figures), categories=persona.categories, channels=persona.channels,
        active=active, spend_share=round(spend_share, 4),
        value_share=None if value_share is None else round(value_share, 4),
        typical_customer=typical_customer, mostly=mostly, avatar=avatar(the_name, chosen, segment),
    )
