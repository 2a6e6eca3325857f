"""Per-partition fencing on real Kafka and Redis: a worker whose partitions another worker took writes nothing.

The zombie is made by hand: the fencing counters of every partition are moved on in Redis, as a
worker the group gave the partitions to would have done, while the first worker still believes
it owns them.  A real one (a worker frozen past the session timeout) cannot be timed to be
frozen between reading a batch and saving it.  Its save is refused whole, the batch is not
acknowledged and the partitions are paused; the next rebalance gives them out afresh.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from builders import event
from harness import RunningWorker, wait_until
from streams.demo.embedded import free_port
from streams.store.keys import fence_key, outbox_key, profile_key


def at(seconds: float = 0) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def test_a_worker_that_lost_its_partitions_leaves_the_events_to_the_new_owner(
        worker, kafka, redis_client, tmp_path: Path):
    settings = worker.settings
    assert wait_until(lambda: all(redis_client.get(fence_key(p)) for p in range(settings.partitions)),
                      message="the worker's fencing tokens")
    for partition in range(settings.partitions):  # another worker was assigned them
        redis_client.incr(fence_key(partition))

    kafka.send(event("cart_item_added", "fenced-1", at()))
    kafka.flush()
    wait_until(lambda: worker.metric_total("tracker_fenced_writes_total") >= 1, timeout=30,
               message="the zombie's write refused")
    assert kafka.read(settings.offer_triggers_topic, at_least=1, timeout=2) == []
    assert not redis_client.exists(profile_key("fenced-1")) and not redis_client.hlen(outbox_key("fenced-1"))

    # A rebalance: each worker takes new tokens for what it is given; the trigger goes out once.
    second = RunningWorker(settings.model_copy(update={"web_port": free_port()}), tmp_path / "second.log")
    try:
        second.start(timeout=90)
        triggers = kafka.read(settings.offer_triggers_topic, at_least=1, timeout=40, settle=3)
        assert [t["customer_id"] for t in triggers] == ["fenced-1"]
        wait_until(lambda: redis_client.hlen(outbox_key("fenced-1")) == 0, message="the outbox cleared")
    finally:
        second.stop()
        print("---- second worker log (tail) ----\n" + second.log()[-3000:])
