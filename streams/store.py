"""Customer state in Redis: load and save, nothing else.

Layout (every key of one customer shares the hash tag ``{customer_id}``, so the same
layout runs on Redis Cluster):

=================================  ======  =============================================
key                                type    holds
=================================  ======  =============================================
``tracker:{c}:profile``            hash    the :class:`~streams.state.Profile`
``tracker:{c}:session``            hash    the current :class:`~streams.state.Session` (TTL)
``tracker:{c}:seen:<event_id>``    string  dedupe mark of a handled event (TTL)
``tracker:{c}:outbox``             hash    records decided but not yet acknowledged by Kafka
``tracker:deadlines:{p<n>}``       zset    customers of partition n, score = due time
=================================  ======  =============================================

One customer's writes for a batch are one Lua script (atomic); a batch of customers
is one pipelined round trip.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import redis.asyncio as aioredis

from streams.codec import from_hash, to_hash
from streams.state import CustomerState, Profile, Session

PREFIX = "tracker"


def profile_key(customer_id: str) -> str:
    return f"{PREFIX}:{{{customer_id}}}:profile"


def session_key(customer_id: str) -> str:
    return f"{PREFIX}:{{{customer_id}}}:session"


def seen_key(customer_id: str, event_id: str) -> str:
    return f"{PREFIX}:{{{customer_id}}}:seen:{event_id}"


def forgotten_key(customer_id: str) -> str:
    return f"{PREFIX}:{{{customer_id}}}:forgotten"


def outbox_key(customer_id: str) -> str:
    return f"{PREFIX}:{{{customer_id}}}:outbox"


def deadlines_key(partition: int) -> str:
    return f"{PREFIX}:deadlines:{{p{partition}}}"


def customer_pattern(customer_id: str) -> str:
    """A SCAN pattern matching every key of one customer."""
    escaped = "".join(f"\\{ch}" if ch in "*?[]\\" else ch for ch in customer_id)
    return f"{PREFIX}:{{{escaped}}}:*"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A record to publish, kept in Redis until Kafka acknowledged it."""

    entry_id: str
    topic: str
    key: str
    value: bytes
    #: What the record is (an offer kind, say), for metrics and logs.
    label: str = ""

    def to_json(self) -> str:
        body = {"topic": self.topic, "key": self.key, "value": self.value.decode(), "label": self.label}
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def from_json(cls, entry_id: str, text: str | bytes) -> OutboxEntry:
        body = json.loads(text)
        return cls(entry_id, body["topic"], body["key"], body["value"].encode(), body.get("label", ""))


@dataclass(slots=True)
class Loaded:
    """A customer as read from Redis, with the batch's already-handled event ids."""

    state: CustomerState
    seen: set[str] = field(default_factory=set)
    outbox: list[OutboxEntry] = field(default_factory=list)
    #: The customer asked to be forgotten and not tracked again: their events are dropped.
    forgotten: bool = False


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


#: Records of one customer that Kafka acknowledged: (customer id, entry ids, partition, next due time).
Delivered = tuple[str, Sequence[str], int, "datetime | None"]


class StateStore(Protocol):
    """What the tracker needs from a state store (Redis here, a dict in unit tests)."""

    async def load(self, wanted: dict[str, Sequence[str]]) -> dict[str, Loaded]: ...
    async def save(self, changes: Sequence[Change]) -> None: ...
    async def due(self, partition: int, now: datetime, limit: int) -> list[str]: ...
    async def delivered(self, cleared: Sequence[Delivered]) -> None: ...
    async def ping(self) -> bool: ...


# The session hash is rewritten whole on every change, and so is the profile: a
# field that went back to its default must disappear, not linger.
_SAVE = """
if redis.call('EXISTS', KEYS[4]) == 1 then return -1 end
local session_ttl_ms = tonumber(ARGV[1])
local seen_ttl_s = tonumber(ARGV[2])
local i = 3
local n = tonumber(ARGV[i]); i = i + 1
redis.call('DEL', KEYS[1])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, i, i + 2 * n - 1)) end
i = i + 2 * n
n = tonumber(ARGV[i]); i = i + 1
redis.call('DEL', KEYS[2])
if n > 0 then
  redis.call('HSET', KEYS[2], unpack(ARGV, i, i + 2 * n - 1))
  redis.call('PEXPIRE', KEYS[2], session_ttl_ms)
end
i = i + 2 * n
n = tonumber(ARGV[i]); i = i + 1
if n > 0 then redis.call('HSET', KEYS[3], unpack(ARGV, i, i + 2 * n - 1)) end
for k = 5, #KEYS do redis.call('SET', KEYS[k], '1', 'EX', seen_ttl_s) end
return #KEYS - 4
"""


def _flat(mapping: dict[str, str]) -> list[str]:
    flat = [str(len(mapping))]
    for name, value in mapping.items():
        flat += (name, value)
    return flat


class RedisStore:
    """:class:`StateStore` on Redis (standalone or Cluster, through the hash tags)."""

    def __init__(
        self, client: aioredis.Redis, *, session_ttl_seconds: float, dedupe_ttl_seconds: int
    ) -> None:
        self._redis = client
        self._session_ttl_ms = int(session_ttl_seconds * 1000)
        self._dedupe_ttl = dedupe_ttl_seconds
        self._save = client.register_script(_SAVE)

    @classmethod
    def from_url(
        cls, url: str, *, session_ttl_seconds: float, dedupe_ttl_seconds: int, **connection: Any
    ) -> RedisStore:
        """``connection``: redis-py options such as ``password`` and TLS files (see streams.transport)."""
        client = aioredis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5, **connection)
        return cls(client, session_ttl_seconds=session_ttl_seconds, dedupe_ttl_seconds=dedupe_ttl_seconds)

    @property
    def client(self) -> aioredis.Redis:
        return self._redis

    async def close(self) -> None:
        await self._redis.aclose()

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def load(self, wanted: dict[str, Sequence[str]]) -> dict[str, Loaded]:
        """Each customer's state, and which of the given event ids were handled before."""
        pipe = self._redis.pipeline(transaction=False)
        for customer_id, event_ids in wanted.items():
            pipe.hgetall(profile_key(customer_id))
            pipe.hgetall(session_key(customer_id))
            pipe.hgetall(outbox_key(customer_id))
            pipe.exists(forgotten_key(customer_id))
            for event_id in event_ids:
                pipe.exists(seen_key(customer_id, event_id))
        replies = iter(await pipe.execute())
        loaded = {}
        for customer_id, event_ids in wanted.items():
            profile_raw, session_raw, outbox_raw = next(replies), next(replies), next(replies)
            forgotten = bool(next(replies))
            seen = {event_id for event_id in event_ids if next(replies)}
            state = CustomerState(
                customer_id,
                from_hash(Profile, profile_raw),
                from_hash(Session, session_raw) if session_raw else None,
            )
            outbox = [OutboxEntry.from_json(k.decode(), v) for k, v in outbox_raw.items()]
            loaded[customer_id] = Loaded(state, seen, outbox, forgotten)
        return loaded

    async def save(self, changes: Sequence[Change]) -> None:
        """Write every change: one atomic script per customer, all in one round trip."""
        if not changes:
            return
        pipe = self._redis.pipeline(transaction=False)
        for change in changes:
            customer_id = change.state.customer_id
            # A forgotten customer's writes are refused inside the script, so a batch that was
            # loaded before the erasure cannot bring them back.
            keys = [profile_key(customer_id), session_key(customer_id), outbox_key(customer_id),
                    forgotten_key(customer_id)]
            keys += [seen_key(customer_id, event_id) for event_id in change.handled_event_ids]
            session = to_hash(change.state.session) if change.state.session else {}
            args: list[str | int] = [self._session_ttl_ms, self._dedupe_ttl]
            args += _flat(to_hash(change.state.profile))
            args += _flat(session)
            args += _flat({entry.entry_id: entry.to_json() for entry in change.outbox})
            await self._save(keys=keys, args=args, client=pipe)
            if change.reschedule:
                self._schedule(pipe, customer_id, change.partition, change.due)
        await pipe.execute()

    async def forget(self, customer_id: str, *, partitions: int, suppress: bool) -> int:
        """Delete every key of the customer (and their deadlines); return how many keys went.

        With ``suppress``, a marker stays behind so later events of theirs are not tracked.
        """
        if suppress:
            await self._redis.set(forgotten_key(customer_id), "1")
        keep = forgotten_key(customer_id).encode() if suppress else None
        deleted = 0
        batch: list[bytes] = []
        async for key in self._redis.scan_iter(match=customer_pattern(customer_id), count=1000):
            if key != keep:
                batch.append(key)
            if len(batch) >= 500:
                deleted += await self._redis.delete(*batch)
                batch = []
        if batch:
            deleted += await self._redis.delete(*batch)
        pipe = self._redis.pipeline(transaction=False)
        for partition in range(partitions):
            pipe.zrem(deadlines_key(partition), customer_id)
        await pipe.execute()
        return deleted

    async def profiles(self, chunk: int = 500) -> AsyncIterator[tuple[str, Profile]]:
        """Every customer's profile (SCAN, then pipelined reads ``chunk`` at a time)."""
        keys: list[bytes] = []
        async for key in self._redis.scan_iter(match=f"{PREFIX}:{{*}}:profile", count=chunk):
            keys.append(key)
            if len(keys) >= chunk:
                for item in await self._read_profiles(keys):
                    yield item
                keys = []
        for item in await self._read_profiles(keys):
            yield item

    async def _read_profiles(self, keys: list[bytes]) -> list[tuple[str, Profile]]:
        if not keys:
            return []
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(key)
        replies = await pipe.execute()
        out = []
        for key, raw in zip(keys, replies):
            if raw:
                customer_id = key.decode()[len(PREFIX) + 2 : -len("}:profile")]
                out.append((customer_id, from_hash(Profile, raw)))
        return out

    async def due(self, partition: int, now: datetime, limit: int) -> list[str]:
        """Customers of ``partition`` due at ``now``, earliest first (O(log n + limit))."""
        members = await self._redis.zrangebyscore(
            deadlines_key(partition), "-inf", now.timestamp(), start=0, num=limit
        )
        return [member.decode() for member in members]

    async def delivered(self, cleared: Sequence[Delivered]) -> None:
        """Drop acknowledged records from outboxes and set each customer's next due time."""
        if not cleared:
            return
        pipe = self._redis.pipeline(transaction=False)
        for customer_id, entry_ids, partition, due in cleared:
            if entry_ids:
                pipe.hdel(outbox_key(customer_id), *entry_ids)
            self._schedule(pipe, customer_id, partition, due)
        await pipe.execute()

    @staticmethod
    def _schedule(pipe: aioredis.client.Pipeline, customer_id: str, partition: int, due: datetime | None) -> None:
        if due is None:
            pipe.zrem(deadlines_key(partition), customer_id)
        else:
            pipe.zadd(deadlines_key(partition), {customer_id: due.timestamp()})
