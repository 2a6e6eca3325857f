"""What sets a group of customers apart, in the words of :mod:`models.behaviour`: its traits.

A group's traits are the measures on which its centre is furthest from the average customer,
in standard deviations, said with the measure's word for that direction ("bargain_hunter" for a
high share of discounted orders, "full_price" for a low one), and its favourite category or
channel where it is well above the average's. Segments are named by them, the offer policy
targets them, and the avatars are drawn from them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from models.behaviour import MEASURES, TRAIT_PREFIXES, measures_by_key

__all__ = ["TOP_TRAITS", "TRAIT_MIN_Z", "SegmentCentre", "distinguishing"]

#: A trait is distinguishing from this many standard deviations away from the average.
TRAIT_MIN_Z = 0.5
#: Traits read out per segment.
TOP_TRAITS = 3


def distinguishing(z: Mapping[str, float], top: int = TOP_TRAITS, min_z: float = TRAIT_MIN_Z) -> tuple[str, ...]:
    """The trait words of a point ``z`` standard deviations from the average, most distinctive first.

    A measure counts when ``|z| >= min_z`` and it has a word for that direction; a category or
    channel share counts when above the average (``category:shoes``). At most one favourite
    category or channel is among the ``top`` while measures are left: a segment is named for
    what its customers do first, then for what they like.

    Examples
    --------
    >>> distinguishing({"discount_share": 1.4, "weekend_share": 0.9, "basket": -0.7, "visits": 0.1})
    ('bargain_hunter', 'weekend', 'small_basket')
    >>> distinguishing({"category:toys": 2.0, "channel:tiktok": 1.9, "night_share": 0.6})
    ('category:toys', 'channel:tiktok', 'night_owl')

    """
    measures = measures_by_key()
    order = {m.key: i for i, m in enumerate(MEASURES)}
    doing: list[tuple[float, int, str]] = []
    liking: list[tuple[float, int, str]] = []
    for key, value in z.items():
        if abs(value) < min_z:
            continue
        if key.startswith(TRAIT_PREFIXES):
            if value > 0:
                liking.append((-value, len(order), key))
            continue
        measure = measures.get(key)
        word = None if measure is None else (measure.high if value > 0 else measure.low)
        if word is not None and all(word.trait != t for _, _, t in doing):
            doing.append((-abs(value), order[key], word.trait))
    doing.sort()
    liking.sort()
    chosen = doing[: top - 1] + liking[:1]
    rest = doing[top - 1:] + liking[1:]
    chosen += rest[: max(top - len(chosen), 0)]
    return tuple(trait for _, _, trait in sorted(chosen))


@dataclasses.dataclass(frozen=True, slots=True)
class SegmentCentre:
    """One behavioural segment as the model last read it.

    ``centre`` is in feature units (:func:`models.behaviour.behaviour_features`), ``z`` the
    same point in standard deviations from the average customer; ``share`` is its share of the
    model's recent points; ``born`` the number of points the model had learned when the segment
    first appeared; ``traits`` the words of what sets it apart, most distinctive first.
    """

    id: str
    centre: Mapping[str, float]
    z: Mapping[str, float]
    share: float
    born: int
    traits: tuple[str, ...]
