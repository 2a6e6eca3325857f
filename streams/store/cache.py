"""Customers kept in the worker's memory between batches: Redis is read once per customer, not per batch.

A worker owns its input partitions, so the customers of those partitions are written by it
alone and the copy it saved last is the stored state.  :class:`CachedStore` wraps a
:class:`~streams.store.redis.RedisStore` and keeps, per customer, the state, the dedupe
marks, the outbox and the version it last loaded or saved; a load reads Redis only for
customers it does not hold, and a save writes through (Redis stays the durable store and what
the API reads), then keeps what it wrote.

Why a stale copy cannot do harm: every save names the version it was computed from, and
Redis refuses it if the stored state moved on since (another worker took the partition and
saved the customer, an erasure deleted them, a login on another partition merged this
visitor).  The refused customer is dropped from memory, the tracker applies their events
again to the state Redis holds, and their timer is woken to look at it.

Memory is bounded: at most ``capacity`` customers, the least recently used go first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from streams.core.state import CustomerState, Profile
from streams.store.base import Change, DeadlineCounts, Delivered, Loaded, Offsets, OutboxEntry, Progress
from streams.store.keys import MARK_BYTES, event_mark, marks_of
from streams.store.redis import RedisStore, own_parts


@dataclass(slots=True)
class _Held:
    """One customer as this worker last loaded or saved them."""

    state: CustomerState
    version: int
    #: The dedupe ring as stored, and its digests as a set for the lookups.
    ring: bytes
    digests: set[bytes]
    outbox: dict[str, OutboxEntry] = field(default_factory=dict)


class CachedStore:
    """A :class:`~streams.store.base.StateStore` that keeps the customers it read or wrote in memory."""

    def __init__(
        self, inner: RedisStore, *, capacity: int = 100_000, dedupe_events: int = 64,
        counted: Callable[[int, int], None] | None = None,
    ) -> None:
        """``counted(hits, misses)`` is told each load's customers found in memory and read from Redis."""
        self._inner = inner
        self._capacity = capacity
        self._ring_bytes = dedupe_events * MARK_BYTES
        self._held: dict[str, _Held] = {}  # insertion order is recency: the first is evicted first
        self._counted = counted

    def __len__(self) -> int:
        return len(self._held)

    @property
    def inner(self) -> RedisStore:
        return self._inner

    def drop(self, customer_ids: Iterable[str] | None = None) -> None:
        """Forget customers held in memory (all of them with None): the next load reads Redis."""
        if customer_ids is None:
            self._held.clear()
            return
        for customer_id in customer_ids:
            self._held.pop(customer_id, None)

    async def load(self, wanted: dict[str, Sequence[str]], *, fresh: Collection[str] = ()) -> dict[str, Loaded]:
        """Each customer from memory if held (``fresh`` ones never), else from Redis (one round trip for all)."""
        out: dict[str, Loaded] = {}
        missing: dict[str, Sequence[str]] = {}
        held = self._held
        for customer_id, event_ids in wanted.items():
            item = held.pop(customer_id, None)
            if customer_id in fresh:
                item = None
            if item is None:
                missing[customer_id] = event_ids
                continue
            held[customer_id] = item  # the most recently used now
            digests = item.digests
            seen = {e for e in event_ids if event_mark(e) in digests} if digests and event_ids else set()
            # Changed in place by the batch (no copy of its parts): what is saved is taken back
            # below, and a refused save drops it.
            out[customer_id] = Loaded(item.state, seen, list(item.outbox.values()), False, item.version,
                                      owned=own_parts(item.state))
        if self._counted is not None:
            self._counted(len(out), len(missing))
        if missing:
            for customer_id, loaded in (await self._inner.load(missing)).items():
                out[customer_id] = loaded
                if not loaded.forgotten:
                    self._hold(customer_id, _Held(
                        loaded.state, loaded.version, loaded.marks,
                        marks_of(loaded.marks),
                        {entry.entry_id: entry for entry in loaded.outbox},
                    ))
        return out

    async def save(
        self, changes: Sequence[Change], *, offsets: Offsets | None = None, tokens: Mapping[int, int] | None = None,
    ) -> list[str]:
        """Write through to Redis; keep what was written; drop the refused customers (returned)."""
        refused = await self._inner.save(changes, offsets=offsets, tokens=tokens)
        stale = set(refused)
        held = self._held
        for change in changes:
            customer_id = change.state.customer_id
            item = held.get(customer_id)
            if customer_id in stale or change.version is None or item is None or item.version != change.version:
                # Refused, written unconditionally (a merged visitor), or not computed from the
                # copy held: the stored version is not known here, Redis is read next time.
                held.pop(customer_id, None)
                continue
            item.state = change.state
            item.version += 1
            if change.handled_event_ids:
                marks = [event_mark(event_id) for event_id in change.handled_event_ids]
                item.ring += b"".join(marks)
                if len(item.ring) > self._ring_bytes:
                    item.ring = item.ring[-self._ring_bytes:]
                    item.digests = marks_of(item.ring)
                else:
                    item.digests.update(marks)
            for entry in change.outbox:
                item.outbox[entry.entry_id] = entry
        return refused

    async def delivered(self, cleared: Sequence[Delivered]) -> None:
        """Clear acknowledged records in Redis, then in memory (a failure leaves both as they were)."""
        await self._inner.delivered(cleared)
        for done in cleared:
            item = self._held.get(done.customer_id)
            if item is not None:
                for entry_id in done.entry_ids:
                    item.outbox.pop(entry_id, None)

    def _hold(self, customer_id: str, item: _Held) -> None:
        self._held[customer_id] = item
        while len(self._held) > self._capacity:
            del self._held[next(iter(self._held))]

    # The rest reads and writes Redis directly.

    async def due(self, partition: int, now: datetime, limit: int) -> list[str]:
        return await self._inner.due(partition, now, limit)

    async def oldest_due(self, partition: int) -> datetime | None:
        return await self._inner.oldest_due(partition)

    async def ping(self) -> bool:
        return await self._inner.ping()

    async def save_progress(self, progress: Progress) -> None:
        await self._inner.save_progress(progress)

    async def load_progress(self, partition: int) -> Progress:
        return await self._inner.load_progress(partition)

    async def deadline_counts(self, partitions: Iterable[int], now: float, chunk: int = 1000) -> DeadlineCounts:
        return await self._inner.deadline_counts(partitions, now, chunk)

    def profiles(self, chunk: int = 500) -> AsyncIterator[tuple[str, Profile]]:
        return self._inner.profiles(chunk)

    async def forget(self, customer_id: str, **options: Any) -> int:
        self._held.pop(customer_id, None)
        return await self._inner.forget(customer_id, **options)
