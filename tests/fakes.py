"""Real fakes of the tracker's collaborators, for unit tests (importable: tests/ is on sys.path)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta

from streams.core.state import CustomerState
from streams.store import Change, Delivered, Loaded, Offsets, OutboxEntry, Position, Progress

from builders import T0


class MemoryStore:
    """The StateStore contract on dicts, with the same semantics as RedisStore."""

    def __init__(self) -> None:
        self.states: dict[str, CustomerState] = {}
        self.seen: set[tuple[str, str]] = set()
        self.outboxes: dict[str, dict[str, OutboxEntry]] = {}
        self.deadlines: dict[int, dict[str, datetime]] = {}
        self.fail_next = 0
        self.forgotten: set[str] = set()
        self.progress: Progress = {}
        #: Saves per customer, as the version field of the Redis profile counts them.
        self.versions: dict[str, int] = {}
        #: The latest fencing token taken per partition.
        self.fence_tokens: dict[int, int] = {}
        #: How far each input (topic, partition) was read, as the saves stated it.
        self.offsets: dict[tuple[str, int], int] = {}

    def _maybe_fail(self) -> None:
        if self.fail_next:
            self.fail_next -= 1
            from redis.exceptions import ConnectionError

            raise ConnectionError("injected failure")

    async def load(self, wanted: dict[str, Sequence[str]], *, fresh: Collection[str] = ()) -> dict[str, Loaded]:
        self._maybe_fail()
        return {
            cid: Loaded(
                self.states.get(cid, CustomerState(cid)),
                {eid for eid in ids if (cid, eid) in self.seen},
                list(self.outboxes.get(cid, {}).values()),
                cid in self.forgotten,
                self.versions.get(cid, 0),
            )
            for cid, ids in wanted.items()
        }

    async def save(
        self, changes: Sequence[Change], *, offsets: Offsets | None = None, tokens: Mapping[int, int] | None = None,
    ) -> list[str]:
        self._maybe_fail()
        refused: list[str] = []
        fenced = {p for p, token in (tokens or {}).items() if self.fence_tokens.get(p, 0) > token}
        unread = set(fenced)  # partitions whose offsets are not stored: fenced, or a customer refused
        for change in changes:
            cid = change.state.customer_id
            if change.partition in fenced:
                refused.append(cid)
                continue
            if cid in self.forgotten or (change.version is not None and change.version != self.versions.get(cid, 0)):
                refused.append(cid)
                unread.add(change.partition)
                continue
            self.versions[cid] = self.versions.get(cid, 0) + 1
            self.states[cid] = change.state
            self.seen.update((cid, eid) for eid in change.handled_event_ids)
            for entry in change.outbox:
                self.outboxes.setdefault(cid, {})[entry.entry_id] = entry
            if change.reschedule:
                self._schedule(cid, change.partition, change.due)
        written = ({change.partition for change in changes} | {partition for _, partition in offsets or ()}) - unread
        for (topic, partition), offset in (offsets or {}).items():
            if partition in written:
                self.offsets[(topic, partition)] = max(offset, self.offsets.get((topic, partition), -1))
        return refused

    async def due(self, partition: int, now: datetime, limit: int) -> list[str]:
        entries = sorted(self.deadlines.get(partition, {}).items(), key=lambda item: item[1])
        return [cid for cid, due in entries if due <= now][:limit]

    async def oldest_due(self, partition: int) -> datetime | None:
        return min(self.deadlines.get(partition, {}).values(), default=None)

    async def delivered(self, cleared: Sequence[Delivered]) -> None:
        for done in cleared:
            for entry_id in done.entry_ids:
                self.outboxes.get(done.customer_id, {}).pop(entry_id, None)
            self._schedule(done.customer_id, done.partition, done.due)

    async def ping(self) -> bool:
        return True

    async def save_progress(self, progress: Progress) -> None:
        for key, position in progress.items():
            old = self.progress.get(key, Position(None, -1))
            event_time = position.event_time
            if old.event_time is not None and (event_time is None or event_time < old.event_time):
                event_time = old.event_time
            self.progress[key] = Position(event_time, max(position.offset, old.offset))

    async def load_progress(self, partition: int) -> Progress:
        return {key: value for key, value in self.progress.items() if key[1] == partition}

    async def take_fences(self, partitions: Collection[int]) -> dict[int, int]:
        self._maybe_fail()
        for partition in partitions:
            self.fence_tokens[partition] = self.fence_tokens.get(partition, 0) + 1
        return {partition: self.fence_tokens[partition] for partition in partitions}

    async def fences(self, partitions: Collection[int]) -> dict[int, int]:
        self._maybe_fail()
        return {partition: self.fence_tokens.get(partition, 0) for partition in partitions}

    def _schedule(self, cid: str, partition: int, due: datetime | None) -> None:
        if due is None:
            self.deadlines.get(partition, {}).pop(cid, None)
        else:
            self.deadlines.setdefault(partition, {})[cid] = due


class MemoryPublisher:
    """Records what was published and reads it back (the Publisher and OutputLog contracts).

    ``down`` fails like a broker that is down; ``lose_acks`` like one that wrote the record
    but whose acknowledgement never arrived (the record is on the topic, the caller sees an error).
    """

    def __init__(self) -> None:
        self.sent: list[tuple[str, str | None, bytes]] = []
        self.down = False
        self.lose_acks = False
        #: The ``since`` of every lookup, to show when the output topic was read back.
        self.lookups: list[datetime] = []

    async def publish(self, topic: str, key: str | None, value: bytes) -> None:
        if self.down:
            raise ConnectionError("broker down")
        self.sent.append((topic, key, value))
        if self.lose_acks:
            raise TimeoutError("acknowledgement lost")

    async def published(self, topic: str, since: datetime, keys: Collection[str]) -> list[bytes]:
        if self.down:
            raise ConnectionError("broker down")
        self.lookups.append(since)
        return [value for t, key, value in self.sent if t == topic and key in keys]

    def on(self, topic: str) -> list[bytes]:
        return [value for t, _, value in self.sent if t == topic]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)
