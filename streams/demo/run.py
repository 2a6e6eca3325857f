"""``tracker demo``: the whole pipeline on the embedded default, in about a minute.

Starts Tansu and Redis on free loopback ports, a worker in a child process, then plays
a simulated shop in real time and prints every offer trigger as the worker emits it.  The
shop behaves like a real one (:mod:`streams.demo.shop`) — returning visitors, logins
part-way through a visit, carts checked out in a later visit, and a long tail of events
the tracker has no event of its own for — and sends what a real one sends: the e-commerce tracking spec's
messages, on the input topic, keyed as RudderStack's Kafka destination keys them.  Time
is compressed (a visit times out after seconds, the next comes seconds later), so the
offer policy's 24-hour frequency cap is lifted as its quiet hours are.  Everything
started is stopped at the end, on an error or on Ctrl-C.
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
from streams.demo.embedded import EmbeddedServices, free_port, stop_process
from streams.demo.messages import key_of, shop_messages
from streams.demo.shop import Shopper, simulate_shop
from streams.errors import ServiceError
from streams.settings import Settings
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
            f"  ▸ offer trigger   {t['kind']:<19} {t['customer_id']} {persona:<28} {what:<22} "
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
            # Days pass in seconds here: a 24-hour frequency cap would hold every shopper's second offer.
            policy_file=_uncapped_policy(services.workdir),
        )
        _line(out, f"  services        kafka {services.kafka_broker}  redis {services.redis_url}")
        ensure_topics(settings)
        worker = WorkerProcess(settings, services.workdir / "worker.log")
        printer = None
        try:
            took = worker.wait_ready(90, out)
            _line(out, f"  worker ready    in {took:.1f}s (http://{settings.web_host}:{settings.web_port}/metrics)")
            timeout = timedelta(seconds=session_timeout)
            shoppers = simulate_shop(
                customers, seed=seed, start=datetime.now(timezone.utc) + timedelta(seconds=1),
                pace=timedelta(seconds=0.6), spread=timedelta(seconds=10),
                # The next visit once this one is over: after the timeout and the allowed lateness.
                return_after=(2.2 * timeout, 2.6 * timeout), session_timeout=timeout,
            )
            personas = {customer_id: s.persona for s in shoppers for customer_id in s.ids}
            printer = TriggerPrinter(settings, personas, out)
            printer.start()
            sent = _play(shoppers, settings, out)
            expected = Counter(kind for s in shoppers for _, kind in s.expected)
            deadline = time.monotonic() + 2 * session_timeout + 10
            while time.monotonic() < deadline and _decided(settings) < sum(expected.values()):
                _status(out, f"waiting for quiet visits to time out ({session_timeout:.0f}s) ...")
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


def _uncapped_policy(workdir: Path) -> Path:
    """The shipped offer policy without its frequency cap, for a shop whose days pass in seconds."""
    shipped = Path(__file__).resolve().parents[2] / "offers" / "default_policy.toml"
    text = shipped.read_text().replace("[frequency_cap]\nhours = 24", "[frequency_cap]\nhours = 0")
    path = workdir / "demo-policy.toml"
    path.write_text(text)
    return path


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


def _play(shoppers: list[Shopper], settings: Settings, out: TextIO) -> tuple[int, int]:
    """Produce every message when it happens, as RudderStack's Kafka destination would; also two broken ones.

    Returns the messages sent and how many of them have no tracker event of their own.
    """
    from kafka import KafkaProducer

    from streams.core.segment import TRACKS, track_name

    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=5,
                             **kafka_python_options(settings))
    messages = list(shop_messages(shoppers))
    visits = sum(s.visits for s in shoppers)
    _line(out, f"  shop open       {len(shoppers)} shoppers, {visits} visits, {len(messages)} messages over "
               f"~{_span(messages):.0f}s")
    try:
        for n, message in enumerate(messages, 1):
            wait = (datetime.fromisoformat(message["timestamp"].replace("Z", "+00:00"))
                    - datetime.now(timezone.utc)).total_seconds()
            if wait > 0:
                time.sleep(wait)
            producer.send(settings.site_visits_topic, key=key_of(message).encode(), value=json.dumps(message).encode())
            _status(out, f"streaming the shop's messages ... {n}/{len(messages)}")
        # What a buggy tag manager sends: the tracker dead-letters it and carries on.
        producer.send(settings.site_visits_topic, key=b"c-broken", value=b'{"type": "page_viewed", "url": ')
        producer.send(settings.site_visits_topic, key=b"c-broken",
                      value=b'{"event_id":"x1","type":"page_viewed","customer_id":"c-broken",'
                            b'"occurred_at":"2026-01-01T10:00:00","url":"/"}')
        producer.flush()
    finally:
        producer.close()
    unmapped = sum(1 for m in messages if m["type"] == "track" and track_name(m["event"]) not in TRACKS)
    _line(out, f"  streamed        {len(messages)} messages ({unmapped} with no tracker event of their own) "
               "and 2 broken ones")
    return len(messages), unmapped


def _span(messages: list[dict[str, object]]) -> float:
    times = [datetime.fromisoformat(str(m["timestamp"]).replace("Z", "+00:00")) for m in messages]
    return (max(times) - datetime.now(timezone.utc)).total_seconds() if times else 0.0


def _summary(
    out: TextIO, shoppers: list[Shopper], sent: tuple[int, int], printer: TriggerPrinter,
    expected: Counter[str], settings: Settings, metrics: dict[str, float],
) -> None:
    import redis

    client = redis.Redis.from_url(settings.redis_url, **redis_options(settings))
    profiles = sum(1 for _ in client.scan_iter(match=PROFILE_PATTERN, count=1000))
    kinds = Counter(str(t["kind"]) for t in printer.triggers)
    _line(out, "")
    _line(out, "Summary")
    by_persona = Counter(s.persona for s in shoppers)
    visits = sum(s.visits for s in shoppers)
    _line(out, f"  shoppers        {len(shoppers)} in {visits} visits: "
               + ", ".join(f"{n} {name}" for name, n in by_persona.most_common()))
    messages, unmapped = sent
    _line(out, f"  messages        {messages} sent ({unmapped} with no tracker event of their own), "
               f"{profiles} customer profiles in Redis")
    for kind in ("cart_abandoned", "checkout_abandoned", "browse_abandoned"):
        _line(out, f"  {kind:<19} {kinds.get(kind, 0)} trigger(s) for {expected.get(kind, 0)} abandoned visit(s)")
    suppressed: Counter[str] = Counter()
    unmapped_names: Counter[str] = Counter()
    for series, value in metrics.items():
        if series.startswith("tracker_offers_suppressed_total{"):
            suppressed[series.split('reason="')[1].split('"')[0]] += int(value)
        if series.startswith("tracker_unmapped_messages_total{"):
            unmapped_names[series.split('event="')[1].split('"')[0]] += int(value)
    held_out = int(sum(v for k, v in metrics.items() if k.startswith("tracker_offers_held_out_total{")))
    _line(out, f"  held out        {held_out} (the 10 % control group: tracked, no offer)")
    if suppressed:
        _line(out, "  suppressed      " + ", ".join(f"{n} {reason}" for reason, n in suppressed.items() if n))
    if unmapped_names:
        top = ", ".join(f"{name} {n}" for name, n in unmapped_names.most_common(4))
        _line(out, f"  unmapped        {sum(unmapped_names.values())} messages of {len(unmapped_names)} kinds, "
                   "visit activity only, counted by name "
                   f"({top}, ...)")
    _line(out, f"  dead letters    {len(printer.dead_letters)}")
    client.close()
