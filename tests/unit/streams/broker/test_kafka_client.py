"""The pause aiokafka's metadata refresh takes after a failure (streams/kafka_client.py)."""

from __future__ import annotations

import time

from aiokafka.client import AIOKafkaClient

from streams.broker.client import pause_after_failed_metadata_refresh


async def test_a_failed_refresh_waits_the_retry_backoff_before_the_next_can_start() -> None:
    """No broker known, so the refresh fails at once; patched, it returns only after the backoff."""
    pause_after_failed_metadata_refresh()
    client = AIOKafkaClient(bootstrap_servers="127.0.0.1:9", retry_backoff_ms=300)
    started = time.monotonic()
    assert await client._metadata_update(client.cluster, []) is False
    assert time.monotonic() - started >= 0.3


def test_installing_twice_wraps_once() -> None:
    pause_after_failed_metadata_refresh()
    once = AIOKafkaClient._metadata_update
    pause_after_failed_metadata_refresh()
    assert AIOKafkaClient._metadata_update is once
