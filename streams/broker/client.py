"""aiokafka's metadata refresh, with a pause after a failed one.

With the broker unreachable, aiokafka 0.12 refreshes metadata in a loop without pausing:
a refresh fails at once (connection refused), and the consumer's fetcher, which finds no
partition leader, asks for the next one straight away (aio-libs/aiokafka#496, #1155). A
worker then logs hundreds to thousands of failed refreshes a second, and burns CPU, until
the broker is back. Pausing ``retry_backoff_ms`` (100 ms) after a failed refresh, as the
Java client does, bounds that to a few a second; a successful refresh is not delayed.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from aiokafka.client import AIOKafkaClient

_MARK = "_tracker_pauses_after_failure"


def pause_after_failed_metadata_refresh() -> None:
    """Make every aiokafka client wait its retry backoff after a failed metadata refresh (idempotent)."""
    refresh = AIOKafkaClient._metadata_update
    if getattr(refresh, _MARK, False):
        return

    @functools.wraps(refresh)
    async def refresh_then_pause_on_failure(self: AIOKafkaClient, *args: Any, **kwargs: Any) -> bool:
        updated = await refresh(self, *args, **kwargs)
        if not updated:
            await asyncio.sleep(self._retry_backoff)
        return updated

    setattr(refresh_then_pause_on_failure, _MARK, True)
    AIOKafkaClient._metadata_update = refresh_then_pause_on_failure  # type: ignore[method-assign]
