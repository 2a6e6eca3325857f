"""A customer's state while one batch of their events is applied: changed in place, frozen once.

The pure steps (:func:`~streams.core.lifecycle.receive`, :func:`~streams.core.lifecycle.advance`,
:mod:`streams.core.visits`) are the specification; they copy the profile (some sixty fields)
and the visit several times per event, which the worker's profile showed as most of the cost
of applying an event.  A :class:`Draft` takes the common steps — an event that extends the
customer's one open visit or starts their first, an order or refund on time, a tick with
nothing due — in place, on copies it made itself, and hands anything else (late events, visits
that split, merge or end, offers decided, resolved or expired) to the pure steps:

* the draft copies the profile (or the visit) once, at its first change after it was handed
  out, and then sets fields on that copy, which nobody else holds;
* :meth:`Draft.state` hands the parts out (frozen from then on: the next change copies again);
  :meth:`Draft.take` takes a pure step's result back;
* a draft made ``owned`` changes the parts it is given without copying them first: the
  worker's batch does so with a customer read from Redis for it or held in its memory (which
  takes the saved state back, or drops it if the save is refused), and nothing else reads them.

So a batch of a customer's page and product views costs one copy of each part, not a handful
per event.  ``tests/unit/streams/core/test_drafts.py`` proves the draft equal to the pure steps
over generated histories (out of order, late, bridging, with orders and logins).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from offers import Policy
from streams.core.activity import remember
from streams.core.carts import change, settle
from streams.core.events import (
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
from streams.core.frozen import replace
from streams.core.features import with_spend
from streams.core.lifecycle import Effect, Place, Rules, advance, on_order, receive
from streams.core.state import (
    ADMIN_PAGES,
    INFO_PAGES,
    PRODUCT_PAGES,
    RECENT_PRODUCTS,
    TOP_CATEGORIES,
    TOP_CHANNELS,
    CustomerState,
    Profile,
    Session,
    bump,
)
from streams.core.visits import (
    add_money,
    add_seconds,
    cart_change_of,
    cart_with,
    count,
    gap_days,
    kept_orders,
    local_time,
)

_set = object.__setattr__


class Draft:
    """One customer's state, changed in place by the common steps (module doc)."""

    __slots__ = ("customer_id", "profile", "session", "_own_profile", "_own_session")

    def __init__(self, state: CustomerState, *, owned: bool = False) -> None:
        """``owned``: nobody else reads ``state``'s parts later, so they are changed in place, not copied first."""
        self.customer_id = state.customer_id
        self.profile = state.profile
        self.session = state.session
        #: Whether the part is this draft's to change (a copy it made, or handed to it) and not handed out since.
        self._own_profile = owned
        self._own_session = owned and state.session is not None

    def state(self) -> CustomerState:
        """The state as it is now, frozen: the parts are handed out, a later change copies them."""
        self._own_profile = self._own_session = False
        return CustomerState(self.customer_id, self.profile, self.session)

    def take(self, state: CustomerState) -> None:
        """Go on from ``state`` (a pure step's result, which others may hold)."""
        self.profile, self.session = state.profile, state.session
        self._own_profile = self._own_session = False

    def advance(self, until: datetime, rules: Rules, policy: Policy, *, now: datetime,
                place: Place | None = None) -> list[Effect]:
        """:func:`~streams.core.lifecycle.advance`: in place when nothing has come due by ``until``."""
        if self._due(until, rules):
            state, effects = advance(self.state(), until, rules, policy, now=now, place=place)
            self.take(state)
            return effects
        self._settle(rules)
        return []

    def receive(self, event: AnyEvent, rules: Rules) -> list[Effect]:
        """:func:`~streams.core.lifecycle.receive`: in place for an order or refund on time, and for a
        visit event that joins the one open visit or starts the first; the pure step for late events
        and visits that split, merge or end."""
        session = self.session
        at = event.occurred_at
        timeout, lateness = rules.session_timeout, rules.allowed_lateness
        closed = self.profile.closed_session_last
        on_time = closed is None or at >= closed + timeout  # visits.is_late, visits._apply_order
        if on_time and isinstance(event, (OrderPlaced, OrderRefunded)):
            self._seen(event, rules, at)
            if isinstance(event, OrderPlaced):
                self._order(event, rules, at)
            else:
                profile = self._profile()
                _add(profile, "refunds", 1)
                _set(profile, "refunded", add_money(profile.refunded, event.amount))
        elif on_time and timeout + lateness > timedelta(0) and (session is None or (
            session.earlier is None
            and session.started_at <= at
            and at - session.last_event_at < timeout
            and at >= session.last_event_at - lateness
        )):
            # Joins the one open visit (on time, not moving its start), or starts the first:
            # no visit ends (it is not over at its own last event).
            self._seen(event, rules, at)
            self._visit(event, rules, at)
        else:
            state, effects = receive(self.state(), event, rules)
            self.take(state)
            return effects
        self._settle(rules)
        return []

    def score(self, intent: float) -> None:
        """The visit's purchase probability on the open visit and the profile (what scoring them with
        ``replace`` gives), in place: a score per customer per batch then copies nothing more."""
        assert self.session is not None
        if self.session.intent != intent:
            _set(self._session(), "intent", intent)
        if self.profile.intent != intent:
            _set(self._profile(), "intent", intent)

    def on_order(self, order: OrderPlaced, rules: Rules | None = None) -> list[Effect]:
        """:func:`~streams.core.lifecycle.on_order`, which changes nothing without an offer pending or open."""
        if self.profile.pending is None and self.profile.open_offer is None:
            return []
        state, effects = on_order(self.state(), order, rules)
        self.take(state)
        return effects

    # ------------------------------------------------------------ in place

    def _profile(self) -> Profile:
        if not self._own_profile:
            self.profile = replace(self.profile)
            self._own_profile = True
        return self.profile

    def _session(self) -> Session:
        assert self.session is not None
        if not self._own_session:
            self.session = replace(self.session)
            self._own_session = True
        return self.session

    def _due(self, until: datetime, rules: Rules) -> bool:
        """Whether :func:`advance` has anything to do by ``until`` beyond folding the cart."""
        session = self.session
        if session is not None:
            oldest = session.earlier or session
            if until - oldest.last_event_at >= rules.session_timeout + rules.allowed_lateness:
                return True
        profile = self.profile
        return ((profile.open_offer is not None and profile.open_offer.expires_at <= until)
                or (profile.pending is not None and profile.pending.due_at <= until))

    def _settle(self, rules: Rules) -> None:
        """``lifecycle._settled``: fold in the cart changes no visit or late event needs apart."""
        profile = self.profile
        if profile.last_seen is None:
            return
        horizon = profile.last_seen - rules.allowed_lateness
        session = self.session
        if session is not None:
            horizon = min(horizon, session.last_event_at)
            if session.earlier is not None:
                horizon = min(horizon, session.earlier.last_event_at)
        settled = settle(profile.cart, horizon, rules.cart_ttl)
        if settled is not profile.cart:
            _set(self._profile(), "cart", settled)

    def _seen(self, event: AnyEvent, rules: Rules, at: datetime) -> None:
        """What ``visits.apply`` does first with any event (at ``at``): times seen, the cart, the latest events."""
        new = cart_change_of(event)
        before = self.profile
        cart = before.cart
        if new is not None:
            horizon = None
            if before.last_seen is not None:  # visits.cart_horizon
                horizon = before.last_seen - rules.allowed_lateness
                if self.session is not None:
                    horizon = min(horizon, self.session.last_event_at)
                    if self.session.earlier is not None:
                        horizon = min(horizon, self.session.earlier.last_event_at)
            cart = change(cart, new, horizon, rules.cart_ttl)
        recent = remember(before.recent_events, event, rules.recent_events)
        profile = self._profile()
        _set(profile, "first_seen", at if profile.first_seen is None or at < profile.first_seen else profile.first_seen)
        _set(profile, "last_seen", at if profile.last_seen is None or at > profile.last_seen else profile.last_seen)
        _set(profile, "cart", cart)
        _set(profile, "recent_events", recent)

    def _visit(self, event: AnyEvent, rules: Rules, at: datetime) -> None:
        """``visits.apply`` for a visit event on time (at ``at``) that joins the one open visit, or starts one."""
        profile = self._profile()
        if self.session is None:
            self.session = Session(started_at=at, last_event_at=at)
            self._own_session = True
            _count_visit(profile, at)
        session = self._session()
        if at > session.last_event_at:
            _set(session, "last_event_at", at)
        _set(session, "session_id", event.session_id or session.session_id)
        _add(session, "events", 1)
        _update(profile, session, event)
        if not session.purchased and any(
            session.started_at <= t < session.last_event_at + rules.session_timeout for t in profile.recent_orders
        ):
            _set(session, "purchased", True)

    def _order(self, order: OrderPlaced, rules: Rules, at: datetime) -> None:
        """``visits._apply_order`` for an order on time (at ``at``): the profile's totals, and the open visits it
        falls in."""
        before = self.profile
        # A distinct day unless a known order shares it (visits._order says why that is exact).
        known_days = {t.date() for t in before.recent_orders}
        known_days |= {t.date() for t in (before.first_order_at, before.last_order_at) if t is not None}
        new_day = before.orders > 0 and at.date() not in known_days
        first = min(before.first_order_at or at, at)
        last = max(before.last_order_at or at, at)
        categories = before.categories
        for item in order.line_items:
            if item.category:
                categories = bump(categories, item.category, item.quantity, TOP_CATEGORIES)
        local = local_time(at, before.time_zone)
        spent = with_spend(before, at, order.total)
        if spent is not before:  # a new copy, held by nobody else
            self.profile, self._own_profile = spent, True
        profile = self._profile()
        _set(profile, "order_hours", count(profile.order_hours, 24, local.hour))
        _set(profile, "order_weekdays", count(profile.order_weekdays, 7, local.weekday()))
        _set(profile, "order_months", count(profile.order_months, 12, local.month - 1))
        _add(profile, "order_days", new_day)
        _add(profile, "orders", 1)
        _set(profile, "revenue", add_money(profile.revenue, order.total))
        _add(profile, "discount_orders", bool(order.discount_code) or order.discount_amount > 0)
        _set(profile, "discount_total", add_money(profile.discount_total, order.discount_amount))
        _set(profile, "first_order_at", first)
        _set(profile, "last_order_at", last)
        _set(profile, "gap_days_total", gap_days(first, last))
        _set(profile, "categories", categories)
        _set(profile, "recent_orders", kept_orders(profile.recent_orders, at, rules.allowed_lateness))
        session = self.session
        if session is None:
            return
        timeout = rules.session_timeout
        if not session.purchased and session.started_at <= at < session.last_event_at + timeout:
            _set(self._session(), "purchased", True)
        earlier = session.earlier
        if earlier is not None and not earlier.purchased and earlier.started_at <= at < earlier.last_event_at + timeout:
            _set(self._session(), "earlier", replace(earlier, purchased=True))


def _count_visit(profile: Profile, started_at: datetime) -> None:
    local = local_time(started_at, profile.time_zone)
    _set(profile, "sessions", profile.sessions + 1)
    _set(profile, "visit_hours", count(profile.visit_hours, 24, local.hour))
    _set(profile, "visit_weekdays", count(profile.visit_weekdays, 7, local.weekday()))


def _update(profile: Profile, session: Session, event: AnyEvent) -> None:
    """``visits._update`` on parts the draft owns."""
    match event:
        case PageViewed():
            _add(profile, "page_views", 1)
            if event.page_type.lower() in INFO_PAGES:
                _add(profile, "content_pages", 1)
            if event.channel:
                _set(profile, "channels", bump(profile.channels, event.channel, 1, TOP_CHANNELS))
            _page(session, event.page_type, event.dwell_seconds or 0.0)
            if event.channel and session.channel is None:
                _set(session, "channel", event.channel)
        case ProductViewed():
            _add(profile, "product_views", 1)
            if event.category:
                _set(profile, "categories", bump(profile.categories, event.category, 1, TOP_CATEGORIES))
            _page(session, "product", event.dwell_seconds or 0.0)
            _add(session, "product_views", 1)
            _set(session, "viewed", bump(session.viewed, event.product_id, 1, RECENT_PRODUCTS))
        case Searched():
            _add(session, "searches", 1)
        case CartItemAdded():
            _add(profile, "cart_adds", 1)
            _set(session, "cart", cart_with(session.cart, event.product_id, event.quantity, event.price,
                                            event.category))
        case CartItemRemoved():
            _set(session, "cart", cart_with(session.cart, event.product_id, -event.quantity, None, None))
        case CheckoutStarted():
            _add(profile, "checkouts", 1)
            _set(session, "checkout_started", True)
        case CustomerIdentified():
            traits = event.traits
            _set(profile, "age_band", traits.age_band or profile.age_band)
            _set(profile, "country", traits.country or profile.country)
            _set(profile, "time_zone", traits.time_zone or profile.time_zone)
            _set(profile, "locale", traits.locale or profile.locale)
            if event.marketing_consent is not None:
                _set(profile, "consent", event.marketing_consent)
        case FeedbackSubmitted():
            _add(profile, "ratings", event.rating is not None)
            _add(profile, "rating_total", event.rating or 0)
            _add(profile, "complaints", event.complaint)


def _page(session: Session, page_type: str, seconds: float) -> None:
    kind = page_type.lower()
    _add(session, "page_views", 1)
    if kind in ADMIN_PAGES:
        _add(session, "admin_pages", 1)
        _set(session, "admin_seconds", add_seconds(session.admin_seconds, seconds))
    elif kind in INFO_PAGES:
        _add(session, "info_pages", 1)
        _set(session, "info_seconds", add_seconds(session.info_seconds, seconds))
    elif kind in PRODUCT_PAGES:
        _add(session, "product_pages", 1)
        _set(session, "product_seconds", add_seconds(session.product_seconds, seconds))


def _add(part: Any, name: str, by: int) -> None:
    _set(part, name, getattr(part, name) + by)
