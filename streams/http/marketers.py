"""The marketers' HTTP API on the worker: customers, best/worst lists, segments, personas, the page.

Every answer comes from one :class:`~streams.core.insights.Insights` (kept by
:class:`~streams.http.insights.InsightsCache`), so the API, the CLI and the page show the
same figures.  ``DELETE /customers/{id}`` is the erasure (:mod:`streams.http.erasure`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faust
from faust.web import Request, Response, View

from models.rfm import SEGMENTS
from models.segments import SEGMENT_ID
from streams.broker.base import Publisher
from streams.core.insights import VISITORS, WORST_KINDS, Insights, jsonable
from streams.http.erasure import authorized, forget
from streams.http.insights import InsightsCache
from streams.settings import Settings
from streams.store import RedisStore

DASHBOARD = Path(__file__).with_name("dashboard.html")
MAX_LIMIT = 1000


class BadParameter(ValueError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


def ranking_query(query: Any) -> tuple[str, str | None, int, str | None]:
    """``order``, ``segment``, ``limit`` and ``kind`` of ``GET /customers``, or :class:`BadParameter`."""
    order = query.get("order", "best")
    if order not in ("best", "worst"):
        raise BadParameter("order", f"expected best or worst, got {order!r}")
    kind = query.get("kind")
    if kind is not None and (order != "worst" or kind not in WORST_KINDS):
        raise BadParameter("kind", f"expected {' or '.join(WORST_KINDS)} with order=worst, got {kind!r}"
                                   + ("" if order == "worst" else f" with order={order}"))
    segment = query.get("segment")
    if segment is not None and segment not in (*SEGMENTS, VISITORS) and not re.fullmatch(SEGMENT_ID, segment):
        raise BadParameter("segment", f"unknown segment {segment!r} (expected one of: {', '.join(SEGMENTS)}, {VISITORS}, "
                                      "or a behavioural segment's id such as B3)")
    raw_limit = query.get("limit", "10")
    try:
        limit = int(raw_limit)
    except ValueError:
        raise BadParameter("limit", f"expected a whole number, got {raw_limit!r}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadParameter("limit", f"expected 1 to {MAX_LIMIT}, got {limit}")
    return order, segment, limit, kind


def behaviour_json(insights: Insights) -> dict[str, Any]:
    """The behavioural segments of ``GET /segments``: sizes, personas and the latest news."""
    return {
        "segments": insights.behaviour_segments,
        "personas": insights.behaviour_cards(),
        "news": [jsonable(change) for change in insights.segment_news],
    }


def register(
    app: faust.App, store: RedisStore, cache: InsightsCache, settings: Settings, publisher: Publisher,
    forget_in_models: Callable[[str], None] = lambda customer_id: None,
) -> None:
    """Add the marketers' pages and API to the worker's web server.

    ``forget_in_models(customer_id)`` drops what this worker's models keep of a forgotten
    customer (their snapshots waiting for a label).
    """

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
            forget_in_models(customer_id)
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
                order, segment, limit, kind = ranking_query(request.query)
            except BadParameter as exc:
                return self.json({"error": str(exc), "parameter": exc.name}, status=400)
            insights = await cache.get()
            return self.json({
                "as_of": insights.now.isoformat(),
                "order": order,
                "segment": segment,
                "kind": kind,
                "customers": insights.ranking(order, segment, limit, kind),
            })

    @app.page("/segments")
    class SegmentsView(View):
        async def get(self, request: Request) -> Response:
            insights = await cache.get()
            return self.json({
                "as_of": insights.now.isoformat(),
                "customers": len(insights.facts),
                "segments": insights.segments,
                "personas": insights.persona_cards(),
                "behaviour": behaviour_json(insights),
            })

    @app.page("/personas")
    class PersonasView(View):
        async def get(self, request: Request) -> Response:
            insights = await cache.get()
            return self.json({"as_of": insights.now.isoformat(), "customers": len(insights.facts),
                              "personas": insights.persona_cards() + insights.behaviour_cards()})

    @app.page("/")
    class DashboardView(View):
        async def get(self, request: Request) -> Response:
            return self.html(DASHBOARD.read_text())
