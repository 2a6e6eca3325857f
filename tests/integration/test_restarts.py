"""Redis and the broker restart under a running worker: it waits, says so, resumes, loses nothing.

Each test runs its own service process (tests/integration/processes.py) so it can stop it
without disturbing the shared ones. The figures printed (``figure: …``) are what the
docs/reliability.md quotes ("Redis and broker restarts"); run with ``-s`` to see them.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import redis

from builders import event
from harness import Kafka, RunningWorker, wait_until
from processes import KafkaProcess, RedisProcess
from streams.demo.embedded import free_port
from streams.settings import Settings
from stored import decoded, session_hash
from streams.store.keys import profile_key

#: How long Redis stays down, at least, while events keep arriving.
REDIS_OUTAGE_SECONDS = 10.0
#: How long the broker stays down.
BROKER_OUTAGE_SECONDS = 5.0


def now() -> datetime:
    return datetime.now(timezone.utc)


def readiness(worker: RunningWorker) -> tuple[int, list[str]]:
    """GET /ready: the status and the reasons (status 0 when the page does not answer)."""
    try:
        with urllib.request.urlopen(worker.url("/ready"), timeout=5) as response:
            return response.status, json.load(response)["reasons"]
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)["reasons"]
    except (OSError, ValueError):
        return 0, []


def page_views(redis_url: str, customers: list[str]) -> Counter[str]:
    """Each customer's page_views as its profile in Redis holds them."""
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        pipe = client.pipeline(transaction=False)
        for customer in customers:
            pipe.get(profile_key(customer))
        views = {c: decoded(c, value)[0].get(b"page_views") for c, value in zip(customers, pipe.execute())}
        return Counter({c: int(v) for c, v in views.items() if v is not None})
    finally:
        client.close()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def figure(name: str, seconds: float) -> None:
    print(f"figure: {name}={seconds:.1f}s")


class Traffic:
    """A website that keeps sending page views, round robin over ``customers``, until stopped."""

    def __init__(self, kafka: Kafka, customers: list[str], per_second: float) -> None:
        self._kafka = kafka
        self._customers = customers
        self._pause = 1 / per_second
        self.sent: Counter[str] = Counter()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="traffic", daemon=True)

    def start(self) -> Traffic:
        self._thread.start()
        return self

    def _run(self) -> None:
        turn = 0
        while not self._stopping.is_set():
            customer = self._customers[turn % len(self._customers)]
            self._kafka.send(event("page_viewed", customer, now()))
            self.sent[customer] += 1
            turn += 1
            self._stopping.wait(self._pause)

    def stop(self) -> Counter[str]:
        """Stop sending; return what was sent, once Kafka acknowledged all of it."""
        self._stopping.set()
        self._thread.join(timeout=10)
        self._kafka.flush()
        return self.sent


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(free_port(), tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def own_kafka(tmp_path: Path) -> Iterator[KafkaProcess]:
    server = KafkaProcess(free_port(), free_port(), tmp_path / "kafka").start()
    yield server
    server.stop()


def _run_worker(settings: Settings, tmp_path: Path) -> RunningWorker:
    return RunningWorker(settings, tmp_path / "worker.log").start(timeout=90)


def test_a_worker_started_before_redis_waits_for_it_and_says_why(
    own_redis: RedisProcess, worker_settings: Settings, tmp_path: Path
) -> None:
    """Redis down when the worker starts (a host reboot, a compose stack coming up): the worker
    stays up, /ready says 503 naming Redis and the models not loaded yet, and once Redis answers
    it loads its models and becomes ready."""
    own_redis.shutdown()
    settings = worker_settings.model_copy(update={"redis_url": own_redis.url})
    worker = RunningWorker(settings, tmp_path / "worker.log").start(wait=False)
    try:
        _, reasons = wait_until(
            lambda: (answer := readiness(worker))[0] == 503 and answer, timeout=60, message="/ready to say 503"
        )
        assert "models not loaded yet" in reasons, reasons
        assert any(reason.startswith("redis unreachable") for reason in reasons), reasons
        time.sleep(3)
        assert worker.process is not None and worker.process.poll() is None, f"worker died:\n{worker.log()}"

        own_redis.start()
        wait_until(lambda: readiness(worker)[0] == 200, timeout=60, message="/ready to say 200 once Redis is up")
    finally:
        worker.stop()


@pytest.mark.parametrize("stop", ["shutdown", "kill -9"])
def test_a_redis_restart_mid_stream_is_waited_out_and_every_event_counts_once(
    stop: str, own_redis: RedisProcess, worker_settings: Settings, tmp_path: Path
) -> None:
    """Redis (append-only, fsync always) goes away while page views arrive, then comes back.

    Meanwhile the worker retries, /ready says 503 naming Redis and the error counter rises;
    afterwards /ready is 200 again and each customer's page_views equals what was sent.
    """
    settings = worker_settings.model_copy(update={"redis_url": own_redis.url})
    customers = [f"redis-restart-{i}" for i in range(8)]
    worker = _run_worker(settings, tmp_path)
    kafka = Kafka(settings)
    traffic = Traffic(kafka, customers, per_second=25).start()
    try:
        wait_until(lambda: sum(page_views(own_redis.url, customers).values()) >= 40, timeout=60,
                   message="the first page views in Redis")
        errors_before = worker.metric_total("tracker_redis_errors_total")

        down_at = time.monotonic()
        own_redis.shutdown() if stop == "shutdown" else own_redis.kill()
        _, reasons = wait_until(
            lambda: (answer := readiness(worker))[0] == 503 and answer, timeout=30, message="/ready to say 503"
        )
        assert any(reason.startswith("redis") for reason in reasons), reasons
        wait_until(lambda: worker.metric_total("tracker_redis_errors_total") > errors_before, timeout=30,
                   message="tracker_redis_errors_total to rise")
        time.sleep(max(0.0, REDIS_OUTAGE_SECONDS - (time.monotonic() - down_at)))
        assert worker.process is not None and worker.process.poll() is None, f"worker died:\n{worker.log()}"
        assert readiness(worker)[0] == 503

        own_redis.start()
        up_at = time.monotonic()
        wait_until(lambda: readiness(worker)[0] == 200, timeout=60, message="/ready to say 200 again")
        ready_at = time.monotonic()
        sent = traffic.stop()
        wait_until(lambda: sum(page_views(own_redis.url, customers).values()) >= sum(sent.values()), timeout=90,
                   message=f"all {sum(sent.values())} page views in Redis")
        drained_at = time.monotonic()

        assert page_views(own_redis.url, customers) == sent
        figure(f"redis_{stop.replace(' ', '')}_outage", up_at - down_at)
        figure(f"redis_{stop.replace(' ', '')}_ready_after_redis_back", ready_at - up_at)
        figure(f"redis_{stop.replace(' ', '')}_backlog_drained_after_redis_back", drained_at - up_at)
    finally:
        traffic.stop()
        kafka.close()
        worker.stop()
        print("---- worker log (tail) ----\n" + worker.log()[-4000:])


def test_a_broker_restart_is_resumed_from_with_every_event_once_and_triggers_flowing(
    own_kafka: KafkaProcess, worker_settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """The broker stops (SIGTERM) and starts again on the same data: the worker carries on.

    Page views from before and after the restart are each counted once, and abandoned carts
    before, during (its session ends while the broker is down) and after yield one trigger each.
    """
    settings = worker_settings.model_copy(update={"kafka_broker": own_kafka.url})
    customers = [f"broker-restart-{i}" for i in range(6)]
    worker = _run_worker(settings, tmp_path)
    kafka = Kafka(settings)
    try:
        sent: Counter[str] = Counter()

        def send_views(rounds: int) -> None:
            for _ in range(rounds):
                for customer in customers:
                    kafka.send(event("page_viewed", customer, now()))
                    sent[customer] += 1
            kafka.flush()

        send_views(5)
        kafka.send(event("cart_item_added", "cart-before", now()))
        kafka.flush()
        wait_until(lambda: page_views(settings.redis_url, customers) == sent, timeout=60,
                   message="the page views before the restart")
        [first] = kafka.read(settings.offer_triggers_topic, at_least=1, timeout=60)
        assert first["customer_id"] == "cart-before"

        # A cart whose session times out while the broker is away: its trigger waits in the outbox.
        kafka.send(event("cart_item_added", "cart-during", now()))
        kafka.flush()
        wait_until(lambda: session_hash(redis_client, "cart-during"), timeout=30,
                   message="the cart left just before the broker stops")
        own_kafka.stop()
        assert worker.process is not None
        log_at, cpu_at, down_at = worker.log_path.stat().st_size, cpu_seconds(worker.process.pid), time.monotonic()
        time.sleep(BROKER_OUTAGE_SECONDS)
        assert worker.process.poll() is None, f"worker died:\n{worker.log()}"
        while_down = readiness(worker)
        print(f"observed: /ready while the broker is down: {while_down}")
        assert while_down[0] == 503 and any("broker unreachable" in r for r in while_down[1]), while_down
        own_kafka.start()
        up_at = time.monotonic()
        outage = up_at - down_at
        cpu_share = (cpu_seconds(worker.process.pid) - cpu_at) / outage
        with open(worker.log_path, "rb") as log:
            log.seek(log_at)
            failed_refreshes = log.read().count(b"Unable to update metadata")
        print(f"observed: broker outage {outage:.1f}s, worker CPU {cpu_share:.0%} of a core, "
              f"{failed_refreshes} failed metadata refreshes logged")
        # aiokafka alone retries a failed refresh at once, thousands of times a second
        # (streams/kafka_client.py); paused, it is a few a second per client.
        assert failed_refreshes <= 100 * outage, f"{failed_refreshes} failed metadata refreshes in {outage:.1f}s"

        kafka.send(event("page_viewed", "broker-restart-marker", now()))
        kafka.flush()
        wait_until(lambda: page_views(settings.redis_url, ["broker-restart-marker"]), timeout=90,
                   message="the first event after the restart to be processed")
        first_processed_at = time.monotonic()
        send_views(5)
        kafka.send(event("cart_item_added", "cart-after", now()))
        kafka.flush()
        wait_until(lambda: page_views(settings.redis_url, customers) == sent, timeout=60,
                   message="the page views after the restart")
        triggers = kafka.read(settings.offer_triggers_topic, at_least=3, timeout=60, settle=3)
        assert sorted(t["customer_id"] for t in triggers) == ["cart-after", "cart-before", "cart-during"]
        assert page_views(settings.redis_url, customers) == sent
        wait_until(lambda: readiness(worker)[0] == 200, timeout=30, message="/ready 200 after the restart")
        figure("broker_up_to_first_event_processed", first_processed_at - up_at)
    finally:
        kafka.close()
        worker.stop()
        print("---- worker log (tail) ----\n" + worker.log()[-4000:])
