"""``POST /v1/batch``, ``/v1/track``, ``/v1/page``, ``/v1/identify``, ``/v1/alias``: the Segment HTTP Tracking API.

A shop that already tracks with analytics.js, a Segment library or a RudderStack SDK points
it at the worker instead of (or besides) Segment: the same paths (and analytics.js's short
``/v1/b``, ``/v1/t``, ``/v1/p``, ``/v1/i``, ``/v1/a``), the same bodies, the write key as
the HTTP Basic user name (server libraries) or the body's ``writeKey`` (analytics.js),
checked in constant time against ``TRACKER_COLLECTOR_API_KEYS``.  Every message is mapped by
the one spec parser (:mod:`streams.core.segment`) through the worker's own
:class:`~streams.core.intake.Intake`, so it is checked exactly as on Kafka.

Unlike ``POST /events`` a batch is not all or nothing — analytics.js and the server
libraries drop a batch on a 4xx and would lose its good messages: the good ones are
produced (keyed by customer id, acknowledged by Kafka before the answer), those with no
tracker event of their own are counted by name (``tracker_unmapped_messages_total``), and
each bad one is listed with its index and reason in the answer and dead-lettered with the
raw message.  Limits and
rate limits are those of ``POST /events`` (:mod:`streams.http.collector`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

import faust
from faust.web import Request, Response, View

from streams.broker.base import Publisher
from streams.core.events import dump
from streams.core.intake import DeadLetter, Ignored, Intake, Problem, Record
from streams.core.segment import batch_messages
from streams.http.collector import RateLimiter, Rejected, check_content_type, known_key, read_at_most
from streams.metrics import Metrics
from streams.settings import Settings

#: Most messages in one batch (Segment's own limit is 500 KB a batch; this bounds the work per request).
MAX_MESSAGES = 2500
#: The calls, by the path's last part (analytics.js posts to the first letter of the call).
CALLS = {
    "track": "track", "t": "track", "page": "page", "p": "page", "identify": "identify", "i": "identify",
    "alias": "alias", "a": "alias", "screen": "screen", "s": "screen", "group": "group", "g": "group",
}


@dataclass
class Outcome:
    """What became of a request's messages."""

    records: list[Record] = field(default_factory=list)
    #: Names of the messages taken without producing anything (a ``group`` call); the worker counts the
    #: activity it consumes, so each unmapped message is counted once.
    unmapped: list[str] = field(default_factory=list)
    #: (index, reason, detail, the raw message) of each message refused.
    rejected: list[tuple[int, str, str, bytes]] = field(default_factory=list)

    def answer(self) -> tuple[int, dict[str, object]]:
        """The status and body of the answer: 200 unless every message was refused."""
        body: dict[str, object] = {
            "success": not self.rejected,
            "accepted": len(self.records) + len(self.unmapped),
            "rejected": [{"index": i, "reason": reason, "detail": detail} for i, reason, detail, _ in self.rejected],
        }
        if self.rejected and not self.records and not self.unmapped:
            body["error"] = f"all {len(self.rejected)} message(s) were refused"
            return 400, body
        return 200, body


def write_key_of(headers: Mapping[str, str], body: object) -> str | None:
    """The write key: the HTTP Basic user name (``Basic base64(key:)``), else the body's ``writeKey``.

    >>> write_key_of({"Authorization": "Basic " + base64.b64encode(b"abc123:").decode()}, {})
    'abc123'
    >>> write_key_of({}, {"writeKey": "abc123", "batch": []})
    'abc123'
    """
    authorization = headers.get("Authorization") or ""
    if authorization[:6].lower() == "basic ":
        try:
            user = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user.split(":", 1)[0] or None
    if isinstance(body, dict) and isinstance(body.get("writeKey"), str):
        return str(body["writeKey"])
    return None


def read_body(raw: bytes) -> object:
    """The request's JSON, or :class:`Rejected` (400) naming what is wrong with it."""
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise Rejected(400, f"body is not UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Rejected(400, f"body is not JSON: {exc}") from None


def messages_of(body: object, call: str) -> list[object]:
    """The messages a request carries: a batch's ``batch`` (its ``context`` merged in), or the one message."""
    if not isinstance(body, dict):
        raise Rejected(400, f"expected a JSON object, got {type(body).__name__}")
    if call != "batch":
        return [{**body, "type": call}]
    batch = body.get("batch")
    if not isinstance(batch, list):
        raise Rejected(400, "expected {\"batch\": [message, ...]}")
    if not batch:
        raise Rejected(400, "empty batch")
    if len(batch) > MAX_MESSAGES:
        raise Rejected(413, f"{len(batch)} messages in one batch, the limit is {MAX_MESSAGES}")
    return batch_messages(body)


def map_messages(messages: list[object], intake: Intake, now: datetime) -> Outcome:
    """Each message mapped and checked: a record to produce, a name of no use, or a reason."""
    outcome = Outcome()
    for index, message in enumerate(messages):
        raw = json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=str).encode()
        if not isinstance(message, dict):
            outcome.rejected.append((index, "wrong_type", f"expected a message object, got {type(message).__name__}",
                                     raw))
            continue
        event = intake.parse_message(message, now, received_at=now)
        if isinstance(event, Ignored):
            outcome.unmapped.append(event.name)
            continue
        if isinstance(event, Problem):
            outcome.rejected.append((index, event.reason, event.detail, raw))
            continue
        value = dump(event)
        if len(value) > intake.max_event_bytes:
            outcome.rejected.append((index, "too_large", f"{len(value)} bytes, the limit is {intake.max_event_bytes}",
                                     raw))
            continue
        outcome.records.append(Record(intake.topic_of(event), 0, 0, event.customer_id.encode(), value))
    return outcome


def dead_letters(outcome: Outcome, path: str, now: datetime) -> list[tuple[str | None, bytes]]:
    """The dead-letter records of the refused messages: the raw message, the reason, where it came from."""
    letters = []
    for index, reason, detail, raw in outcome.rejected:
        record = Record(f"http:{path}", -1, index, None, raw)
        letters.append((None, DeadLetter(record, reason, detail).to_json(now)))
    return letters


def register(app: faust.App, settings: Settings, intake: Intake, publisher: Publisher, limiter: RateLimiter,
             metrics: Metrics) -> None:
    """Add the Tracking API's paths to the worker's web server."""
    dead_letter_topic = settings.dead_letters_topic

    async def collect(request: Request, call: str) -> tuple[int, dict[str, object]]:
        keys = settings.collector_keys
        if not keys:
            raise Rejected(403, "the collector is off: set TRACKER_COLLECTOR_API_KEYS")
        check_content_type(request.headers.get("Content-Type"))
        raw = await read_at_most(request, settings.collector_max_bytes)
        body = read_body(raw)
        key = known_key(write_key_of(request.headers, body), keys)
        if key is None:
            raise Rejected(401, "expected the write key as the HTTP Basic user name (Authorization: Basic "
                                "base64(KEY:)) or as writeKey in the body")
        messages = messages_of(body, call)
        wait = limiter.take(key, len(messages))
        if wait:
            raise Rejected(429, f"rate limit of {settings.collector_rate_per_minute:g} events a minute per key",
                           [{"retry_after": wait}])
        now = datetime.now(timezone.utc)
        outcome = map_messages(messages, intake, now)
        for record in outcome.records:
            await publisher.publish(record.topic, (record.key or b"").decode(), record.value)
        for record_key, letter in dead_letters(outcome, request.path, now):
            await publisher.publish(dead_letter_topic, record_key, letter)
        for _, reason, _, _ in outcome.rejected:
            metrics.dead_letters.labels(reason).inc()
        for name in outcome.unmapped:
            metrics.count_unmapped(name)
        return outcome.answer()

    def view_for(call: str) -> type[View]:
        class TrackingView(View):
            async def post(self, request: Request) -> Response:
                """Spec messages from a shop: mapped, produced to Kafka, counted or refused one by one."""
                try:
                    status, body = await collect(request, call)
                except Rejected as exc:
                    headers = None
                    if exc.status == 429:
                        headers = {"Retry-After": str(int(exc.details[0]["retry_after"]) + 1)}  # type: ignore
                    return self.json({"success": False, "error": exc.reason}, status=exc.status, headers=headers)
                return self.json(body, status=status)

        return TrackingView

    for path, call in {"batch": "batch", "b": "batch", **CALLS}.items():
        app.page(f"/v1/{path}")(view_for(call))
