"""A realistic simulated clickstream: shoppers of several kinds, as the site would send them.

Each simulated customer follows the journey of a persona — a loyal buyer who logs in
and buys at full price, a bargain hunter who buys with a code, a looker, a cart or
checkout abandoner, a researcher who views one product over and over — with random
products, prices, dwell times and channels drawn from a seeded generator, so a seed
always gives the same stream.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from streams.core.events import (
    AnyEvent,
    CartItemAdded,
    CheckoutStarted,
    CustomerIdentified,
    CustomerTraits,
    FeedbackSubmitted,
    LineItem,
    OrderPlaced,
    PageViewed,
    ProductViewed,
    Searched,
)

CATALOG: tuple[tuple[str, str, float], ...] = tuple(
    (f"{category[:3]}-{i:03d}", category, price)
    for category, prices in {
        "shoes": (59.0, 89.0, 120.0, 45.0),
        "jackets": (99.0, 149.0, 210.0),
        "bags": (35.0, 79.0, 129.0),
        "books": (9.99, 14.5, 22.0, 7.5),
        "kitchen": (19.0, 34.0, 65.0),
        "toys": (12.0, 25.0, 49.0),
    }.items()
    for i, price in enumerate(prices)
)
CHANNELS = ("organic", "email", "paid_search", "social", "direct")
COUNTRIES = (("GB", "Europe/London"), ("DE", "Europe/Berlin"), ("FR", "Europe/Paris"), ("US", "America/New_York"))


@dataclass(frozen=True, slots=True)
class Persona:
    name: str
    #: What an ended session of this persona should produce, for the demo's summary.
    expected_trigger: str | None
    journey: Callable[[Journey], None]


class Journey:
    """Builds one customer's events, one step of simulated time apart."""

    def __init__(self, rng: random.Random, customer_id: str, start: datetime, pace: timedelta,
                 currency: str = "GBP") -> None:
        self.rng = rng
        self.currency = currency
        self.customer_id = customer_id
        self.session_id = uuid.UUID(int=rng.getrandbits(128)).hex[:16]
        self.at = start
        self.pace = pace
        self.events: list[AnyEvent] = []
        self.channel = rng.choice(CHANNELS)

    def _common(self) -> dict[str, object]:
        self.at += self.pace * self.rng.uniform(0.5, 1.5)
        return {
            "event_id": uuid.UUID(int=self.rng.getrandbits(128)).hex,
            "customer_id": self.customer_id,
            "occurred_at": self.at,
            "session_id": self.session_id,
        }

    def land(self) -> None:
        self.events.append(
            PageViewed(type="page_viewed", url="/", page_type="home", channel=self.channel,
                       dwell_seconds=self.rng.uniform(3, 20), **self._common())
        )

    def login(self, consent: bool) -> None:
        country, zone = self.rng.choice(COUNTRIES)
        traits = CustomerTraits(age_band=self.rng.choice(("18-24", "25-34", "35-44", "45-54", "55+")),
                                country=country, time_zone=zone)
        self.events.append(
            CustomerIdentified(type="customer_identified", traits=traits, marketing_consent=consent, **self._common())
        )

    def view(self, product: tuple[str, str, float], dwell: tuple[float, float] = (10, 60)) -> None:
        product_id, category, price = product
        self.events.append(
            ProductViewed(type="product_viewed", product_id=product_id, category=category, price=price,
                          dwell_seconds=self.rng.uniform(*dwell), **self._common())
        )

    def search(self, query: str) -> None:
        self.events.append(Searched(type="searched", query=query, **self._common()))

    def add(self, product: tuple[str, str, float], quantity: int = 1) -> None:
        product_id, category, price = product
        self.events.append(
            CartItemAdded(type="cart_item_added", product_id=product_id, quantity=quantity, price=price,
                          category=category, **self._common())
        )

    def checkout(self) -> None:
        self.events.append(CheckoutStarted(type="checkout_started", **self._common()))

    def order(self, products: list[tuple[str, str, float]], discount: float = 0.0) -> None:
        items = tuple(LineItem(product_id=p, price=price, category=c) for p, c, price in products)
        total = round(sum(price for _, _, price in products), 2)
        discount_amount = round(total * discount, 2)
        common = self._common()
        self.events.append(
            OrderPlaced(type="order_placed", order_id=f"o-{common['event_id'][:12]}", line_items=items,
                        total=round(total - discount_amount, 2), currency=self.currency,
                        discount_code="SAVE" + str(int(discount * 100)) if discount else None,
                        discount_amount=discount_amount, **common)
        )

    def rate(self, rating: int) -> None:
        self.events.append(FeedbackSubmitted(type="feedback_submitted", rating=rating, **self._common()))

    def products(self, n: int, category: str | None = None) -> list[tuple[str, str, float]]:
        pool = [p for p in CATALOG if category is None or p[1] == category]
        return self.rng.sample(pool, min(n, len(pool)))


def _loyal_buyer(j: Journey) -> None:
    j.land()
    j.login(consent=True)
    picks = j.products(j.rng.randint(1, 2))
    for product in picks:
        j.view(product)
        j.add(product)
    j.checkout()
    j.order(picks)
    j.rate(j.rng.choice((4, 5)))


def _bargain_hunter(j: Journey) -> None:
    j.land()
    j.login(consent=True)
    j.search("sale")
    picks = j.products(3)
    for product in picks:
        j.view(product, dwell=(5, 20))
    j.add(picks[0])
    j.checkout()
    j.order(picks[:1], discount=j.rng.choice((0.1, 0.15, 0.2)))


def _looker(j: Journey) -> None:
    j.land()
    for product in j.products(2):
        j.view(product, dwell=(2, 10))


def _cart_abandoner(j: Journey) -> None:
    j.land()
    j.login(consent=True)
    picks = j.products(j.rng.randint(1, 3))
    for product in picks:
        j.view(product)
        j.add(product)


def _checkout_abandoner(j: Journey) -> None:
    j.land()
    j.login(consent=True)
    product = j.products(1)[0]
    j.view(product)
    j.add(product, quantity=j.rng.randint(1, 2))
    j.checkout()


def _researcher(j: Journey) -> None:
    j.land()
    product = j.products(1)[0]
    for _ in range(j.rng.randint(3, 5)):
        j.view(product, dwell=(60, 240))


def _opted_out_abandoner(j: Journey) -> None:
    j.land()
    j.login(consent=False)
    product = j.products(1)[0]
    j.view(product)
    j.add(product)


PERSONAS: tuple[tuple[Persona, float], ...] = (
    (Persona("loyal buyer", None, _loyal_buyer), 0.2),
    (Persona("bargain hunter", None, _bargain_hunter), 0.15),
    (Persona("looker", None, _looker), 0.2),
    (Persona("cart abandoner", "cart_abandoned", _cart_abandoner), 0.2),
    (Persona("checkout abandoner", "checkout_abandoned", _checkout_abandoner), 0.1),
    (Persona("researcher", "browse_abandoned", _researcher), 0.1),
    (Persona("opted-out abandoner", None, _opted_out_abandoner), 0.05),
)


@dataclass(frozen=True, slots=True)
class SimulatedCustomer:
    customer_id: str
    persona: Persona
    events: tuple[AnyEvent, ...]


def simulate(
    customers: int, *, seed: int, start: datetime, pace: timedelta, spread: timedelta, currency: str = "GBP",
) -> list[SimulatedCustomer]:
    """``customers`` journeys starting at random times within ``spread`` of ``start``, their orders in ``currency``."""
    rng = random.Random(seed)
    personas, weights = zip(*PERSONAS)
    out = []
    for n in range(customers):
        persona = rng.choices(personas, weights)[0]
        begin = start + spread * rng.random()
        journey = Journey(random.Random(rng.getrandbits(64)), f"c-{seed % 1000:03d}-{n:05d}", begin, pace, currency)
        persona.journey(journey)
        out.append(SimulatedCustomer(journey.customer_id, persona, tuple(journey.events)))
    return out


def in_time_order(customers: list[SimulatedCustomer]) -> Iterator[AnyEvent]:
    """All the customers' events merged in the order they happened."""
    events = [event for customer in customers for event in customer.events]
    return iter(sorted(events, key=lambda event: event.occurred_at))
