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

It also holds the due times of the partitions the worker owns (:mod:`streams.store.deadlines`):
the timer finds what is due, and the gauges count, without reading Redis every tick.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from streams.core.state import CustomerState, Profile
from streams.store.base import Change, DeadlineCounts, Delivered, Loaded, Offsets, OutboxEntry, Progress
from streams.store.deadlines import DeadlineBook, Update
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
        #: The due times of the partitions this worker owns, once read (see :meth:`drop_deadlines`).
        self.deadlines = DeadlineBook()

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
        self._follow_saved(changes, stale)
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

    def _follow_saved(self, changes: Sequence[Change], refused: Collection[str]) -> None:
        """The saved customers' due times, as the save wrote them (a refused one is due at once)."""
        by_partition: dict[int, list[Update]] = {}
        for change in changes:
            if not change.reschedule:  # a merged visitor's due time is left alone
                continue
            customer_id = change.state.customer_id
            if customer_id in refused:
                update: Update = (customer_id, 0.0, None)
            else:
                due = change.due.timestamp() if change.due is not None else None
                update = (customer_id, due, change.state.session is not None)
            by_partition.setdefault(change.partition, []).append(update)
        for partition, updates in by_partition.items():
            self.deadlines.note(partition, updates)

    async def delivered(self, cleared: Sequence[Delivered]) -> None:
        """Clear acknowledged records in Redis, then in memory (a failure leaves both as they were)."""
        await self._inner.delivered(cleared)
        for done in cleared:
            due = done.due.timestamp() if done.due is not None else None
            self.deadlines.note(done.partition, [(done.customer_id, due, None)])
        for done in cleared:
            item = self._held.get(done.customer_id)
            if item is not None:
                for entry_id in done.entry_ids:
                    item.outbox.pop(entry_id, None)

    def _hold(self, customer_id: str, item: _Held) -> None:
        self._held[customer_id] = item
        while len(self._held) > self._capacity:
            del self._held[next(iter(self._held))]

    # ---------------------------------------------------------------- due times

    def drop_deadlines(self, partitions: Iterable[int]) -> None:
        """Partitions assigned or revoked: their due times are read from Redis again at the next tick."""
        self.deadlines.drop(partitions)

    async def due(self, partition: int, now: datetime, limit: int) -> list[str]:
        if await self._read_deadlines(partition):
            return self.deadlines.due(partition, now.timestamp(), limit)
        return await self._inner.due(partition, now, limit)

    async def oldest_due(self, partition: int) -> datetime | None:
        if await self._read_deadlines(partition):
            oldest = self.deadlines.oldest(partition)
            return datetime.fromtimestamp(oldest, timezone.utc) if oldest is not None else None
        return await self._inner.oldest_due(partition)

    async def deadline_counts(self, partitions: Iterable[int], now: float, chunk: int = 1000) -> DeadlineCounts:
        partitions = list(partitions)
        held = [partition for partition in partitions if self.deadlines.held(partition)]
        counts = self.deadlines.counts(held, now)
        rest = [partition for partition in partitions if partition not in held]
        if not rest:
            return counts
        more = await self._inner.deadline_counts(rest, now, chunk)
        return DeadlineCounts(counts.pending + more.pending, counts.overdue + more.overdue,
                              counts.active_sessions + more.active_sessions)

    async def _read_deadlines(self, partition: int) -> bool:
        """Whether ``partition``'s due times are held, reading them first if nobody is (False: read Redis)."""
        book = self.deadlines
        if book.held(partition):
            return True
        if book.reading(partition):  # another caller is reading them: Redis answers meanwhile
            return False
        ticket = book.begin(partition)
        try:
            stored = await self._inner.deadlines(partition)
            opened = await self._inner.open_visits(list(stored))
        except BaseException:
            book.abandon(partition, ticket)
            raise
        return book.install(partition, ticket, stored, opened)

    # The rest reads and writes Redis directly.

    async def ping(self) -> bool:
        return await self._inner.ping()

    async def save_progress(self, progress: Progress) -> None:
        await self._inner.save_progress(progress)

    async def load_progress(self, partition: int) -> Progress:
        return await self._inner.load_progress(partition)

    def profiles(self, chunk: int = 500) -> AsyncIterator[tuple[str, Profile]]:
        return self._inner.profiles(chunk)

    async def forget(self, customer_id: str, **options: Any) -> int:
        self._held.pop(customer_id, None)
        self.deadlines.forget(customer_id)
        return await self._inner.forget(customer_id, **options)
