"""``POST /events``: the HTTP collector for sites that cannot produce to Kafka themselves.

A request carries one event (a JSON object) or a batch (a JSON array of at most
``MAX_BATCH``), an API key (``X-API-Key`` or ``Authorization: Bearer``; compared in constant
time), and stays under the size limit. The body is UTF-8 JSON (RFC 8259; a byte order mark is
tolerated) sent as ``application/json`` or ``text/plain`` (what ``navigator.sendBeacon`` sends).
Every event is validated with the same schemas as the Kafka path, then the exact record to be
produced is checked as the worker will check it (future timestamps, size), so an accepted event
is never dead-lettered later; a batch is all or nothing, so a site never has to guess which half
went through. Accepted events are produced to their topic keyed by customer id and acknowledged
by Kafka before the answer (202). Each key has a token-bucket rate limit (429 with
``Retry-After``). Browsers are let in from the configured origins only (CORS).
"""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass, field

from pydantic import ValidationError

from streams.events import ANY_EVENT, PURCHASE_TYPES, AnyEvent, dump
from streams.intake import DeadLetter, Intake, Record

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


def parse_body(raw: bytes, max_event_bytes: int) -> list[AnyEvent]:
    """The request's events, or :class:`Rejected` naming each bad one by its index."""
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
    events, problems = [], []
    for index, item in enumerate(items):
        encoded = json.dumps(item).encode()
        if len(encoded) > max_event_bytes:
            problems.append({"index": index, "reason": "too_large",
                             "detail": f"{len(encoded)} bytes, the limit is {max_event_bytes}"})
            continue
        try:
            events.append(ANY_EVENT.validate_json(encoded))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or "(event)"
            problems.append({"index": index, "reason": first["type"], "detail": f"{where}: {first['msg']}"})
    if problems:
        raise Rejected(400, f"{len(problems)} of {len(items)} events are invalid; none was accepted", problems)
    return events


def topic_of(event: AnyEvent, *, site_visits: str, purchases: str) -> str:
    return purchases if event.type in PURCHASE_TYPES else site_visits


def to_records(events: list[AnyEvent], intake: Intake) -> list[Record]:
    """The records to produce, each checked by the worker's own intake, or :class:`Rejected`.

    The schemas passed already; this catches what only the intake checks (a timestamp too far
    ahead, a record over the size limit once re-encoded), so that no accepted event is
    dead-lettered later.
    """
    records, problems = [], []
    for index, event in enumerate(events):
        topic = topic_of(event, site_visits=intake.site_visits_topic, purchases=intake.purchases_topic)
        record = Record(topic, 0, 0, event.customer_id.encode(), dump(event))
        checked = intake.parse(record)
        if isinstance(checked, DeadLetter):
            problems.append({"index": index, "reason": checked.reason, "detail": checked.detail})
        records.append(record)
    if problems:
        raise Rejected(400, f"{len(problems)} of {len(events)} events are invalid; none was accepted", problems)
    return records
