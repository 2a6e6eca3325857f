"""Personas: per-segment size, medians, favourites, times and traits, in bounded memory."""

from __future__ import annotations

import dataclasses
import datetime as dt

from models.customer_facts import CustomerFacts
from models.personas import VISITORS, PersonaBuilder, describe, personas
from models.rfm import SEGMENTS

AT = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)


def champion(i: int) -> CustomerFacts:
    """Champions: i + 10 orders of £30 bought weekly, mostly tea, Saturday evenings, mostly from GB."""
    hours = tuple(3 if h == 19 else 0 for h in range(24))
    return CustomerFacts(
        f"c{i}",
        orders=i + 10,
        revenue=30.0 * (i + 10),
        order_days=i + 9,
        gap_days_total=7.0 * (i + 9),
        discount_orders=1,
        last_order_at=AT,
        categories=(("tea", 10), ("cups", 2 + i % 3)),
        channels=(("email", 4),),
        visit_weekdays=(0, 0, 0, 0, 1, 5, 1),
        visit_hours=hours,
        country="GB" if i % 4 else "IE",
        age_band="35-44",
    )


def test_a_segment_persona_has_its_size_medians_favourites_times_and_traits() -> None:
    """Twenty champions: median 19 orders of £30 every 7 days, tea first, Saturdays at 19h, GB."""
    shop = [(champion(i), "Champions") for i in range(20)]
    (p,) = personas(shop)
    assert (p.segment, p.size, p.share, p.buyers) == ("Champions", 20, 1.0, 20)
    assert p.orders == 19  # the lower median of 10..29
    assert p.order_value == 30.0
    assert p.gap_days == 7.0
    assert p.discount_share == 20 / sum(i + 10 for i in range(20))
    assert p.categories[0] == ("tea", 200)
    assert p.channels == (("email", 80),)
    assert p.visit_weekdays == ("Saturday",)
    assert p.visit_hours == (19,)
    assert p.countries == (("GB", 15), ("IE", 5))
    assert p.age_bands == (("35-44", 20),)


def test_personas_come_in_segment_order_with_visitors_last() -> None:
    """Segments follow SEGMENTS, unknown names come after them, customers with no segment are Visitors."""
    visitor = CustomerFacts("v", sessions=4, categories=(("shoes", 9),))
    shop = [
        (visitor, None),
        (champion(1), "Lost"),
        (champion(2), "Champions"),
        (champion(3), "VIP"),
        (champion(4), "Champions"),
    ]
    got = personas(shop)
    assert [p.segment for p in got] == ["Champions", "Lost", "VIP", VISITORS]
    assert [p.size for p in got] == [2, 1, 1, 1]
    assert sum(p.share for p in got) == 1.0
    visitors = got[-1]
    assert visitors.buyers == 0
    assert visitors.orders is visitors.order_value is visitors.gap_days is None
    assert visitors.categories == (("shoes", 9),)
    assert SEGMENTS.index("Champions") < SEGMENTS.index("Lost")


def test_favourites_stay_right_with_more_names_than_slots() -> None:
    """With a thousand rare categories in 8 slots, the three heavy favourites keep exact counts."""
    builder = PersonaBuilder(top=3, capacity=8)
    for i in range(1_000):
        heavy = ("tea", "coffee", "cocoa")[i % 3]
        facts = CustomerFacts(f"c{i}", categories=((heavy, 5), (f"rare-{i}", 1)))
        builder.learn_one(facts, None)
    (p,) = builder.personas()
    assert p.categories == (("tea", 1670), ("cocoa", 1665), ("coffee", 1665))


def test_memory_per_segment_does_not_grow_with_customers() -> None:
    """Ten thousand customers with distinct countries keep at most `capacity` country slots."""
    builder = PersonaBuilder(capacity=16)
    for i in range(10_000):
        builder.learn_one(dataclasses.replace(champion(i % 50), country=f"X{i}"), "Loyal")
    segment = builder._segments["Loyal"]
    assert len(segment.countries._counts) == 16
    assert segment.order_value.buckets < 50


def test_describe_reads_as_one_sentence() -> None:
    """A persona's description names size, typical orders, favourites, times and traits."""
    (p,) = personas([(champion(i), "Champions") for i in range(20)])
    text = describe(p)
    assert text.startswith("Champions: 20 customers (100 % of all); typically 19 orders of £30;")
    assert "buys every 7 days" in text
    assert "likes tea, cups" in text
    assert "active Saturday around 19h" in text
    assert text.endswith("from GB, IE; aged 35-44")
