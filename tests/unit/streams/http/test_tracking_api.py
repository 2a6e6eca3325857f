"""The Segment Tracking API's rules: write keys, batches with good and bad messages, what is answered."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

import pytest

from analytics_js import Browser, batch
from builders import T0
from streams.core.intake import Intake
from streams.http.collector import Rejected
from streams.http.tracking_api import dead_letters, map_messages, messages_of, read_body, write_key_of

INTAKE = Intake("site-visits", "purchases", 65_536)
NOW = T0 + timedelta(hours=1)


def basic(user: str, password: str = "") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_the_write_key_is_the_basic_user_name_or_the_bodys_write_key():
    """Server libraries send Basic auth; analytics.js puts writeKey in the body."""
    assert write_key_of(basic("k1"), {}) == "k1"
    assert write_key_of(basic("k1", "ignored"), {"writeKey": "other"}) == "k1"
    assert write_key_of({}, {"writeKey": "k2"}) == "k2"
    assert write_key_of({"Authorization": "Basic not-base64!"}, {"writeKey": "k2"}) is None
    assert write_key_of({}, {"batch": []}) is None and write_key_of({}, ["k"]) is None


def test_a_batch_as_analytics_js_sends_it_maps_every_message():
    browser = Browser("anon-1")
    body = batch(browser.page(T0), browser.identify(T0, "user-1"),
                 browser.track(T0, "Product Added", product_id="p1", price=5), sent_at=T0)
    outcome = map_messages(messages_of(read_body(json.dumps(body).encode()), "batch"), INTAKE, NOW)
    assert [(r.topic, r.key) for r in outcome.records] == [
        ("site-visits", b"anon-1"), ("site-visits", b"user-1"), ("site-visits", b"user-1")]
    assert [json.loads(r.value)["type"] for r in outcome.records] == [  # type: ignore[arg-type]
        "page_viewed", "customer_identified", "cart_item_added"]
    assert outcome.answer() == (200, {"success": True, "accepted": 3, "rejected": []})


def test_good_messages_go_through_bad_ones_are_listed_and_unmapped_ones_named():
    browser = Browser("anon-1")
    messages = [browser.page(T0), {"type": "page", "timestamp": "2026-03-02T10:00:00Z"},
                browser.track(T0, "Pop-up Email Viewed"), browser.track(T0, "Product Added", product_id="p1",
                                                                        price="cheap"),
                browser.track(T0, "Order Completed", order_id="o1", total=10), "not a message"]
    outcome = map_messages(messages, INTAKE, NOW)
    status, answer = outcome.answer()
    assert status == 200 and answer["accepted"] == 3
    assert [(r["index"], r["reason"]) for r in answer["rejected"]] == [  # type: ignore[union-attr]
        (1, "missing_field"), (3, "wrong_type"), (5, "wrong_type")]
    assert [json.loads(r.value)["type"] for r in outcome.records] == [  # type: ignore[arg-type]
        "page_viewed", "activity", "order_placed"]
    assert [r.topic for r in outcome.records] == ["site-visits", "site-visits", "purchases"]
    letters = [json.loads(value) for _, value in dead_letters(outcome, "/v1/batch", NOW)]
    assert [(d["reason"], d["topic"], d["offset"]) for d in letters] == [
        ("missing_field", "http:/v1/batch", 1), ("wrong_type", "http:/v1/batch", 3), ("wrong_type", "http:/v1/batch", 5)]
    assert json.loads(base64.b64decode(letters[1]["value_base64"]))["properties"]["price"] == "cheap"


def test_a_batch_of_only_bad_messages_is_a_400_with_each_reason():
    status, answer = map_messages([{"type": "page"}], INTAKE, NOW).answer()
    assert status == 400 and answer["rejected"][0]["index"] == 0  # type: ignore[index]


def test_a_single_call_takes_its_type_from_the_path_and_a_missing_timestamp_is_now():
    [message] = messages_of({"userId": "u1", "event": "Product Viewed", "properties": {"sku": "s1"}}, "track")
    outcome = map_messages([message], INTAKE, NOW)
    body = json.loads(outcome.records[0].value)  # type: ignore[arg-type]
    assert body["type"] == "product_viewed" and body["occurred_at"].startswith(NOW.isoformat()[:19])


def test_a_batchs_context_applies_to_each_message_which_may_override_it():
    messages = messages_of({"batch": [{"type": "identify", "userId": "u1"},
                                      {"type": "identify", "userId": "u2", "context": {"timezone": "Asia/Tokyo"}}],
                            "context": {"timezone": "Europe/Paris"}}, "batch")
    outcome = map_messages(messages, INTAKE, NOW)
    zones = [json.loads(r.value)["traits"]["time_zone"] for r in outcome.records]  # type: ignore[arg-type]
    assert zones == ["Europe/Paris", "Asia/Tokyo"]


@pytest.mark.parametrize(("raw", "status"), [
    (b"not json", 400), (b'{"batch": []}', 400), (b'{"batch": {}}', 400), (b"[1, 2]", 400),
    (json.dumps({"batch": [{}] * 2501}).encode(), 413), (b"\xff\xfe", 400),
])
def test_malformed_empty_and_oversized_bodies_are_refused(raw, status):
    with pytest.raises(Rejected) as caught:
        messages_of(read_body(raw), "batch")
    assert caught.value.status == status


def test_a_device_clocks_error_is_taken_out_of_its_timestamps_as_sent_at_shows_it():
    """A phone set an hour ahead: its sentAt is an hour ahead of the arrival, so are its timestamps; they are moved back
    (Segment's and PostHog's rule), rather than refused as in the future. Forwarded messages (receivedAt) are left."""
    ahead = timedelta(hours=2)
    browser = Browser("anon-1")
    body = batch(browser.track(NOW + ahead - timedelta(seconds=30), "Product Added", product_id="p1"),
                 browser.page(NOW + ahead - timedelta(seconds=10)), sent_at=NOW + ahead)
    outcome = map_messages(messages_of(body, "batch"), INTAKE, NOW)
    assert outcome.answer()[0] == 200 and not outcome.rejected
    assert [happened(r.value) for r in outcome.records] == [NOW - timedelta(seconds=30), NOW - timedelta(seconds=10)]
    single = {**browser.page(NOW - timedelta(hours=3)), "sentAt": (NOW - timedelta(hours=3)).isoformat()}
    [record] = map_messages(messages_of(single, "page"), INTAKE, NOW).records
    assert happened(record.value) == NOW  # a clock three hours behind
    forwarded = {**single, "receivedAt": (NOW - timedelta(hours=3)).isoformat()}
    [record] = map_messages(messages_of(forwarded, "page"), INTAKE, NOW).records
    assert happened(record.value) == NOW - timedelta(hours=3)


def happened(value: bytes | None) -> datetime:
    return datetime.fromisoformat(json.loads(value or b"")["occurred_at"])
