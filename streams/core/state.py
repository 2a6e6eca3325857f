"""A customer's live state — profile and open visits — as frozen values.

What one event does to it is :mod:`streams.core.visits`; how two histories of one person
become one is :mod:`streams.core.merging`.  No I/O happens here: the Redis store loads and
saves these values and nothing else.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import NamedTuple, TypeAlias

from streams.core.frozen import replace

Counts: TypeAlias = tuple[tuple[str, int], ...]
#: One of a customer's latest events, compact (``Profile.recent_events``): when it happened, its
#: type, the product or order it is about and the money it moved, when it has one
#: (:mod:`streams.core.activity` says which events are kept and how).
RecentEvent: TypeAlias = tuple[datetime, str, str | None, float | None]

TOP_CATEGORIES = 5
TOP_CHANNELS = 3
RECENT_PRODUCTS = 10
#: Most order times kept in ``Profile.recent_orders`` (those within the lateness of the newest).
RECENT_ORDERS = 8
#: How many of a customer's latest events the profile keeps, unless the settings say otherwise.
RECENT_EVENTS = 10
NO_LATENESS = timedelta(0)
UTC = timezone.utc
#: How long a cart nobody touches is kept (event time), unless the settings say otherwise.
CART_TTL = timedelta(days=14)

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
class CartChange:
    """One change to a customer's cart, kept until it is folded in (:mod:`streams.core.carts`).

    An add or a remove holds one line (a remove with a negative quantity); a replacement —
    a snapshot of the cart, or an order, which empties it — holds the whole new cart.
    """

    at: datetime
    lines: tuple[CartLine, ...]
    replaces: bool = False
    #: The shop's own value of a snapshot (used when its lines carry no prices).
    value: float | None = None


@dataclass(frozen=True, slots=True)
class Cart:
    """What a customer has in their cart, across visits (:mod:`streams.core.carts` says how it changes)."""

    #: The cart once every change older than the newest ones is folded in: lines by product id.
    lines: tuple[CartLine, ...] = ()
    #: Event time of the newest snapshot or order folded in: an add or remove older than it is ignored.
    replaced_at: datetime | None = None
    #: Event time of the newest change folded in: the cart expires the TTL after it.
    changed_at: datetime | None = None
    #: The shop's value of the snapshot folded in, until an add or remove changes the cart.
    value: float | None = None
    #: The newest changes, in event-time order, not folded in yet (a late one may still come before them).
    recent: tuple[CartChange, ...] = ()


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
    #: What this visit put in the cart: net quantity per product (adds − removes; a remove read
    #: before its add is negative). The customer's whole cart, across visits, is ``Profile.cart``.
    cart: tuple[CartLine, ...] = ()
    checkout_started: bool = False
    purchased: bool = False
    channel: str | None = None
    #: Latest purchase probability from the intent model.
    intent: float | None = None
    #: The visit before this one while a late event could still join the two (see module doc).
    earlier: Session | None = None

    @property
    def in_cart(self) -> tuple[CartLine, ...]:
        """The cart lines with something in them."""
        return tuple(line for line in self.cart if line.quantity > 0)

    @property
    def cart_value(self) -> float:
        return round(sum(line.price * line.quantity for line in self.in_cart), 2)

    @property
    def cart_items(self) -> int:
        return sum(line.quantity for line in self.in_cart)

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
    """Everything the tracker remembers about one customer; kept small (< 1 KB in Redis, plus about
    200 bytes of latest events)."""

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
    #: The abandonment to decide next (the earliest due), and on the event clock those of later
    #: visits that ended before it was decided, in due order (``streams.core.lifecycle``).
    pending: Abandonment | None = None
    queued: tuple[Abandonment, ...] = ()
    open_offer: OpenOffer | None = None
    #: Last event time of the newest closed session: a visit event before it + the session
    #: timeout is late (that visit is over and may have had its offer).
    closed_session_last: datetime | None = None
    #: Times of the newest orders (those within the lateness of the newest, and one older):
    #: what makes distinct order days and "bought during this visit" independent of arrival order.
    recent_orders: tuple[datetime, ...] = ()
    #: What the customer has in their cart: it outlives a visit until an order, removal or expiry.
    cart: Cart = Cart()
    #: The behavioural segment the worker's model last placed the customer in (its stable id)
    #: and that segment's traits, for the offer policy (``models.segments``).
    behaviour_segment: str | None = None
    behaviour_traits: tuple[str, ...] = ()
    #: What the value model reads beyond the totals (``models.value_features.SpendHistory``): spend
    #: of the first order day, of the latest order moment and of the largest order, and order
    #: spend decayed over about 90 and 365 days, in whole units that add up in any order.
    first_day_spend: float = 0.0
    last_order_value: float = 0.0
    max_order_value: float = 0.0
    recent_spend_units: int = 0
    long_spend_units: int = 0
    #: When the loyalty and value models next snapshot this customer if they stay silent.
    review_due_at: datetime | None = None
    #: Latest predicted spend over the value model's horizon (money), as of the latest snapshot.
    value: float | None = None
    #: The customer's latest events, oldest first, for the marketer's customer page.
    recent_events: tuple[RecentEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class CustomerState:
    customer_id: str
    profile: Profile = field(default_factory=Profile)
    #: The newest open visit (the one before it, if still open, is ``session.earlier``).
    session: Session | None = None

    @property
    def open_sessions(self) -> tuple[Session, ...]:
        """The open visits, oldest first, each without its ``earlier`` link."""
        if self.session is None:
            return ()
        if self.session.earlier is None:
            return (self.session,)
        return (self.session.earlier, replace(self.session, earlier=None))


class Applied(NamedTuple):
    """What one event did: the new state, the sessions it closed, whether it was late."""

    state: CustomerState
    ended: tuple[Session, ...] = ()
    late: bool = False


def utc(at: datetime) -> datetime:
    """``at`` on the standard library's :data:`UTC` when its offset is zero; any other time as it is.

    Why: pydantic parses each event's "...Z" into a tzinfo object of its own, and comparing or
    subtracting two times on different tzinfo objects asks both for their offsets, about ten
    times the cost of two on the same one.  The state compares its times (and the event's) many
    times per event, on the batch's path and the timer's; times read back from Redis are on
    :data:`UTC` already.  The instant and the wall-clock fields (date, hour, weekday) are the
    same, so nothing computed from the time changes.

    >>> from datetime import timezone, timedelta
    >>> utc(datetime(2026, 1, 5, 9, tzinfo=timezone(timedelta(0)))).tzinfo is UTC
    True
    >>> utc(datetime(2026, 1, 5, 9, tzinfo=timezone(timedelta(hours=2)))).isoformat()
    '2026-01-05T09:00:00+02:00'
    """
    tz = at.tzinfo
    if tz is UTC or tz is None:
        return at
    offset = tz.utcoffset(None)  # a fixed offset's (a zone's depends on the time: None, left as it is)
    if offset is None or offset:
        return at
    return at.astimezone(UTC)  # a zero offset: the same wall-clock fields


def bump(counts: Counts, name: str, by: int, keep: int) -> Counts:
    """Add ``by`` to ``name`` in a bounded top-k counter.

    Ties are ordered by name, so the counter does not depend on the order it was fed in;
    when it is full, the name just counted stays (a bounded counter still notices new
    interests) and the smallest other one goes.

    >>> bump((("shoes", 2),), "hats", 3, keep=5)
    (('hats', 3), ('shoes', 2))
    >>> bump((("shoes", 2), ("hats", 1)), "bags", 1, keep=2)
    (('shoes', 2), ('bags', 1))
    """
    merged = dict(counts)
    merged[name] = merged.get(name, 0) + by
    ranked = sorted(merged.items(), key=lambda item: (-item[1], item[0]))
    if len(ranked) > keep:
        others = [item for item in ranked if item[0] != name][: keep - 1]
        ranked = sorted([*others, (name, merged[name])], key=lambda item: (-item[1], item[0]))
    return tuple(ranked)


def non_default_fields(profile: Profile) -> dict[str, object]:
    """The fields of ``profile`` that differ from their defaults: what a customer view shows.

    >>> non_default_fields(Profile(page_views=3, country="GB"))
    {'page_views': 3, 'country': 'GB'}
    """
    shown: dict[str, object] = {}
    for f in fields(Profile):
        value = getattr(profile, f.name)
        default = f.default if f.default_factory is MISSING else f.default_factory()
        if value is not None and value != default:
            shown[f.name] = value
    return shown
