"""How an offer ends: a purchase in its window converts or cancels it; otherwise it expires."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from offers import (
    AbandonmentKind,
    ActiveOffer,
    Incentive,
    OfferOutcome,
    OfferTrigger,
    Reason,
    expired,
    outcome_of_purchase,
)

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)
HOUR = timedelta(hours=1)


def offer(code: str | None = "OFFER-ABCDEFGH", holdout: bool = False) -> ActiveOffer:
    return ActiveOffer(offer_id="of-1", kind=AbandonmentKind.CART, issued_at=T0, expires_at=T0 + HOUR,
                       code=code, holdout=holdout)


@pytest.mark.parametrize("used", ["OFFER-ABCDEFGH", "offer-abcdefgh", "  OFFER-ABCDEFGH "])
def test_purchase_with_the_offer_code_in_the_window_converts(used):
    """Using the code (in any case, with stray spaces) within validity is a conversion."""
    assert outcome_of_purchase(offer(), T0 + timedelta(minutes=20), used) == "converted"


@pytest.mark.parametrize("used", [None, "", "SUMMER10", "OFFER-ZZZZZZZZ"])
def test_purchase_without_the_offer_code_cancels(used):
    """Buying within validity without the offer's code cancels it: the email sequence must stop."""
    assert outcome_of_purchase(offer(), T0 + timedelta(minutes=20), used) == "cancelled"


def test_any_purchase_converts_an_offer_without_a_code():
    """A reminder has no code to use: any purchase within validity converts it."""
    assert outcome_of_purchase(offer(code=None), T0 + timedelta(minutes=5), None) == "converted"
    assert outcome_of_purchase(offer(code=None), T0 + timedelta(minutes=5), "OTHER") == "converted"


def test_held_out_offer_converts_on_any_purchase_in_its_window():
    """The control group's 'conversion' is a purchase in the same window the treated group had."""
    assert outcome_of_purchase(offer(code=None, holdout=True), T0 + timedelta(minutes=59), None) == "converted"


@pytest.mark.parametrize(("at", "outcome"), [
    (T0 - timedelta(seconds=1), None),
    (T0, "converted"),
    (T0 + HOUR - timedelta(microseconds=1), "converted"),
    (T0 + HOUR, None),
    (T0 + 2 * HOUR, None),
])
def test_window_is_from_issue_up_to_expiry(at, outcome):
    """The window is [issued_at, expires_at): before or at/after expiry the order is unrelated."""
    assert outcome_of_purchase(offer(), at, "OFFER-ABCDEFGH") == outcome


def test_expired_at_and_after_expires_at():
    """expired() turns true exactly at expires_at."""
    assert [expired(offer(), T0 + d) for d in (timedelta(0), HOUR - timedelta(seconds=1), HOUR, 2 * HOUR)] == [
        False, False, True, True]


def test_active_offer_from_a_trigger_takes_its_window_and_code():
    """A published trigger opens an active, treated offer with the trigger's times and code."""
    trigger = OfferTrigger(
        offer_id="of-9", customer_id="c1", kind=AbandonmentKind.CHECKOUT,
        incentive=Incentive(type="percent_off", value=10, code="OFFER-XYZ"),
        issued_at=T0, expires_at=T0 + HOUR, call_to_action="Buy now",
        reason=Reason(rule="r", policy_version="v"),
    )
    assert ActiveOffer.from_trigger(trigger) == ActiveOffer(
        offer_id="of-9", kind=AbandonmentKind.CHECKOUT, issued_at=T0, expires_at=T0 + HOUR, code="OFFER-XYZ",
        holdout=False)


def test_outcome_record_round_trips_through_json():
    """An OfferOutcome serialises to JSON and parses back equal, with schema_version 1."""
    record = OfferOutcome(offer_id="of-1", customer_id="c1", outcome="converted", kind=AbandonmentKind.CART,
                          occurred_at=T0, order_id="o1", order_total=59.5)
    body = json.loads(record.model_dump_json())
    assert body["schema_version"] == 1 and body["holdout"] is False and body["kind"] == "cart_abandoned"
    assert OfferOutcome.model_validate_json(record.model_dump_json()) == record


@pytest.mark.parametrize("bad", [
    {"outcome": "bought"},
    {"occurred_at": "2026-03-02T10:00:00"},
    {"order_total": -1},
    {"kind": "basket_abandoned"},
])
def test_outcome_record_refuses_invalid_values(bad):
    """Unknown outcomes and kinds, naive times and negative totals are refused."""
    valid = {"offer_id": "of-1", "customer_id": "c1", "outcome": "expired", "kind": "cart_abandoned",
             "occurred_at": T0.isoformat()}
    with pytest.raises(ValidationError):
        OfferOutcome.model_validate({**valid, **bad})


def test_active_offer_fields_may_be_given_in_order():
    """ActiveOffer(offer_id, kind, issued_at, expires_at, code, holdout), as the tracker builds it."""
    assert ActiveOffer("of-1", AbandonmentKind.CART, T0, T0 + HOUR, "OFFER-ABCDEFGH", False) == offer()
