"""Drivers for integration tests: a worker child process, Kafka as a site sees it, polling.

Importable from tests in this folder (pytest puts it on sys.path).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

from streams.demo.embedded import free_port
from streams.demo.run import settings_env
from streams.settings import Settings


def fresh_settings(services: dict[str, str], **overrides: object) -> Settings:
    """Settings of a worker on topics and a consumer group of its own, tuned for tests."""
    run = uuid.uuid4().hex[:8]
    settings = Settings(
        app_id=f"tracker-test-{run}",
        kafka_broker=services["kafka"],
        redis_url=services["redis"],
        web_port=free_port(),
        site_visits_topic=f"site-visits-{run}",
        purchases_topic=f"purchases-{run}",
        offer_triggers_topic=f"offer-triggers-{run}",
        offer_outcomes_topic=f"offer-outcomes-{run}",
        dead_letters_topic=f"tracker-dead-letters-{run}",
        session_timeout_seconds=2,
        timer_interval_seconds=0.2,
        batch_seconds=0.02,
        # A killed worker's partitions go to the survivor after this (the demo's figure, as test_crash's).
        broker_session_timeout=6,
        broker_rebalance_timeout=10,
        broker_heartbeat_interval=1,
        # Tests run at any hour and must not depend on the hold-out draw.
        quiet_hours_enabled=False,
        holdout_percent=0,
    )
    return settings.model_copy(update=overrides)


class RunningWorker:
    """A ``tracker worker`` child process on its own topics, with helpers to drive it."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.settings = settings
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60, *, wait: bool = True) -> RunningWorker:
        """Start the worker and, unless ``wait`` is false, wait until /ready says ready."""
        self._log = open(self.log_path, "ab")
        env = {**os.environ, **settings_env(self.settings)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker"], stdout=self._log, stderr=subprocess.STDOUT, env=env
        )
        if not wait:
            return self
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"worker exited:\n{self.log()}"
            if self.ready():
                return self
            time.sleep(0.05)
        raise AssertionError(f"worker not ready after {timeout}s:\n{self.log()}")

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url("/ready"), timeout=1) as response:
                return bool(json.load(response)["ready"])
        except (OSError, ValueError):
            return False

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.settings.web_port}{path}"

    def metric(self, name: str, **labels: str) -> float:
        """The current value of one series on the worker's /metrics (0 if absent)."""
        from prometheus_client.parser import text_string_to_metric_families

        with urllib.request.urlopen(self.url("/metrics"), timeout=2) as response:
            text = response.read().decode()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    return sample.value
        return 0.0

    def metric_total(self, name: str) -> float:
        """The sum of one metric over all its label values (e.g. events of every topic and type)."""
        from prometheus_client.parser import text_string_to_metric_families

        with urllib.request.urlopen(self.url("/metrics"), timeout=5) as response:
            text = response.read().decode()
        return sum(sample.value for family in text_string_to_metric_families(text)
                   for sample in family.samples if sample.name == name)

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if hasattr(self, "_log"):
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]


class Kafka:
    """kafka-python on the test broker: produce like a website, read like an email system."""

    def __init__(self, settings: Settings) -> None:
        from kafka import KafkaProducer

        self.settings = settings
        self.producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=2)

    def send(self, body: dict[str, object] | bytes, *, key: str | None = None, topic: str | None = None) -> None:
        """Produce one event (a dict, keyed by its customer) or raw bytes."""
        if isinstance(body, dict):
            value = json.dumps(body).encode()
            key = key if key is not None else str(body["customer_id"])
            is_purchase = body.get("type") in ("order_placed", "order_refunded")
            topic = topic or (self.settings.purchases_topic if is_purchase else self.settings.site_visits_topic)
        else:
            value = body
            topic = topic or self.settings.site_visits_topic
        self.producer.send(topic, key=key.encode() if key is not None else None, value=value)

    def flush(self) -> None:
        self.producer.flush()

    def read(self, topic: str, *, at_least: int = 1, timeout: float = 20, settle: float = 0.0,
             where: Callable[[dict], bool] | None = None) -> list[dict]:
        """Every record on ``topic`` (or only those ``where`` accepts, when a worker shared by several
        tests writes there): once ``at_least`` arrived and none more for ``settle`` seconds."""
        from kafka import KafkaConsumer, TopicPartition

        consumer = KafkaConsumer(bootstrap_servers=self.settings.bootstrap_servers, enable_auto_commit=False,
                                 auto_offset_reset="earliest")
        partitions = [TopicPartition(topic, p) for p in range(self.settings.partitions)]
        consumer.assign(partitions)
        for partition in partitions:  # explicit offsets: no reset race with records arriving meanwhile
            consumer.seek(partition, 0)
        records: list[dict] = []
        deadline = time.monotonic() + timeout
        last_new = time.monotonic()
        try:
            while time.monotonic() < deadline:
                for batch in consumer.poll(timeout_ms=200).values():
                    found = [json.loads(message.value) for message in batch]
                    found = [record for record in found if where is None or where(record)]
                    if found:
                        records += found
                        last_new = time.monotonic()
                if len(records) >= at_least and time.monotonic() - last_new >= settle:
                    break
        finally:
            consumer.close()
        return records

    def close(self) -> None:
        self.producer.close()


def wait_until(check, *, timeout: float = 20, every: float = 0.1, message: str = "condition"):
    """Poll ``check`` until it returns something truthy; fail with ``message`` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
