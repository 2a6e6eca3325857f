"""What happens over time to a customer's abandoned interest, as pure functions.

    event ──► placed in its visit (or late: lifetime totals only, counted)
    session ends with interest ──► pending abandonment ──(due)──► policy decision
        send ──► trigger + open offer ──► purchase within validity: converted / cancelled
                                      └─► validity passes:          expired
        hold_out ──► open offer, no trigger (the control group, tracked the same way)
        defer ──► pending again, due when quiet hours end (hold-outs too: both groups'
                  windows open at the same hour); a purchase meanwhile withdraws it
        suppress ──► nothing, with the reason

Every step returns the new state and a list of effects (records to publish, things to
count); the worker turns effects into metrics, learning and outbox entries
(:mod:`streams.worker.effects`).  Decisions are taken at the wall-clock time live, and at
the time they were due when replaying history (``event_time``), so a replay gives the same
triggers every time.

A session ends only once no event within ``Rules.allowed_lateness`` can join it any more
(its last event + the timeout + the lateness has passed), so late events are placed in the
visit they belong to before its offer is decided; the offer is still due, and decided in
replays, at last event + timeout.  See :mod:`streams.core.visits` for the whole rule.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeAlias

from models.customer_types import customer_type_names
from models.errors import FieldError
from offers import (
    AbandonmentKind,
    Customer,
    OfferOutcome,
    OfferTrigger,
    Policy,
    Product,
    abandoned,
    offer_id,
)
from offers.abandonment import Interest
from offers.outcomes import ActiveOffer, outcome_of_purchase
from streams.core.carts import cart_and_value, settle
from streams.core.events import AnyEvent, OrderPlaced
from streams.core.frozen import replace
from streams.core.insights import facts_of
from streams.core.state import (
    CART_TTL,
    RECENT_EVENTS,
    Abandonment,
    CartLine,
    CustomerState,
    OpenOffer,
    Profile,
    Session,
)
from streams.core.visits import apply, cart_horizon, close_due


@dataclass(frozen=True, slots=True)
class Rules:
    """The timing rules of the lifecycle, as plain values."""

    session_timeout: timedelta
    browse_views_threshold: int
    #: Decide at the time a step was due (replays) rather than at the clock's time (live).
    event_time: bool = False
    #: How late (event time) an event may come and still be placed in its visit.
    allowed_lateness: timedelta = timedelta(0)
    #: How long a cart nobody touches is kept (event time).
    cart_ttl: timedelta = CART_TTL
    #: How many of a customer's latest events the profile keeps (0: none).
    recent_events: int = RECENT_EVENTS
    #: Let the models' scores and placements decide on event time too (a replay then no longer
    #: repeats exactly: the scores depend on the order partitions were learned in).
    scores_in_event_time: bool = False

    def __post_init__(self) -> None:
        if not timedelta(0) <= self.allowed_lateness <= self.session_timeout:
            raise ValueError(
                f"allowed lateness must be between 0 and the session timeout ({self.session_timeout}),"
                f" got {self.allowed_lateness}"
            )


# ---------------------------------------------------------------- effects


@dataclass(frozen=True, slots=True)
class SessionEnded:
    session: Session

    @property
    def purchased(self) -> bool:
        return self.session.purchased


@dataclass(frozen=True, slots=True)
class LateEvent:
    """An event too late for its visit: counted in lifetime totals, kept out of sessions."""

    event: AnyEvent


@dataclass(frozen=True, slots=True)
class Issued:
    trigger: OfferTrigger
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Suppressed:
    kind: str
    reason: str
    #: When it was decided (event time in replays): the page counts decisions by day.
    at: datetime | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class HeldOut:
    kind: str
    #: When the control group's window opened (event time in replays).
    at: datetime | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Deferred:
    kind: str
    until: datetime


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """A pending (deferred) abandonment the customer bought before its offer window opened.

    Its ``cancelled`` record still goes out, but neither group's window opened, so it does not
    count toward the uplift.
    """

    outcome: OfferOutcome


@dataclass(frozen=True, slots=True)
class Resolved:
    outcome: OfferOutcome


Effect: TypeAlias = SessionEnded | LateEvent | Issued | Suppressed | HeldOut | Deferred | Withdrawn | Resolved

#: Places a customer whose visit ended in a behavioural segment (the worker's model call; the core stays pure).
Place: TypeAlias = Callable[[CustomerState], CustomerState]


# ------------------------------------------------------------------ steps


def interest_of(session: Session, cart: tuple[CartLine, ...] = (), value: float = 0.0) -> Interest:
    """What an ended visit showed: its own activity, and the customer's ``cart`` as of its end."""
    return Interest(
        cart_items=sum(line.quantity for line in cart),
        cart_value=value,
        cart_added=bool(session.in_cart),
        checkout_started=session.checkout_started,
        purchased=session.purchased,
        product_views=session.product_views,
        most_views_of_one_product=session.most_views_of_one_product,
    )


def receive(state: CustomerState, event: AnyEvent, rules: Rules) -> tuple[CustomerState, list[Effect]]:
    """Apply one event: place it (or count it late) and end the sessions it showed are over."""
    applied = apply(state, event, rules.session_timeout, rules.allowed_lateness, rules.cart_ttl,
                    rules.recent_events)
    effects: list[Effect] = [LateEvent(event)] if applied.late else []
    state = applied.state
    for ended in applied.ended:
        state, more = end_session(state, ended, rules)
        effects += more
    return _settled(state, rules), effects


def _settled(state: CustomerState, rules: Rules) -> CustomerState:
    """The state with its cart changes folded in as far as no visit or late event needs them apart."""
    cart = state.profile.cart
    horizon = cart_horizon(state, rules.allowed_lateness)
    if horizon is None:
        return state
    settled = settle(cart, horizon, rules.cart_ttl)
    return state if settled is cart else replace(state, profile=replace(state.profile, cart=settled))


def end_session(state: CustomerState, ended: Session, rules: Rules) -> tuple[CustomerState, list[Effect]]:
    """Record the end of ``ended``: a pending abandonment if it left interest behind.

    A visit that started a checkout with something in the customer's cart abandoned the
    checkout, one that added to the cart abandoned the cart (an old cart alone is no new
    interest); the offer's products and value are the customer's cart as of the visit's end.
    """
    effects: list[Effect] = [SessionEnded(ended)]
    cart, value = cart_and_value(state.profile.cart, ended.last_event_at, rules.cart_ttl)
    kind = abandoned(interest_of(ended, cart, value), browse_views_threshold=rules.browse_views_threshold)
    if kind is None:
        return state, effects
    last_order = state.profile.last_order_at
    due = ended.last_event_at + rules.session_timeout
    if last_order is not None and last_order >= due and (
        not rules.event_time or last_order < due + rules.allowed_lateness
    ):
        # Bought after the visit, read before it closed: live, nothing to offer any more. On
        # the event clock only an order within the lateness: one bought later (read first, as
        # a replay's purchases topic may run ahead of its visits) came after the offer was due,
        # and the offer decided at its due time is what the history holds.
        return state, effects
    browse = kind is AbandonmentKind.BROWSE
    pending = Abandonment(
        kind=kind.value,
        due_at=ended.last_event_at + rules.session_timeout,
        session_started_at=ended.started_at,
        session_id=ended.session_id,
        products=tuple(CartLine(pid, 0, 0.0) for pid, _ in ended.viewed[:3]) if browse else cart,
        cart_value=0.0 if browse else value,
    )
    # A newer abandonment replaces one still waiting for its window (deferred by quiet hours):
    # the customer's latest interest is the one worth an offer.  On the event clock one due
    # before it has not been decided yet (the replay's clock is held back by its slower topic,
    # while this visit's events ran ahead): it waits its turn, as it would have had the clock
    # kept up, so which offers a replay makes does not depend on which topic ran ahead.
    waiting = tuple(w for w in _waiting(state.profile) if w.due_at < pending.due_at) if rules.event_time else ()
    return replace(state, profile=_with_waiting(state.profile, (*waiting, pending))), effects


def advance(
    state: CustomerState, until: datetime, rules: Rules, policy: Policy, *, now: datetime,
    place: Place | None = None,
) -> tuple[CustomerState, list[Effect]]:
    """Take every step that has come due for this customer by ``until``.

    Live, decisions carry the clock's ``now``; with ``rules.event_time`` they carry the
    time they were due, which makes a replay deterministic.  When visits end here, ``place``
    (a model's call, the worker's) places the customer once, after they ended and before the
    offer is decided: the decision reads a placement made with the whole visit.
    """
    effects: list[Effect] = []
    closed = close_due(state, until, rules.session_timeout, rules.allowed_lateness)
    state = closed.state
    for ended in closed.ended:
        state, more = end_session(state, ended, rules)
        effects += more
    if closed.ended and place is not None:
        state = place(state)
    # Each step in the order it came due: an offer expires before an abandonment due after it is
    # decided (a replay's clock may have let several of them come due at once).  Each waiting
    # abandonment takes at most three turns (deferred to the end of its quiet hours, decided,
    # its offer expired), the open offer one; what a bound left is the next call's.
    for _ in range(3 * (len(state.profile.queued) + 1) + 2):
        pending = state.profile.pending
        due = pending.due_at if pending is not None and pending.due_at <= until else None
        offer = state.profile.open_offer
        if offer is not None and offer.expires_at <= until and (due is None or offer.expires_at <= due):
            state, more = _expire(state, offer)
        elif pending is not None and due is not None:
            at = due if rules.event_time else now
            state, more = _decide(state, pending, at, policy, scores=not rules.event_time or rules.scores_in_event_time)
        else:
            break
        effects += more
    return _settled(state, rules), effects


def on_order(state: CustomerState, order: OrderPlaced, rules: Rules | None = None) -> tuple[CustomerState, list[Effect]]:
    """A purchase resolves the open offer and cancels the pending ones.

    On the event clock (``rules.event_time``) a pending offer due more than the lateness
    before the order stays: the replay's clock had not reached it yet (the purchases topic ran
    ahead), and it is decided at its due time, before the purchase, as the history had it.
    """
    effects: list[Effect] = []
    profile = state.profile
    if profile.pending is not None:
        waiting = _waiting(profile)
        kept = 0  # in due order: those due more than the lateness before the order stay (event clock)
        if rules is not None and rules.event_time:
            kept = sum(1 for w in waiting if w.due_at + rules.allowed_lateness <= order.occurred_at)
        # Not sent yet (deferred by quiet hours, or the worker was behind): the customer bought first.
        for pending in waiting[kept:]:
            effects.append(Withdrawn(_outcome(state, offer_id(state.customer_id, pending.session_started_at),
                                              pending.kind, "cancelled", order.occurred_at, order, holdout=False)))
        profile = _with_waiting(profile, waiting[:kept])
    offer = profile.open_offer
    if offer is not None:
        active = ActiveOffer(offer.offer_id, AbandonmentKind(offer.kind), offer.issued_at, offer.expires_at, offer.code, offer.holdout)
        outcome = outcome_of_purchase(active, order.occurred_at, order.discount_code)
        if outcome is not None:
            effects.append(Resolved(_outcome(state, offer.offer_id, offer.kind, outcome, order.occurred_at, order,
                                             holdout=offer.holdout)))
            profile = replace(
                profile,
                open_offer=None,
                conversions=profile.conversions + (not offer.holdout),
                holdout_conversions=profile.holdout_conversions + offer.holdout,
            )
    return replace(state, profile=profile), effects


def next_due(state: CustomerState, rules: Rules, *, undelivered_since: datetime | None = None) -> datetime | None:
    """When this customer next needs looking at, or ``None``.

    While records of theirs wait in the outbox (``undelivered_since``: when they were found
    waiting), at once: the timer retries them.  Otherwise the earliest of: an open visit
    that can close, a pending abandonment to decide, an open offer to expire, a silent
    customer's review by the models (``Profile.review_due_at``).
    """
    if undelivered_since is not None:
        return undelivered_since
    candidates = []
    session = state.session
    if session is not None:  # its open visits (``state.open_sessions``, without copying the newest to unlink it)
        candidates.append(session.last_event_at + rules.session_timeout + rules.allowed_lateness)
        if session.earlier is not None:
            candidates.append(session.earlier.last_event_at + rules.session_timeout + rules.allowed_lateness)
    if state.profile.pending is not None:
        candidates.append(state.profile.pending.due_at)
    if state.profile.open_offer is not None:
        candidates.append(state.profile.open_offer.expires_at)
    if state.profile.review_due_at is not None:  # the models' snapshot of a silent customer
        candidates.append(state.profile.review_due_at)
    return min(candidates, default=None)


# ---------------------------------------------------------------- helpers


def customer_view(state: CustomerState, *, scores: bool = True, at: datetime | None = None) -> Customer:
    """What the policy knows of the customer; without ``scores`` it decides on profile rules alone.

    With ``at`` (the decision's time), also the customer's types as of then
    (:func:`models.customer_types.customer_type_names`: loyal, bargain hunter, new, ...; their
    names only, the evidence sentences are the customer page's), read from the profile — without
    ``scores``, from its orders, refunds and dates only, so a replay gives the same types every time.
    """
    p = state.profile
    types: tuple[str, ...] = ()
    if at is not None:
        types = _types(state, at, scores=scores)
    return Customer(
        customer_id=state.customer_id,
        consent=p.consent,
        last_offer_at=p.last_offer_at,
        orders=p.orders,
        revenue=p.revenue,
        refunds=p.refunds,
        discount_orders=p.discount_orders,
        intent=p.intent if scores else None,
        loyalty=p.loyalty if scores else None,
        time_zone=p.time_zone,
        # A learned placement, like the scores: a replay decides without it.
        behaviour_segment=p.behaviour_segment if scores else None,
        behaviour_traits=p.behaviour_traits if scores else (),
        customer_types=types,
    )


def _types(state: CustomerState, at: datetime, *, scores: bool) -> tuple[str, ...]:
    """The customer's types at ``at``; none where the profile cannot be read as facts (the decision goes on)."""
    try:
        facts = facts_of(state.customer_id, state.profile, scores=scores)
    except FieldError:  # e.g. orders counted with no order time (a profile written by hand): no types
        return ()
    return customer_type_names(facts, at)


def _decide(
    state: CustomerState, pending: Abandonment, at: datetime, policy: Policy, *, scores: bool
) -> tuple[CustomerState, list[Effect]]:
    profile = state.profile
    if profile.merged_into is not None:
        # The visitor logged in: their interest now lives on the customer's profile, and
        # an anonymous id has no address to send to.
        return replace(state, profile=_with_waiting(profile, profile.queued)), [Suppressed(pending.kind, "identified", at)]
    # Model scores depend on the order in which partitions were learned from, so a replay
    # decides on profile rules alone: that is what makes it repeat exactly.
    customer = customer_view(state, scores=scores, at=at)
    the_offer_id = offer_id(state.customer_id, pending.session_started_at)
    decision = policy.decide(AbandonmentKind(pending.kind), customer, at, offer_id=the_offer_id)
    if decision.action == "suppress":
        reason = decision.suppressed or decision.rule
        return replace(state, profile=_with_waiting(profile, profile.queued)), [Suppressed(pending.kind, reason, at)]
    if decision.action == "defer":
        assert decision.defer_until is not None
        deferred = replace(pending, due_at=decision.defer_until)
        # A later visit's abandonment due by then replaces it, as one that ends while it waits does.
        queued = profile.queued
        waiting = queued if queued and queued[0].due_at <= deferred.due_at else (deferred, *queued)
        return replace(state, profile=_with_waiting(profile, waiting)), [Deferred(pending.kind, deferred.due_at)]

    effects: list[Effect] = []
    if profile.open_offer is not None:
        # Only when the cap is shorter than an offer's validity: the old offer ends here.
        state, effects = _expire(state, profile.open_offer)
        profile = state.profile
    expires_at = at + decision.validity
    holdout = decision.action == "hold_out"
    incentive = decision.incentive
    open_offer = OpenOffer(the_offer_id, pending.kind, at, expires_at, incentive.code if incentive else None, holdout)
    profile = replace(
        _with_waiting(profile, profile.queued),
        open_offer=open_offer,
        last_offer_at=at,
        offers=profile.offers + (not holdout),
        holdouts=profile.holdouts + holdout,
    )
    if holdout:
        return replace(state, profile=profile), [*effects, HeldOut(pending.kind, at)]
    assert incentive is not None
    trigger = OfferTrigger(
        offer_id=the_offer_id,
        customer_id=state.customer_id,
        session_id=pending.session_id,
        kind=AbandonmentKind(pending.kind),
        products=tuple(
            Product(product_id=line.product_id, quantity=line.quantity,
                    price=line.price if line.quantity else None, category=line.category)
            for line in pending.products
        ),
        cart_value=pending.cart_value,
        incentive=incentive,
        issued_at=at,
        expires_at=expires_at,
        call_to_action=decision.call_to_action,
        locale=profile.locale,
        time_zone=profile.time_zone,
        reason=decision.reason(customer),
    )
    return replace(state, profile=profile), [*effects, Issued(trigger, pending.due_at)]


def _waiting(profile: Profile) -> tuple[Abandonment, ...]:
    """The customer's abandonments waiting for their decision, in due order."""
    return () if profile.pending is None else (profile.pending, *profile.queued)


def _with_waiting(profile: Profile, waiting: tuple[Abandonment, ...]) -> Profile:
    return replace(profile, pending=waiting[0] if waiting else None, queued=waiting[1:])


def _expire(state: CustomerState, offer: OpenOffer) -> tuple[CustomerState, list[Effect]]:
    outcome = _outcome(state, offer.offer_id, offer.kind, "expired", offer.expires_at, None, holdout=offer.holdout)
    return replace(state, profile=replace(state.profile, open_offer=None)), [Resolved(outcome)]


def _outcome(
    state: CustomerState, the_offer_id: str, kind: str, outcome: str, at: datetime,
    order: OrderPlaced | None, *, holdout: bool,
) -> OfferOutcome:
    return OfferOutcome(
        offer_id=the_offer_id,
        customer_id=state.customer_id,
        outcome=outcome,  # type: ignore[arg-type]
        kind=AbandonmentKind(kind),
        occurred_at=at,
        order_id=order.order_id if order else None,
        order_total=order.total if order else None,
        holdout=holdout,
    )
