"""A demo shop with a past: months of visits and orders, then the visits happening now.

The live shop of :mod:`streams.demo.shop` starts from nobody, so every customer is new and
every offer is a first-basket one.  Here most shoppers have a history — loyal buyers who
come back every week or two and pay full price, bargain hunters who buy with a code,
valuable customers who bought big and then drifted away, serial returners, one-time buyers,
lookers who never buy — replayed in event time before the shop goes live.  Then some of them
come back (and abandon a cart or a checkout, or buy), with new visitors among them, and the
offer each one gets depends on who they turned out to be.

Each shopper's history and live visit are built by one :class:`~streams.demo.shop.Visitor`,
so the same ids, devices and carts carry over from the past into the live visit.  A seed
always gives the same shop, relative to ``now``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from streams.core.events import OrderRefunded
from streams.demo.shop import Product, Shopper, Visitor
from streams.demo.simulate import CATALOG

#: The dearer half of the catalogue: what big spenders buy.
DEAR: tuple[Product, ...] = tuple(p for p in CATALOG if p[2] >= 65)
CHEAP: tuple[Product, ...] = tuple(p for p in CATALOG if p[2] < 40)


@dataclass(frozen=True, slots=True)
class Past:
    """The span of the history: its visits happen between ``begin`` and ``end``."""

    begin: datetime
    end: datetime

    def days(self) -> float:
        return (self.end - self.begin).total_seconds() / 86_400

    def at(self, day: float, rng: random.Random) -> datetime:
        """``day`` days into the history, at a random daytime hour (the shop's customers sleep)."""
        moment = self.begin + timedelta(days=int(day), hours=rng.uniform(8, 21))
        return min(moment, self.end)


def _every(past: Past, rng: random.Random, gap: tuple[float, float], *, until: float | None = None) -> list[float]:
    """Days of visits, ``gap`` days apart (a random first one), up to ``until`` days in."""
    last = past.days() if until is None else until
    days, day = [], rng.uniform(0, gap[1])
    while day < last:
        days.append(day)
        day += rng.uniform(*gap)
    return days


def _visit_on(v: Visitor, past: Past, day: float) -> None:
    v.at = past.at(day, v.rng)
    v.visit()
    if v.user_id is not None and not v.logged_in:
        v.login()


def _buy(v: Visitor, picks: list[Product], discount: float = 0.0) -> None:
    for product in picks:
        v.view(product)
        v.add(product)
    v.checkout(with_products=True)
    v.order(discount)


# ---------------------------------------------------------------- histories


def _leave_and_maybe_return(v: Visitor, products: list[Product], back: float, discount: float = 0.0) -> None:
    """Fill a cart and leave; with chance ``back``, come back within the hour and buy it."""
    for product in products:
        v.view(product)
        v.add(product)
    if v.rng.random() < back:
        v.at += timedelta(minutes=v.rng.uniform(15, 50))
        v.visit()
        v.view_cart(with_products=True)
        v.checkout(with_products=True)
        v.order(discount)


def _loyal_history(v: Visitor, past: Past) -> None:
    """Every week or two, most visits end in a full-price order of a product or two; now and then a cart left."""
    for day in _every(past, v.rng, (6, 16)):
        _visit_on(v, past, day)
        luck = v.rng.random()
        if luck < 0.6:
            _buy(v, v.rng.sample(CATALOG, v.rng.randint(1, 2)))
        elif luck < 0.85:
            _leave_and_maybe_return(v, v.rng.sample(CATALOG, v.rng.randint(1, 2)), back=0.5)
        else:
            v.view(v.rng.choice(CATALOG))


def _drifting_history(v: Visitor, past: Past) -> None:
    """Big baskets of dear products in the first half of the history, then nothing."""
    for day in _every(past, v.rng, (5, 12), until=past.days() * 0.45):
        _visit_on(v, past, day)
        if v.rng.random() < 0.8:
            _buy(v, v.rng.sample(DEAR, v.rng.randint(2, 4)))
        else:
            _leave_and_maybe_return(v, v.rng.sample(DEAR, 2), back=0.5)


def _bargain_history(v: Visitor, past: Past) -> None:
    """A cheap product with a code every few weeks; looks at the sale in between."""
    for day in _every(past, v.rng, (10, 30)):
        _visit_on(v, past, day)
        v.search("sale")
        luck = v.rng.random()
        if luck < 0.6:
            _buy(v, [v.rng.choice(CHEAP)], discount=v.rng.choice((0.15, 0.2, 0.3)))
        elif luck < 0.9:
            _leave_and_maybe_return(v, [v.rng.choice(CHEAP)], back=0.35, discount=0.2)


def _returner_history(v: Visitor, past: Past) -> None:
    """Orders often and sends most of it back."""
    for day in _every(past, v.rng, (8, 20)):
        _visit_on(v, past, day)
        _buy(v, v.rng.sample(CATALOG, v.rng.randint(2, 3)))
        order = v.events[-1]
        back = v.at + timedelta(days=v.rng.uniform(3, 9))
        if v.rng.random() < 0.7 and back < past.end:
            v.at = back
            v.events.append(OrderRefunded(
                type="order_refunded", order_id=order.order_id,  # type: ignore[attr-defined]
                amount=round(order.total * v.rng.uniform(0.6, 1.0), 2),  # type: ignore[attr-defined]
                reason="returned", **v._common()))


def _one_time_history(v: Visitor, past: Past) -> None:
    """One small order long ago."""
    _visit_on(v, past, v.rng.uniform(0, past.days() * 0.5))
    _buy(v, [v.rng.choice(CHEAP)])


def _looker_history(v: Visitor, past: Past) -> None:
    """Anonymous visits every few weeks; never buys."""
    for day in _every(past, v.rng, (12, 35)):
        _visit_on(v, past, day)
        if v.rng.random() < 0.3:
            product = v.rng.choice(CATALOG)
            for _ in range(3):
                v.view(product, dwell=(30, 120))
        else:
            for product in v.rng.sample(CATALOG, 2):
                v.view(product, dwell=(2, 10))


def _no_history(v: Visitor, past: Past) -> None:
    """A new visitor: today is their first visit."""


# -------------------------------------------------------------- live visits


def _abandons_cart(v: Visitor) -> None:
    v.visit()
    if v.user_id is not None and not v.logged_in:
        v.login()
    for product in v.rng.sample(CATALOG, v.rng.randint(1, 2)):
        v.view(product)
        v.add(product)
    v.abandoned("cart_abandoned")


def _abandons_checkout(v: Visitor) -> None:
    v.visit()
    if v.user_id is not None and not v.logged_in:
        v.login()
    product = v.rng.choice(CATALOG)
    v.view(product)
    v.add(product)
    v.checkout(with_products=True)
    v.abandoned("checkout_abandoned")


def _abandons_dear_cart(v: Visitor) -> None:
    v.visit()
    if not v.logged_in:
        v.login()
    for product in v.rng.sample(DEAR, 2):
        v.view(product)
        v.add(product)
    v.abandoned("cart_abandoned")


def _abandons_then_buys(v: Visitor) -> None:
    """Leaves a cart, and comes back a few (compressed) minutes later to buy it: within the offer's validity."""
    _abandons_cart(v)
    v.at += v.session_timeout * v.rng.uniform(2.3, 2.8)  # after the visit closes (timeout and lateness)
    v.visit()
    v.view_cart(with_products=True)
    v.checkout(with_products=True)
    v.order()


def _buys(v: Visitor) -> None:
    v.visit()
    if v.user_id is not None and not v.logged_in:
        v.login()
    _buy(v, [v.rng.choice(CATALOG)])


def _researches(v: Visitor) -> None:
    v.visit()
    product = v.rng.choice(CATALOG)
    for _ in range(v.rng.randint(3, 4)):
        v.view(product, dwell=(60, 240))
    v.abandoned("browse_abandoned")


def _opted_out(v: Visitor) -> None:
    v.visit()
    v.login(consent=False)
    product = v.rng.choice(CATALOG)
    v.view(product)
    v.add(product)
    v.abandoned("cart_abandoned")


def _either(*choices: Callable[[Visitor], None]) -> Callable[[Visitor], None]:
    return lambda v: v.rng.choice(choices)(v)


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of shopper: their past, what they do now (None: not back today), their share, an account."""

    name: str
    past: Callable[[Visitor, Past], None]
    now: Callable[[Visitor], None] | None
    share: float
    account: bool
    #: Of those with a past, the share that comes back while the demo is live.
    back: float = 1.0


KINDS: tuple[Kind, ...] = (
    Kind("loyal buyer", _loyal_history, _either(_abandons_checkout, _abandons_cart, _abandons_then_buys, _buys), 0.2,
         True, 0.5),
    Kind("big spender drifting away", _drifting_history, _abandons_dear_cart, 0.1, True, 0.6),
    Kind("bargain hunter", _bargain_history, _either(_abandons_cart, _buys), 0.12, True, 0.4),
    Kind("serial returner", _returner_history, _abandons_cart, 0.06, True, 0.3),
    Kind("one-time buyer", _one_time_history, _abandons_cart, 0.12, True, 0.25),
    Kind("looker", _looker_history, _researches, 0.14, False, 0.3),
    Kind("new visitor", _no_history, _either(_abandons_cart, _abandons_then_buys), 0.16, True),
    Kind("new researcher", _no_history, _researches, 0.05, False),
    Kind("opted-out visitor", _no_history, _opted_out, 0.05, True),
)


def shop_with_history(
    shoppers: int, *, seed: int, past: Past, live_start: datetime, live_spread: timedelta, pace: timedelta,
    session_timeout: timedelta, currency: str = "GBP",
) -> tuple[list[Shopper], datetime]:
    """``shoppers`` shoppers with their history in ``past`` and, for those back today, a visit from ``live_start``.

    Their prices and orders are in ``currency`` (ISO 4217), the shop's.

    Returns the shoppers (their ``expected`` abandonments are those of the live visits only)
    and the time the live part begins: every event before it is history.
    """
    rng = random.Random(seed)
    weights = [k.share for k in KINDS]
    out = []
    for n in range(shoppers):
        kind = rng.choices(KINDS, weights)[0]
        own = random.Random(rng.getrandbits(64))
        user_id = f"u-{seed % 1000:03d}-{n:05d}" if kind.account else None
        visitor = Visitor(own, user_id, f"anon-{seed % 1000:03d}-{n:05d}-{own.getrandbits(32):08x}", past.begin,
                          pace, (timedelta(0), timedelta(0)), new_device=0.1, session_timeout=session_timeout,
                          currency=currency)
        kind.past(visitor, past)
        if kind.now is not None and own.random() < kind.back:
            visitor.at = live_start + live_spread * own.random()
            visitor.expected.clear()
            kind.now(visitor)
        if visitor.events:
            out.append(Shopper(visitor.user_id, dict(visitor.anonymous_ids), kind.name, tuple(visitor.events),
                               tuple(visitor.tail), tuple(visitor.expected), visitor.visits, currency))
    return out, live_start


def passer_by(n: int, *, seed: int, at: datetime, pace: timedelta) -> Shopper:
    """An anonymous visitor who lands on the home page and goes: the traffic that keeps a live shop's clock going.

    On the event-time clock, time moves with the events read: without this trickle of
    visits the last live visits would never time out.
    """
    rng = random.Random(seed * 1_000_003 + n)
    visitor = Visitor(rng, None, f"anon-passer-{seed % 1000:03d}-{n:05d}", at, pace, (timedelta(0), timedelta(0)),
                      new_device=0.0)
    visitor.visit()
    return Shopper(None, dict(visitor.anonymous_ids), "passer-by", tuple(visitor.events), tuple(visitor.tail), (), 1)
