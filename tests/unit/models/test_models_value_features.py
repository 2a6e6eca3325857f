"""Value features: what a profile knows at a moment, with and without BG/NBD and Gamma-Gamma."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from models.bgnbd import BGNBD
from models.customer_facts import CustomerFacts
from models.gammagamma import GammaGamma
from models.value_features import VALUE_FEATURES, record_spend, value_features

T0 = dt.datetime(2024, 1, 1, 9, tzinfo=dt.UTC)


def at(days: float) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def history() -> tuple[CustomerFacts, object]:
    spend = None
    for when, amount in ((0, 20.0), (0.2, 10.0), (30, 50.0), (60, 40.0)):
        spend = record_spend(spend, at(when), amount)
    facts = CustomerFacts("c", orders=4, revenue=120.0, order_days=2, refunds=1, refunded=12.0,
                          discount_orders=1, first_order_at=at(0), last_order_at=at(60),
                          categories=(("mugs", 3), ("tea", 1)))
    return facts, spend


def test_spend_history_keeps_first_day_latest_and_largest_order() -> None:
    """Orders of the first day add to its spend; the latest and the largest are kept."""
    _, spend = history()
    assert (spend.first_day_spend, spend.last_order_value, spend.max_order_value) == (30.0, 40.0, 50.0)  # type: ignore[attr-defined]


def test_recent_spend_fades_faster_than_long_run_spend() -> None:
    """Ninety days of silence divide recent spend by e and long-run spend by e^(90/365)."""
    spend = record_spend(None, at(0), 100.0)
    recent, long = spend.decayed(at(90))
    assert recent == pytest.approx(100.0 / np.e)
    assert long == pytest.approx(100.0 * np.exp(-90 / 365))


def test_features_describe_orders_refunds_discounts_and_breadth() -> None:
    """Repeat spend excludes the first day; refunds, discounts and categories are read from the facts."""
    facts, spend = history()
    x = value_features(facts, at(90), spend=spend)  # type: ignore[arg-type]
    assert x["repeat_order_value"] == pytest.approx((120.0 - 30.0) / 2)
    assert (x["days_since_last"], x["tenure_days"], x["recency_days"]) == (30.0, 90.0, 60.0)
    assert (x["refund_share"], x["discount_share"], x["categories"]) == (0.1, 0.25, 2.0)
    assert x["sessions"] == 0.0 and x["days_since_seen"] == 0.0  # no clickstream offline
    assert set(x) == set(VALUE_FEATURES) - {"p_alive", "p_buy", "expected_purchases",
                                            "expected_order_value", "expected_spend"}


def test_without_a_spend_history_order_value_stands_in() -> None:
    """A profile without the value model's extra state still gives every feature."""
    facts, _ = history()
    x = value_features(facts, at(90))
    assert x["last_order_value"] == x["max_order_value"] == x["order_value"] == 30.0
    assert x["recent_spend"] == 0.0


def test_bgnbd_and_gammagamma_add_expected_purchases_and_spend() -> None:
    """With both fits, expected spend is expected purchases times expected order value; P(buy) <= P(alive)."""
    rng = np.random.default_rng(0)
    x_rep = rng.integers(0, 6, 300).astype(float)
    big_t = rng.uniform(10, 40, 300)
    bgnbd = BGNBD().fit(x_rep, np.where(x_rep > 0, big_t * rng.uniform(0.2, 1, 300), 0), big_t)
    gammagamma = GammaGamma().fit(x_rep[x_rep > 0] , rng.gamma(5, 8, int((x_rep > 0).sum())))
    facts, spend = history()
    x = value_features(facts, at(90), spend=spend, bgnbd=bgnbd, gammagamma=gammagamma)  # type: ignore[arg-type]
    assert 0.0 < x["p_buy"] <= x["p_alive"] <= 1.0
    assert x["expected_spend"] == pytest.approx(x["expected_purchases"] * x["expected_order_value"])
    assert tuple(k for k in VALUE_FEATURES if k in x) == VALUE_FEATURES
