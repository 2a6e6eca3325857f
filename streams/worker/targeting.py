"""The offer policy, told each customer's RFM segment: rules on segments (``At Risk``, ``Champions``) can match.

An RFM segment is a customer's place among all customers (quintiles of recency, frequency
and spend), so it is not on the profile: the insights compute it over every profile
(:mod:`streams.http.insights`).  The worker hands the policy the segment of the latest
insights (at most ``TRACKER_INSIGHTS_MAX_AGE_SECONDS`` old; none before the first).  Like
the models' scores it depends on what else has been read, so a replay on the event clock
decides without it (unless ``TRACKER_SCORES_IN_EVENT_TIME``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

from offers import AbandonmentKind, Customer, Decision, Policy
from streams.core.insights import Insights


def segment_in(insights: Insights | None, customer_id: str) -> str | None:
    """The customer's RFM segment in ``insights`` (None: no insights yet, or not a buyer in them)."""
    return None if insights is None else insights.segment_of.get(customer_id)


class WithSegments:
    """``policy``, deciding on each customer with their RFM segment from ``segment_of`` filled in."""

    def __init__(self, policy: Policy, segment_of: Callable[[str], str | None]) -> None:
        self._policy = policy
        self._segment_of = segment_of

    def decide(
        self, kind: AbandonmentKind, customer: Customer, now: datetime, *, offer_id: str | None = None
    ) -> Decision:
        if customer.segment is None:
            segment = self._segment_of(customer.customer_id)
            if segment is not None:
                customer = dataclasses.replace(customer, segment=segment)
        return self._policy.decide(kind, customer, now, offer_id=offer_id)

    def __getattr__(self, name: str) -> Any:  # rules, version, holdout ...: the policy's own
        return getattr(self._policy, name)
