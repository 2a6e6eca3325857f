"""``tracker demo``: the whole pipeline on the embedded default, in under a minute.

Starts Tansu and Redis on free loopback ports, a worker in a child process, then plays
a simulated clickstream in real time and prints every offer trigger as the worker
emits it.  Everything started is stopped at the end, on an error or on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TextIO

from streams.broker.topics import ensure_topics
from streams.core.events import dump
from streams.demo.embedded import EmbeddedServices, free_port, stop_process
from streams.demo.simulate import SimulatedCustomer, in_time_order, simulate
from streams.errors import ServiceError
from streams.settings import Settings, intake_of
from streams.store.keys import PROFILE_PATTERN
from streams.transport import kafka_python_options, redis_options


def settings_env(settings: Settings) -> dict[str, str]:
    """``settings`` as the ``TRACKER_*`` variables a child worker reads."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[f"TRACKER_{name.upper()}"] = str(value)
    return env


class WorkerProcess:
    """A ``tracker worker`` child process with its own log file."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.settings = settings
        self.log_path = log_path
        self._log = open(log_path, "wb")
        env = {**os.environ, **settings_env(settings)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker"],
            stdout=self._log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )

    def ready(self) -> bool:
        url = f"http://{self.settings.web_host}:{self.settings.web_port}/ready"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return bool(json.load(response).get("ready"))
        except (OSError, ValueError):
            return False

    def wait_ready(self, timeout: float, out: TextIO) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise ServiceError(f"the worker exited with code {self.process.returncode}:\n{self.log_tail()}")
            if self.ready():
                return time.monotonic() - started
            _status(out, f"waiting for the worker to join its consumer group ... {time.monotonic() - started:4.1f}s")
            time.sleep(0.25)
        raise ServiceError(f"the worker was not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 25) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join("    | " + line for line in text[-lines:])

    def stop(self) -> None:
        stop_process(self.process, timeout=15)
        self._log.close()


class TriggerPrinter(threading.Thread):
    """Reads ``offer-triggers`` and prints each trigger as it arrives."""

    def __init__(self, settings: Settings, personas: dict[str, str], out: TextIO) -> None:
        super().__init__(daemon=True)
        from kafka import KafkaConsumer

        self.consumer = KafkaConsumer(
            settings.offer_triggers_topic, settings.dead_letters_topic,
            bootstrap_servers=settings.bootstrap_servers, auto_offset_reset="earliest",
            enable_auto_commit=False, consumer_timeout_ms=200, **kafka_python_options(settings),
        )
        self.triggers_topic = settings.offer_triggers_topic
        self.personas = personas
        self.out = out
        self.triggers: list[dict[str, object]] = []
        self.dead_letters: list[dict[str, object]] = []
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            for message in self.consumer:
                body = json.loads(message.value)
                if message.topic == self.triggers_topic:
                    self.triggers.append(body)
                    self._print_trigger(body)
                else:
                    self.dead_letters.append(body)
                    _line(self.out, f"  ✗ dead letter     {body['reason']:<15} {body['detail'][:70]}")
                if self._stopping.is_set():
                    break

    def _print_trigger(self, t: dict[str, object]) -> None:
        expires = datetime.fromisoformat(str(t["expires_at"])).astimezone().strftime("%H:%M")
        products: list[dict[str, object]] = t.get("products") or []  # type: ignore[assignment]
        persona = self.personas.get(str(t["customer_id"]), "?")
        if t["kind"] == "browse_abandoned":
            what = "viewed " + ", ".join(str(p["product_id"]) for p in products)
        else:
            what = f"{len(products)} product(s) £{float(t.get('cart_value') or 0):.2f}"  # type: ignore[arg-type]
        offer: dict[str, object] = t["incentive"]  # type: ignore[assignment]
        incentive = {"percent_off": f"{offer.get('value', 0):g}% off", "free_shipping": "free shipping"}.get(
            str(offer["type"]), str(offer["type"]))
        _line(
            self.out,
            f"  ▸ offer trigger   {t['kind']:<19} {t['customer_id']} {persona:<19} {what:<22} "
            f"→ {incentive} ({t['reason']['rule']}), until {expires}",  # type: ignore[index]
        )

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=5)
        self.consumer.close()


def _status(out: TextIO, text: str) -> None:
    if out.isatty():
        out.write("\r  " + text + "\x1b[K")
        out.flush()


def _line(out: TextIO, text: str) -> None:
    if out.isatty():
        out.write("\r\x1b[K")
    out.write(text + "\n")
    out.flush()


def run_demo(
    *, customers: int = 40, seed: int = 7, session_timeout: float = 5.0, out: TextIO = sys.stdout
) -> int:
    """Run the demo; return the number of offer triggers seen."""
    _line(out, "Behaviour tracker demo: embedded Tansu broker + Redis, one worker, a simulated shop.")
    with EmbeddedServices() as services:
        settings = Settings(
            app_id="tracker-demo",
            kafka_broker=services.kafka_broker,
            redis_url=services.redis_url,
            web_port=free_port(),
            session_timeout_seconds=session_timeout,
            timer_interval_seconds=0.25,
            # Tansu holds a new group's first join for about the session timeout.
            broker_session_timeout=6,
            broker_rebalance_timeout=5,
            broker_heartbeat_interval=1,
            # The demo runs at any hour: quiet hours would hold every offer until morning.
            quiet_hours_enabled=False,
        )
        _line(out, f"  services        kafka {services.kafka_broker}  redis {services.redis_url}")
        ensure_topics(settings)
        worker = WorkerProcess(settings, services.workdir / "worker.log")
        printer = None
        try:
            took = worker.wait_ready(90, out)
            _line(out, f"  worker ready    in {took:.1f}s (http://{settings.web_host}:{settings.web_port}/metrics)")
            shoppers = simulate(
                customers, seed=seed, start=datetime.now(timezone.utc) + timedelta(seconds=1),
                pace=timedelta(seconds=0.8), spread=timedelta(seconds=12),
            )
            personas = {c.customer_id: c.persona.name for c in shoppers}
            printer = TriggerPrinter(settings, personas, out)
            printer.start()
            sent = _play(shoppers, settings, out)
            expected = Counter(c.persona.expected_trigger for c in shoppers if c.persona.expected_trigger)
            deadline = time.monotonic() + session_timeout + 10
            while time.monotonic() < deadline and _decided(settings) < sum(expected.values()):
                _status(out, f"waiting for quiet sessions to time out ({session_timeout:.0f}s) ...")
                time.sleep(0.2)
            time.sleep(1.0)
            _summary(out, shoppers, sent, printer, expected, settings, _scrape(settings))
            return len(printer.triggers)
        finally:
            try:
                if printer is not None:
                    printer.stop()
            finally:
                worker.stop()
            _line(out, "  stopped         worker, broker and redis")


def _decided(settings: Settings) -> float:
    """Abandonments the worker has decided on so far (sent, held out or suppressed)."""
    return sum(
        value for series, value in _scrape(settings).items()
        if series.startswith(("tracker_offer_triggers_total{", "tracker_offers_held_out_total{",
                              "tracker_offers_suppressed_total{"))
    )


def _scrape(settings: Settings) -> dict[str, float]:
    """The worker's metrics as {series: value}, read from its /metrics page."""
    from prometheus_client.parser import text_string_to_metric_families

    url = f"http://{settings.web_host}:{settings.web_port}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return {}
    series = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            series[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return series


def _play(shoppers: list[SimulatedCustomer], settings: Settings, out: TextIO) -> int:
    """Produce every event at the moment it happens; also two broken ones."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=5,
                             **kafka_python_options(settings))
    intake = intake_of(settings)
    events = list(in_time_order(shoppers))
    _line(out, f"  shop open       {len(shoppers)} customers, {len(events)} events over ~15s")
    try:
        for n, event in enumerate(events, 1):
            wait = (event.occurred_at - datetime.now(timezone.utc)).total_seconds()
            if wait > 0:
                time.sleep(wait)
            producer.send(intake.topic_of(event), key=event.customer_id.encode(), value=dump(event))
            _status(out, f"streaming clickstream ... {n}/{len(events)} events")
        # What a buggy tag manager sends: the tracker dead-letters it and carries on.
        producer.send(settings.site_visits_topic, key=b"c-broken", value=b'{"type": "page_viewed", "url": ')
        producer.send(settings.site_visits_topic, key=b"c-broken",
                      value=b'{"event_id":"x1","type":"page_viewed","customer_id":"c-broken",'
                            b'"occurred_at":"2026-01-01T10:00:00","url":"/"}')
        producer.flush()
    finally:
        producer.close()
    _line(out, f"  streamed        {len(events)} events and 2 broken messages")
    return len(events)


def _summary(
    out: TextIO, shoppers: list[SimulatedCustomer], sent: int, printer: TriggerPrinter,
    expected: Counter[str], settings: Settings, metrics: dict[str, float],
) -> None:
    import redis

    client = redis.Redis.from_url(settings.redis_url, **redis_options(settings))
    profiles = sum(1 for _ in client.scan_iter(match=PROFILE_PATTERN, count=1000))
    kinds = Counter(str(t["kind"]) for t in printer.triggers)
    _line(out, "")
    _line(out, "Summary")
    by_persona = Counter(c.persona.name for c in shoppers)
    _line(out, "  customers       " + ", ".join(f"{n} {name}" for name, n in by_persona.most_common()))
    _line(out, f"  events          {sent} sent, {profiles} customer profiles in Redis")
    for kind in ("cart_abandoned", "checkout_abandoned", "browse_abandoned"):
        _line(out, f"  {kind:<19} {kinds.get(kind, 0)} trigger(s) from {expected.get(kind, 0)} simulated abandoners")
    suppressed: Counter[str] = Counter()
    for series, value in metrics.items():
        if series.startswith("tracker_offers_suppressed_total{"):
            suppressed[series.split('reason="')[1].split('"')[0]] += int(value)
    held_out = int(sum(v for k, v in metrics.items() if k.startswith("tracker_offers_held_out_total{")))
    _line(out, f"  held out        {held_out} (the 10 % control group: tracked, no offer)")
    if suppressed:
        _line(out, "  suppressed      " + ", ".join(f"{n} {reason}" for reason, n in suppressed.items() if n))
    _line(out, f"  dead letters    {len(printer.dead_letters)}")
    client.close()
