"""LoyaltyModel: delayed labels, learning at the end of each horizon, and persistable state."""

from __future__ import annotations

import datetime as dt
import json
import random

from models.loyalty import LoyaltyModel, loyalty_inputs
from models.metrics import roc_auc

START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def day(n: float) -> dt.datetime:
    return START + dt.timedelta(days=n)


def features(frequency: float, days_since_last: float) -> dict[str, float]:
    return {
        "frequency": frequency,
        "orders": frequency + 1,
        "recency_days": 10 * frequency,
        "tenure_days": 10 * frequency + days_since_last,
        "days_since_last": days_since_last,
        "monetary_mean": 20.0,
    }


def test_a_purchase_within_the_horizon_labels_earlier_snapshots_one() -> None:
    """resolve() labels pending snapshots 1; they are learned when their horizon ends."""
    model = LoyaltyModel(horizon_days=30)
    model.snapshot("c1", features(0, 0), day(0))
    model.snapshot("c1", features(0, 5), day(5))
    assert model.resolve("c1", day(20)) == 2
    assert model.n_learned == 0
    assert all(s["bought"] for s in model.pending["c1"])
    assert model.expire(day(40)) == 2
    assert (model.n_learned, model.n_pending, model.score.positives) == (2, 0, 2)


def test_snapshots_without_a_purchase_expire_as_zero() -> None:
    """expire() learns snapshots older than the horizon with label 0, and only those."""
    model = LoyaltyModel(horizon_days=30)
    model.snapshot("c1", features(0, 0), day(0))
    model.snapshot("c2", features(0, 0), day(20))
    assert model.expire(day(30)) == 0  # the horizon of c1 ends at day 30, not before
    assert model.expire(day(31)) == 1
    assert (model.n_learned, model.score.positives, list(model.pending)) == (1, 0, ["c2"])


def test_a_purchase_after_the_horizon_leaves_the_snapshot_to_expire_as_zero() -> None:
    """A purchase past a snapshot's horizon does not label it; expire() learns it with label 0."""
    model = LoyaltyModel(horizon_days=30)
    model.snapshot("c1", features(0, 0), day(0))
    assert model.resolve("c1", day(45)) == 0
    assert (model.n_learned, model.n_pending) == (0, 1)
    assert model.expire(day(46)) == 1
    assert (model.n_learned, model.score.positives, model.n_pending) == (1, 0, 0)


def test_the_model_and_its_score_do_not_depend_on_when_expire_runs() -> None:
    """Expiring often or once learns the same labels in the same order and scores the same predictions."""
    import random

    rng = random.Random(2)
    often, once = LoyaltyModel(horizon_days=30), LoyaltyModel(horizon_days=30)
    for at, customer in sorted((rng.uniform(0, 300), f"c{rng.randrange(30)}") for _ in range(300)):
        often.expire(day(at))
        for model in (often, once):
            model.resolve(customer, day(at))
            model.snapshot(customer, features(int(at) % 5, int(at) % 90), day(at))
    often.expire(day(400))
    once.expire(day(400))
    assert once.n_learned == often.n_learned > 250
    assert once.score.as_dict() == often.score.as_dict()
    assert once.predict_proba_one(features(2, 10)) == often.predict_proba_one(features(2, 10))


def test_a_purchase_does_not_label_a_snapshot_of_the_same_moment() -> None:
    """Only snapshots taken strictly before the purchase are labelled by it."""
    model = LoyaltyModel(horizon_days=30)
    model.snapshot("c1", features(0, 0), day(3))
    assert model.resolve("c1", day(3)) == 0
    assert model.pending["c1"][0]["bought"] is False


def test_a_second_snapshot_of_the_same_moment_replaces_the_first() -> None:
    """Two snapshots of one customer at one moment leave one, the later one."""
    model = LoyaltyModel()
    model.snapshot("c1", features(1, 0), day(0))
    model.snapshot("c1", features(2, 0), day(0))
    assert [s["features"]["frequency"] for s in model.pending["c1"]] == [2.0]


def test_pending_snapshots_per_customer_are_bounded() -> None:
    """Beyond max_pending_per_customer the oldest snapshots are dropped."""
    model = LoyaltyModel(max_pending_per_customer=3)
    for n in range(5):
        model.snapshot("c1", features(0, n), day(n))
    assert [s["features"]["days_since_last"] for s in model.pending["c1"]] == [2.0, 3.0, 4.0]


def test_pending_state_is_json_and_restores_to_the_same_behaviour() -> None:
    """pending survives a JSON round trip; the restored model expires and learns the same."""
    original = LoyaltyModel(horizon_days=30)
    original.snapshot("c1", features(1, 0), day(0))
    original.snapshot("c2", features(0, 3), day(2))
    original.resolve("c1", day(10))
    restored = LoyaltyModel(horizon_days=30)
    restored.restore_pending(json.loads(json.dumps(original.pending)))
    assert restored.pending == original.pending
    for model in (original, restored):
        assert model.expire(day(40)) == 2
    probe = features(1, 10)
    assert restored.predict_proba_one(probe) == original.predict_proba_one(probe)
    assert restored.score.positives == original.score.positives == 1


def test_forget_drops_a_customers_pending_snapshots() -> None:
    """forget() removes the customer's snapshots; nothing of theirs is learned later."""
    model = LoyaltyModel(horizon_days=30)
    model.snapshot("c1", features(0, 0), day(0))
    model.snapshot("c2", features(0, 0), day(0))
    model.forget("c1")
    assert model.pending_for("c1") == []
    assert model.expire(day(60)) == 1


def test_it_learns_that_frequent_recent_buyers_come_back() -> None:
    """On a synthetic stream where return depends on frequency and recency, it ranks well."""
    rng = random.Random(3)
    model = LoyaltyModel(horizon_days=30)
    for step in range(4000):
        frequency = rng.randint(0, 8)
        since = rng.uniform(0, 120)
        chance = min(0.95, 0.1 + 0.1 * frequency) * (1.0 if since < 40 else 0.3)
        model.snapshot(f"c{step}", features(frequency, since), day(step / 10))
        if rng.random() < chance:
            model.resolve(f"c{step}", day(step / 10 + 5))
        model.expire(day(step / 10))
    model.expire(day(1000))
    test = [(rng.randint(0, 8), rng.uniform(0, 120)) for _ in range(500)]
    truth = [min(0.95, 0.1 + 0.1 * f) * (1.0 if s < 40 else 0.3) for f, s in test]
    scores = [model.predict_proba_one(features(f, s)) for f, s in test]
    labels = [rng.random() < t for t in truth]
    assert model.n_learned == 4000
    assert roc_auc(labels, scores) > 0.7
    assert model.predict_proba_one(features(8, 5)) > model.predict_proba_one(features(0, 100))


def test_naive_times_are_taken_as_utc() -> None:
    """A naive datetime means the same instant as the UTC one (never the host's local time)."""
    model = LoyaltyModel(horizon_days=1)
    model.snapshot("c1", features(0, 0), dt.datetime(2024, 1, 1))
    assert model.pending["c1"][0]["at"] == START.timestamp()


def test_inputs_mark_a_missing_bgnbd_and_describe_rhythm() -> None:
    """Without BG/NBD features there is a no_bgnbd flag; overdue grows with days since last."""
    early = loyalty_inputs(features(2, 5))
    late = loyalty_inputs(features(2, 60))
    assert early["no_bgnbd"] == 1.0
    assert late["overdue"] > early["overdue"]
    assert "no_bgnbd" not in loyalty_inputs({**features(2, 5), "p_alive": 0.4, "expected_purchases": 0.2})
