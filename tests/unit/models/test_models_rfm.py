"""RFM: quintile scores learned online in bounded memory, and the R against F+M segment grid."""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import random

import pytest

from models.checkpoints import dump, load
from models.customer_facts import CustomerFacts
from models.errors import NotFittedError
from models.rfm import SEGMENTS, RFMScore, RFMScorer, rfm_values, segment

NOW = dt.datetime(2024, 12, 1, tzinfo=dt.UTC)


def population(n: int, seed: int = 3) -> list[tuple[dt.datetime, int, float]]:
    """Last orders spread over two years (to the second), geometric order counts, lognormal spend."""
    rng = random.Random(seed)
    customers = []
    for _ in range(n):
        last = NOW - dt.timedelta(seconds=rng.uniform(0, 730 * 86400))
        orders = 1 + int(rng.expovariate(0.3))
        customers.append((last, orders, orders * rng.lognormvariate(3.5, 0.8)))
    return customers


def learned(customers: list[tuple[dt.datetime, int, float]], max_buckets: int = 2048) -> RFMScorer:
    scorer = RFMScorer(max_buckets=max_buckets)
    for c in customers:
        scorer.learn_one(c)
    return scorer


def scores(scorer: RFMScorer, customers: list[tuple[dt.datetime, int, float]]) -> list[RFMScore]:
    return [
        scorer.score((NOW - last).total_seconds() / 86400, orders, monetary, NOW)
        for last, orders, monetary in customers
    ]


def test_recency_and_monetary_scores_are_quintiles() -> None:
    """On a synthetic population each R and M score holds a fifth of the customers (within 2 points)."""
    customers = population(20_000)
    got = scores(learned(customers), customers)
    for figure in ("recency", "monetary"):
        counts = collections.Counter(getattr(s, figure) for s in got)
        assert sorted(counts) == [1, 2, 3, 4, 5]
        for score in range(1, 6):
            assert 0.18 <= counts[score] / len(got) <= 0.22, (figure, counts)


def test_frequency_scores_give_tied_customers_one_score_and_rise_with_orders() -> None:
    """Everyone with the same number of orders gets the same F, and more orders never a lower F."""
    customers = population(5_000)
    scorer = learned(customers)
    by_orders: dict[int, set[int]] = collections.defaultdict(set)
    for (_, orders, _), s in zip(customers, scores(scorer, customers), strict=True):
        by_orders[orders].add(s.frequency)
    assert all(len(fs) == 1 for fs in by_orders.values())
    ladder = [next(iter(by_orders[o])) for o in sorted(by_orders)]
    assert ladder == sorted(ladder)
    assert ladder[0] == 1 and ladder[-1] == 5


def test_recent_frequent_big_spenders_score_555_and_the_opposite_111() -> None:
    """The extremes of the population get the extreme scores."""
    scorer = learned(population(5_000))
    assert scorer.score(0.5, 60, 50_000.0, NOW) == RFMScore(5, 5, 5)
    assert scorer.score(729.0, 1, 1.0, NOW) == RFMScore(1, 1, 1)


def test_memory_is_bounded_whatever_the_number_of_customers() -> None:
    """Ten times the customers use about the same buckets, and never more than 3 x max_buckets."""
    small = learned(population(2_000))
    large = learned(population(20_000, seed=4))
    assert large.buckets <= 3 * large.max_buckets
    assert large.buckets < 1.3 * small.buckets
    tight = learned(population(20_000), max_buckets=100)
    assert tight.buckets <= 300


def test_recency_scores_do_not_depend_on_when_they_are_asked() -> None:
    """A customer's R is the same today and next month: recency is learned as the time of the last order."""
    customers = population(2_000)
    scorer = learned(customers)
    later = NOW + dt.timedelta(days=30)
    for last, orders, monetary in customers[:200]:
        facts = CustomerFacts("c", orders=orders, revenue=monetary, last_order_at=last)
        assert scorer.score_one(facts, NOW) == scorer.score_one(facts, later)


def test_score_one_and_score_agree() -> None:
    """Scoring facts gives the scores of their figures."""
    customers = population(1_000)
    scorer = learned(customers)
    last, orders, monetary = customers[0]
    facts = CustomerFacts("c", orders=orders, revenue=monetary, last_order_at=last)
    days = (NOW - last).total_seconds() / 86400
    assert scorer.score_one(facts, NOW) == scorer.score(days, orders, monetary, NOW)


def test_customers_who_never_bought_have_no_scores_and_are_not_learned() -> None:
    """A visitor without orders is ignored by learn_one and scores None."""
    scorer = learned(population(100))
    visitor = CustomerFacts("v", sessions=12, page_views=80)
    assert rfm_values(visitor) is None
    scorer.learn_one(visitor)
    assert scorer.n == 100
    assert scorer.score_one(visitor, NOW) is None


def test_monetary_is_net_of_refunds() -> None:
    """Refunded money does not count toward M."""
    facts = CustomerFacts("c", orders=2, revenue=100.0, refunded=70.0, last_order_at=NOW)
    values = rfm_values(facts)
    assert values is not None and values.monetary == 30.0


def test_unlearning_the_old_figures_keeps_one_entry_per_customer() -> None:
    """Unlearning a customer's old figures and learning the new ones equals learning only the new."""
    customers = population(1_000)
    updated = RFMScorer()
    for c in customers:
        updated.learn_one(c)
    first = customers[0]
    newer = (NOW, first[1] + 1, first[2] + 40.0)
    updated.unlearn_one(first).learn_one(newer)
    fresh = learned([newer, *customers[1:]])
    assert updated.n == fresh.n == 1_000
    probe = scores(fresh, customers[:300])
    assert scores(updated, customers[:300]) == probe


def test_unlearning_figures_never_learned_is_refused() -> None:
    """Taking back a customer that was never learned raises."""
    scorer = learned(population(10))
    with pytest.raises(ValueError, match="revert"):
        scorer.unlearn_one((NOW + dt.timedelta(days=900), 1, 10.0))


def test_merged_scorers_score_like_one_scorer_of_all_customers() -> None:
    """Two workers' scorers merged give the scores of one scorer that saw everyone."""
    customers = population(4_000)
    a, b = learned(customers[::2]), learned(customers[1::2])
    a.merge(b)
    assert scores(a, customers[:500]) == scores(learned(customers), customers[:500])


def test_scoring_before_learning_is_refused() -> None:
    """An empty scorer raises NotFittedError instead of inventing scores."""
    with pytest.raises(NotFittedError):
        RFMScorer().score(1.0, 1, 1.0, NOW)


def test_quintiles_report_the_boundaries_in_days_orders_and_money() -> None:
    """The boundaries run from recent to old for recency and upward for frequency and money."""
    q = learned(population(5_000)).quintiles(NOW)
    r, f, m = q["recency_days"], q["frequency"], q["monetary"]
    assert list(r) == sorted(r) and list(m) == sorted(m) and list(f) == sorted(f)
    assert r[0] == pytest.approx(146, abs=15)  # a fifth of two uniform years
    assert r[3] == pytest.approx(584, abs=15)


def test_every_score_triple_has_exactly_one_of_the_eleven_segments() -> None:
    """The grid covers all 125 score triples and uses every segment name."""
    found = {segment(r, f, m) for r, f, m in itertools.product(range(1, 6), repeat=3)}
    assert found == set(SEGMENTS)
    assert len(SEGMENTS) == 11


@pytest.mark.parametrize(
    ("r", "f", "m", "expected"),
    [
        (5, 5, 5, "Champions"),
        (5, 4, 3, "Champions"),  # FM = 3.5 rounds up to 4
        (4, 5, 5, "Loyal"),
        (3, 4, 4, "Loyal"),
        (5, 2, 3, "Potential Loyalists"),
        (5, 1, 1, "New"),
        (4, 1, 1, "Promising"),
        (3, 3, 3, "Need Attention"),
        (3, 1, 2, "About to Sleep"),
        (2, 3, 4, "At Risk"),
        (1, 5, 5, "Can't Lose Them"),
        (2, 5, 5, "Can't Lose Them"),
        (2, 1, 2, "Hibernating"),
        (1, 1, 1, "Lost"),
        (1, 2, 2, "Lost"),
    ],
)
def test_segment_grid(r: int, f: int, m: int, expected: str) -> None:
    """Landmark cells of the grid read as marketers name them."""
    assert segment(r, f, m) == expected
    assert RFMScore(r, f, m).segment == expected


def test_segment_refuses_scores_outside_one_to_five() -> None:
    """A score of 0 or 6 is an error that names the score."""
    with pytest.raises(ValueError, match="frequency score 1 to 5, found 6"):
        segment(3, 6, 3)


def test_a_scorer_survives_a_checkpoint_round_trip() -> None:
    """A scorer saved with models.checkpoints and loaded back scores as before and keeps learning."""
    customers = population(1_000)
    scorer = learned(customers)
    restored = load(dump(scorer), RFMScorer)
    assert scores(restored, customers[:200]) == scores(scorer, customers[:200])
    restored.learn_one((NOW, 3, 50.0))
    assert restored.n == scorer.n + 1
