"""Offers over time through the tracker: targeting, guard rails, outcomes and replays."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry

from offers import QuietHours, default_policy
from streams.core.intake import Intake
from streams.core.lifecycle import Rules
from streams.metrics import Metrics
from streams.broker.base import Topics
from streams.worker.tracker import Tracker

from builders import T0, event, record
from fakes import Clock, MemoryPublisher, MemoryStore


def triggers(publisher) -> list[dict]:
    return [json.loads(v) for v in publisher.on("offer-triggers")]


def outcomes(publisher) -> list[dict]:
    return [json.loads(v) for v in publisher.on("offer-outcomes")]


async def abandon_cart(tracker, clock, customer="c1", at=timedelta(0)):
    await tracker.handle([record(event("cart_item_added", customer, at=at))])
    clock.now = T0 + at + timedelta(minutes=31)
    await tracker.fire_due([0])


async def test_a_purchase_within_the_validity_converts_the_offer(tracker, publisher, clock):
    """A purchase with the offer's code within the hour yields a `converted` outcome."""
    await abandon_cart(tracker, clock)
    [trigger] = triggers(publisher)
    code = trigger["incentive"]["code"]
    await tracker.handle([record(event("order_placed", at=timedelta(minutes=50), discount_code=code))])
    [outcome] = outcomes(publisher)
    assert (outcome["offer_id"], outcome["outcome"]) == (trigger["offer_id"], "converted")


async def test_an_offer_nobody_used_expires(tracker, publisher, clock):
    """When the validity passes without a purchase, the outcome is `expired`."""
    await abandon_cart(tracker, clock)
    clock.advance(minutes=61)
    await tracker.fire_due([0])
    assert [o["outcome"] for o in outcomes(publisher)] == ["expired"]


async def test_a_discount_code_not_used_in_the_purchase_cancels_the_offer(tracker, publisher, clock):
    """A first cart earns free shipping with a code; buying without it tells email systems to stop."""
    await abandon_cart(tracker, clock)
    [trigger] = triggers(publisher)
    assert trigger["incentive"]["type"] == "free_shipping" and trigger["incentive"]["code"]
    assert trigger["reason"]["rule"] == "first_cart"
    await tracker.handle([record(event("order_placed", at=timedelta(minutes=40), discount_code="OTHER"))])
    assert [o["outcome"] for o in outcomes(publisher)] == ["cancelled"]


async def test_quiet_hours_defer_the_offer_to_the_morning(store, publisher, rules):
    """An abandonment at night in the customer's time zone is sent when quiet hours end."""
    clock = Clock(T0.replace(hour=22))
    tracker = _tracker(store, publisher, clock, rules, default_policy())
    await tracker.handle([record(event("customer_identified", at=T0.replace(hour=22),
                                       traits={"time_zone": "Europe/London"})),
                          record(event("cart_item_added", at=T0.replace(hour=22, minute=1)))])
    clock.advance(minutes=40)
    await tracker.fire_due([0])
    assert triggers(publisher) == []
    clock.now = T0.replace(hour=8, minute=0, second=1) + timedelta(days=1)
    await tracker.fire_due([0])
    [trigger] = triggers(publisher)
    assert trigger["issued_at"].startswith((T0 + timedelta(days=1)).date().isoformat() + "T08:00")


async def test_a_purchase_during_quiet_hours_cancels_the_deferred_offer(store, publisher, rules):
    """A deferred offer is not sent once the customer has bought."""
    clock = Clock(T0.replace(hour=22))
    tracker = _tracker(store, publisher, clock, rules, default_policy())
    await tracker.handle([record(event("cart_item_added", at=T0.replace(hour=22)))])
    clock.advance(minutes=40)
    await tracker.fire_due([0])
    await tracker.handle([record(event("order_placed", at=T0.replace(hour=23)))])
    clock.advance(hours=12)
    await tracker.fire_due([0])
    assert triggers(publisher) == []
    assert [o["outcome"] for o in outcomes(publisher)] == ["cancelled"]


async def test_held_out_customers_get_no_trigger_but_are_measured(store, publisher, rules, clock):
    """The hold-out group gets nothing; its purchases count toward the uplift baseline."""
    policy = replace(default_policy(), quiet_hours=QuietHours(start=0, end=0), holdout_percent=100)
    metrics = Metrics(CollectorRegistry())
    tracker = _tracker(store, publisher, clock, rules, policy, metrics=metrics)
    await abandon_cart(tracker, clock)
    await tracker.handle([record(event("order_placed", at=timedelta(minutes=45)))])
    assert triggers(publisher) == [] and outcomes(publisher) == []
    assert store.states["c1"].profile.holdout_conversions == 1
    assert metrics.registry.get_sample_value(
        "tracker_offer_outcomes_total", {"outcome": "converted", "group": "holdout"}) == 1


@pytest.mark.parametrize("batching", [1, 7])
async def test_an_event_time_replay_gives_the_same_triggers_every_time(rules, policy, batching):
    """With the event-time clock, triggers depend on the events only, not on when they are handled."""
    from streams.demo.simulate import in_time_order, simulate
    from streams.core.events import dump

    shoppers = simulate(30, seed=5, start=T0, pace=timedelta(minutes=3), spread=timedelta(hours=3))
    records = [record(json.loads(dump(e))) for e in in_time_order(shoppers)]
    runs = []
    for size in (batching, 50):
        publisher = MemoryPublisher()
        wall = Clock(T0 + timedelta(days=300))  # the wall clock must not matter
        tracker = _tracker(MemoryStore(), publisher, wall, replace(rules, event_time=True), policy)
        for i in range(0, len(records), size):
            await tracker.handle(records[i:i + size])
            await tracker.fire_due([0])
        runs.append(sorted(publisher.on("offer-triggers")))
    assert runs[0] and runs[0] == runs[1]


def _tracker(store, publisher, clock, rules: Rules, policy, metrics=None) -> Tracker:
    return Tracker(
        store=store, publisher=publisher, intake=Intake("site-visits", "purchases", 65_536, max_future=timedelta(days=999)),
        rules=rules, policy=policy, topics=Topics("offer-triggers", "offer-outcomes", "tracker-dead-letters"),
        metrics=metrics or Metrics(CollectorRegistry()), clock=clock, retry_seconds=0.001,
    )
