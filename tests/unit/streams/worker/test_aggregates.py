"""The worker's daily figures: offers counted until written, segments and moves from one look to the next."""

from __future__ import annotations

from datetime import datetime, timezone

from models.rfm import RFMScorer
from streams.core.insights import Insights
from streams.core.lifecycle import HeldOut, Suppressed
from streams.worker.aggregates import DailyFigures

NOW = datetime(2026, 3, 2, 10, tzinfo=timezone.utc)


def insights(segment_of: dict[str, str]) -> Insights:
    return Insights(now=NOW, scorer=RFMScorer(), segment_of=segment_of)


def test_counts_wait_until_drained_and_come_back_when_they_could_not_be_written():
    figures = DailyFigures()
    figures.count([HeldOut("cart_abandoned", NOW), Suppressed("cart_abandoned", "no_consent", NOW)], NOW)
    counts = figures.drain()
    assert counts["offers"] == {"2026-03-02|held_out|cart_abandoned|none": 1,
                                "2026-03-02|suppressed|cart_abandoned|no_consent": 1}
    assert figures.drain() == {"offers": {}, "outcomes": {}}
    figures.put_back(counts)
    assert figures.drain() == counts


def test_a_look_sets_the_days_segment_sizes_and_counts_the_moves_since_the_last_look():
    figures = DailyFigures()
    first = figures.look(insights({"a": "New", "b": "Loyal"}), None)
    assert first["segments"] == {"2026-03-02|rfm|New": 1, "2026-03-02|rfm|Loyal": 1} and first["moves"] == {}
    second = figures.look(insights({"a": "Loyal", "b": "Loyal", "c": "New"}), None)
    assert second["segments"]["2026-03-02|rfm|Loyal"] == 2
    assert second["moves"] == {"2026-03-02|rfm|New|Loyal": 1}
