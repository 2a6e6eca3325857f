"""Fixtures shared by the whole suite: real fakes of the tracker's collaborators."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client import CollectorRegistry

from streams.abandonments import OfferRules
from streams.intake import Intake, Record
from streams.metrics import Metrics
from streams.state import CustomerState
from streams.store import Change, Loaded, OutboxEntry
from streams.tracker import Topics, Tracker

from builders import T0


class MemoryStore:
    """The StateStore contract on dicts, with the same semantics as RedisStore."""

    def __init__(self) -> None:
        self.states: dict[str, CustomerState] = {}
        self.seen: set[tuple[str, str]] = set()
        self.outboxes: dict[str, dict[str, OutboxEntry]] = {}
        self.deadlines: dict[int, dict[str, datetime]] = {}
        self.fail_next = 0

    def _maybe_fail(self) -> None:
        if self.fail_next:
            self.fail_next -= 1
            from redis.exceptions import ConnectionError

            raise ConnectionError("injected failure")

    async def load(self, wanted: dict[str, Sequence[str]]) -> dict[str, Loaded]:
        self._maybe_fail()
        return {
            cid: Loaded(
                self.states.get(cid, CustomerState(cid)),
                {eid for eid in ids if (cid, eid) in self.seen},
                list(self.outboxes.get(cid, {}).values()),
            )
            for cid, ids in wanted.items()
        }

    async def save(self, changes: Sequence[Change]) -> None:
        self._maybe_fail()
        for change in changes:
            cid = change.state.customer_id
            self.states[cid] = change.state
            self.seen.update((cid, eid) for eid in change.handled_event_ids)
            for entry in change.outbox:
                self.outboxes.setdefault(cid, {})[entry.entry_id] = entry
            self._schedule(cid, change.partition, change.due)

    async def due(self, partition: int, now: datetime, limit: int) -> list[str]:
        entries = sorted(self.deadlines.get(partition, {}).items(), key=lambda item: item[1])
        return [cid for cid, due in entries if due <= now][:limit]

    async def delivered(
        self, customer_id: str, entry_ids: Iterable[str], partition: int, due: datetime | None
    ) -> None:
        for entry_id in entry_ids:
            self.outboxes.get(customer_id, {}).pop(entry_id, None)
        self._schedule(customer_id, partition, due)

    async def ping(self) -> bool:
        return True

    def _schedule(self, cid: str, partition: int, due: datetime | None) -> None:
        if due is None:
            self.deadlines.get(partition, {}).pop(cid, None)
        else:
            self.deadlines.setdefault(partition, {})[cid] = due


class MemoryPublisher:
    """Records what was published; can be told to fail like a broker that is down."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str | None, bytes]] = []
        self.down = False

    async def publish(self, topic: str, key: str | None, value: bytes) -> None:
        if self.down:
            raise ConnectionError("broker down")
        self.sent.append((topic, key, value))

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


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def publisher() -> MemoryPublisher:
    return MemoryPublisher()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def rules() -> OfferRules:
    return OfferRules(
        session_timeout=timedelta(minutes=30),
        validity=timedelta(minutes=60),
        cap=timedelta(hours=24),
        browse_views_threshold=3,
    )


@pytest.fixture
def tracker(store: MemoryStore, publisher: MemoryPublisher, clock: Clock, rules: OfferRules) -> Tracker:
    return Tracker(
        store=store,
        publisher=publisher,
        intake=Intake("site-visits", "purchases", 65_536),
        rules=rules,
        topics=Topics("offer-triggers", "tracker-dead-letters"),
        metrics=Metrics(CollectorRegistry()),
        clock=clock,
        retry_seconds=0.001,
    )
