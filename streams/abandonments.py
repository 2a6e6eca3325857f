"""What happens when a session ends: detect abandoned interest and decide the offer.

Pure: takes the customer's state and the ended session, returns the new state and the
trigger to publish (or why there is none).  The tracker calls it from two places, the
timer (a quiet session came due) and the event path (an event arrived after the
session had already timed out), so both give the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from offers import (
    POLICY_VERSION,
    AbandonmentKind,
    Customer,
    Interest,
    OfferTrigger,
    Product,
    Reason,
    abandoned,
    decide,
    offer_id,
)
from streams.state import CustomerState, Session, record_offer


@dataclass(frozen=True, slots=True)
class OfferRules:
    """The offer settings the decision needs, as plain values."""

    session_timeout: timedelta
    validity: timedelta
    cap: timedelta
    browse_views_threshold: int


@dataclass(frozen=True, slots=True)
class Ending:
    """The outcome of one ended session."""

    state: CustomerState
    purchased: bool
    kind: AbandonmentKind | None = None
    trigger: OfferTrigger | None = None
    suppressed: str | None = None
    #: When the abandonment was due (last activity + timeout).
    due_at: datetime | None = None


def interest_of(session: Session) -> Interest:
    return Interest(
        cart_items=session.cart_items,
        cart_value=session.cart_value,
        checkout_started=session.checkout_started,
        purchased=session.purchased,
        product_views=session.product_views,
        most_views_of_one_product=session.most_views_of_one_product,
    )


def end_session(state: CustomerState, ended: Session, now: datetime, rules: OfferRules) -> Ending:
    """Decide what the end of ``ended`` means for the customer in ``state``."""
    kind = abandoned(interest_of(ended), browse_views_threshold=rules.browse_views_threshold)
    if kind is None:
        return Ending(state, purchased=ended.purchased)
    due_at = ended.last_event_at + rules.session_timeout
    profile = state.profile
    decision = decide(
        kind,
        Customer(consent=profile.consent, last_offer_at=profile.last_offer_at, orders=profile.orders),
        now,
        cap=rules.cap,
    )
    if decision.incentive is None:
        return Ending(state, False, kind, suppressed=decision.suppressed, due_at=due_at)
    trigger = OfferTrigger(
        offer_id=offer_id(state.customer_id, ended.started_at),
        customer_id=state.customer_id,
        session_id=ended.session_id,
        kind=kind,
        products=_products(ended, kind),
        cart_value=ended.cart_value,
        incentive=decision.incentive,
        issued_at=now,
        expires_at=now + rules.validity,
        call_to_action=decision.call_to_action,
        locale=profile.locale,
        time_zone=profile.time_zone,
        reason=Reason(rule=decision.rule, policy_version=POLICY_VERSION),
    )
    return Ending(record_offer(state, now), False, kind, trigger=trigger, due_at=due_at)


def _products(session: Session, kind: AbandonmentKind) -> tuple[Product, ...]:
    if kind is AbandonmentKind.BROWSE:
        return tuple(Product(product_id=pid, quantity=0) for pid, _ in session.viewed[:3])
    return tuple(
        Product(product_id=line.product_id, quantity=line.quantity, price=line.price, category=line.category)
        for line in session.cart
    )
