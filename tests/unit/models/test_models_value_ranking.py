"""The pairwise ranker: RankNet steps on pairs of labels correct a base score, weighted so the top matters."""

from __future__ import annotations

import copy
import random

import pytest

from models.value_ranking import RANKER_WEIGHTINGS, PairwiseRanker


def rows(n: int, seed: int) -> list[tuple[dict[str, float], float]]:
    """Labels whose spend follows ``big``: 0 or 100 (big), 0 or 5 (small)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        big = float(rng.random() < 0.5)
        buys = rng.random() < 0.5
        out.append(({"big": big, "noise": rng.uniform(-1, 1)}, (100.0 if big else 5.0) if buys else 0.0))
    return out


@pytest.mark.parametrize("weighting", RANKER_WEIGHTINGS)
def test_the_ranker_corrects_a_base_score_that_ranks_backwards(weighting: str) -> None:
    """A base score that puts small spenders first is corrected until the big ones rank first."""
    ranker = PairwiseRanker(weighting=weighting, seed=3)  # type: ignore[arg-type]
    def base(x: dict[str, float]) -> float:
        return 1.0 - x["big"]
    for x, y in rows(3000, seed=1):
        ranker.learn(x, y, base)
    big, small = {"big": 1.0, "noise": 0.0}, {"big": 0.0, "noise": 0.0}
    assert base(big) + ranker.correction(big) > base(small) + ranker.correction(small)


def test_pairs_of_equal_spend_teach_nothing() -> None:
    """Labels that all spent the same (here nothing) leave the correction at zero."""
    ranker = PairwiseRanker(seed=1)
    for x, _ in rows(500, seed=2):
        ranker.learn(x, 0.0, lambda _: 0.0)
    assert ranker.n == 500 and ranker.correction({"big": 1.0, "noise": 0.5}) == 0.0


def test_top_weighting_ignores_pairs_on_the_same_side_of_the_top_decile() -> None:
    """Under ``top``, pairs on the same side of the top-decile edge teach nothing (the log-gap weighting learns from them)."""
    ranker = PairwiseRanker(weighting="top", seed=1)
    # scores tied at 0 put every pair on one side of the edge: nothing to swap across it
    for x, y in rows(500, seed=2):
        ranker.learn(x, y, lambda _: 0.0)
    assert ranker.correction({"big": 1.0, "noise": 0.0}) == 0.0
    gap = PairwiseRanker(weighting="gap", seed=1)
    for x, y in rows(500, seed=2):
        gap.learn(x, y, lambda _: 0.0)
    assert gap.correction({"big": 1.0, "noise": 0.0}) > 0.0


def test_the_ranker_is_deterministic_and_survives_a_copy() -> None:
    """The same labels and seed make the same correction; a copy goes on learning as the original does."""
    one, two = PairwiseRanker(seed=7), PairwiseRanker(seed=7)
    labels = rows(400, seed=4)
    for x, y in labels[:300]:
        one.learn(x, y, lambda _: 0.0)
        two.learn(x, y, lambda _: 0.0)
    three = copy.deepcopy(one)
    for x, y in labels[300:]:
        one.learn(x, y, lambda _: 0.0)
        three.learn(x, y, lambda _: 0.0)
    x = {"big": 1.0, "noise": 0.3}
    assert one.correction(x) == three.correction(x) and two.correction(x) != one.correction(x)


def test_bad_ranker_parameters_are_refused() -> None:
    """An unknown weighting or an empty buffer raises ValueError naming the choices."""
    with pytest.raises(ValueError, match="gap"):
        PairwiseRanker(weighting="ndcg")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one"):
        PairwiseRanker(buffer=0)


def test_buyers_weighting_pairs_buyers_only() -> None:
    """Under ``buyers``, a label that spent nothing teaches nothing: buyers against the rest is P(buys)'s job."""
    ranker = PairwiseRanker(weighting="buyers", seed=1)
    for x, y in rows(500, seed=2):
        ranker.learn({**x, "buys": float(y > 0)}, y, lambda _: 0.0)
    # "buys" is the same (1) on both sides of every pair learned: its weight never moves
    assert ranker.correction({"buys": 1.0}) == 0.0 and ranker.correction({"big": 1.0}) > 0.0
