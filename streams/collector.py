"""``POST /events``: the HTTP collector for sites that cannot produce to Kafka themselves.

A request carries one event (a JSON object) or a batch (a JSON array of at most
``MAX_BATCH``), an API key (``X-API-Key`` or ``Authorization: Bearer``; compared in constant
time), and stays under the size limit. Every event is validated with the same schemas as
the Kafka path; a batch is all or nothing, so a site never has to guess which half went
through. Accepted events are produced to their topic keyed by customer id and acknowledged
by Kafka before the answer (202). Each key has a token-bucket rate limit (429 with
``Retry-After``). Browsers are let in from the configured origins only (CORS).
"""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass, field

from pydantic import ValidationError

from streams.events import ANY_EVENT, PURCHASE_TYPES, AnyEvent

MAX_BATCH = 500


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
    for candidate in keys:
        # Compare against every key, so the time taken says nothing about which one matched.
        if hmac.compare_digest(key.encode(), candidate.encode()):
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


def parse_body(raw: bytes, max_event_bytes: int) -> list[AnyEvent]:
    """The request's events, or :class:`Rejected` naming each bad one by its index."""
    try:
        body = json.loads(raw)
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
