"""Real shop traffic on a real worker, Kafka and Redis: the tracking spec in, carts across visits, offers out.

A shop instrumented with analytics.js posts its batches to ``/v1/batch``; RudderStack's
Kafka destination puts the same messages on an input topic; either way a cart filled in
one visit is what the checkout abandoned in a later one.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from analytics_js import WRITE_KEY, Browser, batch
from harness import wait_until
from streams.settings import Settings
from stored import profile_hash

MONOPOLY = {"product_id": "507f1f77bcf86cd799439011", "sku": "45790-32", "name": "Monopoly: 3rd Edition",
            "price": 19, "quantity": 2, "category": "Games"}


@pytest.fixture
def worker_settings(worker_settings: Settings, tmp_path: Path) -> Settings:
    """Every abandonment is offered (no frequency cap), so each visit's trigger shows."""
    policy = tmp_path / "policy.toml"
    shipped = (Path(__file__).resolve().parents[2] / "offers" / "default_policy.toml").read_text()
    policy.write_text(shipped.replace("[frequency_cap]\nhours = 24", "[frequency_cap]\nhours = 0"))
    return worker_settings.model_copy(update={"policy_file": policy, "collector_api_keys": WRITE_KEY})


def post(worker, path: str, body: object, *, headers: dict[str, str] | None = None,
         raw: bytes | None = None) -> tuple[int, dict]:
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(worker.url(path), data=data, method="POST",
                                     headers={"Content-Type": "text/plain", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def ago(seconds: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(seconds=seconds)


def triggers_of(kafka, settings: Settings, at_least: int) -> list[dict]:
    return kafka.read(settings.offer_triggers_topic, at_least=at_least, timeout=45, settle=4)


def test_an_analytics_js_batch_gives_one_checkout_abandonment_with_the_cart_of_the_earlier_visit(
        worker, worker_settings, kafka, redis_client):
    """page, identify, Product Added; a later visit's Checkout Started; no order: the checkout's
    trigger carries the products added in the first visit; events with no tracker event of their
    own are counted by name, not dead-lettered."""
    shop = Browser("anon-js-1")
    first = [shop.page(ago(60), name="Home"), shop.identify(ago(59), "user-js-1", accepts_marketing=True),
             shop.track(ago(58), "Product Viewed", **MONOPOLY),
             shop.track(ago(57), "Pop-up Email Viewed"),
             shop.track(ago(56), "Product Added", cart_id="cart-1", **MONOPOLY)]
    later = [shop.page(ago(40), name="Cart"), shop.track(ago(39), "Coupon Entered", coupon_id="MAY"),
             shop.track(ago(38), "Checkout Started", order_id="o-1", currency="GBP")]
    status, answer = post(worker, "/v1/batch", batch(*first, *later, sent_at=ago(1)))
    assert (status, answer) == (200, {"success": True, "accepted": 8, "rejected": []})

    triggers = triggers_of(kafka, worker_settings, at_least=2)
    assert sorted((t["customer_id"], t["kind"]) for t in triggers) == [
        ("user-js-1", "cart_abandoned"), ("user-js-1", "checkout_abandoned")]
    [checkout] = [t for t in triggers if t["kind"] == "checkout_abandoned"]
    assert [(p["product_id"], p["quantity"], p["price"]) for p in checkout["products"]] == [
        (MONOPOLY["product_id"], 2, 19.0)]
    assert checkout["cart_value"] == 38.0
    assert worker.metric("tracker_unmapped_messages_total", event="Pop-up Email Viewed") == 1
    assert worker.metric("tracker_unmapped_messages_total", event="Coupon Entered") == 1
    assert worker.metric_total("tracker_dead_letters_total") == 0
    assert profile_hash(redis_client, "user-js-1").get(b"merged_ids") == b'["anon-js-1"]'


@pytest.mark.worker(cart_ttl_days=20 / 86_400, session_timeout_seconds=6, allowed_lateness_seconds=1)
def test_an_order_empties_the_cart_and_an_expired_cart_triggers_nothing(worker, worker_settings, kafka):
    """A checkout after an order, or after the cart expired (a 20-second TTL here), abandons nothing.

    The buyer's visit happens now and its checkout only once that visit has ended: an order
    travels on the purchases topic and a product add on the site-visits topic, so a visit
    already in the past could end between the two, whichever the worker happens to read first.
    """
    buyer, late = Browser("anon-buyer"), Browser("anon-late")
    buyer.user_id, late.user_id = "buyer-1", "late-1"
    messages = [
        buyer.track(ago(0.5), "Product Added", product_id="p1", price=5),
        buyer.track(ago(0.4), "Order Completed", order_id="o-9", total=5, products=[{"product_id": "p1", "price": 5}]),
        late.track(ago(90), "Product Added", product_id="p2", price=7),
        late.track(ago(60), "Checkout Started"),
    ]
    status, answer = post(worker, "/v1/batch", batch(*messages, sent_at=ago(0)))
    assert status == 200 and answer["accepted"] == 4
    wait_until(lambda: worker.metric("tracker_sessions_ended_total", outcome="purchased") >= 1, timeout=30,
               message="the buyer's visit to end with its order")
    status, answer = post(worker, "/v1/batch", batch(buyer.track(ago(0), "Checkout Started"), sent_at=ago(0)))
    assert status == 200 and answer["accepted"] == 1
    triggers = triggers_of(kafka, worker_settings, at_least=1)
    # The late shopper's first visit did fill a cart; nothing else left interest behind.
    assert sorted((t["customer_id"], t["kind"]) for t in triggers) == [("late-1", "cart_abandoned")]
    wait_until(lambda: worker.metric("tracker_sessions_ended_total", outcome="no_purchase") >= 3, timeout=30,
               message="the checkout visits to end")
    assert sorted((t["customer_id"], t["kind"]) for t in triggers_of(kafka, worker_settings, at_least=1)) == [
        ("late-1", "cart_abandoned")]
    assert worker.metric("tracker_offers_opened_total", group="treated") == 1


def test_single_calls_keys_and_bad_messages(worker, worker_settings, kafka):
    """/v1/track with Basic auth; a wrong key is 401; a bad message is listed and dead-lettered raw."""
    basic = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode(),
             "Content-Type": "application/json"}
    status, answer = post(worker, "/v1/track", {"userId": "u-call", "event": "Product Viewed",
                                                "properties": {"sku": "G-32", "price": 3}}, headers=basic)
    assert (status, answer["accepted"]) == (200, 1)
    assert post(worker, "/v1/page", {"userId": "u-call", "writeKey": "guess"})[0] == 401
    assert post(worker, "/v1/page", {"userId": "u-call"})[0] == 401
    assert post(worker, "/v1/batch", None, raw=b'{"writeKey": "' + WRITE_KEY.encode() + b'", "batch": ['
                + b'{"type": "page", "userId": "u"},' * 20_000 + b"{}]}")[0] == 413
    bad = {"type": "track", "event": "Product Added", "anonymousId": "a-bad", "timestamp": "2026-03-02T10:00:00",
           "properties": {"product_id": "p1"}}
    status, answer = post(worker, "/v1/batch", {"writeKey": WRITE_KEY, "batch": [
        {"type": "page", "userId": "u-call"}, bad, {"type": "track", "event": "Product Added", "properties": {}}]})
    assert status == 200 and answer["accepted"] == 1
    assert [(r["index"], r["reason"]) for r in answer["rejected"]] == [(1, "naive_timestamp"), (2, "missing_field")]
    letters = kafka.read(worker_settings.dead_letters_topic, at_least=2, timeout=20, settle=1)
    assert sorted(d["reason"] for d in letters) == ["missing_field", "naive_timestamp"]
    [naive] = [d for d in letters if d["reason"] == "naive_timestamp"]
    assert json.loads(base64.b64decode(naive["value_base64"])) == bad and naive["topic"] == "http:/v1/batch"
    assert worker.metric("tracker_dead_letters_total", reason="naive_timestamp") == 1


@pytest.mark.worker(session_timeout_seconds=6, allowed_lateness_seconds=1)
def test_rudderstacks_kafka_destination_on_an_input_topic(worker, worker_settings, kafka, redis_client):
    """Spec messages keyed by userId (else anonymousId), every kind on one topic, sent as they happen:
    the cart filled before the login is the customer's, and a later visit's checkout abandons it."""
    def send(*messages: dict) -> None:
        for message in messages:
            kafka.send(json.dumps(message).encode(), key=message["userId"] or message["anonymousId"])
        kafka.flush()

    shop = Browser("anon-rs-1")
    send(shop.page(ago(1)), shop.track(ago(0.5), "Product Added", product_id="p7", price=12.5))
    wait_until(lambda: profile_hash(redis_client, "anon-rs-1").get(b"cart_adds") == b"1",
               message="the visitor's cart")
    send(shop.identify(ago(0), "user-rs-1"))  # the same visit: it goes on under the user's id
    later = datetime.now(timezone.utc) + timedelta(seconds=10)
    send(shop.track(later, "Cart Viewed", products=[{"product_id": "p7", "price": 12.5, "quantity": 1},
                                                     {"product_id": "p8", "price": 2.0, "quantity": 3}]),
         shop.track(later + timedelta(seconds=1), "Checkout Started"),
         shop.track(later + timedelta(seconds=2), "Promotion Viewed"))
    buyer = Browser("anon-rs-2")
    buyer.user_id = "user-rs-2"
    send(buyer.track(ago(0), "Product Added", product_id="p1", price=3),
         buyer.track(ago(0), "Order Completed", order_id="o-rs", total=3))
    triggers = kafka.read(worker_settings.offer_triggers_topic, at_least=2, timeout=45, settle=3)
    kinds = {(t["customer_id"], t["kind"]): t for t in triggers}
    assert set(kinds) == {("user-rs-1", "cart_abandoned"), ("user-rs-1", "checkout_abandoned")}
    checkout = kinds[("user-rs-1", "checkout_abandoned")]
    assert [(p["product_id"], p["quantity"]) for p in checkout["products"]] == [("p7", 1), ("p8", 3)]
    assert worker.metric("tracker_unmapped_messages_total", event="Promotion Viewed") == 1
    assert worker.metric_total("tracker_dead_letters_total") == 0
    assert profile_hash(redis_client, "user-rs-2").get(b"orders") == b"1"
