"""The behavioural segments on the worker's clock: look for news about them, and say it.

Every ``TRACKER_SEGMENTS_REPORT_SECONDS`` the worker takes the insights (every customer placed
in a behavioural segment, :mod:`streams.core.segmentation`), counts each segment's active
customers and hands them to the model's watch (:mod:`models.emergence`): a segment that
appears, grows fast, changes what characterises it or goes is news — a log line
("new segment: Night-Owl Toys Fan (B7), 6 % of active customers (41), mostly …"), a count on
``tracker_segment_changes_total{change}``, and an entry in ``GET /segments`` and on the page.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import faust

from models.emergence import EmergenceRules, SegmentChange
from models.segments import BehaviourSegments
from streams.core.insights import Insights
from streams.core.segmentation import sizes
from streams.http.insights import InsightsCache
from streams.metrics import Metrics
from streams.settings import Settings, emergence_rules_of
from streams.worker.scoring import Scoring

log = logging.getLogger("tracker")


def report(
    model: BehaviourSegments, insights: Insights, rules: EmergenceRules, active: timedelta, metrics: Metrics
) -> list[SegmentChange]:
    """Observe the segments of ``insights``; log, count and return the news."""
    described = insights.described
    # While the model settles its segments reshape as it learns: that is not news about the shop.
    news = model.watch.observe(sizes(described, insights.facts, insights.now, active), insights.now, rules,
                               described.scale, baseline=not model.settled)
    for change in news:
        metrics.segment_changes.labels(change.change).inc()
        log.info("%s: change=%s segment=%s share=%.3f customers=%d", change.detail, change.change, change.segment,
                 change.share, change.customers)
    model.name_segments(described.traits)
    metrics.behaviour_segments.set(len(model.segments))
    insights.segment_news = model.watch.changes
    return news


def register(app: faust.App, settings: Settings, scoring: Scoring, insights: InsightsCache, metrics: Metrics) -> None:
    """Add the timer that looks for news about the behavioural segments."""
    rules = emergence_rules_of(settings)
    active = timedelta(days=settings.segments_active_days)

    @app.timer(interval=settings.segments_report_seconds)
    async def report_segments() -> None:
        try:
            latest = await insights.get()
        except Exception as exc:  # Redis away: the next tick looks again
            log.warning("segments not reported: error=%r", exc)
            return
        report(scoring.segments, latest, rules, active, metrics)
