"""Reading back the worker's own output topics (the :class:`~streams.worker.tracker.OutputLog` on Kafka).

After a crash between Kafka's acknowledgement of a trigger and the outbox clear in Redis,
the next process finds the trigger still in the outbox.  Before publishing it again it
asks here whether the topic already holds it: the partitions are read from the first
offset at or after the record's decision time (``offsets_for_times``) up to the end
offsets taken when the lookup starts.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

log = logging.getLogger("tracker")


class KafkaOutputLog:
    """A group-less consumer, started on first use, that scans output topics by time."""

    def __init__(self, bootstrap_servers: list[str], *, auth: Mapping[str, Any] | None = None) -> None:
        self._servers = bootstrap_servers
        self._auth = dict(auth or {})
        self._consumer: AIOKafkaConsumer | None = None

    async def published(self, topic: str, since: datetime, keys: Collection[str]) -> list[bytes]:
        consumer = await self._started()
        # Public metadata of one topic needs the client; the consumer's own cache only knows assigned topics.
        cluster = await consumer._client.fetch_all_metadata()
        numbers = cluster.partitions_for_topic(topic)
        if not numbers:
            return []  # the topic does not exist (yet): nothing was published to it
        partitions = [TopicPartition(topic, n) for n in sorted(numbers)]
        starts = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in partitions})
        ends = await consumer.end_offsets(partitions)
        remaining = {tp: ends[tp] for tp in partitions
                     if starts.get(tp) is not None and starts[tp].offset < ends[tp]}
        consumer.assign(list(remaining))  # only the partitions with records to read
        for tp in remaining:
            consumer.seek(tp, starts[tp].offset)
        wanted = {key.encode() for key in keys}
        values: list[bytes] = []
        scanned = 0
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batches.items():
                for record in records:
                    if record.offset >= remaining.get(tp, -1):
                        continue
                    scanned += 1
                    if record.key in wanted and record.value is not None:
                        values.append(record.value)
            for tp in list(remaining):
                if await consumer.position(tp) >= remaining[tp]:
                    del remaining[tp]
        log.info("output lookup: topic=%s since=%s records_scanned=%d matches=%d",
                 topic, since.isoformat(), scanned, len(values))
        return values

    async def _started(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._servers, group_id=None, enable_auto_commit=False,
                auto_offset_reset="earliest", **self._auth,
            )
            await consumer.start()
            self._consumer = consumer
        return self._consumer

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
