"""News about segments: a new one, one growing fast, one that changed what sets it apart, one gone."""

from __future__ import annotations

import datetime as dt

from models.emergence import EmergenceRules, SegmentSize, SegmentWatch

T = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
RULES = EmergenceRules(min_share=0.03, min_customers=10, growth=1.5, min_growth=0.02,
                       growth_window=dt.timedelta(hours=24), drift=1.0)
SCALE = {"night_share": 0.2, "basket": 1.0}


def size(segment: str, customers: int, total: int, name: str = "Regular", **centre: float) -> SegmentSize:
    return SegmentSize(segment, name, customers, customers / total, "mostly something", centre or {"basket": 3.0})


def test_the_first_observation_is_the_baseline_not_news():
    watch = SegmentWatch()
    assert watch.observe([size("B1", 80, 100), size("B2", 20, 100)], T, RULES) == []
    assert watch.changes == ()


def test_a_new_segment_is_news_once_it_is_big_enough():
    """Too small to matter first (2 %), news when it reaches the share and the customers."""
    watch = SegmentWatch()
    watch.observe([size("B1", 100, 100)], T, RULES)
    assert watch.observe([size("B1", 98, 100), size("B2", 2, 100)], T + dt.timedelta(hours=1), RULES) == []
    # 6 % but 6 customers: not yet.
    assert watch.observe([size("B1", 94, 100), size("B2", 6, 100, "Night-Owl Shopper")], T + dt.timedelta(hours=2),
                         RULES) == []
    news = watch.observe([size("B1", 188, 200), size("B2", 12, 200, "Night-Owl Shopper")],
                         T + dt.timedelta(hours=3), RULES)
    assert [(n.change, n.segment) for n in news] == [("new", "B2")]
    assert news[0].detail.startswith("new segment: Night-Owl Shopper (B2), 6 % of active customers (12)")
    assert watch.changes[0] == news[0]


def test_a_segment_growing_fast_within_the_window_is_news_once():
    watch = SegmentWatch()
    watch.observe([size("B1", 90, 100), size("B2", 10, 100)], T, RULES)
    news = watch.observe([size("B1", 80, 100), size("B2", 20, 100)], T + dt.timedelta(hours=6), RULES)
    assert [(n.change, n.previous_share) for n in news] == [("growing", 0.1)]
    assert "up from 10 %" in news[0].detail
    assert watch.observe([size("B1", 70, 100), size("B2", 30, 100)], T + dt.timedelta(hours=7), RULES) == []


def test_slow_growth_is_not_news():
    watch = SegmentWatch()
    watch.observe([size("B1", 90, 100), size("B2", 10, 100)], T, RULES)
    assert watch.observe([size("B1", 88, 100), size("B2", 12, 100)], T + dt.timedelta(hours=6), RULES) == []
    # Doubling over two days is slower than the window's 1.5 times in a day.
    assert watch.observe([size("B1", 80, 100), size("B2", 20, 100)], T + dt.timedelta(days=3), RULES) == []


def test_a_segment_that_moved_and_got_another_name_changed():
    """A name alone may move when others join; the centre has to move too, in standard deviations."""
    watch = SegmentWatch()
    watch.observe([size("B1", 50, 100, "Weekend Shopper", night_share=0.1)], T, RULES, SCALE)
    same_place = watch.observe([size("B1", 50, 100, "Quick Shopper", night_share=0.15)], T + dt.timedelta(hours=1),
                               RULES, SCALE)
    assert same_place == []
    moved = watch.observe([size("B1", 50, 100, "Night-Owl Shopper", night_share=0.5)], T + dt.timedelta(hours=2),
                          RULES, SCALE)
    assert [n.change for n in moved] == ["changed"] and "was Weekend Shopper" in moved[0].detail


def test_a_segment_reported_before_and_now_gone_is_news():
    watch = SegmentWatch()
    watch.observe([size("B1", 50, 100), size("B2", 50, 100)], T, RULES)
    news = watch.observe([size("B1", 100, 100)], T + dt.timedelta(hours=1), RULES)
    gone = [(n.segment, n.previous_share) for n in news if n.change == "gone"]
    assert gone == [("B2", 0.5)] and news[-1].detail.startswith("segment gone: Regular (B2)")


def test_the_news_kept_are_bounded():
    watch = SegmentWatch(keep=3)
    watch.observe([size("B1", 100, 100)], T, RULES)
    for hour in range(1, 6):
        watch.observe([size("B1", 100, 100), size(f"B{hour + 1}", 20, 100)], T + dt.timedelta(hours=hour), RULES)
    assert len(watch.changes) == 3
