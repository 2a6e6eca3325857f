"""IntentModel: learns purchase intent online and picks its threshold from its own stream."""

from __future__ import annotations

import math
import random

import numpy as np

from models.features import INTENT_FEATURES
from models.intent import IntentModel, intent_inputs
from models.metrics import roc_auc


def session(rng: random.Random) -> tuple[dict[str, float], bool]:
    """A synthetic session: buyers reach valued pages and browse longer, with noise."""
    bought = rng.random() < 0.2
    valued = rng.random() < (0.7 if bought else 0.1)
    x = {name: 0.0 for name in INTENT_FEATURES}
    x["page_value"] = rng.uniform(5, 60) if valued else 0.0
    x["product_pages"] = float(rng.randint(5, 60) if bought else rng.randint(0, 25))
    x["product_seconds"] = x["product_pages"] * rng.uniform(10, 60)
    x["exit_rate"] = rng.uniform(0.0, 0.05) if bought else rng.uniform(0.0, 0.2)
    x["month"] = float(rng.choice([3, 5, 11, 12]))
    x["traffic_type"] = float(rng.randint(1, 5))
    return x, bought


def stream(n: int, seed: int) -> list[tuple[dict[str, float], bool]]:
    rng = random.Random(seed)
    return [session(rng) for _ in range(n)]


def test_it_ranks_unseen_buyers_above_lookers() -> None:
    """After one pass over 3,000 sessions, held-out sessions are ranked with ROC AUC above 0.9."""
    model = IntentModel()
    for x, y in stream(3000, seed=1):
        model.learn_one(x, y)
    test = stream(1000, seed=2)
    p = [model.predict_proba_one(x) for x, _ in test]
    assert roc_auc([y for _, y in test], p) > 0.9
    assert all(0.0 <= v <= 1.0 for v in p)


def test_its_threshold_classifies_held_out_sessions_better_than_the_majority() -> None:
    """The threshold learned from the stream beats always answering "no purchase"."""
    model = IntentModel()
    for x, y in stream(3000, seed=3):
        model.learn_one(x, y)
    test = stream(1000, seed=4)
    accuracy = np.mean([model.predict_one(x) == y for x, y in test])
    majority = 1 - np.mean([y for _, y in test])
    assert 0.0 < model.threshold < 1.0
    assert accuracy > majority + 0.03


def test_the_threshold_waits_for_the_warm_up() -> None:
    """Until warm_up sessions are learned the threshold stays at its 0.5 default."""
    model = IntentModel(warm_up=500)
    for x, y in stream(499, seed=5):
        model.learn_one(x, y)
    assert model.threshold == 0.5
    for x, y in stream(300, seed=6):
        model.learn_one(x, y)
    assert model.threshold != 0.5


def test_learning_is_deterministic() -> None:
    """Two models fed the same stream give identical probabilities and thresholds."""
    first, second = IntentModel(), IntentModel()
    for x, y in stream(800, seed=7):
        first.learn_one(x, y)
        second.learn_one(x, y)
    probe, _ = stream(1, seed=8)[0]
    assert first.predict_proba_one(probe) == second.predict_proba_one(probe)
    assert first.threshold == second.threshold


def test_it_reports_prequential_quality_as_it_learns() -> None:
    """Every learned session is scored before learning: n counts them, AUC and log loss move."""
    model = IntentModel()
    for x, y in stream(1000, seed=9):
        model.learn_one(x, y)
    assert model.score.n == model.n_learned == 1000
    assert 0.8 < model.score.roc_auc <= 1.0
    assert 0.0 < model.score.log_loss < math.log(2)


def test_it_accepts_sparse_live_sessions() -> None:
    """A session dict with only some contract names (and live cart fields) is scored."""
    model = IntentModel()
    for x, y in stream(200, seed=10):
        model.learn_one(x, y)
    p = model.predict_proba_one({"cart_items": 2, "cart_value": 80.0, "checkout_started": 1})
    assert 0.0 < p < 1.0


def test_inputs_hold_a_shared_and_a_regime_copy_of_each_feature() -> None:
    """Each input appears once as is and once under its page-value regime prefix."""
    valued = intent_inputs({"page_value": 10.0, "product_pages": 4, "month": 5})
    plain = intent_inputs({"page_value": 0.0, "product_pages": 4, "month": 5})
    assert valued["product_pages"] == valued["pv+:product_pages"] == plain["pv0:product_pages"]
    assert not any(k.startswith("pv0:") for k in valued)
    assert not any(k.startswith("pv+:") for k in plain)
    assert "page_value>0" in valued and "page_value>0" not in plain


def test_inputs_drop_zeros_and_bend_continuous_features_into_bins() -> None:
    """Zero-valued numeric inputs are left out; each continuous feature lands in exactly one bin."""
    z = intent_inputs({"product_seconds": 700.0})
    assert "admin_pages" not in z
    assert [k for k in z if k.startswith("product_seconds#")] == ["product_seconds#3"]
    assert sum(1 for k in z if k.startswith("exit_rate#")) == 1
