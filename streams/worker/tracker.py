"""The tracker between Kafka and Redis: batches in, saved state and effects out; due steps on a timer.

``Tracker.handle(records)`` is what the batch consumer calls for each batch and
``Tracker.fire_due(partitions)`` what the timer calls each tick; both take their
collaborators (store, publisher, clock) as arguments, so unit tests pass real fakes.
The work is in the parts it wires: :class:`~streams.worker.customers.CustomerSteps`
(a customer's events → state and effects), :class:`~streams.worker.effects.Effects`
(count, learn, outbox records), :class:`~streams.worker.outbox.Outbox` (delivery) and
:class:`~streams.worker.replay_clock.ReplayClock` (time in replays).

Delivery: a batch is acknowledged to Kafka only after :meth:`Tracker.handle` returns, and it
returns only once every valid event's effect is saved (Redis errors are retried, not
raised).  Effects are exactly once through the per-event dedupe marks written atomically
with the state; triggers go through the outbox (:mod:`streams.worker.outbox`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal

from redis.exceptions import RedisError

from offers import Policy
from streams.broker.base import OutputLog, Publisher, Topics
from streams.core.events import Activity, AnyEvent, CustomerIdentified, dump
from streams.core.intake import DeadLetter, Ignored, Intake, Record
from streams.core.lifecycle import Rules, advance, next_due
from streams.core.state import CustomerState
from streams.metrics import Metrics
from streams.store import Change, Delivered, Loaded, StateStore
from streams.worker.aggregates import DailyFigures
from streams.worker.customers import CustomerEvents, CustomerSteps
from streams.worker.effects import Effects
from streams.worker.fences import Fences
from streams.worker.outbox import Outbox, Undelivered
from streams.worker.replay_clock import ReplayClock
from streams.worker.retry import Retry
from streams.worker.scoring import Scoring

log = logging.getLogger("tracker")

Clock = Callable[[], datetime]

#: Refused saves are retried at once this many times, then with a growing pause: a writer
#: racing this one on the same customers (a rebalance in progress) settles within a few.
_QUICK_ATTEMPTS = 3


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(slots=True)
class BatchReport:
    """What one call to :meth:`Tracker.handle` did, for logs and tests."""

    events: int = 0
    duplicates: int = 0
    dead_letters: list[DeadLetter] = field(default_factory=list)
    triggers: int = 0
    #: Input partitions whose writes were refused because another worker took them (this one
    #: is a zombie): the batch's records of them must not be acknowledged.
    fenced: set[int] = field(default_factory=set)


@dataclass(slots=True)
class _Parsed:
    """A batch's records, parsed: events by customer, dead letters, and what to measure once saved."""

    customers: dict[str, CustomerEvents] = field(default_factory=dict)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    #: The records that became events: their latency is measured once saved.
    valid: list[Record] = field(default_factory=list)
    #: Latest event time per input (topic, partition): the replay clock moves to it once saved.
    marks: dict[tuple[str, int], datetime] = field(default_factory=dict)
    #: The batch's last offset per input (topic, partition), dead letters too: saved with the state it changed.
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    #: Events per (topic, type), counted once saved: the metric means "in Redis".
    kinds: dict[tuple[str, str], int] = field(default_factory=dict)
    #: Names of the spec messages with no tracker event of their own, counted once the batch is handled.
    unmapped: list[str] = field(default_factory=list)


class Tracker:
    """Turns batches of input records into saved state, triggers and dead letters."""

    def __init__(
        self,
        *,
        store: StateStore,
        publisher: Publisher,
        intake: Intake,
        rules: Rules,
        policy: Policy,
        topics: Topics,
        metrics: Metrics,
        clock: Clock = utc_now,
        due_batch: int = 500,
        scoring: Scoring | None = None,
        idle_seconds: float = 2.0,
        retry_seconds: float = 0.5,
        max_retry_seconds: float = 2.0,
        output_log: OutputLog | None = None,
        lookup_margin_seconds: float = 300.0,
        lookup_timeout_seconds: float = 30.0,
        daily: DailyFigures | None = None,
        fences: Fences | None = None,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._intake = intake
        self._rules = rules
        self._topics = topics
        self._metrics = metrics
        self._clock = clock
        self._due_batch = due_batch
        self._scoring = scoring
        self._steps = CustomerSteps(rules, policy, scoring)
        self._effects = Effects(metrics=metrics, topics=topics, scoring=scoring, event_time=rules.event_time,
                               daily=daily)
        self._outbox = Outbox(store=store, publisher=publisher, topics=topics, metrics=metrics,
                              output_log=output_log, lookup_margin_seconds=lookup_margin_seconds,
                              lookup_timeout_seconds=lookup_timeout_seconds, fences=fences)
        self._replay = ReplayClock(input_topics=(intake.site_visits_topic, intake.purchases_topic),
                                   event_time=rules.event_time, wall=clock, idle_seconds=idle_seconds)
        self._retry = Retry(metrics, retry_seconds, max_retry_seconds)
        self._fences = fences
        # The batch consumer and the timer both read-modify-write customers; one at a time.
        self._lock = asyncio.Lock()
        #: The input partitions this worker owned at the timer's last tick.
        self._owned: list[int] = []

    # ------------------------------------------------------------------ events

    async def handle(self, records: Sequence[Record]) -> BatchReport:
        """Parse, dead-letter, update state and emit for one batch of records."""
        started = time.perf_counter()
        parsed = self._parse(records)
        report = BatchReport(dead_letters=parsed.dead_letters)
        await self._dead_letter(parsed.dead_letters)
        if parsed.customers:
            async with self._lock:
                report.triggers = await self._apply(parsed, records, report)
        else:
            await self._read_up_to(parsed.offsets)
            await self._reached(records, parsed.marks)
        for name in parsed.unmapped:
            self._metrics.count_unmapped(name)
        self._metrics.duplicates.inc(report.duplicates)
        self._metrics.batch_seconds.observe(time.perf_counter() - started)
        return report

    def _parse(self, records: Sequence[Record]) -> _Parsed:
        parsed = _Parsed()
        wall = self._clock()
        events: dict[str, list[AnyEvent]] = {}
        partitions: dict[str, int] = {}
        for record in records:
            if record.offset > parsed.offsets.get((record.topic, record.partition), -1):
                parsed.offsets[(record.topic, record.partition)] = record.offset
            event = self._intake.parse(record, now=wall)
            if isinstance(event, DeadLetter):
                parsed.dead_letters.append(event)
                continue
            if isinstance(event, Ignored):
                parsed.unmapped.append(event.name)
                continue
            if isinstance(event, Activity):
                parsed.unmapped.append(event.name)
            events.setdefault(event.customer_id, []).append(event)
            partitions[event.customer_id] = record.partition
            parsed.valid.append(record)
            key = (record.topic, record.partition)
            if key not in parsed.marks or event.occurred_at > parsed.marks[key]:
                parsed.marks[key] = event.occurred_at
            parsed.kinds[(record.topic, event.type)] = parsed.kinds.get((record.topic, event.type), 0) + 1
        parsed.customers = {
            customer_id: CustomerEvents(customer_id, partitions[customer_id], customer_events)
            for customer_id, customer_events in events.items()
        }
        return parsed

    async def _apply(self, parsed: _Parsed, records: Sequence[Record], report: BatchReport) -> int:
        """Load the batch's customers, apply their events, save, deliver; return the triggers sent.

        A customer whose save is refused (the state in Redis moved on since the copy the
        events were applied to: another worker, an erasure) is loaded again and their events
        applied again, until every customer is saved.
        """
        now = self._clock()
        undelivered: list[Undelivered] = []
        clocks: dict[int, datetime | None] = {}  # a replay's clock per partition, before this batch
        customers = parsed.customers
        for attempt in itertools.count(1):
            counts: dict[str, tuple[int, int]] = {}
            waiting, refused = await self._settle(customers, now, clocks, counts, parsed.offsets)
            for customer_id, (events, duplicates) in counts.items():
                if customer_id not in refused:
                    report.events += events
                    report.duplicates += duplicates
            undelivered += [item for item in waiting if item.customer_id not in refused]
            again = {customer_id: parsed.customers[customer_id] for customer_id in refused
                     if customer_id in parsed.customers}
            again = await self._unfenced(again, report)
            if not again:
                break
            self._metrics.stale_saves.inc(len(again))
            log.info("saves refused, the stored state moved on: customers=%d attempt=%d", len(again), attempt)
            customers = again
            if attempt >= _QUICK_ATTEMPTS:
                await asyncio.sleep(min(0.05 * attempt, 1.0))
        await self._reached([record for record in records if record.partition not in report.fenced], parsed.marks)
        if self._rules.event_time:
            await self._expire_models()
        self._observe_latency(parsed.valid)
        for (topic, kind), count in parsed.kinds.items():
            self._metrics.events_consumed.labels(topic, kind).inc(count)
        return await self._outbox.deliver(undelivered)

    async def _unfenced(self, refused: dict[str, CustomerEvents], report: BatchReport) -> dict[str, CustomerEvents]:
        """Of the refused customers, those to apply again: not those of partitions another worker took.

        A partition whose fencing token moved on belongs to another worker now (this one is a
        zombie until its next heartbeat tells it): its writes are refused as a whole, and its
        records are left unacknowledged for the new owner (``report.fenced``).
        """
        if not refused or self._fences is None:
            return refused
        fences = self._fences
        lost = await self._retry.until_done(
            "reading fencing tokens", lambda: fences.lost({customer.partition for customer in refused.values()}))
        if not lost:
            return refused
        report.fenced |= lost
        dropped = [customer_id for customer_id, customer in refused.items() if customer.partition in lost]
        self._metrics.fenced_writes.inc(len(dropped))
        return {customer_id: customer for customer_id, customer in refused.items() if customer.partition not in lost}

    async def _settle(
        self, customers: Mapping[str, CustomerEvents], now: datetime, clocks: dict[int, datetime | None],
        counts: dict[str, tuple[int, int]], offsets: Mapping[tuple[str, int], int],
    ) -> tuple[list[Undelivered], set[str]]:
        """Load ``customers``, apply their events and save; return what waits to be published and the refused.

        Events of visitors linked to a customer are forwarded to the customer first: the save
        states how far the input was read, so nothing it covers may be left to do after it.
        """
        wanted: dict[str, list[str]] = {
            customer_id: [event.event_id for event in customer.events]
            for customer_id, customer in customers.items()
        }
        # Visitors a login names may live in another worker's partition: read as Redis has them now.
        visitors_named = _anonymous_ids(customers.values()) - customers.keys()
        for anonymous_id in visitors_named:
            wanted.setdefault(anonymous_id, [])
        loaded = await self._retry.until_done("load", lambda: self._store.load(wanted, fresh=visitors_named))
        changes: list[Change] = []
        undelivered: list[Undelivered] = []
        forwards: list[tuple[str, AnyEvent]] = []
        visitors = {customer_id: item.state for customer_id, item in loaded.items()}
        for customer_id, customer in customers.items():
            if loaded[customer_id].forgotten:
                self._metrics.forgotten_events.inc(len(customer.events))
                continue
            linked = visitors[customer_id].profile.merged_into
            if linked is not None:
                # An anonymous id linked to a customer at login (maybe earlier in this batch): what it
                # does from then on is the customer's, in the customer's partition.
                forwards += [(linked, event) for event in customer.events]
                continue
            if self._rules.event_time and customer.partition not in clocks:
                clocks[customer.partition] = self._replay.until(customer.partition, self._replay.end_offsets,
                                                                self._replay.read_before)
            change, waiting = self._change_of(loaded[customer_id], customer, now, visitors,
                                              clocks.get(customer.partition), counts)
            if change is not None:
                changes.append(change)
                visitors[change.state.customer_id] = change.state
                for merged in change.merged:
                    changes.append(merged)
                    visitors[merged.state.customer_id] = merged.state
            if waiting is not None:
                undelivered.append(waiting)
        await self._forward(forwards)
        tokens = self._fences.held if self._fences is not None else None
        refused = await self._retry.until_done(
            "save", lambda: self._store.save(changes, offsets=offsets, tokens=tokens))
        return undelivered, set(refused or ())

    def _change_of(
        self, loaded: Loaded, customer: CustomerEvents, now: datetime, visitors: Mapping[str, CustomerState],
        clock: datetime | None, counts: dict[str, tuple[int, int]],
    ) -> tuple[Change | None, Undelivered | None]:
        """A customer's write for this batch, and their records waiting to be published."""
        applied = self._steps.apply(loaded.state, loaded.seen, customer.events, now=now, clock=clock,
                                    visitors=visitors, owned=loaded.owned)
        counts[customer.customer_id] = (len(applied.handled), applied.duplicates)
        state, partition = applied.state, customer.partition
        entries = self._effects.interpret(applied.effects, now, state.profile)
        if entries:
            self._outbox.decided(entries)
        outbox = [*loaded.outbox, *entries]
        later = next_due(state, self._rules)  # once delivered; while records wait, at once
        waiting = Undelivered(customer.customer_id, partition, outbox, later) if outbox else None
        due = now if outbox else later
        if not applied.handled:
            # All duplicates: a redelivery. The process that saved these events may have died
            # between the state's script and its deadline in the same pipeline; schedule again.
            return (Change(state, partition, due, version=loaded.version) if applied.duplicates else None), waiting
        merged = [Change(visitor, partition, None, reschedule=False) for visitor in applied.merged]
        return Change(state, partition, due, applied.handled, entries, merged=merged, version=loaded.version), waiting

    async def _read_up_to(self, offsets: Mapping[tuple[str, int], int]) -> None:
        """A batch that changed no customer (dead letters, unmapped messages): how far the input was read."""
        tokens = self._fences.held if self._fences is not None else None
        await self._retry.until_done("offsets save", lambda: self._store.save((), offsets=offsets, tokens=tokens))

    async def _reached(self, records: Sequence[Record], marks: Mapping[tuple[str, int], datetime]) -> None:
        """The batch is applied: the replay clock moves to it, and is saved before the ack."""
        self._replay.advance(records, marks)
        if self._rules.event_time and records:
            progress = self._replay.progress(records)
            await self._retry.until_done("progress save", lambda: self._store.save_progress(progress))

    # ------------------------------------------------------------------- timer

    def until(
        self, partition: int, end_offsets: Mapping[tuple[str, int], int] | None = None,
        read_before: datetime | None | Literal["now"] = "now",
    ) -> datetime | None:
        """How far time has come in ``partition`` (see :meth:`ReplayClock.until`)."""
        return self._replay.until(partition, end_offsets, read_before)

    def latest_read(self) -> datetime | None:
        """The latest event time a replay read on any input: the timer takes it before asking for end offsets."""
        return self._replay.latest_read()

    async def fire_due(
        self, partitions: Iterable[int], end_offsets: Mapping[tuple[str, int], int] | None = None,
        read_before: datetime | None | Literal["now"] = "now",
    ) -> int:
        """Take the steps that came due in ``partitions``; return the triggers sent.

        ``end_offsets`` ((topic, partition) → high watermark) let an event-time replay
        tell a caught-up input topic from one that is behind; ``read_before`` is
        :meth:`latest_read` just before they were asked for ("now": at this call). A
        partition they find caught up has come that far: batches handled since, this tick's
        own included while it waits for Redis, move no clock of this tick.
        """
        sent = 0
        if read_before == "now":
            read_before = self._replay.latest_read()
        self._replay.saw_ends(end_offsets, read_before)
        partitions = list(partitions)
        self._owned = partitions
        reached: list[datetime | None] = []  # how far each partition's labels are complete; None: unknown
        for partition in partitions:
            try:
                sent += await self._fire_partition(partition, end_offsets, reached)
            except RedisError as exc:
                self._metrics.redis_errors.inc()
                log.warning("timer: redis unavailable, will retry next tick: partition=%s error=%r", partition, exc)
        if self._scoring is not None and reached and None not in reached:
            # The models' labels are complete up to the slowest partition's clock only, and only
            # as far as no review still to take could snapshot before them.
            self._scoring.expire(min(r for r in reached if r is not None))
        return sent

    async def _fire_partition(
        self, partition: int, end_offsets: Mapping[tuple[str, int], int] | None, reached: list[datetime | None]
    ) -> int:
        await self._replay.load(self._store, partition)
        until = self._replay.until(partition, end_offsets, self._replay.read_before)
        if until is None:
            if not self._replay.caught_up(partition, end_offsets):
                reached.append(None)  # records wait that were not read: their time is unknown
            return 0
        customer_ids = await self._store.due(partition, until, self._due_batch)
        sent = await self._fire(partition, customer_ids, until) if customer_ids else 0
        reached.append(await self._models_reached(partition, until))
        return sent

    async def _expire_models(self) -> None:
        """A replay's batch may move time by months: learn the labels it completed, without the timer.

        As on the timer, up to the slowest owned partition's clock and no further than a review
        still to take allows; but only on what was read (no caught-up shortcut), since the
        timer's end offsets may be stale by now.
        """
        if self._scoring is None or not self._owned:
            return
        reached = []
        for partition in self._owned:
            until = self._replay.read_until(partition)
            if until is None:
                return
            reached.append(await self._models_reached(partition, until))
        self._scoring.expire(min(reached))

    async def _models_reached(self, partition: int, until: datetime) -> datetime:
        """How far the models may learn for ``partition``: ``until``, or less while reviews lag.

        A review still due at ``t`` (the timer is behind a replay) will snapshot at ``t``: the
        models must not learn a label ending after ``t`` before it, or they would learn in
        another order and score that snapshot with a model that knows more than it did then.
        """
        oldest = await self._store.oldest_due(partition)
        if oldest is None or oldest > until:
            return until
        return oldest

    async def _fire(self, partition: int, customer_ids: list[str], until: datetime) -> int:
        """Take the due steps of ``customer_ids`` up to ``until``; return the triggers sent."""
        async with self._lock:
            # The clock read once the batch before has let go of the customers: a time read before
            # waiting for it would be older than the offers that batch decided (live, a frequency
            # cap of 0 then suppressed the next offer, made "before" the last one).
            now = self._clock()
            loaded = await self._store.load({customer_id: () for customer_id in customer_ids})
            changes: list[Change] = []
            undelivered: list[Undelivered] = []
            # A visit that ends here places its customer once, before its offer is decided.
            place = self._scoring.place if self._scoring is not None else None
            gone = [customer_id for customer_id, item in loaded.items() if item.forgotten or not item.version]
            if gone:
                # Erased since they were scheduled (the due times in memory do not see an erasure
                # through another worker): nothing to do, and nothing to write back.
                await self._store.delivered([Delivered(customer_id, (), partition, None) for customer_id in gone])
            for customer_id, item in loaded.items():
                if customer_id in gone:
                    continue
                state, effects = advance(item.state, until, self._rules, self._steps.policy, now=now, place=place)
                if self._scoring is not None:
                    state = self._scoring.review(state, until)
                entries = self._effects.interpret(effects, now, state.profile)
                if entries:
                    self._outbox.decided(entries)
                waiting = [*item.outbox, *entries]
                later = next_due(state, self._rules)  # once delivered; while records wait, at once
                changes.append(Change(state, partition, until if waiting else later, (), entries, version=item.version))
                if waiting:
                    undelivered.append(Undelivered(customer_id, partition, waiting, later))
            # A refused customer's state moved on: their deadline is woken, the next tick looks again.
            tokens = self._fences.held if self._fences is not None else None
            refused = set(await self._store.save(changes, tokens=tokens) or ())
            return await self._outbox.deliver([item for item in undelivered if item.customer_id not in refused])

    # ---------------------------------------------------------------- emitting

    async def _forward(self, forwards: Sequence[tuple[str, AnyEvent]]) -> None:
        """Send a linked visitor's events on to their customer, acknowledged before the batch is.

        The customer's dedupe drops one forwarded twice (a redelivered batch forwards again).
        """
        for customer_id, event in forwards:
            moved = event.model_copy(update={"customer_id": customer_id})
            await self._retry.until_done(
                "forward", lambda: self._publisher.publish(self._intake.topic_of(moved), customer_id, dump(moved)),
                redis=False,
            )
        self._metrics.forwarded_events.inc(len(forwards))

    async def _dead_letter(self, letters: list[DeadLetter]) -> None:
        for letter in letters:
            record = letter.record
            log.warning(
                "dead letter: reason=%s topic=%s partition=%s offset=%s detail=%s",
                letter.reason, record.topic, record.partition, record.offset, letter.detail,
            )
            key = record.key.decode("utf-8", "replace") if record.key else None
            await self._retry.until_done(
                "dead-letter publish",
                lambda: self._publisher.publish(self._topics.dead_letters, key, letter.to_json(self._clock())),
                redis=False,
            )
            self._metrics.dead_letters.labels(letter.reason).inc()

    def _observe_latency(self, records: Sequence[Record]) -> None:
        now = time.time()
        for record in records:
            if record.timestamp:
                self._metrics.event_to_state_seconds.observe(max(now - record.timestamp, 0.0))


def _anonymous_ids(customers: Iterable[CustomerEvents]) -> set[str]:
    """Visitor ids that logins in this batch link to a customer (their profiles are needed)."""
    return {
        event.anonymous_id
        for customer in customers
        for event in customer.events
        if isinstance(event, CustomerIdentified) and event.anonymous_id and event.anonymous_id != customer.customer_id
    }
