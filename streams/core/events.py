"""Inbound event schemas for the ``site-visits`` and ``purchases`` topics.

Events are parsed once, at the edge, from the raw Kafka bytes into frozen pydantic
models; everything downstream works on these typed values.  One module-level
``TypeAdapter`` per topic validates a discriminated union on ``type``.

Unknown extra fields are tolerated (producers add fields before we do); missing or
wrongly typed required fields are not, and neither is a timestamp without a zone.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Final, Literal, TypeAlias

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    TypeAdapter,
    field_validator,
)

from models.ids import canonical_id, is_placeholder
from streams.core.state import utc

SCHEMA_VERSION: Literal[1] = 1

Id = Annotated[str, Field(min_length=1, max_length=128)]


Money = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]


#: The earliest time an event may claim: Unix time's start (the public purchase logs begin in the 1990s).
EARLIEST: Final = datetime(1970, 1, 1, tzinfo=timezone.utc)


class Event(BaseModel):
    """Fields every inbound event carries."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: Id
    customer_id: Id
    occurred_at: AwareDatetime
    session_id: Id | None = None
    schema_version: Literal[1] = SCHEMA_VERSION

    @field_validator("customer_id")
    @classmethod
    def _refuse_junk_ids(cls, value: str) -> str:
        if is_placeholder(value):
            raise ValueError(f"customer_id {value!r} is not an identifier")
        # An e-mail id in lower case, as the purchase logs read it: one customer however it was typed.
        return canonical_id(value)

    @field_validator("occurred_at")
    @classmethod
    def _on_utc(cls, value: datetime) -> datetime:
        # pydantic gives each parsed "...Z" a tzinfo object of its own; comparing times on two
        # of them costs ten times as much as on one, and the state and the timer compare event
        # times many times per event (streams.core.state.utc: same instant, same fields).
        value = utc(value)
        if value < EARLIEST:  # on one tzinfo now, as EARLIEST: the cheap comparison, once per event
            # An unset date written as the smallest one (.NET's DateTime.MinValue, 0001-01-01): the steps
            # reckon back from an event's time (lateness, windows), which overflowed and stopped the worker.
            raise ValueError(f"before {EARLIEST:%Y-%m-%d}: no shop's event is this old (an unset date?)")
        return value


# ---------------------------------------------------------------- site-visits


class PageViewed(Event):
    type: Literal["page_viewed"]
    url: Annotated[str, Field(max_length=2048)]
    page_type: Annotated[str, Field(max_length=32)] = "other"
    referrer: Annotated[str, Field(max_length=2048)] | None = None
    channel: Annotated[str, Field(max_length=64)] | None = None
    dwell_seconds: Annotated[float, Field(ge=0, le=86_400)] | None = None


class ProductViewed(Event):
    type: Literal["product_viewed"]
    product_id: Id
    category: Annotated[str, Field(max_length=128)] | None = None
    price: Money | None = None
    dwell_seconds: Annotated[float, Field(ge=0, le=86_400)] | None = None


class Searched(Event):
    type: Literal["searched"]
    query: Annotated[str, Field(max_length=512)]


class CartItemAdded(Event):
    type: Literal["cart_item_added"]
    product_id: Id
    quantity: PositiveInt = 1
    #: Unknown for some shops' adds; the line then counts in the cart at no value.
    price: Money | None = None
    category: Annotated[str, Field(max_length=128)] | None = None


class CartItemRemoved(Event):
    type: Literal["cart_item_removed"]
    product_id: Id
    quantity: PositiveInt = 1
    price: Money | None = None


class CartProduct(BaseModel):
    """One product of a cart or an order: what a cart snapshot and an order's lines hold."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    product_id: Id
    quantity: PositiveInt = 1
    price: Money | None = None
    category: Annotated[str, Field(max_length=128)] | None = None


Currency = Annotated[str, Field(min_length=3, max_length=3)]
Products = Annotated[tuple[CartProduct, ...], Field(max_length=1000)]


class CheckoutStarted(Event):
    """A checkout began; with ``products`` it also says what the cart holds (it replaces the known cart)."""

    type: Literal["checkout_started"]
    products: Products | None = None
    #: The shop's own value of the cart (discounts included), used when its lines carry no prices.
    value: Money | None = None
    currency: Currency | None = None


class CartViewed(Event):
    """The customer looked at their cart; with ``products`` it replaces the known cart."""

    type: Literal["cart_viewed"]
    products: Products | None = None
    value: Money | None = None
    currency: Currency | None = None


class CustomerTraits(BaseModel):
    """Optional traits a site learns at login."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    age_band: Annotated[str, Field(max_length=16)] | None = None
    country: Annotated[str, Field(max_length=64)] | None = None
    time_zone: Annotated[str, Field(max_length=64)] | None = None
    locale: Annotated[str, Field(max_length=16)] | None = None


class CustomerIdentified(Event):
    """A login: links the anonymous visitor id to a known customer id."""

    type: Literal["customer_identified"]
    anonymous_id: Id | None = None
    traits: CustomerTraits = CustomerTraits()
    marketing_consent: bool | None = None

    @field_validator("anonymous_id")
    @classmethod
    def _no_link_to_junk(cls, value: str | None) -> str | None:
        # A tag manager's placeholder ("null", "anonymous", "0000") is no visitor: the login
        # still counts, but it links nothing, so unrelated visitors are never merged.
        if value is None or is_placeholder(value):
            return None
        return canonical_id(value)


class Activity(Event):
    """Something a visitor did that has no tracker event of its own (a shop's "Coupon Entered").

    It keeps the visit going — a visit is activity with no gap longer than the session
    timeout — and changes nothing else.
    """

    type: Literal["activity"]
    name: Annotated[str, Field(max_length=100)]


class FeedbackSubmitted(Event):
    type: Literal["feedback_submitted"]
    rating: Annotated[int, Field(ge=1, le=5)] | None = None
    complaint: bool = False


SiteVisit: TypeAlias = Annotated[
    PageViewed
    | ProductViewed
    | Searched
    | CartItemAdded
    | CartItemRemoved
    | CheckoutStarted
    | CartViewed
    | CustomerIdentified
    | FeedbackSubmitted
    | Activity,
    Field(discriminator="type"),
]

# ------------------------------------------------------------------ purchases


class LineItem(CartProduct):
    """A line of an order."""


class OrderPlaced(Event):
    type: Literal["order_placed"]
    order_id: Id
    line_items: Annotated[tuple[LineItem, ...], Field(max_length=1000)] = ()
    total: Money
    #: None when the order names none: the intake gives it the shop's (TRACKER_CURRENCY), never a guess here.
    currency: Currency | None = None
    discount_code: Annotated[str, Field(max_length=64)] | None = None
    discount_amount: Money = 0.0


class OrderRefunded(Event):
    type: Literal["order_refunded"]
    order_id: Id
    amount: Money
    reason: Annotated[str, Field(max_length=256)] | None = None


Purchase: TypeAlias = Annotated[OrderPlaced | OrderRefunded, Field(discriminator="type")]

AnyEvent: TypeAlias = Annotated[
    PageViewed
    | ProductViewed
    | Searched
    | CartItemAdded
    | CartItemRemoved
    | CheckoutStarted
    | CartViewed
    | CustomerIdentified
    | FeedbackSubmitted
    | Activity
    | OrderPlaced
    | OrderRefunded,
    Field(discriminator="type"),
]

SITE_VISIT = TypeAdapter(SiteVisit)
PURCHASE = TypeAdapter(Purchase)
ANY_EVENT = TypeAdapter(AnyEvent)

#: Which event types each input topic accepts (by the topic's role, not its name).
SITE_VISIT_TYPES = frozenset(
    {
        "page_viewed",
        "product_viewed",
        "searched",
        "cart_item_added",
        "cart_item_removed",
        "checkout_started",
        "cart_viewed",
        "customer_identified",
        "feedback_submitted",
        "activity",
    }
)
PURCHASE_TYPES = frozenset({"order_placed", "order_refunded"})


def dump(event: Event) -> bytes:
    """The wire form of an event: compact JSON, ``None`` fields left out."""
    return event.model_dump_json(exclude_none=True).encode()


__all__ = [
    "ANY_EVENT",
    "Activity",
    "AnyEvent",
    "CartItemAdded",
    "CartItemRemoved",
    "CartProduct",
    "CartViewed",
    "CheckoutStarted",
    "CustomerIdentified",
    "CustomerTraits",
    "Event",
    "FeedbackSubmitted",
    "LineItem",
    "OrderPlaced",
    "OrderRefunded",
    "PURCHASE",
    "PURCHASE_TYPES",
    "PageViewed",
    "ProductViewed",
    "Purchase",
    "SCHEMA_VERSION",
    "SITE_VISIT",
    "SITE_VISIT_TYPES",
    "Searched",
    "SiteVisit",
    "dump",
]
