"""Personas: the representative customer of each segment, aggregated in bounded memory.

For each segment: its size, the typical (median) order value, number of orders, spend and gap
between purchases, how much of it is bought with a discount or refunded, the favourite
categories and channels, the usual visit and order times, and the commonest known traits
(countries, age bands). Medians come from :class:`models.quantiles.LogHistogram`, favourites
from a space-saving counter of ``capacity`` names (Metwally et al. 2005), times from summed
histograms; so the memory is the same for ten customers or ten million, per segment.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

from models.customer_facts import MONTH_NAMES, WEEKDAY_NAMES, Counts, CustomerFacts
from models.quantiles import LogHistogram
from models.rfm import SEGMENTS
from models.timing import SEASONAL_LIFT, mean_gap_days, peaks
from models.wording import money, percent, plural

__all__ = ["VISITORS", "Persona", "PersonaBuilder", "describe", "personas"]

#: The persona of customers with no segment: those who have never bought.
VISITORS = "Visitors"


@dataclasses.dataclass(frozen=True, slots=True)
class Persona:
    """The representative profile of one segment.

    Medians are over the segment's buyers (``None`` without any; ``gap_days`` over its repeat
    buyers), to two significant figures as they come from 1 % sketches. Favourites and traits
    are ``(name, count)`` pairs, largest first; the counts of categories and channels are the
    summed counts of the profiles.
    """

    segment: str
    size: int
    share: float
    buyers: int
    order_value: float | None
    orders: int | None
    spend: float | None
    gap_days: float | None
    discount_share: float
    refund_share: float
    categories: Counts
    channels: Counts
    visit_weekdays: tuple[str, ...]
    visit_hours: tuple[int, ...]
    order_weekdays: tuple[str, ...]
    order_hours: tuple[int, ...]
    order_months: tuple[str, ...]
    countries: Counts
    age_bands: Counts


class _TopK:
    """Space-saving counter: the heaviest names of a weighted stream, in ``capacity`` slots."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._counts: dict[str, int] = {}

    def update(self, name: str, w: int = 1) -> None:
        if name in self._counts or len(self._counts) < self.capacity:
            self._counts[name] = self._counts.get(name, 0) + w
            return
        # A new name takes over the lightest slot and inherits its count: an over-estimate
        # bounded by that count, which is what lets frequent names never be lost.
        lightest = min(self._counts, key=lambda k: (self._counts[k], k))
        self._counts[name] = self._counts.pop(lightest) + w

    def top(self, k: int) -> Counts:
        return tuple(sorted(self._counts.items(), key=lambda item: (-item[1], item[0]))[:k])


def _add(total: list[int], counts: tuple[int, ...], size: int) -> list[int]:
    if not counts:
        return total
    if not total:
        total = [0] * size
    return [a + b for a, b in zip(total, counts, strict=True)]


class _Segment:
    def __init__(self, capacity: int, relative_accuracy: float) -> None:
        self.size = 0
        self.buyers = 0
        self.orders_total = 0
        self.discount_orders = 0
        self.revenue = 0.0
        self.refunded = 0.0
        self.order_value = LogHistogram(relative_accuracy)
        self.orders = LogHistogram(relative_accuracy, min_value=0.5)
        self.spend = LogHistogram(relative_accuracy)
        self.gap = LogHistogram(relative_accuracy)
        self.categories = _TopK(capacity)
        self.channels = _TopK(capacity)
        self.countries = _TopK(capacity)
        self.age_bands = _TopK(capacity)
        self.visit_weekdays: list[int] = []
        self.visit_hours: list[int] = []
        self.order_weekdays: list[int] = []
        self.order_hours: list[int] = []
        self.order_months: list[int] = []

    def update(self, f: CustomerFacts) -> None:
        self.size += 1
        if f.orders > 0:
            self.buyers += 1
            self.orders_total += f.orders
            self.discount_orders += f.discount_orders
            self.revenue += f.revenue
            self.refunded += f.refunded
            self.order_value.update(f.revenue / f.orders)
            self.orders.update(f.orders)
            self.spend.update(f.net_spend)
            gap = mean_gap_days(f)
            if gap is not None:
                self.gap.update(gap)
        for name, count in f.categories:
            self.categories.update(name, count)
        for name, count in f.channels:
            self.channels.update(name, count)
        if f.country:
            self.countries.update(f.country)
        if f.age_band:
            self.age_bands.update(f.age_band)
        self.visit_weekdays = _add(self.visit_weekdays, f.visit_weekdays, 7)
        self.visit_hours = _add(self.visit_hours, f.visit_hours, 24)
        self.order_weekdays = _add(self.order_weekdays, f.order_weekdays, 7)
        self.order_hours = _add(self.order_hours, f.order_hours, 24)
        self.order_months = _add(self.order_months, f.order_months, 12)


def _median(h: LogHistogram) -> float | None:
    # The sketch is good to 1 %, so two significant figures say all it knows: £28, not £27.94.
    if not h.n:
        return None
    value = h.quantile(0.5)
    if value <= 0:
        return 0.0
    return round(value, 1 - math.floor(math.log10(value)))


def _median_count(h: LogHistogram) -> int | None:
    # Counts below 50 fall one to a bucket, so rounding gives them back exactly.
    return round(h.quantile(0.5)) if h.n else None


class PersonaBuilder:
    """Personas learned one customer at a time.

    Parameters
    ----------
    top
        Favourites and traits reported per persona.
    capacity
        Names tracked per favourite or trait and segment (the memory bound); the ``top`` are
        exact while the names beyond ``capacity`` are rare.
    relative_accuracy
        Relative accuracy of the medians.

    Examples
    --------
    >>> import datetime as dt
    >>> builder = PersonaBuilder()
    >>> builder.learn_one(CustomerFacts("a", orders=2, revenue=50.0, order_days=1,
    ...                                 gap_days_total=14.0, categories=(("tea", 3),),
    ...                                 last_order_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
    ...                   "Loyal")
    >>> builder.learn_one(CustomerFacts("b", sessions=5), None)
    >>> [(p.segment, p.size, p.order_value, p.categories) for p in builder.personas()]
    [('Loyal', 1, 25.0, (('tea', 3),)), ('Visitors', 1, None, ())]

    """

    def __init__(self, top: int = 3, capacity: int = 32, relative_accuracy: float = 0.01) -> None:
        if capacity < top:
            raise ValueError(f"PersonaBuilder: expected capacity >= top ({top}), found {capacity}")
        self.top = top
        self.capacity = capacity
        self.relative_accuracy = relative_accuracy
        self._segments: dict[str, _Segment] = {}
        self._n = 0

    def learn_one(self, facts: CustomerFacts, segment: str | None) -> None:
        """Count one customer in ``segment`` (``None``: never bought, one of :data:`VISITORS`)."""
        name = VISITORS if segment is None else segment
        seg = self._segments.get(name)
        if seg is None:
            seg = self._segments[name] = _Segment(self.capacity, self.relative_accuracy)
        seg.update(facts)
        self._n += 1

    def personas(self) -> list[Persona]:
        """One persona per segment seen, in the order of :data:`models.rfm.SEGMENTS`, then any
        other segment names alphabetically, then :data:`VISITORS`."""
        order: dict[str, int] = {name: i for i, name in enumerate(SEGMENTS)}
        names = sorted(
            self._segments,
            key=lambda s: (s == VISITORS, order.get(s, len(order)), s),
        )
        return [self._persona(name, self._segments[name]) for name in names]

    def _persona(self, name: str, s: _Segment) -> Persona:
        top = self.top
        return Persona(
            segment=name,
            size=s.size,
            share=s.size / self._n,
            buyers=s.buyers,
            order_value=_median(s.order_value),
            orders=_median_count(s.orders),
            spend=_median(s.spend),
            gap_days=_median(s.gap),
            discount_share=s.discount_orders / s.orders_total if s.orders_total else 0.0,
            refund_share=min(s.refunded / s.revenue, 1.0) if s.revenue > 0 else 0.0,
            categories=s.categories.top(top),
            channels=s.channels.top(top),
            visit_weekdays=tuple(WEEKDAY_NAMES[i] for i in peaks(tuple(s.visit_weekdays), top=top)),
            visit_hours=peaks(tuple(s.visit_hours), top=top),
            order_weekdays=tuple(WEEKDAY_NAMES[i] for i in peaks(tuple(s.order_weekdays), top=top)),
            order_hours=peaks(tuple(s.order_hours), top=top),
            order_months=tuple(
                MONTH_NAMES[i]
                for i in peaks(tuple(s.order_months), lift=SEASONAL_LIFT, top=top)
            ),
            countries=s.countries.top(top),
            age_bands=s.age_bands.top(top),
        )


def personas(customers: Iterable[tuple[CustomerFacts, str | None]]) -> list[Persona]:
    """The persona of every segment, from ``(facts, segment)`` pairs (see :class:`PersonaBuilder`).

    Examples
    --------
    >>> import datetime as dt
    >>> at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    >>> shop = [(CustomerFacts(f"c{i}", orders=i, revenue=20.0 * i, last_order_at=at,
    ...                        country="GB" if i % 3 else "FR"), "Champions") for i in range(1, 8)]
    >>> p = personas(shop)[0]
    >>> p.segment, p.size, p.orders, p.order_value, p.countries
    ('Champions', 7, 4, 20.0, (('GB', 5), ('FR', 2)))

    """
    builder = PersonaBuilder()
    for facts, segment in customers:
        builder.learn_one(facts, segment)
    return builder.personas()


def describe(persona: Persona, currency: str = "GBP") -> str:
    """The persona in one sentence, for a marketer's page.

    Examples
    --------
    >>> import datetime as dt
    >>> at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    >>> p = personas([(CustomerFacts("c1", orders=12, revenue=336.0, last_order_at=at,
    ...                              categories=(("tea", 9),)), "Champions")])[0]
    >>> print(describe(p))
    Champions: 1 customer (100 % of all); typically 12 orders of £28; spent £330; likes tea

    """
    size = f"{plural(persona.size, 'customer')} ({percent(persona.share)} of all)"
    parts = [f"{persona.segment}: {size}"]
    if persona.orders is not None and persona.order_value is not None:
        parts.append(
            f"typically {plural(persona.orders, 'order')} of {money(persona.order_value, currency)}"
        )
    if persona.spend is not None:
        parts.append(f"spent {money(persona.spend, currency)}")
    if persona.gap_days is not None:
        parts.append(f"buys every {persona.gap_days:g} days")
    if persona.discount_share >= 0.05:
        parts.append(f"{percent(persona.discount_share)} of orders discounted")
    if persona.categories:
        parts.append("likes " + ", ".join(name for name, _ in persona.categories))
    if persona.channels:
        parts.append("comes via " + ", ".join(name for name, _ in persona.channels))
    days = persona.visit_weekdays or persona.order_weekdays
    hours = persona.visit_hours or persona.order_hours
    if days or hours:
        when = ", ".join(days)
        if hours:
            when += (" " if when else "") + "around " + ", ".join(f"{h}h" for h in hours)
        parts.append(f"active {when}")
    if persona.order_months:
        parts.append("buys most in " + ", ".join(persona.order_months))
    if persona.countries:
        parts.append("from " + ", ".join(name for name, _ in persona.countries))
    if persona.age_bands:
        parts.append("aged " + ", ".join(name for name, _ in persona.age_bands))
    return "; ".join(parts)
