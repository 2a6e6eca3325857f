"""Bad input on the input topics: dead-lettered with its reason, counted, and the next event processed.

The cases share one worker (starting one per case cost more than the cases themselves); each
has its own input bytes, reason and good customer, so each finds its own letter, count and
profile. Their own module, so the worker is gone before another test's worker shares Redis
with it (the timers of every worker on one Redis fire the deadlines of their partitions).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import redis

from builders import event
from harness import Kafka, RunningWorker, fresh_settings, wait_until
from test_pipeline import profile


def at(seconds: float = 0) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


BAD_INPUT = [
    pytest.param(b'{"event_id": "x", "type": ', "c-bad", "malformed_json", id="malformed-json"),
    pytest.param(b'{"event_id":"x","type":"page_viewed","customer_id":"c-bad","occurred_at":"2026-01-01T00:00:00Z"}',
                 "c-bad", "missing_field", id="missing-field"),
    pytest.param(b'{"event_id":"x","type":"cart_item_added","customer_id":"c-bad","occurred_at":"2026-01-01T00:00:00Z",'
                 b'"product_id":"p","price":"free"}', "c-bad", "wrong_type", id="wrong-type"),
    pytest.param(b'{"event_id":"x","type":"teleported","customer_id":"c-bad","occurred_at":"2026-01-01T00:00:00Z"}',
                 "c-bad", "unknown_type", id="unknown-type"),
    pytest.param(b'{"event_id":"x","type":"page_viewed","customer_id":"c-bad","occurred_at":"2026-01-01T00:00:00",'
                 b'"url":"/"}', "c-bad", "naive_timestamp", id="naive-timestamp"),
    pytest.param(b'{"event_id":"x","type":"searched","customer_id":"c-bad","occurred_at":"2026-01-01T00:00:00Z",'
                 b'"query":"' + b"q" * 70_000 + b'"}', "c-bad", "too_large", id="over-size-limit"),
    pytest.param(b'{"event_id":"x","type":"page_viewed","customer_id":"c-bad","occurred_at":"2026-01-01T00:00:00Z",'
                 b'"url":"/"}', "someone-else", "key_mismatch", id="key-mismatch"),
    # An unset date as .NET writes it (DateTime.MinValue): taken, it overflowed the worker's steps and stopped it.
    pytest.param(b'{"event_id":"x","type":"page_viewed","customer_id":"c-bad","occurred_at":"0001-01-01T00:00:00Z",'
                 b'"url":"/"}', "c-bad", "invalid_field", id="year-one"),
]


@pytest.fixture(scope="module")
def dead_letter_worker(services, tmp_path_factory) -> Iterator[tuple[RunningWorker, Kafka]]:
    """One worker for every kind of bad input: each case's letter, reason and good customer are its own."""
    with redis.Redis.from_url(services["redis"]) as client:
        client.flushdb()
    settings = fresh_settings(services)
    running = RunningWorker(settings, tmp_path_factory.mktemp("dead-letters") / "worker.log").start()
    client = Kafka(settings)
    yield running, client
    client.close()
    running.stop()
    print("---- worker log (tail) ----\n" + running.log()[-4000:])


@pytest.mark.parametrize(("raw", "key", "reason"), BAD_INPUT)
def test_bad_input_is_dead_lettered_counted_and_the_next_event_processed(
    dead_letter_worker, services, raw, key, reason
):
    """Each kind of bad input lands on the dead-letter topic with its reason; the agent carries on."""
    worker, kafka = dead_letter_worker
    good = f"good-{reason}"
    kafka.send(raw, key=key)
    kafka.send(event("page_viewed", good, at()))
    kafka.flush()
    # The worker is shared by the cases: this case's letters are those of its input.
    [letter] = kafka.read(worker.settings.dead_letters_topic, at_least=1, timeout=30, settle=1,
                          where=lambda letter: base64.b64decode(letter["value_base64"]) == raw)
    assert letter["reason"] == reason
    assert letter["topic"] == worker.settings.site_visits_topic
    assert isinstance(letter["partition"], int) and isinstance(letter["offset"], int)
    assert base64.b64decode(letter["value_base64"]) == raw
    assert letter["detail"]
    redis_client = redis.Redis.from_url(services["redis"])  # no flush: the shared worker's state is there
    try:
        wait_until(lambda: profile(redis_client, good).get("page_views") == "1", message="the good event")
    finally:
        redis_client.close()
    assert worker.metric("tracker_dead_letters_total", reason=reason) == 1
