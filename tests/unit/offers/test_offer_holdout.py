"""The hold-out group: deterministic per customer, of the configured size, redrawn by a new salt."""

from __future__ import annotations

import pytest

from offers import in_holdout
from offers.holdout import BUCKETS, holdout_bucket

IDS = [f"customer-{i}" for i in range(10_000)]


def test_membership_is_deterministic():
    """The same customer and salt always give the same answer (no randomness, no state)."""
    first = [in_holdout(cid, 10, "s") for cid in IDS[:500]]
    assert first == [in_holdout(cid, 10, "s") for cid in IDS[:500]]
    assert holdout_bucket("c1", "s") == holdout_bucket("c1", "s")


@pytest.mark.parametrize("percent", [10, 2.5, 50])
def test_group_size_is_close_to_the_percent_over_10k_ids(percent):
    """Over 10 000 ids the share held out is within 1 point of the configured percent."""
    share = sum(in_holdout(cid, percent, "offers-holdout-1") for cid in IDS) / len(IDS) * 100
    assert abs(share - percent) < 1.0, share


def test_a_new_salt_draws_an_independent_group():
    """Two 10 % groups with different salts overlap by about 1 %, not 10 %."""
    a = {cid for cid in IDS if in_holdout(cid, 10, "experiment-a")}
    b = {cid for cid in IDS if in_holdout(cid, 10, "experiment-b")}
    assert len(a & b) / len(IDS) < 0.02
    assert a != b


def test_a_larger_holdout_contains_the_smaller_one():
    """Growing the percent with the same salt only adds customers: nobody flips back to treated."""
    small = {cid for cid in IDS if in_holdout(cid, 5, "s")}
    large = {cid for cid in IDS if in_holdout(cid, 10, "s")}
    assert small < large


def test_zero_and_hundred_percent_are_nobody_and_everybody():
    """0 % holds nobody out; 100 % holds everybody out."""
    assert not any(in_holdout(cid, 0, "s") for cid in IDS[:1000])
    assert all(in_holdout(cid, 100, "s") for cid in IDS[:1000])


def test_buckets_are_in_range():
    """Buckets lie in range(BUCKETS)."""
    assert all(0 <= holdout_bucket(cid, "s") < BUCKETS for cid in IDS[:1000])


@pytest.mark.parametrize("percent", [-1, 100.5])
def test_percent_outside_0_to_100_is_refused(percent):
    """A percent outside 0..100 is a configuration error, not a silent clamp."""
    with pytest.raises(ValueError, match="between 0 and 100"):
        in_holdout("c1", percent, "s")
