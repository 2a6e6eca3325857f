"""The online models inside a real worker: live scores, learning, checkpoints in Redis."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from harness import wait_until


@pytest.mark.worker(checkpoint_interval_seconds=1)
def test_the_worker_scores_learns_and_checkpoints_its_models(worker, kafka, redis_client):
    """Ended sessions are learned, quality is reported, models survive a restart."""
    from streams.core.events import dump
    from streams.demo.simulate import in_time_order, simulate

    shoppers = simulate(20, seed=4, start=datetime.now(timezone.utc) - timedelta(seconds=30),
                        pace=timedelta(seconds=1), spread=timedelta(seconds=10))
    for e in in_time_order(shoppers):
        kafka.send(json.loads(dump(e)))
    kafka.flush()
    wait_until(lambda: worker.metric("tracker_model_examples_total", model="intent") >= 20, timeout=40,
               message="every ended session to be learned")
    assert worker.metric("tracker_model_log_loss", model="intent") > 0
    wait_until(lambda: redis_client.exists("tracker:model:intent"), message="a checkpoint")

    worker.stop()
    assert "models checkpointed at shutdown" in worker.log()
    worker.start()
    assert "model intent: warm-started from checkpoint" in worker.log()


def test_an_unreadable_checkpoint_is_counted_and_replaced(worker_settings, redis_client, tmp_path):
    """A checkpoint from another format is logged and counted; the worker starts fresh."""
    from harness import RunningWorker

    redis_client.set("tracker:model:intent", b"TRKMODEL\x00\x63garbage")
    running = RunningWorker(worker_settings, tmp_path / "worker.log").start()
    try:
        assert running.metric("tracker_model_checkpoint_errors_total", model="intent") == 1
        assert "model intent: checkpoint unreadable, starting fresh" in running.log()
    finally:
        running.stop()
