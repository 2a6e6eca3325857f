"""A customer's live state — profile and current session — and the pure updates on it.

``apply(state, event, timeout)`` is the whole of what an event does to a customer: it
returns the new state and, when the event arrives after the session went quiet for
longer than ``timeout``, the session that ended.  No I/O happens here; the Redis store
loads and saves these values and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
from streams.frozen import replace

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
    #: Latest purchase probability from the intent model.
    intent: float | None = None

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
    #: Distinct days with an order after the first one (BG/NBD's x).
    order_days: int = 0
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
    #: Latest model scores: purchase intent of the current visit, P(buys again in 90 days).
    intent: float | None = None
    loyalty: float | None = None
    #: When the customer visits and buys, in their local time (UTC until a time zone is known):
    #: counts per hour of day (24), weekday (7, Monday first) and month (12); empty until used.
    visit_hours: tuple[int, ...] = ()
    visit_weekdays: tuple[int, ...] = ()
    order_hours: tuple[int, ...] = ()
    order_weekdays: tuple[int, ...] = ()
    order_months: tuple[int, ...] = ()
    #: Total length of the ended sessions, and pages of content (info, blog, help) read.
    session_seconds: float = 0.0
    content_pages: int = 0
    #: Anonymous visitor ids whose history was merged into this profile (bounded), or the
    #: customer this anonymous profile was merged into.
    merged_ids: tuple[str, ...] = ()
    merged_into: str | None = None
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
        profile = session_ended(profile, ended)
    if session is None and not is_order_event:
        session = Session(started_at=at, last_event_at=at, session_id=event.session_id)
        local = _local(at, profile.time_zone)
        profile = replace(
            profile,
            sessions=profile.sessions + 1,
            visit_hours=_count(profile.visit_hours, 24, local.hour),
            visit_weekdays=_count(profile.visit_weekdays, 7, local.weekday()),
        )
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


def session_ended(profile: Profile, session: Session) -> Profile:
    """The profile once ``session`` is over: its length counts toward the customer's habits."""
    seconds = max((session.last_event_at - session.started_at).total_seconds(), 0.0)
    return replace(profile, session_seconds=round(profile.session_seconds + seconds, 1))


def _count(histogram: tuple[int, ...], size: int, index: int) -> tuple[int, ...]:
    counts = list(histogram) if histogram else [0] * size
    counts[index] += 1
    return tuple(counts)


def _local(at: datetime, time_zone: str | None) -> datetime:
    if time_zone:
        try:
            return at.astimezone(ZoneInfo(time_zone))
        except (ZoneInfoNotFoundError, ValueError):
            pass  # an unknown zone name from a site: UTC is the honest fallback
    return at.astimezone(timezone.utc)


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
            profile = replace(
                profile,
                page_views=profile.page_views + 1,
                content_pages=profile.content_pages + (event.page_type.lower() in INFO_PAGES),
            )
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
                # The cart stays as it was: the intent model learns from what led to the purchase.
                session = replace(session, purchased=True)
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
    new_day = profile.last_order_at is not None and at > profile.last_order_at and (
        at.date() != profile.last_order_at.date())
    local = _local(at, profile.time_zone)
    return replace(
        profile,
        order_hours=_count(profile.order_hours, 24, local.hour),
        order_weekdays=_count(profile.order_weekdays, 7, local.weekday()),
        order_months=_count(profile.order_months, 12, local.month - 1),
        order_days=profile.order_days + new_day,
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
    """The state once its session is over: the session is dropped, its length counted."""
    if state.session is None:
        return state
    return replace(state, profile=session_ended(state.profile, state.session), session=None)


MERGED_IDS_KEPT = 5


def stitch(customer: CustomerState, visitor: CustomerState) -> tuple[CustomerState, CustomerState | None]:
    """Merge an anonymous visitor's history into the customer who just logged in, once.

    Returns the customer's new state and the visitor's, marked as merged (``None`` when
    there was nothing to merge or it was merged before: a visitor id is merged only once).
    """
    visitor_id = visitor.customer_id
    p, v = customer.profile, visitor.profile
    if visitor_id == customer.customer_id or visitor_id in p.merged_ids or v.merged_into is not None:
        return customer, None
    if v.first_seen is None:  # the visitor never did anything
        return customer, None
    merged = merge_profiles(p, v)
    merged = replace(merged, merged_ids=(*p.merged_ids, visitor_id)[-MERGED_IDS_KEPT:])
    return replace(customer, profile=merged), replace(visitor, profile=replace(v, merged_into=customer.customer_id))


_SUMMED = (
    "page_views", "sessions", "product_views", "cart_adds", "checkouts", "orders", "refunds",
    "discount_orders", "ratings", "rating_total", "complaints", "content_pages", "offers", "holdouts",
    "conversions", "holdout_conversions", "order_days",
)
_SUMMED_MONEY = ("revenue", "refunded", "discount_total", "gap_days_total", "session_seconds")
_HISTOGRAMS = ("visit_hours", "visit_weekdays", "order_hours", "order_weekdays", "order_months")


def merge_profiles(into: Profile, other: Profile) -> Profile:
    """Two histories of one person as one profile; ``into``'s own traits and consent win.

    >>> from datetime import datetime, timezone
    >>> a = Profile(page_views=2, categories=(("shoes", 2),), visit_hours=(1,) + (0,) * 23)
    >>> b = Profile(page_views=3, categories=(("hats", 1),), country="GB")
    >>> m = merge_profiles(a, b)
    >>> m.page_views, m.categories, m.country, sum(m.visit_hours)
    (5, (('shoes', 2), ('hats', 1)), 'GB', 1)
    """
    fields: dict[str, object] = {}
    for name in _SUMMED:
        fields[name] = getattr(into, name) + getattr(other, name)
    for name in _SUMMED_MONEY:
        fields[name] = round(getattr(into, name) + getattr(other, name), 4)
    for name in _HISTOGRAMS:
        a, b = getattr(into, name), getattr(other, name)
        fields[name] = tuple(x + y for x, y in zip(a, b)) if a and b else (a or b)
    for name, keep in (("categories", TOP_CATEGORIES), ("channels", TOP_CHANNELS)):
        counts = getattr(into, name)
        for label, count in getattr(other, name):
            counts = bump(counts, label, count, keep)
        fields[name] = counts
    for name in ("first_seen", "first_order_at"):
        values = [v for v in (getattr(into, name), getattr(other, name)) if v is not None]
        fields[name] = min(values) if values else None
    for name in ("last_seen", "last_order_at", "last_offer_at"):
        values = [v for v in (getattr(into, name), getattr(other, name)) if v is not None]
        fields[name] = max(values) if values else None
    for name in ("age_band", "country", "time_zone", "locale"):
        fields[name] = getattr(into, name) or getattr(other, name)
    fields["consent"] = into.consent if into.consent is not None else other.consent
    return replace(into, **fields)  # type: ignore[arg-type]
