"""Segment's and RudderStack's warehouse tables (tracks, pages, identifies) replay with --format segment as the
messages they were loaded from."""

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
    # m2 names both ids: the visitor logged in, and their view before it is the customer's.
    assert [(e["type"], e["customer_id"]) for e in found] == [
        ("product_viewed", "12345"), ("customer_identified", "12345"), ("cart_item_added", "12345"),
        ("order_placed", "12345")]
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
    with pytest.raises(DataFileError, match="no warehouse table of calls .* --format clickstream"):
        replayed(path)


IDENTIFIES = ("id,anonymous_id,user_id,received_at,sent_at,timestamp,context_ip,context_library_name,email,"
              "context_traits_country,uuid_ts\n"
              "i1,anon-7,u-7,2024-03-01 10:05:01 UTC,2024-03-01 10:05:00.98 UTC,2024-03-01 10:05:00.9 UTC,81.2.69.160,"
              "analytics.js,ann@shop.example,GB,2024-03-01 10:20:00 UTC\n")
PAGES = ("id,anonymous_id,user_id,name,path,referrer,title,url,received_at,timestamp,context_campaign_medium,uuid_ts\n"
         "p1,anon-7,,Product,/products/mug,https://www.google.com/,Mug,https://shop.example/products/mug,"
         "2024-03-01 10:00:01 UTC,2024-03-01 10:00:00.9 UTC,cpc,2024-03-01 10:20:00 UTC\n"
         "p2,anon-7,,Cart,/cart,,Your cart,,2024-03-01 10:02:01 UTC,2024-03-01 10:02:00.9 UTC,,"
         "2024-03-01 10:20:00 UTC\n")


def test_the_identifies_and_pages_tables_replay_as_their_identify_and_page_calls(tmp_path):
    """Only the tracks table was read: the logins and page views of the other two were refused."""
    (tmp_path / "identifies.csv").write_text(IDENTIFIES)
    (tmp_path / "pages.csv").write_text(PAGES)
    [login], report = replayed(tmp_path / "identifies.csv")
    assert report.bad == 0, report.bad_lines
    assert (login["type"], login["customer_id"], login["anonymous_id"], login["traits"]["country"]) == (
        "customer_identified", "u-7", "anon-7", "GB")
    pages, report = replayed(tmp_path / "pages.csv")
    assert report.bad == 0, report.bad_lines
    assert [(e["type"], e["customer_id"], e["url"], e["page_type"]) for e in pages] == [
        ("page_viewed", "anon-7", "https://shop.example/products/mug", "product"),
        ("page_viewed", "anon-7", "/cart", "cart")]
    assert pages[0]["channel"] == "cpc" and pages[0]["event_id"] == "p1"


def test_a_row_naming_both_ids_links_the_visitor_once_in_any_table(tmp_path):
    """A call after the login carries the user id and the anonymous id: the browsing before it is the customer's,
    though the identify is in another table."""
    path = tmp_path / "pages.csv"
    path.write_text(PAGES + "p3,anon-7,u-7,Checkout,/checkout,,Checkout,https://shop.example/checkout,"
                    "2024-03-01 10:06:01 UTC,2024-03-01 10:06:00.9 UTC,,2024-03-01 10:20:00 UTC\n"
                    "p4,anon-7,u-7,Checkout,/checkout,,Checkout,https://shop.example/checkout,"
                    "2024-03-01 10:07:01 UTC,2024-03-01 10:07:00.9 UTC,,2024-03-01 10:20:00 UTC\n")
    found, report = replayed(path)
    assert report.bad == 0, report.bad_lines
    assert [(e["type"], e["customer_id"]) for e in found] == [
        ("page_viewed", "u-7"), ("page_viewed", "u-7"), ("customer_identified", "u-7"), ("page_viewed", "u-7"),
        ("page_viewed", "u-7")]
    assert found[2]["anonymous_id"] == "anon-7"
    again, _ = replayed(path)
    assert [e["event_id"] for e in again] == [e["event_id"] for e in found]  # a second replay gives the same ids


def test_the_aliases_table_links_its_previous_id_and_the_groups_table_is_no_identify(tmp_path):
    """Told by their columns as identifies are: an aliases row is the alias call, a groups row no login."""
    (tmp_path / "aliases.csv").write_text("id,previous_id,user_id,received_at,timestamp,uuid_ts\n"
                                          "a1,anon-7,u-7,2024-03-01 10:05:01 UTC,2024-03-01 10:05:00 UTC,"
                                          "2024-03-01 10:20:00 UTC\n")
    [alias], report = replayed(tmp_path / "aliases.csv")
    assert (alias["type"], alias["customer_id"], alias["anonymous_id"]) == ("customer_identified", "u-7", "anon-7")
    (tmp_path / "groups.csv").write_text("id,group_id,user_id,received_at,timestamp,employees\n"
                                         "g1,acme,u-7,2024-03-01 10:05:01 UTC,2024-03-01 10:05:00 UTC,40\n")
    with pytest.raises(DataFileError, match="no warehouse table of calls"):
        replayed(tmp_path / "groups.csv")


SCREENS = ("id,anonymous_id,user_id,name,context_app_version,context_device_model,received_at,sent_at,timestamp,"
           "feed_type,uuid_ts\n"
           "s1,anon-9,,Home,3.2.0,iPhone14,2024-03-01 10:00:01 UTC,2024-03-01 10:00:00.98 UTC,"
           "2024-03-01 10:00:00.9 UTC,private,2024-03-01 10:20:00 UTC\n"
           "s2,anon-9,u-9,Basket,3.2.0,iPhone14,2024-03-01 10:03:01 UTC,2024-03-01 10:03:00.98 UTC,"
           "2024-03-01 10:03:00.9 UTC,,2024-03-01 10:20:00 UTC\n")


def test_the_screens_table_replays_as_the_app_s_page_views_not_as_logins(tmp_path):
    """A mobile app's screens table has an identify's columns and a name: each row is a screen seen, the app's
    page view, and the row naming both ids links the visitor once, as a pages row does."""
    path = tmp_path / "screens.csv"
    path.write_text(SCREENS)
    found, report = replayed(path)
    assert report.bad == 0, report.bad_lines
    assert [(e["type"], e["customer_id"], e.get("url")) for e in found] == [
        ("page_viewed", "u-9", "screen:Home"), ("customer_identified", "u-9", None),
        ("page_viewed", "u-9", "screen:Basket")]
    assert found[-1]["page_type"] == "cart" and found[0]["event_id"] == "s1"


def test_a_screens_table_of_an_app_without_logins_is_told_by_its_columns(tmp_path):
    """No user_id column at all (no one ever logged in): a name and the loader's columns make a screen,
    whatever the file is called."""
    path = tmp_path / "export-000.jsonl"
    path.write_text(json.dumps({"id": "s7", "anonymous_id": "anon-3", "name": "Product", "received_at":
                                "2024-03-01 10:00:01 UTC", "timestamp": "2024-03-01 10:00:00 UTC"}) + "\n")
    [view], report = replayed(path)
    assert report.bad == 0, report.bad_lines
    assert (view["type"], view["customer_id"], view["url"], view["page_type"]) == (
        "page_viewed", "anon-3", "screen:Product", "product")


def test_an_identifies_table_with_a_name_trait_stays_logins(tmp_path):
    """A user's name is a trait: in a file not named after the screens table the row is still an identify."""
    path = tmp_path / "identifies.csv"
    path.write_text("id,anonymous_id,user_id,name,received_at,timestamp\n"
                    "i1,anon-7,u-7,Ann Lee,2024-03-01 10:05:01 UTC,2024-03-01 10:05:00 UTC\n")
    [login], report = replayed(path)
    assert report.bad == 0, report.bad_lines
    assert (login["type"], login["customer_id"], login["anonymous_id"]) == ("customer_identified", "u-7", "anon-7")
