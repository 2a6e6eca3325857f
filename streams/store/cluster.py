"""Customer state on Redis Cluster: the same layout and guarantees as :class:`RedisStore`.

Every key of one customer carries the hash tag ``{customer_id}``, so one customer's save
script touches one slot, and the deadlines of partition n (``tracker:deadlines:{p<n>}``)
are one key on one node. What differs from a standalone Redis:

* A customer's deadline and their state live on different nodes, so the one pipeline of
  :meth:`RedisStore.save` becomes two steps: every deadline first, then every save script
  (the order that keeps a crash in between harmless, see :mod:`streams.store.redis`). Each step
  is one round trip per node, the nodes in parallel.
* Scripts go as raw ``EVALSHA`` here as on a standalone Redis (:meth:`RedisStore._run_after`);
  a node that does not know the script (new, restarted, failed over) answers ``NOSCRIPT``,
  the script is loaded on every primary and the calls it refused run again (only those: a
  save that ran counted a version). The store's pipelines are cluster pipelines
  (:meth:`_pipeline`).
* Reads (load, due, SCAN of profiles and of a customer's keys) need no other change: the
  cluster client routes each key to its node and runs SCAN on every primary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio.cluster import ClusterNode, RedisCluster

from streams.store.base import Change, Delivered
from streams.store.keys import outbox_key
from streams.store.redis import _AT_ONCE, RedisStore
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

    async def save(self, changes: Sequence[Change]) -> list[str]:
        """Every deadline, then every customer's atomic script; each step one round trip per node."""
        if not changes:
            return []
        deadlines = self._cluster.pipeline()
        self._schedule_all(deadlines, changes)
        if len(deadlines):
            await deadlines.execute()
        replies = await self._run_scripts(self._save, self._script_inputs(changes))
        return await self._settled(changes, replies)

    async def _wake(self, changes: Sequence[Change]) -> None:
        deadlines = self._cluster.pipeline()
        for change in changes:
            if change.reschedule:
                self._schedule(deadlines, change.state.customer_id, change.partition, _AT_ONCE)  # type: ignore[arg-type]
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
