"""The input side of the worker: whole fetches from aiokafka, handed to the tracker as batches.

Why not a Faust agent: faust-streaming 0.15.3 routes every message through its own
tasks, the conductor and a channel queue before an agent sees it, and a bare agent that
does nothing tops out near 7k messages/s on a 2-core machine (docs/architecture.md) while
aiokafka's own ``getmany`` delivers over 150k decoded records/s.  The tracker already
works on batches, so this service asks aiokafka for a batch, lets
:meth:`~streams.worker.tracker.Tracker.handle` save its effects together with how far each
partition was read, and only then counts the batch as done: at-least-once delivery, and the
tracker's dedupe makes it exactly-once in effect.  A newly assigned partition is read from
after the last record Redis holds the effects of; Kafka's committed offsets are a hint,
committed now and then.  The Faust app keeps the rest — web, timers, producer.

Per-customer order holds because a customer's events of one topic live in one partition
and a partition's records come in offset order; records of the two topics are merged by
their Kafka timestamp.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Protocol

import mode
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from aiokafka.errors import CommitFailedError, KafkaError

from streams.core.intake import Record
from streams.metrics import Metrics

log = logging.getLogger("tracker")


class Handled(Protocol):
    """What handling a batch tells the consumer."""

    #: Input partitions whose records were not saved because another worker took them (this
    #: worker is a zombie until its next heartbeat): not acknowledged, and not read further.
    fenced: Collection[int]


Handle = Callable[[Sequence[Record]], Awaitable[Handled | None]]
#: Told the input partition numbers assigned to this worker (before its first batch of them)
#: and revoked from it (after its last batch of them is committed).
Assigned = Callable[[set[int]], Awaitable[None]]
Revoked = Callable[[set[int]], None]
#: Told the input partitions assigned to this worker; answers the offset of the latest record
#: whose effects Redis holds, by (topic, partition), for those it knows.
Saved = Callable[[set[int]], Awaitable[Mapping[tuple[str, int], int]]]

#: How the group splits the input partitions.  Range splits each topic alike, so partition n of
#: both input topics (one customer's visits and orders) goes to the same worker, the one that
#: fires partition n's deadlines.  aiokafka's default, round robin over the partitions of all
#: topics together, does so only when the workers divide the partition count: 3 workers on 4
#: partitions gave one customer's visits and orders to two workers.  Round robin stays second,
#: so workers of the release before (round robin only) and of this one can share a group during a
#: rolling upgrade: Kafka picks the first assignor every member names, range once all are new.
ASSIGNORS = (RangePartitionAssignor, RoundRobinPartitionAssignor)


async def _nothing_assigned(partitions: set[int]) -> None:
    return None


async def _nothing_saved(partitions: set[int]) -> Mapping[tuple[str, int], int]:
    return {}


class _Listener(ConsumerRebalanceListener):
    """Lets a batch in flight finish and commit before its partitions go to another worker."""

    def __init__(self, owner: BatchConsumer) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        async with self._owner.in_flight:
            self._owner.metrics.rebalances.inc()
            await self._owner.commit_pending()
            for tp in revoked:
                self._owner.tp_committed_offsets.pop(tp, None)
                self._owner.pending_offsets.pop(tp, None)
                self._owner.tp_read_offsets.pop(tp, None)
            self._owner.on_revoked({tp.partition for tp in revoked})

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        assigned = sorted(assigned)
        # aiokafka fetches for an assignment as soon as it is set, while this callback still
        # awaits Redis and Kafka: records read from the group's offset before the seek below would
        # be handed to the batch loop, and a saved state's records applied twice. Paused first,
        # before any await, nothing of these partitions is handed out until they are placed.
        self._owner.hold(assigned)
        try:
            log.info("partitions assigned: %s", ",".join(f"{tp.topic}/{tp.partition}" for tp in assigned))
            await self._owner.on_assigned({tp.partition for tp in assigned})
            await self._owner.resume_where_saved(assigned)
        finally:
            self._owner.release(assigned)


class BatchConsumer(mode.Service):
    """Consumes ``topics`` in one consumer group and calls ``handle`` once per fetched batch."""

    def __init__(
        self,
        *,
        topics: Sequence[str],
        bootstrap_servers: Sequence[str],
        group_id: str,
        handle: Handle,
        metrics: Metrics,
        batch_size: int,
        batch_seconds: float,
        batch_min_bytes: int = 1,
        session_timeout_seconds: float,
        heartbeat_seconds: float,
        rebalance_timeout_seconds: float,
        client_options: Mapping[str, Any] | None = None,
        on_assigned: Assigned | None = None,
        on_revoked: Revoked | None = None,
        saved_offsets: Saved | None = None,
        commit_interval_seconds: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._topics = list(topics)
        self._handle = handle
        self.on_assigned: Assigned = on_assigned or _nothing_assigned
        self.on_revoked: Revoked = on_revoked or (lambda partitions: None)
        self._saved_offsets: Saved = saved_offsets or _nothing_saved
        self._commit_interval = commit_interval_seconds
        #: Offsets (next to read) of handled batches not committed to Kafka yet, and when it was last done.
        self.pending_offsets: dict[TopicPartition, int] = {}
        self._committed_at = time.monotonic()
        self.metrics = metrics
        self._batch_size = batch_size
        self._options = dict(
            bootstrap_servers=",".join(bootstrap_servers),
            group_id=group_id,
            client_id=f"{group_id}-intake",
            enable_auto_commit=False,
            partition_assignment_strategy=ASSIGNORS,
            auto_offset_reset="earliest",
            max_poll_records=batch_size,
            # Small fetches per partition keep the two input topics interleaved in a backlog
            # (aiokafka hands out one partition's buffered fetch before the next one's): a
            # customer's order then arrives close to the visits around it.
            max_partition_fetch_bytes=64 * 1024,
            # A live stream's fetch waits for some input, up to batch_seconds: a batch's costs
            # (a fetch, a load and a save round trip, a script per partition) are then shared by
            # more events (about 30 events per batch at 3,000/s without it, 65 with 16 KiB).
            fetch_max_wait_ms=max(int(batch_seconds * 1000), 1),
            fetch_min_bytes=batch_min_bytes,
            session_timeout_ms=int(session_timeout_seconds * 1000),
            heartbeat_interval_ms=int(heartbeat_seconds * 1000),
            rebalance_timeout_ms=int(rebalance_timeout_seconds * 1000),
            **(client_options or {}),
        )
        self._consumer: AIOKafkaConsumer | None = None
        #: Held while a batch is handled and committed; a rebalance waits for it.
        self.in_flight = asyncio.Lock()
        #: Offsets (next to read) committed and last read, per partition: what lag is measured from.
        self.tp_committed_offsets: dict[TopicPartition, int] = {}
        self.tp_read_offsets: dict[TopicPartition, int] = {}

    async def on_start(self) -> None:
        self._consumer = AIOKafkaConsumer(**self._options)
        self._consumer.subscribe(self._topics, listener=_Listener(self))
        await self._consumer.start()

    async def on_stop(self) -> None:
        if self._consumer is not None:
            async with self.in_flight:  # finish and commit the batch in hand
                await self.commit_pending()
                await self._consumer.stop()

    @mode.Service.task
    async def _consume(self) -> None:
        assert self._consumer is not None
        while not self.should_stop:
            try:
                fetched = await self._consumer.getmany(timeout_ms=500, max_records=self._batch_size)
            except KafkaError as exc:  # the client reconnects by itself; say so once per failure
                log.warning("fetch failed, retrying: error=%r", exc)
                await asyncio.sleep(1.0)
                continue
            if fetched:
                await self._handle_batch(fetched)
            elif time.monotonic() - self._committed_at >= self._commit_interval:
                async with self.in_flight:  # idle: what the last batches read is committed too
                    await self.commit_pending()

    async def _handle_batch(self, fetched: Mapping[TopicPartition, list[Any]]) -> None:
        assert self._consumer is not None
        async with self.in_flight:
            records = [
                Record(tp.topic, tp.partition, m.offset, m.key, m.value, m.timestamp / 1000 if m.timestamp else None)
                for tp, messages in fetched.items() for m in messages
            ]
            if len(fetched) > 1:  # two topics (or partitions) in one batch: closest to the order they were sent
                records.sort(key=lambda record: record.timestamp or 0.0)
            handled = await self._handle(records)
            fenced = set(handled.fenced) if handled is not None else set()
            if fenced:
                self._leave_to_new_owner(fetched, fenced)
            offsets = {tp: messages[-1].offset + 1 for tp, messages in fetched.items() if tp.partition not in fenced}
            for tp, offset in offsets.items():
                self.tp_read_offsets[tp] = offset - 1
            self.pending_offsets.update(offsets)
            if time.monotonic() - self._committed_at >= self._commit_interval:
                await self.commit_pending()

    async def commit_pending(self) -> None:
        """Commit the handled batches' offsets to Kafka (a failure is logged: the next commit carries later ones).

        Where a worker resumes is what Redis says was saved (:meth:`resume_where_saved`): Kafka's
        committed offsets are for the group's tools, for partitions Redis knows nothing of, and
        a hint, so they are committed at most every ``commit_interval_seconds``.
        """
        if not self.pending_offsets or self._consumer is None:
            return
        offsets, self.pending_offsets = self.pending_offsets, {}
        started = time.perf_counter()
        self._committed_at = time.monotonic()
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # A rebalance took the partitions: their next owner resumes where Redis says was saved.
            self.metrics.commit_errors.inc()
            log.warning("commit failed, the next owner resumes from the offsets saved in Redis: error=%r", exc)
            return
        self.metrics.commit_seconds.observe(time.perf_counter() - started)
        self.tp_committed_offsets.update(offsets)

    def hold(self, partitions: Sequence[TopicPartition]) -> None:
        """Hand out no records of ``partitions`` (what aiokafka fetched of them meanwhile is dropped on release)."""
        assert self._consumer is not None
        self._consumer.pause(*partitions)

    def release(self, partitions: Sequence[TopicPartition]) -> None:
        """Read ``partitions`` again, from their positions now, those still assigned."""
        assert self._consumer is not None
        assignment = self._consumer.assignment()
        self._consumer.resume(*(tp for tp in partitions if tp in assignment))

    async def resume_where_saved(self, assigned: Sequence[TopicPartition]) -> None:
        """Read newly assigned partitions from after the last record whose effects Redis holds.

        Redis holds those offsets in the same atomic write as the state (on a standalone Redis),
        so they are exact where Kafka's committed offsets may lag (a crash between the save and
        the commit, commits at most every ``commit_interval_seconds``) or lead (Redis lost its last
        writes: the records are read again and the state rebuilt).  An offset past the partition's
        end (a topic deleted and created again) is not used: the group's committed offset is.
        """
        assert self._consumer is not None
        saved = await self._saved_offsets({tp.partition for tp in assigned})
        wanted = {tp: saved[(tp.topic, tp.partition)] + 1 for tp in assigned if (tp.topic, tp.partition) in saved}
        if not wanted:
            return
        ends = await self._consumer.end_offsets(list(wanted))
        for tp, offset in sorted(wanted.items()):
            if offset > ends.get(tp, 0):
                log.warning("saved offset past the end of %s/%d (%d > %d): resuming from the group's committed offset",
                            tp.topic, tp.partition, offset, ends.get(tp, 0))
                continue
            self._consumer.seek(tp, offset)
        log.info("resuming where Redis says the state was saved: %s",
                 ",".join(f"{tp.topic}/{tp.partition}@{offset}" for tp, offset in sorted(wanted.items())))

    def _leave_to_new_owner(self, fetched: Mapping[TopicPartition, list[Any]], fenced: set[int]) -> None:
        """Read the fenced partitions' records again from this batch on, but not before the next rebalance.

        Their new owner reads them from the group's committed offsets; this worker pauses them
        (the next assignment, which its next heartbeat brings, starts afresh) rather than read
        and be refused in a loop.
        """
        assert self._consumer is not None
        for tp, messages in fetched.items():
            if tp.partition in fenced:
                self._consumer.seek(tp, messages[0].offset)
                self._consumer.pause(tp)
        log.warning("partitions %s have a newer owner: their records are left to it, paused until the next "
                    "rebalance", ",".join(str(p) for p in sorted(fenced)))

    # The part of a consumer that timers and the lag gauge use.

    def assignment(self) -> set[TopicPartition]:
        return set(self._consumer.assignment()) if self._consumer is not None else set()

    async def highwaters(self, *partitions: TopicPartition) -> dict[TopicPartition, int]:
        if self._consumer is None or not partitions:
            return {}
        return dict(await self._consumer.end_offsets(list(partitions)))

    async def position(self, tp: TopicPartition) -> int | None:
        if self._consumer is None:
            return None
        try:
            return await self._consumer.position(tp)
        except KafkaError:
            return None
