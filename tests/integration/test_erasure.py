"""Erasure on real Kafka and Redis: every key of the customer goes, later events are dropped, a tombstone is left."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest

from cli_runs import tracker
from builders import event
from harness import wait_until

KEY = "s3cret-admin-key"


def now() -> datetime:
    return datetime.now(timezone.utc)


def delete(worker, customer_id: str, token: str | None) -> tuple[int, dict]:
    request = urllib.request.Request(worker.url(f"/customers/{customer_id}"), method="DELETE")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def tombstones(settings) -> list[tuple[str, bytes | None]]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False)
    partitions = [TopicPartition(settings.erasures_topic, p) for p in range(settings.partitions)]
    consumer.assign(partitions)
    for partition in partitions:
        consumer.seek(partition, 0)
    found = []
    for _ in range(10):
        for batch in consumer.poll(timeout_ms=300).values():
            found += [(m.key.decode(), m.value) for m in batch]
    consumer.close()
    return found


@pytest.mark.worker(admin_api_key=KEY)
def test_delete_customer_removes_every_key_and_drops_later_events(worker, kafka, worker_settings, redis_client):
    """DELETE /customers/{id} needs the key, removes all the customer's keys, leaves a tombstone."""
    kafka.send(event("cart_item_added", "gdpr-1", now()))
    kafka.send(event("page_viewed", "keep-1", now()))
    kafka.flush()
    wait_until(lambda: redis_client.exists("tracker:{gdpr-1}:profile"), message="the profile")

    assert delete(worker, "gdpr-1", None)[0] == 401
    assert delete(worker, "gdpr-1", "wrong-key")[0] == 401
    status, body = delete(worker, "gdpr-1", KEY)
    # One key per customer (profile, visits and dedupe marks packed together), the outbox if any.
    assert status == 200 and body["deleted_keys"] >= 1 and body["suppressed"] is True
    assert [k.decode() for k in redis_client.scan_iter(match="tracker:{gdpr-1}:*")] == ["tracker:{gdpr-1}:forgotten"]
    assert all(b"gdpr-1" not in m for m in redis_client.zrange("tracker:deadlines:{p0}", 0, -1))
    assert redis_client.exists("tracker:{keep-1}:profile")

    kafka.send(event("page_viewed", "gdpr-1", now()))
    kafka.flush()
    wait_until(lambda: worker.metric("tracker_forgotten_events_total") == 1, message="the dropped event")
    assert not redis_client.exists("tracker:{gdpr-1}:profile")
    assert ("gdpr-1", None) in tombstones(worker_settings)


def test_tracker_forget_erases_from_the_command_line(worker, kafka, worker_settings, redis_client):
    """`tracker forget ID` does the same from a shell."""
    from streams.demo.run import settings_env

    kafka.send(event("order_placed", "gdpr-2", now()))
    kafka.flush()
    wait_until(lambda: redis_client.exists("tracker:{gdpr-2}:profile"), message="the profile")
    result = tracker("forget", "gdpr-2", "--no-suppression", env={**os.environ, **settings_env(worker_settings)})
    assert result.returncode == 0, result.stderr
    assert "forgot gdpr-2" in result.stdout
    assert list(redis_client.scan_iter(match="tracker:{gdpr-2}:*")) == []
    assert ("gdpr-2", None) in tombstones(worker_settings)
