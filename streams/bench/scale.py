"""``scale``: the tracker's µs per event with 10k, 100k and 1M customers in Redis."""

from __future__ import annotations

import statistics
import time
import zlib
from datetime import datetime, timedelta, timezone

from prometheus_client import CollectorRegistry

from streams.bench.common import (
    BENCH_PREFIX,
    NullPublisher,
    Progress,
    bench_store,
    clear,
    forget_bench_inputs,
    replay_parts,
)
from streams.broker.base import Topics
from streams.metrics import Metrics
from streams.settings import Settings
from streams.store.keys import customer_key_templates, outbox_key, profile_key
from streams.store import CachedStore
from streams.worker.tracker import Tracker

# The key names come from streams.store.keys as templates (ID stands for the customer id).
_FILL = """
local prefix, first, last = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
for n = first, last do
  redis.call('SET', (string.gsub(ARGV[5], 'ID', string.format('%s%07d', prefix, n))), ARGV[4])
end
return last - first + 1
"""

_UNFILL = """
local prefix, first, last = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
for n = first, last do
  local id = string.format('%s%07d', prefix, n)
  for i = 4, #ARGV do redis.call('UNLINK', (string.gsub(ARGV[i], 'ID', id))) end
end
return last - first + 1
"""
_TEMPLATES = customer_key_templates("ID")

FILL_PREFIX = f"{BENCH_PREFIX}-fill-"


async def bench_scale(
    settings: Settings, *, sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000), rounds: int = 3,
    progress: Progress = print,
) -> dict[str, object]:
    """µs per event of the tracker (no models) on Redis holding 10k … 1M customers.

    Redis is filled with ``size`` customers (a typical profile and dedupe ring each, written by
    a server-side script), then the same simulated events, remapped onto those customers so
    each one lands on an existing profile, go through the tracker ``rounds`` times; medians
    per size, and the ratio to the smallest: flat means the cost does not grow with the shop.
    """
    from streams.core.events import dump
    from streams.core.intake import Record
    from streams.core.state import Profile
    from streams.demo.simulate import in_time_order, simulate
    from streams.core.state import CustomerState
    from streams.store.keys import MARK_BYTES
    from streams.store.redis import customer_value

    start = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    events = list(in_time_order(simulate(2_000, seed=21, start=start, pace=timedelta(minutes=1),
                                         spread=timedelta(hours=6))))
    typical = Profile(first_seen=start - timedelta(days=90), last_seen=start - timedelta(days=3), sessions=7,
                      page_views=25, product_views=14, cart_adds=3, orders=2, revenue=118.5,
                      categories=(("shoes", 5), ("bags", 2)), channels=(("email", 3),))
    # One packed value each, as the store writes them, with a dedupe ring of 12 marks.
    stored = customer_value(CustomerState("", typical), version=1, marks=bytes(range(MARK_BYTES)) * 12,
                            marks_until=int(time.time()) + 86_400)
    policy, rules, intake = replay_parts(settings)
    store = bench_store(settings)
    fill, unfill = store.client.register_script(_FILL), store.client.register_script(_UNFILL)
    filled = 0
    rows = []
    try:
        for size in sorted(sizes):
            progress(f"filling Redis up to {size:,} customers")
            while filled < size:
                upto = min(filled + 50_000, size)
                await fill(args=[FILL_PREFIX, filled, upto - 1, stored, _TEMPLATES["profile"]])
                filled = upto
            def remap(customer_id: str) -> str:
                return f"{FILL_PREFIX}{zlib.crc32(customer_id.encode()) % size:07d}"
            records = []
            for n, e in enumerate(events):
                moved = e.model_copy(update={"customer_id": remap(e.customer_id)})
                records.append(Record(intake.topic_of(moved), 0, n, moved.customer_id.encode(), dump(moved)))
            timings = []
            for attempt in range(rounds):
                tracker = Tracker(
                    store=CachedStore(store, capacity=max(settings.state_cache_customers, 1)),
                    publisher=NullPublisher(), intake=intake, rules=rules, policy=policy,
                    topics=Topics(f"{BENCH_PREFIX}-t", f"{BENCH_PREFIX}-o", f"{BENCH_PREFIX}-d"),
                    metrics=Metrics(CollectorRegistry()), idle_seconds=0.0,
                )
                started = time.perf_counter()
                for i in range(0, len(records), settings.batch_size):
                    await tracker.handle(records[i:i + settings.batch_size])
                    await tracker.fire_due([0])
                timings.append((time.perf_counter() - started) / len(records) * 1e6)
                # The next round starts from the same filled customers: put back what this one changed.
                customers = {r.key.decode() for r in records if r.key}
                await store.client.delete(*{outbox_key(c) for c in customers})
                await store.client.mset({profile_key(c): stored for c in customers})
                await forget_bench_inputs(store, settings.partitions)
            rows.append({"customers": size, "us_per_event": round(statistics.median(timings), 1),
                         "redis_used_memory_mb": round((await store.client.info("memory"))["used_memory"] / 2**20)})
            progress(f"  {size:,} customers: {rows[-1]['us_per_event']} µs/event")
    finally:
        progress(f"removing the {filled:,} filler customers")
        for first in range(0, filled, 50_000):
            await unfill(args=[FILL_PREFIX, first, min(first + 50_000, filled) - 1, *_TEMPLATES.values()])
        await clear(store, settings.partitions, FILL_PREFIX.rstrip("-"))
        await store.close()
    smallest = rows[0]["us_per_event"] if rows else float("nan")
    for row in rows:
        row["ratio_to_smallest"] = round(row["us_per_event"] / smallest, 2)  # type: ignore[operator]
    return {"events": len(events), "batch_size": settings.batch_size, "sizes": rows}
