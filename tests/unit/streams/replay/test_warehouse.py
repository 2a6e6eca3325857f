"""A Segment warehouse table of track calls replays with --format segment as the messages it was loaded from."""

from __future__ import annotations

import json

import pytest

from models.errors import DataFileError
from streams.replay.history import read_history
from streams.settings import Settings, intake_of

TRACKS = ("id,user_id,anonymous_id,event,event_text,timestamp,received_at,product_id,price,order_id,total,currency,"
          "products,context_page_url\n"
          "m1,,anon-1,product_viewed,Product Viewed,2024-03-01 10:00:00.123 UTC,2024-03-01 10:00:01 UTC,P-1,19.50,,,,,"
          "https://shop.example/p/1\n"
          "m2,12345.0,anon-1,product_added,Product Added,2024-03-01 10:01:00 UTC,2024-03-01 10:01:01 UTC,P-1,19.50,,,,,\n"
          'm3,12345,,order_completed,Order Completed,2024-03-01 10:02:00 UTC,2024-03-01 10:02:01 UTC,,,o-1,19.50,EUR,'
          '"[{""product_id"": ""P-1"", ""price"": 19.5, ""quantity"": 1}]",\n')


def replayed(path):
    parsed, report = read_history(path, "segment", intake_of(Settings()))
    return [json.loads(p.value) for p in parsed], report


def test_a_warehouse_tracks_table_as_csv_replays_as_its_messages(tmp_path):
    path = tmp_path / "tracks.csv"
    path.write_text(TRACKS)
    found, report = replayed(path)
    assert report.bad == 0, report.bad_lines
    assert [(e["type"], e["customer_id"]) for e in found] == [
        ("product_viewed", "anon-1"), ("cart_item_added", "12345"), ("order_placed", "12345")]
    order = found[-1]
    assert (order["order_id"], order["total"], order["currency"]) == ("o-1", 19.5, "EUR")
    assert [line["product_id"] for line in order["line_items"]] == ["P-1"]
    assert found[0]["occurred_at"].startswith("2024-03-01T10:00:00.123") and found[0]["event_id"] == "m1"


def test_a_warehouse_export_in_json_lines_with_capital_column_names_and_prefixed_properties(tmp_path):
    """Snowflake writes USER_ID; some loaders prefix each property with properties_."""
    path = tmp_path / "tracks.jsonl"
    path.write_text(json.dumps({"ID": "m1", "USER_ID": "u-1", "EVENT": "order_completed", "TIMESTAMP":
                                "2024-03-01T10:02:00Z", "PROPERTIES_ORDER_ID": "o-9", "PROPERTIES_TOTAL": 12}) + "\n")
    found, report = replayed(path)
    assert report.bad == 0, report.bad_lines
    assert [(e["type"], e["customer_id"], e["order_id"], e["total"]) for e in found] == [
        ("order_placed", "u-1", "o-9", 12.0)]


def test_a_table_that_is_no_warehouse_table_is_refused_naming_the_format_that_reads_it(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("event_time,visitor,what\n2024-03-01 10:00:00,1,view\n")
    with pytest.raises(DataFileError, match="no warehouse table of track calls .* --format clickstream"):
        replayed(path)
