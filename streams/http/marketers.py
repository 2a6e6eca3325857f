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

from models.customer_types import customer_types
from models.ids import spellings
from models.rfm import SEGMENTS
from models.segments import SEGMENT_ID
from offers import CUSTOMER_TYPES
from streams.broker.base import Publisher
from streams.core.daily import decile_shares, series
from streams.core.insights import VISITORS, WORST_KINDS, Insights, jsonable
from streams.core.offer_report import HOW_TO_READ, report_json, uplift_of
from streams.http.erasure import authorized, forget
from streams.http.insights import InsightsCache
from streams.settings import Settings
from streams.store import DailyStore, RedisStore

DASHBOARD = Path(__file__).with_name("dashboard.html")
STATIC = Path(__file__).with_name("static")
OFFERS_DOC = Path(__file__).resolve().parents[2] / "docs" / "offers.md"
#: The files under static/ the page may load, and their types: nothing else is served.
STATIC_TYPES = {
    "chart.umd.min.js": "application/javascript",
    "chart.js.LICENSE.md": "text/plain",
}
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


def type_query(query: Any) -> str | None:
    """The ``type`` of ``GET /customers`` (a customer type: loyal, bargain_hunter, ...), or :class:`BadParameter`."""
    wanted = query.get("type")
    if wanted is not None and wanted not in CUSTOMER_TYPES:
        raise BadParameter("type", f"unknown customer type {wanted!r} (expected one of: {', '.join(CUSTOMER_TYPES)})")
    return wanted


def ranking_of(
    insights: Insights, order: str, segment: str | None, limit: int, kind: str | None, wanted: str | None
) -> list[dict[str, Any]]:
    """``insights.ranking``, of the customers of type ``wanted`` only when it is given."""
    if wanted is None:
        return insights.ranking(order, segment, limit, kind)
    rows = insights.ranking(order, segment, max(len(insights.facts), 1), kind)
    kept = [r for r in rows if wanted in {t.name for t in customer_types(insights.facts[r["customer_id"]], insights.now)}]
    return kept[:limit]


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
            for name in spellings(customer_id):
                forget_in_models(name)
            return self.json(jsonable(erasure))

        async def get(self, request: Request, customer_id: str) -> Response:
            found = await store.find(customer_id)
            if found is None:
                return self.json({"error": f"no customer {customer_id!r}"}, status=404)
            insights = await cache.get()
            return self.json(insights.customer(*found))

    @app.page("/customers")
    class CustomersView(View):
        async def get(self, request: Request) -> Response:
            try:
                order, segment, limit, kind = ranking_query(request.query)
                wanted = type_query(request.query)
            except BadParameter as exc:
                return self.json({"error": str(exc), "parameter": exc.name}, status=400)
            insights = await cache.get()
            return self.json({
                "as_of": insights.now.isoformat(),
                "currency": insights.currency,
                "order": order,
                "segment": segment,
                "kind": kind,
                "type": wanted,
                "customers": ranking_of(insights, order, segment, limit, kind, wanted),
            })

    @app.page("/segments")
    class SegmentsView(View):
        async def get(self, request: Request) -> Response:
            insights = await cache.get()
            return self.json({
                "as_of": insights.now.isoformat(),
                "currency": insights.currency,
                "customers": len(insights.facts),
                "segments": insights.segments,
                "personas": insights.persona_cards(),
                "behaviour": behaviour_json(insights),
            })

    @app.page("/personas")
    class PersonasView(View):
        async def get(self, request: Request) -> Response:
            insights = await cache.get()
            return self.json({"as_of": insights.now.isoformat(), "currency": insights.currency,
                              "customers": len(insights.facts),
                              "personas": insights.persona_cards() + insights.behaviour_cards()})

    @app.page("/offers")
    class OffersView(View):
        async def get(self, request: Request) -> Response:
            """The offers' uplift (as ``tracker offers report --json``) and their daily counts."""
            uplift, customers = uplift_of([profile async for _, profile in store.profiles()])
            daily = await DailyStore(store.client).read()
            return self.json({"report": report_json(uplift, customers), "how_to_read": HOW_TO_READ,
                              **offers_series(daily)})

    @app.page("/charts")
    class ChartsView(View):
        async def get(self, request: Request) -> Response:
            """What the page draws besides the offers: value by decile, segments and models over time."""
            insights = await cache.get()
            daily = await DailyStore(store.client).read()
            return self.json({"as_of": insights.now.isoformat(), **charts_json(insights, daily)})

    @app.page("/customer-types")
    class CustomerTypesView(View):
        async def get(self, request: Request) -> Response:
            """The customer types the page filters by (``GET /customers?type=``)."""
            return self.json({"types": list(CUSTOMER_TYPES)})

    @app.page("/docs/offers.md")
    class OffersDocView(View):
        async def get(self, request: Request) -> Response:
            """docs/offers.md, where the page links for how to read the uplift (from a source checkout)."""
            if not OFFERS_DOC.is_file():
                return self.json({"error": "docs/offers.md is not installed with this worker"}, status=404)
            return self.bytes(OFFERS_DOC.read_bytes(), content_type="text/plain")

    @app.page("/static/{name}")
    class StaticView(View):
        async def get(self, request: Request, name: str) -> Response:
            """The page's bundled files (the chart library and its licence): the page works offline."""
            path = STATIC / name
            if name not in STATIC_TYPES or not path.is_file():
                return self.json({"error": f"no static file {name!r}"}, status=404)
            return self.bytes(path.read_bytes(), content_type=STATIC_TYPES[name],
                              headers={"Cache-Control": "max-age=86400"})

    @app.page("/")
    class DashboardView(View):
        async def get(self, request: Request) -> Response:
            return self.html(DASHBOARD.read_text())


def offers_series(daily: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Offers decided by day ({decision|kind|incentive: {day: n}}) and outcomes ({group|outcome: {day: n}})."""
    return {"daily_offers": series(daily.get("offers", {}), 3), "daily_outcomes": series(daily.get("outcomes", {}), 2)}


def charts_json(insights: Insights, daily: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Share of predicted value by customer decile (best first), segment sizes and moves, model quality by day.

    ``currency`` is the shop's (ISO 4217): the page writes the money figures in it.
    """
    values = [v.expected_value for v in insights.ranked("best", limit=max(len(insights.facts), 1))]
    return {
        "currency": insights.currency,
        "value_deciles": {"customers": len(values), "total": round(sum(values), 2),
                          "shares": decile_shares(values)},
        "segment_sizes": series(daily.get("segments", {}), 2),
        "segment_moves": series(daily.get("moves", {}), 3),
        "model_quality": series(daily.get("models", {}), 2),
    }
