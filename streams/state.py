"""A customer's live state — profile and current session — and the pure updates on it.

``apply(state, event, timeout)`` is the whole of what an event does to a customer: it
returns the new state and, when the event arrives after the session went quiet for
longer than ``timeout``, the session that ended.  No I/O happens here; the Redis store
loads and saves these values and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeAlias

from streams.events import (
    AnyEvent,
    CartItemAdded,
    CartItemRemoved,
    CheckoutStarted,
    CustomerIdentified,
    FeedbackSubmitted,
    OrderPlaced,
    OrderRefunded,
    PageViewed,
    ProductViewed,
    Searched,
)

#: Bounded "top-k" counters kept on the profile: (name, count) pairs, largest first.
Counts: TypeAlias = tuple[tuple[str, int], ...]

TOP_CATEGORIES = 5
TOP_CHANNELS = 3
RECENT_PRODUCTS = 10

# Page types as the intent model knows them (the UCI data set's three page families).
ADMIN_PAGES = frozenset({"account", "login", "register", "cart", "checkout", "wishlist"})
INFO_PAGES = frozenset({"info", "about", "contact", "help", "faq", "blog", "content", "shipping"})
PRODUCT_PAGES = frozenset({"product", "category", "search", "listing", "home"})


@dataclass(frozen=True, slots=True)
class CartLine:
    product_id: str
    quantity: int
    price: float
    category: str | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """One visit: activity with no gap longer than the session timeout."""

    started_at: datetime
    last_event_at: datetime
    session_id: str | None = None
    events: int = 0
    page_views: int = 0
    admin_pages: int = 0
    admin_seconds: float = 0.0
    info_pages: int = 0
    info_seconds: float = 0.0
    product_pages: int = 0
    product_seconds: float = 0.0
    searches: int = 0
    product_views: int = 0
    #: Recently viewed products with their view counts, most viewed first.
    viewed: Counts = ()
    cart: tuple[CartLine, ...] = ()
    checkout_started: bool = False
    purchased: bool = False
    channel: str | None = None

    @property
    def cart_value(self) -> float:
        return round(sum(line.price * line.quantity for line in self.cart), 2)

    @property
    def cart_items(self) -> int:
        return sum(line.quantity for line in self.cart)

    @property
    def most_views_of_one_product(self) -> int:
        return max((count for _, count in self.viewed), default=0)


@dataclass(frozen=True, slots=True)
class Abandonment:
    """Interest a session showed and left: awaiting its offer decision at ``due_at``."""

    kind: str
    due_at: datetime
    session_started_at: datetime
    session_id: str | None = None
    products: tuple[CartLine, ...] = ()
    cart_value: float = 0.0


@dataclass(frozen=True, slots=True)
class OpenOffer:
    """An offer issued (or held out) whose outcome is not known yet."""

    offer_id: str
    kind: str
    issued_at: datetime
    expires_at: datetime
    code: str | None = None
    holdout: bool = False


@dataclass(frozen=True, slots=True)
class Profile:
    """Everything the tracker remembers about one customer; kept small (< 1 KB in Redis)."""

    first_seen: datetime | None = None
    last_seen: datetime | None = None
    page_views: int = 0
    sessions: int = 0
    product_views: int = 0
    cart_adds: int = 0
    checkouts: int = 0
    orders: int = 0
    revenue: float = 0.0
    refunds: int = 0
    refunded: float = 0.0
    discount_orders: int = 0
    discount_total: float = 0.0
    first_order_at: datetime | None = None
    last_order_at: datetime | None = None
    #: Sum of the days between consecutive orders; the mean gap is this / (orders - 1).
    gap_days_total: float = 0.0
    categories: Counts = ()
    channels: Counts = ()
    ratings: int = 0
    rating_total: int = 0
    complaints: int = 0
    age_band: str | None = None
    country: str | None = None
    time_zone: str | None = None
    locale: str | None = None
    consent: bool | None = None
    offers: int = 0
    last_offer_at: datetime | None = None
    holdouts: int = 0
    #: Purchases within an offer's validity: treated customers, held-out customers.
    conversions: int = 0
    holdout_conversions: int = 0
    pending: Abandonment | None = None
    open_offer: OpenOffer | None = None


@dataclass(frozen=True, slots=True)
class CustomerState:
    customer_id: str
    profile: Profile = field(default_factory=Profile)
    session: Session | None = None


def bump(counts: Counts, name: str, by: int, keep: int) -> Counts:
    """Add ``by`` to ``name`` in a bounded top-k counter.

    >>> bump((("shoes", 2),), "hats", 3, keep=5)
    (('hats', 3), ('shoes', 2))
    >>> bump((("shoes", 2), ("hats", 1)), "bags", 1, keep=2)
    (('shoes', 2), ('bags', 1))
    """
    merged = dict(counts)
    merged[name] = merged.get(name, 0) + by
    # Ties keep the newest name, so a bounded counter still notices new interests.
    ranked = sorted(merged.items(), key=lambda item: (-item[1], item[0] != name))
    return tuple(ranked[:keep])


def session_is_over(session: Session, now: datetime, timeout: timedelta) -> bool:
    """True once ``timeout`` has passed since the session's last event."""
    return now - session.last_event_at >= timeout


def apply(
    state: CustomerState, event: AnyEvent, timeout: timedelta
) -> tuple[CustomerState, Session | None]:
    """Apply one event; return the new state and the session it ended, if any."""
    at = event.occurred_at
    ended: Session | None = None
    session = state.session
    profile = state.profile
    is_order_event = isinstance(event, (OrderPlaced, OrderRefunded))

    if session is not None and at - session.last_event_at >= timeout:
        ended, session = session, None
    if session is None and not is_order_event:
        session = Session(started_at=at, last_event_at=at, session_id=event.session_id)
        profile = replace(profile, sessions=profile.sessions + 1)
    if session is not None and (not is_order_event or isinstance(event, OrderPlaced)):
        session = _touch(session, event)

    profile = replace(
        profile,
        first_seen=min(profile.first_seen or at, at),
        last_seen=max(profile.last_seen or at, at),
    )
    profile, session = _update(profile, session, event)
    if session is not None and not session.purchased and _bought_during(profile, session, timeout):
        session = replace(session, purchased=True)
    return CustomerState(state.customer_id, profile, session), ended


def _bought_during(profile: Profile, session: Session, timeout: timedelta) -> bool:
    # Orders come on their own topic and may be read before the visit they ended: a
    # session whose time span holds the latest order was a purchasing session.
    order_at = profile.last_order_at
    return order_at is not None and session.started_at <= order_at <= session.last_event_at + timeout


def _touch(session: Session, event: AnyEvent) -> Session:
    # Late events count but never move the session's clock backwards.
    return replace(
        session,
        last_event_at=max(session.last_event_at, event.occurred_at),
        session_id=event.session_id or session.session_id,
        events=session.events + 1,
    )


def _update(
    profile: Profile, session: Session | None, event: AnyEvent
) -> tuple[Profile, Session | None]:
    match event:
        case PageViewed():
            profile = replace(profile, page_views=profile.page_views + 1)
            if event.channel:
                profile = replace(profile, channels=bump(profile.channels, event.channel, 1, TOP_CHANNELS))
            if session is not None:
                session = _page(session, event.page_type, event.dwell_seconds or 0.0)
                if event.channel and session.channel is None:
                    session = replace(session, channel=event.channel)
        case ProductViewed():
            profile = replace(profile, product_views=profile.product_views + 1)
            if event.category:
                profile = replace(profile, categories=bump(profile.categories, event.category, 1, TOP_CATEGORIES))
            if session is not None:
                session = _page(session, "product", event.dwell_seconds or 0.0)
                session = replace(
                    session,
                    product_views=session.product_views + 1,
                    viewed=bump(session.viewed, event.product_id, 1, RECENT_PRODUCTS),
                )
        case Searched():
            if session is not None:
                session = replace(session, searches=session.searches + 1)
        case CartItemAdded():
            profile = replace(profile, cart_adds=profile.cart_adds + 1)
            if session is not None:
                session = replace(session, cart=_add_to_cart(session.cart, event))
        case CartItemRemoved():
            if session is not None:
                session = replace(session, cart=_remove_from_cart(session.cart, event))
        case CheckoutStarted():
            profile = replace(profile, checkouts=profile.checkouts + 1)
            if session is not None:
                session = replace(session, checkout_started=True)
        case CustomerIdentified():
            traits = event.traits
            profile = replace(
                profile,
                age_band=traits.age_band or profile.age_band,
                country=traits.country or profile.country,
                time_zone=traits.time_zone or profile.time_zone,
                locale=traits.locale or profile.locale,
                consent=profile.consent if event.marketing_consent is None else event.marketing_consent,
            )
        case FeedbackSubmitted():
            profile = replace(
                profile,
                ratings=profile.ratings + (event.rating is not None),
                rating_total=profile.rating_total + (event.rating or 0),
                complaints=profile.complaints + event.complaint,
            )
        case OrderPlaced():
            profile = _order(profile, event)
            if session is not None:
                session = replace(session, purchased=True, cart=(), checkout_started=False)
        case OrderRefunded():
            profile = replace(
                profile, refunds=profile.refunds + 1, refunded=round(profile.refunded + event.amount, 2)
            )
    return profile, session


def _page(session: Session, page_type: str, seconds: float) -> Session:
    kind = page_type.lower()
    session = replace(session, page_views=session.page_views + 1)
    if kind in ADMIN_PAGES:
        return replace(session, admin_pages=session.admin_pages + 1, admin_seconds=session.admin_seconds + seconds)
    if kind in INFO_PAGES:
        return replace(session, info_pages=session.info_pages + 1, info_seconds=session.info_seconds + seconds)
    if kind in PRODUCT_PAGES:
        return replace(
            session, product_pages=session.product_pages + 1, product_seconds=session.product_seconds + seconds
        )
    return session


def _add_to_cart(cart: tuple[CartLine, ...], event: CartItemAdded) -> tuple[CartLine, ...]:
    lines = list(cart)
    for i, line in enumerate(lines):
        if line.product_id == event.product_id:
            lines[i] = replace(line, quantity=line.quantity + event.quantity, price=event.price)
            return tuple(lines)
    return (*lines, CartLine(event.product_id, event.quantity, event.price, event.category))


def _remove_from_cart(cart: tuple[CartLine, ...], event: CartItemRemoved) -> tuple[CartLine, ...]:
    lines = []
    for line in cart:
        if line.product_id == event.product_id:
            line = replace(line, quantity=line.quantity - event.quantity)
        if line.quantity > 0:
            lines.append(line)
    return tuple(lines)


def _order(profile: Profile, order: OrderPlaced) -> Profile:
    at = order.occurred_at
    gap = 0.0
    if profile.last_order_at is not None and at > profile.last_order_at:
        gap = (at - profile.last_order_at).total_seconds() / 86_400
    categories = profile.categories
    for item in order.line_items:
        if item.category:
            categories = bump(categories, item.category, item.quantity, TOP_CATEGORIES)
    discounted = bool(order.discount_code) or order.discount_amount > 0
    return replace(
        profile,
        orders=profile.orders + 1,
        revenue=round(profile.revenue + order.total, 2),
        discount_orders=profile.discount_orders + discounted,
        discount_total=round(profile.discount_total + order.discount_amount, 2),
        first_order_at=min(profile.first_order_at or at, at),
        last_order_at=max(profile.last_order_at or at, at),
        gap_days_total=round(profile.gap_days_total + gap, 4),
        categories=categories,
    )


def close_session(state: CustomerState) -> CustomerState:
    """The state once its session is over: the session is dropped, the profile stays."""
    return replace(state, session=None)
