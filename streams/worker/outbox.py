"""Delivering the outbox: triggers and outcomes leave Redis only once Kafka acknowledged them.

A record is written to the customer's outbox in the same atomic step as the state that
decided it, so a crash can delay it but never lose it.  Nor send it twice: a record this
process did not just decide (inherited from a process that died between the broker's ack
and the outbox clear, or whose publish failed with an uncertain outcome) is first looked
up on its output topic (:class:`~streams.broker.base.OutputLog`), and cleared without
publishing when it is already there.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from redis.exceptions import RedisError

from streams.broker.base import OutputLog, Publisher, Topics
from streams.metrics import Metrics
from streams.store import Delivered, OutboxEntry, StateStore
from streams.worker.fences import Fences

log = logging.getLogger("tracker")


@dataclass(frozen=True, slots=True)
class Undelivered:
    """A customer's records waiting in their outbox, and when to look at them once delivered."""

    customer_id: str
    partition: int
    entries: Sequence[OutboxEntry]
    due_once_delivered: datetime | None


def published_entry_id(value: bytes, *, outcome: bool) -> str | None:
    """The outbox entry id a published trigger (or outcome) record carries; None if unreadable.

    >>> published_entry_id(b'{"offer_id": "o-1", "outcome": "expired"}', outcome=True)
    'o-1:expired'
    >>> published_entry_id(b'not json', outcome=False) is None
    True
    """
    try:
        body = json.loads(value)
        return f"{body['offer_id']}:{body['outcome']}" if outcome else str(body["offer_id"])
    except (ValueError, TypeError, KeyError):
        return None


class Outbox:
    """Publishes outbox records and clears the ones Kafka acknowledged."""

    def __init__(
        self, *, store: StateStore, publisher: Publisher, topics: Topics, metrics: Metrics,
        output_log: OutputLog | None = None, lookup_margin_seconds: float = 300.0,
        lookup_timeout_seconds: float = 30.0, fences: Fences | None = None,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._topics = topics
        self._metrics = metrics
        #: Without an output log an inherited outbox record is published again (at least once).
        self._output_log = output_log
        #: Clock skew allowed between the process that decided a record and the one that sent it.
        self._lookup_margin = timedelta(seconds=lookup_margin_seconds)
        self._lookup_timeout = lookup_timeout_seconds
        #: Records this process decided and has not tried to publish yet: certainly
        #: unpublished, so they go out without a lookup (the normal path).
        self._unsent: set[str] = set()
        #: Partitions another worker took over since this one's assignment are not published from.
        self._fences = fences

    def decided(self, entries: Sequence[OutboxEntry]) -> None:
        """Note records this process just decided: they need no lookup before their first send."""
        self._unsent.update(entry.entry_id for entry in entries)

    async def deliver(self, pending: Sequence[Undelivered]) -> int:
        """Publish outbox records; clear them once Kafka acknowledged them; return the triggers sent.

        Records that may have been published already are looked up first and only cleared
        if found.  All records go out concurrently (the producer batches them into few
        requests), then one round trip clears every customer whose records are all out.
        """
        pending = await self._owned(pending)
        if not pending:
            return 0
        everything = [entry for item in pending for entry in item.entries]
        found, undecided = await self._already_published(
            [entry for entry in everything if entry.entry_id not in self._unsent])
        to_send = [entry for entry in everything if entry.entry_id not in found | undecided]
        # From the first attempt on, the outcome is uncertain until the outbox is cleared.
        self._unsent.difference_update(entry.entry_id for entry in to_send)
        results = await asyncio.gather(
            *(self._publisher.publish(entry.topic, entry.key, entry.value) for entry in to_send),
            return_exceptions=True,
        )
        failed = {entry.entry_id: r for entry, r in zip(to_send, results) if isinstance(r, BaseException)}
        sent = 0
        cleared: list[Undelivered] = []
        for item in pending:
            failures = [failed[e.entry_id] for e in item.entries if e.entry_id in failed]
            if failures:  # the broker is down: the outbox keeps them for the next tick
                self._metrics.publish_errors.inc(len(failures))
                log.warning("publish failed, kept in outbox: entries=%d error=%r", len(failures), failures[0])
                continue
            if any(e.entry_id in undecided for e in item.entries):
                continue  # not known whether they went out: kept, looked up again next tick
            cleared.append(item)
            sent += self._count_sent(item.entries, found)
        try:
            await self._store.delivered([
                Delivered(item.customer_id, [e.entry_id for e in item.entries], item.partition,
                          item.due_once_delivered)
                for item in cleared
            ])
        except RedisError as exc:  # they stay due: the next tick finds them on their topic and clears them
            self._metrics.redis_errors.inc()
            log.warning("clearing the outbox failed: customers=%d error=%r", len(cleared), exc)
        return sent

    async def _owned(self, pending: Sequence[Undelivered]) -> Sequence[Undelivered]:
        """The records of partitions this worker still owns (see :mod:`streams.worker.fences`).

        The others stay in their outboxes: the partition's new owner publishes them.  If the
        tokens cannot be read, nothing is published now; the records are due again at the next tick.
        """
        if not pending or self._fences is None:
            return pending
        try:
            lost = await self._fences.lost({item.partition for item in pending})
        except (RedisError, OSError) as exc:
            self._metrics.redis_errors.inc()
            log.warning("reading the fencing tokens failed, kept in outbox: customers=%d error=%r", len(pending), exc)
            return []
        if not lost:
            return pending
        self._metrics.fenced_records.inc(sum(len(item.entries) for item in pending if item.partition in lost))
        return [item for item in pending if item.partition not in lost]

    def _count_sent(self, entries: Sequence[OutboxEntry], found: set[str]) -> int:
        sent = 0
        for entry in entries:
            if entry.entry_id in found:
                self._metrics.outbox_already_published.inc()
                log.info("outbox record already published, cleared: entry_id=%s topic=%s",
                         entry.entry_id, entry.topic)
            elif entry.topic == self._topics.offer_triggers:
                self._metrics.triggers.labels(entry.label).inc()
                log.info("offer trigger sent: offer_id=%s kind=%s", entry.entry_id, entry.label)
                sent += 1
            elif entry.topic == self._topics.offer_outcomes:
                log.info("offer outcome sent: %s", entry.entry_id)
        return sent

    async def _already_published(self, entries: list[OutboxEntry]) -> tuple[set[str], set[str]]:
        """Split records whose earlier publish may have worked into (found on their topic, undecided).

        A record is published after it was written, so its topic is read from ``written_at``
        (less a margin for clock skew between processes) to the end.  Undecided ones (the
        topic could not be read) stay in the outbox; without an output log nothing is found.
        """
        if not entries or self._output_log is None:
            return set(), set()
        found: set[str] = set()
        undecided: set[str] = set()
        by_topic: dict[str, list[OutboxEntry]] = {}
        for entry in entries:
            by_topic.setdefault(entry.topic, []).append(entry)
        for topic, group in by_topic.items():
            since = datetime.fromtimestamp(max(min(e.written_at for e in group), 0.0), timezone.utc)
            since = max(since - self._lookup_margin, datetime.fromtimestamp(0, timezone.utc))
            try:
                values = await asyncio.wait_for(
                    self._output_log.published(topic, since, {e.key for e in group}), self._lookup_timeout)
            except Exception as exc:  # the broker is down: decide next tick
                self._metrics.publish_errors.inc()
                log.warning("output lookup failed, kept in outbox: topic=%s entries=%d error=%r",
                            topic, len(group), exc)
                undecided.update(e.entry_id for e in group)
                continue
            outcome = topic == self._topics.offer_outcomes
            ids = {published_entry_id(value, outcome=outcome) for value in values}
            found.update(e.entry_id for e in group if e.entry_id in ids)
        return found, undecided
