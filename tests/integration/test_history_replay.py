"""A shop's history backfilled from JSON Lines with `tracker replay`, into an event-time worker on real Kafka and Redis."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cli_runs import tracker
from harness import wait_until
from stored import customer_ids, profile_hash
from streams.store.keys import profile_key

START = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
#: More events than the worker's dedupe remembers per customer (TRACKER_DEDUPE_EVENTS, 64).
BOT_PAGES = 400


def replay(settings, path: Path, fmt: str) -> subprocess.CompletedProcess[str]:
    from streams.demo.run import settings_env

    result = tracker("replay", str(path), "--format", fmt, timeout=180, env={**os.environ, **settings_env(settings)})
    assert result.returncode == 0, result.stderr
    return result


def export(tmp_path: Path, fmt: str) -> tuple[Path, int]:
    """A simulated shop's history (and a bot's), gzip JSON Lines with two bad lines; and its line count."""
    from streams.core.events import dump
    from streams.demo.messages import shop_messages
    from streams.demo.shop import shop_events, simulate_shop

    shop = simulate_shop(120, seed=21, start=START, pace=timedelta(seconds=40), spread=timedelta(days=1))
    if fmt == "segment":
        lines = [json.dumps(m) for m in shop_messages(shop)]
        lines += [json.dumps({"type": "page", "anonymousId": "bot-1", "messageId": f"bot-{n}",
                              "timestamp": (START + timedelta(seconds=n)).isoformat()}) for n in range(BOT_PAGES)]
    else:
        lines = [dump(e).decode() for e in shop_events(shop)]
        lines += [json.dumps({"type": "page_viewed", "customer_id": "bot-1", "event_id": f"bot-{n}", "url": "/",
                              "occurred_at": (START + timedelta(seconds=n)).isoformat()}) for n in range(BOT_PAGES)]
    lines.insert(3, "{not json")
    lines.insert(10, json.dumps({"type": "page", "timestamp": START.isoformat()}))
    path = tmp_path / f"history-{fmt}.jsonl.gz"
    with gzip.open(path, "wt") as out:
        out.write("\n".join(lines) + "\n")
    return path, len(lines)


def profiles(redis_client) -> dict[bytes, dict[bytes, bytes]]:
    # ``_v`` counts the store's saves of the customer, not part of the profile.
    return {profile_key(c).encode(): {k: v for k, v in profile_hash(redis_client, c).items() if k != b"_v"}
            for c in customer_ids(redis_client)}


@pytest.mark.worker(clock="event", session_timeout_seconds=1800)
@pytest.mark.parametrize("fmt", ["segment", "events"])
def test_a_json_lines_export_replayed_twice_leaves_every_profile_as_after_one(
        worker, worker_settings, redis_client, tmp_path, fmt):
    """Bad lines are reported by number and skipped; the second replay produces nothing and changes nothing."""
    path, lines = export(tmp_path, fmt)
    first = replay(worker_settings, path, fmt)
    # Line 11 is a spec message without ids: not an event of either format.
    reason = "missing_field" if fmt == "segment" else "unknown_type"
    assert "line 4: malformed_json" in first.stderr and f"line 11: {reason}" in first.stderr
    assert f"2 bad line(s) of {lines}" in first.stdout
    produced = int(first.stdout.split("replayed ")[1].split(": ")[1].split(" events")[0])
    assert produced > 1000
    # A visitor's events read after their login are sent on to the customer and read again there.
    wait_until(lambda: worker.metric_total("tracker_events_consumed_total")
               >= produced + worker.metric_total("tracker_forwarded_events_total"), timeout=90, every=0.5,
               message=f"{produced} events consumed")
    time.sleep(2)  # the timer's last steps (visits closing in event time) settle
    before = profiles(redis_client)
    consumed = worker.metric_total("tracker_events_consumed_total")
    assert int(before[b"tracker:{bot-1}:profile"][b"page_views"]) == BOT_PAGES

    again = replay(worker_settings, path, fmt)
    time.sleep(3)
    assert profiles(redis_client) == before
    assert f"replayed {path}: 0 events" in again.stdout and f"{produced} already replayed" in again.stdout
    assert worker.metric_total("tracker_events_consumed_total") == consumed


CLICKS = """event_time,event_type,product_id,category_code,price,user_id,user_session
2026-01-05 09:00:00 UTC,view,p-1,lamps,"1,234.50",shopper-a,s1
2026-01-05 09:00:30 UTC,cart,p-1,lamps,"1,234.50",shopper-a,s1
2026-01-05 09:10:00 UTC,view,p-2,rugs,80.00,shopper-b,s2
2026-01-05 09:11:00 UTC,cart,p-2,rugs,80.00,shopper-b,s2
2026-01-05 09:12:00 UTC,purchase,p-2,rugs,80.00,shopper-b,s2
2026-01-05 09:12:00 UTC,purchase,p-3,rugs,20.00,shopper-b,s2
2026-01-05 09:13:00 UTC,scroll,,,,shopper-b,s2
2026-01-05 12:00:00 UTC,view,p-9,misc,5.00,shopper-c,s3
"""


def _clicks_as_json_lines() -> str:
    """The same clickstream as a product-analytics export writes it: one object per event, the rest nested."""
    rows = list(csv.DictReader(io.StringIO(CLICKS)))
    return "".join(json.dumps({"event": row["event_type"], "properties": {
        "time": row["event_time"], "distinct_id": row["user_id"], "product_id": row["product_id"],
        "category_code": row["category_code"], "price": float(row["price"].replace(",", "")) if row["price"] else None,
        "session_id": row["user_session"]}}) + "\n" for row in rows)


@pytest.mark.worker(clock="event", session_timeout_seconds=1800)
@pytest.mark.parametrize("kind", ["csv with --columns", "csv, columns by name", "json lines, columns by name",
                                  "csv without a header, columns by number", "parquet, columns by name"])
def test_a_clickstream_becomes_visits_orders_and_offers(worker, worker_settings, kafka, redis_client, tmp_path, kind):
    """One row per event, as stores export them: a cart left, an order of two rows, an event name the tracker does not use."""
    from streams.demo.run import settings_env

    path = tmp_path / ("events.jsonl" if kind.startswith("json") else "events.csv")
    headerless = kind.startswith("csv without")
    path.write_text(_clicks_as_json_lines() if kind.startswith("json")
                    else CLICKS.split("\n", 1)[1] if headerless else CLICKS)
    if kind.startswith("parquet"):
        import pyarrow.csv as pa_csv
        import pyarrow.parquet as pq

        pq.write_table(pa_csv.read_csv(path), tmp_path / "events.parquet")
        path = tmp_path / "events.parquet"
    command = ["replay", str(path), "--format", "clickstream"]
    if kind == "csv with --columns":
        command += ["--columns", "customer=user_id,time=event_time,event=event_type,product=product_id,price=price,"
                                 "category=category_code,session=user_session"]
    if headerless:
        command += ["--columns", "customer=6,time=1,event=2,product=3,price=5,category=4,session=7"]
    env = {**os.environ, **settings_env(worker_settings)}
    first = tracker(*command, timeout=120, env=env)
    assert first.returncode == 0, first.stderr
    assert "7 events of 3 customers" in first.stdout and "1 without an event of their own" in first.stdout
    if "--columns" not in command:
        assert "columns read from the header: customer=" in first.stderr

    wait_until(lambda: int(profile_hash(redis_client, "shopper-b").get(b"orders", 0)) == 1, timeout=60,
               message="shopper-b's order")
    assert float(profile_hash(redis_client, "shopper-b")[b"revenue"]) == 100.0
    [trigger] = kafka.read(worker_settings.offer_triggers_topic, at_least=1, timeout=60, settle=2)
    assert (trigger["customer_id"], trigger["kind"]) == ("shopper-a", "cart_abandoned")

    again = tracker(*command, timeout=120, env=env)
    assert "0 events" in again.stdout and "7 already replayed" in again.stdout


TRACKS = """timestamp,user_id,anonymous_id,event,product_id,price
2026-01-05T09:00:00Z,,anon-a,product_viewed,p-1,40
2026-01-05T09:00:30Z,,anon-a,product_added,p-1,40
2026-01-05T09:02:00Z,shopper-a,anon-a,page_viewed,,
2026-01-05T12:00:00Z,shopper-c,anon-c,product_viewed,p-9,5
"""


@pytest.mark.worker(clock="event")
def test_a_visitor_who_logs_in_gets_the_trigger_for_the_cart_filled_before(worker, worker_settings, kafka,
                                                                            redis_client, tmp_path):
    """Segment's tracks table: user_id set only after the login; the anonymous cart is the customer's."""
    from streams.demo.run import settings_env

    path = tmp_path / "tracks.csv"
    path.write_text(TRACKS)
    first = tracker("replay", str(path), "--format", "clickstream", timeout=120,
                    env={**os.environ, **settings_env(worker_settings)})
    assert first.returncode == 0, first.stderr
    assert "visitor=anonymous_id" in first.stderr and "0 bad line(s)" in first.stdout

    [trigger] = kafka.read(worker_settings.offer_triggers_topic, at_least=1, timeout=60, settle=2)
    assert (trigger["customer_id"], trigger["kind"]) == ("shopper-a", "cart_abandoned")
    assert [p["product_id"] for p in trigger["products"]] == ["p-1"] and trigger["cart_value"] == 40.0


def _ga4(name: str, seconds: int, user: str, **fields) -> str:
    at = int(START.timestamp() * 1_000_000) + seconds * 1_000_000
    return json.dumps({"event_timestamp": str(at), "event_name": name, "user_pseudo_id": user,
                       "event_params": [{"key": "ga_session_id", "value": {"int_value": "1"}}], **fields})


@pytest.mark.worker(clock="event", session_timeout_seconds=1800)
def test_a_ga4_bigquery_export_becomes_visits_orders_and_offers(worker, worker_settings, kafka, redis_client, tmp_path):
    """GA4's rows, gzip JSON Lines as `bq extract` writes them: a cart left, a purchase, a later visitor moving the clock."""
    lamp = {"item_id": "lamp-1", "price": 40.0, "quantity": 1, "item_category": "lamps"}
    lines = [
        _ga4("page_view", 0, "111.1", event_params=[{"key": "page_location", "value": {"string_value": "https://s/"}}]),
        _ga4("view_item", 10, "111.1", items=[lamp]),
        _ga4("add_to_cart", 20, "111.1", items=[lamp]),
        _ga4("add_to_cart", 30, "222.2", items=[lamp]),
        _ga4("purchase", 60, "222.2", items=[lamp], ecommerce={"transaction_id": "T-9", "purchase_revenue": 40.0}),
        _ga4("user_engagement", 70, "222.2"),
        _ga4("page_view", 3 * 3600, "333.3"),
    ]
    path = tmp_path / "events_20260105.jsonl.gz"
    with gzip.open(path, "wt") as out:
        out.write("\n".join(lines) + "\n")
    first = replay(worker_settings, path, "ga4")
    assert "7 events of 3 customers" in first.stdout and "1 without an event of their own" in first.stdout

    wait_until(lambda: int(profile_hash(redis_client, "222.2").get(b"orders", 0)) == 1, timeout=60,
               message="the GA4 purchase on the profile")
    assert float(profile_hash(redis_client, "222.2")[b"revenue"]) == 40.0
    [trigger] = kafka.read(worker_settings.offer_triggers_topic, at_least=1, timeout=60, settle=2)
    assert (trigger["customer_id"], trigger["kind"]) == ("111.1", "cart_abandoned")


def _ga360_sessions(start: int) -> list[dict]:
    """GA360's ga_sessions_ rows: a visitor leaving a checkout, one buying, one later moving the event-time clock."""
    def visit(visitor: str, offset: int, hits: list[dict]) -> dict:
        return {"fullVisitorId": visitor, "visitId": str(start + offset), "visitStartTime": str(start + offset),
                "date": "20260105", "totals": {"hits": str(len(hits))}, "hits": hits}

    def hit(millis: int, action: str, *products: dict, **more) -> dict:
        return {"time": str(millis), "type": "PAGE", "eCommerceAction": {"action_type": action},
                "page": {"hostname": "shop.example", "pagePath": "/"}, "product": list(products), **more}

    lamp = {"productSKU": "lamp-1", "productPrice": "40000000", "productQuantity": "1", "v2ProductCategory": "lamps"}
    return [visit("111", 0, [hit(0, "2", lamp), hit(10_000, "3", lamp), hit(20_000, "5", lamp)]),
            visit("222", 5, [hit(0, "3", lamp), hit(55_000, "6", lamp, transaction={
                "transactionId": "T-9", "transactionRevenue": "40000000"})]),
            visit("333", 3 * 3600, [hit(0, "0")])]


def _meta_requests(start: int) -> list[dict]:
    """Meta's Conversions API request bodies as a shop logs them: the same three visitors."""
    def event(who: str, name: str, seconds: int, **custom) -> dict:
        return {"event_name": name, "event_time": start + seconds, "event_id": f"{who}-{seconds}",
                "action_source": "website", "user_data": {"external_id": [who]}, "custom_data": custom}

    lamp = [{"id": "lamp-1", "quantity": 1, "item_price": 40.0}]
    return [{"data": [event("111", "ViewContent", 0, content_ids=["lamp-1"]),
                      event("111", "AddToCart", 10, contents=lamp, value=40.0),
                      event("111", "InitiateCheckout", 20, contents=lamp, value=40.0)]},
            {"data": [event("222", "AddToCart", 5, contents=lamp, value=40.0),
                      event("222", "Purchase", 60, contents=lamp, value=40.0, currency="EUR", order_id="T-9")]},
            {"data": [event("333", "PageView", 3 * 3600)]}]


def _klaviyo_pages(start: int) -> list[dict]:
    """Klaviyo's events API pages (include=metric): the same three visitors, the buyer refunded a day later."""
    names = {"v": "Viewed Product", "a": "Added to Cart", "c": "Started Checkout", "o": "Placed Order",
             "r": "Refunded Order", "s": "Active on Site"}

    def event(who: str, metric: str, seconds: int, **properties) -> dict:
        return {"type": "event", "id": f"{who}-{seconds}",
                "attributes": {"timestamp": start + seconds, "event_properties": properties, "uuid": f"{who}{seconds}"},
                "relationships": {"profile": {"data": {"type": "profile", "id": who}},
                                  "metric": {"data": {"type": "metric", "id": metric}}}}

    lamp = [{"ProductID": "lamp-1", "Quantity": 1, "ItemPrice": 40.0}]
    included = [{"type": "metric", "id": key, "attributes": {"name": name}} for key, name in names.items()]
    return [{"data": [event("111", "v", 0, ProductID="lamp-1", Price=40.0),
                      event("111", "a", 10, AddedItemProductID="lamp-1", AddedItemPrice=40.0, Items=lamp),
                      event("111", "c", 20, Items=lamp, **{"$value": 40.0})], "included": included},
            {"data": [event("222", "a", 5, AddedItemProductID="lamp-1", AddedItemPrice=40.0, Items=lamp),
                      event("222", "o", 60, OrderId="T-9", Items=lamp, **{"$value": 40.0}),
                      event("333", "s", 3 * 3600),
                      event("222", "r", 3 * 3600 + 60, OrderId="T-9", **{"$value": 40.0})],
             "included": included}]


@pytest.mark.worker(clock="event", session_timeout_seconds=1800)
@pytest.mark.parametrize("layout", ["ga360 sessions", "meta conversions api", "klaviyo events api"])
def test_another_tool_s_export_read_by_name_finds_the_checkout_left_and_the_order(worker, worker_settings, kafka,
                                                                                  redis_client, tmp_path, layout):
    """GA360's visits with their hits nested, Meta's logged requests: the abandoned checkout is offered, the order kept."""
    start = int(START.timestamp())
    records = {"ga360": _ga360_sessions, "meta": _meta_requests, "klaviyo": _klaviyo_pages}[layout.split()[0]](start)
    path = tmp_path / f"{layout.split()[0]}-export.jsonl.gz"
    with gzip.open(path, "wt") as out:
        out.write("\n".join(json.dumps(record) for record in records) + "\n")
    first = replay(worker_settings, path, "clickstream")
    refunded = layout.startswith("klaviyo")
    assert f"{7 if refunded else 6} events of 3 customers" in first.stdout and "0 bad line(s)" in first.stdout

    wait_until(lambda: int(profile_hash(redis_client, "222").get(b"orders", 0)) == 1, timeout=60,
               message="the order on the profile")
    assert float(profile_hash(redis_client, "222")[b"revenue"]) == 40.0
    [trigger] = kafka.read(worker_settings.offer_triggers_topic, at_least=1, timeout=60, settle=2)
    assert (trigger["customer_id"], trigger["kind"]) == ("111", "checkout_abandoned")
    assert [p["product_id"] for p in trigger["products"]] == ["lamp-1"] and trigger["cart_value"] == 40.0
    if refunded:  # Klaviyo's Refunded Order: the money given back on the buyer's profile
        wait_until(lambda: int(profile_hash(redis_client, "222").get(b"refunds", 0)) == 1, timeout=60,
                   message="the refund on the profile")
        assert float(profile_hash(redis_client, "222")[b"refunded"]) == 40.0
