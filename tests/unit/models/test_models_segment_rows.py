"""Placing and learning from a customer's facts gives what the feature dict gives, bit for bit."""

from __future__ import annotations

import datetime as dt
import math
import pickle
import random

import numpy as np

from models import checkpoints
from models.behaviour import behaviour_features
from models.clustering import Columns
from models.customer_facts import CustomerFacts
from models.segment_rows import Layout, Scale, behaviour_row, z_in_place
from models.segments import OTHER, BehaviourSegments

CATEGORIES = ("shoes", "bags", "toys", "books", "garden", "tools", "food", "other", "a:b", "")
AT = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
CHANNELS = ("email", "organic", "social", "tiktok", "ads", "sms", "push", "other")


def facts(rng: random.Random, *, without: tuple[str, ...] = ()) -> CustomerFacts:
    """A customer with a bit of everything, or nothing: empty histograms, names outside any vocabulary, zeros."""
    sessions = rng.choice((0, 0, 1, 3, 40))
    orders = rng.choice((0, 1, 2, 9))

    def counts(names: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
        picked = rng.sample([name for name in names if name not in without], rng.randint(0, 5))
        return tuple((name, rng.choice((0, 1, 2, 7))) for name in picked)

    def histogram(width: int) -> tuple[int, ...]:
        return tuple(rng.choice((0, 0, 1, 3)) for _ in range(width)) if rng.random() < 0.8 else ()

    return CustomerFacts(
        "c", sessions=sessions, page_views=rng.randint(0, 90), product_views=rng.randint(0, 50),
        cart_adds=rng.randint(0, 6), checkouts=rng.randint(0, 3), orders=orders,
        revenue=rng.choice((0.0, -0.0, 12.5, 480.25)), refunded=rng.choice((0.0, 5.0)),
        discount_orders=min(orders, rng.randint(0, 3)), last_order_at=AT if orders else None,
        order_days=rng.randint(0, orders),
        gap_days_total=rng.choice((0.0, 3.5, 40.0)), categories=counts(CATEGORIES), channels=counts(CHANNELS),
        ratings=rng.randint(0, 3), rating_total=rng.randint(0, 15), intent=rng.choice((None, 0.0, 0.31)),
        visit_hours=histogram(24), visit_weekdays=histogram(7), order_hours=histogram(24),
        order_weekdays=histogram(7), avg_session_seconds=rng.choice((None, 0.0, 310.0)),
        avg_views_per_session=rng.choice((None, 2.5)),
    )


def extras(rng: random.Random) -> dict[str, object]:
    return {"offers": rng.choice((0, 2)), "offers_taken": rng.choice((0, 1)),
            "predicted_value": rng.choice((None, -3.0, -0.0, 0.0, 55.5))}


def warmed(seed: int = 1) -> tuple[BehaviourSegments, random.Random]:
    """A model past its warm-up, its vocabulary some of the names (others stay outside it)."""
    rng = random.Random(seed)
    model = BehaviourSegments(warm_up=60, refresh_every=25, vocabulary_size=3, learn_share=1.0, seed=seed)
    while not model.segments:
        model.learn_one(behaviour_features(facts(rng), **extras(rng)))
    return model, rng


def test_a_row_built_from_the_facts_is_the_row_of_their_features() -> None:
    """Measures, shares, names outside the vocabulary summed into ``…:other``: the same floats, NaN where unknown."""
    model, rng = warmed()
    layout = Layout(model._index, OTHER)
    assert layout.usual
    columns = Columns(model._index, OTHER)
    for _ in range(3000):
        f, more = facts(rng), extras(rng)
        expected = columns.row(behaviour_features(f, vocabulary=model.vocabulary, **more))
        found = np.array(behaviour_row(layout, f, more["offers"], more["offers_taken"],
                                       more["predicted_value"]))
        assert found.tobytes() == expected.tobytes()


def test_a_row_scaled_in_floats_is_the_row_scaled_by_numpy() -> None:
    """Clipped, NaN as 0, weighted, the signs of zeros kept: floats and ufuncs in place give the arrays' z-scores."""
    model, rng = warmed()
    scale = Scale(model._inverse_sd, model._cmean, model._w, model.clip)
    width = len(model._keys)
    for _ in range(2000):
        row = np.array([rng.choice((math.nan, 0.0, -0.0, math.inf, -math.inf, rng.gauss(0, 50), rng.random()))
                        for _ in range(width)])
        expected = model._zs(row[None, :])[0].tobytes()
        assert np.array(scale.z(row.tolist())).tobytes() == expected
        assert z_in_place(row.copy(), model._cmean, model._inverse_sd, model.clip, model._w).tobytes() == expected


def test_placing_and_learning_from_facts_is_placing_and_learning_their_features() -> None:
    """Two models, one fed dicts and one fed facts, from the first point on: the same segments, state and places."""
    rng = random.Random(5)
    by_dict = BehaviourSegments(warm_up=60, refresh_every=25, vocabulary_size=3, learn_share=1.0, seed=2)
    by_facts = pickle.loads(pickle.dumps(by_dict))
    for _ in range(600):
        f, more = facts(rng, without=(OTHER,)), extras(rng)
        assert by_facts.predict_facts(f, **more) == by_dict.predict_one(
            behaviour_features(f, vocabulary=by_dict.vocabulary, **more))
        by_dict.learn_one(behaviour_features(f, vocabulary=by_dict.vocabulary, **more))
        by_facts.learn_facts(f, **more)
    assert by_dict.segments and by_facts.segments == by_dict.segments
    for name in ("_centres", "_raw_centres", "_mean", "_var", "_count", "_cmean", "_csd"):
        assert getattr(by_facts, name).tobytes() == getattr(by_dict, name).tobytes(), name
    # The caches stay out of a checkpoint (it holds what it held before them), and are made again after it.
    assert set(by_facts.__getstate__()) == set(by_dict.__getstate__()) - {"_layout", "_floats"}
    loaded = checkpoints.load(checkpoints.dump(by_facts), kind=BehaviourSegments)
    for _ in range(100):
        f, more = facts(rng, without=(OTHER,)), extras(rng)
        assert loaded.predict_facts(f, **more) == by_dict.predict_facts(f, **more)


def test_columns_laid_out_otherwise_are_placed_the_dicts_way() -> None:
    """A vocabulary name that is an ``…:other`` column itself: no layout for it, the dict's row instead."""
    model, rng = warmed()
    keys = list(model._keys)
    keys.insert(len(keys) - 2, "category:" + OTHER)
    assert not Layout({key: i for i, key in enumerate(keys)}, OTHER).usual
    model._layout = Layout({"visits": 0, "channel:other": 1}, OTHER)  # as a model with other columns would have
    model._layout.index = model._index
    for _ in range(200):
        f, more = facts(rng), extras(rng)
        assert model.predict_facts(f, **more) == model.predict_one(
            behaviour_features(f, vocabulary=model.vocabulary, **more))


def test_a_category_named_other_is_no_vocabulary_name() -> None:
    """A shop's category "other" (or channel) counts in the other column: the warm-up ends, places and learns."""
    rng = random.Random(7)
    model = BehaviourSegments(warm_up=60, refresh_every=25, vocabulary_size=3, learn_share=1.0, seed=1)
    for _ in range(300):
        f = facts(rng)
        model.learn_facts(f, offers=0, offers_taken=0, predicted_value=None)
        model.predict_facts(f)
    assert model.segments and "category:" + OTHER not in model.vocabulary
    assert Layout(model._index, OTHER).usual
