"""``lookup``: the due lookup (``ZRANGEBYSCORE … LIMIT``) on deadline sets of growing size: O(log n)."""

from __future__ import annotations

import statistics
import time

from streams.bench.common import (
    BENCH_PREFIX,
    Progress,
    bench_store,
)
from streams.settings import Settings
from streams.store.keys import deadlines_key


async def bench_due_lookup(
    settings: Settings, *, sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000), samples: int = 300,
    progress: Progress = print,
) -> dict[str, object]:
    """µs per due lookup (500 due of n) as the deadline set grows."""
    store = bench_store(settings)
    client = store.client
    key = deadlines_key(9_999)  # a partition number no worker owns
    rows = []
    try:
        await client.delete(key)
        filled = 0
        now = time.time()
        for size in sizes:
            progress(f"deadline set of {size:,} customers")
            while filled < size:
                pipe = client.pipeline(transaction=False)
                # The first 500 are due, the rest later: every lookup returns exactly 500.
                batch = {f"{BENCH_PREFIX}-{filled + i:08d}": now - 1 if filled + i < 500
                         else now + 60 + 3600 * ((filled + i) % 977) / 977
                         for i in range(min(10_000, size - filled))}
                pipe.zadd(key, batch)
                await pipe.execute()
                filled += len(batch)
            timings = []
            for _ in range(samples):
                started = time.perf_counter()
                await client.zrangebyscore(key, "-inf", now + 1, start=0, num=500)
                timings.append((time.perf_counter() - started) * 1e6)
            rows.append({"size": size, "lookup_us_p50": round(statistics.median(timings), 1)})
        base = rows[0]["lookup_us_p50"]
        for row in rows:
            row["ratio_to_smallest"] = round(row["lookup_us_p50"] / base, 2)  # type: ignore[operator]
        return {"limit": 500, "samples": samples, "sizes": rows}
    finally:
        await client.delete(key)
        await store.close()
