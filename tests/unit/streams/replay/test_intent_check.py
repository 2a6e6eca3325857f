"""``tracker evaluate intent`` on a clickstream: the worker's visits and intent model, offline."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from streams.core.events import CheckoutStarted, CustomerIdentified, OrderPlaced, PageViewed, dump
from streams.demo.simulate import in_time_order, simulate
from streams.errors import UsageError
from streams.replay.intent_check import ended_visits, evaluate_clickstream_intent
from streams.settings import Settings

START = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


def _at(minute: float) -> datetime:
    return START + timedelta(minutes=minute)


def _view(who: str, minute: float) -> PageViewed:
    return PageViewed(type="page_viewed", event_id=f"{who}-{minute}", customer_id=who, occurred_at=_at(minute), url="/")


def test_a_visit_ends_before_the_next_one_starts_and_counts_the_visits_before_it() -> None:
    """As the worker's timer would: the first visit is a new visitor's, the second a returning one's."""
    first, second = ended_visits([_view("a", 0), _view("a", 5), _view("a", 120)], timedelta(minutes=30))
    assert (first.ended_at, second.ended_at) == (_at(5), _at(120))
    assert first.features["returning_visitor"] == 0.0 and second.features["returning_visitor"] == 1.0


def test_an_order_marks_the_visit_it_falls_in_and_a_checkout_is_its_features() -> None:
    checkout = CheckoutStarted(type="checkout_started", event_id="c", customer_id="a", occurred_at=_at(3))
    order = OrderPlaced(type="order_placed", event_id="o", customer_id="a", occurred_at=_at(4), order_id="o-1",
                        total=20.0)
    bought, looked = ended_visits([_view("a", 0), checkout, order, _view("b", 10)], timedelta(minutes=30))
    assert bought.purchased and bought.checkout and bought.features["checkout_started"] == 1.0
    assert not looked.purchased and not looked.checkout


def _events_file(path: Path, customers: int) -> Path:
    events = in_time_order(simulate(customers, seed=5, start=START, pace=timedelta(minutes=1),
                                    spread=timedelta(days=20)))
    path.write_bytes(b"\n".join(dump(event) for event in events) + b"\n")
    return path


def test_the_intent_model_tells_the_visits_that_buy_better_than_chance(tmp_path: Path) -> None:
    result = evaluate_clickstream_intent(_events_file(tmp_path / "events.jsonl", 600), "events", Settings())
    assert result["visits"] > 500 and 0.0 < result["purchase_rate"] < 1.0
    holdout = result["holdout"]
    assert holdout["trained_on"] + holdout["scored"] == result["visits"]
    assert holdout["scored"] == pytest.approx(0.3 * result["visits"], abs=1)
    assert result["progressive_roc_auc"] > 0.7 and holdout["model"]["roc_auc"] > 0.7
    for rule in ("checkout started", "added to cart"):
        assert 0.0 <= holdout[rule]["roc_auc"] <= 1.0


def test_a_clickstream_without_purchases_is_refused_saying_so(tmp_path: Path) -> None:
    path = tmp_path / "looks.jsonl"
    path.write_bytes(b"\n".join(dump(_view(who, minute)) for who in "abc" for minute in (0, 1, 90)) + b"\n")
    with pytest.raises(UsageError, match="none of its 6 visits ends in a purchase"):
        evaluate_clickstream_intent(path, "events", Settings())


def test_a_file_of_bad_lines_only_is_refused_with_the_first_one_s_reason(tmp_path: Path) -> None:
    """Another tool's export read as the tracker's events: every line bad, and the one line said only how many."""
    path = tmp_path / "other.jsonl"
    path.write_text('{"event": "view", "user": "a"}\n{"event": "buy", "user": "a"}\n')
    with pytest.raises(UsageError, match=r"no visit in 2 line\(s\) \(2 bad; the first, line 1: missing_field: type: "):
        evaluate_clickstream_intent(path, "events", Settings())


@pytest.mark.parametrize("buyers", ["ab", "hij"], ids=["early purchases only", "late purchases only"])
def test_a_holdout_of_one_kind_of_visit_is_refused_saying_so(tmp_path: Path, buyers: str) -> None:
    """The latest 30 % of the visits all buying or none: its ROC AUC was NaN, its table and JSON NaN."""
    def order(who: str) -> OrderPlaced:
        return OrderPlaced(type="order_placed", event_id=f"o-{who}", customer_id=who, occurred_at=_at(ord(who) * 60 + 1),
                           order_id=f"o-{who}", total=5.0)

    events = [_view(who, ord(who) * 60) for who in "abcdefghij"] + [order(who) for who in buyers]
    path = tmp_path / "visits.jsonl"
    path.write_bytes(b"\n".join(dump(event) for event in events) + b"\n")
    kind = "no purchase" if buyers == "ab" else "only purchases"
    with pytest.raises(UsageError, match=f"the holdout, the latest 3 of its 10 visits .*, holds {kind}"):
        evaluate_clickstream_intent(path, "events", Settings())


def test_a_login_gives_the_visitors_visit_to_the_customer(tmp_path: Path) -> None:
    """Read as tracker replay reads it: the anonymous part of a visit and the logged-in part are one visit."""
    login = CustomerIdentified(type="customer_identified", event_id="l", customer_id="u-1", anonymous_id="d-1",
                               occurred_at=_at(2))
    order = OrderPlaced(type="order_placed", event_id="o", customer_id="u-1", occurred_at=_at(4), order_id="o-1",
                        total=20.0)
    later = OrderPlaced(type="order_placed", event_id="o2", customer_id="u-4", occurred_at=_at(201), order_id="o-2",
                        total=20.0)
    events = [_view("d-1", 0), login, _view("u-1", 3), order, _view("d-2", 0), _view("d-3", 0), _view("d-3", 80),
              _view("d-5", 190), _view("u-4", 200), later]  # the last two: a holdout of a buyer and a looker
    path = tmp_path / "login.jsonl"
    path.write_bytes(b"\n".join(dump(event) for event in events) + b"\n")
    result = evaluate_clickstream_intent(path, "events", Settings())
    assert result["visits"] == 6  # u-1 (d-1 before the login), d-2, d-3 twice, d-5, u-4
    assert result["purchase_rate"] == pytest.approx(2 / 6)


def test_a_funnel_table_s_visits_that_give_their_payment_details_started_a_checkout(tmp_path: Path) -> None:
    """A funnel table without a product column: its details steps are checkouts, so the checkout rule tells the
    visits that buy (it said 0.5, no visit having one)."""
    rows = ["user_id,session_id,event,timestamp"]
    for n in range(10):
        at = _at(60 * n)
        steps = ["catalog", "shipping_details", "payment_details", "purchase"] if n % 2 else ["catalog", "home"]
        rows += [f"u{n},s{n},{step},{at + timedelta(minutes=k):%Y-%m-%d %H:%M:%S}" for k, step in enumerate(steps)]
    path = tmp_path / "funnel.csv"
    path.write_text("\n".join(rows) + "\n")
    result = evaluate_clickstream_intent(path, "clickstream", Settings())
    assert (result["visits"], result["purchase_rate"]) == (10, 0.5)
    assert result["holdout"]["checkout started"]["roc_auc"] == 1.0


def test_a_long_evaluation_says_each_step_and_counts_the_customers_whose_visits_are_cut(tmp_path: Path) -> None:
    """The steps are said as they end, and the visit cutting counts customers up to all of them."""
    steps: list[str] = []
    counts: list[tuple[int, int]] = []
    result = evaluate_clickstream_intent(_events_file(tmp_path / "events.jsonl", 600), "events", Settings(),
                                         stage=steps.append, count=lambda done, total: counts.append((done, total)))
    assert [step.split(" ")[0] for step in steps] == ["read", "cut", "learned"]
    assert counts[-1] == (result["customers"], result["customers"])
