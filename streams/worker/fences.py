"""Per-partition fencing: a worker that lost its partitions no longer writes them or publishes their records.

A worker that stalls past the group's session timeout (a frozen VM, a long pause) loses its
partitions to another worker without knowing it, and carries on when it resumes (a zombie)
until its next heartbeat tells it.  It could write customers the new owner now serves, and
publish records from their outboxes, so an email system would get a trigger twice.

So each assignment takes a token per input partition (``INCR`` of a counter in Redis, one more
than any taken before).  Each save names the writer's tokens, and a standalone Redis refuses a
partition's write whole if a newer token was taken (``RedisStore.save``; on Redis Cluster the
tokens are read just before); the tracker then leaves the partition's records to the new owner
(:meth:`lost`, ``tracker_fenced_writes_total``).  Before publishing a partition's records the
worker reads the counter too: if a newer token was taken since its own, the records stay in the
outbox for the new owner (``tracker_fenced_records_total``).  What remains is the moment between
that read and the publish: a zombie that stalls exactly there publishes once more, with the same
``offer_id`` (see docs/reliability.md).
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from streams.metrics import Metrics
from streams.store import FenceStore
from streams.worker.retry import Retry

log = logging.getLogger("tracker")


class Fences:
    """The fencing tokens this worker took for its input partitions, and the check before publishing."""

    def __init__(self, store: FenceStore, metrics: Metrics) -> None:
        self._store = store
        self._retry = Retry(metrics)
        #: partition -> the token this worker took when it was assigned the partition.
        self._held: dict[int, int] = {}

    @property
    def held(self) -> dict[int, int]:
        return dict(self._held)

    async def take(self, partitions: Collection[int]) -> None:
        """Take a new token for each newly assigned partition (retried until Redis answers).

        Only ever at an assignment: a token taken later (say, on the first publish) could be
        newer than the real owner's and fence it instead of the zombie.
        """
        if not partitions:
            return
        tokens = await self._retry.until_done("taking fencing tokens", lambda: self._store.take_fences(partitions))
        self._held.update(tokens)
        log.info("fencing tokens taken: %s", ",".join(f"p{p}={t}" for p, t in sorted(tokens.items())))

    def release(self, partitions: Collection[int]) -> None:
        """Forget the tokens of revoked partitions: the next assignment takes new ones."""
        for partition in partitions:
            self._held.pop(partition, None)

    async def lost(self, partitions: Collection[int]) -> set[int]:
        """Of ``partitions``, those whose records this worker must no longer publish.

        A partition is lost when a newer token was taken since this worker's (another worker was
        assigned it).  A partition this worker holds no token for (a tool running the tracker
        without a consumer group) is not checked.  Redis errors are raised: the caller keeps
        the records for the next tick.
        """
        held = {partition: self._held[partition] for partition in partitions if partition in self._held}
        if not held:
            return set()
        latest = await self._store.fences(held.keys())
        lost = {partition for partition, token in held.items() if latest.get(partition, 0) > token}
        for partition in sorted(lost):
            log.warning("partition %d has a newer owner (fencing token %d > %d): its records are left to it",
                        partition, latest[partition], held[partition])
        return lost
