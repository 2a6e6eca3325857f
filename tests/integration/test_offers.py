"""Offers end to end on real Kafka and Redis: kinds, guard rails, outcomes, replays."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from builders import event
from harness import Kafka, RunningWorker, wait_until


def at(seconds: float = 0) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


@pytest.mark.worker(holdout_percent=100)
def test_held_out_customers_get_no_trigger(worker, kafka, worker_settings):
    """The hold-out group is tracked but receives nothing."""
    kafka.send(event("cart_item_added", "ho-1", at()))
    kafka.flush()
    wait_until(lambda: worker.metric("tracker_offers_held_out_total", kind="cart_abandoned") == 1,
               timeout=30, message="the hold-out")
    assert kafka.read(worker_settings.offer_triggers_topic, at_least=1, timeout=3) == []
    assert worker.metric("tracker_offers_opened_total", group="holdout") == 1


@pytest.mark.worker(quiet_hours_enabled=True)
def test_quiet_hours_defer_the_trigger(worker, kafka, worker_settings):
    """At night in the customer's time zone the trigger is deferred, not sent."""
    night_zone = _zone_where_it_is_night()
    kafka.send(event("customer_identified", "qh-1", at(), traits={"time_zone": night_zone}))
    kafka.send(event("cart_item_added", "qh-1", at(0.1)))
    kafka.flush()
    wait_until(lambda: worker.metric("tracker_offers_deferred_total", kind="cart_abandoned") == 1,
               timeout=30, message="the deferral")
    assert kafka.read(worker_settings.offer_triggers_topic, at_least=1, timeout=3) == []


def _zone_where_it_is_night() -> str:
    """A time zone whose local hour now is inside the default quiet hours (21:00-08:00)."""
    now = datetime.now(timezone.utc)
    for offset in range(-12, 15):
        name = f"Etc/GMT{-offset:+d}" if offset else "UTC"  # Etc/GMT signs are inverted
        if not 8 <= now.astimezone(ZoneInfo(name)).hour < 21:
            return name
    raise AssertionError("some zone is always at night")


@pytest.mark.worker(clock="event", session_timeout_seconds=1800)
def test_an_event_time_replay_twice_gives_identical_triggers(worker_settings, redis_client, tmp_path):
    """Replaying history on the event-time clock yields the same triggers, run after run."""
    from streams.core.events import dump
    from streams.demo.simulate import in_time_order, simulate

    start = datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc)
    shoppers = simulate(30, seed=9, start=start, pace=timedelta(minutes=2), spread=timedelta(hours=4))
    events = [json.loads(dump(e)) for e in in_time_order(shoppers)]
    # A late event per partition moves every watermark past the last session's timeout.
    closing = [event("page_viewed", f"closer-{n}", start + timedelta(days=2)) for n in range(40)]

    def replay(settings, log_name: str) -> list[str]:
        running = RunningWorker(settings, tmp_path / log_name).start()
        client = Kafka(settings)
        try:
            for body in events + closing:
                client.send(body)
            client.flush()
            triggers = client.read(settings.offer_triggers_topic, at_least=1, timeout=40, settle=4)
        finally:
            client.close()
            running.stop()
        return sorted(json.dumps(t, sort_keys=True) for t in triggers)

    first = replay(worker_settings, "first.log")
    redis_client.flushdb()
    second = replay(_fresh_topics(worker_settings), "second.log")
    assert first == second, (sorted(set(first) - set(second)), sorted(set(second) - set(first)))
    expected = {(c.customer_id, c.persona.expected_trigger) for c in shoppers if c.persona.expected_trigger}
    assert {(json.loads(t)["customer_id"], json.loads(t)["kind"]) for t in first} == expected
    assert all(json.loads(t)["issued_at"].startswith("2025-06-") for t in first)


def _fresh_topics(settings):
    import uuid

    run = uuid.uuid4().hex[:8]
    return settings.model_copy(update={
        "app_id": f"tracker-replay-{run}", "site_visits_topic": f"site-visits-{run}",
        "purchases_topic": f"purchases-{run}", "offer_triggers_topic": f"offer-triggers-{run}",
        "offer_outcomes_topic": f"offer-outcomes-{run}", "dead_letters_topic": f"tracker-dead-letters-{run}",
    })
