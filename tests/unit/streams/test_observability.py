"""Readiness checks, consumer lag, Redis timing and log lines, on fakes."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from streams.metrics import Metrics
from streams.http.ops import Readiness
from streams.logs import LogfmtFormatter, configure_logging
from streams.store.timing import instrument_redis
from streams.worker.lag import ConsumerLag


def _fields(line: str) -> dict[str, str]:
    """A logfmt line back into its fields."""
    return dict(part.split("=", 1) for part in shlex.split(line))


# ---------------------------------------------------------------- logs


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    root, tracker, chatty = logging.getLogger(), logging.getLogger("tracker"), logging.getLogger("kafka")
    saved = [(logger, logger.handlers[:], logger.level, logger.propagate) for logger in (root, tracker, chatty)]
    stream = io.StringIO()
    configure_logging("info", stream)
    yield stream
    for logger, handlers, level, propagate in saved:
        logger.handlers[:], logger.level, logger.propagate = handlers, level, propagate


def test_a_dead_letter_line_carries_its_kafka_coordinates_as_fields(log_lines: io.StringIO) -> None:
    """`key=%s` conversions become fields: topic, partition and offset of the record are machine-readable."""
    logging.getLogger("tracker").warning(
        "dead letter: reason=%s topic=%s partition=%s offset=%s detail=%s",
        "malformed_json", "site-visits", 2, 1187, "Invalid JSON: EOF at column 31",
    )
    [line] = log_lines.getvalue().splitlines()
    fields = _fields(line)
    assert fields["level"] == "warning" and fields["logger"] == "tracker" and fields["msg"] == "dead letter"
    assert (fields["topic"], fields["partition"], fields["offset"]) == ("site-visits", "2", "1187")
    assert fields["detail"] == "Invalid JSON: EOF at column 31"
    assert fields["ts"].endswith("Z")


def test_a_message_without_keys_stays_whole(log_lines: io.StringIO) -> None:
    """Conversions with no `key=` are formatted into the message as usual."""
    logging.getLogger("tracker").warning("%s failed, retrying in %.1fs: %r", "save", 0.5, OSError("refused"))
    assert _fields(log_lines.getvalue())["msg"] == "save failed, retrying in 0.5s: OSError('refused')"


def test_extra_fields_are_written_too(log_lines: io.StringIO) -> None:
    """Fields passed with `extra=` appear as key=value."""
    logging.getLogger("tracker").info("batch handled", extra={"events": 12, "partition": 3})
    fields = _fields(log_lines.getvalue())
    assert (fields["msg"], fields["events"], fields["partition"]) == ("batch handled", "12", "3")


def test_an_exception_stays_on_one_line(log_lines: io.StringIO) -> None:
    """A traceback is escaped into one field, so one event is one line."""
    try:
        raise ValueError("bad offset")
    except ValueError:
        logging.getLogger("tracker").exception("timer failed: partition=%d", 1)
    [line] = log_lines.getvalue().splitlines()
    fields = _fields(line)
    assert fields["error"] == "ValueError('bad offset')"
    assert "Traceback" in fields["traceback"] and fields["partition"] == "1"


def test_email_addresses_never_reach_the_log(log_lines: io.StringIO) -> None:
    """Anything shaped like an e-mail address is replaced, in the message and in fields."""
    logging.getLogger("tracker").warning("dead letter: detail=%s", "customer_id: got 'ann.lee+x@example.co.uk'")
    logging.getLogger("tracker").info("login by bob@example.com")
    text = log_lines.getvalue()
    assert "example" not in text
    assert text.count("<email>") == 2


def test_every_logger_writes_one_logfmt_line_once(log_lines: io.StringIO) -> None:
    """Faust's, aiokafka's and the tracker's records alike: one logfmt line each, a library's table on one line."""
    logging.getLogger("tracker").info("partitions assigned: %s", "site-visits/0")
    logging.getLogger("faust.worker").info("[^Worker]: Ready")
    logging.getLogger("aiokafka.consumer.group_coordinator").warning("Heartbeat failed:\n+--+\n| x |\n+--+")
    lines = log_lines.getvalue().splitlines()
    assert [_fields(line)["logger"] for line in lines] == ["tracker", "faust.worker", "aiokafka.consumer.group_coordinator"]
    assert _fields(lines[1])["msg"] == "[^Worker]: Ready"
    assert _fields(lines[2])["level"] == "warning"


def test_kafka_python_s_connection_chatter_is_left_out_unless_debugging(log_lines: io.StringIO) -> None:
    """kafka-python's INFO lines (bootstrap, connect, close: ~20 at every start) are not written; its warnings are."""
    logging.getLogger("kafka.net.manager").info("Attempting bootstrap to bootstrap-0 at 127.0.0.1:9092")
    logging.getLogger("kafka.net.manager").warning("Broker unreachable")
    assert [_fields(line)["msg"] for line in log_lines.getvalue().splitlines()] == ["Broker unreachable"]
    configure_logging("debug", log_lines)
    logging.getLogger("kafka.net.manager").info("Attempting bootstrap to bootstrap-0 at 127.0.0.1:9092")
    assert "Attempting bootstrap" in log_lines.getvalue()


def test_a_coordinator_lookup_aiokafka_retries_is_a_warning_not_an_error(log_lines: io.StringIO) -> None:
    """A fresh broker has no group coordinator for a moment: aiokafka's error line, retried, reads as a warning."""
    from aiokafka.errors import GroupAuthorizationFailedError, GroupCoordinatorNotAvailableError

    coordinator = logging.getLogger("aiokafka.consumer.group_coordinator")
    coordinator.error("Group Coordinator Request failed: %s", GroupCoordinatorNotAvailableError())
    coordinator.error("Group Coordinator Request failed: %s", GroupAuthorizationFailedError())
    first, second = (_fields(line) for line in log_lines.getvalue().splitlines())
    assert first["level"] == "warning" and first["msg"].endswith("(retrying)")
    assert "GroupCoordinatorNotAvailable" in first["msg"]
    assert second["level"] == "error"  # not retried: the worker cannot join


def test_kafka_python_s_slow_step_warnings_are_left_out_unless_debugging(log_lines: io.StringIO) -> None:
    """A busy process delays kafka-python's network thread past its 100 ms threshold: not a fault to chase."""
    selector = logging.getLogger("kafka.net.selector")
    slow = "Task %r ran for %.3fs (>%.3fs threshold). It is blocking the event loop"
    selector.warning(slow, "<Task>", 0.116, 0.1)
    selector.warning("Selector got READ event without reader...")
    assert [_fields(line)["msg"] for line in log_lines.getvalue().splitlines()] == [
        "Selector got READ event without reader..."]
    configure_logging("debug", log_lines)
    selector.warning(slow, "<Task>", 0.116, 0.1)
    assert "ran for 0.116s" in log_lines.getvalue()


def test_a_badly_formed_call_still_logs_something() -> None:
    """A message whose arguments do not match its conversions is kept, with its arguments."""
    record = logging.LogRecord("tracker", logging.INFO, __file__, 1, "count=%d", ("many",), None)
    fields = _fields(LogfmtFormatter().format(record))
    assert (fields["msg"], fields["args"]) == ("count=%d", "('many',)")


def test_every_field_of_the_code_s_log_calls_holds_its_whole_value() -> None:
    """A `key=%s` field of a log call ends at a space: `inputs=%s,%s` would log `inputs=site-visits`
    and leave `,purchases` in the message, so the code never writes one."""
    root = Path(__file__).resolve().parents[3]
    glued = re.compile(r"[A-Za-z_]=%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa][^\s\"'`\\)]")
    offending = [f"{path.relative_to(root)}:{number}: {line.strip()}"
                 for package in ("streams", "models", "offers") for path in sorted((root / package).rglob("*.py"))
                 for number, line in enumerate(path.read_text().splitlines(), 1) if glued.search(line)]
    assert offending == []


# ---------------------------------------------------------------- readiness


async def test_ready_when_every_check_passes() -> None:
    """No reasons when all checks return None, sync or async."""
    readiness = Readiness()

    async def fine() -> None:
        return None

    readiness.register("a", lambda: None)
    readiness.register("b", fine)
    assert await readiness.reasons() == []


async def test_not_ready_lists_every_failing_reason_in_order() -> None:
    """Each failing check contributes its reason, in the order the checks were registered."""
    readiness = Readiness()
    readiness.register("kafka", lambda: "no input partitions assigned yet")
    readiness.register("redis", lambda: None)
    readiness.register("models", lambda: "models not loaded yet")
    assert await readiness.reasons() == ["no input partitions assigned yet", "models not loaded yet"]


async def test_a_check_that_hangs_or_raises_is_a_reason_not_an_error() -> None:
    """A check that does not answer in time, or raises, makes the worker not ready and says so."""
    readiness = Readiness(timeout_seconds=0.05)

    async def hangs() -> None:
        await asyncio.sleep(10)

    def raises() -> None:
        raise RuntimeError("boom")

    readiness.register("redis", hangs)
    readiness.register("models", raises)
    assert await readiness.reasons() == ["redis: no answer within 0.05s", "models: check failed: RuntimeError('boom')"]


async def test_registering_a_name_again_replaces_the_check() -> None:
    """The lead's models check can replace an earlier one of the same name."""
    readiness = Readiness()
    readiness.register("models", lambda: "models not loaded yet")
    readiness.register("models", lambda: None)
    assert readiness.names == ["models"] and await readiness.reasons() == []


# ---------------------------------------------------------------- consumer lag


@dataclass(frozen=True)
class TP:
    topic: str
    partition: int


@dataclass
class FakeConsumer:
    assigned: set[TP]
    ends: dict[TP, int]
    positions: dict[TP, int] = field(default_factory=dict)

    def assignment(self) -> set[TP]:
        return set(self.assigned)

    async def highwaters(self, *partitions: TP) -> dict[TP, int]:
        return {tp: self.ends[tp] for tp in partitions}

    async def position(self, tp: TP) -> int | None:
        return self.positions.get(tp)


@dataclass
class FakeMonitor:
    tp_committed_offsets: dict[TP, int] = field(default_factory=dict)
    tp_read_offsets: dict[TP, int] = field(default_factory=dict)


def _lag_series(metrics: Metrics) -> dict[tuple[str, str], float]:
    return {
        (s.labels["topic"], s.labels["partition"]): s.value
        for family in metrics.registry.collect() if family.name == "tracker_consumer_lag_messages"
        for s in family.samples
    }


async def test_lag_is_the_high_watermark_minus_the_handled_position() -> None:
    """One past the last handled record or the committed offset (a hint, committed now and then), then the fetch position."""
    metrics = Metrics(CollectorRegistry())
    a, b, c, d = TP("site-visits", 0), TP("site-visits", 1), TP("purchases", 0), TP("purchases", 1)
    consumer = FakeConsumer({a, b, c, d, TP("other", 0)}, {a: 120, b: 50, c: 7, d: 30}, positions={c: 7})
    monitor = FakeMonitor(tp_committed_offsets={a: 100, d: 20}, tp_read_offsets={a: 109, b: 39})
    lags = await ConsumerLag(metrics.consumer_lag, ["site-visits", "purchases"]).refresh(consumer, monitor)
    assert lags == {("site-visits", 0): 10, ("site-visits", 1): 10, ("purchases", 0): 0, ("purchases", 1): 10}
    assert _lag_series(metrics) == {("site-visits", "0"): 10, ("site-visits", "1"): 10, ("purchases", "0"): 0,
                                    ("purchases", "1"): 10}


async def test_partitions_moved_to_another_worker_lose_their_series() -> None:
    """After a rebalance, only the partitions still owned are reported (no stale lag)."""
    metrics = Metrics(CollectorRegistry())
    a, b = TP("site-visits", 0), TP("site-visits", 1)
    consumer = FakeConsumer({a, b}, {a: 10, b: 10})
    monitor = FakeMonitor(tp_committed_offsets={a: 5, b: 6})
    lag = ConsumerLag(metrics.consumer_lag, ["site-visits"])
    await lag.refresh(consumer, monitor)
    consumer.assigned = {b}
    await lag.refresh(consumer, monitor)
    assert _lag_series(metrics) == {("site-visits", "1"): 4}


# ---------------------------------------------------------------- Redis timing


class FakePipeline:
    def __init__(self, fail: bool) -> None:
        self.fail = fail

    async def execute(self) -> list[Any]:
        if self.fail:
            raise ConnectionError("refused")
        return [1, 2]


class FakeRedis:
    def __init__(self) -> None:
        self.fail = False

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if self.fail:
            raise ConnectionError("refused")
        return True

    def pipeline(self, transaction: bool = True) -> FakePipeline:
        return FakePipeline(self.fail)


def _sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return value or 0.0


async def test_every_command_and_pipeline_is_timed_by_name() -> None:
    """Commands are timed under their name, a pipelined batch under PIPELINE."""
    metrics = Metrics(CollectorRegistry())
    client = instrument_redis(FakeRedis(), metrics.redis_command_seconds, metrics.redis_command_errors)  # type: ignore[arg-type]
    assert await client.execute_command("PING") is True
    await client.execute_command("zrangebyscore", "k", 0, 1)
    assert await client.pipeline(transaction=False).execute() == [1, 2]
    assert _sample(metrics, "tracker_redis_command_seconds_count", command="PING") == 1
    assert _sample(metrics, "tracker_redis_command_seconds_count", command="ZRANGEBYSCORE") == 1
    assert _sample(metrics, "tracker_redis_command_seconds_count", command="PIPELINE") == 1


async def test_failures_are_counted_and_raised() -> None:
    """A failing command or pipeline is counted by name and its exception goes on to the caller."""
    metrics = Metrics(CollectorRegistry())
    fake = FakeRedis()
    client = instrument_redis(fake, metrics.redis_command_seconds, metrics.redis_command_errors)  # type: ignore[arg-type]
    fake.fail = True
    with pytest.raises(ConnectionError):
        await client.execute_command("PING")
    with pytest.raises(ConnectionError):
        await client.pipeline().execute()
    assert _sample(metrics, "tracker_redis_command_errors_total", command="PING") == 1
    assert _sample(metrics, "tracker_redis_command_errors_total", command="PIPELINE") == 1
    assert _sample(metrics, "tracker_redis_command_seconds_count", command="PING") == 1


async def test_command_labels_stay_bounded() -> None:
    """Whatever the first argument is, the label is a command-like name or OTHER."""
    metrics = Metrics(CollectorRegistry())
    client = instrument_redis(FakeRedis(), metrics.redis_command_seconds, metrics.redis_command_errors)  # type: ignore[arg-type]
    await client.execute_command(b"script load", "return 1")
    await client.execute_command("c-42@example.com")
    assert _sample(metrics, "tracker_redis_command_seconds_count", command="SCRIPT LOAD") == 1
    assert _sample(metrics, "tracker_redis_command_seconds_count", command="OTHER") == 1


def test_the_event_to_state_histogram_tells_how_far_over_the_100_ms_target_a_p99_is() -> None:
    from streams.bench.watch import histogram_quantile

    metrics = Metrics(CollectorRegistry())
    for _ in range(980):
        metrics.event_to_state_seconds.observe(0.02)
    for _ in range(20):
        metrics.event_to_state_seconds.observe(0.14)
    buckets = [
        (float(sample.labels["le"]), sample.value)
        for sample in metrics.event_to_state_seconds.collect()[0].samples
        if sample.name.endswith("_bucket")
    ]
    # With buckets at 0.1 and 0.25 only, this p99 read anywhere up to 0.25 s.
    assert 0.125 < histogram_quantile(buckets, 0.99) <= 0.15
