"""``tracker demo``: the whole pipeline on the embedded default, answering "who are my best and worst customers?".

Starts Tansu and Redis on free loopback ports and a worker in a child process on the
event-time clock.  The shop has a past (:mod:`streams.demo.history`): months of visits,
orders and refunds of loyal buyers, bargain hunters, big spenders drifting away, serial
returners, one-time buyers and lookers, produced at once and read by the worker in event
time — as ``tracker replay`` does — so its models, segments and offers follow the shop's own
clock.  Then the shop goes live: some of them come back, with new visitors, and every
message is produced when it happens; the offers printed differ by who the customer turned
out to be.  Passers-by keep landing on the home page, as in any live shop: on the event-time
clock, time moves only with the events read.  Then the answer, from the worker's own API:
best and worst customers, segments and personas, the offers' results and uplift.

In a terminal the worker and its page stay up until Ctrl-C; otherwise (CI) the demo ends by
itself.  Everything started is stopped at the end, on an error or on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from models.currencies import currency_of
from streams.broker.topics import ensure_topics
from streams.demo.embedded import EmbeddedServices, free_port, stop_process
from streams.demo.answer import show_answer
from streams.demo.history import Past, passer_by, shop_with_history
from streams.demo.messages import key_of, messages_of, shop_messages
from streams.demo.shop import Shopper
from streams.errors import ServiceError
from streams.settings import Settings, load_offer_policy
from streams.store.keys import PROFILE_PATTERN
from streams.transport import kafka_python_options, redis_options

if TYPE_CHECKING:
    from collections.abc import Callable

    from kafka import KafkaProducer


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
    """Reads ``offer-triggers`` and prints each live trigger as it arrives (those of the history are counted)."""

    def __init__(self, settings: Settings, kinds: dict[str, str], live_start: datetime, out: TextIO) -> None:
        super().__init__(daemon=True)
        from kafka import KafkaConsumer

        self.consumer = KafkaConsumer(
            settings.offer_triggers_topic, settings.dead_letters_topic,
            bootstrap_servers=settings.bootstrap_servers, auto_offset_reset="earliest",
            enable_auto_commit=False, consumer_timeout_ms=200, **kafka_python_options(settings),
        )
        self.triggers_topic = settings.offer_triggers_topic
        self.currency = settings.currency
        self.kinds = kinds
        self.live_start = live_start
        self.why = {rule.name: rule.why for rule in load_offer_policy(settings).rules}
        self.out = out
        self.triggers: list[dict[str, object]] = []
        self.history = 0
        self.dead_letters: list[dict[str, object]] = []
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            for message in self.consumer:
                body = json.loads(message.value)
                if message.topic != self.triggers_topic:
                    self.dead_letters.append(body)
                    _line(self.out, f"  ✗ dead letter     {body['reason']:<15} {body['detail'][:70]}")
                elif datetime.fromisoformat(str(body["issued_at"])) < self.live_start:
                    self.history += 1
                else:
                    self.triggers.append(body)
                    self._print_trigger(body)
                if self._stopping.is_set():
                    break

    def _print_trigger(self, t: dict[str, object]) -> None:
        products: list[dict[str, object]] = t.get("products") or []  # type: ignore[assignment]
        kind = self.kinds.get(str(t["customer_id"]), "?")
        if t["kind"] == "browse_abandoned":
            what = "viewed " + ", ".join(str(p["product_id"]) for p in products)
        else:
            written = currency_of(self.currency)  # a trigger's cart value is in the shop's currency
            value = float(t.get("cart_value") or 0)  # type: ignore[arg-type]
            what = f"{len(products)} product(s) {written.sign}{value:.{written.digits}f}"
        reason: dict[str, object] = t["reason"]  # type: ignore[assignment]
        who = ", ".join(str(reason[k]) for k in ("segment", "customer_type") if reason.get(k))
        _line(
            self.out,
            f"  ▸ {incentive_text(t['incentive']):<14} {str(t['kind']).replace('_abandoned', ''):<8} "  # type: ignore[arg-type]
            f"{t['customer_id']:<12} {kind:<26} {what:<20} rule {reason['rule']}"
            + (f" ({who})" if who else "")
            + f": {self.why.get(str(reason['rule']), '')}",
        )

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=5)
        self.consumer.close()


def incentive_text(offer: dict[str, object]) -> str:
    """An incentive as a marketer says it: ``15% off``, ``free shipping``, ``reminder``."""
    if offer["type"] == "percent_off":
        return f"{float(offer.get('value') or 0):g}% off"  # type: ignore[arg-type]
    return str(offer["type"]).replace("_", " ")


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
    *, customers: int = 100, seed: int = 7, session_timeout: float = 3.0, days: int = 365,
    keep_up: bool | None = None, out: TextIO = sys.stdout,
) -> int:
    """Run the demo; return the number of offer triggers of the live part.

    ``keep_up``: keep the worker and its page up after the answer until Ctrl-C (None: when
    ``out`` is a terminal).
    """
    _line(out, "Behaviour tracker demo: embedded Tansu broker + Redis, one worker, a shop with a past.")
    # A SIGTERM stops the demo as Ctrl-C does: the worker, broker and redis go with it.
    previous = signal.signal(signal.SIGTERM, _interrupt) if threading.current_thread() is threading.main_thread() else None
    try:
        return _run(customers, seed, session_timeout, days, keep_up, out)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run(customers: int, seed: int, session_timeout: float, days: int, keep_up: bool | None, out: TextIO) -> int:
    with EmbeddedServices() as services:
        settings = demo_settings(services, session_timeout)
        _line(out, f"  services        kafka {services.kafka_broker}  redis {services.redis_url}")
        ensure_topics(settings)
        worker = WorkerProcess(settings, services.workdir / "worker.log")
        printer = None
        try:
            took = worker.wait_ready(90, out)
            page = f"http://{settings.web_host}:{settings.web_port}/"
            _line(out, f"  worker ready    in {took:.1f}s ({page})")
            timeout = timedelta(seconds=session_timeout)
            now = datetime.now(timezone.utc)
            past = Past(now - timedelta(days=days), now - timedelta(days=1))

            def shop(live_start: datetime) -> list[Shopper]:
                return shop_with_history(customers, seed=seed, past=past, live_start=live_start,
                                         live_spread=timedelta(seconds=5), pace=timedelta(seconds=0.4),
                                         session_timeout=timeout, currency=settings.currency)[0]

            history = [m for m in shop_messages(shop(now + timedelta(days=1))) if _at(m) < now]
            _replay_history(history, past, settings, out)
            live_start = datetime.now(timezone.utc) + timedelta(seconds=0.5)
            shoppers = shop(live_start)
            live = [m for m in shop_messages(shoppers) if _at(m) >= live_start]
            today = [s for s in shoppers if any(e.occurred_at >= live_start for e in s.events)]
            kinds = {customer_id: s.persona for s in shoppers for customer_id in s.ids}
            printer = TriggerPrinter(settings, kinds, live_start, out)
            printer.start()
            before = _scrape(settings)
            decided_before = _decided(settings)
            expected = Counter(kind for s in shoppers for _, kind in s.expected)
            sent = _play_live(live, len(today), settings, out, lambda: _decided(settings) - decided_before >= sum(
                expected.values()), timeout)
            time.sleep(1.0)
            _summary(out, today, sent, printer, expected, settings, since(_scrape(settings), before))
            show_answer(page, out)
            if keep_up if keep_up is not None else (out.isatty() and sys.stdin.isatty()):
                _line(out, f"\nThe page is up: {page}  (the worker goes on; Ctrl-C to stop everything)")
                try:
                    while worker.process.poll() is None:
                        time.sleep(0.5)
                except KeyboardInterrupt:
                    _line(out, "")
            return len(printer.triggers)
        finally:
            try:
                if printer is not None:
                    printer.stop()
            finally:
                worker.stop()
            _line(out, "  stopped         worker, broker and redis")


def demo_settings(services: EmbeddedServices, session_timeout: float) -> Settings:
    """The worker's settings for the demo: event time, compressed visits, no caps that need real days."""
    return Settings(
        app_id="tracker-demo",
        kafka_broker=services.kafka_broker,
        redis_url=services.redis_url,
        web_port=free_port(),
        session_timeout_seconds=session_timeout,
        timer_interval_seconds=0.25,
        # The history is replayed in event time, and the live part goes on in it: decisions
        # follow the shop's own clock, months in seconds, then the visits happening now.
        clock="event",
        # ... and today's offers are decided as live ones are: on the models' scores too.
        scores_in_event_time=True,
        insights_max_age_seconds=1.0,
        daily_aggregates_seconds=1.0,
        # Tansu holds a new group's first join for about the session timeout.
        broker_session_timeout=6,
        broker_rebalance_timeout=5,
        broker_heartbeat_interval=1,
        # The demo runs at any hour: quiet hours would hold every live offer until morning.
        quiet_hours_enabled=False,
        # A shop of a hundred customers: learning a quarter of their updates, the behavioural
        # segments were still warming up when the answer was given (no segments, no personas).
        segments_learn_share=1.0,
        # Live visits come seconds apart: a 24-hour frequency cap would hold a returning shopper's offer.
        policy_file=_uncapped_policy(services.workdir),
    )


def _at(message: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(message["timestamp"]).replace("Z", "+00:00"))


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


def _producer(settings: Settings) -> KafkaProducer:
    from kafka import KafkaProducer

    return KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=5,
                         **kafka_python_options(settings))


def _send(producer: KafkaProducer, settings: Settings, message: dict[str, object]) -> None:
    producer.send(settings.site_visits_topic, key=key_of(message).encode(), value=json.dumps(message).encode())


def _replay_history(messages: list[dict[str, object]], past: Past, settings: Settings, out: TextIO) -> None:
    """Produce the shop's past at once, in event time, and wait for the worker to have read all of it."""
    started = time.monotonic()
    producer = _producer(settings)
    try:
        for n, message in enumerate(messages, 1):
            _send(producer, settings, message)
            if n % 500 == 0:
                _status(out, f"producing the shop's history ... {n}/{len(messages)}")
        producer.flush()
    finally:
        producer.close()
    begun = f"{past.begin:%d %b}" if past.begin.year == past.end.year else f"{past.begin:%d %b %Y}"
    _line(out, f"  history         {len(messages)} messages over {past.days():.0f} days "
               f"({begun} – {past.end:%d %b %Y}), replayed in event time")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        metrics = _scrape(settings)
        # Visit activity (a track call of another name) is an event and unmapped both: counted once.
        read = (_sum(metrics, "tracker_events_consumed_total{") - _sum_of_type(metrics, "activity")
                + _sum(metrics, "tracker_unmapped_messages_total{"))
        lag = _sum(metrics, "tracker_consumer_lag_messages{")
        if read >= len(messages) and lag == 0:
            break
        _status(out, f"the worker is reading the history ... {read:.0f}/{len(messages)}")
        time.sleep(0.25)
    _until_decided(settings, deadline)
    _line(out, f"  history read    in {time.monotonic() - started:.1f}s: "
               f"{_sum(_scrape(settings), 'tracker_offer_triggers_total{'):.0f} offers decided in the past")


#: What the worker decides of an ended visit: an offer, or none and why (held out, suppressed, deferred).
_DECISIONS = ("tracker_offer_triggers_total{", "tracker_offers_held_out_total{",
              "tracker_offers_suppressed_total{", "tracker_offers_deferred_total{")


def _until_decided(settings: Settings, deadline: float, steady_seconds: float = 1.0) -> None:
    """Wait until the worker's timer has decided the visits the history ended.

    Read to its end, the history's last visits are decided by the timer once the replay's clock
    reaches them, a tick or more later: counted at once, the offers of the past varied between
    runs of the same history. Done when the decisions have stood still for ``steady_seconds``.
    """
    decided, since = -1.0, time.monotonic()
    while time.monotonic() < deadline:
        now = sum(_sum(_scrape(settings), prefix) for prefix in _DECISIONS)
        if now != decided:
            decided, since = now, time.monotonic()
        elif time.monotonic() - since >= steady_seconds:
            return
        time.sleep(0.25)


def _sum(metrics: dict[str, float], prefix: str) -> float:
    return sum(value for series, value in metrics.items() if series.startswith(prefix))


def _sum_of_type(metrics: dict[str, float], kind: str) -> float:
    """Events of ``kind`` consumed, over both input topics."""
    return sum(value for series, value in metrics.items()
               if series.startswith("tracker_events_consumed_total{") and f'type="{kind}"' in series)


def _play_live(
    messages: list[dict[str, object]], shoppers: int, settings: Settings, out: TextIO,
    decided: Callable[[], bool], timeout: timedelta,
) -> tuple[int, int]:
    """Produce every live message when it happens, as RudderStack's Kafka destination would; also two broken ones.

    Passers-by land on the home page every few tenths of a second throughout, and after the
    live visits until the worker has decided on every abandonment: on the event-time clock,
    time moves only with the events read.  Returns the messages sent and how many of them
    have no tracker event of their own.
    """
    from streams.core.segment import TRACKS, track_name

    producer = _producer(settings)
    _line(out, f"  shop open       {shoppers} shoppers back or new today, {len(messages)} messages over "
               f"~{_span(messages):.0f}s")
    start = datetime.now(timezone.utc)
    passers = 0
    end = max((_at(m) for m in messages), default=start) + 2 * timeout
    try:
        queue = sorted(messages, key=_at)
        n = 0
        while True:
            now = datetime.now(timezone.utc)
            if n < len(queue):
                wait = (_at(queue[n]) - now).total_seconds()
                if wait <= 0:
                    _send(producer, settings, queue[n])
                    n += 1
                    _status(out, f"streaming the shop's live messages ... {n}/{len(queue)}")
                    continue
            elif now > end and decided() or now > end + timedelta(seconds=20):
                break
            passer = passers_by_due(passers, start, now)
            if passer:
                for message in messages_of(passer_by(passers, seed=settings.web_port, at=now,
                                                     pace=timedelta(seconds=0.1))):
                    _send(producer, settings, message)
                passers += 1
                producer.flush()
            if n >= len(queue):
                _status(out, f"waiting for the last visits to time out ({timeout.total_seconds():.0f}s) ...")
            time.sleep(0.05)
        # What a buggy tag manager sends: the tracker dead-letters it and carries on.
        producer.send(settings.site_visits_topic, key=b"c-broken", value=b'{"type": "page_viewed", "url": ')
        producer.send(settings.site_visits_topic, key=b"c-broken",
                      value=b'{"event_id":"x1","type":"page_viewed","customer_id":"c-broken",'
                            b'"occurred_at":"2026-01-01T10:00:00","url":"/"}')
        producer.flush()
    finally:
        producer.close()
    unmapped = sum(1 for m in messages if m["type"] == "track" and track_name(str(m["event"])) not in TRACKS)
    _line(out, f"  streamed        {len(messages)} live messages ({unmapped} with no tracker event of their own), "
               f"{passers} passers-by and 2 broken ones")
    return len(messages), unmapped


def passers_by_due(sent: int, start: datetime, now: datetime, every: float = 0.3) -> bool:
    """Whether another passer-by lands now: one every ``every`` seconds since ``start``."""
    return sent < (now - start).total_seconds() / every


def _span(messages: list[dict[str, object]]) -> float:
    times = [datetime.fromisoformat(str(m["timestamp"]).replace("Z", "+00:00")) for m in messages]
    return (max(times) - datetime.now(timezone.utc)).total_seconds() if times else 0.0


def _summary(
    out: TextIO, shoppers: list[Shopper], sent: tuple[int, int], printer: TriggerPrinter,
    expected: Counter[str], settings: Settings, metrics: dict[str, float],
) -> None:
    """What happened today (the live part): ``metrics`` are the worker's counters since the history was read."""
    import redis

    client = redis.Redis.from_url(settings.redis_url, **redis_options(settings))
    profiles = sum(1 for _ in client.scan_iter(match=PROFILE_PATTERN, count=1000))
    client.close()
    kinds = Counter(str(t["kind"]) for t in printer.triggers)
    _line(out, "")
    _line(out, "Today")
    by_kind = Counter(s.persona for s in shoppers)
    _line(out, f"  shoppers        {len(shoppers)} back or new: "
               + ", ".join(f"{n} {name}" for name, n in by_kind.most_common()))
    messages, unmapped = sent
    _line(out, f"  messages        {messages} sent ({unmapped} with no tracker event of their own), "
               f"{profiles} customer and visitor profiles in Redis")
    incentives = Counter(incentive_text(t["incentive"]) for t in printer.triggers)  # type: ignore[arg-type]
    _line(out, f"  offers          {len(printer.triggers)} sent: "
               + ", ".join(f"{n} {name}" for name, n in incentives.most_common()))
    for kind in ("cart_abandoned", "checkout_abandoned", "browse_abandoned"):
        _line(out, f"  {kind:<19} {kinds.get(kind, 0)} trigger(s) for {expected.get(kind, 0)} abandoned visit(s)")
    suppressed: Counter[str] = Counter()
    unmapped_names: Counter[str] = Counter()
    for series, value in metrics.items():
        if series.startswith("tracker_offers_suppressed_total{"):
            suppressed[series.split('reason="')[1].split('"')[0]] += int(value)
        if series.startswith("tracker_unmapped_messages_total{"):
            unmapped_names[series.split('event="')[1].split('"')[0]] += int(value)
    held_out = int(_sum(metrics, "tracker_offers_held_out_total{"))
    none = [f"{held_out} held out (the control group: tracked, no offer)"]
    none += [f"{n} {reason}" for reason, n in suppressed.most_common() if n]
    _line(out, "  no offer        " + ", ".join(none))
    if unmapped_names:
        top = ", ".join(f"{name} {n}" for name, n in unmapped_names.most_common(4))
        _line(out, f"  unmapped        {sum(unmapped_names.values())} messages of {len(unmapped_names)} kinds, "
                   f"visit activity only, counted by name ({top}, ...)")
    _line(out, f"  dead letters    {len(printer.dead_letters)}")


def since(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    """The counters of ``after`` less those of ``before``."""
    return {series: value - before.get(series, 0.0) for series, value in after.items()}
