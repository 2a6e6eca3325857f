"""The tracker's logic between Kafka and Redis, with no Faust in sight.

``Tracker.handle(records)`` is what the agent calls for each batch and
``Tracker.fire_due(partitions)`` what the timer calls each tick; both take their
collaborators (store, publisher, clock) as arguments, so unit tests pass real fakes.

Delivery: a batch is acknowledged to Kafka only after :meth:`handle` returns, and it
returns only once every valid event's effect is saved (Redis errors are retried, not
raised: Faust acks a message even when the agent raises).  Effects are exactly once
through the per-event dedupe keys written atomically with the state.  Triggers go
through a per-customer outbox written in the same atomic step as the state that
decided them, and leave it only after Kafka acknowledged them, so a crash can delay a
trigger but never lose it.  Nor send it twice: a record this process did not just decide
(inherited from a process that died between the broker's ack and the outbox clear, or
whose publish failed with an uncertain outcome) is first looked up on its output topic
(:class:`OutputLog`), and cleared without publishing when it is already there.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol, TypeVar

from redis.exceptions import RedisError

from offers import Policy
from streams.events import AnyEvent, CustomerIdentified, OrderPlaced
from streams.intake import DeadLetter, Intake, Record
from streams.lifecycle import (
    Deferred,
    Effect,
    HeldOut,
    Issued,
    LateEvent,
    Resolved,
    Rules,
    SessionEnded,
    Suppressed,
    advance,
    next_due,
    on_order,
    receive,
)
from streams.metrics import Metrics
from streams.scoring import Scoring
from streams.state import CustomerState, Profile, stitch
from streams.store import Change, Loaded, OutboxEntry, StateStore

log = logging.getLogger("tracker")

Clock = Callable[[], datetime]
#: A customer's undelivered records: (customer id, partition, entries, due time once delivered).
Pending = tuple[str, int, list[OutboxEntry], datetime | None]
T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Publisher(Protocol):
    """Sends one record and returns once the broker acknowledged it."""

    async def publish(self, topic: str, key: str | None, value: bytes | None) -> None: ...


class OutputLog(Protocol):
    """Reads back what was published, to tell a sent outbox record from an unsent one."""

    async def published(self, topic: str, since: datetime, keys: Collection[str]) -> list[bytes]:
        """Values of the records on ``topic`` with a key in ``keys``, from ``since`` to the end."""
        ...


def published_entry_id(value: bytes, *, outcome: bool) -> str | None:
    """The outbox entry id a published trigger (or outcome) record carries; None if unreadable."""
    try:
        body = json.loads(value)
        return f"{body['offer_id']}:{body['outcome']}" if outcome else str(body["offer_id"])
    except (ValueError, TypeError, KeyError):
        return None


@dataclass(frozen=True, slots=True)
class Topics:
    offer_triggers: str
    offer_outcomes: str
    dead_letters: str


@dataclass(slots=True)
class BatchReport:
    """What one call to :meth:`Tracker.handle` did, for logs and tests."""

    events: int = 0
    duplicates: int = 0
    dead_letters: list[DeadLetter] = field(default_factory=list)
    triggers: int = 0


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
        # Also the longest the batch waits once Redis is back (a refused connect costs nothing).
        max_retry_seconds: float = 2.0,
        output_log: OutputLog | None = None,
        lookup_margin_seconds: float = 300.0,
        lookup_timeout_seconds: float = 30.0,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._intake = intake
        self._rules = rules
        self._policy = policy
        self._scoring = scoring
        #: Latest event time seen per (topic, partition), and when (monotonic) it was last
        #: moved: together they give the clock of event-time replays.
        self._watermarks: dict[tuple[str, int], tuple[datetime, float]] = {}
        self._positions: dict[tuple[str, int], int] = {}
        #: The input topics' end offsets as of the timer's last tick (replays' clock).
        self._end_offsets: Mapping[tuple[str, int], int] | None = None
        self._progress_loaded: set[int] = set()
        self._input_topics = (intake.site_visits_topic, intake.purchases_topic)
        self._idle_seconds = idle_seconds
        self._started = time.monotonic()
        self._topics = topics
        self._metrics = metrics
        self._clock = clock
        self._due_batch = due_batch
        self._retry_seconds = retry_seconds
        self._max_retry_seconds = max_retry_seconds
        #: Without an output log an inherited outbox record is published again (at least once).
        self._output_log = output_log
        #: Clock skew allowed between the process that decided a record and the one that sent it.
        self._lookup_margin = timedelta(seconds=lookup_margin_seconds)
        self._lookup_timeout = lookup_timeout_seconds
        #: Outbox entries this process decided and has not tried to publish yet: certainly
        #: unpublished, so they go out without a lookup (the normal path).
        self._unsent: set[str] = set()
        # The agent and the timer both read-modify-write customers; one at a time.
        self._lock = asyncio.Lock()
        self.redis_healthy = True

    # ------------------------------------------------------------------ events

    async def handle(self, records: Sequence[Record]) -> BatchReport:
        """Parse, dead-letter, update state and emit for one batch of records."""
        started = time.perf_counter()
        report = BatchReport()
        batch: dict[str, list[tuple[int, AnyEvent]]] = {}
        marks: dict[tuple[str, int], datetime] = {}
        valid: list[Record] = []  # the records that became events: their latency is measured
        kinds: dict[tuple[str, str], int] = {}  # counted once saved: the metric means "in Redis"
        wall = self._clock()
        for record in records:
            parsed = self._intake.parse(record, now=wall)
            if isinstance(parsed, DeadLetter):
                report.dead_letters.append(parsed)
                continue
            batch.setdefault(parsed.customer_id, []).append((record.partition, parsed))
            valid.append(record)
            key = (record.topic, record.partition)
            if key not in marks or parsed.occurred_at > marks[key]:
                marks[key] = parsed.occurred_at
            kinds[(record.topic, parsed.type)] = kinds.get((record.topic, parsed.type), 0) + 1
        await self._dead_letter(report.dead_letters)

        if batch:
            async with self._lock:
                wanted: dict[str, list[str]] = {
                    cid: [event.event_id for _, event in items] for cid, items in batch.items()
                }
                for anonymous_id in _anonymous_ids(batch):
                    wanted.setdefault(anonymous_id, [])
                loaded = await self._until_done("load", lambda: self._store.load(wanted))
                now = self._clock()
                changes: list[Change] = []
                pending: list[Pending] = []
                clocks: dict[int, datetime | None] = {}  # a replay's clock per partition, before this batch
                for customer_id, items in batch.items():
                    if loaded[customer_id].forgotten:
                        self._metrics.forgotten_events.inc(len(items))
                        continue
                    partition = items[-1][0]
                    if self._rules.event_time and partition not in clocks:
                        clocks[partition] = self.until(partition, self._end_offsets)
                    change, outbox, counts = self._apply_all(
                        loaded[customer_id], items, now, loaded, clocks.get(partition))
                    report.events += counts[0]
                    report.duplicates += counts[1]
                    if change is not None:
                        changes.append(change)
                        changes += change.merged
                    if outbox:
                        state = change.state if change else loaded[customer_id].state
                        pending.append((customer_id, items[-1][0], outbox, next_due(state, self._rules)))
                await self._until_done("save", lambda: self._store.save(changes))
                # The replay clock moves only once the events behind it are applied.
                self._advance_marks(records, marks)
                await self._save_progress(records)
                self._observe_latency(valid)
                for (topic, kind), count in kinds.items():
                    self._metrics.events_consumed.labels(topic, kind).inc(count)
                report.triggers = await self._deliver(pending)
        else:
            self._advance_marks(records, marks)
            await self._save_progress(records)
        self._metrics.duplicates.inc(report.duplicates)
        self._metrics.batch_seconds.observe(time.perf_counter() - started)
        return report

    def _apply_all(
        self, loaded: Loaded, items: list[tuple[int, AnyEvent]], now: datetime,
        others: Mapping[str, Loaded] | None = None, clock: datetime | None = None,
    ) -> tuple[Change | None, list[OutboxEntry], tuple[int, int]]:
        """Apply a customer's events; ``clock`` is a replay's clock of their partition (None live)."""
        state, seen = loaded.state, set(loaded.seen)
        merged: list[Change] = []
        handled: list[str] = []
        effects: list[Effect] = []
        duplicates = 0
        for _, event in items:
            if event.event_id in seen:
                duplicates += 1
                continue
            seen.add(event.event_id)
            handled.append(event.event_id)
            # Whatever fell due before this event happened comes first (a quiet session ends,
            # an offer expires, a deferred offer goes out). A replay goes only as far as its
            # clock (the other input topic may not have caught up to this event yet): what a
            # timer tick just before this batch would have done, so the outcome does not
            # depend on when the timer happened to run.
            horizon = event.occurred_at if clock is None else min(event.occurred_at, clock)
            if not self._rules.event_time or clock is not None:
                state, due_effects = advance(state, horizon, self._rules, self._policy, now=now)
                effects += due_effects
            state, more = receive(state, event, self._rules)
            effects += more
            if isinstance(event, CustomerIdentified) and event.anonymous_id and others:
                visitor = others.get(event.anonymous_id)
                if visitor is not None:
                    state, marked = stitch(state, visitor.state)
                    if marked is not None:
                        merged.append(Change(marked, items[-1][0], None, reschedule=False))
            if isinstance(event, OrderPlaced):
                state, more = on_order(state, event)
                effects += more
                if self._scoring is not None:
                    state = self._scoring.on_order(state, event)
        if self._scoring is not None and handled and state.session is not None:
            state = self._scoring.score_session(state)
        new_entries = self._outbox_of(effects, now, state.profile)
        outbox = loaded.outbox + new_entries
        if not handled:
            if duplicates:
                # A redelivery: the process that saved these events may have died between the
                # state's script and its deadline in the same pipeline; schedule it again.
                return Change(state, items[-1][0], self._next_due(state, outbox, now)), outbox, (0, duplicates)
            return None, outbox, (0, duplicates)
        partition = items[-1][0]
        change = Change(state, partition, self._next_due(state, outbox, now), handled, new_entries, merged=merged)
        return change, outbox, (len(handled), duplicates)

    # ------------------------------------------------------------------- timer

    async def fire_due(
        self, partitions: Iterable[int], end_offsets: Mapping[tuple[str, int], int] | None = None
    ) -> int:
        """Take the steps that came due in ``partitions``; return the triggers sent.

        ``end_offsets`` ((topic, partition) → high watermark) let an event-time replay
        tell a caught-up input topic from one that is behind.
        """
        sent = 0
        self._end_offsets = end_offsets
        for partition in partitions:
            try:
                sent += await self._fire_partition(partition, end_offsets)
            except RedisError as exc:
                self._metrics.redis_errors.inc()
                self.redis_healthy = False
                log.warning("timer: redis unavailable, will retry next tick: partition=%s error=%r", partition, exc)
        return sent

    async def _save_progress(self, records: Sequence[Record]) -> None:
        """Replays only: persist the clock before the batch is acked, so a restarted worker
        that finds nothing left to read still knows how far time has come (see :meth:`until`)."""
        if not self._rules.event_time or not records:
            return
        progress = {}
        for key in {(record.topic, record.partition) for record in records}:
            mark = self._watermarks.get(key)
            progress[key] = (mark[0].timestamp() if mark else None, self._positions[key])
        await self._until_done("progress save", lambda: self._store.save_progress(progress))

    async def _load_progress(self, partition: int) -> None:
        """Replays only, once per partition: take over the clock a previous process saved."""
        if not self._rules.event_time or partition in self._progress_loaded:
            return
        moved = time.monotonic()
        for key, (event_time, offset) in (await self._store.load_progress(partition)).items():
            if event_time is not None:
                mark = datetime.fromtimestamp(event_time, timezone.utc)
                old = self._watermarks.get(key)
                if old is None or mark > old[0]:
                    self._watermarks[key] = (mark, moved)
            self._positions.setdefault(key, offset)  # records read by this process know better
        self._progress_loaded.add(partition)

    def _advance_marks(self, records: Sequence[Record], marks: dict[tuple[str, int], datetime]) -> None:
        moved = time.monotonic()
        for record in records:
            self._positions[(record.topic, record.partition)] = record.offset
        for key, event_time in marks.items():
            old = self._watermarks.get(key)
            if old is None or event_time > old[0]:
                self._watermarks[key] = (event_time, moved)

    def until(self, partition: int, end_offsets: Mapping[tuple[str, int], int] | None = None) -> datetime | None:
        """How far time has come in ``partition``: the clock live, the watermark in replays.

        The two input topics are read independently, so one may run ahead of the other;
        the replay clock is the slower of the two, except that a topic partition that is
        caught up (everything up to ``end_offsets`` read, or, when those are unknown,
        nothing new for ``idle_seconds``) stops holding it back.
        """
        if not self._rules.event_time:
            return self._clock()
        now = time.monotonic()
        marks = []
        for topic in self._input_topics:
            key = (topic, partition)
            mark = self._watermarks.get(key)
            if end_offsets is not None and key in end_offsets:
                position = self._positions.get(key)
                if end_offsets[key] == 0 or (position is not None and position + 1 >= end_offsets[key]):
                    continue  # caught up: nothing of this topic is waiting
                if mark is None:
                    return None  # records are waiting and none was read yet
                marks.append(mark[0])
                continue
            if mark is None:
                if now - self._started < self._idle_seconds:
                    return None  # this topic may just not have started yet
                continue
            if now - mark[1] < self._idle_seconds:
                marks.append(mark[0])
        if not marks:  # every topic caught up: all there is has been read
            return max((m[0] for (_, p), m in self._watermarks.items() if p == partition), default=None)
        return min(marks)

    async def _fire_partition(
        self, partition: int, end_offsets: Mapping[tuple[str, int], int] | None = None
    ) -> int:
        now = self._clock()
        await self._load_progress(partition)
        until = self.until(partition, end_offsets)
        if until is None:
            return 0
        if self._scoring is not None:
            self._scoring.expire(until)
        customer_ids = await self._store.due(partition, until, self._due_batch)
        if not customer_ids:
            return 0
        async with self._lock:
            loaded = await self._store.load({cid: () for cid in customer_ids})
            changes: list[Change] = []
            pending: list[Pending] = []
            for customer_id, item in loaded.items():
                state, effects = advance(item.state, until, self._rules, self._policy, now=now)
                entries = self._outbox_of(effects, now, state.profile)
                outbox = item.outbox + entries
                changes.append(Change(state, partition, self._next_due(state, outbox, until), (), entries))
                if outbox:
                    pending.append((customer_id, partition, outbox, next_due(state, self._rules)))
            await self._store.save(changes)
            self.redis_healthy = True
            return await self._deliver(pending)

    # ---------------------------------------------------------------- emitting

    def _outbox_of(self, effects: list[Effect], now: datetime, profile: Profile) -> list[OutboxEntry]:
        """Count every effect; return the records it publishes."""
        entries = []
        m = self._metrics
        for effect in effects:
            match effect:
                case LateEvent(event=event):
                    m.late_events.labels(event.type).inc()
                case SessionEnded(session=session):
                    m.sessions_ended.labels("purchased" if session.purchased else "no_purchase").inc()
                    if self._scoring is not None:
                        self._scoring.learn_session(session, profile)
                case Suppressed(kind=kind, reason=reason):
                    m.suppressed.labels(kind, reason).inc()
                    log.info("offer suppressed: kind=%s reason=%s", kind, reason)
                case HeldOut(kind=kind):
                    m.offers_opened.labels("holdout").inc()
                    m.held_out.labels(kind).inc()
                case Deferred(kind=kind, until=until):
                    m.deferred.labels(kind).inc()
                    log.info("offer deferred by quiet hours: kind=%s until=%s", kind, until.isoformat())
                case Issued(trigger=trigger, due_at=due_at):
                    m.offers_opened.labels("treated").inc()
                    if not self._rules.event_time:
                        m.trigger_delay_seconds.observe(max((now - due_at).total_seconds(), 0.0))
                    entries.append(OutboxEntry(
                        trigger.offer_id, self._topics.offer_triggers, trigger.customer_id,
                        trigger.model_dump_json(exclude_none=True).encode(), label=trigger.kind.value,
                        written_at=now.timestamp(),
                    ))
                case Resolved(outcome=outcome):
                    group = "holdout" if outcome.holdout else "treated"
                    m.record_outcome(outcome.outcome, group)
                    if not outcome.holdout:  # the control group never had an offer to follow up
                        entries.append(OutboxEntry(
                            f"{outcome.offer_id}:{outcome.outcome}", self._topics.offer_outcomes,
                            outcome.customer_id, outcome.model_dump_json(exclude_none=True).encode(),
                            label=outcome.outcome, written_at=now.timestamp(),
                        ))
        self._unsent.update(entry.entry_id for entry in entries)
        return entries

    def _next_due(self, state: CustomerState, outbox: list[OutboxEntry], now: datetime) -> datetime | None:
        # Undelivered records make the customer due at once, so the timer retries them.
        if outbox:
            return now
        return next_due(state, self._rules)

    async def _deliver(self, pending: list[Pending]) -> int:
        """Publish outbox records; clear them once Kafka acknowledged them.

        Records that may have been published already are looked up first and only cleared
        if found.  All records go out concurrently (the producer batches them into few
        requests), then one round trip clears every customer whose records are all out.
        """
        if not pending:
            return 0
        everything = [entry for _, _, entries, _ in pending for entry in entries]
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
        cleared: list[Pending] = []
        for item in pending:
            entries = item[2]
            failures = [failed[e.entry_id] for e in entries if e.entry_id in failed]
            if failures:  # the broker is down: the outbox keeps them for the next tick
                self._metrics.publish_errors.inc(len(failures))
                log.warning("publish failed, kept in outbox: entries=%d error=%r", len(failures), failures[0])
                continue
            if any(e.entry_id in undecided for e in entries):
                continue  # not known whether they went out: kept, looked up again next tick
            cleared.append(item)
            for entry in entries:
                if entry.entry_id in found:
                    self._metrics.outbox_already_published.inc()
                    log.info("outbox record already published, cleared: entry_id=%s topic=%s",
                             entry.entry_id, entry.topic)
                    continue
                if entry.topic == self._topics.offer_triggers:
                    self._metrics.triggers.labels(entry.label).inc()
                    log.info("offer trigger sent: offer_id=%s kind=%s", entry.entry_id, entry.label)
                    sent += 1
                elif entry.topic == self._topics.offer_outcomes:
                    log.info("offer outcome sent: %s", entry.entry_id)
        try:
            await self._store.delivered(
                [(customer_id, [e.entry_id for e in entries], partition, due)
                 for customer_id, partition, entries, due in cleared]
            )
        except RedisError as exc:  # they stay due: the next tick finds them on their topic and clears them
            self._metrics.redis_errors.inc()
            log.warning("clearing the outbox failed: customers=%d error=%r", len(cleared), exc)
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

    async def _dead_letter(self, letters: list[DeadLetter]) -> None:
        for letter in letters:
            record = letter.record
            log.warning(
                "dead letter: reason=%s topic=%s partition=%s offset=%s detail=%s",
                letter.reason, record.topic, record.partition, record.offset, letter.detail,
            )
            key = record.key.decode("utf-8", "replace") if record.key else None
            await self._until_done(
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

    async def _until_done(self, what: str, attempt: Callable[[], Awaitable[T]], *, redis: bool = True) -> T:
        """Retry ``attempt`` with backoff until it succeeds: the batch must not be acked before.

        ``redis`` says which service the attempt talks to, for the health flag and the metric;
        a publish retries on any error (the producer's errors are many and all transient here).
        """
        delay = self._retry_seconds
        retried: tuple[type[BaseException], ...] = (
            (RedisError, OSError, asyncio.TimeoutError) if redis else (Exception,)
        )
        while True:
            try:
                result = await attempt()
            except retried as exc:
                if redis:
                    self.redis_healthy = False
                    self._metrics.redis_errors.inc()
                else:
                    self._metrics.publish_errors.inc()
                log.warning("%s failed, retrying in %.1fs: %r", what, delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_retry_seconds)
                continue
            if redis:
                self.redis_healthy = True
            return result


def _anonymous_ids(batch: Mapping[str, list[tuple[int, AnyEvent]]]) -> set[str]:
    """Visitor ids that logins in this batch link to a customer (their profiles are needed)."""
    return {
        event.anonymous_id
        for customer_id, items in batch.items()
        for _, event in items
        if isinstance(event, CustomerIdentified) and event.anonymous_id and event.anonymous_id != customer_id
    }
