"""Model checkpoints in Redis: one versioned blob per model (``tracker:model:<name>``).

The bytes are :mod:`models.checkpoints`' format; this module only reads and writes them.
"""

from __future__ import annotations

from typing import Any

from streams.store.keys import checkpoint_key


class CheckpointStore:
    """Reads and writes the checkpoint of each model by name."""

    def __init__(self, client: Any) -> None:
        #: A redis-py asyncio client (standalone or cluster).
        self._redis = client

    async def load(self, model: str) -> bytes | None:
        """The newest checkpoint of ``model``, or None when there is none."""
        data = await self._redis.get(checkpoint_key(model))
        return bytes(data) if data is not None else None

    async def save(self, model: str, data: bytes) -> None:
        """Replace the checkpoint of ``model``."""
        await self._redis.set(checkpoint_key(model), data)
