"""The marketers' HTTP API on the worker: customers, best/worst lists, segments and personas.

Every answer comes from one :class:`~streams.insights.Insights`, recomputed at most every
``max_age_seconds`` (in a thread: a SCAN of every profile must not stall the agent), so the
API, the CLI and the dashboard page show the same figures.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import faust
from faust.web import Request, Response, View

from models.loyalty import LoyaltyModel
from models.rfm import SEGMENTS
from streams.insights import VISITORS, Insights, compute, jsonable
from streams.collector import RateLimiter, Rejected, check_content_type, key_of, known_key, parse_body, to_records
from streams.intake import Intake
from streams.erasure import authorized, forget
from streams.settings import Settings
from streams.store import RedisStore
from streams.tracker import Publisher

DASHBOARD = Path(__file__).with_name("dashboard.html")
MAX_LIMIT = 1000


class InsightsCache:
    """The latest insights, recomputed when older than ``max_age_seconds``."""

    def __init__(
        self, store: RedisStore, *, max_age_seconds: float, now: Callable[[], datetime | None],
        loyalty: Callable[[], LoyaltyModel | None] = lambda: None,
    ) -> None:
        self._store = store
        self._loyalty = loyalty
        self._max_age = max_age_seconds
        self._now = now
        self._latest: Insights | None = None
        self._at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> Insights:
        async with self._lock:
            if self._latest is None or time.monotonic() - self._at > self._max_age:
                profiles = [item async for item in self._store.profiles()]
                insights = await asyncio.to_thread(compute, profiles, self._now())
                # Scored here, on the event loop: the agent updates the model on this thread.
                self._latest = insights.rescore_loyalty(self._loyalty())
                self._at = time.monotonic()
            return self._latest


class BadParameter(ValueError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


def ranking_query(query: Any) -> tuple[str, str | None, int]:
    """``order``, ``segment`` and ``limit`` of ``GET /customers``, or :class:`BadParameter`."""
    order = query.get("order", "best")
    if order not in ("best", "worst"):
        raise BadParameter("order", f"expected best or worst, got {order!r}")
    segment = query.get("segment")
    if segment is not None and segment not in (*SEGMENTS, VISITORS):
        raise BadParameter("segment", f"unknown segment {segment!r} (expected one of: {', '.join(SEGMENTS)}, {VISITORS})")
    raw_limit = query.get("limit", "10")
    try:
        limit = int(raw_limit)
    except ValueError:
        raise BadParameter("limit", f"expected a whole number, got {raw_limit!r}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadParameter("limit", f"expected 1 to {MAX_LIMIT}, got {limit}")
    return order, segment, limit


async def read_at_most(request: Request, limit: int) -> bytes:
    """The body, or :class:`Rejected` (413) once it passes ``limit`` bytes (a chunked one has no length)."""
    length = request.content_length
    if length is not None and length > limit:
        raise Rejected(413, f"{length} bytes, the limit is {limit}")
    body = bytearray()
    async for chunk in request.content.iter_chunked(65_536):  # type: ignore[attr-defined]
        body += chunk
        if len(body) > limit:
            raise Rejected(413, f"more than {limit} bytes, the limit is {limit}")
    return bytes(body)


def register(
    app: faust.App, store: RedisStore, cache: InsightsCache, settings: Settings, publisher: Publisher
) -> None:
    """Add the marketers' pages and API to the worker's web server."""

    async def tombstone(topic: str, key: str) -> None:
        await publisher.publish(topic, key, None)

    @app.page("/customers/{customer_id}")
    class CustomerView(View):
        async def delete(self, request: Request, customer_id: str) -> Response:
            """Erasure: every key of the customer, and a tombstone downstream (needs the admin key)."""
            if settings.admin_api_key is None:
                return self.json({"error": "erasure over HTTP is off: set TRACKER_ADMIN_API_KEY"}, status=403)
            if not authorized(request.headers.get("Authorization"), settings):
                return self.json({"error": "expected Authorization: Bearer <admin API key>"}, status=401)
            keep = request.query.get("suppress", "true").lower() not in ("false", "0", "no")
            erasure = await forget(store, settings, customer_id, suppress=keep, publish_tombstone=tombstone)
            return self.json(jsonable(erasure))

        async def get(self, request: Request, customer_id: str) -> Response:
            loaded = await store.load({customer_id: ()})
            profile = loaded[customer_id].state.profile
            if profile.first_seen is None:
                return self.json({"error": f"no customer {customer_id!r}"}, status=404)
            insights = await cache.get()
            return self.json(insights.customer(customer_id, profile))

    @app.page("/customers")
    class CustomersView(View):
        async def get(self, request: Request) -> Response:
            try:
                order, segment, limit = ranking_query(request.query)
            except BadParameter as exc:
                return self.json({"error": str(exc), "parameter": exc.name}, status=400)
            insights = await cache.get()
            ranked = insights.ranked(order, segment, limit)
            return self.json({
                "as_of": insights.now.isoformat(),
                "order": order,
                "segment": segment,
                "customers": [
                    {**jsonable(v), "segment": insights.segment_of.get(v.customer_id)} for v in ranked
                ],
            })

    limiter = RateLimiter(settings.collector_rate_per_minute)
    intake = Intake(settings.site_visits_topic, settings.purchases_topic, settings.max_event_bytes,
                    max_future=timedelta(seconds=settings.max_future_seconds))

    @app.page("/events")
    class CollectorView(View):
        async def post(self, request: Request) -> Response:
            """Events from a site: validated, produced to Kafka, acknowledged (202)."""
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
            records = to_records(parse_body(raw, settings.max_event_bytes), intake)
            wait = limiter.take(key, len(records))
            if wait:
                raise Rejected(429, f"rate limit of {settings.collector_rate_per_minute:g} events a minute per key",
                               [{"retry_after": wait}])
            for record in records:
                await publisher.publish(record.topic, (record.key or b"").decode(), record.value)
            return len(records)

    @app.page("/segments")
    class SegmentsView(View):
        async def get(self, request: Request) -> Response:
            insights = await cache.get()
            return self.json({
                "as_of": insights.now.isoformat(),
                "customers": len(insights.facts),
                "segments": insights.segments,
                "personas": insights.persona_cards(),
            })

    @app.page("/")
    class DashboardView(View):
        async def get(self, request: Request) -> Response:
            return self.html(DASHBOARD.read_text())
