"""``tracker replay FILE --format events|segment|ga4|clickstream``: a history of visits and orders, produced in event time.

The file is JSON Lines, plain, gzip, bzip2 or xz (told by its first bytes), or one JSON array or document, or a zip
of such files (:mod:`streams.replay.json_records`): the tracker's own events
(``events``), messages of the e-commerce tracking spec (``segment``) — what Segment's and
RudderStack's bucket destinations write, or a warehouse export of them (``properties``,
``traits`` and ``context`` held as JSON text are read too, and a warehouse's table of track, page or identify calls,
``user_id``, ``event`` and the properties as columns, in CSV, Parquet or JSON Lines:
:mod:`streams.replay.warehouse`) — or Google Analytics 4's BigQuery
export (``ga4``, :mod:`streams.replay.ga4`); or a CSV of one row per event with a column
mapping (``clickstream``, :mod:`streams.replay.clickstream`).  Every line goes through the
worker's own parsers (:class:`~streams.core.intake.Intake`), so what the replay produces
the worker accepts; a line that is not an event is reported with its number and reason and
the replay goes on.  A visitor's events are their customer's when the file has them log in
(:mod:`streams.replay.identities`).

The events are produced in event time (sorted by ``occurred_at``, ties in file order), each
to its input topic keyed by customer id.  The replay is idempotent: an event id seen twice
in the file is produced once, and the :class:`~streams.store.ReplayLedger` leaves out what
an earlier replay produced, so replaying an export twice — or two overlapping exports —
changes no profile twice.  Start the worker with ``TRACKER_CLOCK=event`` for the history,
then a live worker takes over (docs/sources.md).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from models.columnar import is_parquet
from models.errors import DataFileError
from streams.core.events import ANY_EVENT, Activity, AnyEvent, CustomerIdentified, dump
from streams.core.intake import Ignored, Intake, Problem
from streams.core.segment import batch_messages
from streams.replay import clickstream, ga4, warehouse
from streams.replay.identities import Logins
from streams.replay.json_records import json_records
from streams.settings import Settings, intake_of
from streams.transport import kafka_python_options

Format = Literal["events", "segment", "clickstream", "ga4"]
Progress = Callable[[int, int, float], None]
#: ``reading(lines)``: how far into the file the reading is, every :data:`READ_EVERY` lines.
Reading = Callable[[int], None]

#: Events produced between two flushes (and ledger writes).
CHUNK = 5000
#: Lines read between two ``reading`` calls.
READ_EVERY = 50_000
#: Bad lines kept in the report (all are counted).
BAD_LINES_KEPT = 100
#: The event id's prefix of a login read from a message naming both ids (one per visitor and customer).
_LOGIN = "login-"
#: Fields a warehouse export may hold as JSON text rather than as objects.
_NESTED = ("properties", "traits", "context")
#: Seconds in a day: a time on a whole number of them is at midnight (UTC).
_DAY = 86_400
#: What a file whose every event is at midnight means for its visits (said once by ``tracker replay`` and first in
#: ``tracker evaluate intent``'s report).
DATES_ONLY = ("its times are dates only (no time of day): every event is at midnight, so a visit is a customer's "
              "whole day, and visits and abandonments cannot be told from a day's events")


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that is not an event, and why."""

    line: int
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """An event of the file, ready to produce."""

    at: float
    line: int
    topic: str
    customer_id: str
    event_id: str
    value: bytes
    #: A customer_identified event: a login, whose customer is its own (never a visitor's customer).
    login: bool = False


@dataclass
class HistoryReport:
    """What a replay read and produced."""

    path: str
    format: str
    lines: int = 0
    events: int = 0
    produced: int = 0
    #: Events an earlier replay (or an earlier line of this file) already produced.
    already_replayed: int = 0
    customers: int = 0
    #: Messages with no tracker event of their own, by name (produced as visit activity, or dropped).
    unmapped: dict[str, int] = field(default_factory=dict)
    bad: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)
    first_event_at: str | None = None
    last_event_at: str | None = None
    seconds: float = 0.0
    #: A clickstream's columns: as given, or as its header names them.
    columns: dict[str, str] = field(default_factory=dict)
    #: Every event at midnight: the file's times are dates only (``2026-03-01``, :data:`DATES_ONLY`).
    dates_only: bool = False


def read_history(path: str | Path, fmt: Format, intake: Intake, *, limit: int | None = None,
                 now: datetime | None = None, columns: Mapping[str, str] | None = None,
                 reading: Reading | None = None) -> tuple[list[Parsed], HistoryReport]:
    """The file's events (in file order) and a report of its lines, bad ones included.

    ``columns``: a clickstream CSV's column mapping (:func:`~streams.replay.clickstream.parse_click_columns`);
    ``reading``: told how many lines are read, now and then (a big file takes minutes).
    """
    report = HistoryReport(path=str(path), format=fmt)
    now = now or datetime.now(timezone.utc)
    parsed: list[Parsed] = []
    unmapped: Counter[str] = Counter()
    lines: Iterator[tuple[int, bytes | Problem]]
    table = fmt != "clickstream" and _is_table(path)
    called = warehouse.table_of(path) if fmt == "segment" else None  # a file named after a warehouse's table
    if table and fmt != "segment":
        raise DataFileError(str(path), 0, "", f"a table: --format {fmt} reads JSON Lines; a table of events, one "
                            "row per event, is --format clickstream")
    if fmt == "clickstream":
        lines = clickstream.events_of(path, columns or {}, limit, used=report.columns)
    elif table:
        lines = _warehouse_lines(path, called)
    elif fmt == "ga4":
        lines = ga4.events_of(json_records(path))
    else:
        lines = json_records(path)
    # Each event is kept as the bytes it is produced as (a fifth of the parsed object), the logins beside: a
    # visitor's events are given to their customer once the whole file has said who logs in as whom.
    logins = Logins()
    linked: set[tuple[str, str | None]] = set()  # (customer, visitor) pairs whose login was produced
    for number, line in lines:
        if limit is not None and number > limit and fmt != "clickstream":
            break
        if reading is not None and number // READ_EVERY > report.lines // READ_EVERY:
            reading(number)
        report.lines = max(report.lines, number)
        for event in [line] if isinstance(line, Problem) else _parse(line, fmt, intake, now, called):
            if isinstance(event, Ignored):
                unmapped[event.name] += 1
            elif isinstance(event, Problem):
                _bad(report, BadLine(number, event.reason, event.detail))
            elif isinstance(event, CustomerIdentified) and event.event_id.startswith(_LOGIN):
                if (event.customer_id, event.anonymous_id) not in linked:
                    linked.add((event.customer_id, event.anonymous_id))
                    parsed.append(_parsed(number, event, intake))
                    logins.add(event)
            else:
                if isinstance(event, Activity) and fmt != "events":
                    unmapped[event.name] += 1
                parsed.append(_parsed(number, event, intake))
                logins.add(event)
    if logins:
        for n, kept in enumerate(parsed):
            if kept.customer_id in logins and not kept.login:
                event = ANY_EVENT.validate_json(kept.value)
                event = event.model_copy(update={"customer_id": logins.customer_of(kept.customer_id,
                                                                                   event.occurred_at)})
                parsed[n] = _parsed(kept.line, event, intake)
    report.events = len(parsed)
    report.unmapped = dict(unmapped.most_common())
    report.customers = len({p.customer_id for p in parsed})
    if parsed:
        times = [p.at for p in parsed]
        report.first_event_at = datetime.fromtimestamp(min(times), timezone.utc).isoformat()
        report.last_event_at = datetime.fromtimestamp(max(times), timezone.utc).isoformat()
        report.dates_only = dates_only(times)
    return parsed, report


def dates_only(times: Iterable[float]) -> bool:
    """Whether every one of some event times (Unix seconds) is at midnight, UTC: a file of dates without a time of day.

    Two events at midnight to the second by chance are one in some 7·10⁹; a file whose times are days has nothing
    but midnights.

    >>> dates_only([1772323200.0, 1772409600.0]), dates_only([1772323200.0, 1772323201.5]), dates_only([])
    (True, False, False)
    """
    seen = False
    for at in times:
        if at % _DAY:
            return False
        seen = True
    return seen


def _parsed(line: int, event: AnyEvent, intake: Intake) -> Parsed:
    return Parsed(event.occurred_at.timestamp(), line, intake.topic_of(event), event.customer_id, event.event_id,
                  dump(event), login=isinstance(event, CustomerIdentified))


def replay_history(path: str | Path, fmt: Format, settings: Settings, *, limit: int | None = None,
                   progress: Progress | None = None, columns: Mapping[str, str] | None = None,
                   reading: Reading | None = None) -> HistoryReport:
    """Produce the file's events in event time, leaving out what was produced before (``reading``: see
    :func:`read_history`)."""
    from kafka import KafkaProducer

    from streams.store import ReplayLedger, sync_client
    from streams.store.keys import event_digest

    started = time.monotonic()
    events, report = read_history(path, fmt, intake_of(settings), limit=limit, columns=columns, reading=reading)
    events.sort(key=lambda p: (p.at, p.line))
    client = sync_client(settings)
    ledger = ReplayLedger(client)
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=20,
                             batch_size=256 * 1024, **kafka_python_options(settings))
    try:
        for n in range(0, len(events), CHUNK):
            chunk = events[n : n + CHUNK]
            done = ledger.produced(p.customer_id for p in chunk)
            sent: dict[str, list[str]] = {}
            for p in chunk:
                digest = event_digest(p.event_id)
                if digest in done[p.customer_id]:
                    report.already_replayed += 1
                    continue
                done[p.customer_id].add(digest)
                producer.send(p.topic, key=p.customer_id.encode(), value=p.value)
                sent.setdefault(p.customer_id, []).append(p.event_id)
                report.produced += 1
            producer.flush()
            ledger.record(sent)
            if progress:
                progress(min(n + CHUNK, len(events)), len(events), time.monotonic() - started)
    finally:
        producer.close()
        client.close()
    report.seconds = round(time.monotonic() - started, 2)
    return report


def _parse(line: bytes, fmt: Format, intake: Intake, now: datetime, table: str | None = None) -> list[Any]:
    """The line's events (or problems): one, or a spec batch's, one per message; ``table`` is the call the file's
    name says its warehouse rows are (:func:`~streams.replay.warehouse.table_of`)."""
    if fmt in ("events", "clickstream", "ga4"):
        return [intake.parse_posted(line, now)]
    try:
        message = json.loads(line)
    except (ValueError, RecursionError) as exc:
        return [Problem("malformed_json", f"not JSON: {exc}"[:300])]
    if isinstance(message, dict) and "type" not in message and isinstance(message.get("batch"), list):
        # A Tracking API request kept as it was posted ({"batch": [...], "context": …}: a log of the requests).
        return [event for one in batch_messages(message) for event in _message(one, intake, now)]
    return _message(message, intake, now, table)


def _is_table(path: str | Path) -> bool:
    """Whether the file is a table (Parquet, or text whose first line is no JSON: a CSV's header), not JSON records."""
    if is_parquet(path):
        return True
    try:
        with closing(json_records(path)) as records:
            first = next(records, None)
    except (OSError, DataFileError):
        return False  # the JSON reader names what is wrong with it
    return first is not None and not isinstance(first[1], Problem) and first[1].lstrip()[:1] not in (b"{", b"[")


def _warehouse_lines(path: str | Path, table: str | None = None) -> Iterator[tuple[int, bytes]]:
    """A CSV or Parquet warehouse table of calls (tracks, pages, screens, identifies), a row a line
    (:mod:`streams.replay.warehouse`)."""
    rows = warehouse.table_rows(path)
    first = next(rows, None)
    if first is not None and not warehouse.is_warehouse_row(first[1], table):
        raise DataFileError(str(path), first[0] - 1, "", f"header {','.join(first[1])!r} is no warehouse table of "
                            "calls (user_id or anonymous_id, with event, or a page's url, or an identify's "
                            "received_at…): --format segment reads tracks, pages, screens and identifies tables or JSON Lines "
                            "of messages; another table of events is --format clickstream")
    for line, row in itertools.chain([first] if first else [], rows):
        yield line, json.dumps(row).encode()


def _message(message: object, intake: Intake, now: datetime, table: str | None = None) -> list[Any]:
    """The message's event (or why none), after the login it shows: a track or page naming both a ``userId``
    and an ``anonymousId`` (every call after an identify carries both; a warehouse's tracks or pages row
    keeps them) links them, as the identify did, whose row may be in another table or not exported."""
    if not isinstance(message, dict):
        return [Problem("wrong_type", f"expected a message object, got {type(message).__name__}")]
    if warehouse.is_warehouse_row(message, table):
        message = warehouse.message_of(message, table)
    for name in _NESTED:
        if isinstance(message.get(name), str):
            try:
                message[name] = json.loads(message[name])
            except (ValueError, RecursionError):
                return [Problem("malformed_json", f"{name}: JSON text expected, got {message[name][:60]!r}")]
    event = intake.parse_message(message, now)
    if isinstance(event, (Problem, Ignored, CustomerIdentified)) or message.get("anonymousId") is None:
        return [event]
    login = intake.parse_message({"type": "identify", "userId": message.get("userId"),
                                  "anonymousId": message.get("anonymousId"),
                                  "timestamp": event.occurred_at.isoformat(), "messageId": _LOGIN}, now)
    if not isinstance(login, CustomerIdentified) or not login.anonymous_id:
        return [event]  # no user besides the visitor: no login
    pair = f"{login.anonymous_id}\x1f{login.customer_id}".encode()
    event_id = f"{_LOGIN}{hashlib.blake2b(pair, digest_size=10).hexdigest()}"
    return [login.model_copy(update={"event_id": event_id}), event]


def _bad(report: HistoryReport, bad: BadLine) -> None:
    report.bad += 1
    if len(report.bad_lines) < BAD_LINES_KEPT:
        report.bad_lines.append(bad)
