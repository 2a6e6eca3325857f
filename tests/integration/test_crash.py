"""kill -9 of a worker at random moments of a replay changes nothing: every fact counted once, every trigger sent once.

A seeded simulated clickstream (abandoners included, so offers fire) is produced once and
consumed twice, on the event clock so that both runs decide the same things:

* the reference: one worker runs through it undisturbed, into Redis db 1 and its own output topics;
* the crash run: ``tracker worker`` subprocesses, each SIGKILLed once the replay reached a seeded
  random point (progress measured as committed offsets plus events consumed since the start),
  then restarted, until the last one consumes everything and no deadline is due.

Then every profile fact must be equal (model output excepted: online learning not yet saved
dies with the process, so intent, loyalty and the behavioural segment legitimately differ; and four fields that depend on
the arrival order of the two input topics, which differs between any two runs, are reported
only), and offer-triggers must hold each offer_id once, the same set as the reference
(offer-outcomes likewise).

``TRACKER_CRASH_EVENTS`` (default 20000), ``TRACKER_CRASH_KILLS`` (default max(3, events/10000))
and ``TRACKER_CRASH_SEED`` (default 11) size the run; ``pytest -s`` shows the summary line.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import redis

from harness import RunningWorker, wait_until
from streams.demo.embedded import free_port
from streams.core.events import dump
from streams.settings import Settings
from streams.store.keys import offsets_key
from streams.demo.simulate import in_time_order, simulate
from streams.settings import intake_of
from streams.broker.topics import ensure_topics
from stored import customer_ids, profile_hash, session_hash

EVENTS = int(os.environ.get("TRACKER_CRASH_EVENTS", "20000"))
KILLS = int(os.environ.get("TRACKER_CRASH_KILLS", str(max(3, EVENTS // 10_000))))
SEED = int(os.environ.get("TRACKER_CRASH_SEED", "11"))
START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
PACE = timedelta(seconds=30)
#: Profile fields that are model output, not facts: they differ after a crash by design (the
#: behavioural segment a customer is placed in too: the segments' ids depend on what was learned).
SCORES = {b"intent", b"loyalty", b"behaviour_segment", b"behaviour_traits"}
#: Profile fields that depend on the order in which events of the two input topics arrive, which
#: differs between any two runs, clean or not: an order applied before the login that gave the
#: time zone lands in a UTC hour, one applied before the visit's last page view falls outside
#: the session's length. Reported, not asserted (a known limit of the two-topic design).
ARRIVAL_ORDER = {b"session_seconds", b"order_hours", b"order_weekdays", b"order_months"}
#: Profile counters: a lower value in the crash run is a lost event, a higher one a doubled event.
COUNTERS = (b"page_views", b"sessions", b"product_views", b"cart_adds", b"checkouts", b"orders", b"refunds",
            b"ratings", b"content_pages", b"offers", b"holdouts", b"conversions", b"holdout_conversions")
SETTLE_TIMEOUT = 180 + EVENTS / 200


def produce(settings: Settings) -> tuple[int, dict[int, float]]:
    """The seeded clickstream onto the input topics; its count and each partition's last event time."""
    from kafka import KafkaProducer

    customers = simulate(EVENTS // 5 + 10, seed=SEED, start=START, pace=PACE,
                         spread=PACE * (EVENTS // 5) / 4)
    events = list(in_time_order(customers))[:EVENTS]
    assert len(events) == EVENTS
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=20)
    sent = []
    intake = intake_of(settings)
    for event in events:
        sent.append((event, producer.send(intake.topic_of(event), key=event.customer_id.encode(), value=dump(event))))
    producer.flush()
    watermarks: dict[int, float] = {}
    for event, future in sent:
        partition = future.get(timeout=30).partition
        watermarks[partition] = max(watermarks.get(partition, 0.0), event.occurred_at.timestamp())
    producer.close()
    return len(events), watermarks


class Progress:
    """Committed offsets of a worker's group against the input topics' end offsets."""

    def __init__(self, settings: Settings) -> None:
        from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

        self._admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
        self._consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False)
        self._partitions = [TopicPartition(topic, p) for topic in (settings.site_visits_topic, settings.purchases_topic)
                            for p in range(settings.partitions)]
        self.ends = self._consumer.end_offsets(self._partitions)

    def committed(self, group: str) -> int:
        offsets = self._admin.list_group_offsets(group).get(group, {})
        return sum(max(offsets[tp].offset, 0) for tp in self._partitions if tp in offsets)

    def resumed(self, group: str, db: redis.Redis) -> int:
        """Where a worker of ``group`` starts: after the records Redis holds the effects of, or Kafka's commit if later."""
        offsets = self._admin.list_group_offsets(group).get(group, {})
        position = 0
        for tp in self._partitions:
            saved = db.zscore(offsets_key(tp.partition), tp.topic)
            position += max(offsets[tp].offset if tp in offsets else 0, int(saved) + 1 if saved is not None else 0)
        return position

    def total(self) -> int:
        return sum(self.ends.values())

    def close(self) -> None:
        self._admin.close()
        self._consumer.close()


def settled(progress: Progress, group: str, db: redis.Redis, watermarks: dict[int, float]) -> bool:
    """Everything consumed and committed, every outbox empty, no deadline due by the last event time."""
    if progress.committed(group) < progress.total():
        return False
    if next(db.scan_iter(match="tracker:*:outbox", count=1000), None) is not None:
        return False
    return all(db.zcount(f"tracker:deadlines:{{p{p}}}", "-inf", mark) == 0 for p, mark in watermarks.items())


def hashes(db: redis.Redis, kind: str, drop: set[bytes]) -> dict[bytes, dict[bytes, bytes]]:
    """Every customer's ``kind`` hash (profile, session) without the fields in ``drop``."""
    out = {}
    read = profile_hash if kind == "profile" else session_hash
    for customer_id in customer_ids(db):
        # ``_v`` counts the store's saves of the customer (how many differs with the crashes), not the profile.
        fields = {k: v for k, v in read(db, customer_id).items() if k not in drop and k != b"_v"}
        if fields or kind == "profile":
            out[f"tracker:{{{customer_id}}}:{kind}".encode()] = fields
    return out


def same_session(expected: dict[bytes, bytes] | None, actual: dict[bytes, bytes] | None) -> bool:
    """Equal open sessions; dwell-time sums may differ in the last of the 6 stored decimals.

    The codec stores floats rounded to 6 decimals, so a sum accumulated over two saves can end
    1e-6 away from the same sum over one: batch boundaries differ between any two runs.
    """
    if expected is None or actual is None or expected.keys() != actual.keys():
        return expected == actual
    for field, value in expected.items():
        if value != actual[field]:
            try:
                if abs(float(value) - float(actual[field])) > 1e-5:
                    return False
            except ValueError:
                return False
    return True


def read_ids(settings: Settings, topic: str, outcome: bool) -> list[str]:
    """Entry ids of every record on ``topic``, read up to its end offsets."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
    ids: list[str] = []
    if partitions:
        consumer.assign(partitions)
        ends = consumer.end_offsets(partitions)
        consumer.seek_to_beginning(*partitions)
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    body = json.loads(record.value)
                    ids.append(f"{body['offer_id']}:{body['outcome']}" if outcome else body["offer_id"])
    consumer.close()
    return ids


@pytest.mark.worker(clock="event", session_timeout_seconds=1800, holdout_percent=10, broker_session_timeout=6,
                    broker_rebalance_timeout=10, timer_interval_seconds=0.1)
def test_kill_9_at_random_moments_loses_nothing_and_sends_nothing_twice(
    worker_settings: Settings, redis_client: redis.Redis, tmp_path: Path
):
    started = time.monotonic()
    rng = random.Random(SEED)
    ensure_topics(worker_settings)
    events, watermarks = produce(worker_settings)
    progress = Progress(worker_settings)
    total = progress.total()
    assert total == events

    # ---- the reference: one undisturbed worker, Redis db 1, its own output topics
    reference = worker_settings.model_copy(update={
        "app_id": f"{worker_settings.app_id}-reference",
        "redis_url": worker_settings.redis_url.rsplit("/", 1)[0] + "/1",
        "web_port": free_port(),
        "offer_triggers_topic": f"{worker_settings.offer_triggers_topic}-reference",
        "offer_outcomes_topic": f"{worker_settings.offer_outcomes_topic}-reference",
        "dead_letters_topic": f"{worker_settings.dead_letters_topic}-reference",
    })
    reference_db = redis.Redis.from_url(reference.redis_url)
    reference_db.flushdb()
    worker = RunningWorker(reference, tmp_path / "reference.log").start()
    try:
        wait_until(lambda: settled(progress, reference.app_id, reference_db, watermarks), timeout=SETTLE_TIMEOUT,
                   every=0.25, message=f"the reference run to settle\n{worker.log()}")
    finally:
        worker.stop()
    reference_seconds = time.monotonic() - started

    # ---- the crash run: SIGKILL at seeded points of the replay, restart, until settled
    targets = sorted(rng.uniform(0.05, 0.9) * total for _ in range(KILLS))
    kills: list[tuple[int, int]] = []  # (estimated position at the kill, committed offsets then)
    for n, target in enumerate(targets):
        base = progress.resumed(worker_settings.app_id, redis_client)
        worker = RunningWorker(worker_settings.model_copy(update={"web_port": free_port()}),
                               tmp_path / f"crash-{n}.log").start(timeout=120)

        def reached(worker: RunningWorker = worker, base: int = base, target: float = target) -> int | None:
            # Consumed counts redelivered events too, so this runs a little ahead of the truth.
            position = base + int(worker.metric_total("tracker_events_consumed_total"))
            return position if position >= target else None

        try:
            position = wait_until(reached, timeout=SETTLE_TIMEOUT, every=0.05,
                                  message=f"incarnation {n} to reach {target:.0f}")
        finally:
            worker.stop(kill=True)  # SIGKILL: no shutdown hook, no commit, no checkpoint
        kills.append((int(position), progress.committed(worker_settings.app_id)))
    last = RunningWorker(worker_settings.model_copy(update={"web_port": free_port()}),
                         tmp_path / "crash-last.log").start(timeout=120)
    try:
        wait_until(lambda: settled(progress, worker_settings.app_id, redis_client, watermarks),
                   timeout=SETTLE_TIMEOUT, every=0.25, message=f"the crash run to settle\n{last.log()}")
    finally:
        last.stop()
    logs = "".join(path.read_text(errors="replace") for path in sorted(tmp_path.glob("crash-*.log")))

    # ---- facts: equal, field by field
    expected = hashes(reference_db, "profile", SCORES)
    actual = hashes(redis_client, "profile", SCORES)
    lost = doubled = 0
    for key in expected.keys() | actual.keys():
        for field in COUNTERS:
            difference = int(actual.get(key, {}).get(field, 0)) - int(expected.get(key, {}).get(field, 0))
            lost += max(-difference, 0)
            doubled += max(difference, 0)
    def facts(profile: dict[bytes, bytes] | None) -> dict[bytes, bytes] | None:
        return None if profile is None else {k: v for k, v in profile.items() if k not in ARRIVAL_ORDER}

    mismatched = sorted(key for key in expected.keys() | actual.keys()
                        if facts(expected.get(key)) != facts(actual.get(key)))
    arrival_order = sum(expected.get(key) != actual.get(key) for key in expected.keys() | actual.keys())
    open_sessions = hashes(reference_db, "session", {b"intent"}), hashes(redis_client, "session", {b"intent"})
    sessions_mismatched = [key for key in open_sessions[0].keys() | open_sessions[1].keys()
                           if not same_session(open_sessions[0].get(key), open_sessions[1].get(key))]

    # ---- output: each offer once, the same offers
    reference_triggers = read_ids(reference, reference.offer_triggers_topic, outcome=False)
    triggers = read_ids(worker_settings, worker_settings.offer_triggers_topic, outcome=False)
    reference_outcomes = read_ids(reference, reference.offer_outcomes_topic, outcome=True)
    outcomes = read_ids(worker_settings, worker_settings.offer_outcomes_topic, outcome=True)
    duplicate_triggers = sum(n - 1 for n in Counter(triggers).values())
    duplicate_outcomes = sum(n - 1 for n in Counter(outcomes).values())
    print(
        f"\ncrash: events={events} customers={len(expected)} kills={len(kills)} "
        f"kills_with_input_left={sum(committed < total for _, committed in kills)} "
        f"kill_points={[position for position, _ in kills]} "
        f"lost={lost} doubled={doubled} profiles_mismatched={len(mismatched)} "
        f"profiles_differing_by_arrival_order={arrival_order - len(mismatched)} "
        f"sessions_mismatched={len(sessions_mismatched)} triggers={len(triggers)} "
        f"reference_triggers={len(reference_triggers)} duplicate_triggers={duplicate_triggers} "
        f"outcomes={len(outcomes)} duplicate_outcomes={duplicate_outcomes} "
        f"already_published_cleared={logs.count('outbox record already published')} "
        f"reference_seconds={reference_seconds:.0f} total_seconds={time.monotonic() - started:.0f}"
    )
    progress.close()

    assert len(kills) == KILLS and all(committed < total for _, committed in kills), kills
    assert len(expected) > EVENTS / 10 and len(reference_triggers) > EVENTS / 100  # offers did fire
    assert (lost, doubled) == (0, 0)
    assert mismatched == [], [(key, _differing(facts(expected.get(key)), facts(actual.get(key))))
                              for key in mismatched[:3]]
    assert sessions_mismatched == [], [
        (key, {f: (open_sessions[0].get(key, {}).get(f), open_sessions[1].get(key, {}).get(f))
               for f in open_sessions[0].get(key, {}).keys() | open_sessions[1].get(key, {}).keys()
               if open_sessions[0].get(key, {}).get(f) != open_sessions[1].get(key, {}).get(f)})
        for key in sessions_mismatched[:3]]
    assert duplicate_triggers == 0 and duplicate_outcomes == 0
    assert sorted(triggers) == sorted(reference_triggers)
    assert sorted(outcomes) == sorted(reference_outcomes)
    reference_db.flushdb()  # kept when an assertion fails, to look into
    reference_db.close()


def _differing(expected: dict[bytes, bytes] | None, actual: dict[bytes, bytes] | None) -> dict[bytes, tuple[object, object]]:
    """The fields two profiles disagree on: (clean run's value, crash run's value)."""
    expected, actual = expected or {}, actual or {}
    return {field: (expected.get(field), actual.get(field)) for field in expected.keys() | actual.keys()
            if expected.get(field) != actual.get(field)}
