"""Behavioural segments in a running worker: learned from the stream, a new kind of customer reported as emerging."""

from __future__ import annotations

import json
import random
import time
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from harness import wait_until


def get(worker, path: str) -> dict:
    with urllib.request.urlopen(worker.url(path), timeout=10) as response:
        return json.load(response)


def campaign_shopper(n: int, at: datetime, rng: random.Random) -> list[dict[str, object]]:
    """A new kind of customer: from a new campaign's channel, after gadgets, reading a lot, buying with a big code."""
    customer = f"tt-{n:03d}"
    events: list[dict[str, object]] = []

    def add(kind: str, **fields: object) -> None:
        nonlocal at
        at += timedelta(seconds=rng.uniform(0.2, 0.8))
        events.append({"event_id": uuid.uuid4().hex, "type": kind, "customer_id": customer,
                       "occurred_at": at.isoformat(), "session_id": f"s-{customer}", **fields})

    add("page_viewed", url="/", page_type="home", channel="tiktok_campaign")
    for i in range(10):
        add("product_viewed", product_id=f"gad-{i % 4}", category="gadgets", price=39.0)
    for i in range(3):
        add("cart_item_added", product_id=f"gad-{i}", quantity=1, price=39.0, category="gadgets")
    add("checkout_started")
    add("order_placed", order_id=f"o-{customer}", total=82.0, currency="GBP", discount_code="TIKTOK30",
        discount_amount=35.0, line_items=[{"product_id": f"gad-{i}", "price": 39.0, "category": "gadgets"}
                                          for i in range(3)])
    return events


@pytest.mark.worker(segments_warm_up=60, segments_refresh_every=20, segments_report_seconds=1,
                    segments_min_customers=5, insights_max_age_seconds=0.5, checkpoint_interval_seconds=2)
def test_a_new_kind_of_customer_is_reported_as_emerging(worker, kafka):
    """The usual shop forms segments; shoppers of a new campaign then appear as a new segment, on every channel."""
    from streams.core.events import dump
    from streams.demo.simulate import in_time_order, simulate

    now = datetime.now(timezone.utc)
    # Events of a visit half a second apart: the test worker ends a visit after 2 s of silence.
    usual = simulate(150, seed=21, start=now - timedelta(minutes=20), pace=timedelta(seconds=0.5),
                     spread=timedelta(minutes=10))
    for e in in_time_order(usual):
        kafka.send(json.loads(dump(e)))
    kafka.flush()
    wait_until(lambda: worker.metric("tracker_behaviour_segments") >= 2, timeout=60,
               message="the usual shop's segments")
    before = wait_until(lambda: get(worker, "/segments")["behaviour"]["personas"] and get(worker, "/segments")["behaviour"],
                        timeout=20, message="the segments in the API")
    assert all(card["name"] and card["avatar"].startswith("<svg") for card in before["personas"])
    # The model settles (twice its warm-up learned); the report timer takes that as the baseline.
    wait_until(lambda: worker.metric("tracker_model_examples_total", model="segments") >= 145, timeout=60,
               message="the usual visits learned")
    time.sleep(3)
    assert worker.metric("tracker_segment_changes_total", change="new") == 0

    rng = random.Random(3)
    # Half a day earlier than the others: their visits end (and teach the model) at once.
    start = now - timedelta(hours=12)
    for n in range(45):
        for e in campaign_shopper(n, start + timedelta(minutes=n), rng):
            kafka.send(e)
    kafka.flush()

    wait_until(lambda: worker.metric("tracker_segment_changes_total", change="new") >= 1, timeout=90,
               message="the new kind of customer reported as a new segment")
    after = get(worker, "/segments")["behaviour"]
    cards = {card["segment"]: card for card in after["personas"]}
    news = [n for n in after["news"] if n["change"] == "new" and n["segment"] in cards
            and cards[n["segment"]]["typical_customer"].startswith("tt-")]
    assert news, after["news"]
    assert news[0]["detail"].startswith("new segment: ") and "% of active customers" in news[0]["detail"]
    emerged = news[0]["segment"]
    card = cards[emerged]
    assert any(name == "tiktok_campaign" for name, _ in card["channels"]) or any(
        name == "gadgets" for name, _ in card["categories"])
    planted = get(worker, "/customers/tt-007")
    assert planted["behaviour"]["segment"] == emerged, (
        [n["detail"] for n in after["news"]],
        [(c["segment"], c["name"], c["size"], c["typical_customer"]) for c in after["personas"]])
    assert "new segment: " in worker.log()
    page = urllib.request.urlopen(worker.url("/"), timeout=5).read().decode()
    assert "segment-news" in page
