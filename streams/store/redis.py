"""Customer state in Redis: load and save, nothing else.

The keys are spelled in :mod:`streams.store.keys`.

One customer's reads for a batch are one Lua script and so are its writes (atomic); a
batch of customers is one pipelined round trip each way.  A script per customer instead
of a command per key and per event id keeps the client's work per customer constant.

Dedupe keeps the 8-byte BLAKE2b digests of a customer's last ``dedupe_events`` handled
event ids in one string (a few bytes per event instead of a key per event): an event
id is recognised as long as it is among those and the customer was active within the
dedupe TTL.  A redelivery after a crash repeats at most the batch in flight, so any
customer with fewer than ``dedupe_events`` events in that batch is counted exactly once.

A customer's deadline is written *before* their script, because the two live in
different slots and cannot share one atomic step. A deadline without its state (a crash
in between) only wakes the timer early, and the timer re-checks everything the state
holds at fire time (``lifecycle.advance``), so nothing happens; the state without its
deadline would be an abandonment never noticed, because the replayed batch finds its
events already handled and saves nothing. On Redis Cluster,
:class:`streams.store.cluster.ClusterStore` keeps that order across nodes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

import redis.asyncio as aioredis

from streams.core.state import CustomerState, Profile, Session
from streams.store.base import (
    Change,
    DeadlineCounts,
    Delivered,
    Loaded,
    OutboxEntry,
    Position,
    Progress,
)
from streams.store.codec import from_hash, to_hash
from streams.store.keys import (
    CLOCK_PATTERN,
    DIGEST_BYTES,
    PROFILE_PATTERN,
    clock_key,
    customer_of_profile_key,
    customer_pattern,
    deadlines_key,
    event_digest,
    forgotten_key,
    offsets_key,
    outbox_key,
    script_keys,
    session_key,
)

_LOAD = """
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]),
        redis.call('EXISTS', KEYS[4]), redis.call('GET', KEYS[5]) or ''}
"""

# The profile's ``_v`` field counts the customer's saves: a save names the version it was
# computed from (ARGV[8], empty: unconditional) and is refused with -2 if the state moved on
# since (another worker saved it, an erasure deleted it), -1 if the customer is forgotten;
# otherwise it returns the new version.  This is what lets a worker keep customers in memory
# (streams.store.cache): a stale copy can never overwrite a newer state.
# The session hash is rewritten whole on every change, and so is the profile: a
# field that went back to its default must disappear, not linger.  Each hash travels as
# one JSON array argument: the client packs a handful of arguments per customer instead
# of two per field, which was most of the save's cost on the worker.
_SAVE = """
if redis.call('EXISTS', KEYS[4]) == 1 then return -1 end
local version = tonumber(redis.call('HGET', KEYS[1], '_v') or '0')
if ARGV[8] ~= '' and tonumber(ARGV[8]) ~= version then return -2 end
local session_ttl_ms = tonumber(ARGV[1])
local seen_ttl_s = tonumber(ARGV[2])
local seen_max = tonumber(ARGV[3])
if #ARGV[4] > 0 then
  local length = redis.call('APPEND', KEYS[5], ARGV[4])
  if length > seen_max then
    redis.call('SET', KEYS[5], redis.call('GETRANGE', KEYS[5], length - seen_max, -1))
  end
  redis.call('EXPIRE', KEYS[5], seen_ttl_s)
end
local profile = cjson.decode(ARGV[5])
redis.call('DEL', KEYS[1])
if #profile > 0 then redis.call('HSET', KEYS[1], unpack(profile)) end
redis.call('HSET', KEYS[1], '_v', version + 1)
local session = cjson.decode(ARGV[6])
redis.call('DEL', KEYS[2])
if #session > 0 then
  redis.call('HSET', KEYS[2], unpack(session))
  redis.call('PEXPIRE', KEYS[2], session_ttl_ms)
end
local outbox = cjson.decode(ARGV[7])
if #outbox > 0 then redis.call('HSET', KEYS[3], unpack(outbox)) end
return version + 1
"""


#: The due time a refused change's deadline gets: before any time, a live or a replay's clock.
_AT_ONCE = datetime.fromtimestamp(0, timezone.utc)


def _pairs(flat: list[bytes]) -> dict[bytes, bytes]:
    return dict(zip(flat[::2], flat[1::2]))


def _flat(mapping: dict[str, str]) -> str:
    """A hash's fields as the JSON array ``[name, value, ...]`` the save script unpacks.

    >>> _flat({"page_views": "3", "city": "Zürich"})
    '["page_views","3","city","Zürich"]'
    """
    flat: list[str] = []
    for name, value in mapping.items():
        flat += (name, value)
    return json.dumps(flat, ensure_ascii=False, separators=(",", ":"))


class RedisStore:
    """:class:`StateStore` on a standalone Redis (Redis Cluster: :class:`streams.store.cluster.ClusterStore`)."""

    def __init__(
        self, client: aioredis.Redis, *, session_ttl_seconds: float, dedupe_ttl_seconds: int,
        dedupe_events: int = 256,
    ) -> None:
        self._redis = client
        self._session_ttl_ms = int(session_ttl_seconds * 1000)
        self._dedupe_ttl = dedupe_ttl_seconds
        self._seen_bytes = dedupe_events * DIGEST_BYTES
        self._load = client.register_script(_LOAD)
        self._save = client.register_script(_SAVE)

    @classmethod
    def from_url(
        cls, url: str, *, session_ttl_seconds: float, dedupe_ttl_seconds: int, dedupe_events: int = 256,
        **connection: Any,
    ) -> RedisStore:
        """``connection``: redis-py options such as ``password`` and TLS files (see streams.transport)."""
        client = aioredis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5, **connection)
        return cls(client, session_ttl_seconds=session_ttl_seconds, dedupe_ttl_seconds=dedupe_ttl_seconds,
                   dedupe_events=dedupe_events)

    @property
    def client(self) -> aioredis.Redis:
        return self._redis

    async def close(self) -> None:
        await self._redis.aclose()

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def load(self, wanted: dict[str, Sequence[str]], *, fresh: Collection[str] = ()) -> dict[str, Loaded]:
        """Each customer's state, and which of the given event ids were handled before (always fresh)."""
        pipe = self._redis.pipeline(transaction=False)
        for customer_id in wanted:
            await self._load(keys=script_keys(customer_id), client=pipe)
        return self._loaded(wanted, await pipe.execute())

    @staticmethod
    def _loaded(wanted: dict[str, Sequence[str]], replies: Sequence[list]) -> dict[str, Loaded]:
        """The load script's replies, one per wanted customer, as :class:`Loaded`."""
        loaded = {}
        for (customer_id, event_ids), (profile_raw, session_raw, outbox_raw, forgotten, ring) in zip(
            wanted.items(), replies
        ):
            seen: set[str] = set()
            if ring and event_ids:
                digests = {ring[i:i + DIGEST_BYTES] for i in range(0, len(ring), DIGEST_BYTES)}
                seen = {event_id for event_id in event_ids if event_digest(event_id) in digests}
            profile = _pairs(profile_raw)
            version = int(profile.pop(b"_v", 0))
            state = CustomerState(
                customer_id,
                from_hash(Profile, profile),
                from_hash(Session, _pairs(session_raw)) if session_raw else None,
            )
            outbox = [OutboxEntry.from_json(k.decode(), v) for k, v in _pairs(outbox_raw).items()]
            loaded[customer_id] = Loaded(state, seen, outbox, bool(forgotten), version, ring or b"")
        return loaded

    async def save(self, changes: Sequence[Change]) -> list[str]:
        """Write every change: one atomic script per customer, all in one round trip.

        Returns the customers whose write was refused (stale or forgotten); see :meth:`_settled`.
        """
        if not changes:
            return []
        pipe = self._redis.pipeline(transaction=False)
        scripts: list[int] = []  # where each change's script reply is
        for change in changes:
            if change.reschedule:  # first: see the module docstring
                self._schedule(pipe, change.state.customer_id, change.partition, change.due)
            keys, args = self._script_input(change)
            scripts.append(len(pipe))
            await self._save(keys=keys, args=args, client=pipe)
        replies = await pipe.execute()
        return await self._settled(changes, [replies[i] for i in scripts])

    async def _settled(self, changes: Sequence[Change], replies: Sequence[int]) -> list[str]:
        """Wake the refused changes' timers and return their customers (a reply below 0: refused).

        A refused change already set its deadline from the stale state it was computed from,
        which may be later than the stored state needs: its deadline goes to the epoch, so the timer
        looks at the stored state at once (waking early is harmless, see the module docstring).
        """
        refused = [change for change, reply in zip(changes, replies) if int(reply) < 0]
        if refused:
            await self._wake(refused)
        return [change.state.customer_id for change in refused]

    async def _wake(self, changes: Sequence[Change]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for change in changes:
            if change.reschedule:
                self._schedule(pipe, change.state.customer_id, change.partition, _AT_ONCE)
        if len(pipe):
            await pipe.execute()

    def _script_input(self, change: Change) -> tuple[list[str], list[str | int | bytes]]:
        """The keys (all in the customer's slot) and arguments of one customer's save script."""
        # A forgotten customer's writes are refused inside the script, so a batch that was
        # loaded before the erasure cannot bring them back.
        session = to_hash(change.state.session) if change.state.session else {}
        digests = b"".join(event_digest(event_id) for event_id in change.handled_event_ids)
        args: list[str | int | bytes] = [
            self._session_ttl_ms, self._dedupe_ttl, self._seen_bytes, digests,
            _flat(to_hash(change.state.profile)), _flat(session),
            _flat({entry.entry_id: entry.to_json() for entry in change.outbox}),
            "" if change.version is None else change.version,
        ]
        return script_keys(change.state.customer_id), args

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
        async for key in self._redis.scan_iter(match=PROFILE_PATTERN, count=chunk):
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
                customer_id = customer_of_profile_key(key.decode())
                out.append((customer_id, from_hash(Profile, raw)))
        return out

    async def due(self, partition: int, now: datetime, limit: int) -> list[str]:
        """Customers of ``partition`` due at ``now``, earliest first (O(log n + limit))."""
        members = await self._redis.zrangebyscore(
            deadlines_key(partition), "-inf", now.timestamp(), start=0, num=limit
        )
        return [member.decode() for member in members]

    async def oldest_due(self, partition: int) -> datetime | None:
        """When the earliest step of ``partition`` is due (None: nothing is scheduled)."""
        first = await self._redis.zrange(deadlines_key(partition), 0, 0, withscores=True)
        return datetime.fromtimestamp(first[0][1], timezone.utc) if first else None

    async def delivered(self, cleared: Sequence[Delivered]) -> None:
        """Drop acknowledged records from outboxes and set each customer's next due time."""
        if not cleared:
            return
        pipe = self._redis.pipeline(transaction=False)
        for done in cleared:
            if done.entry_ids:
                pipe.hdel(outbox_key(done.customer_id), *done.entry_ids)
            self._schedule(pipe, done.customer_id, done.partition, done.due)
        await pipe.execute()

    async def save_progress(self, progress: Progress) -> None:
        """Remember how far a replay got, never moving back (a redelivered batch is older)."""
        pipe = self._redis.pipeline(transaction=False)
        for (topic, partition), position in progress.items():
            if position.event_time is not None:
                pipe.zadd(clock_key(partition), {topic: position.event_time}, gt=True)
            pipe.zadd(offsets_key(partition), {topic: position.offset}, gt=True)
        await pipe.execute()

    async def replayed(self) -> bool:
        """Whether an event-time replay saved its clock here: its history is then seen as of its last event."""
        async for _ in self._redis.scan_iter(match=CLOCK_PATTERN, count=1000):
            return True
        return False

    async def load_progress(self, partition: int) -> Progress:
        pipe = self._redis.pipeline(transaction=False)
        pipe.zrange(clock_key(partition), 0, -1, withscores=True)
        pipe.zrange(offsets_key(partition), 0, -1, withscores=True)
        marks, offsets = await pipe.execute()
        times = {topic.decode(): score for topic, score in marks}
        return {(topic.decode(), partition): Position(times.get(topic.decode()), int(score))
                for topic, score in offsets}

    @staticmethod
    def _schedule(pipe: aioredis.client.Pipeline, customer_id: str, partition: int, due: datetime | None) -> None:
        if due is None:
            pipe.zrem(deadlines_key(partition), customer_id)
        else:
            pipe.zadd(deadlines_key(partition), {customer_id: due.timestamp()})

    async def deadline_counts(self, partitions: Iterable[int], now: float, chunk: int = 1000) -> DeadlineCounts:
        """Count pending, overdue and live-session customers in ``partitions`` at Unix time ``now``.

        One pipelined ZCARD + ZCOUNT per partition; live sessions take a ZSCAN of each set and
        pipelined EXISTS of the session keys, ``chunk`` at a time (linear in the set's size).
        """
        partitions = list(partitions)
        if not partitions:
            return DeadlineCounts(0, 0, 0)
        pipe = self._redis.pipeline(transaction=False)
        for partition in partitions:
            pipe.zcard(deadlines_key(partition))
            pipe.zcount(deadlines_key(partition), "-inf", now)
        replies = await pipe.execute()
        pending, overdue = sum(replies[0::2]), sum(replies[1::2])
        active = 0
        for partition in partitions:
            waiting: list[str] = []
            async for member, score in self._redis.zscan_iter(deadlines_key(partition), count=chunk):
                if score > now:
                    waiting.append(member.decode() if isinstance(member, bytes) else str(member))
                if len(waiting) >= chunk:
                    active += await self._sessions_alive(waiting)
                    waiting = []
            active += await self._sessions_alive(waiting)
        return DeadlineCounts(pending, overdue, active)

    async def _sessions_alive(self, customer_ids: Sequence[str]) -> int:
        if not customer_ids:
            return 0
        pipe = self._redis.pipeline(transaction=False)
        for customer_id in customer_ids:
            pipe.exists(session_key(customer_id))
        return sum(1 for found in await pipe.execute() if found)
