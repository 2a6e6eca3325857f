"""The live features of a session: what the intent model sees, the same as the offline path gives."""

from __future__ import annotations

from datetime import datetime, timezone

from models.features import intent_features_from_session
from streams.core.features import channel_code, session_features
from streams.core.state import Profile, Session


def test_session_features_are_those_of_the_validating_path():
    """Built directly from the session for speed, they equal the contract's mapping path, value for value."""
    started = datetime(2026, 3, 7, 22, 5, tzinfo=timezone.utc)  # a Saturday
    cases = [
        (Session(started_at=started, last_event_at=started), Profile()),
        (Session(started_at=started, last_event_at=started, events=9, admin_pages=2, admin_seconds=31.5,
                 info_pages=1, info_seconds=12.0, product_pages=5, product_seconds=340.25, checkout_started=True,
                 channel="email"), Profile(sessions=3)),
    ]
    for session, profile in cases:
        expected = intent_features_from_session({
            "admin_pages": session.admin_pages, "admin_seconds": session.admin_seconds,
            "info_pages": session.info_pages, "info_seconds": session.info_seconds,
            "product_pages": session.product_pages, "product_seconds": session.product_seconds,
            "bounce_rate": 1.0 if session.events <= 1 else 0.0, "month": session.started_at.month,
            "weekend": session.started_at.weekday() >= 5, "returning_visitor": profile.sessions > 1,
            "traffic_type": channel_code(session.channel), "cart_items": session.cart_items,
            "cart_value": session.cart_value, "checkout_started": session.checkout_started,
        })
        got = session_features(session, profile)
        assert got == expected and list(got) == list(expected)
        assert all(type(v) is float for v in got.values())
