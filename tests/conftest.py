"""Fixtures shared by the whole suite: real fakes of the tracker's collaborators."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry

from offers import QuietHours, default_policy
from streams.core.lifecycle import Rules
from streams.core.intake import Intake
from streams.metrics import Metrics
from streams.broker.base import Topics
from streams.worker.tracker import Tracker

from fakes import Clock, MemoryPublisher, MemoryStore


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def publisher() -> MemoryPublisher:
    return MemoryPublisher()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def rules() -> Rules:
    return Rules(session_timeout=timedelta(minutes=30), browse_views_threshold=3)


@pytest.fixture
def policy():
    """The shipped policy without quiet hours or hold-out, so every abandonment can be sent."""
    from dataclasses import replace

    return replace(default_policy(), quiet_hours=QuietHours(start=0, end=0), holdout_percent=0)


@pytest.fixture
def tracker(store: MemoryStore, publisher: MemoryPublisher, clock: Clock, rules: Rules, policy) -> Tracker:
    return Tracker(
        store=store,
        publisher=publisher,
        intake=Intake("site-visits", "purchases", 65_536),
        rules=rules,
        policy=policy,
        topics=Topics("offer-triggers", "offer-outcomes", "tracker-dead-letters"),
        metrics=Metrics(CollectorRegistry()),
        clock=clock,
        retry_seconds=0.001,
        output_log=publisher,
    )
