"""What ops see of a running worker: readiness, consumer lag, state gauges, Redis timing, logs.

Every function here takes its collaborators as arguments (a Redis client, a Faust
consumer and monitor, the metrics); :mod:`streams.app` wires them onto the app.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import platform
import re
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from typing import IO, Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from streams.store import deadlines_key, session_key

log = logging.getLogger("tracker")

# ---------------------------------------------------------------- readiness

#: A readiness check: ``None`` when all is well, else the reason the worker is not ready.
Check = Callable[[], "str | None | Awaitable[str | None]"]


class Readiness:
    """Named checks that must all pass for ``GET /ready``; a failing one says why.

    ``streams.app`` registers ``kafka`` (input partitions assigned) and ``redis``
    (PING answered); other parts of the worker add theirs with :meth:`register`.
    """

    def __init__(self, timeout_seconds: float = 2.0) -> None:
        self._checks: dict[str, Check] = {}
        self._timeout = timeout_seconds

    def register(self, name: str, check: Check) -> None:
        """Add the check ``name`` (replacing one of the same name); it may be sync or async."""
        self._checks[name] = check

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    async def reasons(self) -> list[str]:
        """Why the worker is not ready, one line per failing check; empty when it is."""
        results = await asyncio.gather(*(self._run(name, check) for name, check in self._checks.items()))
        return [reason for reason in results if reason]

    async def _run(self, name: str, check: Check) -> str | None:
        try:
            result = check()
            if inspect.isawaitable(result):
                result = await asyncio.wait_for(result, self._timeout)
        except asyncio.TimeoutError:
            return f"{name}: no answer within {self._timeout:g}s"
        except Exception as exc:  # a broken check makes the worker not ready, it does not break /ready
            return f"{name}: check failed: {exc!r}"
        return result or None


# ---------------------------------------------------------------- consumer lag


class LagConsumer(Protocol):
    """The part of Faust's consumer that lag needs."""

    def assignment(self) -> set[Any]: ...
    async def highwaters(self, *partitions: Any) -> Mapping[Any, int]: ...
    async def position(self, tp: Any) -> int | None: ...


class OffsetsSeen(Protocol):
    """Faust's monitor: offsets committed (next to read) and last read, per partition."""

    tp_committed_offsets: Mapping[Any, int]
    tp_read_offsets: Mapping[Any, int]


def lag(highwater: int, committed: int | None, last_read: int | None) -> int | None:
    """Records of a partition not yet consumed: high watermark minus the consumed position.

    The position is the group's committed offset (what ``kafka-consumer-groups.sh`` shows),
    or, before this worker committed anything, one past the last record it read.

    >>> lag(120, committed=100, last_read=110)
    20
    >>> lag(120, committed=None, last_read=110)
    9
    >>> lag(120, committed=None, last_read=None) is None
    True
    """
    position = committed if committed is not None else (last_read + 1 if last_read is not None else None)
    if position is None:
        return None
    return max(highwater - position, 0)


class ConsumerLag:
    """Keeps ``tracker_consumer_lag_messages{topic,partition}`` for the assigned input partitions."""

    def __init__(self, gauge: Gauge, topics: Iterable[str]) -> None:
        self._gauge = gauge
        self._topics = frozenset(topics)
        self._shown: set[tuple[str, str]] = set()

    async def refresh(self, consumer: LagConsumer, monitor: OffsetsSeen) -> dict[tuple[str, int], int]:
        """Measure every assigned input partition; drop the series of partitions no longer owned."""
        assigned = sorted(
            (tp for tp in consumer.assignment() if tp.topic in self._topics), key=lambda tp: (tp.topic, tp.partition)
        )
        highwaters = await consumer.highwaters(*assigned) if assigned else {}
        lags: dict[tuple[str, int], int] = {}
        for tp in assigned:
            end = highwaters.get(tp)
            if end is None:
                continue
            value = lag(end, monitor.tp_committed_offsets.get(tp), monitor.tp_read_offsets.get(tp))
            if value is None:  # nothing committed or read since the assignment: where the fetcher is
                position = await consumer.position(tp)
                value = max(end - position, 0) if position is not None else None
            if value is not None:
                lags[(tp.topic, tp.partition)] = value
        shown = {(topic, str(partition)) for topic, partition in lags}
        for labels in self._shown - shown:
            self._gauge.remove(*labels)
        for (topic, partition), value in lags.items():
            self._gauge.labels(topic, str(partition)).set(value)
        self._shown = shown
        return lags


# ---------------------------------------------------------------- state gauges


@dataclass(frozen=True, slots=True)
class DeadlineCounts:
    """What the deadline sets of some partitions hold right now."""

    #: Customers the timer will look at again (a live session, a deferred offer, an open offer).
    pending: int
    #: Of those, the ones already due: the timer has not caught up with them yet.
    overdue: int
    #: Customers with a live session: due later, and with a session hash.
    active_sessions: int


async def deadline_counts(
    client: aioredis.Redis, partitions: Iterable[int], now: float, chunk: int = 1000
) -> DeadlineCounts:
    """Count pending, overdue and live-session customers in ``partitions`` at Unix time ``now``.

    One pipelined ZCARD + ZCOUNT per partition; live sessions take a ZSCAN of each set and
    pipelined EXISTS of the session keys, ``chunk`` at a time (linear in the set's size).
    """
    partitions = list(partitions)
    if not partitions:
        return DeadlineCounts(0, 0, 0)
    pipe = client.pipeline(transaction=False)
    for partition in partitions:
        pipe.zcard(deadlines_key(partition))
        pipe.zcount(deadlines_key(partition), "-inf", now)
    replies = await pipe.execute()
    pending, overdue = sum(replies[0::2]), sum(replies[1::2])
    active = 0
    for partition in partitions:
        waiting: list[str] = []
        async for member, score in client.zscan_iter(deadlines_key(partition), count=chunk):
            if score > now:
                waiting.append(member.decode() if isinstance(member, bytes) else str(member))
            if len(waiting) >= chunk:
                active += await _sessions_alive(client, waiting)
                waiting = []
        active += await _sessions_alive(client, waiting)
    return DeadlineCounts(pending, overdue, active)


async def _sessions_alive(client: aioredis.Redis, customer_ids: Sequence[str]) -> int:
    if not customer_ids:
        return 0
    pipe = client.pipeline(transaction=False)
    for customer_id in customer_ids:
        pipe.exists(session_key(customer_id))
    return sum(1 for found in await pipe.execute() if found)


# ---------------------------------------------------------------- Redis timing

_COMMAND_NAME = re.compile(r"^[A-Z][A-Z_ ]{0,31}$")


def _command_label(args: Sequence[Any]) -> str:
    name = args[0] if args else ""
    if isinstance(name, bytes):
        name = name.decode("ascii", "replace")
    name = str(name).upper()
    return name if _COMMAND_NAME.match(name) else "OTHER"  # a label set stays bounded


def instrument_redis(client: aioredis.Redis, seconds: Histogram, errors: Counter) -> aioredis.Redis:
    """Time every command and pipeline ``client`` sends, and count the ones that fail.

    The ``command`` label is the command's name (``PING``, ``ZRANGEBYSCORE``, ``EVALSHA``…)
    or ``PIPELINE`` for a pipelined batch, which is one round trip. The time is the client's:
    connection pool wait, network and server. The client is changed in place and returned.
    """
    send: Callable[..., Awaitable[Any]] = client.execute_command
    make_pipeline = client.pipeline

    async def timed_command(*args: Any, **options: Any) -> Any:
        return await _timed(_command_label(args), send(*args, **options), seconds, errors)

    def timed_pipeline(*args: Any, **kwargs: Any) -> Any:
        pipe = make_pipeline(*args, **kwargs)
        execute = pipe.execute

        async def timed_execute(*a: Any, **kw: Any) -> Any:
            return await _timed("PIPELINE", execute(*a, **kw), seconds, errors)

        pipe.execute = timed_execute  # type: ignore[method-assign]
        return pipe

    client.execute_command = timed_command  # type: ignore[method-assign]
    client.pipeline = timed_pipeline  # type: ignore[method-assign]
    return client


async def _timed(command: str, call: Awaitable[Any], seconds: Histogram, errors: Counter) -> Any:
    started = time.perf_counter()
    try:
        return await call
    except NoScriptError:  # redis-py loads the script and runs it again: part of its protocol
        raise
    except Exception:
        errors.labels(command).inc()
        raise
    finally:
        seconds.labels(command).observe(time.perf_counter() - started)


# ---------------------------------------------------------------- build and Faust


def build_labels() -> dict[str, str]:
    """The ``tracker_build_info`` labels: this package's, Python's, Faust's and aiokafka's versions."""

    def version(distribution: str) -> str:
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {
        "version": version("behaviour-tracker"),
        "python": platform.python_version(),
        "faust": version("faust-streaming"),
        "aiokafka": version("aiokafka"),
    }


def faust_monitor(registry: CollectorRegistry, prefix: str = "tracker_faust") -> Any:
    """Faust's own Prometheus sensor, on ``registry``, its metrics named ``<prefix>_…``.

    The same sensor as ``faust.sensors.prometheus.setup_prometheus_sensors``, without the
    ``/metrics`` page that helper adds (the worker has its own, serving the whole registry).
    """
    from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor

    return PrometheusMonitor(metrics=FaustMetrics.create(registry, prefix))


# ---------------------------------------------------------------- logs

#: A printf conversion, with the ``key=`` that names it when there is one.
_CONVERSION = re.compile(
    r"(?:(?<![\w.=])(?P<key>[A-Za-z_][\w.]*)=)?(?P<spec>%[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%])"
)
_EMAIL = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
_BARE = re.compile(r"^[^\s=\"'\\]+$")


def split_message(template: str, args: Sequence[object]) -> tuple[str, dict[str, str]]:
    """Split a %-style log call into its message and its ``key=%s`` fields.

    >>> split_message("dead letter: reason=%s topic=%s offset=%d", ("too_large", "site-visits", 7))
    ('dead letter', {'reason': 'too_large', 'topic': 'site-visits', 'offset': '7'})
    >>> split_message("%s failed, retrying in %.1fs", ("save", 0.5))
    ('save failed, retrying in 0.5s', {})
    """
    text: list[str] = []
    fields: dict[str, str] = {}
    position = index = 0
    for match in _CONVERSION.finditer(template):
        key, spec = match.group("key"), match.group("spec")
        text.append(template[position:match.start()])
        position = match.end()
        if spec == "%%":
            text.append(f"{key}=%" if key else "%")
            continue
        if index >= len(args):
            raise TypeError("not enough arguments for format string")
        value = spec % (args[index],)
        index += 1
        if key:
            fields[key] = value
        else:
            text.append(value)
    if index != len(args):
        raise TypeError("not all arguments converted during string formatting")
    text.append(template[position:])
    message = re.sub(r"\s{2,}", " ", "".join(text)).strip().rstrip(":,;").rstrip()
    return message, fields


def _logfmt_value(value: object) -> str:
    text = _EMAIL.sub("<email>", str(value))  # a last guard: logs never carry e-mail addresses
    return text if _BARE.match(text) else json.dumps(text, ensure_ascii=False)


class LogfmtFormatter(logging.Formatter):
    """One ``key=value`` line per record (logfmt): ``ts level logger msg`` then the fields.

    Fields come from the ``key=%s`` conversions of the call's format string (so
    ``log.warning("dead letter: reason=%s offset=%s", ...)`` gives ``msg="dead letter"
    reason=… offset=…``) and from ``extra={...}``. An exception adds ``error`` and a one-line
    ``traceback``. Anything that looks like an e-mail address is replaced by ``<email>``.
    """

    def format(self, record: logging.LogRecord) -> str:
        template, args = str(record.msg), record.args
        fields: dict[str, str]
        try:
            if isinstance(args, Mapping) or not args:
                message, fields = (record.getMessage() if args else template), {}
            else:
                message, fields = split_message(template, args)
        except (TypeError, ValueError):  # arguments that do not fit: keep both, lose nothing
            message, fields = template, {"args": repr(args)}
        when = datetime.fromtimestamp(record.created, timezone.utc)
        pairs: dict[str, object] = {
            "ts": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": message,
        }
        pairs.update(fields)
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_") and name not in pairs:
                pairs[name] = value
        if record.exc_info and record.exc_info[1] is not None:
            pairs.setdefault("error", repr(record.exc_info[1]))
            pairs["traceback"] = self.formatException(record.exc_info)
        return " ".join(f"{key}={_logfmt_value(value)}" for key, value in pairs.items())


def configure_logging(level: str, stream: IO[str] | None = None) -> logging.Logger:
    """Send the ``tracker`` logger's records, as logfmt lines, to ``stream`` (stderr).

    Only the worker's own logger: Faust's and the libraries' logs keep their format.
    """
    logger = logging.getLogger("tracker")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(LogfmtFormatter())
    logger.handlers[:] = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False
    return logger
