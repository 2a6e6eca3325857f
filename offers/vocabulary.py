"""The words the offer policy is written in: segments, customer types, incentives, kinds.

A policy file may only use these words, so a typo in it is an error at load time
rather than a rule that silently never matches.  Segments and customer types are the
models' words (:mod:`models.rfm`, :mod:`models.customer_types`): the policy targets
what the models find, so it takes their vocabulary rather than keeping its own.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args

from models.customer_types import CUSTOMER_TYPES, CustomerType
from models.rfm import SEGMENTS, Segment

__all__ = [
    "ABANDONMENT_KINDS",
    "CUSTOMER_TYPES",
    "INCENTIVE_TYPES",
    "SEGMENTS",
    "AbandonmentKind",
    "CustomerType",
    "IncentiveType",
    "Segment",
]


# No docstring: pydantic would copy it into the published trigger schema.
class AbandonmentKind(StrEnum):
    CHECKOUT = "checkout_abandoned"
    CART = "cart_abandoned"
    BROWSE = "browse_abandoned"


#: What an offer email can hold out: a nudge, free shipping or a percentage off.
IncentiveType = Literal["reminder", "free_shipping", "percent_off"]

INCENTIVE_TYPES: tuple[str, ...] = get_args(IncentiveType)
ABANDONMENT_KINDS: tuple[str, ...] = tuple(kind.value for kind in AbandonmentKind)
