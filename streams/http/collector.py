"""``POST /events``: the HTTP collector for sites that cannot produce to Kafka themselves.

A request carries one event (a JSON object) or a batch (a JSON array of at most
``MAX_BATCH``), an API key (``X-API-Key`` or ``Authorization: Bearer``; compared in constant
time), and stays under the size limit. The body is UTF-8 JSON (RFC 8259; a byte order mark is
tolerated) sent as ``application/json`` or ``text/plain`` (what ``navigator.sendBeacon`` sends), as it is or
gzipped (``Content-Encoding: gzip`` or ``deflate``, as server libraries send it; the limit counts it unpacked).
Every event is checked once, by the worker's own :class:`~streams.core.intake.Intake` (schema,
size, future timestamps), so an accepted event is never dead-lettered later and a refused one
gets the same reason code the dead-letter topic would give; a batch is all or nothing, so a
site never has to guess which half went through. Accepted events are produced to their topic keyed by customer id and acknowledged
by Kafka before the answer (202). Each key has a token-bucket rate limit (429 with
``Retry-After``). Browsers are let in from the configured origins only (CORS).
"""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import datetime

import faust
from aiohttp.web import RequestPayloadError
from faust.web import Request, Response, View

from streams.broker.base import Publisher
from streams.core.events import dump
from streams.core.intake import Intake, Problem, Record
from streams.core.segment import is_spec_message
from streams.settings import Settings

MAX_BATCH = 500
MEDIA_TYPES = ("application/json", "text/plain")


class Rejected(Exception):
    """A request the collector refuses: an HTTP status and a reason for the caller."""

    def __init__(self, status: int, reason: str, details: list[dict[str, object]] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.details = details or []


def key_of(headers: object) -> str | None:
    """The API key of a request: ``X-API-Key``, else ``Authorization: Bearer KEY``."""
    key = headers.get("X-API-Key")  # type: ignore[attr-defined]
    if key:
        return str(key)
    authorization = headers.get("Authorization") or ""  # type: ignore[attr-defined]
    return authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None


def known_key(key: str | None, keys: tuple[str, ...]) -> str | None:
    """The configured key ``key`` equals (constant-time against each), or None."""
    if not key:
        return None
    match = None
    # aiohttp decodes header bytes that are not UTF-8 as lone surrogates: back to those bytes.
    given = key.encode("utf-8", "surrogateescape")
    for candidate in keys:
        # Compare against every key, so the time taken says nothing about which one matched.
        if hmac.compare_digest(given, candidate.encode()):
            match = candidate
    return match


@dataclass
class RateLimiter:
    """A token bucket per API key: ``per_minute`` events, bursts up to one minute's worth."""

    per_minute: float
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, key: str, n: int, now: float | None = None) -> float:
        """Take ``n`` tokens; return 0 if allowed, else the seconds to wait before retrying."""
        now = time.monotonic() if now is None else now
        tokens, at = self._buckets.get(key, (self.per_minute, now))
        tokens = min(self.per_minute, tokens + (now - at) * self.per_minute / 60)
        if n > tokens:
            self._buckets[key] = (tokens, now)
            return (n - tokens) * 60 / self.per_minute
        self._buckets[key] = (tokens - n, now)
        return 0.0


def check_content_type(header: str | None) -> None:
    """:class:`Rejected` (415) unless the body is declared JSON or plain text, in UTF-8 (or not declared)."""
    if not header:
        return
    media, _, parameters = header.partition(";")
    if media.strip().lower() not in MEDIA_TYPES:
        raise Rejected(415, f"Content-Type {media.strip()[:100]!r} is not accepted: send application/json "
                            "(or text/plain, as navigator.sendBeacon does), in UTF-8")
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise Rejected(415, f"charset {charset[:50]!r} is not accepted: the body must be UTF-8")


def parse_body(raw: bytes, intake: Intake, now: datetime | None = None) -> list[Record]:
    """The records to produce for the request's events, or :class:`Rejected` naming each bad one by index."""
    try:
        # json.loads would also guess UTF-16 and UTF-32; RFC 8259 allows UTF-8 only.
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise Rejected(400, f"body is not UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        body = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Rejected(400, f"body is not JSON: {exc}") from None
    items = body if isinstance(body, list) else [body]
    if not items:
        raise Rejected(400, "empty batch")
    if len(items) > MAX_BATCH:
        raise Rejected(413, f"{len(items)} events in one request, the limit is {MAX_BATCH}")
    records: list[Record] = []
    problems: list[dict[str, object]] = []
    for index, item in enumerate(items):
        event = intake.parse_posted(json.dumps(item).encode(), now)
        if isinstance(event, Problem):
            detail = event.detail
            if is_spec_message(item) or (isinstance(item, dict) and "batch" in item):
                detail += "; a Segment-style message: post it to /v1/batch (or /v1/track, /v1/page, /v1/identify)"
            problems.append({"index": index, "reason": event.reason, "detail": detail})
            continue
        value = dump(event)
        if len(value) > intake.max_event_bytes:  # the record produced is what the worker will measure
            problems.append({"index": index, "reason": "too_large",
                             "detail": f"{len(value)} bytes, the limit is {intake.max_event_bytes}"})
            continue
        records.append(Record(intake.topic_of(event), 0, 0, event.customer_id.encode(), value))
    if problems:
        raise Rejected(400, f"{len(problems)} of {len(items)} events are invalid; none was accepted", problems)
    return records


async def read_at_most(request: Request, limit: int) -> bytes:
    """The body, or :class:`Rejected` (413) once it passes ``limit`` bytes (a chunked one has no length)."""
    length = request.content_length
    if length is not None and length > limit:
        raise Rejected(413, f"{length} bytes, the limit is {limit}")
    body = bytearray()
    try:
        async for chunk in request.content.iter_chunked(65_536):  # type: ignore[attr-defined]
            body += chunk
            if len(body) > limit:
                raise Rejected(413, f"more than {limit} bytes, the limit is {limit}")
    except RequestPayloadError as exc:
        # The server gunzips a body sent with Content-Encoding: gzip (or deflate) as it is read; one that is not
        # what the header says (or a broken chunked body) fails here, the sender's mistake, not the collector's.
        encoding = (request.headers.get("Content-Encoding") or "")[:50]
        why = getattr(exc.__cause__, "message", None) or " ".join(str(exc).split())
        said = f"not in its Content-Encoding {encoding!r}" if encoding else "unreadable"
        raise Rejected(400, f"body is {said}: {why}"[:300]) from None
    except ConnectionResetError:
        # The client went away before its whole body arrived (a phone losing its network): nothing to take, and
        # no one to tell; the answer goes nowhere, and is not the collector's error to log.
        raise Rejected(400, f"the connection closed after {len(body)} bytes of the body") from None
    return bytes(body)


def register(app: faust.App, settings: Settings, intake: Intake, publisher: Publisher,
             limiter: RateLimiter | None = None) -> None:
    """Add ``POST /events`` to the worker's web server (``limiter``: a key's budget shared with other routes)."""
    limiter = limiter or RateLimiter(settings.collector_rate_per_minute)

    @app.page("/events")
    class CollectorView(View):
        async def post(self, request: Request) -> Response:
            """Events from a site: checked, produced to Kafka, acknowledged (202)."""
            try:
                accepted = await self._collect(request)
            except Rejected as exc:
                headers = {"Retry-After": str(int(exc.details[0]["retry_after"]) + 1)} if exc.status == 429 else None
                return self.json({"error": exc.reason, "events": exc.details}, status=exc.status, headers=headers)
            return self.json({"accepted": accepted}, status=202)

        async def _collect(self, request: Request) -> int:
            keys = settings.collector_keys
            if not keys:
                raise Rejected(403, "the collector is off: set TRACKER_COLLECTOR_API_KEYS")
            key = known_key(key_of(request.headers), keys)
            if key is None:
                raise Rejected(401, "expected X-API-Key: <key> or Authorization: Bearer <key>")
            check_content_type(request.headers.get("Content-Type"))
            raw = await read_at_most(request, settings.collector_max_bytes)
            records = parse_body(raw, intake)
            wait = limiter.take(key, len(records))
            if wait:
                raise Rejected(429, f"rate limit of {settings.collector_rate_per_minute:g} events a minute per key",
                               [{"retry_after": wait}])
            for record in records:
                await publisher.publish(record.topic, (record.key or b"").decode(), record.value)
            return len(records)
