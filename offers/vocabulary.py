"""The words the offer policy is written in: segments, customer types, incentives, kinds.

A policy file may only use these words, so a typo in it is an error at load time
rather than a rule that silently never matches.  Segments and customer types are the
models' words (:mod:`models.rfm`, :mod:`models.customer_types`): the policy targets
what the models find, so it takes their vocabulary rather than keeping its own.

Behavioural segments are learned, so their names are not known when a policy is written:
a policy names them by the traits that set them apart (:data:`BEHAVIOUR_TRAITS`, the words
of :mod:`models.behaviour`, plus ``category:<name>`` and ``channel:<name>``), which follow
the behaviour whichever segment shows it, or by a segment's stable id (``B3``) as the
worker shows it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal, get_args

from models.behaviour import BEHAVIOUR_TRAITS, TRAIT_PREFIXES
from models.customer_types import CUSTOMER_TYPES, CustomerType
from models.rfm import SEGMENTS, Segment
from models.segments import SEGMENT_ID

__all__ = [
    "ABANDONMENT_KINDS",
    "BEHAVIOUR_TRAITS",
    "CUSTOMER_TYPES",
    "INCENTIVE_TYPES",
    "SEGMENTS",
    "AbandonmentKind",
    "CustomerType",
    "IncentiveType",
    "Segment",
    "is_behaviour_segment",
    "is_behaviour_trait",
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


def is_behaviour_trait(word: str) -> bool:
    """Whether ``word`` is a trait a behavioural segment can carry.

    >>> is_behaviour_trait("weekend"), is_behaviour_trait("category:shoes"), is_behaviour_trait("weekends")
    (True, True, False)
    """
    if word in BEHAVIOUR_TRAITS:
        return True
    return any(word.startswith(prefix) and word[len(prefix):].strip() for prefix in TRAIT_PREFIXES)


def is_behaviour_segment(word: str) -> bool:
    """Whether ``word`` is written as a behavioural segment's id.

    >>> is_behaviour_segment("B3"), is_behaviour_segment("b3"), is_behaviour_segment("Champions")
    (True, False, False)
    """
    return re.fullmatch(SEGMENT_ID, word) is not None
