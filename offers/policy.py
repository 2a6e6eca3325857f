"""Offer policy: whether an abandonment earns a trigger, and with which incentive.

This is the guard-rail layer (purchase, consent, frequency cap) plus the default
incentive.  It decides on plain values and returns a decision that says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from offers.abandonment import AbandonmentKind
from offers.triggers import Incentive

POLICY_VERSION = "2026-11-base"

CALLS_TO_ACTION = {
    AbandonmentKind.CHECKOUT: "Complete your order within the next hour",
    AbandonmentKind.CART: "Your basket is waiting: buy within the next hour",
    AbandonmentKind.BROWSE: "Still thinking about it? It's yours within the next hour",
}


@dataclass(frozen=True, slots=True)
class Customer:
    """What the policy may know about the customer, in plain values."""

    consent: bool | None
    last_offer_at: datetime | None
    orders: int


@dataclass(frozen=True, slots=True)
class Decision:
    """A trigger to send (``incentive`` set) or a suppression (``suppressed`` set)."""

    rule: str
    incentive: Incentive | None = None
    suppressed: str | None = None
    call_to_action: str = ""


def decide(
    kind: AbandonmentKind, customer: Customer, now: datetime, *, cap: timedelta
) -> Decision:
    """Decide what an abandonment earns.

    >>> from datetime import datetime, timedelta, timezone
    >>> now = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    >>> fresh = Customer(consent=None, last_offer_at=None, orders=0)
    >>> decide(AbandonmentKind.CART, fresh, now, cap=timedelta(hours=24)).incentive.type
    'reminder'
    >>> opted_out = Customer(consent=False, last_offer_at=None, orders=3)
    >>> decide(AbandonmentKind.CART, opted_out, now, cap=timedelta(hours=24)).suppressed
    'no_consent'
    >>> capped = Customer(consent=True, last_offer_at=now - timedelta(hours=2), orders=0)
    >>> decide(AbandonmentKind.CART, capped, now, cap=timedelta(hours=24)).suppressed
    'frequency_cap'
    """
    # Consent unknown means the site never asked at login: offers are transactional
    # reminders of the customer's own basket, so only an explicit "no" stops them.
    if customer.consent is False:
        return Decision(rule="consent", suppressed="no_consent")
    if customer.last_offer_at is not None and now - customer.last_offer_at < cap:
        return Decision(rule="frequency_cap", suppressed="frequency_cap")
    return Decision(
        rule="default_reminder",
        incentive=Incentive(type="reminder"),
        call_to_action=CALLS_TO_ACTION[kind],
    )
