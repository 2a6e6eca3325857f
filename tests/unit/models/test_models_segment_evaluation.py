"""Behavioural segments measured on a history: a history too short to form them says so."""

from __future__ import annotations

import datetime as dt

from models.customer_facts import CustomerFacts
from models.segment_evaluation import History, evaluate_segments, format_segments_report

AT = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def short_history(customers: int) -> History:
    moments = [(f"c{i}", CustomerFacts(f"c{i}", orders=1 + i % 3, revenue=20.0 + 30.0 * (i % 3), last_order_at=AT))
               for i in range(customers)]
    return History(moments, dict(moments), truth={f"c{i}": f"kind{i % 3}" for i in range(customers)})


def test_a_history_too_short_to_form_segments_reports_no_stability_and_why():
    """No segments formed: no adjusted Rand index (two empty partitions are not a perfect 1.0), and the reason."""
    result = evaluate_segments(short_history(40), methods=["denstream", "kmeans"], learn_share=1.0)
    for row in result["methods"].values():
        assert row["segments"] == 0 and row["ari_between_replays"] is None and row["ari_with_truth"] is None
        assert row["learned"] == 40 and row["warm_up"] == 300
        assert row["unformed"].startswith("too few learning moments to form segments: of 40 moments")
    report = format_segments_report(result)
    assert "1.000" not in report and "—" in report
    assert "denstream: too few learning moments to form segments" in report


def test_a_method_that_formed_segments_keeps_its_figures():
    """Enough moments: the indexes are measured and nothing is called unformed."""
    result = evaluate_segments(short_history(120), methods=["denstream"], learn_share=1.0, warm_up=60,
                               refresh_every=30, min_segments=2)
    row = result["methods"]["denstream"]
    assert row["segments"] >= 2 and isinstance(row["ari_between_replays"], float) and "unformed" not in row
