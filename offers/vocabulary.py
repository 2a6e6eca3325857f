"""The words the offer policy is written in: segments, customer types, incentives, kinds.

A policy file may only use these words, so a typo in it is an error at load time
rather than a rule that silently never matches.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args


# No docstring: pydantic would copy it into the published trigger schema.
class AbandonmentKind(StrEnum):
    CHECKOUT = "checkout_abandoned"
    CART = "cart_abandoned"
    BROWSE = "browse_abandoned"


#: The usual RFM segment names, best to worst.
Segment = Literal[
    "Champions",
    "Loyal",
    "Potential Loyalists",
    "New",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
]

#: Customer types read from behaviour; a customer may have several.
CustomerType = Literal[
    "bargain_hunter",
    "convenience",
    "connected",
    "loyal",
    "new",
    "looker",
    "researcher",
    "dissatisfied",
]

#: What an offer email can hold out: a nudge, free shipping or a percentage off.
IncentiveType = Literal["reminder", "free_shipping", "percent_off"]

SEGMENTS: tuple[str, ...] = get_args(Segment)
CUSTOMER_TYPES: tuple[str, ...] = get_args(CustomerType)
INCENTIVE_TYPES: tuple[str, ...] = get_args(IncentiveType)
ABANDONMENT_KINDS: tuple[str, ...] = tuple(kind.value for kind in AbandonmentKind)
