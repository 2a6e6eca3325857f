"""The HTTP collector's rules: keys, batches, limits."""

from __future__ import annotations

import json

import pytest

from streams.collector import MAX_BATCH, RateLimiter, Rejected, key_of, known_key, parse_body

from builders import event


def test_keys_come_from_either_header_and_must_be_configured():
    """X-API-Key or a Bearer token; only configured keys pass."""
    assert key_of({"X-API-Key": "k1"}) == "k1"
    assert key_of({"Authorization": "Bearer k2"}) == "k2"
    assert key_of({"Authorization": "Basic x"}) is None
    assert known_key("k2", ("k1", "k2")) == "k2"
    assert known_key("k3", ("k1", "k2")) is None


def test_a_batch_is_all_or_nothing_and_names_each_bad_event():
    """One invalid event refuses the batch, with its index and reason."""
    good, bad = event("page_viewed"), {**event("page_viewed"), "occurred_at": "yesterday"}
    assert len(parse_body(json.dumps([good, good]).encode(), 65_536)) == 2
    with pytest.raises(Rejected) as caught:
        parse_body(json.dumps([good, bad]).encode(), 65_536)
    assert caught.value.status == 400 and caught.value.details[0]["index"] == 1


@pytest.mark.parametrize(("body", "status"), [
    (b"not json", 400), (b"[]", 400), (json.dumps([event("page_viewed")] * (MAX_BATCH + 1)).encode(), 413),
])
def test_malformed_empty_and_oversized_batches_are_refused(body, status):
    """Bodies that are not JSON, empty, or over the batch limit get their status."""
    with pytest.raises(Rejected) as caught:
        parse_body(body, 65_536)
    assert caught.value.status == status


def test_the_rate_limit_refills_over_time():
    """A key spends its minute's budget, waits, and may send again."""
    limiter = RateLimiter(per_minute=60)
    assert limiter.take("k", 60, now=0.0) == 0
    assert limiter.take("k", 1, now=0.0) > 0
    assert limiter.take("k", 1, now=1.5) == 0
