"""Customer state on Redis Cluster: the same layout and guarantees as :class:`RedisStore`.

Every key of one customer carries the hash tag ``{customer_id}``, so one customer's save
script touches one slot, and the deadlines of partition n (``tracker:deadlines:{p<n>}``)
are one key on one node. What differs from a standalone Redis:

* A customer's deadline and their state live on different nodes, so the one script per
  partition of :meth:`RedisStore.save` becomes steps: every deadline first, then every
  customer's save script (the order that keeps a crash in between harmless, see
  :mod:`streams.store.redis`), then the partitions' offsets where no customer was refused. Each
  step is one round trip per node, the nodes in parallel. Fencing is a read of the tokens before.
* Scripts go as raw ``EVALSHA`` here as on a standalone Redis (:meth:`RedisStore._run_after`);
  a node that does not know the script (new, restarted, failed over) answers ``NOSCRIPT``,
  the script is loaded on every primary and the calls it refused run again (only those: a
  save that ran counted a version). The store's pipelines are cluster pipelines
  (:meth:`_pipeline`).
* Reads (load, due, SCAN of profiles and of a customer's keys) need no other change: the
  cluster client routes each key to its node and runs SCAN on every primary.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from redis.asyncio.cluster import ClusterNode, RedisCluster

from streams.store.base import Change, Delivered, Offsets
from streams.store.keys import deadlines_key, event_mark, offsets_key, outbox_key, script_keys
from streams.store.packed import pack
from streams.store.redis import RedisStore, _flat

#: The due time a refused change's deadline gets: before any time, a live or a replay's clock.
_AT_ONCE = datetime.fromtimestamp(0, timezone.utc)
from streams.store.wire import pack_in_c


class ClusterStore(RedisStore):
    """:class:`streams.store.redis.StateStore` on Redis Cluster."""

    def __init__(
        self, client: RedisCluster, *, session_ttl_seconds: float, dedupe_ttl_seconds: int, dedupe_events: int = 64
    ) -> None:
        super().__init__(client, session_ttl_seconds=session_ttl_seconds,  # type: ignore[arg-type]
                         dedupe_ttl_seconds=dedupe_ttl_seconds, dedupe_events=dedupe_events)
        self._cluster = client

    @classmethod
    def from_nodes(
        cls, nodes: Sequence[tuple[str, int]], *, session_ttl_seconds: float, dedupe_ttl_seconds: int,
        dedupe_events: int = 64, **connection: Any,
    ) -> ClusterStore:
        """A store on the cluster that any one of ``nodes`` belongs to (the rest are discovered).

        ``connection``: redis-py options such as ``password`` and TLS files (see streams.transport).
        """
        if not nodes:
            raise ValueError("a Redis Cluster store needs at least one startup node")
        if any(name.startswith("ssl_") for name in connection):
            connection = {**connection, "ssl": True}
        client = pack_in_c(RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in nodes],
            socket_timeout=10, socket_connect_timeout=5, **connection,
        ))
        return cls(client, session_ttl_seconds=session_ttl_seconds, dedupe_ttl_seconds=dedupe_ttl_seconds,
                   dedupe_events=dedupe_events)

    async def ping(self) -> bool:
        return bool(await self._cluster.ping(target_nodes=RedisCluster.PRIMARIES))

    async def save(
        self, changes: Sequence[Change], *, offsets: Offsets | None = None, tokens: Mapping[int, int] | None = None,
    ) -> list[str]:
        """Every deadline, then every customer's atomic script, then the offsets; each step one round trip per node.

        Fencing here is a read of the partitions' tokens before writing, not part of one atomic
        step: a worker that loses a partition between that read and its writes can still write
        once (its saves stay refused per customer by their version if the new owner wrote first).
        """
        partitions = {change.partition for change in changes} | {partition for _, partition in offsets or ()}
        fenced: set[int] = set()
        if tokens:
            latest = await self.fences({partition for partition in partitions if partition in tokens})
            fenced = {partition for partition, token in latest.items() if token > tokens[partition]}
        writing = [change for change in changes if change.partition not in fenced]
        refused = [change.state.customer_id for change in changes if change.partition in fenced]
        stale: list[str] = []
        unread = set(fenced)  # where the offsets stay as they were: fenced, or a customer refused
        if writing:
            deadlines = self._cluster.pipeline()
            self._schedule_all(deadlines, writing)
            if len(deadlines):
                await deadlines.execute()
            replies = await self._run_scripts(self._save, self._script_inputs(writing))
            stale = await self._settled(writing, replies)
            unread |= {change.partition for change, reply in zip(writing, replies) if int(reply) < 0}
        if offsets:
            # Only where every customer was written: a refused one's events must be read again after a crash.
            await self._read_up_to({key: offset for key, offset in offsets.items() if key[1] not in unread})
        return refused + stale

    async def _read_up_to(self, offsets: Offsets) -> None:
        if not offsets:
            return
        pipe = self._cluster.pipeline()
        for (topic, partition), offset in offsets.items():
            pipe.zadd(offsets_key(partition), {topic: offset}, gt=True)
        await pipe.execute()

    async def _settled(self, changes: Sequence[Change], replies: Sequence[int]) -> list[str]:
        """Wake the refused changes' timers and return their customers (a reply below 0: refused).

        A refused change already set its deadline from the stale state it was computed from,
        which may be later than the stored state needs: its deadline goes to the epoch, so the timer
        looks at the stored state at once (waking early is harmless, see :mod:`streams.store.redis`).
        """
        refused = [change for change, reply in zip(changes, replies) if int(reply) < 0]
        if refused:
            await self._wake(refused)
        return [change.state.customer_id for change in refused]

    def _script_inputs(self, changes: Sequence[Change]) -> list[tuple[Sequence[str], list[str | int | bytes]]]:
        """The keys (all in the customer's slot) and arguments of each change's save script.

        The header's times are read once for the batch, and its text made once for a customer
        with open visits and once for one without: only the expected version differs by customer.
        """
        # A forgotten customer's writes are refused inside the script, so a batch that was
        # loaded before the erasure cannot bring them back.
        now = time.time()
        marks = f"{self._marks_bytes}|{int(now)}|{int(now) + self._dedupe_ttl}|"
        closed, open_ = f"{marks}|", f"{marks}{int(now * 1000) + self._session_ttl_ms}|"
        inputs: list[tuple[Sequence[str], list[str | int | bytes]]] = []
        for change in changes:
            state = change.state
            head = closed if state.session is None else open_
            args: list[str | int | bytes] = [
                head if change.version is None else f"{head}{change.version}",
                b"".join([event_mark(event_id) for event_id in change.handled_event_ids]),
                pack(state.profile, state.session),
            ]
            if change.outbox:
                args.append(_flat({entry.entry_id: entry.to_json() for entry in change.outbox}))
            inputs.append((script_keys(state.customer_id), args))
        return inputs

    @staticmethod
    def _schedule_all(pipe: Any, changes: Sequence[Change]) -> None:
        """The rescheduled changes' due times (see :meth:`_schedule_many`)."""
        ClusterStore._schedule_many(pipe, [(change.state.customer_id, change.partition, change.due)
                                           for change in changes if change.reschedule])

    @staticmethod
    def _schedule(pipe: Any, customer_id: str, partition: int, due: datetime | None) -> None:
        if due is None:
            pipe.zrem(deadlines_key(partition), customer_id)
        else:
            pipe.zadd(deadlines_key(partition), {customer_id: due.timestamp()})


    async def _wake(self, changes: Sequence[Change]) -> None:
        deadlines = self._cluster.pipeline()
        for change in changes:
            if change.reschedule:
                self._schedule(deadlines, change.state.customer_id, change.partition, _AT_ONCE)
        if len(deadlines):
            await deadlines.execute()

    def _pipeline(self) -> Any:
        """A cluster pipeline: the commands grouped by node, one round trip per node."""
        return self._cluster.pipeline()

    async def delivered(self, cleared: Sequence[Delivered]) -> None:
        """Clear the outboxes, then set the deadlines (each step one round trip per node).

        In that order: a deadline kept by a crash in between only wakes the timer, while a
        deadline cleared before its outbox would leave acknowledged records in it with no
        timer to look at them (they would go out again, same ids, at the next event).
        """
        if not cleared:
            return
        outboxes = self._cluster.pipeline()
        for done in cleared:
            if done.entry_ids:
                outboxes.hdel(outbox_key(done.customer_id), *done.entry_ids)
        if len(outboxes):
            await outboxes.execute()
        deadlines = self._cluster.pipeline()
        self._schedule_many(deadlines, [(done.customer_id, done.partition, done.due) for done in cleared])
        await deadlines.execute()
