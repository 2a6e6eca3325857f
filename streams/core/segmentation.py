"""Behavioural segments and personas in the tracker's terms: a profile's features, placing a customer, portraits.

The model (:class:`models.segments.BehaviourSegments`) learns in the worker; this module is
what the worker and the insights ask of it, as pure functions on profiles:

- :func:`behaviour_of`: a profile's behaviour features, with the offers it took and, where
  the value model wrote one on the profile, its predicted value;
- :func:`placed`: the customer's state with the segment the model places them in and its
  traits (what the offer policy reads at decision time);
- :func:`describe`: for every profile of the insights, its behavioural segment, and a
  portrait (:mod:`models.portraits`) of every RFM and behavioural segment, with its most
  typical real customer — the one nearest the segment's mean;
- :func:`sizes`: the segments' active customers, for the emergence watch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from models.behaviour import CATEGORY, OTHER, BehaviourFacts, behaviour_features
from models.customer_facts import Counts, CustomerFacts
from models.emergence import SegmentSize
from models.personas import Persona, PersonaBuilder
from models.portraits import Kind, Portrait, TraitSketch, portrait
from models.traits import distinguishing
from streams.core.frozen import replace
from streams.core.state import CustomerState, Profile

if TYPE_CHECKING:  # only a type here: describing segments without a model imports no clusterer
    from models.segments import BehaviourSegments

#: The profile field where the value model keeps its latest prediction (money), if it does.
VALUE_FIELD = "value"


def predicted_value(profile: Profile) -> float | None:
    """The value model's latest prediction on the profile, ``None`` where there is none.

    >>> predicted_value(Profile()) is None
    True
    """
    value = getattr(profile, VALUE_FIELD, None)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def behaviour_of(profile: Profile, facts: BehaviourFacts, vocabulary: Sequence[str] = ()) -> dict[str, float]:
    """The behaviour features of one customer (:func:`models.behaviour.behaviour_features`).

    ``facts`` are the profile's :func:`~streams.core.insights.facts_of`, or (cheaper, on the
    worker's path) its :class:`~streams.core.insights.LiveFacts`.
    """
    return behaviour_features(facts, offers=profile.offers, offers_taken=profile.conversions,
                              predicted_value=predicted_value(profile), vocabulary=vocabulary)


def placed(state: CustomerState, facts: BehaviourFacts, model: BehaviourSegments) -> CustomerState:
    """``state`` with the behavioural segment the model places the customer in, and its traits.

    Before the model has segments the state is returned as it is.
    """
    p = state.profile
    segment_id = model.predict_facts(facts, offers=p.offers, offers_taken=p.conversions,
                                     predicted_value=predicted_value(p))
    if segment_id is None:
        return state
    traits = named(model.traits_of(segment_id), p.categories, p.channels, model.vocabulary)
    if p.behaviour_segment == segment_id and p.behaviour_traits == traits:
        return state
    return replace(state, profile=replace(p, behaviour_segment=segment_id, behaviour_traits=traits))


def named(
    traits: Sequence[str], categories: Counts, channels: Counts, vocabulary: Sequence[str]
) -> tuple[str, ...]:
    """``traits`` with ``category:other`` and ``channel:other`` named: the favourite outside the vocabulary.

    >>> named(("night_owl", "channel:other"), (), (("email", 1), ("tiktok", 5)), ["channel:email"])
    ('night_owl', 'channel:tiktok')
    """
    out = []
    for trait in traits:
        if trait.endswith(":" + OTHER):
            prefix = trait[: -len(OTHER)]
            counts = categories if prefix == CATEGORY else channels
            fresh = [name for name, _ in counts if prefix + name not in vocabulary]
            trait = prefix + fresh[0] if fresh else trait
        out.append(trait)
    return tuple(out)


@dataclass
class Described:
    """What :func:`describe` found: each customer's behavioural segment, and every segment's portrait."""

    behaviour_of: dict[str, str] = field(default_factory=dict)
    behaviour_personas: list[Persona] = field(default_factory=list)
    portraits: dict[tuple[Kind, str], Portrait] = field(default_factory=dict)
    #: The behavioural segments' traits (read from their customers), the model's centres (features'
    #: units) and its scale.
    traits: dict[str, tuple[str, ...]] = field(default_factory=dict)
    centres: dict[str, dict[str, float]] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)


def describe(
    profiles: Sequence[tuple[str, Profile]],
    facts: Mapping[str, CustomerFacts],
    rfm_of: Mapping[str, str],
    rfm_personas: Sequence[Persona],
    model: BehaviourSegments | None,
    *,
    currency: str = "GBP",
) -> Described:
    """Place every customer (with ``model``, if any) and draw the portrait of every segment.

    ``rfm_of`` is each customer's RFM segment and ``rfm_personas`` their personas, as
    :func:`streams.core.insights.compute` found them; the portraits write money in ``currency`` (ISO 4217).
    """
    out = Described()
    vocabulary = model.vocabulary if model is not None else ()
    everyone = TraitSketch()
    groups: dict[tuple[Kind, str], TraitSketch] = {}
    builder = PersonaBuilder()
    features: dict[str, dict[str, float]] = {}
    for customer_id, profile in profiles:
        f = facts[customer_id]
        x = behaviour_of(profile, f, vocabulary)
        features[customer_id] = x
        value = predicted_value(profile)
        everyone.update(x, f.net_spend, value)
        keys: list[tuple[Kind, str]] = [("rfm", rfm_of[customer_id])]
        segment_id = model.predict_one(x) if model is not None else None
        if segment_id is not None:
            out.behaviour_of[customer_id] = segment_id
            builder.learn_one(f, segment_id)
            keys.append(("behaviour", segment_id))
        for group_key in keys:
            groups.setdefault(group_key, TraitSketch()).update(x, f.net_spend, value)
    typical = _typical(features, out.behaviour_of, rfm_of, groups, everyone)
    if model is not None:
        out.scale = model.spread()
        for s in model.segments:
            out.centres[s.id] = dict(s.centre)
    out.behaviour_personas = builder.personas()
    kinds: tuple[tuple[Kind, Sequence[Persona]], ...] = (("rfm", rfm_personas), ("behaviour", out.behaviour_personas))
    for kind, personas in kinds:
        for persona in personas:
            key = (kind, persona.segment)
            group = groups.get(key)
            if group is None:
                continue
            # Read from every customer of the segment against every customer: what the page says,
            # and (handed back to the model) what the offer policy's behaviour conditions read.
            traits = distinguishing(group.z(everyone))
            if kind == "behaviour":
                out.traits[persona.segment] = traits
            out.portraits[key] = portrait(persona.segment, kind, persona, group, everyone, traits=traits,
                                          typical_customer=typical.get(key), currency=currency)
    return out


def _typical(
    features: Mapping[str, Mapping[str, float]], behaviour_of: Mapping[str, str], rfm_of: Mapping[str, str],
    groups: Mapping[tuple[Kind, str], TraitSketch], everyone: TraitSketch,
) -> dict[tuple[Kind, str], str]:
    """Per segment, the customer nearest its mean (features in everyone's standard deviations)."""
    keys = everyone.keys()
    scale = {k: everyone.sd(k) or 1.0 for k in keys}
    centre = {
        group: {k: ((g.mean(k) or 0.0) - (everyone.mean(k) or 0.0)) / scale[k] for k in keys if g.count(k)}
        for group, g in groups.items()
    }
    best: dict[tuple[Kind, str], tuple[float, str]] = {}
    for customer_id, x in features.items():
        mine: list[tuple[Kind, str]] = [("rfm", rfm_of[customer_id])]
        if customer_id in behaviour_of:
            mine.append(("behaviour", behaviour_of[customer_id]))
        for group in mine:
            c = centre[group]
            d = math.fsum((((x[k] - (everyone.mean(k) or 0.0)) / scale[k] if k in x else 0.0) - v) ** 2
                          for k, v in c.items())
            if group not in best or (d, customer_id) < best[group]:
                best[group] = (d, customer_id)
    return {group: customer_id for group, (_, customer_id) in best.items()}


def sizes(
    described: Described, facts: Mapping[str, CustomerFacts], now: datetime, active: timedelta
) -> list[SegmentSize]:
    """Each behavioural segment's active customers (seen within ``active`` of ``now``), for the watch."""
    counts: dict[str, int] = {}
    total = 0
    since = now - active
    for customer_id, segment_id in described.behaviour_of.items():
        seen = facts[customer_id].last_seen
        if seen is None or seen < since:
            continue
        total += 1
        counts[segment_id] = counts.get(segment_id, 0) + 1
    out = []
    for segment_id, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        card = described.portraits.get(("behaviour", segment_id))
        out.append(SegmentSize(
            id=segment_id, name=card.name if card else segment_id, customers=count, share=count / total,
            mostly=card.mostly if card else "", centre=described.centres.get(segment_id, {}),
        ))
    return out
