"""Behavioural segments: learned online, ids that last, new kinds noticed, checkpointable, cheap to place."""

from __future__ import annotations

import random

import pytest

from models import checkpoints
from models.behaviour import BEHAVIOUR_TRAITS, behaviour_features
from models.customer_facts import CustomerFacts
from models.segments import METHODS, OTHER, BehaviourSegments
from models.traits import distinguishing
from models.stability import adjusted_rand_index


def shopper(rng: random.Random, kind: str) -> dict[str, float]:
    """Three kinds of customers, and a fourth ("night") that a test plants later."""
    day = {"night_share": rng.uniform(0.0, 0.15)}
    if kind == "bargain":
        return {**day, "discount_share": rng.uniform(0.7, 1.0), "weekend_share": rng.uniform(0.6, 1.0),
                "basket": rng.uniform(2.5, 3.2), "orders": rng.uniform(0.7, 1.4), "channel:email": 1.0}
    if kind == "loyal":
        return {**day, "discount_share": rng.uniform(0.0, 0.1), "weekend_share": rng.uniform(0.1, 0.4),
                "basket": rng.uniform(4.0, 4.8), "orders": rng.uniform(2.0, 3.0), "channel:organic": 1.0}
    if kind == "looker":
        return {**day, "weekend_share": rng.uniform(0.2, 0.5), "orders": 0.0, "views_per_visit": rng.uniform(2.0, 3.0),
                "channel:social": 1.0}
    return {"night_share": rng.uniform(0.8, 1.0), "discount_share": rng.uniform(0.5, 0.9), "orders": 0.7,
            "basket": rng.uniform(3.0, 3.5), "weekend_share": rng.uniform(0.0, 0.3), "channel:tiktok": 1.0}


def stream(n: int, kinds: tuple[str, ...], seed: int = 0) -> list[tuple[str, dict[str, float]]]:
    rng = random.Random(seed)
    return [(kind, shopper(rng, kind)) for kind in (rng.choice(kinds) for _ in range(n))]


def fitted(points: list[tuple[str, dict[str, float]]], **kwargs: object) -> BehaviourSegments:
    kwargs.setdefault("min_segments", 2)  # let the data say how many kinds there are
    model = BehaviourSegments(warm_up=150, refresh_every=50, seed=3, **kwargs)  # type: ignore[arg-type]
    for _, x in points:
        model.learn_one(x)
    return model


def test_three_kinds_of_customers_make_three_segments_that_match_them() -> None:
    """Bargain hunters, loyal full-price buyers and lookers are found, each with its traits."""
    points = stream(900, ("bargain", "loyal", "looker"))
    model = fitted(points)
    assert len(model.segments) == 3
    truth = {str(i): kind for i, (kind, _) in enumerate(points)}
    found = {str(i): model.predict_one(x) for i, (_, x) in enumerate(points)}
    assert adjusted_rand_index(truth, found) > 0.95
    bargain = model.segment(model.predict_one(shopper(random.Random(9), "bargain")))
    assert bargain is not None and "bargain_hunter" in bargain.traits


def test_ids_last_from_refresh_to_refresh() -> None:
    """A segment keeps its id while the same customers keep coming."""
    points = stream(1200, ("bargain", "loyal", "looker"))
    model = fitted(points[:600])
    before = {s.id for s in model.segments}
    for _, x in points[600:]:
        model.learn_one(x)
    assert {s.id for s in model.segments} == before


def test_a_new_kind_of_customer_becomes_a_new_segment_with_a_new_id() -> None:
    """Night-time shoppers from a new channel, planted after the segments formed, get a segment of their own."""
    model = fitted(stream(600, ("bargain", "loyal", "looker")))
    before = {s.id for s in model.segments}
    for _, x in stream(600, ("bargain", "loyal", "looker", "night", "night"), seed=1):
        model.learn_one(x)
    new = [s for s in model.segments if s.id not in before]
    assert len(new) == 1
    assert "night_owl" in new[0].traits
    assert f"channel:{OTHER}" in new[0].centre  # the new channel is not a feature of its own yet


def test_the_same_points_give_the_same_segments() -> None:
    """A replay of the same stream with the same seed finds the same segments: decisions can be audited."""
    points = stream(700, ("bargain", "loyal", "looker"))
    a, b = fitted(points), fitted(points)
    assert [(s.id, s.share, s.traits) for s in a.segments] == [(s.id, s.share, s.traits) for s in b.segments]


def test_a_checkpoint_places_customers_as_the_model_did() -> None:
    """The model survives the checkpoint format (worker restarts warm)."""
    points = stream(500, ("bargain", "loyal", "looker"))
    model = fitted(points)
    restored = checkpoints.load(checkpoints.dump(model), BehaviourSegments)
    assert [restored.predict_one(x) for _, x in points[:50]] == [model.predict_one(x) for _, x in points[:50]]
    for _, x in points[:20]:
        restored.learn_one(x)  # and goes on learning


def test_a_snapshot_places_like_the_model_and_is_small() -> None:
    """The copy the insights place every customer with answers like the model, without its learning state."""
    points = stream(500, ("bargain", "loyal", "looker"))
    model = fitted(points)
    twin = model.snapshot()
    assert [twin.predict_one(x) for _, x in points[:50]] == [model.predict_one(x) for _, x in points[:50]]
    assert len(checkpoints.dump(twin)) < len(checkpoints.dump(model)) / 3


def test_before_the_warm_up_nobody_is_placed() -> None:
    model = BehaviourSegments(warm_up=100)
    model.learn_one({"orders": 1.0})
    assert model.segments == () and model.predict_one({"orders": 1.0}) is None


@pytest.mark.parametrize("method", METHODS)
def test_every_method_learns_and_places(method: str) -> None:
    """Each river clusterer the comparison uses runs through the same model."""
    model = fitted(stream(400, ("bargain", "loyal", "looker")), method=method)
    assert model.segments
    assert model.predict_one(shopper(random.Random(1), "loyal")) is not None


def test_a_bad_method_or_size_is_refused() -> None:
    with pytest.raises(ValueError, match="expected a method"):
        BehaviourSegments(method="spectral")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2 <= min_segments <= max_segments"):
        BehaviourSegments(min_segments=5, max_segments=4)


def test_traits_are_read_from_the_furthest_measures() -> None:
    assert distinguishing({"refund_share": 2.0, "basket": -0.2}) == ("returner",)
    assert distinguishing({"visits": -1.0}) == ("rare_visitor",)
    assert set(distinguishing({k: 3.0 for k in ("orders", "weekend_share", "night_share", "evening_share")})) <= set(
        BEHAVIOUR_TRAITS)


def test_features_of_an_order_log_customer_leave_visits_unknown() -> None:
    """Without a clickstream, visit measures are absent (imputed), not zero."""
    import datetime as dt

    at = dt.datetime(2024, 3, 2, 14, tzinfo=dt.UTC)
    facts = CustomerFacts("c1", orders=3, revenue=120.0, order_days=2, gap_days_total=40.0, last_order_at=at,
                          order_weekdays=(0, 0, 0, 0, 0, 3, 0), order_hours=tuple(3 if h == 14 else 0 for h in range(24)))
    x = behaviour_features(facts)
    assert x["weekend_share"] == 1.0 and x["evening_share"] == 0.0
    assert "views_per_visit" not in x and "conversion" not in x


def test_every_measure_has_its_figure_in_its_place():
    """The figures come as a tuple in MEASURES' order (cheaper than a dict per placement): each in its place."""
    import datetime as dt

    from models.behaviour import MEASURES, _figures

    at = dt.datetime(2024, 1, 6, tzinfo=dt.UTC)
    facts = CustomerFacts("c1", sessions=4, orders=2, revenue=90.0, discount_orders=1, refunded=9.0, cart_adds=6,
                          checkouts=2, order_days=2, gap_days_total=30.0, ratings=2, rating_total=9, intent=0.3,
                          last_order_at=at, avg_session_seconds=120.0, avg_views_per_session=5.0,
                          visit_weekdays=(1, 0, 0, 0, 0, 2, 1), visit_hours=(1,) + (0,) * 17 + (3,) + (0,) * 5)
    figures = dict(zip((m.key for m in MEASURES), _figures(facts, 4, 1, 250.0)))
    assert figures == {
        "discount_share": 0.5, "offer_use": 0.25, "weekend_share": 0.75, "evening_share": 0.75, "night_share": 0.25,
        "visits": 4.0, "orders": 2.0, "conversion": 0.5, "gap_days": 15.0, "basket": 45.0, "views_per_visit": 5.0,
        "minutes_per_visit": 2.0, "carts_per_visit": 1.5, "checkouts_per_visit": 0.5, "refund_share": 0.1,
        "rating": 4.5, "intent": 0.3, "value": 250.0,
    }
