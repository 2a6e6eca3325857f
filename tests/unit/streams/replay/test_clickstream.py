"""A clickstream CSV (one row per event) read into the tracker's events, as the worker would parse them."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from models.errors import DataFileError
from streams.replay.clickstream import parse_click_columns
from streams.replay.history import read_history
from streams.settings import Settings, intake_of

RETAILROCKET = "customer=visitorid,time=timestamp,event=event,product=itemid,order=transactionid"


def events(path: Path, columns: str, limit: int | None = None):
    parsed, report = read_history(path, "clickstream", intake_of(Settings()), columns=parse_click_columns(columns),
                                  limit=limit)
    return [json.loads(p.value) for p in parsed], report


def test_retailrocket_rows_become_views_cart_adds_and_one_order_per_transaction(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("timestamp,visitorid,event,itemid,transactionid\n"
                    "1433221332117,257597,view,355908,\n"
                    "1433221999827,257597,addtocart,355908,\n"
                    "1433222276276,257597,transaction,355908,4000\n"
                    "1433222276276,257597,transaction,15335,4000\n")
    found, report = events(path, RETAILROCKET)
    assert [e["type"] for e in found] == ["product_viewed", "cart_item_added", "order_placed"]
    order = found[-1]
    assert order["order_id"] == "4000" and [line["product_id"] for line in order["line_items"]] == ["355908", "15335"]
    assert found[0]["occurred_at"].startswith("2015-06-02T05:02:12.117")
    assert (report.events, report.customers, report.bad) == (3, 1, 0)


def test_a_flattened_ga4_table_s_event_timestamp_in_microseconds_is_its_time(tmp_path):
    """GA4's BigQuery export flattened to CSV: event_timestamp counts microseconds, beside the day's event_date."""
    path = tmp_path / "ga4.csv"
    path.write_text("event_date,event_timestamp,event_name,user_pseudo_id,item_id,price\n"
                    "20201101,1604188800123456,page_view,u1,,\n"
                    "20201101,1604188920123456,add_to_cart,u1,p1,5.0\n")
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [(e["type"], e["occurred_at"]) for e in found] == [
        ("page_viewed", "2020-11-01T00:00:00.123456Z"), ("cart_item_added", "2020-11-01T00:02:00.123456Z")]
    assert (report.events, report.bad) == (2, 0)


REES46 = "customer=user_id,time=event_time,event=event_type,product=product_id,price=price,session=user_session"
REES46_HEADER = "event_time,event_type,product_id,price,user_id,user_session\n"


def test_purchase_rows_without_an_order_id_seconds_apart_in_one_session_are_one_order(tmp_path):
    """A checkout's rows, written seconds apart, are one order; a later checkout or another session is another."""
    path = tmp_path / "events.csv"
    path.write_text(REES46_HEADER +
                    "2024-03-04 11:16:00 UTC,purchase,p1,10.00,7,s1\n"
                    "2024-03-04 11:16:03 UTC,purchase,p2,2.50,7,s1\n"
                    "2024-03-04 11:16:03 UTC,purchase,p3,1.00,8,s9\n"
                    "2024-03-04 11:40:00 UTC,purchase,p3,1.00,7,s1\n"
                    "2024-03-04 11:40:02 UTC,purchase,p4,4.00,7,s2\n")
    found, _ = events(path, REES46)
    orders = [(e["customer_id"], e.get("session_id"), [line["product_id"] for line in e["line_items"]], e["total"])
              for e in found if e["type"] == "order_placed"]
    assert orders == [("7", "s1", ["p1", "p2"], 12.5), ("8", "s9", ["p3"], 1.0), ("7", "s1", ["p3"], 1.0),
                      ("7", "s2", ["p4"], 4.0)]


def test_purchase_rows_without_an_order_id_or_a_session_are_one_order_while_seconds_apart(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("event_time,event_type,product_id,price,user_id\n"
                    "2024-03-04 11:16:00 UTC,purchase,p1,10.00,7\n"
                    "2024-03-04 11:16:30 UTC,purchase,p2,2.50,7\n"
                    "2024-03-04 11:17:20 UTC,purchase,p3,1.00,7\n"
                    "2024-03-05 09:00:00 UTC,purchase,p3,1.00,7\n")
    found, _ = events(path, "customer=user_id,time=event_time,event=event_type,product=product_id,price=price")
    assert [e["total"] for e in found] == [13.5, 1.0]


def test_a_purchase_row_repeated_exactly_counts_once_as_any_repeated_row_does(tmp_path):
    """The same row twice (time included) is one row sent twice; a second unit has its own time or a quantity."""
    path = tmp_path / "events.csv"
    path.write_text(REES46_HEADER +
                    "2024-03-09 11:57:00 UTC,cart,p1,5.00,8,s2\n"
                    "2024-03-09 11:57:00 UTC,cart,p1,5.00,8,s2\n"
                    "2024-03-09 11:58:00 UTC,purchase,p1,5.00,8,s2\n"
                    "2024-03-09 11:58:00 UTC,purchase,p1,5.00,8,s2\n"
                    "2024-03-10 09:00:00 UTC,purchase,p1,5.00,8,s3\n"
                    "2024-03-10 09:00:03 UTC,purchase,p1,5.00,8,s3\n")
    found, _ = events(path, REES46)
    assert len({e["event_id"] for e in found if e["type"] == "cart_item_added"}) == 1
    assert [e["total"] for e in found if e["type"] == "order_placed"] == [5.0, 10.0]
    with_quantity = tmp_path / "quantity.csv"
    with_quantity.write_text("event_time,event_type,product_id,price,quantity,user_id,order_id\n"
                             "2024-03-09 11:58:00 UTC,purchase,p1,5.00,2,8,o1\n"
                             "2024-03-09 11:58:00 UTC,purchase,p1,5.00,2,8,o1\n")
    found, _ = events(with_quantity, REES46.replace("session=user_session", "quantity=quantity,order=order_id"))
    assert [(e["total"], e["line_items"][0]["quantity"]) for e in found] == [(10.0, 2)]


def test_event_names_in_any_spelling_and_the_rest_counted_as_activity(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("when;who;what;sku;price\n"
                    "2026-01-05T09:00:00Z;a;Product Viewed;p1;12,50\n"
                    "2026-01-05T09:01:00Z;a;ADD_TO_CART;p1;12,50\n"
                    "2026-01-05T09:02:00Z;a;begin_checkout;;\n"
                    "2026-01-05T09:03:00Z;a;page_view;;\n"
                    "2026-01-05T09:04:00Z;a;wishlist;p1;\n")
    found, report = events(path, "customer=who,time=when,event=what,product=sku,price=price")
    assert [e["type"] for e in found] == ["product_viewed", "cart_item_added", "checkout_started", "page_viewed",
                                          "activity"]
    assert found[1]["price"] == 12.5
    assert report.unmapped == {"wishlist": 1}


def test_a_funnel_table_s_steps_named_for_the_shipping_or_payment_details_they_ask_are_its_checkout(tmp_path):
    """A funnel table (user, session, event, time: no product) starts its checkout at its details steps; a page
    about shipping and an error at payment are no step, and a cart add naming no product stays visit activity."""
    path = tmp_path / "funnel.csv"
    path.write_text("user_id,session_id,event,timestamp,platform\n" + "".join(
        f"u1,s1,{name},2024-03-13 10:{minute:02d}:00,desktop\n" for minute, name in enumerate(
            ["add_to_cart", "shipping_policy", "shipping_details", "payment_details", "payment_error",
             "BillingDetails", "purchase"])))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [e["type"] for e in found] == ["activity", "activity", "checkout_started", "checkout_started", "activity",
                                          "checkout_started", "order_placed"]
    assert "products" not in found[2] and found[2]["session_id"] == "s1"
    assert report.unmapped == {"add_to_cart": 1, "shipping_policy": 1, "payment_error": 1}


def test_a_time_column_the_header_does_not_name_is_the_one_whose_values_are_dates(tmp_path):
    """A header naming no time column (a t_dat) has as its time the one column of dates; an id of digits is none."""
    path = tmp_path / "clicks.csv"
    path.write_text("user_id,event,sku,t_dat\nu1,view,20240301,2024-03-01 10:00:00\n"
                    "u1,add_to_cart,20240301,2024-03-01 10:01:00\n")
    parsed, _ = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [(e["type"], e["occurred_at"][:19]) for e in found] == [
        ("product_viewed", "2024-03-01T10:00:00"), ("cart_item_added", "2024-03-01T10:01:00")]


def test_the_same_rows_give_the_same_event_ids(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("timestamp,visitorid,event,itemid,transactionid\n1433221332117,257597,view,355908,\n")
    assert events(path, RETAILROCKET)[0] == events(path, RETAILROCKET)[0]


def test_a_row_the_worker_would_refuse_is_reported_by_its_line(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("timestamp,visitorid,event,itemid,transactionid\n"
                    "1433221332117,257597,view,355908,\n"
                    "1433221332118,null,view,355908,\n")
    found, report = events(path, RETAILROCKET)
    assert len(found) == 1 and [bad.line for bad in report.bad_lines] == [3]


@pytest.mark.parametrize(("body", "message"), [
    ("timestamp,visitorid,event\n1433221332117,1,view\n", "missing column"),
    ("timestamp,visitorid,event,itemid,transactionid\n,1,view,2,\nyesterday,1,view,2,\ntoday,1,view,2,\n",
     "line 3, column 'timestamp': bad date"),
])
def test_a_missing_column_or_a_time_column_without_dates_is_one_error_naming_it(tmp_path, body, message):
    path = tmp_path / "events.csv"
    path.write_text(body)
    with pytest.raises(DataFileError, match=message):
        events(path, RETAILROCKET)


def test_a_row_with_a_bad_or_no_time_is_reported_by_its_line_and_the_rest_is_read(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("timestamp,visitorid,event,itemid,transactionid\n"
                    "yesterday,1,view,2,\n"
                    "1433221332117,1,view,2,\n"
                    ",1,addtocart,2,\n"
                    "1433221332119,1,addtocart,2,\n"
                    "14332213x,1,transaction,2,t1\n"
                    "1433221332120,1,transaction,2,t1\n")
    found, report = events(path, RETAILROCKET)
    assert [e["type"] for e in found] == ["product_viewed", "cart_item_added", "order_placed"]
    assert [(bad.line, bad.reason) for bad in report.bad_lines] == [
        (2, "wrong_type"), (4, "missing_field"), (6, "wrong_type")]
    assert "timestamp: expected a Unix time" in report.bad_lines[2].detail and "'14332213x'" in report.bad_lines[2].detail


def test_rfc_2822_and_12_hour_times_are_read_as_the_purchase_logs_read_them(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("timestamp,visitorid,event,itemid,transactionid\n"
                    '"Mon, 01 Dec 2025 10:00:00 +0100",1,view,2,\n'
                    '"Mon, 01 Dec 2025 10:05:00 +0100",1,addtocart,2,\n')
    found, report = events(path, RETAILROCKET)
    assert [e["occurred_at"] for e in found] == ["2025-12-01T09:00:00Z", "2025-12-01T09:05:00Z"]
    path.write_text("timestamp,visitorid,event,itemid,transactionid\n2025-12-01 10:00:00 PM,1,view,2,\n")
    assert [e["occurred_at"] for e in events(path, RETAILROCKET)[0]] == ["2025-12-01T22:00:00Z"]
    assert report.bad == 0


def test_an_id_column_saved_as_floats_names_the_customers_the_purchase_logs_name(tmp_path):
    """``12345.0`` (a data frame's id column with gaps) is customer ``12345``; ``v2.0`` and leading zeros stay."""
    path = tmp_path / "tracks.csv"
    path.write_text("timestamp,user_id,anonymous_id,event,product_id\n"
                    "2024-03-01T10:00:00Z,,777.0,Product Added,P-1\n"
                    "2024-03-01T10:01:00Z,12345.0,777,Checkout Started,\n"
                    "2024-03-01T10:02:00Z,12345,,Product Viewed,P-1\n"
                    "2024-03-01T10:03:00Z,v2.0,,Product Viewed,P-1\n"
                    "2024-03-01T10:04:00Z,00123.0,,Product Viewed,P-1\n")
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [e["customer_id"] for e in found if e["type"] != "customer_identified"] == [
        "12345", "12345", "12345", "v2.0", "00123"]
    assert [e["anonymous_id"] for e in found if e["type"] == "customer_identified"] == ["777"]
    assert report.customers == 3


def test_a_row_whose_price_quantity_or_total_is_no_number_is_a_bad_line_and_a_missing_one_is_no_value(tmp_path):
    """Nothing is lost silently: the row the worker would refuse is reported with its line and reason."""
    path = tmp_path / "events.csv"
    path.write_text("event_time,user_id,event_type,product_id,price,quantity\n"
                    "2024-03-01T10:00:00Z,1,view,P-1,twelve,\n"
                    "2024-03-01T10:01:00Z,1,view,P-1,NA,\n"
                    "2024-03-01T10:02:00Z,1,cart,P-1,12.50,two\n"
                    "2024-03-01T10:03:00Z,1,cart,P-1,12.50,2\n"
                    "2024-03-01T10:04:00Z,1,purchase,P-1,?,2\n"
                    "2024-03-01T10:04:01Z,1,purchase,P-2,3.00,1\n")
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [(e["type"], e.get("price")) for e in found] == [
        ("product_viewed", None), ("cart_item_added", 12.5), ("order_placed", None)]
    assert found[-1]["total"] == 3.0
    assert [(bad.line, bad.reason, bad.detail) for bad in report.bad_lines] == [
        (2, "wrong_type", "price: expected a number, found 'twelve'"),
        (4, "wrong_type", "quantity: expected a number, found 'two'"),
        (6, "wrong_type", "price: expected a number, found '?'")]


def test_limit_reads_the_first_rows_only(tmp_path):
    path = tmp_path / "events.csv"
    rows = "".join(f"{1433221332117 + n},v{n},view,1,\n" for n in range(10))
    path.write_text("timestamp,visitorid,event,itemid,transactionid\n" + rows)
    assert len(events(path, RETAILROCKET, limit=4)[0]) == 4


@pytest.mark.parametrize(("header", "expected"), [
    ("timestamp,visitorid,event,itemid,transactionid",
     {"customer": "visitorid", "time": "timestamp", "event": "event", "product": "itemid", "order": "transactionid"}),
    ("event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session",
     {"customer": "user_id", "time": "event_time", "event": "event_type", "product": "product_id", "price": "price",
      "category": "category_code", "session": "user_session"}),
])
def test_without_columns_the_public_data_sets_headers_say_which_is_which(tmp_path, header, expected):
    """RetailRocket's and the multi-category store's headers are read as the mappings the docs give them."""
    path = tmp_path / "events.csv"
    path.write_text(header + "\n")
    read, report = read_history(path, "clickstream", intake_of(Settings()))
    assert read == [] and report.columns == expected


def test_without_columns_a_header_read_from_its_names_gives_the_same_events(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("timestamp,visitorid,event,itemid,transactionid\n"
                    "1433221332117,257597,view,355908,\n"
                    "1433222276276,257597,transaction,355908,4000\n")
    parsed, _ = read_history(path, "clickstream", intake_of(Settings()))
    assert [json.loads(p.value) for p in parsed] == events(path, RETAILROCKET)[0]


def test_without_columns_a_header_that_names_no_event_is_refused_naming_it(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("when,who\n2024-01-01,c1\n")
    with pytest.raises(DataFileError, match="line 1: header 'when,who' names no customer and no event"):
        read_history(path, "clickstream", intake_of(Settings()))


def test_a_clickstream_without_a_header_by_column_numbers(tmp_path):
    """Taobao's user behaviour file: user, item, category, behaviour (pv, cart, fav, buy), Unix time; no header."""
    path = tmp_path / "UserBehavior.csv"
    path.write_text("1,2268318,2520377,pv,1511544070\n1,2268318,2520377,cart,1511544100\n"
                    "1,2268318,2520377,fav,1511544200\n1,2268318,2520377,buy,1511544300\n")
    found, report = events(path, "customer=1,product=2,category=3,event=4,time=5")
    assert [e["type"] for e in found] == ["product_viewed", "cart_item_added", "activity", "order_placed"]
    assert found[0]["customer_id"] == "1" and found[0]["occurred_at"].startswith("2017-11-24T17:21:10")
    with pytest.raises(DataFileError, match="line 1: no header line, the first line is data"):
        read_history(path, "clickstream", intake_of(Settings()))


def test_a_visitor_column_is_who_a_row_without_a_user_is_and_the_replay_gives_it_to_the_customer(tmp_path):
    """Segment's warehouse tracks table: user_id is set only after a login, anonymous_id always."""
    path = tmp_path / "tracks.csv"
    path.write_text("id,timestamp,user_id,anonymous_id,event,product_id,price\n"
                    "m1,2024-03-01T10:00:00Z,,anon-1,product_viewed,p1,10\n"
                    "m2,2024-03-01T10:01:00Z,,anon-1,product_added,p1,10\n"
                    "m3,2024-03-01T10:02:00Z,u-7,anon-1,product_viewed,p2,5\n"
                    "m4,2024-03-01T10:03:00Z,u-7,anon-1,checkout_started,,\n")
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [(e["type"], e["customer_id"]) for e in found] == [
        ("product_viewed", "u-7"), ("cart_item_added", "u-7"), ("customer_identified", "u-7"),
        ("product_viewed", "u-7"), ("checkout_started", "u-7")]
    assert found[2]["anonymous_id"] == "anon-1" and report.bad == 0
    assert report.columns["visitor"] == "anonymous_id"


def test_an_anonymous_row_is_the_next_login_s_user_else_the_last_one_s_else_the_visitor_s(tmp_path):
    path = tmp_path / "tracks.csv"
    path.write_text("timestamp,user_id,anonymous_id,event\n"
                    "2024-03-01T10:00:00Z,,d1,page_view\n"
                    "2024-03-01T10:05:00Z,u-1,d1,page_view\n"
                    "2024-03-01T11:00:00Z,,d1,page_view\n"
                    "2024-03-01T12:00:00Z,u-2,d1,page_view\n"
                    "2024-03-01T13:00:00Z,,d1,page_view\n"
                    "2024-03-01T10:00:00Z,,d9,page_view\n")
    parsed, _ = read_history(path, "clickstream", intake_of(Settings()))
    views = [json.loads(p.value)["customer_id"] for p in parsed if json.loads(p.value)["type"] == "page_viewed"]
    assert views == ["u-1", "u-1", "u-2", "u-2", "u-2", "d9"]


def test_a_visitor_column_that_is_the_customer_column_is_no_visitor(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("timestamp,visitorid,event,itemid\n1433221332117,257597,view,355908\n")
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    assert "visitor" not in report.columns and [json.loads(p.value)["type"] for p in parsed] == ["product_viewed"]


def test_a_data_lake_s_parquet_tracks_table_with_nested_properties(tmp_path):
    """Segment's and RudderStack's data lakes keep the tracks table as Parquet, properties nested."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    at = [dt.datetime(2024, 3, 1, 10, minute, tzinfo=dt.timezone.utc) for minute in (0, 1, 2)]
    pq.write_table(pa.table({
        "timestamp": at, "user_id": [None, None, "u-7"], "anonymous_id": ["a-1", "a-1", "a-1"],
        "event": ["Product Viewed", "Product Added", "Checkout Started"],
        "properties": [{"product_id": "p1", "price": 10.0}, {"product_id": "p1", "price": 10.0},
                       {"product_id": None, "price": None}],
    }), tmp_path / "tracks.parquet")
    parsed, report = read_history(tmp_path / "tracks.parquet", "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [(e["type"], e["customer_id"]) for e in found] == [
        ("product_viewed", "u-7"), ("cart_item_added", "u-7"), ("customer_identified", "u-7"),
        ("checkout_started", "u-7")]
    assert found[1]["price"] == 10.0 and report.columns["product"] == "properties.product_id"


MIXPANEL = [
    {"event": "Viewed Product", "properties": {"time": 1602342600, "distinct_id": "u1", "product_id": "p9",
                                               "price": 12.5, "$insert_id": "a1"}},
    {"event": "Added to Cart", "properties": {"time": 1602342660, "distinct_id": "u1", "product_id": "p9",
                                              "price": 12.5}},
    {"event": "Completed Order", "properties": {"time": 1602342900, "distinct_id": "u1", "product_id": "p9",
                                                "price": 12.5, "order_id": "o1", "items": ["p9"]}},
]


@pytest.mark.parametrize("compress", [False, True])
def test_a_mixpanel_export_in_json_lines_read_by_its_nested_fields(tmp_path, compress):
    """JSON Lines (plain or gzip): nested fields are columns ``outer.inner``, matched by their own names."""
    import gzip

    text = "".join(json.dumps(event) + "\n" for event in MIXPANEL)
    path = tmp_path / ("export.jsonl.gz" if compress else "export.jsonl")
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert report.columns == {"customer": "properties.distinct_id", "time": "properties.time", "event": "event",
                              "product": "properties.product_id", "price": "properties.price",
                              "order": "properties.order_id", "products": "properties.items",
                              "id": "properties.$insert_id"}
    assert [e["type"] for e in found] == ["product_viewed", "cart_item_added", "order_placed"]
    assert found[-1]["order_id"] == "o1" and found[-1]["total"] == 12.5
    assert found[0]["occurred_at"].startswith("2020-10-10T15:10:00")
    given, _ = events(path, "customer=properties.distinct_id,time=properties.time,event=event,"
                            "product=properties.product_id,price=properties.price,order=properties.order_id")
    assert given == found


@pytest.mark.parametrize(("where", "amount"), [("properties", "revenue"), ("properties", "total"),
                                               ("top", "value"), ("top", "amount")])
def test_an_order_event_s_amount_and_products_are_its_total_and_lines(tmp_path, where, amount):
    """Order Completed with its revenue (total, value, amount; top level or in properties) and products[]."""
    def order(order_id, time, given=None):
        properties = {"time": time, "distinct_id": "u1", "order_id": order_id,
                      "products": [{"product_id": "p1", "price": 5.0, "quantity": 2}, {"sku": "p2", "price": 3.25}]}
        event = {"event": "Order Completed", "properties": properties}
        if given is not None:
            (properties if where == "properties" else event)[amount] = given
        return json.dumps(event) + "\n"

    path = tmp_path / "export.jsonl"
    path.write_text(order("o1", 1602342900, 12.0) + order("o2", 1602343000))  # 12.0: 13.25 less a discount
    parsed, _ = read_history(path, "clickstream", intake_of(Settings()))
    orders = [json.loads(p.value) for p in parsed]
    assert [(o["order_id"], o["total"]) for o in orders] == [("o1", 12.0), ("o2", 13.25)]
    assert [(line["product_id"], line["quantity"], line["price"]) for line in orders[0]["line_items"]] == [
        ("p1", 2, 5.0), ("p2", 1, 3.25)]


def test_a_mixpanel_export_s_reserved_ids_say_who_the_visitor_is_and_who_they_log_in_as(tmp_path):
    """Mixpanel's ID merge: ``$device_id`` on every event, ``$user_id`` once logged in, ``distinct_id`` either."""
    path = tmp_path / "mixpanel.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in [
        {"event": "Product Added", "properties": {"time": 1602342600, "distinct_id": "$device:d1", "$device_id": "d1",
                                                  "product_id": "p1", "price": 5.0}},
        {"event": "$identify", "properties": {"time": 1602342660, "distinct_id": "u1", "$device_id": "d1",
                                              "$user_id": "u1", "$anon_distinct_id": "$device:d1"}},
        {"event": "Checkout Started", "properties": {"time": 1602342720, "distinct_id": "u1", "$device_id": "d1",
                                                     "$user_id": "u1"}},
    ]))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert (report.columns["customer"], report.columns["visitor"]) == ("properties.$user_id", "properties.$device_id")
    assert [(e["type"], e["customer_id"]) for e in found] == [
        ("cart_item_added", "u1"), ("customer_identified", "u1"), ("activity", "u1"), ("checkout_started", "u1")]


def test_a_mixpanel_export_without_merged_ids_links_the_anonymous_id_at_its_identify(tmp_path):
    """Mixpanel's original ID merge: ``$identify`` names the ``$anon_distinct_id`` it links to ``distinct_id``."""
    path = tmp_path / "mixpanel.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in [
        {"event": "Product Added", "properties": {"time": 1602342600, "distinct_id": "anon-1", "product_id": "p1"}},
        {"event": "$identify", "properties": {"time": 1602342660, "distinct_id": "u1", "$anon_distinct_id": "anon-1"}},
    ]))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    assert report.columns["visitor"] == "properties.$anon_distinct_id"
    assert {json.loads(p.value)["customer_id"] for p in parsed} == {"u1"}


def test_an_amplitude_export_with_its_own_names(tmp_path):
    path = tmp_path / "amplitude.json"
    path.write_text("\n".join(json.dumps(e) for e in [
        {"event_type": "view_item", "user_id": "u2", "device_id": "d", "event_time": "2021-01-01 10:00:00.123000",
         "session_id": 1609495200000, "event_properties": {"product_id": "p1", "price": "9.90"}},
        {"event_type": "add_to_cart", "user_id": "u2", "device_id": "d", "event_time": "2021-01-01 10:01:00.000000",
         "session_id": 1609495200000, "event_properties": {"product_id": "p1", "price": "9.90"}},
    ]))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert (report.columns["customer"], report.columns["time"], report.columns["session"]) == \
        ("user_id", "event_time", "session_id")
    assert (found[0]["type"], found[0]["customer_id"], found[0]["anonymous_id"]) == ("customer_identified", "u2", "d")
    assert [(e["type"], e["customer_id"], e["session_id"], e["price"]) for e in found[1:]] == [
        ("product_viewed", "u2", "1609495200000", 9.9), ("cart_item_added", "u2", "1609495200000", 9.9)]


def test_a_json_lines_line_that_is_not_an_object_is_reported_by_its_line_and_the_rest_is_read(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(MIXPANEL[0]) + "\n[1, 2]\n{\"event\": \"Prod\n" + json.dumps(MIXPANEL[0]) + "\n")
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    assert len(parsed) == 2
    assert [(bad.line, bad.reason) for bad in report.bad_lines] == [(2, "wrong_type"), (3, "malformed_json")]


def test_the_command_lines_columns_usage_is_the_readers():
    from streams.cli.args import CLICK_COLUMNS
    from streams.replay.clickstream import USAGE

    assert CLICK_COLUMNS == USAGE


def test_a_checkout_or_cart_view_with_its_products_says_what_the_cart_holds(tmp_path):
    """Checkout Started / view_cart with products[] (or GA4's items) carry them and the value, as a live message does."""
    products = [{"product_id": "p1", "price": 5.0, "quantity": 2}, {"item_id": "p2", "price": 3.25,
                                                                     "item_category": "mugs"}]
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in [
        {"event": "Cart Viewed", "properties": {"time": 1602342600, "distinct_id": "u1", "products": products[:1]}},
        {"event": "Checkout Started", "properties": {"time": 1602342660, "distinct_id": "u1", "products": products,
                                                     "value": 12.0}},
        {"event": "Checkout Started", "properties": {"time": 1602342720, "distinct_id": "u1"}},
    ]))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [e["type"] for e in found] == ["cart_viewed", "checkout_started", "checkout_started"]
    assert [(p["product_id"], p["quantity"], p["price"], p.get("category")) for p in found[1]["products"]] == [
        ("p1", 2, 5.0, None), ("p2", 1, 3.25, "mugs")]
    assert found[1]["value"] == 12.0 and len(found[0]["products"]) == 1
    assert "products" not in found[2] and report.bad == 0


async def test_a_replayed_abandoned_checkout_s_offer_names_the_products_it_listed(tmp_path, tracker, publisher, clock):
    """Through the worker's own steps: the offer of a replayed Checkout Started with products[] names them."""
    from builders import T0, record

    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps({"event": "Checkout Started", "properties": {
        "time": T0.timestamp(), "distinct_id": "u1", "value": 9.5,
        "products": [{"sku": "p1", "price": 5.0, "quantity": 2}]}}) + "\n")
    parsed, _ = read_history(path, "clickstream", intake_of(Settings()))
    await tracker.handle([record(p.value, topic=p.topic, key=p.customer_id) for p in parsed])
    clock.advance(hours=2)
    await tracker.fire_due([0])
    [trigger] = [json.loads(r) for r in publisher.on("offer-triggers")]
    assert (trigger["kind"], [(p["product_id"], p["quantity"]) for p in trigger["products"]]) == (
        "checkout_abandoned", [("p1", 2)])


def test_a_cart_row_listing_its_products_without_a_product_of_its_own_is_one_event_per_product(tmp_path):
    """GA4 flattened to a table: add_to_cart names no product column, its items list them."""
    path = tmp_path / "ga4.jsonl"
    items = [{"item_id": "9195", "price": 12.5, "quantity": 2}, {"item_id": "9180", "price": 8.0}]
    path.write_text("\n".join(json.dumps(e) for e in [
        {"event_name": "add_to_cart", "event_timestamp": "2020-11-01 00:00:00 UTC", "user_pseudo_id": "123.456",
         "items": items},
        {"event_name": "view_item", "event_timestamp": "2020-11-01 00:00:10 UTC", "user_pseudo_id": "123.456",
         "items": items[:1]},
        {"event_name": "begin_checkout", "event_timestamp": "2020-11-01 00:00:20 UTC", "user_pseudo_id": "123.456",
         "items": [{"item_name": "no id"}]},
    ]))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [(e["type"], e["product_id"], e.get("quantity")) for e in found] == [
        ("cart_item_added", "9195", 2), ("cart_item_added", "9180", 1), ("product_viewed", "9195", None)]
    assert len({e["event_id"] for e in found}) == 3
    assert [(bad.line, bad.reason) for bad in report.bad_lines] == [(3, "missing_field")]


def test_an_e_mail_user_id_is_replayed_in_lower_case_and_a_row_naming_it_otherwise_cased_links_nothing(tmp_path):
    """The replayed customer is the one the purchase logs read (``ann@shop.com``), however the rows case it."""
    path = tmp_path / "tracks.csv"
    path.write_text("timestamp,user_id,anonymous_id,event,product_id\n"
                    "2024-03-01T10:00:00Z,,Ann@Shop.com,Product Added,P-1\n"
                    "2024-03-01T10:01:00Z,ann@shop.com,Ann@Shop.com,Checkout Started,\n")
    parsed, _ = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [(e["type"], e["customer_id"]) for e in found] == [
        ("cart_item_added", "ann@shop.com"), ("checkout_started", "ann@shop.com")]
    assert found[0]["product_id"] == "P-1"


SNOWPLOW = ("app_id\tcollector_tstamp\tevent\tevent_id\tuser_id\tdomain_userid\tpage_url\tunstruct_event\ttr_orderid\t"
            "tr_total\tti_orderid\tti_sku\tdomain_sessionid\tderived_tstamp\tevent_name\n")


def test_a_snowplow_events_table_is_read_by_its_own_column_names(tmp_path):
    """atomic.events (its TSV, named columns): derived_tstamp, domain_userid, domain_sessionid, tr_orderid, tr_total."""
    def row(second, event, name, user="", **fields):
        values = {"app_id": "shop", "collector_tstamp": f"2024-03-01 10:00:{second:02d}.000", "event": event,
                  "event_id": f"e{second}", "user_id": user, "domain_userid": "d-1", "page_url": "https://shop/",
                  "domain_sessionid": "s-1", "derived_tstamp": f"2024-03-01 10:00:{second:02d}.000",
                  "event_name": name, **fields}
        return "\t".join(values.get(column, "") for column in SNOWPLOW.rstrip("\n").split("\t")) + "\n"

    path = tmp_path / "atomic_events.tsv"
    path.write_text(SNOWPLOW + row(0, "page_view", "page_view") + row(5, "struct", "event")
                    + row(9, "transaction", "transaction", "Ann@Shop.com", tr_orderid="o-1", tr_total="25.00")
                    + row(9, "transaction_item", "transaction_item", "Ann@Shop.com", ti_orderid="o-1", ti_sku="p1"))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    assert {key: report.columns[key] for key in ("customer", "visitor", "time", "event", "session", "order", "total")} \
        == {"customer": "user_id", "visitor": "domain_userid", "time": "derived_tstamp", "event": "event_name",
            "session": "domain_sessionid", "order": "tr_orderid", "total": "tr_total"}
    found = [json.loads(p.value) for p in parsed]
    assert [(e["type"], e["customer_id"]) for e in found] == [
        ("page_viewed", "ann@shop.com"), ("activity", "ann@shop.com"), ("customer_identified", "ann@shop.com"),
        ("activity", "ann@shop.com"), ("order_placed", "ann@shop.com")]
    assert (found[-1]["order_id"], found[-1]["total"], found[0]["session_id"]) == ("o-1", 25.0, "s-1")


def test_a_snowplow_enriched_tsv_without_its_header_is_read_by_column_numbers(tmp_path):
    """The enriched stream has no header: its documented positions (docs/sources.md) name the columns."""
    fields = [""] * 131
    fields[12], fields[15], fields[29], fields[123], fields[124], fields[126] = (
        "u-1", "d-1", "https://shop/p/1", "s-1", "2024-03-01 10:00:00.000", "page_view")
    path = tmp_path / "enriched.tsv"
    path.write_text("\t".join(fields) + "\n")
    with pytest.raises(DataFileError, match="no header line"):
        read_history(path, "clickstream", intake_of(Settings()))
    found, _ = events(path, "customer=13,visitor=16,time=125,event=127,session=124,order=60,total=62,url=30")
    assert [(e["type"], e["customer_id"], e.get("anonymous_id"), e.get("url"), e.get("session_id")) for e in found] == [
        ("customer_identified", "u-1", "d-1", None, None), ("page_viewed", "u-1", None, "https://shop/p/1", "s-1")]


def test_snowplow_s_json_reads_a_self_describing_add_to_cart_by_its_own_field_names(tmp_path):
    """The analytics SDK's JSON: the event's data as ``unstruct_event_<vendor>_<name>_1`` (sku, unitPrice, quantity)."""
    path = tmp_path / "snowplow.jsonl"
    path.write_text(json.dumps({
        "event": "unstruct", "event_name": "add_to_cart", "user_id": "u-1", "domain_userid": "d-1",
        "derived_tstamp": "2024-03-01T10:00:00.000Z", "domain_sessionid": "s-1",
        "unstruct_event_com_snowplowanalytics_snowplow_add_to_cart_1": {"sku": "p1", "unitPrice": 12.5,
                                                                         "quantity": 2}}) + "\n")
    parsed, _ = read_history(path, "clickstream", intake_of(Settings()))
    *_, added = [json.loads(p.value) for p in parsed]
    assert (added["type"], added["product_id"], added["price"], added["quantity"], added["session_id"]) == (
        "cart_item_added", "p1", 12.5, 2, "s-1")


def test_heap_s_all_events_table_names_each_event_by_its_table(tmp_path):
    path = tmp_path / "all_events.csv"
    path.write_text("event_id,user_id,session_id,time,event_table_name,path\n"
                    "1001,5550001,77001,2024-03-01 12:00:00.000,pageviews,/\n"
                    "1002,5550001,77001,2024-03-01 12:01:00.000,checkout_started,/checkout\n")
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    assert report.columns["event"] == "event_table_name"
    assert [(json.loads(p.value)["type"], p.customer_id) for p in parsed] == [
        ("page_viewed", "5550001"), ("checkout_started", "5550001")]


def test_posthog_s_current_url_is_the_page(tmp_path):
    path = tmp_path / "posthog.jsonl"
    path.write_text(json.dumps({"uuid": "u1", "event": "$pageview", "distinct_id": "d1",
                                "timestamp": "2024-03-01T11:00:00.000000+00:00",
                                "properties": {"$session_id": "s1", "$current_url": "https://shop/p/1"}}) + "\n")
    parsed, _ = read_history(path, "clickstream", intake_of(Settings()))
    [page] = [json.loads(p.value) for p in parsed]
    assert (page["type"], page["url"], page["session_id"]) == ("page_viewed", "https://shop/p/1", "s1")


def test_plural_event_names_of_recommender_logs_are_views_cart_adds_and_orders(tmp_path):
    """A recommender data set's events counted by kind (clicks, carts, orders), a click on a product being its view."""
    path = tmp_path / "events.csv"
    path.write_text("session,aid,ts,type\n"
                    "12899779,59625,1661724000278,clicks\n"
                    "12899779,59625,1661724026000,carts\n"
                    "12899779,59625,1661724100000,orders\n"
                    "12899780,1142000,1661724000378,click\n")
    found, report = events(path, "customer=session,time=ts,event=type,product=aid")
    assert [(e["type"], e["customer_id"]) for e in found] == [
        ("product_viewed", "12899779"), ("cart_item_added", "12899779"), ("product_viewed", "12899780"),
        ("order_placed", "12899779")]
    assert found[0]["occurred_at"] == "2022-08-28T22:00:00.278000Z" and report.unmapped == {}


def test_a_sessions_only_log_with_hashed_ids_and_epoch_milliseconds_is_read_by_its_header(tmp_path):
    """A measurement-protocol log (hit type beside the product action), ids hashed, no user: each session a visitor."""
    path = tmp_path / "browsing_train.csv"
    path.write_text("session_id_hash,event_type,product_action,product_sku_hash,server_timestamp_epoch_ms,hashed_url\n"
                    "s1,pageview,,,1550885210000,u1\n"
                    "s1,event_product,detail,k1,1550885210881,u2\n"
                    "s1,event_product,add,k1,1550885300000,u2\n"
                    "s1,event_product,purchase,k1,1550885400000,u3\n"
                    "s2,event_product,remove,k2,1550440900000,u4\n")
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert report.columns == {"customer": "session_id_hash", "time": "server_timestamp_epoch_ms",
                              "event": "product_action", "product": "product_sku_hash", "session": "session_id_hash",
                              "url": "hashed_url", "hit": "event_type"}
    # A page view has no product action: the hit's type says what it was.
    assert [(e["type"], e["customer_id"], e.get("product_id")) for e in found] == [
        ("page_viewed", "s1", None), ("product_viewed", "s1", "k1"), ("cart_item_added", "s1", "k1"),
        ("cart_item_removed", "s2", "k2"), ("order_placed", "s1", None)]
    assert found[1]["occurred_at"] == "2019-02-23T01:26:50.881000Z"
    assert [line["product_id"] for line in found[-1]["line_items"]] == ["k1"]


def test_a_row_without_a_user_is_its_visitor_s_else_its_session_s(tmp_path):
    """``NA`` or blank where a log has no user: the row is the visitor's, else its session's, not a bad line."""
    path = tmp_path / "train-item-views.csv"
    path.write_text("sessionId;userId;itemId;timeframe;eventdate\n"
                    "1;NA;81766;526309;2016-05-09\n"
                    "1;;31331;1031018;2016-05-09\n"
                    "2;5;9654;75848;2016-05-10\n")
    found, report = events(path, "customer=userId,session=sessionId,time=eventdate,product=itemId,event=itemId")
    assert [e["customer_id"] for e in found] == ["1", "1", "5"] and report.bad == 0
    path.write_text("anonymous_id,user_id,time,event\na1,null,2024-03-01T10:00:00Z,page\n")
    found, _ = events(path, "customer=user_id,visitor=anonymous_id,time=time,event=event")
    assert [(e["type"], e["customer_id"]) for e in found] == [("page_viewed", "a1")]


def test_a_file_of_one_kind_of_event_names_it_in_quotes(tmp_path):
    """A clicks file and a buys file, without headers nor event columns: ``event='view'``, ``event='buy'``."""
    clicks, buys = tmp_path / "clicks.dat", tmp_path / "buys.dat"
    clicks.write_text("1,2014-04-07T10:51:09.277Z,214536502,0\n11,2014-04-03T10:44:35.672Z,214821275,S\n")
    buys.write_text("11,2014-04-03T11:04:11.417Z,214821275,1046,1\n11,2014-04-03T11:04:18.097Z,214821371,1046,2\n")
    found, report = events(clicks, "customer=1,time=2,product=3,category=4,event='view'")
    assert [(e["type"], e["customer_id"], e["product_id"]) for e in found] == [
        ("product_viewed", "1", "214536502"), ("product_viewed", "11", "214821275")]
    assert report.columns["event"] == "'view'" and found[0]["occurred_at"] == "2014-04-07T10:51:09.277000Z"
    found, _ = events(buys, "customer=1,session=1,time=2,product=3,price=4,quantity=5,event=\"buy\"")
    [order] = found
    assert [(line["product_id"], line["quantity"]) for line in order["line_items"]] == [
        ("214821275", 1), ("214821371", 2)] and order["total"] == 3138.0


def test_a_header_without_an_event_column_is_refused_saying_a_file_of_one_kind_names_it(tmp_path):
    path = tmp_path / "train-purchases.csv"
    path.write_text("sessionId;userId;timeframe;eventdate;ordernumber;itemId\n2;5;1138600;2016-05-09;9999;9654\n")
    with pytest.raises(DataFileError, match="names no event column: .* event='purchase'"):
        read_history(path, "clickstream", intake_of(Settings()))


OTTO = ('{"session": 12899779, "events": [{"aid": 59625, "ts": 1661724000278, "type": "clicks"}, '
        '{"aid": 59625, "ts": 1661724026000, "type": "carts"}, {"aid": 59625, "ts": 1661724100000, "type": "orders"}]}\n'
        '{"session": 12899780, "events": [{"aid": 1142000, "ts": 1661724000378, "type": "clicks"}]}\n')


@pytest.mark.parametrize("columns", ["", "customer=session,time=events.ts,event=events.type,product=events.aid"])
def test_a_session_per_line_with_its_events_listed_is_a_row_per_event(tmp_path, columns):
    path = tmp_path / "otto.jsonl"
    path.write_text(OTTO)
    parsed, report = read_history(path, "clickstream", intake_of(Settings()),
                                  columns=parse_click_columns(columns) if columns else None)
    found = [json.loads(p.value) for p in parsed]
    assert [(e["type"], e["customer_id"], e.get("product_id")) for e in found] == [
        ("product_viewed", "12899779", "59625"), ("cart_item_added", "12899779", "59625"),
        ("product_viewed", "12899780", "1142000"), ("order_placed", "12899779", None)]
    assert found[0]["occurred_at"] == "2022-08-28T22:00:00.278000Z" and report.bad == 0


def test_a_ga4_row_s_items_stay_its_products_not_rows_of_their_own(tmp_path):
    path = tmp_path / "ga4.jsonl"
    path.write_text('{"event_timestamp": "1604188920123456", "event_name": "add_to_cart", "user_pseudo_id": "u1", '
                    '"items": [{"item_id": "p1", "price": 5.0}, {"item_id": "p2", "price": 1.0}]}\n')
    parsed, _ = read_history(path, "clickstream", intake_of(Settings()))
    assert [json.loads(p.value)["product_id"] for p in parsed] == ["p1", "p2"]


def test_sessions_with_a_nested_list_and_no_event_are_refused_naming_the_list(tmp_path):
    path = tmp_path / "ga_sessions.json"
    path.write_text('{"fullVisitorId": "7194", "date": "20170801", "hits": [{"hitNumber": "1", "time": "0", '
                    '"type": "PAGE"}], "visitId": "1501583974"}\n')
    with pytest.raises(DataFileError, match=r"no event column: .*\(a row per object of a nested list: name its "
                                            r"fields, hits\.…\)$"):
        read_history(path, "clickstream", intake_of(Settings()))


def test_shopify_s_customer_events_and_mixpanel_s_page_view_are_read_by_their_names(tmp_path):
    """Shopify's pixel names a cart add product_added_to_cart and an order checkout_completed: they were activity."""
    path = tmp_path / "events.csv"
    path.write_text("timestamp,clientId,name,product,price,order\n"
                    "2024-03-01T10:00:00.123Z,c1,$mp_web_page_view,,,\n"
                    "2024-03-01T10:00:05.123Z,c1,collection_viewed,,,\n"
                    "2024-03-01T10:01:00.123Z,c1,product_added_to_cart,p1,18.99,\n"
                    "2024-03-01T10:02:00.123Z,c1,product_removed_from_cart,p1,18.99,\n"
                    "2024-03-01T10:03:00.123Z,c1,product_added_to_cart,p2,5.00,\n"
                    "2024-03-01T10:06:00.123Z,c1,checkout_completed,p2,5.00,5005\n"
                    "2024-03-01T10:07:00.123Z,c1,ecommerceOrder,p2,5.00,5006\n")
    found, report = events(path, "customer=clientId,time=timestamp,event=name,product=product,price=price,order=order")
    assert [e["type"] for e in found] == ["page_viewed", "page_viewed", "cart_item_added", "cart_item_removed",
                                          "cart_item_added", "order_placed", "order_placed"]
    assert (found[5]["order_id"], found[5]["total"]) == ("5005", 5.0)
    assert report.unmapped == {}


def test_without_columns_the_event_column_is_the_one_whose_values_are_events(tmp_path):
    """Shopify's customer events have a type (standard, custom) beside their name: every event was 'standard'."""
    def pixel(seq, name, data):
        return {"id": f"sh-{seq}", "clientId": "c-1", "name": name, "seq": seq, "type": "standard",
                "timestamp": f"2024-03-01T10:0{seq}:00.123Z", "data": data}
    variant = {"sku": "MUG-1", "price": {"amount": 18.99}}
    path = tmp_path / "pixel.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in [
        pixel(1, "product_viewed", {"productVariant": variant}),
        pixel(2, "product_added_to_cart", {"cartLine": {"merchandise": variant, "quantity": 2}}),
    ]))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert report.columns["event"] == "name"
    # The view's sku and the cart line's are fields of one name at different depths: each row has its own.
    assert [(e["type"], e["customer_id"], e["product_id"], e.get("quantity")) for e in found] == [
        ("product_viewed", "c-1", "MUG-1", None), ("cart_item_added", "c-1", "MUG-1", 2)]


def test_a_field_of_one_name_at_two_depths_is_read_where_the_row_has_it(tmp_path):
    """Amplitude's rows carry a top-level quantity, empty but on revenue events, before the event's own: a cart
    add of two was read as one."""
    path = tmp_path / "amplitude.json"
    path.write_text("\n".join(json.dumps(e) for e in [
        {"event_type": "Product Viewed", "user_id": "u2", "event_time": "2021-01-01 10:00:00.123000", "quantity": None,
         "price": None, "event_properties": {"product_id": "p1", "price": 9.9}},
        {"event_type": "Product Added", "user_id": "u2", "event_time": "2021-01-01 10:01:00.000000", "quantity": None,
         "price": None, "event_properties": {"product_id": "p1", "price": 9.9, "quantity": 2}},
    ]))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [(e["type"], e["price"], e.get("quantity")) for e in found] == [
        ("product_viewed", 9.9, None), ("cart_item_added", 9.9, 2)]


def test_shopify_s_nested_ids_and_money_are_its_products_prices_order_and_lines(tmp_path):
    """A nested object's id (product.id) and a money object's amount (price.amount) were read as plain 'id' and
    'amount': the view had no price, the order no id, its lines the checkout's line ids and no prices."""
    variant = {"id": "gid://shopify/ProductVariant/4401", "sku": "MUG-1", "price": {"amount": 18.99},
               "product": {"id": "gid://shopify/Product/88"}}
    checkout = {"token": "ck-1", "order": {"id": "gid://shopify/Order/5005"}, "totalPrice": {"amount": 42.98},
                "subtotalPrice": {"amount": 37.98}, "lineItems": [{"id": "li-1", "quantity": 2, "variant": variant}]}
    path = tmp_path / "pixel.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in [
        {"clientId": "c-1", "name": "product_viewed", "type": "standard", "timestamp": "2024-03-01T10:00:00Z",
         "data": {"productVariant": variant}},
        {"clientId": "c-1", "name": "checkout_completed", "type": "standard", "timestamp": "2024-03-01T10:05:00Z",
         "data": {"checkout": checkout}},
    ]))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    view, order = [json.loads(p.value) for p in parsed]
    assert (view["product_id"], view["price"]) == ("gid://shopify/Product/88", 18.99)
    assert (order["order_id"], order["total"]) == ("gid://shopify/Order/5005", 42.98)
    assert [(line["product_id"], line["quantity"], line["price"]) for line in order["line_items"]] == [
        ("gid://shopify/Product/88", 2, 18.99)]


def test_a_ga4_row_read_as_a_clickstream_takes_its_purchase_revenue_not_the_user_s_lifetime_revenue(tmp_path):
    """GA4's rows carry user_ltv.revenue (the user's revenue so far) before ecommerce.purchase_revenue: the
    order's total was the lifetime's, 0 on a first order."""
    path = tmp_path / "ga4.jsonl"
    path.write_text(json.dumps({
        "event_timestamp": "1612069810766593", "event_name": "purchase", "user_pseudo_id": "1026454.4271112504",
        "user_ltv": {"revenue": 0.0, "currency": "USD"}, "device": {"category": "desktop"},
        "ecommerce": {"purchase_revenue": 60.0, "transaction_id": "T-88123"},
        "items": [{"item_id": "9196788", "price": 28.0, "quantity": 2, "item_category": "Bags"}]}) + "\n")
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    [order] = [json.loads(p.value) for p in parsed]
    assert (order["order_id"], order["total"]) == ("T-88123", 60.0)


def test_matomo_s_visit_log_with_its_actions_listed_reads_page_views_and_orders_with_their_items(tmp_path):
    """Matomo names a page view an 'action' and an item's id itemSKU: the pages were activity and each order a bad
    line for want of a product id."""
    visit = {"idVisit": 4211, "visitorId": "a3f5c1d2e4b60718", "serverTimestamp": 1709287500, "actionDetails": [
        {"type": "action", "url": "https://shop.example/p/mug", "timestamp": 1709287200},
        {"type": "ecommerceOrder", "orderId": "o-42", "revenue": "37.98", "timestamp": 1709287500,
         "itemDetails": [{"itemSKU": "MUG-1", "itemName": "Mug", "itemCategory": "Kitchen", "price": "18.99",
                          "quantity": "2"}]}]}
    path = tmp_path / "visits.json"
    path.write_text(json.dumps([visit]))
    found, report = events(path, "customer=visitorId,time=actionDetails.timestamp,event=actionDetails.type,"
                                 "url=actionDetails.url,order=actionDetails.orderId,total=actionDetails.revenue,"
                                 "products=actionDetails.itemDetails,session=idVisit")
    assert report.bad == 0, report.bad_lines
    assert [e["type"] for e in found] == ["page_viewed", "order_placed"]
    assert (found[1]["order_id"], found[1]["total"]) == ("o-42", 37.98)
    assert [(line["product_id"], line["quantity"], line["price"], line["category"])
            for line in found[1]["line_items"]] == [("MUG-1", 2, 18.99, "Kitchen")]


def test_columns_read_from_the_header_replace_the_rows_in_place_not_beside_them():
    """A file read as its header names the columns keeps one list of rows: a big export's rows are not held twice."""
    from models.textfiles import CsvTable
    from streams.replay.clickstream import _namesakes_merged

    rows = [(2, ["2019-10-01 00:00:04 UTC", "view", "44600062", "541312140"]), (3, ["2019-10-01 00:00:05 UTC", "cart",
                                                                                   "3900821", "554748717"])]
    whole = CsvTable("c.csv", ["event_time", "event_type", "product_id", "user_id"], rows)
    merged = _namesakes_merged(whole, {"customer": "user_id", "time": "event_time", "event": "event_type"},
                               ["customer", "time", "event"])
    assert merged.rows is rows
    assert merged.rows == [(2, ["541312140", "2019-10-01 00:00:04 UTC", "view"]),
                           (3, ["554748717", "2019-10-01 00:00:05 UTC", "cart"])]


def test_a_clickstream_s_events_are_held_as_the_bytes_produced_not_as_parsed_events(tmp_path):
    """read_history's peak allocation stays under 1.6 KB an event (a parsed event alone takes about 1.3 KB)."""
    import tracemalloc

    path = tmp_path / "clicks.csv"
    rows = (f"2019-10-{1 + n // 2000:02d} {n // 100 % 20:02d}:{n % 60:02d}:{n % 59:02d} UTC,"
            f"{'cart' if n % 7 == 0 else 'view'},{1000000 + n % 977},2053013555631882655,electronics.smartphone,"
            f"apple,{n % 90 + 0.99},{500000000 + n % 613},{n % 1231:08x}-3f26-b007-3ead-716bc9bcac7c\n"
            for n in range(5000))
    path.write_text("event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
                    + "".join(rows))
    tracemalloc.start()
    try:
        parsed, _ = read_history(path, "clickstream", intake_of(Settings()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(parsed) == 5000
    assert peak / len(parsed) < 1600


def _klaviyo_event(n: int, name: str, timestamp: int, properties: dict) -> dict:
    """One event of Klaviyo's metric export (its metric timeline, as its Singer tap writes it too)."""
    return {"object": "event", "id": f"3qvVsP{n}", "statistic_id": "LsZLHc", "timestamp": timestamp,
            "event_name": name, "event_properties": properties, "datetime": "", "uuid": f"9c4f-{n}",
            "person": {"object": "person", "id": "01HQ8ZKX4R", "$email": "ann@shop.example", "$id": "c-1"}}


def test_klaviyo_s_metric_export_reads_views_the_added_item_a_checkout_s_cart_and_the_placed_order(tmp_path):
    """Klaviyo's Added to Cart lists the whole cart in Items and names the item it added apart (AddedItemProductID…):
    each item of the cart was added again, so a second add counted the first item twice."""
    mug = {"ProductID": "1111", "SKU": "MUG-1", "ProductName": "Mug", "Quantity": 2, "ItemPrice": 18.99,
           "RowTotal": 37.98}
    tea = {"ProductID": "2222", "SKU": "TEA-1", "ProductName": "Tea", "Quantity": 1, "ItemPrice": 5.0, "RowTotal": 5.0}
    path = tmp_path / "klaviyo-events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in [
        _klaviyo_event(1, "Active on Site", 1709287200, {"page": "https://shop.example/"}),
        _klaviyo_event(2, "Viewed Product", 1709287260, {"ProductID": "1111", "Name": "Mug", "Price": "$18.99",
                                                         "Categories": ["Home"], "URL": "https://shop.example/mug"}),
        _klaviyo_event(3, "Added to Cart", 1709287320, {"$value": 37.98, "AddedItemProductID": "1111",
                                                        "AddedItemPrice": 18.99, "AddedItemQuantity": 2,
                                                        "ItemNames": ["Mug"], "Items": [mug]}),
        _klaviyo_event(4, "Added to Cart", 1709287350, {"$value": 42.98, "AddedItemProductID": "2222",
                                                        "AddedItemPrice": 5.0, "AddedItemQuantity": 1,
                                                        "ItemNames": ["Mug", "Tea"], "Items": [mug, tea]}),
        _klaviyo_event(5, "Started Checkout", 1709287380, {"$event_id": "ck1_1709287380", "$value": 42.98,
                                                           "Items": [mug, tea]}),
        _klaviyo_event(6, "Placed Order", 1709287500, {"$event_id": "1234", "$value": 47.98, "OrderId": "1234",
                                                       "Items": [mug, tea]}),
        # One event per line of the order, beside the order itself: visit activity, not a second order.
        _klaviyo_event(7, "Ordered Product", 1709287500, {"$event_id": "1234_MUG-1", "$value": 37.98,
                                                          "OrderId": "1234", "ProductID": "1111", "Quantity": 2}),
    ]))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    # The person's $id is the shop's id of them, Klaviyo's own id who they are to Klaviyo (the visitor).
    assert {e["customer_id"] for e in found} == {"c-1"}
    assert [e.get("anonymous_id") for e in found if e["type"] == "customer_identified"] == ["01HQ8ZKX4R"]
    assert [(e["type"], e.get("product_id"), e.get("quantity"), e.get("price")) for e in found if "product_id" in e] == [
        ("product_viewed", "1111", None, 18.99), ("cart_item_added", "1111", 2, 18.99),
        ("cart_item_added", "2222", 1, 5.0)]
    checkout = next(e for e in found if e["type"] == "checkout_started")
    assert ([(p["product_id"], p["quantity"]) for p in checkout["products"]], checkout["value"]) == (
        [("1111", 2), ("2222", 1)], 42.98)
    [order] = [e for e in found if e["type"] == "order_placed"]
    assert (order["order_id"], order["total"], order["occurred_at"]) == ("1234", 47.98, "2024-03-01T10:05:00Z")
    assert [(line["product_id"], line["quantity"], line["price"]) for line in order["line_items"]] == [
        ("1111", 2, 18.99), ("2222", 1, 5.0)]
    assert report.unmapped == {"Active on Site": 1, "Ordered Product": 1}


def _meta_event(name: str, time: int, custom: dict, event_id: str, user: dict | None = None) -> dict:
    """One server event of Meta's Conversions API, as a shop logs what it sent."""
    if user is None:
        user = {"external_id": ["c-77"], "em": ["309a0a5c3e211326ae75ca18196d301a"]}
    return {"event_name": name, "event_time": time, "event_id": event_id, "action_source": "website",
            "event_source_url": "https://shop.example/mug",
            "user_data": {**user, "client_ip_address": "203.0.113.9", "fbp": "fb.1.1709287200.1098115397"},
            "custom_data": custom}


@pytest.mark.parametrize("batched", [False, True], ids=["an event a line", "the requests' data lists"])
def test_meta_s_conversions_api_events_are_read_by_their_names(tmp_path, batched):
    """ViewContent and InitiateCheckout were activity, the external_id (a list of one) no customer column, the
    contents no products: the file was refused as naming no customer."""
    contents = [{"id": "MUG-1", "quantity": 2, "item_price": 18.99}, {"id": "TEA-1", "quantity": 1, "item_price": 5}]
    sent = [
        _meta_event("PageView", 1709287200, {}, "e1"),
        _meta_event("ViewContent", 1709287260, {"content_ids": ["MUG-1"], "content_type": "product", "value": 18.99,
                                                "currency": "EUR"}, "e2"),
        _meta_event("AddToCart", 1709287320, {"contents": contents[:1], "value": 37.98, "currency": "EUR"}, "e3"),
        _meta_event("AddToCart", 1709287330, {"content_ids": ["TEA-1"], "value": 5, "currency": "EUR"}, "e4"),
        _meta_event("InitiateCheckout", 1709287380, {"contents": contents, "num_items": 3, "value": 42.98,
                                                     "currency": "EUR"}, "e5"),
        _meta_event("Purchase", 1709287500, {"contents": contents, "value": 47.98, "currency": "EUR",
                                             "order_id": "1234"}, "e6"),
    ]
    path = tmp_path / "capi.jsonl"
    lines = [{"data": sent[:3]}, {"data": sent[3:]}] if batched else sent
    path.write_text("\n".join(json.dumps(line) for line in lines))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    login, *found = [json.loads(p.value) for p in parsed]
    # The browser's id (fbp) beside the shop's: the browser is the customer's from the first event on.
    assert (login["type"], login["customer_id"], login["anonymous_id"]) == (
        "customer_identified", "c-77", "fb.1.1709287200.1098115397")
    assert {e["customer_id"] for e in found} == {"c-77"}
    assert [(e["type"], e.get("product_id"), e.get("quantity")) for e in found] == [
        ("page_viewed", None, None), ("product_viewed", "MUG-1", None), ("cart_item_added", "MUG-1", 2),
        ("cart_item_added", "TEA-1", 1), ("checkout_started", None, None), ("order_placed", None, None)]
    assert found[0]["url"] == "https://shop.example/mug"
    checkout, order = found[-2:]
    assert ([(p["product_id"], p["quantity"], p["price"]) for p in checkout["products"]], checkout["value"]) == (
        [("MUG-1", 2, 18.99), ("TEA-1", 1, 5)], 42.98)
    assert (order["order_id"], order["total"], order["occurred_at"]) == ("1234", 47.98, "2024-03-01T10:05:00Z")
    assert [line["product_id"] for line in order["line_items"]] == ["MUG-1", "TEA-1"]
    assert report.unmapped == {}


def test_a_product_cell_listing_several_ids_is_a_product_each(tmp_path):
    """Meta's content_ids may name several products: a cart add of each, an order with a line each."""
    path = tmp_path / "capi.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in [
        _meta_event("AddToCart", 1709287320, {"content_ids": ["MUG-1", "TEA-1"], "value": 23.99}, "e1"),
        _meta_event("Purchase", 1709287500, {"content_ids": ["MUG-1", "TEA-1"], "value": 23.99, "order_id": "9"}, "e2"),
    ]))
    parsed, _ = read_history(path, "clickstream", intake_of(Settings()))
    adds, order = [json.loads(p.value) for p in parsed[1:3]], json.loads(parsed[3].value)
    assert [(e["type"], e["product_id"]) for e in adds] == [("cart_item_added", "MUG-1"), ("cart_item_added", "TEA-1")]
    assert ([line["product_id"] for line in order["line_items"]], order["total"]) == (["MUG-1", "TEA-1"], 23.99)


def _pushed(minute: int, event: str | None, ecommerce: dict | None) -> dict:
    """A data layer message as a tag manager's logging tag records it: the push, its time and the GA client id."""
    message: dict = {"timestamp": f"2024-03-01T10:{minute:02d}:00Z", "client_id": "1957.1709287200"}
    if event is not None:
        message["event"] = event
    if ecommerce is not None:
        message["ecommerce"] = ecommerce
    return message


def test_universal_analytics_data_layer_pushes_are_named_by_the_action_their_products_are_listed_under(tmp_path):
    """UA's enhanced e-commerce pushes a product view and a purchase with no event of their own (or the tag
    manager's gtm.dom), the action being the object the products are listed under: both were activity, and the
    order had no id (its actionField's)."""
    mug = {"id": "MUG-1", "name": "Mug", "price": "18.99", "quantity": 2, "category": "Home"}
    path = tmp_path / "datalayer.jsonl"
    path.write_text("\n".join(json.dumps(m) for m in [
        _pushed(0, "gtm.js", None),
        _pushed(1, None, {"detail": {"actionField": {"list": "Search Results"}, "products": [{**mug, "quantity": 1}]}}),
        _pushed(2, "addToCart", {"currencyCode": "EUR", "add": {"products": [mug]}}),
        _pushed(3, "removeFromCart", {"remove": {"products": [{**mug, "quantity": 1}]}}),
        _pushed(4, "checkout", {"checkout": {"actionField": {"step": 1}, "products": [{**mug, "quantity": 1}]}}),
        _pushed(6, "gtm.dom", {"purchase": {"actionField": {"id": "T12345", "revenue": "23.99", "tax": "2.00",
                                                            "shipping": "5.00"}, "products": [{**mug, "quantity": 1}]}}),
    ]))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [(e["type"], e.get("product_id"), e.get("quantity")) for e in found] == [
        ("activity", None, None), ("product_viewed", "MUG-1", None), ("cart_item_added", "MUG-1", 2),
        ("cart_item_removed", "MUG-1", 1), ("checkout_started", None, None), ("order_placed", None, None)]
    assert found[1]["price"] == 18.99 and found[4]["products"][0]["product_id"] == "MUG-1"
    assert (found[-1]["order_id"], found[-1]["total"], found[-1]["customer_id"]) == ("T12345", 23.99, "1957.1709287200")
    assert report.unmapped == {"gtm.js": 1}


def test_ga4_data_layer_pushes_are_read_with_their_ecommerce_items_value_and_transaction(tmp_path):
    """GA4's data layer names each push's event (view_item, add_to_cart, begin_checkout, purchase) and lists its items."""
    mug = {"item_id": "MUG-1", "item_name": "Mug", "price": 18.99, "quantity": 2, "item_category": "Home"}
    path = tmp_path / "datalayer.jsonl"
    path.write_text("\n".join(json.dumps(m) for m in [
        _pushed(0, "page_view", None),
        _pushed(1, "view_item", {"currency": "EUR", "value": 18.99, "items": [{**mug, "quantity": 1}]}),
        _pushed(2, "add_to_cart", {"currency": "EUR", "value": 37.98, "items": [mug]}),
        _pushed(3, "begin_checkout", {"currency": "EUR", "value": 37.98, "items": [mug]}),
        _pushed(5, "purchase", {"transaction_id": "T1", "currency": "EUR", "value": 42.98, "shipping": 5, "items": [mug]}),
    ]))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [(e["type"], e.get("product_id"), e.get("quantity")) for e in found] == [
        ("page_viewed", None, None), ("product_viewed", "MUG-1", None), ("cart_item_added", "MUG-1", 2),
        ("checkout_started", None, None), ("order_placed", None, None)]
    assert (found[3]["value"], found[-1]["order_id"], found[-1]["total"]) == (37.98, "T1", 42.98)
    assert [(line["product_id"], line["quantity"], line["price"]) for line in found[-1]["line_items"]] == [
        ("MUG-1", 2, 18.99)]


def _ga360_visit(visit_id: str, start: int, hits: list[dict], user_id: str | None = None) -> dict:
    """A visit of Google Analytics 360's ga_sessions_ export as bq extract writes it (integers as text)."""
    visit = {"visitorId": None, "visitNumber": "1", "visitId": visit_id, "visitStartTime": str(start),
             "date": "20240301", "totals": {"visits": "1", "hits": str(len(hits)), "pageviews": "2",
                                            "transactions": None},
             "trafficSource": {"source": "(direct)", "medium": "(none)"}, "device": {"browser": "Chrome"},
             "fullVisitorId": "7194065619159478122", "userId": user_id, "clientId": "1957.1709287200",
             "channelGrouping": "Direct", "hits": hits}
    return visit


def _ga360_hit(number: int, millis: int, action: str, products: list[dict] = (), **more) -> dict:
    return {"hitNumber": str(number), "time": str(millis), "hour": "10", "minute": "0", "isInteraction": True,
            "type": more.pop("type", "PAGE"), "page": {"hostname": "shop.example", "pagePath": more.pop("path", "/")},
            "eCommerceAction": {"action_type": action, "step": "1"}, "product": list(products), **more}


def _ga360_product(sku: str, micros: str, quantity: str | None = None, shown: bool = False) -> dict:
    product = {"productSKU": sku, "v2ProductName": sku.title(), "v2ProductCategory": "Home",
               "productPrice": micros, "productQuantity": quantity}
    return {**product, "isImpression": True} if shown else product


def test_ga360_s_sessions_export_is_a_row_per_hit_at_the_visit_s_start_plus_its_time(tmp_path):
    """GA360 keeps a visit per line with its hits nested, their time in milliseconds after the visit's start, their
    action a digit and their money in millionths: the file was refused, naming the hits list."""
    mug, tea = _ga360_product("MUG-1", "18990000", "2"), _ga360_product("TEA-1", "5000000", "1")
    path = tmp_path / "ga_sessions_20240301.json"
    path.write_text("\n".join(json.dumps(v) for v in [
        _ga360_visit("1709287200", 1709287200, [
            _ga360_hit(1, 0, "0", [_ga360_product("CUP-9", "4000000", shown=True)], path="/home"),
            _ga360_hit(2, 30500, "2", [_ga360_product("MUG-1", "18990000")], path="/mug"),
            _ga360_hit(3, 65000, "3", [mug], type="EVENT", eventInfo={"eventAction": "Add to Cart"}),
            _ga360_hit(4, 95000, "5", [mug], path="/checkout"),
        ]),
        _ga360_visit("1709373600", 1709373600, [
            _ga360_hit(1, 0, "3", [tea], type="EVENT"),
            _ga360_hit(2, 20000, "0", type="EVENT", eventInfo={"eventAction": "Quickview Click"}),
            _ga360_hit(3, 120000, "6", [mug, tea], path="/thanks", transaction={
                "transactionId": "ORD-88", "transactionRevenue": "47980000", "transactionTax": "2000000",
                "transactionShipping": "3000000", "currencyCode": "EUR"}),
        ], user_id="ann"),
    ]))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [(e["type"], e.get("product_id"), e.get("quantity"), e["occurred_at"][11:19]) for e in found] == [
        ("page_viewed", None, None, "10:00:00"), ("product_viewed", "MUG-1", None, "10:00:30"),
        ("cart_item_added", "MUG-1", 2, "10:01:05"), ("checkout_started", None, None, "10:01:35"),
        ("customer_identified", None, None, "10:00:00"), ("cart_item_added", "TEA-1", 1, "10:00:00"),
        ("activity", None, None, "10:00:20"), ("order_placed", None, None, "10:02:00")]
    assert found[1]["price"] == 18.99 and found[0]["url"] == "shop.example/home"
    assert {e["session_id"] for e in found[:4]} == {"7194065619159478122-1709287200"}
    assert [(p["product_id"], p["quantity"], p["price"]) for p in found[3]["products"]] == [("MUG-1", 2, 18.99)]
    # The visitor logs in as ann on the second visit: the first visit's browsing is ann's too (the replay's links).
    assert (found[4]["customer_id"], found[4]["anonymous_id"]) == ("ann", "7194065619159478122")
    order = found[-1]
    assert (order["customer_id"], order["order_id"], order["total"]) == ("ann", "ORD-88", 47.98)
    assert [(line["product_id"], line["quantity"], line["price"]) for line in order["line_items"]] == [
        ("MUG-1", 2, 18.99), ("TEA-1", 1, 5.0)]
    assert report.unmapped == {"Quickview Click": 1}


def test_shopify_s_checkout_started_says_the_cart_and_its_total_and_a_checkout_step_keeps_it(tmp_path):
    """Shopify's checkout_started carries the checkout (its lineItems and totalPrice), as checkout_completed does;
    a later step (payment_info_submitted) is the checkout it is in."""
    variant = {"id": "gid://shopify/ProductVariant/4401", "sku": "MUG-1", "price": {"amount": 18.99},
               "product": {"id": "88"}}
    checkout = {"token": "ck-1", "currencyCode": "EUR", "totalPrice": {"amount": 42.98},
                "lineItems": [{"id": "li-1", "quantity": 2, "variant": variant}]}
    path = tmp_path / "pixel.jsonl"
    path.write_text("\n".join(json.dumps({"id": f"sh-{n}", "clientId": "c-1", "name": name, "seq": n,
                                          "type": "standard", "timestamp": f"2024-03-01T10:0{n}:00.123Z",
                                          "data": data}) for n, (name, data) in enumerate([
        ("page_viewed", {}),
        ("product_added_to_cart", {"cartLine": {"merchandise": variant, "quantity": 2}}),
        ("checkout_started", {"checkout": checkout}),
        ("payment_info_submitted", {"checkout": checkout}),
    ])))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [e["type"] for e in found] == ["page_viewed", "cart_item_added", "checkout_started", "checkout_started"]
    assert ([(p["product_id"], p["quantity"], p["price"]) for p in found[2]["products"]], found[2]["value"]) == (
        [("88", 2, 18.99)], 42.98)
    assert report.unmapped == {}


def _mparticle_batch(mpid: int, identities: dict, events: list[tuple[str, int, dict]]) -> dict:
    """A batch of mParticle's events API, as its data exports write them: one person's events, their data nested."""
    start = 1709287200000
    return {"schema_version": 2, "environment": "production", "mpid": mpid, "user_identities": identities,
            "device_info": {"platform": "web"},
            "events": [{"event_type": kind, "data": {"timestamp_unixtime_ms": start + millis, "session_id": 77,
                                                     "event_id": str(millis), **data}}
                       for kind, millis, data in events]}


def test_mparticle_s_batches_are_a_row_per_event_read_by_their_product_actions(tmp_path):
    """mParticle nests an event's time as timestamp_unixtime_ms and its commerce action in product_action.action:
    the batches were refused as naming no time and no event; its mpid is the person before the shop's id is known."""
    mug = [{"id": "MUG-1", "name": "Mug", "price": 18.99, "quantity": 2, "category": "Home"}]
    path = tmp_path / "mparticle.jsonl"
    path.write_text("\n".join(json.dumps(batch) for batch in [
        _mparticle_batch(8675309, {}, [
            ("screen_view", 0, {"screen_name": "Home"}),
            ("commerce_event", 1000, {"product_action": {"action": "view_detail", "products": mug}}),
            ("commerce_event", 2000, {"product_action": {"action": "add_to_cart", "products": mug}})]),
        _mparticle_batch(8675309, {"customer_id": "c-1", "email": "ann@shop.example"}, [
            ("commerce_event", 3000, {"product_action": {"action": "checkout", "products": mug}}),
            ("commerce_event", 9000, {"product_action": {"action": "purchase", "products": mug, "transaction_id": "T1",
                                                         "total_amount": 42.98}}),
            ("custom_event", 9500, {"event_name": "Newsletter Signup", "custom_event_type": "other"})]),
    ]))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    # The person's events before the shop knew them are replayed as the customer's they are then known as.
    assert [(e["type"], e["customer_id"], e.get("product_id")) for e in found] == [
        ("page_viewed", "c-1", None), ("product_viewed", "c-1", "MUG-1"), ("cart_item_added", "c-1", "MUG-1"),
        ("customer_identified", "c-1", None), ("checkout_started", "c-1", None), ("activity", "c-1", None),
        ("order_placed", "c-1", None)]
    assert found[2]["quantity"] == 2 and found[3]["anonymous_id"] == "8675309"
    assert (found[-1]["order_id"], found[-1]["total"], found[-1]["occurred_at"]) == ("T1", 42.98, "2024-03-01T10:00:09Z")
    assert [p["product_id"] for p in found[4]["products"]] == ["MUG-1"]
    # A custom event is counted by the name the shop gave it, not as one more custom_event.
    assert report.unmapped == {"Newsletter Signup": 1}


def test_ga360_s_refund_hit_is_a_refund_of_its_transaction_by_the_money_given_back(tmp_path):
    """Action type 7 refunds the transaction it names: it was visit activity, and the buyer's refunds stayed 0."""
    mug = _ga360_product("MUG-1", "18990000", "2")
    refund = {"refund": {"refundAmount": "18990000", "localRefundAmount": "18990000"}}
    path = tmp_path / "ga_sessions_20240305.json"
    path.write_text("\n".join(json.dumps(v) for v in [
        _ga360_visit("1709287200", 1709287200, [
            _ga360_hit(1, 0, "6", [mug], path="/thanks", transaction={"transactionId": "ORD-88",
                                                                     "transactionRevenue": "42980000"})], "ann"),
        # A partial refund (one mug of two), sent by the shop's back office with the measurement protocol.
        _ga360_visit("1709632800", 1709632800, [
            _ga360_hit(1, 0, "7", [_ga360_product("MUG-1", "18990000", "1")], type="EVENT",
                       transaction={"transactionId": "ORD-88"}, **refund)], "ann"),
        # A whole order refunded by its id, its revenue as the refund gave it.
        _ga360_visit("1709719200", 1709719200, [
            _ga360_hit(1, 0, "7", type="EVENT", transaction={"transactionId": "ORD-90",
                                                             "transactionRevenue": "-5000000"})], "ann"),
    ]))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    refunds = [(e["order_id"], e["amount"]) for e in found if e["type"] == "order_refunded"]
    assert refunds == [("ORD-88", 18.99), ("ORD-90", 5.0)]
    assert next(e for e in found if e["type"] == "order_placed")["total"] == 42.98
    assert report.unmapped == {}


def test_a_refund_row_refunds_its_order_by_its_total_else_its_products_worth(tmp_path):
    """Refunds were activity in every clickstream; one without an order id stays activity (no order to refund)."""
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in [
        {"user_id": "c-1", "time": "2024-03-01T10:00:00Z", "event": "purchase", "order_id": "O-1", "revenue": 40},
        {"user_id": "c-1", "time": "2024-03-02T10:00:00Z", "event": "Order Refunded", "order_id": "O-1",
         "revenue": 15.5},
        {"user_id": "c-1", "time": "2024-03-03T10:00:00Z", "event": "refund", "order_id": "O-1",
         "items": [{"item_id": "MUG-1", "price": 12.25, "quantity": 2}]},
        {"user_id": "c-1", "time": "2024-03-04T10:00:00Z", "event": "refund"},
    ]))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [(e["type"], e.get("order_id"), e.get("amount")) for e in found] == [
        ("order_refunded", "O-1", 15.5), ("order_refunded", "O-1", 24.5), ("activity", None, None),
        ("order_placed", "O-1", None)]
    assert report.unmapped == {"refund": 1}


def test_meta_s_events_with_a_hashed_e_mail_and_no_external_id_are_that_hash_s_and_a_guest_s_are_the_browser_s(tmp_path):
    """A shop that sends Meta only the hashed e-mail (em) had its file refused as naming no customer; the events
    before the checkout, which carry only the browser's fbp, are the buyer's once the hash names them both."""
    hashed = {"em": ["62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"],
              "ph": ["254aa248acb47dd654ca3ea53f48c2c26d641d23d7e2e93a1ec56258df7674c4"]}
    path = tmp_path / "capi.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in [
        _meta_event("ViewContent", 1709287260, {"content_ids": ["MUG-1"], "value": 18.99}, "e1", user={}),
        _meta_event("AddToCart", 1709287320, {"contents": [{"id": "MUG-1", "quantity": 1, "item_price": 18.99}],
                                              "value": 18.99}, "e2", user={}),
        _meta_event("InitiateCheckout", 1709287380, {"value": 18.99}, "e3", user=hashed),
        _meta_event("Purchase", 1709287500, {"value": 23.99, "order_id": "1234"}, "e4", user=hashed),
    ]))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    buyer = hashed["em"][0]
    assert [(e["type"], e["customer_id"]) for e in found] == [
        ("product_viewed", buyer), ("cart_item_added", buyer), ("customer_identified", buyer),
        ("checkout_started", buyer), ("order_placed", buyer)]
    assert (found[-1]["order_id"], found[-1]["total"], report.bad) == ("1234", 23.99, 0)


def _klaviyo_api_event(n: int, metric: str, timestamp: int, properties: dict, profile: str = "01HQ8ZKX4R") -> dict:
    """An event resource of Klaviyo's events API (GET /api/events): its metric and profile named by id only."""
    return {"type": "event", "id": f"4bNtQd{n}",
            "attributes": {"timestamp": timestamp, "event_properties": properties,
                           "datetime": datetime.fromtimestamp(timestamp, timezone.utc).isoformat(),
                           "uuid": f"6a0c-{n}"},
            "relationships": {"profile": {"data": {"type": "profile", "id": profile},
                                          "links": {"self": "…", "related": "…"}},
                              "metric": {"data": {"type": "metric", "id": metric},
                                         "links": {"self": "…", "related": "…"}}},
            "links": {"self": f"https://a.klaviyo.com/api/events/4bNtQd{n}/"}}


def _klaviyo_metric(metric: str, name: str) -> dict:
    return {"type": "metric", "id": metric, "attributes": {
        "name": name, "created": "2023-01-01T00:00:00+00:00", "updated": "2023-01-01T00:00:00+00:00",
        "integration": {"object": "integration", "id": "0eMvjm", "name": "Shopify", "category": "eCommerce"}},
        "links": {"self": "…"}}


def test_klaviyo_s_events_api_pages_name_each_event_by_its_included_metric(tmp_path):
    """The events API names an event's metric by id, its name in the page's included resources: every event was
    activity named 'event', and the profile, named only by its relationship's id, no customer."""
    mug = {"ProductID": "1111", "SKU": "MUG-1", "Quantity": 2, "ItemPrice": 18.99, "RowTotal": 37.98}
    profile = {"type": "profile", "id": "01HQ8ZKX4R", "attributes": {
        "email": "ann@shop.example", "external_id": None, "first_name": "Ann", "location": {"timezone": None},
        "properties": {}}}
    pages = [
        {"data": [_klaviyo_api_event(1, "VdUxPz", 1709287200, {"ProductID": "1111", "Price": 18.99}),
                  _klaviyo_api_event(2, "Xk2dcb", 1709287320, {"$value": 37.98, "AddedItemProductID": "1111",
                                                               "AddedItemPrice": 18.99, "AddedItemQuantity": 2,
                                                               "Items": [mug]})],
         "links": {"self": "…", "next": "https://a.klaviyo.com/api/events/?page%5Bcursor%5D=bmV4dA", "prev": None},
         "included": [_klaviyo_metric("VdUxPz", "Viewed Product"), _klaviyo_metric("Xk2dcb", "Added to Cart"),
                      profile]},
        {"data": [_klaviyo_api_event(3, "RjkL4s", 1709290800, {"$value": 37.98, "Items": [mug]}),
                  _klaviyo_api_event(4, "Tq9Wm2", 1709294400, {"$event_id": "1234", "$value": 42.98,
                                                               "OrderId": "1234", "Items": [mug]}),
                  _klaviyo_api_event(5, "Hb3Nx8", 1709294460, {"Campaign Name": "March"}),
                  _klaviyo_api_event(6, "Pz7Rf1", 1709380800, {"$value": 18.99, "OrderId": "1234"})],
         "links": {"self": "…", "next": None, "prev": "…"},
         "included": [_klaviyo_metric("RjkL4s", "Started Checkout"), _klaviyo_metric("Tq9Wm2", "Placed Order"),
                      _klaviyo_metric("Hb3Nx8", "Opened Email"), _klaviyo_metric("Pz7Rf1", "Refunded Order"),
                      profile]},
    ]
    path = tmp_path / "klaviyo-events.jsonl"
    path.write_text("\n".join(json.dumps(page) for page in pages))
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert {e["customer_id"] for e in found} == {"01HQ8ZKX4R"}
    assert [(e["type"], e.get("product_id"), e.get("quantity")) for e in found] == [
        ("product_viewed", "1111", None), ("cart_item_added", "1111", 2), ("checkout_started", None, None),
        ("activity", None, None), ("order_refunded", None, None), ("order_placed", None, None)]
    assert (found[4]["order_id"], found[4]["amount"]) == ("1234", 18.99)
    assert found[2]["value"] == 37.98 and found[2]["products"][0]["product_id"] == "1111"
    assert (found[-1]["order_id"], found[-1]["total"], found[-1]["occurred_at"]) == ("1234", 42.98, "2024-03-01T12:00:00Z")
    assert report.unmapped == {"Opened Email": 1}


BRAZE_PURCHASES = "ID,USER_ID,EXTERNAL_USER_ID,APP_GROUP_API_ID,TIME,DEVICE_ID,PLATFORM,PRODUCT_ID,PRICE,CURRENCY,PROPERTIES\n"


def test_braze_s_purchases_a_row_per_unit_alike_but_for_their_ids_are_each_a_unit_of_the_order(tmp_path):
    """Braze's Currents purchases table writes a purchase of two as two rows alike but for their event ids: the
    second was taken for the first exported twice, and the order was worth one mug."""
    path = tmp_path / "USERS_BEHAVIORS_PURCHASE_SHARED.csv"
    rows = [("6a1f0b", "MUG-1", "18.99"), ("6a1f0c", "MUG-1", "18.99"), ("6a1f0d", "TEA-1", "5.00"),
            ("6a1f0b", "MUG-1", "18.99")]  # the last, the first exported twice
    path.write_text(BRAZE_PURCHASES + "".join(f"{event},65f1c2a9e4b0,c-1,app-grp,1709287500,dev-9,web,{product},"
                                              f"{price},EUR,{{}}\n" for event, product, price in rows))
    found, report = events(path, "customer=EXTERNAL_USER_ID,time=TIME,event='purchase',product=PRODUCT_ID,"
                                 "price=PRICE,session=DEVICE_ID,id=ID")
    [order] = found
    assert [(line["product_id"], line["quantity"]) for line in order["line_items"]] == [
        ("MUG-1", 1), ("MUG-1", 1), ("TEA-1", 1)]
    assert (order["customer_id"], order["total"], report.bad) == ("c-1", 42.98, 0)


def test_rows_alike_but_for_their_own_event_ids_are_two_events_and_the_first_keeps_the_id_it_had(tmp_path):
    """The same product added twice in one second, each add with its own event id, got one event id: the worker
    dropped the second. The first of rows alike keeps the id a file without the id column gave it (a second
    replay of a file replayed before the ids were read adds nothing), and a row exported twice is still one."""
    rows = [("e1", "2024-03-01T10:00:00Z", "view"), ("e2", "2024-03-01T10:00:05Z", "add_to_cart"),
            ("e3", "2024-03-01T10:00:05Z", "add_to_cart"), ("e2", "2024-03-01T10:00:05Z", "add_to_cart")]
    with_ids = tmp_path / "events.csv"
    with_ids.write_text("event_id,user_id,event_time,event_type,product_id\n"
                        + "".join(f"{event},c-1,{time},{name},MUG-1\n" for event, time, name in rows))
    without_ids = tmp_path / "old.csv"
    without_ids.write_text("user_id,event_time,event_type,product_id\n"
                           + "".join(f"c-1,{time},{name},MUG-1\n" for _, time, name in rows[:2]))
    parsed, _ = read_history(with_ids, "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    old, _ = read_history(without_ids, "clickstream", intake_of(Settings()))
    adds = [e["event_id"] for e in found if e["type"] == "cart_item_added"]
    assert len(adds) == 3 and adds[0] != adds[1] and adds[2] == adds[0]  # the worker keeps one event per id
    assert [e["event_id"] for e in found][:2] == [json.loads(p.value)["event_id"] for p in old]
    again, _ = read_history(with_ids, "clickstream", intake_of(Settings()))
    assert [p.value for p in again] == [p.value for p in parsed]


def test_the_shop_s_external_user_id_is_the_customer_before_the_tool_s_own_id_which_is_who_they_were_before(tmp_path):
    """Braze's EXTERNAL_USER_ID beside its USER_ID, Klaviyo's external_id beside its profile id, Mixpanel's $user_id
    beside distinct_id: the tool's id was taken for the customer, and the orders the shop logs under its own id
    were another customer's. A row without the shop's id is the tool's person's, logged in at the first naming both."""
    braze = tmp_path / "USERS_BEHAVIORS_CUSTOMEVENT_SHARED.csv"
    braze.write_text("ID,USER_ID,EXTERNAL_USER_ID,TIME,NAME\n"
                     "b1,65f1c2a9e4b0,,1709287200,view_item\n"
                     "b2,65f1c2a9e4b0,c-1,1709287260,begin_checkout\n")
    profile = {"type": "profile", "id": "01HQ8ZKX4R", "attributes": {"external_id": "c-1"}}
    klaviyo = tmp_path / "klaviyo-events.jsonl"
    klaviyo.write_text(json.dumps({
        "data": [_klaviyo_api_event(1, "VdUxPz", 1709287200, {"ProductID": "1111"})],
        "included": [_klaviyo_metric("VdUxPz", "Viewed Product"), profile]}))
    mixpanel = tmp_path / "mixpanel.jsonl"
    mixpanel.write_text("\n".join(json.dumps(e) for e in [
        {"event": "Product Viewed", "properties": {"time": 1709287200, "distinct_id": "anon-7", "product_id": "p1"}},
        {"event": "Checkout Started", "properties": {"time": 1709287260, "distinct_id": "anon-7", "$user_id": "c-1"}},
    ]))
    for path, customer, visitor in [(braze, "EXTERNAL_USER_ID", "USER_ID"),
                                    (klaviyo, "data.relationships.profile.data.attributes.external_id",
                                     "data.relationships.profile.data.id"),
                                    (mixpanel, "properties.$user_id", "properties.distinct_id")]:
        parsed, report = read_history(path, "clickstream", intake_of(Settings()))
        assert (report.columns["customer"], report.columns["visitor"]) == (customer, visitor)
        assert {json.loads(p.value)["customer_id"] for p in parsed} == {"c-1"}, path.name


def _bloomreach_row(customer: str, seconds: int, **properties) -> dict:
    """A row of an event table of Bloomreach's BigQuery export (a table per event type), as bq extract writes it."""
    return {"internal_customer_id": customer, "ingest_timestamp": 1709287200.5 + seconds + 60,
            "timestamp": 1709287200.5 + seconds, "properties": properties}


def test_bloomreach_s_bigquery_event_tables_and_its_tracking_api_s_events_are_read_by_their_names(tmp_path):
    """Bloomreach names the customer internal_customer_id (its customer_ids' registered beside the cookie in its
    tracking API), a cart update's action add or remove, an order its purchase_id and its lines its product_list:
    the tables were refused as naming no customer, and an order read was one of no id and no lines."""
    views = tmp_path / "view_item.jsonl"
    views.write_text(json.dumps(_bloomreach_row("5f1e0c", 0, product_id="MUG-1", price=18.99, title="Mug")) + "\n")
    carts = tmp_path / "cart_update.jsonl"
    carts.write_text("\n".join(json.dumps(_bloomreach_row("5f1e0c", seconds, action=action, product_id="MUG-1",
                                                          price=18.99, quantity=1))
                               for seconds, action in ((60, "add"), (90, "remove"))))
    purchases = tmp_path / "purchase.jsonl"
    purchases.write_text(json.dumps(_bloomreach_row(
        "5f1e0c", 300, purchase_id="ORD-7", purchase_status="success", total_price=42.98, total_quantity=2,
        product_list=[{"product_id": "MUG-1", "quantity": 2}], product_ids=["MUG-1"])) + "\n")
    found = []
    for path, columns in ((views, "event='view_item'"), (carts, ""), (purchases, "event='purchase'")):
        parsed, report = read_history(path, "clickstream", intake_of(Settings()),
                                      columns=parse_click_columns(columns) if columns else None)
        assert report.columns["customer"] == "internal_customer_id" and report.bad == 0
        found += [json.loads(p.value) for p in parsed]
    assert [(e["type"], e["customer_id"], e.get("product_id")) for e in found] == [
        ("product_viewed", "5f1e0c", "MUG-1"), ("cart_item_added", "5f1e0c", "MUG-1"),
        ("cart_item_removed", "5f1e0c", "MUG-1"), ("order_placed", "5f1e0c", None)]
    assert (found[-1]["order_id"], found[-1]["total"], found[-1]["line_items"]) == (
        "ORD-7", 42.98, [{"product_id": "MUG-1", "quantity": 2}])
    joined = tmp_path / "view_item_joined.jsonl"  # the shop's id joined from customers_external_ids
    joined.write_text(json.dumps({**_bloomreach_row("5f1e0c", 0, product_id="MUG-1"), "external_id": "c-1"}) + "\n")
    parsed, report = read_history(joined, "clickstream", intake_of(Settings()),
                                  columns=parse_click_columns("event='view_item'"))
    assert (report.columns["customer"], report.columns["visitor"]) == ("external_id", "internal_customer_id")
    assert {json.loads(p.value)["customer_id"] for p in parsed} == {"c-1"}
    tracked = tmp_path / "tracking.jsonl"
    tracked.write_text("\n".join(json.dumps({"customer_ids": ids, "event_type": name, "timestamp": 1709287200 + n,
                                             "properties": {"product_id": "MUG-1", "price": 18.99}})
                                 for n, (ids, name) in enumerate([({"cookie": "ck-1"}, "view_item"),
                                                                  ({"cookie": "ck-1", "registered": "c-1"},
                                                                   "checkout")])))
    parsed, report = read_history(tracked, "clickstream", intake_of(Settings()))
    assert (report.columns["customer"], report.columns["visitor"]) == ("customer_ids.registered", "customer_ids.cookie")
    assert [(json.loads(p.value)["type"], json.loads(p.value)["customer_id"]) for p in parsed] == [
        ("product_viewed", "c-1"), ("customer_identified", "c-1"), ("checkout_started", "c-1")]


@pytest.mark.parametrize(("times", "dates_only"), [
    (("2026-03-01", "2026-03-01", "2026-03-02"), True),
    (("01.03.2026", "01.03.2026", "02.03.2026"), True),
    (("2026-03-01 00:00:00", "2026-03-01 10:15:00", "2026-03-02 09:00:00"), False),
])
def test_a_time_column_of_dates_only_is_said_in_the_report_and_read_as_before(tmp_path, times, dates_only):
    """Dates without a time of day put every event at midnight: the report says so (each visit is a day), the
    events are as they were."""
    path = tmp_path / "clicks.csv"
    path.write_text("user_id,event_time,event_type,product_id\n"
                    + "".join(f"7,{at},{event},p1\n" for at, event in zip(times, ("view", "cart", "view"))))
    parsed, report = events(path, "customer=user_id,time=event_time,event=event_type,product=product_id")
    assert report.dates_only is dates_only
    assert [p["occurred_at"][:10] for p in parsed] == ["2026-03-01", "2026-03-01", "2026-03-02"]
