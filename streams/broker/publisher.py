"""The worker's :class:`~streams.broker.base.Publisher`: its Faust app's own Kafka producer."""

from __future__ import annotations

import faust


class FaustPublisher:
    """Publishes on the app's producer and waits for the broker's acknowledgement."""

    def __init__(self, app: faust.App) -> None:
        self._app = app

    async def publish(self, topic: str, key: str | None, value: bytes | None) -> None:
        await self._app.producer.send_and_wait(
            topic, key.encode() if key is not None else None, value, partition=None, timestamp=None, headers=None
        )
