"""Customer state in Redis: load and save, nothing else.

The keys are spelled in :mod:`streams.store.keys`.

One customer's reads for a batch are one Lua script, and the writes of a batch's customers of one
input partition are one script too (atomic): their states, dedupe marks, outbox records and
deadlines, and how far the partition's input was read, fenced by the partition's token (see
``scripts.SAVE_PARTITION``).  A batch is one pipelined round trip each way.  A script per
customer, or per partition, instead of a command per key and per event id keeps the client's
work per customer constant.

Dedupe keeps 5-byte marks (a prefix of the BLAKE2b digest, see ``keys.MARK_BYTES``) of a
customer's last ``dedupe_events`` handled event ids, in the customer's one value (a few bytes
per event instead of a key per event): an event id is recognised as long as it is among those
and the customer was active within the dedupe TTL.  A redelivery after a crash repeats at most
the batch in flight, so any customer with fewer than ``dedupe_events`` events in that batch is
counted exactly once.

On Redis Cluster a customer's keys and their partition's live in different slots and cannot
share one atomic step: :class:`streams.store.cluster.ClusterStore` writes a customer's deadline
*before* their script. A deadline without its state (a crash in between) only wakes the timer
early, and the timer re-checks everything the state holds at fire time
(``lifecycle.advance``), so nothing happens; the state without its deadline would be an
abandonment never noticed, because the replayed batch finds its events already handled and
saves nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from models.ids import spellings
from streams.core.state import CustomerState, Profile, Session
from streams.store.base import (
    Change,
    DeadlineCounts,
    Delivered,
    Loaded,
    Offsets,
    OutboxEntry,
    Position,
    Progress,
)
from streams.store.codec import from_hash
from streams.store.keys import (
    CLOCK_PATTERN,
    DIGEST_BYTES,
    MARK_BYTES,
    PROFILE_PATTERN,
    clock_key,
    customer_of_profile_key,
    customer_pattern,
    deadlines_key,
    event_mark,
    fence_key,
    forgotten_key,
    marks_of,
    offsets_key,
    outbox_key,
    profile_key,
    script_keys,
    session_key,
)
from streams.store.packed import pack, unpack
from streams.store.scripts import ALIVE, LOAD, SAVE, SAVE_PARTITION
from streams.store.wire import pack_in_c

_FORMAT = b"T1"


def _pairs(flat: list[bytes]) -> dict[bytes, bytes]:
    return dict(zip(flat[::2], flat[1::2]))


def _flat(mapping: dict[str, str]) -> str:
    """A hash's fields as the JSON array ``[name, value, ...]`` the save script unpacks.

    >>> _flat({"e-1": "{}", "city": "Zürich"})
    '["e-1","{}","city","Zürich"]'
    """
    flat: list[str] = []
    for name, value in mapping.items():
        flat += (name, value)
    return _FLAT.encode(flat)


#: ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, one encoder for every call.
_FLAT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


#: The profile of every customer not stored yet: one instance, as profiles are frozen (a draft changes
#: only copies it made itself, streams.core.drafts); a new one per customer cost 10 µs, for each new customer.
_NEW = Profile()


def own_parts(state: CustomerState) -> bool:
    """Whether ``state``'s parts are its own: not the one default profile every new customer shares."""
    return state.profile is not _NEW


def read_customer(customer_id: str, value: bytes, *, now: float) -> tuple[CustomerState, int, bytes]:
    """A customer's packed value as the state, its version and its dedupe marks (``now``: epoch seconds).

    Marks older than the dedupe TTL and open visits older than the session TTL are dropped here,
    as Redis expired their keys in the release before.
    """
    if not value:
        return CustomerState(customer_id, _NEW), 0, b""
    tag, version, session_until, marks_until, length, rest = value.split(b"|", 5)
    if tag != _FORMAT:
        raise ValueError(f"customer {customer_id!r}: stored as {tag[:8]!r}, a format this release does not read")
    size = int(length)
    marks = rest[:size] if marks_until and int(marks_until) >= now else b""
    profile, session = unpack(rest[size:])
    if session is not None and session_until and int(session_until) < now * 1000:
        session = None
    return CustomerState(customer_id, profile, session), int(version), marks


def customer_value(state: CustomerState, *, version: int, marks: bytes = b"", marks_until: int | None = None,
                   session_until_ms: int | None = None) -> bytes:
    """A customer as the save script stores them (for tools that write customers in bulk: the benchmarks)."""
    head = (f"T1|{version}|{'' if session_until_ms is None else session_until_ms}|"
            f"{'' if marks_until is None else marks_until}|{len(marks)}|")
    return head.encode() + marks + pack(state.profile, state.session)


def _read_previous(customer_id: str, profile_raw: list, session_raw: list, digests: bytes) -> tuple[
        CustomerState, int, bytes]:
    """A customer as the release before stored them: hashes, and 8-byte digests (their prefixes are the marks)."""
    profile = _pairs(profile_raw)
    version = int(profile.pop(b"_v", 0))
    state = CustomerState(customer_id, from_hash(Profile, profile),
                          from_hash(Session, _pairs(session_raw)) if session_raw else None)
    marks = b"".join(digests[i:i + MARK_BYTES] for i in range(0, len(digests), DIGEST_BYTES))
    return state, version, marks


class RedisStore:
    """:class:`StateStore` on a standalone Redis (Redis Cluster: :class:`streams.store.cluster.ClusterStore`)."""

    def __init__(
        self, client: aioredis.Redis, *, session_ttl_seconds: float, dedupe_ttl_seconds: int,
        dedupe_events: int = 64,
    ) -> None:
        self._redis = client
        self._session_ttl_ms = int(session_ttl_seconds * 1000)
        self._dedupe_ttl = dedupe_ttl_seconds
        self._marks_bytes = dedupe_events * MARK_BYTES
        self._load = client.register_script(LOAD)
        self._save = client.register_script(SAVE)
        self._save_partition = client.register_script(SAVE_PARTITION)
        self._alive = client.register_script(ALIVE)
        #: Scripts this store loaded into Redis (a restart forgets them: NOSCRIPT loads them again).
        self._known_scripts: set[str] = set()

    @classmethod
    def from_url(
        cls, url: str, *, session_ttl_seconds: float, dedupe_ttl_seconds: int, dedupe_events: int = 64,
        **connection: Any,
    ) -> RedisStore:
        """``connection``: redis-py options such as ``password`` and TLS files (see streams.transport)."""
        client = pack_in_c(aioredis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5, **connection))
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
        return self._loaded(wanted, await self._run_scripts(self._load, [(script_keys(c), ()) for c in wanted]))

    async def find(self, customer_id: str) -> tuple[str, Profile] | None:
        """The customer asked for as ``customer_id``: the id they are kept under and their profile, or None.

        Under the id as the tracker keeps it (an e-mail address in lower case), else as given
        (:func:`models.ids.spellings`): what a marketer types may be cased otherwise.
        """
        loaded = await self.load(dict.fromkeys(spellings(customer_id), ()))
        return next(((name, item.state.profile) for name, item in loaded.items()
                     if item.state.profile.first_seen is not None), None)

    async def _run_scripts(
        self, script: AsyncScript, calls: Sequence[tuple[Sequence[str], Sequence[str | int | bytes]]]
    ) -> list:
        """``script`` once per (keys, args), pipelined: one round trip (one per node on a cluster)."""
        return await self._run_after(self._pipeline(), script, calls)

    def _pipeline(self) -> Any:
        """A pipeline of commands sent together, not a transaction."""
        return self._redis.pipeline(transaction=False)

    async def _run_after(
        self, pipe: Any, script: AsyncScript, calls: Sequence[tuple[Sequence[str], Sequence[str | int | bytes]]]
    ) -> list:
        """``script`` once per (keys, args) after the commands already in ``pipe``: one round trip.

        The calls go as raw ``EVALSHA``: redis-py's script objects make each pipeline ask Redis
        ``SCRIPT EXISTS`` first, a round trip more per batch.  If Redis does not know the script
        (restarted, flushed), it is loaded and only the calls refused with ``NOSCRIPT`` run
        again (a save that ran counted a version: running it twice would refuse it as stale).
        Returns the scripts' replies; an error (of any command) is raised.
        """
        if script.sha not in self._known_scripts:  # once per process: Redis usually has it from then on
            await self._redis.script_load(script.script)  # on a cluster: on every primary
            self._known_scripts.add(script.sha)
        first = len(pipe)
        for keys, args in calls:
            pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
        replies = await pipe.execute(raise_on_error=False)
        before, replies = replies[:first], replies[first:]
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing:
            await self._redis.script_load(script.script)
            again = self._pipeline()
            for i in missing:
                keys, args = calls[i]
                again.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
            for i, reply in zip(missing, await again.execute(raise_on_error=False)):
                replies[i] = reply
        for reply in (*before, *replies):
            if isinstance(reply, Exception):
                raise reply
        return replies

    @staticmethod
    def _loaded(wanted: dict[str, Sequence[str]], replies: Sequence[list]) -> dict[str, Loaded]:
        """The load script's replies, one per wanted customer, as :class:`Loaded`."""
        loaded = {}
        now = time.time()
        for (customer_id, event_ids), (outbox_raw, forgotten, *stored) in zip(wanted.items(), replies):
            if len(stored) == 1:
                state, version, marks = read_customer(customer_id, stored[0], now=now)
            else:
                state, version, marks = _read_previous(customer_id, *stored)
            seen: set[str] = set()
            if marks and event_ids:
                held = marks_of(marks)
                seen = {event_id for event_id in event_ids if event_mark(event_id) in held}
            outbox = [OutboxEntry.from_json(k.decode(), v) for k, v in _pairs(outbox_raw).items()] if outbox_raw else []
            loaded[customer_id] = Loaded(state, seen, outbox, bool(forgotten), version, marks,
                                         owned=own_parts(state))
        return loaded

    async def save(
        self, changes: Sequence[Change], *, offsets: Offsets | None = None, tokens: Mapping[int, int] | None = None,
    ) -> list[str]:
        """Write every change: one atomic script per input partition, all in one round trip.

        Each partition's script writes its customers, their outbox records and deadlines and
        the partition's ``offsets`` (if no customer of it was refused), unless a fencing token
        newer than ``tokens``' was taken for it: then it writes nothing and refuses them all.
        Returns the customers whose write was refused (stale, forgotten or fenced).
        """
        by_partition: dict[int, list[Change]] = {}
        for change in changes:
            by_partition.setdefault(change.partition, []).append(change)
        for _, partition in offsets or ():
            by_partition.setdefault(partition, [])  # read, nothing changed: how far is still saved
        if not by_partition:
            return []
        calls = [((fence_key(partition), deadlines_key(partition), offsets_key(partition)),
                  self._partition_inputs(partition, group, offsets, tokens))
                 for partition, group in by_partition.items()]
        replies = await self._run_scripts(self._save_partition, calls)
        return [change.state.customer_id
                for group, reply in zip(by_partition.values(), replies)
                for change, version in zip(group, reply) if int(version) < 0]

    def _partition_inputs(
        self, partition: int, changes: Sequence[Change], offsets: Offsets | None, tokens: Mapping[int, int] | None,
    ) -> list[str | int | bytes]:
        """The arguments of one partition's save script (see ``scripts.SAVE_PARTITION``)."""
        now = time.time()
        open_until = str(int(now * 1000) + self._session_ttl_ms)
        token = tokens.get(partition) if tokens else None
        read: list[str | int] = []
        for (topic, number), offset in (offsets or {}).items():
            if number == partition:
                read += (topic, offset)
        args: list[str | int | bytes] = [
            "" if token is None else token, _FLAT.encode(read) if read else "",
            f"{self._marks_bytes}|{int(now)}|{int(now) + self._dedupe_ttl}|",
        ]
        for change in changes:
            state = change.state
            due = change.due
            args += (
                state.customer_id,
                "" if state.session is None else open_until,
                "" if change.version is None else change.version,
                b"".join([event_mark(event_id) for event_id in change.handled_event_ids]),
                pack(state.profile, state.session),
                _flat({entry.entry_id: entry.to_json() for entry in change.outbox}) if change.outbox else "",
                "-" if not change.reschedule else "" if due is None else repr(due.timestamp()),
            )
        return args

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
        customers = {customer_of_profile_key(key.decode()): () for key in keys}
        loaded = self._loaded(customers, await self._run_scripts(self._load, [(script_keys(c), ()) for c in customers]))
        # version 0: the key went between the SCAN and the read (an erasure).
        return [(customer_id, item.state.profile) for customer_id, item in loaded.items() if item.version]

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
        self._schedule_many(pipe, [(done.customer_id, done.partition, done.due) for done in cleared])
        await pipe.execute()

    async def take_fences(self, partitions: Collection[int]) -> dict[int, int]:
        """A new fencing token per partition: ``INCR`` of its counter, pipelined."""
        numbers = sorted(partitions)
        if not numbers:
            return {}
        pipe = self._pipeline()
        for partition in numbers:
            pipe.incr(fence_key(partition))
        return dict(zip(numbers, map(int, await pipe.execute())))

    async def fences(self, partitions: Collection[int]) -> dict[int, int]:
        """The latest fencing token taken for each partition (0: none)."""
        numbers = sorted(partitions)
        if not numbers:
            return {}
        pipe = self._pipeline()
        for partition in numbers:
            pipe.get(fence_key(partition))
        return {partition: int(token or 0) for partition, token in zip(numbers, await pipe.execute())}

    async def save_progress(self, progress: Progress) -> None:
        """Remember how far a replay got, never moving back (a redelivered batch is older)."""
        pipe = self._redis.pipeline(transaction=False)
        for (topic, partition), position in progress.items():
            if position.event_time is not None:
                pipe.zadd(clock_key(partition), {topic: position.event_time}, gt=True)
            pipe.zadd(offsets_key(partition), {topic: position.offset}, gt=True)
        await pipe.execute()

    async def saved_offsets(self, partitions: Collection[int]) -> dict[tuple[str, int], int]:
        """The offset of the latest record saved, by input (topic, partition), for ``partitions`` (pipelined)."""
        pipe = self._pipeline()
        numbers = sorted(partitions)
        for partition in numbers:
            pipe.zrange(offsets_key(partition), 0, -1, withscores=True)
        return {(topic.decode(), partition): int(offset)
                for partition, stored in zip(numbers, await pipe.execute()) for topic, offset in stored}

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
    def _schedule_many(pipe: Any, dues: Iterable[tuple[str, int, datetime | None]]) -> None:
        """Customers' due times (customer, partition, due): one ZADD and one ZREM per partition, not a command each.

        A command per customer was a tenth of a save's cost in the client (redis-py packs and
        awaits each reply in Python). A customer given two due times gets the last one.
        """
        by_partition: dict[int, dict[str, datetime | None]] = {}
        for customer_id, partition, due in dues:
            by_partition.setdefault(partition, {})[customer_id] = due
        for partition, due_of in by_partition.items():
            add = {customer_id: due.timestamp() for customer_id, due in due_of.items() if due is not None}
            gone = [customer_id for customer_id, due in due_of.items() if due is None]
            if add:
                pipe.zadd(deadlines_key(partition), add)
            if gone:
                pipe.zrem(deadlines_key(partition), *gone)

    async def deadline_counts(self, partitions: Iterable[int], now: float, chunk: int = 1000) -> DeadlineCounts:
        """Count pending, overdue and live-session customers in ``partitions`` at Unix time ``now``.

        One pipelined ZCARD + ZCOUNT per partition; live sessions take a ZSCAN of each set and
        a pipelined check of the open visits, ``chunk`` at a time (linear in the set's size).
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
            stored = await self.deadlines(partition, chunk)
            active += len(await self.open_visits([c for c, at in stored.items() if at > now], chunk))
        return DeadlineCounts(pending, overdue, active)

    async def deadlines(self, partition: int, chunk: int = 1000) -> dict[str, float]:
        """Every due time in ``partition``'s set (customer → epoch seconds), read ``chunk`` at a time (ZSCAN)."""
        return {(member.decode() if isinstance(member, bytes) else str(member)): score
                async for member, score in self._redis.zscan_iter(deadlines_key(partition), count=chunk)}

    async def open_visits(self, customer_ids: Sequence[str], chunk: int = 1000) -> set[str]:
        """Of ``customer_ids``, those stored with an open visit (pipelined, ``chunk`` at a time)."""
        found: set[str] = set()
        now_ms = int(time.time() * 1000)
        for start in range(0, len(customer_ids), chunk):
            some = customer_ids[start:start + chunk]
            calls = [([profile_key(c), session_key(c)], (now_ms,)) for c in some]
            found.update(c for c, alive in zip(some, await self._run_scripts(self._alive, calls)) if alive)
        return found
