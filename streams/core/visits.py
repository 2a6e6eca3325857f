"""What one event does to a customer's state, as pure functions.

``apply(state, event, timeout, lateness)`` is the whole of it: it returns the new state, the
sessions the event closed and whether the event came too late to be placed in a session.

Events arrive out of order (two input topics, retrying producers, mobile apps sending
batches); the rule that makes the result independent of arrival order:

* **Lifetime facts commute.**  Counts and sums (views, cart adds, checkouts, orders,
  revenue, refunds, ratings, session lengths), minima and maxima (first/last seen, first/
  last order), the order-gap total (last order − first order, which is what the sum of
  consecutive gaps telescopes to) and distinct order days (checked against the kept
  ``recent_orders``) come out the same whatever the order.  Money and seconds are rounded
  to cents / milliseconds on the way in, so float sums do not depend on the order either.
  Bounded top-k counters (categories, channels, viewed products) order ties by name; they
  are exact while a customer has no more names than the counter keeps, and beyond that
  are the approximation any bounded top-k is.  The latest events are the N greatest under
  one total order (:mod:`streams.core.activity`), exact in any order.
* **Visits wait for stragglers.**  A session stays open until the customer's clock (their
  newest visit event, or the tracker's clock through ``close_due``) passes its last event
  + ``timeout`` + ``lateness``.  Until then a late event joins it, moves its start back,
  or bridges it with the next visit (the two merge).  With ``lateness <= timeout`` at most
  two visits are open at once: ``Session.earlier`` holds the older one.  A visit's own
  cart activity keeps each product's net quantity (adds − removes, zero lines dropped) so
  adds and removes commute; the customer's cart across visits (``Profile.cart``, replaced
  by snapshots and emptied by orders) is a fold in event-time order kept exact the same way
  (:mod:`streams.core.carts`).  A visit is ``purchased`` when an order falls in its span + ``timeout``,
  whichever arrived first (``recent_orders`` remembers orders that came before the visit).
  Hence: when every event arrives at most ``lateness`` (in event time) after the events
  that happened after it, the profile, the sessions and the sessions closed are exactly
  those of the sorted stream.
* **Later than that is counted, not mixed in.**  A visit event more than ``lateness``
  older than the customer's newest visit event, or older than the end (+ ``timeout``) of a
  session already closed, is *late*: it counts in every lifetime total (so page views,
  orders and revenue stay exact) but changes no session, so it never reopens a closed
  visit, rewrites what an offer was decided on, or starts a visit that would end at once
  and trigger an offer about the past.  Orders are placed by the session they fall in: an
  order is late only when it falls before the end of a closed session.

What still follows arrival order: labels where two events of one visit disagree (the
session id, channel, a cart line's price), traits and consent from two logins that differ,
and the hour histograms when a time zone arrives mid-history.  Sites send one value per
visit, product and login, and then these agree too.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from streams.core.activity import remember
from streams.core.carts import change
from streams.core.events import (
    AnyEvent,
    CartItemAdded,
    CartItemRemoved,
    CartProduct,
    CartViewed,
    CheckoutStarted,
    CustomerIdentified,
    FeedbackSubmitted,
    OrderPlaced,
    OrderRefunded,
    PageViewed,
    ProductViewed,
    Searched,
)
from streams.core.features import with_spend
from streams.core.frozen import replace
from streams.core.state import (
    ADMIN_PAGES,
    CART_TTL,
    INFO_PAGES,
    NO_LATENESS,
    PRODUCT_PAGES,
    RECENT_EVENTS,
    RECENT_ORDERS,
    RECENT_PRODUCTS,
    TOP_CATEGORIES,
    TOP_CHANNELS,
    Applied,
    Cart,
    CartChange,
    CartLine,
    CustomerState,
    Profile,
    Session,
    bump,
)


def session_is_over(session: Session, now: datetime, timeout: timedelta, lateness: timedelta = NO_LATENESS) -> bool:
    """True once no event within ``lateness`` can join the session any more."""
    return now - session.last_event_at >= timeout + lateness


def apply(
    state: CustomerState, event: AnyEvent, timeout: timedelta, lateness: timedelta = NO_LATENESS,
    cart_ttl: timedelta = CART_TTL, recent_events: int = RECENT_EVENTS,
) -> Applied:
    """Apply one event; return the new state, the sessions it closed and whether it was late.

    The profile keeps the ``recent_events`` latest events (late ones too, in their place).
    """
    at = event.occurred_at
    cart = _cart_change(state, event, lateness, cart_ttl)
    profile = replace(
        state.profile,
        first_seen=min(state.profile.first_seen or at, at),
        last_seen=max(state.profile.last_seen or at, at),
        cart=cart,
        recent_events=remember(state.profile.recent_events, event, recent_events),
    )
    if isinstance(event, (OrderPlaced, OrderRefunded)):
        return _apply_order(replace(state, profile=profile), event, timeout, lateness, at)
    if is_late(state, at, timeout, lateness):
        profile, _ = _update(profile, None, event)
        return Applied(replace(state, profile=profile), late=True)

    joined: list[Session] = []
    apart: list[Session] = []
    for open_session in state.open_sessions:
        gap_after, gap_before = at - open_session.last_event_at, open_session.started_at - at
        (joined if gap_after < timeout and gap_before < timeout else apart).append(open_session)
    if joined:
        session = joined[0]
        for later in joined[1:]:  # the event bridges two visits: they were one
            profile = uncount_visit(profile, later.started_at)
            session = merge_visits(session, later)
        if at < session.started_at:
            profile = _count_visit(uncount_visit(profile, session.started_at), at)
            session = replace(session, started_at=at)
        session = replace(session, last_event_at=max(session.last_event_at, at))
    else:
        session = Session(started_at=at, last_event_at=at)
        profile = _count_visit(profile, at)
    session = replace(session, session_id=event.session_id or session.session_id, events=session.events + 1)
    profile, updated = _update(profile, session, event)
    assert updated is not None
    session = _mark_purchase(updated, profile.recent_orders, timeout)
    visits = sorted([*apart, session], key=lambda s: s.started_at)
    newest = max(s.last_event_at for s in visits)
    return _close(state.customer_id, profile, visits, newest, timeout, lateness)


def cart_horizon(state: CustomerState, lateness: timedelta) -> datetime | None:
    """How far back the customer's cart changes may be folded (:mod:`streams.core.carts`).

    No event within the lateness is older than the newest event minus the lateness, and an
    open visit still needs the cart as of its last event.
    """
    if state.profile.last_seen is None:
        return None
    horizon = state.profile.last_seen - lateness
    session = state.session  # its open visits, as ``state.open_sessions`` but without copying the newest
    if session is not None:
        horizon = min(horizon, session.last_event_at)
        if session.earlier is not None:
            horizon = min(horizon, session.earlier.last_event_at)
    return horizon


def _cart_change(state: CustomerState, event: AnyEvent, lateness: timedelta, ttl: timedelta) -> Cart:
    """The customer's cart once ``event`` is in it (most events leave it as it is)."""
    new = cart_change_of(event)
    if new is None:
        return state.profile.cart
    return change(state.profile.cart, new, cart_horizon(state, lateness), ttl)


def cart_change_of(event: AnyEvent) -> CartChange | None:
    """What ``event`` does to the customer's cart, or ``None`` when it leaves it as it is."""
    at = event.occurred_at
    match event:
        case CartItemAdded():
            line = CartLine(event.product_id, event.quantity, event.price or 0.0, event.category)
            return CartChange(at, (line,))
        case CartItemRemoved():
            return CartChange(at, (CartLine(event.product_id, -event.quantity, 0.0),))
        case CheckoutStarted() | CartViewed() if event.products is not None:
            return CartChange(at, _lines(event.products), replaces=True, value=event.value)
        case OrderPlaced():
            return CartChange(at, (), replaces=True)
    return None


def _lines(products: tuple[CartProduct, ...]) -> tuple[CartLine, ...]:
    return tuple(CartLine(p.product_id, p.quantity, p.price or 0.0, p.category) for p in products)


def is_late(state: CustomerState, at: datetime, timeout: timedelta, lateness: timedelta = NO_LATENESS) -> bool:
    """True when a visit event at ``at`` comes too late to be placed in a session (module doc)."""
    closed = state.profile.closed_session_last
    if closed is not None and at < closed + timeout:
        return True
    return state.session is not None and at < state.session.last_event_at - lateness


def close_due(
    state: CustomerState, until: datetime, timeout: timedelta, lateness: timedelta = NO_LATENESS
) -> Applied:
    """Close the open sessions no late event can join by ``until``; oldest first."""
    return _close(state.customer_id, state.profile, list(state.open_sessions), until, timeout, lateness)


def _close(customer_id: str, profile: Profile, visits: list[Session], until: datetime, timeout: timedelta,
           lateness: timedelta) -> Applied:
    ended: list[Session] = []
    # A lateness above the timeout could leave more than two visits open: the oldest go.
    while visits and (session_is_over(visits[0], until, timeout, lateness) or len(visits) > 2):
        session = visits.pop(0)
        ended.append(session)
        profile = session_ended(profile, session)
    return Applied(CustomerState(customer_id, profile, _link(visits)), tuple(ended))


def session_ended(profile: Profile, session: Session) -> Profile:
    """The profile once ``session`` is over: its length counts toward the customer's habits."""
    seconds = round(max((session.last_event_at - session.started_at).total_seconds(), 0.0), 1)
    closed = max(profile.closed_session_last or session.last_event_at, session.last_event_at)
    return replace(profile, session_seconds=round(profile.session_seconds + seconds, 1), closed_session_last=closed)


def _apply_order(state: CustomerState, event: OrderPlaced | OrderRefunded, timeout: timedelta,
                 lateness: timedelta, at: datetime) -> Applied:
    # Orders come on their own topic: they mark the visit they fall in as purchasing, but
    # neither start, extend nor close one.
    closed = state.profile.closed_session_last
    late = closed is not None and at < closed + timeout
    if isinstance(event, OrderRefunded):
        profile = replace(state.profile, refunds=state.profile.refunds + 1,
                          refunded=add_money(state.profile.refunded, event.amount))
        return Applied(replace(state, profile=profile), late=late)
    profile = _order(state.profile, event, lateness)
    visits = [_mark_purchase(s, (at,), timeout) for s in state.open_sessions]
    return Applied(CustomerState(state.customer_id, profile, _link(visits)), late=late)


def _link(visits: list[Session]) -> Session | None:
    """The open visits (oldest first, at most two) as the state's session."""
    assert len(visits) <= 2, "close the oldest visits first"
    if not visits:
        return None
    if len(visits) == 1:
        return visits[0]
    return replace(visits[1], earlier=visits[0])


def _mark_purchase(session: Session, orders: tuple[datetime, ...], timeout: timedelta) -> Session:
    # A visit bought if an order falls in its span or within the timeout after it, as it would
    # have had the order been read in time order (orders never start a visit).
    if session.purchased:
        return session
    if any(session.started_at <= at < session.last_event_at + timeout for at in orders):
        return replace(session, purchased=True)
    return session


def merge_visits(a: Session, b: Session) -> Session:
    """One visit from two (``a`` started first): what a bridging late event reveals."""
    viewed = a.viewed
    for product_id, count in b.viewed:
        viewed = bump(viewed, product_id, count, RECENT_PRODUCTS)
    cart = a.cart
    for line in b.cart:  # a line known from removes alone has no price (0): the other's stands
        cart = cart_with(cart, line.product_id, line.quantity, line.price or None, line.category)
    return Session(
        started_at=min(a.started_at, b.started_at),
        last_event_at=max(a.last_event_at, b.last_event_at),
        session_id=b.session_id or a.session_id,
        events=a.events + b.events,
        page_views=a.page_views + b.page_views,
        admin_pages=a.admin_pages + b.admin_pages,
        admin_seconds=add_seconds(a.admin_seconds, b.admin_seconds),
        info_pages=a.info_pages + b.info_pages,
        info_seconds=add_seconds(a.info_seconds, b.info_seconds),
        product_pages=a.product_pages + b.product_pages,
        product_seconds=add_seconds(a.product_seconds, b.product_seconds),
        searches=a.searches + b.searches,
        product_views=a.product_views + b.product_views,
        viewed=viewed,
        cart=cart,
        checkout_started=a.checkout_started or b.checkout_started,
        purchased=a.purchased or b.purchased,
        channel=a.channel or b.channel,
        intent=b.intent if b.intent is not None else a.intent,
    )


def _count_visit(profile: Profile, started_at: datetime, by: int = 1) -> Profile:
    local = local_time(started_at, profile.time_zone)
    return replace(
        profile,
        sessions=profile.sessions + by,
        visit_hours=count(profile.visit_hours, 24, local.hour, by),
        visit_weekdays=count(profile.visit_weekdays, 7, local.weekday(), by),
    )


def uncount_visit(profile: Profile, started_at: datetime) -> Profile:
    """Take back the visit counted at ``started_at`` (its start moved, or it merged)."""
    return _count_visit(profile, started_at, by=-1)


def count(histogram: tuple[int, ...], size: int, index: int, by: int = 1) -> tuple[int, ...]:
    """``histogram`` (of ``size`` buckets, empty until used) with ``by`` more at ``index``."""
    counts = list(histogram) if histogram else [0] * size
    counts[index] = max(counts[index] + by, 0)  # a time zone learnt in between may move a bucket
    return tuple(counts)


def local_time(at: datetime, time_zone: str | None) -> datetime:
    """``at`` in the customer's time zone, UTC while none (or an unknown one) is known."""
    if time_zone:
        try:
            return at.astimezone(ZoneInfo(time_zone))
        except (ZoneInfoNotFoundError, ValueError):
            pass  # an unknown zone name from a site: UTC is the honest fallback
    return at.astimezone(timezone.utc)


def add_money(total: float, amount: float) -> float:
    """``total`` + ``amount``, rounded to cents first: then sums are exact and do not depend on the order."""
    return round(total + round(amount, 2), 2)


def add_seconds(total: float, seconds: float) -> float:
    """Seconds rounded to milliseconds on the way in, so that sums do not depend on the order."""
    return round(total + round(seconds, 3), 3)


def _update(
    profile: Profile, session: Session | None, event: AnyEvent
) -> tuple[Profile, Session | None]:
    match event:
        case PageViewed():
            # One copy of the profile per event (it has some sixty fields): the changes first, then replace.
            profile = replace(
                profile,
                page_views=profile.page_views + 1,
                content_pages=profile.content_pages + (event.page_type.lower() in INFO_PAGES),
                channels=bump(profile.channels, event.channel, 1, TOP_CHANNELS) if event.channel else profile.channels,
            )
            if session is not None:
                session = _page(session, event.page_type, event.dwell_seconds or 0.0)
                if event.channel and session.channel is None:
                    session = replace(session, channel=event.channel)
        case ProductViewed():
            profile = replace(
                profile,
                product_views=profile.product_views + 1,
                categories=(bump(profile.categories, event.category, 1, TOP_CATEGORIES) if event.category
                            else profile.categories),
            )
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
                cart = cart_with(session.cart, event.product_id, event.quantity, event.price, event.category)
                session = replace(session, cart=cart)
        case CartItemRemoved():
            if session is not None:
                cart = cart_with(session.cart, event.product_id, -event.quantity, None, None)
                session = replace(session, cart=cart)
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
    return profile, session


def _page(session: Session, page_type: str, seconds: float) -> Session:
    kind = page_type.lower()
    session = replace(session, page_views=session.page_views + 1)
    if kind in ADMIN_PAGES:
        return replace(session, admin_pages=session.admin_pages + 1,
                       admin_seconds=add_seconds(session.admin_seconds, seconds))
    if kind in INFO_PAGES:
        return replace(session, info_pages=session.info_pages + 1,
                       info_seconds=add_seconds(session.info_seconds, seconds))
    if kind in PRODUCT_PAGES:
        return replace(session, product_pages=session.product_pages + 1,
                       product_seconds=add_seconds(session.product_seconds, seconds))
    return session


def cart_with(
    cart: tuple[CartLine, ...], product_id: str, quantity: int, price: float | None, category: str | None
) -> tuple[CartLine, ...]:
    """``cart`` with ``quantity`` more (or fewer) of a product: lines by product id.

    A price comes with adds only; a line known from a remove alone has none yet (0). A priced
    line stays at zero (out of :attr:`Session.in_cart`): dropped, its price would be lost or
    kept depending on whether a remove was read before or after the add.
    """
    lines = {line.product_id: line for line in cart}
    line = lines.get(product_id, CartLine(product_id, 0, 0.0))
    lines[product_id] = CartLine(
        product_id,
        line.quantity + quantity,
        line.price if price is None else price,
        line.category or category,
    )
    return tuple(line for _, line in sorted(lines.items()) if line.quantity != 0 or line.price)


def _order(profile: Profile, order: OrderPlaced, lateness: timedelta = NO_LATENESS) -> Profile:
    at = order.occurred_at
    # A distinct day unless a known order shares it; the kept orders always hold this one's
    # neighbours in time when it is within the lateness of the newest, so the count is exact.
    known_days = {t.date() for t in profile.recent_orders}
    known_days |= {t.date() for t in (profile.first_order_at, profile.last_order_at) if t is not None}
    new_day = profile.orders > 0 and at.date() not in known_days
    first = min(profile.first_order_at or at, at)
    last = max(profile.last_order_at or at, at)
    categories = profile.categories
    for item in order.line_items:
        if item.category:
            categories = bump(categories, item.category, item.quantity, TOP_CATEGORIES)
    discounted = bool(order.discount_code) or order.discount_amount > 0
    local = local_time(at, profile.time_zone)
    return replace(
        with_spend(profile, at, order.total),
        order_hours=count(profile.order_hours, 24, local.hour),
        order_weekdays=count(profile.order_weekdays, 7, local.weekday()),
        order_months=count(profile.order_months, 12, local.month - 1),
        order_days=profile.order_days + new_day,
        orders=profile.orders + 1,
        revenue=add_money(profile.revenue, order.total),
        discount_orders=profile.discount_orders + discounted,
        discount_total=add_money(profile.discount_total, order.discount_amount),
        first_order_at=first,
        last_order_at=last,
        # The gaps between consecutive orders add up to last − first, whatever the order read.
        gap_days_total=gap_days(first, last),
        categories=categories,
        recent_orders=kept_orders(profile.recent_orders, at, lateness),
    )


def gap_days(first: datetime | None, last: datetime | None) -> float:
    if first is None or last is None:
        return 0.0
    return round((last - first).total_seconds() / 86_400, 4)


def kept_orders(orders: tuple[datetime, ...], at: datetime, lateness: timedelta) -> tuple[datetime, ...]:
    """The order times to keep: those within ``lateness`` of the newest, and the one before."""
    times = sorted({*orders, at})
    within = [t for t in times if t >= times[-1] - lateness]
    older = times[: len(times) - len(within)][-1:]
    return tuple([*older, *within][-RECENT_ORDERS:])
