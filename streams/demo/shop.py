"""A simulated shop that behaves like a real one: returning visitors, carts that outlive a visit, logins mid-visit.

What a real store's clickstream looks like, and :mod:`streams.demo.simulate`'s one-visit
shoppers do not show: a visitor arrives anonymous (a cookie id) and logs in part-way
through a visit; comes back hours or days later; fills a cart in one visit and checks out
in a later one, sometimes with the checkout carrying the cart's products; and the site
sends a long tail of events the tracker has no event of its own for (promotions viewed,
checkout steps, pop-ups, wish lists: only activity in the visit to it), which only the
tracking spec's messages carry
(:mod:`streams.demo.messages`).

Each :class:`Shopper` says, for every visit that ended with interest left behind, which
customer id it belongs to and what kind of abandonment it was (``expected``) — the
behaviour, not what the offer policy makes of it (a frequency cap, a missing consent or a
login may still stop the offer).  A seed always gives the same shop.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from streams.core.events import (
    AnyEvent,
    CartItemAdded,
    CartItemRemoved,
    CartProduct,
    CartViewed,
    CheckoutStarted,
    CustomerIdentified,
    CustomerTraits,
    LineItem,
    OrderPlaced,
    PageViewed,
    ProductViewed,
    Searched,
)
from streams.demo.simulate import CATALOG, CHANNELS, COUNTRIES

Product = tuple[str, str, float]

#: Track events a shop sends that only its spec messages carry, most frequent first (a long tail; the
#: tracker has no event of its own for all but a checkout step viewed: they are visit activity).
TAIL_EVENTS = (
    "Product List Viewed", "Product Clicked", "Promotion Viewed", "Checkout Step Viewed", "Checkout Step Completed",
    "Pop-up Email Viewed", "Payment Info Entered", "Product List Filtered", "Promotion Clicked", "Coupon Entered",
    "Coupon Applied", "Product Added to Wishlist", "Size Guide Viewed", "Product Shared", "Newsletter Signed Up",
    "Chat Opened", "Review Read", "Coupon Denied", "Video Played", "Store Locator Viewed", "Currency Changed",
    "Gift Card Viewed", "Delivery Options Viewed", "Product Reviewed", "Wishlist Viewed", "Referral Link Copied",
    "Cookie Banner Accepted", "Back In Stock Requested",
)


@dataclass(frozen=True, slots=True)
class Tail:
    """An event of the long tail: only a spec message carries it."""

    at: datetime
    message_id: str
    name: str
    customer_id: str
    session_id: str


@dataclass(frozen=True, slots=True)
class Shopper:
    """One shopper's history: the tracker events of all their visits, the tail, and what each visit abandoned."""

    user_id: str | None
    #: The browser's anonymous id of each event and tail event, by its id (a new device has a new one).
    anonymous_ids: Mapping[str, str]
    persona: str
    events: tuple[AnyEvent, ...]
    tail: tuple[Tail, ...]
    #: (customer id, abandonment kind) of each visit that left interest behind.
    expected: tuple[tuple[str, str], ...]
    visits: int
    #: The shop's currency (ISO 4217) their prices and orders are in.
    currency: str = "GBP"

    @property
    def ids(self) -> tuple[str, ...]:
        """Every id the shopper is known by: their anonymous ids, and their user id."""
        anonymous = tuple(dict.fromkeys(self.anonymous_ids.values()))
        return anonymous if self.user_id is None else (*anonymous, self.user_id)


class Visitor:
    """Builds one shopper's visits: time moves a step per event, and a visit gap between visits."""

    def __init__(self, rng: random.Random, user_id: str | None, anonymous_id: str, start: datetime,
                 pace: timedelta, return_after: tuple[timedelta, timedelta], new_device: float,
                 session_timeout: timedelta = timedelta(minutes=30), currency: str = "GBP") -> None:
        self.rng = rng
        self.currency = currency
        self.user_id = user_id
        self.anonymous_id = anonymous_id
        self.at = start
        self.pace = pace
        self.return_after = return_after
        self.new_device = new_device
        self.session_timeout = session_timeout
        self.known = False  # logged in at some point: the browser keeps the user id from then on
        self.logged_in = False
        self.anonymous_ids: dict[str, str] = {}
        self.session_id = ""
        self.channel = rng.choice(CHANNELS)
        self.cart: dict[str, tuple[int, Product]] = {}
        self.events: list[AnyEvent] = []
        self.tail: list[Tail] = []
        self.expected: list[tuple[str, str]] = []
        self.visits = 0

    @property
    def customer_id(self) -> str:
        return self.user_id if self.logged_in and self.user_id else self.anonymous_id

    def _id(self) -> str:
        return uuid.UUID(int=self.rng.getrandbits(128)).hex

    def _common(self) -> dict[str, object]:
        self.at += self.pace * self.rng.uniform(0.5, 1.5)
        event_id = self._id()
        self.anonymous_ids[event_id] = self.anonymous_id
        return {"event_id": event_id, "customer_id": self.customer_id, "occurred_at": self.at,
                "session_id": self.session_id}

    def visit(self) -> None:
        """A new visit: after a gap (from the second on), through a channel.

        Once logged in, the browser sends the user id on every later visit (analytics.js keeps
        it) — unless the shopper comes back on another device, which starts anonymous.
        """
        if self.visits:
            low, high = self.return_after
            self.at += low + (high - low) * self.rng.random()
            self.channel = self.rng.choice(CHANNELS)
            if self.known and self.rng.random() < self.new_device:
                self.anonymous_id = f"{self.anonymous_id.rsplit('-', 1)[0]}-{self.rng.getrandbits(32):08x}"
                self.logged_in = False
        self.visits += 1
        self.session_id = self._id()[:16]
        self.logged_in = self.known and self.logged_in
        self.events.append(PageViewed(type="page_viewed", url="/", page_type="home", channel=self.channel,
                                      dwell_seconds=self.rng.uniform(3, 20), **self._common()))
        self.noise()

    def noise(self, most: int = 2) -> None:
        """Some of the long tail (skewed: a few names are most of it)."""
        for _ in range(self.rng.randint(0, most)):
            self.tail_event(TAIL_EVENTS[min(int(self.rng.paretovariate(1.2)) - 1, len(TAIL_EVENTS) - 1)])

    def tail_event(self, name: str) -> None:
        """One event the tracker may or may not use, that only a spec message carries."""
        self.at += self.pace * self.rng.uniform(0.1, 0.5)
        tail = Tail(self.at, self._id(), name, self.customer_id, self.session_id)
        self.anonymous_ids[tail.message_id] = self.anonymous_id
        self.tail.append(tail)

    def login(self, consent: bool = True) -> None:
        assert self.user_id is not None
        country, zone = self.rng.choice(COUNTRIES)
        anonymous = self.anonymous_id
        self.logged_in = self.known = True
        traits = CustomerTraits(age_band=self.rng.choice(("18-24", "25-34", "35-44", "45-54", "55+")),
                                country=country, time_zone=zone)
        self.events.append(CustomerIdentified(type="customer_identified", anonymous_id=anonymous, traits=traits,
                                              marketing_consent=consent, **self._common()))

    def view(self, product: Product, dwell: tuple[float, float] = (10, 60)) -> None:
        product_id, category, price = product
        self.events.append(ProductViewed(type="product_viewed", product_id=product_id, category=category,
                                         price=price, dwell_seconds=self.rng.uniform(*dwell), **self._common()))
        self.noise(1)

    def search(self, query: str) -> None:
        self.events.append(Searched(type="searched", query=query, **self._common()))

    def add(self, product: Product, quantity: int = 1) -> None:
        product_id, category, price = product
        held, _ = self.cart.get(product_id, (0, product))
        self.cart[product_id] = (held + quantity, product)
        self.events.append(CartItemAdded(type="cart_item_added", product_id=product_id, quantity=quantity,
                                         price=price, category=category, **self._common()))

    def remove(self, product: Product) -> None:
        held, _ = self.cart.pop(product[0], (0, product))
        self.events.append(CartItemRemoved(type="cart_item_removed", product_id=product[0], quantity=max(held, 1),
                                           **self._common()))

    def _products(self) -> tuple[CartProduct, ...]:
        return tuple(CartProduct(product_id=p, quantity=q, price=price, category=c)
                     for p, (q, (_, c, price)) in sorted(self.cart.items()))

    def view_cart(self, with_products: bool) -> None:
        products = self._products() if with_products else None
        self.events.append(CartViewed(type="cart_viewed", products=products, **self._common()))

    def checkout(self, with_products: bool) -> None:
        products = self._products() if with_products else None
        value = round(sum(q * price for q, (_, _, price) in self.cart.values()), 2) if with_products else None
        self.events.append(CheckoutStarted(type="checkout_started", products=products, value=value,
                                           currency=self.currency if with_products else None, **self._common()))
        self.noise(3)  # checkout steps, payment info, coupons

    def order(self, discount: float = 0.0) -> None:
        items = tuple(LineItem(product_id=p, quantity=q, price=price, category=c)
                      for p, (q, (_, c, price)) in sorted(self.cart.items()))
        total = round(sum(i.quantity * (i.price or 0.0) for i in items), 2)
        off = round(total * discount, 2)
        common = self._common()
        self.events.append(OrderPlaced(type="order_placed", order_id=f"o-{str(common['event_id'])[:12]}",
                                       line_items=items, total=round(total - off, 2), currency=self.currency,
                                       discount_code=f"SAVE{int(discount * 100)}" if discount else None,
                                       discount_amount=off, **common))
        self.cart.clear()

    def abandoned(self, kind: str) -> None:
        """This visit ends here, leaving ``kind`` of interest behind."""
        self.expected.append((self.customer_id, kind))

    def products(self, n: int) -> list[Product]:
        return self.rng.sample(CATALOG, min(n, len(CATALOG)))


# ------------------------------------------------------------------ personas


def _loyal_buyer(v: Visitor) -> None:
    """Logged in (remembered), browses, later buys what they put in the cart."""
    v.visit()
    v.login()
    for product in v.products(v.rng.randint(1, 3)):
        v.view(product)
    for _ in range(v.rng.randint(0, 1)):
        v.visit()
        v.view(v.products(1)[0])
    v.visit()
    picks = v.products(v.rng.randint(1, 2))
    for product in picks:
        v.view(product)
        if not v.logged_in:
            v.login()
        v.add(product)
    v.checkout(with_products=v.rng.random() < 0.7)
    v.order()


def _bargain_hunter(v: Visitor) -> None:
    v.visit()
    v.search("sale")
    picks = v.products(3)
    for product in picks:
        v.view(product, dwell=(5, 20))
    v.login()
    v.add(picks[0])
    v.checkout(with_products=True)
    v.order(discount=v.rng.choice((0.1, 0.15, 0.2)))


def _looker(v: Visitor) -> None:
    for _ in range(v.rng.randint(1, 3)):
        v.visit()
        for product in v.products(2):
            v.view(product, dwell=(2, 10))


def _cart_abandoner(v: Visitor) -> None:
    """Arrives anonymous, logs in part-way through the visit, fills a cart and leaves."""
    v.visit()
    v.view(v.products(1)[0])
    v.login()
    for product in v.products(v.rng.randint(1, 3)):
        v.view(product)
        v.add(product)
    v.abandoned("cart_abandoned")


def _returning_checkout_abandoner(v: Visitor) -> None:
    """Fills a cart anonymously, comes back later, logs in, starts the checkout and leaves."""
    v.visit()
    for product in v.products(v.rng.randint(1, 3)):
        v.view(product)
        v.add(product, quantity=v.rng.randint(1, 2))
    v.abandoned("cart_abandoned")
    v.visit()
    v.login()
    if v.rng.random() < 0.5:
        v.view_cart(with_products=v.rng.random() < 0.5)
    v.checkout(with_products=v.rng.random() < 0.5)
    v.abandoned("checkout_abandoned")


def _returning_buyer(v: Visitor) -> None:
    """Fills a cart logged in and leaves; comes back later and buys it."""
    v.visit()
    v.login()
    picks = v.products(v.rng.randint(1, 2))
    for product in picks:
        v.view(product)
        v.add(product)
    v.abandoned("cart_abandoned")
    v.visit()
    if not v.logged_in:
        v.login()
    v.view_cart(with_products=v.rng.random() < 0.5)
    v.checkout(with_products=v.rng.random() < 0.5)
    v.order()


def _window_shopper(v: Visitor) -> None:
    """Fills a cart and leaves; the next visit only browses: an old cart alone is no new interest."""
    v.visit()
    v.login()
    product = v.products(1)[0]
    v.view(product)
    v.add(product)
    v.abandoned("cart_abandoned")
    v.visit()
    for other in v.products(2):
        v.view(other, dwell=(2, 10))


def _changes_their_mind(v: Visitor) -> None:
    """Adds two products, removes one, checks out the other and leaves."""
    v.visit()
    v.login()
    first, second = v.products(2)
    v.add(first)
    v.add(second)
    v.remove(first)
    v.checkout(with_products=v.rng.random() < 0.5)
    v.abandoned("checkout_abandoned")


def _slow_checkout(v: Visitor) -> None:
    """Starts the checkout and takes the better part of an hour over its steps before ordering."""
    v.visit()
    v.login()
    product = v.products(1)[0]
    v.view(product)
    v.add(product)
    v.checkout(with_products=True)
    for step in range(1, v.rng.randint(3, 5)):
        v.at += v.session_timeout * v.rng.uniform(0.35, 0.65)  # each step within a visit, all of them longer
        v.tail_event("Checkout Step Viewed")
        if v.rng.random() < 0.5:
            v.tail_event("Payment Info Entered")
    v.order()


def _researcher(v: Visitor) -> None:
    v.visit()
    product = v.products(1)[0]
    for _ in range(v.rng.randint(3, 5)):
        v.view(product, dwell=(60, 240))
    v.abandoned("browse_abandoned")


def _opted_out_abandoner(v: Visitor) -> None:
    v.visit()
    v.login(consent=False)
    product = v.products(1)[0]
    v.view(product)
    v.add(product)
    v.abandoned("cart_abandoned")


#: (name, journey, share of shoppers, has an account).
PERSONAS: tuple[tuple[str, Callable[[Visitor], None], float, bool], ...] = (
    ("loyal buyer", _loyal_buyer, 0.13, True),
    ("bargain hunter", _bargain_hunter, 0.08, True),
    ("looker", _looker, 0.17, False),
    ("cart abandoner", _cart_abandoner, 0.12, True),
    ("returning checkout abandoner", _returning_checkout_abandoner, 0.16, True),
    ("returning buyer", _returning_buyer, 0.1, True),
    ("window shopper", _window_shopper, 0.07, True),
    ("changes their mind", _changes_their_mind, 0.05, True),
    ("slow checkout", _slow_checkout, 0.03, True),
    ("researcher", _researcher, 0.08, False),
    ("opted-out abandoner", _opted_out_abandoner, 0.04, True),
)


def simulate_shop(
    shoppers: int, *, seed: int, start: datetime, pace: timedelta, spread: timedelta,
    return_after: tuple[timedelta, timedelta] = (timedelta(hours=2), timedelta(days=4)),
    session_timeout: timedelta = timedelta(minutes=30), currency: str = "GBP",
) -> list[Shopper]:
    """``shoppers`` histories whose first visits start within ``spread`` of ``start``, priced in ``currency``.

    ``pace`` is the mean time between a visitor's events, ``return_after`` the range of the
    time between two of their visits (make it longer than the session timeout plus the
    allowed lateness, or two visits are one); a slow checkout's steps are a good part of
    ``session_timeout`` apart.
    """
    rng = random.Random(seed)
    names, journeys, weights, accounts = zip(*PERSONAS)
    out = []
    for n in range(shoppers):
        k = rng.choices(range(len(PERSONAS)), weights)[0]
        own = random.Random(rng.getrandbits(64))
        visitor = Visitor(own, f"u-{seed % 1000:03d}-{n:05d}" if accounts[k] else None,
                          f"anon-{seed % 1000:03d}-{n:05d}-{own.getrandbits(32):08x}", start + spread * rng.random(),
                          pace, return_after, new_device=0.25, session_timeout=session_timeout, currency=currency)
        journeys[k](visitor)
        out.append(Shopper(visitor.user_id, dict(visitor.anonymous_ids), names[k], tuple(visitor.events),
                           tuple(visitor.tail), tuple(visitor.expected), visitor.visits, currency))
    return out


def shop_events(shoppers: list[Shopper]) -> Iterator[AnyEvent]:
    """Every shopper's tracker events, in the order they happened."""
    return iter(sorted((e for s in shoppers for e in s.events), key=lambda e: e.occurred_at))
