"""The replay of a log through value models: snapshots at orders and after silence, labels without peeking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from models.transactions import Transaction
from models.value_model import ValueModel
from models.value_replay import replay_value, spend_between

T0 = dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)


def at(days: float) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


class Recording(ValueModel):
    """A value model that also records what it learned, as (customer, snapshot day, spend)."""

    def __init__(self, **kwargs: float) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.learned: list[tuple[str, float, float]] = []

    def snapshot(self, customer_id: str, features: Mapping[str, float], at: dt.datetime, spent_so_far: float) -> None:
        tagged = {**features, "customer": float(ord(customer_id)), "day": (at - T0).total_seconds() / 86400}
        super().snapshot(customer_id, tagged, at, spent_so_far)

    def learn_one(self, x: Mapping[str, float], y: float, weight: float = 1.0) -> None:
        self.learned.append((chr(int(x["customer"])), round(x["day"], 1), y))
        super().learn_one(x, y, weight)


LOG = [
    Transaction("a", "1", at(0), 10.0),
    Transaction("b", "2", at(0), 5.0),
    Transaction("a", "3", at(20), 30.0),
    Transaction("a", "4", at(25), 5.0, refund=True),
    Transaction("z", "5", at(26), 7.0, refund=True),  # a refund of an unknown customer
    Transaction("a", "6", at(45), 100.0),
    Transaction("b", "7", at(70), 8.0),  # after `until`: never seen
]


def test_labels_are_learned_only_once_their_horizon_has_passed() -> None:
    """At day 50 with a 30-day horizon, only snapshots taken before day 20 are learned, each with its spend."""
    model = Recording(horizon_days=30)
    replay_value(LOG, at(50), [model], horizon_days=30, review_days=10)
    assert sorted(model.learned) == [("a", 0.0, 30.0), ("a", 10.0, 30.0), ("b", 0.0, 0.0), ("b", 10.0, 0.0)]


def test_silent_customers_are_snapshotted_every_review_period() -> None:
    """b, silent after day 0, is snapshotted every 10 days up to the end; a again 10 days after each order."""
    model = Recording(horizon_days=30)
    replay_value(LOG, at(50), [model], horizon_days=30, review_days=10)
    days = {c: sorted(round(e["at"] / 86400 - T0.timestamp() / 86400, 1) for e in model.pending_for(c))
            for c in ("a", "b")}
    assert days == {"a": [20.0, 30.0, 40.0, 45.0], "b": [20.0, 30.0, 40.0, 50.0]}


def test_moments_list_every_buyer_known_then_with_each_models_predictions() -> None:
    """A moment holds the customers with an order before it (not refund-only ones), and one score per model."""
    first, second = ValueModel(horizon_days=30), ValueModel(horizon_days=30, target="log")
    moments = replay_value(LOG, at(50), [first, second], horizon_days=30, stops=[at(10)])
    assert set(moments) == {at(10), at(50)}
    final = moments[at(50)]
    assert final.customers == ["a", "b"]
    assert [f.orders for f in final.facts] == [3, 1]
    assert final.facts[0].refunds == 1 and final.facts[0].refunded == 5.0
    assert len(final.scores) == len(final.money) == 2 and len(final.money[1]) == 2
    assert final.bgnbd is None  # too few customers to fit
    assert "p_alive" not in final.features[0]
    assert moments[at(10)].learned == [0, 0]


def test_spend_between_counts_orders_in_the_window() -> None:
    """Orders in [start, end) count; refunds and later orders do not."""
    assert spend_between(LOG, at(20), at(70)) == {"a": 130.0}
