"""What the tracker needs from a state store, and the values that cross it.

:class:`StateStore` is implemented by :class:`~streams.store.redis.RedisStore` (and
:class:`~streams.store.cluster.ClusterStore`) and, in unit tests, by a dict
(``tests/fakes.py``): real fakes, not mocks.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeAlias

from streams.core.state import CustomerState


#: ``json.dumps(value, separators=(",", ":"))``, without making an encoder for each call as ``dumps`` does.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A record to publish, kept in Redis until Kafka acknowledged it."""

    entry_id: str
    topic: str
    key: str
    value: bytes
    #: What the record is (an offer kind, say), for metrics and logs.
    label: str = ""
    #: When it was decided (epoch seconds, wall clock): no earlier publish of it can be older,
    #: so a check of whether it was already published reads the topic from here on (0: unknown).
    written_at: float = 0.0

    def to_json(self) -> str:
        body = {"topic": self.topic, "key": self.key, "value": self.value.decode(), "label": self.label,
                "written_at": self.written_at}
        return _COMPACT.encode(body)

    @classmethod
    def from_json(cls, entry_id: str, text: str | bytes) -> OutboxEntry:
        body = json.loads(text)
        return cls(entry_id, body["topic"], body["key"], body["value"].encode(), body.get("label", ""),
                   float(body.get("written_at", 0.0)))


@dataclass(slots=True)
class Loaded:
    """A customer as read from Redis, with the batch's already-handled event ids."""

    state: CustomerState
    seen: set[str] = field(default_factory=set)
    outbox: list[OutboxEntry] = field(default_factory=list)
    #: The customer asked to be forgotten and not tracked again: their events are dropped.
    forgotten: bool = False
    #: How many times the state was saved (0: never): a save names it, and is refused if the
    #: state was saved or erased since (see :attr:`Change.version`).
    version: int = 0
    #: The dedupe ring as stored (the marks of the last handled event ids, see keys.MARK_BYTES), for a cache.
    marks: bytes = b""
    #: Whether the state's parts are this batch's to change in place: read from Redis for it, or
    #: held by the worker's memory, which takes the saved state back (or drops it) once saved.
    #: False for parts others may hold (the one default profile of every new customer).
    owned: bool = False


@dataclass(frozen=True, slots=True)
class Change:
    """Everything one customer's batch writes, applied atomically."""

    state: CustomerState
    partition: int
    #: When the tracker must look at this customer again (None: never, no session).
    due: datetime | None
    handled_event_ids: Sequence[str] = ()
    outbox: Sequence[OutboxEntry] = ()
    #: False for a state written on behalf of another customer (a merged visitor profile):
    #: its deadline lives in its own partition and is left alone.
    reschedule: bool = True
    #: Changes to other customers this one caused (visitor profiles merged into it).
    merged: Sequence[Change] = ()
    #: The :attr:`Loaded.version` this change was computed from: the save is refused if the
    #: stored state moved on since (another writer, an erasure). None: written unconditionally.
    version: int | None = None


@dataclass(frozen=True, slots=True)
class Delivered:
    """Records of one customer that Kafka acknowledged, and when to look at them again."""

    customer_id: str
    entry_ids: Sequence[str]
    partition: int
    due: datetime | None


@dataclass(frozen=True, slots=True)
class Position:
    """How far an event-time replay got in one input (topic, partition)."""

    #: The latest event time handled (epoch seconds), None before the first event.
    event_time: float | None
    #: The offset of the latest record handled.
    offset: int


#: A replay's positions, by (input topic, partition).
Progress: TypeAlias = dict[tuple[str, int], Position]

#: The offset of the latest input record a save covers, by (input topic, partition).
Offsets: TypeAlias = Mapping[tuple[str, int], int]


@dataclass(frozen=True, slots=True)
class DeadlineCounts:
    """What the deadline sets of some partitions hold right now."""

    #: Customers the timer will look at again (a live session, a deferred offer, an open offer).
    pending: int
    #: Of those, the ones already due: the timer has not caught up with them yet.
    overdue: int
    #: Customers with a live session: due later, and with open visits stored.
    active_sessions: int


class StateStore(Protocol):
    """What the tracker needs from a state store (Redis here, a dict in unit tests)."""

    async def load(self, wanted: dict[str, Sequence[str]], *, fresh: Collection[str] = ()) -> dict[str, Loaded]:
        """Each wanted customer, and which of their event ids were handled; ``fresh`` ones from the store itself.

        ``fresh``: customers another worker may own (a visitor a login names): never from a copy held in memory.
        """
        ...
    async def save(
        self, changes: Sequence[Change], *, offsets: Offsets | None = None, tokens: Mapping[int, int] | None = None,
    ) -> list[str]:
        """Write ``changes``; return the customers whose write was refused (stale, forgotten or fenced).

        ``offsets``: how far the input the changes come from was read, stored with them (by
        partition, only where no customer was refused). ``tokens``: the writer's fencing token per
        partition; a partition's changes are refused if a newer one was taken since.
        """
        ...
    async def due(self, partition: int, now: datetime, limit: int) -> list[str]: ...
    async def oldest_due(self, partition: int) -> datetime | None: ...
    async def delivered(self, cleared: Sequence[Delivered]) -> None: ...
    async def ping(self) -> bool: ...
    async def save_progress(self, progress: Progress) -> None: ...
    async def load_progress(self, partition: int) -> Progress: ...


class FenceStore(Protocol):
    """Per-partition fencing tokens: a counter per input partition that each new owner increments."""

    async def take_fences(self, partitions: Collection[int]) -> dict[int, int]:
        """A new token for each partition (one more than any taken before)."""
        ...
    async def fences(self, partitions: Collection[int]) -> dict[int, int]:
        """The latest token taken for each partition (0: none yet, or Redis lost it)."""
        ...
