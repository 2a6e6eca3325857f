"""Adobe Analytics' data feed, hit_data.tsv without a header and column_headers.tsv beside it, replays as a
clickstream."""

from __future__ import annotations

import json

from streams.replay.history import read_history
from streams.settings import Settings, intake_of

COLUMNS = ["accept_language", "date_time", "exclude_hit", "hit_source", "hit_time_gmt", "mcvisid", "post_event_list",
           "post_page_event", "post_page_url", "post_product_list", "post_purchaseid", "post_visid_high",
           "post_visid_low", "visit_num"]


def hit(local_time, gmt, events, products, order="", exclude="0", source="1"):
    values = {"accept_language": "en-US", "date_time": local_time, "exclude_hit": exclude, "hit_source": source,
              "hit_time_gmt": str(gmt), "mcvisid": "0123456789", "post_event_list": events, "post_page_event": "0",
              "post_page_url": "https://shop.example/p", "post_product_list": products, "post_purchaseid": order,
              "post_visid_high": "3076354678910311111", "post_visid_low": "4611686018427387904", "visit_num": "3"}
    return "\t".join(values[name] for name in COLUMNS)


def test_a_data_feed_with_its_column_headers_beside_it_reads_its_commerce_events(tmp_path):
    """A feed has no header line of its own: it was refused, asking for 500 columns by number."""
    (tmp_path / "column_headers.tsv").write_text("\t".join(COLUMNS) + "\n")
    # The report suite is in New York: date_time is its clock, hit_time_gmt the hit's time in UTC.
    (tmp_path / "01-shop_2024-03-01.tsv").write_text("\n".join([
        hit("2024-03-01 05:00:00", 1709287200, "", ""),
        hit("2024-03-01 05:00:30", 1709287230, "2,200", ";MUG-1;;;;"),
        hit("2024-03-01 05:01:00", 1709287260, "12", "Kitchen;MUG-1;2;;;"),
        hit("2024-03-01 05:02:00", 1709287320, "12", ";BOT;1;;;", exclude="1"),  # left out of Adobe's reports
        hit("2024-03-01 05:05:00", 1709287500, "1,200", "Kitchen;MUG-1;2;37.98;;,;CUP;1;5.00;;", order="o-9"),
    ]) + "\n")
    parsed, report = read_history(tmp_path / "01-shop_2024-03-01.tsv", "clickstream", intake_of(Settings()))
    read = [json.loads(p.value) for p in parsed]
    found = [e for e in read if e["type"] != "activity"]  # the custom event 200 (event1): see below
    assert report.bad == 0, report.bad_lines
    assert [(e["type"], e["occurred_at"]) for e in found] == [
        ("page_viewed", "2024-03-01T10:00:00Z"), ("product_viewed", "2024-03-01T10:00:30Z"),
        ("cart_item_added", "2024-03-01T10:01:00Z"), ("order_placed", "2024-03-01T10:05:00Z")]
    assert {e["customer_id"] for e in found} == {"3076354678910311111-4611686018427387904"}
    assert found[0]["session_id"] == "3076354678910311111-4611686018427387904-3"
    assert (found[2]["product_id"], found[2]["quantity"], found[2]["category"]) == ("MUG-1", 2, "Kitchen")
    order = found[3]
    assert (order["order_id"], order["total"]) == ("o-9", 42.98)
    assert [(line["product_id"], line["quantity"], line["price"]) for line in order["line_items"]] == [
        ("MUG-1", 2, 18.99), ("CUP", 1, 5.0)]


def test_a_data_feed_s_columns_may_be_named_by_the_header_beside_it(tmp_path):
    (tmp_path / "column_headers.tsv").write_text("\t".join(COLUMNS) + "\n")
    (tmp_path / "hit_data.tsv").write_text(hit("2024-03-01 05:00:00", 1709287200, "", "") + "\n")
    parsed, report = read_history(tmp_path / "hit_data.tsv", "clickstream", intake_of(Settings()),
                                  columns={"customer": "mcvisid", "time": "hit_time_gmt", "event": "'view'",
                                           "url": "post_page_url"})
    assert [(json.loads(p.value)["customer_id"], json.loads(p.value)["url"]) for p in parsed] == [
        ("0123456789", "https://shop.example/p")]


def test_a_hit_s_custom_events_are_read_as_visit_activity_named_as_the_report_suite_numbers_them(tmp_path):
    """200 is event1, 201 event2 (a numeric one with its value); they were dropped unseen. Their meaning is the
    shop's own setting: each is visit activity beside the hit's own event, counted by name in the report."""
    (tmp_path / "column_headers.tsv").write_text("\t".join(COLUMNS) + "\n")
    (tmp_path / "hit_data.tsv").write_text("\n".join([
        hit("2024-03-01 05:00:00", 1709287200, "201=3,100", ""),  # a page view with event2 (value 3), an eVar instance
        hit("2024-03-01 05:01:00", 1709287260, "12,200,event7", ";MUG-1;1;;;"),
        hit("2024-03-01 05:02:00", 1709287320, "10", ";CUP;1;;;"),  # a cart opened by its first add
    ]) + "\n")
    parsed, report = read_history(tmp_path / "hit_data.tsv", "clickstream", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert report.bad == 0, report.bad_lines
    assert [(e["type"], e.get("name") or e.get("product_id")) for e in found] == [
        ("page_viewed", None), ("activity", "event2"), ("cart_item_added", "MUG-1"), ("activity", "event1"),
        ("activity", "event7"), ("cart_item_added", "CUP")]
    assert report.unmapped == {"event2": 1, "event1": 1, "event7": 1}
    assert len({e["event_id"] for e in found}) == len(found)
