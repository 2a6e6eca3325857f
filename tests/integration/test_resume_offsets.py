"""Where a worker resumes: after the last record whose effects Redis holds, not where Kafka's group says.

The offsets are written in the same atomic step as the state they led to (on a standalone
Redis), so a worker that died after a save and before its (periodic) commit to Kafka is not
made to read that batch again; an offset Redis holds past the end of a partition (a topic
deleted and created again) is not used.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from builders import event
from harness import RunningWorker, wait_until
from stored import profile_hash
from streams.broker.topics import ensure_topics
from streams.store.keys import offsets_key


def at(seconds: float = 0) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def test_a_worker_resumes_after_the_last_record_saved_in_redis(worker_settings, kafka, redis_client, tmp_path: Path):
    settings = worker_settings
    ensure_topics(settings)
    views = [kafka.producer.send(settings.site_visits_topic, key=b"resumer",
                                 value=json.dumps(event("page_viewed", "resumer", at(i))).encode()).get(timeout=10)
             for i in range(3)]
    order = kafka.producer.send(settings.purchases_topic, key=b"resumer",
                                value=json.dumps(event("order_placed", "resumer", at(3))).encode()).get(timeout=10)
    # What a worker that saved the first two views and died before committing them would leave,
    # and an offset of the purchases' partition from a topic of the same name deleted since.
    redis_client.zadd(offsets_key(views[0].partition), {settings.site_visits_topic: views[1].offset})
    redis_client.zadd(offsets_key(order.partition), {settings.purchases_topic: 1_000_000})

    running = RunningWorker(settings, tmp_path / "worker.log").start()
    try:
        wait_until(lambda: profile_hash(redis_client, "resumer").get(b"orders") == b"1",
                   message="the order applied", timeout=30)
        wait_until(lambda: running.metric_total("tracker_events_consumed_total") >= 2, message="both events counted")
        profile = profile_hash(redis_client, "resumer")
        consumed = running.metric_total("tracker_events_consumed_total")
    finally:
        running.stop()
        print("---- worker log (tail) ----\n" + running.log()[-3000:])

    assert profile[b"page_views"] == b"1", "the two views Redis holds the effects of were not read again"
    assert consumed == 2
    saved = {topic.decode(): offset for topic, offset in
             redis_client.zrange(offsets_key(views[0].partition), 0, -1, withscores=True)}
    assert saved[settings.site_visits_topic] == views[2].offset
