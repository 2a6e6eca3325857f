"""The feature contract: UCI rows, live sessions and purchase histories give the same names."""

from __future__ import annotations

import datetime as dt

import pytest

from models.bgnbd import BGNBD
from models.errors import FieldError
from models.features import (
    INTENT_FEATURES,
    LOYALTY_FEATURES,
    intent_features_from_session,
    intent_features_from_uci_row,
    intent_label_from_uci_row,
    loyalty_features,
    record_order,
    record_refund,
)

ROW = {
    "Administrative": "3",
    "Administrative_Duration": "80.5",
    "Informational": "1",
    "Informational_Duration": "12",
    "ProductRelated": "20",
    "ProductRelated_Duration": "640.25",
    "BounceRates": "0.004",
    "ExitRates": "0.021",
    "PageValues": "18.7",
    "SpecialDay": "0.4",
    "Month": "Nov",
    "OperatingSystems": "3",
    "Browser": "2",
    "Region": "7",
    "TrafficType": "13",
    "VisitorType": "New_Visitor",
    "Weekend": "TRUE",
    "Revenue": "FALSE",
}


def day(n: float) -> dt.datetime:
    return dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=n)


def test_uci_row_maps_every_column_to_its_contract_name() -> None:
    """A UCI row becomes the contract's 20 features, in contract order, with its values."""
    x = intent_features_from_uci_row(ROW)
    assert tuple(x) == INTENT_FEATURES
    assert x == {
        "admin_pages": 3.0,
        "admin_seconds": 80.5,
        "info_pages": 1.0,
        "info_seconds": 12.0,
        "product_pages": 20.0,
        "product_seconds": 640.25,
        "bounce_rate": 0.004,
        "exit_rate": 0.021,
        "page_value": 18.7,
        "special_day": 0.4,
        "month": 11.0,
        "weekend": 1.0,
        "returning_visitor": 0.0,
        "traffic_type": 13.0,
        "region": 7.0,
        "browser": 2.0,
        "os": 3.0,
        "cart_items": 0.0,
        "cart_value": 0.0,
        "checkout_started": 0.0,
    }


@pytest.mark.parametrize(("text", "month"), [("Feb", 2.0), ("June", 6.0), ("jul", 7.0), ("Dec", 12.0)])
def test_month_names_of_the_data_set_become_numbers(text: str, month: float) -> None:
    """Month names as written in the data set (including "June") map to 1-12."""
    assert intent_features_from_uci_row({**ROW, "Month": text})["month"] == month


def test_only_returning_visitors_count_as_returning() -> None:
    """VisitorType Returning_Visitor is 1; New_Visitor and Other are 0."""
    values = [
        intent_features_from_uci_row({**ROW, "VisitorType": v})["returning_visitor"]
        for v in ("Returning_Visitor", "New_Visitor", "Other")
    ]
    assert values == [1.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("PageValues", "lots", "a number"),
        ("ExitRates", "-0.1", "a number >= 0"),
        ("Month", "Foo", "a month name"),
        ("Weekend", "maybe", "TRUE or FALSE"),
    ],
)
def test_bad_values_raise_a_field_error_naming_the_column(column: str, value: str, expected: str) -> None:
    """A bad value raises FieldError with the column, what was expected and what was found."""
    with pytest.raises(FieldError) as caught:
        intent_features_from_uci_row({**ROW, column: value})
    assert caught.value.field == column
    assert caught.value.found == value
    assert expected in caught.value.expected


def test_a_missing_column_raises_a_field_error() -> None:
    """A row without a needed column raises FieldError naming it."""
    row = dict(ROW)
    del row["TrafficType"]
    with pytest.raises(FieldError, match="TrafficType"):
        intent_features_from_uci_row(row)


def test_revenue_is_the_label() -> None:
    """Revenue TRUE/FALSE is the purchase label."""
    assert intent_label_from_uci_row({**ROW, "Revenue": "TRUE"}) is True
    assert intent_label_from_uci_row(ROW) is False


def test_a_session_dict_gives_the_same_features_as_its_uci_row() -> None:
    """The live path (a session dict with contract names) reproduces the offline features."""
    offline = intent_features_from_uci_row(ROW)
    assert intent_features_from_session(dict(offline)) == offline


def test_a_session_fills_missing_names_with_zero_and_ignores_others() -> None:
    """Missing contract names are 0, booleans are 0/1, unknown keys are dropped."""
    x = intent_features_from_session({"cart_items": 2, "checkout_started": True, "sid": "abc"})
    assert set(x) == set(INTENT_FEATURES)
    assert (x["cart_items"], x["checkout_started"], x["product_pages"]) == (2.0, 1.0, 0.0)


def test_a_session_accepts_numbers_written_as_text() -> None:
    """Numeric text (as a hash in the state store returns it) counts as its number."""
    assert intent_features_from_session({"cart_value": "12.5"})["cart_value"] == 12.5


@pytest.mark.parametrize("value", ["abc", None, float("nan"), float("inf")])
def test_a_session_with_a_non_number_raises_a_field_error(value: object) -> None:
    """A session value that is not a finite number (or bool) is refused with its name."""
    with pytest.raises(FieldError) as caught:
        intent_features_from_session({"cart_value": value})
    assert caught.value.field == "cart_value"


def test_record_order_counts_repeat_days_not_repeat_orders() -> None:
    """Orders on the day of an earlier order add orders and revenue but not repeat days."""
    history = record_order(None, day(0), 10.0)
    history = record_order(history, day(0.5), 5.0)
    history = record_order(history, day(3), 20.0, discounted=True)
    history = record_order(history, day(3.2), 1.0)
    assert (history.orders, history.repeat_days, history.revenue) == (4, 1, 36.0)
    assert (history.first_at, history.last_at, history.discounted_orders) == (day(0), day(3.2), 1)


def test_record_refund_counts_refunds_of_known_customers_only() -> None:
    """A refund adds to a history and is ignored without one."""
    history = record_order(None, day(0), 10.0)
    assert record_refund(history).refunds == 1
    assert record_refund(None) is None


def test_loyalty_features_describe_the_history_at_a_moment() -> None:
    """Frequency, recency, tenure, days since last, money and shares come from the history."""
    history = record_order(None, day(0), 30.0)
    history = record_order(history, day(14), 10.0, discounted=True)
    history = record_order(history, day(20), 20.0)
    history = record_refund(history)
    x = loyalty_features(history, day(50))
    assert x == {
        "frequency": 2.0,
        "recency_days": 20.0,
        "tenure_days": 50.0,
        "days_since_last": 30.0,
        "monetary_mean": 20.0,
        "orders": 3.0,
        "refunds": 1.0,
        "discount_share": pytest.approx(1 / 3),
    }
    assert set(x) < set(LOYALTY_FEATURES)


def test_loyalty_features_add_bgnbd_scores_in_the_models_time_unit() -> None:
    """With a fitted BG/NBD, p_alive and expected purchases are those of (x, t_x, T) in weeks."""
    model = BGNBD().fit(x=[0, 1, 2, 0, 5, 3, 0, 1], t_x=[0, 4, 10, 0, 30, 20, 0, 2],
                        T=[38, 38, 37, 36, 39, 35, 30, 20])
    history = record_order(None, day(0), 30.0)
    history = record_order(history, day(14), 10.0)
    x = loyalty_features(history, day(70), bgnbd=model, horizon_days=28)
    assert x["p_alive"] == pytest.approx(model.p_alive(1, 2, 10))
    assert x["expected_purchases"] == pytest.approx(model.expected_purchases(4, 1, 2, 10))
