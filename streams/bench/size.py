"""``size``: Redis bytes per profile and per customer, of what is in Redis now."""

from __future__ import annotations

import math
from streams.bench.common import (
    Progress,
    bench_store,
    percentile,
)
from streams.settings import Settings
from streams.store.keys import CUSTOMER_KEYS_PATTERN, customer_of_key, profile_key


async def bench_profile_size(settings: Settings, *, progress: Progress = print) -> dict[str, object]:
    """Redis bytes per customer (``MEMORY USAGE`` of every key of each customer) in the configured Redis.

    Run it after a replay or on a live shop: it measures what is there.
    """
    store = bench_store(settings)
    client = store.client
    per_profile: list[int] = []
    per_customer: dict[str, int] = {}
    try:
        progress("measuring every customer's keys (MEMORY USAGE)")
        keys = [key async for key in client.scan_iter(match=CUSTOMER_KEYS_PATTERN, count=5000)]
        for i in range(0, len(keys), 1000):
            chunk = keys[i:i + 1000]
            pipe = client.pipeline(transaction=False)
            for key in chunk:
                pipe.memory_usage(key, samples=0)
            for key, size in zip(chunk, await pipe.execute()):
                name = key.decode()
                customer = customer_of_key(name)
                per_customer[customer] = per_customer.get(customer, 0) + int(size or 0)
                if name == profile_key(customer):
                    per_profile.append(int(size or 0))
    finally:
        await store.close()
    totals = list(per_customer.values())
    if not totals:
        progress("no customers in Redis: nothing to measure")
    return {
        "customers": len(per_customer),
        "profile_bytes_p50": _rounded(percentile(per_profile, 0.5)),
        "profile_bytes_p99": _rounded(percentile(per_profile, 0.99)),
        "profile_bytes_max": max(per_profile, default=None),
        "customer_bytes_p50": _rounded(percentile(totals, 0.5)),
        "customer_bytes_p99": _rounded(percentile(totals, 0.99)),
        "target_bytes": 1024,
    }


def _rounded(value: float) -> int | None:
    """Whole bytes, or None when there was nothing to measure (the percentile of nothing is NaN)."""
    return None if math.isnan(value) else round(value)
