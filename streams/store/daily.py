"""The page's daily figures in Redis (``tracker:daily:<family>`` hashes): counted, set, read back.

What the figures mean is :mod:`streams.core.daily`'s; this module only writes and reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streams.store.keys import DAILY_FAMILIES, daily_key


class DailyStore:
    """Adds to and sets fields of the daily hashes, and reads them all back."""

    def __init__(self, client: Any) -> None:
        #: A redis-py asyncio client (standalone or cluster).
        self._redis = client

    async def write(self, counts: Mapping[str, Mapping[str, float]], latest: Mapping[str, Mapping[str, float]]) -> None:
        """Add ``counts`` ({family: {field: n}}) and set ``latest`` ({family: {field: value}}), pipelined."""
        if not any(counts.values()) and not any(latest.values()):
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for family, fields in counts.items():
                for name, n in fields.items():
                    pipe.hincrbyfloat(daily_key(family), name, n)
            for family, fields in latest.items():
                if fields:
                    pipe.hset(daily_key(family), mapping=dict(fields))
            await pipe.execute()

    async def read(self) -> dict[str, dict[str, float]]:
        """Every family's fields as {family: {field: value}}."""
        out = {}
        for family in DAILY_FAMILIES:
            raw = await self._redis.hgetall(daily_key(family))
            out[family] = {_text(k): float(v) for k, v in raw.items()}
        return out


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
