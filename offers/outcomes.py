"""What became of an offer: converted, cancelled or expired, and the ``offer-outcomes`` record.

An offer (sent or held out) is *active* from its issue time until it expires.  A purchase
in that window ends it: ``converted`` when the customer used the offer (its code, or any
purchase when the offer had no code), ``cancelled`` when they bought without it, so the
email system stops its sequence.  An offer nobody bought on ends ``expired``.

The record's JSON Schema is published as ``offers/offer-outcome.schema.json``; a unit
test keeps that file equal to :func:`json_schema`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from offers.triggers import OfferTrigger
from offers.vocabulary import AbandonmentKind

OUTCOME_SCHEMA_VERSION: Final = 1

#: How an offer ended.
Outcome = Literal["converted", "cancelled", "expired"]


@dataclass(frozen=True, slots=True)
class ActiveOffer:
    """An offer that is (or was) open: sent to the customer, or held out as control.

    ``code`` is ``None`` for a reminder and for a held-out offer (no code was issued).
    """

    offer_id: str
    kind: AbandonmentKind
    issued_at: datetime
    expires_at: datetime
    code: str | None = None
    holdout: bool = False

    @classmethod
    def from_trigger(cls, trigger: OfferTrigger) -> ActiveOffer:
        """The active offer a published trigger opened."""
        return cls(
            offer_id=trigger.offer_id,
            kind=trigger.kind,
            issued_at=trigger.issued_at,
            expires_at=trigger.expires_at,
            code=trigger.incentive.code,
        )


def expired(offer: ActiveOffer, now: datetime) -> bool:
    """Whether the offer's window has closed at ``now`` (``expires_at`` itself is too late).

    >>> from datetime import UTC, timedelta
    >>> t0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
    >>> offer = ActiveOffer(offer_id="of-1", kind=AbandonmentKind.CART, issued_at=t0,
    ...                     expires_at=t0 + timedelta(hours=1))
    >>> expired(offer, t0 + timedelta(minutes=59)), expired(offer, t0 + timedelta(hours=1))
    (False, True)
    """
    return now >= offer.expires_at


def outcome_of_purchase(
    offer: ActiveOffer, order_at: datetime, discount_code: str | None
) -> Literal["converted", "cancelled"] | None:
    """What an order placed at ``order_at`` with ``discount_code`` means for ``offer``.

    ``None`` when the order falls outside the offer's window (before it was issued, or
    once it expired): the order has nothing to do with the offer.

    Examples
    --------
    >>> from datetime import UTC, timedelta
    >>> t0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
    >>> offer = ActiveOffer(offer_id="of-1", kind=AbandonmentKind.CART, issued_at=t0,
    ...                     expires_at=t0 + timedelta(hours=1), code="OFFER-ABC")
    >>> outcome_of_purchase(offer, t0 + timedelta(minutes=20), "offer-abc")
    'converted'
    >>> outcome_of_purchase(offer, t0 + timedelta(minutes=20), None)
    'cancelled'
    >>> outcome_of_purchase(offer, t0 + timedelta(hours=2), "OFFER-ABC") is None
    True
    """
    if order_at < offer.issued_at or expired(offer, order_at):
        return None
    if offer.code is None:
        return "converted"
    # Customers type codes by hand: case and stray spaces are not a different code.
    used = discount_code is not None and discount_code.strip().upper() == offer.code.strip().upper()
    return "converted" if used else "cancelled"


class OfferOutcome(BaseModel):
    """How one offer ended, for email systems (stop the sequence) and marketers (results)."""

    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = OUTCOME_SCHEMA_VERSION
    offer_id: str = Field(description="The offer_id of the trigger (or of the held-out offer).")
    customer_id: str
    outcome: Outcome
    kind: AbandonmentKind
    occurred_at: AwareDatetime = Field(description="The order time, or the expiry time for 'expired'.")
    order_id: str | None = None
    order_total: float | None = Field(default=None, ge=0)
    holdout: bool = Field(default=False, description="True for the control group: no trigger was ever sent.")


def json_schema() -> dict[str, object]:
    """The JSON Schema of the outcome record.

    >>> json_schema()["required"]
    ['offer_id', 'customer_id', 'outcome', 'kind', 'occurred_at']
    """
    schema = OfferOutcome.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "offer-outcome.schema.json"
    return schema


def render_json_schema() -> str:
    """The published schema file's text (sorted keys, two-space indent, final newline).

    >>> render_json_schema().splitlines()[0], render_json_schema().endswith("}\\n")
    ('{', True)
    """
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
