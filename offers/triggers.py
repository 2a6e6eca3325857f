"""The offer trigger: the record email systems consume from ``offer-triggers``.

Its JSON Schema is published as ``offers/offer-trigger.schema.json``; a unit test keeps
that file equal to :func:`json_schema`, so email-system authors can rely on it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from offers.vocabulary import AbandonmentKind, IncentiveType

TRIGGER_SCHEMA_VERSION: Final = 1


# No docstring: pydantic would copy it into the published trigger schema.
class Product(BaseModel):
    model_config = ConfigDict(frozen=True)

    product_id: str
    quantity: int = Field(default=1, ge=0)
    price: float | None = Field(default=None, ge=0)
    category: str | None = None


class Incentive(BaseModel):
    """What the email offers: a reminder, free shipping or a percentage off."""

    model_config = ConfigDict(frozen=True)

    type: IncentiveType
    value: float = Field(default=0.0, ge=0, description="Percent for percent_off; 0 otherwise.")
    code: str | None = None


class Reason(BaseModel):
    """Why this customer got this incentive, for marketers and audits."""

    model_config = ConfigDict(frozen=True)

    rule: str
    policy_version: str
    segment: str | None = None
    customer_type: str | None = None
    behaviour_segment: str | None = None
    intent: float | None = None
    loyalty: float | None = None


class OfferTrigger(BaseModel):
    """One time-limited offer to one customer for one abandoned session."""

    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = TRIGGER_SCHEMA_VERSION
    offer_id: str = Field(description="Stable per abandonment: a retry carries the same id.")
    customer_id: str
    session_id: str | None = None
    kind: AbandonmentKind
    products: tuple[Product, ...] = ()
    cart_value: float = Field(default=0.0, ge=0)
    incentive: Incentive
    issued_at: AwareDatetime
    expires_at: AwareDatetime
    call_to_action: str
    locale: str | None = None
    time_zone: str | None = None
    reason: Reason


def offer_id(customer_id: str, session_started_at: datetime) -> str:
    """A stable id for the abandonment of one session.

    >>> from datetime import datetime, timezone
    >>> offer_id("c1", datetime(2026, 1, 1, tzinfo=timezone.utc))
    'of-f3ef12a9bd370a6c'
    """
    digest = hashlib.blake2b(
        f"{customer_id}|{session_started_at.isoformat()}".encode(), digest_size=8
    ).hexdigest()
    return f"of-{digest}"


def json_schema() -> dict[str, object]:
    """The JSON Schema of the trigger record."""
    schema = OfferTrigger.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "offer-trigger.schema.json"
    return schema


def render_json_schema() -> str:
    """The text of ``offers/offer-trigger.schema.json`` (sorted keys, two-space indent, final newline).

    >>> render_json_schema().splitlines()[0], render_json_schema().endswith("}\\n")
    ('{', True)
    """
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
