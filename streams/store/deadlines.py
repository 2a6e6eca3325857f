"""The due times of a worker's own partitions, held in its memory: the timer's lookups need no round trip.

Redis keeps each customer's next due time in a sorted set per input partition, written with
the customer's state (atomically on a standalone Redis), for recovery and for the other readers.
The worker that owns a partition is the only one writing it, so once it has read the set (at
the first tick after the partition was assigned) it follows it from its own writes:

- a save: each customer's new due time; a refused customer is due at once (the save script
  does the same in Redis, so the timer looks at the stored state);
- a delivery: the due time after the records went out;
- an erasure through this worker: the customer's due time goes.

An assignment or a revocation drops the partition's copy (another worker may have written the
set meanwhile); the next tick reads it again.  A write of another process is not seen (an
erasure through another worker's API): the timer then looks at a customer with nothing due and
leaves them be.  Reading a set takes a while, and the worker saves meanwhile: the copy notes
every write from the moment it starts reading and applies them, in order, on what it read.

:class:`DeadlineBook` is that copy, without I/O; ``CachedStore`` keeps it in step.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from streams.store.base import DeadlineCounts

#: A write to follow: (customer, due time in epoch seconds or None for none, open visit or None: unchanged).
Update = tuple[str, float | None, bool | None]


@dataclass(slots=True)
class _Partition:
    """One partition's due times: a dict for the truth, a heap for the order (stale entries skipped).

    A heap entry is (due, customer, its number): the number tells the customer's latest entry
    from the ones before, which stay in the heap until they come up.
    """

    due: dict[str, float] = field(default_factory=dict)
    heap: list[tuple[float, str, int]] = field(default_factory=list)
    #: Each customer's latest heap entry.
    entry: dict[str, int] = field(default_factory=dict)
    #: Customers saved last with an open visit.
    open: set[str] = field(default_factory=set)
    numbered: int = 0

    @classmethod
    def of(cls, stored: Mapping[str, float], open_ids: Collection[str]) -> _Partition:
        part = cls(dict(stored), [(at, c, 0) for c, at in stored.items()], dict.fromkeys(stored, 0),
                   set(open_ids) & stored.keys())
        heapq.heapify(part.heap)
        return part

    def set(self, customer_id: str, due: float | None, open_: bool | None) -> None:
        if due is None:
            self.due.pop(customer_id, None)
            self.entry.pop(customer_id, None)
        elif self.due.get(customer_id) != due:
            self.due[customer_id] = due
            self.numbered += 1
            self.entry[customer_id] = self.numbered
            heapq.heappush(self.heap, (due, customer_id, self.numbered))
            if len(self.heap) > 2 * len(self.due) + 64:  # mostly stale: rebuilt from the truth
                self.heap = [(at, c, self.entry[c]) for c, at in self.due.items()]
                heapq.heapify(self.heap)
        if due is None or open_ is False:  # no due time: nothing to count either
            self.open.discard(customer_id)
        elif open_:
            self.open.add(customer_id)

    def first(self) -> tuple[float, str, int] | None:
        heap, entry = self.heap, self.entry
        while heap and entry.get(heap[0][1]) != heap[0][2]:
            heapq.heappop(heap)
        return heap[0] if heap else None


class DeadlineBook:
    """Due times per partition held in memory (see the module's docstring).

    >>> book = DeadlineBook()
    >>> book.held(3)
    False
    >>> ticket = book.begin(3)
    >>> book.note(3, [("bo", 50.0, False)])  # a save while the set is being read
    >>> book.install(3, ticket, {"ann": 10.0, "bo": 20.0, "cy": 30.0}, open_ids={"cy"})
    True
    >>> book.due(3, until=40.0, limit=10)
    ['ann', 'cy']
    >>> book.note(3, [("ann", None, None), ("dee", 5.0, True)])
    >>> book.due(3, until=40.0, limit=1), book.oldest(3)
    (['dee'], 5.0)
    >>> book.counts([3], now=25.0)
    DeadlineCounts(pending=3, overdue=1, active_sessions=1)
    >>> book.drop([3]); book.held(3)
    False
    """

    def __init__(self) -> None:
        self._parts: dict[int, _Partition] = {}
        #: Partitions being read: the writes noted since the read began, and the read's ticket.
        self._reading: dict[int, tuple[int, list[Update]]] = {}
        self._tickets = 0

    def held(self, partition: int) -> bool:
        """Whether the partition's due times are in memory (read since its assignment)."""
        return partition in self._parts

    def reading(self, partition: int) -> bool:
        return partition in self._reading

    def begin(self, partition: int) -> int:
        """Start reading the partition's set: writes from now on are noted; return the read's ticket."""
        self._tickets += 1
        self._reading[partition] = (self._tickets, [])
        return self._tickets

    def abandon(self, partition: int, ticket: int) -> None:
        """The read failed: the partition stays unread (read again at the next tick)."""
        if self._reading.get(partition, (None,))[0] == ticket:
            del self._reading[partition]

    def install(self, partition: int, ticket: int, stored: Mapping[str, float], open_ids: Collection[str]) -> bool:
        """Hold what the read found, with the writes noted since it began; False if dropped meanwhile."""
        reading = self._reading.get(partition)
        if reading is None or reading[0] != ticket:
            return False
        del self._reading[partition]
        part = _Partition.of(stored, open_ids)
        for customer_id, due, open_ in reading[1]:
            part.set(customer_id, due, open_)
        self._parts[partition] = part
        return True

    def note(self, partition: int, updates: Iterable[Update]) -> None:
        """Follow writes to ``partition``'s set (nothing if it is neither held nor being read)."""
        part = self._parts.get(partition)
        if part is not None:
            for customer_id, due, open_ in updates:
                part.set(customer_id, due, open_)
        elif partition in self._reading:
            self._reading[partition][1].extend(updates)

    def forget(self, customer_id: str) -> None:
        """An erased customer: no due time in any partition."""
        for partition in [*self._parts, *self._reading]:
            self.note(partition, [(customer_id, None, None)])

    def drop(self, partitions: Iterable[int]) -> None:
        """Partitions assigned or revoked: read their sets again before using them."""
        for partition in partitions:
            self._parts.pop(partition, None)
            self._reading.pop(partition, None)

    def due(self, partition: int, until: float, limit: int) -> list[str]:
        """Up to ``limit`` customers of a held partition due at ``until``, earliest first (as ``ZRANGEBYSCORE``)."""
        part = self._parts[partition]
        taken: list[tuple[float, str, int]] = []
        while len(taken) < limit:
            first = part.first()
            if first is None or first[0] > until:
                break
            taken.append(heapq.heappop(part.heap))
        for entry in taken:  # still due until a save moves them
            heapq.heappush(part.heap, entry)
        return [customer_id for _, customer_id, _ in taken]

    def oldest(self, partition: int) -> float | None:
        """When the earliest step of a held partition is due (None: nothing is)."""
        first = self._parts[partition].first()
        return first[0] if first else None

    def counts(self, partitions: Iterable[int], now: float) -> DeadlineCounts:
        """Pending, overdue and live-session customers of the held ``partitions`` (linear in them)."""
        pending = overdue = active = 0
        for partition in partitions:
            part = self._parts[partition]
            pending += len(part.due)
            overdue += sum(1 for at in part.due.values() if at <= now)
            active += sum(1 for customer_id in part.open if part.due.get(customer_id, now) > now)
        return DeadlineCounts(pending, overdue, active)
