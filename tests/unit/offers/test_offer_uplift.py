"""Uplift: treated versus hold-out conversion, counted like an A/B test."""

from __future__ import annotations

from datetime import UTC, datetime

from offers import OfferOutcome, Uplift, tally

AT = datetime(2026, 3, 2, tzinfo=UTC)


def outcome(i: int, what: str, holdout: bool) -> OfferOutcome:
    return OfferOutcome(offer_id=f"of-{i}", customer_id=f"c{i}", outcome=what, kind="cart_abandoned",
                        occurred_at=AT, holdout=holdout)


def test_rates_and_uplift():
    """12 % treated against 8 % hold-out is +4 points, +50 % relative."""
    u = Uplift(treated_offers=1000, treated_conversions=120, holdout_offers=100, holdout_conversions=8)
    assert (u.treated_rate, u.holdout_rate) == (0.12, 0.08)
    assert round(u.absolute_uplift or 0, 6) == 0.04
    assert round(u.relative_uplift or 0, 6) == 0.5


def test_nothing_is_measurable_without_offers_in_both_groups():
    """With an empty group the rates and uplift are None and the report says why."""
    u = Uplift(treated_offers=10, treated_conversions=1)
    assert u.holdout_rate is None and u.absolute_uplift is None and u.confidence_interval() is None
    assert "not measurable yet" in u.format_report()
    assert Uplift().treated_rate is None


def test_relative_uplift_is_undefined_while_the_holdout_never_converts():
    """A zero hold-out rate gives an absolute uplift but no relative one."""
    u = Uplift(treated_offers=10, treated_conversions=2, holdout_offers=5, holdout_conversions=0)
    assert u.absolute_uplift == 0.2 and u.relative_uplift is None
    assert "relative" not in u.format_report()


def test_counters_are_immutable_values():
    """offered() and converted() return new counters and leave the old ones alone."""
    start = Uplift()
    after = start.offered(holdout=False).converted(holdout=False).offered(holdout=True)
    assert start == Uplift()
    assert after == Uplift(treated_offers=1, treated_conversions=1, holdout_offers=1, holdout_conversions=0)


def test_tally_counts_a_purchase_without_the_code_as_a_conversion():
    """cancelled (bought without the code) converts like converted; expired does not."""
    records = [outcome(1, "converted", False), outcome(2, "cancelled", False), outcome(3, "expired", False),
               outcome(4, "converted", True), outcome(5, "expired", True)]
    assert tally(records) == Uplift(treated_offers=3, treated_conversions=2, holdout_offers=2, holdout_conversions=1)


def test_confidence_interval_narrows_with_more_offers():
    """Ten times the offers at the same rates gives a narrower interval around the same uplift."""
    small = Uplift(100, 12, 100, 8).confidence_interval()
    large = Uplift(1000, 120, 1000, 80).confidence_interval()
    assert small is not None and large is not None
    assert (large[1] - large[0]) < (small[1] - small[0])
    assert small[0] < 0.04 < small[1] and large[0] < 0.04 < large[1]


def test_report_is_a_table_with_both_groups():
    """The report lists offers, conversions and rates per group, then the uplift line."""
    lines = Uplift(900, 90, 100, 5).format_report().splitlines()
    assert lines[0].split() == ["group", "offers", "conversions", "rate"]
    assert lines[1].split() == ["treated", "900", "90", "10.0", "%"]
    assert lines[2].split() == ["hold-out", "100", "5", "5.0", "%"]
    assert lines[3].startswith("uplift    +5.0 points")
