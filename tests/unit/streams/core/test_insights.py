"""Segments, rankings and one customer's view, computed from live profiles."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from streams.core.insights import VISITORS, compute
from streams.core.state import Profile
from streams.http.marketers import BadParameter, charts_json, ranking_query

from builders import T0


def buyer(orders: int, revenue: float, days_ago: float, **fields: object) -> Profile:
    last = T0 - timedelta(days=days_ago)
    return Profile(first_seen=last - timedelta(days=200), last_seen=last, orders=orders, revenue=revenue,
                   first_order_at=last - timedelta(days=150), last_order_at=last, order_days=max(orders - 1, 0),
                   gap_days_total=150.0, sessions=orders, **fields)


PROFILES = [
    ("big", buyer(40, 20_000.0, 2)),
    ("steady", buyer(8, 900.0, 10)),
    ("gone", buyer(3, 300.0, 300)),
    ("refunder", buyer(2, 200.0, 40, refunds=2, refunded=200.0)),
    ("looker", Profile(first_seen=T0 - timedelta(days=3), last_seen=T0, sessions=4, page_views=12)),
    ("merged-visitor", Profile(first_seen=T0, last_seen=T0, sessions=1, merged_into="big")),
]


def test_every_customer_gets_a_segment_and_visitors_have_none_of_rfm():
    """Buyers get RFM segments; people who never bought are Visitors; merged visitors are left out."""
    insights = compute(PROFILES, T0)
    assert set(insights.segment_of) == {"big", "steady", "gone", "refunder", "looker"}
    assert insights.segment_of["looker"] == VISITORS
    assert sum(insights.segments.values()) == 5


def test_best_and_worst_are_ranked_by_expected_value_with_reasons():
    """The best list starts with the valuable active buyer, the worst with the full refunder."""
    insights = compute(PROFILES, T0)
    best = insights.ranked("best", limit=2)
    worst = insights.ranked("worst", limit=1)
    assert best[0].customer_id == "big" and best[0].reasons
    assert worst[0].customer_id == "refunder"


def test_a_replayed_history_is_seen_as_of_its_last_event():
    """Without a 'now', insights are computed as of the latest event in the profiles."""
    assert compute(PROFILES, None).now == T0


def test_one_customer_view_has_segment_types_value_and_timing():
    """The customer view answers who they are, what they are worth and when they buy."""
    insights = compute(PROFILES, T0)
    view = insights.customer("steady", dict(PROFILES)["steady"])
    assert view["segment"] and view["rfm"]["code"]
    assert view["value"]["expected_value"] > 0
    assert "next_purchase_at" in view["timing"]


@pytest.mark.parametrize(("query", "parameter"), [
    ({"order": "richest"}, "order"), ({"segment": "Champs"}, "segment"),
    ({"limit": "ten"}, "limit"), ({"limit": "0"}, "limit"),
    ({"order": "worst", "kind": "cheap"}, "kind"), ({"order": "best", "kind": "costly"}, "kind"),
])
def test_bad_query_parameters_are_named(query, parameter):
    """GET /customers answers 400 naming the parameter that is wrong."""
    with pytest.raises(BadParameter) as caught:
        ranking_query(query)
    assert caught.value.name == parameter


def test_bgnbd_is_fitted_over_buyers_and_reported_per_customer():
    """With enough buyers, each customer's view carries BG/NBD's P(alive) and expected purchases."""
    import random

    rng = random.Random(3)
    population = [(f"b{n}", buyer(rng.randint(1, 12), 100.0 * rng.randint(1, 20), rng.uniform(1, 300)))
                  for n in range(60)]
    insights = compute(population, T0)
    assert insights.bgnbd is not None
    view = insights.customer("b1", dict(population)["b1"])["bgnbd"]
    assert 0 <= view["p_alive"] <= 1 and view["expected_purchases_90d"] >= 0


def test_too_few_buyers_fit_no_bgnbd():
    """A handful of buyers is no population: no baseline rather than a wild one."""
    assert compute(PROFILES, T0).bgnbd is None


def test_loyalty_is_scored_as_of_now_not_as_of_the_last_order():
    """A score kept from a customer's last order is dropped; a warm model re-scores them now."""
    from models.loyalty import LoyaltyModel

    from streams.core.features import MIN_LEARNED

    stale = [(cid, replace(p, loyalty=0.99)) for cid, p in PROFILES]
    insights = compute(stale, T0)
    assert all(f.loyalty is None for f in insights.facts.values())
    model = LoyaltyModel()
    for n in range(MIN_LEARNED):
        model.learn_one({"orders": float(n % 5), "days_since_last": float(n % 200)}, n % 3 == 0)
    insights.rescore_loyalty(model)
    assert insights.facts["gone"].loyalty is not None and insights.facts["looker"].loyalty is None


def spender(orders: int, revenue: float, days_ago: float, **fields: object) -> Profile:
    """A buyer whose profile carries the spend history the value model reads."""
    from streams.core.features import with_spend

    profile = buyer(orders, revenue, days_ago, **fields)
    return with_spend(profile, profile.last_order_at, revenue)


def test_the_learned_value_ranks_every_buyer_as_of_now():
    """A warm value model that ranks better than the rule predicts every buyer's spend as of now; best and the customer view use it."""
    from models.value_model import ValueModel
    from value_labels import busy_visitors, taught

    profiles = [(cid, spender(p.orders, p.revenue, (T0 - p.last_order_at).days, refunds=p.refunds,
                              refunded=p.refunded) if p.orders else p) for cid, p in PROFILES]
    model = taught(ValueModel(), busy_visitors(1200, seed=1))
    assert model.ranked_by == "learned"
    insights = compute(profiles, T0).rescore_value(model)
    assert set(insights.learned) == {"big", "steady", "gone", "refunder"}
    best = insights.ranked("best", limit=4)
    assert all(v.value_source == "learned" for v in best)
    assert [v.expected_value for v in best] == sorted(insights.learned.values(), reverse=True)
    view = insights.customer("steady", dict(profiles)["steady"])
    assert view["predicted_value_90d"]["source"] == "learned"
    assert view["predicted_value_90d"]["amount"] == round(insights.learned["steady"], 2)
    assert any("next 90 days" in reason for reason in view["predicted_value_90d"]["reasons"])


def test_while_the_model_does_not_rank_better_the_rule_ranks_from_the_same_features():
    """A model the labels have not shown better: every buyer gets the value rule's money, said to be the rule's."""
    from models.value_inputs import rule_spend
    from models.value_model import ValueModel
    from value_labels import busy_visitors, taught

    profiles = [(cid, spender(p.orders, p.revenue, (T0 - p.last_order_at).days, refunds=p.refunds,
                              refunded=p.refunded) if p.orders else p) for cid, p in PROFILES]
    model = taught(ValueModel(), [(x, rule_spend(x, 90.0)) for x, _ in busy_visitors(400, seed=2)])
    assert model.ranked_by == "rule"
    insights = compute(profiles, T0).rescore_value(model)
    assert insights.learned_by == "rule"
    best = insights.ranked("best", limit=4)
    assert all(v.value_source == "rule" for v in best)
    assert [v.expected_value for v in best] == sorted(insights.learned.values(), reverse=True)
    view = insights.customer("steady", dict(profiles)["steady"])
    assert view["predicted_value_90d"]["source"] == "rule"
    assert view["predicted_value_90d"]["reasons"][-1].endswith("(by the rule: the learned model does not rank better yet)")


def test_the_worst_are_told_apart_as_low_value_or_costly():
    """kind=costly lists who refunds or buys on deals, with the cost first; kind=low_value leaves them out."""
    profiles = [*PROFILES, ("deals", buyer(6, 300.0, 5, discount_orders=6, discount_total=90.0))]
    insights = compute(profiles, T0)
    costly = insights.ranking("worst", kind="costly")
    assert [row["customer_id"] for row in costly] == ["refunder", "deals"]
    assert all(row["kind"] == "costly" for row in costly)
    assert costly[1]["reasons"][:2] == ["cost £165, 42 % of what they bought",
                                        "6 of 6 orders with a discount or an offer (£90 off)"]
    low = insights.ranking("worst", kind="low_value")
    assert {row["customer_id"] for row in low} == {"big", "steady", "gone"}
    assert low[0]["customer_id"] == "gone" and low[0]["kind"] == "low_value"
    assert insights.customer("deals", dict(profiles)["deals"])["worst_kind"] == "costly"


def test_money_is_written_in_the_shop_s_currency_everywhere_the_insights_write_it():
    """With currency="USD" the reasons, costs and persona summaries write dollars, never pounds; the view names it."""
    profiles = [*PROFILES, ("deals", buyer(6, 300.0, 5, discount_orders=6, discount_total=90.0))]
    dollars = compute(profiles, T0, currency="USD")
    texts = [reason for order in ("best", "worst") for row in dollars.ranking(order, limit=10)
             for reason in row["reasons"]]
    texts += [reason for row in dollars.ranking("worst", kind="costly") for reason in row["cost"]["reasons"]]
    view = dollars.customer("refunder", dict(profiles)["refunder"])
    texts += [*view["predicted_value_90d"]["reasons"], *view["cost"]["reasons"]]
    texts += [card["summary"] for card in dollars.persona_cards()]
    assert any(text.startswith("spent $") for text in texts) and any("($90 off)" in text for text in texts)
    assert not any("£" in text for text in texts)
    assert view["currency"] == "USD" and charts_json(dollars, {})["currency"] == "USD"  # what the page formats with
    pounds = compute(profiles, T0)  # the default, as before
    assert pounds.currency == "GBP" and pounds.ranking("best", limit=1)[0]["reasons"][0].startswith("spent £")


def test_the_repr_of_the_insights_is_short_whatever_the_number_of_customers():
    """repr() names the moment and counts the customers instead of writing each one's facts (asyncio.run writes it)."""
    many = [(f"c{n}", buyer(3, 100.0 + n, 5)) for n in range(300)]
    insights = compute(many, T0)
    assert repr(insights) == f"Insights(now={T0.isoformat()}, customers=300, currency='GBP')"


def warm_models():
    """A loyalty and a value model that have learned enough to score (:data:`MIN_LEARNED` examples)."""
    from models.loyalty import LoyaltyModel
    from models.value_model import ValueModel

    from streams.core.features import MIN_LEARNED

    loyalty, value = LoyaltyModel(), ValueModel()
    for n in range(MIN_LEARNED):
        loyalty.learn_one({"orders": float(n % 5), "days_since_last": float(n % 200)}, n % 3 == 0)
        value.learn_one({"orders": 5.0, "revenue": 100.0 * (1 + n % 9), "days_since_last": float(n % 300)},
                        (100.0 * (1 + n % 9)) * (1.0 if n % 300 < 60 else 0.0))
    return loyalty, value


def population(size: int = 60) -> list[tuple[str, Profile]]:
    """Buyers enough to fit BG/NBD, with the spend history the value model reads."""
    import random

    rng = random.Random(5)
    return [(f"b{n}", spender(rng.randint(1, 12), 100.0 * rng.randint(1, 20), rng.uniform(1, 300)))
            for n in range(size)]


def test_one_customer_scored_alone_has_the_view_they_have_when_everyone_is_scored():
    """Rescoring only the customer asked for gives their view unchanged, and scores nobody else."""
    loyalty, value = warm_models()
    profiles = population()
    everyone = compute(profiles, T0).rescore_loyalty(loyalty).rescore_value(value)
    alone = compute(profiles, T0).rescore_loyalty(loyalty, ["b7"]).rescore_value(value, ["b7"])
    assert alone.customer("b7", dict(profiles)["b7"]) == everyone.customer("b7", dict(profiles)["b7"])
    assert set(alone.learned) == {"b7"} and alone.facts["b7"].loyalty is not None
    assert alone.facts["b8"].loyalty is None and everyone.facts["b8"].loyalty is not None


def test_what_a_command_does_not_show_is_left_out_and_the_rest_is_unchanged():
    """Without portraits the rankings, without BG/NBD the segments and personas, are what they are with them."""
    profiles = population()
    full = compute(profiles, T0)
    ranking_only = compute(profiles, T0, describe=False)
    assert ranking_only.described.portraits == {} and ranking_only.bgnbd is not None
    for order, kind in (("best", None), ("worst", None), ("worst", "costly"), ("worst", "low_value")):
        assert ranking_only.ranking(order, None, 20, kind) == full.ranking(order, None, 20, kind)
    portraits_only = compute(profiles, T0, fit=False)
    assert portraits_only.bgnbd is None and full.bgnbd is not None
    assert portraits_only.segments == full.segments
    assert portraits_only.persona_cards() == full.persona_cards() != []
    assert portraits_only.behaviour_cards() == full.behaviour_cards()
