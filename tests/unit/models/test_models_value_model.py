"""The value model: delayed spend labels, learning, money calibration, checkpoints and the snapshot timer."""

from __future__ import annotations

import copy
import datetime as dt
import math
import random

import numpy as np
import pytest

from models import checkpoints
from models.value_metrics import capture, spearman
from models.value_model import FEATURE_GROUPS, ValueModel, due_for_snapshot, value_inputs
from value_labels import busy_visitors, taught

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def test_the_label_is_the_spend_within_the_horizon_after_the_snapshot() -> None:
    """Orders within the horizon set the spend to the total then less the total at the snapshot; later ones do not count."""
    model = ValueModel(horizon_days=30)
    model.snapshot("c", {"orders": 1.0}, at=day(0), spent_so_far=50.0)
    assert model.resolve("c", at=day(10), spent_total=70.0) == 1
    assert model.resolve("c", at=day(20), spent_total=100.0) == 1
    assert model.pending_for("c")[0]["spent"] == 50.0
    assert model.expire(day(31)) == 1
    assert (model.n_learned, model.score.total_actual) == (1, 50.0)


def test_a_replayed_order_changes_nothing() -> None:
    """Resolving twice with the same total (a duplicated order event) leaves the spend as it was."""
    model = ValueModel(horizon_days=30)
    model.snapshot("c", {"orders": 1.0}, at=day(0), spent_so_far=10.0)
    model.resolve("c", at=day(5), spent_total=25.0)
    assert model.resolve("c", at=day(5), spent_total=25.0) == 0
    assert model.pending_for("c")[0]["spent"] == 15.0


def test_an_order_after_the_horizon_leaves_the_snapshot_to_expire() -> None:
    """An order past a snapshot's horizon does not count in its spend; expire() learns it with what it had."""
    model = ValueModel(horizon_days=30)
    model.snapshot("c", {"orders": 1.0}, at=day(0), spent_so_far=10.0)
    assert model.resolve("c", at=day(60), spent_total=30.0) == 0
    assert (model.n_learned, model.n_pending) == (0, 1)
    assert model.expire(day(61)) == 1
    assert (model.n_learned, model.n_pending, model.score.total_actual) == (1, 0, 0.0)


def test_the_model_learned_does_not_depend_on_when_expire_runs() -> None:
    """Expiring before every order or once at the end learns the same snapshots in the same order, and scores the same."""
    rng = random.Random(5)
    orders = sorted((rng.uniform(0, 200), f"c{rng.randrange(40)}", rng.uniform(5, 80)) for _ in range(400))
    often, once = ValueModel(horizon_days=30), ValueModel(horizon_days=30)
    spent: dict[str, float] = {}
    for at, customer, amount in orders:
        often.expire(day(at))
        spent[customer] = spent.get(customer, 0.0) + amount
        features = {"orders": float(len(spent)), "revenue": spent[customer], "days_since_last": at % 7}
        for model in (often, once):
            model.resolve(customer, day(at), spent[customer])
            model.snapshot(customer, features, day(at), spent_so_far=spent[customer])
    assert often.n_learned > 100 and once.n_learned == 0
    often.expire(day(300))
    once.expire(day(300))
    assert once.n_learned == often.n_learned
    assert once.score.as_dict() == often.score.as_dict()  # each snapshot scored as of its own time
    x = {"orders": 3.0, "revenue": 120.0, "days_since_last": 4.0}
    assert once.predict_one(x) == often.predict_one(x)


def test_a_second_snapshot_at_the_same_moment_replaces_the_first() -> None:
    """Two snapshots of a customer at one moment keep only the latest features."""
    model = ValueModel()
    model.snapshot("c", {"orders": 1.0}, at=day(0), spent_so_far=1.0)
    model.snapshot("c", {"orders": 2.0}, at=day(0), spent_so_far=2.0)
    assert [e["features"]["orders"] for e in model.pending_for("c")] == [2.0]


def synthetic(n: int, seed: int) -> list[tuple[dict[str, float], float]]:
    """Customers whose spend grows with past spend and shrinks with silence, mostly zero."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        revenue = math.exp(rng.uniform(1, 7))
        silence = rng.uniform(0, 300)
        p_buy = 1 / (1 + math.exp(-(1.5 - silence / 40)))
        spend = revenue * rng.uniform(0.1, 0.5) if rng.random() < p_buy else 0.0
        rows.append(({"orders": 3.0, "revenue": revenue, "order_value": revenue / 3,
                      "days_since_last": silence, "tenure_days": 400.0}, spend))
    return rows


@pytest.mark.parametrize(("target", "spearman_above", "top_decile_above"), [
    ("two-part", 0.25, 0.65),  # E[spend]: the top decile near the true means' 0.69
    ("log", 0.45, 0.5),  # log spend: who buys at all, so a higher Spearman
])
def test_the_model_learns_to_rank_and_to_predict_money(
    target: str, spearman_above: float, top_decile_above: float
) -> None:
    """After learning, predictions rank new customers by spend and their total is near the actual total.

    8,000 labels: the median regression's steps (signs of residuals) settle more slowly from zero
    weights than least squares', and the money calibration learned along the way lags until they do.
    """
    model = ValueModel(target=target)  # type: ignore[arg-type]
    for x, y in synthetic(8000, seed=1):
        model.learn_one(x, y)
    test = synthetic(1000, seed=2)
    predicted = np.array([model.predict_one(x) for x, _ in test])
    actual = np.array([y for _, y in test])
    past_spend = [x["revenue"] for x, _ in test]
    assert spearman(actual, predicted) > max(spearman_above, spearman(actual, past_spend))
    assert capture(actual, predicted, 0.1) > max(top_decile_above, capture(actual, past_spend, 0.1))
    assert predicted.sum() == pytest.approx(actual.sum(), rel=0.3)
    assert np.all(predicted >= 0)


def test_huge_inputs_do_not_make_the_model_diverge() -> None:
    """Normalised steps keep the regression finite on inputs and labels of any size."""
    model = ValueModel(learning_rate=0.9)
    rng = random.Random(3)
    for _ in range(2000):
        revenue = 10 ** rng.uniform(0, 9)
        model.learn_one({"revenue": revenue, "orders": rng.uniform(1, 1e5)}, revenue * rng.random())
    assert math.isfinite(model.predict_one({"revenue": 1e9, "orders": 1e5}))


def test_a_checkpoint_keeps_the_weights_and_the_pending_snapshots() -> None:
    """dump/load gives a model that predicts the same and still holds its waiting snapshots."""
    model = ValueModel(horizon_days=30)
    for x, y in synthetic(500, seed=4):
        model.learn_one(x, y)
    model.snapshot("c", {"orders": 2.0, "revenue": 80.0}, at=day(0), spent_so_far=80.0)
    restored = checkpoints.load(checkpoints.dump(model), ValueModel)
    x = {"orders": 2.0, "revenue": 80.0, "days_since_last": 10.0}
    assert restored.predict_one(x) == model.predict_one(x)
    assert restored.pending == model.pending
    restored.resolve("c", at=day(3), spent_total=120.0)
    assert restored.expire(day(31)) == 1 and restored.score.total_actual == 40.0


def test_pending_snapshots_round_trip_as_plain_data() -> None:
    """pending / restore_pending move the waiting snapshots between models; forget drops a customer's."""
    model = ValueModel(horizon_days=30)
    model.snapshot("a", {"orders": 1.0}, at=day(0), spent_so_far=5.0)
    model.snapshot("b", {"orders": 1.0}, at=day(1), spent_so_far=5.0)
    other = ValueModel(horizon_days=30)
    other.restore_pending(model.pending)
    other.forget("b")
    assert (other.n_pending, other.expire(day(40))) == (1, 1)


def test_bad_hyper_parameters_are_refused() -> None:
    """An unknown target or feature group raises ValueError naming the choices."""
    with pytest.raises(ValueError, match="two-part"):
        ValueModel(target="median")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="feature groups"):
        ValueModel(feature_groups=("rfm", "weather"))


def test_inputs_follow_the_feature_groups() -> None:
    """Each group adds its own inputs; visits are zeros without a clickstream."""
    x = {"orders": 2.0, "sessions": 0.0, "refunds": 1.0, "p_alive": 0.5, "expected_purchases": 0.2}
    assert "sessions" in value_inputs(x) and value_inputs(x)["sessions"] == 0.0
    only_rfm = value_inputs(x, ("rfm",))
    assert "refunds" not in only_rfm and "rule_spend" not in only_rfm and "orders" in only_rfm
    assert set(FEATURE_GROUPS) == {"rfm", "spend", "returns", "visits", "rule"}
    assert not any("alive" in name and "rule" not in name for name in value_inputs(x))  # no population fit


def test_a_silent_customer_is_due_a_snapshot_every_30_days() -> None:
    """due_for_snapshot says yes after every_days of silence since the last snapshot, or with none yet."""
    assert not due_for_snapshot(day(0), day(29.9))
    assert due_for_snapshot(day(0), day(30))
    assert due_for_snapshot(day(0), day(10), every_days=7)
    assert due_for_snapshot(None, day(0))


@pytest.mark.parametrize("config", [
    {"family": "arf", "trees": 3},
    {"family": "amf", "target": "log", "trees": 3},
    {"family": "hat"},
    {"family": "bagging", "target": "log", "trees": 3},
    {"family": "arf", "family_target": "log", "family_weight": 0.5, "trees": 3},
    {"feature_groups": (*FEATURE_GROUPS, "interactions")},
    {"ranker": "pairwise"},
    {"ranker": "pairwise", "ranker_weighting": "top", "ranker_pairs": 2, "ranker_buffer": 50},
    {"spend_weight": 1.0},
])
def test_every_family_learns_the_same_model_from_the_same_labels(config: dict) -> None:
    """Trees and blends are seeded: two models fed the same labels predict the same (live = offline),
    a checkpoint and a copy without pending snapshots predict as the model does, and the money is finite."""
    one, two = ValueModel(**config), ValueModel(**config)
    for x, y in synthetic(300, seed=5):
        one.learn_one(x, y)
        two.learn_one(x, y)
    test = [x for x, _ in synthetic(20, seed=6)]
    predicted = [one.predict_one(x) for x in test]
    assert predicted == [two.predict_one(x) for x in test]
    assert predicted == [checkpoints.load(checkpoints.dump(one), ValueModel).predict_one(x) for x in test]
    assert predicted == [one.without_pending().predict_one(x) for x in test]
    assert all(math.isfinite(p) and p >= 0 for p in predicted)


def test_a_checkpoint_from_before_the_families_loads_as_the_linear_model() -> None:
    """A model pickled with its linear parts as attributes (``_spend``, ``_buys``) predicts as it did."""
    model = ValueModel(family="linear")
    for x, y in synthetic(300, seed=7):
        model.learn_one(x, y)
    state = copy.deepcopy(model.__dict__)
    (_, part), = state.pop("_parts")
    for name in ("family", "family_weight", "family_target", "trees"):
        del state[name]
    state.update(_spend=part.spend, _buys=part.buys, _log_variance=part.log_variance)
    old = ValueModel.__new__(ValueModel)
    old.__setstate__(state)
    x = {"orders": 3.0, "revenue": 120.0, "days_since_last": 20.0}
    assert old.predict_one(x) == model.predict_one(x)
    old.learn_one(x, 50.0)
    model.learn_one(x, 50.0)
    assert old.predict_one(x) == model.predict_one(x)


def test_bad_families_are_refused() -> None:
    """An unknown family, a blend weight outside (0, 1] or an unknown family target raises ValueError."""
    with pytest.raises(ValueError, match="family among"):
        ValueModel(family="svm")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="family weight"):
        ValueModel(family="arf", family_weight=0.0)
    with pytest.raises(ValueError, match="family target"):
        ValueModel(family="arf", family_target="median")  # type: ignore[arg-type]


def test_interactions_are_spend_while_alive() -> None:
    """The optional group weighs money by the rule's P(alive): a long-silent big spender's counts less."""
    recent = {"orders": 5.0, "repeat_days": 4.0, "tenure_days": 200.0, "recency_days": 190.0,
              "days_since_last": 10.0, "revenue": 5000.0}
    silent = {**recent, "days_since_last": 400.0, "tenure_days": 590.0}
    groups = (*FEATURE_GROUPS, "interactions")
    assert "alive_x_revenue" not in value_inputs(recent)
    assert value_inputs(silent, groups)["alive_x_revenue"] < value_inputs(recent, groups)["alive_x_revenue"]


def test_the_rule_ranks_until_the_model_ranks_better() -> None:
    """A fresh model shows the value rule's money; once its labels show it ranks better, its own."""
    model = ValueModel(horizon_days=1)
    x = {"orders": 3.0, "repeat_days": 2.0, "revenue": 300.0, "days_since_last": 10.0, "tenure_days": 200.0}
    assert model.ranked_by == "rule" and model.value_one(x) == model.rule_one(x) > 0
    taught(model, busy_visitors(1000, seed=1))
    assert model.ranked_by == "learned"
    assert model.score.ranking > model.rule_score.ranking
    assert model.value_one(x) == model.predict_one(x)


def test_the_rule_keeps_ranking_where_it_ranks_better() -> None:
    """On labels the rule says exactly, the model's predictions rank worse over its first thousand: the rule ranks."""
    from models.value_inputs import rule_spend

    rows = [(x, rule_spend(x, 1.0)) for x, _ in busy_visitors(1200, seed=2)]
    model = taught(ValueModel(horizon_days=1), rows)
    assert model.n_learned == 1200 and model.rule_score.spearman == pytest.approx(1.0)
    assert model.ranked_by == "rule"


def test_a_checkpoint_keeps_who_ranks() -> None:
    """The verdict and the rule's figures survive dump/load; a checkpoint from before them goes on with the model."""
    model = taught(ValueModel(horizon_days=1), busy_visitors(1000, seed=3))
    restored = checkpoints.load(checkpoints.dump(model), ValueModel)
    assert (restored.ranked_by, restored.rule_score.n) == (model.ranked_by, model.rule_score.n) == ("learned", 1000)
    older = ValueModel()
    del older.__dict__["_rule_score"], older.__dict__["_ranked_by"]
    older.__setstate__(dict(older.__dict__))
    assert older.ranked_by == "learned" and older.rule_score.n == 0


def test_a_ranker_ranks_by_the_score_plus_its_learned_correction() -> None:
    """With ``ranker="pairwise"`` the score is the parts' score plus the ranker's correction, and the money is monotone in it."""
    model = ValueModel(ranker="pairwise")
    plain = ValueModel()
    for x, y in synthetic(2000, seed=8):
        model.learn_one(x, y)
        plain.learn_one(x, y)
    test = [x for x, _ in synthetic(200, seed=9)]
    corrections = [model._ranker.correction(model._inputs(x)) for x in test]  # type: ignore[union-attr]
    assert any(c != 0.0 for c in corrections)
    # the parts learned what they learn without a ranker: only the score's correction differs
    assert [model.score_one(x) - c for x, c in zip(test, corrections, strict=True)] == pytest.approx(
        [plain.score_one(x) for x in test])
    by_score = sorted(test, key=model.score_one)
    money = [model.predict_one(x) for x in by_score]
    assert money == sorted(money)


def test_weighting_the_spend_by_its_size_pulls_the_buyers_median_up() -> None:
    """``spend_weight``: of buyers alike spending 10 or 1,000 in turn, the weighted median regression leans to 1,000."""
    x = {"orders": 2.0, "revenue": 100.0, "days_since_last": 5.0}
    weighted, alike = ValueModel(spend_weight=0.5), ValueModel()
    for i in range(3000):
        for model in (weighted, alike):
            model.learn_one(x, 10.0 if i % 2 else 1000.0)
    (_, part), = weighted._parts
    (_, plain), = alike._parts
    inputs = weighted._inputs(x)
    assert part.spend.predict(inputs) > plain.spend.predict(inputs) + 1.0  # log scale: e times more
    assert part.buys.proba(inputs) == plain.buys.proba(inputs)  # type: ignore[union-attr]


def test_bad_ranking_options_are_refused() -> None:
    """An unknown ranker or weighting, a ranker with money that is no calibration, or a bad spend weight raise ValueError."""
    with pytest.raises(ValueError, match="ranker among"):
        ValueModel(ranker="listwise")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ranker weighting"):
        ValueModel(ranker="pairwise", ranker_weighting="ndcg")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="calibration"):
        ValueModel(ranker="pairwise", money="smearing")
    with pytest.raises(ValueError, match="at least 1"):
        ValueModel(ranker="pairwise", ranker_pairs=0)
    with pytest.raises(ValueError, match="spend weight"):
        ValueModel(spend_weight=0.0)


def test_a_checkpoint_from_before_the_ranking_options_predicts_as_it_did() -> None:
    """A model pickled without the ranker and spend-weight attributes loads with neither and goes on learning alike."""
    model = ValueModel()
    for x, y in synthetic(300, seed=10):
        model.learn_one(x, y)
    state = copy.deepcopy(model.__dict__)
    for name in ("ranker", "ranker_weighting", "ranker_pairs", "ranker_buffer", "ranker_learning_rate", "spend_weight",
                 "_ranker"):
        del state[name]
    old = ValueModel.__new__(ValueModel)
    old.__setstate__(state)
    x = {"orders": 3.0, "revenue": 120.0, "days_since_last": 20.0}
    old.learn_one(x, 50.0)
    model.learn_one(x, 50.0)
    assert (old.ranker, old.spend_weight) == (None, None) and old.predict_one(x) == model.predict_one(x)
