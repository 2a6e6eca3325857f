"""Google Analytics 4's BigQuery export, one event per JSON line, read into the tracker's events."""

from __future__ import annotations

import gzip
import json

from streams.replay.history import read_history
from streams.settings import Settings, intake_of

T = 1_604_188_800_000_000  # 2020-11-01 00:00 UTC, in microseconds


def row(name: str, seconds: int, *, user: str = "123.456", items=(), params=None, **fields) -> dict:
    event_params = [{"key": key, "value": {"int_value" if isinstance(value, int) else "string_value": str(value)}}
                    for key, value in {"ga_session_id": 77, **(params or {})}.items()]
    return {"event_date": "20201101", "event_timestamp": str(T + seconds * 1_000_000), "event_name": name,
            "user_pseudo_id": user, "event_params": event_params, "items": list(items), **fields}


def replayed(tmp_path, rows, *, raw_lines=()):
    path = tmp_path / "ga4.jsonl.gz"
    with gzip.open(path, "wt") as out:
        out.write("\n".join([*(json.dumps(r) for r in rows), *raw_lines]) + "\n")
    parsed, report = read_history(path, "ga4", intake_of(Settings()))
    return [json.loads(p.value) for p in parsed], report


def test_a_visit_with_a_cart_a_checkout_and_a_purchase(tmp_path):
    shirt = {"item_id": "9195", "item_name": "Shirt", "price": 12.5, "quantity": 2, "item_category": "Apparel"}
    mug = {"item_id": "9180", "price": 8.0, "quantity": 1}
    found, report = replayed(tmp_path, [
        row("page_view", 0, params={"page_location": "https://shop.example/"}),
        row("view_item", 10, items=[shirt]),
        row("add_to_cart", 20, items=[shirt, mug]),
        row("begin_checkout", 30, items=[shirt, mug], params={"value": "33.0", "currency": "usd"}),
        row("purchase", 40, items=[shirt, mug], ecommerce={"transaction_id": "T-1", "purchase_revenue": 33.0}),
        row("scroll", 50),
    ])
    assert [e["type"] for e in found] == ["page_viewed", "product_viewed", "cart_item_added", "cart_item_added",
                                          "checkout_started", "order_placed", "activity"]
    assert {e["session_id"] for e in found} == {"77"} and found[0]["url"] == "https://shop.example/"
    order = found[5]
    assert (order["order_id"], order["total"], [line["product_id"] for line in order["line_items"]]) == (
        "T-1", 33.0, ["9195", "9180"])
    assert found[4]["currency"] == "USD"
    assert report.unmapped == {"scroll": 1} and report.bad == 0


def test_the_shipping_and_payment_info_steps_are_the_checkout_with_their_items(tmp_path):
    """add_shipping_info and add_payment_info, steps of a checkout, start it (as a clickstream table's are read)."""
    mug = {"item_id": "9180", "price": 8.0, "quantity": 2}
    found, report = replayed(tmp_path, [row("add_shipping_info", 0, items=[mug], params={"value": "16.0"}),
                                        row("add_payment_info", 10, items=[mug], params={"currency": "eur"})])
    assert [e["type"] for e in found] == ["checkout_started", "checkout_started"]
    assert [(p["product_id"], p["quantity"]) for p in found[0]["products"]] == [("9180", 2)]
    assert (found[0]["value"], found[1]["currency"]) == (16.0, "EUR")
    assert report.unmapped == {}


def test_the_user_id_when_set_and_a_login_links_the_pseudo_id(tmp_path):
    found, _ = replayed(tmp_path, [row("login", 0, user_id="u-42")])
    [login] = found
    assert (login["type"], login["customer_id"], login["anonymous_id"]) == ("customer_identified", "u-42", "123.456")


def test_bad_lines_are_reported_by_number(tmp_path):
    _, report = replayed(tmp_path, [row("page_view", 0), row("page_view", 1, user="(not set)")],
                         raw_lines=["{not json"])
    assert [(bad.line, bad.reason) for bad in report.bad_lines] == [(2, "missing_field"), (3, "malformed_json")]


def test_the_same_export_gives_the_same_event_ids(tmp_path):
    rows = [row("add_to_cart", 0, items=[{"item_id": "1"}, {"item_id": "2"}])]
    first, _ = replayed(tmp_path, rows)
    again, _ = replayed(tmp_path, rows)
    assert [e["event_id"] for e in first] == [e["event_id"] for e in again]
    assert len({e["event_id"] for e in first}) == 2


def test_an_unreadable_event_timestamp_is_a_wrong_type_and_a_missing_one_a_missing_field(tmp_path):
    """The reasons the rest of the tracker gives a time: not one is wrong_type, none is missing_field."""
    rows = [row("page_view", 0), {**row("page_view", 1), "event_timestamp": "2020-11-01T00:00:00Z"},
            {**row("page_view", 2), "event_timestamp": "1e30"}, {**row("page_view", 3), "event_timestamp": None}]
    found, report = replayed(tmp_path, rows)
    assert len(found) == 1
    assert [(bad.line, bad.reason) for bad in report.bad_lines] == [(2, "wrong_type"), (3, "wrong_type"),
                                                                    (4, "missing_field")]
    assert "2020-11-01T00:00:00Z" in report.bad_lines[0].detail
